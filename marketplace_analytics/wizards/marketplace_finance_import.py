# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MarketplaceFinanceImport(models.TransientModel):
    """Import the finance reports of a period now (accountants): the same import as the
    scheduled action's, for the period the accountant asks."""

    _name = "marketplace.finance.import"
    _description = "Import Marketplace Finance Reports"

    account_ids = fields.Many2many("marketplace.account", string="Accounts", required=True,
                                   domain=[("active", "=", True)])
    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=7))
    date_to = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=1))

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(_("The period ends before it starts."))

    def action_import(self):
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise UserError(_("Only accountants import the marketplaces' finance reports."))
        self.account_ids.check_access("read")
        messages = []
        for account in self.account_ids:
            summary = account.sudo()._finance_import(self.date_from, self.date_to)
            summary["discrepancies"] = account.sudo()._finance_reconcile()
            messages.append(_("%(account)s: %(reports)s reports, %(new)s new lines of %(lines)s, "
                              "%(review)s to review, %(errors)s unreadable rows, %(discrepancies)s discrepancies",
                              account=account.name, reports=summary["reports"], new=summary["new_lines"],
                              lines=summary["lines"], review=summary["to_review"], errors=summary["errors"],
                              discrepancies=summary["discrepancies"]))
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": _("Finance reports imported"), "message": "\n".join(messages),
                       "sticky": False, "next": {"type": "ir.actions.act_window_close"}},
        }
