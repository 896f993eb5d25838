"""Benchmark: a Wildberries finance report of 100,000 rows imported into Odoo.

    python3 bench/finance_import.py [--rows 100000] [--db mp_bench_fin] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database.  The emulator runs in this process, without spec validation (the tests validate),
holding one Wildberries account's weekly realization reports of as many orders as it takes
to make ``--rows`` report rows.  The import runs in a process of its own (so that its memory
is its own): the account's ``_finance_import`` over the period — the finance API's calls over
loopback, the rows parsed into lines, kept in the database, the reports' sums — as the
scheduled action runs it.  Wildberries allows one finance request a minute: the client keeps
to it on a clock of its own here (the emulator does not enforce it), and the minutes it would
wait are printed apart.  Prints ``name: value`` lines:

- ``rows``: report rows the emulator serves; ``lines``: finance lines they gave;
- ``seconds``: the import (fetch, parse, store) without the waits of the request rate;
- ``rate_limit_wait_s``: the seconds Wildberries' rate would add (one request a minute);
- ``peak_mb``: the import process's peak resident memory less what it held before the import
  (the loaded Odoo registry), and ``process_peak_mb`` its whole peak;
- ``naive_seconds``: the same lines created one ORM ``create`` at a time (measured on
  ``naive_sample`` lines, extrapolated to all of them), and ``ratio``: naive over the import;
- ``reimport_new_lines``: lines added by the same period imported again (0).

``FINANCE_PROFILE=<file>`` writes a cProfile of the import (then ``seconds`` is the profiled
time, not the figure).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

MSK = timezone(timedelta(hours=3))
NAIVE_SAMPLE = 3000


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0
        self.waited = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        seconds = max(seconds, 0)
        self.now += seconds
        self.waited += seconds


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


class PeakSampler(threading.Thread):
    """The process's resident memory, sampled every 20 ms: its peak."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.02):
            self.peak = max(self.peak, rss_mb())


def worker(db, account_id, date_from, date_to, addons_path):
    """The import, in this process; prints its figures as one JSON line."""
    import gc

    from tests.odoo_env import environment

    figures = {}
    with environment(db, addons_path) as env:
        account = env["marketplace.account"].browse(account_id)
        env["marketplace.finance.line"].search_count([])  # the registry and the model loaded
        gc.collect()
        before = rss_mb()
        sampler = PeakSampler()
        sampler.start()
        clock = FakeClock()
        profiler = None
        if os.environ.get("FINANCE_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        summary = account._finance_import(date_from, date_to, sleep=clock.sleep, clock=clock)
        env.cr.commit()
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(os.environ["FINANCE_PROFILE"])
        sampler.stopped.set()
        sampler.join()
        figures.update(seconds=seconds, waited=clock.waited, lines=summary["new_lines"],
                       errors=summary["errors"], peak_mb=max(sampler.peak, rss_mb()) - before,
                       process_peak_mb=max(sampler.peak, rss_mb()))
        again = account._finance_import(date_from, date_to, sleep=clock.sleep, clock=clock)
        figures["reimport_new_lines"] = again["new_lines"]
        env.cr.commit()

        # the naive reference: the same lines, one ORM create each (fresh keys, rolled back)
        Line = env["marketplace.finance.line"]
        fields_ = ["report_id", "row_key", "operation", "component", "category", "date", "amount", "currency_id",
                   "order_ref", "offer", "product_ref", "barcode", "product_id", "quantity", "vat_amount",
                   "vat_rate", "correction", "corrects", "booked"]
        sample = Line.search_read([("account_id", "=", account.id)], fields_ + ["key"], limit=NAIVE_SAMPLE)
        for vals in sample:
            for name in ("report_id", "currency_id", "product_id"):
                vals[name] = vals[name][0] if vals[name] else False
            vals["key"] = f"naive:{vals.pop('key')}"
            vals.pop("id")
            vals["account_id"] = account.id
        started = time.perf_counter()
        for vals in sample:
            Line.create(vals)
        Line.flush_model()
        naive = time.perf_counter() - started
        env.cr.rollback()
        figures["naive_sample"] = len(sample)
        figures["naive_seconds"] = naive / max(len(sample), 1) * figures["lines"]
    print(json.dumps(figures))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="mp_bench_fin")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", nargs=4, metavar=("DB", "ACCOUNT", "FROM", "TO"), help=argparse.SUPPRESS)
    parser.add_argument("--addons-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    from tests.odoo_env import environment, odoo_addons_path

    addons_path = args.addons_path or odoo_addons_path(REPO)
    if args.worker:
        db, account_id, date_from, date_to = args.worker
        from datetime import date

        worker(db, int(account_id), date.fromisoformat(date_from), date.fromisoformat(date_to), addons_path)
        return 0

    from bench.order_import import create_database
    from tests.emulator import MarketplaceEmulator
    from tests.fixtures import account_values

    emulator = MarketplaceEmulator(seed=7, validate=False).start()
    figures = {}
    try:
        create_database(args.db, addons_path, modules=("marketplace_connector", "marketplace_analytics"))
        with environment(args.db, addons_path) as env:
            warehouse = env["stock.warehouse"].search([], limit=1)
            account = env["marketplace.account"].create(account_values(emulator, "wildberries", warehouse))
            account.action_import_catalog()
            account_id = account.id
        app = emulator.apps["wildberries"]
        app.finance_interval = 0.0
        started = time.perf_counter()
        rows = 0
        sold_at = datetime.now(MSK) - timedelta(days=3)
        while rows < args.rows:
            batch = max(1000, (args.rows - rows) // 2)
            app.add_orders(batch)
            app.finance_control("settle", sold_at=sold_at.isoformat())
            rows = sum(len(report["rows"]) for report in app.finance_reports.values())
        print(f"# emulator: {len(app.orders)} orders settled into {rows} report rows in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        figures["rows"] = rows
        today = datetime.now(MSK).date()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", args.db, str(account_id),
               (today - timedelta(days=14)).isoformat(), today.isoformat(), f"--addons-path={addons_path}"]
        out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        figures["lines"] = result["lines"]
        figures["seconds"] = round(result["seconds"], 2)
        figures["rate_limit_wait_s"] = round(result["waited"], 1)
        figures["peak_mb"] = round(result["peak_mb"], 1)
        figures["process_peak_mb"] = round(result["process_peak_mb"], 1)
        figures["naive_sample"] = result["naive_sample"]
        figures["naive_seconds"] = round(result["naive_seconds"], 2)
        figures["ratio"] = round(result["naive_seconds"] / result["seconds"], 2)
        figures["unreadable_rows"] = result["errors"]
        figures["reimport_new_lines"] = result["reimport_new_lines"]
    finally:
        emulator.stop()
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
