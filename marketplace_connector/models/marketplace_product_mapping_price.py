# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the marketplace accepted as the price of a mapped product, and the state of its last
export (the delta export compares the next price with it)."""
from odoo import fields, models

PRICE_STATES = [
    ("none", "Not sent"),
    ("sent", "Accepted"),
    ("pending", "Processing"),
    ("deferred", "Deferred"),
    ("blocked", "Stopped by the guard"),
    ("rejected", "Rejected"),
]


class MarketplaceProductMapping(models.Model):
    _inherit = "marketplace.product.mapping"

    # --- price export (issue 7) ----------------------------------------------------------
    price_state = fields.Selection(PRICE_STATES, string="Price state", default="none", required=True,
                                   index=True, copy=False, readonly=True)
    price_sent = fields.Float(string="Price on the marketplace", digits=(16, 2), readonly=True, copy=False,
                              help="The selling price the marketplace last accepted (after the discount).")
    price_old_sent = fields.Float(string="Crossed-out price", digits=(16, 2), readonly=True, copy=False,
                                  help="Wildberries: the price before the discount that was sent.")
    price_discount_sent = fields.Integer(string="Discount sent (%)", readonly=True, copy=False)
    price_date = fields.Datetime(string="Price accepted on", readonly=True, copy=False)
    price_checked_date = fields.Datetime(string="Price checked on", readonly=True, copy=False)
    price_floor = fields.Float(string="Lowest price allowed", digits=(16, 2), readonly=True, copy=False,
                               help="Cost + commission + logistics + minimum margin, VAT taken out of the price, "
                               "at the last check.")
    price_error = fields.Text(string="Price error", readonly=True, copy=False)
    price_task_ref = fields.Char(string="Wildberries upload", readonly=True, copy=False)
    price_pending_json = fields.Text(readonly=True, copy=False, groups="base.group_system")
    price_send_times = fields.Char(readonly=True, copy=False, groups="base.group_system",
                                   help="Ozon: when the price was sent in the last hour (at most 10 an hour).")
