"""Odoo tests of marketplace_edo: the УПД of invoices and of FBO supplies (XML checked against
the ФНС XSD, amounts to the kopeck), its printed form, and the exchange with Kontur.Diadoc
through the loopback emulator (send, statuses, incoming documents).

The ФНС schemas: every test runs with the administrator's setting pointing at the folder of the
XSD files (``../shared/edo/xsd``, or ``$EDO_XSD_DIR``), so each document made is validated by
the addon itself, and says so (``xsd_validated``)."""
import datetime
import json
from decimal import Decimal

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import TransactionCase, new_test_user

from odoo.addons.marketplace_edo.lib import upd, upd_model, upd_parse, xsd

from tests.emulator.diadoc import DiadocEmulator

OUR_INN, OUR_KPP = "7707083893", "770701001"
BUYER_INN, BUYER_KPP = "7805781663", "780501001"
IP_INN = "771345656416"
WB_INN = "7721546864"  # the emulator's marketplace box
KOPECK = Decimal("0.01")


def money(value):
    return Decimal(repr(value)).quantize(KOPECK)


def xml_root(data):
    return etree.fromstring(data)


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find_all(root, name):
    return [el for el in root.iter() if local(el.tag) == name]


class EdoCase(TransactionCase):
    test_tags = {"standard", "at_install"}
    test_module = "marketplace_edo"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        rub = env.ref("base.RUB")
        rub.active = True
        ru = env.ref("base.ru")
        company = env["res.company"].create({
            "name": "ООО «Ромашка»",
            "currency_id": rub.id,
            "country_id": ru.id,
            "vat": OUR_INN,
            "zip": "101000",
            "city": "г. Москва",
            "street": "ул. Мясницкая, д. 1",
        })
        company.write({
            "edo_kpp": OUR_KPP,
            "edo_participant_id": "2BM-7707083893-770701001-201305280959450926853",
            "edo_signer_last_name": "Иванов",
            "edo_signer_first_name": "Иван",
            "edo_signer_middle_name": "Иванович",
            "edo_signer_position": "Генеральный директор",
            "edo_signer_authority": "Устав",
            "edo_chief_accountant": "Петрова А. С.",
        })
        env.user.company_ids |= company
        env.user.company_id = company
        # validation on: the installation's setting names the folder of the ФНС schemas
        cls.xsd_folder = xsd.xsd_dir()
        env["ir.config_parameter"].set_param("marketplace_edo.xsd_dir", str(cls.xsd_folder))
        cls.env = env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        cls.company = company = env["res.company"].browse(company.id)
        env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
        company.currency_id = rub  # the generic chart brings its own currency

        Tax = env["account.tax"]

        def tax(name, amount, use="sale", **kw):
            return Tax.create({"name": name, "amount": amount, "amount_type": "percent", "type_tax_use": use,
                               "company_id": company.id, **kw})

        cls.tax22 = tax("НДС 22%", 22)
        cls.tax10 = tax("НДС 10%", 10)
        cls.tax0 = tax("НДС 0%", 0)
        cls.tax22_incl = tax("НДС 22% (в цене)", 22, price_include_override="tax_included")
        cls.tax_exempt = tax("Без НДС (ст. 149 НК РФ)", 0, edo_vat_rate="без НДС")
        cls.purchase22 = tax("НДС 22% (покупки)", 22, use="purchase")

        Partner = env["res.partner"]
        cls.buyer = Partner.create({
            "name": "ООО «КИП СПБ»", "is_company": True, "vat": BUYER_INN, "edo_kpp": BUYER_KPP,
            "country_id": ru.id, "zip": "198095", "city": "г. Санкт-Петербург", "street": "ул. Промышленная, д. 19",
            "edo_participant_id": "2BM-7805781663-780501001-201506150957265430042",
            "edo_box_id": DiadocEmulator.COUNTERAGENT_BOX,
        })
        cls.ip_buyer = Partner.create({
            "name": "ИП Сидоров Пётр Николаевич", "is_company": True, "vat": IP_INN,
            "country_id": ru.id, "city": "г. Москва", "street": "ул. Тверская, д. 7",
            "edo_participant_id": "2BM-771345656416-2012052808301120662630000000000",
        })
        Product = env["product.product"]
        cls.grinder = Product.create({"name": "Кофемолка ручная", "default_code": "GR-1", "type": "consu",
                                      "is_storable": True, "list_price": 2451.64,
                                      "taxes_id": [Command.set(cls.tax22.ids)]})
        cls.tea = Product.create({"name": "Чай зелёный, 100 г", "type": "consu", "list_price": 310.5,
                                  "taxes_id": [Command.set(cls.tax10.ids)]})
        cls.book = Product.create({"name": "Книга (экспорт)", "type": "consu", "list_price": 999.99,
                                   "taxes_id": [Command.set(cls.tax0.ids)]})
        cls.delivery = Product.create({"name": "Доставка", "type": "service", "list_price": 333.33,
                                       "taxes_id": [Command.set(cls.tax22_incl.ids)]})
        cls.shoes = Product.create({"name": "Кроссовки беговые", "default_code": "SH-42", "type": "consu",
                                    "is_storable": True, "tracking": "serial", "edo_marked": True,
                                    "barcode": "4601234567893", "list_price": 5000.0,
                                    "taxes_id": [Command.set(cls.tax22.ids)]})
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id

    # --- helpers -----------------------------------------------------------------------
    def make_invoice(self, partner, lines, post=True, **vals):
        move = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": datetime.date(2026, 8, 14),
            "invoice_line_ids": [Command.create(line) for line in lines],
            **vals,
        })
        if post:
            move.action_post()
        return move

    def line(self, product, quantity, price, taxes=None, **kw):
        if taxes is None:
            taxes = product.taxes_id.filtered(lambda t: t.company_id == self.company)
        return {"product_id": product.id, "quantity": quantity, "price_unit": price,
                "tax_ids": [Command.set(taxes.ids)], **kw}

    def upd_of(self, record):
        record.action_edo_upd_xml() if record._name == "account.move" else record.action_edo_fbo_upd()
        document = record.edo_document_ids.filtered(lambda d: d.direction == "outgoing")
        self.assertEqual(len(document), 1)
        # the addon validated the file itself, against the schema of the setting
        self.assertTrue(document.xsd_validated)
        self.assertEqual(document.xsd_schema, xsd.SCHEMAS["5.03"])
        return document, document.attachment_id.raw

    def assert_valid(self, data):
        self.assertTrue(data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>'))
        self.assertEqual(xsd.validate(data, "5.03"), [])

    def add_serials(self, product, codes, location=None):
        for code in codes:
            lot = self.env["stock.lot"].create({"name": code, "product_id": product.id,
                                                "company_id": self.company.id})
            self.env["stock.quant"]._update_available_quantity(product, location or self.stock, 1, lot_id=lot)

    def add_stock(self, product, qty):
        self.env["stock.quant"]._update_available_quantity(product, self.stock, qty)

    def validate(self, picking):
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        picking.move_ids.picked = True
        result = picking.button_validate()
        self.assertIs(result, True)
        self.assertEqual(picking.state, "done")


class TestUpdInvoice(EdoCase):
    def test_several_rates_xml_valid_and_kopeck_exact(self):
        move = self.make_invoice(self.buyer, [
            self.line(self.grinder, 2, 2451.64),
            self.line(self.tea, 3, 310.55),
            self.line(self.book, 1, 999.99),
            self.line(self.delivery, 3, 33.33),  # price includes 22%: 99.99 with VAT
            self.line(self.tea, 7, 0.35, taxes=self.tax_exempt),  # без НДС: an exempt sale
            self.line(self.grinder, 1, 1000.0, discount=12.5),
        ])
        document, data = self.upd_of(move)
        self.assert_valid(data)
        att = document.attachment_id
        self.assertEqual((att.res_model, att.res_id), ("account.move", move.id))
        root = xml_root(data)
        self.assertEqual(att.name, root.get("ИдФайл") + ".xml")
        self.assertTrue(att.name.startswith("ON_NSCHFDOPPR_2BM-7805781663-780501001-"))
        parsed = upd_parse.parse_upd(data)
        self.assertEqual(parsed.function, "СЧФДОП")
        self.assertEqual(parsed.number, move.name)
        self.assertEqual(parsed.date, move.invoice_date)
        self.assertEqual((parsed.seller.inn, parsed.seller.kpp), (OUR_INN, OUR_KPP))
        self.assertEqual((parsed.buyer.inn, parsed.buyer.kpp), (BUYER_INN, BUYER_KPP))
        # the document's totals are the invoice's, to the kopeck
        self.assertEqual(parsed.totals.amount_without_vat, money(move.amount_untaxed))
        self.assertEqual(parsed.totals.vat_amount, money(move.amount_tax))
        self.assertEqual(parsed.totals.amount_with_vat, money(move.amount_total))
        self.assertEqual(parsed.warnings, ())
        self.assertEqual([ln.vat_rate for ln in parsed.lines], ["22%", "10%", "0%", "22%", "без НДС", "22%"])
        invoice_lines = move.invoice_line_ids
        for parsed_line, inv_line in zip(parsed.lines, invoice_lines):
            self.assertEqual(parsed_line.amount_without_vat, money(inv_line.price_subtotal))
            self.assertEqual(parsed_line.amount_with_vat, money(inv_line.price_total))
        self.assertEqual(parsed.lines[0].okei, "796")
        self.assertEqual(parsed.lines[0].price, Decimal("2451.64"))
        self.assertEqual(parsed.lines[3].amount_with_vat, Decimal("99.99"))
        self.assertEqual(parsed.lines[3].amount_without_vat + parsed.lines[3].vat_amount, Decimal("99.99"))
        self.assertEqual(parsed.lines[0].article, "GR-1")
        self.assertEqual(Decimal(document.amount_total).quantize(KOPECK), money(move.amount_total))
        # СвПродПер: shipped by the signer, no basis document
        self.assertEqual(len(find_all(root, "БезДокОснПер")), 1)
        signer = find_all(root, "Подписант")[0]
        self.assertEqual(signer.get("Должн"), "Генеральный директор")
        self.assertEqual(find_all(signer, "ФИО")[0].get("Фамилия"), "Иванов")
        self.assertEqual(document.state, "draft")
        self.assertEqual(move.edo_state, "draft")

        # the same file on the next click; a new one only on request
        move.action_edo_upd_xml()
        self.assertEqual(move.edo_document_ids.attachment_id, att)
        move.action_edo_upd_regenerate()
        self.assertEqual(len(move.edo_document_ids), 1)
        new_att = move.edo_document_ids.attachment_id
        self.assertNotEqual(new_att, att)
        self.assertFalse(att.exists(), "the replaced file is removed")
        self.assertEqual(self.env["ir.attachment"].search_count(
            [("res_model", "=", "account.move"), ("res_id", "=", move.id), ("name", "like", "ON_NSCHFDOPPR%")]), 1)
        self.assertIn("regenerated", document.event_ids.mapped("kind"))

    def test_vat_rounded_globally_still_matches_invoice(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        move = self.make_invoice(self.buyer, [self.line(self.tea, 1, 0.25) for _i in range(3)]
                                 + [self.line(self.grinder, 1, 0.15) for _i in range(3)])
        _document, data = self.upd_of(move)
        self.assert_valid(data)
        parsed = upd_parse.parse_upd(data)
        self.assertEqual(parsed.totals.vat_amount, money(move.amount_tax))
        self.assertEqual(parsed.totals.amount_with_vat, money(move.amount_total))
        self.assertEqual(sum(ln.vat_amount for ln in parsed.lines), money(move.amount_tax))

    def test_awkward_amounts_fractional_quantities_and_included_vat(self):
        self.env.ref("product.decimal_product_uom").digits = 3  # goods sold by weight
        kg = self.env.ref("uom.product_uom_kgm")
        coffee = self.env["product.product"].create({
            "name": "Кофе в зёрнах, на развес", "type": "consu", "uom_id": kg.id, "uom_po_id": kg.id,
            "taxes_id": [Command.set(self.tax10.ids)]})
        move = self.make_invoice(self.buyer, [
            self.line(coffee, 0.333, 33.33),
            self.line(self.delivery, 0.333, 99.99),  # 22% included in the price
            self.line(self.grinder, 7, 0.07, discount=33.33),
            self.line(self.delivery, 1, 0.01),
        ])
        _document, data = self.upd_of(move)
        self.assert_valid(data)
        parsed = upd_parse.parse_upd(data)
        self.assertEqual(parsed.totals.amount_without_vat, money(move.amount_untaxed))
        self.assertEqual(parsed.totals.vat_amount, money(move.amount_tax))
        self.assertEqual(parsed.totals.amount_with_vat, money(move.amount_total))
        self.assertEqual(sum(ln.amount_with_vat for ln in parsed.lines), parsed.totals.amount_with_vat)
        self.assertEqual(sum(ln.vat_amount for ln in parsed.lines), parsed.totals.vat_amount)
        self.assertEqual(parsed.lines[0].quantity, Decimal("0.333"))
        self.assertEqual(parsed.lines[0].okei, "166")
        for parsed_line, inv_line in zip(parsed.lines, move.invoice_line_ids):
            self.assertEqual(parsed_line.amount_with_vat, money(inv_line.price_total))
            self.assertEqual(parsed_line.amount_without_vat + parsed_line.vat_amount, parsed_line.amount_with_vat)

    def test_usn_seller_makes_transfer_document_without_vat(self):
        self.company.edo_vat_payer = False
        move = self.make_invoice(self.buyer, [
            self.line(self.grinder, 2, 1500.0, taxes=self.env["account.tax"]),
            self.line(self.delivery, 1, 250.0, taxes=self.env["account.tax"]),
        ])
        _document, data = self.upd_of(move)
        self.assert_valid(data)
        root = xml_root(data)
        self.assertEqual(find_all(root, "Документ")[0].get("Функция"), "ДОП")
        self.assertEqual({el.get("НалСт") for el in find_all(root, "СведТов")}, {"без НДС"})
        total = find_all(root, "ВсегоОпл")[0]
        self.assertEqual(total.get("СтТовУчНалВсего"), "3250.00")
        self.assertEqual(find_all(total, "БезНДС")[0].text, "без НДС")
        # a seller without VAT issues no invoice
        other = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 10.0, taxes=self.env["account.tax"])],
                                  edo_upd_function="СЧФДОП")
        with self.assertRaisesRegex(UserError, "ДОП"):
            other.action_edo_upd_xml()
        # and VAT on a line of such a seller is refused, not silently dropped
        taxed = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 10.0)])
        with self.assertRaisesRegex(UserError, "not paying VAT"):
            taxed.action_edo_upd_xml()

    def test_invoice_only_on_request(self):
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)], edo_upd_function="СЧФ")
        _document, data = self.upd_of(move)
        self.assert_valid(data)
        root = xml_root(data)
        doc = find_all(root, "Документ")[0]
        self.assertEqual(doc.get("Функция"), "СЧФ")
        self.assertIsNone(doc.get("НаимДокОпр"))
        self.assertFalse(find_all(root, "СвПродПер"))
        self.assertTrue(find_all(root, "ДокПодтвОтгрНом"))

    def test_entrepreneur_buyer(self):
        move = self.make_invoice(self.ip_buyer, [self.line(self.grinder, 1, 100.0)])
        _document, data = self.upd_of(move)
        self.assert_valid(data)
        buyer = find_all(xml_root(data), "СвПокуп")[0]
        ip = find_all(buyer, "СвИП")
        self.assertEqual(len(ip), 1)
        self.assertEqual(ip[0].get("ИННФЛ"), IP_INN)
        fio = find_all(ip[0], "ФИО")[0]
        self.assertEqual((fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")), ("Сидоров", "Пётр", "Николаевич"))
        self.assertFalse(find_all(buyer, "СвЮЛУч"))

    def test_contract_is_the_basis(self):
        self.buyer.write({"edo_contract_name": "Договор поставки", "edo_contract_number": "15/2026",
                          "edo_contract_date": datetime.date(2026, 1, 12)})
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)])
        _document, data = self.upd_of(move)
        basis = find_all(xml_root(data), "ОснПер")
        self.assertEqual(len(basis), 1)
        self.assertEqual((basis[0].get("РеквНаимДок"), basis[0].get("РеквНомерДок"), basis[0].get("РеквДатаДок")),
                         ("Договор поставки", "15/2026", "12.01.2026"))

    def test_missing_inn_is_a_clear_error(self):
        nameless = self.env["res.partner"].create({
            "name": "ООО «Без ИНН»", "is_company": True, "city": "г. Тверь", "street": "ул. Советская, 1",
            "edo_participant_id": "2BM-0000000000-000000000-1"})
        move = self.make_invoice(nameless, [self.line(self.grinder, 1, 100.0)])
        with self.assertRaises(UserError) as caught:
            move.action_edo_upd_xml()
        message = str(caught.exception.args[0])
        self.assertIn("Не указан ИНН покупателя", message)
        self.assertIn("Не указан КПП покупателя", message)
        self.assertIn(move.name, message)
        self.assertFalse(move.edo_document_ids)
        # the seller's signer too
        self.company.edo_signer_last_name = False
        with self.assertRaisesRegex(UserError, "фамилия подписанта"):
            self.make_invoice(self.buyer, [self.line(self.grinder, 1, 1.0)]).action_edo_upd_xml()

    def test_credit_note_is_refused(self):
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)])
        reversal = move._reverse_moves(cancel=False)
        reversal.action_post()
        self.assertEqual(reversal.move_type, "out_refund")
        with self.assertRaisesRegex(UserError, "УКД"):
            reversal.action_edo_upd_xml()
        self.assertFalse(reversal.edo_document_ids)
        with self.assertRaisesRegex(UserError, "УКД"):
            self.env["ir.actions.report"]._render_qweb_html("marketplace_edo.action_report_upd_invoice",
                                                             reversal.ids)

    def test_draft_invoice_is_refused(self):
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)], post=False)
        with self.assertRaisesRegex(UserError, "Post the invoice"):
            move.action_edo_upd_xml()

    def test_marking_codes_of_delivered_serials(self):
        codes = [
            "0104601234567893215Abc!\"%&'*+-.",
            "0104601234567893215Xyz0987654321",
            "0104601234567893215Tail123456789\x1d93dGVz",
        ]
        self.add_serials(self.shoes, codes)
        order = self.env["sale.order"].create({
            "partner_id": self.buyer.id,
            "order_line": [Command.create({"product_id": self.shoes.id, "product_uom_qty": 3, "price_unit": 5000.0})],
        })
        order.action_confirm()
        self.validate(order.picking_ids)
        invoice = order._create_invoices()
        invoice.invoice_date = datetime.date(2026, 8, 14)
        invoice.action_post()
        _document, data = self.upd_of(invoice)
        self.assert_valid(data)
        kiz = [el.text for el in find_all(xml_root(data), "КИЗ")]
        expected = codes[:2] + ["0104601234567893215Tail123456789"]
        self.assertEqual(sorted(kiz), sorted(expected))
        parsed = upd_parse.parse_upd(data)
        self.assertEqual(parsed.lines[0].gtin, "04601234567893")
        # the sale order is the basis when there is no contract; the shipment date is the delivery's
        basis = find_all(xml_root(data), "ОснПер")
        self.assertEqual(basis[0].get("РеквНомерДок"), order.name)
        transfer = find_all(xml_root(data), "СвПер")[0]
        done = fields.Datetime.context_timestamp(invoice, order.picking_ids.date_done)
        self.assertEqual(transfer.get("ДатаПер"), done.strftime("%d.%m.%Y"))

    def test_marking_codes_from_the_marketplace_order(self):
        self.add_stock(self.grinder, 5)
        order = self.env["sale.order"].create({
            "partner_id": self.buyer.id,
            "order_line": [Command.create({"product_id": self.grinder.id, "product_uom_qty": 2,
                                           "price_unit": 2451.64})],
        })
        order.order_line.marketplace_marking_codes = "010460123456789321AAA111\n010460123456789321BBB222"
        order.action_confirm()
        self.validate(order.picking_ids)
        invoice = order._create_invoices()
        invoice.invoice_date = datetime.date(2026, 8, 14)
        invoice.action_post()
        _document, data = self.upd_of(invoice)
        kiz = [el.text for el in find_all(xml_root(data), "КИЗ")]
        self.assertEqual(kiz, ["010460123456789321AAA111", "010460123456789321BBB222"])

    def test_unknown_unit_is_named(self):
        box = self.env["uom.uom"].create({"name": "Коробка", "category_id": self.env.ref("uom.product_uom_categ_unit").id,
                                          "uom_type": "bigger", "factor_inv": 10})
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0, product_uom_id=box.id)])
        with self.assertRaisesRegex(UserError, "Нет кода ОКЕИ для единицы «Коробка»"):
            move.action_edo_upd_xml()
        # the accountant maps the unit: the УПД is made with that code
        self.env["edo.okei"].create({"uom_id": box.id, "code": "8751", "name": "кор"})
        _document, data = self.upd_of(move)
        row = find_all(xml_root(data), "СведТов")[0]
        self.assertEqual((row.get("ОКЕИ_Тов"), row.get("НаимЕдИзм")), ("8751", "кор"))

    def test_printed_form_renders(self):
        move = self.make_invoice(self.buyer, [
            self.line(self.grinder, 2, 2451.64), self.line(self.tea, 1, 310.55)])
        html = self.env["ir.actions.report"]._render_qweb_html(
            "marketplace_edo.action_report_upd_invoice", move.ids)[0].decode()
        self.assertIn("Универсальный передаточный документ", html)
        self.assertIn("Статус: <strong>1</strong>", html)
        self.assertIn(move.name, html)
        self.assertIn("ООО «КИП СПБ»", html)
        self.assertIn(f"{BUYER_INN}/{BUYER_KPP}", html)
        self.assertIn("Иванов И. И.", html)
        total = money(move.amount_total)
        self.assertIn("{:,.2f}".format(total).replace(",", "\u00a0").replace(".", ","), html)
        self.assertIn("Шесть тысяч", html)  # 2 × 2451.64 × 1.22 + 310.55 × 1.1 = 6323.61
        self.assertIn("копе", html)
        self.assertIn("Всего к оплате (9)", html)
        # the styles are inside the page, where Odoo's PDF rendering keeps them
        page = html[html.index('<div class="page">'):]
        self.assertIn(".o_upd .o_upd_grid td", page)
        # the PDF path as Odoo runs it (in tests it falls back to HTML without wkhtmltopdf)
        content, kind = self.env["ir.actions.report"]._render_qweb_pdf(
            "marketplace_edo.action_report_upd_invoice", move.ids)
        self.assertIn(kind, ("pdf", "html"))
        self.assertTrue(content)


class TestFbo(EdoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.fbo_location = env["stock.location"].create({
            "name": "WB Коледино", "usage": "internal", "location_id": cls.warehouse.view_location_id.id,
            "company_id": cls.company.id})
        cls.account = env["marketplace.account"].create({
            "name": "Wildberries", "marketplace": "wildberries", "company_id": cls.company.id,
            "warehouse_id": cls.warehouse.id, "environment": "sandbox"})
        env["marketplace.warehouse.mapping"].create({
            "account_id": cls.account.id, "ref": "507", "name": "Коледино", "scheme": "fbo",
            "location_id": cls.fbo_location.id})
        cls.wb = env.ref("marketplace_edo.partner_legal_wildberries")

    def supply(self, codes, plain_qty=0):
        self.add_serials(self.shoes, codes)
        moves = [Command.create({"name": "Кроссовки", "product_id": self.shoes.id, "product_uom_qty": len(codes),
                                 "product_uom": self.shoes.uom_id.id, "location_id": self.stock.id,
                                 "location_dest_id": self.fbo_location.id})]
        if plain_qty:
            self.add_stock(self.grinder, plain_qty)
            moves.append(Command.create({"name": "Кофемолка", "product_id": self.grinder.id,
                                         "product_uom_qty": plain_qty, "product_uom": self.grinder.uom_id.id,
                                         "location_id": self.stock.id, "location_dest_id": self.fbo_location.id}))
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.int_type_id.id, "location_id": self.stock.id,
            "location_dest_id": self.fbo_location.id, "move_ids": moves})
        picking.action_confirm()
        return picking

    def test_supply_to_marketplace_makes_upd_to_its_legal_entity(self):
        self.company.edo_fbo_auto_upd = True
        codes = ["0104601234567893215FBO00001", "0104601234567893215FBO00002"]
        picking = self.supply(codes, plain_qty=3)
        self.assertTrue(picking.edo_is_fbo)
        self.validate(picking)
        # the marketplace entity has no EDO participant ID yet: the transfer is validated
        # anyway, and the reason is said on it
        self.assertFalse(picking.edo_document_ids)
        self.assertTrue(any("ИдПол" in (m.body or "") for m in picking.message_ids))
        self.wb.edo_participant_id = "2BM-9714053621-507401001-000000000000000000001"
        document, data = self.upd_of(picking)
        self.assert_valid(data)
        self.assertEqual(document.partner_id, self.wb)
        root = xml_root(data)
        self.assertEqual(find_all(root, "Документ")[0].get("Функция"), "ДОП")
        buyer = find_all(find_all(root, "СвПокуп")[0], "СвЮЛУч")[0]
        self.assertEqual((buyer.get("ИННЮЛ"), buyer.get("КПП")), ("9714053621", "507401001"))
        self.assertEqual(sorted(el.text for el in find_all(root, "КИЗ")), sorted(codes))
        parsed = upd_parse.parse_upd(data)
        self.assertEqual([ln.quantity for ln in parsed.lines], [Decimal(2), Decimal(3)])
        self.assertEqual(parsed.lines[0].price, Decimal("5000"))
        self.assertEqual(parsed.totals.amount_with_vat, Decimal("5000") * 2 * Decimal("1.22")
                         + money(2451.64 * 3 * 1.22))
        self.assertEqual(document.attachment_id.res_model, "stock.picking")

    def test_automatic_on_validation(self):
        self.company.edo_fbo_auto_upd = True
        self.wb.edo_participant_id = "2BM-9714053621-507401001-000000000000000000001"
        picking = self.supply(["0104601234567893215AUTO0001"])
        self.validate(picking)
        self.assertEqual(len(picking.edo_document_ids), 1)
        self.assert_valid(picking.edo_document_ids.attachment_id.raw)
        # the printed form of the supply
        html = self.env["ir.actions.report"]._render_qweb_html(
            "marketplace_edo.action_report_upd_picking", picking.ids)[0].decode()
        self.assertIn("Статус: <strong>2</strong>", html)
        self.assertIn("ООО «РВБ»", html)

    def test_other_transfers_are_not_supplies(self):
        self.add_stock(self.grinder, 2)
        other = self.env["stock.location"].create({"name": "Полка", "usage": "internal",
                                                   "location_id": self.stock.id, "company_id": self.company.id})
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.int_type_id.id, "location_id": self.stock.id,
            "location_dest_id": other.id,
            "move_ids": [Command.create({"name": "x", "product_id": self.grinder.id, "product_uom_qty": 2,
                                         "product_uom": self.grinder.uom_id.id, "location_id": self.stock.id,
                                         "location_dest_id": other.id})]})
        self.assertFalse(picking.edo_is_fbo)
        with self.assertRaisesRegex(UserError, "does not supply a marketplace"):
            picking.action_edo_fbo_upd()


class TestDiadocExchange(EdoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = DiadocEmulator(seed=7).start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.operator_account = cls.env["edo.operator.account"].create({
            "name": "Диадок", "company_id": cls.company.id, "operator": "diadoc",
            "base_url": cls.emulator.url, "login": DiadocEmulator.LOGIN, "password": DiadocEmulator.PASSWORD,
            "client_id": DiadocEmulator.CLIENT_ID, "box_id": DiadocEmulator.OUR_BOX, "test_signature": True,
        })

    def poll(self):
        self.env["edo.operator.account"]._cron_poll()
        self.assertFalse(self.operator_account.last_error, self.operator_account.last_error)

    def sent_invoice(self):
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 2, 2451.64), self.line(self.tea, 1, 310.55)])
        move.action_edo_send()
        document = move.edo_document_ids
        self.assertEqual(document.state, "sent", document.error_text)
        self.assertTrue(document.message_id and document.entity_id)
        return move, document

    def test_connection(self):
        result = self.operator_account.action_test_connection()
        self.assertIn("7707083893", result["params"]["message"])
        self.operator_account.password = "Pa55-Nope-777"
        with self.assertRaises(UserError) as caught:
            self.operator_account.action_test_connection()
        self.assertIn("refused", str(caught.exception.args[0]))
        self.assertNotIn("Pa55-Nope-777", str(caught.exception.args[0]))

    def test_send_deliver_sign(self):
        before = len(self.emulator.posted())  # the emulator lives for the class
        move, document = self.sent_invoice()
        posted = self.emulator.posted()
        self.assertEqual(len(posted), before + 1)
        self.assertEqual(self.emulator.validation_errors, [])
        stored = self.emulator.contents[document.entity_id]
        self.assertEqual(stored, document.attachment_id.raw)
        self.poll()
        self.assertEqual(document.state, "delivered")
        self.emulator.sign(document.message_id)
        self.poll()
        self.assertEqual(document.state, "signed")
        self.assertEqual(move.edo_state, "signed")
        self.assertLessEqual({"sent", "delivered", "signed"}, set(document.event_ids.mapped("state")))
        self.assertTrue(any("is signed" in (m.body or "") for m in move.message_ids))
        # a signed document is neither regenerated nor sent again, nor deleted
        with self.assertRaisesRegex(UserError, "already been sent"):
            move.action_edo_upd_regenerate()
        with self.assertRaisesRegex(UserError, "already been sent"):
            document.action_send()
        with self.assertRaises(UserError):
            document.unlink()
        self.poll()
        self.assertEqual(document.state, "signed")

    def test_send_rejected_then_regenerated(self):
        before = len(self.emulator.posted())
        move, document = self.sent_invoice()
        self.emulator.reject(document.message_id, "Неверная цена в строке 2")
        self.poll()
        self.assertEqual(document.state, "rejected")
        self.assertIn("Неверная цена в строке 2", document.error_text)
        self.assertTrue(any("Неверная цена в строке 2" in (m.body or "") for m in move.message_ids))
        move.action_edo_upd_regenerate()
        self.assertEqual(document.state, "draft")
        self.assertFalse(document.message_id)
        move.action_edo_send()
        self.assertEqual(document.state, "sent")
        self.assertEqual(len(self.emulator.posted()), before + 2)

    def test_delayed_send_stays_in_the_outbox_until_signed_there(self):
        """Without a signature Diadoc keeps the document unsent (DelaySend): it is not «sent»
        until a person signs and sends it in Diadoc's web interface; the poller notes it."""
        self.operator_account.test_signature = False
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 2, 2451.64)])
        move.action_edo_send()
        document = move.edo_document_ids
        self.assertEqual(document.state, "outbox")
        self.assertTrue(document.awaiting_sender_signature)
        self.assertFalse(document.sent_date)
        self.assertEqual(move.edo_state, "outbox")
        self.assertTrue(self.emulator.posted()[-1]["unsent"])
        self.assertEqual(document.event_ids.sorted("id").mapped("kind"), ["created", "queued"])
        with self.assertRaisesRegex(UserError, "already in the operator's outbox"):
            document.action_send()
        with self.assertRaisesRegex(UserError, "already been sent"):
            move.action_edo_upd_regenerate()
        self.poll()  # nobody signed it yet: still in the outbox
        self.assertEqual(document.state, "outbox")
        self.assertEqual(document.status_text, "Требуется подписать и отправить")
        self.emulator.sender_signs(document.message_id)
        self.poll()
        self.assertEqual(document.state, "delivered")  # signed, sent and delivered meanwhile
        self.assertFalse(document.awaiting_sender_signature)
        self.assertTrue(document.sent_date)
        self.assertEqual(document.event_ids.sorted("id").mapped("kind"), ["created", "queued", "sent", "status"])
        self.assertEqual(document.event_ids.sorted("id").mapped("state"), ["draft", "outbox", "sent", "delivered"])
        self.emulator.sign(document.message_id)
        self.poll()
        self.assertEqual(document.state, "signed")

    def test_large_invoice_goes_through_the_shelf(self):
        """A УПД over 500 KB: Diadoc refuses it inline, so it goes to the document shelf in parts."""
        text = "Кофемолка ручная с керамическими жерновами, регулировкой помола и стальным корпусом; " * 11
        move = self.make_invoice(self.buyer, [
            self.line(self.grinder, 1 + n % 3, 2451.64, name=f"{n}. {text}") for n in range(450)])
        move.action_edo_send()
        document = move.edo_document_ids
        self.assertEqual(document.state, "sent", document.error_text)
        data = document.attachment_id.raw
        self.assertGreater(len(data), 500 * 1024)
        self.assertEqual(len(upd_parse.parse_upd(data).lines), 450)
        init = self.emulator.requests_to("/ShelfUploadPartInit")[-1]
        parts = [r for r in self.emulator.requests_to("/ShelfUploadPart")
                 if r.query["fileName"] == self.emulator.requests_to("/ShelfUploadPart")[-1].query["fileName"]]
        self.assertEqual(b"".join(r.body for r in [init] + parts), data)
        posted = json.loads(self.emulator.requests_to("/V3/PostMessage")[-1].body)
        self.assertNotIn("Content", posted["DocumentAttachments"][0]["SignedContent"])
        self.assertEqual(self.emulator.contents[document.entity_id], data)  # Diadoc has it whole
        self.assertEqual(self.emulator.validation_errors, [])
        self.poll()
        self.assertEqual(document.state, "delivered")

    def test_send_without_counteragent_box(self):
        move = self.make_invoice(self.ip_buyer, [self.line(self.grinder, 1, 10.0)])
        with self.assertRaisesRegex(UserError, "EDO box ID"):
            move.action_edo_send()

    def test_operator_refusal_is_kept_on_the_document(self):
        self.buyer.edo_box_id = "unknown-box@diadoc.ru"
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 10.0)])
        result = move.action_edo_send()
        document = move.edo_document_ids
        self.assertEqual(document.state, "error")
        self.assertIn("unknown-box", document.error_text)
        self.assertEqual(result["params"]["type"], "danger")
        self.assertNotIn(DiadocEmulator.PASSWORD, document.error_text)

    def incoming_upd(self, number="WB-2026-0815"):
        wb = upd_model.Party(kind="legal", name="ООО «Вайлдберриз»", inn=WB_INN, kpp="500301001",
                             address=upd_model.Address(text="142181, Московская обл., д. Коледино, д. 6"))
        us = upd_model.Party(kind="legal", name="ООО «Ромашка»", inn=OUR_INN, kpp=OUR_KPP,
                             address=upd_model.Address(text="101000, г. Москва, ул. Мясницкая, д. 1"))
        lines = [
            upd_model.Line(number=1, name="Вознаграждение Вайлдберриз", okei_code="876", quantity=Decimal(1),
                           price=Decimal("1000.00"), amount_without_vat=Decimal("1000.00"), vat_rate="22%",
                           vat_amount=Decimal("220.00"), amount_with_vat=Decimal("1220.00")),
            upd_model.Line(number=2, name="Логистика", okei_code="876", quantity=Decimal(2),
                           price=Decimal("150.50"), amount_without_vat=Decimal("301.00"), vat_rate="22%",
                           vat_amount=Decimal("66.22"), amount_with_vat=Decimal("367.22")),
        ]
        doc = upd_model.Document(
            function="СЧФДОП", number=number, date=datetime.date(2026, 8, 15), seller=wb, buyer=us,
            shipment_description="Услуги оказаны в полном объеме",
            signer=upd_model.Signer(last_name="Бакальчук", first_name="Татьяна", position="Генеральный директор"),
            lines=lines, sender_id="2BM-7721546864-500301001-1", receiver_id="2BM-7707083893-770701001-1")
        return upd.build_upd(doc)

    def test_incoming_document_becomes_draft_vendor_bill(self):
        file_name, content = self.incoming_upd()
        self.emulator.queue_incoming(content, file_name=file_name)
        self.poll()
        documents = self.env["edo.document"].search([("direction", "=", "incoming")])
        self.assertEqual(len(documents), 1)
        document = documents
        self.assertEqual(document.state, "received")
        self.assertEqual(document.name, "WB-2026-0815")
        bill = document.bill_id
        self.assertEqual(bill.move_type, "in_invoice")
        self.assertEqual(bill.state, "draft")
        self.assertEqual(bill.partner_id.vat, WB_INN)
        self.assertEqual(bill.ref, "WB-2026-0815")
        self.assertEqual(bill.invoice_date, datetime.date(2026, 8, 15))
        self.assertEqual(money(bill.amount_untaxed), Decimal("1301.00"))
        self.assertEqual(money(bill.amount_tax), Decimal("286.22"))
        self.assertEqual(money(bill.amount_total), Decimal("1587.22"))
        self.assertEqual(bill.invoice_line_ids.mapped("quantity"), [1.0, 2.0])
        self.assertEqual(bill.invoice_line_ids.tax_ids, self.purchase22)
        attachments = self.env["ir.attachment"].search([("res_model", "=", "account.move"), ("res_id", "=", bill.id)])
        self.assertEqual(attachments.mapped("raw"), [content])
        self.assertTrue(self.operator_account.sudo().incoming_cursor)
        # polling again neither duplicates the document nor the bill
        self.poll()
        self.assertEqual(self.env["edo.document"].search_count([("direction", "=", "incoming")]), 1)
        # a second document of the same marketplace goes to the same partner
        file_name, content = self.incoming_upd("WB-2026-0816")
        self.emulator.queue_incoming(content, file_name=file_name)
        self.poll()
        second = self.env["edo.document"].search([("direction", "=", "incoming"), ("name", "=", "WB-2026-0816")])
        self.assertEqual(second.bill_id.partner_id, bill.partner_id)


class TestEdoSecurity(EdoCase):
    def test_accountant_uses_documents_but_not_credentials(self):
        accountant = new_test_user(self.env, login="edo_accountant", groups="marketplace_edo.group_edo_user",
                                   company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        account = self.env["edo.operator.account"].create({
            "name": "Диадок", "company_id": self.company.id, "login": "buh", "password": "Secret-123",
            "client_id": "key-123", "box_id": "box@diadoc.ru"})
        as_accountant = account.with_user(accountant)
        self.assertEqual(as_accountant.name, "Диадок")
        with self.assertRaises(AccessError):
            as_accountant.read(["password"])
        with self.assertRaises(AccessError):
            as_accountant.write({"box_id": "other@diadoc.ru"})
        move = self.make_invoice(self.buyer, [self.line(self.grinder, 1, 100.0)])
        move.with_user(accountant).action_edo_upd_xml()
        self.assertEqual(move.edo_document_ids.with_user(accountant).state, "draft")
        # another company's documents are not visible
        other_company = self.env["res.company"].create({"name": "Другая"})
        foreign = self.env["edo.document"].create({"name": "X-1", "company_id": other_company.id})
        self.assertFalse(self.env["edo.document"].with_user(accountant).search([("id", "=", foreign.id)]))
