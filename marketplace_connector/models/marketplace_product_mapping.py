# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class MarketplaceProductMapping(models.Model):
    """A product of the seller ↔ the identifiers one marketplace account uses for it."""

    _name = "marketplace.product.mapping"
    _description = "Marketplace Product Mapping"
    _inherit = ["mail.thread"]
    _order = "account_id, offer_code"
    _rec_name = "offer_code"
    _check_company_auto = True

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    product_id = fields.Many2one("product.product", tracking=True, index=True, check_company=True,
                                 domain="[('type', '=', 'consu')]")
    offer_code = fields.Char(
        string="Article", required=True, tracking=True, index=True,
        help="The seller's article on the marketplace: Wildberries vendor code, Ozon offer_id, "
        "Yandex Market offerId")
    name = fields.Char(string="Name on the marketplace")
    barcode = fields.Char(tracking=True, index=True)
    item_id = fields.Char(string="Marketplace item ID", tracking=True,
                          help="Wildberries chrtId, Ozon SKU, Yandex Market marketSku")
    product_ref = fields.Char(string="Marketplace product ID", tracking=True,
                              help="Wildberries nmId, Ozon product_id")
    state = fields.Selection([("mapped", "Mapped"), ("unmapped", "Unmapped")],
                             compute="_compute_state", store=True, index=True)
    held_order_count = fields.Integer(compute="_compute_held_order_count")

    _sql_constraints = [
        ("offer_code_uniq", "UNIQUE(account_id, offer_code)",
         "An article can be mapped only once per marketplace account."),
    ]

    @api.depends("product_id")
    def _compute_state(self):
        for mapping in self:
            mapping.state = "mapped" if mapping.product_id else "unmapped"

    def _compute_held_order_count(self):
        Order = self.env["marketplace.order"]
        for mapping in self:
            mapping.held_order_count = Order.search_count([
                ("account_id", "=", mapping.account_id.id), ("import_state", "=", "held"),
                ("offer_codes", "ilike", mapping.offer_code)])

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings.filtered("product_id")._release_held_orders()
        return mappings

    def write(self, vals):
        res = super().write(vals)
        if vals.get("product_id"):
            self._release_held_orders()
        return res

    def _release_held_orders(self):
        """Orders held for these articles are imported as soon as the article is mapped."""
        for account in self.account_id:
            codes = self.filtered(lambda m: m.account_id == account).mapped("offer_code")
            domain = [("account_id", "=", account.id), ("import_state", "=", "held")]
            domain += ["|"] * (len(codes) - 1) + [("offer_codes", "ilike", c) for c in codes]
            held = self.env["marketplace.order"].sudo().search(domain)
            if held:
                held._retry_import()

    def _auto_match(self):
        """Match unmapped items to products by barcode, then internal reference."""
        todo = self.filtered(lambda m: not m.product_id)
        if not todo:
            return 0
        Product = self.env["product.product"].with_context(active_test=True)
        matched = 0
        for company in todo.company_id:  # only products the account's company may sell
            group = todo.filtered(lambda m, c=company: m.company_id == c)
            allowed = [("company_id", "in", [False, company.id])]
            barcodes = [b for b in group.mapped("barcode") if b]
            by_barcode = {p.barcode: p for p in Product.search(
                allowed + [("barcode", "in", barcodes)])} if barcodes else {}
            by_ref = {p.default_code: p for p in Product.search(
                allowed + [("default_code", "in", group.mapped("offer_code"))])}
            for mapping in group:
                product = by_barcode.get(mapping.barcode) or by_ref.get(mapping.offer_code)
                if product:
                    mapping.product_id = product
                    matched += 1
        return matched

    @api.model
    def _sync_catalog(self, account, items):
        """Create or refresh mappings from the marketplace's catalogue; returns (created, matched)."""
        existing = {m.offer_code: m for m in self.search([("account_id", "=", account.id)])}
        new_vals = []
        for item in items:
            vals = {"name": item.name, "barcode": item.barcodes[0] if item.barcodes else False,
                    "item_id": item.item_id or False, "product_ref": item.product_ref or False}
            mapping = existing.get(item.offer_code)
            if mapping:
                changed = {k: v for k, v in vals.items() if (mapping[k] or False) != v}
                if changed:
                    mapping.write(changed)
            else:
                new_vals.append(dict(vals, account_id=account.id, offer_code=item.offer_code))
                existing[item.offer_code] = True
        created = self.create(new_vals) if new_vals else self.browse()
        matched = self.search([("account_id", "=", account.id), ("product_id", "=", False)])._auto_match()
        return len(created), matched

    def action_open_held_orders(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.order", "name": _("Held orders"),
            "view_mode": "list,form",
            "domain": [("account_id", "=", self.account_id.id), ("import_state", "=", "held"),
                       ("offer_codes", "ilike", self.offer_code)],
        }
