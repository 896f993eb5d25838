"""Wildberries seller API: the adapter of one seller account and the parsers of its payloads.

WB's unit of an order is the *assembly task* (сборочное задание): one task per item bought.
A basket of three items gives three tasks sharing the buyer's ``orderUid``; each task is an
:class:`~.orders.Order` here with one line of quantity 1.  ``id`` is the external id,
``rid`` (the ``srid`` of WB's reports) the secondary reference.  Schemes:

* FBS — the seller packs, WB delivers: ``/api/v3/orders/new`` (every new task),
  ``/api/v3/orders`` (tasks created in a period, paged by ``next``; no status in it) and
  ``/api/v3/orders/status`` (``supplierStatus`` + ``wbStatus``, at most 1000 ids a call);
* DBS — the seller delivers: ``/api/v3/dbs/orders/new``, ``/api/v3/dbs/orders`` (only
  *finished* tasks — sold or cancelled — of a period, as documented), ``/api/v3/dbs/orders/status``
  and ``/api/v3/dbs/orders/client`` (the buyer's name and WB's substitute phone number; the
  address is in the task).  A DBS task that the seller confirmed elsewhere before our first
  import is in neither list until it is finished: WB's API has no other list of them.

Hosts: WB has one host per API family in production (:data:`HOSTS`).  The account's base URL
is the marketplace host (:attr:`WildberriesAdapter.default_base_url`); each call names its
family, and goes to that family's host while the transport points at production.  With any
other base URL (the emulator, a sandbox) every family is served under that one URL.

Limits: the FBS/DBS task and warehouse methods allow 300 requests a minute per seller (one
every 200 ms, bursts of 20); the transport keeps to 4.5 a second with bursts of 20, i.e. at
most 290 in any minute.  Content (cards) allows 100 a minute, bursts of 5: the card list has a
limiter of its own.  Over a limit WB answers 429 with ``X-Ratelimit-Retry`` (seconds), which
the transport obeys.

Prices: WB gives kopecks (integers).  Price bases (:attr:`WildberriesAdapter.PRICE_BASES`),
each a unit price in the currency of the seller's country (``convertedCurrencyCode``, the
order's currency):

* ``buyer_price`` — ``convertedPrice``: after every discount, the seller's and WB's (СПП),
  except the WB Wallet's.  **The default**: it is the amount WB's realization report calls the
  sale (``retail_amount``, "Вайлдберриз реализовал Товар (Пр)"), which is after the СПП
  discount that WB funds (hence a WB remuneration ``retail_amount − ppvz_for_pay`` that can be
  negative).  It is in all four task shapes, so a task has one amount whichever list it came
  from.
* ``seller_price`` — ``salePrice``: the seller's price with the seller's own discount, before
  WB's (the report's ``retail_price_withdisc_rub``).  Only the new-task shapes have it; it is in
  the buyer's currency (``currencyCode``) and is converted at the task's own rate
  (``convertedPrice / price``) when the buyer paid in another currency.
* ``final_price`` — ``convertedFinalPrice``: what the buyer paid, after the WB Wallet discount
  too (WB grants it out of its own pocket); missing from the FBS list.

``price``/``finalPrice`` (the buyer's currency) are checked but not bases.  Currencies are
ISO 4217 numeric codes (:data:`CURRENCIES`).

States: ``sold``/``receive`` is delivered; the buyer refusing the goods at the pick-up point or
at the door (``canceled_by_client``, DBS ``reject``) is a **return** (the goods come back);
every other cancellation is cancelled.  WB's task API has no "lost" word (a lost item is
compensated in the realization report).
"""
import math
import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP

from . import orders as o
from .base import Adapter, CatalogItem, Warehouse
from .transport import ApiError, AuthError, RateLimiter

#: production hosts, one per API family
HOSTS = {
    "marketplace": "https://marketplace-api.wildberries.ru",
    "content": "https://content-api.wildberries.ru",
    "common": "https://common-api.wildberries.ru",
}

#: ISO 4217 numeric codes WB uses (``currencyCode``, ``convertedCurrencyCode``)
CURRENCIES = {643: "RUB", 933: "BYN", 398: "KZT", 51: "AMD", 417: "KGS", 860: "UZS", 944: "AZN",
              981: "GEL", 972: "TJS", 156: "CNY", 840: "USD", 978: "EUR"}

#: supplierStatus: what the seller did; wbStatus: what WB did (FBS and DBS words together)
SUPPLIER_STATUSES = {"new", "confirm", "complete", "deliver", "receive", "reject", "cancel", "cancel_missed_call"}
WB_STATUSES = {"waiting", "sorted", "sold", "canceled", "canceled_by_client", "declined_by_client", "defect",
               "ready_for_pickup", "postponed_delivery", "accepted_by_carrier", "sent_to_carrier",
               "canceled_by_missed_call"}
CANCELLED_SUPPLIER = {"cancel", "cancel_missed_call"}
CANCELLED_WB = {"canceled", "declined_by_client", "defect", "canceled_by_missed_call"}
#: refused by the buyer on receipt, after the hand-over: the goods come back
RETURNED_SUPPLIER = {"reject"}
RETURNED_WB = {"canceled_by_client"}
SHIPPED_SUPPLIER = {"complete", "deliver"}
SHIPPED_WB = {"sorted", "ready_for_pickup", "postponed_delivery", "accepted_by_carrier", "sent_to_carrier"}

#: WB warehouse ``deliveryType`` -> scheme (3 DBW and 5 click & collect are not imported)
WAREHOUSE_SCHEMES = {1: o.FBS, 2: o.DBS, 6: o.DBS}

_STATUS_WORD = re.compile(r"^[a-z_]{1,40}$")
_BARCODE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
MAX_INT64 = 2 ** 63 - 1
EARLIEST = datetime(2010, 1, 1, tzinfo=timezone.utc)
#: the longest period /api/v3/orders and /api/v3/dbs/orders take in one request
MAX_PERIOD = timedelta(days=30)
#: the kopeck fields of a task; each must be a non-negative whole number when present
KOPECK_FIELDS = ("price", "convertedPrice", "finalPrice", "convertedFinalPrice", "salePrice")


# --- parsers -------------------------------------------------------------------------------

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


def peek_id(raw):
    """The task's id when it can be read (for dedup and error reports), else None."""
    if not isinstance(raw, dict):
        return None
    try:
        ident = _task_id(raw.get("id"))
    except o.PayloadError:
        return None
    return ident if ident != "0" else None


def status_state(supplier, wb, ext=None):
    """(state, status_text) of a task's ``supplierStatus`` and ``wbStatus``.

    Returned wins (the buyer refused the goods on receipt), then cancelled (the buyer, WB or
    the seller cancelled), then delivered (``sold`` / ``receive``), shipped (handed over: ``complete``/``deliver``, or WB
    has it on the way), processing (``confirm``: being packed), new."""
    for label, word, known in (("supplierStatus", supplier, SUPPLIER_STATUSES), ("wbStatus", wb, WB_STATUSES)):
        if not isinstance(word, str) or not _STATUS_WORD.match(word):
            raise o.PayloadError(f"{label} is not a status word: {str(word)[:40]!r}", ext)
        if word not in known:
            raise o.PayloadError(f"unknown Wildberries {label} '{word}'", ext)
    text = f"{supplier} / {wb}"
    if supplier in RETURNED_SUPPLIER or wb in RETURNED_WB:
        return o.RETURNED, text
    if supplier in CANCELLED_SUPPLIER or wb in CANCELLED_WB:
        return o.CANCELLED, text
    if wb == "sold" or supplier == "receive":
        return o.DELIVERED, text
    if supplier in SHIPPED_SUPPLIER or wb in SHIPPED_WB:
        return o.SHIPPED, text
    if supplier == "confirm":
        return o.PROCESSING, text
    return o.NEW, text


def parse_status(raw):
    """One item of ``/api/v3/orders/status`` (or the DBS one) -> (id, state, status_text)."""
    if not isinstance(raw, dict):
        raise o.PayloadError("a status must be an object")
    ext = _task_id(raw.get("id"))
    state, text = status_state(raw.get("supplierStatus"), raw.get("wbStatus"), ext)
    return ext, state, text


def _kopecks(raw, key, ext):
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise o.PayloadError(f"{key} must be a whole number of kopecks, got {str(value)[:24]!r}", ext)
    return o.money(value, key, ext, kopecks=True)


def _currency(raw, key, ext):
    code = raw.get(key)
    if code is None:
        return "RUB"
    if isinstance(code, bool) or not isinstance(code, int) or code not in CURRENCIES:
        raise o.PayloadError(f"{key} is not a known currency: {str(code)[:12]!r}", ext)
    return CURRENCIES[code]


def _line_prices(raw, ext):
    """{basis: unit price} of a task (see the module docstring) and its currency.

    ``convertedPrice`` (``buyer_price``) is required; the other bases are given where the task
    has them.  Every kopeck field present is checked all the same."""
    amounts = {key: _kopecks(raw, key, ext) for key in KOPECK_FIELDS}
    if amounts["convertedPrice"] is None:
        raise o.PayloadError("missing field 'convertedPrice'", ext)
    currency = _currency(raw, "convertedCurrencyCode", ext)
    prices = {"buyer_price": amounts["convertedPrice"]}
    if amounts["convertedFinalPrice"] is not None:
        prices["final_price"] = amounts["convertedFinalPrice"]
    sale = amounts["salePrice"]
    if sale is not None:
        sale_currency = _currency(raw, "currencyCode", ext) if raw.get("currencyCode") is not None else currency
        if sale_currency != currency:
            # salePrice is in the buyer's currency: converted at the task's own rate
            paid = amounts["price"]
            sale = (sale * amounts["convertedPrice"] / paid).quantize(o.KOPECK, rounding=ROUND_HALF_UP) \
                if paid else None
        if sale is not None:
            prices["seller_price"] = sale
    return prices, currency


def _line_price(raw, ext):
    """The unit price on the default basis (``convertedPrice``) and its currency."""
    prices, currency = _line_prices(raw, ext)
    return prices[WildberriesAdapter.default_price_basis], currency


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


def _address(raw, ext):
    address = raw.get("address")
    if address is None:
        return ""
    if not isinstance(address, dict):
        raise o.PayloadError("address is not an object", ext)
    return o.text(address.get("fullAddress"), "address fullAddress", ext, required=False, max_len=1000)


def parse_client(raw):
    """One item of ``/api/v3/dbs/orders/client`` -> (id, {"name", "phone"})."""
    if not isinstance(raw, dict):
        raise o.PayloadError("a buyer must be an object")
    ext = _task_id(raw.get("orderID"), "orderID")
    name = o.text(raw.get("fullName"), "buyer fullName", ext, required=False, max_len=300) or o.text(
        raw.get("firstName"), "buyer firstName", ext, required=False, max_len=300)
    phone = o.text(raw.get("replacementPhone"), "buyer replacementPhone", ext, required=False, max_len=40)
    if phone.isdigit():
        phone = "+" + phone
    if not phone:
        phone = o.text(raw.get("phone"), "buyer phone", ext, required=False, max_len=40)
        code = raw.get("phoneCode")
        if phone and isinstance(code, (int, str)) and not isinstance(code, bool) and str(code).strip():
            extension = o.text(code, "buyer phoneCode", ext, max_len=12)
            phone = f"{phone} доб. {extension}"
    return ext, {k: v for k, v in (("name", name), ("phone", phone)) if v}


_guarded = o.guarded("assembly task", peek_id)


@_guarded
def parse_order(raw, scheme=o.FBS, status=None, client=None):
    """One assembly task (any of the four shapes: FBS or DBS, new or listed) -> Order.

    ``status``: its item of the status answer (``{"id", "supplierStatus", "wbStatus"}``);
    without one the task is taken as new (``status_text`` empty).  ``client``: the buyer
    (DBS), as :func:`parse_client` gives it."""
    if not isinstance(raw, dict):
        raise o.PayloadError(f"an assembly task must be an object, got {type(raw).__name__}", None, raw)
    if scheme not in (o.FBS, o.DBS):
        raise ValueError(f"Wildberries orders are fbs or dbs, not {scheme!r}")
    ext = _task_id(o.require(raw, "id"))
    if ext == "0":
        raise o.PayloadError("id is 0", None, raw)
    try:
        if status is not None:
            if not isinstance(status, dict):
                raise o.PayloadError("the status is not an object", ext)
            state, status_text = status_state(status.get("supplierStatus"), status.get("wbStatus"), ext)
        else:
            state, status_text = o.NEW, ""
        rid = o.ident(o.require(raw, "rid", ext), "rid", ext)
        article = o.text(o.require(raw, "article", ext), "article", ext, max_len=200)
        if not article:
            raise o.PayloadError("article is empty", ext)
        created = _moment(o.require(raw, "createdAt", ext), "createdAt", ext)
        prices, currency = _line_prices(raw, ext)
        barcodes = _barcodes(raw, ext)
        line = o.OrderLine(
            # WB's tasks carry no product name: the article stands for it
            offer_code=article, name=article, quantity=o.quantity(1),
            price=prices[WildberriesAdapter.default_price_basis], prices=prices,
            barcode=barcodes[0] if barcodes else "",
            item_id=_task_id(o.require(raw, "chrtId", ext), "chrtId", ext),
            product_ref=_task_id(o.require(raw, "nmId", ext), "nmId", ext),
        )
        delivery = raw.get("deliveryType")
        if delivery is not None and (not isinstance(delivery, str) or not _STATUS_WORD.match(delivery)):
            raise o.PayloadError(f"deliveryType is not a word: {str(delivery)[:24]!r}", ext)
        customer = {}
        if scheme == o.DBS:
            address = _address(raw, ext)
            customer = dict(client or {})
            if address:
                customer["address"] = address
        return o.Order(
            marketplace="wildberries", external_id=ext, scheme=scheme, state=state, created_at=created,
            lines=(line,), secondary_ref=rid,
            warehouse_ref=_task_id(o.require(raw, "warehouseId", ext), "warehouseId", ext),
            currency=currency, customer=customer, status_text=status_text,
        )
    except o.PayloadError as err:
        err.external_id = err.external_id or ext
        err.raw = raw
        raise


def parse_fbs_order(raw, status=None):
    return parse_order(raw, o.FBS, status)


def parse_dbs_order(raw, status=None, client=None):
    return parse_order(raw, o.DBS, status, client)


def parse_card(card):
    """One card of ``/content/v2/get/cards/list`` -> a CatalogItem per size (chrtID, barcodes);
    an unusable card or size is left out, never raised."""
    if not isinstance(card, dict):
        return []
    try:
        offer = o.text(card.get("vendorCode"), "vendorCode", max_len=200)
        if not offer:
            return []
        name = o.text(card.get("title"), "title", required=False) or offer
        nm_id = _task_id(card.get("nmID"), "nmID")
    except o.PayloadError:
        return []
    sizes = card.get("sizes")
    items = []
    for size in sizes if isinstance(sizes, list) else ():
        if not isinstance(size, dict):
            continue
        try:
            chrt = _task_id(size.get("chrtID"), "chrtID")
            barcodes = _barcodes(size, None)
            tech = o.text(size.get("techSize"), "techSize", required=False, max_len=64)
        except o.PayloadError:
            continue
        items.append(CatalogItem(offer_code=offer, name=name, barcodes=barcodes, item_id=chrt, product_ref=nm_id,
                                 extra={"size": tech} if tech else {}))
    if not items and not isinstance(sizes, list):
        items.append(CatalogItem(offer_code=offer, name=name, product_ref=nm_id))
    return items


# --- the adapter -----------------------------------------------------------------------------

def _chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class WildberriesAdapter(Adapter):
    marketplace = "wildberries"
    #: the marketplace API (assembly tasks, warehouses); other families: :data:`HOSTS`
    default_base_url = HOSTS["marketplace"]
    credential_fields = ("token",)

    #: tasks a page of /api/v3/orders and /api/v3/dbs/orders (at most 1000)
    page_size = 1000
    #: ids a call of the status methods (at most 1000)
    status_batch = 1000
    #: ids a call of /api/v3/dbs/orders/client
    client_batch = 100
    #: cards a page (at most 100)
    catalog_page_size = 100
    #: no paging loop goes further than this
    max_pages = 500

    #: the price bases a task gives, (key, label), see the module docstring
    PRICE_BASES = (
        ("buyer_price", "Price after the seller's and WB's discounts (convertedPrice)"),
        ("seller_price", "Seller's price with the seller's discount (salePrice)"),
        ("final_price", "Paid by the buyer, after the WB Wallet discount (convertedFinalPrice)"),
    )
    #: the basis of ``OrderLine.price``: what the realization report calls the sale (retail_amount)
    default_price_basis = "buyer_price"

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

    def _orders_of(self, path, answer):
        items = answer.get("orders") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise self._shape_error(path, "no list of orders")
        return items

    def _new_tasks(self, scheme):
        path = "/api/v3/orders/new" if scheme == o.FBS else "/api/v3/dbs/orders/new"
        return self._orders_of(path, self._call("marketplace", "GET", path))

    def _listed_tasks(self, scheme, since, until):
        """Tasks created in [since, until] (FBS: all; DBS: the finished ones), 30 days a call."""
        path = "/api/v3/orders" if scheme == o.FBS else "/api/v3/dbs/orders"
        start = int(since.timestamp())
        end = math.ceil(until.timestamp())
        step = int(MAX_PERIOD.total_seconds())
        while start <= end:
            stop = min(start + step, end)
            yield from self._next_pages(path, {"dateFrom": start, "dateTo": stop})
            start = stop + 1

    def _next_pages(self, path, params):
        seen = {0}
        after = 0
        for _ in range(self.max_pages):
            answer = self._call("marketplace", "GET", path, params=dict(params, limit=self.page_size, next=after))
            items = self._orders_of(path, answer)
            yield from items
            if len(items) < self.page_size:
                return
            after = answer.get("next")
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise self._shape_error(path, "a full page without a usable 'next'")
            if after in seen:
                raise self._shape_error(path, "the same 'next' twice: paging stopped")
            seen.add(after)
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)

    def _statuses(self, scheme, ids):
        """{id: raw status item} of the tasks ``ids`` (an item for a task not asked about is
        passed over)."""
        path = "/api/v3/orders/status" if scheme == o.FBS else "/api/v3/dbs/orders/status"
        asked = set(ids)
        result = {}
        for batch in _chunks(ids, self.status_batch):
            answer = self._call("marketplace", "POST", path, json_body={"orders": [int(i) for i in batch]})
            for item in self._orders_of(path, answer):
                ident = peek_id(item)
                if ident in asked:
                    result.setdefault(ident, item)
        return result

    def _clients(self, ids):
        """{id: buyer} of DBS tasks; a buyer WB does not give (any more) is left out.  The buyer
        is optional: a batch WB refuses (4xx, e.g. 404 for tasks long finished) only loses its
        names and phones, never the orders."""
        path = "/api/v3/dbs/orders/client"
        result = {}
        for batch in _chunks(ids, self.client_batch):
            try:
                answer = self._call("marketplace", "POST", path, json_body={"orders": [int(i) for i in batch]})
            except AuthError:
                raise
            except ApiError as exc:
                if 400 <= exc.status < 500:
                    continue
                raise
            for item in self._orders_of(path, answer):
                try:
                    ident, client = parse_client(item)
                except o.PayloadError:
                    continue
                result.setdefault(ident, client)
        return result

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

    def fetch_orders(self, since, until):
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        if until.tzinfo is None:
            until = until.replace(tzinfo=timezone.utc)
        found = {}
        for scheme in (o.FBS, o.DBS):
            if scheme not in self._schemes():
                continue
            raws = {}  # id -> the first shape seen (the new lists have the most fields)
            for raw in list(self._new_tasks(scheme)) + list(self._listed_tasks(scheme, since, until)):
                ident = peek_id(raw)
                if ident is None:
                    try:
                        parse_order(raw, scheme)
                    except o.PayloadError as err:
                        found[f"#error{len(found)}"] = err
                    continue
                if ident not in found:
                    raws.setdefault(ident, raw)
            if not raws:
                continue
            statuses = self._statuses(scheme, raws)
            clients = self._clients(raws) if scheme == o.DBS else {}
            for ident, raw in raws.items():
                try:
                    found[ident] = parse_order(raw, scheme, statuses.get(ident), clients.get(ident))
                except o.PayloadError as err:
                    err.external_id = err.external_id or ident
                    found[ident] = err
        return list(found.values())

    def fetch_states(self, refs):
        """States of known tasks, any number of them, by their scheme's status method (1000 ids
        a call); a task WB does not know, or an unknown status word, is left out."""
        ids = {o.FBS: [], o.DBS: []}
        for ref in refs:
            ext = str(ref.external_id)
            if not (ext.isascii() and ext.isdigit() and 0 < int(ext) <= MAX_INT64 and str(int(ext)) == ext):
                continue  # not a WB task id
            ids[o.DBS if ref.scheme == o.DBS else o.FBS].append(ext)
        states = {}
        for scheme, batch in ids.items():
            if not batch:
                continue
            for ident, item in self._statuses(scheme, batch).items():
                try:
                    _, state, text = parse_status(item)
                except o.PayloadError:
                    continue
                states[ident] = (state, text)
        return states

    def fetch_catalog(self):
        """Every card, by ``settings.cursor`` paging (oldest change first, so that a card
        changed while paging comes again rather than never)."""
        path = "/content/v2/get/cards/list"
        limit = self.catalog_page_size
        cursor = {"limit": limit}
        seen = set()
        for _ in range(self.max_pages):
            self.content_limiter.acquire()
            answer = self._call("content", "POST", path, json_body={"settings": {
                "sort": {"ascending": True}, "cursor": cursor, "filter": {"withPhoto": -1}}})
            cards = answer.get("cards") if isinstance(answer, dict) else None
            if not isinstance(cards, list):
                raise self._shape_error(path, "no list of cards")
            for card in cards:
                yield from parse_card(card)
            after = answer.get("cursor")
            total = after.get("total") if isinstance(after, dict) else None
            if not cards or (isinstance(total, int) and total < limit) or len(cards) < limit:
                return
            updated, nm_id = after.get("updatedAt"), after.get("nmID")
            if not isinstance(updated, str) or not updated or len(updated) > 64 or isinstance(nm_id, bool) \
                    or not isinstance(nm_id, int):
                raise self._shape_error(path, "a full page without a usable cursor")
            if (updated, nm_id) in seen:
                raise self._shape_error(path, "the same cursor twice: paging stopped")
            seen.add((updated, nm_id))
            cursor = {"limit": limit, "updatedAt": updated, "nmID": nm_id}
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)

    def fetch_warehouses(self):
        """The seller's FBS and DBS/EDBS warehouses (WB's own warehouses serve FBW, not imported)."""
        path = "/api/v3/warehouses"
        answer = self._call("marketplace", "GET", path)
        if not isinstance(answer, list):
            raise self._shape_error(path, "not a list of warehouses")
        result, seen = [], set()
        for row in answer:
            if not isinstance(row, dict):
                continue
            scheme = WAREHOUSE_SCHEMES.get(row.get("deliveryType")) if not isinstance(
                row.get("deliveryType"), bool) else None
            if scheme is None:
                continue
            try:
                ref = _task_id(row.get("id"), "id")
                name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
            except o.PayloadError:
                continue
            if ref not in seen:
                seen.add(ref)
                result.append(Warehouse(ref=ref, name=name, scheme=scheme))
        return result


__all__ = ["WildberriesAdapter", "HOSTS", "parse_order", "parse_fbs_order", "parse_dbs_order", "parse_status",
           "parse_client", "parse_card", "status_state", "peek_id"]

