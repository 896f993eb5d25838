"""Ozon postings: the orders of an account and their states (:class:`OzonOrders`).

Calls (all POST; the lists page by cursor, at most 100 postings a page):

* FBS/rFBS postings: ``/v4/posting/fbs/list``.  Two queries per import: postings *created*
  (``in_process_at``) in the window, and postings created in the
  :attr:`OzonAdapter.changed_lookback` before it that are still open and whose status
  changed in the window (``filter.last_changed_status_date``).
* FBO postings: ``/v3/posting/fbo/list`` (``/v2/posting/fbo/list`` was switched off on
  2026-08-31).
* States of known postings: the same lists filtered by ``order_numbers`` (FBS, 100 orders a
  query) and ``posting_numbers`` (FBO), 100 postings a page — never one call a posting.

Prices: bases of a product line (:attr:`OzonAdapter.PRICE_BASES`), unit prices in the
posting's currency (``products[].price.currency`` / ``currency_code``; Ozon sells in RUB, and
for sellers abroad in their currency):

* ``seller_price`` — ``products[].price``: the goods' price with the seller's discounts.
  **The default**: it is what Ozon's finance report books as the sale (``accruals_for_sale`` of
  ``/v3/finance/transaction/list``: the goods' price including the seller's discounts).
* ``buyer_price`` — ``financial_data.products[].customer_price``: what the buyer paid, after
  Ozon's own discounts too (which Ozon funds); only where the list gives ``financial_data``.
* ``old_price`` — ``financial_data.products[].old_price``: the price before any discount.

The lists are asked ``with.financial_data`` so that every basis is there; a line's financial
data is matched by its SKU (``financial_data.products[].product_id`` is the SKU).

States: ``cancelled`` is a return when the posting was cancelled after it was shipped
(``cancellation.cancelled_after_ship``) or came back to the warehouse (substatus
``posting_returned_to_warehouse``): the goods come back; lost when the cancellation reason
says the posting was lost (ASSUMPTION: Ozon has no "lost" status word; its cancellation
reasons for a posting lost in delivery say «утерян» / «утеряно»).
"""
import re
from datetime import datetime, timedelta, timezone

from .. import orders as o
from ..transport import ApiError
from .client import _CURRENCY, _moment, _number_id, _price, _required_text, _stamp

#: Ozon status word -> neutral state
STATUS_STATES = {
    "awaiting_registration": o.NEW,
    "acceptance_in_progress": o.NEW,
    "awaiting_approve": o.NEW,
    "awaiting_verification": o.NEW,
    "awaiting_packaging": o.NEW,
    "awaiting_deliver": o.PROCESSING,  # packed, waiting for the hand-over
    "not_accepted": o.PROCESSING,  # refused at the sorting centre: back with the seller
    "driver_pickup": o.SHIPPED,
    "delivering": o.SHIPPED,
    "sent_by_seller": o.SHIPPED,
    "arbitration": o.SHIPPED,  # a dispute about a posting already on its way
    "client_arbitration": o.SHIPPED,
    "delivered": o.DELIVERED,
    "cancelled": o.CANCELLED,
    "cancelled_from_split_pending": o.CANCELLED,
}
#: the statuses of a posting still in the seller's hands (FBS/rFBS), as the v4 list's
#: ``filter.statuses`` takes them (it has no ``awaiting_verification``)
OPEN_STATUSES = tuple(s for s, state in STATUS_STATES.items()
                      if state in (o.NEW, o.PROCESSING) and s != "awaiting_verification")
#: ``integration_type_flow`` / ``tpl_integration_type`` values of rFBS: the seller delivers
RFBS_INTEGRATIONS = {"non_integrated", "3pl_tracking", "aggregator", "hybrid_non_integrated",
                     "hybrid_3pl_tracking", "hybrid_aggregator", "click_and_collect"}
#: postings of the FBS list shipped from Ozon's partner warehouses (not the seller's stock)
PARTNER_INTEGRATIONS = {"FBP"}

_POSTING_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")
_STATUS_WORD = re.compile(r"^[a-z_]{1,64}$")
MAX_LINES = 500


# --- parsers -------------------------------------------------------------------------------

def _posting_number(raw):
    value = o.require(raw, "posting_number")
    number = o.ident(value, "posting_number")
    if not _POSTING_NUMBER.match(number):
        raise o.PayloadError(f"posting_number has an unexpected form: {number[:40]!r}", None, raw)
    return number


def status_state(status, ext=None):
    """The neutral state of an Ozon status word; PayloadError for an unknown one."""
    if not isinstance(status, str) or not _STATUS_WORD.match(status):
        raise o.PayloadError(f"status is not a status word: {str(status)[:40]!r}", ext)
    state = STATUS_STATES.get(status)
    if state is None:
        raise o.PayloadError(f"unknown Ozon status '{status}'", ext)
    return state


#: substatuses of a cancelled posting whose goods came back
RETURNED_SUBSTATUSES = {"posting_returned_to_warehouse"}
_LOST_WORDS = ("утерян", "утрач", "lost")


def _cancelled_state(raw, substatus, ext):
    """RETURNED, LOST or CANCELLED for a cancelled posting (see the module docstring)."""
    block = raw.get("cancellation")
    if block is not None and not isinstance(block, dict):
        raise o.PayloadError("cancellation is not an object", ext)
    block = block or {}
    reason = o.text(block.get("cancel_reason"), "cancellation cancel_reason", ext, required=False, max_len=500)
    after_ship = block.get("cancelled_after_ship")
    if after_ship is not None and not isinstance(after_ship, bool):
        raise o.PayloadError("cancellation cancelled_after_ship is not true or false", ext)
    if any(word in reason.lower() for word in _LOST_WORDS):
        return o.LOST
    if after_ship or substatus in RETURNED_SUBSTATUSES:
        return o.RETURNED
    return o.CANCELLED


def _status(raw, ext):
    status = o.require(raw, "status", ext)
    state = status_state(status, ext)
    substatus = o.text(raw.get("substatus"), "substatus", ext, required=False, max_len=64)
    if state == o.CANCELLED:
        state = _cancelled_state(raw, substatus, ext)
    return state, f"{status} / {substatus}" if substatus else status


def _quantity(value, label, ext):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise o.PayloadError(f"{label} must be a whole number", ext)
    if isinstance(value, str) and not re.fullmatch(r"\d{1,9}", value.strip()):
        raise o.PayloadError(f"{label} must be a whole number (got {value[:20]!r})", ext)
    return o.quantity(int(value), label, ext)


def _financial_products(raw, ext):
    """{sku: [financial product, ...]} of the posting's ``financial_data`` (empty without it)."""
    block = raw.get("financial_data")
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise o.PayloadError("financial_data is not an object", ext)
    items = block.get("products")
    if items is None:
        return {}
    if not isinstance(items, list) or len(items) > MAX_LINES:
        raise o.PayloadError("financial_data products is not a list", ext)
    result = {}
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise o.PayloadError(f"financial_data product {i} is not an object", ext)
        sku = _number_id(o.require(item, "product_id", ext), f"financial_data product {i} product_id", ext)
        result.setdefault(sku, []).append(item)
    return result


def _financial_prices(item, label, ext):
    """The ``buyer_price`` and ``old_price`` of one financial product, where given."""
    prices, currency = {}, None
    for key, basis in (("customer_price", "buyer_price"), ("old_price", "old_price")):
        value = item.get(key)
        if value in (None, ""):
            continue
        amount, value_currency = _price(value, ext, f"{label} {key}")
        prices[basis] = amount
        currency = currency or value_currency
    return prices, currency


def _lines(raw, ext):
    products = o.as_list(o.require(raw, "products", ext), "products", ext)
    financial = _financial_products(raw, ext)
    if len(products) > MAX_LINES:
        raise o.PayloadError(f"products has {len(products)} items (at most {MAX_LINES})", ext)
    lines, currencies = [], set()
    for i, item in enumerate(products, 1):
        label = f"product {i}"
        if not isinstance(item, dict):
            raise o.PayloadError(f"{label} is not an object", ext)
        offer = _required_text(o.require(item, "offer_id", ext), f"{label} offer_id", ext, 200)
        name = _required_text(o.require(item, "name", ext), f"{label} name", ext, 1000)
        sku = _number_id(o.require(item, "sku", ext), f"{label} sku", ext)
        qty = _quantity(o.require(item, "quantity", ext), f"{label} quantity", ext)
        price, currency = _price(o.require(item, "price", ext), ext, f"{label} price")
        code = item.get("currency_code")
        if code not in (None, ""):
            if not isinstance(code, str) or not _CURRENCY.match(code):
                raise o.PayloadError(f"{label} currency_code is not a currency code", ext)
            currency = currency or code
        if currency:
            currencies.add(currency)
        prices = {"seller_price": price}
        matches = financial.get(sku)
        if matches:
            extra, extra_currency = _financial_prices(matches.pop(0), f"{label} financial_data", ext)
            if extra_currency and currency and extra_currency != currency:
                raise o.PayloadError(f"{label} prices in several currencies: {currency}, {extra_currency}", ext)
            prices.update(extra)
        lines.append(o.OrderLine(offer_code=offer, name=name, quantity=qty, price=price, item_id=sku,
                                 prices=prices))
    if len(currencies) > 1:
        raise o.PayloadError(f"products in several currencies: {', '.join(sorted(currencies))}", ext)
    return tuple(lines), (currencies.pop() if currencies else "RUB")


def _warehouse(raw, key, ext):
    block = raw.get(key)
    if block is None:
        return ""
    if not isinstance(block, dict):
        raise o.PayloadError(f"{key} is not an object", ext)
    value = block.get("warehouse_id")
    if value in (None, "", 0):
        return ""
    return _number_id(value, f"{key}.warehouse_id", ext)


def _customer(raw, ext):
    """The buyer (rFBS only): name, phone and address, as the Odoo side reads them."""
    customer = raw.get("customer")
    addressee = raw.get("addressee")
    result = {}
    if customer is not None:
        if not isinstance(customer, dict):
            raise o.PayloadError("customer is not an object", ext)
        result["name"] = o.text(customer.get("name"), "customer name", ext, required=False, max_len=300)
        result["phone"] = o.text(customer.get("phone"), "customer phone", ext, required=False, max_len=40)
        address = customer.get("address")
        if address is not None:
            if not isinstance(address, dict):
                raise o.PayloadError("customer address is not an object", ext)
            for key, label in (("zip_code", "zip"), ("region", "region"), ("city", "city"),
                               ("address_tail", "address")):
                result[label] = o.text(address.get(key), f"customer {key}", ext, required=False, max_len=500)
    if addressee is not None:
        if not isinstance(addressee, dict):
            raise o.PayloadError("addressee is not an object", ext)
        if not result.get("name"):
            result["name"] = o.text(addressee.get("name"), "addressee name", ext, required=False, max_len=300)
    return {k: v for k, v in result.items() if v}


def _peek_posting_number(raw):
    ext = raw.get("posting_number") if isinstance(raw, dict) else None
    return ext if isinstance(ext, str) and len(ext) <= 64 else None


_guarded = o.guarded("posting", _peek_posting_number)


@_guarded
def parse_fbs_posting(raw):
    """An FBS or rFBS posting (``/v4/posting/fbs/list``, also the v3 shape) -> Order."""
    if not isinstance(raw, dict):
        raise o.PayloadError(f"a posting must be an object, got {type(raw).__name__}", None, raw)
    ext = _posting_number(raw)
    try:
        state, status_text = _status(raw, ext)
        scheme = _fbs_scheme(raw, ext)
        created = _moment(o.require(raw, "in_process_at", ext), "in_process_at", ext)
        lines, currency = _lines(raw, ext)
        return o.Order(
            marketplace="ozon", external_id=ext, scheme=scheme, state=state, created_at=created,
            lines=lines, secondary_ref=_secondary_ref(raw, ext),
            warehouse_ref=_warehouse(raw, "delivery_method", ext), currency=currency,
            customer=_customer(raw, ext) if scheme == o.DBS else {}, status_text=status_text,
        )
    except o.PayloadError as err:
        err.external_id = err.external_id or ext
        err.raw = raw
        raise


@_guarded
def parse_fbo_posting(raw):
    """An FBO posting (``/v3/posting/fbo/list``, also the v2 shape) -> Order."""
    if not isinstance(raw, dict):
        raise o.PayloadError(f"a posting must be an object, got {type(raw).__name__}", None, raw)
    ext = _posting_number(raw)
    try:
        state, status_text = _status(raw, ext)
        stamp = raw.get("created_at") or raw.get("in_process_at")
        if stamp is None:
            raise o.PayloadError("missing field 'created_at'", ext)
        created = _moment(stamp, "created_at", ext)
        lines, currency = _lines(raw, ext)
        return o.Order(
            marketplace="ozon", external_id=ext, scheme=o.FBO, state=state, created_at=created,
            lines=lines, secondary_ref=_secondary_ref(raw, ext),
            warehouse_ref=_warehouse(raw, "analytics_data", ext), currency=currency, status_text=status_text,
        )
    except o.PayloadError as err:
        err.external_id = err.external_id or ext
        err.raw = raw
        raise


def _fbs_scheme(raw, ext):
    """FBS, DBS (rFBS) or FBO (FBP) for a posting of the FBS lists."""
    for key in ("integration_type_flow", "tpl_integration_type"):
        value = raw.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 64:
            raise o.PayloadError(f"{key} is not a short text", ext)
        if value in RFBS_INTEGRATIONS:
            return o.DBS
        if value in PARTNER_INTEGRATIONS:
            return o.FBO
        return o.FBS
    return o.FBS


def _secondary_ref(raw, ext):
    number = raw.get("order_number")
    if number not in (None, ""):
        return o.ident(number, "order_number", ext)
    if raw.get("order_id") not in (None, "", 0):
        return _number_id(raw["order_id"], "order_id", ext)
    return ""


def parse_state(raw):
    """(state, status_text) of a posting from ``/v3/posting/fbs/get`` or ``/v2/posting/fbo/get``."""
    if not isinstance(raw, dict):
        raise o.PayloadError("a posting must be an object")
    ext = _posting_number(raw)
    return _status(raw, ext)


# --- the capability --------------------------------------------------------------------------

class OzonOrders:
    """Postings of the account: a mixin of :class:`~.OzonAdapter` (it calls the
    :class:`~.client.OzonClient`'s ``_post``, ``_cursor_pages`` and ``_schemes``)."""

    #: the price bases a posting gives, (key, label), see the module docstring
    PRICE_BASES = (
        ("seller_price", "Price with the seller's discounts (products.price)"),
        ("buyer_price", "Paid by the buyer, after Ozon's discounts (customer_price)"),
        ("old_price", "Price before discounts (old_price)"),
    )
    #: the basis of ``OrderLine.price``: what the finance report books as the sale (accruals_for_sale)
    default_price_basis = "seller_price"
    #: how far back the "still open and changed" query looks for the creation of a posting
    changed_lookback = timedelta(days=30)

    def fetch_orders(self, since, until):
        schemes = self._schemes()
        found = {}

        def take(raw, parse, wanted):
            try:
                order = parse(raw)
            except o.PayloadError as err:
                key = err.external_id or f"#error{len(found)}"
                found.setdefault(key, err)
                return
            if order.scheme in wanted:
                found.setdefault(order.external_id, order)

        period = {"since": _stamp(since), "to": _stamp(until, up=True)}
        fbs_wanted = schemes & {o.FBS, o.DBS, o.FBO}
        if schemes & {o.FBS, o.DBS}:
            path = "/v4/posting/fbs/list"
            with_ = {"financial_data": True}
            for raw in self._cursor_pages(path, {"filter": dict(period), "sort_dir": "ASC", "with": with_}):
                take(raw, parse_fbs_posting, fbs_wanted)
            # created before the window, still open, status changed in the window
            changed = {"filter": {
                "since": _stamp(since - self.changed_lookback), "to": period["since"],
                "statuses": list(OPEN_STATUSES),
                "last_changed_status_date": {"from": period["since"], "to": period["to"]},
            }, "sort_dir": "ASC", "with": with_}
            for raw in self._cursor_pages(path, changed):
                take(raw, parse_fbs_posting, fbs_wanted)
        if o.FBO in schemes:
            body = {"filter": dict(period), "sort_dir": "ASC", "with": {"analytics_data": True, "financial_data": True}}
            for raw in self._cursor_pages("/v3/posting/fbo/list", body):
                take(raw, parse_fbo_posting, {o.FBO})
        return list(found.values())

    #: order numbers (FBS list) and posting numbers (FBO list) a state query asks for: 80, so
    #: that a page of 100 postings answers them in one call even when Ozon split some orders
    #: into several postings
    state_batch = 80
    #: the longest creation period of one state query (Ozon: at most a year)
    state_period = timedelta(days=360)

    def _state_queries(self, refs, key):
        """Groups of at most :attr:`state_batch` ``key(ref)`` values whose refs were created
        within :attr:`state_period`, each with its period (refs without a date: the last
        period)."""
        now = datetime.now(timezone.utc)
        dated = sorted((r.created_at, key(r)) for r in refs if r.created_at is not None)
        queries = []
        while dated:
            start = dated[0][0]
            group, values = [], []
            for moment, value in dated:
                if moment - start > self.state_period or len(values) >= self.state_batch and value not in values:
                    break
                group.append(moment)
                if value not in values:
                    values.append(value)
            dated = dated[len(group):]
            period = {"since": _stamp(start - timedelta(minutes=1)),
                      "to": _stamp(min(max(group) + timedelta(minutes=1), now + timedelta(minutes=1)), up=True)}
            queries.append((values, period))
        undated = list(dict.fromkeys(key(r) for r in refs if r.created_at is None))
        period = {"since": _stamp(now - self.state_period), "to": _stamp(now + timedelta(minutes=1), up=True)}
        queries += [(undated[i:i + self.state_batch], period) for i in range(0, len(undated), self.state_batch)]
        return queries

    def fetch_states(self, refs):
        """States of known postings read from the lists, not one call a posting: FBS/rFBS by
        ``filter.order_numbers`` (100 orders a query) of ``/v4/posting/fbs/list``, FBO by
        ``filter.posting_numbers`` of ``/v3/posting/fbo/list``, each query within the refs'
        creation period, 100 postings a page.  A posting Ozon does not list is left out; an
        FBO ref the FBO list does not have is looked for among the FBS postings (FBP)."""
        wanted, fbo, fbs = {}, [], []
        for ref in refs:
            number = str(ref.external_id)
            if number in wanted or not _POSTING_NUMBER.match(number):
                continue
            wanted[number] = ref
            (fbo if ref.scheme == o.FBO else fbs).append(ref)
        states = {}

        def take(raw):
            number = raw.get("posting_number") if isinstance(raw, dict) else None
            if number not in wanted or number in states:
                return
            try:
                states[number] = _status(raw, number)
            except o.PayloadError:
                pass  # an unreadable or unknown status: the order keeps its state

        for numbers, period in self._state_queries(fbo, lambda r: str(r.external_id)):
            body = {"filter": dict(period, posting_numbers=numbers), "sort_dir": "ASC"}
            for raw in self._cursor_pages("/v3/posting/fbo/list", body):
                take(raw)
        fbs += [r for r in fbo if str(r.external_id) not in states]

        def order_number(ref):
            return ref.secondary_ref or str(ref.external_id).rsplit("-", 1)[0]

        for numbers, period in self._state_queries(fbs, order_number):
            body = {"filter": dict(period, order_numbers=numbers), "sort_dir": "ASC"}
            for raw in self._cursor_pages("/v4/posting/fbs/list", body):
                take(raw)
        return states
