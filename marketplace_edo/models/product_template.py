# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    edo_marked = fields.Boolean(
        string="Marked goods (Честный знак)",
        help="Each unit carries a marking code. Track the product by serial numbers holding the "
        "codes: the УПД lists the codes of the delivered serials (КИЗ). Codes imported with "
        "marketplace orders are used too.")
