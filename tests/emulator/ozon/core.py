"""What every capability of the Ozon emulation shares (:class:`OzonCore`).

The account: its credentials and settings, authentication, Ozon's error answers and its
rate-limit answer (see the package docstring); the seller's warehouses and Ozon's clusters
(postings ship from them, the warehouse methods list them); the opaque cursors of the lists
(``cursor`` + ``has_next``, also ``last_id``); times as Ozon writes them; the pieces of the
JSON schemas of the methods newer than the spec file.
"""
import base64
import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal

from ..server import App, Reply

KOPECK = Decimal("0.01")

#: seller warehouses (``/v2/warehouse/list``): FBS, and one rFBS (the seller delivers)
SELLER_WAREHOUSES = [
    {"warehouse_id": 1020000089903000, "name": "Склад Подольск (FBS)", "is_rfbs": False, "city": "Подольск"},
    {"warehouse_id": 1020000089904000, "name": "Склад Казань (FBS)", "is_rfbs": False, "city": "Казань"},
    {"warehouse_id": 1020000089905000, "name": "Магазин на Садовой (rFBS)", "is_rfbs": True, "city": "Москва"},
]

#: Ozon's clusters and their warehouses (``/v1/cluster/list``); FBO postings ship from the
#: FULL_FILLMENT ones
CLUSTERS = [
    {"id": 4, "name": "Москва, МО и Дальние регионы", "warehouses": [
        (15431806189000, "ХОРУГВИНО_РФЦ", "FULL_FILLMENT"),
        (22341172594000, "ПУШКИНО_1_РФЦ", "FULL_FILLMENT"),
        (1020000096531000, "ТВЕРЬ_СЦ", "SORTING_CENTER"),
    ]},
    {"id": 2, "name": "Санкт-Петербург и СЗО", "warehouses": [
        (17717042926000, "СПБ_ШУШАРЫ_РФЦ", "FULL_FILLMENT"),
    ]},
    {"id": 16, "name": "Казань", "warehouses": [
        (23902289166000, "КАЗАНЬ_РФЦ_НОВЫЙ", "FULL_FILLMENT"),
    ]},
]

# --- pieces of the JSON schemas of the methods newer than the spec file ------------------------
# --- JSON schemas of the methods newer than the spec file (see the module docstring) ----------
_DT = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"}
_DT_OR_NULL = {"anyOf": [_DT, {"type": "null"}]}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_NULLABLE_OBJECT = {"anyOf": [{"type": "null"}, {"type": "object"}]}


def _iso(moment):
    """RFC 3339 in UTC with milliseconds, as Ozon writes its times."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ms(moment):
    """Ozon keeps times to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _parse_dt(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _error(status, code, message):
    return Reply(status, {"code": code, "message": message, "details": []})


class OzonCore(App):
    """The base of :class:`~.OzonApp`: the account, without a capability."""

    name = "ozon"
    #: "не больше 50 запросов в секунду на все методы с одного Client ID" (tag Process)
    rate_limit = (50, 1.0)
    CREDENTIALS = {"client_id": "836140", "api_key": "6f0b2d1c-53a7-4e61-9b8e-2c4f7d90a5e3"}
    SETTINGS = {"schemes": ["fbs", "dbs", "fbo"]}
    #: methods newer than the spec file: path -> (request schema, answer schema); the app's
    #: gathers those of its capabilities
    extra_schemas = {}

    def __init__(self, emulator):
        super().__init__(emulator)
        #: test knob: the cursor lists answer the same cursor again and again (a broken API)
        self.repeat_cursor = False

    def add_post_routes(self, handlers):
        """Routes of ``{path: handler}``, all POST as Ozon has them; a method newer than the
        spec file is validated against its schemas in :attr:`extra_schemas`."""
        for path, handler in handlers.items():
            request_schema, response_schema = self.extra_schemas.get(path, (None, None))
            self.add_route("POST", path, handler, schema=request_schema, response_schema=response_schema)

    # --- core hooks ---------------------------------------------------------------------
    def authenticate(self, headers):
        client_id = headers.get("Client-Id")
        api_key = headers.get("Api-Key")
        if not client_id or not api_key:
            return _error(403, 7, "Client-Id and Api-Key headers are required")
        if client_id != self.CREDENTIALS["client_id"] or api_key != self.CREDENTIALS["api_key"]:
            return _error(403, 7, "Invalid Api-Key, please check the key and try again")
        return None

    def spec_error_reply(self, route, message):
        """Ozon's 400: ``rpcStatus`` ``{code: 3 (INVALID_ARGUMENT), message, details}``."""
        return _error(400, 3, f"invalid request: {message[:300]}")

    def rate_limited_reply(self):
        return Reply(429, {"code": 8, "message": "You have reached request rate limit per second",
                           "details": []}, validate=False)

    # --- cursor paging (v4 FBS lists, v3 FBO list, v2 warehouse list) -------------------------------
    @staticmethod
    def _encode_cursor(key, query):
        raw = json.dumps({"k": key, "q": query}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(cursor):
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            value = json.loads(raw)
            return value["k"], value["q"]
        except (ValueError, KeyError, TypeError):
            return None, None

    def _page(self, body, keyed, render):
        """One page of ``keyed`` [(sort key, item)] after the request's cursor: (answer, error).

        The cursor is opaque to the client; here it holds the last key given and a digest of
        the request, so that a cursor cannot be used with another filter."""
        desc = str(body.get("sort_dir", "ASC")).upper() == "DESC"
        asked = {k: v for k, v in body.items() if k not in ("cursor", "limit")}
        query = hashlib.sha1(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]
        cursor = body.get("cursor") or ""
        if cursor:
            after, cursor_query = self._decode_cursor(cursor)
            if after is None or cursor_query != query:
                return None, _error(400, 3, "invalid cursor: it belongs to another request")
            after = tuple(after)
            keyed = [(k, item) for k, item in keyed if (k < after if desc else k > after)]
        keyed = sorted(keyed, key=lambda pair: pair[0], reverse=desc)
        limit = int(body.get("limit") or 100)
        page = keyed[:limit]
        has_next = len(keyed) > limit
        next_cursor = self._encode_cursor(list(page[-1][0]), query) if has_next else ""
        if self.repeat_cursor and has_next:
            next_cursor = cursor or next_cursor
        return {"items": [render(item) for _, item in page], "has_next": has_next, "cursor": next_cursor}, None

    @staticmethod
    def _ids(values):
        return {int(v) for v in values or ()}
