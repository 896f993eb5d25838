# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MarketplaceSyncLog(models.Model):
    _inherit = "marketplace.sync.log"

    operation = fields.Selection(selection_add=[("finance", "Finance reports")], ondelete={"finance": "set default"})
