"""Wildberries stocks (:class:`WildberriesStocks`): the seller's warehouses and WB's (FBO).

Routes, validated against the spec files:

* ``PUT /api/v3/stocks/{warehouseId}`` (``02-products.yaml``): at most 1000 items (the spec's
  ``maxItems``: more is its 400).  The stock kept is per warehouse and **chrtId**; the
  answer is 204, or a 409 listing the refused items ``[{code, message, data: [{chrtId, sku,
  amount}]}]``: ``NotFound`` (a chrtId not in the catalogue), ``UploadDataLimit`` (an amount
  over 100 000), a restriction set by a test (:attr:`stock_restrictions`, e.g.
  ``CargoWarehouseRestrictionMGT``); the other items of the request are kept (see
  ``lib/wildberries/stocks.py``).  A warehouse that is not one of the seller's FBS/DBS ones:
  404.  ``store_processing`` (test knob): the next requests get 409 ``StoreIsProcessing`` and
  nothing is kept.
* ``GET /api/v1/supplier/stocks`` (``12-reports.yaml``, statistics API): the FBO stock set by
  :meth:`WildberriesStocks.set_fbo_stock`, rows with a ``lastChangeDate`` after ``dateFrom``,
  at most :attr:`fbo_page_rows` a page (``lastChangeDate`` in Moscow time with its offset, as
  the spec's ``date-time`` format requires; WB's example leaves the offset out, which the
  client takes as Moscow time too); the documented limit of **one request a minute**
  per account is enforced (429, counted as a violation).
"""
from datetime import datetime, timedelta, timezone

from ..server import Reply
from .core import SCHEME_OF_DELIVERY_TYPE, SELLER_WAREHOUSES

MSK = timezone(timedelta(hours=3))
MAX_AMOUNT = 100000


class WildberriesStocks:
    """The stock WB was sent and the FBO stock it reports: a mixin of :class:`~.WildberriesApp`."""

    def install_stocks(self):
        #: {(warehouse id, chrtId): amount} as last sent
        self.stocks = {}
        #: {(warehouse id, chrtId): error code} a test sets: such items are refused
        self.stock_restrictions = {}
        self.store_processing = 0
        #: FBO rows: {(warehouse name, chrtId): (quantity, lastChangeDate)}
        self.fbo_stock = {}
        self.fbo_page_rows = 60000
        #: the documented limit of the statistics method: seconds between two requests
        self.statistics_interval = 60.0
        self._statistics_calls = []
        self.add_route("PUT", "/api/v3/stocks/{warehouseId}", self._put_stocks)
        self.add_route("GET", "/api/v1/supplier/stocks", self._supplier_stocks)

    # --- test-facing state ----------------------------------------------------------------
    def reset_stocks(self):
        """A fresh marketplace for the next test: no stock sent, no FBO stock, no recent calls."""
        with self.lock:
            self.stocks.clear()
            self.stock_restrictions.clear()
            self.store_processing = 0
            self.fbo_stock.clear()
            self._statistics_calls = []

    def stock_of(self, warehouse, chrt_id):
        return self.stocks.get((int(warehouse), int(chrt_id)))

    def set_fbo_stock(self, warehouse_name, chrt_id, quantity):
        with self.lock:
            stamp = datetime(2026, 1, 10, 9, 0, tzinfo=MSK) + timedelta(seconds=len(self.fbo_stock) * 7)
            self.fbo_stock[(warehouse_name, int(chrt_id))] = (int(quantity), stamp)

    # --- routes ---------------------------------------------------------------------------
    def _put_stocks(self, params, query, body, headers):
        warehouse = int(params["warehouseId"])
        known = {w["id"] for w in SELLER_WAREHOUSES if w["deliveryType"] in SCHEME_OF_DELIVERY_TYPE}
        if warehouse not in known:
            return Reply(404, {"code": "NotFound", "message": "Склад не найден"})
        if self.store_processing:
            self.store_processing -= 1
            return Reply(409, [{"code": "StoreIsProcessing", "message": "The store is processing"}])
        refused = {}
        for row in body["stocks"]:
            chrt, amount = row.get("chrtId"), row.get("amount", 0)
            if chrt is None:
                refused.setdefault("IncorrectRequest", []).append(row)
            elif int(chrt) not in self.by_chrt:
                refused.setdefault("NotFound", []).append(row)
            elif amount > MAX_AMOUNT:
                refused.setdefault("UploadDataLimit", []).append(row)
            elif (warehouse, int(chrt)) in self.stock_restrictions:
                refused.setdefault(self.stock_restrictions[(warehouse, int(chrt))], []).append(row)
            else:
                self.stocks[(warehouse, int(chrt))] = int(amount)
        if not refused:
            return Reply(204, None)
        messages = {"NotFound": "Not found", "UploadDataLimit": "Upload limit exceeded.",
                    "IncorrectRequest": "Переданы некорректные данные"}
        answer = []
        for code, rows in refused.items():
            data = []
            for row in rows:
                found = self.by_chrt.get(int(row["chrtId"])) if row.get("chrtId") is not None else None
                sku = (found[1].get("barcode") or "") if found else ""
                data.append({"chrtId": row.get("chrtId"), "sku": sku, "amount": row.get("amount", 0)})
            answer.append({"code": code, "message": messages.get(code, "The selected warehouse is not suitable"),
                           "data": data})
        return Reply(409, answer)

    def _supplier_stocks(self, params, query, body, headers):
        now = self.emulator.clock()
        calls = [t for t in self._statistics_calls if t > now - self.statistics_interval]
        if calls:
            self.emulator.limit_violations[self.name] += 1
            return self.rate_limited_reply()
        self._statistics_calls = calls + [now]
        raw = str(query.get("dateFrom") or "")
        try:
            since = datetime.fromisoformat(raw)
        except ValueError:
            return Reply(400, {"errors": ["can't parse dateFrom"]}, validate=False)
        if since.tzinfo is None:
            since = since.replace(tzinfo=MSK)
        rows = sorted(((stamp, name, chrt, qty) for (name, chrt), (qty, stamp) in self.fbo_stock.items()
                       if stamp > since), key=lambda r: (r[0], r[1], r[2]))[:self.fbo_page_rows]
        answer = []
        for stamp, name, chrt, qty in rows:
            product, size = self.by_chrt.get(chrt, ({"offer_code": "", "nm_id": 0, "name": ""}, {}))
            answer.append({
                "lastChangeDate": stamp.isoformat(), "warehouseName": name,
                "supplierArticle": product["offer_code"], "nmId": product["nm_id"],
                "barcode": size.get("barcode") or "", "quantity": qty, "inWayToClient": 0, "inWayFromClient": 0,
                "quantityFull": qty, "category": "Товары", "subject": "Товары", "brand": self.SELLER["tradeMark"],
                "techSize": size.get("tech_size") or "0", "Price": float(product.get("price") or 0), "Discount": 0,
                "isSupply": True, "isRealization": False, "SCCode": "Tech"})
        return Reply(200, answer)
