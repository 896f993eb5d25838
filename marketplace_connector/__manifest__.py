# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Marketplace Connector (Wildberries, Ozon, Yandex Market)",
    "summary": "Accounts, product and warehouse mappings, order import and sync log "
    "for Russian marketplaces",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "Marketplace Connector contributors",
    "website": "https://github.com/marketplace-connector/odoo-marketplaces",
    "depends": ["sale_management", "sale_stock", "mail"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/marketplace_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/res_partner.xml",
        "views/marketplace_account_views.xml",
        "views/marketplace_product_mapping_views.xml",
        "views/marketplace_warehouse_mapping_views.xml",
        "views/marketplace_order_views.xml",
        "views/marketplace_sync_log_views.xml",
        "views/res_config_settings_views.xml",
        "views/sale_order_views.xml",
        "views/marketplace_menus.xml",
    ],
    "installable": True,
    "application": True,
}
