# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def write(self, vals):
        res = super().write(vals)
        # a move reserved, done or cancelled changes what the marketplaces may sell: the stock
        # export runs soon after, once for a burst of moves (marketplace.stock.level)
        if "state" in vals and not self.env.context.get("marketplace_stock_no_trigger"):
            self.env["marketplace.stock.level"].sudo()._schedule_export(self.product_id)
        return res
