# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    marketplace_offer_code = fields.Char(string="Marketplace article", readonly=True, copy=False)
    marketplace_marking_codes = fields.Text(string="Marking codes", readonly=True, copy=False)

    def _prepare_procurement_values(self, group_id=False):
        values = super()._prepare_procurement_values(group_id=group_id)
        location = self.order_id.marketplace_fbo_location_id
        if location:
            values["marketplace_fbo_location_id"] = location.id
        return values
