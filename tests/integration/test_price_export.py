"""Issue 7, section 2: the price export.  The prices the marketplaces hold (the emulators' state,
the source) are the account's rules applied to each product's price or cost, computed here by
hand; an export with nothing changed sends nothing; the minimum-margin guard stops a price below
cost + commission + logistics (+ margin, VAT out) and nothing is sent for it; the preview wizard,
run by a Marketplace User, lists the changes and the stopped prices, and *Send* sends exactly
what it showed; a half-rejected batch leaves the accepted part applied and the rest flagged."""
import json
import math
import time
from decimal import ROUND_HALF_UP, Decimal

from odoo.tests.common import new_test_user

from tests.emulator.wildberries.catalog import SUBJECTS
from tests.emulator.wildberries.prices import COMMISSIONS

from .common import MarketplaceCase

USER_GROUPS = "marketplace_connector.group_marketplace_user"
ADMIN_GROUPS = "marketplace_connector.group_marketplace_admin"
D = Decimal
VAT = D(22)
#: the account's own figures (used where the marketplace gives none)
COMMISSION, LOGISTICS, MARGIN, DISCOUNT = D(10), D(50), D(5), D(20)
#: what the Ozon emulator gives by default: 15 %, direct flow 76 + last mile 25
OZON_COMMISSION, OZON_LOGISTICS = D(15), D(101)


def up99(value):
    """Up to the next price ending in 99 roubles."""
    return max(D(math.ceil((D(value) - 99) / 100)) * 100 + 99, D(99))


def ceil_rouble(value):
    return D(math.ceil(D(value)))


def kop(value):
    return D(value).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def floor_of(cost, commission, logistics):
    """The lowest price the guard lets through, computed here from its definition."""
    net = D(100) / (D(100) + VAT) - (commission + MARGIN) / 100
    return ((D(cost) + logistics) / net).quantize(D("0.01"), rounding="ROUND_CEILING")


class TestPriceExport(MarketplaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="mp_price_manager", groups=USER_GROUPS)
        cls.admin = new_test_user(cls.env, login="mp_price_admin", groups=ADMIN_GROUPS)
        # the cost of each product: 40 % of its sales price; of every fifth, 80 % (the guard stops it
        # where the price is the sales price; on Ozon, where it is the cost + markup, Ozon's
        # commission of every fifth product is 45 % instead: see setUp)
        for index, product in enumerate(cls.products):
            share = D("0.8") if index % 5 == 4 else D("0.4")
            product.standard_price = float(kop(D(str(product.list_price)) * share))
        cls.dear_codes = [p.default_code for i, p in enumerate(cls.products) if i % 5 == 4]
        cls.pricelist = cls.env["product.pricelist"].create({
            "name": "Маркетплейсы", "currency_id": cls.env.company.currency_id.id,
            "item_ids": [(0, 0, {"applied_on": "3_global", "compute_price": "percentage", "percent_price": 10})]})
        common = {"price_rounding": "99", "price_discount_percent": float(DISCOUNT), "price_guard": True,
                  "price_use_tariffs": True, "price_commission_percent": float(COMMISSION),
                  "price_logistics_amount": float(LOGISTICS), "price_margin_percent": float(MARGIN)}
        # settings are the administrators'
        cls.accounts["wildberries"].with_user(cls.admin).write(dict(common, price_source="pricelist"))
        cls.accounts["ozon"].with_user(cls.admin).write(dict(common, price_source="cost", price_markup_percent=100))
        cls.accounts["yandex"].with_user(cls.admin).write(
            dict(common, price_source="pricelist", price_pricelist_id=cls.pricelist.id))

    def setUp(self):
        super().setUp()
        for app in self.emulator.apps.values():
            app.prices.clear()
            app.price_errors.clear()
        self.emulator.ozon.price_history.clear()
        self.emulator.wildberries.tasks.clear()
        self.emulator.wildberries.task_delay = 0
        self.emulator.ozon.commissions = {code: (D(45), D(76), D(25)) for code in self.dear_codes}
        self.emulator.reset_records()

    # --- helpers -------------------------------------------------------------------------
    def mappings(self, account):
        return self.env["marketplace.product.mapping"].search(
            [("account_id", "=", account.id), ("product_id", "!=", False)])

    def expected(self, mapping):
        """(selling price, crossed-out price, floor) of a mapping by the account's rules, by hand."""
        product, mp = mapping.product_id, mapping.marketplace
        cost = D(str(product.standard_price))
        if mp == "ozon":
            base = kop(cost * 2)  # cost + 100 %
            percent, flow, mile = self.emulator.ozon.commissions.get(
                mapping.offer_code, (OZON_COMMISSION, OZON_LOGISTICS, D(0)))
            commission, logistics = percent, flow + mile
        elif mp == "yandex":
            base = kop(D(str(product.list_price)) * D("0.9"))  # the export pricelist: -10 %
            commission, logistics = COMMISSION, LOGISTICS
        else:
            base = D(str(product.list_price))
            word = product.name.split(" ", 1)[0].rstrip(",")
            commission, logistics = D(str(COMMISSIONS[SUBJECTS[word][0]])), LOGISTICS
        price = up99(base)
        floor = floor_of(cost, commission, logistics)
        if mp == "wildberries":
            before = ceil_rouble(price * 100 / (100 - DISCOUNT))
            return kop(before * (100 - DISCOUNT) / 100), before, floor
        return price, ceil_rouble(price * 100 / (100 - DISCOUNT)), floor

    def stored(self, mapping):
        """What the marketplace holds for a mapping (None: nothing): (selling price, crossed-out)."""
        app = self.emulator.apps[mapping.marketplace]
        if mapping.marketplace == "wildberries":
            held = app.prices.get(int(mapping.product_ref))
            return None if held is None else (app.selling_price(mapping.product_ref), D(held[0]))
        if mapping.marketplace == "ozon":
            held = app.prices.get(mapping.offer_code)
            return None if held is None else (held["price"], held["old_price"])
        held = app.prices.get(mapping.offer_code)
        return None if held is None else (held["value"], held["discountBase"])

    def price_requests(self, marketplace):
        template = {"wildberries": "/api/v2/upload/task", "ozon": "/v1/product/import/prices",
                    "yandex": "/v2/businesses/{businessId}/offer-prices/updates"}[marketplace]
        return [r for r in self.emulator.requests_to(marketplace, template) if r.status == 200 or r.status == 400]

    def sent_keys(self, marketplace):
        keys = set()
        for request in self.price_requests(marketplace):
            if marketplace == "wildberries":
                keys |= {str(row["nmID"]) for row in request.body["data"]}
            elif marketplace == "ozon":
                keys |= {row["offer_id"] for row in request.body["prices"]}
            else:
                keys |= {row["offerId"] for row in request.body["offers"]}
        return keys

    def preview(self, account, user=None):
        action = account.with_user(user or self.manager).action_preview_prices()
        return self.env["marketplace.price.preview"].with_user(user or self.manager).browse(action["res_id"])

    def export(self, account):
        """An export as the manager runs it: preview, then send."""
        wizard = self.preview(account)
        wizard.action_apply()
        return wizard

    # --- tests ---------------------------------------------------------------------------
    def test_prices_sent_are_the_rules_applied_and_the_guard_holds(self):
        for mp, account in self.accounts.items():
            with self.subTest(marketplace=mp):
                self.export(account)
                sent = blocked = 0
                for mapping in self.mappings(account):
                    price, old, floor = self.expected(mapping)
                    if price < floor:
                        blocked += 1
                        self.assertIsNone(self.stored(mapping), mapping.offer_code)
                        self.assertEqual(mapping.price_state, "blocked", mapping.offer_code)
                        self.assertIn(f"{floor:.2f}", mapping.price_error)
                        self.assertNotIn(mapping.product_ref if mp == "wildberries" else mapping.offer_code,
                                         self.sent_keys(mp))
                    else:
                        sent += 1
                        self.assertEqual(self.stored(mapping), (price, old), mapping.offer_code)
                        self.assertEqual(mapping.price_state, "sent")
                        self.assertEqual(kop(D(str(mapping.price_sent))), price)
                self.assertTrue(sent and blocked, (mp, sent, blocked))
                if mp == "ozon":
                    # the guard's floor goes to Ozon as min_price
                    row = self.price_requests("ozon")[0].body["prices"][0]
                    mapping = self.mappings(account).filtered(lambda m, o=row["offer_id"]: m.offer_code == o)
                    self.assertEqual(D(row["min_price"]), self.expected(mapping)[2])
                self.assertEqual(account.price_blocked_count, blocked)
                self.assertTrue(account.price_last_export_date)

    def test_second_export_with_nothing_changed_sends_nothing(self):
        for mp, account in self.accounts.items():
            with self.subTest(marketplace=mp):
                self.export(account)
                first = len(self.price_requests(mp))
                self.assertTrue(first)
                wizard = self.preview(account)
                self.assertEqual(wizard.change_count, 0)
                self.assertTrue(wizard.blocked_count, "the stopped prices are still listed")
                wizard.action_apply()
                account._cron_export_prices()  # not on automatic export: nothing either
                self.assertEqual(len(self.price_requests(mp)), first, "nothing was sent the second time")
                # one product's price changes: that one only is sent
                mapping = self.mappings(account).filtered(lambda m: m.price_state == "sent")[:1]
                product = mapping.product_id
                if mp == "ozon":
                    product.standard_price = product.standard_price + 500
                else:
                    product.list_price = product.list_price + 1000
                wizard = self.preview(account)
                self.assertEqual(wizard.change_line_ids.product_id, product)
                line = wizard.change_line_ids
                self.assertEqual(D(str(line.current_price)), self.stored(mapping)[0])
                self.assertGreater(line.diff_amount, 0)
                self.assertAlmostEqual(line.diff_percent, line.diff_amount * 100 / line.current_price, places=2)
                wizard.action_apply()
                self.assertEqual(len(self.price_requests(mp)), first + 1)
                self.assertEqual(self.stored(mapping), self.expected(mapping)[:2])

    def test_guard_stops_a_price_below_cost_commission_logistics(self):
        for mp, account in self.accounts.items():
            with self.subTest(marketplace=mp):
                mapping = self.mappings(account).filtered(
                    lambda m: m.product_id.list_price > 3000 and m.offer_code not in self.dear_codes)[:1]
                product = mapping.product_id
                price, _old, _floor = self.expected(mapping)
                if mp == "ozon":
                    # Ozon's commission for this product (its tariff, read by the guard) goes up
                    self.emulator.ozon.commissions[mapping.offer_code] = (D(45), D(76), D(25))
                else:
                    # a cost that the price no longer covers once commission and logistics are paid
                    product.standard_price = float(kop(price * D("0.75")))
                price, _old, floor = self.expected(mapping)
                self.assertLess(price, floor)
                wizard = self.preview(account)
                line = wizard.blocked_line_ids.filtered(lambda ln, p=product: ln.product_id == p)
                self.assertTrue(line)
                self.assertEqual(D(str(line.floor_price)), floor)
                self.assertIn("below the lowest price allowed", line.reason)
                self.assertFalse(wizard.change_line_ids.filtered(lambda ln, p=product: ln.product_id == p))
                wizard.action_apply()
                key = mapping.product_ref if mp == "wildberries" else mapping.offer_code
                self.assertNotIn(key, self.sent_keys(mp))
                self.assertIsNone(self.stored(mapping))
                self.assertEqual(mapping.price_state, "blocked")
                self.assertEqual(D(str(mapping.price_floor)), floor)

    def test_preview_as_manager_then_send_exactly_what_was_previewed(self):
        account = self.accounts["ozon"]
        wizard = self.preview(account)
        self.assertEqual(wizard.env.user, self.manager)
        self.assertTrue(wizard.change_count and wizard.blocked_count)
        self.assertFalse(self.price_requests("ozon"), "the preview sends nothing")
        previewed = {line.key: D(str(line.new_price)) for line in wizard.change_line_ids}
        # the cost changes after the preview: the previewed prices are sent all the same
        self.products.filtered(lambda p: p.default_code in previewed).write({"standard_price": 1.0})
        wizard.action_apply()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(self.sent_keys("ozon"), set(previewed))
        self.assertEqual({k: v["price"] for k, v in self.emulator.ozon.prices.items()}, previewed)
        self.assertEqual(set(wizard.change_line_ids.mapped("result_state")), {"sent"})
        # the run is in the sync log, under its own operation
        self.assertTrue(self.env["marketplace.sync.log"].search_count(
            [("account_id", "=", account.id), ("operation", "=", "prices")]))

    def test_half_rejected_batch_keeps_the_accepted_part(self):
        refused = {
            "wildberries": "You can't change the item price. Item was added to the Sale due to high inventory",
            "ozon": ("ACTION_PRICE_ENABLED_MIN_PRICE_MISSING", "min price is missing"),
            "yandex": ("PRICE_TOO_LOW", "the price is below the Market's minimum"),
        }
        for mp, account in self.accounts.items():
            with self.subTest(marketplace=mp):
                wizard = self.preview(account)
                lines = wizard.change_line_ids.sorted("key")
                bad = lines[::3]
                app = self.emulator.apps[mp]
                for line in bad:
                    app.price_errors[int(line.key) if mp == "wildberries" else line.key] = refused[mp]
                wizard.action_apply()
                for line in lines:
                    mapping = line.mapping_ids
                    if line in bad:
                        self.assertEqual(mapping.price_state, "rejected")
                        self.assertIsNone(self.stored(mapping))
                        text = refused[mp] if mp == "wildberries" else refused[mp][0]
                        self.assertIn(text, mapping.price_error)
                        self.assertIn(text, line.result_message)
                    else:
                        self.assertEqual(mapping.price_state, "sent")
                        self.assertEqual(self.stored(mapping), self.expected(mapping)[:2])
                # the next export sends the rejected ones again, and only them
                app.price_errors.clear()
                again = self.preview(account)
                self.assertEqual(set(again.change_line_ids.mapped("key")), set(bad.mapped("key")))

    def test_wildberries_task_in_processing_is_read_back_later(self):
        account = self.accounts["wildberries"]
        self.emulator.wildberries.task_delay = 100
        wizard = self.preview(account)
        lines = wizard.change_line_ids
        account._price_send([line._as_line() for line in wizard.line_ids], sleep=self.sleeps.append)
        mappings = lines.mapping_ids
        self.assertEqual(set(mappings.mapped("price_state")), {"pending"})
        self.assertEqual(len(set(mappings.mapped("price_task_ref"))), 1)
        self.emulator.wildberries.task_delay = 0
        account._price_resolve_pending(sleep=self.sleeps.append)
        self.assertEqual(set(mappings.mapped("price_state")), {"sent"})
        for mapping in mappings:
            self.assertEqual(self.stored(mapping), self.expected(mapping)[:2])
            self.assertEqual(kop(D(str(mapping.price_sent))), self.expected(mapping)[0])

    def test_ozon_ten_an_hour_defers_the_rest(self):
        account = self.accounts["ozon"]
        wizard = self.preview(account)
        line = wizard.change_line_ids[:1]
        # ten sends of this product in the last hour, kept on its mapping
        now = time.time()
        line.mapping_ids.sudo().price_send_times = json.dumps([now - 60 * i for i in range(1, 11)])
        wizard.action_apply()
        self.assertEqual(line.mapping_ids.price_state, "deferred")
        self.assertNotIn(line.key, self.sent_keys("ozon"))
        others = wizard.change_line_ids - line
        self.assertEqual(set(others.mapping_ids.mapped("price_state")), {"sent"})

    def test_scheduled_action_exports_accounts_that_ask_for_it(self):
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_export_prices")
        self.assertFalse(cron.active, "off until an administrator turns it on")
        self.accounts["yandex"].with_user(self.admin).price_export = True
        self.env["marketplace.account"]._cron_export_prices()
        self.assertTrue(self.emulator.yandex.prices)
        self.assertFalse(self.emulator.ozon.prices or self.emulator.wildberries.prices)
        for mapping in self.mappings(self.accounts["yandex"]).filtered(lambda m: m.price_state == "sent"):
            self.assertEqual(self.stored(mapping), self.expected(mapping)[:2])
