"""Odoo tests of marketplace_edo: what is refused or flagged before a УПД file is made — the
ФНС schemas set by the administrator (validated or visibly not), a VAT payer's row without
VAT, text that cannot be written, a file identifier too long — and the «Make УПД» action on a
list of invoices as the accountant runs it."""
import os
from pathlib import Path
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests.common import new_test_user

from odoo.addons.marketplace_edo.lib import upd_parse, xsd

from tests.integration.test_edo import EdoCase

PARAM = "marketplace_edo.xsd_dir"


class TestSchemaSetting(EdoCase):
    def setUp(self):
        super().setUp()
        # each test decides where the schemas are: neither the server's variable nor the setting
        environ = patch.dict(os.environ)
        environ.start()
        self.addCleanup(environ.stop)
        os.environ.pop("EDO_XSD_DIR", None)
        self.env["ir.config_parameter"].set_param(PARAM, False)

    def invoice(self):
        return self.make_invoice(self.buyer, [self.line(self.grinder, 2, 2451.64)])

    def test_setting_names_the_folder_and_each_document_records_its_check(self):
        self.env["ir.config_parameter"].set_param(PARAM, str(self.xsd_folder))
        move = self.invoice()
        move.action_edo_upd_xml()
        document = move.edo_document_ids
        self.assertTrue(document.xsd_validated)
        self.assertEqual(document.xsd_schema, "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd")
        self.assertIn("checked against the ФНС schema ON_NSCHFDOPPR_1_997_01_05_03_05.xsd",
                      document.event_ids.text)

    def test_without_the_folder_the_file_is_made_and_says_it_was_not_checked(self):
        move = self.invoice()
        move.action_edo_upd_xml()
        document = move.edo_document_ids
        self.assertTrue(document.attachment_id)
        self.assertEqual(xsd.validate(document.attachment_id.raw), [])  # the generator's checks held
        self.assertFalse(document.xsd_validated)
        self.assertFalse(document.xsd_schema)
        self.assertIn("not checked against the ФНС schema", document.event_ids.text)
        # the form shows it: a warning banner on exactly such a document
        arch = etree.fromstring(self.env["edo.document"].get_view(view_type="form")["arch"])
        (banner,) = arch.xpath("//div[@name='xsd_not_checked']")
        self.assertIn("alert-warning", banner.get("class"))
        self.assertEqual(banner.get("invisible"), "direction != 'outgoing' or not attachment_id or xsd_validated")
        self.assertIn("Not checked against the ФНС schema", "".join(banner.itertext()))
        unchecked = self.env["edo.document"].search([("xsd_validated", "=", False), ("direction", "=", "outgoing"),
                                                     ("attachment_id", "!=", False)])
        self.assertIn(document, unchecked)
        # set later, the folder checks the regenerated file
        self.env["ir.config_parameter"].set_param(PARAM, str(self.xsd_folder))
        move.action_edo_upd_regenerate()
        self.assertTrue(document.xsd_validated)

    def test_the_servers_variable_overrides_the_setting(self):
        self.env["ir.config_parameter"].set_param(PARAM, "/nonexistent/fns-xsd")
        os.environ["EDO_XSD_DIR"] = str(self.xsd_folder)
        move = self.invoice()
        move.action_edo_upd_xml()
        self.assertTrue(move.edo_document_ids.xsd_validated)

    def test_a_folder_without_the_schema_is_an_error_not_a_silent_skip(self):
        self.env["ir.config_parameter"].set_param(PARAM, "/nonexistent/fns-xsd")
        move = self.invoice()
        with self.assertRaisesRegex(UserError, r"(?s)/nonexistent/fns-xsd.*Settings → Invoicing → EDO"):
            move.action_edo_upd_xml()
        self.assertFalse(move.edo_document_ids)
        empty = Path(self.xsd_folder).parent  # a folder, but the schema is not in it
        self.env["ir.config_parameter"].set_param(PARAM, str(empty))
        with self.assertRaisesRegex(UserError, "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd"):
            move.action_edo_upd_xml()

    def test_a_file_that_fails_the_schema_is_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM, str(self.xsd_folder))
        move = self.invoice()
        doc = move._edo_upd_document()
        doc.lines[0].vat_rate = "99%"  # a rate the schema does not know, past the generator's checks
        Document = self.env["edo.document"]
        with patch("odoo.addons.marketplace_edo.lib.upd.check_document", return_value=[]):
            with self.assertRaisesRegex(UserError, "does not pass the ФНС schema"):
                Document._make_upd_file(move, doc, Document._xsd_folder(), Document._upd_now())

    def test_administrator_sets_the_folder_in_the_settings(self):
        admin = new_test_user(self.env, login="edo_admin", groups="base.group_system,account.group_account_manager",
                              company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        Settings = self.env["res.config.settings"].with_user(admin)
        # the EDO block of the Invoicing settings
        arch = etree.fromstring(Settings.get_view(view_type="form")["arch"])
        self.assertTrue(arch.xpath("//app[@name='account']//block[@name='marketplace_edo_settings']"
                                   "//field[@name='edo_xsd_dir']"))
        settings = Settings.create({})
        self.assertIn("Not set", settings.edo_xsd_status)
        with self.assertRaisesRegex(UserError, "cannot be used"):
            Settings.create({"edo_xsd_dir": "/nonexistent/fns-xsd"}).execute()
        self.assertFalse(self.env["ir.config_parameter"].get_param(PARAM))
        settings = Settings.create({"edo_xsd_dir": str(self.xsd_folder)})
        self.assertIn("ON_NSCHFDOPPR_1_997_01_05_03_05.xsd found in", settings.edo_xsd_status)
        settings.execute()
        self.assertEqual(self.env["ir.config_parameter"].get_param(PARAM), str(self.xsd_folder))
        self.assertEqual(Settings.create({}).edo_xsd_dir, str(self.xsd_folder))


class TestRefusedBeforeTheFile(EdoCase):
    def test_vat_payers_row_without_tax_is_refused_naming_the_row(self):
        move = self.make_invoice(self.buyer, [
            self.line(self.grinder, 1, 100.0),
            self.line(self.tea, 2, 310.55, taxes=self.env["account.tax"]),
        ])
        with self.assertRaises(UserError) as caught:
            move.action_edo_upd_xml()
        message = caught.exception.args[0]
        self.assertIn("Row 2 «Чай зелёный, 100 г»", message)
        self.assertIn(move.name, message)
        self.assertIn("без НДС", message)
        self.assertFalse(move.edo_document_ids)
        # a sale exempt from VAT is said by its tax: then «без НДС» is written
        move.button_draft()
        move.invoice_line_ids[1].tax_ids = self.tax_exempt
        move.action_post()
        _document, data = self.upd_of(move)
        self.assertEqual([ln.vat_rate for ln in upd_parse.parse_upd(data).lines], ["22%", "без НДС"])

    def test_supply_of_a_product_without_tax_is_refused_for_a_vat_payer(self):
        tea = self.env["product.product"].create({"name": "Чай зелёный, 100 г", "type": "consu", "is_storable": True,
                                                  "list_price": 310.5, "taxes_id": False})
        location = self.env["stock.location"].create({
            "name": "WB Коледино", "usage": "internal", "location_id": self.warehouse.view_location_id.id,
            "company_id": self.company.id})
        account = self.env["marketplace.account"].create({
            "name": "Wildberries", "marketplace": "wildberries", "company_id": self.company.id,
            "warehouse_id": self.warehouse.id, "environment": "sandbox"})
        self.env["marketplace.warehouse.mapping"].create({
            "account_id": account.id, "ref": "507", "name": "Коледино", "scheme": "fbo", "location_id": location.id})
        self.env.ref("marketplace_edo.partner_legal_wildberries").edo_participant_id = "2BM-9714053621-507401001-1"
        self.add_stock(tea, 3)
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.int_type_id.id, "location_id": self.stock.id,
            "location_dest_id": location.id,
            "move_ids": [(0, 0, {"name": "Чай", "product_id": tea.id, "product_uom_qty": 3,
                                 "product_uom": tea.uom_id.id, "location_id": self.stock.id,
                                 "location_dest_id": location.id})]})
        picking.action_confirm()
        self.validate(picking)
        with self.assertRaisesRegex(UserError, "Row 1: the product Чай зелёный, 100 г has no customer tax"):
            picking.action_edo_fbo_upd()

    def test_text_that_cannot_be_written_is_named(self):
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)])
        doc = move._edo_upd_document()
        doc.buyer.name = "ООО «КИП\ud800СПБ»"  # what a broken import could leave in memory
        Document = self.env["edo.document"]
        with self.assertRaises(UserError) as caught:
            Document._make_upd_file(move, doc, Document._xsd_folder(), Document._upd_now())
        message = caught.exception.args[0]
        self.assertIn("Наименование покупателя: символ U+D800 не может быть записан в файл", message)
        self.assertIn(move.name, message)

    def test_file_identifier_too_long_is_refused_naming_its_parts(self):
        self.company.partner_id.edo_participant_id = "2BM-7707083893-770701001-" + "1" * 75
        self.buyer.edo_participant_id = "2BM-7805781663-780501001-" + "2" * 75
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)])
        with self.assertRaises(UserError) as caught:
            move.action_edo_upd_xml()
        message = caught.exception.args[0]
        self.assertIn("Идентификатор файла (ИдФайл) получится длиной 261 символов, а допускается до 255", message)
        self.assertIn("получателя (ИдПол, 100 символов) и отправителя (ИдОтпр, 100 символов)", message)
        self.assertFalse(move.edo_document_ids)


class TestBatch(EdoCase):
    def test_accountant_makes_the_upd_of_a_list_of_invoices(self):
        accountant = new_test_user(self.env, login="edo_batch_accountant", groups="marketplace_edo.group_edo_user",
                                   company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        good = [self.make_invoice(self.buyer, [self.line(self.grinder, n, 100.0 + n), self.line(self.tea, 1, 10.0)])
                for n in range(1, 4)]
        untaxed = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 5.0, taxes=self.env["account.tax"])])
        draft = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 5.0)], post=False)
        good[0].action_edo_upd_xml()  # already has its file: kept as it is
        first_file = good[0].edo_document_ids.attachment_id
        moves = self.env["account.move"].browse([m.id for m in good + [untaxed, draft]]).with_user(accountant)
        # the list's Action menu, as the accountant sees it
        action = self.env.ref("marketplace_edo.action_server_edo_upd_batch")
        self.assertEqual(action.binding_model_id.model, "account.move")
        self.assertIn(self.env.ref("marketplace_edo.group_edo_user"), action.groups_id)
        result = action.with_user(accountant).with_context(
            active_model="account.move", active_ids=moves.ids).run()
        self.assertEqual(result["params"]["type"], "warning")
        message = result["params"]["message"]
        self.assertIn("3 УПД ready.", message)
        self.assertIn(f"{untaxed.name}: ", message)
        self.assertIn("has no VAT", message)
        self.assertIn("Post the invoice", message)
        self.assertFalse(untaxed.edo_document_ids or draft.edo_document_ids)
        self.assertEqual(good[0].edo_document_ids.attachment_id, first_file)
        for move in good:
            document = move.edo_document_ids
            self.assertEqual(len(document), 1)
            self.assertTrue(document.xsd_validated)
            data = document.attachment_id.raw
            self.assert_valid(data)
            parsed = upd_parse.parse_upd(data)
            self.assertEqual(parsed.number, move.name)
            self.assertEqual(parsed.buyer.inn, self.buyer.vat)
            self.assertEqual(str(parsed.totals.amount_with_vat), "%.2f" % move.amount_total)
            self.assertEqual(document.event_ids.mapped("kind"), ["created"])
        # the same files the next time
        again = moves.with_user(accountant)._edo_make_upds()[0]
        self.assertEqual(again, (good[0] | good[1] | good[2]).edo_document_ids)
