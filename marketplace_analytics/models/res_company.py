# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..lib.accounting import ROLES, RU_JOURNAL

ACCOUNT_FIELD = "marketplace_{}_account_id"
#: field label and help of each settlement role (the Russian chart's account in brackets)
ROLE_FIELDS = {
    "receivable": ("Marketplace receivable",
                   "What the marketplace owes for the goods it sold: the sale proceeds, then the payout "
                   "(76.01 «расчёты с комиссионером (агентом)», or 62)."),
    "payable": ("Marketplace charges payable (commission)",
                "What the seller owes a commission agent for its remuneration and services, set off "
                "against the proceeds (76.02)."),
    "agent_payable": ("Marketplace charges payable (agent)",
                      "What the seller owes a marketplace that is its payment agent for its services "
                      "(60.01)."),
    "goods_shipped": ("Goods shipped", "Goods handed to the marketplace and not sold yet (45)."),
    "goods": ("Goods", "Goods in the seller's stock (41)."),
    "revenue": ("Revenue", "The price the buyers paid for the goods (90.01)."),
    "cogs": ("Cost of goods sold", "The cost of the goods sold, out of the goods shipped (90.02)."),
    "selling_expense": ("Selling expenses",
                        "The marketplace's remuneration, logistics, storage, acquiring and other "
                        "services (44)."),
    "vat_sale": ("Output VAT (sales)", "The VAT charged on the sales, debited (90.03)."),
    "vat_payable": ("VAT payable", "The VAT owed to the budget (68.02)."),
    "vat_receivable": ("Input VAT", "The VAT of the marketplace's services, to deduct (19)."),
    "other_income": ("Other income", "Compensations from the marketplace (91.01)."),
    "other_expense": ("Other expenses", "Fines and penalties (91.02)."),
    "shortage": ("Shortages", "Goods the marketplace lost or damaged, until compensated (94)."),
    "bank": ("Bank", "The bank account the payouts arrive on (51)."),
}
TAX_REGIMES = [
    ("usn6", "USN 6% (income)"),
    ("usn15", "USN 15% (income minus expenses)"),
    ("vat", "General regime (VAT)"),
]


def _role_field(role):
    label, help_text = ROLE_FIELDS[role]
    return fields.Many2one("account.account", string=label, help=help_text, check_company=True,
                           domain=[("account_type", "=", ROLES[role].account_type)]
                           if role in ("receivable", "payable", "agent_payable", "bank") else [])


class ResCompany(models.Model):
    """The marketplaces' accounting settings live on the company, where an accountant looks for
    the accounts of a chart: the journal and one account per settlement role (see
    ``lib/accounting.py``: receivable, payable, goods shipped, revenue, COGS, VAT, other income
    and expenses, bank).  A marketplace account may override the journal, the receivable and the
    payable (``marketplace.account``); the account of each cost category is the table
    ``marketplace.finance.account.map``.

    Empty fields are filled when a chart is loaded (the Russian chart's exact accounts) or when
    the module is installed (defaults found by the generic chart's ids, else by account type);
    ``_marketplace_account(role)`` never answers empty while the chart has an account of the
    role's type.
    """

    _inherit = "res.company"

    marketplace_journal_id = fields.Many2one(
        "account.journal", string="Marketplace journal", check_company=True,
        domain=[("type", "=", "general")],
        help="The journal of the entries made from the marketplaces' finance reports.")
    marketplace_receivable_account_id = _role_field("receivable")
    marketplace_payable_account_id = _role_field("payable")
    marketplace_agent_payable_account_id = _role_field("agent_payable")
    marketplace_goods_shipped_account_id = _role_field("goods_shipped")
    marketplace_goods_account_id = _role_field("goods")
    marketplace_revenue_account_id = _role_field("revenue")
    marketplace_cogs_account_id = _role_field("cogs")
    marketplace_selling_expense_account_id = _role_field("selling_expense")
    marketplace_vat_sale_account_id = _role_field("vat_sale")
    marketplace_vat_payable_account_id = _role_field("vat_payable")
    marketplace_vat_receivable_account_id = _role_field("vat_receivable")
    marketplace_other_income_account_id = _role_field("other_income")
    marketplace_other_expense_account_id = _role_field("other_expense")
    marketplace_shortage_account_id = _role_field("shortage")
    marketplace_bank_account_id = _role_field("bank")
    tax_regime = fields.Selection(
        TAX_REGIMES, string="Tax regime", default="vat", required=True,
        help="The tax the margin deducts: USN 6% of the income (the full sale price, not reduced by "
             "the marketplace's remuneration), USN 15% of income minus expenses, or VAT.")

    # --- defaults ----------------------------------------------------------------

    def _marketplace_account(self, role):
        """The company's account of a settlement role: its setting, else the default (read in
        the company: an account's code is the company's)."""
        self.ensure_one()
        account = self[ACCOUNT_FIELD.format(role)] or self._marketplace_default_account(role)
        return self.env["account.account"].with_company(self).browse(account.ids)

    def _marketplace_journal(self):
        self.ensure_one()
        return self.marketplace_journal_id or self._marketplace_default_journal()

    def _marketplace_default_account(self, role):
        """The Russian chart's account of the role where the company has it, else the generic
        chart's, else the first account of the role's type (by code)."""
        self.ensure_one()
        spec = ROLES[role]
        Chart = self.env["account.chart.template"].with_company(self)
        for xmlid in (spec.ru, *spec.generic):
            account = Chart.ref(xmlid, raise_if_not_found=False)
            if account and account._name == "account.account" and self in account.company_ids:
                return account
        if role == "bank":
            journal = self.env["account.journal"].search(
                [*self.env["account.journal"]._check_company_domain(self), ("type", "=", "bank")], limit=1)
            if journal.default_account_id:
                return journal.default_account_id
        return self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(self), ("account_type", "=", spec.account_type),
             ("active", "=", True)], order="code", limit=1)

    def _marketplace_default_journal(self):
        self.ensure_one()
        journal = self.env["account.chart.template"].with_company(self).ref(RU_JOURNAL, raise_if_not_found=False)
        if journal and journal.company_id == self:
            return journal
        return self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self), ("type", "=", "general")],
            order="sequence, id", limit=1)

    def _marketplace_set_default_accounts(self, overwrite=False):
        """Write the defaults into the settings (the empty ones, or all with ``overwrite``), and
        the account of each cost category into the category table."""
        for company in self.sudo():
            vals = {}
            for role in ROLES:
                fname = ACCOUNT_FIELD.format(role)
                if overwrite or not company[fname]:
                    account = company._marketplace_default_account(role)
                    if account and account != company[fname]:
                        vals[fname] = account.id
            if overwrite or not company.marketplace_journal_id:
                journal = company._marketplace_default_journal()
                if journal and journal != company.marketplace_journal_id:
                    vals["marketplace_journal_id"] = journal.id
            if vals:
                company.write(vals)
            self.env["marketplace.finance.account.map"].sudo()._ensure_defaults(company, overwrite=overwrite)
