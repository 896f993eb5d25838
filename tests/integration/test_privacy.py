"""Buyers' personal data for the marketplace groups only: buyer contacts are hidden from the
other internal users, and the documents naming them still open for those users."""
from odoo.exceptions import AccessError
from odoo.tests.common import TransactionCase, new_test_user

from .common import MarketplaceCase

BUYER = "Смирнова Екатерина"
PHONE = "+79161234567"
STREET = "ул. Арбат, 10, кв. 5"


class TestBuyerPrivacy(TransactionCase):
    test_tags = {"standard", "at_install"}
    test_module = "marketplace_connector"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.account = cls.env["marketplace.account"].create({
            "name": "Ozon (privacy)", "marketplace": "ozon", "environment": "sandbox",
            "base_url": "http://127.0.0.1:9", "warehouse_id": warehouse.id,
            "ozon_client_id": "1", "ozon_api_key": "privacy-key", "customer_mode": "buyer"})
        cls.parent = cls.account.partner_id
        # as the order import creates it for an account whose customers are the buyers
        cls.buyer = cls.env["res.partner"].create({
            "parent_id": cls.parent.id, "type": "delivery", "name": BUYER, "phone": PHONE,
            "street": STREET, "city": "Москва", "zip": "119002", "marketplace_buyer": True})
        product = cls.env["product.product"].create({"name": "Кружка", "type": "consu"})
        cls.sale = cls.env["sale.order"].create({
            "partner_id": cls.parent.id, "partner_shipping_id": cls.buyer.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1, "price_unit": 500})]})
        cls.sale.action_confirm()
        cls.plain = new_test_user(cls.env, login="privacy_plain", groups="base.group_user")
        cls.accountant = new_test_user(cls.env, login="privacy_accountant",
                                       groups="base.group_user,account.group_account_invoice")
        cls.stock_user = new_test_user(cls.env, login="privacy_stock",
                                       groups="base.group_user,stock.group_stock_user")
        cls.manager = new_test_user(cls.env, login="privacy_manager",
                                    groups="base.group_user,marketplace_connector.group_marketplace_user,"
                                           "sales_team.group_sale_salesman_all_leads")

    def _leaks(self, text):
        text = str(text)
        return [part for part in ("Смирнова", PHONE, "Арбат") if part in text]

    def test_plain_internal_user_does_not_find_buyers(self):
        Partner = self.env["res.partner"].with_user(self.plain)
        self.assertFalse(Partner.search([("name", "ilike", "Смирнова")]))
        self.assertFalse(Partner.search([("phone", "=", PHONE)]))
        self.assertNotIn(self.buyer.id, Partner.search([("parent_id", "=", self.parent.id)]).ids)
        self.assertNotIn(self.buyer.id, [r[0] for r in Partner.name_search("Смирнова")])
        with self.assertRaises(AccessError):
            self.buyer.with_user(self.plain).read(["name", "phone", "street"])
        # the marketplace's own partner and ordinary contacts stay visible
        self.assertTrue(Partner.search([("id", "=", self.parent.id)]))

    def test_marketplace_user_sees_buyers(self):
        Partner = self.env["res.partner"].with_user(self.manager)
        found = Partner.search([("name", "ilike", "Смирнова")])
        self.assertEqual(found, self.buyer)
        self.assertEqual(found.phone, PHONE)
        self.assertIn("Смирнова", found.display_name)
        self.assertIn("Смирнова", self.sale.with_user(self.manager).partner_shipping_id.display_name)

    def test_accountant_opens_the_sale_order_without_the_buyer(self):
        sale = self.sale.with_user(self.accountant)
        self.assertEqual(sale.name, self.sale.name)
        # the many2one as documents and the web client show it
        shown = sale.partner_shipping_id.display_name
        self.assertTrue(shown)
        self.assertFalse(self._leaks(shown), shown)
        self.assertIn(self.parent.name, shown)
        data = sale.web_read({
            "name": {}, "amount_total": {},
            "partner_id": {"fields": {"display_name": {}}},
            "partner_shipping_id": {"fields": {"display_name": {}}, "context": {"show_address": 1}},
            "partner_invoice_id": {"fields": {"display_name": {}}},
        })[0]
        self.assertEqual(data["partner_shipping_id"]["id"], self.buyer.id)
        self.assertFalse(self._leaks(data), data["partner_shipping_id"])
        self.assertFalse(self._leaks(sale.read(["partner_shipping_id"])[0]))
        # the contact itself stays closed
        with self.assertRaises(AccessError):
            sale.partner_shipping_id.phone  # noqa: B018

    def test_stock_user_opens_the_delivery(self):
        picking = self.sale.picking_ids.with_user(self.stock_user)
        self.assertTrue(picking)
        self.assertEqual(picking.partner_id.id, self.buyer.id)
        self.assertFalse(self._leaks(picking.partner_id.display_name))
        data = picking.web_read({"name": {}, "state": {},
                                 "partner_id": {"fields": {"display_name": {}}}})[0]
        self.assertFalse(self._leaks(data), data)

    def test_buyer_fields_of_the_import_record_for_marketplace_users_only(self):
        order = self.env["marketplace.order"].create({
            "account_id": self.account.id, "external_id": "PRIV-1", "buyer_name": BUYER,
            "buyer_phone": PHONE, "buyer_address": STREET, "sale_order_id": self.sale.id})
        self.assertEqual(order.with_user(self.manager).buyer_phone, PHONE)
        with self.assertRaises(AccessError):
            order.with_user(self.accountant).read(["buyer_phone"])


class TestImportedBuyers(MarketplaceCase):
    """The buyer contacts the order import creates are flagged and hidden like the others."""

    def test_imported_buyer_contacts_hidden_from_plain_users(self):
        plain = new_test_user(self.env, login="privacy_plain_import", groups="base.group_user")
        accountant = new_test_user(self.env, login="privacy_accountant_import",
                                   groups="base.group_user,account.group_account_invoice")
        buyers = self.env["res.partner"]
        for mp in self.marketplaces:
            account = self.accounts[mp]
            account.customer_mode = "buyer"
            self.emulator.apps[mp].add_orders(15, offer_codes=self.known_codes(30))
            self.assertTrue(self.run_import(account), account.last_error)
            sales = self.sale_orders(account)
            contacts = sales.partner_shipping_id - account.partner_id
            self.assertTrue(all(contacts.mapped("marketplace_buyer")), mp)
            buyers |= contacts
            for sale in sales.filtered(lambda s: s.partner_shipping_id in contacts)[:3]:
                shown = sale.with_user(accountant).partner_shipping_id.display_name
                self.assertNotIn(sale.partner_shipping_id.name, shown)
        self.assertTrue(buyers, "the emulator's orders carry buyers")
        self.assertFalse(self.env["res.partner"].with_user(plain).search([("id", "in", buyers.ids)]))
