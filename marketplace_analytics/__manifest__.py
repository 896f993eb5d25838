# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Marketplace Analytics",
    "summary": "Marketplace finance reports, reconciliation into accounting, margin and KPIs",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Marketplace Connector contributors",
    "website": "https://github.com/marketplace-connector/odoo-marketplaces",
    "depends": ["marketplace_connector", "account"],
    "data": [
        "security/marketplace_analytics_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_finance.xml",
        "views/marketplace_finance_report_views.xml",
        "views/marketplace_finance_line_views.xml",
        "views/marketplace_finance_import_views.xml",
        "views/marketplace_finance_discrepancy_views.xml",
        "views/marketplace_account_finance_views.xml",
        "views/marketplace_analytics_menus.xml",
        "views/marketplace_finance_menus.xml",
    ],
    "installable": True,
}
