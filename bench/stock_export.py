"""Benchmark: the stock export of 50,000 products × 3 warehouses in a real Odoo database.

    python3 bench/stock_export.py [--products 50000] [--sample 300] [--db mp_bench_stock] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database.  The setup (untimed) creates the products with the batched ORM, their quants and
their Wildberries mappings at the SQL level, three Odoo warehouses each mapped to one of the
seller's WB warehouses.  Prints ``name: value`` lines:

- ``seconds``: the export's computation, quantities and delta of every item
  (``marketplace.stock.level._export_plan``: the levels made, the basis of each product and
  warehouse read, the buffers applied, the delta against what WB accepted), first run;
- ``queries``: its SQL queries (bounded by the number of write batches, not by the items);
- ``steady_seconds`` / ``steady_queries``: the same once WB has accepted everything (the
  delta is empty);
- ``naive_seconds``: ``product.with_context(warehouse_id=...).free_qty`` one product and
  warehouse at a time, measured on ``--sample`` products × 3 warehouses in the same run and
  extrapolated to every item; ``ratio``: naive over ``seconds``;
- ``api_calls`` against ``api_calls_expected`` = ceil(changed items / 1000) per warehouse,
  sent to the emulator (no spec validation: the tests validate); ``delta_items`` and
  ``delta_api_calls`` after some quants change;
- ``apply_seconds``: recording the 150,000 answers.
"""
import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

from bench.order_import import create_database  # noqa: E402

WB_WAREHOUSES = (1281530, 1281547, 1302288)
BATCH = 1000


def setup(env, emulator, count):
    """The seller: ``count`` products, three warehouses, a WB account with a mapping each."""
    from tests.fixtures import account_values

    company = env.company
    warehouses = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    for code in ("WH2", "WH3"):
        warehouses |= env["stock.warehouse"].create({"name": f"Склад {code}", "code": code})
    started = time.time()
    Product = env["product.product"].with_context(tracking_disable=True, mail_create_nolog=True)
    products = Product.browse()
    for start in range(0, count, 5000):
        products |= Product.create([{"name": f"Товар {i}", "default_code": f"BS-{i:06d}", "type": "consu",
                                     "is_storable": True} for i in range(start + 1, min(start + 5000, count) + 1)])
    env.flush_all()
    print(f"setup_products_seconds: {time.time() - started:.1f}", file=sys.stderr)
    # quants: every product in every warehouse, some of it reserved
    env.cr.execute("""
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity, in_date,
                                 create_date, write_date, create_uid, write_uid)
        SELECT p.id, w.lot_stock_id, %s, (p.id %% 97) + 1, (p.id %% 5), now(), now(), now(), 1, 1
          FROM product_product p, stock_warehouse w WHERE p.id = ANY(%s) AND w.id = ANY(%s)
    """, (company.id, products.ids, warehouses.ids))
    emulator.wildberries.set_catalog([{"offer_code": f"BS-{i:06d}", "name": f"Товар {i}", "price": "100",
                                       "barcode": "", "index": i} for i in range(1, count + 1)])
    account = env["marketplace.account"].create(dict(account_values(emulator, "wildberries", warehouses[0]),
                                                     stock_export=True, stock_read_fbo=False, stock_buffer=1))
    env["marketplace.warehouse.mapping"].create([
        {"account_id": account.id, "ref": str(ref), "name": f"WB {ref}", "scheme": "fbs", "warehouse_id": wh.id}
        for ref, wh in zip(WB_WAREHOUSES, warehouses)])
    env.flush_all()
    env.cr.execute("""
        INSERT INTO marketplace_product_mapping (account_id, company_id, marketplace, product_id, offer_code,
                                                 item_id, variant_key, state, active, create_date, write_date,
                                                 create_uid, write_uid)
        SELECT %s, %s, 'wildberries', p.id, pt.default_code, (290000000 + substr(pt.default_code, 4)::int * 53)::text,
               (290000000 + substr(pt.default_code, 4)::int * 53)::text, 'mapped', true, now(), now(), 1, 1
          FROM product_product p JOIN product_template pt ON pt.id = p.product_tmpl_id WHERE p.id = ANY(%s)
    """, (account.id, company.id, products.ids))
    env.cr.commit()
    env.invalidate_all()
    return account, products, warehouses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--db", default="mp_bench_stock")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from tests.emulator import MarketplaceEmulator
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    create_database(args.db, addons_path)
    emulator = MarketplaceEmulator(seed=42, validate=False).start()
    figures = {}
    try:
        with environment(args.db, addons_path) as env:
            import odoo.sql_db

            env = env(context=dict(env.context, tracking_disable=True))
            account, products, warehouses = setup(env, emulator, args.products)
            Level = env["marketplace.stock.level"]
            items_total = len(products) * len(warehouses)

            queries = odoo.sql_db.sql_counter
            started = time.perf_counter()
            items, quantities = Level._export_plan(account)
            figures["seconds"] = round(time.perf_counter() - started, 2)
            figures["queries"] = odoo.sql_db.sql_counter - queries
            figures["items"] = len(quantities)
            figures["changed_items"] = len(items)
            env.cr.commit()

            # the naive way, on a sample, extrapolated to every item
            sample = products[:args.sample]
            env.invalidate_all()
            started = time.perf_counter()
            for product in sample:
                for warehouse in warehouses:
                    product.with_context(warehouse_id=warehouse.id).free_qty  # noqa: B018
                    env.invalidate_all()
            naive = (time.perf_counter() - started) * items_total / (len(sample) * len(warehouses))
            figures["naive_seconds"] = round(naive, 1)
            figures["ratio"] = round(naive / figures["seconds"], 1)

            # send it: ceil(changed / 1000) calls a warehouse
            calls = []
            adapter = account._get_adapter(calls, timeout=(5.0, 60.0))
            results = adapter.push_stocks(items, now=time.time())
            sent = emulator.requests_to("wildberries", "/api/v3/stocks/{warehouseId}")
            figures["api_calls"] = len(sent)
            figures["api_calls_expected"] = sum(math.ceil(sum(1 for i in items if i.warehouse_ref == str(ref)) / BATCH)
                                                for ref in WB_WAREHOUSES)
            figures["accepted"] = sum(r.accepted for r in results)
            started = time.perf_counter()
            Level._apply_results(quantities, results)
            env.cr.commit()
            figures["apply_seconds"] = round(time.perf_counter() - started, 2)

            queries = odoo.sql_db.sql_counter
            started = time.perf_counter()
            items, quantities = Level._export_plan(account)
            figures["steady_seconds"] = round(time.perf_counter() - started, 2)
            figures["steady_queries"] = odoo.sql_db.sql_counter - queries
            figures["steady_changed_items"] = len(items)

            # some stock moves: only those items are sent
            env.cr.execute("UPDATE stock_quant SET quantity = quantity + 3 WHERE product_id = ANY(%s)",
                           (products[::40].ids,))
            items, quantities = Level._export_plan(account)
            figures["delta_items"] = len(items)
            emulator.reset_records()
            adapter.push_stocks(items, now=time.time())
            figures["delta_api_calls"] = len(emulator.requests_to("wildberries", "/api/v3/stocks/{warehouseId}"))
            figures["delta_api_calls_expected"] = sum(
                math.ceil(sum(1 for i in items if i.warehouse_ref == str(ref)) / BATCH) for ref in WB_WAREHOUSES)
            env.cr.commit()
    finally:
        emulator.stop()
        import odoo.sql_db

        odoo.sql_db.close_db(args.db)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = figures["seconds"] <= 30 and figures["api_calls"] == figures["api_calls_expected"] \
        and figures["steady_changed_items"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
