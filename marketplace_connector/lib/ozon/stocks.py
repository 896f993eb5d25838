"""Ozon stocks (:class:`OzonStocks`): the seller's warehouses (FBS/rFBS) and Ozon's (FBO).

* Sending: ``POST /v2/products/stocks`` — "за один запрос можно изменить наличие для 100 пар
  товар-склад; с одного аккаунта до 80 запросов в минуту; обновлять остатки у одной пары
  товар-склад можно только 1 раз в 30 секунд, иначе … ошибка ``TOO_MANY_REQUESTS``".  Items go
  by ``offer_id`` + ``warehouse_id`` (``quant_size``, still required by the spec file, was
  switched off on 2025-06-26).  The answer has one ``result`` row per pair: ``updated`` and
  ``errors[{code, message}]``.  The 30-second rule is kept here: the caller gives, per item,
  when that pair was last sent (``StockItem.last_sent``) and a clock; a pair sent less than
  30 s ago is *deferred* (not sent, for the next run), a pair is sent at most once a call, and
  the 80 calls a minute are kept by a limiter on the same clock.
* Reading FBO: ``POST /v2/analytics/stock_on_warehouses`` (``limit`` + ``offset``): rows of
  ``{sku, item_code, warehouse_name, free_to_sell_amount, reserved_amount, promised_amount}``;
  our goods in an Ozon warehouse are the free and the reserved amounts.
"""
import time

from .. import orders as o
from ..stocks import FboStock, StockResult, batches
from ..transport import ApiError, RateLimiter

#: pairs a request of /v2/products/stocks
STOCK_BATCH = 100
#: calls a minute of /v2/products/stocks
STOCK_CALLS_A_MINUTE = 80
#: seconds between two updates of one offer and warehouse
PAIR_INTERVAL = 30.0
#: rows a page of /v2/analytics/stock_on_warehouses
FBO_PAGE = 1000
#: per-item codes that pass: send again later
RETRY_CODES = {"TOO_MANY_REQUESTS"}


class OzonStocks:
    """Stock sending and FBO reading: a mixin of :class:`~.OzonAdapter`."""

    stock_batch = STOCK_BATCH
    pair_interval = PAIR_INTERVAL

    def _stock_limiter(self, clock, sleep):
        limiter = getattr(self, "_stocks_limiter", None)
        if limiter is None or limiter.clock is not clock:
            # burst 2 + 78 a minute: at most 80 calls in any minute
            limiter = self._stocks_limiter = RateLimiter(rate=(STOCK_CALLS_A_MINUTE - 2) / 60.0, burst=2,
                                                         clock=clock, sleep=sleep)
        return limiter

    def push_stocks(self, items, clock=None, sleep=None):
        """Send ``StockItem``s (``warehouse_ref`` an Ozon warehouse id, ``offer_code`` the
        offer_id): one ``StockResult`` per item, deferred where the 30-second rule says so.
        ``clock``: epoch seconds (default ``time.time``), the clock of ``last_sent``."""
        clock = clock or time.time
        sleep = sleep or time.sleep
        results, todo, seen = [], [], {}
        for item in items:
            if not str(item.warehouse_ref or "").isdigit():
                results.append(StockResult(item.key, False, "WAREHOUSE_NOT_FOUND", "not an Ozon warehouse id"))
                continue
            pair = (item.offer_code, str(item.warehouse_ref))
            if pair in seen:  # once a call: the later quantity wins, the earlier is deferred
                results.append(StockResult(seen[pair].key, False, deferred=True, retry=True))
            seen[pair] = item
        todo = list(seen.values())
        limiter = self._stock_limiter(clock, sleep)
        pending = list(todo)
        while pending:
            ready, rest = [], []
            now = clock()
            for item in pending:
                if item.last_sent is not None and now - item.last_sent < self.pair_interval:
                    rest.append(item)
                else:
                    ready.append(item)
            results.extend(StockResult(item.key, False, "TOO_MANY_REQUESTS",
                                       "sent less than 30 seconds ago: sent in the next run",
                                       retry=True, deferred=True) for item in rest)
            for batch in batches(ready, self.stock_batch):
                limiter.acquire()
                results.extend(self._push_batch(batch, clock()))
            pending = []
        return results

    def _push_batch(self, batch, sent_at):
        path = "/v2/products/stocks"
        body = {"stocks": [{"offer_id": item.offer_code, "stock": max(int(item.quantity), 0),
                            "warehouse_id": int(item.warehouse_ref)} for item in batch]}
        answer = self._post(path, body)
        rows = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise self._shape_error(path, "no list of results")
        by_pair = {}
        for row in rows:
            if isinstance(row, dict):
                by_pair[(str(row.get("offer_id") or ""), str(row.get("warehouse_id") or ""))] = row
        results = []
        for item in batch:
            row = by_pair.get((item.offer_code, str(item.warehouse_ref)))
            if row is None:
                results.append(StockResult(item.key, False, "NO_ANSWER", "Ozon did not answer for this item",
                                           retry=True, sent_at=sent_at))
                continue
            errors = [e for e in row.get("errors") or () if isinstance(e, dict)]
            if row.get("updated") is True and not errors:
                results.append(StockResult(item.key, True, sent_at=sent_at))
                continue
            code = str(errors[0].get("code") or "ERROR")[:64] if errors else "NOT_UPDATED"
            message = "; ".join(str(e.get("message") or e.get("code") or "")[:200] for e in errors)[:300]
            results.append(StockResult(item.key, False, code, message, retry=code in RETRY_CODES, sent_at=sent_at))
        return results

    def fetch_fbo_stocks(self):
        """Ozon's stock of our goods in its warehouses, as ``FboStock`` (``warehouse``: the
        warehouse name, as the report gives it)."""
        path = "/v2/analytics/stock_on_warehouses"
        rows = []
        offset = 0
        for _ in range(self.max_pages):
            answer = self._post(path, {"limit": FBO_PAGE, "offset": offset, "warehouse_type": "ALL"})
            result = answer.get("result") if isinstance(answer, dict) else None
            page = result.get("rows") if isinstance(result, dict) else None
            if not isinstance(page, list):
                raise self._shape_error(path, "no list of rows")
            for row in page:
                parsed = parse_fbo_row(row)
                if parsed is not None:
                    rows.append(parsed)
            if len(page) < FBO_PAGE:
                return rows
            offset += len(page)
        raise ApiError(f"Ozon {path}: paging did not end after {self.max_pages} pages", 200)


def parse_fbo_row(row):
    if not isinstance(row, dict):
        return None
    try:
        warehouse = o.text(row.get("warehouse_name"), "warehouse_name", max_len=200)
        offer = o.text(row.get("item_code"), "item_code", required=False, max_len=200)
    except o.PayloadError:
        return None
    amounts = [row.get(k) for k in ("free_to_sell_amount", "reserved_amount")]
    if not warehouse or any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in amounts if a is not None):
        return None
    quantity = sum(a for a in amounts if a is not None)
    sku = row.get("sku")
    return FboStock(warehouse=warehouse, quantity=quantity, offer_code=offer or "",
                    item_id=str(sku) if isinstance(sku, int) and not isinstance(sku, bool) else "")
