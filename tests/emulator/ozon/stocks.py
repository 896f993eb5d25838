"""Ozon stocks (:class:`OzonStocks`): the seller's warehouses and Ozon's (FBO).

* ``POST /v2/products/stocks``: the spec file still requires ``product_id`` and
  ``quant_size`` (switched off on 2025-06-26), so the route carries the schema of the current
  method, from the method's page: ``stocks[]`` of ``{offer_id | product_id, stock,
  warehouse_id}``, **at most 100** pairs (more: Ozon's 400).  The method's own limits are
  enforced: **80 requests a minute** (429, a violation), and **one update of an offer and
  warehouse every 30 s**: a pair sent again sooner is refused in its row with
  ``TOO_MANY_REQUESTS`` and counted as a violation (the client must never do it).  Other
  per-item errors: ``NOT_FOUND`` (an offer not in the catalogue), ``WAREHOUSE_NOT_FOUND`` (not
  one of the seller's FBS/rFBS warehouses).  ASSUMPTION: the codes other than
  ``TOO_MANY_REQUESTS`` are not listed by the method's page; they follow its error shape.
* ``POST /v2/analytics/stock_on_warehouses`` (in the spec file): the FBO stock a test sets
  (:meth:`OzonStocks.set_fbo_stock`), ``limit`` + ``offset`` paging.
"""
from ..server import Reply
from .core import _INT, _STR, SELLER_WAREHOUSES

STOCK_BATCH = 100
CALLS_A_MINUTE = 80
PAIR_INTERVAL = 30.0

_STOCKS_REQUEST = {
    "type": "object", "required": ["stocks"], "additionalProperties": False,
    "properties": {"stocks": {"type": "array", "minItems": 1, "maxItems": STOCK_BATCH, "items": {
        "type": "object", "required": ["stock", "warehouse_id"], "additionalProperties": False,
        "anyOf": [{"required": ["offer_id"]}, {"required": ["product_id"]}],
        "properties": {"offer_id": {"type": "string", "minLength": 1}, "product_id": _INT,
                       "stock": {"type": "integer", "minimum": 0}, "warehouse_id": _INT}}}},
}
_STOCKS_RESPONSE = {
    "type": "object", "required": ["result"],
    "properties": {"result": {"type": "array", "items": {
        "type": "object", "required": ["warehouse_id", "product_id", "offer_id", "updated", "errors"],
        "properties": {"warehouse_id": _INT, "product_id": _INT, "offer_id": _STR, "updated": {"type": "boolean"},
                       "errors": {"type": "array", "items": {"type": "object", "required": ["code", "message"],
                                                             "properties": {"code": _STR, "message": _STR}}}}}}},
}
EXTRA_SCHEMAS = {"/v2/products/stocks": (_STOCKS_REQUEST, _STOCKS_RESPONSE)}


class OzonStocks:
    """The stock Ozon was sent and its FBO stock: a mixin of :class:`~.OzonApp`."""

    def install_stocks(self):
        #: {(offer_id, warehouse_id): stock} as last accepted
        self.stocks = {}
        #: {(offer_id, warehouse_id): emulator clock of the last update}
        self.stock_sent_at = {}
        #: pairs sent again within 30 s (the client broke the rule)
        self.pair_violations = []
        self._stock_calls = []
        #: FBO rows: {(warehouse name, offer_id): (free_to_sell, reserved)}
        self.fbo_stock = {}
        self.add_post_routes({
            "/v2/products/stocks": self._products_stocks,
            "/v2/analytics/stock_on_warehouses": self._stock_on_warehouses,
        })

    def reset_stocks(self):
        """A fresh marketplace for the next test: no stock sent, no FBO stock, no recent calls."""
        with self.lock:
            self.stocks.clear()
            self.stock_sent_at.clear()
            self.pair_violations.clear()
            self._stock_calls = []
            self.fbo_stock.clear()

    def stock_of(self, offer_id, warehouse_id):
        return self.stocks.get((offer_id, int(warehouse_id)))

    def set_fbo_stock(self, warehouse_name, offer_id, free, reserved=0):
        with self.lock:
            self.fbo_stock[(warehouse_name, offer_id)] = (int(free), int(reserved))

    def _products_stocks(self, params, query, body, headers):
        now = self.emulator.clock()
        self._stock_calls = [t for t in self._stock_calls if t > now - 60.0]
        if len(self._stock_calls) >= CALLS_A_MINUTE:
            self.emulator.limit_violations[self.name] += 1
            return self.rate_limited_reply()
        self._stock_calls.append(now)
        own = {w["warehouse_id"] for w in SELLER_WAREHOUSES}
        by_product = {p["product_id"]: p for p in self.catalog}
        result = []
        for row in body["stocks"]:
            product = self.by_offer.get(row.get("offer_id")) if row.get("offer_id") else \
                by_product.get(row.get("product_id"))
            warehouse = int(row["warehouse_id"])
            errors = []
            if product is None:
                errors.append({"code": "NOT_FOUND", "message": "Product not found"})
            elif warehouse not in own:
                errors.append({"code": "WAREHOUSE_NOT_FOUND", "message": "Warehouse not found"})
            else:
                pair = (product["offer_code"], warehouse)
                last = self.stock_sent_at.get(pair)
                if last is not None and now - last < PAIR_INTERVAL:
                    self.pair_violations.append(pair)
                    self.emulator.limit_violations[self.name] += 1
                    errors.append({"code": "TOO_MANY_REQUESTS",
                                   "message": "Too many requests for this product and warehouse, try in 30 seconds"})
                else:
                    self.stock_sent_at[pair] = now
                    self.stocks[pair] = int(row["stock"])
            result.append({"warehouse_id": warehouse, "product_id": product["product_id"] if product else 0,
                           "offer_id": product["offer_code"] if product else str(row.get("offer_id") or ""),
                           "updated": not errors, "errors": errors})
        return Reply(200, {"result": result})

    def _stock_on_warehouses(self, params, query, body, headers):
        limit = int(body.get("limit") or 100)
        offset = int(body.get("offset") or 0)
        if not 1 <= limit <= 1000 or offset < 0:
            return Reply(400, {"code": 3, "message": "limit must be 1..1000", "details": []})
        rows = []
        for (name, offer), (free, reserved) in sorted(self.fbo_stock.items()):
            product = self.by_offer.get(offer) or {}
            rows.append({"sku": int(product.get("sku") or 0), "item_code": offer,
                         "item_name": product.get("name") or offer, "free_to_sell_amount": free,
                         "promised_amount": 0, "reserved_amount": reserved, "warehouse_name": name})
        return Reply(200, {"result": {"rows": rows[offset:offset + limit]}})
