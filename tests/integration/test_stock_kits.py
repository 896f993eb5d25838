"""Kits (Odoo's ``mrp``, a phantom bill of materials) in the stock export: a kit sells as many
as its components make, in complete kits, on the account's basis and without the FBO stock.

The connector does not depend on mrp: these tests need it installed in the test database
(the test suite installs it, setup/run_tests.sh) and are skipped, with the reason, where it
is not."""
import unittest

from .test_stock_export import WB_FBS, StockCase


class TestStockKits(StockCase):
    marketplaces = ("wildberries",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "mrp.bom" not in cls.env:
            raise unittest.SkipTest("mrp is not installed in this database: kits are mrp's")
        Product = cls.env["product.product"]
        cls.a, cls.b = Product.create([
            {"name": f"Компонент {code}", "default_code": f"KIT-{code}", "type": "consu", "is_storable": True}
            for code in ("A", "B")])
        # the kit is a product the marketplace sells (mapped, with 1000 of its own in stock,
        # which a kit does not count: Odoo counts a kit by its components)
        cls.kit = cls.products[0]
        cls.env["mrp.bom"].create({
            "product_tmpl_id": cls.kit.product_tmpl_id.id, "type": "phantom", "product_qty": 1,
            "bom_line_ids": [(0, 0, {"product_id": cls.a.id, "product_qty": 2}),
                             (0, 0, {"product_id": cls.b.id, "product_qty": 1})]})
        cls.account = cls.accounts["wildberries"]
        # a marketplace warehouse (FBO) whose stock Odoo keeps in a location of our warehouse
        cls.fbo = cls.env["stock.location"].create({
            "name": "FBO Коледино", "usage": "internal", "location_id": cls.warehouse.view_location_id.id})
        cls.env["marketplace.warehouse.mapping"].create({
            "account_id": cls.account.id, "ref": "507", "name": "Коледино", "scheme": "fbo",
            "location_id": cls.fbo.id})

    def setUp(self):
        super().setUp()
        self.set_quantity(self.a, 7)
        self.set_quantity(self.b, 5)
        self.chrt_id = int(self.mapping(self.account, self.kit).item_id)

    def sent_to_fbs(self):
        """The kit's amount in the emulator's raw requests to the FBS warehouse."""
        return [row["amount"] for request in self.stock_requests("wildberries")
                if request.path.endswith(f"/{WB_FBS}") for row in request.body["stocks"]
                if row["chrtId"] == self.chrt_id]

    def test_kit_of_two_a_and_one_b_exports_three(self):
        self.account.stock_buffer = 0
        # as Odoo counts it: A 7 makes 3 kits, B 5 makes 5
        self.assertEqual(self.kit.with_context(warehouse_id=self.warehouse.id).free_qty, 3)
        # components the marketplace keeps (FBO, in the same Odoo warehouse) make no kit here
        self.env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": self.fbo.id, "inventory_quantity": 100}
            for p in (self.a, self.b)]).action_apply_inventory()
        self.export(self.account)
        self.assertEqual(self.sent_to_fbs(), [3])
        self.assertEqual(self.emulator.wildberries.stock_of(WB_FBS, self.chrt_id), 3)
        level = self.mapping(self.account, self.kit).stock_level_ids.filtered(
            lambda lv: lv.warehouse_mapping_id.ref == str(WB_FBS))
        self.assertEqual((level.state, level.sent_quantity), ("ok", 3))

    def test_a_sold_kit_reserves_its_components_and_the_next_export_sends_two(self):
        self.account.stock_buffer = 0
        self.export(self.account)
        self.assertEqual(self.sent_to_fbs(), [3])
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_export_stock")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()  # (the stock set up in setUp triggered one)
        # one kit sold: 2 A and 1 B reserved (free: A 5, B 4), by moves of the components only,
        # which trigger the export since the kit that takes them is mapped
        self.reserve_kit(1)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        self.emulator.reset_records()
        self.env["marketplace.stock.level"]._cron_export_stock()
        self.assertEqual(self.sent_to_fbs(), [2])

    def test_a_kit_of_kits_counts_their_components(self):
        # a gift box: 2 kits (2 A + 1 B each) and 1 C; as a batch of 2 boxes of 3 kits and 2 C
        self.account.stock_buffer = 0
        box, c = self.products[1], self.products[2]
        self.set_quantity(self.a, 40)  # 20 kits by A
        self.set_quantity(c, 5)  # 5 boxes by C
        self.env["mrp.bom"].create({
            "product_tmpl_id": box.product_tmpl_id.id, "type": "phantom", "product_qty": 2,
            "bom_line_ids": [(0, 0, {"product_id": self.kit.id, "product_qty": 3}),
                             (0, 0, {"product_id": c.id, "product_qty": 2})]})
        # B 5 makes 5 kits, which make 5 / 1.5 = 3.33 boxes; C makes 5
        self.assertEqual(box.with_context(warehouse_id=self.warehouse.id).free_qty, 3)
        self.export(self.account)
        chrt_id = int(self.mapping(self.account, box).item_id)
        self.assertEqual(self.emulator.wildberries.stock_of(WB_FBS, chrt_id), 3)
        self.assertEqual(self.emulator.wildberries.stock_of(WB_FBS, self.chrt_id), 5)

    def test_buffer_applies_to_kits(self):
        self.account.stock_buffer = 1
        self.export(self.account)
        self.assertEqual(self.sent_to_fbs(), [2])

    def reserve_kit(self, qty):
        sale = self.env["sale.order"].create({
            "partner_id": self.partner.id, "warehouse_id": self.warehouse.id,
            "order_line": [(0, 0, {"product_id": self.kit.id, "product_uom_qty": qty})]})
        sale.action_confirm()
        moves = sale.picking_ids.move_ids
        self.assertEqual(sorted((m.product_id.default_code, m.quantity) for m in moves),
                         [("KIT-A", 2 * qty), ("KIT-B", qty)])
        return sale
