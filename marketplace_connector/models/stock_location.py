# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    # --- lifecycle: where returned marketplace orders come back ---------------------------------
    marketplace_returns = fields.Boolean(
        string="Marketplace returns", copy=False,
        help="The location returned marketplace orders of this warehouse come back to.")
