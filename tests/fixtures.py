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


#: the name of the size attribute of the sized products
SIZE_ATTRIBUTE = "Размер"


def create_sized_products(env, cards, stock_location=None, qty=1000):
    """One product template per card of ``data.sized_catalog()`` (internal reference: the
    card's article), with a size attribute and one variant per size carrying the size's
    barcode and the size's own article (``default_code``: Ozon's and Yandex Market's offer of
    that size).  Returns {card article: {size: product.product}}."""
    Attribute = env["product.attribute"]
    attribute = Attribute.search([("name", "=", SIZE_ATTRIBUTE)], limit=1) or Attribute.create(
        {"name": SIZE_ATTRIBUTE, "create_variant": "always", "display_type": "radio"})
    Value = env["product.attribute.value"]
    result = {}
    for card in cards:
        values = Value
        for size in card["sizes"]:
            value = Value.search([("attribute_id", "=", attribute.id), ("name", "=", size["size"])], limit=1)
            values |= value or Value.create({"attribute_id": attribute.id, "name": size["size"]})
        template = env["product.template"].create({
            "name": card["name"], "default_code": card["offer_code"], "list_price": float(card["price"]),
            "type": "consu", "is_storable": True,
            "attribute_line_ids": [(0, 0, {"attribute_id": attribute.id, "value_ids": [(6, 0, values.ids)]})],
        })
        by_size = {}
        for variant in template.product_variant_ids:
            size_name = variant.product_template_attribute_value_ids.filtered(
                lambda v: v.attribute_id == attribute).name
            by_size[size_name] = variant
        for size in card["sizes"]:
            by_size[size["size"]].write({"barcode": size["barcode"], "default_code": size["offer_code"]})
        result[card["offer_code"]] = {size["size"]: by_size[size["size"]] for size in card["sizes"]}
    if stock_location:
        variants = [p for sizes in result.values() for p in sizes.values()]
        env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": p.id, "location_id": stock_location.id, "inventory_quantity": qty}
            for p in variants
        ]).action_apply_inventory()
    return result
