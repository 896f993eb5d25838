"""Wildberries stocks (:class:`WildberriesStocks`): the seller's warehouses (FBS/DBS) and WB's (FBO).

* Sending: ``PUT /api/v3/stocks/{warehouseId}`` (marketplace API, ``02-products.yaml``), at
  most 1000 sizes a request, by **chrtId** (the barcode ``sku`` is being switched off), an
  amount of at most 100 000.  The answer is 204; a refused part is a **409** whose body lists
  the errors ``[{code, message, data: [{chrtId | sku, amount}]}]`` (``NotFound``: an unknown
  size, ``SubjectFBSRestriction``, ``CargoWarehouseRestriction…``: the warehouse does not take
  the item, ``UploadDataLimit``).  ASSUMPTION (the spec does not say): the sizes not listed
  in a 409 were updated; a 409 without item data (``StoreIsProcessing``) updated nothing
  and the whole batch is sent again later.  A 404 is a warehouse WB does not know.
* Reading FBO: ``GET /api/v1/supplier/stocks`` (statistics API, ``12-reports.yaml``): rows of
  ``{warehouseName, barcode, nmId, supplierArticle, techSize, quantity...}``, at most 60 000 a
  page, the next page from the last row's ``lastChangeDate``; documented limit **one request a
  minute**, kept by a limiter of its own.
"""
import re

from .. import orders as o
from ..stocks import FboStock, StockResult, batches
from ..transport import ApiError, RateLimiter

#: sizes a request of PUT /api/v3/stocks/{warehouseId}
STOCK_BATCH = 1000
#: the largest amount WB takes
MAX_AMOUNT = 100000
#: the conditional cap of rows in one answer of /api/v1/supplier/stocks
FBO_PAGE_ROWS = 60000
#: codes of a 409 that pass: send again later
RETRY_CODES = {"StoreIsProcessing"}


class WildberriesStocks:
    """Stock sending and FBO reading: a mixin of :class:`~.WildberriesAdapter`."""

    stock_batch = STOCK_BATCH
    max_stock = MAX_AMOUNT
    fbo_page_rows = FBO_PAGE_ROWS

    def _statistics_limiter(self):
        limiter = getattr(self, "_stats_limiter", None)
        if limiter is None:
            # documented: 1 request a minute (kept in the transport's time, so tests can drive it)
            limiter = self._stats_limiter = RateLimiter(rate=1 / 60.0, burst=1, clock=self.transport.clock,
                                                        sleep=self.transport.sleep)
        return limiter

    def push_stocks(self, items, now=None):
        """Send ``StockItem``s (their ``warehouse_ref`` a seller warehouse id, ``item_id`` the
        chrtId): one ``StockResult`` per item."""
        results = []
        by_warehouse = {}
        for item in items:
            if not str(item.item_id or "").isdigit():
                results.append(StockResult(item.key, False, "NoChrtId",
                                           "the size (chrtId) of this article is not known: read the catalogue"))
                continue
            if not str(item.warehouse_ref or "").isdigit():
                results.append(StockResult(item.key, False, "NotFound", "not a Wildberries warehouse id"))
                continue
            by_warehouse.setdefault(int(item.warehouse_ref), []).append(item)
        for warehouse, group in by_warehouse.items():
            for batch in batches(group, self.stock_batch):
                results.extend(self._push_batch(warehouse, batch, now))
        return results

    def _push_batch(self, warehouse, batch, now):
        path = f"/api/v3/stocks/{warehouse}"
        body = {"stocks": [{"chrtId": int(item.item_id), "amount": min(max(int(item.quantity), 0), MAX_AMOUNT)}
                           for item in batch]}
        try:
            self.transport.request("PUT", path, endpoint="/api/v3/stocks/{warehouseId}", json_body=body,
                                   base_url=self.base_url_for("marketplace"))
        except ApiError as exc:
            if exc.status == 409 and isinstance(exc.body, list):
                return self._refused_items(batch, exc.body, now)
            if exc.status == 404:
                return [StockResult(i.key, False, "NotFound", f"Wildberries does not know the warehouse {warehouse}",
                                    sent_at=now) for i in batch]
            if exc.status == 400:
                return [StockResult(i.key, False, "IncorrectRequest", exc.message[:300], sent_at=now) for i in batch]
            raise
        return [StockResult(item.key, True, sent_at=now) for item in batch]

    @staticmethod
    def _refused_items(batch, errors, now):
        by_chrt = {str(int(item.item_id)): item for item in batch}
        refused, whole = {}, None
        for error in errors:
            if not isinstance(error, dict):
                continue
            code = str(error.get("code") or "Error")[:64]
            message = str(error.get("message") or "")[:300]
            data = error.get("data")
            if not isinstance(data, list) or not data:
                whole = (code, message)
                continue
            for row in data:
                if isinstance(row, dict) and str(row.get("chrtId")) in by_chrt:
                    refused[str(row["chrtId"])] = (code, message)
        results = []
        for chrt, item in by_chrt.items():
            if chrt in refused:
                code, message = refused[chrt]
                results.append(StockResult(item.key, False, code, message, retry=code in RETRY_CODES, sent_at=now))
            elif whole is not None:
                results.append(StockResult(item.key, False, whole[0], whole[1], retry=True, sent_at=now))
            else:
                results.append(StockResult(item.key, True, sent_at=now))
        return results

    def fetch_fbo_stocks(self):
        """WB's stock of our goods in its warehouses, as ``FboStock`` (``warehouse``: WB's
        warehouse name, as the report gives it)."""
        path = "/api/v1/supplier/stocks"
        # RFC 3339 in Moscow time (the report's times have no offset: Moscow's is added)
        date_from = "2019-06-20T00:00:00+03:00"
        rows = []
        for _ in range(self.max_pages):
            self._statistics_limiter().acquire()
            answer = self._call("statistics", "GET", path, params={"dateFrom": date_from})
            if not isinstance(answer, list):
                raise self._shape_error(path, "not a list of stocks")
            for row in answer:
                parsed = parse_fbo_row(row)
                if parsed is not None:
                    rows.append(parsed)
            if len(answer) < self.fbo_page_rows:
                return rows
            last = answer[-1].get("lastChangeDate") if isinstance(answer[-1], dict) else None
            if not isinstance(last, str) or not last or last == date_from:
                raise self._shape_error(path, "a full page without a usable lastChangeDate")
            date_from = last if re.search(r"(Z|[+-]\d{2}:\d{2})$", last) else last + "+03:00"
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)


def parse_fbo_row(row):
    """One row of /api/v1/supplier/stocks -> FboStock, or None when unusable."""
    if not isinstance(row, dict):
        return None
    try:
        warehouse = o.text(row.get("warehouseName"), "warehouseName", max_len=200)
        quantity = row.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            return None
        barcode = o.text(row.get("barcode"), "barcode", required=False, max_len=64)
        offer = o.text(row.get("supplierArticle"), "supplierArticle", required=False, max_len=200)
    except o.PayloadError:
        return None
    if not warehouse:
        return None
    return FboStock(warehouse=warehouse, quantity=quantity, offer_code=offer or "", barcode=barcode or "",
                    extra={"nm_id": str(row.get("nmId") or ""), "size": str(row.get("techSize") or "")})
