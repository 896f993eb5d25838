"""The parser of incoming УПД (seller's titles 5.01/5.02/5.03) and its refusals."""
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from marketplace_edo.lib.upd_parse import (
    ParsedUpd, UpdParseError, parse_upd, rejection_text, sniff_upd,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _samples_dir():
    env = os.environ.get("EDO_SAMPLES_DIR")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "edo" / "samples"
    assert path.is_dir(), f"УПД samples not found at {path} (set EDO_SAMPLES_DIR)"
    return path


def sample(name):
    return (_samples_dir() / name).read_bytes()


UPD_503 = "upd-5.03-example.xml"
UPD_502 = "generate_utd970_05_02_01_title0_resp.xml"
UPD_501 = "generate_utd820_05_01_02_hyphen_title0_resp.xml"


# --- the samples ------------------------------------------------------------------------
def test_503_seller_title_read_exactly():
    upd = parse_upd(sample(UPD_503))
    assert isinstance(upd, ParsedUpd)
    assert (upd.format_version, upd.knd, upd.function) == ("5.03", "1115131", "СЧФДОП")
    assert upd.file_id.startswith("ON_NSCHFDOPPR_2LT-600072763_2LT-600070554_20260817_")
    assert (upd.number, upd.date) == ("1", date(2026, 8, 14))
    assert (upd.seller.name, upd.seller.inn, upd.seller.kpp, upd.seller.kind) == (
        'ООО "Автоматика"', "7804431521", "780401001", "org")
    assert (upd.buyer.name, upd.buyer.inn, upd.buyer.kpp) == ('ООО "КИП СПБ"', "7805781663", "780501001")
    assert (upd.currency, upd.currency_name) == ("643", "Российский рубль")
    assert len(upd.lines) == 2
    first, second = upd.lines
    assert first.name.startswith("Реле времени ARK5-S-A230")
    assert (first.number, first.okei, first.unit_name) == (1, "796", "шт")
    assert (first.quantity, first.price) == (Decimal("2"), Decimal("2451.64"))
    assert (first.amount_without_vat, first.vat_rate, first.vat_amount, first.amount_with_vat) == (
        Decimal("4903.28"), "22%", Decimal("1078.72"), Decimal("5982"))
    assert first.marking_codes == ("0104609664786013215V<lA70.53)lV16xl0X4", "0104609664786013215n1+ap6&R?v4lUl)g6B,")
    assert (second.quantity, second.amount_with_vat, second.vat_amount) == (
        Decimal("3"), Decimal("14169.00"), Decimal("2555.07"))
    assert len(second.marking_codes) == 3
    assert (upd.totals.amount_without_vat, upd.totals.vat_amount, upd.totals.amount_with_vat) == (
        Decimal("16517.21"), Decimal("3633.79"), Decimal("20151"))
    assert upd.warnings == ()


def test_502_windows_1251_seller_title():
    raw = sample(UPD_502)
    assert b'encoding="windows-1251"' in raw[:100]
    upd = parse_upd(raw)
    assert (upd.format_version, upd.function, upd.number, upd.date) == ("5.02", "СЧФДОП", "123", date(2023, 2, 1))
    assert (upd.seller.name, upd.seller.inn, upd.seller.kpp) == ("СвЮЛУч-НаимОрг", "9103624367", "187245452")
    assert (upd.buyer.inn, upd.buyer.kpp) == ("1234567894", "667301001")
    assert upd.currency == "643"
    assert [line.name for line in upd.lines] == ["СведТов-НаимТов", "Product2 > 2.0 мм"]
    assert upd.lines[1].quantity == Decimal("114.100")
    assert (upd.lines[0].okei, upd.lines[0].unit_name, upd.lines[0].gtin) == ("113", "м3", "10000057074365")
    assert upd.totals.amount_with_vat == Decimal("10000.00")
    # the sample's numbers are placeholders that do not add up: said, not hidden
    assert any("amount with VAT add up to 71526.80" in w for w in upd.warnings)
    assert any(w.startswith("line 1: quantity × price") for w in upd.warnings)


def test_501_individual_entrepreneur_without_vat():
    upd = parse_upd(sample(UPD_501))
    assert (upd.format_version, upd.number, upd.date) == ("5.01", "123", date(2019, 8, 1))
    assert (upd.seller.kind, upd.seller.inn, upd.seller.kpp) == ("ip", "114500647890", "")
    assert upd.seller.name == "ИП Продавец Иван Иванович"
    assert upd.buyer.name == "Документация-получатель"
    assert (upd.currency, upd.currency_name) == ("643", "Российский рубль")
    line = upd.lines[0]
    assert (line.vat_rate, line.vat_amount, line.unit_name, line.excise) == (
        "без НДС", Decimal("0.00"), "шт", Decimal("10.00"))


def test_str_input_with_windows_1251_declaration():
    text = sample(UPD_502).decode("cp1251")
    upd = parse_upd(text)
    assert upd.seller.inn == "9103624367"


def test_sniff_gives_the_header():
    header = sniff_upd(sample(UPD_503))
    assert (header.format_version, header.knd, header.function, header.root) == ("5.03", "1115131", "СЧФДОП", "Файл")


@pytest.mark.parametrize("name, message", [
    ("generate_utd970_05_02_01_title1_resp.xml", "buyer's title"),
    ("generate_utd970_05_02_01_title0_body.xml", "UserDataXml"),
    ("parse_utd970_05_02_01_title0_resp.xml", "not <Файл>"),
])
def test_samples_that_are_not_seller_titles_are_refused(name, message):
    with pytest.raises(UpdParseError) as err:
        parse_upd(sample(name))
    assert message in str(err.value)


def test_line_amount_with_vat_derived_when_absent():
    root = _tree()
    line = root.find("Документ/ТаблСчФакт/СведТов")
    del line.attrib["СтТовУчНал"]
    upd = parse_upd(_bytes(root))
    assert upd.lines[0].amount_with_vat == Decimal("5982.00")


# --- hostile input ------------------------------------------------------------------------
def _tree(name=UPD_503):
    return etree.fromstring(sample(name))


def _bytes(root, encoding="windows-1251"):
    return etree.tostring(root, encoding=encoding, xml_declaration=True)


def _mutate(fn):
    root = _tree()
    fn(root)
    return _bytes(root)


def _set(path, attr, value):
    def fn(root):
        el = root if path == "." else root.find(path)
        if value is None:
            del el.attrib[attr]
        else:
            el.set(attr, value)
    return fn


def _drop(path):
    def fn(root):
        el = root.find(path)
        el.getparent().remove(el)
    return fn


DOC = "Документ"
INV = "Документ/СвСчФакт"
LINE = "Документ/ТаблСчФакт/СведТов"
TOTAL = "Документ/ТаблСчФакт/ВсегоОпл"
SELLER_ORG = "Документ/СвСчФакт/СвПрод/ИдСв/СвЮЛУч"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Файл ИдФайл="&lol9;" ВерсФорм="5.03"><Документ КНД="1115131" Функция="СЧФДОП"/></Файл>""".encode()

XXE = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Файл [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
       '<Файл ИдФайл="x" ВерсФорм="5.03"><Документ КНД="1115131" Функция="СЧФДОП">'
       '<СвСчФакт НомерДок="&secret;" ДатаДок="01.01.2026"/></Документ></Файл>').encode()

HOSTILE = [
    ("empty", b"", "empty"),
    ("blank", b"   \n ", "empty"),
    ("not xml", b"%PDF-1.7 binary \x00\x01\x02", "Not well-formed"),
    ("json", b'{"Function": "\xd0\xa1\xd0\xa7\xd0\xa4"}', "Not well-formed"),
    ("truncated", sample(UPD_503)[:1500], "Not well-formed"),
    ("not bytes", 12345, "Expected the XML file's bytes"),
    ("utf-16", "<Файл/>".encode("utf-16"), "UTF-16"),
    ("unknown encoding", b'<?xml version="1.0" encoding="x-klingon"?><a/>', "Unsupported encoding x-klingon"),
    ("wrong root", b"<Invoice><Number>1</Number></Invoice>", "not <Файл>"),
    ("no Документ", '<Файл ИдФайл="x" ВерсФорм="5.03"/>'.encode("utf-8"), "no <Документ>"),
    ("billion laughs", BILLION_LAUGHS, "DTD"),
    ("external entity", XXE, "DTD"),
    ("doctype only", b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.com/x.dtd"><a/>', "DTD"),
    ("doctype after padding", b'<?xml version="1.0"?>' + b"<!--" + b"x" * 5000 + b'-->'
     b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>', "DTD"),
    ("too large", b"<a>" + b" " * (21 * 1024 * 1024) + b"</a>", "too large"),
    ("unsupported version", _mutate(_set(".", "ВерсФорм", "4.00")), "Unsupported format version"),
    ("buyer title КНД", _mutate(_set(DOC, "КНД", "1115132")), "buyer's title"),
    ("УКД КНД", _mutate(_set(DOC, "КНД", "1115133")), "УКД"),
    ("unknown function", _mutate(_set(DOC, "Функция", "ХЗ")), "Unknown function"),
    ("no СвСчФакт", _mutate(_drop(INV)), "no <СвСчФакт>"),
    ("no number", _mutate(_set(INV, "НомерДок", None)), "No document number"),
    ("bad date", _mutate(_set(INV, "ДатаДок", "2026-08-14")), "not a date"),
    ("impossible date", _mutate(_set(INV, "ДатаДок", "31.02.2026")), "not a valid date"),
    ("bad currency", _mutate(_set("Документ/СвСчФакт/ДенИзм", "КодОКВ", "RUB")), "Currency code"),
    ("no seller", _mutate(_drop("Документ/СвСчФакт/СвПрод")), "No seller"),
    ("seller INN short", _mutate(_set(SELLER_ORG, "ИННЮЛ", "78044315")), "seller's ИНН"),
    ("seller INN letters", _mutate(_set(SELLER_ORG, "ИННЮЛ", "78O4431521")), "seller's ИНН"),
    ("bad KPP", _mutate(_set(SELLER_ORG, "КПП", "7804-01001")), "КПП"),
    ("seller nobody", _mutate(_drop(SELLER_ORG)), "names no organisation"),
    ("no buyer", _mutate(_drop("Документ/СвСчФакт/СвПокуп")), "No buyer"),
    ("no table", _mutate(_drop("Документ/ТаблСчФакт")), "No goods table"),
    ("no lines", _mutate(lambda r: [r.find("Документ/ТаблСчФакт").remove(x)
                                    for x in r.findall(LINE)]), "no lines"),
    ("line without name", _mutate(_set(LINE, "НаимТов", None)), "no name"),
    ("line without VAT rate", _mutate(_set(LINE, "НалСт", None)), "no VAT rate"),
    ("line number text", _mutate(_set(LINE, "НомСтр", "один")), "НомСтр"),
    ("quantity text", _mutate(_set(LINE, "КолТов", "два")), "quantity (КолТов): 'два' is not a number"),
    ("quantity negative", _mutate(_set(LINE, "КолТов", "-2")), "negative"),
    ("price exponent", _mutate(_set(LINE, "ЦенаТов", "1e5")), "price (ЦенаТов)"),
    ("amount huge", _mutate(_set(LINE, "СтТовБезНДС", "9" * 40)), "not a number"),
    ("no amounts at all", _mutate(lambda r: (_set(LINE, "СтТовУчНал", None)(r),
                                             _set(LINE, "СтТовБезНДС", None)(r))), "no amount with VAT"),
    ("no VAT element", _mutate(_drop(LINE + "/СумНал")), "no VAT amount"),
    ("VAT text", _mutate(lambda r: setattr(r.find(LINE + "/СумНал/СумНал"), "text", "много")), "VAT amount"),
    ("empty VAT", _mutate(lambda r: [r.find(LINE + "/СумНал").remove(x) for x in list(r.find(LINE + "/СумНал"))]),
     "neither an amount"),
    ("bad ОКЕИ", _mutate(_set(LINE, "ОКЕИ_Тов", "шт")), "ОКЕИ_Тов"),
    ("no totals", _mutate(_drop(TOTAL)), "No totals"),
    ("no total with VAT", _mutate(_set(TOTAL, "СтТовУчНалВсего", None)), "totals: no amount with VAT"),
    ("total text", _mutate(_set(TOTAL, "СтТовУчНалВсего", "20 151")), "totals: amount with VAT"),
    ("no total VAT", _mutate(_drop(TOTAL + "/СумНалВсего")), "totals: no VAT"),
]


@pytest.mark.parametrize("label, data, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gives_a_clear_error(label, data, message):
    with pytest.raises(UpdParseError) as err:
        parse_upd(data)
    assert message in str(err.value), str(err.value)
    assert len(str(err.value)) < 400


def test_external_entity_is_never_read():
    with pytest.raises(UpdParseError) as err:
        parse_upd(XXE)
    hostname = Path("/etc/hostname")
    if hostname.is_file() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in str(err.value)


def test_sum_mismatch_is_a_warning_not_an_error():
    upd = parse_upd(_mutate(_set(TOTAL, "СтТовУчНалВсего", "20000.00")))
    assert upd.totals.amount_with_vat == Decimal("20000.00")
    assert upd.warnings == ("the lines' amount with VAT add up to 20151.00, the totals say 20000.00",)


def test_rejection_text():
    root = etree.Element("Файл", ИдФайл="DP_UVUTOCH_1", ВерсФорм="1.03")
    info = etree.SubElement(etree.SubElement(root, "Документ", КНД="1115113"), "СвУведУточ")
    etree.SubElement(info, "ТекстУведУточ").text = "Цена в строке 2 не по договору"
    assert rejection_text(_bytes(root)) == "Цена в строке 2 не по договору"
    assert rejection_text("<Файл><Документ/></Файл>".encode()) == ""
    with pytest.raises(UpdParseError):
        rejection_text(BILLION_LAUGHS)
