"""Benchmark: rows written to the sync log in one simulated day of three accounts.

    python3 bench/sync_log.py [--orders 100] [--runs 288] [--db mp_bench_sync_log] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database.  How the figures are made:

1. one account per marketplace (Wildberries, Ozon, Yandex Market) against the emulator in
   ``tests/emulator``, each with ``--orders`` orders of the last hours on the marketplace;
2. real order imports: a first run imports the orders; the next ones (``--sample-runs``) are the
   steady state of the scheduled action, which follows the open orders' states.  Each run writes
   the sync log through the real ``marketplace.sync.log._log_calls`` (with the run's key);
3. the calls of the last sample run of each account are read back from its rows (a folded row
   is ``call_count`` successful calls of one endpoint, any other row one call with its
   attempts) and replayed through the real ``_log_calls``, with a new run key each time, for
   ``--runs`` runs (the import cron runs every 5 minutes: 288 runs a day) of each account.

Prints ``name: value`` lines: ``rows_per_day`` (rows the day's replay wrote), ``calls_per_day``
(API calls of the day, retries not counted), ``rows_per_day_one_per_call`` (what one row per
call, the former log, would have written), per-account figures and the sample runs' rows.
"""
import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

MARKETPLACES = ("wildberries", "ozon", "yandex")
RUNS_PER_DAY = 24 * 60 // 5  # the import cron: every 5 minutes


def calls_of_run(env, account, run_key):
    """The CallInfo list a run gave ``_log_calls``, read back from the rows it wrote."""
    from odoo.addons.marketplace_connector.lib.transport import CallInfo

    calls = []
    for row in env["marketplace.sync.log"].search([("account_id", "=", account.id), ("run_key", "=", run_key)],
                                                   order="id"):
        count = row.call_count if row.state == "ok" else 1
        for _ in range(count):
            calls.append(CallInfo(method=row.method or "", endpoint=row.endpoint or "", url="",
                                  status=row.status_code, duration_ms=row.avg_duration_ms,
                                  attempts=row.attempts if row.state != "ok" else 1,
                                  error=row.error or ""))
    return calls


def last_run_key(env, account):
    row = env["marketplace.sync.log"].search([("account_id", "=", account.id), ("operation", "=", "orders"),
                                              ("run_key", "!=", False)], order="id desc", limit=1)
    return row.run_key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100, help="open orders per account")
    parser.add_argument("--runs", type=int, default=RUNS_PER_DAY, help="import runs a day per account")
    parser.add_argument("--sample-runs", type=int, default=2, help="real steady-state runs per account")
    parser.add_argument("--db", default="mp_bench_sync_log")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from order_import import create_database, setup_accounts
    from tests.emulator import MarketplaceEmulator
    from tests.emulator.data import default_catalog
    from tests.fixtures import create_products
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    create_database(args.db, addons_path)
    emulator = MarketplaceEmulator(seed=5, validate=False).start()
    figures = {}
    try:
        with environment(args.db, addons_path) as env:
            env = env(context=dict(env.context, tracking_disable=True))
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            catalog = default_catalog()
            create_products(env, catalog, warehouse.lot_stock_id, qty=100000)
            accounts = setup_accounts(env, emulator)
            codes = [item["offer_code"] for item in catalog]
            for mp in MARKETPLACES:
                emulator.apps[mp].add_orders(args.orders, offer_codes=codes)
            env.cr.commit()
            Log = env["marketplace.sync.log"]
            # the first run imports the orders; the next ones are the steady state
            for account in accounts:
                assert account._run_order_import(timeout=(5.0, 30.0)), account.last_error
            env.cr.commit()
            samples = {}
            for account in accounts:
                for _ in range(args.sample_runs):
                    emulator.reset_records()
                    before = Log.search_count([("account_id", "=", account.id)])
                    assert account._run_order_import(timeout=(5.0, 30.0)), account.last_error
                    env.cr.commit()
                    rows = Log.search_count([("account_id", "=", account.id)]) - before
                    requests = len(emulator.requests_to(account.marketplace))
                key = last_run_key(env, account)
                calls = calls_of_run(env, account, key)
                open_orders = env["marketplace.order"].search_count([("account_id", "=", account.id),
                                                                     ("closed_date", "=", False)])
                samples[account] = calls
                mp = account.marketplace
                figures[f"{mp}_open_orders"] = open_orders
                figures[f"{mp}_requests_per_run"] = requests
                figures[f"{mp}_calls_per_run"] = len(calls)
                figures[f"{mp}_rows_per_real_run"] = rows

            # a day of runs, replayed through the real _log_calls
            Log.search([]).unlink()
            env.cr.commit()
            calls_per_day = rows_per_day = 0
            for account, calls in samples.items():
                before = Log.search_count([])
                for _ in range(args.runs):
                    Log._log_calls(account, calls, "orders", run_key=uuid.uuid4().hex)
                env.flush_all()
                rows = Log.search_count([]) - before
                figures[f"{account.marketplace}_rows_per_day"] = rows
                rows_per_day += rows
                calls_per_day += len(calls) * args.runs
            env.cr.rollback()
    finally:
        emulator.stop()
        import odoo.sql_db

        odoo.sql_db.close_db(args.db)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    print(f"method: {args.sample_runs} real steady-state import runs per account against the emulator "
          f"({args.orders} orders each), the last run's calls replayed through _log_calls "
          f"{args.runs} times per account (import cron every 5 minutes)")
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(f"calls_per_day: {calls_per_day}")
    print(f"rows_per_day_one_per_call: {calls_per_day}")
    print(f"rows_per_day: {rows_per_day}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
