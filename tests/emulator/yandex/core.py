"""What every capability of the Yandex Market emulation shares (:class:`YandexCore`).

The account: the business, its campaigns (shops, one warehouse each) and the Market's
fulfilment warehouses, the key and settings, authentication, the Market's error answers and
its rate-limit answer (see the package docstring); ``pageToken`` paging of the lists; times
and money as the Market writes them.
"""
import base64
import hashlib
import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime

from ..server import App, Reply

KOPECK = Decimal("0.01")
MSK = timezone(timedelta(hours=3))

BUSINESS = {"id": 11223344, "name": "ООО «Ромашка»"}
#: the business's campaigns (shops); one warehouse each, FBY ships from Market's warehouses
CAMPAIGNS = [
    {"id": 21001001, "domain": "Ромашка — FBS Подольск", "placementType": "FBS", "program": "FBS",
     "warehouse": {"id": 61001, "name": "Склад Подольск", "express": False, "city": "Подольск",
                   "street": "ул. Комсомольская", "number": "1", "gps": (55.4312, 37.5446)}},
    {"id": 21001002, "domain": "Ромашка — Экспресс Казань", "placementType": "FBS", "program": "EXPRESS",
     "warehouse": {"id": 61002, "name": "Склад Казань (Экспресс)", "express": True, "city": "Казань",
                   "street": "ул. Техническая", "number": "12", "gps": (55.7887, 49.1221)}},
    {"id": 21001003, "domain": "Ромашка — доставка магазина", "placementType": "DBS", "program": "DBS",
     "warehouse": {"id": 61003, "name": "Магазин на Садовой", "express": False, "city": "Москва",
                   "street": "ул. Садовая", "number": "5", "gps": (55.7601, 37.6186)}},
    {"id": 21001004, "domain": "Ромашка — FBY", "placementType": "FBY", "program": "FBY", "warehouse": None},
    # not in SETTINGS: the seller's LaaS shop (orders from other platforms, never imported)
    {"id": 21001005, "domain": "Ромашка — LaaS", "placementType": "LAAS", "program": "LAAS",
     "warehouse": {"id": 61005, "name": "Склад LaaS", "express": False, "city": "Химки",
                   "street": "ул. Заводская", "number": "3", "gps": (55.8970, 37.4297)}},
]
CAMPAIGN_BY_ID = {c["id"]: c for c in CAMPAIGNS}
#: Market's fulfilment warehouses (FBY orders ship from them)
FF_WAREHOUSES = [
    {"id": 172, "name": "Софьино", "city": "Софьино", "street": "ул. Логистическая", "number": "1/1",
     "gps": (55.5026, 38.0937)},
    {"id": 171, "name": "Томилино", "city": "Томилино", "street": "мкр. Птицефабрика", "number": "стр. 1",
     "gps": (55.6483, 37.9442)},
    {"id": 300, "name": "Екатеринбург", "city": "Екатеринбург", "street": "ул. Альпинистов", "number": "57",
     "gps": (56.7788, 60.6063)},
    {"id": 301, "name": "Санкт-Петербург Шушары", "city": "Санкт-Петербург", "street": "Московское ш.",
     "number": "70", "gps": (59.7893, 30.3817)},
]


def _iso(moment):
    """ISO 8601 with the Moscow offset, whole seconds, as the Market writes its order times."""
    return moment.astimezone(MSK).isoformat(timespec="seconds")


def _money(value, currency="RUR"):
    return {"value": float(value), "currencyId": currency}


def _error(status, code, message):
    return Reply(status, {"status": "ERROR", "errors": [{"code": code, "message": message}]})


class YandexCore(App):
    """The base of :class:`~.YandexApp`: the business, without a capability."""

    name = "yandex"
    #: getBusinessOrders: x-resource-limit-config 10 000 requests an hour (the account's budget here)
    rate_limit = (10000, 3600.0)
    CREDENTIALS = {"api_key": "ACMA:r6Qe2Zk1bX9vTnP4sLw8yHc3JdF5mGa0:5f1c0b7e"}
    SETTINGS = {"business_id": BUSINESS["id"], "campaign_ids": [c["id"] for c in CAMPAIGNS[:4]]}
    #: seconds until the limit is lifted in a forced rate-limit answer
    limit_wait = 2.0

    def __init__(self, emulator):
        super().__init__(emulator)
        #: test knob: the paged lists answer the same page token again and again (a broken API)
        self.repeat_cursor = False
        #: every X-RateLimit-Resource-Until given, in order (for the tests)
        self.limit_answers = []

    # --- core hooks -----------------------------------------------------------------------
    def authenticate(self, headers):
        key = headers.get("Api-Key")
        if not key:
            return _error(401, "UNAUTHORIZED", "Credentials are not specified")
        if key != self.CREDENTIALS["api_key"]:
            return _error(401, "UNAUTHORIZED", "Api-Key token is invalid")
        return None

    def spec_error_reply(self, route, message):
        """The Market's 400: ``ApiClientDataErrorResponse`` ``{status: ERROR, errors: [{code, message}]}``."""
        return _error(400, "BAD_REQUEST", f"Request is invalid: {message[:300]}")

    def rate_limited_reply(self):
        count, seconds = self.rate_limit
        wait = self._window_wait() or self.limit_wait
        # an RFC 822 date has whole seconds: the limit is lifted at the next whole second
        until = datetime.fromtimestamp(math.ceil(datetime.now(timezone.utc).timestamp() + wait), tz=timezone.utc)
        stamp = format_datetime(until, usegmt=True)
        self.limit_answers.append(stamp)
        period = f"{int(seconds // 3600)} hour" if seconds >= 3600 else f"{int(seconds)} seconds"
        return Reply(420, {"status": "ERROR", "errors": [{
            "code": "REQUEST_LIMIT_EXCEEDED",
            "message": f"Hit rate limit of {count} requests per {period} for resource 283"}]},
            headers={"X-RateLimit-Resource-Until": stamp, "X-RateLimit-Resource-Limit": str(count),
                     "X-RateLimit-Resource-Remaining": "0"}, validate=False)

    def _window_wait(self):
        """Seconds until the oldest call of a full window leaves it (over the real limit).
        Reads the core's sliding windows (``MarketplaceEmulator._windows``)."""
        count, seconds = self.rate_limit
        windows = getattr(self.emulator, "_windows", {})
        waits = [window[0] + seconds - self.emulator.clock() for key, window in list(windows.items())
                 if key and key[0] == self.name and len(window) >= count]
        return max(waits) if waits else None

    # --- paging ------------------------------------------------------------------------------------
    @staticmethod
    def _encode_token(key, query):
        raw = json.dumps({"k": key, "q": query}, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_token(token):
        try:
            value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return value["k"], value["q"]
        except (ValueError, KeyError, TypeError):
            return None, None

    def _page(self, keyed, query, asked, limit):
        """One page of ``keyed`` [(key, item)] after the query's pageToken: (items, next token, error).

        The token is opaque to the client; it holds the last key given and a digest of the
        request, so that a token cannot be used with another filter."""
        digest = hashlib.sha1(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()[:16]
        token = query.get("pageToken") or query.get("page_token") or ""
        if isinstance(token, list):
            token = token[-1]
        if token:
            after, token_query = self._decode_token(token)
            if after is None or token_query != digest:
                return None, None, _error(400, "BAD_REQUEST", "Invalid page token")
            after = tuple(after) if isinstance(after, list) else after
            keyed = [(k, item) for k, item in keyed if k > after]
        keyed = sorted(keyed, key=lambda pair: pair[0])
        page = keyed[:limit]
        next_token = self._encode_token(list(page[-1][0]) if isinstance(page[-1][0], tuple) else page[-1][0],
                                        digest) if len(keyed) > limit else None
        if self.repeat_cursor and next_token and token:
            next_token = token
        return [item for _, item in page], next_token, None

    @staticmethod
    def _limit(query, default, maximum):
        try:
            value = int(query.get("limit") or default)
        except (TypeError, ValueError):
            return default
        return max(1, min(value, maximum))

    def _order_in_path(self, params):
        """(order, None) for ``.../campaigns/{campaignId}/orders/{orderId}/...`` of a campaign
        of the business, else (None, the Market's error reply)."""
        try:
            campaign, order_id = int(params["campaignId"]), str(int(params["orderId"]))
        except (KeyError, ValueError):
            return None, _error(404, "NOT_FOUND", "Order not found")
        if campaign not in CAMPAIGN_BY_ID:
            return None, _error(403, "FORBIDDEN", "Access denied")
        order = self.orders.get(order_id)
        if order is None or order["campaignId"] != campaign:
            return None, _error(404, "NOT_FOUND", f"Order not found: {order_id}")
        return order, None

    def _business(self, params):
        try:
            business = int(params["businessId"])
        except (KeyError, ValueError):
            business = 0
        if business != BUSINESS["id"]:
            return _error(403, "FORBIDDEN", "Access denied")
        return None
