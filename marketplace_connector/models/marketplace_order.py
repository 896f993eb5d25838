# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
from datetime import timezone

import psycopg2

from odoo import _, api, fields, models
from odoo.fields import Command
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

from ..lib import base as lib_base
from ..lib import orders as lib_orders

_logger = logging.getLogger(__name__)

MP_STATES = [
    ("new", "New"),
    ("processing", "Processing"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("cancelled", "Cancelled"),
    ("returned", "Returned"),
    ("lost", "Lost"),
]
SCHEMES = [("fbs", "FBS"), ("dbs", "DBS"), ("fbo", "FBO")]
USER = "marketplace_connector.group_marketplace_user"
#: orders created and confirmed together in one savepoint (see _import_many)
IMPORT_CHUNK = 25


class MarketplaceOrder(models.Model):
    """One marketplace order as it arrived: imported into a sale order, held, or in error.

    (account, external id) is unique, which makes every import idempotent.
    """

    _name = "marketplace.order"
    _description = "Marketplace Order"
    _inherit = ["mail.thread"]
    _order = "order_date desc, id desc"
    _rec_name = "display_ref"

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    external_id = fields.Char(string="Marketplace order ID", required=True, readonly=True)
    secondary_ref = fields.Char(string="Second reference", readonly=True,
                                help="Wildberries rid, Ozon order number, Yandex Market campaign")
    display_ref = fields.Char(compute="_compute_display_ref", store=True)
    scheme = fields.Selection(SCHEMES, readonly=True)
    mp_state = fields.Selection(MP_STATES, string="Marketplace status", readonly=True, tracking=True)
    status_text = fields.Char(string="Marketplace status (raw)", readonly=True)
    order_date = fields.Datetime(readonly=True, index=True)
    warehouse_ref = fields.Char(string="Marketplace warehouse", readonly=True)
    amount_total = fields.Monetary(readonly=True, currency_field="order_currency_id")
    order_currency = fields.Char(string="Currency code", readonly=True,
                                 help="The currency of the order, as the marketplace gives it")
    order_currency_id = fields.Many2one("res.currency", compute="_compute_order_currency_id", store=True)
    currency_id = fields.Many2one(related="account_id.currency_id")
    offer_codes = fields.Char(string="Articles", readonly=True)
    import_state = fields.Selection(
        [("queued", "Waiting"), ("held", "Held"), ("error", "Error"), ("imported", "Imported"),
         ("skipped", "Not imported (cancelled)")],
        required=True, default="held", readonly=True, tracking=True, index=True)
    hold_reason = fields.Text(string="Reason", readonly=True, tracking=True)
    state_checked_at = fields.Datetime(
        string="State checked on", readonly=True, copy=False,
        help="When the marketplace's state of this order was last read")
    closed_date = fields.Datetime(
        string="Closed on", readonly=True, index=True, copy=False,
        help="When the marketplace state became final (delivered, cancelled, returned, lost).")
    needs_attention = fields.Boolean(readonly=True, tracking=True)
    attention_reason = fields.Char(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, ondelete="set null", index=True)
    payload = fields.Text(readonly=True, groups=USER,
                          help="The order as read from the marketplace, kept to import it later.")
    buyer_name = fields.Char(readonly=True, groups=USER)
    buyer_phone = fields.Char(readonly=True, groups=USER)
    buyer_address = fields.Char(readonly=True, groups=USER)

    _sql_constraints = [
        ("external_id_uniq", "UNIQUE(account_id, external_id)",
         "This marketplace order is already known for this account."),
    ]

    @api.depends("order_currency", "account_id.company_id.currency_id")
    def _compute_order_currency_id(self):
        codes = set(self.mapped("order_currency")) - {False}
        currencies = {c.name: c for c in self.env["res.currency"].with_context(active_test=False).search(
            [("name", "in", list(codes))])} if codes else {}
        for order in self:
            order.order_currency_id = currencies.get(order.order_currency) or order.currency_id

    @api.depends("external_id", "marketplace")
    def _compute_display_ref(self):
        labels = dict(self.env["marketplace.account"]._fields["marketplace"]._description_selection(self.env))
        for order in self:
            order.display_ref = f"{labels.get(order.marketplace, '')} {order.external_id or ''}".strip()

    # --- actions --------------------------------------------------------------------
    def action_retry(self):
        """Import again the held and failed orders chosen (managers may: they import orders)."""
        self.filtered(lambda o: o.import_state in ("held", "error"))._import_staged()
        return True

    def action_acknowledge(self):
        self.write({"needs_attention": False})
        return True

    def action_open_sale_order(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "sale.order",
                "res_id": self.sale_order_id.id, "view_mode": "form"}

    # --- import ---------------------------------------------------------------------
    @api.model
    def _process_orders(self, account, items):
        """Turn a batch of ``Order``/``PayloadError`` into sale orders, exactly once each:
        stage them, then import what was staged."""
        self._stage_orders(account, items)._import_staged()

    @api.model
    def _stage_orders(self, account, items):
        """Keep a batch of ``Order``/``PayloadError`` as import records, cheaply and exactly
        once (the unique (account, external id) decides), so that the window they came from
        can be committed as read before they become sale orders.  Known orders that are
        imported already only take the marketplace's new state.  Returns the records
        waiting to be imported (queued, or held/in error again with a fresh payload)."""
        good = [o for o in items if isinstance(o, lib_orders.Order)]
        bad = [o for o in items if isinstance(o, lib_orders.PayloadError)]
        known = {
            rec.external_id: rec
            for rec in self.search([("account_id", "=", account.id),
                                    ("external_id", "in", [o.external_id for o in good]
                                     + [e.external_id for e in bad if e.external_id])])
        }
        seen = set()
        staged = self.browse()
        new_vals = []
        changed = {}  # known orders whose marketplace state moved on
        unchanged = []  # known orders whose state was read again, the same
        for order in good:
            if order.external_id in seen:
                continue  # the same order twice in one answer (overlapping pages)
            seen.add(order.external_id)
            rec = known.get(order.external_id)
            same = rec and order.state == rec.mp_state and order.status_text == rec.status_text
            if rec and rec.import_state in ("imported", "skipped"):
                if same:
                    unchanged.append(rec.id)
                else:
                    changed[order.external_id] = (order.state, order.status_text)
                continue
            if same and rec.import_state in ("queued", "held"):
                # read again (an overlapping window, WB's list of new tasks): already kept
                staged |= rec
                continue
            vals = self._stage_vals(account, order)
            if rec:
                rec.write(vals)
                staged |= rec
            else:
                new_vals.append(vals)
        if changed:
            self.browse([known[ext].id for ext in changed])._apply_states(changed)
        if unchanged:
            self.browse(unchanged).write({"state_checked_at": fields.Datetime.now()})
        staged |= self._create_many_guarded(new_vals)
        for error in bad:
            self._record_payload_error(account, error, known.get(error.external_id))
        return staged

    @api.model
    def _stage_vals(self, account, order, payload=True):
        vals = {
            "account_id": account.id,
            "external_id": order.external_id,
            "secondary_ref": order.secondary_ref,
            "scheme": order.scheme,
            "mp_state": order.state,
            "status_text": order.status_text,
            "order_date": order.created_at.replace(tzinfo=None),
            "warehouse_ref": order.warehouse_ref,
            "amount_total": float(order.amount_total),
            "order_currency": order.currency,
            "offer_codes": ", ".join(sorted({ln.offer_code for ln in order.lines}))[:500],
            "import_state": "queued",
            "hold_reason": False,
            "state_checked_at": fields.Datetime.now(),
        }
        if payload:
            vals["payload"] = json.dumps(lib_orders.order_to_data(order), ensure_ascii=False)
        if order.customer:
            vals.update(self._buyer_fields(order.customer))
        if order.state in lib_orders.TERMINAL_STATES:
            vals["closed_date"] = fields.Datetime.now()
        return vals

    @api.model
    def _buyer_fields(self, customer):
        """The buyer's name, phone and address as the marketplace gives them (DBS)."""
        name = " ".join(filter(None, [customer.get("last_name"), customer.get("first_name"),
                                      customer.get("name")])).strip()
        address = ", ".join(filter(None, [customer.get(k) for k in
                                          ("zip", "region", "city", "street", "house", "flat", "address")]))
        return {"buyer_name": name[:200] or False, "buyer_phone": (customer.get("phone") or "")[:40] or False,
                "buyer_address": address[:500] or False}

    @api.model
    def _record_payload_error(self, account, error, rec):
        message = _("Malformed order payload: %s", error.message)
        self.env["marketplace.sync.log"].sudo().create({
            "account_id": account.id, "operation": "payload", "state": "error",
            "endpoint": error.external_id or "", "error": message,
        })
        if not error.external_id or (rec and rec.import_state in ("imported", "skipped")):
            return
        raw = error.raw if isinstance(error.raw, (dict, list)) else None
        vals = {"import_state": "error", "hold_reason": message,
                "payload": json.dumps(raw, ensure_ascii=False, default=str)[:100000] if raw else False}
        if rec:
            rec.write(vals)
        else:
            self._create_guarded(dict(vals, account_id=account.id, external_id=error.external_id))

    def _create_guarded(self, vals):
        """Create in a savepoint: a concurrent twin makes this a no-op, never a duplicate."""
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self.create(vals)
        except psycopg2.errors.UniqueViolation:
            return self.browse()

    @api.model
    def _create_many_guarded(self, vals_list):
        """Create many at once; when a concurrent twin of one exists, one by one."""
        if not vals_list:
            return self.browse()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self.create(vals_list)
        except psycopg2.errors.UniqueViolation:
            records = self.browse()
            for vals in vals_list:
                records |= self._create_guarded(vals)
            return records

    def _kept_order(self):
        """The ``lib.orders.Order`` kept in the payload, or None when it cannot be read."""
        self.ensure_one()
        try:
            return lib_orders.order_from_data(json.loads(self.sudo().payload))
        except (ValueError, KeyError, TypeError):
            return None

    def _import_staged(self, adapter=None):
        """Import these queued, held or failed records from their payloads (completed first by
        the look-ups the marketplace makes one order at a time, through ``adapter`` or one made
        for the account)."""
        for account in self.account_id:
            recs = self.filtered(lambda r, a=account: r.account_id == a)
            ctx = self._import_context(account)
            todo = []
            for rec in recs:
                order = rec._kept_order()
                if order is not None:
                    todo.append((order, rec))
                elif rec.import_state == "queued":
                    rec.write({"import_state": "error",
                               "hold_reason": _("The kept payload of this order cannot be read.")})
            todo = self._complete_orders(account, todo, adapter)
            ctx.prefetch_mappings(todo)
            self._import_many(ctx, todo)
            ctx.flush_unmapped()

    @api.model
    def _complete_orders(self, account, todo, adapter=None):
        """``(order, record)`` pairs with what the list calls do not carry looked up (see
        ``Adapter.complete_orders``); the calls go to the sync log when the adapter is ours."""
        if not todo or not lib_base.adapter_class(account.marketplace).completes_orders:
            return todo
        calls = None
        if adapter is None:
            calls = []
            adapter = account._get_adapter(calls)
        orders = adapter.complete_orders([order for order, _rec in todo])
        if calls:
            account._write_sync_log(calls, "orders")
        return [(order, rec) for order, (_old, rec) in zip(orders, todo)]

    @api.model
    def _import_context(self, account):
        """What one batch of an account needs, read once (override to extend)."""
        return _ImportContext(self.env, account)

    # kept for callers of the first version
    _retry_import = _import_staged

    @api.model
    def _import_many(self, ctx, todo):
        """Import ``(order, binding or None)`` pairs.  Orders that can become sale orders are
        created and confirmed a chunk at a time in one savepoint (Odoo confirms and reserves
        many orders at once far cheaper than one by one); when a chunk fails, its orders are
        imported again one by one, each in its own savepoint, so that one bad order never
        stops the others and the reason lands on that order alone."""
        ready = []
        waiting = {}  # identical values of records not ready: one write each
        for order, rec in todo:
            vals = self._binding_vals(ctx, order, full=not rec)
            if vals["import_state"] == "ready":
                ready.append((order, rec, vals))
            elif rec:
                key = tuple(sorted(vals.items()))
                waiting.setdefault(key, []).append(rec.id)
            else:
                self._create_guarded(vals)
        for key, ids in waiting.items():
            self.browse(ids).write(dict(key))
        if ready:
            # stock export: no export computes a quantity while these reservations are in flight
            self.env["marketplace.stock.level"]._lock_company_stock(ctx.account.company_id.ids, shared=True)
        for start in range(0, len(ready), IMPORT_CHUNK):
            chunk = ready[start:start + IMPORT_CHUNK]
            if len(chunk) > 1:
                try:
                    with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                        sales = ctx.create_sale_orders([order for order, _rec, _vals in chunk])
                        new_vals = []
                        kept = self.browse()
                        for (_order, rec, vals), sale in zip(chunk, sales):
                            if rec:
                                kept |= rec
                                rec.sale_order_id = sale
                            else:
                                new_vals.append(dict(vals, import_state="imported", sale_order_id=sale.id))
                        kept.write({"import_state": "imported", "hold_reason": False})
                        self.create(new_vals)
                    continue
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    raise
                except Exception:  # noqa: BLE001 - the orders go one by one below
                    _logger.info("A chunk of %s orders of %s failed: importing them one by one",
                                 len(chunk), ctx.account.name)
                    self.env.invalidate_all(flush=False)
            for order, rec, vals in chunk:
                self._import_one(ctx, order, rec, vals)

    @api.model
    def _binding_vals(self, ctx, order, full=True):
        """What the import record of an order becomes; ``import_state`` is ``ready`` when it
        can become a sale order, else ``skipped`` (cancelled already) or ``held`` (with the
        reasons).  ``full``: every field (a record not kept yet), else the outcome only."""
        vals = self._stage_vals(ctx.account, order, payload=False) if full else {}
        vals.update(import_state="ready", hold_reason=False)
        if order.state == lib_orders.CANCELLED:
            vals["import_state"] = "skipped"
            vals["hold_reason"] = _("Cancelled on the marketplace before it was imported.")
            return vals
        reasons = ctx.hold_reasons(order)
        if reasons:
            vals["import_state"] = "held"
            vals["hold_reason"] = "\n".join(reasons)
        return vals

    @api.model
    def _import_one(self, ctx, order, rec=None, vals=None):
        account = ctx.account
        if vals is None:
            vals = self._binding_vals(ctx, order, full=not rec)
            if not rec:
                vals["payload"] = json.dumps(lib_orders.order_to_data(order), ensure_ascii=False)
        vals = dict(vals)
        if vals["import_state"] != "ready":
            return rec.write(vals) if rec else self._create_guarded(vals)
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                sale = ctx.create_sale_order(order)
                vals.update(import_state="imported", sale_order_id=sale.id)
                if rec:
                    rec.write(vals)
                else:
                    rec = self.create(vals)
        except psycopg2.errors.UniqueViolation:
            # another process imported it at the same moment: nothing to do
            return self.browse()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # the whole transaction is retried (see marketplace.account._run_order_import)
        except Exception as exc:  # noqa: BLE001 - one bad order never stops the batch
            _logger.warning("Order %s of %s not imported", order.external_id, account.name, exc_info=True)
            vals.update(import_state="error", hold_reason=_("Could not be imported: %s", exc))
            vals.pop("sale_order_id", None)
            rec = rec.write(vals) if rec else self._create_guarded(vals)
        return rec

    def _state_refs(self):
        return [lib_base.OrderRef(o.external_id, o.scheme, o.secondary_ref or "",
                                  o.order_date.replace(tzinfo=timezone.utc) if o.order_date else None)
                for o in self]

    def _apply_states(self, states):
        """The marketplace's current states ``{external id: (state, raw text)}``: a
        cancellation cancels the sale order (or flags it when the goods have left), a return
        or a loss after shipping flags it for the manager, a held order cancelled meanwhile
        is never imported; a final state closes the record (it is followed no more)."""
        now = fields.Datetime.now()
        for rec in self:
            if rec.external_id not in states:
                continue
            state, text = states[rec.external_id]
            vals = {"state_checked_at": now}
            if state != rec.mp_state or text != rec.status_text:
                vals.update(mp_state=state, status_text=text)
                if state in lib_orders.TERMINAL_STATES and not rec.closed_date:
                    vals["closed_date"] = now
                vals.update(rec._state_effects(state, text))
            rec.write(vals)

    def _state_effects(self, state, text):
        """What a new marketplace state does to the sale order (override to change it)."""
        self.ensure_one()
        sale = self.sale_order_id
        vals = {}
        if state == lib_orders.CANCELLED and self.import_state in ("held", "error", "queued"):
            return {"import_state": "skipped",
                    "hold_reason": _("Cancelled on the marketplace before it was imported.")}
        if not sale or sale.state == "cancel":
            return vals
        shipped = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing")
        if state == lib_orders.CANCELLED:
            if shipped:
                vals.update(needs_attention=True, attention_reason=_(
                    "Cancelled on the marketplace after it was shipped: arrange the return."))
            else:
                sale.with_context(disable_cancel_warning=True)._action_cancel()
                sale.message_post(body=_("Cancelled on the marketplace (%s).", text or state))
        elif state == lib_orders.RETURNED:
            vals.update(needs_attention=True, attention_reason=_(
                "Returned on the marketplace (%s): receive the goods back and credit the sale.",
                text or state))
            sale.message_post(body=_("Returned on the marketplace (%s).", text or state))
            self._lifecycle_returned(sale)
        elif state == lib_orders.LOST:
            vals.update(needs_attention=True, attention_reason=_(
                "Lost by the marketplace (%s): claim the compensation.", text or state))
            sale.message_post(body=_("Lost by the marketplace (%s).", text or state))
            self._lifecycle_lost(sale, text or state)
        elif state == lib_orders.DELIVERED:
            self._lifecycle_delivered(sale)
        return vals

    # --- lifecycle: what the marketplace's final states do in Odoo (override to change) -------------
    def _lifecycle_deliveries(self, sale):
        return sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")

    def _lifecycle_delivered(self, sale):
        """Delivered: the delivery validated if it is not yet (FBO orders ship from the FBO
        location), the sale order locked (done) and ready to invoice."""
        for picking in self._lifecycle_deliveries(sale).filtered(lambda p: p.state != "done"):
            picking = picking.sudo().with_context(marketplace_shipped_there=True, skip_backorder=True,
                                                  skip_sms=True, skip_immediate=True)
            if picking.state == "draft":
                picking.action_confirm()
            for move in picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
                move.quantity = move.product_uom_qty
            picking.move_ids.picked = True
            picking.button_validate()
        if not sale.locked:
            sale.sudo().action_lock()
        sale.message_post(body=_("Delivered on the marketplace: the order is done and ready to invoice."))

    def _lifecycle_returned(self, sale):
        """Returned: a return of the validated delivery into the returns location (validated
        when the account says so), once."""
        account = self.account_id
        for picking in self._lifecycle_deliveries(sale).filtered(lambda p: p.state == "done"):
            if picking.return_ids.filtered(lambda r: r.state != "cancel"):
                continue  # returned already
            wizard = self.env["stock.return.picking"].sudo().with_context(
                active_id=picking.id, active_ids=picking.ids, active_model="stock.picking").create({})
            for line in wizard.product_return_moves:
                line.quantity = line.move_id.quantity
            warehouse = picking.picking_type_id.warehouse_id or sale.warehouse_id
            location = account._marketplace_returns_location(warehouse)
            returned = wizard._create_return()
            returned.write({"location_dest_id": location.id})
            returned.move_ids.write({"location_dest_id": location.id})
            returned.move_ids.move_line_ids.write({"location_dest_id": location.id})
            returned.message_post(body=_("Returned on the marketplace: the goods come back to %s.",
                                         location.display_name))
            if account.validate_returns:
                for move in returned.move_ids:
                    move.quantity = move.product_uom_qty
                returned.move_ids.picked = True
                returned.with_context(skip_backorder=True, skip_sms=True, skip_immediate=True).button_validate()

    def _lifecycle_lost(self, sale, text):
        """Lost (compensated by the marketplace): flagged for the accountant, with an activity."""
        sale.sudo().marketplace_lost = True
        user = self._lifecycle_accountant(sale.company_id)
        sale.sudo().activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id,
            summary=_("Marketplace lost the goods: check the compensation"),
            note=_("%(marketplace)s order %(order)s was lost (%(status)s): the marketplace owes its "
                   "compensation; check it in the marketplace's report and write the goods off.",
                   marketplace=self.account_id.name, order=self.external_id, status=text))

    def _lifecycle_accountant(self, company):
        """Whom the activity of a lost order goes to: an accounting manager of the company, else
        a billing user, else the current user."""
        for xmlid in ("account.group_account_manager", "account.group_account_invoice"):
            group = self.env.ref(xmlid, raise_if_not_found=False)
            users = group and group.sudo().users.filtered(
                lambda u, c=company: c in u.company_ids and not u.share and u.active and u.id != 1)
            if users:
                return users.sorted("id")[:1]
        return self.env.user


class _ImportContext:
    """What one batch needs, read once: mappings, warehouses, taxes, currencies, the customer.

    The policies (which taxes, which price, which customer, which warehouse) are methods of
    ``marketplace.account`` so that another addon can change them by inheritance; this object
    only caches their answers for the batch."""

    def __init__(self, env, account):
        self.env = env
        self.account = account
        self.company = account.company_id
        self.mappings = {}
        self.unmapped = {}
        self.tax_cache = {}
        self.pricelists = {}
        self.basis = account._price_basis()
        self.warehouses = {
            m.ref: m for m in env["marketplace.warehouse.mapping"].search([("account_id", "=", account.id)])
        }
        self.SaleOrder = env["sale.order"].with_company(self.company).with_context(
            mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True, tracking_disable=True)

    # --- products -------------------------------------------------------------------
    def prefetch_mappings(self, todo):
        codes = {ln.offer_code for order, _rec in todo for ln in order.lines} - {c for c, _k in self.mappings}
        if not codes:
            return
        for mapping in self.env["marketplace.product.mapping"].with_context(active_test=False).search(
                [("account_id", "=", self.account.id), ("offer_code", "in", list(codes))]):
            self.mappings[(mapping.offer_code, mapping.variant_key or "")] = mapping
        for code in codes:  # remember the misses too
            self.mappings.setdefault((code, ""), None)

    def mapping(self, line):
        """The mapping of an order line: its size's (Wildberries chrtId) first, else the article's."""
        key = self.env["marketplace.product.mapping"]._variant_key_of(self.account.marketplace, line.item_id)
        return (key and self.mappings.get((line.offer_code, key))) or self.mappings.get((line.offer_code, ""))

    def product(self, line):
        mapping = self.mapping(line)
        return mapping.product_id if mapping and mapping.active and not mapping.ignored else None

    def hold_reasons(self, order):
        reasons = []
        for line in order.lines:
            mapping = self.mapping(line)
            if mapping and (mapping.ignored or not mapping.active):
                reasons.append(_("Article %(code)s (%(name)s) is marked as ignored in the product mappings.",
                                 code=line.offer_code, name=line.name))
                continue
            if not mapping or not mapping.product_id:
                reasons.append(_("Unknown SKU: article %(code)s (%(name)s) is not mapped to a product.",
                                 code=self._line_label(line), name=line.name))
                if not mapping:
                    key = (line.offer_code, self.env["marketplace.product.mapping"]._variant_key_of(
                        self.account.marketplace, line.item_id))
                    self.unmapped.setdefault(key, line)
                continue
            if self.basis not in line.prices and self.basis != self.account._default_price_basis():
                reasons.append(_("The marketplace gives no price on the basis %(basis)s for article %(code)s.",
                                 basis=self.basis, code=line.offer_code))
            if not self.taxes(mapping.product_id, order) and not self.account.sells_without_vat:
                reasons.append(_("No sale tax for %(product)s: set the product's customer tax or the "
                                 "account's default sale tax (or mark the account as selling without VAT).",
                                 product=mapping.product_id.display_name))
        if self.pricelist(order.currency) is None:
            reasons.append(_("The order is in %(currency)s: there is no active currency %(currency)s or no "
                             "pricelist in it for %(company)s.",
                             currency=order.currency or "?", company=self.company.name))
        if order.scheme == lib_orders.FBO:
            wh = self.warehouses.get(order.warehouse_ref)
            if not wh or not wh.location_id:
                reasons.append(_("FBO warehouse %s has no stock location mapped.",
                                 order.warehouse_ref or "?"))
        elif not self._warehouse(order):
            reasons.append(_("Marketplace warehouse %s is not mapped and the account has no default warehouse.",
                             order.warehouse_ref or "?"))
        return reasons

    @staticmethod
    def _line_label(line):
        return f"{line.offer_code} [{line.item_id}]" if line.item_id and line.barcode else line.offer_code

    def _warehouse(self, order):
        wh = self.warehouses.get(order.warehouse_ref)
        mapped = wh.warehouse_id if wh else self.env["stock.warehouse"]
        if mapped or not self.account.warehouse_priority_ids:
            return mapped or self.account._default_warehouse()
        # lifecycle: the account's warehouse rules (marketplace.account._marketplace_choose_warehouse)
        needs = {}
        for line in order.lines:
            product = self.product(line)
            if product:
                needs[product] = needs.get(product, 0.0) + float(line.quantity)
        return self.account._marketplace_choose_warehouse(mapped, needs)

    def flush_unmapped(self):
        """Create 'unmapped' mapping records for the articles (sizes) orders were held for;
        never for an article the manager deleted or ignored."""
        if not self.unmapped:
            return
        Mapping = self.env["marketplace.product.mapping"].sudo().with_context(active_test=False)
        existing = {(m.offer_code, m.variant_key or "") for m in Mapping.search(
            [("account_id", "=", self.account.id),
             ("offer_code", "in", list({code for code, _k in self.unmapped}))])}
        vals = [{
            "account_id": self.account.id, "offer_code": code, "name": line.name,
            "barcode": line.barcode or False, "item_id": line.item_id or False,
            "product_ref": line.product_ref or False,
        } for (code, key), line in self.unmapped.items() if (code, key) not in existing]
        if vals:
            Mapping.create(vals)._auto_match()
        self.unmapped.clear()

    # --- money ----------------------------------------------------------------------
    def taxes(self, product, order=None):
        """The sale taxes of a line, price-included (see marketplace.account._line_taxes)."""
        if product.id not in self.tax_cache:
            self.tax_cache[product.id] = self.account._line_taxes(product)
        return self.tax_cache[product.id]

    def pricelist(self, currency_code):
        code = currency_code or self.company.currency_id.name
        if code not in self.pricelists:
            self.pricelists[code] = self.account._order_pricelist(code)
        return self.pricelists[code]

    def unit_price(self, line):
        return line.prices.get(self.basis, line.price)

    # --- documents ------------------------------------------------------------------
    def _partner(self, order):
        return self.account._order_partners(order)

    def create_sale_order(self, order):
        return self.create_sale_orders([order])

    def create_sale_orders(self, orders):
        """Sale orders of ``orders``, created and confirmed together, in the same order."""
        vals_list = [self._sale_vals(order) for order in orders]
        sales = self.SaleOrder.create(vals_list)
        sales.action_confirm()
        # confirming stamps "now"; the order's date is when the buyer placed it
        by_date = {}
        for sale, vals in zip(sales, vals_list):
            by_date.setdefault(vals["date_order"], []).append(sale.id)
        for date_order, ids in by_date.items():
            self.SaleOrder.browse(ids).write({"date_order": date_order})
        return sales

    def _sale_vals(self, order):
        account = self.account
        partner, shipping = self._partner(order)
        lines = []
        for line in order.lines:
            product = self.product(line)
            lines.append(Command.create({
                "product_id": product.id,
                "product_uom_qty": float(line.quantity),
                "price_unit": float(self.unit_price(line)),
                "tax_id": [Command.set(self.taxes(product).ids)],
                "marketplace_offer_code": line.offer_code,
                "marketplace_marking_codes": "\n".join(line.marking_codes) or False,
            }))
        vals = {
            "partner_id": partner.id,
            "partner_invoice_id": partner.id,
            "partner_shipping_id": shipping.id,
            "company_id": self.company.id,
            "date_order": order.created_at.replace(tzinfo=None),
            "client_order_ref": order.external_id,
            "origin": f"{dict(account._fields['marketplace']._description_selection(self.env))[account.marketplace]} "
                      f"{order.external_id}",
            "marketplace_account_id": account.id,
            "marketplace_external_id": order.external_id,
            "marketplace_scheme": order.scheme,
            "order_line": lines,
        }
        pricelist = self.pricelist(order.currency)
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        if account.fiscal_position_id:
            vals["fiscal_position_id"] = account.fiscal_position_id.id
        if account.team_id:
            vals["team_id"] = account.team_id.id
        if order.scheme == lib_orders.FBO:
            # the delivery takes the goods from the FBO location (see stock.rule)
            mapping = self.warehouses[order.warehouse_ref]
            fbo_location = mapping.location_id
            vals["marketplace_fbo_location_id"] = fbo_location.id
            vals["warehouse_id"] = (mapping.warehouse_id or fbo_location.warehouse_id
                                    or self._warehouse(order)).id
        else:
            vals["warehouse_id"] = self._warehouse(order).id
        return vals
