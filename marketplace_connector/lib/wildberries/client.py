"""The Wildberries client every capability shares: the token, the hosts, the call, the limits.

Every call names its API family (:data:`HOSTS`) and goes through
:meth:`WildberriesClient._call`.  ``test_connection`` reads the seller's name
(``GET /api/v1/seller-info``, common API) and counts the warehouses (the catalogue capability's
:meth:`~.catalog.WildberriesCatalog.fetch_warehouses`, which the adapter has).  The small
parsers here (WB ids, barcodes, times) and the batching helper are used by several
capabilities.
"""
import re
from datetime import datetime, timedelta, timezone

from .. import orders as o
from ..base import Adapter
from ..transport import ApiError, AuthError, RateLimiter

#: production hosts, one per API family
HOSTS = {
    "marketplace": "https://marketplace-api.wildberries.ru",
    "content": "https://content-api.wildberries.ru",
    "common": "https://common-api.wildberries.ru",
    # price export
    "prices": "https://discounts-prices-api.wildberries.ru",
    # stocks: the FBO stock report
    "statistics": "https://statistics-api.wildberries.ru",
    # finance: the realization reports
    "finance": "https://finance-api.wildberries.ru",
}

_BARCODE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
MAX_INT64 = 2 ** 63 - 1
EARLIEST = datetime(2010, 1, 1, tzinfo=timezone.utc)


# --- parsers shared by the capabilities ----------------------------------------------------

def _task_id(value, label="id", ext=None):
    """A WB id (task, nmId, chrtId, warehouse): a non-negative integer (or its digits)."""
    if isinstance(value, bool) or value is None or value == "":
        raise o.PayloadError(f"missing {label}", ext)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int):
        raise o.PayloadError(f"{label} is not a Wildberries id: {str(value)[:24]!r}", ext)
    if value < 0 or value > MAX_INT64:
        raise o.PayloadError(f"{label} is out of range ({str(value)[:24]})", ext)
    return str(value)


def _barcodes(raw, ext):
    skus = raw.get("skus")
    if skus is None:
        return ()
    if not isinstance(skus, list):
        raise o.PayloadError("skus must be a list", ext)
    if len(skus) > 100:
        raise o.PayloadError(f"skus has {len(skus)} barcodes (at most 100)", ext)
    result = []
    for i, sku in enumerate(skus):
        if not isinstance(sku, str) or not _BARCODE.match(sku.strip()):
            raise o.PayloadError(f"skus[{i}] is not a barcode: {str(sku)[:24]!r}", ext)
        result.append(sku.strip())
    return tuple(result)


def _moment(value, label, ext):
    moment = o.timestamp(value, label, ext)
    if moment < EARLIEST or moment > datetime.now(timezone.utc) + timedelta(days=7):
        raise o.PayloadError(f"{label} is out of range: {moment.isoformat()}", ext)
    return moment


def _chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class WildberriesClient(Adapter):
    """The base of :class:`~.WildberriesAdapter`: one account's calls, without a capability."""

    marketplace = "wildberries"
    #: the marketplace API (assembly tasks, warehouses); other families: :data:`HOSTS`
    default_base_url = HOSTS["marketplace"]
    credential_fields = ("token",)

    #: no paging loop goes further than this
    max_pages = 500

    def __init__(self, transport, settings=None):
        super().__init__(transport, settings)
        # Content: 100 requests a minute, bursts of 5 (kept in real time)
        self.content_limiter = RateLimiter(rate=1.5, burst=5)

    @classmethod
    def auth_headers(cls, credentials):
        token = str((credentials or {}).get("token") or "").strip()
        if not token:
            raise AuthError("Wildberries: missing credentials: token")
        if any(not ch.isprintable() or ch.isspace() for ch in token.removeprefix("Bearer ")):
            raise AuthError("Wildberries: the token has characters a token cannot have")
        return {"Authorization": token}

    # documented: 300 a minute, one every 200 ms, bursts of 20 -> 4.5 a second + 20 = 290 a minute
    rate_limit = (4.5, 20)

    # --- helpers ------------------------------------------------------------------------
    def _schemes(self):
        schemes = self.settings.get("schemes")
        wanted = set(schemes) if schemes is not None else {o.FBS, o.DBS}
        return wanted & {o.FBS, o.DBS}

    def base_url_for(self, family):
        """The base URL of an API family: its own host in production, else the account's URL."""
        current = self.transport.base_url.rstrip("/").lower()
        if current in HOSTS.values():
            return HOSTS[family]
        return None  # the transport's own (emulator, sandbox)

    def _call(self, family, method, path, params=None, json_body=None):
        return self.transport.request(method, path, endpoint=path, params=params, json_body=json_body,
                                      base_url=self.base_url_for(family))

    @staticmethod
    def _shape_error(path, what):
        return ApiError(f"Wildberries {path}: unexpected answer ({what})", 200)

    # --- the interface --------------------------------------------------------------------
    def test_connection(self):
        path = "/api/v1/seller-info"
        try:
            info = self._call("common", "GET", path)
        except AuthError:
            raise
        except ApiError as exc:
            # e.g. a token of WB's test contour, which this method refuses: the name is a nicety
            if not 400 <= exc.status < 500:
                raise
            info = {}
        if not isinstance(info, dict):
            raise self._shape_error(path, "not an object")
        name = ""
        for key in ("tradeMark", "name"):
            try:
                name = o.text(info.get(key), key, required=False, max_len=200)
            except o.PayloadError:
                name = ""
            if name:
                break
        count = len(self.fetch_warehouses())
        return f"Wildberries: {name or 'seller'}, {count} FBS/DBS warehouse(s)"
