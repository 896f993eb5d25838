"""What every capability of the Wildberries emulation shares (:class:`WildberriesCore`).

The account: its token (shaped like WB's), settings and seller, authentication, WB's error
bodies and its rate-limit answer (see the package docstring); the seller's warehouses (tasks
are placed in them, ``/api/v3/warehouses`` lists them); times as WB writes them.
"""
import base64
import json
import math
import random
from datetime import datetime, timezone
from decimal import Decimal

from ..server import App, Reply

KOPECK = Decimal("0.01")

#: the seller's warehouses (``/api/v3/warehouses``): deliveryType 1 FBS, 2 DBS, 6 EDBS, 3 DBW
SELLER_WAREHOUSES = [
    {"id": 1281530, "name": "Склад Подольск (FBS)", "officeId": 507, "deliveryType": 1, "office": "Коледино"},
    {"id": 1281547, "name": "Склад Казань (FBS)", "officeId": 117986, "deliveryType": 1, "office": "Казань"},
    {"id": 1302288, "name": "Магазин на Садовой (DBS)", "officeId": 0, "deliveryType": 2, "office": ""},
    {"id": 1302291, "name": "Экспресс-доставка, Москва (EDBS)", "officeId": 0, "deliveryType": 6, "office": ""},
    # a warehouse for WB's couriers (DBW): its orders come from another API, not imported
    {"id": 1310004, "name": "Склад под курьера WB (DBW)", "officeId": 0, "deliveryType": 3, "office": ""},
]
SCHEME_OF_DELIVERY_TYPE = {1: "fbs", 2: "dbs", 6: "dbs"}


def _rfc3339(moment):
    """WB's times: RFC 3339 in UTC, whole seconds (``2022-05-04T07:56:29Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data_bytes):
    return base64.urlsafe_b64encode(data_bytes).rstrip(b"=").decode()


def _make_token():
    """A token shaped like WB's (a JWT: ES256 header, the seller's id ``sid``, a scope mask)."""
    header = _b64(json.dumps({"alg": "ES256", "kid": "20250805v1", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({
        "ent": 1, "exp": 1802995200, "id": "0198a1c2-7e44-7d1c-9b2e-5f3c0a6d8e21", "iid": 48213077,
        "oid": 4127730, "s": 1073758462, "sid": "a3f1c9e2-54b7-4d0e-8c21-7b9e0f6d2a48", "t": False,
        "uid": 48213077}, separators=(",", ":")).encode())
    signature = _b64(bytes((i * 37 + 11) % 256 for i in range(64)))
    return f"{header}.{payload}.{signature}"


def _error(status, code, message):
    return Reply(status, {"code": code, "message": message})


class WildberriesCore(App):
    """The base of :class:`~.WildberriesApp`: the account, without a capability."""

    name = "wildberries"
    #: "1 минута | 300 запросов | 200 миллисекунд | 20 запросов" (FBS assembly-task methods)
    rate_limit = (300, 60.0)
    CREDENTIALS = {"token": _make_token()}
    SETTINGS = {"schemes": ["fbs", "dbs"]}
    SELLER = {"name": "ООО «Северный ветер»", "sid": "a3f1c9e2-54b7-4d0e-8c21-7b9e0f6d2a48",
              "tradeMark": "Nord Wind Home"}

    def __init__(self, emulator):
        super().__init__(emulator)
        #: test knob: the paged lists answer the cursor they were given (a broken API)
        self.repeat_cursor = False
        #: test knob: the X-Ratelimit-Retry of the 429 answers (None: the time the window needs)
        self.retry_hint = None
        # the ids in error bodies: a stream of their own, so that refused calls never change the
        # orders a seed gives
        self._error_random = random.Random(emulator.seed)

    # --- core hooks ---------------------------------------------------------------------
    def _wb_error(self, status, title, detail, status_text):
        rng = self._error_random
        return {
            "title": title, "detail": detail,
            "code": f"07e4668e-{rng.getrandbits(48):012x}-[UK-{rng.getrandbits(40):010x}]",
            "requestId": f"{rng.getrandbits(128):032x}", "origin": "s2s-api-auth-catalog",
            "status": status, "statusText": status_text, "timestamp": _rfc3339(datetime.now(timezone.utc)),
        }

    def authenticate(self, headers):
        value = (headers.get("Authorization") or "").strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if not value:
            detail = "empty Authorization header"
        elif value.count(".") != 2:
            detail = "token problem; token is malformed: token contains an invalid number of segments"
        elif value != self.CREDENTIALS["token"]:
            detail = "token problem; token is malformed: could not verify the signature"
        else:
            return None
        return Reply(401, self._wb_error(401, "unauthorized", detail, "Unauthorized"))

    def spec_error_reply(self, route, message):
        """WB's 400: the content API's ``{data, error, errorText, additionalErrors}``, the
        marketplace API's ``{code, message}`` (``IncorrectParameter`` for the query,
        ``IncorrectRequestBody`` for the body)."""
        if route.template.startswith("/content/"):
            return Reply(400, {"data": None, "error": True, "errorText": f"Invalid request: {message[:300]}",
                               "additionalErrors": None})
        code = "IncorrectRequestBody" if route.method in ("POST", "PUT", "PATCH") else "IncorrectParameter"
        return _error(400, code, f"Передан некорректный параметр: {message[:300]}")

    def rate_limited_reply(self):
        retry = self.retry_hint if self.retry_hint is not None else self._seconds_until_free()
        body = self._wb_error(429, "too many requests", "limited by c122a060-a7fb-4bb4-abb0-32fd4e18d489",
                              "Too Many Requests")
        # burst 20 at one request every 200 ms: the burst is whole again 4 s after the last call
        return Reply(429, body, headers={"X-Ratelimit-Retry": retry, "X-Ratelimit-Limit": 20,
                                         "X-Ratelimit-Reset": max(retry, 4)})

    def _seconds_until_free(self):
        """Whole seconds until the account's window takes a request again (1 at least)."""
        count, seconds = self.rate_limit
        now = self.emulator.clock()
        waits = []
        emu = self.emulator
        with emu._records_lock:
            for key, window in emu._windows.items():
                if key[0] == self.name and len(window) >= count:
                    waits.append(window[0] + seconds - now)
        return max(1, math.ceil(max(waits))) if waits else 1
