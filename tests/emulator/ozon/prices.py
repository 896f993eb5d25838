"""Ozon prices (:class:`OzonPrices`).

Routes (the spec file's):

* ``POST /v1/product/import/prices``: at most 1 000 prices (``maxItems``); per item
  ``{offer_id, product_id, updated, errors}``: an unknown offer_id ``PRODUCT_NOT_FOUND``; a price
  of one product more than 10 times in an hour ``TOO_MANY_REQUESTS`` (ASSUMPTION: the spec states
  the limit, not its code); an ``old_price`` not above the price ``OLD_PRICE_TOO_LOW``; a price
  below the product's ``min_price`` ``PRICE_LESS_THAN_MIN_PRICE``; forced errors
  (:attr:`price_errors`).  The other items are applied (:attr:`prices`).
* ``POST /v5/product/info/prices``: the products' prices and Ozon's commissions
  (:attr:`commissions`: percent, direct-flow logistics, last mile), cursor paging.

The per-product history of updates runs on the emulator's clock (``emulator.clock``) unless
:attr:`hour_clock` is set (a test can move it).
"""
import time
from collections import defaultdict, deque
from decimal import Decimal

from ..server import Reply
from .core import _error

#: (sales percent FBS, direct flow max, last mile) by default
DEFAULT_COMMISSION = (Decimal("15"), Decimal("76"), Decimal("25"))


class OzonPrices:
    """Prices and commissions: a mixin of :class:`~.OzonApp`."""

    def install_prices(self):
        #: offer_id -> {price, old_price, min_price} (Decimal)
        self.prices = {}
        #: offer_id -> (percent, direct flow, last mile), else DEFAULT_COMMISSION
        self.commissions = {}
        #: test knob: {offer_id: (code, message)} the next imports refuse
        self.price_errors = {}
        #: the clock of the 10-an-hour history (None: the emulator's)
        self.hour_clock = None
        self.price_history = defaultdict(deque)
        self.add_post_routes({
            "/v1/product/import/prices": self._import_prices,
            "/v5/product/info/prices": self._info_prices,
        })

    def _hour_now(self):
        return (self.hour_clock or self.emulator.clock or time.monotonic)()

    def _import_prices(self, params, query, body, headers):
        rows = (body or {}).get("prices") or []
        if len(rows) > 1000:
            return _error(400, 3, "prices: at most 1000 items")
        now = self._hour_now()
        result = []
        for row in rows:
            offer = row.get("offer_id") or ""
            product = self.by_offer.get(offer)
            answer = {"offer_id": offer, "product_id": product["product_id"] if product else 0,
                      "updated": False, "errors": []}
            history = self.price_history[offer]
            while history and history[0] <= now - 3600:
                history.popleft()
            try:
                price = Decimal(row.get("price") or "0")
                old = Decimal(row.get("old_price") or "0")
                minimum = Decimal(row.get("min_price") or "0") if row.get("min_price") else None
            except ArithmeticError:
                answer["errors"].append({"code": "INVALID_PRICE", "message": "price is not a number"})
                result.append(answer)
                continue
            current = self.prices.get(offer, {})
            if product is None:
                answer["errors"].append({"code": "PRODUCT_NOT_FOUND", "message": "Product not found"})
            elif offer in self.price_errors:
                code, message = self.price_errors[offer]
                answer["errors"].append({"code": code, "message": message})
            elif len(history) >= 10:
                answer["errors"].append({"code": "TOO_MANY_REQUESTS",
                                         "message": "The price of a product can be updated at most 10 times an hour"})
            elif price <= 0:
                answer["errors"].append({"code": "INVALID_PRICE", "message": "price must be positive"})
            elif old and old <= price:
                answer["errors"].append({"code": "OLD_PRICE_TOO_LOW",
                                         "message": "old_price must be greater than price"})
            elif price < (minimum if minimum is not None else current.get("min_price", Decimal(0))):
                answer["errors"].append({"code": "PRICE_LESS_THAN_MIN_PRICE",
                                         "message": "price is less than min_price"})
            else:
                history.append(now)
                kept_min = minimum if minimum is not None else current.get("min_price", Decimal(0))
                self.prices[offer] = {"price": price, "old_price": old, "min_price": kept_min}
                answer["updated"] = True
            result.append(answer)
        return Reply(200, {"result": result})

    def _info_prices(self, params, query, body, headers):
        body = body or {}
        filt = body.get("filter") or {}
        offers = set(filt.get("offer_id") or ())
        ids = {int(x) for x in filt.get("product_id") or ()}
        if len(offers) + len(ids) > 1000:
            return _error(400, 3, "filter: at most 1000 identifiers")
        products = [p for p in self.catalog
                    if (not offers and not ids) or p["offer_code"] in offers or p["product_id"] in ids]

        def render(p):
            percent, flow, mile = self.commissions.get(p["offer_code"], DEFAULT_COMMISSION)
            sent = self.prices.get(p["offer_code"], {})
            price = sent.get("price", p["price"])
            return {
                "offer_id": p["offer_code"], "product_id": p["product_id"], "acquiring": 2,
                "volume_weight": 0.4,
                "price": {"price": float(price), "old_price": float(sent.get("old_price", 0)),
                          "min_price": float(sent.get("min_price", 0)), "marketing_price": float(price),
                          "marketing_seller_price": float(price), "retail_price": float(price),
                          "net_price": 0.0, "vat": 0.2, "currency_code": "RUB",
                          "auto_action_enabled": False, "auto_add_to_ozon_actions_list_enabled": False},
                "commissions": {
                    "sales_percent_fbs": float(percent), "sales_percent_fbo": float(percent) + 1,
                    "fbs_direct_flow_trans_min_amount": float(flow) / 2,
                    "fbs_direct_flow_trans_max_amount": float(flow),
                    "fbs_deliv_to_customer_amount": float(mile), "fbs_first_mile_min_amount": 0.0,
                    "fbs_first_mile_max_amount": 0.0, "fbs_return_flow_amount": float(flow),
                    "fbo_direct_flow_trans_min_amount": float(flow) / 2,
                    "fbo_direct_flow_trans_max_amount": float(flow), "fbo_deliv_to_customer_amount": float(mile),
                    "fbo_return_flow_amount": float(flow)},
            }

        keyed = [((p["product_id"],), p) for p in products]
        answer, error = self._page(body, keyed, render)
        if error:
            return error
        return Reply(200, {"items": answer["items"], "cursor": answer["cursor"], "total": len(products)})
