# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Marketplace Analytics",
    "summary": "Marketplace finance reports, reconciliation into accounting, margin and KPIs",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Marketplace Connector contributors",
    "website": "https://github.com/marketplace-connector/odoo-marketplaces",
    "depends": ["marketplace_connector", "account"],
    "data": [
        "security/marketplace_analytics_security.xml",
        "security/ir.model.access.csv",
        "data/marketplace_finance_operation_data.xml",
        "views/marketplace_finance_operation_views.xml",
        "views/marketplace_finance_account_map_views.xml",
        "views/marketplace_account_views.xml",
        "views/res_config_settings_views.xml",
        "views/marketplace_analytics_menus.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
}
