"""200 malformed or hostile order payloads slipped into real answers of the emulator:
the import never crashes, nothing is half-created, and each one leaves a clear trace."""
from tests.emulator import hostile

from .common import MarketplaceCase

#: marketplace -> (list endpoint template, key of the orders in its answer, id key)
LISTS = {
    "wildberries": ("/api/v3/orders", "orders", "id"),
    "ozon": ("/v4/posting/fbs/list", "postings", "posting_number"),
    "yandex": ("/v1/businesses/{businessId}/orders", "orders", "orderId"),
}
PER_MARKETPLACE = {"wildberries": 67, "ozon": 67, "yandex": 66}


class TestHostilePayloads(MarketplaceCase):
    def _inject(self, marketplace, count, seed, good=()):
        """Slip ``count`` hostile variants into the answer that carries the ``good`` orders (the
        import reads its window slice by slice: the variants share that order's time)."""
        template, key, id_key = LISTS[marketplace]
        injected = []
        good = {str(g) for g in good}

        def rewrite(body):
            if injected or not isinstance(body, dict) or not body.get(key):
                return body
            valids = [o for o in body[key] if not good or str(o.get(id_key)) in good]
            if not valids:
                return body
            valid = valids[0]
            bad = hostile.variants(valid, count, seed=seed, id_key=id_key)
            injected.extend(bad)
            body[key] = list(body[key]) + bad
            return body

        self.emulator.rewrite_responses(marketplace, template, rewrite)
        self.addCleanup(self.emulator.clear_rewrites)
        return injected

    def test_hostile_payloads(self):
        Log = self.env["marketplace.sync.log"]
        Binding = self.env["marketplace.order"]
        total = 0
        for seed, (mp, count) in enumerate(PER_MARKETPLACE.items(), start=1):
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                good = self.emulator.apps[mp].add_orders(5, offer_codes=self.known_codes(20), scheme="fbs")
                injected = self._inject(mp, count, seed)
                # the window read in one slice: the variants keep the time of the order they
                # copy, and a slice takes only the orders created in it
                self.env["ir.config_parameter"].sudo().set_param("marketplace_connector.import_slice_hours", "96")
                log_before = Log.search_count([("account_id", "=", account.id), ("operation", "=", "payload")])
                self.assertTrue(self.run_import(account), account.last_error)
                self.assertEqual(len(injected), count, "the hostile payloads were served")
                total += len(injected)
                # the good orders of the same pages are all in
                sales = self.sale_orders(account)
                self.assertTrue(set(good) <= set(sales.mapped("marketplace_external_id")))
                # nothing half-created: every sale order has its imported binding, and
                # no held/error binding has a sale order
                bindings = Binding.search([("account_id", "=", account.id)])
                imported = bindings.filtered(lambda b: b.import_state == "imported")
                self.assertEqual(set(imported.sale_order_id.ids), set(sales.ids))
                self.assertFalse(bindings.filtered(lambda b: b.import_state != "imported").sale_order_id)
                for sale in sales:
                    self.assertTrue(sale.order_line, "no sale order without lines")
                    self.assertTrue(all(line.product_uom_qty > 0 and line.price_unit >= 0
                                        for line in sale.order_line))
                    self.assertNotIn("<script", " ".join(sale.order_line.mapped("name")))
                # each hostile payload: either an order (imported or held, e.g. markup
                # stripped, unknown article) or one clear "rejected payload" log entry
                ids = {str(p.get(LISTS[mp][2])) for p in injected}
                accepted = bindings.filtered(lambda b: b.external_id in ids and b.import_state != "error")
                logs = Log.search([("account_id", "=", account.id), ("operation", "=", "payload")])
                self.assertEqual(len(logs) - log_before + len(accepted), len(injected))
                for log in logs:
                    self.assertEqual(log.state, "error")
                    self.assertTrue(log.error.startswith("Malformed order payload: "))
                    self.assertLess(len(log.error), 600)
                    self.assertNotIn("Traceback", log.error)
                held = accepted.filtered(lambda b: b.import_state == "held")
                self.assertTrue(held, "the unknown articles are held")
                self.assertTrue(all("NO-SUCH" in b.hold_reason for b in held if "NO-SUCH" in (b.offer_codes or "")))
        self.assertEqual(total, 200)
