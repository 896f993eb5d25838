"""Ozon finance reports (:class:`OzonFinance`) of the postings the emulator generated.

Routes (all in the spec file):

* ``/v3/finance/transaction/list`` — the operations of a period (``filter.date``, at most
  one calendar month: more is Ozon's 400 ``PERIOD_IS_TOO_LONG``), ``page`` from 1,
  ``page_size`` 1..1000 (ASSUMPTION: the limit the method's page gives; the spec file has
  none), ``page_count`` / ``row_count``; filters ``posting_number``, ``operation_type[]``,
  ``transaction_type``.
* ``/v3/finance/transaction/totals`` — the totals of the same selection; they partition
  every operation's ``amount`` exactly, so that their sum is what the list adds up to.
* ``/v2/finance/realization`` — the monthly report of a month that has ended (a month not
  ended yet: 404, ASSUMPTION: Ozon's "report not ready"), built from the same operations:
  a row per (SKU, seller's price) with the delivered and returned quantities, amounts and
  commissions.
* ``/v1/finance/cash-flow-statement/list`` — the halves of the months (1–15, 16–end) with
  operations: sums and ``details.payments`` (what Ozon paid: the half's operations, clean).
  The spec file's answer schema of this method cannot be used (``"type": "array", "items":
  null`` beside a ``$ref`` for ``details`` and ``payments``: openapi-core fails on it), so the
  route carries its own schemas (:data:`EXTRA_SCHEMAS`): the spec file's request schema as it
  stands and its answer schema with those two fields read as the arrays their ``type``
  says, of the ``$ref``'d objects (the spec file's example also shows ``payments`` as a list).

The data (``finance_control``, also over ``POST /_emulator/finance``):

* ``settle`` — postings become delivered and get their operations in a month (``month``
  "YYYY-MM", default the previous one): the sale ``OperationAgentDeliveredToCustomer``
  (``accruals_for_sale`` = Σ ``products[].price`` × ``quantity``, the order import's default
  revenue, ``sale_commission`` 15 % a line, services ``MarketplaceServiceItemDirectFlowLogistic``
  and ``MarketplaceServiceItemDelivToCustomer``; an rFBS posting has none, the seller
  delivers), the acquiring ``MarketplaceRedistributionOfAcquiringOperation`` (1.5 %); for the
  ``returns``: ``ClientReturnAgentOperation`` (the price back, the commission refunded) and
  ``OperationItemReturn`` (return logistics and processing); and, with ``charges`` (default),
  the month's storage, promotion, a penalty (withholding for an undelivered item) and a
  compensation for goods lost at the warehouse.
  A returned posting stays ``delivered`` (Ozon's return after delivery is an operation of its
  own, not a status of the posting).
* ``inject`` — ``kind``: ``missing_sale`` (a settled posting's sale taken out of the report),
  ``double_charge`` (a charge repeated under a new operation id), ``wrong_commission`` (a
  sale's commission off by ``amount``, default 10.00, and its total with it),
  ``payout_short`` (a half's payout short by ``amount``, default 0.01), ``correction`` (a
  sale reversed by ``OperationAgentStornoDeliveredToCustomer`` and accrued again by
  ``OperationAgentDeliveredToCustomerCanceled`` with its commission off by ``amount``),
  ``unknown_operation`` (an operation type Ozon added later), ``amount_mismatch`` (a sale
  whose ``amount`` is not the sum of its parts).  Every injection is recorded in
  :attr:`fin_injected` (and returned).

Ozon's ``operation_date`` is written ``"YYYY-MM-DD HH:MM:SS"`` in Moscow time (ASSUMPTION,
as the adapter reads it).
"""
import calendar
import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from ..server import Reply
from .core import _BOOL, _INT, _NUM, _STR, KOPECK, _error, _iso, _parse_dt

MSK = timezone(timedelta(hours=3), "MSK")
COMMISSION_RATE = Decimal("0.15")
ACQUIRING_RATE = Decimal("0.015")
MAX_PAGE_SIZE = 1000

OPERATION_NAMES = {
    "OperationAgentDeliveredToCustomer": "Доставка покупателю",
    "OperationAgentDeliveredToCustomerCanceled": "Доставка покупателю — исправленное начисление",
    "OperationAgentStornoDeliveredToCustomer": "Доставка покупателю — отмена начисления",
    "MarketplaceRedistributionOfAcquiringOperation": "Оплата эквайринга",
    "ClientReturnAgentOperation": "Получение возврата, отмены, невыкупа от покупателя",
    "OperationItemReturn": "Доставка и обработка возврата, отмены, невыкупа",
    "OperationMarketplaceServiceStorage": "Услуга размещения товаров на складе",
    "MarketplaceMarketingActionCostOperation": "Услуги продвижения товаров",
    "OperationMarketplaceWithHoldingForUndeliverableGoods": "Удержание за недовложение товара",
    "OperationLackWriteOff": "Компенсация за утерянный на складе товар",
}
SCHEMA_NAMES = {"fbs": "FBS", "dbs": "RFBS", "fbo": "FBO"}

# --- the schemas of /v1/finance/cash-flow-statement/list (see the module docstring) ------------
_DATE_TIME = {"type": "string", "format": "date-time",
              "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"}
_PERIOD = {"type": "object", "properties": {"begin": _DATE_TIME, "end": _DATE_TIME, "id": _INT}}
_NAMED = {"type": "object", "properties": {"name": _STR, "price": _NUM}}
_SERVICES = {"type": "object", "properties": {"total": _NUM, "items": {"type": "array", "items": _NAMED}}}
CASH_FLOW_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["page", "page_size", "date"],
    "properties": {
        "date": {"type": "object", "additionalProperties": False, "required": ["from", "to"],
                 "properties": {"from": _DATE_TIME, "to": _DATE_TIME}},
        "page": {"type": "integer", "minimum": 1}, "page_size": {"type": "integer", "minimum": 1},
        "with_details": _BOOL,
    },
}
_CASH_FLOW = {"type": "object", "additionalProperties": False, "properties": {
    "period": _PERIOD, "orders_amount": _NUM, "returns_amount": _NUM, "commission_amount": _NUM,
    "services_amount": _NUM, "item_delivery_and_return_amount": _NUM, "currency_code": _STR}}
_DETAILS = {"type": "object", "additionalProperties": False, "properties": {
    "period": _PERIOD, "begin_balance_amount": _NUM, "end_balance_amount": _NUM, "invoice_transfer": _NUM,
    "loan": _NUM,
    "payments": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                            "properties": {"currency_code": _STR, "payment": _NUM}}},
    "delivery": {"type": "object", "properties": {"total": _NUM, "amount": _NUM, "delivery_services": _SERVICES}},
    "return": {"type": "object", "properties": {"total": _NUM, "amount": _NUM, "return_services": _SERVICES}},
    "rfbs": {"type": "object", "properties": {k: _NUM for k in (
        "total", "transfer_delivery", "transfer_delivery_return", "compensation_delivery_return",
        "partial_compensation", "partial_compensation_return")}},
    "services": _SERVICES, "others": _SERVICES}}
CASH_FLOW_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["result"],
    "properties": {"result": {"type": "object", "additionalProperties": False, "properties": {
        "cash_flows": {"type": "array", "items": _CASH_FLOW},
        "details": {"type": "array", "items": _DETAILS},
        "page_count": _INT}}},
}
EXTRA_SCHEMAS = {"/v1/finance/cash-flow-statement/list": (CASH_FLOW_REQUEST, CASH_FLOW_RESPONSE)}


def _money(value):
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def _digest(text, modulo):
    """A number drawn from a text (the same for the same posting, whatever the order of calls)."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % modulo


def _month(value):
    if isinstance(value, date):
        return value.year, value.month
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    year, month = str(value).split("-")[:2]
    return int(year), int(month)


def _month_days(year, month):
    return calendar.monthrange(year, month)[1]


def _halves(year, month):
    """The two cash-flow periods of a month: (id, begin, end), Moscow time."""
    last = _month_days(year, month)
    first_half = (int(f"{year}{month:02d}1"), datetime(year, month, 1, tzinfo=MSK),
                  datetime(year, month, 15, 23, 59, 59, tzinfo=MSK))
    second_half = (int(f"{year}{month:02d}2"), datetime(year, month, 16, tzinfo=MSK),
                   datetime(year, month, last, 23, 59, 59, tzinfo=MSK))
    return first_half, second_half


class OzonFinance:
    """The finance reports: a mixin of :class:`~.OzonApp` (it reads the postings of
    :class:`~.orders.OzonOrders` and the catalogue)."""

    def install_finance(self):
        #: operation_id -> the operation (Decimals; rendered by :meth:`_render_operation`)
        self.fin_ops = {}
        #: posting_number -> {"sale": op id, "acquiring": op id, "returned": bool, "month": (y, m)}
        self.fin_settled = {}
        #: what ``inject`` did, in order
        self.fin_injected = []
        #: cash-flow period id -> amount taken off its payout
        self.fin_payout_delta = {}
        self._fin_seq = 0
        self.add_post_routes({
            "/v3/finance/transaction/list": self._transaction_list,
            "/v3/finance/transaction/totals": self._transaction_totals,
            "/v2/finance/realization": self._realization,
            "/v1/finance/cash-flow-statement/list": self._cash_flow,
        })

    def reset_finance(self):
        self.fin_ops.clear()
        self.fin_settled.clear()
        self.fin_injected.clear()
        self.fin_payout_delta.clear()

    # --- control ------------------------------------------------------------------------------
    def finance_control(self, action, **options):
        """``settle`` or ``inject`` (see the module docstring); ``reset`` forgets every operation."""
        with self.lock:
            if action == "settle":
                return self.settle(**options)
            if action == "inject":
                return self.inject(**options)
            if action == "reset":
                self.reset_finance()
                return {"ok": True}
        raise ValueError(f"unknown finance action {action!r}")

    def settle(self, orders=None, count=None, returns=0, month=None, charges=True):
        """Postings delivered and their operations in ``month``; ``returns``: how many of
        them (or which) come back.  Returns {"month", "settled": [...], "returned": [...]}."""
        if month is None:
            today = datetime.now(MSK).date().replace(day=1) - timedelta(days=1)
            month = (today.year, today.month)
        year, mon = _month(month)
        if orders is None:
            candidates = sorted((p for p in self.orders.values() if p["posting_number"] not in self.fin_settled
                                 and p["status"] not in ("cancelled", "cancelled_from_split_pending")),
                                key=lambda p: (p["in_process_at"], p["posting_number"]))
            orders = [p["posting_number"] for p in candidates[:count if count is not None else len(candidates)]]
        settled = []
        for number in orders:
            posting = self.orders[number]
            if number in self.fin_settled:
                continue
            self._set(posting, "delivered")
            self._sale(posting, year, mon)
            settled.append(number)
        back = list(returns) if isinstance(returns, (list, tuple)) else settled[:int(returns or 0)]
        for number in back:
            self._return(self.orders[number], year, mon)
        if charges:
            self._charges(year, mon, settled)
        return {"month": f"{year}-{mon:02d}", "settled": settled, "returned": back}

    # --- building operations -----------------------------------------------------------------------
    def _new_op(self, operation_type, moment, kind, posting=None, **fields):
        self._fin_seq += 1
        op = {
            "operation_id": 31_000_000_000_000 + self._fin_seq, "operation_type": operation_type,
            "operation_type_name": OPERATION_NAMES.get(operation_type, operation_type), "date": moment,
            "type": kind, "posting": posting, "items": [], "lines": [],
            "accruals_for_sale": Decimal(0), "sale_commission": Decimal(0), "delivery_charge": Decimal(0),
            "return_delivery_charge": Decimal(0), "services": [], "amount_delta": Decimal(0),
        }
        op.update(fields)
        self.fin_ops[op["operation_id"]] = op
        return op

    @staticmethod
    def op_amount(op):
        """The operation's ``amount``: its parts, plus what was injected to break the sum."""
        if op.get("amount") is not None:
            return op["amount"]
        return (op["accruals_for_sale"] + op["sale_commission"] + op["delivery_charge"]
                + op["return_delivery_charge"] + sum((price for _, price in op["services"]), Decimal(0))
                + op["amount_delta"])

    def _sale_date(self, posting, year, month):
        day = 1 + _digest(posting["posting_number"], _month_days(year, month))
        return datetime(year, month, day, 10, _digest(posting["posting_number"] + "m", 60), tzinfo=MSK)

    def _posting_block(self, posting):
        return {"delivery_schema": SCHEMA_NAMES[posting["scheme"]],
                "order_date": posting["in_process_at"].astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S"),
                "posting_number": posting["posting_number"], "warehouse_id": posting["warehouse_id"]}

    def _goods(self, posting):
        """(items, lines) of a posting: an item an instance; a line per product with its
        price, quantity and commission."""
        items, lines = [], []
        for ln in posting["products"]:
            items += [{"name": ln["name"], "sku": ln["sku"]}] * ln["quantity"]
            barcode = (self.by_offer.get(ln["offer_id"]) or {}).get("barcode", "")
            lines.append({"sku": ln["sku"], "offer_id": ln["offer_id"], "name": ln["name"], "barcode": barcode,
                          "quantity": ln["quantity"], "price": ln["price"],
                          "commission": _money(ln["price"] * ln["quantity"] * COMMISSION_RATE)})
        return items, lines

    @staticmethod
    def sale_amount(posting):
        """What the sale books: Σ price × quantity (the order import's default revenue)."""
        return sum((ln["price"] * ln["quantity"] for ln in posting["products"]), Decimal(0))

    def _sale(self, posting, year, month):
        moment = self._sale_date(posting, year, month)
        items, lines = self._goods(posting)
        accrued = self.sale_amount(posting)
        services = []
        if posting["scheme"] != "dbs":
            units = sum(ln["quantity"] for ln in posting["products"])
            services = [("MarketplaceServiceItemDirectFlowLogistic", -_money(Decimal(63) + 7 * (units - 1))),
                        ("MarketplaceServiceItemDelivToCustomer", -min(_money(accrued * Decimal("0.055")),
                                                                      Decimal(500)))]
        sale = self._new_op("OperationAgentDeliveredToCustomer", moment, "orders", self._posting_block(posting),
                            items=items, lines=lines, accruals_for_sale=accrued,
                            sale_commission=-sum((ln["commission"] for ln in lines), Decimal(0)), services=services)
        acquiring = self._new_op("MarketplaceRedistributionOfAcquiringOperation", moment + timedelta(minutes=1),
                                 "other", self._posting_block(posting), items=list(items),
                                 amount=-_money(accrued * ACQUIRING_RATE))
        self.fin_settled[posting["posting_number"]] = {"sale": sale["operation_id"],
                                                       "acquiring": acquiring["operation_id"],
                                                       "returned": False, "month": (year, month)}

    def _return(self, posting, year, month):
        entry = self.fin_settled[posting["posting_number"]]
        if entry["returned"]:
            return
        sale = self.fin_ops[entry["sale"]]
        last = datetime(year, month, _month_days(year, month), 22, 0, tzinfo=MSK)
        moment = min(sale["date"] + timedelta(days=2), last)
        block = self._posting_block(posting)
        back = self._new_op("ClientReturnAgentOperation", moment, "returns", block, items=list(sale["items"]),
                            lines=[dict(ln) for ln in sale["lines"]], accruals_for_sale=-sale["accruals_for_sale"],
                            sale_commission=-sale["sale_commission"])
        logistics = self._new_op("OperationItemReturn", moment + timedelta(minutes=30), "returns", block,
                                 items=list(sale["items"]), services=[
                                     ("MarketplaceServiceItemReturnFlowLogistic", Decimal("-63.00")),
                                     ("MarketplaceServiceItemReturnAfterDelivToCustomer", Decimal("-15.00"))])
        entry.update(returned=True, ret=back["operation_id"], return_logistics=logistics["operation_id"])

    def _charges(self, year, month, settled):
        days = _month_days(year, month)
        self._new_op("OperationMarketplaceServiceStorage", datetime(year, month, days, 23, 0, tzinfo=MSK),
                     "services", amount=-_money(Decimal("12.40") * max(len(settled), 1)))
        self._new_op("MarketplaceMarketingActionCostOperation", datetime(year, month, 15, 12, 0, tzinfo=MSK),
                     "services", amount=Decimal("-500.00"))
        self._new_op("OperationMarketplaceWithHoldingForUndeliverableGoods",
                     datetime(year, month, min(20, days), 9, 0, tzinfo=MSK), "other", amount=Decimal("-250.00"))
        if settled:
            lost = self.orders[settled[0]]["products"][0]
            self._new_op("OperationLackWriteOff", datetime(year, month, min(10, days), 9, 0, tzinfo=MSK),
                         "compensation", items=[{"name": lost["name"], "sku": lost["sku"]}],
                         amount=_money(lost["price"] * Decimal("0.9")))

    # --- injections -----------------------------------------------------------------------------
    def _pick_settled(self, posting_number=None, returned=None):
        if posting_number:
            return posting_number, self.fin_settled[posting_number]
        for number, entry in self.fin_settled.items():
            if entry["sale"] in self.fin_ops and (returned is None or entry["returned"] == returned) \
                    and not entry.get("touched"):
                return number, entry
        raise ValueError("no settled posting left to inject into")

    def inject(self, kind, **options):
        handler = getattr(self, f"_inject_{kind}", None)
        if handler is None:
            raise ValueError(f"unknown finance injection {kind!r}")
        record = dict(handler(**options), kind=kind)
        self.fin_injected.append(record)
        return record

    def _inject_missing_sale(self, posting_number=None):
        number, entry = self._pick_settled(posting_number, returned=False)
        entry["touched"] = True
        sale = self.fin_ops.pop(entry["sale"])
        self.fin_ops.pop(entry["acquiring"], None)
        return {"posting_number": number, "operation_id": sale["operation_id"],
                "amount": str(sale["accruals_for_sale"])}

    def _inject_double_charge(self, posting_number=None, operation_id=None):
        if operation_id is None:
            number, entry = self._pick_settled(posting_number, returned=False)
            entry["touched"] = True
            operation_id = entry["acquiring"]
        original = self.fin_ops[int(operation_id)]
        copy = dict(original, items=list(original["items"]), lines=[], services=list(original["services"]))
        self._fin_seq += 1
        copy["operation_id"] = 31_000_000_000_000 + self._fin_seq
        copy["date"] = original["date"] + timedelta(hours=1)
        self.fin_ops[copy["operation_id"]] = copy
        return {"posting_number": (original["posting"] or {}).get("posting_number", ""),
                "operation_id": original["operation_id"], "duplicate_id": copy["operation_id"],
                "operation_type": original["operation_type"], "amount": str(self.op_amount(original))}

    def _inject_wrong_commission(self, posting_number=None, amount="10.00"):
        number, entry = self._pick_settled(posting_number, returned=False)
        entry["touched"] = True
        sale = self.fin_ops[entry["sale"]]
        expected = sale["sale_commission"]
        delta = Decimal(str(amount))
        sale["sale_commission"] = expected - delta
        sale["lines"][0]["commission"] += delta
        return {"posting_number": number, "operation_id": sale["operation_id"], "expected": str(expected),
                "actual": str(sale["sale_commission"])}

    def _inject_payout_short(self, month=None, half=1, amount="0.01"):
        if month is None:
            month = next(iter(self.fin_settled.values()))["month"]
        year, mon = _month(month)
        ident = _halves(year, mon)[int(half) - 1][0]
        self.fin_payout_delta[ident] = self.fin_payout_delta.get(ident, Decimal(0)) + Decimal(str(amount))
        return {"period_id": ident, "month": f"{year}-{mon:02d}", "short": str(amount)}

    def _inject_correction(self, posting_number=None, amount="5.00"):
        number, entry = self._pick_settled(posting_number, returned=False)
        entry["touched"] = True
        sale = self.fin_ops[entry["sale"]]
        reversed_ = {k: -sale[k] for k in ("accruals_for_sale", "sale_commission")}
        storno = self._new_op("OperationAgentStornoDeliveredToCustomer", sale["date"] + timedelta(days=1), "orders",
                              dict(sale["posting"]), items=list(sale["items"]),
                              lines=[dict(ln, quantity=-ln["quantity"], commission=-ln["commission"])
                                     for ln in sale["lines"]],
                              services=[(name, -price) for name, price in sale["services"]], **reversed_)
        delta = Decimal(str(amount))
        lines = [dict(ln) for ln in sale["lines"]]
        lines[0]["commission"] -= delta
        again = self._new_op("OperationAgentDeliveredToCustomerCanceled", sale["date"] + timedelta(days=1, minutes=1),
                             "orders", dict(sale["posting"]), items=list(sale["items"]), lines=lines,
                             accruals_for_sale=sale["accruals_for_sale"],
                             sale_commission=sale["sale_commission"] + delta, services=list(sale["services"]))
        return {"posting_number": number, "operation_id": sale["operation_id"], "storno_id": storno["operation_id"],
                "corrected_id": again["operation_id"], "commission_change": str(delta)}

    def _inject_unknown_operation(self, month=None, operation_type="OperationMarketplaceNewServiceFee2026",
                                  amount="-12.34"):
        if month is None:
            month = next(iter(self.fin_settled.values()))["month"]
        year, mon = _month(month)
        op = self._new_op(operation_type, datetime(year, mon, 12, 12, 0, tzinfo=MSK), "services",
                          amount=Decimal(str(amount)))
        return {"operation_id": op["operation_id"], "operation_type": operation_type, "amount": str(amount)}

    def _inject_amount_mismatch(self, posting_number=None, amount="0.05"):
        number, entry = self._pick_settled(posting_number, returned=False)
        entry["touched"] = True
        sale = self.fin_ops[entry["sale"]]
        sale["amount_delta"] += Decimal(str(amount))
        return {"posting_number": number, "operation_id": sale["operation_id"], "difference": str(amount)}

    # --- selection ------------------------------------------------------------------------------
    @staticmethod
    def _fin_period(date_filter):
        since, to = _parse_dt(date_filter["from"]), _parse_dt(date_filter["to"])
        if to < since:
            return None, None, _error(400, 3, "date.to must not be earlier than date.from")
        start = since.astimezone(MSK)
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        limit = start.replace(year=year, month=month, day=min(start.day, _month_days(year, month)))
        if to > limit:
            return None, None, _error(400, 3, "PERIOD_IS_TOO_LONG: the period must not be longer than one month")
        return since, to, None

    def _selected(self, since, to, posting_number="", operation_types=(), transaction_type="all"):
        types = set(operation_types or ())
        result = []
        for op in self.fin_ops.values():
            if not since <= op["date"] <= to:
                continue
            if posting_number and (op["posting"] or {}).get("posting_number") != posting_number:
                continue
            if types and op["operation_type"] not in types:
                continue
            if transaction_type not in ("", "all", None) and op["type"] != transaction_type:
                continue
            result.append(op)
        return sorted(result, key=lambda op: (op["date"], op["operation_id"]))

    # --- rendering ------------------------------------------------------------------------------
    def _render_operation(self, op):
        posting = op["posting"] or {"delivery_schema": "", "order_date": "", "posting_number": "", "warehouse_id": 0}
        return {
            "operation_id": op["operation_id"], "operation_type": op["operation_type"],
            "operation_date": op["date"].astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S"),
            "operation_type_name": op["operation_type_name"],
            "delivery_charge": float(op["delivery_charge"]),
            "return_delivery_charge": float(op["return_delivery_charge"]),
            "accruals_for_sale": float(op["accruals_for_sale"]), "sale_commission": float(op["sale_commission"]),
            "amount": float(self.op_amount(op)), "type": op["type"], "posting": dict(posting),
            "items": [dict(item) for item in op["items"]],
            "services": [{"name": name, "price": float(price)} for name, price in op["services"]],
        }

    # --- routes ---------------------------------------------------------------------------------
    def _transaction_list(self, params, query, body, headers):
        filt = body.get("filter") or {}
        page, size = body["page"], body["page_size"]
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, 3, f"page must be at least 1 and page_size 1..{MAX_PAGE_SIZE}")
        if filt.get("date"):
            since, to, error = self._fin_period(filt["date"])
            if error:
                return error
        elif filt.get("posting_number"):
            since, to = datetime(2010, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
        else:
            return _error(400, 3, "filter.date or filter.posting_number is required")
        selected = self._selected(since, to, filt.get("posting_number") or "", filt.get("operation_type"),
                                  filt.get("transaction_type") or "all")
        pages = (len(selected) + size - 1) // size
        chunk = selected[(page - 1) * size:page * size]
        return Reply(200, {"result": {"operations": [self._render_operation(op) for op in chunk],
                                      "page_count": pages, "row_count": len(selected)}})

    def totals_of(self, operations):
        """The totals of /v3/finance/transaction/totals: every operation's amount, split."""
        totals = dict.fromkeys(("accruals_for_sale", "sale_commission", "processing_and_delivery",
                                "refunds_and_cancellations", "services_amount", "compensation_amount",
                                "money_transfer", "others_amount"), Decimal(0))
        for op in operations:
            totals["accruals_for_sale"] += op["accruals_for_sale"]
            totals["sale_commission"] += op["sale_commission"]
            charges = op["delivery_charge"] + op["return_delivery_charge"] + sum(
                (price for _, price in op["services"]), Decimal(0))
            if op["type"] == "returns":
                totals["refunds_and_cancellations"] += charges
            else:
                totals["processing_and_delivery"] += charges
            parts = op["accruals_for_sale"] + op["sale_commission"] + charges
            rest = self.op_amount(op) - parts
            field = {"services": "services_amount", "compensation": "compensation_amount",
                     "transferDelivery": "money_transfer"}.get(op["type"], "others_amount")
            totals[field] += rest
        return totals

    def _transaction_totals(self, params, query, body, headers):
        if body.get("date"):
            since, to, error = self._fin_period(body["date"])
            if error:
                return error
            selected = self._selected(since, to, transaction_type=body.get("transaction_type") or "all")
        else:
            selected = [op for op in self.fin_ops.values()
                        if (op["posting"] or {}).get("posting_number") == body.get("posting_number")]
        return Reply(200, {"result": {k: float(v) for k, v in self.totals_of(selected).items()}})

    # --- the realization report -------------------------------------------------------------------
    def realization_rows(self, year, month):
        """{(sku, price): {"item", "delivery": {quantity, amount, commission}, "return": ...}} of a month."""
        since = datetime(year, month, 1, tzinfo=MSK)
        to = datetime(year, month, _month_days(year, month), 23, 59, 59, 999999, tzinfo=MSK)
        rows = {}
        blocks = dict.fromkeys(("OperationAgentDeliveredToCustomer", "OperationAgentDeliveredToCustomerCanceled",
                                "OperationAgentStornoDeliveredToCustomer"), "delivery")
        blocks["ClientReturnAgentOperation"] = "return"
        for op in self._selected(since, to):
            block = blocks.get(op["operation_type"])
            if block is None:
                continue
            for ln in op["lines"]:
                row = rows.setdefault((ln["sku"], ln["price"]), {
                    "item": {k: ln[k] for k in ("offer_id", "sku", "barcode", "name")},
                    "delivery": {"quantity": 0, "amount": Decimal(0), "commission": Decimal(0)},
                    "return": {"quantity": 0, "amount": Decimal(0), "commission": Decimal(0)}})
                part = row[block]
                part["quantity"] += ln["quantity"]
                part["amount"] += ln["price"] * ln["quantity"]
                part["commission"] += ln["commission"]
        return rows

    @staticmethod
    def _block(price, part):
        zero = 0.0
        return {"quantity": part["quantity"], "price_per_instance": float(price), "amount": float(part["amount"]),
                "standard_fee": float(part["commission"]), "bonus": zero, "commission": float(part["commission"]),
                "compensation": zero, "bank_coinvestment": zero, "stars": zero, "pick_up_point_coinvestment": zero,
                "total": float(part["amount"] - part["commission"])}

    def _realization(self, params, query, body, headers):
        year, month = body["year"], body["month"]
        if not 1 <= month <= 12 or year < 2000:
            return _error(400, 3, "month must be 1..12")
        last = date(year, month, _month_days(year, month))
        if last >= datetime.now(MSK).date():
            return _error(404, 5, "the realization report of this month is not ready")
        rows = self.realization_rows(year, month)
        rendered, doc_amount = [], Decimal(0)
        for number, ((sku, price), row) in enumerate(sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])), 1):
            doc_amount += (row["delivery"]["amount"] - row["delivery"]["commission"]
                           - row["return"]["amount"] + row["return"]["commission"])
            rendered.append({"rowNumber": number, "item": row["item"], "commission_ratio": float(COMMISSION_RATE),
                             "seller_price_per_instance": float(price),
                             "delivery_commission": self._block(price, row["delivery"]),
                             "return_commission": self._block(price, row["return"])})
        following = last + timedelta(days=5)
        header = {
            "contract_date": "2024-03-01", "contract_number": f"ИР-{self.CREDENTIALS['client_id']}/24",
            "currency_sys_name": "RUB", "doc_amount": float(doc_amount), "doc_date": following.isoformat(),
            "number": f"{self.CREDENTIALS['client_id']}-{year}{month:02d}",
            "payer_inn": "7704217370", "payer_kpp": "997750001", "payer_name": "ООО «Интернет Решения»",
            "receiver_inn": "7701234567", "receiver_kpp": "770101001", "receiver_name": "ООО «Продавец»",
            "start_date": date(year, month, 1).isoformat(), "stop_date": last.isoformat(),
            "vat_amount": float(_money(doc_amount * 22 / 122)),
        }
        return Reply(200, {"result": {"header": header, "rows": rendered}})

    # --- the cash-flow statement ------------------------------------------------------------------
    def payouts(self):
        """{period id: (begin, end, due, paid)} of the halves with operations."""
        result = {}
        months = {(op["date"].astimezone(MSK).year, op["date"].astimezone(MSK).month) for op in self.fin_ops.values()}
        for year, month in sorted(months):
            for ident, begin, end in _halves(year, month):
                ops = self._selected(begin, end)
                if not ops:
                    continue
                due = sum((self.op_amount(op) for op in ops), Decimal(0))
                result[ident] = (begin, end, due, due - self.fin_payout_delta.get(ident, Decimal(0)), ops)
        return result

    def _cash_flow(self, params, query, body, headers):
        since, to = _parse_dt(body["date"]["from"]), _parse_dt(body["date"]["to"])
        page, size = body["page"], body["page_size"]
        periods = [(ident, v) for ident, v in sorted(self.payouts().items()) if since <= v[0] <= to]
        chunk = periods[(page - 1) * size:page * size]
        flows, details = [], []
        for ident, (begin, end, due, paid, ops) in chunk:
            period = {"begin": _iso(begin), "end": _iso(end), "id": ident}
            logistics = sum((price for op in ops for _, price in op["services"]), Decimal(0))
            flows.append({
                "period": period, "currency_code": "RUB",
                "orders_amount": float(sum((op["accruals_for_sale"] for op in ops if op["accruals_for_sale"] > 0),
                                           Decimal(0))),
                "returns_amount": float(sum((op["accruals_for_sale"] for op in ops if op["accruals_for_sale"] < 0),
                                            Decimal(0))),
                "commission_amount": float(sum((op["sale_commission"] for op in ops), Decimal(0))),
                "services_amount": float(sum((self.op_amount(op) for op in ops if op["type"] == "services"),
                                             Decimal(0))),
                "item_delivery_and_return_amount": float(logistics),
            })
            if body.get("with_details"):
                details.append({"period": period, "begin_balance_amount": 0.0, "invoice_transfer": float(due),
                                "payments": [{"payment": float(paid), "currency_code": "RUB"}],
                                "end_balance_amount": float(due - paid), "loan": 0.0})
        answer = {"cash_flows": flows, "page_count": (len(periods) + size - 1) // size}
        if body.get("with_details"):
            answer["details"] = details
        return Reply(200, {"result": answer})
