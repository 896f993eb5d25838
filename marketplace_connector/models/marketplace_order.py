# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.fields import Command
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

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
    amount_total = fields.Monetary(readonly=True)
    currency_id = fields.Many2one(related="account_id.currency_id")
    offer_codes = fields.Char(string="Articles", readonly=True)
    import_state = fields.Selection(
        [("held", "Held"), ("error", "Error"), ("imported", "Imported"),
         ("skipped", "Not imported (cancelled)")],
        required=True, default="held", readonly=True, tracking=True, index=True)
    hold_reason = fields.Text(string="Reason", readonly=True, tracking=True)
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

    @api.depends("external_id", "marketplace")
    def _compute_display_ref(self):
        labels = dict(self.env["marketplace.account"]._fields["marketplace"]._description_selection(self.env))
        for order in self:
            order.display_ref = f"{labels.get(order.marketplace, '')} {order.external_id or ''}".strip()

    # --- actions --------------------------------------------------------------------
    def action_retry(self):
        # the import creates records a manager may not create by hand (bindings, mappings)
        self.sudo().filtered(lambda o: o.import_state in ("held", "error") and o.payload)._retry_import()
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
        """Turn a batch of ``Order``/``PayloadError`` into sale orders, exactly once each."""
        good = [o for o in items if isinstance(o, lib_orders.Order)]
        bad = [o for o in items if isinstance(o, lib_orders.PayloadError)]
        known = {
            rec.external_id: rec
            for rec in self.search([("account_id", "=", account.id),
                                    ("external_id", "in", [o.external_id for o in good]
                                     + [e.external_id for e in bad if e.external_id])])
        }
        ctx = _ImportContext(self.env, account)
        ctx.prefetch_mappings({ln.offer_code for o in good for ln in o.lines})
        seen = set()
        todo = []
        changed = {}  # known orders whose marketplace state moved on
        for order in good:
            if order.external_id in seen:
                continue  # the same order twice in one answer (overlapping pages)
            seen.add(order.external_id)
            rec = known.get(order.external_id)
            if rec and rec.import_state in ("imported", "skipped"):
                if order.state != rec.mp_state:
                    changed[order.external_id] = (order.state, order.status_text)
                continue
            todo.append((order, rec))
        if changed:
            self.browse([known[ext].id for ext in changed])._apply_states(changed)
        self._import_many(ctx, todo)
        for error in bad:
            self._record_payload_error(account, error, known.get(error.external_id))
        ctx.flush_unmapped()

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
    def _import_many(self, ctx, todo):
        """Import ``(order, binding or None)`` pairs.  Orders that can become sale orders are
        created and confirmed a chunk at a time in one savepoint (Odoo confirms and reserves
        many orders at once far cheaper than one by one); when a chunk fails, its orders are
        imported again one by one, each in its own savepoint, so that one bad order never
        stops the others and the reason lands on that order alone."""
        ready = []
        for order, rec in todo:
            vals = self._binding_vals(ctx, order)
            if vals["import_state"] == "ready":
                ready.append((order, rec, vals))
            else:
                rec.write(vals) if rec else self._create_guarded(vals)
        for start in range(0, len(ready), IMPORT_CHUNK):
            chunk = ready[start:start + IMPORT_CHUNK]
            if len(chunk) > 1:
                try:
                    with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                        sales = ctx.create_sale_orders([order for order, _rec, _vals in chunk])
                        new_vals = []
                        for (_order, rec, vals), sale in zip(chunk, sales):
                            vals = dict(vals, import_state="imported", sale_order_id=sale.id)
                            if rec:
                                rec.write(vals)
                            else:
                                new_vals.append(vals)
                        self.create(new_vals)
                    continue
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    raise
                except Exception:  # noqa: BLE001 - the orders go one by one below
                    _logger.info("A chunk of %s orders of %s failed: importing them one by one",
                                 len(chunk), ctx.account.name)
            for order, rec, vals in chunk:
                self._import_one(ctx, order, rec, vals)

    @api.model
    def _binding_vals(self, ctx, order):
        """The import record of an order; ``import_state`` is ``ready`` when it can become a
        sale order, else ``skipped`` (cancelled already) or ``held`` (with the reasons)."""
        account = ctx.account
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
            "offer_codes": ", ".join(sorted({ln.offer_code for ln in order.lines}))[:500],
            "payload": json.dumps(lib_orders.order_to_data(order), ensure_ascii=False),
            "hold_reason": False,
        }
        if order.customer:
            vals.update(_buyer_fields(order.customer))
        vals["import_state"] = "ready"
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
        vals = dict(vals) if vals else self._binding_vals(ctx, order)
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

    def _retry_import(self):
        """Import held orders whose reason may be gone (a mapping was added)."""
        for account in self.account_id:
            recs = self.filtered(lambda r: r.account_id == account)
            ctx = _ImportContext(self.env, account)
            payloads = []
            for rec in recs:
                payload = rec.sudo().payload
                if not payload:
                    continue
                try:
                    payloads.append((rec, lib_orders.order_from_data(json.loads(payload))))
                except (ValueError, KeyError, TypeError):
                    continue
            ctx.prefetch_mappings({ln.offer_code for _r, o in payloads for ln in o.lines})
            for rec, order in payloads:
                self._import_one(ctx, order, rec)
            ctx.flush_unmapped()

    def _apply_states(self, states):
        """Marketplace states of imported orders: cancellations cancel, or flag if shipped."""
        for rec in self:
            if rec.external_id not in states:
                continue
            state, text = states[rec.external_id]
            if state == rec.mp_state and text == rec.status_text:
                continue
            vals = {"mp_state": state, "status_text": text}
            sale = rec.sale_order_id
            if state == lib_orders.CANCELLED and sale and sale.state != "cancel":
                shipped = sale.picking_ids.filtered(
                    lambda p: p.state == "done" and p.picking_type_code == "outgoing")
                if shipped:
                    vals.update(needs_attention=True, attention_reason=_(
                        "Cancelled on the marketplace after it was shipped: arrange the return."))
                else:
                    sale.with_context(disable_cancel_warning=True)._action_cancel()
                    sale.message_post(body=_("Cancelled on the marketplace (%s).", text or state))
            elif state == lib_orders.CANCELLED and rec.import_state in ("held", "error"):
                vals.update(import_state="skipped",
                            hold_reason=_("Cancelled on the marketplace before it was imported."))
            rec.write(vals)


def _buyer_fields(customer):
    name = " ".join(filter(None, [customer.get("last_name"), customer.get("first_name"),
                                  customer.get("name")])).strip()
    address = ", ".join(filter(None, [customer.get(k) for k in
                                      ("zip", "region", "city", "street", "house", "flat", "address")]))
    return {"buyer_name": name[:200] or False, "buyer_phone": (customer.get("phone") or "")[:40] or False,
            "buyer_address": address[:500] or False}


class _ImportContext:
    """What one batch needs, read once: mappings, warehouses, taxes, the customer."""

    def __init__(self, env, account):
        self.env = env
        self.account = account
        self.company = account.company_id
        self.mappings = {}
        self.unmapped = {}
        self.tax_cache = {}
        self.product_taxes = {}
        self.warehouses = {
            m.ref: m for m in env["marketplace.warehouse.mapping"].search([("account_id", "=", account.id)])
        }
        self.SaleOrder = env["sale.order"].with_company(self.company).with_context(
            mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True, tracking_disable=True)

    def prefetch_mappings(self, codes):
        codes = {c for c in codes if c not in self.mappings}
        if not codes:
            return
        for mapping in self.env["marketplace.product.mapping"].search(
                [("account_id", "=", self.account.id), ("offer_code", "in", list(codes))]):
            self.mappings[mapping.offer_code] = mapping

    def hold_reasons(self, order):
        reasons = []
        for line in order.lines:
            mapping = self.mappings.get(line.offer_code)
            if not mapping or not mapping.product_id:
                reasons.append(_("Unknown SKU: article %(code)s (%(name)s) is not mapped to a product.",
                                 code=line.offer_code, name=line.name))
                if not mapping:
                    self.unmapped.setdefault(line.offer_code, line)
        if order.scheme == lib_orders.FBO:
            wh = self.warehouses.get(order.warehouse_ref)
            if not wh or not wh.location_id:
                reasons.append(_("FBO warehouse %s has no stock location mapped.",
                                 order.warehouse_ref or "?"))
        elif not self._warehouse(order):
            reasons.append(_("Marketplace warehouse %s is not mapped and the account has no default warehouse.",
                             order.warehouse_ref or "?"))
        return reasons

    def _warehouse(self, order):
        wh = self.warehouses.get(order.warehouse_ref)
        if wh and wh.warehouse_id:
            return wh.warehouse_id
        return self.account.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1)

    def flush_unmapped(self):
        """Create 'unmapped' mapping records for the articles orders were held for."""
        if not self.unmapped:
            return
        Mapping = self.env["marketplace.product.mapping"].sudo()
        existing = set(Mapping.search([("account_id", "=", self.account.id),
                                       ("offer_code", "in", list(self.unmapped))]).mapped("offer_code"))
        vals = [{
            "account_id": self.account.id, "offer_code": code, "name": line.name,
            "barcode": line.barcode or False, "item_id": line.item_id or False,
            "product_ref": line.product_ref or False,
        } for code, line in self.unmapped.items() if code not in existing]
        if vals:
            Mapping.create(vals)._auto_match()
        self.unmapped.clear()

    def _taxes(self, product):
        if product.id in self.product_taxes:
            return self.product_taxes[product.id]
        taxes = product.taxes_id.filtered(lambda t: t.company_id == self.company or not t.company_id)
        key = tuple(taxes.ids)
        if key not in self.tax_cache:
            Tax = self.env["account.tax"]
            result = Tax
            for tax in taxes:
                if tax.price_include:
                    result |= tax
                    continue
                # marketplace prices are what the buyer paid, VAT included
                twin = Tax.search([
                    ("company_id", "=", self.company.id), ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", tax.amount_type), ("amount", "=", tax.amount),
                    ("price_include", "=", True)], limit=1)
                result |= twin
            self.tax_cache[key] = result
        self.product_taxes[product.id] = self.tax_cache[key]
        return self.tax_cache[key]

    def _partner(self, order):
        account = self.account
        parent = account.partner_id
        if account.customer_mode != "buyer" or not order.customer:
            return parent, parent
        fields_ = _buyer_fields(order.customer)
        if not fields_["buyer_name"]:
            return parent, parent
        Partner = self.env["res.partner"].sudo()
        buyer = Partner.search([("parent_id", "=", parent.id), ("name", "=", fields_["buyer_name"]),
                                ("phone", "=", fields_["buyer_phone"])], limit=1)
        if not buyer:
            buyer = Partner.create({
                "parent_id": parent.id, "type": "delivery", "name": fields_["buyer_name"],
                "phone": fields_["buyer_phone"], "street": fields_["buyer_address"],
                "city": order.customer.get("city") or False, "zip": order.customer.get("zip") or False,
            })
        return parent, buyer

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
            product = self.mappings[line.offer_code].product_id
            lines.append(Command.create({
                "product_id": product.id,
                "product_uom_qty": float(line.quantity),
                "price_unit": float(line.price),
                "tax_id": [Command.set(self._taxes(product).ids)],
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
        if account.team_id:
            vals["team_id"] = account.team_id.id
        if account.pricelist_id:
            vals["pricelist_id"] = account.pricelist_id.id
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
