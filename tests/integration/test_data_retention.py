"""Data that grows: the sync log folds a run's successful calls, the administrator sets how long
the log, the payloads and the buyers' personal data are kept, and a scheduled action removes
what is older, a batch at a time."""
import json
from collections import Counter
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests.common import TransactionCase, new_test_user

from odoo.addons.marketplace_connector.lib.transport import CallInfo

from .common import MarketplaceCase

ADMIN_GROUPS = "base.group_user,base.group_system,marketplace_connector.group_marketplace_admin"


def _call(endpoint, status=200, ms=10, attempts=1, error="", method="POST"):
    return CallInfo(method=method, endpoint=endpoint, url="http://mp" + endpoint, status=status,
                    duration_ms=ms, attempts=attempts, error=error)


class TestSyncLogFolding(MarketplaceCase):
    def _rows(self, account, operation="orders"):
        return self.env["marketplace.sync.log"].search([("account_id", "=", account.id),
                                                        ("operation", "=", operation)])

    def test_import_run_folds_successes_and_keeps_retries(self):
        for mp in self.marketplaces:
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                self._rows(account).unlink()
                self.emulator.apps[mp].add_orders(40, offer_codes=self.known_codes(30))
                self.emulator.reset_records()
                # one page refused once by the marketplace: the call is retried and succeeds
                list_path = {"wildberries": "/api/v3/orders/new", "ozon": "/v4/posting/fbs/list",
                             "yandex": "/v1/businesses/{businessId}/orders"}[mp]
                self.emulator.faults.force(mp, "5xx", 1, path=list_path)
                self.assertTrue(self.run_import(account), account.last_error)
                # the source: every request the marketplace received
                requests = self.emulator.requests_to(mp)
                self.assertTrue(requests)
                rows = self._rows(account)
                ok = rows.filtered(lambda r: r.state == "ok")
                others = rows - ok
                # nothing lost: each request is in the log, folded or on its own row
                self.assertEqual(sum(ok.mapped("call_count")) + sum(others.mapped("attempts")), len(requests))
                self.assertEqual(len(others.filtered(lambda r: r.state == "retried")), 1)
                self.assertEqual(others.filtered(lambda r: r.state == "retried").attempts, 2)
                # one row per run and endpoint, however many pages wrote to the log
                keys = Counter((r.run_key, r.method, r.endpoint) for r in ok)
                self.assertEqual(max(keys.values()), 1, keys)
                self.assertLess(len(rows), len(requests))
                # the figures of a row are the calls'
                for row in ok:
                    self.assertGreaterEqual(row.duration_ms, row.max_duration_ms)
                    self.assertEqual(row.avg_duration_ms, row.duration_ms // row.call_count)
                # endpoints are templates: no order id in them
                ids = set(self.emulator.apps[mp].orders)
                for row in rows:
                    self.assertFalse([seg for seg in row.endpoint.split("/") if seg in ids], row.endpoint)

    def test_several_writes_of_one_run_update_the_same_rows(self):
        Log = self.env["marketplace.sync.log"]
        account = self.accounts["yandex"]
        Log.search([("account_id", "=", account.id)]).unlink()
        page = [_call("/v2/campaigns/11/orders/1/buyer", ms=5, method="GET"),
                _call("/v2/campaigns/11/orders/2/buyer", ms=7, method="GET"),
                _call("/v1/businesses/{businessId}/orders", ms=20)]
        Log._log_calls(account, page, "orders", run_key="run-1")
        Log._log_calls(account, page + [_call("/v1/businesses/{businessId}/orders", status=500, ms=90,
                                              attempts=3, error="HTTP 500: boom (after 3 attempts)")],
                       "orders", run_key="run-1")
        rows = Log.search([("account_id", "=", account.id)])
        buyer = rows.filtered(lambda r: r.endpoint == "/v2/campaigns/{id}/orders/{id}/buyer")
        self.assertEqual((buyer.call_count, buyer.duration_ms, buyer.max_duration_ms), (4, 24, 7))
        listing = rows.filtered(lambda r: r.endpoint == "/v1/businesses/{businessId}/orders")
        self.assertEqual(sorted(listing.mapped("state")), ["error", "ok"])
        self.assertEqual(listing.filtered(lambda r: r.state == "ok").call_count, 2)
        self.assertIn("boom", listing.filtered(lambda r: r.state == "error").error)
        # another run, or no run key: rows of their own
        Log._log_calls(account, page, "orders", run_key="run-2")
        Log._log_calls(account, page, "orders")
        Log._log_calls(account, page, "orders")
        rows = Log.search([("account_id", "=", account.id), ("state", "=", "ok")])
        self.assertEqual(len(rows), 2 * 4)
        self.assertEqual(sum(rows.mapped("call_count")), (4 + 2) + 3 + 3 + 3)


class TestRetention(TransactionCase):
    """Records of the import made directly (no emulator needed), their dates moved back."""

    test_tags = {"standard", "at_install"}
    test_module = "marketplace_connector"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.account = cls.env["marketplace.account"].create({
            "name": "Ozon (retention)", "marketplace": "ozon", "environment": "sandbox",
            "base_url": "http://127.0.0.1:9", "warehouse_id": warehouse.id,
            "ozon_client_id": "1", "ozon_api_key": "retention-key"})
        cls.products = cls.env["product.product"].create([{"name": "Футболка", "type": "consu"}])
        cls.Retention = cls.env["marketplace.retention"]
        cls.now = fields.Datetime.now()

    def _age(self, records, days, column="create_date"):
        """Move ``column`` of ``records`` ``days`` back (as if they were that old)."""
        records.flush_recordset()
        self.env.cr.execute(f'UPDATE "{records._table}" SET "{column}" = %s WHERE id IN %s',
                            (self.now - timedelta(days=days), tuple(records.ids)))
        records.invalidate_recordset()

    def _set(self, **days):
        ICP = self.env["ir.config_parameter"].sudo()
        for key, value in days.items():
            ICP.set_param(f"marketplace_connector.{key}", value)

    def _drain(self, limit):
        rounds = []
        for _ in range(50):
            result = self.Retention._cron_clean(limit=limit)
            rounds.append(result)
            if not result["remaining"]:
                return rounds
        self.fail(f"cleaning never finished: {rounds[-3:]}")

    def _order(self, ref, state, closed_days=None, created_days=None, buyer="Иванов Иван", sale=False):
        order = self.env["marketplace.order"].create({
            "account_id": self.account.id, "external_id": ref, "import_state": state,
            "payload": json.dumps({"posting_number": ref, "customer": {"name": buyer}}),
            "buyer_name": buyer, "buyer_phone": "+79990001122", "buyer_address": "Москва, ул. Ленина, 1",
            "sale_order_id": sale and sale.id,
        })
        if closed_days is not None:
            order.closed_date = self.now - timedelta(days=closed_days)
        if created_days is not None:
            self._age(order, created_days)
        return order

    # --- settings ---------------------------------------------------------------------------
    def test_settings_by_the_administrator(self):
        admin = new_test_user(self.env, login="mp_settings_admin", groups=ADMIN_GROUPS)
        self.assertEqual(self.Retention._param_days("marketplace_connector.sync_log_days"), 30)
        self.assertEqual(self.Retention._param_days("marketplace_connector.payload_days"), 90)
        self.assertEqual(self.Retention._param_days("marketplace_connector.personal_data_days"), 90)
        self.assertEqual(self.Retention._param_days("marketplace_connector.state_horizon_days"), 60)
        settings = self.env["res.config.settings"].with_user(admin).create({
            "marketplace_sync_log_days": 7, "marketplace_payload_days": 45,
            "marketplace_personal_data_days": 30, "marketplace_state_horizon_days": 120})
        settings.execute()
        ICP = self.env["ir.config_parameter"].sudo()
        self.assertEqual(ICP.get_param("marketplace_connector.sync_log_days"), "7")
        self.assertEqual(ICP.get_param("marketplace_connector.state_horizon_days"), "120")
        self.assertEqual(self.Retention._param_days("marketplace_connector.payload_days"), 45)
        self.assertEqual(self.env["res.config.settings"].with_user(admin).create({}).marketplace_personal_data_days, 30)
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].with_user(admin).create({"marketplace_sync_log_days": -5})
        # a value that is no number of days (typed in System Parameters): the default, no crash
        ICP.set_param("marketplace_connector.sync_log_days", "thirty")
        self.assertEqual(self.Retention._param_days("marketplace_connector.sync_log_days"), 30)
        # a marketplace manager does not change them
        manager = new_test_user(self.env, login="mp_settings_manager",
                                groups="base.group_user,marketplace_connector.group_marketplace_user")
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(manager).create({"marketplace_sync_log_days": 1})

    # --- the cleaning ------------------------------------------------------------------------
    def test_old_sync_log_rows_removed_in_batches(self):
        Log = self.env["marketplace.sync.log"]
        Log.search([]).unlink()
        old = Log._log_calls(self.account, [_call(f"/v{i}/old", error="HTTP 500: x") for i in range(7)], "orders")
        recent = Log._log_calls(self.account, [_call(f"/v{i}/new", error="HTTP 500: y") for i in range(3)], "orders")
        self._age(old, 31)
        self._age(recent, 29)
        rounds = self._drain(limit=3)
        self.assertEqual([r["done"] for r in rounds], [3, 3, 1])
        self.assertEqual(Log.search([]), recent)
        # the administrator's period
        self._set(sync_log_days=10)
        self._drain(limit=3)
        self.assertFalse(Log.search([]))

    def test_scheduled_action_reports_progress_to_the_cron(self):
        Log = self.env["marketplace.sync.log"]
        Log.search([]).unlink()
        self._age(Log._log_calls(self.account, [_call(f"/v{i}/x", error="e") for i in range(5)], "orders"), 40)
        self._set(retention_batch_size=2)
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_clean_sync_log")
        self.assertEqual(cron.model_id.model, "marketplace.retention")
        # as Odoo 18's cron runs it: a progress record in the context, the server action run
        cron, progress = cron._add_progress()
        cron.ir_actions_server_id.with_context(cron.env.context).with_user(cron.user_id).run()
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(Log.search_count([]), 3)

    def test_payloads_of_imported_orders_removed_never_of_held_ones(self):
        self._set(payload_days=90, personal_data_days=3650)
        held = self._order("H-1", "held", closed_days=400, created_days=400)
        error = self._order("E-1", "error", created_days=400)
        closed_old = self._order("I-1", "imported", closed_days=91, created_days=120)
        closed_recent = self._order("I-2", "imported", closed_days=60, created_days=120)
        open_old = self._order("I-3", "imported", created_days=91)
        open_recent = self._order("I-4", "imported", created_days=30)
        skipped_old = self._order("S-1", "skipped", closed_days=100, created_days=100)
        self._drain(limit=2)
        self.env.invalidate_all()
        self.assertTrue(held.payload)
        self.assertTrue(error.payload)
        self.assertFalse(closed_old.payload)
        self.assertTrue(closed_recent.payload)
        self.assertFalse(open_old.payload)
        self.assertTrue(open_recent.payload)
        self.assertFalse(skipped_old.payload)
        # the order itself stays, with its state and references
        self.assertEqual(closed_old.import_state, "imported")
        self.assertEqual(closed_old.buyer_name, "Иванов Иван")

    def test_personal_data_and_buyer_contacts_removed_after_closing(self):
        self._set(personal_data_days=90, payload_days=3650)
        Partner = self.env["res.partner"]
        parent = self.account.partner_id
        product = self.products[0]

        def buyer(name, days_old):
            partner = Partner.create({"parent_id": parent.id, "type": "delivery", "name": name,
                                      "phone": "+79991234567", "email": "buyer@example.ru",
                                      "street": "ул. Тверская, 7", "city": "Москва", "zip": "125009",
                                      "marketplace_buyer": True})
            self._age(partner, days_old)
            return partner

        def sale(partner):
            order = self.env["sale.order"].create({
                "partner_id": parent.id, "partner_shipping_id": partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]})
            order.action_confirm()
            return order

        done_buyer = buyer("Петров Пётр", 200)
        busy_buyer = buyer("Сидорова Анна", 200)
        new_buyer = buyer("Кузнецов Олег", 10)
        sale_done = sale(done_buyer)
        sale_busy_old, sale_busy_open = sale(busy_buyer), sale(busy_buyer)
        sale_new = sale(new_buyer)
        o_done = self._order("P-1", "imported", closed_days=100, created_days=150, buyer="Петров Пётр", sale=sale_done)
        o_busy_old = self._order("P-2", "imported", closed_days=100, created_days=150, buyer="Сидорова Анна",
                                 sale=sale_busy_old)
        o_busy_open = self._order("P-3", "imported", created_days=100, buyer="Сидорова Анна", sale=sale_busy_open)
        o_recent = self._order("P-4", "imported", closed_days=30, created_days=100, buyer="Кузнецов Олег",
                               sale=sale_new)
        o_held = self._order("P-5", "held", closed_days=100, created_days=150, buyer="Орлова Ольга")

        self._drain(limit=10)
        self.env.invalidate_all()
        for order in (o_done, o_busy_old, o_held):
            self.assertFalse(order.buyer_name or order.buyer_phone or order.buyer_address, order.external_id)
        for order in (o_busy_open, o_recent):
            self.assertEqual(order.buyer_phone, "+79990001122", order.external_id)
        # the payload holds the buyer too: gone with the rest, except the held order's (needed)
        self.assertFalse(o_done.payload)
        self.assertTrue(o_held.payload)
        self.assertTrue(o_busy_open.payload)

        # the contact of closed orders only: anonymised; the sale order stays valid and points at it
        self.assertNotIn("Петров", done_buyer.name)
        self.assertFalse(done_buyer.phone or done_buyer.email or done_buyer.street or done_buyer.zip
                         or done_buyer.city)
        self.assertTrue(done_buyer.marketplace_anonymised_date)
        self.assertEqual(sale_done.partner_shipping_id, done_buyer)
        self.assertEqual(sale_done.state, "sale")
        self.assertEqual(sale_done.picking_ids.partner_id, done_buyer)
        self.assertNotIn("Петров", sale_done.partner_shipping_id.display_name)
        # a contact with an order still open, or a recent one: kept
        self.assertEqual(busy_buyer.name, "Сидорова Анна")
        self.assertEqual(busy_buyer.phone, "+79991234567")
        self.assertEqual(new_buyer.name, "Кузнецов Олег")
        # an ordinary contact is never touched
        self.assertTrue(parent.name)
        # and the next run finds nothing left to do
        self.assertEqual(self.Retention._cron_clean(limit=10), {"done": 0, "remaining": 0})
