# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MarketplaceAccount(models.Model):
    _inherit = "marketplace.account"

    edo_partner_id = fields.Many2one(
        "res.partner", string="Marketplace legal entity",
        help="The buyer of the УПД made when goods are supplied to this marketplace's FBO "
        "warehouses. Empty: the marketplace's default entity (check its ИНН/КПП).")

    def _edo_legal_entity(self):
        self.ensure_one()
        return self.edo_partner_id or self.env.ref(
            f"marketplace_edo.partner_legal_{self.marketplace}", raise_if_not_found=False) \
            or self.env["res.partner"]
