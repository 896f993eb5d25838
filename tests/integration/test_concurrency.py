"""Two import processes started at once on one database: every order exactly once.

The worker processes only see committed data, so this test commits its own company,
products and accounts through a cursor of its own (and archives the accounts at the end);
the rest of the suite never sees them, as they belong to another company.
"""
import json
import subprocess
import sys
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

    def test_two_processes_import_each_order_once(self):
        emulator = MarketplaceEmulator(seed=23, timeout_delay=1.0).start()
        self.addCleanup(emulator.stop)
        catalog = default_catalog()[:20]
        codes = [item["offer_code"] for item in catalog]

        env = self.committed_env()
        company = env["res.company"].create({"name": f"Two import processes (test {uuid.uuid4().hex[:8]})"})
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        products = create_products(env, catalog)
        products.product_tmpl_id.company_id = company
        env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 1000}
            for p in products]).action_apply_inventory()
        accounts = env["marketplace.account"]
        for mp in ORDERS:
            accounts |= accounts.create(dict(account_values(emulator, mp, warehouse, name=f"{mp} (two processes)"),
                                             company_id=company.id))
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
            expected[account.id] = set(app.add_orders(ORDERS[account.marketplace], offer_codes=codes, scheme="fbs"))

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

        for account in accounts:
            sales = env["sale.order"].search([("marketplace_account_id", "=", account.id)])
            ids = sales.mapped("marketplace_external_id")
            self.assertEqual(len(ids), len(expected[account.id]), account.name)
            self.assertEqual(set(ids), expected[account.id], account.name)
            self.assertTrue(all(s.state == "sale" for s in sales))
            bindings = env["marketplace.order"].search([("account_id", "=", account.id)])
            self.assertEqual(len(bindings), len(expected[account.id]))
            self.assertEqual(set(bindings.mapped("import_state")), {"imported"})
