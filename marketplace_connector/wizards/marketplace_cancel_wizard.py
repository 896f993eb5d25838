# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import orders as lib_orders
from ..lib import shipments as lib_shipments
from ..lib.base import OrderRef
from ..lib.transport import ApiError


class MarketplaceCancelReason(models.TransientModel):
    """One cancellation reason of the marketplace, as it lists them for the order."""

    _name = "marketplace.cancel.reason"
    _description = "Marketplace Cancellation Reason"
    _order = "sequence, id"

    wizard_id = fields.Many2one("marketplace.cancel.wizard", required=True, ondelete="cascade")
    sequence = fields.Integer()
    code = fields.Char(required=True)
    name = fields.Char(required=True, translate=False)


class MarketplaceCancelWizard(models.TransientModel):
    """Cancel a marketplace order on the marketplace with one of its reasons, then in Odoo.
    A refusal of the marketplace is shown on the order, which stays as it is."""

    _name = "marketplace.cancel.wizard"
    _description = "Cancel on the Marketplace"

    sale_order_id = fields.Many2one("sale.order", required=True, readonly=True, ondelete="cascade")
    marketplace = fields.Selection(related="sale_order_id.marketplace")
    reason_ids = fields.One2many("marketplace.cancel.reason", "wizard_id", string="Reasons offered")
    reason_id = fields.Many2one("marketplace.cancel.reason", string="Reason",
                                domain="[('wizard_id', '=', id)]")
    message = fields.Char(string="Comment", help="Sent with the reason where the marketplace takes one (Ozon).")

    def _binding(self):
        binding = self.env["marketplace.order"].sudo().search(
            [("sale_order_id", "=", self.sale_order_id.id)], limit=1)
        if not binding:
            raise UserError(_("This sale order did not come from a marketplace."))
        return binding

    @staticmethod
    def _ref(binding):
        return OrderRef(binding.external_id, binding.scheme, binding.secondary_ref or "")

    @api.model
    def _open_for(self, sale, **transport_kwargs):
        """The wizard of ``sale`` with the marketplace's reasons read now."""
        wizard = self.create({"sale_order_id": sale.id})
        binding = wizard._binding()
        calls = []
        adapter = binding.account_id._get_adapter(calls=calls, **transport_kwargs)
        try:
            reasons = adapter.cancel_reasons(self._ref(binding))
        except ApiError as exc:
            raise UserError(_("The marketplace's cancellation reasons could not be read: %s", exc.message)) \
                from None
        finally:
            binding.account_id._write_sync_log(calls, "cancellation")
        wizard.reason_ids = [(0, 0, {"sequence": i, "code": r.code, "name": r.name}) for i, r in enumerate(reasons)]
        wizard.reason_id = wizard.reason_ids[:1]
        return wizard

    def action_confirm(self, **transport_kwargs):
        self.ensure_one()
        if not self.reason_id:
            raise UserError(_("Choose the reason of the cancellation."))
        sale = self.sale_order_id
        binding = self._binding()
        account = binding.account_id
        calls = []
        adapter = account._get_adapter(calls=calls, **transport_kwargs)
        try:
            adapter.cancel(self._ref(binding), self.reason_id.code, self.message or "")
        except ApiError as exc:
            account._write_sync_log(calls, "cancellation")
            if not lib_shipments.refused(exc):
                raise UserError(_("The marketplace could not be reached, try again later: %s", exc.message)) \
                    from None
            sale.sudo().write({"marketplace_cancel_state": "refused", "marketplace_cancel_error": exc.message})
            sale.sudo().message_post(body=_("The marketplace refused to cancel the order (%(reason)s): %(answer)s",
                                            reason=self.reason_id.name, answer=exc.message))
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "danger", "sticky": True, "title": _("Not cancelled"),
                "message": _("The marketplace refused to cancel the order: %s", exc.message),
                "next": {"type": "ir.actions.act_window_close"}}}
        account._write_sync_log(calls, "cancellation")
        sale.sudo().write({"marketplace_cancel_state": "cancelled", "marketplace_cancel_error": False})
        sale.sudo().with_context(disable_cancel_warning=True)._action_cancel()
        sale.sudo().message_post(body=_("Cancelled on the marketplace: %s", self.reason_id.name))
        binding.write({"mp_state": lib_orders.CANCELLED, "status_text": self.reason_id.name,
                       "closed_date": fields.Datetime.now()})
        return {"type": "ir.actions.act_window_close"}
