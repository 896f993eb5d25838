"""Issue 6, section 5: every button shown to a group works for that group (run as a real
user of it, never only as the superuser); mapping an article hands the held orders to the
scheduled action; a manual import that finds the account busy says so; deleted and ignored
mappings stay so."""
from odoo.tests.common import new_test_user

from .test_states import StatesCase

MARKETPLACES = ("wildberries", "ozon", "yandex")
USER_GROUPS = "marketplace_connector.group_marketplace_user"
ADMIN_GROUPS = "marketplace_connector.group_marketplace_admin"
LOCK_NAMESPACE = 4242


class TestRights(StatesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="mp_rights_manager", groups=USER_GROUPS)
        cls.admin = new_test_user(cls.env, login="mp_rights_admin", groups=ADMIN_GROUPS)

    def mapping_of(self, account, code):
        return self.env["marketplace.product.mapping"].with_context(active_test=False).search([
            ("account_id", "=", account.id), ("offer_code", "=", code)])

    def new_product(self, item):
        return self.env["product.product"].create({
            "name": item["name"], "is_storable": True, "taxes_id": [(6, 0, self.vat.ids)]})

    def test_manager_buttons_work_for_a_manager(self):
        """The buttons of the account, mapping and order forms shown to Marketplace Users, pressed
        by one: "Import orders now", the stat buttons, mapping an article, "Retry import",
        "Acknowledge", "Open sale order", ignore / do not ignore, "Import catalogue", "Match
        products automatically", dismissing the last error."""
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account, app = self.accounts[mp], self.emulator.apps[mp]
                unknown = self.catalog[-1 - MARKETPLACES.index(mp)]
                known = app.add_orders(3, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
                [held_id] = app.add_orders(1, offer_codes=[unknown["offer_code"]], scheme="fbs", max_lines=1)
                mine = account.with_user(self.manager)
                # "Import orders now"
                result = mine.action_import_orders()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                sales = self.sale_orders(account)
                self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(known))
                self.assertEqual(set(sales.mapped("state")), {"sale"})
                # the stat buttons open what the manager may read
                for method, expected in (("action_open_orders", set(known) | {held_id}),
                                         ("action_open_held", {held_id})):
                    action = getattr(mine, method)()
                    found = self.env[action["res_model"]].with_user(self.manager).search(action["domain"])
                    self.assertEqual(set(found.mapped("external_id")), expected, method)
                action = mine.action_open_unmapped()
                unmapped = self.env[action["res_model"]].with_user(self.manager).search(action["domain"])
                self.assertIn(unknown["offer_code"], unmapped.mapped("offer_code"))
                action = mine.action_open_sync_log()
                self.assertTrue(self.env[action["res_model"]].with_user(self.manager).search(action["domain"]))
                # mapping the article (the held order goes to the scheduled action), then "Retry import"
                mapping = self.mapping_of(account, unknown["offer_code"]).with_user(self.manager)
                self.assertTrue(mapping)
                action = mapping[:1].action_open_held_orders()
                self.assertEqual(self.env[action["res_model"]].with_user(self.manager).search(
                    action["domain"]).mapped("external_id"), [held_id])
                product = self.new_product(unknown)
                mapping.write({"product_id": product.id})
                held = self.bindings(account, [held_id])[held_id].with_user(self.manager)
                self.assertEqual(held.import_state, "held")
                held.action_retry()
                self.assertEqual(held.import_state, "imported")
                self.assertEqual(held.sale_order_id.order_line.product_id, product)
                # "Open sale order"
                action = held.action_open_sale_order()
                sale = self.env[action["res_model"]].with_user(self.manager).browse(action["res_id"])
                self.assertEqual(sale.client_order_ref, held_id)
                # a return on the marketplace flags an order; "Acknowledge" removes the flag
                app.set_state(known[0], "returned")
                result = mine.action_import_orders()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                flagged = self.bindings(account, [known[0]])[known[0]].with_user(self.manager)
                self.assertTrue(flagged.needs_attention)
                flagged.action_acknowledge()
                self.assertFalse(flagged.needs_attention)
                # "Ignore" / "Do not ignore"
                mapping.action_ignore()
                self.assertEqual(set(mapping.mapped("state")), {"ignored"})
                mapping.action_unignore()
                self.assertEqual(set(mapping.mapped("state")), {"mapped"})
                # "Import catalogue", "Match products automatically"
                result = mine.action_import_catalog()
                self.assertEqual(result["tag"], "display_notification")
                result = mine.action_auto_match()
                self.assertEqual(result["tag"], "display_notification")
                # dismissing the last error
                account.last_error = "HTTP 503"
                self.assertTrue(mine.show_last_error)
                mine.action_dismiss_error()
                self.assertFalse(mine.show_last_error)

    def test_admin_buttons_work_for_an_administrator(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account = self.accounts[mp].with_user(self.admin)
                result = account.action_test_connection()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                result = account.action_import_warehouses()
                self.assertEqual(result["tag"], "display_notification")
                self.assertEqual(set(account.warehouse_mapping_ids.mapped("ref")),
                                 {w.ref for w in account.sudo()._get_adapter().fetch_warehouses()})

    def test_mapping_hands_held_orders_to_the_scheduled_action(self):
        """Mapping an article does not import inside the manager's request: the held order is
        still held right after, the scheduled action is triggered, and its run imports it (as
        the scheduled action's user, not the manager)."""
        account, app = self.accounts["ozon"], self.emulator.ozon
        unknown = self.catalog[-1]
        [ext] = app.add_orders(1, offer_codes=[unknown["offer_code"]], scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(account))
        held = self.bindings(account, [ext])[ext]
        self.assertEqual(held.import_state, "held")
        before = self.cron_triggers()
        product = self.new_product(unknown)
        seen = len(self.emulator.requests_to("ozon"))
        self.mapping_of(account, unknown["offer_code"]).with_user(self.manager).write({"product_id": product.id})
        self.assertEqual(held.import_state, "held", "not imported inside the manager's request")
        self.assertFalse(held.sale_order_id)
        self.assertEqual(len(self.emulator.requests_to("ozon")), seen, "no marketplace call in the request")
        self.assertTrue(self.cron_triggers() - before, "the scheduled action is triggered")
        self.run_scheduled_action()
        self.assertEqual(held.import_state, "imported")
        sale = held.sale_order_id
        self.assertEqual(sale.order_line.product_id, product)
        self.assertEqual(sale.order_line.marketplace_offer_code,
                         app.orders[ext]["products"][0]["offer_id"])
        self.assertNotEqual(sale.create_uid, self.manager, "imported with the scheduled action's rights")

    def test_busy_account_says_so_and_imports_nothing(self):
        """Another transaction holds the account's import lock: "Import orders now" answers a
        warning that says so, and nothing is read or imported."""
        account, app = self.accounts["yandex"], self.emulator.yandex
        ids = app.add_orders(3, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        seen = len(self.emulator.requests_to("yandex"))
        with self.registry.cursor() as other:
            other.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, account._lock_key()))
            self.assertTrue(other.fetchone()[0])
            try:
                result = account.with_user(self.manager).action_import_orders()
            finally:
                other.rollback()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("another import", result["params"]["message"])
        self.assertIn(account.name, result["params"]["message"])
        self.assertEqual(len(self.emulator.requests_to("yandex")), seen, "nothing read from the marketplace")
        self.assertFalse(self.sale_orders(account))
        self.assertFalse(self.env["marketplace.order"].search([("account_id", "=", account.id)]))
        # the lock gone with its transaction, the next press imports
        result = account.with_user(self.manager).action_import_orders()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual(sorted(self.sale_orders(account).mapped("marketplace_external_id")), sorted(ids))

    def test_deleted_and_ignored_mappings_stay_so(self):
        """A mapping deleted (mapped or not) or ignored by the manager: the next order with that
        article and the next catalogue read (with its automatic matching) make no new mapping
        and do not map it again; the order is held with the reason."""
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account, app = self.accounts[mp], self.emulator.apps[mp]
                shift = 3 * MARKETPLACES.index(mp)
                codes = {
                    "deleted mapped": self.known_codes()[shift],
                    "deleted unmapped": self.catalog[-1 - shift]["offer_code"],
                    "ignored": self.catalog[-2 - shift]["offer_code"],
                }
                counts = {}
                for what, code in codes.items():
                    mapping = self.mapping_of(account, code).with_user(self.manager)
                    self.assertTrue(mapping, code)
                    counts[code] = len(mapping)
                    if what == "ignored":
                        mapping.action_ignore()
                    else:
                        mapping.unlink()
                self.assertTrue(self.mapping_of(account, codes["deleted mapped"]).product_id.ids == [])
                orders = {code: app.add_orders(1, offer_codes=[code], scheme="fbs", max_lines=1)[0]
                          for code in codes.values()}
                mine = account.with_user(self.manager)
                result = mine.action_import_orders()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                mine.action_import_catalog()
                mine.action_auto_match()
                by_id = self.bindings(account, orders.values())
                for what, code in codes.items():
                    mappings = self.mapping_of(account, code)
                    self.assertEqual(len(mappings), counts[code], f"{what}: no new mapping of {code}")
                    self.assertTrue(all(mappings.mapped("ignored")), what)
                    self.assertFalse(mappings.product_id, f"{what}: not mapped again")
                    if what != "ignored":
                        self.assertFalse(any(mappings.mapped("active")), what)
                    rec = by_id[orders[code]]
                    self.assertEqual(rec.import_state, "held", what)
                    self.assertIn(code, rec.hold_reason)
                    self.assertIn("ignored", rec.hold_reason)
                    self.assertFalse(rec.sale_order_id)
                self.assertFalse(self.sale_orders(account))
