"""Issue 7, section 3: the order lifecycle back to the marketplaces and from them, on the three
marketplaces, in a real Odoo against the emulator (asserted against the emulator's state and
the requests it received).

Odoo -> marketplace: a validated delivery is reported by the scheduled action (WB: into the
open supply of its warehouse, handed over by a user; Ozon: v4 ship; YM: boxes + READY_TO_SHIP),
a failed call is retried and reported exactly once, a refusal is shown on the picking; DBS
delivery statuses; a cancellation with the marketplace's reason, or its refusal shown on the
order.  Marketplace -> Odoo: delivered (done, to invoice; FBO from the FBO location), returned
(a return into the returns location), lost (flagged for the accountant).  Warehouse rules.
Manager actions run as a Marketplace User, the accountant's view as an accountant."""
from datetime import datetime, timezone

from odoo.tests.common import new_test_user

from .test_states import StatesCase

MARKETPLACES = ("wildberries", "ozon", "yandex")
#: a manager of the marketplace orders: sees every sale order, validates deliveries
MANAGER_GROUPS = ("marketplace_connector.group_marketplace_user,sales_team.group_sale_salesman_all_leads,"
                  "stock.group_stock_user")
ACCOUNTANT_GROUPS = "account.group_account_invoice"
SHIP_CALLS = {
    "wildberries": "/api/marketplace/v3/supplies/{supplyId}/orders",
    "ozon": "/v4/posting/fbs/ship",
    "yandex": "/v2/campaigns/{campaignId}/orders/status-update",
}


class LifecycleCase(StatesCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="mp_life_manager", groups=MANAGER_GROUPS)
        cls.accountant = new_test_user(cls.env, login="mp_life_accountant", groups=ACCOUNTANT_GROUPS)

    def setUp(self):
        super().setUp()
        self.emulator.wildberries.supplies.clear()
        self.emulator.reset_records()

    def import_one(self, mp, scheme="fbs"):
        account, app = self.accounts[mp], self.emulator.apps[mp]
        [ext] = app.add_orders(1, offer_codes=self.known_codes(10), scheme=scheme, max_lines=1)
        self.assertTrue(self.run_import(account))
        binding = self.bindings(account, [ext])[ext]
        self.assertEqual(binding.import_state, "imported", binding.hold_reason)
        return ext, binding, binding.sale_order_id

    def delivery(self, sale):
        return sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def validate_as_manager(self, sale):
        picking = self.delivery(sale).with_user(self.manager)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking.with_user(self.env.user)

    def report(self):
        self.env["stock.picking"]._cron_report_shipments(
            sleep=self.sleeps.append, timeout=(2.0, 2.0), backoff_base=0.01)

    def shipped_there(self, mp, ext):
        raw = self.emulator.apps[mp].orders[ext]
        if mp == "wildberries":
            return raw["supplierStatus"] in ("confirm", "complete") and raw.get("supplyId")
        if mp == "ozon":
            return raw["status"] == "awaiting_deliver"
        return (raw["status"], raw["substatus"]) == ("PROCESSING", "READY_TO_SHIP")


class TestShipments(LifecycleCase):

    def test_validated_delivery_is_reported_by_the_scheduled_action(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                picking = self.validate_as_manager(sale)
                # the validation did not wait for the network: the report is the cron's
                self.assertEqual(picking.marketplace_report_state, "to_report")
                self.assertFalse(self.emulator.requests_to(mp, SHIP_CALLS[mp]))
                self.assertFalse(self.shipped_there(mp, ext))
                self.report()
                self.assertEqual(picking.marketplace_report_state, "reported", picking.marketplace_report_error)
                self.assertTrue(self.shipped_there(mp, ext), self.emulator.apps[mp].orders[ext])
                # a second run sends nothing again
                count = len(self.emulator.requests_to(mp, SHIP_CALLS[mp]))
                self.report()
                self.assertEqual(len(self.emulator.requests_to(mp, SHIP_CALLS[mp])), count)
                self.assertTrue(self.env["mail.message"].search_count(
                    [("model", "=", "stock.picking"), ("res_id", "=", picking.id),
                     ("body", "ilike", "Shipment reported")]))

    def test_ozon_ship_carries_the_posting_products(self):
        ext, binding, sale = self.import_one("ozon")
        self.validate_as_manager(sale)
        self.report()
        [call] = self.emulator.requests_to("ozon", "/v4/posting/fbs/ship")
        posting = self.emulator.ozon.orders[ext]
        self.assertEqual(call.body["posting_number"], ext)
        self.assertEqual(sorted((p["product_id"], p["quantity"]) for p in call.body["packages"][0]["products"]),
                         sorted((p["sku"], p["quantity"]) for p in posting["products"]))

    def test_yandex_boxes_hold_every_item_then_ready_to_ship(self):
        ext, binding, sale = self.import_one("yandex")
        self.validate_as_manager(sale)
        self.report()
        order = self.emulator.yandex.orders[ext]
        [boxes] = self.emulator.requests_to("yandex", "/v2/campaigns/{campaignId}/orders/{orderId}/boxes")
        self.assertEqual({i["id"]: i["fullCount"] for i in boxes.body["boxes"][0]["items"]},
                         {i["id"]: i["count"] for i in order["items"]})
        self.assertEqual(order["substatus"], "READY_TO_SHIP")

    def test_wildberries_one_supply_per_warehouse_handed_over_by_a_manager(self):
        account, app = self.accounts["wildberries"], self.emulator.wildberries
        ids = app.add_orders(6, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(account))
        bindings = self.bindings(account, ids)
        for ext in ids:
            self.validate_as_manager(bindings[ext].sale_order_id)
        self.report()
        warehouses = {app.orders[i]["warehouseId"] for i in ids}
        supplies = self.env["marketplace.supply"].search([("account_id", "=", account.id)])
        self.assertEqual(len(supplies), len(warehouses))
        self.assertEqual(len(app.supplies), len(warehouses), "one supply a warehouse, on WB too")
        for supply in supplies:
            self.assertEqual(app.supplies[supply.external_ref]["orders"],
                             {int(b.external_id) for b in bindings.values()
                              if str(app.orders[b.external_id]["warehouseId"]) == supply.warehouse_ref})
        # the next validated delivery goes into the same open supply
        [late] = [i for i in app.add_orders(8, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
                  if str(app.orders[i]["warehouseId"]) == supplies[0].warehouse_ref][:1]
        self.assertTrue(self.run_import(account))
        self.validate_as_manager(self.bindings(account, [late])[late].sale_order_id)
        self.report()
        self.assertIn(int(late), app.supplies[supplies[0].external_ref]["orders"])
        self.assertEqual(len(app.supplies), len(warehouses))
        # "Hand over supply", as a Marketplace User
        supply = supplies[0].with_user(self.manager)
        supply.action_hand_over()
        self.assertEqual(supply.state, "done")
        raw = app.supplies[supply.external_ref]
        self.assertTrue(raw["done"])
        self.assertEqual({app.orders[str(i)]["supplierStatus"] for i in raw["orders"]}, {"complete"})
        self.assertEqual(set(supply.picking_ids.mapped("marketplace_report_state")), {"handed_over"})
        # the next delivery opens a new supply
        [again] = [i for i in app.add_orders(8, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
                   if str(app.orders[i]["warehouseId"]) == supplies[0].warehouse_ref][:1]
        self.assertTrue(self.run_import(account))
        picking = self.validate_as_manager(self.bindings(account, [again])[again].sale_order_id)
        self.report()
        self.assertNotEqual(picking.marketplace_supply_id, supplies[0])
        self.assertEqual(app.orders[again]["supplyId"], picking.marketplace_supply_id.external_ref)

    def test_wildberries_supply_handed_over_at_validation_when_configured(self):
        account = self.accounts["wildberries"]
        account.wb_hand_over_at_validation = True
        ext, binding, sale = self.import_one("wildberries")
        picking = self.validate_as_manager(sale)
        self.report()
        self.assertEqual(picking.marketplace_report_state, "handed_over")
        self.assertTrue(self.emulator.wildberries.supplies[picking.marketplace_supply_id.external_ref]["done"])
        self.assertEqual(self.emulator.wildberries.orders[ext]["supplierStatus"], "complete")

    def test_failed_call_is_retried_later_and_reported_exactly_once(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                picking = self.validate_as_manager(sale)
                self.emulator.faults.force(mp, "5xx", count=50)
                self.report()
                self.assertEqual(picking.marketplace_report_state, "to_report")
                self.assertIn("retry", picking.marketplace_report_error)
                self.assertFalse(self.shipped_there(mp, ext))
                self.assertTrue(self.env["marketplace.sync.log"].search_count(
                    [("account_id", "=", binding.account_id.id), ("status_code", ">=", 500)]))
                self.emulator.faults.clear()
                self.report()
                self.assertEqual(picking.marketplace_report_state, "reported")
                self.assertTrue(self.shipped_there(mp, ext))
                ok = [r for r in self.emulator.requests_to(mp, SHIP_CALLS[mp]) if r.status < 300 and not r.fault]
                self.assertEqual(len(ok), 1, "shipped exactly once")
                if mp == "wildberries":
                    self.assertEqual(len(self.emulator.wildberries.supplies), 1)

    def test_refusal_is_shown_on_the_picking_and_can_be_retried(self):
        for mp in ("ozon", "yandex"):
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                picking = self.validate_as_manager(sale)
                self.emulator.apps[mp].cancel_order(ext)  # cancelled there meanwhile
                self.report()
                self.assertEqual(picking.marketplace_report_state, "failed")
                self.assertTrue(picking.marketplace_report_error)
                self.assertTrue(picking.activity_ids)
                picking.with_user(self.manager).action_marketplace_retry_report()
                self.assertEqual(picking.marketplace_report_state, "to_report")


class TestDbs(LifecycleCase):

    def test_own_delivery_statuses_reported_by_a_manager(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp, scheme="dbs")
                picking = self.validate_as_manager(sale)
                self.report()
                self.assertEqual(picking.marketplace_report_state, "reported", picking.marketplace_report_error)
                as_manager = picking.with_user(self.manager)
                as_manager.action_marketplace_delivering()
                raw = self.emulator.apps[mp].orders[ext]
                self.assertEqual({"wildberries": raw.get("supplierStatus"), "ozon": raw.get("status"),
                                  "yandex": raw.get("status")}[mp],
                                 {"wildberries": "deliver", "ozon": "delivering", "yandex": "DELIVERY"}[mp])
                if mp == "wildberries":
                    as_manager.marketplace_receive_code = self.emulator.wildberries.buyer_code(ext)
                as_manager.action_marketplace_delivered()
                raw = self.emulator.apps[mp].orders[ext]
                self.assertEqual({"wildberries": raw.get("wbStatus"), "ozon": raw.get("status"),
                                  "yandex": raw.get("status")}[mp],
                                 {"wildberries": "sold", "ozon": "delivered", "yandex": "DELIVERED"}[mp])
                self.assertEqual(picking.marketplace_delivery_state, "delivered")
                self.assertEqual(binding.mp_state, "delivered")
                self.assertTrue(sale.locked)


class TestCancellation(LifecycleCase):

    def cancel_as_manager(self, sale, pick=0):
        action = sale.with_user(self.manager).action_marketplace_cancel()
        wizard = self.env["marketplace.cancel.wizard"].with_user(self.manager).browse(action["res_id"])
        self.assertTrue(wizard.reason_ids)
        wizard.reason_id = wizard.reason_ids[pick]
        return wizard, wizard.action_confirm()

    def test_cancel_with_a_marketplace_reason_cancels_there_then_here(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                wizard, _result = self.cancel_as_manager(sale)
                self.assertEqual(sale.state, "cancel")
                self.assertEqual(sale.marketplace_cancel_state, "cancelled")
                self.assertEqual(binding.mp_state, "cancelled")
                raw = self.emulator.apps[mp].orders[ext]
                if mp == "wildberries":
                    self.assertEqual(raw["supplierStatus"], "cancel")
                    self.assertEqual(len(self.emulator.requests_to(mp, "/api/v3/orders/{orderId}/cancel")), 1)
                elif mp == "ozon":
                    self.assertEqual(raw["status"], "cancelled")
                    [call] = self.emulator.requests_to(mp, "/v2/posting/fbs/cancel")
                    self.assertEqual(call.body["cancel_reason_id"], int(wizard.reason_id.code))
                    self.assertTrue(self.emulator.requests_to(mp, "/v2/posting/fbs/cancel-reason/list"))
                else:
                    self.assertEqual((raw["status"], raw["substatus"]), ("CANCELLED", wizard.reason_id.code))

    def test_refusal_of_the_marketplace_is_shown_and_the_order_stays(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                self.emulator.apps[mp].set_state(ext, "shipped")  # gone: the marketplace refuses
                _wizard, result = self.cancel_as_manager(sale)
                self.assertEqual(result["tag"], "display_notification")
                self.assertEqual(sale.state, "sale")
                self.assertEqual(sale.marketplace_cancel_state, "refused")
                self.assertTrue(sale.marketplace_cancel_error)
                self.assertTrue(any("refused to cancel" in (m.body or "") for m in sale.message_ids))
                self.assertNotIn(self.emulator.apps[mp].orders[ext].get("status"), ("cancelled", "CANCELLED"))


class TestFromTheMarketplace(LifecycleCase):

    def test_delivered_makes_the_order_done_and_to_invoice(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                self.assertNotEqual(self.delivery(sale).state, "done")
                self.emulator.apps[mp].deliver(ext)
                self.assertTrue(self.run_import(binding.account_id))
                self.assertEqual(binding.mp_state, "delivered")
                self.assertEqual(set(self.delivery(sale).mapped("state")), {"done"})
                self.assertTrue(sale.locked)
                self.assertEqual(sale.invoice_status, "to invoice")
                self.assertEqual(sale.order_line.mapped("qty_delivered"), sale.order_line.mapped("product_uom_qty"))
                # the marketplace knows already: nothing to report
                self.assertEqual(self.delivery(sale).marketplace_report_state, "reported")

    def test_delivered_fbo_order_ships_from_the_fbo_location(self):
        account, app = self.accounts["ozon"], self.emulator.ozon
        [ext] = app.add_orders(1, offer_codes=self.known_codes(10), scheme="fbo", max_lines=1)
        self.assertTrue(self.run_import(account))
        binding = self.bindings(account, [ext])[ext]
        sale = binding.sale_order_id
        app.deliver(ext)
        self.assertTrue(self.run_import(account))
        picking = self.delivery(sale)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.move_line_ids.location_id, sale.marketplace_fbo_location_id)
        self.assertEqual(picking.marketplace_report_state, "reported")
        self.assertEqual(sale.invoice_status, "to invoice")

    def test_returned_makes_a_return_into_the_returns_location(self):
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                shipped = self.validate_as_manager(sale)
                self.report()
                self.emulator.apps[mp].return_order(ext)
                self.assertTrue(self.run_import(binding.account_id))
                self.assertEqual(binding.mp_state, "returned")
                [returned] = shipped.return_ids
                location = returned.location_dest_id
                self.assertTrue(location.marketplace_returns)
                self.assertEqual(location.location_id, shipped.picking_type_id.warehouse_id.view_location_id)
                self.assertEqual(returned.state, "assigned", "left ready for the warehouse")
                self.assertEqual(returned.move_ids.mapped("product_uom_qty"), shipped.move_ids.mapped("quantity"))
                # read again: no second return
                self.assertTrue(self.run_import(binding.account_id))
                self.assertEqual(len(shipped.return_ids), 1)

    def test_returned_is_validated_into_the_account_location_when_configured(self):
        account = self.accounts["ozon"]
        location = self.env["stock.location"].create({"name": "Возвраты Ozon", "usage": "internal",
                                                       "location_id": self.warehouse.view_location_id.id})
        account.write({"returns_location_id": location.id, "validate_returns": True})
        ext, binding, sale = self.import_one("ozon")
        shipped = self.validate_as_manager(sale)
        self.report()
        self.emulator.ozon.return_order(ext)
        self.assertTrue(self.run_import(account))
        [returned] = shipped.return_ids
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.location_dest_id, location)
        product = shipped.move_ids.product_id
        self.assertEqual(product.with_context(location=location.id).qty_available, shipped.move_ids.quantity)

    def test_lost_is_flagged_for_the_accountant(self):
        for mp in ("ozon", "yandex"):  # Wildberries' task API has no lost state
            with self.subTest(marketplace=mp):
                ext, binding, sale = self.import_one(mp)
                self.validate_as_manager(sale)
                self.report()
                self.emulator.apps[mp].lose(ext)
                self.assertTrue(self.run_import(binding.account_id))
                self.assertEqual(binding.mp_state, "lost")
                self.assertTrue(sale.marketplace_lost)
                [activity] = sale.activity_ids
                self.assertTrue(activity.user_id.has_group("account.group_account_invoice"))
                # the accountant's view: the filter "Lost / compensated"
                lost = self.env["sale.order"].with_user(self.accountant).search([("marketplace_lost", "=", True)])
                self.assertIn(sale, lost)
                orders = self.env["marketplace.order"].with_user(self.accountant).search([("mp_state", "=", "lost")])
                self.assertIn(binding, orders)


class TestWarehouseRules(LifecycleCase):

    def test_mapping_then_priority_then_stock(self):
        account, app = self.accounts["ozon"], self.emulator.ozon
        company = self.env.company
        empty = self.env["stock.warehouse"].create({"name": "Пустой", "code": "EMP", "company_id": company.id})
        stocked = self.env["stock.warehouse"].create({"name": "Запасной", "code": "ALT", "company_id": company.id})
        self.env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": stocked.lot_stock_id.id, "inventory_quantity": 100}
            for p in self.products]).action_apply_inventory()
        account.warehouse_priority_ids = empty | stocked
        # mapped: the mapping wins
        [mapped] = app.add_orders(1, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(account))
        self.assertEqual(self.bindings(account, [mapped])[mapped].sale_order_id.warehouse_id, self.warehouse)
        # not mapped: the first of the priority list with stock for all lines
        account.warehouse_mapping_ids.filtered(lambda m: m.scheme == "fbs").warehouse_id = False
        [ruled] = app.add_orders(1, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1,
                                 created_at=datetime.now(timezone.utc))
        self.assertTrue(self.run_import(account))
        self.assertEqual(self.bindings(account, [ruled])[ruled].sale_order_id.warehouse_id, stocked)
        # the policy is a method of the account
        product = self.products[0]
        self.assertEqual(account._marketplace_choose_warehouse(self.env["stock.warehouse"], {product: 1}), stocked)
        self.assertEqual(account._marketplace_choose_warehouse(self.env["stock.warehouse"], {product: 10 ** 6}),
                         empty, "none has the stock: the first of the list")
        self.assertEqual(account._marketplace_choose_warehouse(self.warehouse, {product: 1}), self.warehouse)
