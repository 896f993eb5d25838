"""Benchmark: the stock export of 50,000 products × 3 warehouses in a real Odoo database.

    python3 bench/stock_export.py [--products 50000] [--sample 2000] [--basis free|onhand|forecast]
                                  [--kits N] [--db mp_bench_stock] [--keep]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database (with ``--kits``, mrp installed too).  The setup (untimed, a few seconds) makes the
first product and the first product mapping with the ORM and the others as copies of them
at the SQL level (the batched ORM took minutes for a few thousand products, so 50,000 were
never run), the quants (some of them reserved) at the SQL level, three Odoo warehouses each
mapped to one of the seller's WB warehouses; ``--kits N`` makes the last N products kits
(phantom bills of materials) of two others.  Prints ``name: value`` lines:

- ``seconds``: the export's computation, quantities and delta of every item
  (``marketplace.stock.level._export_plan``, what the scheduled export runs: the levels
  made, the basis of each product and warehouse read, kits counted, the buffers applied, the
  delta against what WB accepted), first run;
- ``queries``: its SQL queries (a constant, plus a few per 1,000 kits or, on the forecast
  basis, per 1,000 products: the ORM's prefetch batches; never one per product);
- ``rss_max_mb``: the process's peak resident memory so far (setup included); ``peak_mb``:
  the Python memory the computation allocates at its peak (tracemalloc, a second, untimed run);
- ``steady_seconds`` / ``steady_queries``: the same once WB has accepted everything (the
  delta is empty);
- ``naive_seconds``: the basis field (``free_qty`` on the default basis) of
  ``product.with_context(warehouse_id=...)``, one product and warehouse at a time, each
  product browsed alone, measured on ``--sample`` products × 3 warehouses in the same run and
  extrapolated to every item (``naive_measured`` says how many); ``ratio``: naive over
  ``seconds``;
- ``kits_checked_against_odoo``: the quantity of 50 kits against Odoo's own (mrp) count;
- ``api_calls`` against ``api_calls_expected`` = ceil(changed items / 1000) per warehouse,
  sent to the emulator (no spec validation: the tests validate); ``delta_items`` and
  ``delta_api_calls`` after the quants of one product in 40 change;
- ``apply_seconds``: recording the 150,000 answers.

Seen on the 2-core machine shared with other work (50,000 products, sample 2,000)::

    free basis, no kits:  seconds: 5.08  queries: 5  naive_seconds: 626.5  ratio: 123.3
                          api_calls: 150 (expected 150)  steady_seconds: 1.44  steady_queries: 5
                          apply_seconds: 4.66  rss_max_mb: 407  peak_mb: 108.9
                          delta_items: 3750  delta_api_calls: 6 (expected 6)
    --kits 5000 (mrp):    seconds: 6.53  queries: 74  naive_seconds: 816.3  ratio: 125.0
                          kits_checked_against_odoo: 50 kits x 3, 0 differ  api_calls: 150
                          peak_mb: 164.1  delta_items: 4104  delta_api_calls: 6
    --basis forecast (sample 500): seconds: 7.86  queries: 121  naive_seconds: 618.1  ratio: 78.6

(the naive way at 50,000: about 4 ms a product and warehouse, over 10 minutes for them all.)
"""
import argparse
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

from bench.order_import import create_database, vacuum  # noqa: E402

WB_WAREHOUSES = (1281530, 1281547, 1302288)
BATCH = 1000


class Figures(dict):
    """The figures, each printed as it is measured (a long run shows where it is)."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        print(f"{key}: {value}", flush=True)


def _columns(env, table):
    env.cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'",
                   (table,))
    return [row[0] for row in env.cr.fetchall()]


def clone_products(env, seed, count):
    """Products 2..``count`` as copies of ``seed`` (product 1, made by the ORM) at the SQL level:
    one INSERT of the templates, one of the variants.  Setup only, not what is measured: the
    ORM creates ~10 products a second here (50,000 would take over an hour), and what the
    export reads of a product (its id, its mapping, its quants) is the same either way."""
    overrides = {"name": "jsonb_build_object('en_US', 'Товар ' || i)",
                 "default_code": "'BS-' || lpad(i::text, 6, '0')"}
    columns = _columns(env, "product_template")
    exprs = [overrides.get(c, f"t.{c}") for c in columns]
    env.cr.execute(f"""
        INSERT INTO product_template ({", ".join(columns)})
        SELECT {", ".join(exprs)} FROM product_template t, generate_series(2, %s) i WHERE t.id = %s
    """, (count, seed.product_tmpl_id.id))
    columns = _columns(env, "product_product")
    overrides = {"product_tmpl_id": "t.id", "default_code": "t.default_code"}
    exprs = [overrides.get(c, f"p.{c}") for c in columns]
    env.cr.execute(f"""
        INSERT INTO product_product ({", ".join(columns)})
        SELECT {", ".join(exprs)} FROM product_product p, product_template t
         WHERE p.id = %s AND t.default_code LIKE 'BS-%%' AND t.id <> %s
    """, (seed.id, seed.product_tmpl_id.id))
    for table, column in (("product_taxes_rel", "prod_id"), ("product_supplier_taxes_rel", "prod_id")):
        env.cr.execute(f"""
            INSERT INTO {table} ({column}, tax_id)
            SELECT t.id, r.tax_id FROM {table} r, product_template t
             WHERE r.{column} = %s AND t.default_code LIKE 'BS-%%' AND t.id <> %s
        """, (seed.product_tmpl_id.id, seed.product_tmpl_id.id))
    env.cr.execute("SELECT id FROM product_product WHERE default_code LIKE 'BS-%%' ORDER BY default_code")
    return env["product.product"].browse([row[0] for row in env.cr.fetchall()])


def setup(env, emulator, count):
    """The seller: ``count`` products, three warehouses, a WB account with a mapping each."""
    from tests.fixtures import account_values

    company = env.company
    warehouses = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    for code in ("WH2", "WH3"):
        warehouses |= env["stock.warehouse"].create({"name": f"Склад {code}", "code": code})
    started = time.time()
    Product = env["product.product"].with_context(tracking_disable=True, mail_create_nolog=True)
    seed = Product.create({"name": "Товар 1", "default_code": "BS-000001", "type": "consu", "is_storable": True})
    env.flush_all()
    products = clone_products(env, seed, count)
    env.invalidate_all()
    assert len(products) == count, (len(products), count)
    print(f"setup_products_seconds: {time.time() - started:.1f}", file=sys.stderr)
    # quants: every product in every warehouse, some of it reserved
    env.cr.execute("""
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity, in_date,
                                 create_date, write_date, create_uid, write_uid)
        SELECT p.id, w.lot_stock_id, %s, (p.id %% 97) + 1, (p.id %% 5), now(), now(), now(), 1, 1
          FROM product_product p, stock_warehouse w WHERE p.default_code LIKE 'BS-%%' AND w.id = ANY(%s)
    """, (company.id, warehouses.ids))
    emulator.wildberries.set_catalog([{"offer_code": f"BS-{i:06d}", "name": f"Товар {i}", "price": "100",
                                       "barcode": "", "index": i} for i in range(1, count + 1)])
    account = env["marketplace.account"].create(dict(account_values(emulator, "wildberries", warehouses[0]),
                                                     stock_export=True, stock_read_fbo=False, stock_buffer=1))
    env["marketplace.warehouse.mapping"].create([
        {"account_id": account.id, "ref": str(ref), "name": f"WB {ref}", "scheme": "fbs", "warehouse_id": wh.id}
        for ref, wh in zip(WB_WAREHOUSES, warehouses)])
    # the mappings: the first by the ORM, the others copies of it (chrtId as the emulator's)
    chrt = "(290000000 + substr({}, 4)::int * 53)::text"
    seed_mapping = env["marketplace.product.mapping"].create({
        "account_id": account.id, "product_id": products[0].id, "offer_code": products[0].default_code,
        "item_id": str(290000053), "variant_key": str(290000053), "state": "mapped"})
    env.flush_all()
    columns = _columns(env, "marketplace_product_mapping")
    overrides = {"product_id": "p.id", "offer_code": "p.default_code", "item_id": chrt.format("p.default_code"),
                 "variant_key": chrt.format("p.default_code")}
    exprs = [overrides.get(c, f"m.{c}") for c in columns]
    env.cr.execute(f"""
        INSERT INTO marketplace_product_mapping ({", ".join(columns)})
        SELECT {", ".join(exprs)} FROM marketplace_product_mapping m, product_product p
         WHERE m.id = %s AND p.default_code LIKE 'BS-%%' AND p.id <> %s
    """, (seed_mapping.id, products[0].id))
    env.cr.commit()
    env.invalidate_all()
    print(f"setup_seconds: {time.time() - started:.1f}", file=sys.stderr)
    return account, products, warehouses


def make_kits(env, products, count):
    """The last ``count`` products become kits (mrp, phantom): kit j takes 2 × product 2j and
    1 × product 2j + 1, which stay products of their own (mapped, sold alone as well)."""
    if not count:
        return products.browse()
    kits = products[-count:]
    vals = [{"product_tmpl_id": kit.product_tmpl_id.id, "product_id": kit.id, "type": "phantom", "product_qty": 1,
             "bom_line_ids": [(0, 0, {"product_id": products[2 * j].id, "product_qty": 2}),
                              (0, 0, {"product_id": products[2 * j + 1].id, "product_qty": 1})]}
            for j, kit in enumerate(kits)]
    for start in range(0, len(vals), 500):  # (mrp's cycle check is one OR of every bill created)
        env["mrp.bom"].create(vals[start:start + 500])
    env.cr.commit()
    return kits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--db", default="mp_bench_stock")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--basis", choices=("free", "onhand", "forecast"), default="free")
    parser.add_argument("--kits", type=int, default=0,
                        help="install mrp and make this many of the products kits of two others")
    args = parser.parse_args()
    field = {"free": "free_qty", "onhand": "qty_available", "forecast": "virtual_available"}[args.basis]

    from tests.emulator import MarketplaceEmulator
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    create_database(args.db, addons_path, ("marketplace_connector", "mrp") if args.kits else ("marketplace_connector",))
    emulator = MarketplaceEmulator(seed=42, validate=False).start()
    figures = Figures()
    try:
        with environment(args.db, addons_path) as env:
            import odoo.sql_db

            env = env(context=dict(env.context, tracking_disable=True))
            account, products, warehouses = setup(env, emulator, args.products)
            account.stock_basis = args.basis
            started = time.time()
            kits = make_kits(env, products, args.kits)
            print(f"setup_kits_seconds: {time.time() - started:.1f}", file=sys.stderr)
            figures["basis"] = args.basis
            figures["kits"] = len(kits)
            env.flush_all()
            env.cr.commit()
            vacuum(args.db)  # the statistics a database in use has
            Level = env["marketplace.stock.level"]
            items_total = len(products) * len(warehouses)

            queries = odoo.sql_db.sql_counter
            started = time.perf_counter()
            items, quantities = Level._export_plan(account)
            figures["seconds"] = round(time.perf_counter() - started, 2)
            figures["queries"] = odoo.sql_db.sql_counter - queries
            figures["items"] = len(quantities)
            figures["changed_items"] = len(items)
            figures["rss_max_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            env.cr.commit()

            # the memory of that computation (again, traced: tracemalloc slows it, so apart)
            env.invalidate_all()
            tracemalloc.start()
            Level._export_plan(account)
            figures["peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
            tracemalloc.stop()
            env.cr.rollback()

            # the naive way, on a sample, extrapolated to every item
            # (each product browsed alone: a record of the 50,000 would prefetch, and so compute,
            # 1,000 products at a time, which is no longer one product at a time)
            sample = products.ids[:args.sample]
            Product = env["product.product"]
            env.invalidate_all()
            started = time.perf_counter()
            for product_id in sample:
                for warehouse in warehouses:
                    Product.browse(product_id).with_context(warehouse_id=warehouse.id)[field]
                    env.invalidate_all()
            naive = (time.perf_counter() - started) * items_total / (len(sample) * len(warehouses))
            figures["naive_seconds"] = round(naive, 1)
            figures["naive_measured"] = f"{len(sample)} products x {len(warehouses)} warehouses, " \
                                        f"extrapolated to {items_total} items"
            figures["ratio"] = round(naive / figures["seconds"], 1)

            # the kits sent as Odoo counts them (the bench has no FBO stock, where the two differ)
            if kits:
                by_level = dict(quantities)
                env.cr.execute("""
                    SELECT s.id, m.product_id, w.warehouse_id FROM marketplace_stock_level s
                      JOIN marketplace_product_mapping m ON m.id = s.mapping_id
                      JOIN marketplace_warehouse_mapping w ON w.id = s.warehouse_mapping_id
                     WHERE m.product_id = ANY(%s)
                """, (kits[:50].ids,))
                differ = 0
                for level, product_id, warehouse_id in env.cr.fetchall():
                    odoo_qty = Product.browse(product_id).with_context(warehouse_id=warehouse_id)[field]
                    differ += by_level[level] != max(0, int(odoo_qty) - account.stock_buffer)
                figures["kits_checked_against_odoo"] = f"{min(50, len(kits))} kits x {len(warehouses)}, {differ} differ"

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
    ok = figures["seconds"] <= 30 and figures["api_calls"] == figures["api_calls_expected"] \
        and figures["steady_changed_items"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
