"""The Yandex Market client every capability shares: the key, the business, paging, the limit.

The account's settings name the business (``business_id``) and its campaigns
(``campaign_ids``; none: every campaign of the business).  The lists page by ``pageToken``
(:meth:`YandexClient._pages`).  ``test_connection`` and the warehouses read the business's
campaigns from ``GET v2/campaigns`` (:meth:`YandexClient._campaigns`).

Times: the v1 orders give ISO 8601 with an offset; a time without one (and the v2 form
``DD-MM-YYYY HH:MM:SS``) is Moscow time (:func:`parse_time`).  The small parsers here (Market
ids, times, amounts) are used by several capabilities.
"""
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .. import orders as o
from ..base import Adapter
from ..transport import ApiError, AuthError

MSK = timezone(timedelta(hours=3), "MSK")

CURRENCIES = {"RUR": "RUB"}

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DMY = re.compile(r"^(\d{2})-(\d{2})-(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")
EARLIEST = datetime(2010, 1, 1, tzinfo=timezone.utc)


# --- parsers shared by the capabilities --------------------------------------------------------

def _number_id(value, label, ext=None):
    """A Market numeric id (order, campaign, shipment, SKU): a positive integer, at most 20 digits.
    A string of digits is taken too."""
    if isinstance(value, bool) or value is None or value == "":
        raise o.PayloadError(f"missing {label}", ext)
    if isinstance(value, int):
        if value <= 0:
            raise o.PayloadError(f"{label} must be a positive number (got {value})", ext)
        text = str(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        text = value.strip().lstrip("0") or "0"
        if text == "0":
            raise o.PayloadError(f"{label} must be a positive number", ext)
    else:
        raise o.PayloadError(f"{label} is not a Yandex Market id: {str(value)[:24]!r}", ext)
    if len(text) > 20:
        raise o.PayloadError(f"{label} is not a Yandex Market id: {text[:24]!r}…", ext)
    return text


def _required_text(value, label, ext, max_len):
    cleaned = o.text(value, label, ext, max_len=max_len)
    if not cleaned:
        raise o.PayloadError(f"{label} is empty", ext)
    return cleaned


def parse_time(value, label, ext=None):
    """An aware UTC time from ISO 8601 (a time without an offset is Moscow time) or the v2 form
    ``DD-MM-YYYY HH:MM:SS`` (Moscow time).  Out of 2010 … a week ahead -> PayloadError."""
    if isinstance(value, bool) or value is None or value == "":
        raise o.PayloadError(f"missing {label}", ext)
    if not isinstance(value, str) or len(value) > 40:
        raise o.PayloadError(f"{label} is not a valid time: {str(value)[:40]!r}", ext)
    try:
        match = _DMY.match(value.strip())
        if match:
            day, month, year, hour, minute, second = match.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        else:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise o.PayloadError(f"{label} is not a valid time: {value[:40]!r}", ext) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MSK)
    moment = moment.astimezone(timezone.utc)
    if moment < EARLIEST or moment > datetime.now(timezone.utc) + timedelta(days=7):
        raise o.PayloadError(f"{label} is out of range: {moment.isoformat()}", ext)
    return moment


def _amount(block, label, ext, required=True):
    """(Decimal, currency) of a ``CurrencyValueDTO`` ``{value, currencyId}``; (0, None) when absent
    and not required."""
    if block is None:
        if required:
            raise o.PayloadError(f"missing {label}", ext)
        return Decimal(0), None
    if not isinstance(block, dict):
        raise o.PayloadError(f"{label} is not an object", ext)
    value = block.get("value")
    if isinstance(value, str) and len(value) > 32:
        raise o.PayloadError(f"{label} is not a number: {value[:20]!r}…", ext)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise o.PayloadError(f"{label} value is not a number", ext)
    amount = o.money(value, f"{label} value", ext)
    currency = block.get("currencyId")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise o.PayloadError(f"{label} currencyId is not a currency code: {str(currency)[:20]!r}", ext)
    return amount, CURRENCIES.get(currency, currency)


def _moment(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(moment, up=False):
    """ISO 8601 in Moscow time, whole seconds (rounded down; ``up``: up)."""
    moment = _moment(moment)
    if up and moment.microsecond:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0).astimezone(MSK).isoformat()


class YandexClient(Adapter):
    """The base of :class:`~.YandexAdapter`: one business's calls, without a capability."""

    marketplace = "yandex"
    default_base_url = "https://api.partner.market.yandex.ru"
    credential_fields = ("api_key",)

    #: campaigns a page (at most 100)
    campaign_page_size = 100
    #: no paging loop goes further than this
    max_pages = 500

    @classmethod
    def auth_headers(cls, credentials):
        key = str((credentials or {}).get("api_key") or "").strip()
        if not key:
            raise AuthError("Yandex Market: missing credentials: api_key")
        if len(key) > 500 or not key.isprintable():
            raise AuthError("Yandex Market: the Api-Key has characters a key cannot have")
        return {"Api-Key": key}

    # documented: getBusinessOrders 10 000 requests an hour; 50 + 2.5/s * 3600 = 9 050 an hour at most
    rate_limit = (2.5, 50)

    # --- settings ------------------------------------------------------------------------
    def _business_id(self):
        value = self.settings.get("business_id")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit() \
                or int(value) <= 0:
            raise ApiError("Yandex Market: the business ID (кабинет) of the account is not set")
        return int(value)

    def _campaign_ids(self):
        result = []
        for value in self.settings.get("campaign_ids") or ():
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and value > 0 or isinstance(value, str) and value.strip().isdigit():
                if int(value) > 0 and int(value) not in result:
                    result.append(int(value))
        return result

    def _schemes(self):
        schemes = self.settings.get("schemes")
        return set(schemes) if schemes is not None else {o.FBS, o.DBS, o.FBO}

    # --- calls ----------------------------------------------------------------------------
    @staticmethod
    def _shape_error(path, what):
        return ApiError(f"Yandex Market {path}: unexpected answer ({what})", 200)

    def _pages(self, method, path, endpoint, limit, body=None, unwrap=None, key="orders"):
        """Every item of a ``pageToken``-paged list.  ``unwrap``: the answer's envelope key
        (``result``) or None when the list is at the top level."""
        seen = set()
        token = None
        for _ in range(self.max_pages):
            params = {"limit": limit}
            if token:
                params["pageToken"] = token
            page = self.transport.request(method, path, endpoint=endpoint, params=params, json_body=body)
            if unwrap:
                page = page.get(unwrap) if isinstance(page, dict) else None
            if not isinstance(page, dict):
                raise self._shape_error(endpoint, "not an object")
            items = page.get(key)
            if not isinstance(items, list):
                raise self._shape_error(endpoint, f"no list of {key}")
            yield from items
            paging = page.get("paging")
            token = paging.get("nextPageToken") if isinstance(paging, dict) else None
            if token in (None, ""):
                return
            if not isinstance(token, str) or len(token) > 2000:
                raise self._shape_error(endpoint, "an unusable nextPageToken")
            if token in seen:
                raise self._shape_error(endpoint, "the same nextPageToken twice: paging stopped")
            seen.add(token)
        raise ApiError(f"Yandex Market {endpoint}: paging did not end after {self.max_pages} pages", 200)

    def _campaigns(self):
        """{campaign id: (placementType, name)} of the key's business, from ``GET v2/campaigns``;
        also the business (id, name)."""
        campaigns, business = {}, None
        for row in self._pages("GET", "/v2/campaigns", "/v2/campaigns", self.campaign_page_size,
                               key="campaigns"):
            if not isinstance(row, dict):
                continue
            try:
                ref = int(_number_id(row.get("id"), "campaign id"))
            except o.PayloadError:
                continue
            placement = row.get("placementType") if isinstance(row.get("placementType"), str) else ""
            try:
                name = o.text(row.get("domain"), "domain", required=False, max_len=200)
            except o.PayloadError:
                name = ""
            campaigns[ref] = (placement, name or str(ref))
            info = row.get("business")
            if business is None and isinstance(info, dict):
                try:
                    bid = int(_number_id(info.get("id"), "business id"))
                    business = (bid, o.text(info.get("name"), "business name", required=False, max_len=300))
                except o.PayloadError:
                    pass
        return campaigns, business

    # --- the interface --------------------------------------------------------------------
    def test_connection(self):
        campaigns, business = self._campaigns()
        wanted = self.settings.get("business_id")
        if business and wanted not in (None, "", 0) and str(wanted).strip() != str(business[0]):
            raise ApiError(f"Yandex Market: the Api-Key belongs to business {business[0]}, "
                           f"not to the business {str(wanted)[:20]} of the account", 0)
        missing = [c for c in self._campaign_ids() if c not in campaigns]
        if missing:
            raise ApiError("Yandex Market: campaign(s) not in this business: "
                           + ", ".join(map(str, missing[:10])), 0)
        selected = self._campaign_ids() or sorted(campaigns)
        shown = ", ".join(f"{campaigns[c][1]} ({campaigns[c][0] or '?'})" for c in selected[:4])
        if len(selected) > 4:
            shown += ", …"
        who = f"business {business[1] or '?'} ({business[0]})" if business else "connected"
        return f"Yandex Market: {who}, {len(selected)} campaign(s): {shown or 'none'}"
