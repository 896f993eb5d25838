"""Ozon products and warehouses (:class:`OzonCatalog`).

Routes: ``/v3/product/list`` (``last_id`` paging), ``/v3/product/info/list``,
``/v2/warehouse/list`` (newer than the spec file: :data:`EXTRA_SCHEMAS`; the seller's
warehouses, cursor paging), ``/v1/warehouse/list`` (switched off by Ozon, still in the spec
file) and ``/v1/cluster/list`` (Ozon's clusters and their fulfilment centres).  The
catalogue is the shared one (``data.default_catalog``), and the sized cards on demand.
"""
from decimal import Decimal

from .. import data
from ..server import Reply
from .core import (
    _BOOL, _DT, _DT_OR_NULL, _INT, _NULLABLE_OBJECT, _NUM, _STR, CLUSTERS, KOPECK, SELLER_WAREHOUSES, _error,
)

# --- JSON schemas of the methods newer than the spec file (see the package docstring) ---------
V2_WAREHOUSE_LIST_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["limit"],
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 200},
                   "cursor": {"type": "string", "maxLength": 2000},
                   "warehouse_ids": {"type": "array", "items": _STR, "maxItems": 200}},
}
V2_WAREHOUSE = {
    "type": "object", "additionalProperties": False, "required": ["warehouse_id", "name", "status"],
    "properties": {
        "warehouse_id": _INT, "name": _STR, "status": _STR, "warehouse_type": _STR, "is_rfbs": _BOOL,
        "is_kgt": _BOOL, "is_express": _BOOL, "is_comfort": _BOOL, "is_auto_assembly": _BOOL,
        "is_waybill_enabled": _BOOL, "with_item_list": _BOOL, "has_entrusted_acceptance": _BOOL,
        "has_postings_limit": _BOOL, "min_postings_limit": _INT, "postings_limit": _INT,
        "cut_in_time": _INT, "sla_cut_in": _INT, "phone": _STR, "courier_comment": _STR,
        "courier_phones": {"type": "array", "items": _STR}, "carriage_label_type": _STR,
        "created_at": _DT, "updated_at": _DT, "pause_at": _DT_OR_NULL,
        "working_days": {"type": "array", "items": _STR},
        "address_info": {"type": "object", "additionalProperties": False, "properties": {
            "address": _STR, "latitude": _NUM, "longitude": _NUM, "utc": _STR}},
        "first_mile": {"type": "object", "additionalProperties": False, "properties": {
            "dropoff_point_id": _STR, "first_mile_is_changing": _BOOL, "timeslot_from": _STR,
            "timeslot_id": _INT, "timeslot_to": _STR, "type": _STR}},
        "timetable": _NULLABLE_OBJECT,
    },
}
V2_WAREHOUSE_LIST_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["warehouses", "has_next", "cursor"],
    "properties": {"warehouses": {"type": "array", "items": V2_WAREHOUSE}, "has_next": _BOOL, "cursor": _STR},
}

#: methods newer than the spec file: path -> (request schema, answer schema)
EXTRA_SCHEMAS = {
    "/v2/warehouse/list": (V2_WAREHOUSE_LIST_REQUEST, V2_WAREHOUSE_LIST_RESPONSE),
}


class OzonCatalog:
    """Products and warehouses: a mixin of :class:`~.OzonApp`."""

    def install_catalog(self):
        """The catalogue's state and routes (the app's constructor calls it)."""
        self.catalog = []
        self.by_offer = {}
        self.add_post_routes({
            "/v3/product/list": self._product_list,
            "/v3/product/info/list": self._product_info_list,
            "/v2/warehouse/list": self._warehouse_list_v2,
            "/v1/warehouse/list": self._warehouse_list_v1,
            "/v1/cluster/list": self._cluster_list,
        })
        self.set_catalog(data.default_catalog())

    # --- test-facing state ----------------------------------------------------------------
    def set_catalog(self, items):
        with self.lock:
            self.catalog = []
            for item in items:
                index = int(item.get("index") or len(self.catalog) + 1)
                product = dict(item)
                product["price"] = Decimal(str(item["price"])).quantize(KOPECK)
                product.setdefault("product_id", 214000000 + index * 7)
                product.setdefault("sku", 1450000000 + index * 131)
                self.catalog.append(product)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}

    def add_sized_cards(self, cards=None):
        """Products that are variants of one model (sizes: ``data.sized_catalog``), after the
        catalogue: one offer_id, product_id, SKU and barcode per size, ``model_info.model_id``
        shared.  Returns [{offer_code (the model), model_id, offers: [{offer_code, barcode, sku,
        product_id, size}]}]."""
        cards = data.sized_catalog() if cards is None else cards
        added = []
        with self.lock:
            for card in cards:
                model_id = 214000000 + card["sizes"][0]["index"] * 7 + 1
                group = {"offer_code": card["offer_code"], "model_id": model_id, "offers": []}
                for size in card["sizes"]:
                    product = {
                        "offer_code": size["offer_code"], "name": size["name"], "barcode": size["barcode"],
                        "price": Decimal(str(card["price"])).quantize(KOPECK), "index": size["index"],
                        "product_id": 214000000 + size["index"] * 7, "sku": 1450000000 + size["index"] * 131,
                        "model_id": model_id, "model_count": len(card["sizes"]), "size": size["size"],
                    }
                    self.catalog.append(product)
                    group["offers"].append({k: product[k] for k in ("offer_code", "barcode", "sku", "product_id")}
                                           | {"size": size["size"]})
                added.append(group)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}
        return added

    def warehouses(self):
        result = [{"ref": str(w["warehouse_id"]), "name": w["name"], "scheme": "dbs" if w["is_rfbs"] else "fbs"}
                  for w in SELLER_WAREHOUSES]
        result += [{"ref": str(wid), "name": name, "scheme": "fbo"}
                   for cluster in CLUSTERS for wid, name, kind in cluster["warehouses"] if kind == "FULL_FILLMENT"]
        return result

    # --- catalogue -----------------------------------------------------------------------------
    def _product_list(self, params, query, body, headers):
        body = body or {}
        limit = int(body.get("limit") or 100)
        if not 1 <= limit <= 1000:
            return _error(400, 3, "limit must be 1..1000")
        filt = body.get("filter") or {}
        items = sorted(self.catalog, key=lambda p: p["product_id"])
        if filt.get("offer_id"):
            items = [p for p in items if p["offer_code"] in set(filt["offer_id"])]
        if filt.get("product_id"):
            wanted = {int(x) for x in filt["product_id"]}
            items = [p for p in items if p["product_id"] in wanted]
        last_id = body.get("last_id") or ""
        if last_id:
            after, _ = self._decode_cursor(last_id)
            if not isinstance(after, int):
                return _error(400, 3, "invalid last_id")
            items = [p for p in items if p["product_id"] > after]
        page = items[:limit]
        # Ozon answers a last_id even on the last page; the next call then gives no items
        next_id = self._encode_cursor(page[-1]["product_id"], "products") if page else ""
        return Reply(200, {"result": {
            "items": [{"product_id": p["product_id"], "offer_id": p["offer_code"], "archived": False,
                       "has_fbo_stocks": True, "has_fbs_stocks": True, "is_discounted": False} for p in page],
            "total": len(self.catalog), "last_id": next_id}})

    def _product_info_list(self, params, query, body, headers):
        body = body or {}
        offers = set(body.get("offer_id") or ())
        product_ids = {int(x) for x in body.get("product_id") or ()}
        skus = {int(x) for x in body.get("sku") or ()}
        if len(offers) + len(product_ids) + len(skus) > 1000:
            return _error(400, 3, "at most 1000 identifiers in one request")
        stamp = "2025-03-14T09:26:53.000Z"
        items = []
        for p in self.catalog:
            if p["offer_code"] in offers or p["product_id"] in product_ids or p["sku"] in skus:
                items.append({
                    "id": p["product_id"], "offer_id": p["offer_code"], "name": p["name"],
                    "barcodes": [p["barcode"]] if p.get("barcode") else [],
                    "price": f"{p['price']:.2f}", "old_price": f"{p['price'] * Decimal('1.2'):.2f}",
                    "min_price": f"{p['price'] * Decimal('0.9'):.2f}", "marketing_price": f"{p['price']:.2f}",
                    "currency_code": "RUB", "vat": "0.2", "created_at": stamp, "updated_at": stamp,
                    "description_category_id": 17028922, "type_id": 91565, "is_archived": False,
                    "is_autoarchived": False, "is_discounted": False, "is_kgt": False, "is_super": False,
                    "is_prepayment_allowed": True, "has_discounted_fbo_item": False, "discounted_fbo_stocks": 0,
                    "images": [], "images360": [], "color_image": [], "primary_image": [], "errors": [],
                    "volume_weight": 0.4, "model_info": {"model_id": p.get("model_id", p["product_id"] + 1),
                                   "count": p.get("model_count", 1)},
                    "sources": [{"sku": p["sku"], "source": "sds", "created_at": stamp,
                                 "shipment_type": "SHIPMENT_TYPE_GENERAL", "quant_code": ""}],
                    "stocks": {"has_stock": True, "stocks": [
                        {"sku": p["sku"], "source": "fbs", "present": 25, "reserved": 0}]},
                    "statuses": {"status": "price_sent", "status_name": "Продается", "moderate_status": "approved",
                                 "validation_status": "success", "is_created": True, "status_failed": "",
                                 "status_description": "", "status_tooltip": "", "status_updated_at": stamp},
                    "visibility_details": {"has_price": True, "has_stock": True},
                    "commissions": [{"sale_schema": "FBS", "percent": 15.0, "value": float(p["price"]) * 0.15,
                                     "delivery_amount": 0.0, "return_amount": 0.0}],
                })
        return Reply(200, {"items": items})

    # --- warehouses -----------------------------------------------------------------------------
    def _warehouse_list_v1(self, params, query, body, headers):
        """The spec file's method, switched off by Ozon on 2026-04-07 (kept for old clients)."""
        return Reply(200, {"result": [{
            "warehouse_id": w["warehouse_id"], "name": w["name"], "is_rfbs": w["is_rfbs"], "status": "created",
            "is_kgt": False, "is_economy": False, "is_karantin": False, "is_timetable_editable": True,
            "has_entrusted_acceptance": False, "can_print_act_in_advance": False, "has_postings_limit": False,
            "min_postings_limit": 0, "postings_limit": -1, "min_working_days": 5,
            "working_days": ["1", "2", "3", "4", "5"],
            "first_mile_type": {"first_mile_type": "Pickup", "first_mile_is_changing": False,
                                "dropoff_point_id": "", "dropoff_timeslot_id": 0},
        } for w in SELLER_WAREHOUSES]})

    def _warehouse_list_v2(self, params, query, body, headers):
        wanted = self._ids(body.get("warehouse_ids"))
        stamp = "2025-02-03T08:00:00.000Z"

        def render(w):
            return {
                "warehouse_id": w["warehouse_id"], "name": w["name"], "status": "created",
                "warehouse_type": "RFBS" if w["is_rfbs"] else "FBS", "is_rfbs": w["is_rfbs"],
                "is_kgt": False, "is_express": False, "is_comfort": False, "is_auto_assembly": False,
                "is_waybill_enabled": False, "with_item_list": False, "has_entrusted_acceptance": False,
                "has_postings_limit": False, "min_postings_limit": 0, "postings_limit": -1,
                "cut_in_time": 120, "sla_cut_in": 60, "phone": "+74950000000", "courier_comment": "",
                "courier_phones": [], "carriage_label_type": "BIG", "created_at": stamp, "updated_at": stamp,
                "pause_at": None, "working_days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                "address_info": {"address": f"{w['city']}, ул. Складская, 1", "latitude": 55.4,
                                 "longitude": 37.5, "utc": "+03:00"},
                "first_mile": {"type": "PICKUP", "first_mile_is_changing": False, "dropoff_point_id": "",
                               "timeslot_id": 0, "timeslot_from": "", "timeslot_to": ""},
            }

        keyed = [((w["warehouse_id"],), w) for w in SELLER_WAREHOUSES if not wanted or w["warehouse_id"] in wanted]
        answer, error = self._page(body, keyed, render)
        if error:
            return error
        return Reply(200, {"warehouses": answer["items"], "has_next": answer["has_next"], "cursor": answer["cursor"]})

    def _cluster_list(self, params, query, body, headers):
        if (body or {}).get("cluster_type") != "CLUSTER_TYPE_OZON":
            return Reply(200, {"clusters": []})
        wanted = {int(x) for x in (body.get("cluster_ids") or ())}
        return Reply(200, {"clusters": [{
            "id": c["id"], "name": c["name"], "type": "CLUSTER_TYPE_OZON",
            "logistic_clusters": [{"warehouses": [
                {"warehouse_id": wid, "name": name, "type": kind} for wid, name, kind in c["warehouses"]]}],
        } for c in CLUSTERS if not wanted or c["id"] in wanted]})
