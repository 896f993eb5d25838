"""Wildberries assembly tasks: the orders of an account and their states (:class:`WildberriesOrders`).

Calls, by scheme (marketplace API):

* FBS — the seller packs, WB delivers: ``/api/v3/orders/new`` (every new task),
  ``/api/v3/orders`` (tasks created in a period, paged by ``next``; no status in it) and
  ``/api/v3/orders/status`` (``supplierStatus`` + ``wbStatus``, at most 1000 ids a call);
* DBS — the seller delivers: ``/api/v3/dbs/orders/new``, ``/api/v3/dbs/orders`` (only
  *finished* tasks — sold or cancelled — of a period, as documented), ``/api/v3/dbs/orders/status``
  and ``/api/v3/dbs/orders/client`` (the buyer's name and WB's substitute phone number; the
  address is in the task).  A DBS task that the seller confirmed elsewhere before our first
  import is in neither list until it is finished: WB's API has no other list of them.

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
from datetime import timedelta, timezone
from decimal import ROUND_HALF_UP

from .. import orders as o
from ..transport import ApiError, AuthError
from .client import MAX_INT64, _barcodes, _chunks, _moment, _task_id

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

_STATUS_WORD = re.compile(r"^[a-z_]{1,40}$")
#: the longest period /api/v3/orders and /api/v3/dbs/orders take in one request
MAX_PERIOD = timedelta(days=30)
#: the kopeck fields of a task; each must be a non-negative whole number when present
KOPECK_FIELDS = ("price", "convertedPrice", "finalPrice", "convertedFinalPrice", "salePrice")


# --- parsers -------------------------------------------------------------------------------

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
    return prices[WildberriesOrders.default_price_basis], currency


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
            price=prices[WildberriesOrders.default_price_basis], prices=prices,
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


# --- the capability --------------------------------------------------------------------------

class WildberriesOrders:
    """Assembly tasks of the account: a mixin of :class:`~.WildberriesAdapter` (it calls the
    :class:`~.client.WildberriesClient`'s ``_call``, ``_shape_error`` and ``_schemes``)."""

    #: tasks a page of /api/v3/orders and /api/v3/dbs/orders (at most 1000)
    page_size = 1000
    #: ids a call of the status methods (at most 1000)
    status_batch = 1000
    #: ids a call of /api/v3/dbs/orders/client
    client_batch = 100

    #: the price bases a task gives, (key, label), see the module docstring
    PRICE_BASES = (
        ("buyer_price", "Price after the seller's and WB's discounts (convertedPrice)"),
        ("seller_price", "Seller's price with the seller's discount (salePrice)"),
        ("final_price", "Paid by the buyer, after the WB Wallet discount (convertedFinalPrice)"),
    )
    #: the basis of ``OrderLine.price``: what the realization report calls the sale (retail_amount)
    default_price_basis = "buyer_price"

    # --- helpers ------------------------------------------------------------------------
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
