"""Yandex Market campaigns, catalogue and warehouses (:class:`YandexCatalog`).

Routes:

* ``GET /v2/campaigns`` — the business's campaigns (shops) and their placement type.
* ``POST /v2/businesses/{businessId}/offer-mappings`` — the catalogue (``pageToken`` paging,
  ``limit`` ≤ 100), ``offer.offerId`` / ``name`` / ``barcodes`` / ``basicPrice`` and
  ``mapping.marketSku``.
* ``POST /v2/businesses/{businessId}/warehouses`` — the seller's warehouses per campaign
  (``limit`` ≤ 30), ``GET /v2/warehouses`` — Market's fulfilment warehouses (FBY).

The catalogue is the shared one (``data.default_catalog``), and the offers of one model in
sizes on demand (:meth:`YandexCatalog.add_sized_cards`).
"""
from decimal import Decimal

from .. import data
from ..server import Reply
from .core import BUSINESS, CAMPAIGNS, FF_WAREHOUSES, KOPECK, _error


class YandexCatalog:
    """Campaigns, offer mappings and warehouses: a mixin of :class:`~.YandexApp`."""

    def install_catalog(self):
        """The catalogue's state and routes (the app's constructor calls it)."""
        self.catalog = []
        self.by_offer = {}
        for method, path, handler in (
            ("GET", "/v2/campaigns", self._campaigns),
            ("POST", "/v2/businesses/{businessId}/offer-mappings", self._offer_mappings),
            ("POST", "/v2/businesses/{businessId}/warehouses", self._warehouses),
            ("GET", "/v2/warehouses", self._ff_warehouses),
        ):
            self.add_route(method, path, handler)
        self.set_catalog(data.default_catalog())

    # --- test-facing state --------------------------------------------------------------------
    def set_catalog(self, items):
        with self.lock:
            self.catalog = []
            for item in items:
                index = int(item.get("index") or len(self.catalog) + 1)
                product = dict(item)
                product["price"] = Decimal(str(item["price"])).quantize(KOPECK)
                product.setdefault("market_sku", 101000000000 + index * 7919)
                product.setdefault("category_id", 90000 + index % 7)
                self.catalog.append(product)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}

    def add_sized_cards(self, cards=None):
        """Offers that are variants of one model (sizes: ``data.sized_catalog``), after the
        catalogue: one offerId and barcode per size, the model's ``groupId`` shared.  Returns
        [{offer_code (the model), offers: [{offer_code, barcode, market_sku, size}]}]."""
        cards = data.sized_catalog() if cards is None else cards
        added = []
        with self.lock:
            for card in cards:
                group = {"offer_code": card["offer_code"], "offers": []}
                for size in card["sizes"]:
                    product = {
                        "offer_code": size["offer_code"], "name": size["name"], "barcode": size["barcode"],
                        "price": Decimal(str(card["price"])).quantize(KOPECK), "index": size["index"],
                        "market_sku": 101000000000 + size["index"] * 7919, "category_id": 90000 + size["index"] % 7,
                        "group_id": card["offer_code"], "size": size["size"],
                    }
                    self.catalog.append(product)
                    group["offers"].append({"offer_code": product["offer_code"], "barcode": product["barcode"],
                                            "market_sku": product["market_sku"], "size": size["size"]})
                added.append(group)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}
        return added

    def warehouses(self):
        result = []
        for campaign in CAMPAIGNS:
            if campaign["id"] not in self.SETTINGS["campaign_ids"] or not campaign["warehouse"]:
                continue
            scheme = "dbs" if campaign["placementType"] == "DBS" else "fbs"
            result.append({"ref": str(campaign["warehouse"]["id"]), "name": campaign["warehouse"]["name"],
                           "scheme": scheme})
        result += [{"ref": str(w["id"]), "name": w["name"], "scheme": "fbo"} for w in FF_WAREHOUSES]
        return result

    # --- campaigns, catalogue, warehouses ---------------------------------------------------------
    def _campaigns(self, params, query, body, headers):
        keyed = [(c["id"], c) for c in CAMPAIGNS]
        page, token, error = self._page(keyed, query, {}, self._limit(query, 100, 100))
        if error:
            return error
        answer = {"campaigns": [{
            "domain": c["domain"], "id": c["id"], "clientId": 7700123,
            "business": {"id": BUSINESS["id"], "name": BUSINESS["name"]},
            "placementType": c["placementType"], "apiAvailability": "AVAILABLE",
        } for c in page], "paging": {}}
        if token:
            answer["paging"]["nextPageToken"] = token
        return Reply(200, answer)

    def _offer_mappings(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        body = body or {}
        wanted = body.get("offerIds")
        items = sorted(self.catalog, key=lambda p: p["offer_code"])
        stamp = "2026-03-14T09:26:53+03:00"
        if body.get("archived"):
            items = []  # nothing of this catalogue is in the archive
        if wanted:
            if query.get("pageToken") or query.get("limit"):
                return _error(400, "BAD_REQUEST", "offerIds cannot be used with pageToken or limit")
            items = [p for p in items if p["offer_code"] in set(wanted)]
            page, token = items, None
        else:
            keyed = [(p["offer_code"], p) for p in items]
            page, token, error = self._page(keyed, query, body, self._limit(query, 50, 100))
            if error:
                return error
        selected = [c["id"] for c in CAMPAIGNS if c["placementType"] != "LAAS"]

        def render(p):
            offer = {
                "offerId": p["offer_code"], "name": p["name"], "marketCategoryId": p["category_id"],
                "vendor": "Ромашка", "vendorCode": f"RM-{p['index']:04d}" if p.get("index") else p["offer_code"],
                "description": f"{p['name']}. Товар продавца «Ромашка».",
                "basicPrice": {"value": float(p["price"]), "currencyId": "RUR", "updatedAt": stamp},
                "cardStatus": "HAS_CARD_CAN_NOT_UPDATE",
                "campaigns": [{"campaignId": c, "status": "PUBLISHED"} for c in selected],
                "sellingPrograms": [{"sellingProgram": prog, "status": "FINE"} for prog in ("FBS", "DBS", "FBY")],
                "archived": False,
            }
            if p.get("barcode"):
                offer["barcodes"] = [p["barcode"]]
            if p.get("group_id"):
                offer["groupId"] = p["group_id"]
            return {"offer": offer, "mapping": {
                "marketSku": p["market_sku"], "marketSkuName": p["name"], "marketModelName": p["name"],
                "marketCategoryId": p["category_id"], "marketCategoryName": "Товары для дома"}}

        result = {"offerMappings": [render(p) for p in page], "paging": {}}
        if token:
            result["paging"]["nextPageToken"] = token
        return Reply(200, {"status": "OK", "result": result})

    def _warehouses(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        body = body or {}
        wanted = set(body.get("campaignIds") or ())
        components = set(body.get("components") or ())
        rows = [c for c in CAMPAIGNS if c["warehouse"] and (not wanted or c["id"] in wanted)]
        keyed = [(c["warehouse"]["id"], c) for c in rows]
        page, token, error = self._page(keyed, query, body, self._limit(query, 15, 30))
        if error:
            return error

        def render(c):
            w = c["warehouse"]
            row = {"id": w["id"], "name": w["name"], "campaignId": c["id"], "express": w["express"]}
            if "ADDRESS" in components:
                row["address"] = {"city": w["city"], "street": w["street"], "number": w["number"],
                                  "gps": {"latitude": w["gps"][0], "longitude": w["gps"][1]}}
            if "STATUS" in components:
                row["status"] = {"status": "OTHER"}
            return row

        result = {"warehouses": [render(c) for c in page], "paging": {}}
        if token:
            result["paging"]["nextPageToken"] = token
        return Reply(200, {"status": "OK", "result": result})

    def _ff_warehouses(self, params, query, body, headers):
        return Reply(200, {"status": "OK", "result": {"warehouses": [{
            "id": w["id"], "name": w["name"],
            "address": {"city": w["city"], "street": w["street"], "number": w["number"],
                        "gps": {"latitude": w["gps"][0], "longitude": w["gps"][1]}},
        } for w in FF_WAREHOUSES]}})
