# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    margin_vat_rate = fields.Float(
        string="VAT rate of the margin, %", default=22.0,
        help="The VAT rate of the amounts whose report row gives none (22 % from 2026).")
