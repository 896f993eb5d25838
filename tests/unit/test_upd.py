"""УПД 5.03 generator (marketplace_edo.lib.upd): every document made here is validated against
the official XSD in ../shared/edo/xsd, and the conditional rules of the format that the XSD
cannot check are verified on the XML itself."""
import datetime
import re
import shutil
from decimal import Decimal as D

import pytest
from lxml import etree

from marketplace_edo.lib import amounts, okei, upd, xsd
from marketplace_edo.lib.upd import UpdError, build_upd, check_document
from marketplace_edo.lib.upd_model import (
    Address, BankDetails, Contact, Document, DocumentRef, Line, Party, PaymentDocument,
    PowerOfAttorney, Signer,
)

NOW = datetime.datetime(2026, 8, 14, 15, 4, 5)
DAY = datetime.date(2026, 8, 14)
GUID = "a52bb884-0009-4984-a002-39e9cc326cd4"


# ----------------------------------------------------------------------------- makers

def seller_legal():
    return Party(
        kind="legal", name='ООО "Автоматика"', inn="7804431521", kpp="780401001",
        address=Address(region_code="78", postal_code="194064", street="Политехническая",
                        house="29", building="2", apartment="53"),
        bank=BankDetails(account="40702810900000012345", bank_name="ПАО Банк", bic="044030653",
                         correspondent_account="30101810500000000653"),
        contact=Contact(phones=["+7 812 000-00-00"], emails=["info@example.ru"]),
    )


def seller_ip():
    return Party(
        kind="entrepreneur", inn="500100732259", last_name="Петрова", first_name="Анна",
        middle_name="Сергеевна", ogrnip="304770100000016", ogrnip_date=datetime.date(2004, 3, 1),
        address=Address(region_code="50", city="Химки", street="Ленинградская", house="1"),
    )


def buyer_legal():
    return Party(kind="legal", name='ООО "КИП СПБ"', inn="7805781663", kpp="780501001",
                 address=Address(region_code="78", postal_code="198095", street="Промышленная",
                                 house="19", building="Н", apartment="помещ. 1-Н №331"))


def buyer_ip():
    return Party(kind="entrepreneur", inn="500100732259", last_name="Иванов", first_name="Пётр",
                 address=Address(text="г. Москва, ул. Тверская, д. 1, кв. 5"))


def buyer_foreign():
    return Party(kind="foreign", name="Minsk Trade LLC", foreign_country_code="112",
                 foreign_id="UNP 190000000",
                 address=Address(country_code="112", text="Минск, пр. Независимости, 1"))


def signer():
    return Signer(last_name="Бондаренко", first_name="Владислав", middle_name="Владимирович",
                  position="Генеральный директор", authority_basis="Устав")


def row(number, price, quantity, rate, *, name=None, unit="шт", okei_code="796", **extra):
    """A row whose amounts come from amounts.line_amounts (the way the Odoo side fills them)."""
    a = amounts.line_amounts(D(price), D(quantity), rate)
    return Line(number=number, name=name or f"Товар {number}", okei_code=okei_code, unit_name=unit,
                quantity=D(quantity), price=D(price), vat_rate=rate,
                amount_without_vat=a.amount_without_vat, vat_amount=a.vat_amount,
                amount_with_vat=a.amount_with_vat, **extra)


def make_doc(function="СЧФДОП", **changes):
    doc = Document(
        function=function, number="УПД-15", date=DAY,
        seller=seller_legal(), buyer=buyer_legal(),
        basis_documents=[DocumentRef("Договор поставки", "КИП4828", datetime.date(2026, 8, 10))],
        shipment_date=DAY, signer=signer(),
        sender_id="2BM-7804431521-780401001", receiver_id="2BE-7805781663-780501001",
        file_uuid=GUID,
        lines=[row(1, "2451.64", "2", "22%"), row(2, "3871.31", "3", "22%")],
    )
    for key, value in changes.items():
        setattr(doc, key, value)
    return doc


# ----------------------------------------------------------------------------- the XML

def parse(data):
    return etree.fromstring(data)


def money_attr(el, name):
    return D(el.get(name))


def tax_of(el):
    """СумНал (СумНДСТип): the amount, or None for "без НДС"."""
    value = el.find("СумНал")
    return D(value.text) if value is not None else None


def assert_valid(data, function):
    """XSD-valid, the format's conditional rules hold, every sum adds up to the kopeck."""
    problems = xsd.validate(data)
    assert problems == [], problems
    root = parse(data)
    doc = root.find("Документ")
    assert root.get("ВерсФорм") == "5.03"
    assert doc.get("КНД") == "1115131"
    assert doc.get("Функция") == function
    # conditional rules (the schematron of the XSD)
    assert (doc.find("ТаблСчФакт") is not None) or function == "ДОП"
    assert (doc.find("СвПродПер") is not None) == (function in ("ДОП", "СЧФДОП"))
    assert (doc.get("НаимДокОпр") is not None) == (function in ("ДОП", "СЧФДОП"))
    if function in ("СЧФ", "СЧФДОП"):
        for tag in ("СвПрод", "СвПокуп", "ГрузПолуч", "ГрузОт/ГрузОтпр"):
            for party in doc.iterfind("СвСчФакт/" + tag):
                assert party.find("Адрес") is not None, tag
    if function == "СЧФ":
        assert doc.find("СвСчФакт/ДокПодтвОтгрНом") is not None
    # the sums
    table = doc.find("ТаблСчФакт")
    totals = [D(0), D(0), D(0)]
    for item in table.iterfind("СведТов"):
        without, with_vat = money_attr(item, "СтТовБезНДС"), money_attr(item, "СтТовУчНал")
        vat = tax_of(item.find("СумНал"))
        assert with_vat == without + (vat or 0), item.get("НомСтр")
        if item.get("НалСт") == "без НДС":
            assert vat is None
        if item.get("ОКЕИ_Тов"):
            assert item.get("НаимЕдИзм")
        assert D(item.get("ЦенаТов")) > 0 and D(item.get("КолТов")) > 0
        totals[0] += without
        totals[1] += vat or 0
        totals[2] += with_vat
    total = table.find("ВсегоОпл")
    assert money_attr(total, "СтТовБезНДСВсего") == totals[0]
    assert money_attr(total, "СтТовУчНалВсего") == totals[2]
    all_free = all(i.get("НалСт") == "без НДС" for i in table.iterfind("СведТов"))
    assert tax_of(total.find("СумНалВсего")) == (None if all_free else totals[1])
    return root


# ----------------------------------------------------------------------------- documents

def test_vat_payer_several_rates_in_one_invoice():
    doc = make_doc(lines=[
        row(1, "2451.64", "2", "22%"),
        row(2, "33.33333333333", "0.333", "10%", unit="кг", okei_code="166"),
        row(3, "100", "1", "0%"),
        row(4, "99.99", "3", "без НДС", name="Услуга доставки", unit="усл. ед", okei_code="876"),
    ])
    name, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "СЧФДОП")
    items = root.findall("Документ/ТаблСчФакт/СведТов")
    assert [i.get("НалСт") for i in items] == ["22%", "10%", "0%", "без НДС"]
    assert [i.get("СтТовУчНал") for i in items] == ["5982.00", "12.21", "100.00", "299.97"]
    assert items[1].get("КолТов") == "0.333" and items[1].get("ЦенаТов") == "33.33333333333"
    assert items[2].find("СумНал/СумНал").text == "0.00"
    assert items[3].find("СумНал/БезНДС").text == "без НДС"
    total = root.find("Документ/ТаблСчФакт/ВсегоОпл")
    assert total.get("СтТовБезНДСВсего") == "5314.35"
    assert total.find("СумНалВсего/СумНал").text == "1079.83"
    assert total.get("СтТовУчНалВсего") == "6394.18"
    # a СЧФДОП names itself as the shipping document (line 5a) and carries the transfer
    ref = root.find("Документ/СвСчФакт/ДокПодтвОтгрНом")
    assert (ref.get("РеквНомерДок"), ref.get("РеквДатаДок")) == ("УПД-15", "14.08.2026")
    transfer = root.find("Документ/СвПродПер/СвПер")
    assert transfer.get("ДатаПер") == "14.08.2026"
    assert transfer.find("ОснПер").get("РеквНомерДок") == "КИП4828"
    assert transfer.find("СвЛицПер/РабОргПрод").get("Должность") == "Генеральный директор"
    assert root.find("Документ/СвСчФакт/СвПрод/БанкРекв/СвБанк").get("БИК") == "044030653"


def test_file_name_is_the_file_id_and_encoding_is_windows_1251():
    name, data = build_upd(make_doc(), now=NOW)
    assert data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    root = parse(data)
    ident = root.get("ИдФайл")
    assert name == ident + ".xml"
    assert ident == f"ON_NSCHFDOPPR_2BE-7805781663-780501001_2BM-7804431521-780401001_20260814_{GUID}"
    assert "Файл".encode("cp1251") in data and "Файл".encode("utf-8") not in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1251")
    assert 'НаимОрг="ООО &quot;Автоматика&quot;"' in text
    document = root.find("Документ")
    assert (document.get("ДатаИнфПр"), document.get("ВремИнфПр")) == ("14.08.2026", "15.04.05")
    assert document.get("НаимЭконСубСост") == 'ООО "Автоматика", ИНН: 7804431521'


def test_random_guid_when_none_is_given():
    doc = make_doc(file_uuid="")
    first, _ = build_upd(doc, now=NOW)
    second, _ = build_upd(doc, now=NOW)
    assert first != second
    assert re.match(r"^ON_NSCHFDOPPR_2BE-7805781663-780501001_2BM-7804431521-780401001_20260814_"
                    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.xml$", first)


def test_usn_seller_transfer_document_without_vat():
    doc = make_doc("ДОП", seller=seller_ip(), lines=[
        row(1, "1499", "2", "без НДС", article="WB-123"),
        row(2, "0.335", "0.333", "без НДС", unit="м", okei_code="006"),
    ])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "ДОП")
    document = root.find("Документ")
    assert document.get("НаимДокОпр").startswith("Документ об отгрузке товаров")
    assert document.find("СвСчФакт/ДокПодтвОтгрНом") is None
    ip = document.find("СвСчФакт/СвПрод/ИдСв/СвИП")
    assert (ip.get("ИННФЛ"), ip.get("ОГРНИП"), ip.get("ДатаОГРНИП")) == (
        "500100732259", "304770100000016", "01.03.2004")
    assert ip.find("ФИО").get("Отчество") == "Сергеевна"
    assert document.get("НаимЭконСубСост") == "ИП Петрова Анна Сергеевна, ИНН: 500100732259"
    assert document.find("ТаблСчФакт/ВсегоОпл/СумНалВсего/БезНДС").text == "без НДС"
    assert document.find("ТаблСчФакт/ВсегоОпл").get("СтТовУчНалВсего") == "2998.11"


@pytest.mark.parametrize("buyer, tag", [
    (buyer_legal, "СвЮЛУч"), (buyer_ip, "СвИП"), (buyer_foreign, "СвИнНеУч"),
])
def test_buyers(buyer, tag):
    _, data = build_upd(make_doc(buyer=buyer()), now=NOW)
    root = assert_valid(data, "СЧФДОП")
    ids = root.find("Документ/СвСчФакт/СвПокуп/ИдСв")
    assert ids[0].tag == tag
    if tag == "СвИП":
        assert ids[0].get("ИННФЛ") == "500100732259"
        assert root.find("Документ/СвСчФакт/СвПокуп/Адрес/АдрИнф").get("КодСтр") == "643"
    if tag == "СвИнНеУч":
        assert (ids[0].get("КодСтр"), ids[0].get("НаимСтран")) == ("112", "Беларусь")


def test_vat_included_rows():
    doc = make_doc(lines=[row(1, "1000", "1", "22/122"), row(2, "99.99", "3", "20/120"),
                          row(3, "10", "1", "22%")])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "СЧФДОП")
    first, second, _ = root.findall("Документ/ТаблСчФакт/СведТов")
    assert (first.get("СтТовБезНДС"), first.find("СумНал/СумНал").text, first.get("СтТовУчНал")) == (
        "819.67", "180.33", "1000.00")
    assert (second.get("СтТовБезНДС"), second.find("СумНал/СумНал").text) == ("249.97", "50.00")
    assert second.get("НалСт") == "20/120"


def test_marked_goods_with_package_codes_and_origin():
    kiz = ["0104609664786013215V<lA70.53)lV16xl0X4", '0104609664786020215ISGTLcNz.=3hWf"_UHO']
    doc = make_doc(consignor_same_as_seller=True, consignee=buyer_legal(), lines=[
        row(1, "2451.64", "2", "22%", marking_codes=kiz, package_codes=["046070000000000017"],
            country_code="156", customs_declaration="10702070/140826/3000123/1",
            article="ARK5-S-A230", code="OZN-1234567", gtin="4609664786013", kind="1"),
    ])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "СЧФДОП")
    item = root.find("Документ/ТаблСчФакт/СведТов")
    idents = item.findall("ДопСведТов/НомСредИдентТов")
    assert [k.text for k in idents[0].findall("КИЗ")] == kiz
    assert [p.text for p in idents[1].findall("НомУпак")] == ["046070000000000017"]
    assert item.find("СвДТ").get("КодПроисх") == "156"
    assert item.find("ДопСведТов/КрНаимСтрПр").text == "Китай"
    assert item.find("ДопСведТов").get("ГТИН") == "04609664786013"
    assert root.find("Документ/СвСчФакт/ГрузОт/ОнЖе").text == "он же"
    assert root.find("Документ/СвСчФакт/ГрузПолуч/ИдСв/СвЮЛУч") is not None


def test_invoice_only():
    doc = make_doc("СЧФ", shipping_documents=[DocumentRef("Товарная накладная", "15", DAY)],
                   payment_documents=[PaymentDocument("512", datetime.date(2026, 8, 1), D("5982.00"))])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "СЧФ")
    document = root.find("Документ")
    assert document.get("НаимДокОпр") is None and document.get("ПоФактХЖ") is None
    assert document.find("СвПродПер") is None
    assert document.find("СвСчФакт/ДокПодтвОтгрНом").get("РеквНаимДок") == "Товарная накладная"
    assert document.find("СвСчФакт/СвПРД").get("СуммаПРД") == "5982.00"


def test_services_for_a_period_and_information_fields():
    doc = make_doc("ДОП", shipment_date=None, basis_documents=[],
                   service_period_start=datetime.date(2026, 7, 1),
                   service_period_end=datetime.date(2026, 7, 31),
                   shipment_description="Услуги оказаны в полном объеме",
                   info_fields={"НомерЗаказа": "WB-123456"},
                   lines=[row(1, "15000", "1", "22%", name="Услуги фулфилмента", unit="усл. ед",
                              okei_code="876", kind="3")])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "ДОП")
    sv = root.find("Документ/СвПродПер/СвПер")
    assert (sv.get("ДатаПер"), sv.get("ДатаНачПер"), sv.get("ДатаОконПер")) == (None, "01.07.2026", "31.07.2026")
    assert sv.find("БезДокОснПер").text == "1"
    info = root.find("Документ/СвСчФакт/ИнфПолФХЖ1/ТекстИнф")
    assert (info.get("Идентиф"), info.get("Значен")) == ("НомерЗаказа", "WB-123456")


@pytest.mark.parametrize("method, poa, tag", [
    ("3", PowerOfAttorney(electronic=True, number="d1f1a5a0-4e4b-4b61-9c70-0c6a3f6a1b2c",
                          issue_date=datetime.date(2026, 1, 15), system_id="https://m4d.nalog.gov.ru"), "СвДоверЭл"),
    ("5", PowerOfAttorney(electronic=False, internal_number="12", issue_date=datetime.date(2026, 1, 15),
                          principal_last_name="Бондаренко", principal_first_name="Владислав"), "СвДоверБум"),
])
def test_signer_with_a_power_of_attorney(method, poa, tag):
    sig = Signer(last_name="Смирнова", first_name="Ольга", position="Менеджер", authority_method=method,
                 power_of_attorney=poa, authority_basis="Доверенность № 12 от 15.01.2026")
    _, data = build_upd(make_doc(signer=sig), now=NOW)
    root = assert_valid(data, "СЧФДОП")
    sign = root.find("Документ/Подписант")
    assert sign.get("СпосПодтПолном") == method
    assert sign.find(tag) is not None


def test_characters_outside_windows_1251_survive():
    doc = make_doc(lines=[row(1, "10", "1", "22%", name="Кружка ☕ «Утро» — 350 мл")])
    _, data = build_upd(doc, now=NOW)
    root = assert_valid(data, "СЧФДОП")
    assert root.find("Документ/ТаблСчФакт/СведТов").get("НаимТов") == "Кружка ☕ «Утро» — 350 мл"


def test_characters_outside_the_basic_plane_are_written_as_references():
    doc = make_doc(buyer=_without(buyer_legal(), name='ООО "Смайл 😀"'))
    _, data = build_upd(doc, now=NOW)
    assert "&#128512;".encode() in data
    root = assert_valid(data, "СЧФДОП")
    assert root.find("Документ/СвСчФакт/СвПокуп/ИдСв/СвЮЛУч").get("НаимОрг") == 'ООО "Смайл 😀"'


@pytest.mark.parametrize("changes, message", [
    (lambda: dict(buyer=_without(buyer_legal(), name='ООО "Ром\ud800шка"')),
     "Наименование покупателя: символ U+D800 не может быть записан в файл (непарный суррогат UTF-16"),
    (lambda: dict(lines=[_line_with(name="Товар \udfff")]),
     "Наименование товара (строка 1): символ U+DFFF не может быть записан в файл"),
    (lambda: dict(signer=_without(signer(), last_name="Бондар\ufffeенко")),
     "Фамилия подписанта: символ U+FFFE не может быть записан в файл (в XML такого символа нет)"),
    (lambda: dict(basis_documents=[DocumentRef("Договор", "К-1\ud83d", DAY)]),
     "Номер документа (основание передачи 1): символ U+D83D не может быть записан в файл"),
    (lambda: dict(government_contract_id="1234567890123456789\ud800"),
     "Идентификатор государственного контракта: символ U+D800"),
    (lambda: dict(lines=[_line_with(name="Товар\x1b")]),
     "Недопустимый управляющий символ U+001B в поле: наименование товара (строка 1)"),
])
def test_text_that_cannot_be_written_is_named_before_the_file_is_made(changes, message):
    doc = make_doc(**changes())
    problems = check_document(doc)
    assert any(p.startswith(message) for p in problems), problems
    with pytest.raises(UpdError) as err:  # and not lxml's UnicodeEncodeError
        build_upd(doc, now=NOW)
    assert err.value.messages == problems


def test_builder_names_an_unwritable_value_the_checks_missed(monkeypatch):
    """A value that reached the builder unchecked is refused naming the XML attribute."""
    monkeypatch.setattr(upd, "check_document", lambda doc: [])
    doc = make_doc(buyer=_without(buyer_legal(), name="ООО \ud800"))
    with pytest.raises(UpdError) as err:
        build_upd(doc, now=NOW)
    assert err.value.messages == [
        "СвЮЛУч/@НаимОрг: символ U+D800 не может быть записан в файл (непарный суррогат UTF-16: текст "
        "повреждён при копировании или импорте)"]


def test_file_id_longer_than_the_schema_allows_is_refused_naming_its_parts():
    receiver, sender = "2BE-" + "7" * 96, "2BM-" + "8" * 96  # 100 characters each: allowed alone
    problems = check_document(make_doc(receiver_id=receiver, sender_id=sender))
    assert problems == [
        "Идентификатор файла (ИдФайл) получится длиной 261 символов, а допускается до 255: его удлиняют "
        "идентификаторы участников ЭДО — получателя (ИдПол, 100 символов) и отправителя (ИдОтпр, 100 "
        "символов); вместе они могут занимать не больше 194 символов. Проверьте их у оператора ЭДО"]
    with pytest.raises(UpdError):
        build_upd(make_doc(receiver_id=receiver, sender_id=sender), now=NOW)
    # at the limit the file is made, and the XSD takes it
    name, data = build_upd(make_doc(receiver_id=receiver, sender_id=sender[:94]), now=NOW)
    assert len(name) == 255 + len(".xml")
    assert_valid(data, "СЧФДОП")


def test_unit_name_alone_gives_the_okei_code():
    doc = make_doc(lines=[row(1, "10", "2.5", "22%", unit="Кг.", okei_code="")])
    _, data = build_upd(doc, now=NOW)
    item = assert_valid(data, "СЧФДОП").find("Документ/ТаблСчФакт/СведТов")
    assert (item.get("ОКЕИ_Тов"), item.get("НаимЕдИзм")) == ("166", "Кг.")
    doc = make_doc(lines=[row(1, "10", "1", "22%", unit="", okei_code="778")])
    item = parse(build_upd(doc, now=NOW)[1]).find("Документ/ТаблСчФакт/СведТов")
    assert item.get("НаимЕдИзм") == "упак"


# ----------------------------------------------------------------------------- refusals

def test_credit_note_is_refused():
    with pytest.raises(UpdError) as err:
        build_upd(make_doc(is_credit_note=True), now=NOW)
    assert "УКД" in str(err.value)
    assert len(err.value.messages) == 1


def test_negative_quantity_is_refused_as_a_correction():
    line = row(1, "100", "1", "22%")
    line.quantity = D("-1")
    line.amount_without_vat, line.vat_amount, line.amount_with_vat = D("-100.00"), D("-22.00"), D("-122.00")
    with pytest.raises(UpdError) as err:
        build_upd(make_doc(lines=[line]), now=NOW)
    assert err.value.messages == [
        "Строка 1: отрицательное количество или сумма — это возврат или корректировка. "
        "Корректировочный документ (УКД) этим генератором не формируется; оформите возврат "
        "отдельным УКД"]


def _without(party, **changes):
    for key, value in changes.items():
        setattr(party, key, value)
    return party


def _line_with(**changes):
    line = row(1, "100", "1", "22%")
    for key, value in changes.items():
        setattr(line, key, value)
    return line


@pytest.mark.parametrize("changes, message", [
    (dict(buyer=_without(buyer_legal(), inn="")), "Не указан ИНН покупателя"),
    (dict(buyer=None), "Не указан покупатель"),
    (dict(seller=_without(seller_legal(), inn="7804431522")),
     "Неверный ИНН продавца «7804431522»: не сходится контрольная цифра"),
    (dict(seller=_without(seller_legal(), inn="500100732259")),
     "Неверный ИНН продавца «500100732259»: ИНН должен содержать 10 цифр, а не 12"),
    (dict(seller=_without(seller_ip(), inn="500100732258")),
     "Неверный ИНН продавца «500100732258»: не сходится контрольная цифра"),
    (dict(seller=_without(seller_legal(), kpp="78040100")), "Неверный КПП продавца «78040100»"),
    (dict(seller=_without(seller_legal(), kpp="")), "Не указан КПП продавца"),
    (dict(buyer=_without(buyer_ip(), kpp="780501001")), "нет КПП"),
    (dict(seller=_without(seller_ip(), ogrnip="304770100000017")),
     "Неверный ОГРНИП продавца «304770100000017»: не сходится контрольная цифра"),
    (dict(buyer=_without(buyer_legal(), address=None)), "Не указан адрес покупателя"),
    (dict(seller=_without(seller_legal(), name="")), "Не указано наименование продавца"),
    (dict(lines=[_line_with(okei_code="", unit_name="коробка")]),
     "Нет кода ОКЕИ для единицы «коробка» (строка 1)"),
    (dict(lines=[_line_with(okei_code="", unit_name="")]),
     "Строка 1: не указана единица измерения (код ОКЕИ)"),
    (dict(lines=[_line_with(okei_code="79")]), "Строка 1: неверный код ОКЕИ «79»"),
    (dict(lines=[]), "таблица счёта-фактуры (ТаблСчФакт) обязательна для функции СЧФДОП"),
    (dict(lines=[_line_with(amount_with_vat=D("122.01"))]),
     "Строка 1: стоимость с НДС 122.01 не равна стоимости без НДС 100.00 + НДС 22.00 = 122.00"),
    (dict(lines=[_line_with(vat_amount=D("20.00"), amount_with_vat=D("120.00"))]),
     "Строка 1: НДС 20.00 не соответствует ставке 22% от 100.00 (ожидается 22.00)"),
    (dict(lines=[_line_with(quantity=D("2"))]),
     "Строка 1: стоимость без НДС 100.00 не равна цене × количество = 100 × 2 = 200.00"),
    (dict(lines=[_line_with(amount_without_vat=D("100.001"))]), "больше двух знаков после запятой"),
    (dict(lines=[_line_with(quantity=1.5)]), "нужен Decimal, а не float"),
    (dict(lines=[_line_with(vat_rate="18%")]), "Строка 1: неизвестная ставка НДС «18%»"),
    (dict(lines=[_line_with(vat_rate="0%", vat_amount=D("22.00"))]),
     "Строка 1: при ставке «0%» сумма НДС должна быть 0, а не 22.00"),
    (dict(lines=[_line_with(quantity=D(0))]), "Строка 1: количество должно быть больше нуля"),
    (dict(lines=[_line_with(name="")]), "Строка 1: не указано наименование товара (работы, услуги)"),
    (dict(lines=[_line_with(customs_declaration="10702070/140826/3000123/1")]),
     "не указана страна происхождения"),
    (dict(lines=[row(1, "1", "1", "22%"), row(1, "2", "1", "22%")]), "Номер строки 1 повторяется"),
    (dict(lines=[_line_with(name="Товар\x07")]), "Недопустимый управляющий символ"),
    (dict(sender_id=""), "Не указан идентификатор отправителя в системе ЭДО (ИдОтпр)"),
    (dict(receiver_id="2BE_123"), "Идентификатор получателя в системе ЭДО «2BE_123» содержит недопустимые символы"),
    (dict(file_uuid="123"), "Неверный GUID файла «123»"),
    (dict(signer=None), "Не указан подписант"),
    (dict(signer=Signer(last_name="Иванов", first_name="Иван")),
     "Не указана должность подписанта: она нужна как должность лица, передавшего товар (СвЛицПер), "
     "для функции СЧФДОП"),
    (dict(shipped_by=Signer(last_name="Кладовщиков", first_name="Пётр")),
     "Не указана должность лица, передавшего товар (СвЛицПер)"),
    (dict(signer=Signer(first_name="Иван", position="Директор")), "Не указана фамилия подписанта"),
    (dict(signer=Signer(last_name="Иванов", first_name="Иван", position="Директор", authority_method="3")),
     "Способ подтверждения полномочий 3 (МЧД) требует сведений о машиночитаемой доверенности"),
    (dict(function="УКД"), "Неизвестная функция документа «УКД»"),
    (dict(date=None), "Не указана дата документа"),
    (dict(number=" "), "Не указан номер документа"),
    (dict(currency_code="USD"), "Неверный код валюты «USD»"),
    (dict(consignor=buyer_legal(), consignor_same_as_seller=True), "и отдельно, и как «он же»"),
    (dict(basis_documents=[DocumentRef("Договор", "", DAY)]), "Не указано: номер документа (основание передачи 1)"),
])
def test_rule_violations(changes, message):
    doc = make_doc(**changes)
    problems = check_document(doc)
    assert any(message in p for p in problems), problems
    with pytest.raises(UpdError) as err:
        build_upd(doc, now=NOW)
    assert err.value.messages == problems


def test_invoice_only_rules():
    doc = make_doc("СЧФ", document_name="Счет-фактура")
    problems = check_document(doc)
    assert ("Для счёта-фактуры (функция СЧФ) наименование первичного документа (НаимДокОпр) не "
            "указывается: уберите его или выберите функцию СЧФДОП") in problems
    assert "Для счёта-фактуры (функция СЧФ) не указан документ об отгрузке (строка 5а, ДокПодтвОтгрНом)" in problems
    # the transfer part is not needed for an invoice only: no position asked for
    doc = make_doc("СЧФ", shipping_documents=[DocumentRef("Акт", "1", DAY)],
                   signer=Signer(last_name="Иванов", first_name="Иван"))
    assert check_document(doc) == []


def test_transfer_document_needs_no_address():
    doc = make_doc("ДОП", buyer=_without(buyer_legal(), address=None))
    assert check_document(doc) == []
    assert_valid(build_upd(doc, now=NOW)[1], "ДОП")


def test_several_problems_are_reported_together():
    doc = make_doc(buyer=_without(buyer_legal(), inn="", kpp=""),
                   lines=[_line_with(okei_code="", unit_name="коробка")], sender_id="")
    problems = check_document(doc)
    assert problems == [
        "Не указан ИНН покупателя",
        "Не указан КПП покупателя",
        "Нет кода ОКЕИ для единицы «коробка» (строка 1)",
        "Не указан идентификатор отправителя в системе ЭДО (ИдОтпр)",
    ]


# ----------------------------------------------------------------------------- ОКЕИ, XSD

@pytest.mark.parametrize("unit, code", [
    ("шт", "796"), ("Шт.", "796"), ("Units", "796"), ("кг", "166"), ("г", "163"), ("л", "112"),
    ("м", "006"), ("м²", "055"), ("кв.м", "055"), ("м3", "113"), ("упак", "778"), ("компл", "839"),
    ("пара", "715"), ("ч", "356"), ("Hours", "356"), ("услуга", "876"), ("8751", "8751"),
    ("коробка", None), ("", None),
])
def test_okei_lookup(unit, code):
    assert okei.lookup(unit) == code


def test_okei_company_mapping():
    assert okei.lookup("Коробка", extra={"коробка": "8751"}) == "8751"
    assert okei.unit_name("796") == "шт" and okei.unit_name("8751") is None


def test_xsd_reports_errors_and_accepts_the_sample():
    sample = (xsd.xsd_dir().parent / "samples" / "upd-5.03-example.xml").read_bytes()
    assert xsd.validate(sample) == []
    _, data = build_upd(make_doc(), now=NOW)
    broken = data.replace('НалСт="22%"'.encode("cp1251"), 'НалСт="18,5%"'.encode("cp1251"), 1)
    problems = xsd.validate(broken)
    assert problems and "НалСт" in problems[0]
    assert xsd.validate(b"<not xml")[0].startswith("Файл не является корректным XML")


def test_validate_option_of_build_upd():
    name, data = build_upd(make_doc(), now=NOW, validate=True)
    assert name.endswith(".xml") and xsd.validate(data) == []


def test_xsd_declared_windows_1251(tmp_path, monkeypatch):
    """The official files are declared windows-1251; a copy re-declared that way is read too."""
    source = xsd.xsd_dir() / xsd.SCHEMAS["5.03"]
    text = source.read_bytes().decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    text = text.replace('encoding="UTF-8"', 'encoding="windows-1251"', 1)
    (tmp_path / source.name).write_bytes(text.encode("cp1251"))
    shutil.copy(xsd.xsd_dir().parent / "samples" / "upd-5.03-example.xml", tmp_path / "sample.xml")
    monkeypatch.setenv("EDO_XSD_DIR", str(tmp_path))
    monkeypatch.setattr(xsd, "_cache", {})
    assert xsd.xsd_dir() == tmp_path
    _, data = build_upd(make_doc(), now=NOW)
    assert xsd.validate(data) == []
    assert xsd.validate(data.replace(b'"5.03"', b'"5.02"', 1)) != []


def test_goods_handed_over_by_another_person():
    doc = make_doc(shipped_by=Signer(last_name="Кладовщиков", first_name="Пётр", position="Кладовщик"),
                   transport_info="Самовывоз", operation_kind="Продажа")
    root = assert_valid(build_upd(doc, now=NOW)[1], "СЧФДОП")
    person = root.find("Документ/СвПродПер/СвПер/СвЛицПер/РабОргПрод")
    assert (person.get("Должность"), person.find("ФИО").get("Фамилия")) == ("Кладовщик", "Кладовщиков")
    assert root.find("Документ/Подписант/ФИО").get("Фамилия") == "Бондаренко"
    assert root.find("Документ/СвПродПер/СвПер/Тран").get("СвТран") == "Самовывоз"


def test_default_clock_is_the_local_time():
    before = datetime.datetime.now()
    name, data = build_upd(make_doc())
    after = datetime.datetime.now()
    stamp = parse(data).find("Документ").get("ДатаИнфПр")
    assert stamp in {before.strftime("%d.%m.%Y"), after.strftime("%d.%m.%Y")}
    assert f"_{after.strftime('%Y%m%d')}_" in name or f"_{before.strftime('%Y%m%d')}_" in name
