"""Benchmark: order import against the bare ORM, queries per order, exactly-once.

    python3 bench/order_import.py [--orders 1000] [--db mp_bench] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database.  The emulator runs in this process without spec validation (the tests validate;
here it would only burn the CPU the import is measured on).  Prints ``name: value`` lines:

- ``orders_per_s``: orders imported a second (fetch over HTTP, mapping, sale order,
  confirmation and reservation, bindings, sync log);
- ``bare_orm_orders_per_s``: the same orders created and confirmed with the ORM directly,
  one by one (``sale.order`` create + ``action_confirm``), in the same run and database;
- ``ratio``: the first over the second;
- ``batched_orm_orders_per_s``: the same orders through the bare ORM batched as the import
  batches them (create and confirm a chunk of ``IMPORT_CHUNK`` orders at a time), and
  ``ratio_batched``: the import over that (target >= 0.85);
- ``rate_limit_wait_s``: the seconds of the import spent waiting for the marketplaces'
  documented request rates (the accounts' own rate limiters, counted), and
  ``ratio_batched_without_waits``: ``ratio_batched`` with those seconds left out (the
  import's own work against the bare ORM's);
- ``bare_orm_queries_per_order`` and ``batched_orm_queries_per_order``: SQL queries of each
  reference, an order;
- ``queries_per_order`` for the full batch and ``queries_per_order_small`` for a batch a
  tenth its size, both measured warm (after a first, unmeasured import): it must not grow
  with the batch;

The seller is a Russian company in roubles with VAT on every product (price-excluded, as in
the Russian chart of accounts; the import takes its price-included form), as in the tests.
Both references get the import's own products, unit prices and taxes, resolved before
they are timed, so that they do the same database work as the import's sale orders.
- ``sale_orders_after_reimport`` and ``sale_orders_after_two_processes``: the same orders
  imported again, then by two processes started at once on fresh accounts: both must equal
  the number of orders.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from datetime import timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

MARKETPLACES = ("wildberries", "ozon", "yandex")


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def create_database(db, addons_path, modules=("marketplace_connector",)):
    """A fresh database ``db`` with ``modules`` installed (the benchmarks share it)."""
    for tool in (["dropdb", "--if-exists", db], ["createdb", db]):
        try:
            sh(*tool)
        except subprocess.CalledProcessError:
            sh(tool[0], "-U", "postgres", *tool[1:], *(["-O", os.environ.get("PGUSER") or os.getlogin()]
                                                       if tool[0] == "createdb" else []))
    from tests.odoo_env import db_options

    subprocess.run([sys.executable, "-m", "odoo", "-d", db, f"--addons-path={addons_path}",
                    "-i", ",".join(modules), "--without-demo=all", "--stop-after-init",
                    "--log-level=warn", "--max-cron-threads=0", *db_options()], check=True)


def setup_accounts(env, emulator, suffix=""):
    from tests.fixtures import account_values

    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    accounts = env["marketplace.account"]
    for mp in MARKETPLACES:
        account = accounts.create(account_values(emulator, mp, warehouse, name=f"{mp}{suffix}"))
        account.action_import_warehouses()
        account.action_import_catalog()
        fbo = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo")
        if fbo:
            fbo.location_id = warehouse.lot_stock_id
        account.import_days = 2
        accounts |= account
    return accounts


def russian_seller(env):
    """The company in roubles, in Russia, with VAT 22 % (price-excluded) on every product."""
    company = env.company
    rub = env.ref("base.RUB")
    rub.active = True
    if company.currency_id != rub:
        company.currency_id = rub
    company.country_id = env.ref("base.ru")
    group = env["account.tax.group"].search([("company_id", "=", company.id)], limit=1) or \
        env["account.tax.group"].create({"name": "НДС", "company_id": company.id})
    return env["account.tax"].create({
        "name": "НДС 22%", "amount": 22.0, "amount_type": "percent", "type_tax_use": "sale",
        "company_id": company.id, "price_include_override": "tax_excluded", "tax_group_id": group.id})


def reference_vals(env, accounts, orders_by_account):
    """The sale orders of the bare references: the import's products, unit prices and taxes
    (resolved here, untimed), the account's customer and warehouse."""
    vals_by_account = {}
    for account in accounts:
        ctx = env["marketplace.order"]._import_context(account)
        orders = orders_by_account[account.id]
        ctx.prefetch_mappings([(order, None) for order in orders])
        vals_list = []
        for order in orders:
            lines = []
            for ln in order.lines:
                product = ctx.product(ln)
                lines.append((0, 0, {"product_id": product.id, "product_uom_qty": float(ln.quantity),
                                     "price_unit": float(ctx.unit_price(ln)),
                                     "tax_id": [(6, 0, ctx.taxes(product).ids)]}))
            vals_list.append({
                "partner_id": account.partner_id.id,
                "warehouse_id": account.warehouse_id.id,
                "date_order": order.created_at.replace(tzinfo=None),
                "client_order_ref": order.external_id,
                "order_line": lines,
            })
        vals_by_account[account.id] = vals_list
    return vals_by_account


def bare_orm(env, accounts, vals_by_account, chunk=1):
    """The same orders, straight through the ORM: create + confirm, ``chunk`` orders at a
    time.  Returns (orders, seconds, queries)."""
    SaleOrder = env["sale.order"].with_context(tracking_disable=True, mail_create_nolog=True,
                                               mail_create_nosubscribe=True)
    count = 0
    before = env.cr.sql_log_count
    started = time.perf_counter()
    for account in accounts:
        vals_list = vals_by_account[account.id]
        for start in range(0, len(vals_list), chunk):
            sales = SaleOrder.create(vals_list[start:start + chunk])
            sales.action_confirm()
            count += len(sales)
    env.flush_all()  # written to the database, as the import's savepoints do
    return count, time.perf_counter() - started, env.cr.sql_log_count - before


def vacuum(db):
    import odoo.sql_db

    cr = odoo.sql_db.db_connect(db).cursor()
    try:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE")
    finally:
        cr._cnx.autocommit = False
        cr.close()


class WaitCounter:
    """The seconds the accounts' rate limiters really slept (their documented limits)."""

    def __init__(self):
        self.seconds = 0.0

    def sleep(self, seconds):
        self.seconds += seconds
        time.sleep(seconds)


def count_waits(env, accounts):
    """Give each account a rate limiter of its marketplace's documented limit that counts its
    sleeps (the one the import uses: one per account and process)."""
    from odoo.addons.marketplace_connector.lib import base as lib_base
    from odoo.addons.marketplace_connector.models import marketplace_account

    counter = WaitCounter()
    for account in accounts:
        cls = lib_base.adapter_class(account.marketplace)
        marketplace_account._RATE_LIMITERS[(env.cr.dbname, account.id, account.marketplace)] = \
            cls.make_rate_limiter(sleep=counter.sleep)
    return counter


def timed_import(env, accounts):
    """(seconds, queries, seconds the rate limits made the import wait)."""
    cr = env.cr
    waits = count_waits(env, accounts)
    before = cr.sql_log_count
    started = time.perf_counter()
    for account in accounts:
        assert account._run_order_import(timeout=(5.0, 30.0)), account.last_error
    return time.perf_counter() - started, cr.sql_log_count - before, waits.seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--db", default="mp_bench")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", help="write a cProfile of the measured import to this file")
    args = parser.parse_args()

    from tests.emulator import MarketplaceEmulator
    from tests.emulator.data import default_catalog
    from tests.fixtures import create_products
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    create_database(args.db, addons_path)
    emulator = MarketplaceEmulator(seed=42, validate=False).start()
    n = args.orders
    per_mp = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
    small = max(n // 10, 3)
    figures = {}
    try:
        with environment(args.db, addons_path) as env:
            env = env(context=dict(env.context, tracking_disable=True))
            # the chunk the import creates and confirms at once (importable once Odoo is set up)
            from odoo.addons.marketplace_connector.models.marketplace_order import IMPORT_CHUNK
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            vat = russian_seller(env)
            products = create_products(env, default_catalog(), warehouse.lot_stock_id, qty=100000)
            products.product_tmpl_id.write({"taxes_id": [(6, 0, vat.ids)]})
            accounts = setup_accounts(env, emulator)
            env.cr.commit()

            def imported_count():
                return env["sale.order"].search_count([("marketplace_account_id", "in", accounts.ids)])

            # warm-up (unmeasured: the registry's and the ORM's caches, the first queries)
            for mp in MARKETPLACES:
                emulator.apps[mp].add_orders(3)
            timed_import(env, accounts)
            env.cr.commit()
            warm_count = imported_count()

            # the small batch, warm: queries per order must not grow with the batch
            for mp in MARKETPLACES:
                emulator.apps[mp].add_orders(small // 3 + 1)
            seconds, queries, waited = timed_import(env, accounts)
            small_count = imported_count()
            figures["queries_per_order_small"] = round(queries / max(small_count - warm_count, 1), 1)
            env.cr.commit()

            # the measured batch: orders of the last hours, read from the start of the window
            # (the orders of the small batch are read again and skipped as known)
            for mp, count in zip(MARKETPLACES, per_mp):
                emulator.apps[mp].add_orders(count)
            accounts.write({"orders_synced_until": False})
            env.cr.commit()
            now = env.cr.now()
            orders_by_account = {}
            for account in accounts:
                since = now - timedelta(days=account.import_days) - timedelta(minutes=account.overlap_minutes)
                orders = account._get_adapter().fetch_orders(since.replace(tzinfo=timezone.utc),
                                                             now.replace(tzinfo=timezone.utc))
                known = set(env["marketplace.order"].search([("account_id", "=", account.id)]).mapped("external_id"))
                orders_by_account[account.id] = [o for o in orders if getattr(o, "external_id", None)
                                                 and o.external_id not in known and o.state != "cancelled"]
            total = sum(len(v) for v in orders_by_account.values())

            # both start from the same clean tables: the bare run is rolled back and its
            # dead rows (stock quants updated at each reservation) vacuumed away
            env.cr.commit()
            vacuum(args.db)
            vals_by_account = reference_vals(env, accounts, orders_by_account)
            references = {}
            for name, chunk in (("bare", 1), ("batched", IMPORT_CHUNK)):
                if args.profile:
                    import cProfile

                    bare_profiler = cProfile.Profile()
                    bare_profiler.enable()
                references[name] = bare_orm(env, accounts, vals_by_account, chunk=chunk)
                if args.profile:
                    bare_profiler.disable()
                    bare_profiler.dump_stats(f"{args.profile}.{name}")
                env.cr.rollback()
                env.invalidate_all()
                vacuum(args.db)
            bare_count, bare_seconds, bare_queries = references["bare"]
            batched_count, batched_seconds, batched_queries = references["batched"]

            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            seconds, queries, waited = timed_import(env, accounts)
            if args.profile:
                profiler.disable()
                profiler.dump_stats(args.profile)
            imported = env["sale.order"].search_count([("marketplace_account_id", "in", accounts.ids)]) - small_count
            env.cr.commit()
            figures["orders"] = imported
            figures["orders_per_s"] = round(imported / seconds, 2)
            figures["bare_orm_orders_per_s"] = round(bare_count / bare_seconds, 2)
            figures["ratio"] = round((imported / seconds) / (bare_count / bare_seconds), 3)
            figures["batched_orm_orders_per_s"] = round(batched_count / batched_seconds, 2)
            figures["ratio_batched"] = round((imported / seconds) / (batched_count / batched_seconds), 3)
            # the import keeps each marketplace's documented request rate (Wildberries: 300 a
            # minute), which the bare ORM has no reason to: its sleeps, and the ratio without them
            figures["rate_limit_wait_s"] = round(waited, 2)
            figures["ratio_batched_without_waits"] = round(
                (imported / (seconds - waited)) / (batched_count / batched_seconds), 3)
            figures["import_chunk"] = IMPORT_CHUNK
            figures["queries_per_order"] = round(queries / max(imported, 1), 1)
            figures["bare_orm_queries_per_order"] = round(bare_queries / max(bare_count, 1), 1)
            figures["batched_orm_queries_per_order"] = round(batched_queries / max(batched_count, 1), 1)
            assert imported == total, (imported, total)

            # the same orders once more, from the start of the window
            expected = env["sale.order"].search_count([("marketplace_account_id", "in", accounts.ids)])
            accounts.write({"orders_synced_until": False})
            timed_import(env, accounts)
            env.cr.commit()
            figures["sale_orders_expected"] = expected
            figures["sale_orders_after_reimport"] = env["sale.order"].search_count(
                [("marketplace_account_id", "in", accounts.ids)])

            # two processes at once, on fresh accounts that see the same orders
            twins = setup_accounts(env, emulator, suffix=" (twin)")
            env.cr.commit()
        start_at = time.time() + 8
        cmd = [sys.executable, "-m", "tests.import_worker", args.db, *map(str, twins.ids),
               f"--addons-path={addons_path}", f"--start-at={start_at}"]
        workers = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
        with environment(args.db, addons_path) as env:
            figures["sale_orders_after_two_processes"] = env["sale.order"].search_count(
                [("marketplace_account_id", "in", twins.ids)])
            figures["two_processes_results"] = json.dumps([o["results"] for o in outputs])
    finally:
        emulator.stop()
        import odoo.sql_db

        odoo.sql_db.close_db(args.db)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = (figures["sale_orders_after_reimport"] == figures["sale_orders_expected"]
          and figures["sale_orders_after_two_processes"] == figures["sale_orders_expected"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
