# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The share of each product in the charges that belong to no order.

Storage, advertising, penalties, acceptance... come in the reports without an order (and
mostly without a product).  ``marketplace.account._margin_spread(month)`` spreads the month's
such charges of an account over the products the account sold that month, by the rule the
seller picked on the account (``margin_spread``):

* ``revenue``  — in proportion to each product's sales;
* ``quantity`` — in proportion to the units sold;
* ``volume``   — in proportion to the units sold × the product's volume.

One row per month, category and product; the rows of a month are replaced each time it is
spread again, so they always add up to the month's charges to the kopeck (the last product
takes the rounding).  Each row says which rule made it; the charges it comes from are the
month's order-less lines of its category (``action_open_sources``).
"""
from odoo import _, fields, models
from odoo.addons.marketplace_connector.lib import finance as lib_finance

SPREAD_RULES = [("revenue", "By revenue"), ("quantity", "By quantity"), ("volume", "By volume")]


class MarketplaceMarginAllocation(models.Model):
    _name = "marketplace.margin.allocation"
    _description = "Marketplace Charge Allocation"
    _order = "month desc, account_id, category, product_id"

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True,
                                 readonly=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    month = fields.Date(required=True, index=True, readonly=True, help="The first day of the month spread.")
    category = fields.Selection(lib_finance.CATEGORIES, required=True, readonly=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True, index=True)
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    rule = fields.Selection(SPREAD_RULES, required=True, readonly=True,
                            help="How the month's charges without an order were shared among the products.")
    share = fields.Float(digits=(16, 6), readonly=True, help="The product's share of the month.")

    def action_open_sources(self):
        """The order-less lines of the month and category this row shares."""
        self.ensure_one()
        start = self.month
        end = fields.Date.add(start, months=1)
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.finance.line",
            "name": _("Charges spread over the products"), "view_mode": "list,form",
            "domain": [("account_id", "=", self.account_id.id), ("category", "=", self.category),
                       ("sale_order_id", "=", False), ("product_id", "=", False),
                       ("date", ">=", start), ("date", "<", end)],
        }
