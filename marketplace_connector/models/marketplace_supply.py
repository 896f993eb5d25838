# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import shipments as lib_shipments
from ..lib.transport import ApiError


class MarketplaceSupply(models.Model):
    """A Wildberries FBS supply (поставка): the open one of an account and WB warehouse takes
    the tasks of the deliveries validated in Odoo; handed over, it is closed."""

    _name = "marketplace.supply"
    _description = "Marketplace Supply"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Supply", required=True, readonly=True, copy=False)
    account_id = fields.Many2one("marketplace.account", required=True, readonly=True, ondelete="cascade",
                                 index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    warehouse_ref = fields.Char(string="Marketplace warehouse", readonly=True, required=True)
    external_ref = fields.Char(string="Supply ID on the marketplace", readonly=True, copy=False, index=True)
    state = fields.Selection([("open", "Open"), ("done", "Handed over")], default="open", required=True,
                             readonly=True, tracking=True, index=True)
    handed_over_at = fields.Datetime(readonly=True, copy=False)
    picking_ids = fields.One2many("stock.picking", "marketplace_supply_id", string="Deliveries", readonly=True)
    picking_count = fields.Integer(compute="_compute_picking_count")
    last_error = fields.Text(readonly=True, copy=False)

    _sql_constraints = [
        ("external_ref_uniq", "UNIQUE(account_id, external_ref)", "This supply is already known."),
    ]

    @api.depends("picking_ids")
    def _compute_picking_count(self):
        for supply in self:
            supply.picking_count = len(supply.picking_ids)

    @api.model
    def _open_supply(self, account, warehouse_ref, adapter):
        """The open supply of the account and WB warehouse, opened on the marketplace when
        there is none (the record is written at once: a later failure never opens a second)."""
        supply = self.search([("account_id", "=", account.id), ("warehouse_ref", "=", warehouse_ref),
                              ("state", "=", "open"), ("external_ref", "!=", False)], limit=1)
        if supply:
            return supply
        name = _("Odoo %(date)s, warehouse %(warehouse)s", date=fields.Date.context_today(self),
                 warehouse=warehouse_ref)
        ref = adapter.open_supply(name)
        return self.create({"name": name, "account_id": account.id, "warehouse_ref": warehouse_ref,
                            "external_ref": ref})

    def _hand_over(self, adapter=None):
        """Close the supply on the marketplace (WB: deliver).  Returns the refusal, or ''."""
        self.ensure_one()
        if self.state == "done":
            return ""
        calls = []
        adapter = adapter or self.account_id._get_adapter(calls=calls)
        try:
            adapter.close_supply(self.external_ref)
        except ApiError as exc:
            self.account_id._write_sync_log(calls, "supply")
            if lib_shipments.refused(exc):
                self.write({"last_error": exc.message})
                return exc.message
            raise
        self.account_id._write_sync_log(calls, "supply")
        self.write({"state": "done", "handed_over_at": fields.Datetime.now(), "last_error": False})
        self.picking_ids.write({"marketplace_report_state": "handed_over"})
        return ""

    def action_hand_over(self):
        """Hand over supply (managers)."""
        for supply in self:
            supply.check_access("read")
            try:
                error = supply.sudo()._hand_over()
            except ApiError as exc:
                raise UserError(_("The marketplace could not be reached, try again later: %s", exc.message)) \
                    from None
            if error:
                supply.sudo().message_post(body=_("The marketplace refused to take the supply over: %s", error))
                raise UserError(_("Wildberries refused to take the supply over: %s", error))
        return True

    def action_open_pickings(self):
        return {"type": "ir.actions.act_window", "res_model": "stock.picking", "name": _("Deliveries"),
                "view_mode": "list,form", "domain": [("marketplace_supply_id", "in", self.ids)]}
