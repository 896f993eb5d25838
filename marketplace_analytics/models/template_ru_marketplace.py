# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, models

from odoo.addons.account.models.chart_template import template

from ..lib.accounting import RU_JOURNAL

RU_TEMPLATE = "ru_marketplace"


class AccountChartTemplate(models.AbstractModel):
    """The optional Russian chart of accounts of a seller on the marketplaces (приказ Минфина
    94н): the accounts the marketplaces' entries need, with their Russian names, VAT 22 % (and
    20 %, 10 %, 0 %, без НДС) and a journal for the marketplaces' reports.

    Odoo 18 has no Russian chart, and the repository's shape has no room for an l10n module, so
    the chart lives here.  Odoo lists only the templates of its l10n modules; this module adds
    its own to that list (``ir.module.module``), without a country, so that no company gets it
    by itself: a company chooses it in the settings (Fiscal Localization), or the demo loads
    it.  Codes are kept as the plan writes them (``code_digits`` 2: "41", "90.01").
    """

    _inherit = "account.chart.template"

    @template(RU_TEMPLATE)
    def _get_ru_marketplace_template_data(self):
        return {
            "name": _("Russia: a seller on the marketplaces (94n)"),
            "country": None,
            "visible": True,
            "code_digits": "2",
            "property_account_receivable_id": "ru_62_01",
            "property_account_payable_id": "ru_60_01",
            "property_account_income_categ_id": "ru_90_01",
            "property_account_expense_categ_id": "ru_44",
            "property_stock_valuation_account_id": "ru_41",
        }

    @template(RU_TEMPLATE, "res.company")
    def _get_ru_marketplace_res_company(self):
        return {
            self.env.company.id: {
                "account_fiscal_country_id": "base.ru",
                # new bank and cash journals get sub-accounts of 51 and 50
                "bank_account_code_prefix": "51.90",
                "cash_account_code_prefix": "50.01",
                "transfer_account_code_prefix": "57",
                "transfer_account_id": "ru_57",
                "account_journal_suspense_account_id": "ru_76_09",
                "income_currency_exchange_account_id": "ru_91_01",
                "expense_currency_exchange_account_id": "ru_91_02",
                "default_cash_difference_income_account_id": "ru_91_01",
                "default_cash_difference_expense_account_id": "ru_91_02",
                "account_journal_early_pay_discount_gain_account_id": "ru_91_01",
                "account_journal_early_pay_discount_loss_account_id": "ru_91_02",
                "account_sale_tax_id": "ru_vat_22_sale",
                "account_purchase_tax_id": "ru_vat_22_purchase",
            },
        }

    @template(RU_TEMPLATE, "account.journal")
    def _get_ru_marketplace_account_journal(self):
        return {
            "bank": {"default_account_id": "ru_51"},
            "cash": {"default_account_id": "ru_50"},
            RU_JOURNAL: {
                "name": _("Marketplaces"),
                "code": "MP",
                "type": "general",
                "sequence": 12,
                "show_on_dashboard": False,
            },
        }

    def _load(self, template_code, company, install_demo):
        """Every chart loaded gives the company its marketplace accounts: a company that moves
        to the Russian chart gets its exact accounts (in place of the previous chart's); any
        other load, a reload of the same chart included, fills only the empty settings."""
        previous = company.chart_template
        result = super()._load(template_code, company, install_demo)
        moved_to_ru = template_code == RU_TEMPLATE and previous != RU_TEMPLATE
        # a chart of an uninstalled module installs it and resets the environments: read anew
        company = self.env()["res.company"].sudo().browse(company.id)
        company._marketplace_set_default_accounts(overwrite=moved_to_ru)
        return result
