# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid

from odoo import api, fields, models, tools

from ..lib.call_log import endpoint_template, fold_calls


class MarketplaceSyncLog(models.Model):
    """What a run did with a marketplace's API, or one rejected payload.

    A failed or retried call is a row of its own; the successful calls of one run are folded
    into one row per (operation, method, endpoint template) with their count and durations, so
    that the log grows with the runs and the failures, not with every call.  Rows older than
    the retention the administrator sets are removed by ``marketplace.retention``.

    Never holds a credential: the transport scrubs them from every text it gives.
    """

    _name = "marketplace.sync.log"
    _description = "Marketplace Sync Log"
    _order = "id desc"
    _rec_name = "endpoint"

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    operation = fields.Selection(
        [("orders", "Order import"), ("catalog", "Catalogue"), ("warehouses", "Warehouses"),
         ("test", "Connection test"), ("payload", "Rejected payload"), ("other", "Other"),
         # lifecycle
         ("shipment", "Shipment"), ("supply", "Supply"), ("delivery", "Delivery status"),
         ("cancellation", "Cancellation"),
         # labels
         ("labels", "Labels"),
         # stock export
         ("stock", "Stock export"), ("fbo_stock", "FBO stock")],
        default="other", required=True)
    run_key = fields.Char(index=True, readonly=True,
                          help="The run the calls belong to: its successful calls are folded into one row "
                               "per endpoint.")
    method = fields.Char()
    endpoint = fields.Char()
    status_code = fields.Integer(string="HTTP status", aggregator=False)
    call_count = fields.Integer(string="Calls", default=1)
    duration_ms = fields.Integer(string="Duration (ms)", help="Of all the calls of the row together.")
    max_duration_ms = fields.Integer(string="Longest call (ms)", aggregator="max")
    avg_duration_ms = fields.Integer(string="Average call (ms)", compute="_compute_avg_duration_ms",
                                     store=True, aggregator="avg")
    attempts = fields.Integer(default=1)
    retries = fields.Integer(compute="_compute_retries", store=True)
    state = fields.Selection([("ok", "OK"), ("retried", "OK after retries"), ("error", "Error")],
                             required=True, default="ok", index=True)
    error = fields.Text()

    def init(self):
        # the retention cleaning reads the oldest rows first
        tools.create_index(self._cr, "marketplace_sync_log_create_date_index", self._table, ["create_date"])

    @api.depends("attempts")
    def _compute_retries(self):
        for log in self:
            log.retries = max((log.attempts or 1) - 1, 0)

    @api.depends("duration_ms", "call_count")
    def _compute_avg_duration_ms(self):
        for log in self:
            log.avg_duration_ms = (log.duration_ms or 0) // max(log.call_count or 1, 1)

    @api.model
    def _log_calls(self, account, calls, operation, run_key=None):
        """Write the API calls of a run: each failed or retried call as a row, the successful
        ones added to the run's row of their endpoint.

        ``run_key``: one key per run (a uuid), the same for every ``_log_calls`` of the run (one a
        page, for example), so that they all add to the same rows; without it, the calls are
        folded within this one call.  Returns the rows written or updated.
        """
        run_key = run_key or uuid.uuid4().hex
        singles, folded = fold_calls(calls)
        rows = self.create([
            {
                "account_id": account.id,
                "operation": operation,
                "run_key": run_key,
                "method": call.method,
                "endpoint": endpoint_template(call.endpoint),
                "status_code": call.status,
                "call_count": 1,
                "duration_ms": call.duration_ms,
                "max_duration_ms": call.duration_ms,
                "attempts": call.attempts,
                "error": call.error or False,
                "state": "error" if call.error else "retried",
            }
            for call in singles
        ]) if singles else self.browse()
        if not folded:
            return rows
        existing = {
            (row.method or "", row.endpoint or ""): row
            for row in self.search([("account_id", "=", account.id), ("run_key", "=", run_key),
                                    ("operation", "=", operation), ("state", "=", "ok")])
        }
        new_vals = []
        for key, fold in folded.items():
            row = existing.get(key)
            if row:
                row.write({
                    "call_count": row.call_count + fold.call_count,
                    "duration_ms": row.duration_ms + fold.duration_ms,
                    "max_duration_ms": max(row.max_duration_ms, fold.max_duration_ms),
                    "status_code": fold.status,
                })
                rows |= row
            else:
                new_vals.append(self._folded_values(account, operation, run_key, fold))
        if new_vals:
            rows |= self.create(new_vals)
        return rows

    @api.model
    def _folded_values(self, account, operation, run_key, fold):
        return {
            "account_id": account.id,
            "operation": operation,
            "run_key": run_key,
            "method": fold.method,
            "endpoint": fold.endpoint,
            "status_code": fold.status,
            "call_count": fold.call_count,
            "duration_ms": fold.duration_ms,
            "max_duration_ms": fold.max_duration_ms,
            "attempts": 1,
            "state": "ok",
        }

    @api.model
    def _cron_clean_old(self, days=None):
        """Kept for databases whose scheduled action still calls it: the retention job."""
        return self.env["marketplace.retention"]._cron_clean()
