# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The margin: per product, order, channel (account) and period, what the seller earned.

A read-only SQL view over three sources, one row each, so that every figure of the pivot
drills down to the rows it sums:

* the finance lines (payouts left out): sales and returns are the revenue, every other
  category a marketplace charge;
* the allocations of the charges that belong to no order (``marketplace.margin.allocation``),
  each saying which rule spread it;
* the cost of goods: the stock valuation layers of the deliveries (and returns) of the
  marketplace sale orders (Odoo's stock valuation, negative out, positive back in).

``tax`` follows the company's tax regime (``res.company.tax_regime``):

* ``usn6``  — 6 % of the income (sales, returns, compensations: the full sale price, not
  reduced by the marketplace's remuneration, as the tax service reads the law);
* ``usn15`` — 15 % of income less expenses (every row, cost of goods included);
* ``vat``   — the VAT in each amount (the line's rate, else the company's): due on the sales,
  deducted on the charges; the cost of goods is valued without VAT.

``margin`` = the amount + the tax (a tax is negative).
"""
from odoo import api, fields, models, tools
from odoo.addons.marketplace_connector.lib import finance as lib_finance

from .marketplace_margin_allocation import SPREAD_RULES

MARGIN_CATEGORIES = list(lib_finance.CATEGORIES) + [("cogs", "Cost of goods")]


class MarketplaceMargin(models.Model):
    _name = "marketplace.margin"
    _description = "Marketplace Margin"
    _auto = False
    _order = "date desc"
    _rec_name = "product_id"
    #: what the view reads: flushed before it is queried
    _depends = {
        "marketplace.finance.line": ["account_id", "company_id", "date", "product_id", "sale_order_id", "category",
                                     "currency_id", "amount", "vat_rate", "booked"],
        "marketplace.margin.allocation": ["account_id", "company_id", "month", "product_id", "category", "rule",
                                          "currency_id", "amount"],
        "stock.valuation.layer": ["company_id", "create_date", "product_id", "stock_move_id", "value"],
        "stock.move": ["sale_line_id"],
        "sale.order.line": ["order_id"],
        "sale.order": ["marketplace_account_id"],
        "res.company": ["currency_id", "tax_regime", "margin_vat_rate"],
    }

    source = fields.Selection([("line", "Report line"), ("allocation", "Spread charge"), ("cogs", "Cost of goods")],
                              readonly=True)
    account_id = fields.Many2one("marketplace.account", string="Channel", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    marketplace = fields.Selection(related="account_id.marketplace", readonly=True)
    date = fields.Datetime(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    category = fields.Selection(MARGIN_CATEGORIES, readonly=True)
    rule = fields.Selection(SPREAD_RULES, string="Spread rule", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    revenue = fields.Monetary(readonly=True)
    charges = fields.Monetary(string="Marketplace charges", readonly=True)
    cogs = fields.Monetary(string="Cost of goods", readonly=True)
    tax = fields.Monetary(readonly=True)
    margin = fields.Monetary(readonly=True)
    line_id = fields.Many2one("marketplace.finance.line", string="Report line", readonly=True)
    allocation_id = fields.Many2one("marketplace.margin.allocation", readonly=True)
    valuation_layer_id = fields.Many2one("stock.valuation.layer", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # amounts as float8 (Odoo's Monetary fields are floats): a million rows summed in a
        # second, where numeric arithmetic and a rounding per row took three; the tax is rounded
        # once, as the figure is shown
        self.env.cr.execute(f"""
            CREATE VIEW {self._table} AS (
            WITH src AS (
                SELECT l.id * 3 AS id, 'line' AS source, l.account_id, l.company_id, l.date, l.product_id,
                       l.sale_order_id, l.category, NULL::varchar AS rule, l.currency_id, l.amount::float8 AS amount,
                       NULLIF(l.vat_rate, 0) AS vat_rate,
                       l.id AS line_id, NULL::integer AS allocation_id, NULL::integer AS valuation_layer_id
                  FROM marketplace_finance_line l
                 WHERE l.category IS DISTINCT FROM 'payout' AND l.booked
                   -- a charge of no order spread over the products is counted in its shares
                   AND NOT (l.sale_order_id IS NULL AND l.product_id IS NULL AND EXISTS (
                       SELECT 1 FROM marketplace_margin_allocation a
                        WHERE a.account_id = l.account_id AND a.category = l.category
                          AND a.month = date_trunc('month', l.date)::date))
                UNION ALL
                SELECT a.id * 3 + 1, 'allocation', a.account_id, a.company_id, a.month::timestamp, a.product_id,
                       NULL, a.category, a.rule, a.currency_id, a.amount::float8, NULL, NULL, a.id, NULL
                  FROM marketplace_margin_allocation a
                UNION ALL
                SELECT v.id * 3 + 2, 'cogs', so.marketplace_account_id, v.company_id, v.create_date, v.product_id,
                       so.id, 'cogs', NULL, c.currency_id, v.value::float8, NULL, NULL, NULL, v.id
                  FROM stock_valuation_layer v
                  JOIN stock_move m ON m.id = v.stock_move_id
                  JOIN sale_order_line sol ON sol.id = m.sale_line_id
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN res_company c ON c.id = v.company_id
                 WHERE so.marketplace_account_id IS NOT NULL
            ), taxed AS (
                SELECT src.*,
                       src.amount * CASE c.tax_regime
                           WHEN 'usn6' THEN CASE WHEN src.category IN ('sale', 'return', 'compensation')
                                                 THEN -0.06 ELSE 0 END
                           WHEN 'usn15' THEN -0.15
                           WHEN 'vat' THEN CASE WHEN src.category = 'cogs' THEN 0
                                                ELSE -COALESCE(src.vat_rate, c.margin_vat_rate)
                                                     / (100 + COALESCE(src.vat_rate, c.margin_vat_rate)) END
                           ELSE 0 END AS tax
                  FROM src JOIN res_company c ON c.id = src.company_id
            )
            SELECT id, source, account_id, company_id, date, product_id, sale_order_id, category, rule,
                   currency_id, line_id, allocation_id, valuation_layer_id,
                   CASE WHEN category IN ('sale', 'return') THEN amount ELSE 0 END AS revenue,
                   CASE WHEN category NOT IN ('sale', 'return', 'cogs') OR category IS NULL THEN amount ELSE 0 END
                       AS charges,
                   CASE WHEN category = 'cogs' THEN amount ELSE 0 END AS cogs,
                   tax,
                   amount + tax AS margin
              FROM taxed
            )
        """)

    @api.model
    def _read_group(self, *args, **kwargs):
        # PostgreSQL's JIT compiles this view's plan anew for every pivot (close to a second of a
        # two-second answer over a million rows) for no gain: off for the rest of the transaction
        self.env.cr.execute("SET LOCAL jit = off")
        return super()._read_group(*args, **kwargs)

    def action_open_source(self):
        """The row this figure comes from."""
        self.ensure_one()
        record = self.line_id or self.allocation_id or self.valuation_layer_id
        return {"type": "ir.actions.act_window", "res_model": record._name, "res_id": record.id,
                "view_mode": "form", "target": "new"}
