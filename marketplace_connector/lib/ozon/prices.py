"""Ozon prices (:class:`OzonPrices`): the price export and the commissions the guard needs.

Calls:

* ``POST /v1/product/import/prices``: at most 1 000 prices a call (``prices`` maxItems); each
  product's price at most **10 times an hour** (the method's description).  The answer is per
  item: ``{offer_id, product_id, updated, errors[{code, message}]}``; an item not updated is
  rejected with Ozon's words, the others are applied.  The lib keeps the hour's history of each
  product (:class:`PriceHistory`, on an injected clock) and defers what would go over it.
  ``old_price`` "0" resets the crossed-out price; ``min_price`` is the guard's floor.
* ``POST /v5/product/info/prices``: the products' commissions (``sales_percent_fbs`` /
  ``_fbo``) and logistics (direct flow, last mile), cursor paging, ``limit`` at most 1 000.

ASSUMPTION: Ozon's answer code for an item over the 10-an-hour limit is not in the spec file;
the emulator answers ``TOO_MANY_REQUESTS`` (Ozon's word for the same limit elsewhere) and an item
so refused is deferred, not rejected.
"""
import time
from collections import deque

from ..pricing import (
    ACCEPTED, DEFERRED, REJECTED, PriceResult, Tariff, chunks, dec, money_text,
)

#: an item refused for being updated too often (see ASSUMPTION)
TOO_OFTEN_CODES = {"TOO_MANY_REQUESTS", "PRICE_UPDATE_TOO_OFTEN"}


class PriceHistory:
    """When each product's price was sent in the last hour: at most ``limit`` in ``period``
    seconds.  ``clock``: seconds (time.time); ``history``: {key: [times]} kept from before (the
    Odoo side stores it between runs)."""

    def __init__(self, history=None, clock=time.time, limit=10, period=3600.0):
        self.clock = clock
        self.limit = limit
        self.period = period
        self.times = {key: deque(sorted(float(t) for t in values)) for key, values in (history or {}).items()}

    def _window(self, key):
        now = self.clock()
        window = self.times.setdefault(key, deque())
        while window and window[0] <= now - self.period:
            window.popleft()
        return window

    def allowed(self, key):
        return len(self._window(key)) < self.limit

    def record(self, key):
        self._window(key).append(self.clock())

    def next_at(self, key):
        """When the next send of ``key`` is allowed (clock seconds)."""
        window = self._window(key)
        return self.clock() if len(window) < self.limit else window[0] + self.period

    def as_dict(self):
        return {key: list(window) for key, window in self.times.items() if window}


class OzonPrices:
    """Prices and commissions: a mixin of :class:`~.OzonAdapter`."""

    #: prices a call (at most 1 000)
    price_batch_size = 1000
    #: products a page of /v5/product/info/prices (at most 1 000)
    price_info_page_size = 1000

    def export_prices(self, updates, history=None):
        """Send ``updates`` (``PriceUpdate``, key = offer_id); returns a ``PriceResult`` per
        update.  ``history``: a :class:`PriceHistory` (a fresh one: none kept)."""
        history = history if history is not None else PriceHistory()
        results, todo = [], []
        for update in updates:
            if history.allowed(update.key):
                todo.append(update)
            else:
                results.append(PriceResult(update.key, DEFERRED, "10 price updates in the last hour"))
        path = "/v1/product/import/prices"
        for batch in chunks(todo, self.price_batch_size):
            body = {"prices": [self._price_row(u) for u in batch]}
            answer = self._post(path, body)
            rows = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(rows, list):
                raise self._shape_error(path, "no list of results")
            by_offer = {}
            for row in rows:
                if isinstance(row, dict) and isinstance(row.get("offer_id"), str):
                    by_offer[row["offer_id"]] = row
            for update in batch:
                history.record(update.key)
                row = by_offer.get(update.key)
                if row is None:
                    results.append(PriceResult(update.key, REJECTED, "Ozon did not answer for this product"))
                    continue
                errors = [e for e in row.get("errors") or () if isinstance(e, dict)]
                if row.get("updated") is True and not errors:
                    results.append(PriceResult(update.key, ACCEPTED))
                    continue
                text = "; ".join(f"{e.get('code') or ''}: {e.get('message') or ''}".strip(": ")
                                 for e in errors)[:500] or "not updated"
                codes = {e.get("code") for e in errors}
                state = DEFERRED if codes & TOO_OFTEN_CODES else REJECTED
                results.append(PriceResult(update.key, state, text))
        return results

    @staticmethod
    def _price_row(update):
        row = {"offer_id": update.key, "price": money_text(update.price),
               "old_price": money_text(update.old_price) if update.old_price else "0",
               "currency_code": update.currency or "RUB"}
        if update.min_price:
            row["min_price"] = money_text(update.min_price)
        return row

    def fetch_tariffs(self, keys):
        """{offer_id: Tariff} of the products ``keys``: Ozon's commission for the account's scheme
        (FBS unless only FBO is imported) and its logistics (the direct flow's maximum, plus the
        last mile), from ``/v5/product/info/prices``."""
        path = "/v5/product/info/prices"
        fbo_only = self._schemes() == {"fbo"}
        result = {}
        for batch in chunks(sorted(set(keys)), self.price_info_page_size):
            for item in self._cursor_pages(path, {"filter": {"offer_id": batch, "visibility": "ALL"}},
                                           key="items", limit=self.price_info_page_size):
                if not isinstance(item, dict) or not isinstance(item.get("offer_id"), str):
                    continue
                commissions = item.get("commissions")
                if not isinstance(commissions, dict):
                    continue
                try:
                    if fbo_only:
                        percent = dec(commissions.get("sales_percent_fbo") or 0)
                        logistics = dec(commissions.get("fbo_direct_flow_trans_max_amount") or 0) + dec(
                            commissions.get("fbo_deliv_to_customer_amount") or 0)
                    else:
                        percent = dec(commissions.get("sales_percent_fbs") or 0)
                        logistics = dec(commissions.get("fbs_direct_flow_trans_max_amount") or 0) + dec(
                            commissions.get("fbs_deliv_to_customer_amount") or 0) + dec(
                            commissions.get("fbs_first_mile_max_amount") or 0)
                except ValueError:
                    continue
                if percent < 0 or percent >= 100 or logistics < 0:
                    continue
                result[item["offer_id"]] = Tariff(percent, logistics.quantize(dec("0.01")), "marketplace")
        return result
