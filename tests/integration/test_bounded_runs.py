"""Runs of the import are bounded: a backlog is drained run by run, each run moving the window
only over what it kept, each order exactly once; one account's backlog or failure never holds
up the others.  (The same under Odoo's real cron workers and limits: bench/backlog.py.)"""
import time
from datetime import datetime, timedelta, timezone

from .common import MarketplaceCase


class TestBoundedRuns(MarketplaceCase):
    def spread_orders(self, marketplace, count):
        """``count`` orders placed over the last two days, as a backlog after a downtime."""
        app = self.emulator.apps[marketplace]
        now = datetime.now(timezone.utc)
        ids = []
        for hour in range(0, 46, 3):
            ids += app.add_orders(max(count // 16, 1), offer_codes=self.known_codes(40), scheme="fbs",
                                  created_at=now - timedelta(hours=hour, minutes=7))
        return ids

    def test_backlog_is_drained_run_by_run_exactly_once(self):
        account = self.accounts["wildberries"]
        ids = self.spread_orders("wildberries", 320)
        outcomes, cursors, imported = [], [], []
        for _ in range(60):
            # a run whose time is up from the start still makes one step of each kind
            outcome = account._import_orders(deadline=time.monotonic() - 1, sleep=self.sleeps.append,
                                             timeout=(2.0, 0.5), backoff_base=0.01)
            outcomes.append(outcome)
            cursors.append(account.orders_synced_until)
            imported.append(len(self.sale_orders(account)))
            if outcome == "done":
                break
        self.assertEqual(outcomes[-1], "done", outcomes)
        self.assertGreater(len(outcomes), 3, "the backlog took several runs")
        self.assertTrue(all(o == "more" for o in outcomes[:-1]), outcomes)
        # the window moves forward only, and every run did something
        self.assertEqual(cursors, sorted(cursors))
        self.assertTrue(all(b > a or cb > ca for a, b, ca, cb in zip(imported, imported[1:], cursors, cursors[1:])))
        self.assertEqual(account.import_backlog, 0)
        sales = self.sale_orders(account)
        self.assertEqual(sorted(sales.mapped("marketplace_external_id")), sorted(ids))
        self.assertEqual(len(set(sales.mapped("marketplace_external_id"))), len(sales))

    def test_a_backlog_does_not_starve_the_other_accounts(self):
        self.env["ir.config_parameter"].sudo().set_param("marketplace_connector.import_time_budget", "0.001")
        backlog = self.spread_orders("wildberries", 160)
        others = {mp: self.emulator.apps[mp].add_orders(
            3, offer_codes=self.known_codes(10), scheme="fbs",
            created_at=datetime.now(timezone.utc) - timedelta(minutes=5)) for mp in ("ozon", "yandex")}
        Account = self.env["marketplace.account"]
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_import_orders")
        served = []
        for _ in range(3):
            self.assertTrue(Account._cron_import_orders(), "more to do: the scheduled action goes on")
            served.append({a.marketplace for a in self.accounts.values() if a.import_started_at})
        self.assertEqual(served[-1], set(self.marketplaces), "every account served within three runs")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        for _ in range(80):
            if not Account._cron_import_orders():
                break
        for mp, ids in dict(others, wildberries=backlog).items():
            sales = self.sale_orders(self.accounts[mp])
            self.assertTrue(set(ids) <= set(sales.mapped("marketplace_external_id")), mp)
            self.assertEqual(len(set(sales.mapped("marketplace_external_id"))), len(sales))

    def test_a_failing_account_does_not_stop_the_others(self):
        self.accounts["wildberries"].sudo().wb_token = "wrong-token-0000"
        ids = {mp: self.emulator.apps[mp].add_orders(
            3, offer_codes=self.known_codes(10), scheme="fbs",
            created_at=datetime.now(timezone.utc) - timedelta(minutes=5)) for mp in ("ozon", "yandex")}
        self.env["marketplace.account"]._cron_import_orders()
        self.assertTrue(self.accounts["wildberries"].last_error)
        for mp, orders in ids.items():
            self.assertEqual(set(orders) - set(self.sale_orders(self.accounts[mp]).mapped("marketplace_external_id")),
                             set(), mp)
