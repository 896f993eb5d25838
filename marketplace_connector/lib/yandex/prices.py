"""Yandex Market prices (:class:`YandexPrices`): the business's prices, in every shop.

``POST /v2/businesses/{businessId}/offer-prices/updates`` ``{"offers": [{offerId, price: {value,
currencyId, discountBase}}]}``: at most 500 offers a call, 10 000 offers a minute (the method's
``x-resource-limit-config``: the limit counts offers, not requests; :attr:`offers_limiter`).
``discountBase`` (the crossed-out price) is a whole number, 5 … 99 % above the price; without it
the discount is removed.

A request with an offer the Market refuses is refused whole (400, ``errors[{code, message}]``
naming the offer); the offers named are rejected with the Market's words and the rest is sent
again, so that one bad offer never holds up the others.

ASSUMPTION: the spec gives the error's shape, not its codes; the emulator answers
``OFFER_NOT_FOUND`` / ``PRICE_TOO_LOW`` with the offer's id in quotes in ``message``
(``Offer 'MP-00001' …``), and the lib finds the offer ids there.

The Market's tariff calculator (``POST /v2/tariffs/calculate``) needs each offer's category and
its size and weight, which the mappings do not hold: the guard uses the account's commission and
logistics for Yandex Market (:meth:`YandexPrices.fetch_tariffs` gives none).
"""
import re

from ..pricing import ACCEPTED, REJECTED, PriceResult, chunks
from ..transport import ApiError, RateLimiter

_QUOTED = re.compile(r"'([^']{1,255})'")
_ERROR = re.compile(r'"code":\s*"([A-Z0-9_]{1,80})",\s*"message":\s*"((?:[^"\\]|\\.){0,400})"')


class YandexPrices:
    """Prices: a mixin of :class:`~.YandexAdapter`."""

    #: offers a call (at most 500)
    price_batch_size = 500

    @property
    def offers_limiter(self):
        """10 000 offers a minute: one token an offer (a batch of 500 takes 500)."""
        limiter = getattr(self, "_offers_limiter", None)
        if limiter is None:
            limiter = self._offers_limiter = RateLimiter(rate=150.0, burst=1000)
        return limiter

    def _take_offers(self, count):
        for _ in range(count):
            self.offers_limiter.acquire()

    def export_prices(self, updates):
        business = self._business_id()
        path = f"/v2/businesses/{business}/offer-prices/updates"
        endpoint = "/v2/businesses/{businessId}/offer-prices/updates"
        results = []
        for batch in chunks(updates, self.price_batch_size):
            todo = list(batch)
            for _ in range(len(batch) + 1):
                if not todo:
                    break
                self._take_offers(len(todo))
                body = {"offers": [self._offer_row(u) for u in todo]}
                try:
                    self.transport.request("POST", path, endpoint=endpoint, json_body=body)
                except ApiError as exc:
                    if exc.status != 400:
                        raise
                    named = self._named_errors(exc.message, {u.key for u in todo})
                    if not named:
                        results += [PriceResult(u.key, REJECTED, exc.message[:500]) for u in todo]
                        todo = []
                        break
                    results += [PriceResult(k, REJECTED, text) for k, text in named.items()]
                    todo = [u for u in todo if u.key not in named]
                    continue
                results += [PriceResult(u.key, ACCEPTED) for u in todo]
                todo = []
            results += [PriceResult(u.key, REJECTED, "refused again") for u in todo]
        return results

    @staticmethod
    def _offer_row(update):
        price = {"value": float(update.price), "currencyId": "RUR" if update.currency in ("RUB", "", None)
                 else update.currency}
        if update.old_price:
            price["discountBase"] = int(update.old_price)
        return {"offerId": update.key, "price": price}

    @staticmethod
    def _named_errors(message, keys):
        """{offerId: the Market's words} of the offers a 400 answer names (the answer's text may
        be cut short: each error is read on its own)."""
        named = {}
        for code, text in _ERROR.findall(message):
            for key in _QUOTED.findall(text):
                if key in keys:
                    named[key] = f"{code}: {text}"[:500]
        return named

    def fetch_tariffs(self, keys):
        """None from the Market (see the module docstring): the account's figures apply."""
        return {}
