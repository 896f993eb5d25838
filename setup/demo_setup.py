"""Demo data for a database with the addons installed: the seller's products with stock,
and one account per marketplace pointing at a running emulator, with mappings read from
the emulator's catalogue, the import and the stock export running every minute and the prices
exported (setup/demo_ship.py then ships an order of each marketplace from Odoo).

    python3 setup/demo_setup.py DB --emulator http://127.0.0.1:8900 [--addons-path P]
"""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def demo_company(env):
    """The seller: a Russian company in roubles, ready for УПД, the admin's current company."""
    rub = env.ref("base.RUB")
    rub.active = True
    company = env["res.company"].create({
        "name": "ООО «Ромашка» (демо)", "currency_id": rub.id, "country_id": env.ref("base.ru").id,
        "vat": "7707083893", "zip": "101000", "city": "г. Москва", "street": "ул. Мясницкая, д. 1",
    })
    company.write({
        "edo_kpp": "770701001", "edo_signer_last_name": "Иванов", "edo_signer_first_name": "Иван",
        "edo_signer_middle_name": "Иванович", "edo_signer_position": "Генеральный директор",
        "edo_signer_authority": "Устав",
    })
    admin = env.ref("base.user_admin")
    admin.company_ids |= company
    admin.company_id = company
    # the Russian chart of marketplace_analytics (accounts of приказ 94н: 41, 45, 62, 76, 90...)
    env["account.chart.template"].with_context(allowed_company_ids=[company.id]).try_loading(
        "ru_marketplace", company=company, install_demo=False)
    company.currency_id = rub
    # VAT 22 % (from 2026), price-excluded as in the usual Russian set-up: the connector applies
    # its price-included form to marketplace prices, which include VAT
    Tax = env["account.tax"].with_context(allowed_company_ids=[company.id])
    group = env["account.tax.group"].search([("company_id", "=", company.id)], limit=1) or \
        env["account.tax.group"].create({"name": "НДС", "company_id": company.id})
    vat = Tax.search([("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount", "=", 22.0),
                      ("amount_type", "=", "percent")], limit=1)  # the Russian chart's
    values = {"price_include_override": "tax_excluded", "description": "22%"}
    if vat:
        vat.write(values)
    else:
        vat = Tax.create(dict(values, name="НДС 22%", amount=22.0, amount_type="percent", type_tax_use="sale",
                              company_id=company.id, tax_group_id=group.id))
    company.account_sale_tax_id = vat
    # Odoo gives a new company no warehouse (outside its tests): the seller's own
    env["stock.warehouse"].with_context(allowed_company_ids=[company.id]).create({
        "name": "Склад Москва", "code": "MSK", "company_id": company.id, "partner_id": company.partner_id.id})
    return company


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--emulator", default="http://127.0.0.1:8900")
    parser.add_argument("--addons-path")
    args = parser.parse_args(argv)

    from tests.emulator import MarketplaceEmulator
    from tests.emulator.data import default_catalog
    from tests.fixtures import account_values, create_products
    from tests.odoo_env import environment

    # the emulator's credentials and ids (the classes only; nothing is started here)
    probe = MarketplaceEmulator()
    host, port = args.emulator.rsplit("//", 1)[1].split(":")
    probe.host, probe.port = host, int(port)

    with environment(args.db, args.addons_path) as env:
        env = env(context=dict(env.context, tracking_disable=True, lang="ru_RU"))
        company = demo_company(env)
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        catalog = default_catalog()
        # 55 of the 60 articles exist in Odoo; the rest show up as held orders / unmapped items
        products = create_products(env, catalog[:55], warehouse.lot_stock_id, qty=200)
        products.product_tmpl_id.write({"taxes_id": [(6, 0, company.account_sale_tax_id.ids)]})
        # a cost for each product (45 % of its price), so that the price export's margin guard
        # has something to check: without a cost it stops every price
        for product in products:
            product.with_company(company).standard_price = round(product.list_price * 0.45, 2)
        fbo_location = env["stock.location"].create({
            "name": "FBO (склады маркетплейсов)", "usage": "internal",
            "location_id": warehouse.view_location_id.id})
        names = {"wildberries": "Wildberries — демо", "ozon": "Ozon — демо", "yandex": "Яндекс Маркет — демо"}
        for marketplace, name in names.items():
            account = env["marketplace.account"].create(account_values(probe, marketplace, warehouse, name=name))
            try:
                account.action_import_warehouses()
                account.action_import_catalog()
            except Exception as exc:  # noqa: BLE001 - the demo goes on; the error is on the account
                print(f"{name}: {exc}", file=sys.stderr)
            account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo").location_id = fbo_location
            # stock and prices go out: the free stock less 2 units, the sales price rounded to …99
            account.write({"stock_export": True, "stock_buffer": 2, "price_export": True,
                           "price_rounding": "99", "price_discount_percent": 20})
        xsd = REPO.parent / "shared" / "edo" / "xsd"
        if xsd.is_dir():  # the ФНС schemas, where this checkout has them beside it
            env["ir.config_parameter"].set_param("marketplace_edo.xsd_dir", str(xsd))
        cron = env.ref("marketplace_connector.ir_cron_marketplace_import_orders")
        cron.write({"interval_number": 1, "interval_type": "minutes", "nextcall": env.cr.now()})
        # the stock export every minute too; shipments are reported as soon as a delivery is validated
        env.ref("marketplace_connector.ir_cron_marketplace_export_stock").write(
            {"interval_number": 1, "interval_type": "minutes", "nextcall": env.cr.now()})
        env["res.lang"]._activate_lang("ru_RU")  # loaded with the addons' translations at install
        env.ref("base.user_admin").lang = "ru_RU"
        print("demo accounts:", ", ".join(names.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
