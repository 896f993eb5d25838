"""Benchmark: the margin pivot over 1,000,000 finance lines.

    python3 bench/margin_pivot.py [--lines 1000000] [--db mp_bench_margin] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database.  One account per marketplace, 1,000 products, and ``--lines`` finance lines over a
year (sales, commissions, logistics, storage without an order...), written by SQL (the import
is measured by bench/finance_import.py); the charges without an order spread over the
products for every month.  Then the read_group behind the margin's pivot view, as the
web client asks it (rows: channel; columns: month; the five measures), and the same by
product.  Prints ``name: value`` lines: ``lines``, ``allocations``, ``seconds`` (the pivot's
read_group, the slowest of three), ``seconds_by_product``, ``groups``.
"""
import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

MEASURES = ["revenue:sum", "charges:sum", "cogs:sum", "tax:sum", "margin:sum"]


def fill(env, total):
    """``total`` lines: per order a sale, a commission and a logistics line; every 50th line a
    storage charge without an order.  Returns the months spread."""
    cr = env.cr
    env["product.product"].create([{"name": f"Товар {i}", "default_code": f"B-{i:05d}",
                                               "volume": 0.001 * (1 + i % 7)} for i in range(1000)])
    accounts = env["marketplace.account"].create([{"name": f"Bench {mp}", "marketplace": mp}
                                                  for mp in ("wildberries", "ozon", "yandex")])
    env.flush_all()
    rub = env.ref("base.RUB").id
    company = env.company.id
    cr.execute("SELECT min(id), max(id) FROM product_product WHERE default_code LIKE 'B-%%'")
    first, last = cr.fetchone()
    span = last - first + 1
    cr.execute("""
        INSERT INTO marketplace_finance_line
            (account_id, company_id, marketplace, key, row_key, operation, component, category, date, amount,
             currency_id, order_ref, product_id, quantity, correction, booked, create_uid, create_date,
             write_uid, write_date)
        SELECT a.id, %(company)s, a.marketplace, 'b:' || g, 'b:' || (g / 3), 'op',
               CASE WHEN g %% 50 = 0 THEN 'storage' WHEN g %% 3 = 0 THEN 'sale'
                    WHEN g %% 3 = 1 THEN 'commission' ELSE 'logistics' END,
               CASE WHEN g %% 50 = 0 THEN 'storage' WHEN g %% 3 = 0 THEN 'sale'
                    WHEN g %% 3 = 1 THEN 'commission' ELSE 'logistics' END,
               timestamp '2026-01-01' + (g %% 365) * interval '1 day' + (g %% 86400) * interval '1 second',
               CASE WHEN g %% 50 = 0 THEN -(g %% 900) / 10.0 WHEN g %% 3 = 0 THEN 500 + g %% 5000
                    WHEN g %% 3 = 1 THEN -(75 + g %% 750) ELSE -(40 + g %% 200) END,
               %(rub)s,
               CASE WHEN g %% 50 = 0 THEN NULL ELSE 'o' || (g / 3) END,
               CASE WHEN g %% 50 = 0 THEN NULL ELSE %(first)s + (g / 3) %% %(span)s END,
               CASE WHEN g %% 3 = 0 AND g %% 50 != 0 THEN 1 ELSE 0 END, false, true, 1, now(), 1, now()
          FROM generate_series(1, %(total)s) g
          JOIN (SELECT id, marketplace, row_number() OVER (ORDER BY id) - 1 AS n FROM marketplace_account
                 WHERE name LIKE 'Bench %%') a ON a.n = (g / 3) %% 3
    """, {"company": company, "rub": rub, "first": first, "span": span, "total": total})
    cr.execute("ANALYZE marketplace_finance_line")
    env.invalidate_all()
    months = [date(2026, m, 1) for m in range(1, 13)]
    allocations = 0
    for account in accounts:
        for month in months:
            allocations += account._margin_spread(month)
    env.cr.execute("ANALYZE marketplace_margin_allocation")
    return accounts, allocations


def timed(fn, repeat=3):
    best = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best.append(time.perf_counter() - started)
    return max(best), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--db", default="mp_bench_margin")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from bench.order_import import create_database
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    figures = {}
    try:
        create_database(args.db, addons_path, modules=("marketplace_connector", "marketplace_analytics"))
        with environment(args.db, addons_path) as env:
            started = time.perf_counter()
            _accounts, allocations = fill(env, args.lines)
            env.cr.commit()
            print(f"# {args.lines} lines and {allocations} allocations written in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            Margin = env["marketplace.margin"]
            figures["lines"] = env["marketplace.finance.line"].search_count([])
            figures["allocations"] = allocations

            def pivot():
                Margin.invalidate_model()
                return Margin.read_group([], MEASURES, ["account_id", "date:month"], lazy=False)

            seconds, groups = timed(pivot)
            figures["seconds"] = round(seconds, 3)
            figures["groups"] = len(groups)

            def by_product():
                Margin.invalidate_model()
                return Margin.read_group([], MEASURES, ["product_id"], lazy=False)

            seconds, groups = timed(by_product)
            figures["seconds_by_product"] = round(seconds, 3)
            figures["groups_by_product"] = len(groups)
            total = sum(g["margin"] for g in pivot())
            figures["margin_total"] = round(total, 2)
    finally:
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
