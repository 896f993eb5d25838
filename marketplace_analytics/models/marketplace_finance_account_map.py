# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import create_unique_index

from odoo.addons.marketplace_connector.lib import finance
from odoo.addons.marketplace_connector.models.marketplace_account import MARKETPLACES

from ..lib.accounting import CATEGORY_ROLES


class MarketplaceFinanceAccountMap(models.Model):
    """The account each cost category is booked on, per company and, where one marketplace
    differs, per marketplace: revenue (sales, returns, loyalty), selling expenses (commission,
    logistics, storage...), other income and expenses (compensations, fines), bank (payouts).

    The counterpart of each entry is a settlement account of the company (receivable, payable:
    ``res.company``, overridable per marketplace account); this table says only where the amount
    of a category lands.  A row per category and company (no marketplace) is made when a chart
    is loaded or the module installed, from the company's settlement accounts, so the
    accountant sees and edits them; ``_account_for`` answers even when a row is missing.
    """

    _name = "marketplace.finance.account.map"
    _description = "Marketplace Finance Account Mapping"
    _order = "company_id, marketplace, category"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    marketplace = fields.Selection(
        MARKETPLACES, help="Leave empty for every marketplace; a row of one marketplace wins over it.")
    category = fields.Selection(list(finance.CATEGORIES), required=True)
    account_id = fields.Many2one(
        "account.account", string="Account", required=True, check_company=True, ondelete="cascade",
        help="The account the amounts of this category are booked on (the expense or income account).")
    note = fields.Char()

    def init(self):
        # one row per (company, marketplace or none, category): NULL is "every marketplace"
        create_unique_index(self.env.cr, "marketplace_finance_account_map_category_uniq", self._table,
                            ["company_id", "COALESCE(marketplace, '')", "category"])

    @api.model_create_multi
    def create(self, vals_list):
        seen = set()
        for vals in vals_list:
            key = (vals.get("company_id") or self.env.company.id, vals.get("marketplace") or False,
                   vals.get("category"))
            if key in seen or self._find(*key):
                self._raise_taken(key[2])
            seen.add(key)
        return super().create(vals_list)

    def write(self, vals):
        if {"company_id", "marketplace", "category"} & set(vals):
            for row in self:
                key = (vals.get("company_id", row.company_id.id), vals.get("marketplace", row.marketplace) or False,
                       vals.get("category", row.category))
                if self._find(*key) - row:
                    self._raise_taken(key[2])
        return super().write(vals)

    @api.model
    def _find(self, company_id, marketplace, category):
        return self.sudo().search([("company_id", "=", company_id), ("marketplace", "=", marketplace),
                                   ("category", "=", category)]).with_env(self.env)

    def _raise_taken(self, category):
        raise ValidationError(_("The category %(category)s already has an account for this company "
                                "and marketplace.", category=self._category_label(category)))

    def _category_label(self, category):
        return dict(self._fields["category"]._description_selection(self.env)).get(category, category)

    @api.model
    def _account_for(self, company, category, marketplace=False):
        """The account of a category for a company and marketplace: the marketplace's row,
        else the company's row for every marketplace, else the account of the category's
        role (``lib/accounting.CATEGORY_ROLES``)."""
        rows = self.sudo().search([("company_id", "=", company.id), ("category", "=", category),
                                   ("marketplace", "in", [marketplace, False])])
        row = rows.filtered(lambda r: r.marketplace == marketplace)[:1] or rows.filtered(
            lambda r: not r.marketplace)[:1]
        account = row.account_id if row else company._marketplace_account(CATEGORY_ROLES[category])
        # the code of an account is the company's: read it in the company
        return self.env["account.account"].with_company(company).browse(account.ids)

    @api.model
    def _ensure_defaults(self, company, overwrite=False):
        """A row per category for the company (every marketplace), from its settlement
        accounts; ``overwrite`` (a chart just loaded) replaces the accounts of those rows."""
        rows = {r.category: r for r in self.search([("company_id", "=", company.id), ("marketplace", "=", False)])}
        create = []
        for category, _label in finance.CATEGORIES:
            account = company._marketplace_account(CATEGORY_ROLES[category])
            if not account:
                continue
            row = rows.get(category)
            if not row:
                create.append({"company_id": company.id, "category": category, "account_id": account.id})
            elif overwrite and row.account_id != account:
                row.account_id = account
        return self.create(create)
