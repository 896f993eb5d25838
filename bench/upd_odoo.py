"""Benchmark: УПД 5.03 of posted customer invoices, made in Odoo.

    python3 bench/upd_odoo.py [--docs 1000] [--lines 10] [--db mp_bench_upd] [--keep]
                              [--addons-path P] [--profile FILE]

Needs Odoo 18 (importable, or ODOO_PATH) and a local PostgreSQL; creates (and drops) its own
database with marketplace_edo installed, a Russian VAT-paying company with its chart, taxes
(22%, 10%, 0%, 22% included, exempt), buyers (organisations, an entrepreneur) and products
(pieces, kilograms, a service), and ``--docs`` posted invoices of ``--lines`` rows.  The ФНС
schemas are set as the administrator does (``marketplace_edo.xsd_dir``: ``../shared/edo/xsd``
or ``$EDO_XSD_DIR``).

Measured: what the «Make УПД (XML)» action does for all the invoices at once — each file
built from the invoice, checked, validated against the XSD, attached to the invoice and
registered as an EDO document with its history — from a cold ORM cache to the data flushed
to the database.  Prints ``name: value`` lines:

- ``seconds``: the measured part (target: 1,000 invoices of 10 rows in <= 30 s);
- ``cpu_seconds``: the CPU time this process spent in it (PostgreSQL's is not counted): on a
  machine busy with other work, ``seconds`` grows while this stays;
- ``per_document_ms``, ``docs_per_s``;
- ``queries`` and ``queries_per_document`` of the measured part;
- ``valid``: documents whose attached file passes the XSD again (checked after the clock
  stops), is recorded as validated, and carries the invoice's number and totals; must equal
  ``docs``;
- ``setup_seconds``: making the invoices (not measured), ``avg_bytes``: mean file size.
"""
import argparse
import datetime
import getpass
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

KOPECK = Decimal("0.01")


def create_database(db, addons_path):
    from tests.odoo_env import db_options

    owner = os.environ.get("PGUSER") or getpass.getuser()
    for tool in (["dropdb", "--if-exists", db], ["createdb", db]):
        if subprocess.run(tool, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            subprocess.run([tool[0], "-U", "postgres", *tool[1:], *(["-O", owner] if tool[0] == "createdb" else [])],
                           check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "odoo", "-d", db, f"--addons-path={addons_path}", "-i", "marketplace_edo",
                    "--without-demo=all", "--stop-after-init", "--log-level=warn", *db_options()], check=True)


def make_company(env):
    """The seller (ООО «Ромашка», VAT payer, EDO details filled) as the current company."""
    rub = env.ref("base.RUB")
    rub.active = True
    company = env["res.company"].create({
        "name": "ООО «Ромашка»", "currency_id": rub.id, "country_id": env.ref("base.ru").id,
        "vat": "7707083893", "zip": "101000", "city": "г. Москва", "street": "ул. Мясницкая, д. 1",
    })
    company.write({
        "edo_kpp": "770701001", "edo_participant_id": "2BM-7707083893-770701001-201305280959450926853",
        "edo_signer_last_name": "Иванов", "edo_signer_first_name": "Иван", "edo_signer_middle_name": "Иванович",
        "edo_signer_position": "Генеральный директор", "edo_signer_authority": "Устав",
    })
    env.user.company_ids |= company
    env.user.company_id = company
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    company = env["res.company"].browse(company.id)
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    company.currency_id = rub  # the generic chart brings its own currency
    return env, company


def make_data(env, company, docs, lines, rng):
    """Taxes, buyers, products and ``docs`` posted invoices of ``lines`` rows."""
    Tax = env["account.tax"]

    def tax(name, amount, **kw):
        return Tax.create({"name": name, "amount": amount, "amount_type": "percent", "type_tax_use": "sale",
                           "company_id": company.id, **kw})

    taxes = [tax("НДС 22%", 22), tax("НДС 10%", 10), tax("НДС 0%", 0),
             tax("НДС 22% (в цене)", 22, price_include_override="tax_included"),
             tax("Без НДС (ст. 149)", 0, edo_vat_rate="без НДС")]
    ru = env.ref("base.ru")
    buyers = env["res.partner"].create([
        {"name": "ООО «КИП СПБ»", "is_company": True, "vat": "7805781663", "edo_kpp": "780501001",
         "country_id": ru.id, "zip": "198095", "city": "г. Санкт-Петербург", "street": "ул. Промышленная, д. 19",
         "edo_participant_id": "2BM-7805781663-780501001-201506150957265430042"},
        {"name": "ООО «Вайлдберриз»", "is_company": True, "vat": "7721546864", "edo_kpp": "500301001",
         "country_id": ru.id, "city": "д. Коледино", "street": "ул. Троицкая, д. 20",
         "edo_participant_id": "2BM-7721546864-500301001-1"},
        {"name": "ИП Сидоров Пётр Николаевич", "is_company": True, "vat": "771345656416", "country_id": ru.id,
         "city": "г. Москва", "street": "ул. Тверская, д. 7",
         "edo_participant_id": "2BM-771345656416-2012052808301120662630000000000"},
    ])
    kg = env.ref("uom.product_uom_kgm")
    products = env["product.product"].create([{
        "name": f"Товар {n} «Реле времени ARK{n}»", "default_code": f"ART-{n:03d}", "type": "consu",
        "barcode": f"460123456{n:03d}{(n * 7) % 10}", "list_price": 100.0 + n,
        **({"uom_id": kg.id, "uom_po_id": kg.id} if n % 6 == 5 else {}),
    } for n in range(40)] + [{"name": "Доставка", "type": "service"}])
    # (a product's taxes_id holds other companies' default taxes too: the rows name their tax)
    product_tax = {product: taxes[n % len(taxes)] for n, product in enumerate(products)}
    for product, product_taxes in product_tax.items():
        product.taxes_id = product_taxes
    Move = env["account.move"].with_context(tracking_disable=True, mail_create_nolog=True)
    day = datetime.date(2026, 8, 14)
    for start in range(0, docs, 100):
        vals = []
        for i in range(start, min(start + 100, docs)):
            rows = []
            for _n in range(lines):
                product = rng.choice(products)
                quantity = rng.randint(1, 5000) / 1000 if product.uom_id == kg else rng.randint(1, 20)
                rows.append((0, 0, {"product_id": product.id, "quantity": quantity,
                                    "price_unit": rng.randint(1, 500000) / 100,
                                    "discount": rng.choice((0, 0, 0, 5, 12.5)),
                                    "tax_ids": [(6, 0, product_tax[product].ids)]}))
            vals.append({"move_type": "out_invoice", "partner_id": buyers[i % len(buyers)].id,
                         "invoice_date": day, "invoice_line_ids": rows})
        Move.create(vals).action_post()
        env.cr.commit()
    return env["account.move"].search([("company_id", "=", company.id), ("move_type", "=", "out_invoice")])


def check_results(env, moves):
    """(valid, xsd_validated, total bytes): each document re-validated and compared with its invoice."""
    from odoo.addons.marketplace_edo.lib import upd_parse, xsd

    valid = validated = size = 0
    folder = env["edo.document"]._xsd_folder()
    for move in moves:
        document = move.edo_document_ids
        if len(document) != 1 or not document.attachment_id:
            continue
        data = document.attachment_id.raw
        size += len(data)
        validated += document.xsd_validated
        parsed = upd_parse.parse_upd(data)
        if (document.xsd_validated and not xsd.validate(data, "5.03", folder) and parsed.number == move.name
                and parsed.totals.amount_with_vat == Decimal(repr(move.amount_total)).quantize(KOPECK)
                and parsed.totals.amount_without_vat == Decimal(repr(move.amount_untaxed)).quantize(KOPECK)
                and len(parsed.lines) == len(move.invoice_line_ids)):
            valid += 1
    return valid, validated, size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--db", default="mp_bench_upd")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database as it is (kept by --keep, with the addons installed)")
    parser.add_argument("--addons-path", help="default: Odoo's addons and this repository")
    parser.add_argument("--profile", help="write a cProfile of the measured part to this file")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment, odoo_addons_path

    addons_path = args.addons_path or odoo_addons_path(REPO)
    if not args.reuse:
        create_database(args.db, addons_path)
    figures = {"docs": args.docs, "lines_per_doc": args.lines}
    ok = False
    try:
        with environment(args.db, addons_path) as env:
            from odoo.addons.marketplace_edo.lib import xsd

            # the administrator's setting: $EDO_XSD_DIR or ../shared/edo/xsd
            env["ir.config_parameter"].set_param("marketplace_edo.xsd_dir", str(xsd.xsd_dir()))
            env, company = make_company(env)
            started = time.perf_counter()
            moves = make_data(env, company, args.docs, args.lines, random.Random(970))
            figures["setup_seconds"] = round(time.perf_counter() - started, 1)
            env.cr.commit()
            env["edo.document"]._xsd_folder()  # the schema compiled once a process, as in a server

            env.invalidate_all()  # a cold cache, as a fresh request has
            moves = env["account.move"].browse(moves.ids)
            cr = env.cr
            queries = cr.sql_log_count
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            started, cpu = time.perf_counter(), time.process_time()
            documents, errors = moves._edo_make_upds()
            env.flush_all()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            queries = cr.sql_log_count - queries
            env.cr.commit()
            for move, error in list(errors.items())[:5]:
                print(f"not made: {move.name}: {error}", file=sys.stderr)

            env.invalidate_all()
            valid, validated, size = check_results(env, env["account.move"].browse(moves.ids))
            figures.update({
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "per_document_ms": round(seconds * 1000 / max(args.docs, 1), 2),
                "docs_per_s": round(args.docs / seconds, 1),
                "queries": queries,
                "queries_per_document": round(queries / max(args.docs, 1), 2),
                "documents": len(documents),
                "not_made": len(errors),
                "xsd_validated": validated,
                "valid": valid,
                "avg_bytes": size // max(valid, 1),
            })
            ok = valid == args.docs
    finally:
        import odoo.sql_db

        odoo.sql_db.close_db(args.db)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
    for key, value in figures.items():
        print(f"{key}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
