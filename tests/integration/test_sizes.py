"""Sized goods: a Wildberries card has one seller's article and a size (chrtID, barcode) per
product variant; Ozon and Yandex Market sell each size as its own offer of one model."""
from datetime import datetime, timedelta, timezone

from odoo.tests.common import new_test_user

from .common import MarketplaceCase


class TestSizes(MarketplaceCase):
    sized = True

    def variant_of_barcode(self, barcode):
        return next(v for sizes in self.sized_products.values() for v in sizes.values() if v.barcode == barcode)

    def test_wildberries_catalogue_maps_each_size_to_its_variant(self):
        account = self.accounts["wildberries"]
        cards = self.emulator.sized_cards["wildberries"]
        self.assertTrue(all(len(card["sizes"]) > 1 for card in cards))
        for card in cards:
            mappings = account.product_mapping_ids.filtered(lambda m, c=card: m.offer_code == c["offer_code"])
            self.assertEqual(len(mappings), len(card["sizes"]), "one mapping per size")
            for size in card["sizes"]:
                mapping = mappings.filtered(lambda m, s=size: m.variant_key == str(s["chrt_id"]))
                self.assertEqual(len(mapping), 1)
                self.assertEqual(mapping.barcode, size["barcode"])
                self.assertEqual(mapping.size_name, size["tech_size"])
                self.assertEqual(mapping.product_id, self.variant_of_barcode(size["barcode"]))
        # read again (as a manager): nothing doubles, nothing breaks
        manager = new_test_user(self.env, "mp_sizes_manager", groups="marketplace_connector.group_marketplace_user")
        count = len(account.product_mapping_ids)
        account.with_user(manager).action_import_catalog()
        self.assertEqual(len(account.product_mapping_ids), count)

    def test_wildberries_order_of_a_size_is_a_line_of_that_variant(self):
        account = self.accounts["wildberries"]
        app = self.emulator.wildberries
        card = self.emulator.sized_cards["wildberries"][0]
        sizes = card["sizes"][1:3]
        ids = app.add_orders(6, chrt_ids=[s["chrt_id"] for s in sizes], scheme="fbs",
                             created_at=datetime.now(timezone.utc) - timedelta(minutes=5))
        self.assertTrue(self.run_import(account), account.last_error)
        by_chrt = {s["chrt_id"]: s for s in sizes}
        for ext in ids:
            raw = app.orders[ext]
            sale = self.sale_orders(account).filtered(lambda s, e=ext: s.marketplace_external_id == e)
            self.assertEqual(len(sale), 1)
            expected = self.variant_of_barcode(by_chrt[raw["chrtId"]]["barcode"])
            self.assertEqual(sale.order_line.product_id, expected)
            self.assertEqual(sale.order_line.marketplace_offer_code, card["offer_code"])

    def test_ozon_and_yandex_offers_of_one_model_map_to_their_variants(self):
        for mp in ("ozon", "yandex"):
            with self.subTest(marketplace=mp):
                account = self.accounts[mp]
                groups = self.emulator.sized_cards[mp]
                self.assertTrue(groups)
                for group in groups:
                    offers = group.get("offers") or group.get("sizes")
                    self.assertGreater(len(offers), 1)
                    for offer in offers:
                        mapping = account.product_mapping_ids.filtered(
                            lambda m, o=offer: m.offer_code == o["offer_code"])
                        self.assertEqual(len(mapping), 1)
                        self.assertEqual(mapping.product_id, self.variant_of_barcode(offer["barcode"]))
                offer = (groups[0].get("offers") or groups[0].get("sizes"))[-1]
                app = self.emulator.apps[mp]
                ids = app.add_orders(2, offer_codes=[offer["offer_code"]], scheme="fbs", max_lines=1,
                                     created_at=datetime.now(timezone.utc) - timedelta(minutes=5))
                self.assertTrue(self.run_import(account), account.last_error)
                for ext in ids:
                    sale = self.sale_orders(account).filtered(lambda s, e=ext: s.marketplace_external_id == e)
                    self.assertEqual(sale.order_line.product_id, self.variant_of_barcode(offer["barcode"]))
