# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    marketplace_account_id = fields.Many2one("marketplace.account", readonly=True, index=True, copy=False)
    marketplace = fields.Selection(related="marketplace_account_id.marketplace", store=True)
    marketplace_external_id = fields.Char(string="Marketplace order ID", readonly=True, copy=False)
    marketplace_scheme = fields.Selection([("fbs", "FBS"), ("dbs", "DBS"), ("fbo", "FBO")],
                                          readonly=True, copy=False)
    marketplace_fbo_location_id = fields.Many2one(
        "stock.location", string="FBO location", readonly=True, copy=False,
        help="FBO order: the location that holds our goods at the marketplace's warehouse; "
        "the delivery takes the goods from there.")

    # --- lifecycle: cancellation on the marketplace, loss -------------------------------------
    marketplace_cancel_state = fields.Selection(
        [("cancelled", "Cancelled on the marketplace"), ("refused", "Refused by the marketplace")],
        string="Marketplace cancellation", readonly=True, copy=False, tracking=True)
    marketplace_cancel_error = fields.Text(string="Marketplace's refusal", readonly=True, copy=False)
    marketplace_lost = fields.Boolean(
        string="Lost / compensated", readonly=True, copy=False, index=True,
        help="The marketplace lost the goods: its compensation is for the accountant to follow.")

    _sql_constraints = [
        ("marketplace_external_uniq", "UNIQUE(marketplace_account_id, marketplace_external_id)",
         "This marketplace order has already been imported."),
    ]

    def action_marketplace_cancel(self):
        """Cancel on the marketplace (Marketplace Users): the wizard with the marketplace's reasons."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group("marketplace_connector.group_marketplace_user"):
            raise UserError(_("Only marketplace users may cancel orders on the marketplace."))
        # the wizard is the manager's; the sale order is cancelled with the rights of the connector
        # once the marketplace has cancelled it
        wizard = self.env["marketplace.cancel.wizard"]._open_for(self)
        return {"type": "ir.actions.act_window", "res_model": "marketplace.cancel.wizard", "res_id": wizard.id,
                "view_mode": "form", "target": "new", "name": _("Cancel on the marketplace")}
