# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A finance report as the marketplace states it: its period, its totals, its lines.

One record per report key of an account (Wildberries' weekly or daily realization report,
Ozon's month of transactions or its realization report, Yandex Market's payments report...),
written by the import (``marketplace.account._finance_import``) and never by hand.  The
report's ``to_pay`` is what the marketplace says it pays for the period; ``lines_total`` what
its lines add up to (payouts excluded); ``difference`` the gap, which is zero on a report
read whole — the first check of the reconciliation.
"""
from odoo import api, fields, models


class MarketplaceFinanceReport(models.Model):
    _name = "marketplace.finance.report"
    _description = "Marketplace Finance Report"
    _order = "date_to desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True,
                                 readonly=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    key = fields.Char(required=True, readonly=True, help="The report's key at the marketplace.")
    kind = fields.Char(readonly=True, help="The marketplace's kind of report (weekly, daily, realization...).")
    number = fields.Char(readonly=True)
    date_from = fields.Date(readonly=True)
    date_to = fields.Date(readonly=True)
    created = fields.Datetime(string="Created by the marketplace", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    to_pay = fields.Monetary(string="To pay (report)", readonly=True,
                             help="What the marketplace says it pays the seller for the period.")
    totals = fields.Json(string="Report totals", readonly=True)
    raw = fields.Json(string="Source", readonly=True, groups="account.group_account_invoice")
    line_ids = fields.One2many("marketplace.finance.line", "report_id", readonly=True)
    line_count = fields.Integer(compute="_compute_sums", store=True)
    lines_total = fields.Monetary(compute="_compute_sums", store=True,
                                  help="What the report's lines add up to, payouts excluded.")
    payout_total = fields.Monetary(compute="_compute_sums", store=True,
                                   help="The payouts the report's lines record.")
    difference = fields.Monetary(compute="_compute_sums", store=True,
                                 help="To pay (report) less what the lines add up to: zero for a report read whole.")
    imported_date = fields.Datetime(readonly=True)
    booked = fields.Boolean(
        default=True, readonly=True,
        help="Off for a report that restates money the marketplace's other reports carry (Ozon's monthly "
             "realization report): its lines are a document and a check, not money to book or to add up again.")

    _sql_constraints = [
        ("account_key_uniq", "unique(account_id, key)", "A marketplace's report is kept once per account."),
    ]

    @api.depends("account_id.name", "kind", "number", "key", "date_from", "date_to")
    def _compute_name(self):
        for report in self:
            label = report.number or report.key
            period = f"{report.date_from or ''} – {report.date_to or ''}"
            report.name = f"{report.account_id.name or ''} · {report.kind or ''} {label} · {period}"

    @api.depends("line_ids.amount", "line_ids.category", "to_pay")
    def _compute_sums(self):
        """In one query for all the reports (a report has thousands of lines)."""
        sums = {}
        ids = [rid for rid in self.ids if isinstance(rid, int)]
        if ids:
            self.env["marketplace.finance.line"].flush_model(["report_id", "amount", "category"])
            self.env.cr.execute("""
                SELECT report_id, count(*),
                       COALESCE(sum(amount) FILTER (WHERE category IS DISTINCT FROM 'payout'), 0),
                       COALESCE(sum(amount) FILTER (WHERE category = 'payout'), 0)
                  FROM marketplace_finance_line WHERE report_id = ANY(%s) GROUP BY report_id
            """, [ids])
            sums = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for report in self:
            count, total, payout = sums.get(report.id, (0, 0.0, 0.0))
            report.line_count = count
            report.lines_total = total
            report.payout_total = payout
            report.difference = report.currency_id.round((report.to_pay or 0.0) - total) if report.currency_id \
                else (report.to_pay or 0.0) - total

    def action_open_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.finance.line", "name": self.name,
            "view_mode": "list,pivot,form", "domain": [("report_id", "=", self.id)],
            "context": {"search_default_group_category": 1},
        }
