"""Taxes, currencies and the revenue price of imported orders, asserted against the
emulator's raw orders (what the marketplace says the buyer paid), not against our records."""
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from odoo.exceptions import ValidationError
from odoo.tests.common import new_test_user

from .common import MarketplaceCase

CENT = Decimal("0.01")
ADMIN_GROUPS = "marketplace_connector.group_marketplace_admin,account.group_account_manager"


def _d(value):
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def raw_total(marketplace, raw, basis):
    """The order's amount on ``basis``, read from the marketplace's own fields."""
    if marketplace == "wildberries":  # one task = one item; kopecks
        field = {"buyer_price": "convertedPrice", "seller_price": "salePrice",
                 "final_price": "convertedFinalPrice"}[basis]
        return _d(Decimal(raw[field]) / 100)
    if marketplace == "ozon":
        field = {"seller_price": "price", "buyer_price": "customer_price", "old_price": "old_price"}[basis]
        return sum((_d(p[field]) * p["quantity"] for p in raw["products"]), Decimal(0))
    parts = {"with_subsidy": ("payment", "cashback", "subsidy"), "buyer_price": ("payment", "cashback")}[basis]
    return sum((_d(item[k]) for item in raw["items"] for k in parts), Decimal(0))


DEFAULT_BASIS = {"wildberries": "buyer_price", "ozon": "seller_price", "yandex": "with_subsidy"}


class TestOrderMoney(MarketplaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "mp_money_admin", groups=ADMIN_GROUPS)

    def import_fresh(self, marketplace, count=6, **kwargs):
        account = self.accounts[marketplace]
        app = self.emulator.apps[marketplace]
        # placed now: each import of a test reads the window after the previous one
        kwargs.setdefault("created_at", datetime.now(timezone.utc) - timedelta(minutes=1))
        ids = app.add_orders(count, offer_codes=self.known_codes(30), scheme="fbs", **kwargs)
        self.assertTrue(self.run_import(account), account.last_error)
        return account, app, ids

    def binding(self, account, ext):
        return self.env["marketplace.order"].search([("account_id", "=", account.id), ("external_id", "=", ext)])

    def test_vat_included_totals_are_the_marketplace_amounts(self):
        for mp in self.marketplaces:
            with self.subTest(marketplace=mp):
                account, app, ids = self.import_fresh(mp)
                for ext in ids:
                    sale = self.binding(account, ext).sale_order_id
                    self.assertTrue(sale, f"{mp} {ext} imported")
                    expected = raw_total(mp, app.orders[ext], DEFAULT_BASIS[mp])
                    self.assertEqual(_d(sale.amount_total), expected)
                    # VAT 22 % inside the price: the line carries the product's tax, included
                    for line in sale.order_line:
                        self.assertEqual(len(line.tax_id), 1)
                        self.assertTrue(line.tax_id.price_include)
                        self.assertEqual(line.tax_id.amount, 22.0)
                        self.assertEqual(_d(line.price_total), _d(Decimal(str(line.price_unit))
                                                                  * Decimal(str(line.product_uom_qty))))
                    # the tax is 22/122 of what the buyer paid, to the kopeck on each line
                    tax = sum((_d(Decimal(str(line.price_total)) * 22 / 122) for line in sale.order_line),
                              Decimal(0))
                    self.assertEqual(_d(sale.amount_tax), tax)
                    self.assertEqual(_d(sale.amount_untaxed) + _d(sale.amount_tax), expected)
        # the product keeps its price-excluded tax; the included twin was made once
        self.assertFalse(self.vat.price_include)
        twins = self.env["account.tax"].search([("amount", "=", 22.0), ("price_include", "=", True),
                                                ("type_tax_use", "=", "sale"),
                                                ("company_id", "=", self.env.company.id)])
        self.assertEqual(len(twins), 1)

    def test_no_tax_holds_the_order_until_a_default_tax_or_without_vat(self):
        account = self.accounts["ozon"]
        product = self.product_by_code[self.known_codes(1)[0]]
        product.taxes_id = False
        [ext] = self.emulator.ozon.add_orders(1, offer_codes=[product.default_code], max_lines=1, scheme="fbs")
        self.run_import(account)
        rec = self.binding(account, ext)
        self.assertEqual(rec.import_state, "held")
        self.assertIn("No sale tax", rec.hold_reason)
        self.assertIn(product.display_name, rec.hold_reason)
        # the administrator gives the account a default sale tax: the order comes in with it
        account.with_user(self.admin).default_tax_id = self.vat
        self.run_import(account)
        self.assertEqual(rec.import_state, "imported")
        self.assertEqual(rec.sale_order_id.order_line.tax_id.amount, 22.0)
        self.assertTrue(rec.sale_order_id.order_line.tax_id.price_include)
        # a seller without VAT: lines without tax are fine
        account.with_user(self.admin).write({"default_tax_id": False, "sells_without_vat": True})
        [ext2] = self.emulator.ozon.add_orders(1, offer_codes=[product.default_code], max_lines=1, scheme="fbs",
                                               created_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        self.run_import(account)
        rec2 = self.binding(account, ext2)
        self.assertEqual(rec2.import_state, "imported")
        self.assertFalse(rec2.sale_order_id.order_line.tax_id)
        self.assertEqual(_d(rec2.sale_order_id.amount_total),
                         raw_total("ozon", self.emulator.ozon.orders[ext2], "seller_price"))

    def test_fiscal_position_maps_the_tax(self):
        account = self.accounts["yandex"]
        vat10 = self.env["account.tax"].create({
            "name": "НДС 10%", "amount": 10.0, "amount_type": "percent", "type_tax_use": "sale",
            "tax_group_id": self.vat.tax_group_id.id, "price_include_override": "tax_excluded"})
        fpos = self.env["account.fiscal.position"].create({
            "name": "Детские товары", "tax_ids": [(0, 0, {"tax_src_id": self.vat.id, "tax_dest_id": vat10.id})]})
        account.with_user(self.admin).fiscal_position_id = fpos
        account, app, ids = self.import_fresh("yandex", count=2)
        for ext in ids:
            sale = self.binding(account, ext).sale_order_id
            self.assertEqual(set(sale.order_line.tax_id.mapped("amount")), {10.0})
            self.assertTrue(all(sale.order_line.tax_id.mapped("price_include")))
            self.assertEqual(sale.fiscal_position_id, fpos)
            self.assertEqual(_d(sale.amount_total), raw_total("yandex", app.orders[ext], "with_subsidy"))

    def test_order_in_another_currency(self):
        account = self.accounts["wildberries"]
        app = self.emulator.wildberries
        ids = app.add_orders(2, offer_codes=self.known_codes(10), scheme="fbs", currency="KZT")
        self.run_import(account)
        for ext in ids:
            rec = self.binding(account, ext)
            self.assertEqual(rec.import_state, "held", "no pricelist in tenge: held, not imported in roubles")
            self.assertIn("KZT", rec.hold_reason)
        kzt = self.env.ref("base.KZT")
        kzt.active = True
        pricelist = self.env["product.pricelist"].create({"name": "Казахстан", "currency_id": kzt.id})
        self.env["marketplace.order"].search([("account_id", "=", account.id),
                                              ("external_id", "in", ids)]).action_retry()
        for ext in ids:
            sale = self.binding(account, ext).sale_order_id
            self.assertTrue(sale)
            self.assertEqual(sale.currency_id, kzt)
            self.assertEqual(sale.pricelist_id, pricelist)
            self.assertEqual(app.orders[ext]["convertedCurrencyCode"], 398)
            self.assertEqual(_d(sale.amount_total), raw_total("wildberries", app.orders[ext], "buyer_price"))

    def test_each_price_basis(self):
        for mp in self.marketplaces:
            bases = [key for key, _label in type(self.accounts[mp]._get_adapter()).PRICE_BASES]
            for basis in bases:
                with self.subTest(marketplace=mp, basis=basis):
                    self.accounts[mp].with_user(self.admin).price_basis = f"{mp}:{basis}"
                    account, app, ids = self.import_fresh(mp, count=3)
                    differs = False
                    for ext in ids:
                        sale = self.binding(account, ext).sale_order_id
                        self.assertTrue(sale, f"{mp} {ext} imported on {basis}: {self.binding(account, ext).import_state} {self.binding(account, ext).hold_reason} {account.last_error}")
                        expected = raw_total(mp, app.orders[ext], basis)
                        self.assertEqual(_d(sale.amount_total), expected)
                        differs = differs or expected != raw_total(mp, app.orders[ext], DEFAULT_BASIS[mp])
                    if basis not in (DEFAULT_BASIS[mp], "final_price"):  # WB Wallet discounts are rare
                        self.assertTrue(differs, f"the emulator's {basis} differs from the default somewhere")
        with self.assertRaises(ValidationError):
            self.accounts["ozon"].with_user(self.admin).price_basis = "yandex:with_subsidy"
