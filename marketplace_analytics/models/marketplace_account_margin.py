# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Spreading an account's order-less charges over its products (see
marketplace_margin_allocation.py), month by month."""
from decimal import ROUND_HALF_UP, Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .marketplace_margin_allocation import SPREAD_RULES

#: what is never spread: money of an order, or no cost
NOT_SPREAD = ("sale", "return", "payout", "compensation")


class MarketplaceAccount(models.Model):
    _inherit = "marketplace.account"

    margin_spread = fields.Selection(
        SPREAD_RULES, string="Spread order-less charges", default="revenue", required=True,
        help="How the charges that belong to no order (storage, advertising, penalties...) are shared among the "
             "products sold in the month, for the margin.")

    def _margin_spread(self, month):
        """Replace the allocations of ``month`` (any day of it) by a new spread; returns their count."""
        self.ensure_one()
        start = fields.Date.to_date(month).replace(day=1)
        end = fields.Date.add(start, months=1)
        cr = self.env.cr
        self.env["marketplace.finance.line"].flush_model()
        cr.execute("""
            SELECT category, currency_id, sum(amount)
              FROM marketplace_finance_line
             WHERE account_id = %s AND booked AND date >= %s AND date < %s AND sale_order_id IS NULL AND product_id IS NULL
               AND category IS NOT NULL AND category NOT IN %s
             GROUP BY category, currency_id HAVING sum(amount) != 0
        """, [self.id, start, end, NOT_SPREAD])
        charges = cr.fetchall()
        weight = {"revenue": "sum(l.amount)", "quantity": "sum(l.quantity)",
                  "volume": "sum(l.quantity * coalesce(p.volume, 0))"}[self.margin_spread]
        cr.execute(f"""
            SELECT l.product_id, {weight}
              FROM marketplace_finance_line l JOIN product_product p ON p.id = l.product_id
             WHERE l.account_id = %s AND l.booked AND l.date >= %s AND l.date < %s AND l.category = 'sale'
             GROUP BY l.product_id HAVING {weight} > 0
             ORDER BY l.product_id
        """, [self.id, start, end])
        weights = [(product, Decimal(str(value))) for product, value in cr.fetchall()]
        Allocation = self.env["marketplace.margin.allocation"].sudo()
        Allocation.search([("account_id", "=", self.id), ("month", "=", start)]).unlink()
        if not charges:
            return 0
        if not weights:
            raise UserError(_("%(account)s sold nothing in %(month)s by %(rule)s: its charges without an order "
                              "cannot be spread.", account=self.name, month=start.strftime("%m.%Y"),
                              rule=dict(self._fields["margin_spread"]._description_selection(self.env))[
                                  self.margin_spread]))
        total = sum(w for _p, w in weights)
        vals = []
        for category, currency_id, amount in charges:
            amount = Decimal(str(amount))
            left = amount
            for index, (product, value) in enumerate(weights):
                share = value / total
                part = left if index == len(weights) - 1 else (amount * share).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP)
                left -= part
                vals.append({"account_id": self.id, "month": start, "category": category, "product_id": product,
                             "amount": float(part), "currency_id": currency_id, "rule": self.margin_spread,
                             "share": float(share)})
        Allocation.create(vals)
        return len(vals)

    @api.model
    def _cron_margin_spread(self):
        """The current and the previous month of every account that imports its reports."""
        today = fields.Date.context_today(self)
        for account in self.search([("active", "=", True), ("finance_import", "=", True)]):
            for month in (fields.Date.subtract(today.replace(day=1), months=1), today.replace(day=1)):
                try:
                    with self.env.cr.savepoint():
                        account._margin_spread(month)
                except UserError:
                    continue
