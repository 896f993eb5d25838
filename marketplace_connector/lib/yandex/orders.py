"""Yandex Market orders: the orders of a business and their states (:class:`YandexOrders`).

Calls:

* Orders: ``POST v1/businesses/{businessId}/orders`` (it replaced ``GET
  v2/campaigns/{campaignId}/orders``), ``pageToken`` + ``limit`` (at most 50) in the query,
  filters in the body.  Two queries per import window: orders *created* in the window
  (``dates.creationDateFrom/To``: Moscow dates, the end date not included, at most 30 days
  apart — longer windows are cut in pieces; the exact creation time is then checked here), and
  orders still open (``PENDING``/``PROCESSING``) *updated* in the window (``updateDateFrom/To``,
  ISO 8601; the creation dates default to the last 30 days).  Only real orders (``fake:
  false``) of the account's campaigns and models.  Orders not yet paid or placed
  (``PLACING``, ``RESERVED``, ``UNPAID``) are not asked for: they come once they reach
  ``PROCESSING``.
* States of known orders: the same method filtered by ``orderIds`` (50 per call), every ref
  given.  The method sees only orders created in its creation-date filter, the last 30 days
  when none is given: refs are grouped by their ``created_at`` (Moscow dates) into periods of
  at most 30 days, each asked with its own ``creationDateFrom/To``; a ref without a creation
  time is asked without dates (so only the last 30 days can answer for it).
* The buyer of a DBS order: ``GET v2/campaigns/{campaignId}/orders/{orderId}/buyer``.

Prices: an item's ``prices`` are totals for all its units: ``payment`` (money) + ``cashback``
(Plus points) is what the buyer paid; ``subsidy`` is what the Market pays the seller on top
(its discounts: promo codes, coupons, its promotions).  Price bases
(:attr:`YandexAdapter.PRICE_BASES`), unit prices in the shop's currency:

* ``with_subsidy`` — ``payment + cashback + subsidy``: the buyer's price plus the Market's
  subsidy.  **The default**: the Market's goods-realization report (отчёт о реализации
  товаров) books the sale at the price including the Market's subsidy, i.e. the seller's own
  price of the item.
* ``buyer_price`` — ``payment + cashback``: what the buyer paid (money and Plus points, which
  the Market pays back to the seller).

The unit price is the total divided by ``count``; when the division does not come out in whole
kopecks the item becomes two or more lines (some units one kopeck dearer) so that the order's
total stays exact on *every* basis.  Currency ``RUR`` is the rouble (``RUB``); the shop's
currency (``currencyId``: KZT, BYN, UZS…) becomes the order's.

States: ``RETURNED`` is a return (the goods come back), not a cancellation; a cancellation
whose substatus says the order was lost (``LOST``, ``DELIVERY_SERVICE_LOST``,
``SORTING_CENTER_LOST``, ``DROPOFF_LOST``) is lost; ``PARTIALLY_RETURNED`` stays delivered (the
sale stands; the returned part comes with the Market's returns).
"""
import dataclasses
import re
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from .. import orders as o
from ..transport import ApiError
from .client import MSK, _amount, _iso, _moment, _number_id, _required_text, parse_time

#: status -> neutral state (PROCESSING depends on the substatus, see :func:`status_state`)
STATUS_STATES = {
    "PLACING": o.NEW,
    "RESERVED": o.NEW,
    "UNPAID": o.NEW,
    "PENDING": o.NEW,
    "PROCESSING": o.NEW,
    "DELIVERY": o.SHIPPED,
    "PICKUP": o.SHIPPED,  # at the pickup point, not yet received
    "DELIVERED": o.DELIVERED,
    "PARTIALLY_RETURNED": o.DELIVERED,
    "RETURNED": o.RETURNED,
    "CANCELLED": o.CANCELLED,
}
#: substatuses of CANCELLED that mean the order was lost on its way
LOST_SUBSTATES = {"LOST", "DELIVERY_SERVICE_LOST", "SORTING_CENTER_LOST", "DROPOFF_LOST"}
#: substatuses of PROCESSING past "to be packed"
PROCESSING_SUBSTATES = {
    "PACKAGING": o.PROCESSING,
    "READY_TO_SHIP": o.PROCESSING,
    "SHIPPED": o.SHIPPED,  # handed over, the status follows
}
#: statuses asked for orders created in the window (not PLACING/RESERVED/UNPAID: not orders yet)
IMPORT_STATUSES = ("PENDING", "PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED",
                   "PARTIALLY_RETURNED", "RETURNED")
#: statuses of an order still in the seller's hands
OPEN_STATUSES = ("PENDING", "PROCESSING")
#: programType -> scheme
PROGRAM_SCHEMES = {"FBS": o.FBS, "EXPRESS": o.FBS, "DBS": o.DBS, "FBY": o.FBO}
SCHEME_PROGRAMS = {o.FBS: ("FBS", "EXPRESS"), o.DBS: ("DBS",), o.FBO: ("FBY",)}
#: the Market's statuses of the buyer's call (GET .../buyer answers only in these)
BUYER_STATUSES = ("PROCESSING", "DELIVERY", "PICKUP")

_WORD = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX_LINES = 500
MAX_REGION_DEPTH = 10
KOPECK = o.KOPECK


# --- parsers -------------------------------------------------------------------------------------

def _order_id(raw):
    return _number_id(o.require(raw, "orderId"), "orderId")


def _word(value, label, ext, required=True):
    if value is None or value == "":
        if required:
            raise o.PayloadError(f"missing {label}", ext)
        return ""
    if not isinstance(value, str) or not _WORD.match(value):
        raise o.PayloadError(f"{label} is not a status word: {str(value)[:40]!r}", ext)
    return value


def status_state(status, substatus="", ext=None):
    """The neutral state of a status (and substatus); PayloadError for an unknown status."""
    status = _word(status, "status", ext)
    substatus = _word(substatus, "substatus", ext, required=False)
    state = STATUS_STATES.get(status)
    if state is None:
        raise o.PayloadError(f"unknown Yandex Market status '{status}'", ext)
    if status == "PROCESSING":
        state = PROCESSING_SUBSTATES.get(substatus, o.NEW)
    elif status == "CANCELLED" and substatus in LOST_SUBSTATES:
        state = o.LOST
    return state


def _status(raw, ext):
    status = o.require(raw, "status", ext)
    substatus = raw.get("substatus")
    state = status_state(status, substatus, ext)
    return state, f"{status} / {substatus}" if substatus else status


def _count(value, label, ext):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value.strip()):
            value = int(value)
        else:
            raise o.PayloadError(f"{label} must be a whole number", ext)
    return o.quantity(value, label, ext)


def _item_lines(item, i, ext):
    label = f"item {i}"
    if not isinstance(item, dict):
        raise o.PayloadError(f"{label} is not an object", ext)
    offer = _required_text(o.require(item, "offerId", ext), f"{label} offerId", ext, 255)
    name = _required_text(o.require(item, "offerName", ext), f"{label} offerName", ext, 1000)
    count = _count(o.require(item, "count", ext), f"{label} count", ext)
    prices = item.get("prices")
    if prices is None:
        raise o.PayloadError(f"{label} has no prices", ext)
    if not isinstance(prices, dict):
        raise o.PayloadError(f"{label} prices is not an object", ext)
    payment, currency = _amount(prices.get("payment"), f"{label} prices.payment", ext)
    extras = {}
    for key in ("cashback", "subsidy"):
        extras[key], extra_currency = _amount(prices.get(key), f"{label} prices.{key}", ext, required=False)
        if extra_currency and extra_currency != currency:
            raise o.PayloadError(f"{label} prices in several currencies: {currency}, {extra_currency}", ext)
    item_ref = item.get("marketSku")
    item_ref = _number_id(item_ref, f"{label} marketSku", ext) if item_ref not in (None, "") else ""
    marks = []
    instances = item.get("instances")
    if isinstance(instances, list):
        for inst in instances[:1000]:
            if isinstance(inst, dict) and isinstance(inst.get("cis"), str) and 0 < len(inst["cis"]) <= 200:
                marks.append(inst["cis"])
    totals = {
        "with_subsidy": payment + extras["cashback"] + extras["subsidy"],
        "buyer_price": payment + extras["cashback"],
    }
    common = {"offer_code": offer, "name": name, "item_id": item_ref, "marking_codes": tuple(marks)}
    return _split_units(totals, count, common), currency


def _split_units(totals, count, common):
    """Lines of one item whose units add up exactly to ``totals`` on every basis.

    Per basis the unit price is the total divided by ``count`` rounded down, and the first
    ``rest`` units (the kopecks left) are the last ones, one kopeck dearer; units whose prices agree on every
    basis share a line: one line when every total divides, at most one more per basis."""
    units, rests = {}, {}
    for basis, total in totals.items():
        total = total.quantize(KOPECK)
        units[basis] = (total / count).quantize(KOPECK, rounding=ROUND_DOWN)
        rests[basis] = int((total - units[basis] * count) / KOPECK)  # 0 … count-1
    whole = int(count)
    bounds = sorted({0, whole} | {whole - r for r in rests.values() if 0 < r < whole})
    lines = []
    for lo, hi in zip(bounds, bounds[1:]):
        prices = {basis: units[basis] + (KOPECK if lo >= whole - rests[basis] else 0) for basis in totals}
        lines.append(o.OrderLine(quantity=Decimal(hi - lo) if len(bounds) > 2 else count,
                                 price=prices[YandexOrders.default_price_basis], prices=prices, **common))
    return lines


def _lines(raw, ext):
    items = o.as_list(o.require(raw, "items", ext), "items", ext)
    if len(items) > MAX_LINES:
        raise o.PayloadError(f"items has {len(items)} entries (at most {MAX_LINES})", ext)
    lines, currencies = [], set()
    for i, item in enumerate(items, 1):
        item_lines, currency = _item_lines(item, i, ext)
        lines.extend(item_lines)
        currencies.add(currency)
    if len(currencies) > 1:
        raise o.PayloadError(f"items in several currencies: {', '.join(sorted(currencies))}", ext)
    return tuple(lines), currencies.pop()


def _scheme(raw, delivery, ext):
    program = raw.get("programType")
    if program not in (None, ""):
        program = _word(program, "programType", ext)
        if program == "LAAS":
            raise o.PayloadError("a LaaS order (placed outside the Market) is not a Market sale", ext)
        scheme = PROGRAM_SCHEMES.get(program)
        if scheme is None:
            raise o.PayloadError(f"unknown Yandex Market programType '{program}'", ext)
        return scheme
    partner = delivery.get("deliveryPartnerType")
    return o.DBS if partner == "SHOP" else o.FBS


def _delivery(raw, ext):
    delivery = o.require(raw, "delivery", ext)
    if not isinstance(delivery, dict):
        raise o.PayloadError("delivery is not an object", ext)
    return delivery


def _warehouse(delivery, ext):
    value = delivery.get("warehouseId")
    if value in (None, ""):
        return ""
    return o.ident(value, "delivery.warehouseId", ext)


def _region_name(region, ext):
    """The federal subject (REPUBLIC) of a region tree, else the top non-country region."""
    found = ""
    for _ in range(MAX_REGION_DEPTH):
        if region is None:
            break
        if not isinstance(region, dict):
            raise o.PayloadError("delivery region is not an object", ext)
        name = o.text(region.get("name"), "region name", ext, required=False, max_len=300)
        kind = region.get("type")
        if kind == "REPUBLIC":
            return name
        if kind not in ("COUNTRY", "CONTINENT") and name:
            found = name
        region = region.get("parent")
    return found


def _customer(delivery, ext):
    """Address of a DBS order (courier or pickup block), as the Odoo side reads it."""
    result = {}
    for key in ("courier", "pickup"):
        block = delivery.get(key)
        if block is None:
            continue
        if not isinstance(block, dict):
            raise o.PayloadError(f"delivery.{key} is not an object", ext)
        address = block.get("address")
        if address is not None:
            if not isinstance(address, dict):
                raise o.PayloadError(f"delivery.{key}.address is not an object", ext)

            def part(name, label=None, prefix=""):
                value = o.text(address.get(name), f"address {label or name}", ext, required=False, max_len=300)
                return f"{prefix}{value}" if value else ""

            result["zip"] = part("postcode")
            result["city"] = part("city")
            street = [part("street"), part("house", prefix="д. "), part("block", prefix="корп. "),
                      part("apartment", prefix="кв. ")]
            result["address"] = ", ".join(p for p in street if p)
        region = _region_name(block.get("region"), ext)
        if region:
            result["region"] = region
        break
    return {k: v for k, v in result.items() if v}


def _peek_order_id(raw):
    if not isinstance(raw, dict):
        return None
    try:
        return _number_id(raw.get("orderId"), "orderId")
    except o.PayloadError:
        return None


_guarded = o.guarded("order", _peek_order_id)


@_guarded
def parse_order(raw):
    """An order of ``POST v1/businesses/{businessId}/orders`` (``BusinessOrderDTO``) -> Order."""
    if not isinstance(raw, dict):
        raise o.PayloadError(f"an order must be an object, got {type(raw).__name__}", None, raw)
    try:
        ext = _order_id(raw)
    except o.PayloadError as err:
        err.raw = raw
        raise
    try:
        campaign = _number_id(o.require(raw, "campaignId", ext), "campaignId", ext)
        state, status_text = _status(raw, ext)
        created = parse_time(o.require(raw, "creationDate", ext), "creationDate", ext)
        delivery = _delivery(raw, ext)
        scheme = _scheme(raw, delivery, ext)
        lines, currency = _lines(raw, ext)
        return o.Order(
            marketplace="yandex", external_id=ext, scheme=scheme, state=state, created_at=created,
            lines=lines, secondary_ref=campaign, warehouse_ref=_warehouse(delivery, ext), currency=currency,
            customer=_customer(delivery, ext) if scheme == o.DBS else {}, status_text=status_text,
        )
    except o.PayloadError as err:
        err.external_id = err.external_id or ext
        err.raw = raw
        raise


def parse_state(raw):
    """(external id, state, status_text) of an order of the orders list, for ``fetch_states``."""
    if not isinstance(raw, dict):
        raise o.PayloadError("an order must be an object")
    ext = _order_id(raw)
    state, status_text = _status(raw, ext)
    return ext, state, status_text


def parse_buyer(raw):
    """The buyer of ``GET .../buyer`` (``result``) -> {name, phone}; {} when unusable."""
    if not isinstance(raw, dict):
        return {}
    try:
        name = " ".join(filter(None, (
            o.text(raw.get(key), key, required=False, max_len=200)
            for key in ("lastName", "firstName", "middleName"))))
        phone = o.text(raw.get("phone"), "phone", required=False, max_len=40)
    except o.PayloadError:
        return {}
    return {k: v for k, v in (("name", name), ("phone", phone)) if v}


# --- the capability ----------------------------------------------------------------------------

class YandexOrders:
    """Orders of the business: a mixin of :class:`~.YandexAdapter` (it calls the
    :class:`~.client.YandexClient`'s ``_pages``, ``_business_id``, ``_campaign_ids`` and
    ``_schemes``)."""

    #: orders a page (the Market's maximum is 50)
    page_size = 50
    #: the longest creation period of one state query (the Market allows 30 days)
    state_period_days = 30

    #: the price bases an order item gives, (key, label), see the module docstring
    PRICE_BASES = (
        ("with_subsidy", "Buyer's price plus the Market's subsidy (payment + cashback + subsidy)"),
        ("buyer_price", "Paid by the buyer, money and Plus points (payment + cashback)"),
    )
    #: the basis of ``OrderLine.price``: the goods-realization report's sale (incl. the subsidy)
    default_price_basis = "with_subsidy"
    #: the buyers of DBS orders are looked up one order at a time
    completes_orders = True
    #: buyer look-ups (one call each) in one fetch_orders
    max_buyer_calls = 200
    #: a window longer than this is cut (creation dates at most 30 days apart, end excluded)
    max_window = timedelta(days=28)

    def _orders(self, body):
        endpoint = "/v1/businesses/{businessId}/orders"
        path = f"/v1/businesses/{self._business_id()}/orders"
        return self._pages("POST", path, endpoint, self.page_size, body=body)

    # --- the interface --------------------------------------------------------------------
    def fetch_orders(self, since, until):
        since, until = _moment(since), _moment(until)
        programs = sorted({p for s in self._schemes() for p in SCHEME_PROGRAMS.get(s, ())})
        if not programs or until < since:
            return []
        base = {"programTypes": programs, "fake": False}
        campaigns = self._campaign_ids()
        found = {}

        def take(raw, start=None, end=None):
            try:
                order = parse_order(raw)
            except o.PayloadError as err:
                found.setdefault(err.external_id or f"#error{len(found)}", err)
                return
            if start is not None and not start <= order.created_at <= end:
                return  # created on the same day, outside the window
            found.setdefault(order.external_id, order)

        for chunk in [campaigns[i:i + 50] for i in range(0, len(campaigns), 50)] or [None]:
            scope = dict(base, campaignIds=chunk) if chunk else dict(base)
            start = since
            while True:
                end = min(until, start + self.max_window)
                created = dict(scope, statuses=list(IMPORT_STATUSES), dates={
                    "creationDateFrom": start.astimezone(MSK).date().isoformat(),
                    "creationDateTo": (end.astimezone(MSK).date() + timedelta(days=1)).isoformat()})
                for raw in self._orders(created):
                    take(raw, start, end)
                # still open, changed in the window (created in the last 30 days, the default)
                changed = dict(scope, statuses=list(OPEN_STATUSES), dates={
                    "updateDateFrom": _iso(start), "updateDateTo": _iso(end, up=True)})
                for raw in self._orders(changed):
                    take(raw)
                if end >= until:
                    break
                start = end
        result = list(found.values())
        if self.settings.get("defer_lookups"):
            return result  # the buyers are looked up at import (complete_orders)
        return self._with_buyers(result)

    def complete_orders(self, orders):
        """The buyers of the DBS orders among ``orders`` that have none yet."""
        return self._with_buyers(list(orders))

    def _with_buyers(self, result):
        """DBS orders the seller delivers: the buyer's name and phone (``GET .../buyer``)."""
        calls = 0
        for i, order in enumerate(result):
            if not isinstance(order, o.Order) or order.scheme != o.DBS:
                continue
            if order.customer.get("name") or order.customer.get("phone"):
                continue  # looked up already
            if order.status_text.split(" ", 1)[0] not in BUYER_STATUSES or calls >= self.max_buyer_calls:
                continue
            calls += 1
            endpoint = "/v2/campaigns/{campaignId}/orders/{orderId}/buyer"
            path = f"/v2/campaigns/{order.secondary_ref}/orders/{order.external_id}/buyer"
            try:
                answer = self.transport.request("GET", path, endpoint=endpoint)
            except ApiError as exc:
                if exc.status in (400, 403, 404):
                    continue  # no buyer data for this one (status moved on, no access): the address stays
                raise
            buyer = parse_buyer(answer.get("result") if isinstance(answer, dict) else None)
            if buyer:
                result[i] = dataclasses.replace(order, customer=dict(order.customer, **buyer))
        return result

    def fetch_states(self, refs):
        """The orders list filtered by ``orderIds`` (50 a call) and by the creation period of
        the refs (see the module docstring), every ref given; an order the Market does not
        return is left out, so is an unreadable one."""
        dated, undated, seen = [], [], set()
        for ref in refs:
            try:
                ident = int(_number_id(ref.external_id, "order id"))
            except o.PayloadError:
                continue
            if ident in seen:
                continue
            seen.add(ident)
            created = getattr(ref, "created_at", None)
            if isinstance(created, datetime):
                dated.append((_moment(created).astimezone(MSK).date(), ident))
            else:
                undated.append(ident)
        queries = []
        dated.sort()
        while dated:
            start = dated[0][0]
            end = start + timedelta(days=self.state_period_days)  # excluded: at most 30 days apart
            group = [ident for day, ident in dated if day < end]
            dated = dated[len(group):]
            dates = {"creationDateFrom": start.isoformat(), "creationDateTo": end.isoformat()}
            queries += [{"orderIds": group[i:i + 50], "dates": dates} for i in range(0, len(group), 50)]
        queries += [{"orderIds": undated[i:i + 50]} for i in range(0, len(undated), 50)]
        states = {}
        for body in queries:
            for raw in self._orders(body):
                try:
                    ext, state, status_text = parse_state(raw)
                except o.PayloadError:
                    continue
                states[ext] = (state, status_text)
        return states
