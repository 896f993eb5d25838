"""The Ozon client every capability shares: credentials, the calls, paging and the limit.

Every call is a POST with the account's ``Client-Id`` and ``Api-Key`` headers.  Ozon switched
several list methods of our spec file off in 2026; the current ones page by an opaque
``cursor`` + ``has_next`` (:meth:`OzonClient._cursor_pages`).  ``test_connection`` lists the
seller's warehouses (``/v2/warehouse/list``, as :meth:`~.catalog.OzonCatalog.fetch_warehouses`
does).  The small parsers here (Ozon ids, times, prices, the period filters' times) are used by
several capabilities.
"""
import re
from datetime import datetime, timedelta, timezone

from .. import orders as o
from ..base import Adapter
from ..transport import ApiError, AuthError

_CURRENCY = re.compile(r"^[A-Z]{3}$")
EARLIEST = datetime(2010, 1, 1, tzinfo=timezone.utc)


# --- parsers shared by the capabilities ----------------------------------------------------

def _number_id(value, label, ext):
    """An Ozon numeric id (SKU, warehouse, order): digits, at most 20 of them."""
    ident = o.ident(value, label, ext)
    if not ident.isdigit() or len(ident) > 20:
        raise o.PayloadError(f"{label} is not an Ozon id: {ident[:24]!r}", ext)
    return ident


def _required_text(value, label, ext, max_len):
    cleaned = o.text(value, label, ext, max_len=max_len)
    if not cleaned:
        raise o.PayloadError(f"{label} is empty", ext)
    return cleaned


def _moment(value, label, ext):
    moment = o.timestamp(value, label, ext)
    if moment < EARLIEST or moment > datetime.now(timezone.utc) + timedelta(days=7):
        raise o.PayloadError(f"{label} is out of range: {moment.isoformat()}", ext)
    return moment


def _price(value, ext, label):
    """A product's price: ``"1234.50"`` (v2/v3) or ``{"amount": "1234.50", "currency": "RUB"}``
    (v4).  Returns (Decimal, currency or None)."""
    currency = None
    if isinstance(value, dict):
        currency = value.get("currency")
        if currency is not None and (not isinstance(currency, str) or not _CURRENCY.match(currency)):
            raise o.PayloadError(f"{label} currency is not a currency code: {str(currency)[:20]!r}", ext)
        value = o.require(value, "amount", ext)
    if isinstance(value, str) and len(value) > 32:
        raise o.PayloadError(f"{label} is not a number: {value[:20]!r}…", ext)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise o.PayloadError(f"{label} is not a number", ext)
    return o.money(value, label, ext), currency


def _stamp(moment, up=False):
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC, as Ozon's filters take it: whole seconds, rounded
    down (``up``: up, for the end of a period).  A naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if up and moment.microsecond:
        moment += timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class OzonClient(Adapter):
    """The base of :class:`~.OzonAdapter`: one account's calls, without a capability."""

    marketplace = "ozon"
    default_base_url = "https://api-seller.ozon.ru"
    credential_fields = ("client_id", "api_key")

    #: postings a page (Ozon's maximum for the v4 FBS and v3 FBO lists is 100)
    page_size = 100
    #: warehouses a page of /v2/warehouse/list (at most 200)
    warehouse_page_size = 200
    #: no paging loop goes further than this
    max_pages = 500

    @classmethod
    def auth_headers(cls, credentials):
        credentials = credentials or {}
        missing = [k for k in cls.credential_fields if not str(credentials.get(k) or "").strip()]
        if missing:
            raise AuthError(f"Ozon: missing credentials: {', '.join(missing)}")
        return {"Client-Id": str(credentials["client_id"]).strip(), "Api-Key": str(credentials["api_key"]).strip()}

    # documented: 50 requests a second per Client-Id, all methods together
    rate_limit = (20, 5)

    # --- helpers ------------------------------------------------------------------------
    def _schemes(self):
        schemes = self.settings.get("schemes")
        return set(schemes) if schemes is not None else {o.FBS, o.DBS, o.FBO}

    def _post(self, path, body):
        return self.transport.request("POST", path, endpoint=path, json_body=body)

    @staticmethod
    def _shape_error(path, what):
        return ApiError(f"Ozon {path}: unexpected answer ({what})", 200)

    def _cursor_pages(self, path, body, key="postings", limit=None):
        """Every item of a cursor-paged list (``{key: [...], has_next, cursor}``)."""
        seen = set()
        cursor = ""
        for _ in range(self.max_pages):
            page = self._post(path, dict(body, cursor=cursor, limit=limit or self.page_size))
            if not isinstance(page, dict):
                raise self._shape_error(path, "not an object")
            items = page.get(key)
            if not isinstance(items, list):
                raise self._shape_error(path, f"no list of {key}")
            yield from items
            has_next = page.get("has_next")
            cursor = page.get("cursor")
            if has_next is not True:
                return
            if not isinstance(cursor, str) or not cursor or len(cursor) > 2000:
                raise self._shape_error(path, "has_next without a usable cursor")
            if cursor in seen:
                raise self._shape_error(path, "the same cursor twice: paging stopped")
            seen.add(cursor)
        raise ApiError(f"Ozon {path}: paging did not end after {self.max_pages} pages", 200)

    def _seller_warehouses(self):
        """(ref, name, is_rfbs) of the seller's warehouses, from /v2/warehouse/list."""
        result = []
        for row in self._cursor_pages("/v2/warehouse/list", {}, key="warehouses",
                                      limit=self.warehouse_page_size):
            if not isinstance(row, dict):
                continue
            try:
                ref = _number_id(row.get("warehouse_id"), "warehouse_id", None)
                name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
            except o.PayloadError:
                continue
            result.append((ref, name, row.get("is_rfbs") is True))
        return result

    # --- the interface --------------------------------------------------------------------
    def test_connection(self):
        names = [name for _, name, _ in self._seller_warehouses()]
        if not names:
            return "Ozon: connected, no FBS/rFBS warehouses yet"
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return f"Ozon: {len(names)} seller warehouse(s): {shown}"
