"""Issue 6, section 5: two companies neither see nor import into each other: accounts,
mappings, warehouses, orders and the sync log of company B are not visible to a user of
company A; B's import makes sale orders in B with B's own marketplace customer; a record of
A's account cannot point at B's products or warehouses."""
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user

from .common import MarketplaceCase, account_values, create_vat

USER_GROUPS = "marketplace_connector.group_marketplace_user"


class TestCompanies(MarketplaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({
            "name": "ООО «Бета»", "currency_id": cls.env.ref("base.RUB").id,
            "country_id": cls.env.ref("base.ru").id})
        cls.warehouse_b = cls.env["stock.warehouse"].search([("company_id", "=", cls.company_b.id)], limit=1)
        assert cls.warehouse_b, "a company gets its warehouse"
        # the shared products are sold by B too, with B's VAT and stock
        cls.vat_b = create_vat(cls.env, cls.company_b)
        cls.products.product_tmpl_id.write({"taxes_id": [(4, cls.vat_b.id)]})
        cls.env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": cls.warehouse_b.lot_stock_id.id, "inventory_quantity": 500}
            for p in cls.products]).action_apply_inventory()
        cls.account_b = cls.env["marketplace.account"].create(dict(
            account_values(cls.emulator, "ozon", cls.warehouse_b, name="Ozon of B"), company_id=cls.company_b.id))
        cls.account_b.action_import_warehouses()
        cls.account_b.action_import_catalog()
        cls.user_a = new_test_user(cls.env, login="mp_company_a", groups=USER_GROUPS,
                                   company_id=cls.company_a.id, company_ids=[(6, 0, cls.company_a.ids)])
        cls.user_b = new_test_user(cls.env, login="mp_company_b", groups=USER_GROUPS,
                                   company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)])
        both = (cls.company_a | cls.company_b).ids
        cls.user_ab = new_test_user(cls.env, login="mp_company_ab", groups=USER_GROUPS,
                                    company_id=cls.company_a.id, company_ids=[(6, 0, both)])

    def test_b_imports_into_b_with_its_own_customer(self):
        app = self.emulator.ozon
        # the sale VAT of B in its price-included form, made once (by the scheduled action's run
        # or an administrator): the import here is a manager's of B
        self.account_b._line_taxes(self.products[0])
        ids = app.add_orders(4, offer_codes=self.known_codes(10), scheme="fbs", max_lines=2)
        result = self.account_b.with_user(self.user_b).action_import_orders()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        sales = self.sale_orders(self.account_b)
        self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(ids))
        partner_b = self.account_b.partner_id
        partner_a = self.accounts["ozon"].partner_id
        self.assertEqual(partner_b, self.env["marketplace.account"]._marketplace_partner("ozon", self.company_b))
        self.assertEqual(partner_b.company_id, self.company_b)
        self.assertNotEqual(partner_b, partner_a)
        for sale in sales:
            self.assertEqual(sale.company_id, self.company_b)
            self.assertEqual(sale.partner_id, partner_b)
            self.assertEqual(sale.warehouse_id, self.warehouse_b)
            self.assertEqual(sale.picking_ids.company_id, self.company_b)
            self.assertEqual(sale.order_line.tax_id.company_id, self.company_b)
            raw = app.orders[sale.marketplace_external_id]
            self.assertEqual(sorted(sale.order_line.mapped("marketplace_offer_code")),
                             sorted(p["offer_id"] for p in raw["products"]))
        self.assertFalse(self.env["sale.order"].search([("marketplace_external_id", "in", ids),
                                                        ("company_id", "!=", self.company_b.id)]))
        self.assertFalse(self.env["marketplace.order"].search([("external_id", "in", ids),
                                                               ("company_id", "!=", self.company_b.id)]))

    def test_a_user_of_a_does_not_see_b(self):
        self.account_b._line_taxes(self.products[0])
        self.emulator.ozon.add_orders(2, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(self.account_b))
        self.assertTrue(self.sale_orders(self.account_b))
        env_a = self.env(user=self.user_a)
        accounts = env_a["marketplace.account"].search([])
        self.assertNotIn(self.account_b, accounts)
        self.assertEqual(set(accounts.ids), {a.id for a in self.accounts.values()})
        for model in ("marketplace.product.mapping", "marketplace.warehouse.mapping", "marketplace.order",
                      "marketplace.sync.log"):
            with self.subTest(model=model):
                self.assertTrue(self.env[model].search([("account_id", "=", self.account_b.id)]), model)
                self.assertFalse(env_a[model].search([("account_id", "=", self.account_b.id)]), model)
        self.assertFalse(env_a["sale.order"].search([("marketplace_account_id", "=", self.account_b.id)]))
        with self.assertRaises(AccessError):
            self.account_b.with_user(self.user_a).read(["name"])
        # B's user sees B's and not A's
        env_b = self.env(user=self.user_b)
        self.assertEqual(env_b["marketplace.account"].search([]), self.account_b.with_env(env_b))
        self.assertFalse(env_b["marketplace.order"].search([("account_id", "in",
                                                             [a.id for a in self.accounts.values()])]))

    def test_a_user_of_a_cannot_press_the_buttons_of_b(self):
        """The buttons work with the superuser's rights inside (credentials, sync log): pressed
        (by RPC) by a user of A on B's account they are refused before anything is done: no
        call to the marketplace with B's credentials, nothing written on B's account."""
        self.account_b.last_error = "HTTP 503"
        started = self.account_b.import_started_at
        self.emulator.ozon.add_orders(2, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        foreign = self.account_b.with_user(self.user_a)
        for method in ("action_import_orders", "action_import_catalog", "action_dismiss_error"):
            with self.subTest(button=method):
                seen = len(self.emulator.requests_to("ozon"))
                with self.assertRaises(AccessError):
                    getattr(foreign, method)()
                self.assertEqual(len(self.emulator.requests_to("ozon")), seen, "no call with B's credentials")
                self.env.invalidate_all()
                self.assertEqual(self.account_b.last_error, "HTTP 503")
                self.assertEqual(self.account_b.import_started_at, started)
        self.assertFalse(self.env["marketplace.order"].search([("account_id", "=", self.account_b.id)]))

    def test_records_of_a_cannot_point_at_b(self):
        """Even for a user of both companies: a mapping of A's account to a product of B, a
        warehouse mapping of A's account to B's warehouse, B's account to A-only records."""
        account_a = self.accounts["ozon"]
        product_b = self.env["product.product"].create({"name": "Товар Беты", "company_id": self.company_b.id,
                                                        "is_storable": True})
        product_a = self.env["product.product"].create({"name": "Товар Альфы", "company_id": self.company_a.id,
                                                        "is_storable": True})
        ctx = {"allowed_company_ids": (self.company_a | self.company_b).ids}
        unmapped_a = account_a.product_mapping_ids.filtered(lambda m: m.state == "unmapped")[:1]
        unmapped_b = self.account_b.product_mapping_ids.filtered(lambda m: m.state == "unmapped")[:1]
        self.assertTrue(unmapped_a and unmapped_b)
        with self.assertRaises(UserError):
            unmapped_a.with_user(self.user_ab).with_context(**ctx).write({"product_id": product_b.id})
            unmapped_a.flush_recordset()
        with self.assertRaises(UserError):
            unmapped_b.with_user(self.user_ab).with_context(**ctx).write({"product_id": product_a.id})
            unmapped_b.flush_recordset()
        with self.assertRaises(UserError):
            self.env["marketplace.product.mapping"].with_user(self.user_ab).with_context(**ctx).create({
                "account_id": account_a.id, "offer_code": "FOREIGN-1", "product_id": product_b.id})
        wh_mapping = account_a.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbs")[:1]
        self.assertTrue(wh_mapping)
        with self.assertRaises(UserError):
            wh_mapping.write({"warehouse_id": self.warehouse_b.id})
            wh_mapping.flush_recordset()
        with self.assertRaises(UserError):
            account_a.write({"warehouse_id": self.warehouse_b.id})
            account_a.flush_recordset()
        with self.assertRaises(UserError):
            self.account_b.write({"partner_id": self.accounts["ozon"].partner_id.id})
            self.account_b.flush_recordset()
        self.assertFalse(unmapped_a.product_id)
        self.assertFalse(unmapped_b.product_id)
        # the automatic matching passes over the other company's products too
        product_b.default_code = unmapped_a.offer_code
        self.assertEqual(unmapped_a._auto_match(), 0)
        self.assertFalse(unmapped_a.product_id)
