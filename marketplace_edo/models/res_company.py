# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..lib import upd_model


class ResCompany(models.Model):
    _inherit = "res.company"

    edo_vat_payer = fields.Boolean(
        string="VAT payer", default=True,
        help="Checked: the УПД is an invoice and a transfer document (status 1, function "
        "СЧФДОП) with the VAT of the lines. Unchecked (УСН without VAT, exemption under "
        "art. 145 НК РФ): a transfer document only (status 2, function ДОП), «без НДС».")
    edo_kpp = fields.Char(related="partner_id.edo_kpp", readonly=False)
    edo_participant_id = fields.Char(related="partner_id.edo_participant_id", readonly=False)
    edo_signer_last_name = fields.Char(string="Signer's last name")
    edo_signer_first_name = fields.Char(string="Signer's first name")
    edo_signer_middle_name = fields.Char(string="Signer's middle name")
    edo_signer_position = fields.Char(
        string="Signer's position", help="E.g. «Генеральный директор». Also written as the "
        "position of the person who handed over the goods.")
    edo_signer_authority = fields.Char(
        string="Signer's authority", help="Basis of the signer's authority, e.g. «Устав» or "
        "«Доверенность № 12 от 01.02.2026». Optional.")
    edo_chief_accountant = fields.Char(
        string="Chief accountant", help="Printed on the paper form (surname and initials). Optional.")
    edo_fbo_auto_upd = fields.Boolean(
        string="УПД on FBO supply",
        help="Make the УПД to the marketplace automatically when a transfer to a marketplace "
        "(FBO) warehouse is validated. A button on the transfer makes it on request anyway.")

    def _edo_signer(self):
        self.ensure_one()
        return upd_model.Signer(
            last_name=(self.edo_signer_last_name or "").strip(),
            first_name=(self.edo_signer_first_name or "").strip(),
            middle_name=(self.edo_signer_middle_name or "").strip(),
            position=(self.edo_signer_position or "").strip(),
            authority_basis=(self.edo_signer_authority or "").strip(),
        )
