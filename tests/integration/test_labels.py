"""Issue 7, section 4: labels and stickers fetched from the marketplace onto the delivery order,
printed from it, one file for several delivery orders.

Each test puts the marketplace's order in the status its API requires (or not), presses the
buttons as a Marketplace User, and checks the result against the source: the files the
emulator served and the requests it received."""
import io
import math
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import new_test_user

from odoo.addons.marketplace_connector.lib import labels_pdf

from .common import MarketplaceCase

try:
    import pypdf
except ImportError:  # the system's older name
    import PyPDF2 as pypdf

MARKETPLACES = ("wildberries", "ozon", "yandex")
USER_GROUPS = "marketplace_connector.group_marketplace_user"
ADMIN_GROUPS = "marketplace_connector.group_marketplace_admin"
LABEL_ROUTES = {
    "wildberries": "/api/v3/orders/stickers",
    "ozon": "/v2/posting/fbs/package-label",
    "yandex": "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels",
}


def pdf_texts(data):
    return [page.extract_text().strip() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


class TestLabels(MarketplaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="mp_labels_manager", groups=USER_GROUPS)
        cls.admin = new_test_user(cls.env, login="mp_labels_admin", groups=ADMIN_GROUPS)
        cls.storekeeper = new_test_user(cls.env, login="mp_labels_storekeeper", groups="stock.group_stock_user")

    def setUp(self):
        super().setUp()
        self.emulator.reset_records()
        self.emulator.wildberries.served_stickers.clear()
        self.emulator.ozon.served_labels.clear()
        self.emulator.ozon.label_pages.clear()
        self.emulator.yandex.served_labels.clear()
        self.emulator.yandex.label_boxes.clear()

    # --- helpers ------------------------------------------------------------------------------
    def imported_pickings(self, mp, count, ready=True):
        """{external id: delivery order} of ``count`` FBS orders imported from the emulator, put
        (or not) in the status in which the marketplace gives labels."""
        account, app = self.accounts[mp], self.emulator.apps[mp]
        ids = app.add_orders(count, offer_codes=self.known_codes(10), scheme="fbs", max_lines=1)
        self.assertTrue(self.run_import(account))
        if ready:
            for ext in ids:
                app.set_state(ext, "processing")
        sales = self.sale_orders(account).filtered(lambda s: s.marketplace_external_id in ids)
        pickings = {s.marketplace_external_id: s.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
                    for s in sales}
        self.assertEqual(set(pickings), set(ids))
        for picking in pickings.values():
            self.assertEqual(len(picking), 1)
        return {ext: pickings[ext] for ext in ids}

    def served(self, mp, ext):
        """The file the emulator served for an order (the source)."""
        if mp == "wildberries":
            return self.emulator.wildberries.served_stickers[ext]
        if mp == "yandex":
            return self.emulator.yandex.served_labels[ext]
        for numbers, data in reversed(self.emulator.ozon.served_labels):
            if numbers == (ext,):
                return data
        raise AssertionError(f"no label of {ext} alone was served")

    def printed(self, pickings, user=None):
        action = pickings.with_user(user or self.manager).action_marketplace_print_labels()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        # the manager who printed it can download it
        attachment = self.env["ir.attachment"].with_user(user or self.manager).browse(attachment_id)
        return attachment.name, attachment.raw

    def label_attachments(self, picking):
        return self.env["ir.attachment"].search([("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)])

    # --- tests --------------------------------------------------------------------------------
    def test_labels_are_fetched_attached_and_printed_for_each_marketplace(self):
        names = {"wildberries": "WB-sticker-{}.png", "ozon": "Ozon-label-{}.pdf", "yandex": "YM-label-{}.pdf"}
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                self.emulator.reset_records()
                pickings = self.imported_pickings(mp, 2)
                (first, a), (second, b) = pickings.items()
                # one delivery order, from its form
                result = a.with_user(self.manager).action_marketplace_fetch_labels()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                label = a.marketplace_label_id
                self.assertEqual(label.name, names[mp].format(first))
                self.assertEqual(label.raw, self.served(mp, first), "the attachment is the marketplace's file")
                self.assertEqual(self.label_attachments(a), label)
                self.assertIn(label.name, a.message_ids[0].body)
                # the manager sees the attachment of the picking
                self.assertEqual(label.with_user(self.manager).raw, label.raw)
                # both, from the list: the label of the first is replaced, not doubled
                if mp == "yandex":
                    self.emulator.yandex.label_boxes[second] = 2
                both = a | b
                result = both.with_user(self.manager).action_marketplace_fetch_labels()
                self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
                self.assertFalse(label.exists(), "the previous label is replaced")
                self.assertEqual(len(self.label_attachments(a)), 1)
                if mp == "ozon":
                    # one call for both postings, the PDF cut into one label each
                    self.assertEqual([pdf_texts(p.marketplace_label_id.raw) for p in (a, b)], [[first], [second]])
                    self.assertEqual(self.emulator.ozon.served_labels[-1][0], (first, second))
                else:
                    for ext, picking in pickings.items():
                        self.assertEqual(picking.marketplace_label_id.raw, self.served(mp, ext))
                calls = self.emulator.requests_to(mp, LABEL_ROUTES[mp])
                self.assertEqual(len(calls), 2 if mp != "yandex" else 3)  # Yandex: one call an order
                # one print for both
                name, data = self.printed(both)
                self.assertEqual(name, "marketplace-labels.pdf")
                expected_pages = 3 if mp == "yandex" else 2
                self.assertEqual(labels_pdf.page_count(data), expected_pages)
                if mp == "wildberries":
                    self.assertEqual(labels_pdf.page_sizes_mm(data), [(58.0, 40.0)] * 2)
                else:
                    texts = pdf_texts(data)
                    self.assertTrue(texts[0].startswith(first) and texts[-1].startswith(second), texts)
                # the calls are in the sync log
                log = self.env["marketplace.sync.log"].search([("account_id", "=", self.accounts[mp].id),
                                                               ("operation", "=", "labels")])
                self.assertTrue(log)

    def test_labels_of_an_order_not_ready_are_not_attached_and_the_reason_is_told(self):
        reasons = {"wildberries": "confirm", "ozon": "aren't ready", "yandex": "STARTED"}
        for mp in MARKETPLACES:
            with self.subTest(marketplace=mp):
                [(ext, picking)] = self.imported_pickings(mp, 1, ready=False).items()
                result = picking.with_user(self.manager).action_marketplace_fetch_labels()
                self.assertEqual(result["params"]["type"], "danger")
                self.assertIn(reasons[mp], result["params"]["message"])
                self.assertFalse(picking.marketplace_label_id)
                self.assertFalse(self.label_attachments(picking))
                self.assertIn(reasons[mp], picking.marketplace_label_note)
                with self.assertRaises(UserError) as info:
                    picking.with_user(self.manager).action_marketplace_print_labels()
                self.assertIn(picking.display_name, str(info.exception))
                # ready later: fetched then, the note gone
                self.emulator.apps[mp].set_state(ext, "processing")
                picking.with_user(self.manager).action_marketplace_fetch_labels()
                self.assertEqual(picking.marketplace_label_id.raw, self.served(mp, ext))
                self.assertFalse(picking.marketplace_label_note)

    def test_a_transfer_of_no_marketplace_order_has_no_label_button(self):
        partner = self.env["res.partner"].create({"name": "Покупатель в магазине"})
        picking = self.env["stock.picking"].create({
            "partner_id": partner.id, "picking_type_id": self.warehouse.out_type_id.id,
            "location_id": self.warehouse.lot_stock_id.id,
            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
        })
        self.assertFalse(picking.marketplace_account_id, "the form hides the buttons")
        arch = self.env["stock.picking"].with_user(self.manager).get_view(view_type="form")["arch"]
        self.assertIn('name="action_marketplace_fetch_labels"', arch)
        self.assertIn("not marketplace_account_id", arch)
        for action in ("action_marketplace_fetch_labels", "action_marketplace_print_labels"):
            with self.assertRaises(UserError) as info:
                getattr(picking.with_user(self.manager), action)()
            self.assertIn("marketplace order", str(info.exception))
        self.assertEqual(self.emulator.requests_to("wildberries", LABEL_ROUTES["wildberries"]), [])

    def test_zpl_stickers_print_as_one_file_for_a_thermal_printer(self):
        account = self.accounts["wildberries"]
        account.with_user(self.admin).write({"label_sticker_type": "zplv", "label_sticker_size": "40x30"})
        pickings = self.imported_pickings("wildberries", 3)
        records = self.env["stock.picking"].concat(*pickings.values())
        records.with_user(self.manager).action_marketplace_fetch_labels()
        [request] = self.emulator.requests_to("wildberries", LABEL_ROUTES["wildberries"])
        self.assertEqual(request.query, {"type": "zplv", "width": "40", "height": "30"})
        for ext, picking in pickings.items():
            self.assertEqual(picking.marketplace_label_id.name, f"WB-sticker-{ext}.zpl")
            self.assertEqual(picking.marketplace_label_id.raw, self.served("wildberries", ext))
        name, data = self.printed(records)
        self.assertEqual(name, "marketplace-labels.zpl")
        self.assertEqual(data.count(b"^XA"), 3)
        for ext in pickings:
            self.assertIn(f"^FD{ext}^FS".encode(), data)

    def test_png_stickers_of_40x30_print_on_pages_of_their_size(self):
        self.accounts["wildberries"].with_user(self.admin).label_sticker_size = "40x30"
        pickings = self.imported_pickings("wildberries", 2)
        records = self.env["stock.picking"].concat(*pickings.values())
        # printing fetches what is not fetched yet
        name, data = self.printed(records)
        self.assertEqual(labels_pdf.page_sizes_mm(data), [(40.0, 30.0)] * 2)
        for ext, picking in pickings.items():
            self.assertEqual(picking.marketplace_label_id.raw, self.served("wildberries", ext))

    def test_ozon_labels_are_asked_by_20_postings(self):
        pickings = self.imported_pickings("ozon", 23)
        records = self.env["stock.picking"].concat(*pickings.values())
        records.with_user(self.manager).action_marketplace_fetch_labels()
        calls = self.emulator.requests_to("ozon", LABEL_ROUTES["ozon"])
        self.assertEqual(len(calls), math.ceil(23 / 20))
        self.assertEqual(sorted(len(c.body["posting_number"]) for c in calls), [3, 20])
        for ext, picking in pickings.items():
            self.assertEqual(pdf_texts(picking.marketplace_label_id.raw), [ext])
        name, data = self.printed(records)
        self.assertEqual(pdf_texts(data), list(pickings))

    def test_only_marketplace_users_fetch_labels_and_after_shipment_fetches_them(self):
        [(ext, picking)] = self.imported_pickings("yandex", 1).items()
        with self.assertRaises(AccessError):
            picking.with_user(self.storekeeper).action_marketplace_fetch_labels()
        self.assertFalse(picking.marketplace_label_id)
        # the lifecycle reports the shipment, then asks for the labels
        attached, missing = picking._marketplace_after_shipment()
        self.assertEqual(attached, picking)
        self.assertEqual(missing, {})
        self.assertEqual(picking.marketplace_label_id.raw, self.served("yandex", ext))
        # the storekeeper who sees the picking sees its label
        self.assertEqual(picking.marketplace_label_id.with_user(self.storekeeper).raw,
                         picking.marketplace_label_id.raw)

    def test_a_marketplace_failure_is_reported_and_logged_nothing_attached(self):
        [(ext, picking)] = self.imported_pickings("ozon", 1).items()
        self.emulator.faults.force("ozon", "5xx", count=6, path=LABEL_ROUTES["ozon"])
        attached, missing = picking._marketplace_fetch_labels(sleep=self.sleeps.append, backoff_base=0.01)
        self.assertFalse(attached)
        self.assertIn("could not give the labels", missing[picking])
        self.assertFalse(picking.marketplace_label_id)
        log = self.env["marketplace.sync.log"].search([("account_id", "=", self.accounts["ozon"].id),
                                                       ("operation", "=", "labels")])
        self.assertTrue(log.filtered(lambda r: r.state == "error"))
        self.assertEqual(len(self.emulator.requests_to("ozon", LABEL_ROUTES["ozon"])), 6)
