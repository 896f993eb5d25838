"""Two import processes started at once on one database: every order exactly once, both
through the per-account lock (one imports, the other skips or finds them known) and past it
(both insert at once; the unique constraints refuse the twins).

The worker processes only see committed data, so this test commits its own company,
products and accounts through a cursor of its own (and archives the accounts at the end);
the rest of the suite never sees them, as they belong to another company.
"""
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.tests.common import TransactionCase
from odoo.tools import config

from tests.emulator import MarketplaceEmulator
from tests.emulator.data import default_catalog
from tests.fixtures import account_values, create_products

REPO = Path(__file__).resolve().parents[2]
ORDERS = {"wildberries": 30, "ozon": 30, "yandex": 30}


class TestTwoProcesses(TransactionCase):
    test_tags = {"standard", "at_install"}
    test_module = "marketplace_connector"

    def committed_env(self):
        cr = self.env.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def committed_accounts(self, label, orders=ORDERS):
        """A company of its own with products and one account per marketplace, committed
        (the workers see committed data only), archived again at the end; the emulator's
        new orders of each account: ``(emulator, accounts, {account id: external ids})``."""
        emulator = MarketplaceEmulator(seed=23, timeout_delay=1.0).start()
        self.addCleanup(emulator.stop)
        catalog = default_catalog()[:20]
        codes = [item["offer_code"] for item in catalog]

        env = self.committed_env()
        # a Russian seller in roubles, VAT on every product (as the marketplaces' orders are)
        rub = env.ref("base.RUB")
        rub.active = True
        company = env["res.company"].create({"name": f"{label} (test {uuid.uuid4().hex[:8]})",
                                             "currency_id": rub.id, "country_id": env.ref("base.ru").id})
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        vat = env["account.tax"].create({
            "name": "НДС 22%", "amount": 22.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": company.id, "price_include_override": "tax_excluded",
            "tax_group_id": env["account.tax.group"].create({"name": "НДС", "company_id": company.id}).id})
        products = create_products(env, catalog)
        products.product_tmpl_id.write({"company_id": company.id, "taxes_id": [(6, 0, vat.ids)]})
        env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 1000}
            for p in products]).action_apply_inventory()
        accounts = env["marketplace.account"]
        for mp in orders:
            accounts |= accounts.create(dict(account_values(emulator, mp, warehouse, name=f"{mp} ({label})"),
                                             company_id=company.id))
        for account in accounts:  # the articles mapped to the products, as a seller starts
            account.action_import_warehouses()
            account.action_import_catalog()
        env.cr.commit()

        account_ids, product_ids = accounts.ids, products.ids

        def archive():
            # out of the way of the other tests: their products have the same barcodes
            env = self.committed_env()
            env["marketplace.account"].browse(account_ids).write({"active": False})
            env["product.product"].browse(product_ids).product_tmpl_id.write({"active": False})
            env.cr.commit()

        self.addCleanup(archive)
        expected = {}
        for account in accounts:
            app = emulator.apps[account.marketplace]
            expected[account.id] = set(app.add_orders(orders[account.marketplace], offer_codes=codes, scheme="fbs"))
            self.assertEqual(expected[account.id], set(app.orders))
        return emulator, accounts, expected

    def assert_each_order_once(self, account_ids, expected):
        """What the workers committed, read in a new transaction, against the emulator's
        orders: each exactly once as import record and as confirmed sale order."""
        env = self.committed_env()
        for account in env["marketplace.account"].browse(account_ids):
            sales = env["sale.order"].search([("marketplace_account_id", "=", account.id)])
            ids = sales.mapped("marketplace_external_id")
            self.assertEqual(sorted(ids), sorted(expected[account.id]), account.name)
            self.assertTrue(all(s.state == "sale" for s in sales), account.name)
            bindings = env["marketplace.order"].search([("account_id", "=", account.id)])
            self.assertEqual(sorted(bindings.mapped("external_id")), sorted(expected[account.id]), account.name)
            self.assertEqual(set(bindings.mapped("import_state")), {"imported"}, account.name)
            self.assertEqual(bindings.sale_order_id, sales, account.name)

    def test_two_processes_import_each_order_once(self):
        emulator, accounts, expected = self.committed_accounts("two processes")
        account_ids = accounts.ids
        env = accounts.env
        cmd = [sys.executable, "-m", "tests.import_worker", env.cr.dbname, *map(str, accounts.ids),
               f"--addons-path={config['addons_path']}", "--wait-stdin"]
        workers = [subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        for worker in workers:
            self.addCleanup(lambda w=worker: w.poll() is None and w.kill())
        # both loaded: start them together
        for worker in workers:
            self.assertEqual(worker.stdout.readline().strip(), "ready")
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = []
        for worker in workers:
            out, _err = worker.communicate(timeout=600)
            self.assertEqual(worker.returncode, 0)
            outputs.append(json.loads(out.strip().splitlines()[-1])["results"])

        # what the workers committed, read in a new transaction
        env = self.committed_env()
        accounts = env["marketplace.account"].browse(account_ids)
        # every account was imported by at least one of them; none failed
        for account in accounts:
            results = [o[str(account.id)] for o in outputs]
            self.assertIn(True, results, f"{account.name}: {results}")
            self.assertFalse(account.last_error)

        self.assert_each_order_once(account_ids, expected)

    def test_two_processes_insert_at_once_the_constraints_refuse_twins(self):
        """Past the per-account lock: both processes insert the same orders in transactions
        open at the same time; the unique (account, external id) refuses the twins."""
        emulator, accounts, expected = self.committed_accounts("two inserting processes")
        account_ids = accounts.ids
        barrier = (4243, uuid.uuid4().int % 2**31)
        # the barrier, on a connection of its own, held until both workers wait on it
        holder = self.committed_env().cr
        holder.execute("SELECT pg_advisory_lock(%s, %s)", barrier)
        self.addCleanup(holder.execute, "SELECT pg_advisory_unlock_all()")

        cmd = [sys.executable, "-m", "tests.import_worker", accounts.env.cr.dbname, *map(str, account_ids),
               f"--addons-path={config['addons_path']}", "--direct", "--barrier", *map(str, barrier)]
        workers = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        for worker in workers:
            self.addCleanup(lambda w=worker: w.poll() is None and w.kill())
        # each has read the orders from the marketplace and opened its transaction
        for worker in workers:
            self.assertEqual(worker.stdout.readline().strip(), "ready")
        # both inside their transactions, waiting on the barrier (pg_locks is live, not a snapshot)
        for _ in range(6000):
            holder.execute("""SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                               AND classid = %s AND objid = %s AND objsubid = 2""", barrier)
            if holder.fetchone()[0] == 2:
                break
            self.assertEqual([w.poll() for w in workers], [None, None], "a worker ended before the barrier")
            time.sleep(0.05)
        else:
            self.fail("the two workers never waited on the barrier together")
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", barrier)

        reports = []
        for worker in workers:
            out, _err = worker.communicate(timeout=600)
            self.assertEqual(worker.returncode, 0)
            reports.append(json.loads(out.strip().splitlines()[-1])["results"])

        for account_id in account_ids:
            rows = [report[str(account_id)] for report in reports]
            count = len(expected[account_id])
            for row in rows:
                # each fetched every order and found none imported: both really tried to insert all
                self.assertEqual(row["fetched"], count, rows)
                self.assertEqual(row["known_before"], 0, rows)
                self.assertEqual(row["created"] + row["refused"], count, rows)
                self.assertEqual(row["sales_created"], row["created"], rows)
            # together exactly once each: what one created, the other was refused
            self.assertEqual(sum(row["created"] for row in rows), count, rows)
            self.assertEqual(sum(row["refused"] for row in rows), count, rows)
        self.assert_each_order_once(account_ids, expected)
