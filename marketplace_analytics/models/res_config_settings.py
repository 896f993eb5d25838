# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .res_company import ACCOUNT_FIELD


def _related(role):
    name = ACCOUNT_FIELD.format(role)
    return fields.Many2one(related=f"company_id.{name}", readonly=False)


class ResConfigSettings(models.TransientModel):
    """The block "Marketplaces — accounting" of the Invoicing settings: the company's marketplace
    journal, its settlement accounts and its tax regime."""

    _inherit = "res.config.settings"

    marketplace_journal_id = fields.Many2one(related="company_id.marketplace_journal_id", readonly=False)
    marketplace_receivable_account_id = _related("receivable")
    marketplace_payable_account_id = _related("payable")
    marketplace_agent_payable_account_id = _related("agent_payable")
    marketplace_goods_shipped_account_id = _related("goods_shipped")
    marketplace_goods_account_id = _related("goods")
    marketplace_revenue_account_id = _related("revenue")
    marketplace_cogs_account_id = _related("cogs")
    marketplace_selling_expense_account_id = _related("selling_expense")
    marketplace_vat_sale_account_id = _related("vat_sale")
    marketplace_vat_payable_account_id = _related("vat_payable")
    marketplace_vat_receivable_account_id = _related("vat_receivable")
    marketplace_other_income_account_id = _related("other_income")
    marketplace_other_expense_account_id = _related("other_expense")
    marketplace_shortage_account_id = _related("shortage")
    marketplace_bank_account_id = _related("bank")
    marketplace_tax_regime = fields.Selection(related="company_id.tax_regime", readonly=False)

    def action_marketplace_default_accounts(self):
        """Fill the empty marketplace accounts of the company (and the category table)."""
        self.company_id._marketplace_set_default_accounts()
