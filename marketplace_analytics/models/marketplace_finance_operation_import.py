# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from ..lib.accounting import covering_key, resolve


class MarketplaceFinanceOperation(models.Model):
    _inherit = "marketplace.finance.operation"

    @api.model
    def _finance_categories(self, marketplace, proposed):
        """The categories of an import's (operation, component) pairs, in one read of the table:
        ``proposed`` maps each pair to the category the marketplace's reader gave it.  The table
        has the last word; a pair it does not cover yet is added — with the reader's category
        (then it is known) or without one, listed for the accountant to review.  Returns
        {pair: category or ""}."""
        table = self._category_table(marketplace)
        result, seed = {}, {}
        for (operation, component), category in proposed.items():
            if covering_key(table, operation, component):
                result[(operation, component)] = resolve(table, operation, component)
            elif category:
                seed[(operation, component or "")] = category
                result[(operation, component)] = category
            else:
                self._note_unknown(marketplace, operation, component or "")
                result[(operation, component)] = ""
        if seed:
            self.sudo()._seed(marketplace, seed)
        return result
