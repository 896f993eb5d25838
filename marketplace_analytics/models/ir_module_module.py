# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from odoo.addons.account.models.ir_module import templ

from .template_ru_marketplace import RU_TEMPLATE

MODULE = "marketplace_analytics"


class IrModuleModule(models.Model):
    """Odoo lists the chart templates of the modules of its "Account Charts" category only;
    this module is not one (it is the marketplaces' accounting), yet it carries the optional
    Russian chart: list it too, so that the settings offer it."""

    _inherit = "ir.module.module"

    @api.depends("state")
    def _compute_account_templates(self):
        super()._compute_account_templates()
        ChartTemplate = self.env["account.chart.template"]
        for module in self.filtered(lambda m: m.name == MODULE):
            values = ChartTemplate._get_ru_marketplace_template_data()
            module.account_templates = {
                **(module.account_templates or {}),
                RU_TEMPLATE: templ(self.env, RU_TEMPLATE, name=values["name"], parent=None, sequence=50,
                                   country=values["country"], visible=values["visible"],
                                   installed=module.state == "installed", module=MODULE),
            }
