# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.tools import create_unique_index

#: marketplaces whose mappings are per size of an article (Wildberries: one card = one
#: vendor code, each size its own chrtID and barcode); elsewhere every variant has its own
#: article (Ozon offer_id, Yandex Market offerId)
SIZED_MARKETPLACES = ("wildberries",)


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
    variant_key = fields.Char(
        string="Size ID", compute="_compute_variant_key", store=True, index=True, precompute=True,
        help="Wildberries: the size (chrtID) this mapping is for; empty: the whole article")
    size_name = fields.Char(string="Size", help="The size as the marketplace names it (Wildberries techSize)")
    active = fields.Boolean(default=True)
    ignored = fields.Boolean(
        tracking=True,
        help="Not sold through this account: orders with it are held with that reason, and the "
        "catalogue, the orders and the automatic matching leave it as it is.")
    name = fields.Char(string="Name on the marketplace")
    barcode = fields.Char(tracking=True, index=True)
    item_id = fields.Char(string="Marketplace item ID", tracking=True,
                          help="Wildberries chrtId, Ozon SKU, Yandex Market marketSku")
    product_ref = fields.Char(string="Marketplace product ID", tracking=True,
                              help="Wildberries nmId, Ozon product_id")
    state = fields.Selection([("mapped", "Mapped"), ("unmapped", "Unmapped"), ("ignored", "Ignored")],
                             compute="_compute_state", store=True, index=True)
    held_order_count = fields.Integer(compute="_compute_held_order_count")
    # stock export
    stock_buffer_override = fields.Boolean(
        string="Own safety buffer", help="Keep back this mapping's own buffer instead of the "
        "marketplace warehouse's or the account's.")
    stock_buffer = fields.Integer(string="Safety buffer")
    stock_level_ids = fields.One2many("marketplace.stock.level", "mapping_id", string="Stock levels")
    stock_error = fields.Char(string="Stock export error", compute="_compute_stock_error")

    @api.depends("stock_level_ids.state", "stock_level_ids.error")
    def _compute_stock_error(self):
        for mapping in self:
            errors = mapping.stock_level_ids.filtered(lambda lv: lv.state == "error")
            mapping.stock_error = "; ".join(
                f"{lv.warehouse_mapping_id.name}: {lv.error or lv.error_code}" for lv in errors[:3]) or False

    def init(self):
        # an article (a size of it, on Wildberries) is mapped once per account
        self.env.cr.execute("ALTER TABLE marketplace_product_mapping "
                            "DROP CONSTRAINT IF EXISTS marketplace_product_mapping_offer_code_uniq")
        create_unique_index(self.env.cr, "marketplace_product_mapping_offer_variant_uniq",
                            self._table, ["account_id", "offer_code", "COALESCE(variant_key, '')"])

    @api.model
    def _variant_key_of(self, marketplace, item_id):
        """The size key of a marketplace item: its id where mappings are per size."""
        return (item_id or "") if marketplace in SIZED_MARKETPLACES else ""

    @api.depends("item_id", "account_id.marketplace")
    def _compute_variant_key(self):
        for mapping in self:
            mapping.variant_key = self._variant_key_of(mapping.account_id.marketplace, mapping.item_id) or False

    @api.depends("product_id", "ignored")
    def _compute_state(self):
        for mapping in self:
            mapping.state = "ignored" if mapping.ignored else ("mapped" if mapping.product_id else "unmapped")

    def unlink(self):
        """A mapping the manager deletes stays away: it is kept, archived and ignored, so that
        the next order or catalogue read does not make it again (``force_delete`` in the
        context deletes it really)."""
        if self.env.context.get("force_delete"):
            return super().unlink()
        self.write({"ignored": True, "active": False, "product_id": False})
        return True

    def action_ignore(self):
        self.write({"ignored": True})
        return True

    def action_unignore(self):
        self.write({"ignored": False, "active": True})
        return True

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
        if vals.get("product_id") or vals.get("ignored") is False:
            self._release_held_orders()
        return res

    def _release_held_orders(self):
        """Orders held for these articles are imported by the scheduled action, which is
        triggered now: the manager's request stays fast and the import runs with the
        scheduled action's rights."""
        if self:
            self.env.ref("marketplace_connector.ir_cron_marketplace_import_orders").sudo()._trigger()

    def _auto_match(self):
        """Match unmapped items to products by barcode, then internal reference."""
        todo = self.filtered(lambda m: not m.product_id and not m.ignored and m.active)
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
        """Create or refresh mappings from the marketplace's catalogue (one per size on
        Wildberries); returns (created, matched).  Ignored and deleted mappings are left as
        they are."""
        existing = {(m.offer_code, m.variant_key or ""): m for m in self.with_context(active_test=False).search(
            [("account_id", "=", account.id)])}
        new_vals = []
        for item in items:
            key = (item.offer_code, self._variant_key_of(account.marketplace, item.item_id))
            vals = {"name": item.name, "barcode": item.barcodes[0] if item.barcodes else False,
                    "item_id": item.item_id or False, "product_ref": item.product_ref or False,
                    "size_name": (item.extra or {}).get("size") or False}
            mapping = existing.get(key)
            if mapping is None and key[1]:
                # an article mapped before sizes were: its mapping becomes the first size's
                article = existing.get((item.offer_code, ""))
                if article and not article.product_id and not article.ignored:
                    mapping = existing.pop((item.offer_code, ""))
            if mapping:
                if mapping.ignored or not mapping.active:
                    continue
                changed = {k: v for k, v in vals.items() if (mapping[k] or False) != v}
                if changed:
                    mapping.write(changed)
                existing[key] = mapping
            elif key not in existing:
                new_vals.append(dict(vals, account_id=account.id, offer_code=item.offer_code))
                existing[key] = self.browse()
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
