"""The stock export in a real Odoo against the emulator: the quantities sent (asserted on the
stock the emulator keeps), the buffers, the delta, refused items, the debounced trigger, the
FBO stock read, the buttons as a Marketplace User, and the export and a reservation in two
real processes at once."""
import json
import subprocess
import sys
import uuid
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.tests.common import TransactionCase, new_test_user
from odoo.tools import config

from tests.emulator import MarketplaceEmulator
from tests.emulator.data import default_catalog
from tests.fixtures import account_values, create_products

from .common import MarketplaceCase

REPO = Path(__file__).resolve().parents[2]
USER_GROUPS = "base.group_user,marketplace_connector.group_marketplace_user"
WB_FBS, WB_DBS = 1281530, 1302288
STOCK_LOCK = 4244  # marketplace_stock_level.STOCK_LOCK (the order lifecycle has 4243)


class StockCase(MarketplaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the export reads in a cursor opened after its lock: in tests, the test's own
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        for account in cls.accounts.values():
            account.write({"stock_export": True, "stock_read_fbo": False})
        cls.partner = cls.env["res.partner"].create({"name": "Покупатель магазина"})

    def setUp(self):
        super().setUp()
        for app in self.emulator.apps.values():
            app.reset_stocks()
        self.emulator.reset_records()

    def tearDown(self):
        self.assertEqual(self.emulator.violations(), [])
        super().tearDown()

    def export(self, account, full=False):
        return self.env["marketplace.stock.level"]._export_accounts(
            account, full=full, sleep=self.sleeps.append, timeout=(2.0, 30.0))[account.id]

    def mapping(self, account, product):
        return account.product_mapping_ids.filtered(lambda m: m.product_id == product)

    def reserve(self, product, qty):
        sale = self.env["sale.order"].create({
            "partner_id": self.partner.id, "warehouse_id": self.warehouse.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": qty})]})
        sale.action_confirm()
        self.assertEqual(sale.picking_ids.move_ids.mapped("quantity"), [qty])
        return sale

    def set_quantity(self, product, qty):
        self.env["stock.quant"].with_context(inventory_mode=True).create([{
            "product_id": product.id, "location_id": self.warehouse.lot_stock_id.id,
            "inventory_quantity": qty}]).action_apply_inventory()

    def stock_requests(self, marketplace):
        template = {"wildberries": "/api/v3/stocks/{warehouseId}", "ozon": "/v2/products/stocks",
                    "yandex": "/v2/campaigns/{campaignId}/offers/stocks"}[marketplace]
        return [r for r in self.emulator.requests_to(marketplace, template) if r.method in ("PUT", "POST")
                and (marketplace != "yandex" or r.method == "PUT")]


class TestStockExport(StockCase):
    def test_free_less_buffer_with_overrides_never_negative(self):
        account = self.accounts["wildberries"]
        p1, p2, p3, p4 = self.products[:4]
        account.stock_buffer = 3
        self.mapping(account, p2).write({"stock_buffer_override": True, "stock_buffer": 10})
        self.mapping(account, p3).write({"stock_buffer_override": True, "stock_buffer": 5000})
        dbs = account.warehouse_mapping_ids.filtered(lambda w: w.ref == str(WB_DBS))
        dbs.write({"stock_buffer_override": True, "stock_buffer": 20})
        self.reserve(p1, 5)
        summary = self.export(account)
        app = self.emulator.wildberries

        def sent(product, warehouse):
            return app.stock_of(warehouse, self.mapping(account, product).item_id)

        self.assertEqual(sent(p1, WB_FBS), 1000 - 5 - 3)  # free less the account's buffer
        self.assertEqual(sent(p1, WB_DBS), 1000 - 5 - 20)  # the warehouse's buffer
        self.assertEqual(sent(p2, WB_FBS), 990)  # the product mapping's buffer ...
        self.assertEqual(sent(p2, WB_DBS), 990)  # ... before the warehouse's
        self.assertEqual(sent(p3, WB_FBS), 0)  # never negative
        self.assertEqual(sent(p4, WB_FBS), 997)  # the FBO location's 500 are not ours to sell here
        # four FBS/DBS warehouses, 50 mapped products: one call a warehouse (1000 a call)
        self.assertEqual(len(self.stock_requests("wildberries")), 4)
        self.assertEqual(summary["accepted"], 200)
        level = self.mapping(account, p1).stock_level_ids.filtered(lambda lv: lv.warehouse_mapping_id.ref == str(WB_FBS))
        self.assertEqual((level.state, level.sent_quantity), ("ok", 992))

    def test_bases_on_hand_and_forecast(self):
        account = self.accounts["yandex"]
        p1 = self.products[0]
        self.reserve(p1, 5)
        offer = self.mapping(account, p1).offer_code
        account.stock_basis = "onhand"
        self.export(account)
        self.assertEqual(self.emulator.yandex.stock_of(21001001, offer), 1000)
        account.stock_basis = "forecast"
        self.export(account)
        self.assertEqual(self.emulator.yandex.stock_of(21001001, offer), 995)
        account.stock_basis = "free"
        self.export(account)
        self.assertEqual(self.emulator.yandex.stock_of(21001001, offer), 995)

    def test_second_export_sends_nothing_then_only_the_change(self):
        account = self.accounts["yandex"]
        self.export(account)
        self.assertEqual(len(self.stock_requests("yandex")), 3)  # one campaign a warehouse
        self.emulator.reset_records()
        summary = self.export(account)
        self.assertEqual(self.stock_requests("yandex"), [])
        self.assertEqual(summary["sent"], 0)
        self.set_quantity(self.products[0], 40)
        self.export(account)
        sent = self.stock_requests("yandex")
        self.assertEqual(len(sent), 3)
        self.assertEqual([r.body["skus"] for r in sent],
                         [[{"sku": self.products[0].default_code, "items": [{"count": 40}]}]] * 3)

    def test_half_refused_batch_applies_the_accepted_and_flags_the_rest(self):
        account = self.accounts["ozon"]
        app = self.emulator.ozon
        gone = [p.default_code for p in self.products[:2]]
        removed = {code: app.by_offer.pop(code) for code in gone}
        self.addCleanup(app.by_offer.update, removed)
        summary = self.export(account)
        self.assertEqual((summary["accepted"], summary["refused"]), (48 * 3, 2 * 3))
        self.assertEqual(len(self.stock_requests("ozon")), 2)  # 150 pairs, 100 a call
        warehouses = account.warehouse_mapping_ids.filtered(lambda w: w.scheme != "fbo")
        for product in self.products[2:]:
            for warehouse in warehouses:
                self.assertEqual(app.stock_of(product.default_code, warehouse.ref), 1000)
        refused = self.mapping(account, self.products[0])
        self.assertEqual(set(refused.stock_level_ids.mapped("state")), {"error"})
        self.assertIn("Product not found", refused.stock_error)
        self.assertEqual(account.stock_error_count, 6)
        Mapping = self.env["marketplace.product.mapping"]
        self.assertEqual(Mapping.search([("account_id", "=", account.id), ("stock_level_ids.state", "=", "error")]),
                         self.mapping(account, self.products[0]) | self.mapping(account, self.products[1]))
        # refused for a reason that stays: not sent again until the quantity changes
        self.emulator.reset_records()
        self.export(account)
        self.assertEqual(self.stock_requests("ozon"), [])

    def test_ozon_full_resync_at_once_keeps_the_30_second_rule(self):
        account = self.accounts["ozon"]
        self.export(account)
        self.emulator.reset_records()
        summary = self.export(account, full=True)
        # every pair was sent less than 30 s ago: none is sent again now, all wait
        self.assertEqual(self.stock_requests("ozon"), [])
        self.assertEqual(summary["deferred"], 150)
        self.assertEqual(set(account.product_mapping_ids.stock_level_ids.mapped("state")), {"pending"})
        self.assertEqual(self.emulator.ozon.pair_violations, [])

    def test_a_burst_of_moves_triggers_one_export(self):
        account = self.accounts["wildberries"]
        self.export(account)
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_export_stock")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        for qty, product in zip((7, 8, 9), self.products[:3]):
            self.set_quantity(product, qty)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]) - before, 1)
        self.emulator.reset_records()
        self.env["marketplace.stock.level"]._cron_export_stock()
        sent = self.stock_requests("wildberries")
        self.assertEqual(len(sent), 4)  # one export: one call a warehouse, the three changes in each
        self.assertEqual(sorted(row["amount"] for row in sent[0].body["stocks"]), [7, 8, 9])

    def test_import_reserves_under_the_shared_stock_lock(self):
        account = self.accounts["wildberries"]
        self.emulator.wildberries.add_orders(2, offer_codes=self.known_codes(3), scheme="fbs")
        self.run_import(account)
        self.env.cr.execute("""SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND classid = %s
                               AND objid = %s AND pid = pg_backend_pid()""", (STOCK_LOCK, account.company_id.id))
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], ["ShareLock"])
        self.assertEqual(len(self.sale_orders(account)), 2)

    def test_fbo_stock_read_into_the_fbo_location(self):
        account = self.accounts["ozon"]
        account.stock_read_fbo = True
        app = self.emulator.ozon
        p1, p2, p3 = self.products[:3]
        app.set_fbo_stock("ХОРУГВИНО_РФЦ", p1.default_code, 7, 2)
        app.set_fbo_stock("КАЗАНЬ_РФЦ_НОВЫЙ", p2.default_code, 4)
        self.export(account)
        location = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo").location_id
        self.assertEqual(len(location), 1)

        def at_fbo(product):
            return sum(self.env["stock.quant"].search([("location_id", "=", location.id),
                                                       ("product_id", "=", product.id)]).mapped("quantity"))

        self.assertEqual((at_fbo(p1), at_fbo(p2), at_fbo(p3)), (9, 4, 0))
        # traceable: an inventory move from the FBO location (500 there before) to the adjustment location
        move = self.env["stock.move"].search([("location_id", "=", location.id), ("product_id", "=", p1.id),
                                              ("is_inventory", "=", True), ("state", "=", "done")])
        self.assertEqual((move.product_uom_qty, move.location_dest_id.usage), (491, "inventory"))
        self.assertIn(account.name, move.name)
        self.assertEqual(len(self.emulator.requests_to("ozon", "/v2/analytics/stock_on_warehouses")), 1)
        # the FBO goods are not the seller's to sell from the FBS warehouses
        fbs = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbs")[:1]
        self.assertEqual(app.stock_of(p1.default_code, fbs.ref), 1000)

    def test_buttons_as_a_marketplace_user(self):
        user = new_test_user(self.env, login="mp_stock_manager", groups=USER_GROUPS)
        account = self.accounts["yandex"].with_user(user)
        result = account.action_export_stock_now()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(self.emulator.yandex.stock_of(21001001, self.products[0].default_code), 1000)
        self.assertEqual(len(self.stock_requests("yandex")), 3)
        action = account.action_open_stock_levels()
        levels = self.env[action["res_model"]].with_user(user).search(action["domain"])
        self.assertEqual(len(levels), 50 * 3)
        self.assertEqual(set(levels.mapped("state")), {"ok"})
        self.assertEqual(account.stock_error_count, 0)
        self.assertTrue(account.stock_last_export)
        # a second "send all" sends everything again (a full re-sync)
        self.emulator.reset_records()
        account.action_export_stock_now()
        self.assertEqual(len(self.stock_requests("yandex")), 3)


class TestStockExportAndImportAtOnce(TransactionCase):
    """A reservation in flight (the order import's sale-order step, in another process) and
    the stock export started meanwhile: the export waits for the reservation and sends the
    quantity without the reserved units, never the quantity of before."""

    test_tags = {"standard", "at_install"}
    test_module = "marketplace_connector"

    def committed_env(self):
        cr = self.env.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def test_export_never_sends_what_a_reservation_in_flight_takes(self):
        emulator = MarketplaceEmulator(seed=29, timeout_delay=1.0).start()
        self.addCleanup(emulator.stop)
        env = self.committed_env()
        rub = env.ref("base.RUB")
        rub.active = True
        company = env["res.company"].create({"name": f"Stock at once (test {uuid.uuid4().hex[:8]})",
                                             "currency_id": rub.id, "country_id": env.ref("base.ru").id})
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        products = create_products(env, default_catalog()[:3])
        products.product_tmpl_id.write({"company_id": company.id})
        env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 10}
            for p in products]).action_apply_inventory()
        account = env["marketplace.account"].create(dict(
            account_values(emulator, "wildberries", warehouse, name="wildberries (stock at once)"),
            company_id=company.id, stock_export=True, stock_read_fbo=False))
        account.action_import_warehouses()
        account.action_import_catalog()
        partner = env["res.partner"].create({"name": "Покупатель", "company_id": company.id})
        sale = env["sale.order"].create({
            "partner_id": partner.id, "warehouse_id": warehouse.id, "company_id": company.id,
            "order_line": [(0, 0, {"product_id": products[0].id, "product_uom_qty": 4})]})
        chrt = account.product_mapping_ids.filtered(lambda m: m.product_id == products[0]).item_id
        env.cr.commit()
        ids = account.id, products.ids

        def archive():
            env = self.committed_env()
            env["marketplace.account"].browse(ids[0]).write({"active": False, "stock_export": False})
            env["product.product"].browse(ids[1]).product_tmpl_id.write({"active": False})
            env.cr.commit()

        self.addCleanup(archive)
        base = [sys.executable, "-m", "tests.stock_worker", env.cr.dbname]
        path = f"--addons-path={config['addons_path']}"
        reserve = subprocess.Popen(base + ["reserve", str(sale.id), "4", path], cwd=REPO, stdout=subprocess.PIPE,
                                   text=True)
        self.addCleanup(lambda: reserve.poll() is None and reserve.kill())
        self.assertEqual(reserve.stdout.readline().strip(), "reserved")
        export = subprocess.Popen(base + ["export", str(account.id), path], cwd=REPO, stdout=subprocess.PIPE,
                                  text=True)
        self.addCleanup(lambda: export.poll() is None and export.kill())
        reserved_out, _err = reserve.communicate(timeout=300)
        exported_out, _err = export.communicate(timeout=300)
        self.assertEqual((reserve.returncode, export.returncode), (0, 0))
        committed = json.loads(reserved_out.strip().splitlines()[-1])["committed"]
        exported = json.loads(exported_out.strip().splitlines()[-1])
        self.assertGreaterEqual(exported["exported"], committed)
        # the source: what Wildberries was sent for each FBS/DBS warehouse
        self.assertEqual({emulator.wildberries.stock_of(w, chrt) for w in (WB_FBS, WB_DBS)}, {10 - 4})
        self.assertEqual(emulator.violations(), [])
