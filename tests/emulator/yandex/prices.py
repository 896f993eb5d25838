"""Yandex Market prices (:class:`YandexPrices`).

``POST /v2/businesses/{businessId}/offer-prices/updates`` (the spec file's): 1 … 500 offers, the
Market's limit 10 000 offers a minute (``x-resource-limit-config``: counted in offers; over it:
420 and a violation).  The request is checked whole: an unknown ``offerId``
(``OFFER_NOT_FOUND``), a ``discountBase`` that is not a whole number or not 5 … 99 % above the
price (``INVALID_DISCOUNT_BASE``), a price in :attr:`price_errors` — any of them refuses the
whole request with 400 ``{status: ERROR, errors: [{code, message}]}``, one error an offer, its
id in quotes in the message (ASSUMPTION: the spec gives the shape, not the codes).  A request
that passes sets every price (:attr:`prices`: offerId -> {value, discountBase}).
"""
from decimal import Decimal

from ..prices_common import PriceWindow
from ..server import Reply


class YandexPrices:
    """Prices: a mixin of :class:`~.YandexApp`."""

    def install_prices(self):
        self.prices = {}
        #: test knob: {offerId: (code, message)} the Market refuses
        self.price_errors = {}
        self.offers_window = PriceWindow(self.emulator, self.name, 10000, 60.0)
        self.add_route("POST", "/v2/businesses/{businessId}/offer-prices/updates", self._price_updates)

    def _price_updates(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        offers = (body or {}).get("offers") or []
        if not self.offers_window.take(len(offers)):
            return self.rate_limited_reply()
        errors = []
        for row in offers:
            offer = row.get("offerId")
            price = row.get("price") or {}
            value = Decimal(str(price.get("value")))
            base = price.get("discountBase")
            if offer not in self.by_offer:
                errors.append({"code": "OFFER_NOT_FOUND", "message": f"Offer '{offer}' not found"})
            elif offer in self.price_errors:
                code, message = self.price_errors[offer]
                errors.append({"code": code, "message": f"Offer '{offer}': {message}"})
            elif base is not None:
                base = Decimal(str(base))
                if base != base.to_integral_value() or not (value * Decimal("1.05") <= base <= value * 100):
                    errors.append({"code": "INVALID_DISCOUNT_BASE",
                                   "message": f"Offer '{offer}': discountBase must be a whole number "
                                   "5 to 99 % above the price"})
        if errors:
            return Reply(400, {"status": "ERROR", "errors": errors})
        for row in offers:
            price = row["price"]
            self.prices[row["offerId"]] = {
                "value": Decimal(str(price["value"])).quantize(Decimal("0.01")),
                "discountBase": Decimal(str(price["discountBase"])) if price.get("discountBase") else None}
        return Reply(200, {"status": "OK"})
