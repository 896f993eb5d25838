# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    marketplace_account_id = fields.Many2one("marketplace.account", readonly=True, index=True, copy=False)
    marketplace = fields.Selection(related="marketplace_account_id.marketplace", store=True)
    marketplace_external_id = fields.Char(string="Marketplace order ID", readonly=True, copy=False)
    marketplace_scheme = fields.Selection([("fbs", "FBS"), ("dbs", "DBS"), ("fbo", "FBO")],
                                          readonly=True, copy=False)

    _sql_constraints = [
        ("marketplace_external_uniq", "UNIQUE(marketplace_account_id, marketplace_external_id)",
         "This marketplace order has already been imported."),
    ]


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    marketplace_offer_code = fields.Char(string="Marketplace article", readonly=True, copy=False)
    marketplace_marking_codes = fields.Text(string="Marking codes", readonly=True, copy=False)
