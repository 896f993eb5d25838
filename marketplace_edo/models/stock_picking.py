# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import upd_model
from . import upd_helpers as h
from .edo_document import EDITABLE_STATES, STATES

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    edo_document_ids = fields.One2many("edo.document", "picking_id", string="EDO documents")
    edo_document_count = fields.Integer(compute="_compute_edo_document", string="EDO documents count")
    edo_state = fields.Selection(STATES, compute="_compute_edo_document", string="УПД state")
    edo_is_fbo = fields.Boolean(
        compute="_compute_edo_is_fbo", string="Supply to a marketplace (FBO)",
        help="The transfer brings goods to a location mapped to a marketplace's FBO warehouse.")

    @api.depends("edo_document_ids.state")
    def _compute_edo_document(self):
        for picking in self:
            documents = picking.sudo().edo_document_ids
            picking.edo_document_count = len(documents)
            picking.edo_state = documents.sorted("id")[-1:].state or False

    @api.depends("location_id", "location_dest_id")
    def _compute_edo_is_fbo(self):
        for picking in self:
            picking.edo_is_fbo = bool(picking._edo_fbo_mapping())

    def _edo_fbo_mapping(self):
        """The FBO warehouse mapping of the marketplace the transfer supplies, if any."""
        self.ensure_one()
        if not self.location_dest_id or self.picking_type_code == "incoming":
            return self.env["marketplace.warehouse.mapping"]
        Mapping = self.env["marketplace.warehouse.mapping"].sudo()
        mappings = Mapping.search([
            ("scheme", "=", "fbo"), ("location_id", "!=", False),
            ("location_id", "parent_of", self.location_dest_id.id),
            ("company_id", "=", self.company_id.id)])
        # a move inside the marketplace's warehouse is no supply
        return mappings.filtered(lambda m: not self.location_id._child_of(m.location_id))[:1]

    # --- buttons -------------------------------------------------------------------------
    def action_edo_fbo_upd(self):
        self.ensure_one()
        return self._edo_make_fbo_upd().action_download()

    def action_edo_fbo_upd_regenerate(self):
        self.ensure_one()
        return self._edo_make_fbo_upd(regenerate=True).action_download()

    def action_edo_send(self):
        self.ensure_one()
        return self._edo_make_fbo_upd().action_send()

    def action_edo_open_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("marketplace_edo.edo_document_action")
        action["domain"] = [("picking_id", "=", self.id)]
        action["context"] = {}
        if len(self.edo_document_ids) == 1:
            action.update({"view_mode": "form", "res_id": self.edo_document_ids.id, "views": [(False, "form")]})
        return action

    def _edo_make_fbo_upd(self, regenerate=False):
        self.ensure_one()
        mapping = self._edo_fbo_mapping()
        if not mapping:
            raise UserError(_(
                "%s does not supply a marketplace: its destination is not the location of an FBO "
                "warehouse (Sales → Marketplaces → Warehouses).", self.display_name))
        if self.state != "done":
            raise UserError(_("Validate the transfer %s before making its УПД.", self.display_name))
        document = self.edo_document_ids.sorted("id")[-1:]
        if document and document.attachment_id and not regenerate:
            return document
        if document and document.state not in EDITABLE_STATES:
            raise UserError(_(
                "The УПД %(doc)s has already been sent (state: %(state)s): it cannot be regenerated.",
                doc=document.name, state=dict(STATES)[document.state]))
        buyer = mapping.account_id._edo_legal_entity()
        if not buyer:
            raise UserError(_("Set the marketplace legal entity on the account %s.", mapping.account_id.name))
        doc = self._edo_fbo_document(buyer, mapping)
        return self.env["edo.document"]._store_upd(
            self, doc, buyer, document=document,
            extra_vals={"picking_id": self.id, "currency_id": self.company_id.currency_id.id})

    # --- the УПД of a supply ----------------------------------------------------------------
    def _edo_fbo_lines(self, vat_payer):
        Okei = self.env["edo.okei"]
        company = self.company_id
        currency = company.currency_id
        rows = []
        for move in self.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0):
            product = move.product_id
            quantity = h.to_decimal(move.quantity)
            price = product.with_company(company).lst_price
            if move.product_uom != product.uom_id:
                price = product.uom_id._compute_price(price, move.product_uom)
            taxes = product.taxes_id.filtered(lambda t: t.company_id == company) \
                .flatten_taxes_hierarchy().filtered(lambda t: t.amount_type in ("percent", "division"))
            if not vat_payer:
                rate, taxes = "без НДС", taxes.browse()
            elif not taxes:
                # a VAT payer's УПД has a rate on every row: «без НДС» only by a tax that says so
                raise UserError(_(
                    "Row %(number)s: the product %(product)s has no customer tax, but the company pays VAT: "
                    "the УПД would say «без НДС». Set the product's tax: its VAT rate, or for goods exempt "
                    "from VAT (art. 149 НК РФ) a tax whose «УПД VAT rate» is «без НДС».",
                    number=len(rows) + 1, product=product.display_name))
            elif len(taxes) > 1:
                raise UserError(_("The product %s has several customer taxes: a УПД row has one VAT rate.",
                                  product.display_name))
            else:
                rate = taxes._edo_rate()
            result = taxes.compute_all(price, currency, move.quantity, product=product) if taxes else None
            if result:
                without, with_vat = h.money(result["total_excluded"]), h.money(result["total_included"])
            else:
                without = with_vat = h.money(h.to_decimal(price) * quantity)
            calculated = "/" in rate
            base = with_vat if calculated else without
            candidates = () if taxes.price_include else (h.to_decimal(price),)
            code, unit = Okei._code_for(move.product_uom)
            codes = []
            if product.edo_marked:
                codes = [ml.lot_id.name or ml.lot_name for ml in move.move_line_ids if ml.lot_id or ml.lot_name]
            rows.append(upd_model.Line(
                number=len(rows) + 1,
                name=h.one_line(product.display_name),
                okei_code=code,
                unit_name=unit,
                quantity=quantity,
                price=h.unit_price(base, quantity, candidates),
                amount_without_vat=without,
                vat_rate=rate,
                vat_amount=with_vat - without,
                amount_with_vat=with_vat,
                marking_codes=h.clean_marking_codes(codes),
                **h.product_extras(product),
            ))
        if not rows:
            raise UserError(_("The transfer %s moved nothing.", self.display_name))
        return rows

    def _edo_fbo_document(self, buyer, mapping):
        """The supply of goods to the marketplace as a transfer document (ДОП): the goods
        are handed to the marketplace (a commission agent / the operator of the warehouse),
        with the marking codes of the units."""
        self.ensure_one()
        company = self.company_id
        date = fields.Datetime.context_timestamp(self, self.date_done or fields.Datetime.now()).date()
        basis = buyer._edo_basis_documents()
        code, name = h.currency_code_name(company.currency_id)
        return upd_model.Document(
            function="ДОП",
            number=self.name,
            date=date,
            currency_code=code,
            currency_name=name,
            seller=company.partner_id._edo_party(),
            buyer=buyer._edo_party(),
            consignor_same_as_seller=True,
            consignee=buyer._edo_party(),
            basis_documents=basis,
            shipment_date=date,
            shipment_description="Товары переданы",
            operation_kind="Передача товаров на склад маркетплейса",
            signer=company._edo_signer(),
            lines=self._edo_fbo_lines(company.edo_vat_payer),
            sender_id=(company.partner_id.edo_participant_id or "").strip(),
            receiver_id=(buyer.edo_participant_id or "").strip(),
            info_fields={"Склад": h.one_line(mapping.name, 2000)} if mapping.name else {},
        )

    # --- automatic on validation -----------------------------------------------------------
    def _action_done(self):
        result = super()._action_done()
        for picking in self:
            if picking.state != "done" or not picking.company_id.edo_fbo_auto_upd or picking.edo_document_ids:
                continue
            if not picking._edo_fbo_mapping():
                continue
            try:
                with self.env.cr.savepoint():
                    picking._edo_make_fbo_upd()
            except UserError as exc:
                picking.message_post(body=_("The УПД to the marketplace was not made: %s", exc.args[0]))
        return result
