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
        for _ in range(120):
            # a run whose time is up from the start still makes one step: of the kind whose turn
            # it is, or of the next kind that has something to do
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
        # the window moves forward only, and of two runs in a row one at least moved the backlog
        # on (the other may have read states)
        self.assertEqual(cursors, sorted(cursors))
        moved = [b > a or cb > ca for a, b, ca, cb in zip(imported, imported[1:], cursors, cursors[1:])]
        self.assertTrue(all(x or y for x, y in zip(moved, moved[1:])), moved)
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

    def test_a_dense_slice_is_kept_piece_by_piece(self):
        """A busy hour (more orders than one committed piece): each run keeps a piece and moves
        the cursor to the first order it did not keep, by the marketplace's own times; the next
        slices are shorter; every order is kept exactly once."""
        from odoo.addons.marketplace_connector.models.marketplace_account import STAGE_PIECE

        account = self.accounts["ozon"]
        app = self.emulator.apps["ozon"]
        start = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(second=0, microsecond=0)
        ids = []
        for minute in range(55):
            ids += app.add_orders(20, scheme="fbs", offer_codes=self.known_codes(20), max_lines=1,
                                  created_at=start + timedelta(minutes=minute))
        self.assertGreater(len(ids), 2 * STAGE_PIECE)
        account.sudo().orders_synced_until = (start - timedelta(minutes=5)).replace(tzinfo=None)
        account.sudo().import_turn = 1  # the window's turn
        Order = self.env["marketplace.order"]

        def kept():
            return Order.search([("account_id", "=", account.id), ("external_id", "in", ids)])

        outcome = account._import_orders(deadline=time.monotonic() - 1, sleep=self.sleeps.append,
                                         timeout=(2.0, 0.5), backoff_base=0.01)
        self.assertEqual(outcome, "more")
        # the source's times: the first piece is the STAGE_PIECE postings placed first
        by_time = sorted(ids, key=lambda number: app.orders[number]["in_process_at"])
        self.assertEqual(sorted(kept().mapped("external_id")), sorted(by_time[:STAGE_PIECE]))
        first_not_kept = app.orders[by_time[STAGE_PIECE]]["in_process_at"]
        self.assertEqual(account.orders_synced_until, first_not_kept.astimezone(timezone.utc).replace(tzinfo=None))
        self.assertTrue(0 < account.import_slice_minutes < 6 * 60, account.import_slice_minutes)
        for _ in range(12):
            account._import_orders(deadline=time.monotonic() - 1, sleep=self.sleeps.append,
                                   timeout=(2.0, 0.5), backoff_base=0.01)
            if len(kept()) == len(ids) and account.orders_synced_until > start.replace(tzinfo=None) + timedelta(hours=1):
                break
        records = kept()
        self.assertEqual(sorted(records.mapped("external_id")), sorted(ids))
        self.assertEqual(len(records), len(set(records.mapped("external_id"))))

    def test_the_cursor_never_passes_the_slice(self):
        """Wildberries gives every new task whatever the window: a piece of them placed after the
        slice must not move the cursor past it, or the tasks placed in between that are no longer
        new (only the windowed list has them) would never be read."""
        account = self.accounts["wildberries"]
        app = self.emulator.apps["wildberries"]
        t0 = (datetime.now(timezone.utc) - timedelta(hours=12)).replace(microsecond=0)
        early = app.add_orders(50, scheme="fbs", offer_codes=self.known_codes(20), max_lines=1,
                               created_at=t0 + timedelta(hours=1))
        between = app.add_orders(5, scheme="fbs", offer_codes=self.known_codes(20), max_lines=1,
                                 created_at=t0 + timedelta(hours=5, minutes=30))
        for ext in between:
            app.set_state(ext, "processing")  # confirmed: no longer in the list of new tasks
        late = []
        for minute in range(0, 60, 2):
            late += app.add_orders(20, scheme="fbs", offer_codes=self.known_codes(20), max_lines=1,
                                   created_at=t0 + timedelta(hours=7, minutes=minute))
        account.sudo().write({"orders_synced_until": t0.replace(tzinfo=None), "import_turn": 1})
        slice_end = (t0 - timedelta(minutes=account.overlap_minutes) + timedelta(hours=6)).replace(tzinfo=None)
        account._import_orders(deadline=time.monotonic() - 1, sleep=self.sleeps.append,
                               timeout=(2.0, 0.5), backoff_base=0.01)
        self.assertLessEqual(account.orders_synced_until, slice_end)
        ids = early + between + late
        Order = self.env["marketplace.order"]
        for _ in range(16):
            account._import_orders(deadline=time.monotonic() - 1, sleep=self.sleeps.append,
                                   timeout=(2.0, 0.5), backoff_base=0.01)
            if account.orders_synced_until >= (t0 + timedelta(hours=11)).replace(tzinfo=None):
                break
        kept = Order.search([("account_id", "=", account.id), ("external_id", "in", ids)])
        self.assertEqual(sorted(kept.mapped("external_id")), sorted(ids))
