"""Ozon finance reports (:class:`OzonFinance`): transactions, the realization report, payouts.

Calls (all POST, all in the spec file):

* ``/v3/finance/transaction/list`` — every accrual (operation) of a period, ``page`` (from 1)
  + ``page_size`` (at most 1000), ``page_count`` says how many pages there are.  "Максимальный
  период … в одном запросе — 1 месяц" and "используйте метод с последовательной отправкой
  запросов": a longer period is read a calendar month at a time (Moscow time), one call after
  the other.
* ``/v3/finance/transaction/totals`` — the totals Ozon states for the same slice.
* ``/v2/finance/realization`` — the monthly «Отчёт о реализации товаров» (``{month, year}``,
  ready by the 5th of the next month; delivered and returned goods only).
* ``/v1/finance/cash-flow-statement/list`` — the balance by halves of a month (1–15, 16–end)
  with ``details.payments[]``: what Ozon paid out in the period.  The payouts are not in the
  transaction list; they come from here.

What the adapter gives (``fetch_finance``) — reports of two kinds:

* ``transactions``, one a month slice (``ozon:transactions:2026-11``; a slice that is not a
  whole month is keyed by its dates, ``ozon:transactions:2026-11-10..2026-11-30``).  Its
  ``to_pay`` is the sum of the totals ``/v3/finance/transaction/totals`` states for the
  slice (``accruals_for_sale + sale_commission + processing_and_delivery +
  refunds_and_cancellations + services_amount + compensation_amount + money_transfer +
  others_amount``), each of them in ``totals``, with ``operations_sum`` (what the list's
  ``amount`` add up to) beside them, so that a difference between Ozon's two answers shows.
  Its lines: one per amount *component* of each operation, key ``ozon:<operation_id>:<component>``:
  ``accruals_for_sale``, ``sale_commission``, ``delivery_charge``, ``return_delivery_charge``
  (the non-zero ones) and each ``services[]`` item under its ``name`` (a name repeated within
  one operation: ``name#2``...).  ``amount`` (the operation's total) is the check: when the
  components do not add up to it, a ``rest`` component carries the difference (the lines
  always add up to the operation); an operation with no component at all (storage,
  acquiring, advertising, compensations) is one line, component ``amount``.
  And the payouts: one line of category ``payout`` per ``payments[]`` item of each
  cash-flow period that begins in the slice (key ``ozon:payout:<period id>:<n>``, amount
  positive), in the same report (payout lines are left out of the ``to_pay`` sum).
* ``realization``, one a month (``ozon:realization:2026-11``), for the months the period
  touches that have ended.  ``to_pay`` is the header's ``doc_amount`` («Всего к начислению»),
  ``totals`` ``doc_amount`` and ``vat_amount``.  Lines per row (``ozon:realization:2026-11:<rowNumber>:<component>``):
  ``delivery.amount`` (sale), ``delivery.commission`` (commission, negative),
  ``delivery.bonus`` / ``.compensation`` / ``.bank_coinvestment`` / ``.stars`` /
  ``.pick_up_point_coinvestment`` (loyalty: what Ozon adds to the seller's money), the same
  ``return.*`` components with the opposite signs (``return.amount`` is a return), and
  ``delivery.rest`` / ``return.rest`` where a block's components do not add up to its
  ``total`` (ASSUMPTION, ⚠: ``total = amount − commission + bonus + compensation +
  bank_coinvestment + stars + pick_up_point_coinvestment``; the spec file says only «Итого к
  начислению»).  The rows have no posting: ``order_ref`` is empty, ``offer``/``product_ref``/
  ``barcode`` name the goods.

**The two kinds describe the same sales: book only one of them as money.**  The
transactions are the money (per posting, so a line finds its order; they add up to what Ozon
pays, so the payouts reconcile to the kopeck).  The realization report is the legal document
of the month (the commissioner's report, revenue per SKU for the month): its ``sale`` /
``return`` / ``commission`` lines are for revenue recognition and for checking the
transactions (Ozon says the two may differ by up to ~1 %), never to be added to them.  The
report's ``kind`` tells them apart.

Ozon's times: ``operation_date`` is ``"YYYY-MM-DD HH:MM:SS"`` with no offset; it is read as
Moscow time (ASSUMPTION, ⚠: the spec file does not say; the cabinet shows Moscow time).  The
period filters are sent in UTC (``…Z``), the slice's Moscow days converted.

Corrections: ``OperationAgentDeliveredToCustomerCanceled`` (исправленное начисление),
``OperationAgentStornoDeliveredToCustomer`` (отмена начисления), ``OperationCorrectionSeller``
(инвентаризация взаиморасчётов) and ``MarketplaceSellerCorrectionOperation`` are lines with
``correction=True``; Ozon does not say which operation they correct (``corrects`` stays
empty; the posting number is the link).

``order_ref`` is the operation's ``posting.posting_number``, the external id the order import
stores (:mod:`.orders`); ``product_ref`` is the SKU when the operation's ``items`` name one
SKU (``""`` for several: ``raw`` keeps them); ``quantity`` on the ``accruals_for_sale`` line is
the number of ``items`` (one an instance, ASSUMPTION), negative for a return.
"""
import calendar
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from .. import finance as f
from .. import orders as o
from ..transport import ApiError
from .client import _number_id
from .orders import _POSTING_NUMBER

MSK = timezone(timedelta(hours=3), "MSK")

#: operations a page of /v3/finance/transaction/list (Ozon's maximum is 1000)
PAGE_SIZE = 1000
#: cash-flow periods a page of /v1/finance/cash-flow-statement/list (a month has two)
CASH_FLOW_PAGE = 10

#: the amount fields of an operation, in the order the lines are made
COMPONENT_FIELDS = ("accruals_for_sale", "sale_commission", "delivery_charge", "return_delivery_charge")
#: the totals of /v3/finance/transaction/totals; what Ozon pays for the slice is their sum
TOTAL_FIELDS = ("accruals_for_sale", "sale_commission", "processing_and_delivery", "refunds_and_cancellations",
                "services_amount", "compensation_amount", "money_transfer", "others_amount")
#: the components of a realization row's block (delivery_commission / return_commission),
#: with the sign each has in the block's ``total``
REALIZATION_COMPONENTS = (("amount", 1), ("commission", -1), ("bonus", 1), ("compensation", 1),
                          ("bank_coinvestment", 1), ("stars", 1), ("pick_up_point_coinvestment", 1))

CORRECTION_OPERATIONS = frozenset({
    "OperationAgentDeliveredToCustomerCanceled", "OperationAgentStornoDeliveredToCustomer",
    "OperationCorrectionSeller", "MarketplaceSellerCorrectionOperation",
})

_LOGISTICS_SERVICES = (
    "MarketplaceDeliveryCostItem", "MarketplaceServiceItemDelivToCustomer", "MarketplaceServiceItemDirectFlowTrans",
    "MarketplaceServiceItemDropoffFF", "MarketplaceServiceItemDropoffPVZ", "MarketplaceServiceItemDropoffSC",
    "MarketplaceServiceItemDropoffPPZ", "MarketplaceServiceItemFulfillment", "MarketplaceServiceItemPickup",
    "MarketplaceServiceItemDirectFlowLogistic", "MarketplaceServiceItemDirectFlowLogisticVDC",
    "MarketplaceServiceItemDeliveryKGT",
)
_RETURN_SERVICES = (
    "MarketplaceNotDeliveredCostItem", "MarketplaceReturnAfterDeliveryCostItem",
    "MarketplaceServiceItemReturnAfterDelivToCustomer", "MarketplaceServiceItemReturnFlowTrans",
    "MarketplaceServiceItemReturnNotDelivToCustomer", "MarketplaceServiceItemReturnPartGoodsCustomer",
    "MarketplaceServiceItemReturnFlowLogistic", "MarketplaceServiceItemRedistributionReturnsPVZ",
)
_STORAGE = ("OperationMarketplaceServiceStorage", "MarketplaceReturnStorageServiceAtThePickupPointFbsItem",
            "MarketplaceReturnStorageServiceInTheWarehouseFbsItem")
_ADVERTISING_SERVICES = (
    "MarketplaceMarketingActionCostItem", "MarketplaceServiceItemInstallment", "MarketplaceSaleReviewsItem",
    "ItemAgentServiceStarsMembership", "MarketplaceServicePremiumCashbackIndividualPoints",
    "MarketplaceServicePremiumPromotion",
)

#: The seed of the accountant's table: the category of an (operation, component).  Looked up
#: as ``(operation, component)``, then ``("*", component)`` (a component that means the same
#: in every operation: the amount fields, the services by name), then ``operation`` alone
#: (the operation's own category: its ``amount`` and ``rest`` lines, and services this table
#: does not name).  An operation that is not in the table gives ``""`` for every line
#: (listed for review, never dropped), whatever its components.
DEFAULT_CATEGORIES = {
    # sales, returns and their corrections
    "OperationAgentDeliveredToCustomer": f.SALE,
    "OperationAgentDeliveredToCustomerCanceled": f.SALE,
    "OperationAgentStornoDeliveredToCustomer": f.SALE,
    "ClientReturnAgentOperation": f.RETURN,
    # the amount fields, whatever the operation
    ("*", "sale_commission"): f.COMMISSION,
    ("*", "delivery_charge"): f.LOGISTICS,
    ("*", "return_delivery_charge"): f.RETURN_LOGISTICS,
    # logistics to the customer and back
    "MarketplaceServiceItemDirectFlowLogistic": f.LOGISTICS,
    "MarketplaceServiceItemDirectFlowLogisticVDC": f.LOGISTICS,
    "MarketplaceServiceItemDeliveryKGT": f.LOGISTICS,
    "MarketplaceServiceItemDropoffPPZ": f.LOGISTICS,
    "OperationItemReturn": f.RETURN_LOGISTICS,
    "OperationReturnGoodsFBSofRMS": f.RETURN_LOGISTICS,
    "MarketplaceServiceItemReturnFlowLogistic": f.RETURN_LOGISTICS,
    "MarketplaceServiceItemRedistributionReturnsPVZ": f.RETURN_LOGISTICS,
    **{("*", name): f.LOGISTICS for name in _LOGISTICS_SERVICES},
    **{("*", name): f.RETURN_LOGISTICS for name in _RETURN_SERVICES},
    # storage
    **{name: f.STORAGE for name in _STORAGE},
    **{("*", name): f.STORAGE for name in _STORAGE},
    # acquiring
    "MarketplaceRedistributionOfAcquiringOperation": f.ACQUIRING,
    ("*", "MarketplaceRedistributionOfAcquiringOperation"): f.ACQUIRING,
    # delivery of the goods to Ozon's warehouse (cross-docking): ⚠ booked with acceptance
    "OperationMarketplaceCrossDockServiceWriteOff": f.ACCEPTANCE,
    ("*", "ItemAdvertisementForSupplierLogistic"): f.ACCEPTANCE,
    ("*", "ItemAdvertisementForSupplierLogisticSeller"): f.ACCEPTANCE,
    # promotion, reviews, premium
    "MarketplaceMarketingActionCostOperation": f.ADVERTISING,
    "MarketplaceSaleReviewsOperation": f.ADVERTISING,
    "OperationElectronicServiceStencil": f.ADVERTISING,
    "OperationElectronicServicesPromotionInSearch": f.ADVERTISING,
    "OperationMarketplaceServiceItemElectronicServicesBrandShelf": f.ADVERTISING,
    "OperationMarketplaceServicePremiumCashback": f.ADVERTISING,
    "MarketplaceServicePremiumCashback": f.ADVERTISING,
    "MarketplaceServicePremiumPromotion": f.ADVERTISING,
    "MarketplaceServicePremiumCashbackIndividualPoints": f.ADVERTISING,
    "ItemAgentServiceStarsMembership": f.ADVERTISING,
    **{("*", name): f.ADVERTISING for name in _ADVERTISING_SERVICES},
    "OperationSubscriptionPremium": f.OTHER,
    # other services of the services[] lists
    ("*", "MarketplaceServiceItemMarkingItems"): f.OTHER,
    ("*", "MarketplaceServiceItemFlexiblePaymentSchedule"): f.OTHER,
    ("*", "MarketplaceServiceItemReturnFromStock"): f.OTHER,
    ("*", "OperationMarketplaceAgencyFeeAggregator3PLGlobal"): f.OTHER,
    # fines and withholdings
    "OperationMarketplaceWithHoldingForUndeliverableGoods": f.PENALTY,
    ("*", "OperationMarketplaceWithHoldingForUndeliverableGoods"): f.PENALTY,
    # compensations
    "OperationLackWriteOff": f.COMPENSATION,
    "OperationDefectiveWriteOff": f.COMPENSATION,
    "MarketplaceSellerCompensationOperation": f.COMPENSATION,
    "OperationClaim": f.COMPENSATION,
    "MarketplaceSellerShippingCompensationReturnOperation": f.COMPENSATION,
    # rFBS: the buyer's payment for the seller's delivery and its return (⚠ other)
    "MarketplaceSellerReexposureDeliveryReturnOperation": f.OTHER,
    "ReturnAgentOperationRFBS": f.OTHER,
    # settlements
    "OperationCorrectionSeller": f.OTHER,
    "MarketplaceSellerCorrectionOperation": f.OTHER,
    "OperationSetOff": f.OTHER,
    # the realization report (operation "realization"), by component
    ("realization", "delivery.amount"): f.SALE,
    ("realization", "return.amount"): f.RETURN,
    ("realization", "delivery.commission"): f.COMMISSION,
    ("realization", "return.commission"): f.COMMISSION,
    "realization": f.LOYALTY,  # bonus, compensation, co-investments, rest
    # the payouts of the cash-flow statement
    "payout": f.PAYOUT,
}
KNOWN_OPERATIONS = frozenset(k if isinstance(k, str) else k[0] for k in DEFAULT_CATEGORIES) - {"*"}

_OPERATION_TYPE = re.compile(r"^[A-Za-z0-9_]{1,128}$")
_OPERATION_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$")
MAX_SERVICES = 200
MAX_ITEMS = 1000


def default_category(operation, component):
    """The seed category of an operation's component (see :data:`DEFAULT_CATEGORIES`)."""
    if operation not in KNOWN_OPERATIONS:
        return ""
    for key in ((operation, component), ("*", component), operation):
        if key in DEFAULT_CATEGORIES:
            return DEFAULT_CATEGORIES[key]
    return ""


# --- periods ----------------------------------------------------------------------------------

def month_slices(date_from, date_to):
    """[(first, last)] of the calendar months [date_from, date_to] touches, cut to it."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    slices, start = [], date_from
    while start <= date_to:
        last = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
        slices.append((start, min(last, date_to)))
        start = last + timedelta(days=1)
    return slices


def slice_key(first, last):
    """``ozon:transactions:2026-11`` for a whole month, else the slice's dates."""
    whole = first.day == 1 and last.day == calendar.monthrange(last.year, last.month)[1] and first.month == last.month
    if whole:
        return f"ozon:transactions:{first:%Y-%m}"
    return f"ozon:transactions:{first:%Y-%m-%d}..{last:%Y-%m-%d}"


def _day(value):
    """A date; a datetime gives its Moscow day (a naive one is taken as Moscow time)."""
    if isinstance(value, datetime):
        return (value.astimezone(MSK) if value.tzinfo else value).date()
    return value


def _utc_stamp(moment):
    """``YYYY-MM-DDThh:mm:ss.sssZ`` (the spec's format of the period filters)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def period_filter(first, last):
    """``{from, to}`` of Moscow days [first, last], in UTC, to the millisecond."""
    start = datetime.combine(first, time(0), MSK)
    end = datetime.combine(last, time(23, 59, 59, 999000), MSK)
    return {"from": _utc_stamp(start), "to": _utc_stamp(end)}


# --- parsers ----------------------------------------------------------------------------------

def _amount(value, label, ext):
    try:
        return f.decimal(value, label)
    except ValueError as err:
        raise o.PayloadError(str(err), ext) from None


def _operation_date(value, ext):
    if not isinstance(value, str) or not _OPERATION_DATE.match(value.strip()):
        raise o.PayloadError(f"operation_date is not a date and time: {str(value)[:40]!r}", ext)
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise o.PayloadError(f"operation_date is not a date and time: {value[:40]!r}", ext) from None
    return moment.replace(tzinfo=MSK)


def _posting_ref(raw, ext):
    posting = raw.get("posting")
    if posting is None:
        return ""
    if not isinstance(posting, dict):
        raise o.PayloadError("posting is not an object", ext)
    number = posting.get("posting_number")
    if number in (None, ""):
        return ""
    if not isinstance(number, str) or not _POSTING_NUMBER.match(number):
        raise o.PayloadError(f"posting_number has an unexpected form: {str(number)[:40]!r}", ext)
    return number


def _items(raw, ext):
    items = raw.get("items") or []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise o.PayloadError("items is not a list", ext)
    skus = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise o.PayloadError(f"item {i} is not an object", ext)
        skus.append(_number_id(o.require(item, "sku", ext), f"item {i} sku", ext))
    return skus


def _components(raw, ext):
    """[(component, Decimal)] of an operation, the non-zero ones."""
    result = []
    for name in COMPONENT_FIELDS:
        value = _amount(raw.get(name), name, ext)
        if value:
            result.append((name, value))
    services = raw.get("services") or []
    if not isinstance(services, list) or len(services) > MAX_SERVICES:
        raise o.PayloadError("services is not a list", ext)
    seen = {}
    for i, service in enumerate(services, 1):
        if not isinstance(service, dict):
            raise o.PayloadError(f"service {i} is not an object", ext)
        name = o.text(service.get("name"), f"service {i} name", ext, max_len=128)
        if not _OPERATION_TYPE.match(name):
            raise o.PayloadError(f"service {i} name is not a service name: {name[:40]!r}", ext)
        value = _amount(service.get("price"), f"service {i} price", ext)
        if not value:
            continue
        seen[name] = seen.get(name, 0) + 1
        result.append((name if seen[name] == 1 else f"{name}#{seen[name]}", value))
    return result


def _peek_operation(raw):
    posting = raw.get("posting") if isinstance(raw, dict) else None
    number = posting.get("posting_number") if isinstance(posting, dict) else None
    return number if isinstance(number, str) and number and len(number) <= 64 else None


@o.guarded("operation", _peek_operation)
def parse_operation(raw, report_key="", categories=None):
    """One operation of ``/v3/finance/transaction/list`` -> [FinanceLine] (see the module doc);
    PayloadError when it cannot be read.  ``categories``: (operation, component) -> category,
    default :func:`default_category`."""
    if not isinstance(raw, dict):
        raise o.PayloadError(f"an operation must be an object, got {type(raw).__name__}", None, raw)
    ext = _peek_operation(raw)
    try:
        op_id = _number_id(o.require(raw, "operation_id", ext), "operation_id", ext)
        operation = o.text(o.require(raw, "operation_type", ext), "operation_type", ext, max_len=128)
        if not _OPERATION_TYPE.match(operation):
            raise o.PayloadError(f"operation_type is not an operation type: {operation[:40]!r}", ext)
        moment = _operation_date(o.require(raw, "operation_date", ext), ext)
        amount = _amount(o.require(raw, "amount", ext), "amount", ext)
        order_ref = _posting_ref(raw, ext)
        skus = _items(raw, ext)
        components = _components(raw, ext)
    except o.PayloadError as err:
        err.raw = raw
        raise
    if not components:
        components = [("amount", amount)]
    else:
        rest = amount - sum(value for _, value in components)
        if rest:
            components.append(("rest", rest))
    categorize = categories or default_category
    row_key = f"ozon:{op_id}"
    product = skus[0] if len(set(skus)) == 1 else ""
    correction = operation in CORRECTION_OPERATIONS
    lines = []
    for component, value in components:
        quantity = 0
        if component == "accruals_for_sale":
            quantity = len(skus) if value > 0 else -len(skus)
        lines.append(f.FinanceLine(
            key=f"{row_key}:{component}", row_key=row_key, report_key=report_key, operation=operation,
            component=component, category=categorize(operation, component), date=moment, amount=value,
            order_ref=order_ref, product_ref=product, quantity=quantity, correction=correction, raw=raw))
    return lines


def _moscow_date(value, label):
    """A header date (``2026-11-30``, or a date-time: its Moscow day) as a date."""
    if not isinstance(value, str) or not value or len(value) > 40:
        raise o.PayloadError(f"{label} is missing")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise o.PayloadError(f"{label} is not a date: {value[:40]!r}") from None
    return (moment.astimezone(MSK) if moment.tzinfo else moment).date()


def parse_realization(result, month_first, categories=None):
    """The answer of ``/v2/finance/realization`` -> (FinanceReport, [FinanceLine], [PayloadError])."""
    if not isinstance(result, dict) or not isinstance(result.get("header"), dict):
        raise o.PayloadError("the realization report has no header")
    header = result["header"]
    rows = result.get("rows") or []
    if not isinstance(rows, list):
        raise o.PayloadError("the realization report's rows are not a list")
    last = date(month_first.year, month_first.month, calendar.monthrange(month_first.year, month_first.month)[1])
    key = f"ozon:realization:{month_first:%Y-%m}"
    start = _moscow_date(header["start_date"], "start_date") if header.get("start_date") else month_first
    stop = _moscow_date(header["stop_date"], "stop_date") if header.get("stop_date") else last
    created = None
    if header.get("doc_date"):
        created = datetime.combine(_moscow_date(header["doc_date"], "doc_date"), time(0), MSK)
    totals = {name: _amount(header.get(name), name, None) for name in ("doc_amount", "vat_amount")}
    report = f.FinanceReport(
        key=key, kind="realization", date_from=start, date_to=stop,
        currency=_currency(header.get("currency_sys_name")), number=o.text(header.get("number"), "number",
                                                                             required=False, max_len=64),
        created=created, to_pay=totals["doc_amount"], totals=totals, raw=header, booked=False)
    moment = datetime.combine(stop, time(0), MSK)
    lines, errors = [], []
    for index, row in enumerate(rows, 1):
        try:
            lines.extend(_realization_row(row, index, key, moment, report.currency, categories))
        except o.PayloadError as err:
            err.raw = row
            errors.append(err)
        except Exception as exc:  # noqa: BLE001 - an unreadable row is an error of its own
            errors.append(o.PayloadError(f"unreadable realization row ({type(exc).__name__})", None, row))
    return report, lines, errors


def _currency(value):
    text = str(value or "").strip().upper()
    if text in ("", "RUR"):
        return "RUB"
    return text if re.fullmatch(r"[A-Z]{3}", text) else "RUB"


def _realization_row(row, index, report_key, moment, currency, categories):
    if not isinstance(row, dict):
        raise o.PayloadError(f"realization row {index} is not an object")
    number = row.get("rowNumber", index)
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise o.PayloadError(f"realization row {index}: rowNumber is not a number")
    item = row.get("item")
    if not isinstance(item, dict):
        raise o.PayloadError(f"realization row {number}: no item")
    sku = _number_id(o.require(item, "sku"), f"realization row {number} sku", None)
    offer = o.text(item.get("offer_id"), "offer_id", required=False, max_len=200)
    barcode = o.text(item.get("barcode"), "barcode", required=False, max_len=64)
    row_key = f"{report_key}:{number}"
    categorize = categories or default_category
    lines = []
    for block, sign in (("delivery", 1), ("return", -1)):
        data = row.get(f"{block}_commission")
        if data is None:
            continue
        if not isinstance(data, dict):
            raise o.PayloadError(f"realization row {number}: {block}_commission is not an object")
        quantity = data.get("quantity") or 0
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise o.PayloadError(f"realization row {number}: {block} quantity is not a number")
        parts = []
        for name, part_sign in REALIZATION_COMPONENTS:
            value = _amount(data.get(name), f"{block} {name}", None)
            if value:
                parts.append((name, sign * part_sign * value))
        total = sign * _amount(data.get("total"), f"{block} total", None)
        rest = total - sum(value for _, value in parts)
        if rest:
            parts.append(("rest", rest))
        for name, value in parts:
            component = f"{block}.{name}"
            lines.append(f.FinanceLine(
                key=f"{row_key}:{component}", row_key=row_key, report_key=report_key, operation="realization",
                component=component, category=categorize("realization", component), date=moment, amount=value,
                currency=currency, offer=offer, product_ref=sku, barcode=barcode,
                quantity=sign * quantity if name == "amount" else 0, raw=row))
    return lines


def _period_id(period, label):
    if not isinstance(period, dict):
        raise o.PayloadError(f"{label}: no period")
    return _number_id(o.require(period, "id"), f"{label} period id", None)


def parse_cash_flows(result):
    """The answer of ``/v1/finance/cash-flow-statement/list`` -> ([(period id, begin, end,
    cash flow, details)], [PayloadError]).  ``details`` (an object or a list of them, one a
    period) are matched to the cash flows by ``period.id``; with one of each, they belong
    together."""
    flows = result.get("cash_flows") or []
    details = result.get("details") or []
    if isinstance(details, dict):
        details = [details]
    if not isinstance(flows, list) or not isinstance(details, list):
        raise o.PayloadError("cash_flows or details is not a list")
    by_period, errors = {}, []
    for detail in details:
        try:
            by_period[_period_id(detail.get("period") if isinstance(detail, dict) else None, "details")] = detail
        except o.PayloadError as err:
            err.raw = detail
            errors.append(err)
    periods = []
    for flow in flows:
        try:
            ident = _period_id(flow.get("period") if isinstance(flow, dict) else None, "cash flow")
            begin = o.timestamp(o.require(flow["period"], "begin"), "period begin")
            end = o.timestamp(o.require(flow["period"], "end"), "period end")
        except o.PayloadError as err:
            err.raw = flow
            errors.append(err)
            continue
        detail = by_period.get(ident)
        if detail is None and len(flows) == 1 and len(details) == 1:
            detail = details[0]
        periods.append((ident, begin, end, flow, detail or {}))
    return periods, errors


def payout_lines(ident, end, flow, detail, report_key):
    """The payout lines of one cash-flow period: one per ``payments[]`` item paid."""
    payments = detail.get("payments") or []
    if isinstance(payments, dict):
        payments = [payments]
    if not isinstance(payments, list):
        raise o.PayloadError(f"cash-flow period {ident}: payments is not a list", None, detail)
    row_key = f"ozon:payout:{ident}"
    raw = {"cash_flow": flow, "details": detail}
    lines = []
    for n, payment in enumerate(payments, 1):
        if not isinstance(payment, dict):
            raise o.PayloadError(f"cash-flow period {ident}: payment {n} is not an object", None, detail)
        value = _amount(payment.get("payment"), f"payment {n}", None)
        if not value:
            continue
        lines.append(f.FinanceLine(
            key=f"{row_key}:{n}", row_key=row_key, report_key=report_key, operation="payout", component="payment",
            category=default_category("payout", "payment"), date=end, amount=value,
            currency=_currency(payment.get("currency_code") or flow.get("currency_code")), raw=raw))
    return lines


# --- the capability -----------------------------------------------------------------------------

class OzonFinance:
    """Finance reports of the account: a mixin of :class:`~.OzonAdapter` (it calls the
    :class:`~.client.OzonClient`'s ``_post``)."""

    finance_page_size = PAGE_SIZE

    def fetch_finance(self, date_from, date_to, **options):
        """Reports and lines of Moscow days [date_from, date_to] (see the module docstring).

        ``options``: ``page_size`` (operations a page, at most 1000), ``realization``
        (False: no realization reports), ``payouts`` (False: no cash-flow statement),
        ``today`` (a date, Moscow: which months have ended; default now)."""
        date_from, date_to = _day(date_from), _day(date_to)
        result = f.FinanceFetch()
        page_size = min(int(options.get("page_size") or self.finance_page_size), PAGE_SIZE)
        for first, last in month_slices(date_from, date_to):
            self._transactions_slice(first, last, page_size, options, result)
        if options.get("realization", True):
            today = options.get("today") or datetime.now(MSK).date()
            months = {(first.year, first.month) for first, _ in month_slices(date_from, date_to)}
            for year, month in sorted(months):
                if date(year, month, calendar.monthrange(year, month)[1]) < today:
                    self._realization(year, month, result, options.get("categories"))
        return result

    # --- transactions -------------------------------------------------------------------------
    def _operations(self, first, last, page_size):
        path = "/v3/finance/transaction/list"
        body = {"filter": {"date": period_filter(first, last), "transaction_type": "all"}, "page_size": page_size}
        page = 1
        while True:
            answer = self._post(path, dict(body, page=page))
            data = answer.get("result") if isinstance(answer, dict) else None
            operations = data.get("operations") if isinstance(data, dict) else None
            if not isinstance(operations, list):
                raise self._shape_error(path, "no list of operations")
            yield from operations
            count = data.get("page_count")
            if not isinstance(count, int) or isinstance(count, bool):
                raise self._shape_error(path, "no page_count")
            if page >= count or not operations:
                return
            page += 1
            if page > self.max_pages * 20:
                raise ApiError(f"Ozon {path}: paging did not end after {page - 1} pages", 200)

    def _totals(self, first, last):
        path = "/v3/finance/transaction/totals"
        answer = self._post(path, {"date": period_filter(first, last), "transaction_type": "all"})
        data = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise self._shape_error(path, "no result")
        try:
            return {name: f.decimal(data.get(name), name) for name in TOTAL_FIELDS}
        except ValueError as err:
            raise self._shape_error(path, str(err)) from None

    def _transactions_slice(self, first, last, page_size, options, result):
        key = slice_key(first, last)
        totals = self._totals(first, last)
        lines, operations_sum = [], Decimal(0)
        categories = options.get("categories")
        for raw in self._operations(first, last, page_size):
            try:
                parsed = parse_operation(raw, key, categories)
            except o.PayloadError as err:
                result.errors.append(err)
                continue
            lines.extend(parsed)
            operations_sum += sum(line.amount for line in parsed)
        if options.get("payouts", True):
            lines.extend(self._payouts(first, last, key, result))
        totals["operations_sum"] = operations_sum
        result.reports.append(f.FinanceReport(
            key=key, kind="transactions", date_from=first, date_to=last,
            to_pay=sum((totals[name] for name in TOTAL_FIELDS), Decimal(0)), totals=totals))
        result.lines.extend(lines)

    # --- payouts --------------------------------------------------------------------------------
    def _payouts(self, first, last, report_key, result):
        """Payout lines of the cash-flow periods that begin in [first, last]."""
        path = "/v1/finance/cash-flow-statement/list"
        body = {"date": period_filter(first, last), "with_details": True, "page_size": CASH_FLOW_PAGE}
        lines, page = [], 1
        start = datetime.combine(first, time(0), MSK)
        end = datetime.combine(last + timedelta(days=1), time(0), MSK)
        while True:
            answer = self._post(path, dict(body, page=page))
            data = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(data, dict):
                raise self._shape_error(path, "no result")
            try:
                periods, errors = parse_cash_flows(data)
            except o.PayloadError as err:
                raise self._shape_error(path, err.message) from None
            result.errors.extend(errors)
            for ident, begin, period_end, flow, detail in periods:
                if not start <= begin < end:
                    continue
                try:
                    lines.extend(payout_lines(ident, period_end, flow, detail, report_key))
                except o.PayloadError as err:
                    result.errors.append(err)
            count = data.get("page_count")
            if not isinstance(count, int) or isinstance(count, bool) or page >= count or not periods:
                return lines
            page += 1
            if page > self.max_pages:
                raise ApiError(f"Ozon {path}: paging did not end after {page - 1} pages", 200)

    # --- the realization report ---------------------------------------------------------------
    def _realization(self, year, month, result, categories=None):
        path = "/v2/finance/realization"
        try:
            answer = self._post(path, {"month": month, "year": year})
        except ApiError as err:
            if err.status == 404:  # not ready, or no report for the month: nothing to read
                return
            raise
        data = answer.get("result") if isinstance(answer, dict) else None
        try:
            report, lines, errors = parse_realization(data, date(year, month, 1), categories)
        except o.PayloadError as err:
            err.raw = data
            result.errors.append(err)
            return
        result.reports.append(report)
        result.lines.extend(lines)
        result.errors.extend(errors)
