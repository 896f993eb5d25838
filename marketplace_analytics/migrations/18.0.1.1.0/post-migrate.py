# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api

from odoo.addons.marketplace_analytics.hooks import post_init_hook


def migrate(cr, version):
    """From the skeleton (18.0.1.0.0): the accounting settings appear; fill them as an install does."""
    post_init_hook(api.Environment(cr, SUPERUSER_ID, {}))
