"""УПД generator: ФНС format 5.03, seller's title (КНД 1115131, приказ ЕД-7-26/970@).

    file_name, data = build_upd(doc)          # raises UpdError with every problem found
    problems = check_document(doc)            # the same checks, as a list of messages

``doc`` is an :class:`upd_model.Document`.  The file is encoded windows-1251; its name is
``<ИдФайл>.xml`` with ИдФайл = ``ON_NSCHFDOPPR_<ИдПол>_<ИдОтпр>_<ГГГГММДД>_<GUID>`` (receiver
first, then sender, the date the file is made, a 36-character GUID).

``check_document`` enforces what the XSD cannot: the conditional rules of the format (the
schematron asserts embedded in the XSD: ТаблСчФакт for СЧФ/СЧФДОП, СвПродПер for ДОП/СЧФДОП,
НаимДокОпр for СЧФДОП/ДОП and not for СЧФ, addresses for the invoice function, the shipping
document of a plain СЧФ, the power of attorney of the signer...), the control digits of ИНН
and ОГРНИП, the shape of КПП, ОКЕИ codes, and the amounts of every row to the kopeck.  A
credit note (negative quantity or amount) is refused: the correction document (УКД) is
another format, out of scope here.  It also refuses, naming the field, text that cannot be
written at all (control characters, unpaired surrogates, U+FFFE/U+FFFF: characters merely
outside windows-1251 are written as character references), and an ИдФайл longer than the
255 characters of the XSD (naming the lengths of ИдПол and ИдОтпр that make it long).
"""
from __future__ import annotations

import datetime
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import List, Optional, Tuple

from lxml import etree

from . import amounts as am
from . import okei
from .upd_model import (
    FUNCTIONS, VAT_RATES, Address, Document, DocumentRef, Line, Party, Signer,
)

FORMAT_VERSION = "5.03"
KND = "1115131"
FILE_PREFIX = "ON_NSCHFDOPPR"
ENCODING = "windows-1251"

#: НаимДокОпр by default
DOCUMENT_NAMES = {
    "СЧФДОП": "Счет-фактура и документ об отгрузке товаров (выполнении работ), передаче "
              "имущественных прав (документ об оказании услуг)",
    "ДОП": "Документ об отгрузке товаров (выполнении работ), передаче имущественных прав "
           "(документ об оказании услуг)",
}
#: ПоФактХЖ by default
FACT_NAME = ("Документ об отгрузке товаров (выполнении работ), передаче имущественных прав "
             "(документ об оказании услуг)")
#: the shipping document (ДокПодтвОтгрНом) a СЧФДОП names when none is given: itself
SELF_SHIPPING_DOCUMENT = "Универсальный передаточный документ"
DEFAULT_OPERATION = "Товары переданы"

CURRENCIES = {
    "643": "Российский рубль", "840": "Доллар США", "978": "Евро", "156": "Юань",
    "398": "Тенге", "933": "Белорусский рубль", "051": "Армянский драм", "417": "Сом",
    "860": "Узбекский сум",
}

#: ОКСМ digital code → short name (the usual origins of marketplace goods)
COUNTRIES = {
    "643": "Россия", "112": "Беларусь", "398": "Казахстан", "051": "Армения",
    "417": "Киргизия", "860": "Узбекистан", "762": "Таджикистан", "031": "Азербайджан",
    "268": "Грузия", "498": "Молдова", "156": "Китай", "158": "Тайвань (Китай)",
    "344": "Гонконг", "356": "Индия", "392": "Япония", "410": "Корея, Республика",
    "704": "Вьетнам", "764": "Таиланд", "360": "Индонезия", "458": "Малайзия",
    "792": "Турция", "276": "Германия", "250": "Франция", "380": "Италия", "724": "Испания",
    "616": "Польша", "203": "Чехия", "528": "Нидерланды", "056": "Бельгия", "826": "Соединенное Королевство",
    "840": "Соединенные Штаты", "124": "Канада", "076": "Бразилия", "484": "Мексика",
    "818": "Египет", "784": "Объединенные Арабские Эмираты", "364": "Иран",
    "586": "Пакистан", "050": "Бангладеш", "144": "Шри-Ланка",
}

#: code of the subject of the Russian Federation → НаимРегион
REGIONS = {
    "01": "Республика Адыгея (Адыгея)", "02": "Республика Башкортостан",
    "03": "Республика Бурятия", "04": "Республика Алтай", "05": "Республика Дагестан",
    "06": "Республика Ингушетия", "07": "Кабардино-Балкарская Республика",
    "08": "Республика Калмыкия", "09": "Карачаево-Черкесская Республика",
    "10": "Республика Карелия", "11": "Республика Коми", "12": "Республика Марий Эл",
    "13": "Республика Мордовия", "14": "Республика Саха (Якутия)",
    "15": "Республика Северная Осетия - Алания", "16": "Республика Татарстан (Татарстан)",
    "17": "Республика Тыва", "18": "Удмуртская Республика", "19": "Республика Хакасия",
    "20": "Чеченская Республика", "21": "Чувашская Республика - Чувашия",
    "22": "Алтайский край", "23": "Краснодарский край", "24": "Красноярский край",
    "25": "Приморский край", "26": "Ставропольский край", "27": "Хабаровский край",
    "28": "Амурская область", "29": "Архангельская область", "30": "Астраханская область",
    "31": "Белгородская область", "32": "Брянская область", "33": "Владимирская область",
    "34": "Волгоградская область", "35": "Вологодская область", "36": "Воронежская область",
    "37": "Ивановская область", "38": "Иркутская область", "39": "Калининградская область",
    "40": "Калужская область", "41": "Камчатский край", "42": "Кемеровская область - Кузбасс",
    "43": "Кировская область", "44": "Костромская область", "45": "Курганская область",
    "46": "Курская область", "47": "Ленинградская область", "48": "Липецкая область",
    "49": "Магаданская область", "50": "Московская область", "51": "Мурманская область",
    "52": "Нижегородская область", "53": "Новгородская область",
    "54": "Новосибирская область", "55": "Омская область", "56": "Оренбургская область",
    "57": "Орловская область", "58": "Пензенская область", "59": "Пермский край",
    "60": "Псковская область", "61": "Ростовская область", "62": "Рязанская область",
    "63": "Самарская область", "64": "Саратовская область", "65": "Сахалинская область",
    "66": "Свердловская область", "67": "Смоленская область", "68": "Тамбовская область",
    "69": "Тверская область", "70": "Томская область", "71": "Тульская область",
    "72": "Тюменская область", "73": "Ульяновская область", "74": "Челябинская область",
    "75": "Забайкальский край", "76": "Ярославская область", "77": "г. Москва",
    "78": "г. Санкт-Петербург", "79": "Еврейская автономная область",
    "83": "Ненецкий автономный округ", "86": "Ханты-Мансийский автономный округ - Югра",
    "87": "Чукотский автономный округ", "89": "Ямало-Ненецкий автономный округ",
    "91": "Республика Крым", "92": "г. Севастополь",
}

_ROLE = {  # role → genitive used in messages
    "seller": "продавца", "buyer": "покупателя",
    "consignor": "грузоотправителя", "consignee": "грузополучателя",
}

_DIGITS = re.compile(r"^[0-9]+$")
_KPP = re.compile(r"^([0-9][1-9]|[1-9][0-9])[0-9]{2}[0-9A-Z]{2}[0-9]{3}$")
_EDO_ID = re.compile(r"^[0-9A-Za-z-]{1,100}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# characters XML 1.0 cannot carry (its Char production), whatever the encoding: control
# characters, unpaired UTF-16 surrogates (they cannot even be encoded), U+FFFE and U+FFFF.
# Everything else is written: outside windows-1251 as a character reference (&#8470;).
_UNWRITABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: ИдФайл: at most 255 characters (Файл/@ИдФайл in the XSD)
FILE_ID_MAX = 255
#: the fixed part of ИдФайл: prefix, date (8), GUID (36) and the four underscores
_FILE_ID_FIXED = len(FILE_PREFIX) + 8 + 36 + 4
_PRICE_PLACES = Decimal("1e-11")


class UpdError(ValueError):
    """The document cannot be made; ``messages`` lists every problem found, in Russian."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("УПД не сформирован:\n" + "\n".join("- " + m for m in self.messages))


# ----------------------------------------------------------------------------- helpers

def _s(value) -> str:
    """A text field, trimmed; None → ""."""
    if value is None:
        return ""
    return str(value).strip()


def _date(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def _money(value: Decimal) -> str:
    return "{:.2f}".format(value)


def _number(value: Decimal) -> str:
    """Quantity / price: at most 11 decimals, no exponent, no trailing zeros."""
    value = value.quantize(_PRICE_PLACES, rounding=ROUND_HALF_UP) if value.as_tuple().exponent < -11 else value
    text = format(value.normalize(), "f")
    return text


def _fio_parts(obj) -> Tuple[str, str, str]:
    return _s(obj.last_name), _s(obj.first_name), _s(obj.middle_name)


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def unwritable_problem(text: str, label: str) -> Optional[str]:
    """Why ``text`` cannot be written in the XML file (naming ``label`` and the character),
    or None when it can."""
    match = _UNWRITABLE.search(text)
    if match is None:
        return None
    char = match.group()
    code = f"U+{ord(char):04X}"
    if ord(char) < 0x20:
        return f"Недопустимый управляющий символ {code} в поле: {label}"
    if 0xD800 <= ord(char) <= 0xDFFF:
        why = "непарный суррогат UTF-16: текст повреждён при копировании или импорте"
    else:
        why = "в XML такого символа нет"
    return f"{_capital(label)}: символ {code} не может быть записан в файл ({why})"


class _Checks:
    """Collects messages; ``text``/``digits``... append one when a value is wrong."""

    def __init__(self):
        self.errors: List[str] = []

    def add(self, message: str):
        if message not in self.errors:
            self.errors.append(message)

    def text(self, value, label: str, *, max_len: int, required=False, min_len: int = 1):
        """The trimmed text; ``required`` True (generic message) or the message to give."""
        text = _s(value)
        if not text:
            if isinstance(required, str):
                self.add(required)
            elif required:
                self.add(f"Не указано: {label}")
            return text
        if len(text) > max_len:
            self.add(f"Слишком длинное значение: {label} — {len(text)} символов, допускается до {max_len}")
        elif len(text) < min_len:
            self.add(f"Слишком короткое значение: {label} — нужно не меньше {min_len} символов")
        problem = unwritable_problem(text, label)
        if problem:
            self.add(problem)
        return text

    def date(self, value, label: str, *, required: bool = False):
        if value is None or value == "":
            if required:
                self.add(f"Не указана {label}")
            return None
        if not isinstance(value, datetime.date):
            self.add(f"{label[:1].upper() + label[1:]}: нужна дата, а не {value!r}")
            return None
        if not 1900 <= value.year <= 2099:
            self.add(f"{label[:1].upper() + label[1:]}: год {value.year} вне допустимого диапазона 1900–2099")
            return None
        return value

    def decimal(self, value, label: str, *, required: bool = True) -> Optional[Decimal]:
        if value is None:
            if required:
                self.add(f"Не указано значение: {label}")
            return None
        try:
            return am.to_decimal(value, label)
        except (TypeError, ValueError) as exc:
            self.add(str(exc))
            return None


def _inn_problem(inn: str, length: int) -> Optional[str]:
    """Why ``inn`` is not a valid ИНН of ``length`` digits, or None."""
    from stdnum.exceptions import ValidationError
    from stdnum.ru import inn as stdnum_inn

    if not _DIGITS.match(inn):
        return "ИНН должен состоять из цифр"
    if len(inn) != length:
        return f"ИНН должен содержать {length} цифр, а не {len(inn)}"
    if inn.startswith("00"):
        return "ИНН не может начинаться с 00"
    try:
        stdnum_inn.validate(inn)
    except ValidationError:
        return "не сходится контрольная цифра"
    return None


def _ogrnip_problem(ogrnip: str) -> Optional[str]:
    if not _DIGITS.match(ogrnip) or len(ogrnip) != 15:
        return "ОГРНИП должен содержать 15 цифр"
    if int(ogrnip[:14]) % 13 % 10 != int(ogrnip[14]):
        return "не сходится контрольная цифра"
    return None


# ----------------------------------------------------------------------------- checks

def _check_address(c: _Checks, address: Optional[Address], who: str, required: bool):
    if address is None:
        if required:
            c.add(f"Не указан адрес {who}")
        return
    region = _s(address.region_code)
    if region:
        if not re.match(r"^[0-9]{2}$", region):
            c.add(f"Неверный код региона в адресе {who}: «{region}» (нужны 2 цифры)")
        elif not _s(address.region_name) and region not in REGIONS:
            c.add(f"Не указано наименование региона {region} в адресе {who}")
        c.text(address.region_name, f"наименование региона в адресе {who}", max_len=51)
        index = _s(address.postal_code)
        if index and not re.match(r"^[0-9]{6}$", index):
            c.add(f"Неверный почтовый индекс в адресе {who}: «{index}» (нужно 6 цифр)")
        for value, label, max_len in (
            (address.district, "район", 255), (address.city, "город", 255),
            (address.locality, "населённый пункт", 255), (address.street, "улица", 255),
            (address.house, "дом", 50), (address.building, "корпус", 50),
            (address.apartment, "квартира (офис)", 50), (address.other, "иные сведения", 1000),
        ):
            c.text(value, f"{label} в адресе {who}", max_len=max_len)
        return
    text = c.text(address.text, f"адрес {who}", max_len=1000)
    if not text:
        if required or any(_s(getattr(address, f)) for f in ("city", "street", "house", "postal_code")):
            c.add(f"Не указан адрес {who}: нужен код региона (адрес в РФ) или адрес одной строкой")
        return
    code = _s(address.country_code)
    if not re.match(r"^[0-9]{3}$", code):
        c.add(f"Неверный код страны в адресе {who}: «{code}» (нужен цифровой код ОКСМ из 3 цифр)")
    elif not _s(address.country_name) and code not in COUNTRIES:
        c.add(f"Не указано наименование страны {code} в адресе {who}")
    c.text(address.country_name, f"наименование страны в адресе {who}", max_len=255)


def _check_party(c: _Checks, party: Optional[Party], role: str, function: str):
    who = _ROLE[role]
    if party is None:
        if role in ("seller", "buyer"):
            c.add(f"Не указан {'продавец' if role == 'seller' else 'покупатель'}")
        return
    kind = party.kind
    inn = _s(party.inn)
    kpp = _s(party.kpp)
    if kind == "legal":
        c.text(party.name, f"наименование {who}", max_len=1000, required=f"Не указано наименование {who}")
        if not inn:
            c.add(f"Не указан ИНН {who}")
        else:
            problem = _inn_problem(inn, 10)
            if problem:
                c.add(f"Неверный ИНН {who} «{inn}»: {problem}")
        if not kpp:
            if role in ("seller", "buyer"):
                c.add(f"Не указан КПП {who}")
        elif not _KPP.match(kpp):
            c.add(f"Неверный КПП {who} «{kpp}»: нужно 9 символов (цифры, в 5–6 позиции цифры или "
                  f"заглавные латинские буквы), первые две цифры не 00")
    elif kind in ("entrepreneur", "person"):
        last, first, _middle = _fio_parts(party)
        label = "индивидуального предпринимателя" if kind == "entrepreneur" else "физического лица"
        if not last:
            c.add(f"Не указана фамилия {label} ({who})")
        if not first:
            c.add(f"Не указано имя {label} ({who})")
        for value, part in zip(_fio_parts(party), ("фамилия", "имя", "отчество")):
            c.text(value, f"{part} ({who})", max_len=60)
        if kind == "entrepreneur" and not inn:
            c.add(f"Не указан ИНН {who}")
        elif inn:
            problem = _inn_problem(inn, 12)
            if problem:
                c.add(f"Неверный ИНН {who} «{inn}»: {problem}")
        if kpp:
            c.add(f"У {label} ({who}) нет КПП: уберите КПП «{kpp}»")
        ogrnip = _s(party.ogrnip)
        if kind == "entrepreneur" and ogrnip:
            problem = _ogrnip_problem(ogrnip)
            if problem:
                c.add(f"Неверный ОГРНИП {who} «{ogrnip}»: {problem}")
        c.date(party.ogrnip_date, f"дата ОГРНИП {who}")
        c.text(party.registration_certificate, f"свидетельство о регистрации ИП ({who})", max_len=100)
        c.text(party.other_info, f"иные сведения ({who})", max_len=255)
        c.text(party.name, f"наименование {who}", max_len=1000)
    elif kind == "foreign":
        c.text(party.name, f"наименование {who}", max_len=1000, required=f"Не указано наименование {who}")
        status = _s(party.foreign_status) or "ИО"
        if status not in ("ИО", "ИГ"):
            c.add(f"Неверный статус иностранного лица ({who}): «{status}», допустимы ИО или ИГ")
        code = _s(party.foreign_country_code)
        if not re.match(r"^[0-9]{3}$", code):
            c.add(f"Не указан код страны иностранного {who} (цифровой код ОКСМ из 3 цифр)")
        elif not _s(party.foreign_country_name) and code not in COUNTRIES:
            c.add(f"Не указано наименование страны {code} иностранного {who}")
        if not _s(party.foreign_id) and not _s(party.other_info):
            c.add(f"Для иностранного {who} укажите идентификатор в стране регистрации или иные сведения")
        c.text(party.foreign_id, f"идентификатор иностранного {who}", max_len=255)
        c.text(party.other_info, f"иные сведения ({who})", max_len=255)
        c.text(party.foreign_country_name, f"страна ({who})", max_len=255)
        if kpp:
            c.add(f"У иностранного {who} нет КПП: уберите КПП «{kpp}»")
    else:
        c.add(f"Неизвестный вид {who} «{kind}»: допустимы legal, entrepreneur, foreign, person")
        return
    _check_address(c, party.address, who, required=function in ("СЧФ", "СЧФДОП"))
    if party.bank is not None:
        bic = _s(party.bank.bic)
        if bic and not re.match(r"^[0-9]{9}$", bic):
            c.add(f"Неверный БИК банка {who} «{bic}»: нужно 9 цифр")
        c.text(party.bank.account, f"расчётный счёт {who}", max_len=34)
        c.text(party.bank.correspondent_account, f"корреспондентский счёт банка {who}", max_len=34)
        c.text(party.bank.bank_name, f"наименование банка {who}", max_len=1000)
    if party.contact is not None:
        for phone in party.contact.phones or ():
            c.text(phone, f"телефон {who}", max_len=255)
        for email in party.contact.emails or ():
            c.text(email, f"электронная почта {who}", max_len=255)
        c.text(party.contact.other, f"иные контакты {who}", max_len=255)
    okpo = _s(party.okpo)
    if okpo and not _DIGITS.match(okpo):
        c.add(f"Неверный ОКПО {who} «{okpo}»: только цифры")
    c.text(party.okpo, f"ОКПО {who}", max_len=10)
    c.text(party.short_name, f"сокращённое наименование {who}", max_len=510)
    c.text(party.department, f"структурное подразделение {who}", max_len=500)
    c.text(party.info, f"информация для участника ({who})", max_len=255)


def _check_ref(c: _Checks, ref: DocumentRef, label: str):
    if not isinstance(ref, DocumentRef):
        c.add(f"{label}: ожидается DocumentRef")
        return
    c.text(ref.name, f"наименование документа ({label})", max_len=255, required=True)
    c.text(ref.number, f"номер документа ({label})", max_len=255, required=True)
    c.date(ref.date, f"дата документа ({label})", required=True)
    c.text(ref.doc_id, f"идентификатор документа ({label})", max_len=255)
    c.text(ref.extra, f"дополнительные сведения ({label})", max_len=2000)


def _check_signer(c: _Checks, signer: Optional[Signer], label: str, whose: str, *, need_position: bool):
    """``label``: who it is (nominative), ``whose``: the same in the genitive."""
    if signer is None:
        c.add(f"Не указан {label}")
        return
    last, first, middle = _fio_parts(signer)
    if not last:
        c.add(f"Не указана фамилия {whose}")
    if not first:
        c.add(f"Не указано имя {whose}")
    for value, part in zip((last, first, middle), ("фамилия", "имя", "отчество")):
        c.text(value, f"{part} {whose}", max_len=60)
    c.text(signer.position, f"должность {whose}", max_len=255)
    if need_position and not _s(signer.position):
        c.add(f"Не указана должность {whose}")
    c.text(signer.authority_basis, f"основание полномочий {whose}", max_len=255)


def _check_signer_authority(c: _Checks, signer: Signer):
    method = _s(signer.authority_method)
    if method not in ("1", "2", "3", "4", "5", "6"):
        c.add(f"Неверный способ подтверждения полномочий подписанта «{method}»: допустимы 1–6")
        return
    if _s(signer.signature_type) not in ("", "1", "2", "3"):
        c.add(f"Неверный тип подписи «{signer.signature_type}»: допустимы 1, 2, 3")
    c.date(signer.sign_date, "дата подписания")
    poa = signer.power_of_attorney
    if method == "3":
        if poa is None or not poa.electronic:
            c.add("Способ подтверждения полномочий 3 (МЧД) требует сведений о машиночитаемой доверенности")
            return
        number = c.text(poa.number, "регистрационный номер МЧД", max_len=36)
        if not number:
            c.add("Не указан регистрационный номер машиночитаемой доверенности подписанта")
        elif len(number) != 36:
            c.add(f"Регистрационный номер МЧД должен содержать 36 символов, а не {len(number)}")
        c.date(poa.issue_date, "дата выдачи доверенности подписанта", required=True)
        c.text(poa.system_id, "система хранения МЧД (ИдСистХран)", max_len=500, required=True)
        c.text(poa.system_url, "адрес системы хранения МЧД", max_len=500)
        c.text(poa.internal_number, "внутренний номер доверенности", max_len=50)
        c.date(poa.internal_date, "дата внутренней регистрации доверенности")
    elif method == "5":
        if poa is None or poa.electronic:
            c.add("Способ подтверждения полномочий 5 требует сведений о доверенности на бумаге")
            return
        c.text(poa.internal_number, "номер бумажной доверенности подписанта", max_len=50, required=True)
        c.date(poa.issue_date, "дата выдачи доверенности подписанта", required=True)
        c.text(poa.principal_info, "сведения о доверителе", max_len=1000)
        for value, part in ((poa.principal_last_name, "фамилия"), (poa.principal_first_name, "имя"),
                            (poa.principal_middle_name, "отчество")):
            c.text(value, f"{part} лица, подписавшего доверенность", max_len=60)
        if _s(poa.principal_last_name) or _s(poa.principal_first_name):
            if not (_s(poa.principal_last_name) and _s(poa.principal_first_name)):
                c.add("Для лица, подписавшего доверенность, нужны и фамилия, и имя")


def _line_label(line: Line, index: int) -> str:
    return f"Строка {getattr(line, 'number', None) or index + 1}"


def _check_line(c: _Checks, line: Line, index: int, function: str):
    label = _line_label(line, index)
    if not isinstance(line, Line):
        c.add(f"{label}: ожидается объект Line")
        return
    invoice = function in ("СЧФ", "СЧФДОП")
    if not _s(line.name):
        c.add(f"{label}: не указано наименование товара (работы, услуги)")
    c.text(line.name, f"наименование товара ({label.lower()})", max_len=2000)

    # unit of measure
    unit = _s(line.unit_name)
    code = _s(line.okei_code) or (okei.lookup(unit) if unit else None)
    if not code:
        if unit:
            c.add(f"Нет кода ОКЕИ для единицы «{unit}» ({label.lower()})")
        else:
            c.add(f"{label}: не указана единица измерения (код ОКЕИ)")
    elif not okei.is_code(code):
        c.add(f"{label}: неверный код ОКЕИ «{code}» (нужно 3 или 4 цифры)")
    elif not unit and okei.unit_name(code) is None:
        c.add(f"{label}: не указано наименование единицы измерения для кода ОКЕИ {code}")
    c.text(unit, f"единица измерения ({label.lower()})", max_len=255)

    # VAT rate
    rate = line.vat_rate
    if rate not in VAT_RATES:
        c.add(f"{label}: неизвестная ставка НДС «{rate}»; допустимы: {', '.join(VAT_RATES)}")
        rate = None

    quantity = c.decimal(line.quantity, f"количество ({label.lower()})")
    price = c.decimal(line.price, f"цена ({label.lower()})")
    values = {}
    for attr, name in (("amount_without_vat", "стоимость без НДС"), ("vat_amount", "сумма НДС"),
                       ("amount_with_vat", "стоимость с НДС")):
        values[attr] = c.decimal(getattr(line, attr), f"{name} ({label.lower()})")
    excise = c.decimal(line.excise_amount, f"акциз ({label.lower()})", required=False)

    numbers = [v for v in (quantity, price, *values.values(), excise) if v is not None]
    if any(v < 0 for v in numbers):
        c.add(f"{label}: отрицательное количество или сумма — это возврат или корректировка. "
              f"Корректировочный документ (УКД) этим генератором не формируется; оформите "
              f"возврат отдельным УКД")
        return
    if quantity is not None:
        if quantity == 0:
            c.add(f"{label}: количество должно быть больше нуля")
        elif quantity.quantize(_PRICE_PLACES, rounding=ROUND_HALF_UP) == 0:
            c.add(f"{label}: количество меньше 0,00000000001")
        elif quantity.adjusted() >= 15:
            c.add(f"{label}: слишком большое количество {quantity}")
    if price is not None:
        if price == 0 and invoice:
            c.add(f"{label}: цена должна быть больше нуля (счёт-фактура, функция {function})")
        elif price.adjusted() >= 15:
            c.add(f"{label}: слишком большая цена {price}")
    for attr, name in (("amount_without_vat", "стоимость без НДС"), ("vat_amount", "сумма НДС"),
                       ("amount_with_vat", "стоимость с НДС")):
        value = values[attr]
        if value is not None:
            if value != value.quantize(am.KOPECK):
                c.add(f"{label}: {name} {value} — больше двух знаков после запятой (нужно в копейках)")
                values[attr] = None
            elif value.adjusted() >= 17:
                c.add(f"{label}: слишком большая сумма {value}")
                values[attr] = None
    if excise is not None and excise != excise.quantize(am.KOPECK):
        c.add(f"{label}: акциз {excise} — больше двух знаков после запятой")

    without, vat, with_vat = values["amount_without_vat"], values["vat_amount"], values["amount_with_vat"]
    if None not in (without, vat, with_vat):
        if without + vat != with_vat:
            c.add(f"{label}: стоимость с НДС {_money(with_vat)} не равна стоимости без НДС "
                  f"{_money(without)} + НДС {_money(vat)} = {_money(without + vat)}")
        elif rate is not None:
            percent, included = am.parse_rate(rate)
            if not percent:
                if vat != 0:
                    c.add(f"{label}: при ставке «{rate}» сумма НДС должна быть 0, а не {_money(vat)}")
            else:
                expected = am.vat_of(with_vat, rate, included=True) if included else am.vat_of(without, rate)
                if abs(expected - vat) > am.KOPECK:
                    base = with_vat if included else without
                    c.add(f"{label}: НДС {_money(vat)} не соответствует ставке {rate} от "
                          f"{_money(base)} (ожидается {_money(expected)})")
            if quantity is not None and price is not None and quantity > 0:
                gross = am.money(price * quantity)
                base, base_name = (with_vat, "стоимость с НДС") if included else (without, "стоимость без НДС")
                if abs(gross - base) > am.KOPECK:
                    c.add(f"{label}: {base_name} {_money(base)} не равна цене × количество = "
                          f"{_number(price)} × {_number(quantity)} = {_money(gross)}")

    # marking
    for kiz in line.marking_codes or ():
        if not _s(kiz):
            c.add(f"{label}: пустой код маркировки (КИЗ)")
        else:
            c.text(kiz, f"код маркировки ({label.lower()})", max_len=255)
    for pack in line.package_codes or ():
        if not _s(pack):
            c.add(f"{label}: пустой код упаковки")
        else:
            c.text(pack, f"код упаковки ({label.lower()})", max_len=255)

    country = _s(line.country_code)
    if country:
        if not re.match(r"^[0-9]{3}$", country):
            c.add(f"{label}: неверный код страны происхождения «{country}» (цифровой код ОКСМ, 3 цифры)")
        elif not _s(line.country_name) and country not in COUNTRIES:
            c.add(f"{label}: не указано краткое наименование страны происхождения {country}")
    elif _s(line.customs_declaration):
        c.add(f"{label}: указан номер декларации на товары, но не указана страна происхождения")
    c.text(line.country_name, f"страна происхождения ({label.lower()})", max_len=255)
    c.text(line.customs_declaration, f"номер декларации на товары ({label.lower()})", max_len=29)
    c.text(line.article, f"артикул ({label.lower()})", max_len=50)
    c.text(line.code, f"код товара ({label.lower()})", max_len=100)
    c.text(line.characteristic, f"характеристика товара ({label.lower()})", max_len=1000)
    gtin = _s(line.gtin)
    if gtin and (not _DIGITS.match(gtin) or len(gtin) not in (8, 12, 13, 14)):
        c.add(f"{label}: неверный GTIN «{gtin}» (8, 12, 13 или 14 цифр)")
    kind = _s(line.kind)
    if kind and kind not in ("1", "2", "3", "4", "5"):
        c.add(f"{label}: неверный признак товар/работа/услуга «{kind}» (1–5)")
    tnved = _s(line.tnved_code)
    if tnved and not re.match(r"^[0-9]{10}$", tnved):
        c.add(f"{label}: код ТН ВЭД должен содержать 10 цифр")
    okpd2 = _s(line.okpd2_code)
    if okpd2:
        c.text(okpd2, f"код ОКПД2 ({label.lower()})", max_len=12, min_len=2)


def check_document(doc: Document) -> List[str]:
    """Every problem that prevents the УПД from being made, as messages in Russian; [] if none."""
    c = _Checks()
    if not isinstance(doc, Document):
        return ["Ожидается объект Document"]
    if doc.is_credit_note:
        c.add("Документ — корректировка (возврат): корректировочный документ (УКД) этим "
              "генератором не формируется; УПД делается только для отгрузки")
        return c.errors
    function = doc.function
    if function not in FUNCTIONS:
        c.add(f"Неизвестная функция документа «{function}»: допустимы {', '.join(FUNCTIONS)}")
        return c.errors

    c.text(doc.number, "номер документа", max_len=1000, required="Не указан номер документа")
    c.date(doc.date, "дата документа", required=True)
    currency = _s(doc.currency_code)
    if not re.match(r"^[0-9]{3}$", currency):
        c.add(f"Неверный код валюты «{currency}» (цифровой код ОКВ из 3 цифр, рубль — 643)")
    elif not _s(doc.currency_name) and currency not in CURRENCIES:
        c.add(f"Не указано наименование валюты {currency}")
    c.text(doc.currency_name, "наименование валюты", max_len=100)
    if doc.currency_rate is not None:
        rate = c.decimal(doc.currency_rate, "курс валюты")
        if rate is not None and (rate <= 0 or rate != rate.quantize(Decimal("0.0001"))
                                 or rate.adjusted() >= 6):
            c.add(f"Неверный курс валюты {rate}: положительное число, не более 4 знаков после запятой")

    _check_party(c, doc.seller, "seller", function)
    _check_party(c, doc.buyer, "buyer", function)
    if doc.consignor is not None and doc.consignor_same_as_seller:
        c.add("Грузоотправитель указан и отдельно, и как «он же»: оставьте что-то одно")
    elif doc.consignor is not None:
        _check_party(c, doc.consignor, "consignor", function)
    if doc.consignee is not None:
        _check_party(c, doc.consignee, "consignee", function)

    # НаимДокОпр: required for СЧФДОП / ДОП (a default is used), forbidden for СЧФ
    if function == "СЧФ":
        if _s(doc.document_name):
            c.add("Для счёта-фактуры (функция СЧФ) наименование первичного документа "
                  "(НаимДокОпр) не указывается: уберите его или выберите функцию СЧФДОП")
        if not doc.shipping_documents:
            c.add("Для счёта-фактуры (функция СЧФ) не указан документ об отгрузке "
                  "(строка 5а, ДокПодтвОтгрНом)")
    else:
        c.text(doc.document_name, "наименование первичного документа (НаимДокОпр)", max_len=255)
    c.text(doc.fact_name, "наименование документа по факту хозяйственной жизни", max_len=255)
    for i, ref in enumerate(doc.shipping_documents or ()):
        _check_ref(c, ref, f"документ об отгрузке {i + 1}")
    for i, ref in enumerate(doc.basis_documents or ()):
        _check_ref(c, ref, f"основание передачи {i + 1}")
    for i, pay in enumerate(doc.payment_documents or ()):
        c.text(pay.number, f"номер платёжного документа {i + 1}", max_len=30)
        c.date(pay.date, f"дата платёжного документа {i + 1}")
        if pay.amount is not None:
            amount = c.decimal(pay.amount, f"сумма платёжного документа {i + 1}")
            if amount is not None and amount != amount.quantize(am.KOPECK):
                c.add(f"Сумма платёжного документа {i + 1}: больше двух знаков после запятой")

    # ТаблСчФакт: required for СЧФ / СЧФДОП; the generator always writes the rows
    lines = list(doc.lines or ())
    if not lines:
        if function in ("СЧФ", "СЧФДОП"):
            c.add(f"Нет строк с товарами (работами, услугами): таблица счёта-фактуры (ТаблСчФакт) "
                  f"обязательна для функции {function}")
        else:
            c.add("Нет строк с товарами (работами, услугами)")
    seen = set()
    for index, line in enumerate(lines):
        _check_line(c, line, index, function)
        number = line.number if isinstance(line, Line) else None
        number = number or index + 1
        if not isinstance(number, int) or number <= 0 or number > 999999:
            c.add(f"Неверный номер строки {number!r}: целое число от 1 до 999999")
        elif number in seen:
            c.add(f"Номер строки {number} повторяется")
        seen.add(number)

    # СвПродПер: required for ДОП / СЧФДОП
    if function in ("ДОП", "СЧФДОП"):
        start, end = doc.service_period_start, doc.service_period_end
        c.date(doc.shipment_date, "дата отгрузки (передачи)")
        c.date(start, "дата начала периода")
        c.date(end, "дата окончания периода")
        if bool(start) != bool(end) and not doc.shipment_date:
            c.add("Для периода оказания услуг нужны и дата начала, и дата окончания")
        if start and end and isinstance(start, datetime.date) and isinstance(end, datetime.date) and start > end:
            c.add("Дата начала периода позже даты окончания")
        c.text(doc.shipment_description, "содержание операции", max_len=255)
        c.text(doc.operation_kind, "вид операции", max_len=255)
        c.text(doc.transport_info, "сведения о транспортировке", max_len=1000)
        if doc.shipped_by is not None:
            _check_signer(c, doc.shipped_by, "лицо, передавшее товар", "лица, передавшего товар (СвЛицПер)",
                          need_position=True)
        elif doc.signer is not None and not _s(doc.signer.position):
            c.add("Не указана должность подписанта: она нужна как должность лица, передавшего товар "
                  "(СвЛицПер), для функции " + function)
    _check_signer(c, doc.signer, "подписант", "подписанта", need_position=False)
    if doc.signer is not None:
        _check_signer_authority(c, doc.signer)

    # the file name
    ids_ok = True
    for value, label, tag in ((doc.sender_id, "отправителя", "ИдОтпр"), (doc.receiver_id, "получателя", "ИдПол")):
        text = _s(value)
        if not text:
            c.add(f"Не указан идентификатор {label} в системе ЭДО ({tag})")
            ids_ok = False
        elif not _EDO_ID.match(text):
            c.add(f"Идентификатор {label} в системе ЭДО «{text}» содержит недопустимые символы "
                  f"(допустимы латинские буквы, цифры и дефис, до 100 символов)")
            ids_ok = False
    if ids_ok:
        receiver, sender = _s(doc.receiver_id), _s(doc.sender_id)
        length = _FILE_ID_FIXED + len(receiver) + len(sender)
        if length > FILE_ID_MAX:
            c.add(f"Идентификатор файла (ИдФайл) получится длиной {length} символов, а допускается до "
                  f"{FILE_ID_MAX}: его удлиняют идентификаторы участников ЭДО — получателя (ИдПол, "
                  f"{len(receiver)} символов) и отправителя (ИдОтпр, {len(sender)} символов); вместе они "
                  f"могут занимать не больше {FILE_ID_MAX - _FILE_ID_FIXED} символов. Проверьте их "
                  f"у оператора ЭДО")
    if _s(doc.file_uuid) and not _UUID.match(_s(doc.file_uuid)):
        c.add(f"Неверный GUID файла «{doc.file_uuid}»: нужно 36 символов вида "
              f"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
    c.text(doc.program_version, "версия программы", max_len=40, required=True)
    gov = c.text(doc.government_contract_id, "идентификатор государственного контракта", max_len=25)
    if gov and not 20 <= len(gov) <= 25:
        c.add("Идентификатор государственного контракта должен содержать от 20 до 25 символов")
    if not isinstance(doc.info_fields or {}, dict):
        c.add("Информационные поля (info_fields) должны быть словарём «идентификатор → значение»")
        return c.errors
    for key, value in (doc.info_fields or {}).items():
        c.text(key, "идентификатор информационного поля", max_len=50, required=True)
        c.text(value, f"значение информационного поля «{key}»", max_len=2000, required=True)
    return c.errors


# ----------------------------------------------------------------------------- building

def _set(element, key: str, value: str):
    """``element.set`` that names the attribute when its value cannot be written (a value
    that escaped ``check_document``), instead of lxml's bare UnicodeEncodeError."""
    try:
        element.set(key, value)
    except (ValueError, UnicodeError):
        raise UpdError([unwritable_problem(value, f"{element.tag}/@{key}")
                        or f"{element.tag}/@{key}: значение не может быть записано в XML"]) from None


def _sub(parent, tag: str, attrs=None, text=None):
    values = {key: value for key, value in attrs.items() if value is not None and value != ""} if attrs else {}
    try:
        element = etree.SubElement(parent, tag, values)
    except (ValueError, UnicodeError):  # name the value that cannot be written
        element = etree.SubElement(parent, tag)
        for key, value in values.items():
            _set(element, key, value)
    if text is not None:
        try:
            element.text = text
        except (ValueError, UnicodeError):
            raise UpdError([unwritable_problem(text, tag) or f"{tag}: текст не может быть записан в XML"]) from None
    return element


def _fio(parent, obj, tag="ФИО"):
    last, first, middle = _fio_parts(obj)
    return _sub(parent, tag, {"Фамилия": last, "Имя": first, "Отчество": middle})


def _address(parent, address: Address):
    adr = _sub(parent, "Адрес")
    region = _s(address.region_code)
    if region:
        _sub(adr, "АдрРФ", {
            "Индекс": _s(address.postal_code),
            "КодРегион": region,
            "НаимРегион": _s(address.region_name) or REGIONS.get(region),
            "Район": _s(address.district),
            "Город": _s(address.city),
            "НаселПункт": _s(address.locality),
            "Улица": _s(address.street),
            "Дом": _s(address.house),
            "Корпус": _s(address.building),
            "Кварт": _s(address.apartment),
            "ИныеСвед": _s(address.other),
        })
    else:
        code = _s(address.country_code)
        _sub(adr, "АдрИнф", {
            "КодСтр": code,
            "НаимСтран": _s(address.country_name) or COUNTRIES.get(code),
            "АдрТекст": _s(address.text),
        })


def _party(parent, tag: str, party: Party):
    el = _sub(parent, tag, {
        "ОКПО": _s(party.okpo),
        "СтруктПодр": _s(party.department),
        "ИнфДляУчаст": _s(party.info),
        "СокрНаим": _s(party.short_name),
    })
    ids = _sub(el, "ИдСв")
    if party.kind == "legal":
        _sub(ids, "СвЮЛУч", {"НаимОрг": _s(party.name), "ИННЮЛ": _s(party.inn), "КПП": _s(party.kpp)})
    elif party.kind == "entrepreneur":
        ip = _sub(ids, "СвИП", {
            "ИННФЛ": _s(party.inn),
            "СвГосРегИП": _s(party.registration_certificate),
            "ОГРНИП": _s(party.ogrnip),
            "ДатаОГРНИП": _date(party.ogrnip_date) if party.ogrnip_date else None,
            "ИныеСвед": _s(party.other_info),
        })
        _fio(ip, party)
    elif party.kind == "foreign":
        code = _s(party.foreign_country_code)
        _sub(ids, "СвИнНеУч", {
            "ИдСтат": _s(party.foreign_status) or "ИО",
            "КодСтр": code,
            "НаимСтран": _s(party.foreign_country_name) or COUNTRIES.get(code),
            "Наим": _s(party.name),
            "Идентиф": _s(party.foreign_id),
            "ИныеСвед": _s(party.other_info),
        })
    else:  # person
        fl = _sub(ids, "СвФЛУч", {"ИННФЛ": _s(party.inn), "ИныеСвед": _s(party.other_info)})
        _fio(fl, party)
    if party.address is not None and (_s(party.address.region_code) or _s(party.address.text)):
        _address(el, party.address)
    bank = party.bank
    if bank is not None and any(_s(v) for v in (bank.account, bank.bank_name, bank.bic, bank.correspondent_account)):
        br = _sub(el, "БанкРекв", {"НомерСчета": _s(bank.account)})
        if any(_s(v) for v in (bank.bank_name, bank.bic, bank.correspondent_account)):
            _sub(br, "СвБанк", {"НаимБанк": _s(bank.bank_name), "БИК": _s(bank.bic),
                                "КорСчет": _s(bank.correspondent_account)})
    contact = party.contact
    if contact is not None and (contact.phones or contact.emails or _s(contact.other)):
        ct = _sub(el, "Контакт", {"ИнКонт": _s(contact.other)})
        for phone in contact.phones or ():
            if _s(phone):
                _sub(ct, "Тлф", text=_s(phone))
        for email in contact.emails or ():
            if _s(email):
                _sub(ct, "ЭлПочта", text=_s(email))
    return el


def _ref(parent, tag: str, ref: DocumentRef):
    return _sub(parent, tag, {
        "РеквНаимДок": _s(ref.name),
        "РеквНомерДок": _s(ref.number),
        "РеквДатаДок": _date(ref.date),
        "РеквИдДок": _s(ref.doc_id),
        "РеквДопСведДок": _s(ref.extra),
    })


def _gtin14(gtin: str) -> str:
    return gtin.rjust(14, "0") if gtin else ""


def _line(table, line: Line, number: int):
    unit = _s(line.unit_name)
    code = _s(line.okei_code) or okei.lookup(unit)
    unit = unit or okei.unit_name(code)
    row = _sub(table, "СведТов", {
        "НомСтр": str(number),
        "НаимТов": _s(line.name),
        "ОКЕИ_Тов": code,
        "НаимЕдИзм": unit,
        "КолТов": _number(am.to_decimal(line.quantity)),
        "ЦенаТов": _number(am.to_decimal(line.price)),
        "СтТовБезНДС": _money(am.to_decimal(line.amount_without_vat)),
        "НалСт": line.vat_rate,
        "СтТовУчНал": _money(am.to_decimal(line.amount_with_vat)),
    })
    country = _s(line.country_code)
    if country or _s(line.customs_declaration):
        _sub(row, "СвДТ", {"КодПроисх": country, "НомерДТ": _s(line.customs_declaration)})
    extra = {
        "ПрТовРаб": _s(line.kind),
        "ХарактерТов": _s(line.characteristic),
        "АртикулТов": _s(line.article),
        "КодТов": _s(line.code),
        "ГТИН": _gtin14(_s(line.gtin)),
        "КодВидТов": _s(line.tnved_code),
        "КодТовОКПД2": _s(line.okpd2_code),
    }
    marks = [_s(k) for k in line.marking_codes or () if _s(k)]
    packs = [_s(p) for p in line.package_codes or () if _s(p)]
    if country or marks or packs or any(extra.values()):
        dop = _sub(row, "ДопСведТов", extra)
        if country:
            _sub(dop, "КрНаимСтрПр", text=_s(line.country_name) or COUNTRIES.get(country))
        if marks:
            ident = _sub(dop, "НомСредИдентТов")
            for kiz in marks:
                _sub(ident, "КИЗ", text=kiz)
        if packs:
            ident = _sub(dop, "НомСредИдентТов")
            for pack in packs:
                _sub(ident, "НомУпак", text=pack)
    excise = _sub(row, "Акциз")
    if line.excise_amount is None:
        _sub(excise, "БезАкциз", text="без акциза")
    else:
        _sub(excise, "СумАкциз", text=_money(am.to_decimal(line.excise_amount)))
    tax = _sub(row, "СумНал")
    if line.vat_rate == "без НДС":
        _sub(tax, "БезНДС", text="без НДС")
    else:
        _sub(tax, "СумНал", text=_money(am.to_decimal(line.vat_amount)))
    return row


def file_id(doc: Document, now: datetime.datetime) -> str:
    """ИдФайл: ``ON_NSCHFDOPPR_<ИдПол>_<ИдОтпр>_<ГГГГММДД>_<GUID>``."""
    guid = _s(doc.file_uuid).lower() or str(uuid.uuid4())
    return "_".join((FILE_PREFIX, _s(doc.receiver_id), _s(doc.sender_id), now.strftime("%Y%m%d"), guid))


def build_tree(doc: Document, *, now: Optional[datetime.datetime] = None) -> Tuple[str, etree._Element]:
    """The checked document as an lxml tree: ``(ИдФайл, root)``.  Raises UpdError."""
    errors = check_document(doc)
    if errors:
        raise UpdError(errors)
    now = now or datetime.datetime.now()
    function = doc.function
    ident = file_id(doc, now)

    root = etree.Element("Файл")
    _set(root, "ИдФайл", ident)
    _set(root, "ВерсФорм", FORMAT_VERSION)
    _set(root, "ВерсПрог", _s(doc.program_version))

    seller = doc.seller
    seller_name = seller.display_name()
    composer = f"{seller_name}, ИНН: {_s(seller.inn)}" if _s(seller.inn) else seller_name
    document = _sub(root, "Документ", {
        "КНД": KND,
        "Функция": function,
        "ПоФактХЖ": (_s(doc.fact_name) or FACT_NAME) if function != "СЧФ" else _s(doc.fact_name),
        "НаимДокОпр": (_s(doc.document_name) or DOCUMENT_NAMES[function]) if function != "СЧФ" else None,
        "ДатаИнфПр": _date(now),
        "ВремИнфПр": now.strftime("%H.%M.%S"),
        "НаимЭконСубСост": composer[:1000],
    })

    # --- СвСчФакт: participants
    inv = _sub(document, "СвСчФакт", {"НомерДок": _s(doc.number), "ДатаДок": _date(doc.date)})
    _party(inv, "СвПрод", seller)
    if doc.consignor_same_as_seller:
        _sub(_sub(inv, "ГрузОт"), "ОнЖе", text="он же")
    elif doc.consignor is not None:
        _party(_sub(inv, "ГрузОт"), "ГрузОтпр", doc.consignor)
    if doc.consignee is not None:
        _party(inv, "ГрузПолуч", doc.consignee)
    for pay in doc.payment_documents or ():
        _sub(inv, "СвПРД", {
            "НомерПРД": _s(pay.number),
            "ДатаПРД": _date(pay.date) if pay.date else None,
            "СуммаПРД": _money(am.to_decimal(pay.amount)) if pay.amount is not None else None,
        })
    shipping = list(doc.shipping_documents or ())
    if not shipping and function == "СЧФДОП":
        shipping = [DocumentRef(SELF_SHIPPING_DOCUMENT, _s(doc.number), doc.date)]
    for ref in shipping:
        _ref(inv, "ДокПодтвОтгрНом", ref)
    _party(inv, "СвПокуп", doc.buyer)
    currency = _s(doc.currency_code)
    _sub(inv, "ДенИзм", {
        "КодОКВ": currency,
        "НаимОКВ": _s(doc.currency_name) or CURRENCIES.get(currency),
        "КурсВал": str(am.to_decimal(doc.currency_rate)) if doc.currency_rate is not None else None,
    })
    if _s(doc.government_contract_id):
        _sub(inv, "ДопСвФХЖ1", {"ИдГосКон": _s(doc.government_contract_id)})
    if doc.info_fields:
        info = _sub(inv, "ИнфПолФХЖ1")
        for key, value in doc.info_fields.items():
            _sub(info, "ТекстИнф", {"Идентиф": _s(key), "Значен": _s(value)})

    # --- ТаблСчФакт
    table = _sub(document, "ТаблСчФакт")
    rows = []
    for index, line in enumerate(doc.lines):
        _line(table, line, line.number or index + 1)
        rows.append(am.Amounts(am.to_decimal(line.amount_without_vat), am.to_decimal(line.vat_amount),
                               am.to_decimal(line.amount_with_vat)))
    totals = am.total(rows)
    total_el = _sub(table, "ВсегоОпл", {
        "СтТовБезНДСВсего": _money(totals.amount_without_vat),
        "СтТовУчНалВсего": _money(totals.amount_with_vat),
    })
    total_tax = _sub(total_el, "СумНалВсего")
    if all(line.vat_rate == "без НДС" for line in doc.lines):
        _sub(total_tax, "БезНДС", text="без НДС")
    else:
        _sub(total_tax, "СумНал", text=_money(totals.vat_amount))

    # --- СвПродПер
    if function in ("ДОП", "СЧФДОП"):
        transfer = _sub(document, "СвПродПер")
        start, end = doc.service_period_start, doc.service_period_end
        period = bool(start and end)
        ship_date = doc.shipment_date or (None if period else doc.date)
        sv = _sub(transfer, "СвПер", {
            "СодОпер": _s(doc.shipment_description) or DEFAULT_OPERATION,
            "ВидОпер": _s(doc.operation_kind),
            "ДатаПер": _date(ship_date) if ship_date else None,
            "ДатаНачПер": _date(start) if period else None,
            "ДатаОконПер": _date(end) if period else None,
        })
        if doc.basis_documents:
            for ref in doc.basis_documents:
                _ref(sv, "ОснПер", ref)
        else:
            _sub(sv, "БезДокОснПер", text="1")
        shipper = doc.shipped_by or doc.signer
        person = _sub(_sub(sv, "СвЛицПер"), "РабОргПрод", {"Должность": _s(shipper.position)})
        _fio(person, shipper)
        if _s(doc.transport_info):
            _sub(sv, "Тран", {"СвТран": _s(doc.transport_info)})

    # --- Подписант
    signer = doc.signer
    method = _s(signer.authority_method)
    sign = _sub(document, "Подписант", {
        "Должн": _s(signer.position),
        "ТипПодпис": _s(signer.signature_type),
        "ДатаПодДок": _date(signer.sign_date) if signer.sign_date else None,
        "СпосПодтПолном": method,
        "ДопСведПодп": _s(signer.authority_basis),
    })
    _fio(sign, signer)
    poa = signer.power_of_attorney
    if method == "3":
        _sub(sign, "СвДоверЭл", {
            "НомДовер": _s(poa.number),
            "ДатаВыдДовер": _date(poa.issue_date),
            "ВнНомДовер": _s(poa.internal_number),
            "ДатаВнРегДовер": _date(poa.internal_date) if poa.internal_date else None,
            "ИдСистХран": _s(poa.system_id),
            "УРЛСист": _s(poa.system_url),
        })
    elif method == "5":
        paper = _sub(sign, "СвДоверБум", {
            "ДатаВыдДовер": _date(poa.issue_date),
            "ВнНомДовер": _s(poa.internal_number),
            "СвИдДовер": _s(poa.principal_info),
        })
        if _s(poa.principal_last_name) and _s(poa.principal_first_name):
            _sub(paper, "ФИО", {"Фамилия": _s(poa.principal_last_name),
                                "Имя": _s(poa.principal_first_name),
                                "Отчество": _s(poa.principal_middle_name)})
    return ident, root


def build_upd(doc: Document, *, now: Optional[datetime.datetime] = None,
              validate: bool = False) -> Tuple[str, bytes]:
    """The УПД file of ``doc``: ``(file_name, xml_bytes)``.

    ``file_name`` is ``<ИдФайл>.xml``; ``xml_bytes`` is encoded windows-1251 with its XML
    declaration.  ``now`` (a datetime, default the local time) gives ДатаИнфПр/ВремИнфПр and
    the date in ИдФайл.  Raises :class:`UpdError` listing every problem before anything is
    built.  With ``validate=True`` the result is also checked against the 5.03 XSD (needs the
    schema files, see ``xsd.xsd_dir``) and an UpdError is raised if it does not pass.
    """
    ident, root = build_tree(doc, now=now)
    data = etree.tostring(root, encoding=ENCODING, xml_declaration=False, pretty_print=True)
    data = b'<?xml version="1.0" encoding="windows-1251"?>\n' + data
    if validate:
        from . import xsd

        problems = xsd.validate(data, FORMAT_VERSION)
        if problems:
            raise UpdError(["Файл не прошёл проверку по схеме XSD ФНС: " + p for p in problems])
    return ident + ".xml", data
