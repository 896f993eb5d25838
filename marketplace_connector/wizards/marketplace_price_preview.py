# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The manager's preview of an account's price export: what would change (old -> new, by how
much), which prices the guard stops and why; *Send* sends exactly the previewed lines."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.marketplace_product_mapping_price import PRICE_STATES


class MarketplacePricePreview(models.TransientModel):
    _name = "marketplace.price.preview"
    _description = "Marketplace Price Preview"

    account_id = fields.Many2one("marketplace.account", required=True, readonly=True, ondelete="cascade")
    marketplace = fields.Selection(related="account_id.marketplace")
    currency_id = fields.Many2one(related="account_id.currency_id")
    line_ids = fields.One2many("marketplace.price.preview.line", "preview_id", readonly=True)
    change_line_ids = fields.One2many("marketplace.price.preview.line", "preview_id",
                                      domain=[("state", "=", "change")], readonly=True)
    blocked_line_ids = fields.One2many("marketplace.price.preview.line", "preview_id",
                                       domain=[("state", "=", "blocked")], readonly=True)
    change_count = fields.Integer(compute="_compute_counts")
    blocked_count = fields.Integer(compute="_compute_counts")
    state = fields.Selection([("preview", "Preview"), ("done", "Sent")], default="preview", readonly=True)
    result = fields.Char(readonly=True)

    @api.depends("line_ids.state")
    def _compute_counts(self):
        for wizard in self:
            wizard.change_count = len(wizard.line_ids.filtered(lambda line: line.state == "change"))
            wizard.blocked_count = len(wizard.line_ids.filtered(lambda line: line.state == "blocked"))

    @api.model
    def _open_for(self, account):
        """A preview of ``account``'s export now (reads the marketplace's tariffs)."""
        account.check_access("read")
        calls = []
        try:
            lines = account._price_lines(calls=calls)
        finally:
            account._write_sync_log(calls, "prices")
        return self.create({"account_id": account.id, "line_ids": [
            fields.Command.create(self.env["marketplace.price.preview.line"]._values_of(line)) for line in lines]})

    def action_apply(self):
        """Send the previewed changes, exactly as previewed, and flag the stopped prices."""
        self.ensure_one()
        if self.state != "preview":
            raise UserError(_("These prices were sent already: open a new preview."))
        account = self.account_id
        account.check_access("read")
        lines = [line._as_line() for line in self.line_ids]
        counts = account._price_send(lines)
        for line in self.line_ids:
            mapping = line.mapping_ids[:1]
            line.write({"result_state": mapping.price_state, "result_message": mapping.price_error or ""})
        self.write({"state": "done", "result": _(
            "%(sent)s sent, %(rejected)s rejected, %(deferred)s deferred, %(pending)s processing, "
            "%(blocked)s stopped by the guard", **counts)})
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
            "target": "new", "name": _("Price changes: %s", account.name),
        }


class MarketplacePricePreviewLine(models.TransientModel):
    _name = "marketplace.price.preview.line"
    _description = "Marketplace Price Preview Line"
    _order = "state, key"

    preview_id = fields.Many2one("marketplace.price.preview", required=True, ondelete="cascade", index=True)
    currency_id = fields.Many2one(related="preview_id.currency_id")
    key = fields.Char(string="Marketplace key", help="Ozon offer_id, Yandex Market offerId, Wildberries nmID")
    product_id = fields.Many2one("product.product", string="Product")
    mapping_ids = fields.Many2many("marketplace.product.mapping", "marketplace_price_line_mapping_rel",
                                   "line_id", "mapping_id", string="Mappings")
    state = fields.Selection([("change", "Will be sent"), ("blocked", "Stopped by the guard")], required=True)
    has_current = fields.Boolean()
    current_price = fields.Monetary(string="Current price")
    new_price = fields.Monetary(string="New price")
    diff_amount = fields.Monetary(string="Change", compute="_compute_diff")
    diff_percent = fields.Float(string="Change (%)", digits=(5, 2), compute="_compute_diff")
    old_price = fields.Monetary(string="Crossed-out price",
                                help="Wildberries: the price sent, before the discount")
    discount_percent = fields.Integer(string="Discount (%)")
    floor_price = fields.Monetary(string="Lowest price allowed")
    commission_percent = fields.Float(string="Commission (%)", digits=(5, 2))
    logistics_amount = fields.Monetary(string="Logistics")
    tariff_source = fields.Selection([("marketplace", "Marketplace"), ("account", "Account settings")],
                                     string="Commission from")
    reason = fields.Text()
    result_state = fields.Selection(PRICE_STATES, string="Result", readonly=True)
    result_message = fields.Text(string="Marketplace's answer", readonly=True)

    @api.depends("current_price", "new_price", "has_current")
    def _compute_diff(self):
        for line in self:
            if line.has_current and line.state == "change":
                line.diff_amount = line.new_price - line.current_price
                line.diff_percent = (line.diff_amount * 100 / line.current_price) if line.current_price else 0.0
            else:
                line.diff_amount = line.diff_percent = 0.0

    @api.model
    def _values_of(self, line):
        return {
            "key": line.get("key") or "", "product_id": line.get("product_id") or False,
            "mapping_ids": [fields.Command.set(line.get("mapping_ids") or [])], "state": line["state"],
            "has_current": bool(line.get("has_current")), "current_price": line.get("current_price") or 0.0,
            "new_price": line.get("new_price") or 0.0, "old_price": line.get("old_price") or 0.0,
            "discount_percent": line.get("discount_percent") or 0, "floor_price": line.get("floor_price") or 0.0,
            "commission_percent": line.get("commission_percent") or 0.0,
            "logistics_amount": line.get("logistics_amount") or 0.0,
            "tariff_source": line.get("tariff_source") or False, "reason": line.get("reason") or "",
        }

    def _as_line(self):
        """The line as the account's ``_price_send`` takes it: the previewed figures."""
        self.ensure_one()
        return {
            "key": self.key, "mapping_ids": self.mapping_ids.ids, "state": self.state,
            "new_price": self.new_price, "old_price": self.old_price, "discount_percent": self.discount_percent,
            "floor_price": self.floor_price, "reason": self.reason,
        }
