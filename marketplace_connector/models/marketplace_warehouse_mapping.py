# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MarketplaceWarehouseMapping(models.Model):
    """A marketplace warehouse ↔ an Odoo warehouse (FBS/DBS), or ↔ the location that holds
    our stock kept by the marketplace (FBO)."""

    _name = "marketplace.warehouse.mapping"
    _description = "Marketplace Warehouse"
    _order = "account_id, scheme, name"
    _check_company_auto = True

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    ref = fields.Char(string="Marketplace warehouse ID", required=True)
    name = fields.Char(required=True)
    scheme = fields.Selection([("fbs", "FBS"), ("dbs", "DBS"), ("fbo", "FBO")], required=True, default="fbs")
    warehouse_id = fields.Many2one("stock.warehouse", string="Odoo warehouse", check_company=True,
                                   help="Where FBS/DBS orders of this marketplace warehouse ship from.")
    location_id = fields.Many2one(
        "stock.location", string="FBO location", domain="[('usage', '=', 'internal')]", check_company=True,
        help="FBO: the location that holds our goods stored at this marketplace warehouse.")
    active = fields.Boolean(default=True)
    # stock export
    stock_buffer_override = fields.Boolean(
        string="Own safety buffer", help="Keep back this warehouse's own buffer instead of the account's "
        "(a product mapping with a buffer of its own keeps to that).")
    stock_buffer = fields.Integer(string="Safety buffer")

    _sql_constraints = [
        ("ref_uniq", "UNIQUE(account_id, ref)", "This marketplace warehouse is already mapped."),
    ]

    @api.model
    def _sync_warehouses(self, account, warehouses):
        existing = set(self.with_context(active_test=False).search(
            [("account_id", "=", account.id)]).mapped("ref"))
        vals = [{"account_id": account.id, "ref": w.ref, "name": w.name, "scheme": w.scheme,
                 "warehouse_id": account.warehouse_id.id if w.scheme != "fbo" else False}
                for w in warehouses if w.ref not in existing]
        self.create(vals)
        return len(vals)
