# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import random
import threading
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import config

from ..lib import base as lib_base
from ..lib import orders as lib_orders
from ..lib.transport import ApiError, AuthError

_logger = logging.getLogger(__name__)

MARKETPLACES = [
    ("wildberries", "Wildberries"),
    ("ozon", "Ozon"),
    ("yandex", "Yandex Market"),
]
ADMIN = "marketplace_connector.group_marketplace_admin"
CONCURRENCY_RETRIES = 5
LOCK_NAMESPACE = 4242
#: the rate limiter of each account in this process (see _get_adapter)
_RATE_LIMITERS = {}
#: outcomes of one run of an account's import
DONE, MORE, BUSY, FAILED = "done", "more", "busy", "failed"
#: a run of the scheduled action stops at this share of the time Odoo's cron worker leaves it
TIME_BUDGET_SHARE = 0.5
#: seconds Odoo's cron worker may sleep between two polls (odoo.service.server.SLEEP_INTERVAL)
CRON_SLEEP = 60
#: seconds, when Odoo sets no time limit
DEFAULT_TIME_BUDGET = 45.0
#: seconds a manager's "Import orders now" may take before the rest goes to the background
MANUAL_TIME_BUDGET = 20.0
#: the part of the window read in one step
IMPORT_SLICE = timedelta(hours=6)
#: the shortest slice a dense window is cut into
MIN_SLICE = timedelta(minutes=10)
#: kept orders turned into sale orders in one committed step (one chunk of the import)
COMMIT_CHUNK = 25
#: orders of a slice kept in one committed step
STAGE_PIECE = 500
#: held orders looked at, and imported orders whose state is read, in one step
HELD_BATCH = 200
STATE_BATCH = 100
#: days during which an imported order's marketplace state is followed by default
DEFAULT_STATE_HORIZON = 60

#: the credential fields of each marketplace (model field -> adapter credential key)
CREDENTIALS = {
    "wildberries": {"wb_token": "token"},
    "ozon": {"ozon_client_id": "client_id", "ozon_api_key": "api_key"},
    "yandex": {"ym_api_key": "api_key"},
}


class MarketplaceAccount(models.Model):
    _name = "marketplace.account"
    _description = "Marketplace Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    marketplace = fields.Selection(MARKETPLACES, required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")

    # --- connection ---------------------------------------------------------------
    environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox / emulator")],
        default="production", required=True, tracking=True,
        help="Production uses the marketplace's own API addresses. Sandbox / emulator sends "
        "every call to the base URL below (a sandbox or the marketplace emulator).")
    base_url = fields.Char(
        string="Base URL", groups=ADMIN,
        help="Used in the sandbox / emulator environment, e.g. http://127.0.0.1:8900/ozon")
    wb_token = fields.Char(string="Wildberries API token", groups=ADMIN, copy=False)
    ozon_client_id = fields.Char(string="Ozon Client-Id", groups=ADMIN, copy=False)
    ozon_api_key = fields.Char(string="Ozon Api-Key", groups=ADMIN, copy=False)
    ym_api_key = fields.Char(string="Yandex Market Api-Key", groups=ADMIN, copy=False)
    ym_business_id = fields.Char(string="Yandex Market business ID", groups=ADMIN)
    ym_campaign_ids = fields.Char(
        string="Yandex Market campaign IDs", groups=ADMIN,
        help="Comma-separated campaign (shop) IDs of the business to import")
    has_credentials = fields.Boolean(compute="_compute_has_credentials")

    # --- sales --------------------------------------------------------------------
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    customer_mode = fields.Selection(
        [("marketplace", "One customer for the marketplace"),
         ("buyer", "A customer per buyer, where the marketplace gives buyer data")],
        default="marketplace", required=True,
        help="Who the customer of an imported sale order is. Buyer data (name, phone, address) "
        "is given only by some schemes (e.g. DBS) and is visible to marketplace users only.")
    partner_id = fields.Many2one(
        "res.partner", string="Marketplace customer", required=True, check_company=True,
        default=lambda self: self._default_partner(),
        help="The customer of imported orders (and the parent of buyers' contacts).")
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Default warehouse", check_company=True,
        help="Used for FBS/DBS orders from a marketplace warehouse that is not mapped yet.")
    price_basis = fields.Selection(
        selection="_selection_price_basis", string="Revenue price",
        help="Which of the marketplace's prices becomes the price of the sale order line. Empty: the "
        "marketplace's default, the price its finance report calls the sale (Wildberries: the price "
        "after the seller's and Wildberries' discounts; Ozon: the price after the seller's discounts; "
        "Yandex Market: the buyer's price plus Market's subsidy).")
    default_tax_id = fields.Many2one(
        "account.tax", string="Default sale tax", check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="The VAT of products that have no customer tax. Marketplace prices include VAT: the "
        "price-included form of the tax is used.")
    fiscal_position_id = fields.Many2one(
        "account.fiscal.position", string="Fiscal position", check_company=True,
        help="Maps the products' taxes on imported orders (default: the customer's fiscal position).")
    sells_without_vat = fields.Boolean(
        string="Sells without VAT",
        help="The seller charges no VAT (e.g. УСН without VAT): order lines without a tax are imported. "
        "Otherwise an order whose tax cannot be determined is held.")
    warehouse_mapping_ids = fields.One2many("marketplace.warehouse.mapping", "account_id")
    product_mapping_ids = fields.One2many("marketplace.product.mapping", "account_id")

    # --- features -----------------------------------------------------------------
    import_orders = fields.Boolean(default=True, tracking=True)
    import_fbs = fields.Boolean(string="FBS orders", default=True)
    import_dbs = fields.Boolean(string="DBS orders", default=True)
    import_fbo = fields.Boolean(string="FBO orders", default=True)
    import_days = fields.Integer(
        string="First import (days back)", default=3,
        help="How far back the very first import looks.")
    overlap_minutes = fields.Integer(
        default=60, help="Each import window starts this long before the end of the previous "
        "one, so that late-arriving orders are never missed (duplicates are impossible).")

    # --- stock export ----------------------------------------------------------------
    stock_export = fields.Boolean(
        string="Export stock", tracking=True, copy=False,
        help="Send the stock of the mapped products to the marketplace's FBS/DBS warehouses "
        "(every 5 minutes, and soon after stock moves) and read its FBO stock.")
    stock_basis = fields.Selection(
        [("onhand", "On hand"), ("free", "Free (on hand less reserved)"), ("forecast", "Forecast")],
        string="Stock basis", default="free", required=True,
        help="What the quantity sent is computed from, in the Odoo warehouse of each marketplace warehouse.")
    stock_buffer = fields.Integer(
        string="Safety buffer", default=0,
        help="Units kept back from every item's quantity (a product mapping or a marketplace "
        "warehouse may set its own).")
    stock_read_fbo = fields.Boolean(
        string="Read FBO stock", default=True,
        help="Set the FBO locations to the stock the marketplace reports in its warehouses.")
    stock_last_export = fields.Datetime(string="Last stock export", readonly=True, copy=False)
    stock_fbo_read_at = fields.Datetime(string="FBO stock read at", readonly=True, copy=False)
    stock_error_count = fields.Integer(string="Stock export errors", compute="_compute_stock_error_count")

    # --- state --------------------------------------------------------------------
    orders_synced_until = fields.Datetime(
        string="Orders imported up to", copy=False, readonly=True)
    import_started_at = fields.Datetime(
        string="Last import started", copy=False, readonly=True,
        help="The scheduled action serves the account waiting longest first.")
    import_backlog = fields.Integer(
        string="Orders waiting", copy=False, readonly=True,
        help="Orders read from the marketplace and not yet turned into sale orders; the import "
        "goes on with them at its next run.")
    import_slice_minutes = fields.Integer(
        string="Import slice (minutes)", copy=False, readonly=True,
        help="The part of the window read in one step, shortened where the orders are dense "
        "(a busy seller's backlog) and lengthened again where they are not.")
    import_turn = fields.Integer(
        copy=False, readonly=True,
        help="Which kind of step a run of the import begins with, in turn, so that a run that "
        "has time for one step only still moves every kind on over a few runs.")
    # --- labels (stickers and delivery labels fetched from the marketplace) ----------------
    label_sticker_type = fields.Selection(
        [("png", "PNG"), ("svg", "SVG"), ("zplv", "ZPL, vertical"), ("zplh", "ZPL, horizontal")],
        string="Sticker format", default="png", required=True,
        help="Wildberries stickers: PNG prints into one PDF with the other labels; ZPL goes to a "
        "thermal printer as one .zpl file; SVG is kept as a file only.")
    label_sticker_size = fields.Selection(
        [("58x40", "58 × 40 mm"), ("40x30", "40 × 30 mm")], string="Sticker size", default="58x40",
        required=True)
    label_page_format = fields.Selection(
        [("A9_HORIZONTALLY", "58 × 40 mm (A9, horizontal)"), ("A9", "40 × 58 mm (A9)"),
         ("A7", "75 × 120 mm (A7)"), ("A4", "A4 sheet")],
        string="Label layout", default="A7", required=True,
        help="Yandex Market delivery labels: the layout of the PDF the Market makes.")

    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_error_date = fields.Datetime(readonly=True, copy=False)
    show_last_error = fields.Boolean(
        compute="_compute_show_last_error", search="_search_show_last_error",
        help="The last failure is newer than the last successful import and not dismissed.")
    # --- lifecycle: shipments, returns, warehouse choice ------------------------------------------
    wb_hand_over_at_validation = fields.Boolean(
        string="Hand over the supply at once",
        help="Wildberries FBS: hand the supply over as soon as a validated delivery is added to it. "
        "Otherwise the supply stays open for the day's deliveries until a user hands it over.")
    returns_location_id = fields.Many2one(
        "stock.location", string="Returns location", check_company=True, domain="[('usage', '=', 'internal')]",
        help="Where the goods of a returned order come back. Empty: a \"Marketplace returns\" location of "
        "the order's warehouse, made when first needed.")
    validate_returns = fields.Boolean(
        string="Validate returns at once",
        help="Validate the return transfer when the marketplace reports the return; otherwise it is left "
        "ready for the warehouse to receive.")
    warehouse_priority_ids = fields.Many2many(
        "stock.warehouse", "marketplace_account_warehouse_priority_rel", "account_id", "warehouse_id",
        string="Warehouses by priority", check_company=True,
        help="An order whose marketplace warehouse is not mapped ships from the first of these warehouses "
        "with stock at hand for all its lines, else from any warehouse with that stock, else from the "
        "first of these.")
    supply_ids = fields.One2many("marketplace.supply", "account_id", string="Supplies")

    order_count = fields.Integer(compute="_compute_counts")
    sync_error_count = fields.Integer(compute="_compute_counts")
    held_count = fields.Integer(compute="_compute_counts")
    unmapped_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("overlap_positive", "CHECK(overlap_minutes >= 0)", "The overlap cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("marketplace"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["partner_id"] = self._marketplace_partner(vals["marketplace"], company).id
        return super().create(vals_list)

    @api.model
    def _default_partner(self):
        marketplace = self.env.context.get("default_marketplace")
        return self._marketplace_partner(marketplace, self.env.company) if marketplace else False

    @api.model
    def _marketplace_partner(self, marketplace, company=None):
        """The customer "buyers of <marketplace>" of a company: one per company, made from the
        shared template the first time a company has an account of that marketplace."""
        template = self.env.ref(f"marketplace_connector.partner_{marketplace}", raise_if_not_found=False)
        if not template or not company:
            return template
        # per company, as Odoo names the records of a company's chart of accounts
        xmlid = f"marketplace_connector.{company.id}_partner_{marketplace}"
        partner = self.env.ref(xmlid, raise_if_not_found=False)
        if not partner:
            partner = template.sudo().copy({"company_id": company.id, "name": template.name})
            self.env["ir.model.data"].sudo().create({
                "module": "marketplace_connector", "name": xmlid.split(".", 1)[1],
                "model": "res.partner", "res_id": partner.id, "noupdate": True})
        return partner.sudo(False)

    @api.onchange("marketplace", "company_id")
    def _onchange_marketplace(self):
        if self.marketplace and (not self.partner_id or self.partner_id.company_id != self.company_id):
            self.partner_id = self._marketplace_partner(self.marketplace, self.company_id)

    # --- policies (override to change them) -------------------------------------------
    @api.model
    def _selection_price_basis(self):
        """Every marketplace's price bases, as ``<marketplace>:<basis>``."""
        selection = []
        for marketplace, label in MARKETPLACES:
            for key, basis_label in getattr(lib_base.adapter_class(marketplace), "PRICE_BASES", ()):
                # the labels of the lib are translated as code terms (see i18n/ru.po)
                selection.append((f"{marketplace}:{key}", f"{label}: {_(basis_label)}"))  # pylint: disable=translation-required
        return selection

    def _default_price_basis(self):
        return getattr(lib_base.adapter_class(self.marketplace), "default_price_basis", "")

    def _price_basis(self):
        """The basis of the sale price of imported lines (see ``price_basis``)."""
        self.ensure_one()
        if self.price_basis and self.price_basis.startswith(f"{self.marketplace}:"):
            return self.price_basis.split(":", 1)[1]
        return self._default_price_basis()

    @api.constrains("price_basis", "marketplace")
    def _check_price_basis(self):
        for account in self.filtered("price_basis"):
            if not account.price_basis.startswith(f"{account.marketplace}:"):
                choices = [label for key, label in self._selection_price_basis()
                           if key.startswith(f"{account.marketplace}:")]
                raise ValidationError(_("%(account)s is a %(marketplace)s account: choose its revenue price "
                                        "among: %(choices)s.", account=account.name,
                                        marketplace=account.marketplace, choices="; ".join(choices)))

    def _line_taxes(self, product):
        """The taxes of an imported line of ``product``: the product's customer taxes of the
        account's company (else the account's default sale tax), through the fiscal position,
        in their price-included form (marketplace prices are what the buyer paid, VAT
        included).  Empty when no tax can be determined."""
        self.ensure_one()
        company = self.company_id
        taxes = product.taxes_id.filtered(lambda t: t.company_id == company or not t.company_id) \
            or self.default_tax_id
        fiscal_position = self.fiscal_position_id or self.env["account.fiscal.position"].with_company(
            company)._get_fiscal_position(self.partner_id)
        if fiscal_position:
            taxes = fiscal_position.map_tax(taxes)
        return self._included_taxes(taxes)

    def _included_taxes(self, taxes):
        """Each tax in its price-included form: the tax itself, or its included twin (same rate,
        same repartition), made once from the excluded tax when the company has none."""
        Tax = self.env["account.tax"].sudo()
        result = Tax
        for tax in taxes:
            if tax.price_include or tax.amount_type not in ("percent", "division") or not tax.amount:
                result |= tax
                continue
            twin = Tax.search([
                ("company_id", "=", tax.company_id.id), ("type_tax_use", "=", tax.type_tax_use),
                ("amount_type", "=", tax.amount_type), ("amount", "=", tax.amount),
                ("tax_group_id", "=", tax.tax_group_id.id), ("price_include", "=", True),
                ("country_id", "=", tax.country_id.id)], limit=1)
            if not twin:
                twin = tax.sudo().copy({"name": _("%s (included in price)", tax.name),
                                 "price_include_override": "tax_included", "include_base_amount": False})
                _logger.info("Tax %s: made its price-included twin %s for marketplace orders", tax.name, twin.name)
            result |= twin
        return result.sudo(False)

    def _order_pricelist(self, currency_code):
        """The pricelist of an order in ``currency_code``: the account's when it is in that
        currency, else the company's first pricelist in it.  An empty pricelist means "Odoo's
        default" (the company's currency); None means the order cannot be made in it."""
        self.ensure_one()
        Pricelist = self.env["product.pricelist"]
        if self.pricelist_id and self.pricelist_id.currency_id.name == currency_code:
            return self.pricelist_id
        currency = self.env["res.currency"].search([("name", "=", currency_code)], limit=1)
        if not currency:
            return None
        pricelist = Pricelist.search([("currency_id", "=", currency.id),
                                      ("company_id", "in", [False, self.company_id.id])], limit=1)
        if pricelist:
            return pricelist
        return Pricelist if currency == self.company_id.currency_id and not self.pricelist_id else None

    def _default_warehouse(self):
        self.ensure_one()
        return self.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1)

    # --- lifecycle: policies (override to change them) ----------------------------------------------
    def _marketplace_choose_warehouse(self, mapped, needs):
        """The warehouse an FBS/DBS order ships from: its marketplace warehouse's mapping
        (``mapped``) first; then the first of the account's priority list with stock at hand for
        all the lines (``needs``: {product: quantity}); then any warehouse of the company with
        that stock; then the first of the priority list; then the account's default."""
        self.ensure_one()
        if mapped:
            return mapped
        candidates = self.warehouse_priority_ids
        others = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id), ("id", "not in", candidates.ids)])
        for warehouse in list(candidates) + list(others):
            if needs and self._marketplace_has_stock(warehouse, needs):
                return warehouse
        return candidates[:1] or self._default_warehouse()

    def _marketplace_has_stock(self, warehouse, needs):
        products = self.env["product.product"].union(*needs).with_context(warehouse_id=warehouse.id)
        stock = {p.id: p.qty_available for p in products}
        return all(stock.get(p.id, 0) >= qty for p, qty in needs.items() if p.is_storable)

    def _marketplace_returns_location(self, warehouse):
        """Where returned goods come back: the account's returns location, else a "Marketplace
        returns" internal location of the warehouse (made once)."""
        self.ensure_one()
        if self.returns_location_id:
            return self.returns_location_id
        Location = self.env["stock.location"].sudo()
        parent = warehouse.view_location_id
        location = Location.search([("location_id", "=", parent.id), ("marketplace_returns", "=", True)], limit=1)
        return location or Location.create({
            "name": _("Marketplace returns"), "usage": "internal", "location_id": parent.id,
            "company_id": warehouse.company_id.id, "marketplace_returns": True})

    def _order_partners(self, order):
        """(customer, delivery address) of an imported order (see ``customer_mode``)."""
        self.ensure_one()
        parent = self.partner_id
        if self.customer_mode != "buyer" or not order.customer:
            return parent, parent
        buyer_fields = self.env["marketplace.order"]._buyer_fields(order.customer)
        if not buyer_fields["buyer_name"]:
            return parent, parent
        Partner = self.env["res.partner"].sudo()
        buyer = Partner.search([("parent_id", "=", parent.id), ("name", "=", buyer_fields["buyer_name"]),
                                ("phone", "=", buyer_fields["buyer_phone"])], limit=1)
        if not buyer:
            vals = {
                "parent_id": parent.id, "type": "delivery", "name": buyer_fields["buyer_name"],
                "phone": buyer_fields["buyer_phone"], "street": buyer_fields["buyer_address"],
                "city": order.customer.get("city") or False, "zip": order.customer.get("zip") or False,
                "company_id": self.company_id.id,
            }
            if "marketplace_buyer" in Partner._fields:
                vals["marketplace_buyer"] = True
            buyer = Partner.create(vals)
        return parent, buyer

    def _compute_has_credentials(self):
        for account in self:
            creds = account.sudo()._credentials()
            account.has_credentials = bool(creds) and all(creds.values())

    @api.depends("last_error", "last_error_date", "last_sync_date")
    def _compute_show_last_error(self):
        for account in self:
            account.show_last_error = bool(account.last_error) and (
                not account.last_sync_date or not account.last_error_date
                or account.last_error_date >= account.last_sync_date)

    def _search_show_last_error(self, operator, value):
        ids = self.search([("last_error", "!=", False)]).filtered("show_last_error").ids
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", ids)]

    def action_dismiss_error(self):
        self.check_access("read")
        self.sudo().write({"last_error": False})
        return True

    def _compute_counts(self):
        Order = self.env["marketplace.order"]
        orders = dict(Order._read_group([("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        sync_errors = dict(self.env["marketplace.sync.log"]._read_group(
            [("account_id", "in", self.ids), ("state", "=", "error")], ["account_id"], ["__count"]))
        held = dict(Order._read_group(
            [("account_id", "in", self.ids), ("import_state", "in", ("held", "error"))],
            ["account_id"], ["__count"]))
        unmapped = dict(self.env["marketplace.product.mapping"]._read_group(
            [("account_id", "in", self.ids), ("product_id", "=", False)],
            ["account_id"], ["__count"]))
        for account in self:
            account.order_count = orders.get(account, 0)
            account.held_count = held.get(account, 0)
            account.unmapped_count = unmapped.get(account, 0)
            account.sync_error_count = sync_errors.get(account, 0)

    # --- adapter ------------------------------------------------------------------
    def _credentials(self):
        self.ensure_one()
        return {key: self[field] for field, key in CREDENTIALS.get(self.marketplace, {}).items()}

    def _settings(self):
        self.ensure_one()
        schemes = [s for s, on in (("fbs", self.import_fbs), ("dbs", self.import_dbs),
                                   ("fbo", self.import_fbo)) if on]
        # look-ups one order at a time (Yandex Market's buyers) are made as orders are imported,
        # a chunk at a time, not while a window is read
        settings = {"schemes": schemes, "defer_lookups": True}
        if self.marketplace == "yandex":
            settings["business_id"] = int(self.ym_business_id or 0)
            settings["campaign_ids"] = [
                int(c) for c in (self.ym_campaign_ids or "").replace(";", ",").split(",") if c.strip()]
        return settings

    def _get_adapter(self, calls=None, **transport_kwargs):
        """The adapter of this account.  ``calls``: a list that collects every CallInfo."""
        self.ensure_one()
        account = self.sudo()
        creds = account._credentials()
        missing = [k for k, v in creds.items() if not v]
        if missing:
            raise UserError(_("The account %(name)s has no credentials yet (%(fields)s).",
                              name=self.name, fields=", ".join(missing)))
        base_url = account.base_url if account.environment == "sandbox" else None
        if account.environment == "sandbox" and not base_url:
            raise UserError(_("Set the base URL of the sandbox / emulator for %s.", self.name))
        if calls is not None:
            transport_kwargs["on_call"] = calls.append
        transport_kwargs.setdefault("timeout", (5.0, 30.0))
        # one limiter per account and process, so that runs one after the other keep the
        # marketplace's documented limit together
        key = (self.env.cr.dbname, self.id, account.marketplace)
        if "rate_limiter" not in transport_kwargs:
            if key not in _RATE_LIMITERS:
                _RATE_LIMITERS[key] = lib_base.adapter_class(account.marketplace).make_rate_limiter()
            transport_kwargs["rate_limiter"] = _RATE_LIMITERS[key]
        return lib_base.make_adapter(
            self.marketplace, creds, account._settings(), base_url=base_url, **transport_kwargs)

    def _marketplace_label_options(self):
        """The options of ``adapter.fetch_labels`` from the account's label settings (labels)."""
        self.ensure_one()
        if self.marketplace == "wildberries":
            width, height = (int(v) for v in (self.label_sticker_size or "58x40").split("x"))
            return {"sticker_type": self.label_sticker_type or "png", "size": (width, height)}
        if self.marketplace == "yandex":
            return {"page_format": self.label_page_format or "A7"}
        return {}

    def _write_sync_log(self, calls, operation, run_key=None):
        """Record the API calls of one run in the sync log (see marketplace.sync.log)."""
        if calls:
            self.env["marketplace.sync.log"].sudo()._log_calls(self, calls, operation, run_key=run_key)

    def _record_failure(self, message):
        self.sudo().write({"last_error": message, "last_error_date": fields.Datetime.now()})

    # --- actions ------------------------------------------------------------------
    def action_test_connection(self):
        self.ensure_one()
        self.check_access("read")
        calls = []
        try:
            adapter = self._get_adapter(calls, max_attempts=2)
            summary = adapter.test_connection()
        except AuthError:
            message = _("The marketplace refused the credentials. Check the API key / token.")
            kind = "danger"
        except ApiError as exc:
            message = _("The marketplace could not be reached: %s", exc.message)
            kind = "danger"
        else:
            message = _("Connection works: %s", summary)
            kind = "success"
        self._write_sync_log(calls, "test")
        if kind == "danger":
            self._record_failure(message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.name, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def action_import_orders(self):
        for account in self:
            account._run_order_import()
        return True

    def action_import_catalog(self):
        self.ensure_one()
        self.check_access("read")
        calls = []
        try:
            items = list(self._get_adapter(calls).fetch_catalog())
        except ApiError as exc:
            self._write_sync_log(calls, "catalog")
            self._record_failure(exc.message)
            raise UserError(_("The catalogue could not be read: %s", exc.message)) from None
        self._write_sync_log(calls, "catalog")
        created, matched = self.env["marketplace.product.mapping"]._sync_catalog(self, items)
        return self._notify(_("Catalogue read: %(n)s items, %(c)s new, %(m)s matched to products.",
                              n=len(items), c=created, m=matched))

    def action_import_warehouses(self):
        self.ensure_one()
        self.check_access("read")
        calls = []
        try:
            warehouses = self._get_adapter(calls).fetch_warehouses()
        except ApiError as exc:
            self._write_sync_log(calls, "warehouses")
            self._record_failure(exc.message)
            raise UserError(_("The warehouses could not be read: %s", exc.message)) from None
        self._write_sync_log(calls, "warehouses")
        count = self.env["marketplace.warehouse.mapping"]._sync_warehouses(self, warehouses)
        return self._notify(_("%s new marketplace warehouses.", count))

    def action_auto_match(self):
        self.check_access("read")
        matched = self.env["marketplace.product.mapping"].search(
            [("account_id", "in", self.ids), ("product_id", "=", False)])._auto_match()
        return self._notify(_("%s items matched to products by barcode or internal reference.", matched))

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "info", "next": {"type": "ir.actions.act_window_close"}},
        }

    def _open(self, model, domain, name):
        return {"type": "ir.actions.act_window", "res_model": model, "name": name,
                "view_mode": "list,form", "domain": domain, "context": {"default_account_id": self.id}}

    def action_open_orders(self):
        return self._open("marketplace.order", [("account_id", "=", self.id)], _("Marketplace orders"))

    def action_open_held(self):
        return self._open("marketplace.order",
                          [("account_id", "=", self.id), ("import_state", "in", ("held", "error"))],
                          _("Held orders"))

    def action_open_unmapped(self):
        return self._open("marketplace.product.mapping",
                          [("account_id", "=", self.id), ("product_id", "=", False)],
                          _("Unmapped items"))

    def action_open_sync_log(self):
        return self._open("marketplace.sync.log", [("account_id", "=", self.id)], _("Sync log"))

    # --- stock export (logic: marketplace.stock.level) ------------------------------
    def _compute_stock_error_count(self):
        counts = dict(self.env["marketplace.stock.level"]._read_group(
            [("account_id", "in", self.ids), ("state", "=", "error")], ["account_id"], ["__count"]))
        for account in self:
            account.stock_error_count = counts.get(account, 0)

    def _stock_adapter_class(self):
        return lib_base.adapter_class(self.marketplace)

    def action_export_stock_now(self):
        """Send all stock now (a full re-sync): every item of the account, changed or not."""
        self.check_access("read")
        summaries = self.env["marketplace.stock.level"].sudo()._export_accounts(self.sudo(), full=True)
        summary = {key: sum(s[key] for s in summaries.values()) for key in ("accepted", "refused", "deferred")}
        errors = [s["error"] for s in summaries.values() if s["error"]]
        if errors:
            raise UserError(_("The stock could not be sent: %s", errors[0]))
        return self._notify(_("Stock sent: %(a)s accepted, %(r)s refused, %(d)s to send in the next run.",
                              a=summary["accepted"], r=summary["refused"], d=summary["deferred"]))

    def action_open_stock_levels(self):
        return self._open("marketplace.stock.level", [("account_id", "=", self.id)], _("Stock levels"))

    def action_open_stock_errors(self):
        return self._open("marketplace.stock.level", [("account_id", "=", self.id), ("state", "=", "error")],
                          _("Stock export errors"))

    # --- order import ---------------------------------------------------------------
    def _lock_key(self):
        return zlib.crc32(f"marketplace.account:{self.id}".encode()) & 0x7FFFFFFF

    def _try_lock(self):
        """This account's import lock, for the current transaction only: it can never outlive
        the transaction (a pooled connection, a crashed run), and every committed step takes
        it again."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, self._lock_key()))
        return self.env.cr.fetchone()[0]

    @api.model
    def _import_time_budget(self):
        """Seconds one run of the scheduled action may spend, well below the time Odoo gives a
        cron job (``limit_time_real_cron``, else ``limit_time_real``): the run stops cleanly
        before it and the next run goes on.  ``marketplace_connector.import_time_budget``
        (seconds) overrides it."""
        param = self.env["ir.config_parameter"].sudo().get_param("marketplace_connector.import_time_budget")
        try:
            if param and float(param) > 0:
                return float(param)
        except ValueError:
            pass
        limit = config.get("limit_time_real_cron") or -1
        if limit in (-1, None):
            limit = config.get("limit_time_real") or 0
        if limit and limit > 0:
            # Odoo's cron worker resets its watchdog before it sleeps (up to SLEEP_INTERVAL + 10 s
            # between polls), and runs every job due in one pass: only what is left after that
            # is the run's
            left = limit - CRON_SLEEP - 10
            return max(5.0, left * TIME_BUDGET_SHARE)
        return DEFAULT_TIME_BUDGET

    @api.model
    def _import_slice(self):
        """The longest part of the window read in one step (``marketplace_connector.import_slice_hours``)."""
        param = self.env["ir.config_parameter"].sudo().get_param("marketplace_connector.import_slice_hours")
        try:
            return timedelta(hours=float(param)) if param and float(param) > 0 else IMPORT_SLICE
        except ValueError:
            return IMPORT_SLICE

    def _account_slice(self):
        """The part of the window this account reads in one step: the longest one, shortened
        where the last slice held more orders than one committed piece."""
        longest = self._import_slice()
        if self.import_slice_minutes:
            return min(timedelta(minutes=self.import_slice_minutes), longest)
        return longest

    def _adapt_slice(self, length, count):
        """After a slice of ``length`` held ``count`` orders: aim the next one at about one
        committed piece of orders (never under MIN_SLICE, never over the longest)."""
        longest = self._import_slice()
        if count > STAGE_PIECE:
            wanted = max(length * (STAGE_PIECE / count), MIN_SLICE)
        elif count < STAGE_PIECE // 4 and length < longest:
            wanted = min(length * 2, longest)
        else:
            return
        minutes = 0 if wanted >= longest else max(int(wanted.total_seconds() // 60), 1)
        if minutes != self.import_slice_minutes:
            self.sudo().import_slice_minutes = minutes

    @api.model
    def _state_horizon(self):
        """Days after the order during which its marketplace state is followed."""
        param = self.env["ir.config_parameter"].sudo().get_param(
            "marketplace_connector.state_horizon_days", DEFAULT_STATE_HORIZON)
        try:
            return max(int(param), 1)
        except ValueError:
            return DEFAULT_STATE_HORIZON

    @api.model
    def _cron_import_orders(self):
        """The scheduled action: every active account, the one waiting longest first, within
        one time budget.  Each account commits step by step; one account's failure or backlog
        never stops the others, and what is left is continued by a run triggered at once."""
        budget = self._import_time_budget()
        started = time.monotonic()
        # as Odoo's own scheduled jobs: no commits inside a test's transaction
        commit = not getattr(threading.current_thread(), "testing", False)
        accounts = self.search([("import_orders", "=", True)], order="import_started_at asc nulls first, id")
        more = False
        for index, account in enumerate(accounts):
            left = budget - (time.monotonic() - started)
            if left <= 1 and index:
                more = True  # the accounts not served now go first next time
                break
            # an equal share of what is left for each account still to serve; what one
            # account does not use goes to the next
            share = left / (len(accounts) - index)
            # messages (hold reasons...) in the language of the administrator of the account
            lang = account.create_uid.lang or self.env.user.lang
            outcome = account.with_context(lang=lang)._import_orders(
                commit=commit, deadline=time.monotonic() + share)
            more = more or outcome == MORE
        if more:
            # at once: Odoo then wakes a cron worker (NOTIFY), whose time limit starts anew; the
            # trigger outlives this job (Odoo removes only those older than the job's start)
            self.env.ref("marketplace_connector.ir_cron_marketplace_import_orders")._trigger()
            if commit:
                self.env.cr.commit()
        return more

    def _run_order_import(self, commit=False, now=None, deadline=None, **transport_kwargs):
        """Import new and changed orders of this account; True when it succeeded (also when
        it stopped at ``deadline`` with more to do: see :meth:`_import_orders`)."""
        return self._import_orders(commit=commit, now=now, deadline=deadline, **transport_kwargs) in (DONE, MORE)

    def _import_orders(self, commit=False, now=None, deadline=None, **transport_kwargs):
        """One bounded run of the order import of this account.

        The run goes step by step — held orders whose reason may be gone, the window of new
        and changed orders read slice by slice and kept as import records, the kept orders
        turned into sale orders a chunk at a time, the states of imported orders — and with
        ``commit`` (the scheduled action) each step is committed on its own, the cursor of
        the window moving only over what was committed.  It stops cleanly at ``deadline``
        (``time.monotonic()``) and the next run goes on from there.  Two processes at once: a
        transaction-level advisory lock per account lets one work while the other stops; the
        unique constraints on (account, external id) are the backstop.

        Returns DONE, MORE (stopped at the deadline), BUSY (another process holds the
        account) or FAILED (recorded on the account and in the sync log).
        """
        self.ensure_one()
        if not self.env.su:
            self.check_access("read")  # the run itself reads the credentials as superuser
        run = _ImportRun(self, commit, now, deadline, transport_kwargs)
        return run.execute()

    # the steps of a run ------------------------------------------------------------------
    def _import_step_held(self, run):
        """Held orders whose reason may be gone are imported again; their state is read from
        the marketplace first, so that an order cancelled meanwhile is skipped."""
        Order = run.Order
        held = Order.search([("account_id", "=", self.id), ("import_state", "=", "held")],
                            order="order_date, id", limit=HELD_BATCH, offset=run.held_offset)
        if not held:
            run.idle = True
            return True
        ctx = Order._import_context(self)
        ready = Order.browse()
        kept = [(order, rec) for rec in held for order in [rec._kept_order()] if order is not None]
        ctx.prefetch_mappings(kept)
        for order, rec in kept:
            if not ctx.hold_reasons(order):
                ready |= rec
        ctx.unmapped.clear()
        if ready:
            ready._apply_states(run.adapter.fetch_states(ready._state_refs()))
        ready.filtered(lambda r: r.import_state == "held")._import_staged(run.adapter)
        # the next batch starts after those still held (an unreadable payload included)
        run.held_offset += len(held.filtered(lambda r: r.import_state == "held"))
        return len(held) < HELD_BATCH

    def _import_step_window(self, run):
        """One slice of the window of new and changed orders, read and kept (committed a piece
        at a time) before anything else is done with it.  The orders are kept in the order they
        were placed, and the cursor moves over each committed piece: a slice left half kept at
        the deadline is read again next run from the first order not kept (the orders read
        again, before the cursor, cost nothing), and the next slices are shorter."""
        start = run.window_start
        if start >= run.now:
            run.idle = True
            return True
        length = min(self._account_slice(), run.now - start)
        end = start + length
        items = run.adapter.fetch_orders(start.replace(tzinfo=timezone.utc), end.replace(tzinfo=timezone.utc))
        # unreadable payloads first (they have no date), then by the moment the order was placed
        items.sort(key=lambda item: (isinstance(item, lib_orders.Order),
                                     getattr(item, "created_at", None) or datetime.min.replace(tzinfo=timezone.utc)))
        # what was placed up to the cursor (the overlap, and orders placed in the same second as
        # the first one not kept) goes in the first piece: kept already but for a few, it costs
        # little, and every run gets past the cursor however many orders share a moment
        cursor = (self.orders_synced_until or start).replace(tzinfo=timezone.utc)
        head = next((i for i, item in enumerate(items)
                     if isinstance(item, lib_orders.Order) and item.created_at > cursor), len(items))
        pieces = [items[:head + STAGE_PIECE]] + [items[i:i + STAGE_PIECE]
                                                  for i in range(head + STAGE_PIECE, len(items), STAGE_PIECE)]
        # the density of the slice itself (not of what a list gives besides it)
        self._adapt_slice(length, sum(1 for item in items[head:] if item.created_at <= end.replace(tzinfo=timezone.utc)))
        for index, piece in enumerate(pieces):
            if index:
                # the cursor goes to the first order not kept yet: everything placed before it is
                # (never past the slice: a list that gives more, such as Wildberries' new tasks,
                # says nothing of the orders after the slice that are no longer in it)
                run.move_cursor(min(piece[0].created_at.astimezone(timezone.utc).replace(tzinfo=None), end))
                run.checkpoint()
                if run.out_of_time():
                    run.stopped_in_slice = True
                    return True
            run.Order._stage_orders(self, piece)
        run.move_cursor(end)
        return end >= run.now

    def _import_step_queued(self, run):
        """A chunk of the kept orders becomes sale orders."""
        queued = run.Order.search([("account_id", "=", self.id), ("import_state", "=", "queued")],
                                  order="order_date, id", limit=COMMIT_CHUNK)
        run.idle = not queued
        queued._import_staged(run.adapter)
        return len(queued) < COMMIT_CHUNK

    def _import_step_states(self, run):
        """The states of imported orders not final yet, within the horizon, those read longest
        ago first (so that none starves), a batch a step."""
        horizon = run.now - timedelta(days=self._state_horizon())
        domain = [("account_id", "=", self.id), ("import_state", "=", "imported"),
                  ("mp_state", "not in", list(lib_orders.TERMINAL_STATES)), ("order_date", ">=", horizon),
                  ("id", "not in", list(run.states_read))]
        todo = run.Order.search(domain, order="state_checked_at asc nulls first, order_date", limit=STATE_BATCH)
        run.idle = not todo
        if todo:
            run.states_read.update(todo.ids)
            states = run.adapter.fetch_states(todo._state_refs())
            todo._apply_states(states)
            # an order the marketplace did not answer for is read again next run
            todo.filtered(lambda r: r.external_id not in states).write({"state_checked_at": run.started_at})
        return len(todo) < STATE_BATCH

    def action_import_orders(self):
        """Import now (managers): a bounded run in the request; what is left goes on in the
        background, and an account another process is importing says so."""
        messages, kind = [], "success"
        budget = min(self._import_time_budget(), MANUAL_TIME_BUDGET)
        more = False
        for account in self:
            outcome = account._import_orders(commit=False, deadline=time.monotonic() + budget / len(self))
            if outcome == BUSY:
                kind = "warning"
                messages.append(_("%s: another import of this account is running right now; its orders "
                                  "will be there in a minute.", account.name))
            elif outcome == FAILED:
                kind = "danger"
                messages.append(_("%(name)s: the import failed: %(error)s", name=account.name,
                                  error=account.last_error or ""))
            elif outcome == MORE:
                more = True
                messages.append(_("%s: part of the orders imported; the rest goes on in the background.",
                                  account.name))
            else:
                messages.append(_("%s: orders imported.", account.name))
        if more:
            self.env.ref("marketplace_connector.ir_cron_marketplace_import_orders").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": "\n".join(messages), "type": kind, "sticky": kind != "success",
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }


class _ImportRun:
    """The state of one bounded run of an account's order import (see
    ``marketplace.account._import_orders``)."""

    STEPS = ("held", "window", "queued", "states")
    BACKLOG_STEPS = ("window", "queued")

    def __init__(self, account, commit, now, deadline, transport_kwargs):
        self.account = account
        self.env = account.env
        self.commit = commit
        self.now = now or fields.Datetime.now()
        self.started_at = fields.Datetime.now()
        self.deadline = deadline
        self.transport_kwargs = transport_kwargs
        self.calls = []
        self.run_key = uuid.uuid4().hex
        self.held_offset = 0
        self.stopped_in_slice = False
        #: set by a step that found nothing to do
        self.idle = False
        #: the orders whose state this run read already (each is read once a run)
        self.states_read = set()
        self.adapter = None
        self.Order = self.env["marketplace.order"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True)

    def out_of_time(self):
        return self.deadline is not None and time.monotonic() >= self.deadline

    def execute(self):
        account = self.account
        cr = self.env.cr
        if not account._try_lock():
            _logger.info("Order import of %s skipped: another process is importing it", account.name)
            return BUSY
        try:
            self.adapter = account._get_adapter(self.calls, **self.transport_kwargs)
            turn = account.import_turn % len(self.STEPS)
            account.sudo().write({"import_started_at": self.started_at, "import_turn": turn + 1})
            since = account.orders_synced_until or (self.now - timedelta(days=account.import_days or 1))
            self.window_start = min(since - timedelta(minutes=account.overlap_minutes or 0), self.now)
            self.checkpoint()
            # the kinds of step in turn: a run that has time for one step only (a busy machine,
            # a backlog) makes one step of the kind whose turn it is, or of the next kind that
            # has work; over a few runs every kind moves on (a backlog never starves the states,
            # nor the reverse), and no run goes over its time by more than one step
            # with time left after them, the window and the kept orders once more: what this
            # run read is imported by this run
            forced = True
            for step in self.STEPS[turn:] + self.STEPS[:turn] + self.BACKLOG_STEPS:
                method = getattr(account, f"_import_step_{step}")
                first = True
                while True:
                    if not (first and forced) and self.out_of_time():
                        break
                    first = False
                    self.idle = False
                    if not self.in_transaction(method):
                        return BUSY
                    forced = forced and self.idle
                    if self.last_step_done:
                        break
            # only a backlog (a window not read to its end, orders kept and not imported yet)
            # calls for a run at once; held orders and states go on at the next run, those
            # looked at longest ago first
            more = self.stopped_in_slice or self.window_start < self.now or account.import_backlog > 0
            self.finish(more=more)
            return MORE if more else DONE
        except _LostLock:
            _logger.info("Order import of %s: another process took over between two steps", account.name)
            return BUSY
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            if self.commit:
                cr.rollback()
            if isinstance(exc, ApiError):
                message = exc.message
            elif isinstance(exc, UserError):
                message = exc.args[0]
            else:  # the details (paths, traceback) go to the server log only
                message = _("Unexpected error (%s): see the server log.", type(exc).__name__)
            expected = isinstance(exc, (ApiError, UserError))
            _logger.warning("Order import of %s failed: %s", account.name, message, exc_info=not expected)
            account._write_sync_log(self.calls[-50:], "orders", run_key=self.run_key)
            account._record_failure(message)
            if self.commit:
                cr.commit()
            return FAILED

    def in_transaction(self, method):
        """Run one step; with ``commit``, in a transaction of its own, retried from a fresh
        snapshot when another transaction changed the same rows (stock reservations of the same
        products), as Odoo does for requests."""
        attempt = 0
        while True:
            try:
                self.last_step_done = method(self)
                self.checkpoint()
                return True
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                attempt += 1
                if not self.commit or attempt > CONCURRENCY_RETRIES:
                    raise
                self.env.cr.rollback()
                self.env.invalidate_all()
                _logger.info("Order import of %s: concurrent update, attempt %s", self.account.name, attempt + 1)
                time.sleep(random.uniform(0.05, 0.5) * attempt)
                if not self.account._try_lock():
                    return False

    def move_cursor(self, moment):
        """Every order placed before ``moment`` (naive UTC) is kept: the window goes on from there."""
        account = self.account
        if not account.orders_synced_until or moment > account.orders_synced_until:
            account.sudo().write({"orders_synced_until": moment})
        self.window_start = max(self.window_start, moment)

    def checkpoint(self):
        """Commit what is done (scheduled action) and take the lock again for what follows."""
        self.account.sudo().import_backlog = self.Order.search_count(
            [("account_id", "=", self.account.id), ("import_state", "=", "queued")])
        self.account._write_sync_log(self.calls, "orders", run_key=self.run_key)
        self.calls.clear()
        if self.commit:
            self.env.cr.commit()
            if not self.account._try_lock():
                raise _LostLock()

    def finish(self, more):
        account = self.account
        if not more:
            account.sudo().last_sync_date = fields.Datetime.now()
        self.checkpoint()


class _LostLock(Exception):
    """Another process took the account between two committed steps: it goes on."""
