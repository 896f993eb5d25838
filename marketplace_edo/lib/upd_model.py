"""Input data of the УПД generator (ФНС format 5.03, seller's title, приказ ЕД-7-26/970@).

Plain dataclasses, no Odoo: the addon's models fill them, ``upd.check_document`` checks them
and ``upd.build_upd`` turns them into the XML file.  Everything here is data; nothing is
computed when an object is made, so a half-filled object is fine until it is checked.

Conventions
-----------
- Money, quantities and prices are :class:`decimal.Decimal` (ints are accepted too; floats
  are refused by the checker: they are not exact).  Money is in the document currency, with
  at most 2 decimals (kopecks); quantities and prices may carry up to 11 decimals.
- Dates are :class:`datetime.date`.  Empty strings and ``None`` both mean "not given".
- Codes are strings of digits, kept with their leading zeros: ОКЕИ ``"006"``, ОКСМ (country)
  ``"643"``, ОКВ (currency) ``"643"``, region ``"77"``.
- Texts are written as given (trimmed).  The XML encoding is windows-1251: characters outside
  it (emoji...) are written as XML character references; what XML 1.0 cannot carry at all
  (control characters, unpaired UTF-16 surrogates, U+FFFE/U+FFFF) is refused by the checker
  with a message naming the field and the character.

What the XSD of 5.03 offers, and what is used here
--------------------------------------------------
- participant (УчастникТип/ИдСв): СвЮЛУч (Russian organisation: НаимОрг, ИННЮЛ, КПП),
  СвИП (individual entrepreneur: ФИО, ИННФЛ, ОГРНИП...), СвИнНеУч (foreign organisation or
  citizen not registered with the Russian tax service), СвФЛУч (natural person) — see
  :class:`Party.kind`.  The 5.03 СвЮЛУч has no ОГРН attribute.
- address (АдресТип): a choice of АдрРФ (structured Russian address: КодРегион and
  НаимРегион required, Индекс, Район, Город, НаселПункт, Улица, Дом, Корпус, Кварт,
  ИныеСвед), АдрИнф (country code ОКСМ + country name + free text, also allowed for a Russian
  address) and АдрГАР (an address of the state address register, keyed by its 36-character
  ИдНом with typed elements).  This generator writes АдрРФ or АдрИнф (see :class:`Address`);
  АдрГАР is not produced.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import List, Optional

#: Функция of the document: invoice + transfer document, transfer document only, invoice only
FUNCTIONS = ("СЧФДОП", "ДОП", "СЧФ")

#: the VAT rates (НалСт) this generator writes; "N%" is VAT on top of the amount without VAT,
#: "N/1NN" is the calculated rate (VAT included: advance payments, marketplace commission
#: agents, goods bought with VAT included...), "без НДС" is for sellers that do not pay VAT
#: (УСН without VAT, art. 145/149 НК РФ)
VAT_RATES = (
    "22%", "20%", "10%", "7%", "5%", "0%", "без НДС",
    "22/122", "20/120", "10/110", "7/107", "5/105",
)

#: Party.kind values
PARTY_KINDS = ("legal", "entrepreneur", "foreign", "person")


@dataclass
class Address:
    """An address: structured Russian (written as АдрРФ) or free text (written as АдрИнф).

    The structured form is used when ``region_code`` is given; otherwise ``text`` is written as
    АдрИнф with ``country_code``/``country_name`` (a Russian address may also be given that way).
    """

    #: ОКСМ digital code of the country, 3 digits ("643" = Russia); used for АдрИнф
    country_code: str = "643"
    #: country name for АдрИнф; when empty, taken from a small table for usual codes
    #: ("643" → "Россия"), else the checker asks for it
    country_name: str = ""
    #: free-text address (АдрИнф/@АдрТекст, up to 1000 chars), used when region_code is empty
    text: str = ""
    #: code of the subject of the Russian Federation, 2 digits ("77" Москва, "78" Санкт-Петербург);
    #: makes the address structured (АдрРФ)
    region_code: str = ""
    #: name of the subject (АдрРФ/@НаимРегион, required by 5.03); when empty it is taken from
    #: the generator's table of region codes
    region_name: str = ""
    #: postal index, exactly 6 digits (Индекс)
    postal_code: str = ""
    #: district (Район)
    district: str = ""
    #: city (Город)
    city: str = ""
    #: settlement, village (НаселПункт)
    locality: str = ""
    #: street (Улица)
    street: str = ""
    #: house number (Дом), up to 50 chars
    house: str = ""
    #: building / корпус / строение (Корпус), up to 50 chars
    building: str = ""
    #: flat / office / помещение (Кварт), up to 50 chars
    apartment: str = ""
    #: anything else about the address (ИныеСвед), up to 1000 chars
    other: str = ""


@dataclass
class BankDetails:
    """Bank details of a participant (БанкРекв); all optional."""

    #: settlement account number (НомерСчета), up to 34 chars, usually 20 digits
    account: str = ""
    #: bank name (СвБанк/@НаимБанк)
    bank_name: str = ""
    #: БИК, exactly 9 digits
    bic: str = ""
    #: correspondent account of the bank (КорСчет), up to 34 chars
    correspondent_account: str = ""


@dataclass
class Contact:
    """Contact data of a participant (Контакт); all optional."""

    #: telephone / fax numbers (Тлф, each up to 255 chars)
    phones: List[str] = field(default_factory=list)
    #: e-mail addresses (ЭлПочта)
    emails: List[str] = field(default_factory=list)
    #: other contact data (ИнКонт)
    other: str = ""


@dataclass
class Party:
    """A participant: seller, buyer, consignor (грузоотправитель) or consignee (грузополучатель)."""

    #: "legal" — Russian organisation (СвЮЛУч: name, INN of 10 digits, KPP);
    #: "entrepreneur" — individual entrepreneur, ИП (СвИП: last/first/middle name, INN of
    #: 12 digits, ОГРНИП);
    #: "foreign" — foreign organisation or citizen not registered in Russia (СвИнНеУч: name,
    #: country, foreign_id and/or other_info);
    #: "person" — natural person that is not an entrepreneur (СвФЛУч: name parts, INN optional)
    kind: str = "legal"
    #: full name of the organisation (НаимОрг / СвИнНеУч/@Наим); for an entrepreneur it is only
    #: used in texts (when empty: "ИП <Фамилия И. О.>")
    name: str = ""
    #: ИНН: 10 digits for "legal", 12 digits for "entrepreneur"/"person"; checked with the
    #: control digits (stdnum.ru.inn)
    inn: str = ""
    #: КПП, 9 characters (organisations only; optional for the buyer by the XSD, the checker
    #: requires it for a "legal" seller)
    kpp: str = ""
    #: ОГРН of an organisation: not part of the 5.03 XML (СвЮЛУч has no such attribute); kept
    #: for printed forms and the Odoo side
    ogrn: str = ""
    #: ОГРНИП of an entrepreneur, 15 digits (СвИП/@ОГРНИП)
    ogrnip: str = ""
    #: date the ОГРНИП was assigned (СвИП/@ДатаОГРНИП)
    ogrnip_date: Optional[datetime.date] = None
    #: details of the state registration certificate of an entrepreneur (СвИП/@СвГосРегИП),
    #: e.g. "Свидетельство 77 № 012345678 от 01.02.2015"
    registration_certificate: str = ""
    #: surname (ФИО/@Фамилия) — entrepreneur or person
    last_name: str = ""
    #: given name (ФИО/@Имя) — entrepreneur or person
    first_name: str = ""
    #: patronymic, optional (ФИО/@Отчество)
    middle_name: str = ""
    #: foreign participant: "ИО" (organisation, default) or "ИГ" (citizen) — СвИнНеУч/@ИдСтат
    foreign_status: str = "ИО"
    #: foreign participant: ОКСМ code of its country (СвИнНеУч/@КодСтр), 3 digits
    foreign_country_code: str = ""
    #: foreign participant: country name (СвИнНеУч/@НаимСтран); from a small table when empty
    foreign_country_name: str = ""
    #: foreign participant: its identifier in its own country (СвИнНеУч/@Идентиф), e.g. the
    #: registration number; one of foreign_id / other_info is required
    foreign_id: str = ""
    #: other identifying information (СвИнНеУч/@ИныеСвед, СвИП/@ИныеСвед, СвФЛУч/@ИныеСвед)
    other_info: str = ""
    #: address (Адрес); required for seller, buyer, consignor and consignee when the document
    #: has the invoice function (СЧФ, СЧФДОП)
    address: Optional[Address] = None
    #: bank details, optional (БанкРекв)
    bank: Optional[BankDetails] = None
    #: contacts, optional (Контакт)
    contact: Optional[Contact] = None
    #: ОКПО code, optional (up to 10 chars)
    okpo: str = ""
    #: short name, optional (СокрНаим)
    short_name: str = ""
    #: structural subdivision, optional (СтруктПодр)
    department: str = ""
    #: information for the participant of the document flow, optional (ИнфДляУчаст)
    info: str = ""

    def display_name(self) -> str:
        """The name used in texts: the organisation name, or "ИП Фамилия Имя Отчество"."""
        if self.kind in ("entrepreneur", "person"):
            fio = " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
            if self.kind == "entrepreneur":
                return self.name or ("ИП " + fio if fio else "")
            return fio or self.name
        return self.name


@dataclass
class PowerOfAttorney:
    """A power of attorney (доверенность) under which the signer signs.

    Electronic (машиночитаемая доверенность, МЧД) → Подписант/СвДоверЭл, needs ``number`` (its
    36-character registration number), ``issue_date`` and ``system_id``; paper → СвДоверБум,
    needs ``internal_number`` and ``issue_date``.
    """

    #: True for an МЧД (СвДоверЭл), False for a paper power of attorney (СвДоверБум)
    electronic: bool = True
    #: МЧД: unique registration number, exactly 36 chars (НомДовер)
    number: str = ""
    #: date of issue (ДатаВыдДовер), required
    issue_date: Optional[datetime.date] = None
    #: internal number (ВнНомДовер): required for paper, optional for МЧД; up to 50 chars
    internal_number: str = ""
    #: МЧД: date of internal registration (ДатаВнРегДовер), optional
    internal_date: Optional[datetime.date] = None
    #: МЧД: identification of the system that stores it (ИдСистХран), required for МЧД, e.g.
    #: "https://m4d.nalog.gov.ru" or the operator's id
    system_id: str = ""
    #: МЧД: URL of the system where it can be checked (УРЛСист), optional
    system_url: str = ""
    #: paper: information on the principal (СвИдДовер), optional
    principal_info: str = ""
    #: paper: surname of the person who signed the power of attorney, optional
    principal_last_name: str = ""
    #: paper: given name of that person (required with the surname)
    principal_first_name: str = ""
    #: paper: patronymic of that person, optional
    principal_middle_name: str = ""


@dataclass
class Signer:
    """The person who signs the file (Подписант), also used as the person who handed over the
    goods (СвЛицПер/РабОргПрод) unless the document gives another one."""

    #: surname (ФИО/@Фамилия), required
    last_name: str = ""
    #: given name (ФИО/@Имя), required
    first_name: str = ""
    #: patronymic, optional (ФИО/@Отчество)
    middle_name: str = ""
    #: position (Должн / Должность), e.g. "Генеральный директор"; required for the person who
    #: hands over the goods, i.e. for ДОП and СЧФДОП
    position: str = ""
    #: how the signer's authority is confirmed (СпосПодтПолном), one char:
    #: "1" — by the data of the electronic signature (default: a director signing with the
    #: company's qualified signature); "2" — by an МЧД sent with the document; "3" — by an МЧД
    #: described in this file (``power_of_attorney`` electronic, required); "4" — by data held
    #: in an information system; "5" — by a paper power of attorney (``power_of_attorney``
    #: not electronic, required); "6" — other
    authority_method: str = "1"
    #: basis of the signer's authority as text (e.g. "Устав", "Доверенность № 12 от
    #: 01.02.2026"), up to 255 chars; written in Подписант/@ДопСведПодп
    authority_basis: str = ""
    #: the power of attorney, for authority_method "3" (electronic) or "5" (paper)
    power_of_attorney: Optional[PowerOfAttorney] = None
    #: type of signature (ТипПодпис): "1" qualified, "2" simple, "3" non-qualified; optional
    signature_type: str = ""
    #: date of signing (ДатаПодДок), optional
    sign_date: Optional[datetime.date] = None

    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass
class DocumentRef:
    """A reference to another document (РеквДокТип): contract, order, shipping document..."""

    #: its name (РеквНаимДок), e.g. "Договор поставки", "Заказ"; up to 255 chars
    name: str = ""
    #: its number (РеквНомерДок); up to 255 chars
    number: str = ""
    #: its date (РеквДатаДок)
    date: Optional[datetime.date] = None
    #: identifier of the document (РеквИдДок), optional
    doc_id: str = ""
    #: additional information (РеквДопСведДок), optional
    extra: str = ""


@dataclass
class PaymentDocument:
    """A payment document for advances (СвПРД, line 5 of the invoice)."""

    #: number of the payment order (НомерПРД), up to 30 chars
    number: str = ""
    #: its date (ДатаПРД)
    date: Optional[datetime.date] = None
    #: amount paid (СуммаПРД), optional
    amount: Optional[Decimal] = None


@dataclass
class Line:
    """One row of the invoice table (ТаблСчФакт/СведТов)."""

    #: row number (НомСтр), 1, 2, 3...; must be unique and positive
    number: int = 0
    #: name of the goods / work / service (НаимТов), up to 2000 chars; required
    name: str = ""
    #: ОКЕИ code of the unit, 3 or 4 digits ("796" for шт); empty = looked up from unit_name
    #: in the default table (``okei.lookup``); neither known → the row is refused
    okei_code: str = ""
    #: unit name as printed (НаимЕдИзм), e.g. "шт"; when empty it is taken from the ОКЕИ table
    unit_name: str = ""
    #: quantity (КолТов), > 0, up to 11 decimals
    quantity: Decimal = Decimal("0")
    #: price per unit (ЦенаТов), > 0 for СЧФ/СЧФДОП, rounded to 11 decimals when written.
    #: Without VAT for "N%" rates ("0%", "без НДС": the price as is); for a calculated rate
    #: ("22/122"...) the price with VAT included.  For a price-included tax in Odoo at "22%",
    #: pass the price without VAT, e.g. amount_without_vat / quantity (unrounded).  The checker
    #: wants round(price × quantity) within 1 kopeck of amount_without_vat ("N%") or of
    #: amount_with_vat ("N/1NN")
    price: Decimal = Decimal("0")
    #: amount without VAT (СтТовБезНДС), 2 decimals
    amount_without_vat: Decimal = Decimal("0")
    #: VAT rate, one of :data:`VAT_RATES` (НалСт)
    vat_rate: str = "22%"
    #: VAT amount (СумНал), 2 decimals; 0 for "0%" and "без НДС"; within 1 kopeck of the
    #: VAT computed from the amount at the rate (see ``amounts.line_amounts``)
    vat_amount: Decimal = Decimal("0")
    #: amount with VAT (СтТовУчНал), 2 decimals; must equal amount_without_vat + vat_amount
    amount_with_vat: Decimal = Decimal("0")
    #: excise amount (Акциз/СумАкциз); None writes "без акциза"
    excise_amount: Optional[Decimal] = None
    #: marking codes of the goods (КИЗ, "Честный знак" codes), one per unit; written as given
    marking_codes: List[str] = field(default_factory=list)
    #: codes of group / transport packages (НомУпак, SSCC or aggregated codes)
    package_codes: List[str] = field(default_factory=list)
    #: ОКСМ digital code of the country of origin (СвДТ/@КодПроисх), imported goods only
    country_code: str = ""
    #: short name of the country of origin (КрНаимСтрПр); from a small table when empty
    country_name: str = ""
    #: registration number of the customs declaration, ГТД / ДТ (СвДТ/@НомерДТ), up to 29 chars
    customs_declaration: str = ""
    #: article of the goods (АртикулТов), up to 50 chars
    article: str = ""
    #: code of the goods (КодТов), up to 100 chars, e.g. the marketplace SKU
    code: str = ""
    #: GTIN / barcode of 14 digits (ГТИН), optional
    gtin: str = ""
    #: characteristic / description (ХарактерТов), up to 1000 chars
    characteristic: str = ""
    #: kind (ПрТовРаб): "1" goods, "2" work, "3" service, "4" property right, "5" other;
    #: empty = not written
    kind: str = ""
    #: ТН ВЭД code of the goods (КодВидТов), exactly 10 digits; for goods exported to the
    #: ЕАЭС
    tnved_code: str = ""
    #: ОКПД 2 code (КодТовОКПД2), optional
    okpd2_code: str = ""


@dataclass
class Document:
    """A УПД (or an invoice only / a transfer document only) of the seller."""

    #: Функция: "СЧФДОП" (invoice and transfer document — a VAT payer's УПД), "ДОП" (transfer
    #: document only — e.g. a seller on УСН without VAT), "СЧФ" (invoice only)
    function: str = "СЧФДОП"
    #: document number (НомерДок), up to 1000 chars
    number: str = ""
    #: document date (ДатаДок)
    date: Optional[datetime.date] = None
    #: ОКВ code of the currency (ДенИзм/@КодОКВ)
    currency_code: str = "643"
    #: currency name (ДенИзм/@НаимОКВ); from a small table when empty ("643" → "Российский рубль")
    currency_name: str = ""
    #: exchange rate (КурсВал), foreign currency only, up to 4 decimals
    currency_rate: Optional[Decimal] = None
    #: the seller (СвПрод), required
    seller: Optional[Party] = None
    #: the buyer (СвПокуп), required
    buyer: Optional[Party] = None
    #: the consignor (ГрузОтпр), goods only; None together with consignor_same_as_seller False
    #: writes nothing (works, services)
    consignor: Optional[Party] = None
    #: write "он же" for the consignor (the seller ships the goods itself)
    consignor_same_as_seller: bool = False
    #: the consignee (ГрузПолуч), goods only; None = not written
    consignee: Optional[Party] = None
    #: payment documents of advances (СвПРД, line 5)
    payment_documents: List[PaymentDocument] = field(default_factory=list)
    #: shipping documents (ДокПодтвОтгрНом, line 5a); for СЧФДОП, when empty, the УПД itself is
    #: written ("Универсальный передаточный документ" number date); required for СЧФ
    shipping_documents: List[DocumentRef] = field(default_factory=list)
    #: bases of the transfer — contract, order... (СвПродПер/СвПер/ОснПер); when empty,
    #: "Без документа-основания" is written (БезДокОснПер)
    basis_documents: List[DocumentRef] = field(default_factory=list)
    #: date of shipment / transfer (ДатаПер), for ДОП and СЧФДОП; empty = the document date,
    #: unless a period (service_period_start/end) is given
    shipment_date: Optional[datetime.date] = None
    #: services: start of the period (ДатаНачПер); with service_period_end replaces
    #: shipment_date
    service_period_start: Optional[datetime.date] = None
    #: services: end of the period (ДатаОконПер)
    service_period_end: Optional[datetime.date] = None
    #: content of the operation (СодОпер), e.g. "Товары переданы", "Услуги оказаны в полном
    #: объеме"; default "Товары переданы"
    shipment_description: str = ""
    #: kind of operation (ВидОпер), optional, e.g. "Продажа"
    operation_kind: str = ""
    #: transport information (Тран/@СвТран), optional, e.g. "ТН № 15 от 14.08.2026"
    transport_info: str = ""
    #: person who handed over the goods (СвЛицПер/РабОргПрод); None = the signer
    shipped_by: Optional[Signer] = None
    #: the signer (Подписант), required
    signer: Optional[Signer] = None
    #: the rows, at least one (ТаблСчФакт)
    lines: List[Line] = field(default_factory=list)
    #: ИдОтпр: the seller's identifier at its ЭДО operator (e.g. "2BM-7700000000-770001001-…")
    sender_id: str = ""
    #: ИдПол: the buyer's identifier at its ЭДО operator
    receiver_id: str = ""
    #: the GUID part (N) of ИдФайл, 36 chars with hyphens; empty = a random uuid4
    file_uuid: str = ""
    #: name of the program (ВерсПрог), up to 40 chars
    program_version: str = "Odoo marketplace_edo 1.0"
    #: НаимДокОпр: the name of the primary document agreed by the parties; required for СЧФДОП
    #: and ДОП, forbidden for СЧФ; empty = a default for the function
    document_name: str = ""
    #: ПоФактХЖ: name of the document by the fact of economic life; empty = a default
    fact_name: str = ""
    #: identifier of the government contract (ИдГосКон), 20–25 chars, optional
    government_contract_id: str = ""
    #: free key/value information fields of the seller (ИнфПолФХЖ1/ТекстИнф, Идентиф up to 50
    #: chars, Значен up to 2000 chars), e.g. {"НомерЗаказа": "WB-123"}
    info_fields: dict = field(default_factory=dict)
    #: this is a credit / correction note (Odoo out_refund): refused — УКД (корректировочный
    #: документ) is a different format, out of scope of this generator
    is_credit_note: bool = False
