# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..lib.accounting import AGENT_MODEL, COMMISSION_MODEL, DEFAULT_FINANCE_MODELS, payable_role

FINANCE_MODELS = [
    (COMMISSION_MODEL, "Commission agent (sells in its own name)"),
    (AGENT_MODEL, "Payment agent (the seller sells)"),
]
#: the settings a marketplace account may override (role -> field)
OVERRIDES = {
    "receivable": "finance_receivable_account_id",
    "payable": "finance_payable_account_id",
}


class MarketplaceAccount(models.Model):
    """The accounting side of a marketplace account: the legal model of its contract, which
    decides the entries, and the settlements it may keep apart from the company's (a second
    Wildberries cabinet on a sub-account of 76, another journal)."""

    _inherit = "marketplace.account"

    finance_model = fields.Selection(
        FINANCE_MODELS, string="Legal model", compute="_compute_finance_model", store=True, readonly=False,
        required=True, precompute=True,
        help="Commission agent: the marketplace sells the goods in its own name, on the seller's "
             "account (комиссия, ст. 990 ГК; the Wildberries and Ozon offers): the sale is booked from "
             "its report of sales, its remuneration and services are set off against the proceeds. "
             "Payment agent: the seller sells to the buyer and the marketplace only takes the payment "
             "for it (агентский договор; Yandex Market's placement contract): the revenue is booked "
             "on delivery and the services are bought from the marketplace. Check your contract.")
    finance_journal_id = fields.Many2one(
        "account.journal", string="Journal", check_company=True, domain=[("type", "=", "general")],
        help="The journal of this account's entries; empty for the company's marketplace journal.")
    finance_receivable_account_id = fields.Many2one(
        "account.account", string="Receivable", check_company=True,
        domain=[("account_type", "=", "asset_receivable")],
        help="What the marketplace owes for the goods it sold; empty for the company's account.")
    finance_payable_account_id = fields.Many2one(
        "account.account", string="Charges payable", check_company=True,
        domain=[("account_type", "=", "liability_payable")],
        help="What is owed to the marketplace for its remuneration and services; empty for the "
             "company's account of the legal model.")

    @api.depends("marketplace")
    def _compute_finance_model(self):
        for account in self:
            account.finance_model = DEFAULT_FINANCE_MODELS.get(account.marketplace, COMMISSION_MODEL)

    def _finance_account(self, role):
        """The account of a settlement role (``lib/accounting.ROLES``) for this marketplace
        account: its own override, else the company's ("payable" is the legal model's)."""
        self.ensure_one()
        if role == "payable":
            role = payable_role(self.finance_model)
        override = OVERRIDES.get("payable" if role == "agent_payable" else role)
        return (override and self[override]) or self.company_id._marketplace_account(role)

    def _finance_category_account(self, category):
        """The account a cost category of this marketplace is booked on."""
        self.ensure_one()
        return self.env["marketplace.finance.account.map"]._account_for(
            self.company_id, category, self.marketplace)

    def _finance_journal(self):
        self.ensure_one()
        return self.finance_journal_id or self.company_id._marketplace_journal()
