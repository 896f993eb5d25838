# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import random
import time
import zlib
from datetime import timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lib import base as lib_base
from ..lib.transport import ApiError, AuthError

_logger = logging.getLogger(__name__)

MARKETPLACES = [
    ("wildberries", "Wildberries"),
    ("ozon", "Ozon"),
    ("yandex", "Yandex Market"),
]
ADMIN = "marketplace_connector.group_marketplace_admin"
CONCURRENCY_RETRIES = 5

#: the credential fields of each marketplace (model field -> adapter credential key)
CREDENTIALS = {
    "wildberries": {"wb_token": "token"},
    "ozon": {"ozon_client_id": "client_id", "ozon_api_key": "api_key"},
    "yandex": {"ym_api_key": "api_key"},
}


class MarketplaceAccount(models.Model):
    _name = "marketplace.account"
    _description = "Marketplace Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    marketplace = fields.Selection(MARKETPLACES, required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")

    # --- connection ---------------------------------------------------------------
    environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox / emulator")],
        default="production", required=True, tracking=True,
        help="Production uses the marketplace's own API addresses. Sandbox / emulator sends "
        "every call to the base URL below (a sandbox or the marketplace emulator).")
    base_url = fields.Char(
        string="Base URL", groups=ADMIN,
        help="Used in the sandbox / emulator environment, e.g. http://127.0.0.1:8900/ozon")
    wb_token = fields.Char(string="Wildberries API token", groups=ADMIN, copy=False)
    ozon_client_id = fields.Char(string="Ozon Client-Id", groups=ADMIN, copy=False)
    ozon_api_key = fields.Char(string="Ozon Api-Key", groups=ADMIN, copy=False)
    ym_api_key = fields.Char(string="Yandex Market Api-Key", groups=ADMIN, copy=False)
    ym_business_id = fields.Char(string="Yandex Market business ID", groups=ADMIN)
    ym_campaign_ids = fields.Char(
        string="Yandex Market campaign IDs", groups=ADMIN,
        help="Comma-separated campaign (shop) IDs of the business to import")
    has_credentials = fields.Boolean(compute="_compute_has_credentials")

    # --- sales --------------------------------------------------------------------
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    customer_mode = fields.Selection(
        [("marketplace", "One customer for the marketplace"),
         ("buyer", "A customer per buyer, where the marketplace gives buyer data")],
        default="marketplace", required=True,
        help="Who the customer of an imported sale order is. Buyer data (name, phone, address) "
        "is given only by some schemes (e.g. DBS) and is visible to marketplace users only.")
    partner_id = fields.Many2one(
        "res.partner", string="Marketplace customer", required=True,
        default=lambda self: self._default_partner(),
        help="The customer of imported orders (and the parent of buyers' contacts).")
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Default warehouse", check_company=True,
        help="Used for FBS/DBS orders from a marketplace warehouse that is not mapped yet.")
    warehouse_mapping_ids = fields.One2many("marketplace.warehouse.mapping", "account_id")
    product_mapping_ids = fields.One2many("marketplace.product.mapping", "account_id")

    # --- features -----------------------------------------------------------------
    import_orders = fields.Boolean(default=True, tracking=True)
    import_fbs = fields.Boolean(string="FBS orders", default=True)
    import_dbs = fields.Boolean(string="DBS orders", default=True)
    import_fbo = fields.Boolean(string="FBO orders", default=True)
    import_days = fields.Integer(
        string="First import (days back)", default=3,
        help="How far back the very first import looks.")
    overlap_minutes = fields.Integer(
        default=60, help="Each import window starts this long before the end of the previous "
        "one, so that late-arriving orders are never missed (duplicates are impossible).")

    # --- state --------------------------------------------------------------------
    orders_synced_until = fields.Datetime(
        string="Orders imported up to", copy=False, readonly=True)
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_error_date = fields.Datetime(readonly=True, copy=False)
    show_last_error = fields.Boolean(
        compute="_compute_show_last_error", search="_search_show_last_error",
        help="The last failure is newer than the last successful import and not dismissed.")
    order_count = fields.Integer(compute="_compute_counts")
    sync_error_count = fields.Integer(compute="_compute_counts")
    held_count = fields.Integer(compute="_compute_counts")
    unmapped_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("overlap_positive", "CHECK(overlap_minutes >= 0)", "The overlap cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("marketplace"):
                vals["partner_id"] = self._marketplace_partner(vals["marketplace"]).id
        return super().create(vals_list)

    @api.model
    def _default_partner(self):
        marketplace = self.env.context.get("default_marketplace")
        return self._marketplace_partner(marketplace) if marketplace else False

    @api.model
    def _marketplace_partner(self, marketplace):
        return self.env.ref(f"marketplace_connector.partner_{marketplace}", raise_if_not_found=False)

    @api.onchange("marketplace")
    def _onchange_marketplace(self):
        if self.marketplace and not self.partner_id:
            self.partner_id = self._marketplace_partner(self.marketplace)

    def _compute_has_credentials(self):
        for account in self:
            creds = account.sudo()._credentials()
            account.has_credentials = bool(creds) and all(creds.values())

    @api.depends("last_error", "last_error_date", "last_sync_date")
    def _compute_show_last_error(self):
        for account in self:
            account.show_last_error = bool(account.last_error) and (
                not account.last_sync_date or not account.last_error_date
                or account.last_error_date >= account.last_sync_date)

    def _search_show_last_error(self, operator, value):
        ids = self.search([("last_error", "!=", False)]).filtered("show_last_error").ids
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", ids)]

    def action_dismiss_error(self):
        self.sudo().write({"last_error": False})
        return True

    def _compute_counts(self):
        Order = self.env["marketplace.order"]
        orders = dict(Order._read_group([("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        sync_errors = dict(self.env["marketplace.sync.log"]._read_group(
            [("account_id", "in", self.ids), ("state", "=", "error")], ["account_id"], ["__count"]))
        held = dict(Order._read_group(
            [("account_id", "in", self.ids), ("import_state", "in", ("held", "error"))],
            ["account_id"], ["__count"]))
        unmapped = dict(self.env["marketplace.product.mapping"]._read_group(
            [("account_id", "in", self.ids), ("product_id", "=", False)],
            ["account_id"], ["__count"]))
        for account in self:
            account.order_count = orders.get(account, 0)
            account.held_count = held.get(account, 0)
            account.unmapped_count = unmapped.get(account, 0)
            account.sync_error_count = sync_errors.get(account, 0)

    # --- adapter ------------------------------------------------------------------
    def _credentials(self):
        self.ensure_one()
        return {key: self[field] for field, key in CREDENTIALS.get(self.marketplace, {}).items()}

    def _settings(self):
        self.ensure_one()
        schemes = [s for s, on in (("fbs", self.import_fbs), ("dbs", self.import_dbs),
                                   ("fbo", self.import_fbo)) if on]
        settings = {"schemes": schemes}
        if self.marketplace == "yandex":
            settings["business_id"] = int(self.ym_business_id or 0)
            settings["campaign_ids"] = [
                int(c) for c in (self.ym_campaign_ids or "").replace(";", ",").split(",") if c.strip()]
        return settings

    def _get_adapter(self, calls=None, **transport_kwargs):
        """The adapter of this account.  ``calls``: a list that collects every CallInfo."""
        self.ensure_one()
        account = self.sudo()
        creds = account._credentials()
        missing = [k for k, v in creds.items() if not v]
        if missing:
            raise UserError(_("The account %(name)s has no credentials yet (%(fields)s).",
                              name=self.name, fields=", ".join(missing)))
        base_url = account.base_url if account.environment == "sandbox" else None
        if account.environment == "sandbox" and not base_url:
            raise UserError(_("Set the base URL of the sandbox / emulator for %s.", self.name))
        if calls is not None:
            transport_kwargs["on_call"] = calls.append
        transport_kwargs.setdefault("timeout", (5.0, 30.0))
        return lib_base.make_adapter(
            self.marketplace, creds, account._settings(), base_url=base_url, **transport_kwargs)

    def _write_sync_log(self, calls, operation):
        """Record the API calls of one run in the sync log (see marketplace.sync.log)."""
        if calls:
            self.env["marketplace.sync.log"].sudo()._log_calls(self, calls, operation)

    def _record_failure(self, message):
        self.sudo().write({"last_error": message, "last_error_date": fields.Datetime.now()})

    # --- actions ------------------------------------------------------------------
    def action_test_connection(self):
        self.ensure_one()
        calls = []
        try:
            adapter = self._get_adapter(calls, max_attempts=2)
            summary = adapter.test_connection()
        except AuthError:
            message = _("The marketplace refused the credentials. Check the API key / token.")
            kind = "danger"
        except ApiError as exc:
            message = _("The marketplace could not be reached: %s", exc.message)
            kind = "danger"
        else:
            message = _("Connection works: %s", summary)
            kind = "success"
        self._write_sync_log(calls, "test")
        if kind == "danger":
            self._record_failure(message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.name, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def action_import_orders(self):
        for account in self:
            account._run_order_import()
        return True

    def action_import_catalog(self):
        self.ensure_one()
        calls = []
        try:
            items = list(self._get_adapter(calls).fetch_catalog())
        except ApiError as exc:
            self._write_sync_log(calls, "catalog")
            self._record_failure(exc.message)
            raise UserError(_("The catalogue could not be read: %s", exc.message)) from None
        self._write_sync_log(calls, "catalog")
        created, matched = self.env["marketplace.product.mapping"]._sync_catalog(self, items)
        return self._notify(_("Catalogue read: %(n)s items, %(c)s new, %(m)s matched to products.",
                              n=len(items), c=created, m=matched))

    def action_import_warehouses(self):
        self.ensure_one()
        calls = []
        try:
            warehouses = self._get_adapter(calls).fetch_warehouses()
        except ApiError as exc:
            self._write_sync_log(calls, "warehouses")
            self._record_failure(exc.message)
            raise UserError(_("The warehouses could not be read: %s", exc.message)) from None
        self._write_sync_log(calls, "warehouses")
        count = self.env["marketplace.warehouse.mapping"]._sync_warehouses(self, warehouses)
        return self._notify(_("%s new marketplace warehouses.", count))

    def action_auto_match(self):
        matched = self.env["marketplace.product.mapping"].search(
            [("account_id", "in", self.ids), ("product_id", "=", False)])._auto_match()
        return self._notify(_("%s items matched to products by barcode or internal reference.", matched))

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "info", "next": {"type": "ir.actions.act_window_close"}},
        }

    def _open(self, model, domain, name):
        return {"type": "ir.actions.act_window", "res_model": model, "name": name,
                "view_mode": "list,form", "domain": domain, "context": {"default_account_id": self.id}}

    def action_open_orders(self):
        return self._open("marketplace.order", [("account_id", "=", self.id)], _("Marketplace orders"))

    def action_open_held(self):
        return self._open("marketplace.order",
                          [("account_id", "=", self.id), ("import_state", "in", ("held", "error"))],
                          _("Held orders"))

    def action_open_unmapped(self):
        return self._open("marketplace.product.mapping",
                          [("account_id", "=", self.id), ("product_id", "=", False)],
                          _("Unmapped items"))

    def action_open_sync_log(self):
        return self._open("marketplace.sync.log", [("account_id", "=", self.id)], _("Sync log"))

    # --- order import ---------------------------------------------------------------
    def _lock_key(self):
        return zlib.crc32(f"marketplace.account:{self.id}".encode()) & 0x7FFFFFFF

    @api.model
    def _cron_import_orders(self):
        """The scheduled action: every active account, each in its own transaction."""
        for account in self.search([("import_orders", "=", True)]):
            # messages (hold reasons...) in the language of the administrator of the account
            lang = account.create_uid.lang or self.env.user.lang
            account.with_context(lang=lang)._run_order_import(commit=True)

    def _run_order_import(self, commit=False, now=None, **transport_kwargs):
        """Import new and changed orders of this account.

        Two processes at once: a session-level advisory lock per account lets one import
        while the other skips; the unique constraints on (account, external id) are the
        backstop.  With ``commit`` (the scheduled action) the work is committed per page,
        and a failure is rolled back and then recorded, so that nothing is lost.
        """
        self.ensure_one()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (4242, self._lock_key()))
        if not cr.fetchone()[0]:
            _logger.info("Order import of %s skipped: another process is importing it", self.name)
            return False
        calls = []
        try:
            attempt = 0
            while True:
                try:
                    return self._import_orders_locked(calls, commit=commit, now=now, **transport_kwargs)
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    # another transaction changed the same rows (stock reservations of the
                    # same products): start again from a fresh snapshot, as Odoo does for
                    # requests; inside a caller's transaction (no commit) it cannot be done
                    attempt += 1
                    if not commit or attempt > CONCURRENCY_RETRIES:
                        raise
                    cr.rollback()
                    self.env.invalidate_all()
                    _logger.info("Order import of %s: concurrent update, attempt %s", self.name, attempt + 1)
                    time.sleep(random.uniform(0.05, 0.5) * attempt)
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            if commit:
                cr.rollback()
            if isinstance(exc, ApiError):
                message = exc.message
            elif isinstance(exc, UserError):
                message = exc.args[0]
            else:  # the details (paths, traceback) go to the server log only
                message = _("Unexpected error (%s): see the server log.", type(exc).__name__)
            expected = isinstance(exc, (ApiError, UserError))
            _logger.warning("Order import of %s failed: %s", self.name, message, exc_info=not expected)
            self._write_sync_log(calls[-50:], "orders")
            self._record_failure(message)
            if commit:
                cr.commit()
            return False
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", (4242, self._lock_key()))

    def _import_orders_locked(self, calls, commit=False, now=None, **transport_kwargs):
        adapter = self._get_adapter(calls, **transport_kwargs)
        now = now or fields.Datetime.now()
        since = self.orders_synced_until or (now - timedelta(days=self.import_days or 1))
        since -= timedelta(minutes=self.overlap_minutes or 0)
        Order = self.env["marketplace.order"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        # 1. held orders first: their mapping may be there now
        Order.search([("account_id", "=", self.id), ("import_state", "=", "held")])._retry_import()
        # 2. new and changed orders of the window
        orders = adapter.fetch_orders(since.replace(tzinfo=timezone.utc), now.replace(tzinfo=timezone.utc))
        Order._process_orders(self, orders)
        # 3. states of the open orders imported earlier (cancellations, shipping)
        open_orders = Order.search([
            ("account_id", "=", self.id), ("import_state", "=", "imported"),
            ("mp_state", "in", ("new", "processing")),
            ("order_date", "<", since),
        ], limit=500, order="order_date desc")
        if open_orders:
            refs = [lib_base.OrderRef(o.external_id, o.scheme, o.secondary_ref or "") for o in open_orders]
            open_orders._apply_states(adapter.fetch_states(refs))
        self._write_sync_log(calls, "orders")
        calls.clear()
        self.sudo().write({"orders_synced_until": now, "last_sync_date": fields.Datetime.now()})
        if commit:
            self.env.cr.commit()
        return True
