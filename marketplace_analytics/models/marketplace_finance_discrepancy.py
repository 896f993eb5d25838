# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the reconciliation of an account's finance reports found, each with its reason.

``marketplace.account._finance_reconcile()`` compares the reports with Odoo and with
themselves, and replaces the account's open discrepancies with what it finds now (one a
problem; a problem solved since disappears, a discrepancy the accountant closed stays
closed):

* ``report_total``   — a report whose lines do not add up to what it says it pays;
* ``payout``         — the payouts a report records differ from what it says it pays;
* ``missing_sale``   — an order delivered (the marketplace said so) within the period the
  reports cover, with no sale in any report;
* ``no_order``       — a sale or a return of an order Odoo does not know;
* ``sale_amount``    — an order's sales in the reports differ from the order's total;
* ``commission``     — a commission whose rate differs from the rate the same report charges
  for the same product (or, for a product sold once, for the report's other sales);
* ``double_charge``  — the same charge (operation, order, amount) on two source rows, neither
  a correction.

The tolerance of the comparisons of amounts is the account's ``finance_tolerance``
(default 0: to the kopeck); the rate of a commission is compared within
``finance_rate_tolerance`` percentage points.
"""
from odoo import fields, models

KINDS = [
    ("report_total", "Report does not add up"),
    ("payout", "Payout differs from the report"),
    ("missing_sale", "Delivered, absent from the reports"),
    ("no_order", "Report row with no order"),
    ("sale_amount", "Sale amount differs from the order"),
    ("commission", "Commission differs from the expected"),
    ("double_charge", "Charge counted twice"),
]


class MarketplaceFinanceDiscrepancy(models.Model):
    _name = "marketplace.finance.discrepancy"
    _description = "Marketplace Finance Discrepancy"
    _order = "id desc"
    _rec_name = "kind"

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True,
                                 readonly=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    report_id = fields.Many2one("marketplace.finance.report", ondelete="cascade", index=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True, index=True)
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], default="open", required=True, index=True)
    key = fields.Char(required=True, readonly=True, help="What the discrepancy is about (stays the same run after run).")
    order_ref = fields.Char(string="Order", readonly=True, index=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    line_ids = fields.Many2many("marketplace.finance.line", string="Report lines", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    expected = fields.Monetary(readonly=True)
    actual = fields.Monetary(readonly=True)
    difference = fields.Monetary(readonly=True)
    reason = fields.Text(readonly=True)
    note = fields.Text(help="The accountant's note (why it is closed, for example).")

    _sql_constraints = [
        ("account_key_uniq", "unique(account_id, key)", "A discrepancy is listed once."),
    ]

    def action_close(self):
        self.write({"state": "closed"})

    def action_reopen(self):
        self.write({"state": "open"})
