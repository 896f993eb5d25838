"""The marketplaces' finance reports in Odoo: imported once per source row, adding up to what
the marketplace says it pays, matched with the orders, and every injected error listed with
its reason — and nothing else.  For each marketplace, against the emulator's reports of the
orders it generated; amounts are compared with the emulator's raw orders and rows."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import tagged

from tests.unit.helpers import FakeClock

from .common import MarketplaceCase

MSK = timezone(timedelta(hours=3))


class FinanceFlow:
    """The story of a seller's money, for the marketplace of the class that mixes it into
    MarketplaceCase: orders imported, settled by the marketplace, the reports imported."""

    marketplace = None
    orders = 40

    @classmethod
    def setUpClass(cls):
        cls.marketplaces = (cls.marketplace,)
        super().setUpClass()
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.accountant = Users.create({
            "name": "Бухгалтер", "login": f"accountant-{cls.marketplace}",
            "groups_id": [(6, 0, [cls.env.ref("base.group_user").id, cls.env.ref("account.group_account_invoice").id,
                                  cls.env.ref("marketplace_connector.group_marketplace_user").id])]})
        cls.manager = Users.create({
            "name": "Менеджер", "login": f"manager-{cls.marketplace}",
            "groups_id": [(6, 0, [cls.env.ref("base.group_user").id, cls.env.ref("sales_team.group_sale_salesman").id,
                                  cls.env.ref("marketplace_analytics.group_marketplace_analytics_user").id])]})
        cls.account = cls.accounts[cls.marketplace]
        cls.app = cls.emulator.apps[cls.marketplace]
        # the marketplaces' paces (a request a minute, a report every two minutes) waited on a
        # clock that moves when slept on
        cls.clock = FakeClock(1_000_000.0)

    def setUp(self):
        super().setUp()
        self.app.finance_control("reset") if self.marketplace != "yandex" else self._reset_yandex()

    def _reset_yandex(self):
        app = self.app
        for name in ("fin_settled", "fin_rows", "fin_bank_orders", "fin_injected"):
            value = getattr(app, name, None)
            if hasattr(value, "clear"):
                value.clear()

    # --- the story --------------------------------------------------------------------------------
    def place_and_import(self, count=None):
        """Orders placed at the marketplace and imported, all of known articles."""
        self.app.add_orders(count or self.orders, offer_codes=self.known_codes(5))
        self.assertTrue(self.run_import(self.account), self.account.last_error)
        orders = self.sale_orders(self.account)
        self.assertTrue(orders)
        return orders

    def refresh_states(self):
        """The import's state step: the orders the marketplace now says delivered."""
        self.env["marketplace.order"].search([("account_id", "=", self.account.id)]).write(
            {"state_checked_at": False})
        self.assertTrue(self.run_import(self.account), self.account.last_error)

    def period(self):
        today = datetime.now(MSK).date()
        return today.replace(day=1) - timedelta(days=40), today

    def import_finance(self):
        date_from, date_to = self.period()
        # the client keeps the marketplaces' paces on a clock of its own; the emulator, on the
        # real clock, would see them broken: it is told not to count them here
        clock = self.clock
        clock.sleep(1000)
        for name in ("finance_interval", "generate_interval"):
            if hasattr(self.app, name):
                setattr(self.app, name, 0.0)
        return self.account._finance_import(date_from, date_to, sleep=clock.sleep, clock=clock)

    def settle(self, **options):
        raise NotImplementedError

    def inject(self, kind, **options):
        return self.app.finance_control("inject", kind=kind, **options)

    def raw_sale(self, external_id):
        """What the marketplace's own order says the buyer paid (the import's default basis)."""
        raise NotImplementedError

    def lines(self, **domain):
        return self.env["marketplace.finance.line"].search(
            [("account_id", "=", self.account.id)] + [(k, "=", v) for k, v in domain.items()])

    def open_discrepancies(self):
        return self.env["marketplace.finance.discrepancy"].search(
            [("account_id", "=", self.account.id), ("state", "=", "open")])



class FinanceCase(FinanceFlow):
    """The tests of the finance import, for each marketplace."""

    def test_clean_reports_reconcile(self):
        orders = self.place_and_import()
        settled = self.settle(orders)
        self.refresh_states()
        summary = self.import_finance()
        self.assertFalse(summary["errors"])
        self.assertFalse(self.emulator.violations(), self.emulator.violations()[:3])
        reports = self.env["marketplace.finance.report"].search([("account_id", "=", self.account.id)])
        self.assertTrue(reports)
        for report in reports:
            self.assertAlmostEqual(report.difference, 0.0, places=2, msg=report.name)
        # each settled order's sales equal what the marketplace's own order says the buyer paid
        for external_id in settled:
            sales = self.lines(order_ref=external_id, category="sale", booked=True)
            self.assertTrue(sales, external_id)
            self.assertEqual(Decimal(str(round(sum(sales.mapped("amount")), 2))), self.raw_sale(external_id),
                             external_id)
            self.assertTrue(all(sales.mapped("sale_order_id")), external_id)
        # nothing to list
        self.assertEqual(self.account._finance_reconcile(), 0, self.open_discrepancies().mapped("reason"))

    def test_twice_changes_nothing(self):
        orders = self.place_and_import()
        self.settle(orders)
        self.refresh_states()
        first = self.import_finance()
        self.assertTrue(first["new_lines"])
        lines = self.lines()
        stamp = {line.id: (line.write_date, line.amount, line.report_id.id) for line in lines}
        second = self.import_finance()
        self.assertEqual(second["new_lines"], 0)
        again = self.lines()
        self.assertEqual(again, lines)
        self.assertEqual({line.id: (line.write_date, line.amount, line.report_id.id) for line in again}, stamp)

    def test_injected_errors_are_listed_and_nothing_else(self):
        orders = self.place_and_import()
        settled = self.settle(orders, keep=1)
        expected = self.inject_all(settled)
        self.refresh_states()
        self.import_finance()
        self.account._finance_reconcile()
        found = {(d.kind, d.order_ref or "") for d in self.open_discrepancies()}
        self.assertEqual(found, expected, self.open_discrepancies().mapped("reason"))
        for discrepancy in self.open_discrepancies():
            self.assertTrue(discrepancy.reason)

    def test_rights(self):
        """The accountant imports a period (the wizard) and closes a discrepancy; a sales manager
        reads the lines and the margin but neither imports nor changes them."""
        self.place_and_import(6)
        wizard = self.env["marketplace.finance.import"].with_user(self.manager)
        with self.assertRaises(AccessError):
            wizard.create({"account_ids": [(6, 0, self.account.ids)]}).action_import()
        self.env["marketplace.finance.line"].with_user(self.manager).search([]).mapped("amount")
        self.env["marketplace.margin"].with_user(self.manager).read_group([], ["margin:sum"], [])
        with self.assertRaises(AccessError):
            self.env["marketplace.finance.line"].with_user(self.manager).create({})


@tagged("post_install", "-at_install")
class TestFinanceOzon(FinanceCase, MarketplaceCase):
    marketplace = "ozon"

    def settle(self, orders, keep=0):
        # the operations of last month (Ozon spreads them over the month's days)
        return self.app.finance_control("settle")["settled"]

    def raw_sale(self, external_id):
        posting = self.app.orders[external_id]
        return sum((Decimal(str(p["price"])) * p["quantity"] for p in posting["products"]), Decimal(0))

    def inject_all(self, settled):
        missing = self.inject("missing_sale", posting_number=settled[0])
        double = self.inject("double_charge", posting_number=settled[1])
        wrong = self.inject("wrong_commission", posting_number=settled[2])
        self.inject("payout_short")
        return {("missing_sale", missing["posting_number"]), ("double_charge", double["posting_number"]),
                ("commission", wrong["posting_number"]), ("payout", "")}

    def test_scheduled_import_and_the_accountant_closing_a_discrepancy(self):
        """The scheduled action imports and reconciles; the accountant closes what is explained
        (a sales manager cannot), and a closed discrepancy stays closed."""
        orders = self.place_and_import(8)
        settled = self.settle(orders)
        double = self.inject("double_charge", posting_number=settled[0])
        self.refresh_states()
        self.account.write({"finance_import": True, "finance_start_date": self.period()[0]})
        self.env["marketplace.account"]._cron_import_finance()
        self.assertTrue(self.account.finance_last_date)
        found = self.open_discrepancies()
        self.assertEqual({(d.kind, d.order_ref) for d in found}, {("double_charge", double["posting_number"])})
        with self.assertRaises(AccessError):
            found.with_user(self.manager).action_close()
        found.with_user(self.accountant).action_close()
        self.assertEqual(found.state, "closed")
        self.account._finance_reconcile()
        self.assertEqual(found.state, "closed")
        self.assertFalse(self.open_discrepancies())

    def test_accountant_imports_with_the_wizard(self):
        orders = self.place_and_import(6)
        self.settle(orders)
        self.refresh_states()
        date_from, date_to = self.period()
        wizard = self.env["marketplace.finance.import"].with_user(self.accountant).create(
            {"account_ids": [(6, 0, self.account.ids)], "date_from": date_from, "date_to": date_to})
        result = wizard.action_import()
        self.assertEqual(result["tag"], "display_notification")
        lines = self.env["marketplace.finance.line"].with_user(self.accountant).search(
            [("account_id", "=", self.account.id)])
        self.assertTrue(lines)
        self.assertTrue(lines.with_user(self.accountant).filtered("raw"))


@tagged("post_install", "-at_install")
class TestFinanceWildberries(FinanceCase, MarketplaceCase):
    marketplace = "wildberries"

    def settle(self, orders, keep=0):
        pending = [k for k in self.app.orders][:len(self.app.orders) - keep]
        return self.app.finance_control("settle", orders=pending)["orders"]

    def raw_sale(self, external_id):
        return Decimal(str(self.app.orders[external_id]["convertedPrice"])) / 100

    def inject_all(self, settled):
        missing = self.inject("missing_sale")
        double = self.inject("double_charge", order=settled[1])
        wrong = self.inject("wrong_commission", order=settled[2])
        self.inject("payout_short")
        # WB states what it pays (bankPaymentSum) and pays it: a short payout is a report whose
        # rows add up to more than it pays
        return {("missing_sale", missing["order"]), ("double_charge", double["order"]),
                ("commission", wrong["order"]), ("report_total", "")}


@tagged("post_install", "-at_install")
class TestFinanceYandex(FinanceCase, MarketplaceCase):
    marketplace = "yandex"

    def settle(self, orders, keep=0):
        pool = [k for k in self.app.orders if k not in self.app.fin_settled]
        self.app.finance_control("settle", orders=pool)
        return pool

    def raw_sale(self, external_id):
        return sum((self.app.item_price(item) for item in self.app.orders[external_id]["items"]), Decimal(0))

    def inject_all(self, settled):
        missing = self.inject("missing_sale", order=settled[0])
        double = self.inject("double_charge", order=settled[1])
        wrong = self.inject("wrong_commission", order=settled[2])
        self.inject("payout_short")
        return {("missing_sale", missing["order_id"]), ("double_charge", double["order_id"]),
                ("commission", wrong["order_id"]), ("payout", "")}


@tagged("post_install", "-at_install")
class TestMargin(FinanceFlow, MarketplaceCase):
    """The margin of Ozon orders shipped from Odoo: the reports' sale and charges, the stock
    valuation's cost of goods, the УСН 6 % tax, and the order-less charges spread."""

    marketplace = "ozon"
    orders = 12

    def settle(self, orders, keep=0):
        return self.app.finance_control("settle")["settled"]

    def raw_sale(self, external_id):
        posting = self.app.orders[external_id]
        return sum((Decimal(str(p["price"])) * p["quantity"] for p in posting["products"]), Decimal(0))

    def test_margin_of_shipped_orders(self):
        self.products.write({"standard_price": 100.0})
        orders = self.place_and_import()
        shipped = orders.filtered(lambda o: o.picking_ids.filtered(lambda p: p.state == "assigned"))[:4]
        for order in shipped:
            for picking in order.picking_ids.filtered(lambda p: p.state == "assigned"):
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                picking.move_ids.picked = True
                picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        self.assertTrue(shipped)
        self.settle(orders)
        self.refresh_states()
        self.import_finance()
        self.env.company.tax_regime = "usn6"
        months = {line.date.date().replace(day=1) for line in self.lines()}
        for month in months:
            self.account._margin_spread(month)
        Margin = self.env["marketplace.margin"].with_user(self.manager)
        for order in shipped:
            [row] = Margin.read_group([("sale_order_id", "=", order.id)],
                                      ["revenue:sum", "charges:sum", "cogs:sum", "tax:sum", "margin:sum"], [])
            external = order.marketplace_external_id
            units = sum(p["quantity"] for p in self.app.orders[external]["products"])
            self.assertAlmostEqual(row["revenue"], float(self.raw_sale(external)), places=2)
            self.assertAlmostEqual(row["cogs"], -100.0 * units, places=2)
            self.assertAlmostEqual(row["tax"], -0.06 * row["revenue"], delta=0.02)
            self.assertLess(row["charges"], 0)
            self.assertAlmostEqual(row["margin"], row["revenue"] + row["charges"] + row["cogs"] + row["tax"], places=2)
        # the charges of no order are all in the products' shares, once
        orderless = sum(self.lines(sale_order_id=False, product_id=False, booked=True).filtered(
            lambda l: l.category not in (False, "payout", "sale", "return", "compensation")).mapped("amount"))
        spread = self.env["marketplace.margin.allocation"].search([("account_id", "=", self.account.id)])
        self.assertTrue(spread)
        self.assertAlmostEqual(sum(spread.mapped("amount")), orderless, places=2)
        self.assertEqual(set(spread.mapped("rule")), {"revenue"})
        total = Margin.read_group([("account_id", "=", self.account.id)], ["charges:sum"], [])[0]["charges"]
        booked_charges = sum(self.lines(booked=True).filtered(
            lambda l: l.category not in (False, "payout", "sale", "return")).mapped("amount"))
        self.assertAlmostEqual(total, booked_charges, places=2)
