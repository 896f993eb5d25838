# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import re
from decimal import Decimal

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

from ..lib import amounts as lib_amounts
from ..lib import operator as edo_operator
from ..lib import upd as lib_upd
from ..lib import upd_parse
from ..lib import xsd as lib_xsd
from .res_partner import clean_digits

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("outbox", "In the outbox, not sent"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("signed", "Signed"),
    ("rejected", "Rejected"),
    ("error", "Error"),
    ("received", "Received"),
]
FUNCTIONS = [
    ("СЧФДОП", "СЧФДОП: invoice and transfer document (status 1)"),
    ("ДОП", "ДОП: transfer document only (status 2)"),
    ("СЧФ", "СЧФ: invoice only"),
    ("СвРК", "СвРК: invoice of a commission agent"),
    ("СвЗК", "СвЗК: invoice of a purchasing agent"),
]
EVENT_KINDS = [
    ("created", "File made"),
    ("regenerated", "File regenerated"),
    ("sent", "Sent"),
    ("queued", "Put in the outbox"),
    ("send_failed", "Sending failed"),
    ("status", "Status changed"),
    ("received", "Received"),
    ("parse_failed", "Unreadable"),
    ("bill", "Vendor bill made"),
]
#: operator states -> ours
OPERATOR_STATES = {
    edo_operator.OUTBOX: "outbox",
    edo_operator.SENT: "sent",
    edo_operator.DELIVERED: "delivered",
    edo_operator.SIGNED: "signed",
    edo_operator.REJECTED: "rejected",
    edo_operator.ERROR: "error",
}
#: the states in which a document may be (re)made and sent
EDITABLE_STATES = ("draft", "error", "rejected")
#: the states the scheduled exchange asks the operator about
PENDING_STATES = ("outbox", "sent", "delivered")
#: the administrator's setting: the folder of the ФНС XSD files ($EDO_XSD_DIR overrides it)
XSD_DIR_PARAM = "marketplace_edo.xsd_dir"

_RATE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(%|/\s*1\d\d)$")


def to_decimal(value):
    """An Odoo float as an exact Decimal of its shortest representation."""
    return Decimal(repr(float(value or 0.0)))


class EdoDocument(models.Model):
    """One УПД file: made from an invoice or a transfer (outgoing), or received from a
    counteragent (incoming), with its exchange state at the EDO operator."""

    _name = "edo.document"
    _description = "EDO Document (УПД)"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(string="Number", required=True, tracking=True)
    date = fields.Date(string="Document date", index=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    direction = fields.Selection(
        [("outgoing", "Outgoing"), ("incoming", "Incoming")], required=True, default="outgoing", index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Counteragent", index=True,
        help="The buyer of an outgoing document, the seller of an incoming one.")
    move_id = fields.Many2one("account.move", string="Invoice / bill", index=True, ondelete="set null")
    picking_id = fields.Many2one("stock.picking", string="Transfer", index=True, ondelete="set null")
    format_version = fields.Char(string="Format", default="5.03", readonly=True)
    function = fields.Selection(FUNCTIONS, string="Function")
    attachment_id = fields.Many2one("ir.attachment", string="File", ondelete="set null")
    file_name = fields.Char(related="attachment_id.name", string="File name")
    amount_untaxed = fields.Monetary(string="Amount without VAT", currency_field="currency_id")
    amount_tax = fields.Monetary(string="VAT", currency_field="currency_id")
    amount_total = fields.Monetary(string="Amount with VAT", currency_field="currency_id")
    state = fields.Selection(STATES, required=True, default="draft", tracking=True, index=True)
    status_text = fields.Char(string="Operator's status", readonly=True)
    awaiting_sender_signature = fields.Boolean(
        string="To be signed in the operator's interface", readonly=True,
        help="The document waits in the box unsent: sign and send it in the operator's web "
        "interface with the company's qualified electronic signature.")
    xsd_validated = fields.Boolean(
        string="Checked against the ФНС schema", readonly=True, copy=False,
        help="The file passed the official XSD of the format when it was made. Unchecked: the "
        "folder of the ФНС schemas is not set (Settings → Invoicing → EDO), so only the "
        "module's own checks were made.")
    xsd_schema = fields.Char(string="Schema", readonly=True, copy=False,
                             help="The XSD file the document was checked against.")
    error_text = fields.Text(string="Error / reason", readonly=True)
    operator_account_id = fields.Many2one("edo.operator.account", string="Operator account", index=True)
    message_id = fields.Char(string="Operator message ID", readonly=True, copy=False, index=True)
    entity_id = fields.Char(string="Operator document ID", readonly=True, copy=False, index=True)
    sent_date = fields.Datetime(readonly=True, copy=False)
    last_status_date = fields.Datetime(string="Status checked", readonly=True, copy=False)
    event_ids = fields.One2many("edo.document.event", "document_id", string="History")
    bill_id = fields.Many2one("account.move", string="Vendor bill", index=True, ondelete="set null",
                              help="The draft vendor bill made from this incoming document.")

    _sql_constraints = [
        ("operator_entity_uniq", "UNIQUE(operator_account_id, entity_id)",
         "This operator document is already recorded."),
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_only_unsent(self):
        for document in self:
            if document.direction == "outgoing" and document.state not in ("draft", "error"):
                raise UserError(_("%s has been sent to the EDO operator: it cannot be deleted.", document.name))

    # --- history ----------------------------------------------------------------------
    def _add_event(self, state, text="", date=None, kind=""):
        self.ensure_one()
        self.env["edo.document.event"].create({
            "document_id": self.id, "state": state, "kind": kind or "status", "text": text or False,
            "date": date or fields.Datetime.now(),
        })

    # --- making the file ----------------------------------------------------------------
    @api.model
    def _format_check_errors(self, origin, messages):
        lines = "\n".join("• " + m for m in messages)
        return _(
            "The УПД of %(origin)s cannot be made:\n%(lines)s\n\nWhere to fill it in: the company "
            "(Settings → Companies → EDO tab: signer, КПП, EDO participant ID), the partner "
            "(Contacts → EDO tab: ИНН in Tax ID, КПП, address, EDO participant ID), units of "
            "measure (Accounting → EDO → ОКЕИ units).",
            origin=origin.display_name, lines=lines)

    @api.model
    def _xsd_folder(self):
        """The folder of the ФНС XSD files: ``$EDO_XSD_DIR``, else the administrator's
        setting; None when neither is set (the files are then made unchecked, and say so).
        A folder that is set but has no schema is a UserError, never a silent skip."""
        setting = self.env["ir.config_parameter"].sudo().get_param(XSD_DIR_PARAM) or ""
        folder = lib_xsd.configured_dir(setting)
        if folder is None:
            return None
        try:
            lib_xsd.schema(lib_upd.FORMAT_VERSION, lib_xsd.xsd_dir(setting, fallback=False))
        except (FileNotFoundError, ValueError) as exc:
            raise UserError(_(
                "The УПД cannot be checked against the ФНС schema: %(error)s. An administrator sets "
                "the folder of the schemas in Settings → Invoicing → EDO (УПД).", error=str(exc))) from None
        return folder

    @api.model
    def _upd_now(self):
        """The moment written in the file (ДатаИнфПр, ВремИнфПр, the date in ИдФайл): local time."""
        return fields.Datetime.context_timestamp(self, fields.Datetime.now()).replace(tzinfo=None)

    @api.model
    def _make_upd_file(self, origin, doc, folder, now):
        """The file of ``doc`` (upd_model.Document): checked, built and, when ``folder`` (see
        :meth:`_xsd_folder`) is given, validated against the XSD; -> dict(file_name, data,
        schema).  The format's problems raise a UserError listing them."""
        try:  # build_upd checks the document first (check_document), listing every problem
            file_name, data = lib_upd.build_upd(doc, now=now)
        except lib_upd.UpdError as exc:
            raise UserError(self._format_check_errors(origin, exc.messages)) from None
        schema = False
        if folder is not None:
            problems = lib_xsd.validate(data, lib_upd.FORMAT_VERSION, folder)
            if problems:
                raise UserError(_("The УПД of %(origin)s does not pass the ФНС schema:\n%(lines)s",
                                  origin=origin.display_name, lines="\n".join("• " + p for p in problems[:10])))
            schema = lib_xsd.SCHEMAS[lib_upd.FORMAT_VERSION]
        return {"file_name": file_name, "data": data, "schema": schema}

    @api.model
    def _store_upd(self, origin, doc, partner, document=None, extra_vals=None):
        """Make the file of ``doc`` for ``origin`` (an invoice or a transfer), attach it to
        ``origin`` and record it in ``document`` (replacing its file) or a new document."""
        upd_file = self._make_upd_file(origin, doc, self._xsd_folder(), self._upd_now())
        return self._store_upd_files([{"origin": origin, "doc": doc, "partner": partner, "document": document,
                                       "extra_vals": extra_vals, "file": upd_file}])

    @api.model
    def _store_upd_files(self, items):
        """Attach the files made by :meth:`_make_upd_file` to their origins and record them:
        ``items`` are dicts of origin, doc, partner, document (to replace its file, or None),
        extra_vals and file.  Written in bulk (one create per model); -> the documents, in the
        order of ``items``."""
        if not items:
            return self.browse()
        attachments = self.env["ir.attachment"].create([{
            "name": item["file"]["file_name"],
            "raw": item["file"]["data"],
            "res_model": item["origin"]._name,
            "res_id": item["origin"].id,
            "mimetype": "application/xml",
        } for item in items])
        new_vals, events, replaced = [], [], self.env["ir.attachment"]
        # the texts of the history, translated once for the batch
        made_text, regenerated_text = _("File made: %(file)s, %(checked)s"), \
            _("File regenerated: %(new)s (was %(old)s), %(checked)s")
        checked_texts = {False: _("not checked against the ФНС schema: its folder is not set")}
        for item, attachment in zip(items, attachments):
            doc, upd_file = item["doc"], item["file"]
            totals = lib_amounts.total(
                lib_amounts.Amounts(line.amount_without_vat, line.vat_amount, line.amount_with_vat)
                for line in doc.lines)
            vals = {
                "name": doc.number,
                "date": doc.date,
                "company_id": item["origin"].company_id.id,
                "partner_id": item["partner"].id,
                "function": doc.function,
                "format_version": lib_upd.FORMAT_VERSION,
                "attachment_id": attachment.id,
                "amount_untaxed": float(totals.amount_without_vat),
                "amount_tax": float(totals.vat_amount),
                "amount_total": float(totals.amount_with_vat),
                "direction": "outgoing",
                "xsd_validated": bool(upd_file["schema"]),
                "xsd_schema": upd_file["schema"] or False,
            }
            vals.update(item.get("extra_vals") or {})
            if upd_file["schema"] not in checked_texts:
                checked_texts[upd_file["schema"]] = _("checked against the ФНС schema %s", upd_file["schema"])
            checked = checked_texts[upd_file["schema"]]
            document = item.get("document")
            if document:
                old = document.attachment_id
                vals.update({"state": "draft", "error_text": False, "message_id": False, "entity_id": False,
                             "status_text": False, "awaiting_sender_signature": False, "sent_date": False})
                document.write(vals)
                events.append((document, "regenerated", regenerated_text % {
                    "new": attachment.name, "old": old.name or "—", "checked": checked}))
                replaced |= old
            else:
                new_vals.append(vals)
                events.append((None, "created", made_text % {"file": attachment.name, "checked": checked}))
        # the history tab tells how each file was made: no creation message in the chatter
        created = iter(self.with_context(tracking_disable=True).create(new_vals))
        documents = self.browse()
        now = fields.Datetime.now()
        event_vals = []
        for document, kind, text in events:
            document = document or next(created)
            documents |= document
            event_vals.append({"document_id": document.id, "state": "draft", "kind": kind, "text": text,
                               "date": now})
        self.env["edo.document.event"].create(event_vals)
        replaced.unlink()
        return documents

    # --- actions ----------------------------------------------------------------------------
    def action_download(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(_("The document %s has no file.", self.name))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def action_send(self):
        results = [document._send() for document in self]
        failed = [r for r in results if r]
        if failed:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"title": _("Not sent"), "message": "\n".join(failed), "type": "danger",
                           "sticky": True},
            }
        return True

    def action_refresh_status(self):
        for account, documents in self.filtered(
                lambda d: d.direction == "outgoing" and d.message_id and d.operator_account_id
        ).grouped("operator_account_id").items():
            operator = account._make_operator()
            for document in documents:
                try:
                    document._update_status(operator)
                except edo_operator.OperatorError as exc:
                    raise UserError(_("%(doc)s: the operator answered: %(error)s",
                                      doc=document.name, error=exc.message)) from None
        return True

    def action_open_origin(self):
        self.ensure_one()
        record = self.move_id or self.bill_id or self.picking_id
        if not record:
            return False
        return {"type": "ir.actions.act_window", "res_model": record._name, "res_id": record.id,
                "view_mode": "form", "views": [(False, "form")]}

    # --- sending ----------------------------------------------------------------------------
    def _send(self):
        """Send the file; returns "" on success, else the error text (also kept on the
        document).  Wrong set-up raises a UserError."""
        self.ensure_one()
        if self.direction != "outgoing":
            raise UserError(_("%s is an incoming document: it cannot be sent.", self.name))
        if self.state not in ("draft", "error"):
            if self.state == "outbox":
                raise UserError(_("%s is already in the operator's outbox: sign and send it in the operator's "
                                  "web interface.", self.name))
            if self.state == "rejected":
                raise UserError(_("%s was rejected by the buyer: correct the invoice and regenerate the "
                                  "УПД before sending it again.", self.name))
            raise UserError(_("%(doc)s has already been sent (state: %(state)s).", doc=self.name,
                              state=dict(STATES)[self.state]))
        if not self.attachment_id:
            raise UserError(_("%s has no file: make the УПД first.", self.name))
        account = self.operator_account_id or self.env["edo.operator.account"]._for_company(self.company_id)
        if not account:
            raise UserError(_(
                "No EDO operator account for %s: an administrator adds it in Accounting → EDO → "
                "Operator accounts.", self.company_id.name))
        partner = self.partner_id.commercial_partner_id
        box = (partner.edo_box_id or "").strip()
        if not box:
            raise UserError(_(
                "%s has no EDO box ID: fill it in on the partner's EDO tab (ask the partner or find "
                "it in the operator's directory).", partner.display_name))
        operator = account._make_operator()
        content = self.attachment_id.raw
        try:
            sent = operator.send_document(
                account.box_id, box, self.attachment_id.name, content, edo_operator.DOC_UPD,
                comment=self.name)
        except edo_operator.OperatorError as exc:
            text = exc.message
            if exc.retryable:
                self.write({"operator_account_id": account.id, "error_text": text})
                self._add_event(self.state, _("Not sent, the operator is unavailable (try again later): %s", text), kind="send_failed")
            else:
                self.write({"operator_account_id": account.id, "error_text": text, "state": "error"})
                self._add_event("error", text, kind="send_failed")
            return _("%(doc)s: %(error)s", doc=self.name, error=text)
        state = OPERATOR_STATES.get(sent.state, "sent")
        self.write({
            "operator_account_id": account.id,
            "message_id": sent.message_id,
            "entity_id": sent.entity_id,
            "state": state,
            "sent_date": fields.Datetime.now() if state != "outbox" else False,
            "error_text": False,
            "awaiting_sender_signature": state == "outbox",
            "status_text": _("To be signed and sent in the operator's interface") if state == "outbox" else False,
        })
        if state == "outbox":
            self._add_event("outbox", _(
                "Put in the outbox for %(partner)s (box %(box)s), not sent yet: sign and send it in the "
                "operator's web interface", partner=partner.display_name, box=box), kind="queued")
        else:
            self._add_event("sent", _("Sent to %(partner)s (box %(box)s)", partner=partner.display_name, box=box),
                            kind="sent")
        return ""

    def _update_status(self, operator):
        """Ask the operator for the state of the sent document; record any change."""
        self.ensure_one()
        account = self.operator_account_id.sudo()
        status = operator.get_document_status(account.box_id, self.message_id, self.entity_id)
        state = OPERATOR_STATES.get(status.state, self.state)
        vals = {
            "status_text": status.text or False,
            "awaiting_sender_signature": state == "outbox",
            "last_status_date": fields.Datetime.now(),
        }
        if state in ("rejected", "error"):
            vals["error_text"] = status.reason or status.text or False
        if state != self.state:
            vals["state"] = state
        old_state = self.state
        left_outbox = old_state == "outbox" and state != "outbox"
        if left_outbox:
            vals["sent_date"] = fields.Datetime.now()
        self.write(vals)
        if left_outbox:
            self._add_event("sent", _("Signed and sent in the operator's interface"), kind="sent")
        if state != old_state and not (left_outbox and state == "sent"):
            moment = None
            if state == "signed" and status.signed_at:
                moment = status.signed_at.replace(tzinfo=None)
            elif state == "delivered" and status.delivered_at:
                moment = status.delivered_at.replace(tzinfo=None)
            self._add_event(state, status.reason or status.text, date=moment)
            origin = self.move_id or self.picking_id
            if origin and state in ("signed", "rejected", "error"):
                body = {
                    "signed": _("УПД %s is signed by the counteragent.", self.name),
                    "rejected": _("УПД %(doc)s is rejected by the counteragent: %(reason)s",
                                  doc=self.name, reason=status.reason or "—"),
                    "error": _("УПД %(doc)s is not delivered: %(reason)s", doc=self.name,
                               reason=status.reason or "—"),
                }[state]
                origin.message_post(body=body)
        return state

    # --- incoming -----------------------------------------------------------------------------
    @api.model
    def _create_incoming(self, account, incoming):
        """Record a document a counteragent sent; a readable УПД becomes a draft vendor bill.
        Idempotent: a document already recorded is returned as it is."""
        existing = self.search([("operator_account_id", "=", account.id), ("entity_id", "=", incoming.entity_id)],
                               limit=1)
        if existing:
            return existing
        company = account.company_id
        partner = self._find_partner(company, incoming.sender_inn, incoming.sender_kpp, incoming.sender_name)
        vals = {
            "name": incoming.file_name or incoming.entity_id,
            "date": incoming.timestamp.date() if incoming.timestamp else fields.Date.context_today(self),
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "direction": "incoming",
            "partner_id": partner.id if partner else False,
            "operator_account_id": account.id,
            "message_id": incoming.message_id,
            "entity_id": incoming.entity_id,
            "state": "received",
            "format_version": False,
        }
        if incoming.function in dict(FUNCTIONS):
            vals["function"] = incoming.function
        if incoming.error:
            vals.update({"state": "error", "error_text": incoming.error})
        document = self.create(vals)
        if incoming.content:
            document.attachment_id = self.env["ir.attachment"].create({
                "name": incoming.file_name or f"{incoming.entity_id}.xml",
                "raw": incoming.content,
                "res_model": self._name,
                "res_id": document.id,
                "mimetype": "application/xml",
            })
        document._add_event(document.state, incoming.error or _("Received from %s", incoming.sender_name),
                            kind="received")
        if incoming.error or not incoming.content:
            return document
        is_upd = incoming.doc_type in ("UniversalTransferDocument", "") or \
            (incoming.file_name or "").upper().startswith("ON_NSCHFDOPPR")
        if not is_upd:
            return document
        try:
            parsed = upd_parse.parse_upd(incoming.content)
        except upd_parse.UpdParseError as exc:
            document.write({"state": "error", "error_text": _("Unreadable УПД: %s", exc)})
            document._add_event("error", str(exc), kind="parse_failed")
            return document
        document._make_vendor_bill(parsed)
        return document

    @api.model
    def _create_incoming_failure(self, account, incoming, error):
        if self.search_count([("operator_account_id", "=", account.id), ("entity_id", "=", incoming.entity_id)]):
            return
        self.create({
            "name": incoming.file_name or incoming.entity_id,
            "company_id": account.company_id.id,
            "direction": "incoming",
            "operator_account_id": account.id,
            "message_id": incoming.message_id,
            "entity_id": incoming.entity_id,
            "state": "error",
            "error_text": error,
            "format_version": False,
        })

    @api.model
    def _find_partner(self, company, inn, kpp="", name="", create=False):
        inn = clean_digits(inn)
        if not inn:
            return self.env["res.partner"]
        Partner = self.env["res.partner"].with_context(active_test=False)
        domain = [("vat", "in", [inn, f"RU{inn}"]), ("company_id", "in", [company.id, False])]
        partners = Partner.search(domain, order="is_company desc, parent_id desc, id")
        partners = partners.mapped("commercial_partner_id")
        if kpp and len(partners) > 1:
            same = partners.filtered(lambda p: p.edo_kpp == kpp)
            partners = same or partners
        if partners:
            return partners[0]
        if not create:
            return self.env["res.partner"]
        return self.env["res.partner"].create({
            "name": name or inn,
            "vat": inn,
            "edo_kpp": kpp if kpp and len(kpp) == 9 else False,
            "is_company": True,
            "company_id": False,
        })

    def _make_vendor_bill(self, parsed):
        """A draft vendor bill of an incoming УПД (ParsedUpd), the file attached to it."""
        self.ensure_one()
        account = self.operator_account_id
        company = self.company_id
        partner = self._find_partner(company, parsed.seller.inn, parsed.seller.kpp, parsed.seller.name, create=True)
        our_inn = clean_digits(company.partner_id.vat)
        notes = [_("УПД %(number)s of %(date)s, function %(function)s.", number=parsed.number,
                   date=parsed.date.strftime("%d.%m.%Y"), function=parsed.function)]
        if parsed.buyer.inn and our_inn and parsed.buyer.inn != our_inn:
            notes.append(_("The buyer's ИНН in the document is %(inn)s, not the company's %(ours)s.",
                           inn=parsed.buyer.inn, ours=our_inn))
        notes += list(parsed.warnings)
        journal = account.purchase_journal_id or self.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", company.id)], limit=1)
        if not journal:
            raise UserError(_("The company %s has no purchase journal for vendor bills.", company.name))
        currency = company.currency_id
        if parsed.currency and parsed.currency != "643":
            currency = self.env["res.currency"].with_context(active_test=False).search(
                [("iso_numeric", "=", int(parsed.currency))], limit=1) or currency
        elif parsed.currency == "643":
            currency = self.env.ref("base.RUB")
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        line_vals = []
        for line in parsed.lines:
            vals, problem = self._bill_line_vals(company, line, price_digits)
            line_vals.append(vals)
            if problem:
                notes.append(problem)
        bill = self.env["account.move"].with_company(company).create({
            "move_type": "in_invoice",
            "partner_id": partner.id,
            "ref": parsed.number,
            "invoice_date": parsed.date,
            "journal_id": journal.id,
            "currency_id": currency.id,
            "company_id": company.id,
            "invoice_line_ids": [(0, 0, vals) for vals in line_vals],
        })
        if self.attachment_id:
            attachment = self.attachment_id.copy({"res_model": "account.move", "res_id": bill.id})
            bill.message_post(body=Markup("<br/>").join(notes), attachment_ids=attachment.ids)
        else:
            bill.message_post(body=Markup("<br/>").join(notes))
        totals = parsed.totals
        self.write({
            "bill_id": bill.id,
            "partner_id": partner.id,
            "name": parsed.number,
            "date": parsed.date,
            "function": parsed.function if parsed.function in dict(FUNCTIONS) else False,
            "format_version": parsed.format_version,
            "currency_id": currency.id,
            "amount_untaxed": float(totals.amount_without_vat or 0),
            "amount_tax": float(totals.vat_amount or 0),
            "amount_total": float(totals.amount_with_vat or 0),
        })
        self._add_event("received", _("Draft vendor bill %s made", bill.display_name), kind="bill")
        return bill

    @api.model
    def _purchase_tax(self, company, percent):
        return self.env["account.tax"].search([
            ("type_tax_use", "=", "purchase"), ("amount_type", "=", "percent"), ("amount", "=", percent),
            ("company_id", "=", company.id), ("price_include", "=", False)], limit=1)

    @api.model
    def _bill_line_vals(self, company, line, price_digits):
        """Vendor bill line of an incoming УПД row; (vals, a note on a problem or "")."""
        problem = ""
        match = _RATE.match((line.vat_rate or "").strip())
        tax = self.env["account.tax"]
        if match:
            percent = float(match.group(1).replace(",", "."))
            if percent:
                tax = self._purchase_tax(company, percent)
                if not tax:
                    problem = _("Row %(n)s: no purchase tax of %(rate)s in the company; the row has no tax.",
                                n=line.number, rate=line.vat_rate)
        without = line.amount_without_vat
        if without is None:
            without = line.amount_with_vat - (line.vat_amount or Decimal(0))
        name = line.name
        quantity, price = line.quantity, line.price
        included = bool(match and "/" in match.group(2))
        usable = (quantity and price is not None and not included
                  and Decimal(str(float_round(float(price), precision_digits=price_digits))) == price
                  and lib_amounts.money(quantity * price) == without)
        if not usable:
            if quantity:
                name = f"{name} ({quantity.normalize():f} {line.unit_name or ''})".strip()
            quantity, price = Decimal(1), without
        vals = {
            "name": name,
            "quantity": float(quantity),
            "price_unit": float(price),
            "tax_ids": [(6, 0, tax.ids)],
        }
        return vals, problem


class EdoDocumentEvent(models.Model):
    _name = "edo.document.event"
    _description = "EDO Document Event"
    _order = "date desc, id desc"

    document_id = fields.Many2one("edo.document", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="document_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    state = fields.Selection(STATES, string="State")
    kind = fields.Selection(EVENT_KINDS, string="Event", default="status")
    text = fields.Text(string="Details")
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user)
