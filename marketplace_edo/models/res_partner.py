# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import upd as lib_upd
from ..lib import upd_model

LEGAL_FORMS = [
    ("legal", "Organisation"),
    ("entrepreneur", "Individual entrepreneur (ИП)"),
    ("person", "Natural person"),
    ("foreign", "Foreign organisation or citizen"),
]

#: ISO 3166 alpha-2 -> ОКСМ digital code (the countries the УПД generator knows by name, and a
#: few more); other countries are written with their name and need the code added here
OKSM_CODES = {
    "RU": "643", "BY": "112", "KZ": "398", "AM": "051", "KG": "417", "UZ": "860", "TJ": "762",
    "AZ": "031", "GE": "268", "MD": "498", "CN": "156", "TW": "158", "HK": "344", "IN": "356",
    "JP": "392", "KR": "410", "VN": "704", "TH": "764", "ID": "360", "MY": "458", "TR": "792",
    "DE": "276", "FR": "250", "IT": "380", "ES": "724", "PL": "616", "CZ": "203", "NL": "528",
    "BE": "056", "GB": "826", "US": "840", "CA": "124", "BR": "076", "MX": "484", "EG": "818",
    "AE": "784", "IR": "364", "PK": "586", "BD": "050", "LK": "144", "TM": "795", "MN": "496",
    "RS": "688", "IL": "376", "SA": "682", "FI": "246", "SE": "752", "CH": "756", "AT": "040",
}

_IP_PREFIX = re.compile(r"^\s*(ИП|индивидуальный\s+предприниматель)\s+", re.IGNORECASE)
_DIGITS = re.compile(r"\D")


def clean_digits(value):
    return _DIGITS.sub("", value or "")


class ResPartner(models.Model):
    _inherit = "res.partner"

    edo_legal_form = fields.Selection(
        LEGAL_FORMS, string="Legal form (УПД)",
        help="How the partner is written in the УПД. Empty: inferred from the ИНН (Tax ID): "
        "10 digits is an organisation, 12 digits an individual entrepreneur; a foreign "
        "company without ИНН is a foreign organisation.")
    edo_kpp = fields.Char(
        string="КПП", size=9,
        help="Tax registration reason code of a Russian organisation (9 characters). "
        "Individual entrepreneurs have none.")
    edo_last_name = fields.Char(
        string="Last name (ИП)",
        help="Individual entrepreneur or natural person: surname as in the УПД. Empty: taken "
        "from the name, e.g. «ИП Иванов Иван Иванович».")
    edo_first_name = fields.Char(string="First name (ИП)")
    edo_middle_name = fields.Char(string="Middle name (ИП)")
    edo_participant_id = fields.Char(
        string="EDO participant ID",
        help="The identifier of the participant at its EDO operator (ИдОтпр / ИдПол in the "
        "file name), e.g. 2BM-7707083893-770701001-201305280959450926853. Required to make "
        "the УПД file; ask the partner or look it up in the operator's web interface.")
    edo_box_id = fields.Char(
        string="EDO box ID",
        help="The partner's box at the EDO operator (Kontur.Diadoc: …@diadoc.ru), where the "
        "УПД is sent.")
    edo_contract_name = fields.Char(
        string="Contract name",
        help="Basis of the transfer written in the УПД, e.g. «Договор поставки». Empty: the "
        "sale order, or «Без документа-основания».")
    edo_contract_number = fields.Char(string="Contract number")
    edo_contract_date = fields.Date(string="Contract date")

    @api.constrains("edo_kpp")
    def _check_edo_kpp(self):
        for partner in self:
            kpp = (partner.edo_kpp or "").strip()
            if kpp and not re.match(r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$", kpp):
                raise ValidationError(_(
                    "КПП «%(kpp)s» of %(partner)s is invalid: 9 characters, digits (5th and 6th "
                    "may be capital Latin letters).", kpp=kpp, partner=partner.display_name))

    # --- УПД participant --------------------------------------------------------------
    def _edo_inn(self):
        return clean_digits(self.commercial_partner_id.vat)

    def _edo_kind(self):
        """The participant kind of the УПД (see upd_model.PARTY_KINDS)."""
        partner = self.commercial_partner_id
        if partner.edo_legal_form:
            return partner.edo_legal_form
        inn = partner._edo_inn()
        if len(inn) == 12:
            return "entrepreneur"
        if len(inn) == 10:
            return "legal"
        country = partner.country_id.code
        if country and country != "RU" and not inn:
            return "foreign"
        return "legal"

    def _edo_name_parts(self):
        """(last, first, middle) of an entrepreneur / person: the fields, else the name."""
        partner = self.commercial_partner_id
        if partner.edo_last_name or partner.edo_first_name:
            return (partner.edo_last_name or "", partner.edo_first_name or "", partner.edo_middle_name or "")
        words = _IP_PREFIX.sub("", partner.name or "").replace(",", " ").split()
        words += ["", "", ""]
        return words[0], words[1], " ".join(w for w in words[2:] if w)

    def _edo_country_code(self):
        code = self.country_id.code or "RU"
        return OKSM_CODES.get(code, "")

    def _edo_address(self):
        """upd_model.Address of the partner (free-text form, АдрИнф), or None when it has none."""
        self.ensure_one()
        parts = [self.zip, self.state_id.name if self.state_id else "", self.city, self.street, self.street2]
        text = ", ".join(p.strip() for p in parts if p and p.strip())
        if not text:
            return None
        country = self.country_id
        code = self._edo_country_code()
        name = lib_upd.COUNTRIES.get(code) or (country.name if country else "") or "Россия"
        # a country without a known ОКСМ code gets an empty code: the checker asks for it,
        # which is better than a wrong one
        return upd_model.Address(country_code=code, country_name=name, text=text)

    def _edo_party(self, address_partner=None):
        """upd_model.Party of the partner (its commercial entity); ``address_partner`` gives
        another address (a delivery address for the consignee)."""
        partner = self.commercial_partner_id
        kind = partner._edo_kind()
        inn = partner._edo_inn()
        party = upd_model.Party(kind=kind, name=(partner.name or "").strip(), inn=inn)
        if kind == "legal":
            party.kpp = (partner.edo_kpp or "").strip()
            party.ogrn = clean_digits(partner.company_registry)
        elif kind in ("entrepreneur", "person"):
            party.last_name, party.first_name, party.middle_name = partner._edo_name_parts()
            if kind == "entrepreneur":
                ogrnip = clean_digits(partner.company_registry)
                party.ogrnip = ogrnip if len(ogrnip) == 15 else ""
        else:  # foreign
            party.inn = ""
            party.foreign_country_code = partner._edo_country_code()
            party.foreign_country_name = partner.country_id.name or ""
            party.foreign_id = (partner.vat or "").strip()
            if not party.foreign_id:
                party.other_info = partner.country_id.name or ""
        party.address = (address_partner or partner)._edo_address() or partner._edo_address()
        bank = partner.bank_ids[:1]
        if bank:
            bic = clean_digits(bank.bank_id.bic)
            party.bank = upd_model.BankDetails(
                account=clean_digits(bank.acc_number)[:34],
                bank_name=(bank.bank_id.name or "").strip(),
                bic=bic if len(bic) == 9 else "",
            )
        if partner.phone or partner.email:
            party.contact = upd_model.Contact(
                phones=[partner.phone] if partner.phone else [],
                emails=[partner.email] if partner.email else [],
            )
        return party

    def _edo_basis_documents(self):
        """The contract of the partner as a basis of the transfer, or []."""
        partner = self.commercial_partner_id
        if partner.edo_contract_number and partner.edo_contract_date:
            return [upd_model.DocumentRef(
                name=partner.edo_contract_name or "Договор",
                number=partner.edo_contract_number, date=partner.edo_contract_date)]
        return []
