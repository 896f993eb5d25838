from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user

from .common import CREDENTIAL_FIELDS, MarketplaceCase

MARKETPLACES = ("wildberries", "ozon", "yandex")


class TestOrderImport(MarketplaceCase):
    def test_orders_become_confirmed_reserved_sale_orders(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                app = self.emulator.apps[mp]
                ids = app.add_orders(12, offer_codes=self.known_codes(30))
                self.assertTrue(self.run_import(account))
                sales = self.sale_orders(account)
                self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(ids))
                for sale in sales:
                    mp_order = app.orders[sale.marketplace_external_id]
                    binding = self.env["marketplace.order"].search([
                        ("account_id", "=", account.id),
                        ("external_id", "=", sale.marketplace_external_id)])
                    self.assertEqual(binding.import_state, "imported")
                    self.assertEqual(sale.state, "sale")
                    # kopeck-exact: what the buyer paid is the sale order's total
                    self.assertEqual(Decimal(str(sale.amount_total)).quantize(Decimal("0.01")),
                                     Decimal(str(binding.amount_total)).quantize(Decimal("0.01")))
                    self.assertEqual(sale.date_order, binding.order_date)
                    self.assertTrue(sale.picking_ids, "a delivery is created")
                    self.assertEqual(sale.partner_id, account.partner_id)
                    self.assertIn(sale.picking_ids.mapped("state")[0], ("assigned", "confirmed", "waiting"))
                    self.assertTrue(mp_order)
                reserved = sales.picking_ids.filtered(lambda p: p.state == "assigned")
                self.assertTrue(reserved, "stock is reserved for the orders")

    def test_connection_button_and_catalogue(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                result = account.action_test_connection()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                # the catalogue read in setUpClass: the seller's 50 articles matched by
                # barcode / internal reference, the marketplace's other items listed as unmapped
                mappings = account.product_mapping_ids
                mapped = mappings.filtered(lambda m: m.state == "mapped")
                self.assertEqual(len(mapped), self.known_items)
                for mapping in mapped:
                    self.assertEqual(mapping.product_id, self.product_by_code[mapping.offer_code])
                unmapped = mappings - mapped
                self.assertTrue(unmapped)
                self.assertFalse(set(unmapped.mapped("offer_code")) & set(self.product_by_code))
                # a wrong key: a clear answer, recorded on the account, without the key
                key_field = next(iter(CREDENTIAL_FIELDS[mp]))
                bad = account.copy({"name": f"{mp} wrong key", key_field: "wrong-key-0000", **{
                    f: account[f] for f in CREDENTIAL_FIELDS[mp] if f != key_field}})
                result = bad.action_test_connection()
                self.assertEqual(result["params"]["type"], "danger")
                self.assertIn("refused the credentials", result["params"]["message"])
                self.assertEqual(bad.last_error, result["params"]["message"])
                self.assertNotIn("wrong-key-0000", result["params"]["message"])

    def test_fbo_orders_take_stock_from_the_fbo_location(self):
        account = self.accounts["ozon"]
        fbo_mappings = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo")
        self.assertTrue(fbo_mappings.location_id)
        ids = self.emulator.ozon.add_orders(4, offer_codes=self.known_codes(10), scheme="fbo")
        self.assertTrue(self.run_import(account))
        sales = self.sale_orders(account)
        self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(ids))
        for sale in sales:
            self.assertEqual(sale.marketplace_scheme, "fbo")
            self.assertIn(sale.marketplace_fbo_location_id, fbo_mappings.location_id)
            picking = sale.picking_ids
            self.assertEqual(len(picking), 1)
            self.assertEqual(picking.location_id, sale.marketplace_fbo_location_id)
            self.assertEqual(picking.state, "assigned")
            self.assertEqual(set(picking.move_ids.move_line_ids.location_id.ids),
                             {sale.marketplace_fbo_location_id.id}, "reserved at the marketplace's warehouse")

    def test_mapping_takes_only_products_of_the_accounts_company(self):
        account = self.accounts["wildberries"]
        other = self.env["res.company"].create({"name": "Другая компания"})
        foreign = self.env["product.product"].create({"name": "Чужой товар", "company_id": other.id})
        mapping = account.product_mapping_ids.filtered(lambda m: m.state == "unmapped")[:1]
        with self.assertRaises(UserError):
            mapping.product_id = foreign
        # automatic matching passes over it too
        foreign.default_code = mapping.offer_code
        self.assertEqual(mapping._auto_match(), 0)
        self.assertFalse(mapping.product_id)

    def test_one_failing_order_does_not_stop_the_others(self):
        """Orders are created and confirmed a chunk at a time; when Odoo refuses one of them
        the chunk is imported order by order, and only that one is in error, with the reason."""
        account = self.accounts["ozon"]
        code = self.catalog[-1]["offer_code"]  # not a product of ours yet
        product = self.env["product.product"].create({"name": "Новый товар", "is_storable": True})
        account.product_mapping_ids.filtered(lambda m: m.offer_code == code).product_id = product
        # then moved to another company: the ORM refuses it on a sale order of this one
        product.product_tmpl_id.company_id = self.env["res.company"].create({"name": "Другая компания"})
        good = self.emulator.ozon.add_orders(6, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        [bad] = self.emulator.ozon.add_orders(1, offer_codes=[code], scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(account))
        sales = self.sale_orders(account)
        self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(good))
        self.assertTrue(all(sale.state == "sale" for sale in sales))
        binding = self.env["marketplace.order"].search([("account_id", "=", account.id), ("external_id", "=", bad)])
        self.assertEqual(binding.import_state, "error")
        self.assertIn("Could not be imported", binding.hold_reason)
        self.assertFalse(binding.sale_order_id)

    def test_import_is_idempotent(self):
        account = self.accounts["ozon"]
        ids = self.emulator.ozon.add_orders(15, offer_codes=self.known_codes())
        self.run_import(account)
        self.run_import(account)
        # a full re-run from scratch of the same window
        account.orders_synced_until = False
        self.run_import(account)
        sales = self.sale_orders(account)
        self.assertEqual(len(sales), len(ids))
        self.assertEqual(len(set(sales.mapped("marketplace_external_id"))), len(ids))
        bindings = self.env["marketplace.order"].search([("account_id", "=", account.id)])
        self.assertEqual(len(bindings), len(ids))

    def test_unknown_sku_is_held_then_imported_once_mapped(self):
        account = self.accounts["wildberries"]
        unknown = self.catalog[-1]
        [ext_id] = self.emulator.wildberries.add_orders(1, offer_codes=[unknown["offer_code"]])
        self.run_import(account)
        held = self.env["marketplace.order"].search([("account_id", "=", account.id),
                                                     ("external_id", "=", ext_id)])
        self.assertEqual(held.import_state, "held")
        self.assertIn(unknown["offer_code"], held.hold_reason)
        self.assertIn("not mapped", held.hold_reason)
        self.assertFalse(held.sale_order_id)
        mapping = self.env["marketplace.product.mapping"].search([
            ("account_id", "=", account.id), ("offer_code", "=", unknown["offer_code"])])
        self.assertEqual(mapping.state, "unmapped")
        # the manager creates the product and maps it: the order comes in by itself, with the
        # scheduled action that the mapping triggered (not inside the manager's request)
        product = self.env["product.product"].create({"name": unknown["name"], "is_storable": True,
                                                      "taxes_id": [(6, 0, self.vat.ids)]})
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_import_orders")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        mapping.product_id = product
        self.assertEqual(held.import_state, "held")
        self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), before)
        self.env["marketplace.account"]._cron_import_orders()
        self.assertEqual(held.import_state, "imported")
        self.assertEqual(held.sale_order_id.order_line.product_id, product)
        self.assertEqual(held.sale_order_id.state, "sale")

    def test_cancellation_cancels_or_flags(self):
        account = self.accounts["yandex"]
        app = self.emulator.yandex
        first, second = app.add_orders(2, offer_codes=self.known_codes(5), scheme="fbs")
        self.run_import(account)
        orders = self.env["marketplace.order"].search([("account_id", "=", account.id),
                                                       ("external_id", "in", [first, second])])
        self.assertEqual(len(orders), 2)
        by_id = {o.external_id: o for o in orders}
        # the second one ships from our warehouse before the marketplace cancels it
        shipped_sale = by_id[second].sale_order_id
        picking = shipped_sale.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        app.cancel_order(first)
        app.cancel_order(second)
        # the states of known orders are read even outside the window
        account.orders_synced_until = False
        self.run_import(account)
        self.assertEqual(by_id[first].mp_state, "cancelled")
        self.assertEqual(by_id[first].sale_order_id.state, "cancel")
        self.assertFalse(by_id[first].sale_order_id.picking_ids.filtered(lambda p: p.state == "assigned"))
        self.assertEqual(by_id[second].mp_state, "cancelled")
        self.assertTrue(by_id[second].needs_attention)
        self.assertEqual(shipped_sale.state, "sale")

    def test_credentials_admin_only_and_never_logged(self):
        account = self.accounts["ozon"]
        secret = account.ozon_api_key
        user = new_test_user(self.env, login="mp_manager",
                             groups="marketplace_connector.group_marketplace_user")
        with self.assertRaises(AccessError):
            account.with_user(user).read(["ozon_api_key"])
        self.assertNotIn("ozon_api_key", account.with_user(user).fields_get())
        # a wrong key: the failure is recorded, without any secret in it
        bad = account.copy({"name": "ozon bad key", "ozon_client_id": account.ozon_client_id,
                            "ozon_api_key": "wrong-secret-key-123"})
        self.emulator.ozon.add_orders(3, offer_codes=self.known_codes())
        self.emulator.faults.force("ozon", "5xx", count=2)
        with self.assertLogs(level="DEBUG") as captured:
            self.run_import(bad)
            self.run_import(account)
        self.assertTrue(bad.last_error)
        texts = [bad.last_error] + captured.output
        texts += self.env["marketplace.sync.log"].search([]).mapped(lambda log: f"{log.endpoint} {log.error}")
        for text in texts:
            self.assertNotIn("wrong-secret-key-123", text)
            self.assertNotIn(secret, text)

    def test_sync_log_and_last_failure_on_account(self):
        account = self.accounts["yandex"]
        self.emulator.faults.force("yandex", "5xx", count=20)
        self.assertFalse(self.run_import(account, max_attempts=2))
        self.emulator.faults.clear()
        self.assertTrue(account.last_error)
        self.assertRegex(account.last_error, r"HTTP 5\d\d")
        errors = self.env["marketplace.sync.log"].search([("account_id", "=", account.id),
                                                          ("state", "=", "error")])
        self.assertTrue(errors)
        self.assertEqual(errors[0].attempts, 2)
