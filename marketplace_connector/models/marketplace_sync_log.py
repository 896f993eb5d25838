# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class MarketplaceSyncLog(models.Model):
    """One call to a marketplace's API (after its retries), or one rejected payload.

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
         ("test", "Connection test"), ("payload", "Rejected payload"), ("other", "Other")],
        default="other", required=True)
    method = fields.Char()
    endpoint = fields.Char()
    status_code = fields.Integer(string="HTTP status")
    duration_ms = fields.Integer(string="Duration (ms)")
    attempts = fields.Integer(default=1)
    retries = fields.Integer(compute="_compute_retries", store=True)
    state = fields.Selection([("ok", "OK"), ("retried", "OK after retries"), ("error", "Error")],
                             required=True, default="ok", index=True)
    error = fields.Text()

    @api.depends("attempts")
    def _compute_retries(self):
        for log in self:
            log.retries = max((log.attempts or 1) - 1, 0)

    @api.model
    def _log_calls(self, account, calls, operation):
        """One entry per API call (after its retries)."""
        return self.create([
            {
                "account_id": account.id,
                "operation": operation,
                "method": call.method,
                "endpoint": call.endpoint,
                "status_code": call.status,
                "duration_ms": call.duration_ms,
                "attempts": call.attempts,
                "error": call.error or False,
                "state": "error" if call.error else ("retried" if call.attempts > 1 else "ok"),
            }
            for call in calls
        ])

    @api.model
    def _cron_clean_old(self, days=90):
        self.search([("create_date", "<", fields.Datetime.now() - timedelta(days=days))]).unlink()
