"""Wildberries realization reports (:class:`WildberriesFinance`): ``fetch_finance``.

Calls (finance API, ``finance-api.wildberries.ru``; the current methods, in WB's spec
``13-finances.yaml`` as published in eslazarev/wildberries-sdk @1a8039f — the older
``GET /api/v5/supplier/reportDetailByPeriod`` of the spec file we keep was switched off in
July 2026):

* ``POST /api/finance/v1/sales-reports/list`` ``{dateFrom, dateTo, period, limit ≤ 1000,
  offset}``: the reports of the period with the cabinet's header totals (``bankPaymentSum`` =
  «Итого к оплате», ``forPaySum``, ``deliveryServiceSum``...), paged by ``offset``;
* ``POST /api/finance/v1/sales-reports/detailed`` ``{dateFrom, dateTo, period, limit ≤ 100 000,
  rrdId}``: the rows of the reports of the same period, paged by the ``rrdId`` of the last row
  given, until the answer is **204**; asked 20,000 rows a page (``detail_page``), not the
  100,000 allowed: a page of 100,000 rows is over a gigabyte of Python objects once decoded,
  and the import keeps a page at a time (:meth:`WildberriesFinance.iter_finance`), at the cost
  of a minute's wait more per 20,000 rows.  Every row names its ``reportId``, so one stream of rows
  serves every report of the period: fewer calls than one ``detailed/{reportId}`` stream per
  report (each call costs a minute).  ASSUMPTION (the spec words both the same way,
  "Начальная/Конечная дата отчёта"): both methods select the reports of a period alike; a row
  of a report the list did not give still becomes lines, under a report made from the row's
  own header fields whose ``to_pay`` is then the rows' own sum (``raw["rows_only"]``: nothing
  of WB's to reconcile it against).

Limits: **1 request a minute** per seller account for each method; the three are taken as one
(the stricter reading), a limiter of its own in the transport's clock and sleep (tests drive
them), one second of margin.  Over it WB answers 429 + ``X-Ratelimit-Retry``, which the
transport obeys.  Data exist from 29.01.2024.  No maximum period is documented; ⚠ WB may not
return everything for long periods (a third-party tool advises a month at most), so a period is
asked :data:`MAX_PERIOD_DAYS` days at a time; reports and rows met twice (a weekly report across
two slices) are kept once (keys: ``reportId``, ``rrdId``).  ``reportId`` of daily reports exceeds
2**53: JSON integers are read exactly (never through float) and kept as strings.  Money comes as
strings: :func:`~..finance.decimal`.

Rows -> lines (one :class:`~..finance.FinanceLine` per non-zero amount; a row whose amounts are
all zero still gives one line, component ``row``, so that nothing is lost).  Signs: WB writes
amounts as positive magnitudes; the direction of the goods amounts comes from ``docTypeName``
(``Возврат``: the buyer gave the goods back, subtracted), the service fields are charges
(subtracted; a negative one — a correction in the seller's favour — adds):

* goods (``docTypeName`` Продажа / Возврат, or any row with ``retailAmount``/``forPay``):
  ``retailAmount`` ± the sale («Вайлдберриз реализовал Товар (Пр)»; ``quantity`` ± the row's);
  ``remuneration`` ∓ (``retailAmount − forPay − acquiringFee``), WB's remuneration, derived as
  the finance README 1.4 says (it can be negative when WB funds its СПП discount); its
  ``vat_amount`` is the VAT WB states on its remuneration (``vwNds``), signed as a charge —
  ⚠ WB's own ``vw + vwNds`` need not equal the derived amount; ``acquiringFee`` ∓ the
  payment-acceptance fee.  DECISION: acquiring is *inside*
  ``retailAmount − forPay`` — the cabinet's «Итого к оплате» adds ``forPay`` and never subtracts
  ``acquiringFee`` again — so it is split out of the difference, and the three add up to
  ``± forPay`` exactly;
* ``deliveryService`` (``returnDeliveryService`` when ``bonusTypeName`` says the leg is from
  the buyer: "От клиента…"), ``paidStorage``, ``paidAcceptance``, ``deduction``
  (``advertisingDeduction`` when ``bonusTypeName`` names WB's promotion: «WB.Продвижение»),
  ``penalty``, ``cashbackAmount``, ``cashbackCommissionChange``: −value;
* ``additionalPayment`` (correction of WB's remuneration), ``cashbackDiscount`` (discount
  compensation), ``paymentSchedule`` (⚠ sign as reported: the spec's example is −1): +value;
* ``ppvzReward`` and ``rebillLogisticCost`` are WB's "услуги поверенного", already inside its
  remuneration: no line of their own (they stay in ``raw``).

So the lines of a report add up to ``forPaySum − deliveryServiceSum − paidStorageSum −
paidAcceptanceSum − deductionSum − penaltySum + additionalPaymentSum − cashbackAmountSum −
cashbackCommissionChangeSum + cashbackDiscountSum + paymentSchedule`` = ``bankPaymentSum``.
Payouts: WB's report states what it pays for the report (``bankPaymentSum``, «Итого к
оплате») but carries no bank transfer; each report gives one line of category ``payout``
(component ``bankPaymentSum``, row ``wb:report:<reportId>``) of that amount, for the
reconciliation to match with the bank statement and against the rows; a report whose total is
not positive (the seller owes WB: it is carried to the next payment) gives none.

``date``: the row's ``rrDate`` (the operation's day), at midnight Moscow time.
Categories: :data:`DEFAULT_CATEGORIES`, keyed by (``sellerOperName``, component), the seed of
the table the accountant edits; an operation it does not list gives category ``""`` (so does
⚠ «Бронирование товара через самовывоз», a sale in one public parser and a withholding in
another: left for the accountant to decide).
``correction``: the operations that correct earlier ones (Коррекция…, Корректировка…,
Сторно…, Пересчет…); WB does not say which row they correct (``corrects`` stays empty).
``order_ref``: the row's ``orderId``, the assembly task id, which is what the order import
stores as the order's external id (``srid`` is the task's ``rid``); 0 (FBO, services): "".
"""
import re
from datetime import date, datetime, timedelta, timezone

from .. import finance as f
from .. import orders as o
from ..finance import FinanceFetch, FinanceLine, FinanceReport
from ..transport import ApiError, RateLimiter

MSK = timezone(timedelta(hours=3))
#: the first day WB has data for
FIRST_DAY = date(2024, 1, 29)
#: days asked in one request (no maximum is documented: ⚠ see the module docstring)
MAX_PERIOD_DAYS = 31
#: reports a page of the list (at most 1000) and rows a page of the detail (at most 100 000)
LIST_PAGE = 1000
DETAIL_PAGE = 20000
#: seconds between two finance calls: the documented minute and a second of margin
CALL_INTERVAL = 61.0
PERIODS = ("weekly", "daily")

RETURN_DOC = "Возврат"
#: the goods amounts, whose direction comes from docTypeName
GOODS = ("retailAmount", "remuneration", "acquiringFee")
#: (field, sign): the service amounts and how each counts for the seller
SERVICES = (
    ("deliveryService", -1), ("paidStorage", -1), ("paidAcceptance", -1), ("deduction", -1), ("penalty", -1),
    ("additionalPayment", 1), ("cashbackAmount", -1), ("cashbackDiscount", 1), ("cashbackCommissionChange", -1),
    ("paymentSchedule", 1),
)
#: the header totals kept in FinanceReport.totals (bankPaymentSum is its to_pay)
TOTALS = ("retailAmountSum", "forPaySum", "deliveryServiceSum", "paidStorageSum", "paidAcceptanceSum",
          "deductionSum", "penaltySum", "additionalPaymentSum", "cashbackAmountSum", "cashbackDiscountSum",
          "cashbackCommissionChangeSum", "paymentSchedule")
#: a deduction whose kind (bonusTypeName) is WB's promotion: «WB.Продвижение», «Реклама»...
ADVERTISING_WORDS = re.compile(r"продвижени|реклам|медиа")
CORRECTION_PREFIXES = ("коррекция", "корректировка", "сторно", "пересчет", "пересчёт")


def _goods(category, remuneration=f.COMMISSION):
    return {"retailAmount": category, "remuneration": remuneration, "acquiringFee": f.ACQUIRING}


def _charge(component, category):
    return {component: category}


def _table():
    """(sellerOperName, component) -> category: the operations of the finance README 1.3."""
    by_operation = {
        "Продажа": _goods(f.SALE),
        "Корректная продажа": _goods(f.SALE),
        "Сторно возвратов": _goods(f.SALE),
        "Возврат": _goods(f.RETURN),
        "Сторно продаж": _goods(f.RETURN),
        "Корректный возврат": _goods(f.RETURN),
        "Коррекция продаж": _goods(f.SALE),
        "Компенсация ущерба": _goods(f.COMPENSATION),
        "Добровольная компенсация при возврате": _goods(f.COMPENSATION),
        "Компенсация подмененного товара": _goods(f.COMPENSATION),
        "Компенсация потерянного товара": _goods(f.COMPENSATION),
        "Компенсация брака": _goods(f.COMPENSATION),
        "Частичная компенсация брака": _goods(f.COMPENSATION),
        "Оплата брака": _goods(f.COMPENSATION),
        "Оплата потерянного товара": _goods(f.COMPENSATION),
        "Авансовая оплата за товар без движения": _goods(f.COMPENSATION),
        "Логистика": {"deliveryService": f.LOGISTICS, "returnDeliveryService": f.RETURN_LOGISTICS},
        "Коррекция логистики": {"deliveryService": f.LOGISTICS, "returnDeliveryService": f.RETURN_LOGISTICS},
        "Логистика сторно": {"deliveryService": f.LOGISTICS, "returnDeliveryService": f.RETURN_LOGISTICS},
        "Хранение": _charge("paidStorage", f.STORAGE),
        "Пересчет хранения": _charge("paidStorage", f.STORAGE),
        "Обработка товара": _charge("paidAcceptance", f.ACCEPTANCE),
        "Платная приемка": _charge("paidAcceptance", f.ACCEPTANCE),
        "Пересчет платной приемки": _charge("paidAcceptance", f.ACCEPTANCE),
        "Удержание": {"deduction": f.OTHER, "advertisingDeduction": f.ADVERTISING},
        # "услуги поверенного": inside WB's remuneration (their amounts are not lines of their own)
        "Возмещение издержек по перевозке/по складским операциям с товаром": _goods(f.COMMISSION),
        "Перевыставление расходов по логистике": _goods(f.COMMISSION),
        "Возмещение за выдачу и возврат товаров на ПВЗ": _goods(f.COMMISSION),
        "Услуга платной доставки": _charge("deduction", f.LOGISTICS),
        "Штраф": _charge("penalty", f.PENALTY),
        "Корректировка эквайринга": _goods(f.ACQUIRING, f.ACQUIRING),
        "Коррекция эквайринга": _goods(f.ACQUIRING, f.ACQUIRING),
        "Перевыставление эквайринга": _goods(f.ACQUIRING, f.ACQUIRING),
        "Стоимость участия в программе лояльности": _charge("cashbackCommissionChange", f.LOYALTY),
        "Сумма, удержанная за начисленные баллы программы лояльности": _charge("cashbackAmount", f.LOYALTY),
        "Компенсация скидки по программе лояльности": _charge("cashbackDiscount", f.LOYALTY),
        "Разовое изменение срока перечисления денежных средств": _charge("paymentSchedule", f.OTHER),
    }
    table = {}
    for operation, components in by_operation.items():
        for component, category in components.items():
            table[(operation, component)] = category
    # the amounts a row may carry besides its own: a correction of WB's remuneration is
    # commission, a loyalty field on a sale row is loyalty, whatever the operation
    for operation in by_operation:
        table.setdefault((operation, "row"), table.get((operation, "retailAmount"), f.OTHER))
        table.setdefault((operation, "additionalPayment"), f.COMMISSION)
        for component in ("cashbackAmount", "cashbackDiscount", "cashbackCommissionChange"):
            table.setdefault((operation, component), f.LOYALTY)
    return table


#: (sellerOperName, component) -> category (a code of lib.finance.CATEGORIES): the seed of
#: the accountant's table; an operation not here gives category "" (listed for review)
DEFAULT_CATEGORIES = _table()


# --- parsers ---------------------------------------------------------------------------------

def _int_id(value, label, ext=None):
    """A WB id as digits: JSON integers are exact in Python; a string of digits is taken too."""
    if isinstance(value, bool) or value is None or value == "":
        raise o.PayloadError(f"missing {label}", ext)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise o.PayloadError(f"{label} is not a Wildberries id: {str(value)[:24]!r}", ext)
    return str(value)


def _amount(row, key, ext):
    try:
        return f.decimal(row.get(key), key)
    except ValueError as exc:
        raise o.PayloadError(str(exc), ext) from None


def _day(value, label, ext, required=True):
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str):
        raise o.PayloadError(f"{label} is not a date: {str(value)[:24]!r}", ext)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise o.PayloadError(f"{label} is not a date: {value[:24]!r}", ext) from None


def _text(row, key, ext, max_len=500):
    return o.text(row.get(key), key, ext, required=False, max_len=max_len)


def _midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=MSK)


def is_correction(operation):
    return operation.strip().lower().startswith(CORRECTION_PREFIXES)


def category_of(operation, component, table=None):
    return (DEFAULT_CATEGORIES if table is None else table).get((operation, component), "")


def parse_report(raw, period="weekly"):
    """One item of ``sales-reports/list`` -> FinanceReport (``to_pay`` = ``bankPaymentSum``)."""
    if not isinstance(raw, dict):
        raise o.PayloadError("a report must be an object", None, raw)
    ident = _int_id(raw.get("reportId"), "reportId")
    try:
        totals = {key: _amount(raw, key, ident) for key in TOTALS}
        created = _day(raw.get("createDate"), "createDate", ident, required=False)
        return FinanceReport(
            key=f"wb:{ident}", kind=period, number=ident,
            date_from=_day(raw.get("dateFrom"), "dateFrom", ident), date_to=_day(raw.get("dateTo"), "dateTo", ident),
            currency=_text(raw, "currency", ident, 8) or "RUB", created=_midnight(created) if created else None,
            to_pay=_amount(raw, "bankPaymentSum", ident), totals=totals, raw=raw)
    except o.PayloadError as err:
        err.raw = raw
        raise


def payout_line(report):
    """The report's «Итого к оплате» as the payout WB states it makes (see the module doc)."""
    ident = report.number
    return FinanceLine(
        key=f"wb:report:{ident}:bankPaymentSum", row_key=f"wb:report:{ident}", report_key=report.key,
        operation="Итого к оплате", component="bankPaymentSum", category=f.PAYOUT,
        date=report.created or _midnight(report.date_to), amount=report.to_pay, currency=report.currency,
        raw=report.raw)


def _expected_remuneration(row, ext, sign):
    """WB's remuneration as the row states it: its ВВ (``vw`` + ``vwNds``, the commission percent
    of the price with the seller's discount) less the discount WB funds itself (СПП: the price
    with the seller's discount less what the buyer was charged), signed as the remuneration
    line.  ⚠ The composition follows the finance README (1.4); None when the row states no ВВ."""
    if row.get("vw") in (None, "") and row.get("vwNds") in (None, ""):
        return None
    stated = _amount(row, "vw", ext) + _amount(row, "vwNds", ext)
    funded = _amount(row, "retailPriceWithDisc", ext) - _amount(row, "retailAmount", ext)
    return -sign * (stated - funded)


def _row_amounts(row, ext):
    """[(component, amount, quantity, vat, expected)] of a row, signed from the seller's side."""
    doc = _text(row, "docTypeName", ext, 100)
    sign = -1 if doc == RETURN_DOC else 1
    retail, for_pay, acquiring = (_amount(row, k, ext) for k in ("retailAmount", "forPay", "acquiringFee"))
    amounts = []
    if retail or for_pay or acquiring:
        quantity = row.get("quantity") or 0
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise o.PayloadError(f"quantity is not a whole number: {str(quantity)[:24]!r}", ext)
        vat = _amount(row, "vwNds", ext)
        amounts += [
            ("retailAmount", sign * retail, sign * quantity, None, None),
            ("remuneration", -sign * (retail - for_pay - acquiring), 0, -sign * vat if vat else None,
             _expected_remuneration(row, ext, sign)),
            ("acquiringFee", -sign * acquiring, 0, None, None),
        ]
    for key, factor in SERVICES:
        value = _amount(row, key, ext)
        component = key
        kind = _text(row, "bonusTypeName", ext).lower()
        if key == "deliveryService" and kind.startswith("от клиента"):
            component = "returnDeliveryService"
        elif key == "deduction" and ADVERTISING_WORDS.search(kind):
            component = "advertisingDeduction"
        amounts.append((component, factor * value, 0, None, None))
    kept = [a for a in amounts if a[1] or a[2]]
    return kept or [("row", f.decimal(0), 0, None, None)]


def parse_row(raw, report_key=None, table=None):
    """One row of ``sales-reports/detailed`` -> its FinanceLines (see the module docstring).
    ``report_key`` defaults to the row's own ``wb:<reportId>``."""
    if not isinstance(raw, dict):
        raise o.PayloadError("a report row must be an object", None, raw)
    ident = _int_id(raw.get("rrdId"), "rrdId")
    try:
        report = report_key or f"wb:{_int_id(raw.get('reportId'), 'reportId', ident)}"
        operation = _text(raw, "sellerOperName", ident, 300)
        day = _day(raw.get("rrDate"), "rrDate", ident, required=False) or _day(
            raw.get("dateTo"), "dateTo", ident)
        order = raw.get("orderId")
        order_ref = _int_id(order, "orderId", ident) if order not in (None, "", 0) else ""
        product = raw.get("nmId")
        product_ref = _int_id(product, "nmId", ident) if product not in (None, "", 0) else ""
        common = {
            "row_key": f"wb:{ident}", "report_key": report, "operation": operation, "date": _midnight(day),
            "currency": _text(raw, "currency", ident, 8) or "RUB", "order_ref": order_ref,
            "offer": _text(raw, "vendorCode", ident, 200), "product_ref": product_ref,
            "barcode": _text(raw, "sku", ident, 64), "correction": is_correction(operation), "raw": raw,
        }
        return [FinanceLine(key=f"wb:{ident}:{component}", component=component,
                            category=category_of(operation, component, table), amount=amount,
                            quantity=quantity, vat_amount=vat, expected=expected, **common)
                for component, amount, quantity, vat, expected in _row_amounts(raw, ident)]
    except o.PayloadError as err:
        err.raw = raw
        raise


def slices(date_from, date_to, days=MAX_PERIOD_DAYS):
    """[date_from, date_to] as consecutive periods of at most ``days`` days (inclusive)."""
    start = max(date_from, FIRST_DAY)
    while start <= date_to:
        stop = min(start + timedelta(days=days - 1), date_to)
        yield start, stop
        start = stop + timedelta(days=1)


# --- the capability --------------------------------------------------------------------------

class WildberriesFinance:
    """Realization reports: a mixin of :class:`~.WildberriesAdapter`."""

    list_page = LIST_PAGE
    detail_page = DETAIL_PAGE
    max_period_days = MAX_PERIOD_DAYS

    def _finance_limiter(self):
        limiter = getattr(self, "_fin_limiter", None)
        if limiter is None:
            # one request a minute (kept in the transport's time, so that tests can drive it)
            limiter = self._fin_limiter = RateLimiter(rate=1 / CALL_INTERVAL, burst=1, clock=self.transport.clock,
                                                      sleep=self.transport.sleep)
        return limiter

    def _finance_call(self, path, body):
        self._finance_limiter().acquire()
        answer = self._call("finance", "POST", path, json_body=body)
        if answer is None:  # 204: no (more) data
            return []
        if not isinstance(answer, list):
            raise self._shape_error(path, "not a list")
        return answer

    def _report_list(self, start, stop, period):
        path = "/api/finance/v1/sales-reports/list"
        offset = 0
        for _ in range(self.max_pages):
            body = {"dateFrom": start.isoformat(), "dateTo": stop.isoformat(), "period": period,
                    "limit": self.list_page, "offset": offset}
            page = self._finance_call(path, body)
            yield from page
            if len(page) < self.list_page:
                return
            offset += len(page)
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)

    def _report_rows(self, start, stop, period):
        path = "/api/finance/v1/sales-reports/detailed"
        after = 0
        for _ in range(self.max_pages):
            body = {"dateFrom": start.isoformat(), "dateTo": stop.isoformat(), "period": period,
                    "limit": self.detail_page, "rrdId": after}
            page = self._finance_call(path, body)
            if not page:
                return
            yield from page
            if len(page) < self.detail_page:
                # a page short of the limit is the last one: the call that would answer 204 is
                # a minute of waiting (one request a minute) for nothing.  ⚠ The spec says to
                # page until 204; a short page before the end would be a WB bug we do not expect
                return
            last = page[-1].get("rrdId") if isinstance(page[-1], dict) else None
            if isinstance(last, bool) or not isinstance(last, int) or last <= after:
                raise self._shape_error(path, "a page whose last row has no usable rrdId")
            after = last
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)

    def fetch_finance(self, date_from, date_to, period="weekly", categories=None, **options):
        """The realization reports of [date_from, date_to] (Moscow dates): see the module doc.
        ``period``: ``weekly`` (default) or ``daily``; ``categories``: a table like
        :data:`DEFAULT_CATEGORIES` to use instead of it (the accountant's).  Other options
        (another marketplace's) are ignored."""
        result = FinanceFetch()
        for piece in self.iter_finance(date_from, date_to, period=period, categories=categories, **options):
            result.reports.extend(piece.reports)
            result.lines.extend(piece.lines)
            result.errors.extend(piece.errors)
        return result

    def iter_finance(self, date_from, date_to, period="weekly", categories=None, **options):
        """:meth:`fetch_finance` a page of rows at a time: each slice's reports first, then a
        piece per page of its rows; the payouts, and the reports only rows gave, last."""
        if period not in PERIODS:
            raise ValueError(f"Wildberries finance reports are weekly or daily, not {period!r}")
        if isinstance(date_from, datetime):
            date_from = date_from.astimezone(MSK).date()
        if isinstance(date_to, datetime):
            date_to = date_to.astimezone(MSK).date()
        reports, seen_rows, orphans = {}, set(), {}
        for start, stop in slices(date_from, date_to, self.max_period_days):
            head = FinanceFetch()
            for raw in self._report_list(start, stop, period):
                try:
                    report = parse_report(raw, period)
                except o.PayloadError as err:
                    head.errors.append(err)
                    continue
                if report.key not in reports:
                    reports[report.key] = report
                    head.reports.append(report)
            yield head
            piece = FinanceFetch()
            for raw in self._report_rows(start, stop, period):
                self._take_row(raw, piece, reports, seen_rows, orphans, categories)
                if len(piece.lines) >= self.detail_page:
                    yield piece
                    piece = FinanceFetch()
            yield piece
        tail = FinanceFetch()
        for key, report in reports.items():
            if report.to_pay > 0:
                tail.lines.append(payout_line(report))
        for key, (raw, lines) in orphans.items():
            if key not in reports:  # (a later slice's list may have given it after all)
                tail.reports.append(self._orphan_report(key, raw, lines, period))
                tail.lines.extend(lines)
        yield tail

    @staticmethod
    def _take_row(raw, result, reports, seen_rows, orphans, categories):
        ident = raw.get("rrdId") if isinstance(raw, dict) else None
        if isinstance(ident, int) and not isinstance(ident, bool):
            if ident in seen_rows:
                return
            seen_rows.add(ident)
        try:
            lines = parse_row(raw, table=categories)
        except o.PayloadError as err:
            result.errors.append(err)
            return
        report_key = lines[0].report_key
        if report_key not in reports:
            # kept until the report is made from its rows, at the end
            orphans.setdefault(report_key, (raw, []))[1].extend(lines)
            return
        result.lines.extend(lines)

    @staticmethod
    def _orphan_report(key, raw, lines, period):
        """A report the list did not give, from its rows' own header fields (module doc)."""
        number = key.split(":", 1)[1]
        try:
            date_from = _day(raw.get("dateFrom"), "dateFrom", number)
            date_to = _day(raw.get("dateTo"), "dateTo", number)
            created = _day(raw.get("createDate"), "createDate", number, required=False)
        except o.PayloadError:
            date_from = date_to = min(line.date for line in lines).date()
            created = None
        return FinanceReport(
            key=key, kind=period, number=number, date_from=date_from, date_to=date_to,
            currency=lines[0].currency, created=_midnight(created) if created else None,
            to_pay=sum((line.amount for line in lines), f.decimal(0)), totals={}, raw={"rows_only": True})
