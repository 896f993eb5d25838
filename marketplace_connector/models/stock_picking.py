# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The delivery of a marketplace sale order reports itself to the marketplace.

Validating the delivery never waits for the network: it marks the picking *to report* and
wakes the scheduled action, which reports the shipment (Wildberries: into the open supply of
the account and WB warehouse; Ozon: ship; Yandex Market: boxes, READY_TO_SHIP).  A call that
fails is retried by the next run; a refusal of the marketplace is shown on the picking
(*failed* with the reason).  The report is idempotent on both sides: a picking is reported
once, and the marketplace's calls are safe to repeat.
"""
import json
import logging
import threading

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import orders as lib_orders
from ..lib import shipments as lib_shipments
from ..lib.base import OrderRef
from ..lib.transport import ApiError

_logger = logging.getLogger(__name__)

REPORT_STATES = [
    ("none", "Nothing to report"),
    ("to_report", "To report"),
    ("reported", "Reported"),
    ("handed_over", "Handed over"),
    ("failed", "Refused by the marketplace"),
]
DELIVERY_STATES = [("none", "Not reported"), ("delivering", "On its way"), ("delivered", "Delivered")]
#: pickings one run reports at most (the rest: the next run, triggered at once)
REPORT_BATCH = 200
#: advisory lock class of the shipment reports of an account (the import uses 4242)
LOCK_CLASS = 4243


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # --- lifecycle: the shipment reported to the marketplace ------------------------------------
    marketplace_account_id = fields.Many2one(related="sale_id.marketplace_account_id", store=True, index=True,
                                             string="Marketplace account")
    marketplace_scheme = fields.Selection(related="sale_id.marketplace_scheme", string="Marketplace scheme")
    marketplace_report_state = fields.Selection(
        REPORT_STATES, string="Marketplace shipment", default="none", required=True, copy=False, index=True,
        readonly=True, tracking=True,
        help="Whether the marketplace has been told that this delivery has left: to report (the scheduled "
        "action does it), reported, handed over (Wildberries: the supply was handed over), or refused "
        "by the marketplace (the reason is shown).")
    marketplace_report_error = fields.Text(string="Marketplace answer", readonly=True, copy=False)
    marketplace_report_attempts = fields.Integer(readonly=True, copy=False)
    marketplace_reported_at = fields.Datetime(string="Reported on", readonly=True, copy=False)
    marketplace_supply_id = fields.Many2one("marketplace.supply", string="Supply", readonly=True, copy=False,
                                            index=True)
    marketplace_delivery_state = fields.Selection(
        DELIVERY_STATES, string="Own delivery (DBS)", default="none", required=True, copy=False, readonly=True,
        tracking=True)
    marketplace_receive_code = fields.Char(
        string="Buyer's code", copy=False,
        help="Wildberries DBS: the code the buyer shows on receipt, needed to report the order received.")

    # --- validation ------------------------------------------------------------------------------
    def _marketplace_reportable(self):
        """The pickings whose validation the marketplace must hear of: deliveries of FBS/DBS
        marketplace orders (FBO orders leave the marketplace's own warehouse)."""
        return self.filtered(lambda p: p.picking_type_code == "outgoing" and p.sale_id.marketplace_account_id
                             and p.sale_id.marketplace_scheme in ("fbs", "dbs")
                             and p.marketplace_report_state == "none")

    def _action_done(self):
        res = super()._action_done()
        if self.env.context.get("marketplace_shipped_there"):
            # the marketplace reported it shipped/delivered: nothing to tell it
            self.filtered(lambda p: p.state == "done" and p.sale_id.marketplace_account_id).sudo().write(
                {"marketplace_report_state": "reported", "marketplace_reported_at": fields.Datetime.now()})
            return res
        todo = self.filtered(lambda p: p.state == "done")._marketplace_reportable()
        if todo:
            todo.sudo().write({"marketplace_report_state": "to_report", "marketplace_report_error": False})
            self.env.ref("marketplace_connector.ir_cron_marketplace_report_shipments").sudo()._trigger()
        return res

    # --- the report --------------------------------------------------------------------------------
    def _marketplace_order(self):
        self.ensure_one()
        return self.env["marketplace.order"].sudo().search(
            [("sale_order_id", "=", self.sale_id.id)], limit=1)

    def _marketplace_shipment(self, binding):
        """The neutral shipment of this picking (lib.shipments.Shipment): the marketplace's
        item id of each line from the order as imported, else from the product mapping."""
        self.ensure_one()
        items = {}
        try:
            payload = json.loads(binding.sudo().payload or "{}")
        except ValueError:
            payload = {}
        for line in payload.get("lines") or ():
            items.setdefault(line.get("offer_code"), line.get("item_id") or "")
        mappings = self.env["marketplace.product.mapping"].sudo().search(
            [("account_id", "=", binding.account_id.id), ("product_id", "in", self.move_ids.product_id.ids)])
        by_product = {m.product_id.id: m for m in mappings}
        lines = []
        for move in self.move_ids.filtered(lambda m: m.state == "done"):
            code = move.sale_line_id.marketplace_offer_code or ""
            mapping = by_product.get(move.product_id.id)
            item = items.get(code) or (mapping.item_id if mapping else "") or ""
            lines.append(lib_shipments.ShipmentLine(item, int(round(move.quantity)),
                                                    code or (mapping.offer_code if mapping else "")))
        return lib_shipments.Shipment(binding.external_id, binding.scheme, binding.warehouse_ref or "",
                                      binding.secondary_ref or "", tuple(lines))

    @api.model
    def _cron_report_shipments(self, limit=REPORT_BATCH, **transport_kwargs):
        """The scheduled action: the pickings to report, account by account."""
        commit = not getattr(threading.current_thread(), "testing", False)
        todo = self.sudo().search([("marketplace_report_state", "=", "to_report")], order="date_done, id",
                                  limit=limit)
        for account in todo.marketplace_account_id:
            pickings = todo.filtered(lambda p, a=account: p.marketplace_account_id == a)
            try:
                pickings._marketplace_report(account, **transport_kwargs)
            except Exception:  # noqa: BLE001 - one account's failure never stops the others
                _logger.exception("Shipment report of %s failed", account.name)
                if not commit:
                    raise
                self.env.cr.rollback()
                continue
            if commit:
                self.env.cr.commit()
        if len(todo) >= limit:
            self.env.ref("marketplace_connector.ir_cron_marketplace_report_shipments")._trigger()
        return True

    def _marketplace_report(self, account, **transport_kwargs):
        """Report these pickings (all of ``account``) under the account's lock; a picking
        another run reported meanwhile is left alone."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_CLASS, account.id))
        if not self.env.cr.fetchone()[0]:
            return False
        self.invalidate_recordset(["marketplace_report_state"])
        pickings = self.filtered(lambda p: p.marketplace_report_state == "to_report")
        if not pickings:
            return True
        calls = []
        adapter = account._get_adapter(calls=calls, **transport_kwargs)
        bindings = {p.id: p._marketplace_order() for p in pickings}
        pickings = pickings.filtered(lambda p: bindings[p.id])
        groups = {}
        for picking in pickings:
            binding = bindings[picking.id]
            key = binding.warehouse_ref or "" if adapter.needs_supply and binding.scheme == "fbs" else None
            groups[key] = groups.get(key, self.browse()) | picking
        try:
            for key, group in groups.items():
                supply = None
                try:
                    if key is not None:
                        supply = self.env["marketplace.supply"].sudo()._open_supply(account, key, adapter)
                    shipments = [p._marketplace_shipment(bindings[p.id]) for p in group]
                    result = adapter.ship(shipments, supply.external_ref if supply else "")
                except ApiError as exc:
                    if not lib_shipments.refused(exc):
                        # the network or the marketplace failed: the next run tries again
                        for picking in group:
                            picking.write({"marketplace_report_error": _("Not reported yet, will retry: %s",
                                                                           exc.message),
                                           "marketplace_report_attempts": picking.marketplace_report_attempts + 1})
                        continue
                    result = lib_shipments.ShipResult(refused={bindings[p.id].external_id: exc.message
                                                               for p in group})
                group._marketplace_apply_result(bindings, result, supply)
                if supply and account.wb_hand_over_at_validation and result.shipped:
                    supply._hand_over(adapter)
        finally:
            account._write_sync_log(calls, "shipment")
        return True

    def _marketplace_apply_result(self, bindings, result, supply=None):
        now = fields.Datetime.now()
        for picking in self:
            ext = bindings[picking.id].external_id
            if ext in result.shipped:
                picking.write({"marketplace_report_state": "reported", "marketplace_reported_at": now,
                               "marketplace_report_error": False,
                               "marketplace_supply_id": supply.id if supply else False})
                picking.message_post(body=_("Shipment reported to the marketplace."))
                picking._marketplace_after_shipment()
            elif ext in result.refused:
                reason = result.refused[ext]
                picking.write({"marketplace_report_state": "failed", "marketplace_report_error": reason,
                               "marketplace_report_attempts": picking.marketplace_report_attempts + 1})
                picking.message_post(body=_("The marketplace refused the shipment: %s", reason))
                picking._marketplace_notify_failure(reason)

    def _marketplace_after_shipment(self):
        """Hook: the shipment of this picking was reported (labels are fetched here)."""
        return True

    def _marketplace_notify_failure(self, reason):
        """An activity for the salesperson of the order (override to notify otherwise)."""
        self.ensure_one()
        user = self.sale_id.user_id or self.env.user
        self.activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                               summary=_("Marketplace refused the shipment"), note=reason)

    # --- actions (Marketplace Users) -----------------------------------------------------------------
    def _marketplace_check(self):
        self.check_access("read")
        if not self.env.user.has_group("marketplace_connector.group_marketplace_user"):
            raise UserError(_("Only marketplace users may report to the marketplace."))

    def action_marketplace_retry_report(self):
        """Report again a shipment the marketplace refused (after fixing the cause)."""
        self._marketplace_check()
        failed = self.filtered(lambda p: p.marketplace_report_state == "failed")
        failed.sudo().write({"marketplace_report_state": "to_report"})
        if failed:
            self.env.ref("marketplace_connector.ir_cron_marketplace_report_shipments").sudo()._trigger()
        return True

    def _marketplace_report_delivery(self, status, **transport_kwargs):
        self._marketplace_check()
        for picking in self:
            if picking.marketplace_scheme != "dbs" or picking.state != "done":
                raise UserError(_("Only a validated delivery of a DBS order (the seller delivers) can be "
                                  "reported on its way or delivered."))
            binding = picking._marketplace_order()
            account = binding.account_id
            calls = []
            adapter = account._get_adapter(calls=calls, **transport_kwargs)
            ref = OrderRef(binding.external_id, binding.scheme, binding.secondary_ref or "")
            try:
                adapter.report_delivery(ref, status, code=picking.marketplace_receive_code or "")
            except ApiError as exc:
                account._write_sync_log(calls, "delivery")
                if lib_shipments.refused(exc):
                    picking.sudo().message_post(body=_("The marketplace refused the status: %s", exc.message))
                    raise UserError(_("The marketplace refused the status: %s", exc.message)) from None
                raise UserError(_("The marketplace could not be reached, try again later: %s", exc.message)) \
                    from None
            account._write_sync_log(calls, "delivery")
            picking.sudo().write({"marketplace_delivery_state": status})
            if status == lib_shipments.DELIVERED:
                binding._apply_states({binding.external_id: (lib_orders.DELIVERED, binding.status_text or "")})
        return True

    def action_marketplace_delivering(self):
        return self._marketplace_report_delivery(lib_shipments.DELIVERING)

    def action_marketplace_delivered(self):
        return self._marketplace_report_delivery(lib_shipments.DELIVERED)
