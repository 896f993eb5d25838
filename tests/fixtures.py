"""Records the tests, the benchmarks and the demo share: accounts pointing at the emulator,
the seller's products.  Plain functions on an Odoo environment; no test framework import."""

#: model field <- the emulator's credential / setting key
CREDENTIAL_FIELDS = {
    "wildberries": {"wb_token": "token"},
    "ozon": {"ozon_client_id": "client_id", "ozon_api_key": "api_key"},
    "yandex": {"ym_api_key": "api_key"},
}


def account_values(emulator, marketplace, warehouse, name=None):
    app = emulator.apps[marketplace]
    vals = {
        "name": name or f"{marketplace} (emulator)",
        "marketplace": marketplace,
        "environment": "sandbox",
        "base_url": emulator.base_url(marketplace),
        "warehouse_id": warehouse.id,
        "import_days": 2,
    }
    for field, key in CREDENTIAL_FIELDS[marketplace].items():
        vals[field] = str(app.CREDENTIALS[key])
    if marketplace == "yandex":
        vals["ym_business_id"] = str(app.SETTINGS["business_id"])
        vals["ym_campaign_ids"] = ",".join(str(c) for c in app.SETTINGS["campaign_ids"])
    return vals


def create_products(env, catalog, stock_location=None, qty=1000):
    products = env["product.product"].create([
        {
            "name": item["name"],
            "default_code": item["offer_code"],
            "barcode": item["barcode"],
            "list_price": float(item["price"]),
            "type": "consu",
            "is_storable": True,
        }
        for item in catalog
    ])
    if stock_location:
        env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": stock_location.id, "inventory_quantity": qty}
            for p in products
        ]).action_apply_inventory()
    return products
