"""Read an incoming УПД (the seller's title, ФНС formats 5.01, 5.02 and 5.03).

``parse_upd(xml_bytes)`` gives a :class:`ParsedUpd`: function, number, date, seller and
buyer (name, ИНН, КПП), currency, the lines with their amounts, the totals.  It is meant
for documents counteragents send us -- e.g. a marketplace's commission УПД -- so it
trusts nothing: the XML is parsed without DTDs, entities or network (a DOCTYPE is refused
outright), sizes are bounded, and every problem is an :class:`UpdParseError` whose text
says what is wrong and where.

The encoding is the one the XML declaration names (ФНС files are windows-1251); ``str``
input is accepted too.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

#: the document's КНД: seller's title of the УПД / счёт-фактура
KND_SELLER_TITLE = "1115131"
KND_NAMES = {
    "1115131": "seller's title of an УПД",
    "1115132": "buyer's title of an УПД (not a seller's title)",
    "1115133": "seller's title of an УКД (corrective document)",
    "1115134": "buyer's title of an УКД",
    "1115125": "seller's title of an УПД (format 5.01, ПП 1137)",
}
SUPPORTED_VERSIONS = ("5.01", "5.02", "5.03")
FUNCTIONS = ("СЧФ", "СЧФДОП", "ДОП", "СвРК", "СвЗК")
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 20000
MAX_TEXT = 1000
#: how far the sum of the lines may be off the document's totals before a warning
TOLERANCE = Decimal("0.05")


class UpdParseError(ValueError):
    """The input is not a readable seller's title of an УПД; the text says why."""


@dataclass(frozen=True)
class UpdParty:
    name: str
    inn: str = ""
    kpp: str = ""
    #: "org" (ЮЛ), "ip" (ИП), "person" (ФЛ), "foreign" (иностранное лицо)
    kind: str = "org"


@dataclass(frozen=True)
class UpdLine:
    number: int
    name: str
    okei: str  # unit code (ОКЕИ), "" when absent
    unit_name: str
    quantity: Decimal  # None when absent (services)
    price: Decimal  # None when absent
    amount_without_vat: Decimal  # None when the document has "-"
    vat_rate: str  # as written: "20%", "22%", "10/110", "без НДС", "НДС исчисляется налоговым агентом"
    vat_amount: Decimal  # 0 for "без НДС", None when absent
    amount_with_vat: Decimal
    excise: Decimal = None
    article: str = ""
    code: str = ""
    gtin: str = ""
    marking_codes: tuple = ()


@dataclass(frozen=True)
class UpdTotals:
    amount_without_vat: Decimal  # None when absent
    vat_amount: Decimal  # None when absent ("-")
    amount_with_vat: Decimal


@dataclass(frozen=True)
class ParsedUpd:
    format_version: str  # 5.01 / 5.02 / 5.03
    file_id: str  # ИдФайл
    knd: str
    function: str
    number: str
    date: date
    seller: UpdParty
    buyer: UpdParty
    currency: str  # ОКВ code, "643" for roubles
    currency_name: str
    lines: tuple
    totals: UpdTotals
    #: inconsistencies worth a look that do not make the document unreadable
    warnings: tuple = ()
    document_name: str = ""  # НаимДокОпр
    economic_subject: str = ""  # НаимЭконСубСост (who drew the document up)
    correction_number: str = ""  # НомИспр (5.02+) / НомИспрСчФ (5.01)


@dataclass(frozen=True)
class UpdHeader:
    """What an operator needs before sending: the ФНС file's identity."""

    file_id: str
    format_version: str
    knd: str
    function: str
    root: str


# --- safe XML ----------------------------------------------------------------------------
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_FORBIDDEN = (b"<!doctype", b"<!entity")


def _parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True, remove_comments=True)


def parse_xml(data, max_bytes=MAX_BYTES):
    """Parse untrusted XML safely; -> root element.  DOCTYPE / entities are refused."""
    if isinstance(data, str):
        data = _DECL.sub("", data, count=1).lstrip("\ufeff").encode("utf-8")
    elif isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise UpdParseError(f"Expected the XML file's bytes, got {type(data).__name__}")
    if not data.strip():
        raise UpdParseError("The file is empty")
    if len(data) > max_bytes:
        raise UpdParseError(f"The file is too large ({len(data)} bytes, at most {max_bytes})")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UpdParseError("UTF-16 files are not ФНС XML (windows-1251 or UTF-8 expected)")
    head = data[:4096].lower()
    if any(marker in head for marker in _FORBIDDEN) or b"<!entity" in data.lower():
        raise UpdParseError("The XML declares a DTD or entities (<!DOCTYPE>/<!ENTITY>); refused")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UpdParseError(f"Not well-formed XML: {_short(str(exc))}") from None
    except (ValueError, LookupError) as exc:  # unknown encoding in the declaration etc.
        raise UpdParseError(f"Unreadable XML: {_short(str(exc))}") from None
    if root is None:
        raise UpdParseError("Not XML")
    if root.getroottree().docinfo.doctype:
        raise UpdParseError("The XML declares a DTD (<!DOCTYPE>); refused")
    return root


def _short(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _local(tag):
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _child(el, name):
    if el is None:
        return None
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _children(el, name):
    if el is None:
        return []
    return [child for child in el if _local(child.tag) == name]


def _path(el, *names):
    for name in names:
        el = _child(el, name)
        if el is None:
            return None
    return el


def _text(value):
    if value is None:
        return ""
    value = " ".join(str(value).split())
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    return value


def _attr(el, name):
    return _text(el.get(name)) if el is not None else ""


# --- header --------------------------------------------------------------------------------
def sniff_upd(data):
    """-> UpdHeader (file id, format version, КНД, function) of a ФНС XML file."""
    root = parse_xml(data)
    return _header(root)


def _header(root):
    root_name = _local(root.tag)
    if root_name != "Файл":
        raise UpdParseError(
            f"The root element is <{root_name}>, not <Файл>: not a ФНС УПД file"
            + (" (this looks like Diadoc's simplified UserDataXml)" if root_name == "UniversalTransferDocument" else ""))
    doc = _child(root, "Документ")
    if doc is None:
        raise UpdParseError("<Файл> has no <Документ>")
    return UpdHeader(file_id=_attr(root, "ИдФайл"), format_version=_attr(root, "ВерсФорм"),
                     knd=_attr(doc, "КНД"), function=_attr(doc, "Функция"), root=root_name)


# --- numbers and dates -----------------------------------------------------------------
_NUMBER = re.compile(r"^-?\d{1,19}(\.\d{1,11})?$")


def _decimal(value, where, required=False, allow_negative=False):
    value = (value or "").strip()
    if not value or value == "-":
        if required:
            raise UpdParseError(f"{where}: missing")
        return None
    if not _NUMBER.match(value):
        raise UpdParseError(f"{where}: {_short(value, 40)!r} is not a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise UpdParseError(f"{where}: {_short(value, 40)!r} is not a number") from None
    if number < 0 and not allow_negative:
        raise UpdParseError(f"{where}: negative value {value}")
    return number


def _date(value, where):
    value = (value or "").strip()
    m = re.match(r"^(\d{2})\.(\d{2})\.(\d{4})$", value)
    if not m:
        raise UpdParseError(f"{where}: {_short(value, 40)!r} is not a date DD.MM.YYYY" if value
                            else f"{where}: missing")
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        raise UpdParseError(f"{where}: {value!r} is not a valid date") from None


# --- parties -------------------------------------------------------------------------------
def _fio(el):
    fio = _child(el, "ФИО")
    if fio is None:
        return ""
    return " ".join(p for p in (_attr(fio, "Фамилия"), _attr(fio, "Имя"), _attr(fio, "Отчество")) if p)


def _party(el, role):
    if el is None:
        raise UpdParseError(f"No {role} (<{'СвПрод' if role == 'seller' else 'СвПокуп'}>)")
    ids = _child(el, "ИдСв")
    if ids is None:
        raise UpdParseError(f"The {role} has no <ИдСв>")
    short_name = _attr(el, "СокрНаим")
    org = _child(ids, "СвЮЛУч")
    if org is not None:
        name, inn, kpp = _attr(org, "НаимОрг"), _attr(org, "ИННЮЛ"), _attr(org, "КПП")
        if not re.fullmatch(r"\d{10}", inn):
            raise UpdParseError(f"The {role}'s ИНН {inn!r} is not 10 digits")
        if kpp and not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", kpp):
            raise UpdParseError(f"The {role}'s КПП {kpp!r} is not valid")
        return UpdParty(name or short_name, inn, kpp, "org")
    ip = _child(ids, "СвИП")
    if ip is not None:
        inn = _attr(ip, "ИННФЛ")
        if not re.fullmatch(r"\d{12}", inn):
            raise UpdParseError(f"The {role}'s ИНН {inn!r} is not 12 digits")
        name = _fio(ip) or short_name
        return UpdParty(("ИП " + name) if name else "", inn, "", "ip")
    person = _child(ids, "СвФЛУч")
    if person is not None:
        inn = _attr(person, "ИННФЛ")
        if inn and not re.fullmatch(r"\d{12}", inn):
            raise UpdParseError(f"The {role}'s ИНН {inn!r} is not 12 digits")
        return UpdParty(_fio(person) or short_name, inn, "", "person")
    foreign = _child(ids, "СвИнНеУч")
    if foreign is not None:
        return UpdParty(_attr(foreign, "НаимОрг") or short_name, _attr(foreign, "Идентиф"), "", "foreign")
    raise UpdParseError(f"The {role}'s <ИдСв> names no organisation or person")


# --- amounts ---------------------------------------------------------------------------------
def _vat(el, where):
    """<СумНал>/<СумНалВсего>: -> (amount or None, marker)."""
    if el is None:
        return None, "missing"
    amount = _child(el, "СумНал")
    if amount is not None:
        return _decimal(amount.text, where, required=True), ""
    if _child(el, "БезНДС") is not None:
        return Decimal("0"), "без НДС"
    if _child(el, "ДефНДС") is not None:
        return None, "-"
    raise UpdParseError(f"{where}: neither an amount nor «без НДС»")


def _line(el, index, version):
    number_text = _attr(el, "НомСтр")
    where = f"line {number_text or index}"
    try:
        number = int(number_text)
    except ValueError:
        raise UpdParseError(f"{where}: НомСтр {number_text!r} is not a number") from None
    extra = _child(el, "ДопСведТов")
    name = _attr(el, "НаимТов")
    if not name:
        raise UpdParseError(f"{where}: no name of the goods (НаимТов)")
    vat_rate = _attr(el, "НалСт")
    if not vat_rate:
        raise UpdParseError(f"{where}: no VAT rate (НалСт)")
    okei = _attr(el, "ОКЕИ_Тов")
    if okei and not re.fullmatch(r"\d{3,4}", okei):
        raise UpdParseError(f"{where}: unit code ОКЕИ_Тов {okei!r} is not a code")
    unit_name = _attr(el, "НаимЕдИзм") or _attr(extra, "НаимЕдИзм")
    quantity = _decimal(el.get("КолТов"), f"{where}: quantity (КолТов)")
    price = _decimal(el.get("ЦенаТов"), f"{where}: price (ЦенаТов)")
    without = _decimal(el.get("СтТовБезНДС"), f"{where}: amount without VAT (СтТовБезНДС)")
    vat_amount, marker = _vat(_child(el, "СумНал"), f"{where}: VAT amount (СумНал)")
    if marker == "missing":
        raise UpdParseError(f"{where}: no VAT amount (<СумНал>)")
    total = _decimal(el.get("СтТовУчНал"), f"{where}: amount with VAT (СтТовУчНал)")
    if total is None:
        if without is not None and vat_amount is not None:
            total = without + vat_amount
        else:
            raise UpdParseError(f"{where}: no amount with VAT (СтТовУчНал)")
    excise_el = _child(el, "Акциз")
    excise = None
    if excise_el is not None and _child(excise_el, "СумАкциз") is not None:
        excise = _decimal(_child(excise_el, "СумАкциз").text, f"{where}: excise (СумАкциз)")
    codes = []
    for holder in (el, extra):
        ident = _child(holder, "НомСредИдентТов")
        if ident is not None:
            for tag in ("КИЗ", "НомУпак"):
                codes.extend((c.text or "").strip() for c in _children(ident, tag) if (c.text or "").strip())
    return UpdLine(
        number=number, name=name, okei=okei, unit_name=unit_name, quantity=quantity, price=price,
        amount_without_vat=without, vat_rate=vat_rate, vat_amount=vat_amount, amount_with_vat=total,
        excise=excise, article=_attr(extra, "АртикулТов"), code=_attr(extra, "КодТов"),
        gtin=_attr(extra, "ГТИН"), marking_codes=tuple(codes),
    )


# --- the document ------------------------------------------------------------------------
def parse_upd(data):
    """-> ParsedUpd of a seller's title (ФНС 5.01/5.02/5.03); raises UpdParseError."""
    root = parse_xml(data)
    header = _header(root)
    if header.format_version not in SUPPORTED_VERSIONS:
        raise UpdParseError(f"Unsupported format version ВерсФорм={header.format_version!r}; "
                            f"supported: {', '.join(SUPPORTED_VERSIONS)}")
    if header.knd != KND_SELLER_TITLE:
        what = KND_NAMES.get(header.knd, "not an УПД seller's title")
        raise UpdParseError(f"КНД {header.knd or '(none)'} is a {what}; expected {KND_SELLER_TITLE}")
    if header.function not in FUNCTIONS:
        raise UpdParseError(f"Unknown function Функция={header.function!r}")
    doc = _child(root, "Документ")
    inv = _child(doc, "СвСчФакт")
    if inv is None:
        raise UpdParseError("<Документ> has no <СвСчФакт>")
    if header.format_version == "5.01":
        number, date_text = _attr(inv, "НомерСчФ"), inv.get("ДатаСчФ")
        currency = _attr(inv, "КодОКВ")
        currency_name = _attr(_child(inv, "ДопСвФХЖ1"), "НаимОКВ")
        correction = _attr(_child(inv, "ИспрСчФ"), "НомИспрСчФ")
    else:
        number, date_text = _attr(inv, "НомерДок"), inv.get("ДатаДок")
        money = _child(inv, "ДенИзм")
        currency, currency_name = _attr(money, "КодОКВ"), _attr(money, "НаимОКВ")
        correction = _attr(_child(inv, "ИспрДок"), "НомИспр")
    if not number:
        raise UpdParseError("No document number (НомерДок/НомерСчФ)")
    doc_date = _date(date_text, "document date (ДатаДок/ДатаСчФ)")
    if not re.fullmatch(r"\d{3}", currency or ""):
        raise UpdParseError(f"Currency code КодОКВ {currency!r} is not a 3-digit ОКВ code")
    seller = _party(_child(inv, "СвПрод"), "seller")
    buyer = _party(_child(inv, "СвПокуп"), "buyer")

    table = _child(doc, "ТаблСчФакт")
    if table is None:
        raise UpdParseError("No goods table (<ТаблСчФакт>)")
    rows = _children(table, "СведТов")
    if not rows:
        raise UpdParseError("The goods table has no lines (<СведТов>)")
    if len(rows) > MAX_LINES:
        raise UpdParseError(f"Too many lines ({len(rows)}, at most {MAX_LINES})")
    lines = tuple(_line(row, i, header.format_version) for i, row in enumerate(rows, 1))

    all_el = _child(table, "ВсегоОпл")
    if all_el is None:
        raise UpdParseError("No totals (<ВсегоОпл>)")
    total_without = _decimal(all_el.get("СтТовБезНДСВсего"), "totals: amount without VAT (СтТовБезНДСВсего)")
    total_vat, marker = _vat(_child(all_el, "СумНалВсего"), "totals: VAT (СумНалВсего)")
    if marker == "missing":
        raise UpdParseError("totals: no VAT amount (<СумНалВсего>)")
    total_with = _decimal(all_el.get("СтТовУчНалВсего"), "totals: amount with VAT (СтТовУчНалВсего)")
    if total_with is None:
        raise UpdParseError("totals: no amount with VAT (СтТовУчНалВсего)")
    totals = UpdTotals(total_without, total_vat, total_with)

    warnings = []
    numbers = [line.number for line in lines]
    if len(set(numbers)) != len(numbers):
        warnings.append("line numbers (НомСтр) repeat")
    _check_sum(warnings, "amount with VAT", [line.amount_with_vat for line in lines], total_with)
    _check_sum(warnings, "amount without VAT", [line.amount_without_vat for line in lines], total_without)
    _check_sum(warnings, "VAT", [line.vat_amount for line in lines], total_vat)
    for line in lines:
        if line.quantity is not None and line.price is not None and line.amount_without_vat is not None:
            if abs(line.quantity * line.price - line.amount_without_vat) > max(TOLERANCE, line.quantity * Decimal("0.01")):
                warnings.append(f"line {line.number}: quantity × price = {line.quantity * line.price:.2f}, "
                                f"amount without VAT {line.amount_without_vat}")
    return ParsedUpd(
        format_version=header.format_version, file_id=header.file_id, knd=header.knd,
        function=header.function, number=number, date=doc_date, seller=seller, buyer=buyer,
        currency=currency, currency_name=currency_name, lines=lines, totals=totals,
        warnings=tuple(warnings), document_name=_attr(doc, "НаимДокОпр"),
        economic_subject=_attr(doc, "НаимЭконСубСост"), correction_number=correction,
    )


def _check_sum(warnings, label, values, total):
    if total is None or any(v is None for v in values):
        return
    computed = sum(values, Decimal("0"))
    if abs(computed - total) > TOLERANCE:
        warnings.append(f"the lines' {label} add up to {computed}, the totals say {total}")


def rejection_text(data):
    """The reason in a refusal to sign (ФНС «уведомление об уточнении», DP_UVUTOCH):
    ``Файл/Документ/СвУведУточ/ТекстУведУточ``; "" when absent.  Raises UpdParseError."""
    root = parse_xml(data, max_bytes=2 * 1024 * 1024)
    node = _path(root, "Документ", "СвУведУточ", "ТекстУведУточ")
    return _text(node.text) if node is not None else ""
