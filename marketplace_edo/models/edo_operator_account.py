# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import operator as edo_operator
from .edo_document import PENDING_STATES

_logger = logging.getLogger(__name__)

#: who may see and change the operator accounts' credentials
ADMIN_GROUPS = "base.group_system,marketplace_connector.group_marketplace_admin"


class EdoOperatorAccount(models.Model):
    """A company's account at an EDO operator (Kontur.Diadoc...)."""

    _name = "edo.operator.account"
    _description = "EDO Operator Account"
    _inherit = ["mail.thread"]
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    operator = fields.Selection(
        [("diadoc", "Kontur.Diadoc")], required=True, default="diadoc", tracking=True)
    base_url = fields.Char(
        string="API address", groups=ADMIN_GROUPS,
        help="Empty: the operator's production API (Diadoc: https://diadoc-api.kontur.ru).")
    login = fields.Char(groups=ADMIN_GROUPS, copy=False)
    password = fields.Char(groups=ADMIN_GROUPS, copy=False)
    client_id = fields.Char(
        string="Client ID (API key)", groups=ADMIN_GROUPS, copy=False,
        help="Diadoc: the developer key (ddauth_api_client_id) issued by Kontur.")
    box_id = fields.Char(
        string="Our box ID", required=True,
        help="The company's box at the operator (Diadoc: …@diadoc.ru). «Test connection» "
        "lists the boxes the login can use.")
    test_signature = fields.Boolean(
        string="Test signature", groups=ADMIN_GROUPS,
        help="Test boxes only: the operator signs the documents with a test signature. "
        "Otherwise the documents are put in the box unsent, and a person signs and sends them "
        "in the operator's web interface with the company's qualified signature.")
    import_incoming = fields.Boolean(
        string="Import incoming documents", default=True,
        help="The scheduled action fetches the documents counteragents send (e.g. the "
        "marketplace's commission УПД) and makes draft vendor bills of them.")
    purchase_journal_id = fields.Many2one(
        "account.journal", string="Vendor bills journal", check_company=True,
        domain="[('type', '=', 'purchase')]",
        help="Journal of the draft vendor bills made from incoming УПД. Empty: the company's "
        "first purchase journal.")
    incoming_cursor = fields.Char(
        string="Incoming documents read up to", copy=False, groups=ADMIN_GROUPS,
        help="The operator's event key of the last incoming document read.")
    last_poll_date = fields.Datetime(string="Last exchange", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    document_ids = fields.One2many("edo.document", "operator_account_id")
    document_count = fields.Integer(compute="_compute_document_count")

    def _compute_document_count(self):
        data = self.env["edo.document"]._read_group(
            [("operator_account_id", "in", self.ids)], ["operator_account_id"], ["__count"])
        counts = {account.id: count for account, count in data}
        for account in self:
            account.document_count = counts.get(account.id, 0)

    # --- operator -------------------------------------------------------------------
    @api.model
    def _for_company(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    def _make_operator(self):
        """The lib operator of this account (credentials read as superuser: accountants send
        documents without seeing the credentials).  Options for tests may come through the
        context key ``edo_operator_options``."""
        self.ensure_one()
        account = self.sudo()
        options = dict(self.env.context.get("edo_operator_options") or {})
        if account.test_signature:
            options.setdefault("test_signature", True)
        credentials = {"login": account.login or "", "password": account.password or "",
                       "client_id": account.client_id or ""}
        try:
            return edo_operator.make_operator(
                account.operator, credentials, base_url=(account.base_url or "").strip() or None, **options)
        except edo_operator.OperatorError as exc:
            raise UserError(_("EDO account «%(name)s»: %(error)s", name=account.name, error=exc.message)) from None

    def action_test_connection(self):
        self.ensure_one()
        operator = self._make_operator()
        try:
            text = operator.test_connection()
        except edo_operator.OperatorError as exc:
            raise UserError(_("The operator refused the connection: %s", exc.message)) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Connection works"), "message": text, "type": "success", "sticky": True},
        }

    def action_poll_now(self):
        for account in self:
            account._poll()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("EDO exchange done"),
                "message": "\n".join(a.last_error or _("%s: no errors", a.name) for a in self),
                "type": "warning" if any(a.last_error for a in self) else "success",
            },
        }

    def action_open_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("marketplace_edo.edo_document_action")
        action["domain"] = [("operator_account_id", "=", self.id)]
        action["context"] = {}
        return action

    # --- the scheduled exchange ------------------------------------------------------------
    @api.model
    def _cron_poll(self):
        for account in self.search([]):
            account._poll()

    def _poll(self):
        """Statuses of the documents sent or waiting unsent in the outbox, then the incoming
        documents.  One bad document never stops the rest; an operator failure is kept on
        the account."""
        self.ensure_one()
        errors = []
        try:
            operator = self._make_operator()
        except UserError as exc:
            self._set_poll_result([str(exc.args[0])])
            return
        documents = self.env["edo.document"].search([
            ("operator_account_id", "=", self.id), ("direction", "=", "outgoing"),
            ("state", "in", PENDING_STATES), ("message_id", "!=", False)])
        for document in documents:
            try:
                with self.env.cr.savepoint():
                    document._update_status(operator)
            except edo_operator.OperatorError as exc:
                errors.append(_("%(doc)s: %(error)s", doc=document.name, error=exc.message))
                if exc.retryable or isinstance(exc, edo_operator.OperatorAuthError):
                    break  # the operator is down or refuses us: the next run tries again
        if self.import_incoming and not errors:
            errors += self._fetch_incoming(operator)
        self._set_poll_result(errors)

    def _set_poll_result(self, errors):
        vals = {"last_poll_date": fields.Datetime.now(), "last_error": "\n".join(errors) or False}
        if errors:
            _logger.warning("EDO account %s (id %s): %s", self.name, self.id, "; ".join(errors))
        self.sudo().write(vals)

    def _fetch_incoming(self, operator):
        errors = []
        account = self.sudo()
        Document = self.env["edo.document"]
        try:
            for incoming in operator.list_incoming(account.box_id, after_event_id=account.incoming_cursor or None):
                try:
                    with self.env.cr.savepoint():
                        Document._create_incoming(self, incoming)
                except Exception as exc:  # noqa: BLE001 - one bad document never stops the batch
                    _logger.exception("EDO: incoming document %s could not be recorded", incoming.entity_id)
                    errors.append(_("Incoming document %(file)s: %(error)s",
                                    file=incoming.file_name or incoming.entity_id, error=str(exc)))
                    with self.env.cr.savepoint():
                        Document._create_incoming_failure(self, incoming, str(exc))
                if incoming.cursor:
                    account.incoming_cursor = incoming.cursor
        except edo_operator.OperatorError as exc:
            errors.append(_("Incoming documents: %s", exc.message))
        return errors
