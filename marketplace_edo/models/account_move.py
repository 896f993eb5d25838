# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from ..lib import upd_model
from . import upd_helpers as h
from .edo_document import EDITABLE_STATES, STATES

UPD_FUNCTIONS = [
    ("СЧФДОП", "Invoice and transfer document (СЧФДОП, status 1)"),
    ("ДОП", "Transfer document only (ДОП, status 2)"),
    ("СЧФ", "Invoice only (СЧФ)"),
]
KOPECK = Decimal("0.01")


class AccountMove(models.Model):
    _inherit = "account.move"

    edo_document_ids = fields.One2many("edo.document", "move_id", string="EDO documents")
    edo_document_count = fields.Integer(compute="_compute_edo_document", string="EDO documents count")
    edo_state = fields.Selection(STATES, compute="_compute_edo_document", string="УПД state")
    edo_upd_function = fields.Selection(
        UPD_FUNCTIONS, string="УПД function", copy=False,
        help="Empty: «invoice and transfer document» (status 1) for a VAT payer, «transfer "
        "document only» (status 2) for a seller without VAT. «Invoice only» on the buyer's "
        "request (a separate transfer document is made elsewhere).")
    edo_contract_name = fields.Char(
        string="Basis document", copy=False,
        help="Basis of the transfer written in the УПД, e.g. «Договор поставки». Empty: the "
        "partner's contract, else the sale order, else «Без документа-основания».")
    edo_contract_number = fields.Char(string="Basis number", copy=False)
    edo_contract_date = fields.Date(string="Basis date", copy=False)

    @api.depends("edo_document_ids.state")
    def _compute_edo_document(self):
        for move in self:
            # read as superuser: invoice users without the EDO group see the invoice too
            all_documents = move.sudo().edo_document_ids
            documents = all_documents.filtered(lambda d: d.direction == "outgoing")
            move.edo_document_count = len(all_documents)
            move.edo_state = documents.sorted("id")[-1:].state or False

    # --- buttons -------------------------------------------------------------------------
    def action_edo_upd_xml(self):
        """The УПД file of the invoice: made on the first call, then the same file."""
        self.ensure_one()
        return self._edo_make_upd().action_download()

    def action_edo_upd_regenerate(self):
        self.ensure_one()
        return self._edo_make_upd(regenerate=True).action_download()

    def action_edo_send(self):
        self.ensure_one()
        return self._edo_make_upd().action_send()

    def action_edo_upd_batch(self):
        """«Make УПД» on a list of invoices: the file of each invoice that has none; the
        invoices that cannot have one are named with the reason."""
        documents, errors = self._edo_make_upds()
        lines = [_("%(count)s УПД ready.", count=len(documents))]
        lines += [_("%(invoice)s: %(error)s", invoice=move.display_name, error=error)
                  for move, error in errors.items()]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("УПД not made for %s invoices", len(errors)) if errors else _("УПД made"),
                "message": "\n\n".join(lines),
                "type": "warning" if errors else "success",
                "sticky": bool(errors),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_edo_open_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("marketplace_edo.edo_document_action")
        documents = self.edo_document_ids | self.env["edo.document"].search([("bill_id", "=", self.id)])
        action["domain"] = [("id", "in", documents.ids)]
        action["context"] = {}
        if len(documents) == 1:
            action.update({"view_mode": "form", "res_id": documents.id, "views": [(False, "form")]})
        return action

    def _edo_current_document(self):
        return self.edo_document_ids.filtered(lambda d: d.direction == "outgoing").sorted("id")[-1:]

    def _edo_make_upd(self, regenerate=False):
        self.ensure_one()
        documents, _errors = self._edo_make_upds(regenerate=regenerate, raise_errors=True)
        return documents

    def _edo_make_upds(self, regenerate=False, raise_errors=False):
        """The УПД of each invoice: the one it has (made again when ``regenerate``), else a
        new one.  The files are made first, then written in bulk; -> (edo.document,
        {invoice: why it has no УПД}).  ``raise_errors``: the first problem is raised."""
        Document = self.env["edo.document"]
        folder = Document._xsd_folder()
        now = Document._upd_now()
        cache = {}
        if len(self) > 1:
            self._edo_fetch_upd_data()
        ready, items, errors = Document, [], {}
        for move in self:
            try:
                move._edo_check_upd_possible()
                document = move._edo_current_document()
                if document and document.attachment_id and not regenerate:
                    ready |= document
                    continue
                if document and document.state not in EDITABLE_STATES:
                    raise UserError(_(
                        "The УПД %(doc)s has already been sent to the buyer (state: %(state)s): it cannot be "
                        "regenerated. A correction is made with a corrective (УКД) or a revised (ИУПД) document.",
                        doc=document.name, state=dict(STATES)[document.state]))
                doc = move._edo_upd_document(cache)
                upd_file = Document._make_upd_file(move, doc, folder, now)
            except UserError as exc:
                if raise_errors:
                    raise
                errors[move] = exc.args[0]
                continue
            items.append({"origin": move, "doc": doc, "partner": move.commercial_partner_id, "document": document,
                          "extra_vals": {"move_id": move.id, "currency_id": move.currency_id.id},
                          "file": upd_file})
        return ready | Document._store_upd_files(items), errors

    def _edo_fetch_upd_data(self):
        """Read what the УПД of these invoices is made of in a few queries (left to itself,
        the ORM reads the rows of many invoices a thousand at a time, again for each field)."""
        lines = self.invoice_line_ids
        lines.fetch(["display_type", "name", "quantity", "price_unit", "discount", "price_subtotal", "price_total",
                     "product_id", "product_uom_id", "tax_ids", "sale_line_ids"])
        lines.product_id.fetch(["type", "default_code", "barcode", "edo_marked"])

    def _edo_check_upd_possible(self):
        self.ensure_one()
        if self.move_type == "out_refund":
            raise UserError(_(
                "%s is a credit note. A return or a correction of a УПД is made with a corrective "
                "document (УКД), which this module does not make: make the УКД in the EDO operator's "
                "interface.", self.display_name))
        if self.move_type != "out_invoice":
            raise UserError(_("A УПД is made from a customer invoice; %s is not one.", self.display_name))
        if self.state != "posted":
            raise UserError(_("Post the invoice %s before making its УПД.", self.display_name))

    # --- the УПД ------------------------------------------------------------------------------
    def _edo_function(self):
        vat_payer = self.company_id.edo_vat_payer
        function = self.edo_upd_function
        if function and not vat_payer and function != "ДОП":
            raise UserError(_(
                "The company does not pay VAT, so it issues no invoice (счёт-фактура): choose the "
                "УПД function «Transfer document only» (ДОП) on the invoice, or leave it empty."))
        return function or ("СЧФДОП" if vat_payer else "ДОП")

    def _edo_line_rate(self, line, vat_payer, number=None, cache=None):
        """The VAT rate of an invoice line as the УПД writes it.  ``number``: the line's row
        in the УПД, for the messages; ``cache``: see :meth:`_edo_upd_document`."""
        cache = {} if cache is None else cache
        key = ("vat", tuple(line.tax_ids.ids), bool(vat_payer))
        if key in cache:  # the rate of these taxes, found for an earlier row
            return cache[key]
        taxes = line.tax_ids.flatten_taxes_hierarchy().filtered(lambda t: t.amount_type in ("percent", "division"))
        if not vat_payer:
            if any(t.amount for t in taxes):
                raise UserError(_(
                    "Row «%(row)s» has the tax %(tax)s, but the company is set as not paying VAT "
                    "(Settings → Companies → EDO tab). Remove the tax or check the setting.",
                    row=h.row_label(line), tax=", ".join(taxes.mapped("name"))))
            return cache.setdefault(key, "без НДС")
        if not taxes:
            # a VAT payer's УПД has a rate on every row: «без НДС» only by a tax that says so
            raise UserError(_(
                "Row %(number)s «%(row)s» of %(invoice)s has no VAT, but the company pays VAT: the УПД "
                "would say «без НДС». Set the row's tax: its VAT rate, or for a sale exempt from VAT "
                "(art. 149 НК РФ) a tax whose «УПД VAT rate» is «без НДС».",
                number=number or "?", row=h.row_label(line), invoice=self.display_name))
        if len(taxes) > 1:
            raise UserError(_(
                "Row «%(row)s» has several taxes (%(taxes)s): a УПД row has one VAT rate.",
                row=h.row_label(line), taxes=", ".join(taxes.mapped("name"))))
        return cache.setdefault(key, taxes._edo_rate())

    def _edo_marking_codes(self, line):
        """Codes of the marked goods of an invoice line: the serials of the delivered goods
        (product marked), else the codes imported with the marketplace order."""
        product = line.product_id
        sale_lines = line.sale_line_ids
        codes = []
        if product.edo_marked:
            moves = sale_lines.move_ids.filtered(
                lambda m: m.state == "done" and m.picking_code == "outgoing" and m.product_id == product)
            for move_line in moves.move_line_ids:
                name = move_line.lot_id.name or move_line.lot_name
                if name:
                    codes.append(name)
        if not codes:
            codes = [sl.marketplace_marking_codes for sl in sale_lines if sl.marketplace_marking_codes]
        return h.clean_marking_codes(codes)

    def _edo_upd_lines(self, vat_payer, cache=None):
        Okei = self.env["edo.okei"]
        cache = {} if cache is None else cache
        rows = []
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        currency = self.currency_id
        # iterated, not filtered: the lines of all the invoices made together are read at once
        for line in self.invoice_line_ids:
            if line.display_type != "product":
                continue
            line_quantity, subtotal, total = line.quantity, line.price_subtotal, line.price_total
            if float_is_zero(line_quantity, precision_digits=precision) and currency.is_zero(total):
                continue
            if line_quantity < 0 or subtotal < 0:
                raise UserError(_(
                    "Row «%s» has a negative quantity or amount (a discount or a return?). A УПД has no "
                    "negative rows: give the discount on the product rows; returns are made with a "
                    "credit note and a corrective document (УКД).", h.one_line(line.name, 80)))
            rate = self._edo_line_rate(line, vat_payer, number=len(rows) + 1, cache=cache)
            product = line.product_id
            quantity = h.to_decimal(line_quantity)
            without = h.money(subtotal)
            with_vat = h.money(total)
            calculated = "/" in rate
            base = with_vat if calculated else without
            candidates = () if line.discount else (h.to_decimal(line.price_unit),)
            uom = line.product_uom_id
            code, unit = h.cached(cache, ("okei", uom.id), lambda: Okei._code_for(uom))
            rows.append(upd_model.Line(
                number=len(rows) + 1,
                name=h.one_line(line.name or product.display_name),
                okei_code=code,
                unit_name=unit,
                quantity=quantity,
                price=h.unit_price(base, quantity, candidates),
                amount_without_vat=without,
                vat_rate=rate,
                vat_amount=with_vat - without,
                amount_with_vat=with_vat,
                marking_codes=self._edo_marking_codes(line),
                **h.cached(cache, ("product", product.id), lambda: h.product_extras(product)),
            ))
        self._edo_match_totals(rows)
        return rows

    def _edo_match_totals(self, rows):
        """Make the rows add up to the invoice's totals to the kopeck.  With taxes rounded
        globally the invoice's VAT may differ from the sum of the rows' VAT by a few kopecks:
        they go to the largest rows, one kopeck each (within the format's tolerance)."""
        untaxed, tax, total = (h.money(self.amount_untaxed), h.money(self.amount_tax), h.money(self.amount_total))
        rows_untaxed = sum((r.amount_without_vat for r in rows), Decimal(0))
        rows_tax = sum((r.vat_amount for r in rows), Decimal(0))
        if rows_untaxed != untaxed:
            raise UserError(_(
                "The rows of the invoice add up to %(rows)s without VAT, but its untaxed amount is "
                "%(amount)s (rounding rows or other non-product rows?).", rows=rows_untaxed, amount=untaxed))
        difference = tax - rows_tax
        if difference:
            taxed = sorted((r for r in rows if r.vat_amount), key=lambda r: r.vat_amount, reverse=True)
            steps = int(abs(difference) / KOPECK)
            if steps > len(taxed) or abs(difference) != steps * KOPECK:
                raise UserError(_(
                    "The VAT of the rows (%(rows)s) does not match the invoice's VAT (%(amount)s).",
                    rows=rows_tax, amount=tax))
            step = KOPECK if difference > 0 else -KOPECK
            for row in taxed[:steps]:
                row.vat_amount += step
                row.amount_with_vat += step
        rows_total = sum((r.amount_with_vat for r in rows), Decimal(0))
        if rows_total != total:
            raise UserError(_(
                "The rows of the invoice add up to %(rows)s with VAT, but its total is %(amount)s.",
                rows=rows_total, amount=total))

    def _edo_delivered_pickings(self):
        moves = self.invoice_line_ids.sale_line_ids.move_ids.filtered(
            lambda m: m.state == "done" and m.picking_code == "outgoing")
        return moves.picking_id

    def _edo_basis_documents(self):
        if self.edo_contract_number and self.edo_contract_date:
            return [upd_model.DocumentRef(name=self.edo_contract_name or "Договор",
                                          number=self.edo_contract_number, date=self.edo_contract_date)]
        basis = self.commercial_partner_id._edo_basis_documents()
        if basis:
            return basis
        orders = self.invoice_line_ids.sale_line_ids.order_id
        return [
            upd_model.DocumentRef(
                name="Заказ", number=order.name,
                date=fields.Datetime.context_timestamp(self, order.date_order).date())
            for order in orders[:5] if order.date_order
        ]

    def _edo_upd_document(self, cache=None):
        """The invoice as an upd_model.Document (not checked yet).  ``cache``: a dict shared by
        the invoices made together (parties, signers, units), so that each is read once."""
        self.ensure_one()
        cache = {} if cache is None else cache

        def party(partner, address_partner=None):
            return h.cached(cache, ("party", partner.id, address_partner.id if address_partner else False),
                            lambda: partner._edo_party(address_partner=address_partner))

        company = self.company_id
        function = self._edo_function()
        buyer = self.commercial_partner_id
        rows = self._edo_upd_lines(company.edo_vat_payer, cache)
        goods = any(line.product_id.type != "service" for line in self.invoice_line_ids
                    if line.display_type == "product" and line.product_id)
        pickings = self._edo_delivered_pickings()
        shipment_date = self.invoice_date
        if pickings:
            done = [d for d in pickings.mapped("date_done") if d]
            if done:
                shipment_date = fields.Datetime.context_timestamp(self, max(done)).date()
        code, name = h.currency_code_name(self.currency_id)
        doc = upd_model.Document(
            function=function,
            number=self.name,
            date=self.invoice_date,
            currency_code=code,
            currency_name=name,
            seller=party(company.partner_id),
            buyer=party(buyer),
            basis_documents=self._edo_basis_documents(),
            shipment_date=shipment_date,
            shipment_description="Товары переданы" if goods else "Услуги оказаны в полном объеме",
            signer=h.cached(cache, ("signer", company.id), company._edo_signer),
            lines=rows,
            sender_id=(company.partner_id.edo_participant_id or "").strip(),
            receiver_id=(buyer.edo_participant_id or "").strip(),
            is_credit_note=self.move_type == "out_refund",
        )
        if goods:
            ship_to = self.partner_shipping_id or self.partner_id
            doc.consignor_same_as_seller = True
            doc.consignee = party(ship_to.commercial_partner_id, ship_to)
        if function == "СЧФ":
            # an invoice only names the document of the shipment (line 5a)
            refs = [upd_model.DocumentRef(name="Накладная", number=p.name,
                                          date=fields.Datetime.context_timestamp(self, p.date_done).date())
                    for p in pickings if p.date_done]
            doc.shipping_documents = refs or [upd_model.DocumentRef(
                name="Документ об отгрузке", number=self.name, date=self.invoice_date)]
        return doc
