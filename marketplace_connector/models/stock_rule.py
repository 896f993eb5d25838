# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_stock_move_values(self, product_id, product_qty, product_uom, location_dest_id, name, origin,
                               company_id, values):
        """An FBO order ships from the marketplace's warehouse: the move that takes the goods
        from stock takes them from the FBO location instead, and is reserved there."""
        move_values = super()._get_stock_move_values(
            product_id, product_qty, product_uom, location_dest_id, name, origin, company_id, values)
        fbo_location = values.get("marketplace_fbo_location_id")
        if fbo_location and self.procure_method != "make_to_order" and self.location_src_id.usage == "internal":
            move_values["location_id"] = fbo_location
        return move_values
