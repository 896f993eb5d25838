# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    marketplace_account_id = fields.Many2one("marketplace.account", readonly=True, index=True, copy=False)
    marketplace = fields.Selection(related="marketplace_account_id.marketplace", store=True)
    marketplace_external_id = fields.Char(string="Marketplace order ID", readonly=True, copy=False)
    marketplace_scheme = fields.Selection([("fbs", "FBS"), ("dbs", "DBS"), ("fbo", "FBO")],
                                          readonly=True, copy=False)
    marketplace_fbo_location_id = fields.Many2one(
        "stock.location", string="FBO location", readonly=True, copy=False,
        help="FBO order: the location that holds our goods at the marketplace's warehouse; "
        "the delivery takes the goods from there.")

    _sql_constraints = [
        ("marketplace_external_uniq", "UNIQUE(marketplace_account_id, marketplace_external_id)",
         "This marketplace order has already been imported."),
    ]
