# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib.upd_model import VAT_RATES


class AccountTax(models.Model):
    _inherit = "account.tax"

    edo_vat_rate = fields.Selection(
        [(rate, rate) for rate in VAT_RATES], string="УПД VAT rate",
        help="The VAT rate written in the УПД (НалСт). Empty: the tax's percentage (22 → "
        "«22%»). Choose «без НДС» for an exempt sale, or a calculated rate such as «22/122» "
        "where the format requires it (advances, tax agents).")

    def _edo_rate(self):
        """The УПД rate of this VAT tax."""
        self.ensure_one()
        if self.edo_vat_rate:
            return self.edo_vat_rate
        amount = self.amount
        if float(amount).is_integer():
            rate = "%d%%" % int(amount)
            if rate in VAT_RATES:
                return rate
        raise UserError(_(
            "The tax «%(tax)s» (%(amount)s%%) is not a VAT rate of the УПД: set its «УПД VAT "
            "rate» (Accounting → Configuration → Taxes) to one of: %(rates)s.",
            tax=self.name, amount=amount, rates=", ".join(VAT_RATES)))
