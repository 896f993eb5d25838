# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    margin_tax_regime = fields.Selection(
        [("vat", "VAT (ОСНО)"), ("usn6", "УСН 6 % (income)"), ("usn15", "УСН 15 % (income less expenses)"),
         ("none", "No tax in the margin")],
        string="Tax in the marketplace margin", default="vat", required=True,
        help="How the margin of the marketplace sales takes the tax out: the VAT in the amounts, 6 % of the income "
             "(УСН «доходы»: the full sale price), or 15 % of the income less the expenses.")
    margin_vat_rate = fields.Float(
        string="VAT rate of the margin, %", default=22.0,
        help="The VAT rate of the amounts whose report row gives none (22 % from 2026).")
