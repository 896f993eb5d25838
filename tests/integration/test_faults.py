"""Failing marketplaces: 5xx answers, rate limits and time-outs on all three at once.

The import is run as the scheduled action runs it, a bounded number of times; in the end
every order the emulator holds is a sale order exactly once (checked against the
emulator's own list), the retries and the call given up show in the sync log (the first
run of each account fails for good and the next runs go on), and no run went on for ever: each
call is given up after ``MAX_ATTEMPTS`` failures, so a run makes at most
``MAX_ATTEMPTS`` failed requests per successful one (plus the last, given up).
"""
from collections import Counter

from .common import MarketplaceCase

MARKETPLACES = ("wildberries", "ozon", "yandex")
FAULT_KINDS = ("5xx", "ratelimit", "timeout")
#: the bound on the number of import runs of each account
MAX_RUNS = 6
MAX_ATTEMPTS = 4
ORDERS = 25


class TestFaults(MarketplaceCase):
    def test_faults_on_every_marketplace_each_order_once_in_bounded_runs(self):
        ids = {mp: self.emulator.apps[mp].add_orders(ORDERS, offer_codes=self.known_codes())
               for mp in MARKETPLACES}
        # every emulator order is one the seller can import (known articles, not cancelled)
        for mp in MARKETPLACES:
            self.assertEqual(set(ids[mp]), set(self.emulator.apps[mp].orders), mp)
        self.emulator.faults.set_rate(0.2, kinds=FAULT_KINDS, marketplaces=list(MARKETPLACES), seed=5)
        # and the first call of each fails for good: the first run gives up, the next go on
        for mp in MARKETPLACES:
            self.emulator.faults.force(mp, "5xx", count=MAX_ATTEMPTS)
        runs = Counter()
        done = set()
        for _round in range(MAX_RUNS):
            for mp in MARKETPLACES:
                if mp in done:
                    continue
                account = self.accounts[mp]
                first = len(self.emulator.requests_to(mp))
                ok = self.run_import(account, max_attempts=MAX_ATTEMPTS)
                runs[mp] += 1
                if runs[mp] == 1:
                    self.assertFalse(ok, f"{mp}: the first run fails for good on its first call")
                    self.assertTrue(account.last_error, mp)
                calls = self.emulator.requests_to(mp)[first:]
                failed = [r for r in calls if r.fault]
                succeeded = len(calls) - len(failed)
                # a bounded run: every call is retried at most MAX_ATTEMPTS times, then the
                # run gives up (and the next run continues)
                self.assertLessEqual(len(failed), (MAX_ATTEMPTS - 1) * succeeded + MAX_ATTEMPTS,
                                     f"{mp} run {runs[mp]}: {len(failed)} failed calls, {succeeded} answered")
                imported = set(self.sale_orders(account).mapped("marketplace_external_id"))
                if ok and imported >= set(self.emulator.apps[mp].orders):
                    done.add(mp)
            if done == set(MARKETPLACES):
                break
        self.emulator.faults.clear()

        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                app = self.emulator.apps[mp]
                self.assertIn(mp, done, f"{mp}: not all orders imported after {MAX_RUNS} runs")
                faults = Counter(r.fault for r in self.emulator.requests_to(mp) if r.fault)
                self.assertGreater(sum(faults.values()), MAX_ATTEMPTS, f"{mp}: {dict(faults)}")
                self.assertGreaterEqual(runs[mp], 2, mp)
                # exactly once, against the emulator's own list of orders
                sale_ids = self.sale_orders(account).mapped("marketplace_external_id")
                self.assertEqual(sorted(sale_ids), sorted(app.orders), mp)
                bindings = self.env["marketplace.order"].search([("account_id", "=", account.id)])
                self.assertEqual(sorted(bindings.mapped("external_id")), sorted(app.orders), mp)
                self.assertEqual(set(bindings.mapped("import_state")), {"imported"}, mp)
                self.assertTrue(all(s.state == "sale" for s in self.sale_orders(account)), mp)
                logs = self.env["marketplace.sync.log"].search([("account_id", "=", account.id)])
                self.assertTrue(logs.filtered(lambda log: log.state == "error" and log.attempts == MAX_ATTEMPTS),
                                f"{mp}: the call given up shows in the sync log")
                self.assertTrue(logs.filtered(lambda log: log.retries > 0),
                                f"{mp}: retries show in the sync log ({dict(faults)} faults)")
                self.assertTrue(all(log.duration_ms >= 0 and log.endpoint for log in logs))
