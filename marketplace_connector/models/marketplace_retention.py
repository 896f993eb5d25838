# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How long the connector keeps what grows: sync log rows, order payloads, buyers' personal data.

The administrator sets the periods (Settings, ``ir.config_parameter``); one scheduled action
removes what is older, a batch of each kind per call.  Odoo 18's batch cron commits after each
call and calls again while ``_notify_progress`` reports work remaining (at most 10 times a run,
then it reschedules itself at once), so that no run is one huge DELETE past the cron's time limit.
"""
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PREFIX = "marketplace_connector."
SYNC_LOG_DAYS = PREFIX + "sync_log_days"
PAYLOAD_DAYS = PREFIX + "payload_days"
PERSONAL_DATA_DAYS = PREFIX + "personal_data_days"
STATE_HORIZON_DAYS = PREFIX + "state_horizon_days"
BATCH_SIZE = PREFIX + "retention_batch_size"

#: parameter -> default (days; rows for the batch size)
DEFAULTS = {
    SYNC_LOG_DAYS: 30,
    PAYLOAD_DAYS: 90,
    PERSONAL_DATA_DAYS: 90,
    STATE_HORIZON_DAYS: 60,
    BATCH_SIZE: 5000,
}

#: import states whose payload is the only copy of an order still to import: never purged
KEEP_PAYLOAD_STATES = ("held", "error")


class MarketplaceRetention(models.AbstractModel):
    _name = "marketplace.retention"
    _description = "Marketplace data retention"

    # --- the settings ---------------------------------------------------------------------
    @api.model
    def _param_days(self, key, default=None):
        """The whole number of days (>= 1) in the system parameter ``key``, else ``default``
        (else this module's default for the key).  A value that is not such a number is
        reported in the server log and the default is used."""
        if default is None:
            default = DEFAULTS.get(key, 0)
        raw = self.env["ir.config_parameter"].sudo().get_param(key)
        if raw in (None, False, ""):
            return default
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = 0
        if value < 1:
            _logger.warning("System parameter %s: %r is not a number of days; %s used", key, raw, default)
            return default
        return value

    @api.model
    def _cutoff(self, key):
        return fields.Datetime.now() - timedelta(days=self._param_days(key))

    @api.model
    def _batch_size(self):
        return self._param_days(BATCH_SIZE)

    # --- the scheduled action ---------------------------------------------------------------
    @api.model
    def _cleaning_steps(self):
        """The cleaning jobs, in order: each takes a batch size and returns (done, remaining)."""
        return [self._clean_sync_log, self._clean_payloads, self._clean_personal_data,
                self._clean_buyer_partners]

    @api.model
    def _cron_clean(self, limit=None):
        """One batch of each cleaning job; tells the cron how much was done and remains.

        Returns ``{"done": n, "remaining": m}``; call again while ``remaining`` (the cron does).
        """
        limit = limit or self._batch_size()
        done = remaining = 0
        for step in self._cleaning_steps():
            step_done, step_remaining = step(limit)
            done += step_done
            remaining += step_remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return {"done": done, "remaining": remaining}

    # --- sync log ---------------------------------------------------------------------------
    @api.model
    def _sync_log_domain(self):
        return [("create_date", "<", self._cutoff(SYNC_LOG_DAYS))]

    @api.model
    def _clean_sync_log(self, limit):
        Log = self.env["marketplace.sync.log"].sudo().with_context(active_test=False)
        domain = self._sync_log_domain()
        batch = Log.search(domain, limit=limit, order="id")
        batch.unlink()
        return len(batch), Log.search_count(domain)

    # --- payloads -----------------------------------------------------------------------------
    @api.model
    def _payload_domain(self):
        """Orders imported or skipped whose payload is older than the retention: closed
        before the cut-off, or, not closed, imported (first seen) before it.  Never a held
        or an error order."""
        cutoff = self._cutoff(PAYLOAD_DAYS)
        return [
            ("import_state", "not in", KEEP_PAYLOAD_STATES),
            ("payload", "!=", False),
            "|", ("closed_date", "<", cutoff),
            "&", ("closed_date", "=", False), ("create_date", "<", cutoff),
        ]

    @api.model
    def _clean_payloads(self, limit):
        Order = self.env["marketplace.order"].sudo().with_context(tracking_disable=True)
        domain = self._payload_domain()
        batch = Order.search(domain, limit=limit, order="id")
        batch.write({"payload": False})
        return len(batch), Order.search_count(domain)

    # --- personal data on orders ------------------------------------------------------------
    @api.model
    def _personal_data_domain(self):
        cutoff = self._cutoff(PERSONAL_DATA_DAYS)
        return [
            ("closed_date", "<", cutoff),
            "|", "|", "|", ("buyer_name", "!=", False), ("buyer_phone", "!=", False),
            ("buyer_address", "!=", False),
            # the payload holds the buyer too: removed with the rest, unless it is the only
            # copy of an order still to import
            "&", ("payload", "!=", False), ("import_state", "not in", KEEP_PAYLOAD_STATES),
        ]

    @api.model
    def _clean_personal_data(self, limit):
        """The buyer's name, phone and address on orders closed longer than the retention."""
        Order = self.env["marketplace.order"].sudo().with_context(tracking_disable=True)
        domain = self._personal_data_domain()
        batch = Order.search(domain, limit=limit, order="id")
        batch.write({"buyer_name": False, "buyer_phone": False, "buyer_address": False})
        batch.filtered(lambda o: o.import_state not in KEEP_PAYLOAD_STATES and o.payload).write(
            {"payload": False})
        return len(batch), Order.search_count(domain)

    # --- buyer contacts -----------------------------------------------------------------------
    @api.model
    def _buyer_partners_sql(self, cutoff, limit=None, count=False):
        """Buyer contacts not yet anonymised, created before the cut-off, none of whose sale
        orders is still open: each sale order of theirs belongs to a marketplace order closed
        before the cut-off (a sale order without one keeps its contact)."""
        conditions = [SQL("p.marketplace_buyer"), SQL("p.marketplace_anonymised_date IS NULL"),
                      SQL("p.create_date < %s", cutoff)]
        for column in ("partner_id", "partner_shipping_id", "partner_invoice_id"):
            conditions.append(SQL(
                """NOT EXISTS (SELECT 1 FROM sale_order so
                                WHERE so.%s = p.id
                                  AND NOT EXISTS (SELECT 1 FROM marketplace_order mo
                                                   WHERE mo.sale_order_id = so.id
                                                     AND mo.closed_date < %s))""",
                SQL.identifier(column), cutoff))
        where = SQL(" AND ").join(conditions)
        if count:
            return SQL("SELECT COUNT(*) FROM res_partner p WHERE %s", where)
        return SQL("SELECT p.id FROM res_partner p WHERE %s ORDER BY p.id LIMIT %s", where, limit)

    @api.model
    def _buyer_anonymous_values(self):
        """What a buyer contact keeps once anonymised: no name, phone, e-mail or address; the
        country and region stay (taxes and reports by region), and the link to its documents."""
        Partner = self.env["res.partner"]
        values = {"name": _("Anonymised buyer"), "marketplace_anonymised_date": fields.Datetime.now()}
        for name in ("phone", "mobile", "email", "street", "street2", "zip", "city", "comment",
                     "vat", "ref", "website", "function"):
            if name in Partner._fields:
                values[name] = False
        return values

    @api.model
    def _clean_buyer_partners(self, limit):
        env = self.env
        env.flush_all()
        cutoff = self._cutoff(PERSONAL_DATA_DAYS)
        # a write of a contact costs more than a row's DELETE: a tenth of the batch
        limit = max(limit // 10, 1)
        env.cr.execute(self._buyer_partners_sql(cutoff, limit=limit))
        ids = [row[0] for row in env.cr.fetchall()]
        partners = env["res.partner"].sudo().with_context(active_test=False, tracking_disable=True).browse(ids)
        if partners:
            partners.write(self._buyer_anonymous_values())
            env.flush_all()
        env.cr.execute(self._buyer_partners_sql(cutoff, count=True))
        return len(partners), env.cr.fetchone()[0]
