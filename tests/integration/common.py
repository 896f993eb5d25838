"""Base of the Odoo tests: a real database (pytest-odoo), the marketplace emulator over
loopback, the seller's products and one account per marketplace pointing at the emulator."""
from odoo.tests.common import TransactionCase

from tests.emulator import MarketplaceEmulator
from tests.emulator.data import default_catalog, sized_catalog
from tests.fixtures import CREDENTIAL_FIELDS, account_values, create_products, create_sized_products  # noqa: F401


def create_vat(env, company, rate=22.0):
    """The company's sale VAT, price-excluded (the included twin is the connector's to make)."""
    tax = env["account.tax"].search([("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
                                     ("amount", "=", rate), ("price_include", "=", False)], limit=1)
    if tax:
        return tax
    group = env["account.tax.group"].search([("company_id", "=", company.id)], limit=1) or \
        env["account.tax.group"].create({"name": "НДС", "company_id": company.id})
    return env["account.tax"].create({
        "name": f"НДС {rate:g}%", "amount": rate, "amount_type": "percent", "type_tax_use": "sale",
        "company_id": company.id, "price_include_override": "tax_excluded", "tax_group_id": group.id})


class MarketplaceCase(TransactionCase):
    """Tests of the connector against the emulator.  Of the emulator's 60 catalogue items,
    the first 50 exist as products here (by internal reference = article); the last 10 do
    not, to exercise held orders."""

    test_tags = {"standard", "at_install"}
    test_module = "marketplace_connector"
    known_items = 50
    marketplaces = ("wildberries", "ozon", "yandex")
    #: the emulator also holds variant groups (sizes), and the seller has them as product variants
    sized = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.emulator = MarketplaceEmulator(seed=11, timeout_delay=1.0, sized=cls.sized).start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.catalog = default_catalog()
        # the seller: a Russian company, in roubles
        rub = cls.env.ref("base.RUB")
        rub.active = True
        if cls.env.company.currency_id != rub:
            cls.env.company.currency_id = rub
        cls.env.company.country_id = cls.env.ref("base.ru")
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.products = create_products(cls.env, cls.catalog[: cls.known_items], cls.warehouse.lot_stock_id)
        # as in a Russian chart of accounts: VAT 22 %, price-excluded, on every product
        cls.vat = create_vat(cls.env, cls.env.company)
        cls.products.product_tmpl_id.write({"taxes_id": [(6, 0, cls.vat.ids)]})
        cls.sized_products = {}
        if cls.sized:
            cls.sized_products = create_sized_products(cls.env, sized_catalog(), cls.warehouse.lot_stock_id)
            for sizes in cls.sized_products.values():
                for variant in sizes.values():
                    variant.product_tmpl_id.taxes_id = cls.vat
        cls.product_by_code = {p.default_code: p for p in cls.products}
        Account = cls.env["marketplace.account"]
        cls.accounts = {
            mp: Account.create(account_values(cls.emulator, mp, cls.warehouse))
            for mp in cls.marketplaces
        }
        for account in cls.accounts.values():
            account.action_import_warehouses()
            account.action_import_catalog()
            fbo = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo")
            if fbo:
                loc = cls.env["stock.location"].create({
                    "name": f"FBO {account.marketplace}", "usage": "internal",
                    "location_id": cls.warehouse.view_location_id.id})
                fbo.location_id = loc
                cls.env["stock.quant"].with_context(inventory_mode=True).create([
                    {"product_id": p.id, "location_id": loc.id, "inventory_quantity": 500}
                    for p in cls.products]).action_apply_inventory()

    def setUp(self):
        super().setUp()
        self.sleeps = []
        # the emulator lives for the class, the database is rolled back after each test:
        # each test starts with a marketplace that has no orders
        self.emulator.faults.clear()
        self.emulator.clear_rewrites()
        for app in self.emulator.apps.values():
            app.orders.clear()
            app.repeat_cursor = False

    def run_import(self, account, **kwargs):
        """The import as the scheduled action runs it, without real sleeping."""
        kwargs.setdefault("sleep", self.sleeps.append)
        kwargs.setdefault("timeout", (2.0, 0.5))
        kwargs.setdefault("backoff_base", 0.01)
        return account._run_order_import(**kwargs)

    def known_codes(self, count=None):
        return [item["offer_code"] for item in self.catalog[: self.known_items]][:count]

    def sale_orders(self, account):
        return self.env["sale.order"].search([("marketplace_account_id", "=", account.id)])
