"""Yandex Market finance reports (:class:`YandexFinance`): ``fetch_finance``.

The Market's finance data are reports made on request: ``POST v2/reports/<kind>/generate``
answers ``{reportId, estimatedGenerationTime}``; ``GET v2/reports/info/{reportId}`` tells the
status (``PENDING``, ``PROCESSING``, ``FAILED``, ``DONE``; ``subStatus`` ``NO_DATA``,
``TOO_LARGE``, ``RESOURCE_NOT_FOUND``) and, when done, a ``file`` link that is valid 60 minutes
and new on every call — so the file is downloaded at once, never stored as a link.  The
format asked is ``CSV``: a ZIP with one CSV per sheet, columns named as in the reports'
documentation ("Название колонки в CSV"), read here with :mod:`zipfile` and :mod:`csv`.  (The
``JSON`` form is documented by its column names only, not by the layout of its files; the
CSV files are read by public integrations the same way — a header row, comma-separated,
UTF-8 with or without a BOM.)

Reports read (column lists: the official pages ``reference/reports/generateUnitedNettingReport``
and ``…/generateGoodsRealizationReport`` of the Partner API documentation; the spec file has
only the requests):

* **Отчёт по платежам** — ``POST v2/reports/united-netting/generate`` with ``businessId``,
  ``dateFrom``/``dateTo`` (Moscow dates, at most 3 months: longer periods are cut in windows
  of :attr:`YandexFinance.netting_months` calendar months; a window the Market finds
  ``TOO_LARGE`` is cut in two and asked again).  Its sheet ``transaction_date`` has a row per
  money movement (``TRANSACTION_ID``, ``TRANSACTION_DATE``, ``ORDER_ID``, ``SHOP_SKU``,
  ``COUNT``, ``TRANSACTION_SUM`` signed, ``VAT_RATE``/``VAT_SUM``, ``TRANSACTION_TYPE``,
  ``TRANSACTION_SOURCE``, ``PAYMENT_STATUS``, ``OFFER_OR_SERVICE_NAME``) and the bank order
  (платёжное поручение) that settled it (``BANK_ORDER_ID``, ``BANK_ORDER_DATE``, ``BANK_SUM``).
  **These rows are the finance lines** (one line a row: a row carries one amount), and a
  report is a bank order: :class:`~..finance.FinanceReport` ``ym:bank_order:<BANK_ORDER_ID>``
  whose ``to_pay`` is the sum of its rows, with one payout line of the bank order's
  ``BANK_SUM``.  Rows not settled by a bank order yet (``Будет переведён…``) are in the report
  ``ym:unpaid:<YYYY-MM>`` of their month, without a payout.  The Market states no total of its
  own for a period: ``totals`` carry ``bank_sum`` (the bank order's amount), ``accrued`` and
  ``withheld`` (the positive and the negative rows).  A transfer that spans two months is in
  the reports of both: rows are taken once by their key.
* **Отчёт по реализации** — ``POST v2/reports/goods-realization/generate`` with
  ``campaignId``, ``year``, ``month``, per campaign and month of the period.  It states the
  goods delivered and returned at their prices (sheets ``delivered``, ``returned``,
  ``unredeemed``, ``lost_items``, ``transferred_to_delivery``); it moves no money, so it gives
  no lines: it is a report ``ym:realization:<campaign>:<YYYY-MM>`` (``to_pay`` 0) whose totals
  (``delivered``, ``delivered_count``, ``returned``, ``returned_count``, ``lost_compensation``…)
  are the revenue check of the sale lines (``fetch_finance(..., realization=False)`` skips it).

Why not ``POST v2/campaigns/{campaignId}/stats/orders`` for the commissions: its
``commissions[]`` (FEE, AGENCY, PAYMENT_TRANSFER, DELIVERY_TO_CUSTOMER, SORTING…) are what
was *billed at the order's creation* (``actual``), per type and without a row id, up to 40
minutes late, and charges of no order (storage, fines, promotion) are not in it; the payments
report carries every charge that was actually withheld, with its transaction id and the bank
order.  The mapping of the order statistics' types to categories is kept in
:data:`COMMISSION_TYPES` for the day a reconciliation wants the expected charge.

Signs: ``TRANSACTION_SUM`` is signed from the seller's side already (accruals +, withholdings
and refunds −) and is taken as it is.  A row whose ``PAYMENT_STATUS`` begins with
``Справочно`` (for information only) moves no money: it is not a line; it is counted in the
report's ``totals["reference_only"]`` and kept in its ``raw``.

⚠ Uncertain (the documentation lists the columns, not their values; the values below are
those public integrations meet, see the project's finance README §3): the words of
``TRANSACTION_TYPE`` (``Начисление``, ``Списание``, ``Возврат``, ``Возврат списания``) and of
``TRANSACTION_SOURCE`` in :data:`DEFAULT_CATEGORIES`; dates as ``DD.MM.YYYY[ HH:MM[:SS]]``
(Moscow time) or ISO; a decimal comma now and then; ``TRANSACTION_ID`` empty in some rows
(the row key is then a digest of the row's identifying columns, see :func:`row_key`);
``BANK_SUM`` repeated on every row of its bank order (a bank order whose ``BANK_SUM`` is not
positive sent no money: no payout line, its amount stays in ``totals``); no currency column:
the amounts are taken as roubles.

Limits: each ``generate`` method is documented at one request in 2 minutes (1 a minute with
the "Медиум" subscription; :attr:`YandexFinance.generate_interval`), ``info`` at 100 a minute;
the adapter waits between generations and polls every :attr:`YandexFinance.poll_interval`
seconds, on the ``sleep`` and ``clock`` given (the transport's by default).
"""
import csv
import hashlib
import io
import re
import zipfile
from collections import OrderedDict
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from .. import finance as f
from .. import orders as o
from ..transport import ApiError
from .client import MSK, _number_id

NETTING_PATH = "/v2/reports/united-netting/generate"
REALIZATION_PATH = "/v2/reports/goods-realization/generate"
INFO_ENDPOINT = "/v2/reports/info/{reportId}"
REPORT_FORMAT = "CSV"

#: the payments report's sheet with a row per transaction
NETTING_SHEET = "transaction_date"
#: the goods-realization report's sheets and the totals taken of them: (total, column)
REALIZATION_TOTALS = {
    "delivered": (("delivered", "DELIVERED_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"),
                  ("delivered_paid", "DELIVERED_PRICE_SUM_WITH_VAT_AND_DISCOUNTS"),
                  ("delivered_count", "DELIVERED_COUNT")),
    "returned": (("returned", "RETURN_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"),
                 ("returned_count", "RETURNED_COUNT")),
    "unredeemed": (("unredeemed", "UNREDEEMED_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"),
                   ("unredeemed_count", "UNREDEEMED_COUNT")),
    "lost_items": (("lost_compensation", "COMPENSATION_AMOUNT"),
                   ("lost_decompensation", "DECOMPENSATION_AMOUNT")),
    "transferred_to_delivery": (("transferred", "TRANSFERRED_TO_DELIVERY_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"),),
}

#: the seed of the accountant's table: operation (``TRANSACTION_SOURCE``, verbatim) -> category;
#: an entry keyed ``(TRANSACTION_SOURCE, OFFER_OR_SERVICE_NAME)`` wins over the source alone (a
#: generic source such as «Оплата услуг Яндекс.Маркета» names its service in the row).
#: A sale is booked at the seller's price: the buyer's money, the Plus points and the Market's
#: discount it pays back are all the sale (the order import's default price basis
#: ``with_subsidy``); their refunds are the return.  ⚠ the words: see the module docstring.
DEFAULT_CATEGORIES = {
    # the goods
    "Платёж покупателя": f.SALE,
    "Баллы за скидку Яндекс Плюс": f.SALE,
    "Баллы за скидку Маркета": f.SALE,
    "Скидка за участие в совместных акциях": f.LOYALTY,
    "Возврат платежа покупателя": f.RETURN,
    "Возврат баллов за скидку Яндекс Плюс": f.RETURN,
    "Возврат баллов за скидку Маркета": f.RETURN,
    "Возврат скидки за участие в совместных акциях": f.LOYALTY,
    # the Market's services (the names of the services of the Market's tariffs)
    "Размещение товаров на витрине": f.COMMISSION,
    "Участие в программе лояльности": f.LOYALTY,
    "Буст продаж": f.ADVERTISING,
    "Полки": f.ADVERTISING,
    "Приём платежа": f.ACQUIRING,
    "Перевод платежа": f.ACQUIRING,
    "Доставка покупателю": f.LOGISTICS,
    "Экспресс-доставка покупателю": f.LOGISTICS,
    "Доставка средней мили": f.LOGISTICS,
    "Обработка заказа": f.LOGISTICS,
    "Организация забора заказов": f.LOGISTICS,
    "Обработка возвратов": f.RETURN_LOGISTICS,
    "Хранение невыкупов и возвратов": f.STORAGE,
    "Хранение товаров на складе": f.STORAGE,
    "Приёмка товаров на склад": f.ACCEPTANCE,
    "Вывоз со склада": f.OTHER,
    "Штраф": f.PENALTY,
    "Компенсация за утерянный товар": f.COMPENSATION,
    "Компенсация за повреждённый товар": f.COMPENSATION,
    "Премия": f.COMPENSATION,
    ("Оплата услуг Яндекс.Маркета", "Размещение товаров на витрине"): f.COMMISSION,
    ("Оплата услуг Яндекс.Маркета", "Доставка покупателю"): f.LOGISTICS,
    ("Оплата услуг Яндекс.Маркета", "Приём платежа"): f.ACQUIRING,
}

#: ``OrdersStatsCommissionType`` of ``POST v2/campaigns/{campaignId}/stats/orders`` -> category
#: (not read by ``fetch_finance``: see the module docstring)
COMMISSION_TYPES = {
    "FEE": f.COMMISSION, "FULFILLMENT": f.LOGISTICS, "LOYALTY_PARTICIPATION_FEE": f.LOYALTY,
    "AUCTION_PROMOTION": f.ADVERTISING, "INSTALLMENT": f.OTHER, "DELIVERY_TO_CUSTOMER": f.LOGISTICS,
    "EXPRESS_DELIVERY_TO_CUSTOMER": f.LOGISTICS, "AGENCY": f.ACQUIRING, "PAYMENT_TRANSFER": f.ACQUIRING,
    "RETURNED_ORDERS_STORAGE": f.STORAGE, "SORTING": f.LOGISTICS, "INTAKE_SORTING": f.LOGISTICS,
    "RETURN_PROCESSING": f.RETURN_LOGISTICS, "ILLIQUID_GOODS_SALE": f.OTHER,
    "CROSSREGIONAL_DELIVERY": f.LOGISTICS, "FULFILLMENT_WITHDRAW": f.OTHER, "ITEM_BOOKING": f.OTHER,
}

#: the rows whose ``COUNT`` is goods moved (sold +, returned -)
QUANTITY_OPERATIONS = ("Платёж покупателя", "Возврат платежа покупателя")
#: ``TRANSACTION_TYPE`` words of a reversal: the row undoes a withholding (сторно)
CORRECTION_TYPES = ("Возврат списания",)
_CORRECTION = re.compile(r"сторно|корректир|коррекц", re.IGNORECASE)
_DMY = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_RATE = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
MAX_TEXT = 500


def category_of(operation, service=""):
    """The default category of a payments-report row: ``(source, service)``, else the source,
    else "" (unknown: the accountant reviews it)."""
    if service and (operation, service) in DEFAULT_CATEGORIES:
        return DEFAULT_CATEGORIES[(operation, service)]
    return DEFAULT_CATEGORIES.get(operation, "")


# --- small parsers -------------------------------------------------------------------------

def report_date(value, label, ext=None, required=True):
    """A report's date or time (``DD.MM.YYYY[ HH:MM[:SS]]`` or ISO; Moscow time unless it has an
    offset) -> an aware datetime; None when empty and not required."""
    text = (value or "").strip() if isinstance(value, str) else value
    if text in (None, ""):
        if required:
            raise o.PayloadError(f"missing {label}", ext)
        return None
    if not isinstance(text, str) or len(text) > 40:
        raise o.PayloadError(f"{label} is not a date: {str(text)[:40]!r}", ext)
    try:
        match = _DMY.match(text)
        if match:
            day, month, year, hour, minute, second = match.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise o.PayloadError(f"{label} is not a date: {text[:40]!r}", ext) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MSK)
    return moment


def _decimal(value, label, ext):
    try:
        return f.decimal(value, label)
    except ValueError as exc:
        raise o.PayloadError(str(exc), ext) from None


def _text(row, column, ext=None):
    return o.text(row.get(column), column, ext, required=False, max_len=MAX_TEXT)


def _count(value, label, ext):
    amount = _decimal(value, label, ext)
    if amount != amount.to_integral_value():
        raise o.PayloadError(f"{label} is not a whole number: {value!r}", ext)
    return int(amount)


def _vat_rate(value):
    match = _RATE.search(value or "")
    return f.decimal(match.group(1)) if match else None


def row_key(row):
    """``ym:<TRANSACTION_ID>``; a row without one: ``ym:row:<digest>`` of the columns that say
    what it is (order, date, type, source, SKU, service, sum, bank order) ⚠ — two identical rows
    without ids are then one key and the second is reported as a duplicate."""
    ident = (row.get("TRANSACTION_ID") or "").strip()
    if ident:
        if len(ident) > 100 or not ident.isprintable():
            raise o.PayloadError(f"TRANSACTION_ID is not an id: {ident[:40]!r}")
        return f"ym:{ident}"
    parts = [(row.get(c) or "").strip() for c in ("ORDER_ID", "TRANSACTION_DATE", "TRANSACTION_TYPE",
                                                  "TRANSACTION_SOURCE", "SHOP_SKU", "OFFER_OR_SERVICE_NAME",
                                                  "TRANSACTION_SUM", "BANK_ORDER_ID")]
    if not any(parts[:2]):
        raise o.PayloadError("a row with neither TRANSACTION_ID, ORDER_ID nor TRANSACTION_DATE")
    return "ym:row:" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:20]


def bank_order(row, ext=None):
    """(bank order id, date, BANK_SUM) of a settled row, or None when no bank order settled it yet."""
    ident = (row.get("BANK_ORDER_ID") or "").strip()
    if not ident:
        return None
    ident = _number_id(ident, "BANK_ORDER_ID", ext)
    moment = report_date(row.get("BANK_ORDER_DATE"), "BANK_ORDER_DATE", ext, required=False)
    return ident, moment, _decimal(row.get("BANK_SUM"), "BANK_SUM", ext)


def parse_netting_row(row, report_key):
    """A row of the payments report's ``transaction_date`` sheet -> its FinanceLine (one amount a
    row).  PayloadError (with the row in ``raw``) when it cannot be read."""
    if not isinstance(row, dict):
        raise o.PayloadError("a report row must be a mapping of its columns", None, row)
    try:
        key = row_key(row)
        kind = _text(row, "TRANSACTION_TYPE", key)
        operation = _text(row, "TRANSACTION_SOURCE", key) or kind
        service = _text(row, "OFFER_OR_SERVICE_NAME", key)
        moment = report_date(row.get("TRANSACTION_DATE"), "TRANSACTION_DATE", key)
        if (row.get("TRANSACTION_SUM") or "").strip() == "":
            raise o.PayloadError("missing TRANSACTION_SUM", key)
        amount = _decimal(row.get("TRANSACTION_SUM"), "TRANSACTION_SUM", key)
        order = (row.get("ORDER_ID") or "").strip()
        order = _number_id(order, "ORDER_ID", key) if order else ""
        quantity = _count(row.get("COUNT"), "COUNT", key) if (row.get("COUNT") or "").strip() else 0
        vat = (row.get("VAT_SUM") or "").strip()
        vat_amount = _decimal(vat, "VAT_SUM", key) if vat else None
        category = category_of(operation, service)
        # goods moved: a sale +n, a return -n, counted on the buyer's payment only (the points
        # of the same goods are rows of their own); a service's count is of the goods it was for
        if operation not in QUANTITY_OPERATIONS or category not in (f.SALE, f.RETURN):
            quantity = 0
        quantity = abs(quantity) if category == f.SALE else -abs(quantity)
        correction = kind in CORRECTION_TYPES or bool(_CORRECTION.search(kind) or _CORRECTION.search(operation))
        return f.FinanceLine(
            key=f"{key}:amount", row_key=key, report_key=report_key, operation=operation,
            component="amount", category=category, date=moment, amount=amount,
            currency="RUB", order_ref=order, offer=_text(row, "SHOP_SKU", key), quantity=quantity,
            vat_amount=vat_amount, vat_rate=_vat_rate(row.get("VAT_RATE")), correction=correction, raw=row,
        )
    except o.PayloadError as err:
        err.raw = row
        raise


def read_sheets(content):
    """{sheet name: [row dict]} of a CSV report (a ZIP with one CSV a sheet; a bare CSV is one
    sheet ``report``).  ApiError when it is neither."""
    if content[:2] != b"PK":
        return {"report": _csv_rows(content)}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheets = {}
            for name in archive.namelist():
                if name.lower().endswith(".csv"):
                    stem = name.rsplit("/", 1)[-1][:-4]
                    sheets[stem] = _csv_rows(archive.read(name))
            return sheets
    except zipfile.BadZipFile:
        raise ApiError("Yandex Market report: the file is not a ZIP of CSV files", 200) from None


def _csv_rows(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError("Yandex Market report: a CSV file that is not UTF-8", 200) from None
    sample = text[:4096]
    delimiter = ";" if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(",") else ","
    return [dict(row) for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]


def _month_start(day, months=0):
    """The first day of the month ``months`` after the month of ``day``."""
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def windows(date_from, date_to, months):
    """[date_from, date_to] cut at month boundaries into windows of at most ``months`` calendar
    months (the payments report takes at most 3)."""
    result, start = [], date_from
    while start <= date_to:
        end = min(date_to, _month_start(start, months) - timedelta(days=1))
        result.append((start, end))
        start = end + timedelta(days=1)
    return result


def months_of(date_from, date_to):
    result, day = [], _month_start(date_from)
    while day <= date_to:
        result.append((day.year, day.month))
        day = _month_start(day, 1)
    return result


def _as_date(value):
    if isinstance(value, datetime):
        return value.astimezone(MSK).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- the capability --------------------------------------------------------------------------

class YandexFinance:
    """Finance reports: a mixin of :class:`~.YandexAdapter`."""

    #: seconds between two generations of one report kind (documented: 1 in 2 minutes)
    generate_interval = 120.0
    #: seconds between two polls of a report's status (info: 100 a minute)
    poll_interval = 5.0
    #: polls of one report before giving up
    max_polls = 120
    #: calendar months of one payments report (the Market allows 3)
    netting_months = 3
    #: the deepest a TOO_LARGE window is cut in two
    max_splits = 6

    # --- the interface --------------------------------------------------------------------
    def fetch_finance(self, date_from, date_to, realization=True, sleep=None, clock=None, **options):
        """The payments report's rows of [date_from, date_to] (Moscow dates) as lines, one report a
        bank order; the goods-realization reports of the campaigns and months as reports with
        totals (``realization=False``: not asked).  ``sleep``/``clock``: the waits (the
        transport's by default)."""
        date_from, date_to = _as_date(date_from), _as_date(date_to)
        result = f.FinanceFetch()
        if date_to < date_from:
            return result
        self._fin_sleep = sleep or self.transport.sleep
        self._fin_clock = clock or self.transport.clock
        self._fin_last = getattr(self, "_fin_last", {})
        rows = []
        for start, end in windows(date_from, date_to, self.netting_months):
            rows.extend(self._netting_rows(start, end, self.max_splits))
        self._netting_result(rows, result)
        if realization:
            for campaign in self._finance_campaigns():
                for year, month in months_of(date_from, date_to):
                    report = self._realization(campaign, year, month)
                    if report is not None:
                        result.reports.append(report)
        return result

    # --- the payments report --------------------------------------------------------------
    def _netting_rows(self, start, end, splits):
        body = {"businessId": self._business_id(), "dateFrom": start.isoformat(), "dateTo": end.isoformat()}
        campaigns = self._campaign_ids()
        if campaigns:
            body["campaignIds"] = campaigns
        try:
            sheets = self._report(NETTING_PATH, body)
        except _TooLarge:
            if splits <= 0 or start >= end:
                raise ApiError(f"Yandex Market payments report {start}…{end}: TOO_LARGE even cut down", 200)
            middle = start + (end - start) // 2
            return self._netting_rows(start, middle, splits - 1) + self._netting_rows(
                middle + timedelta(days=1), end, splits - 1)
        return sheets.get(NETTING_SHEET, []) if sheets else []

    def _netting_result(self, rows, result):
        """Lines of the rows (each key once), grouped in a report a bank order (or month unpaid)."""
        reports, seen = OrderedDict(), set()
        for row in rows:  # dicts of the CSV reader
            try:
                key = row_key(row)
                if key in seen:
                    continue  # the same transaction in two windows (accrued and paid in two months)
                seen.add(key)
                settled = bank_order(row, key)
                report_key = self._report_of(reports, row, settled, key)
                if (row.get("PAYMENT_STATUS") or "").strip().startswith("Справочно"):
                    group = reports[report_key]
                    group["reference"] += _decimal(row.get("TRANSACTION_SUM"), "TRANSACTION_SUM", key)
                    group["reference_rows"].append(row)
                    continue
                line = parse_netting_row(row, report_key)
            except o.PayloadError as err:
                err.raw = row
                result.errors.append(err)
                continue
            group = reports[report_key]
            group["lines"].append(line)
            if settled is not None:
                if group["bank_sum"] is None:
                    group["bank_sum"] = settled[2]
                elif settled[2] != group["bank_sum"]:
                    result.errors.append(o.PayloadError(
                        f"bank order {settled[0]}: BANK_SUM differs between its rows "
                        f"({group['bank_sum']} and {settled[2]})", key, row))
        for report_key, group in reports.items():
            result.reports.append(self._netting_report(report_key, group))
            result.lines.extend(group["lines"])
            if group["bank"] is not None and group["bank_sum"] is not None and group["bank_sum"] > 0:
                result.lines.append(self._payout(report_key, group))

    @staticmethod
    def _report_of(reports, row, settled, key):
        if settled is not None:
            report_key = f"ym:bank_order:{settled[0]}"
        else:
            moment = report_date(row.get("TRANSACTION_DATE"), "TRANSACTION_DATE", key)
            report_key = f"ym:unpaid:{moment:%Y-%m}"
        if report_key not in reports:
            reports[report_key] = {"bank": settled, "bank_sum": None, "lines": [], "reference": Decimal(0),
                                   "reference_rows": [], "first_row": row}
        return report_key

    @staticmethod
    def _netting_report(report_key, group):
        lines = group["lines"]
        days = [line.date.astimezone(MSK).date() for line in lines]
        bank = group["bank"]
        to_pay = f.money(sum((line.amount for line in lines), Decimal(0)))
        totals = {"accrued": f.money(sum((l.amount for l in lines if l.amount > 0), Decimal(0))),
                  "withheld": f.money(sum((l.amount for l in lines if l.amount < 0), Decimal(0)))}
        if group["bank_sum"] is not None:
            totals["bank_sum"] = group["bank_sum"]
        if group["reference_rows"]:
            totals["reference_only"] = f.money(group["reference"])
        first = group["first_row"]
        raw = {k: first.get(k) for k in ("BUSINESS_ID", "INN", "PLACEMENT_CONTRACT", "BANK_ORDER_ID",
                                         "BANK_ORDER_DATE", "BANK_SUM") if isinstance(first, dict)}
        if group["reference_rows"]:
            raw["reference_rows"] = group["reference_rows"]
        return f.FinanceReport(
            key=report_key, kind="bank_order" if bank else "unpaid",
            date_from=min(days) if days else (bank[1].date() if bank and bank[1] else None),
            date_to=max(days) if days else (bank[1].date() if bank and bank[1] else None),
            number=bank[0] if bank else "", created=bank[1] if bank else None,
            to_pay=to_pay, totals=totals, raw=raw)

    @staticmethod
    def _payout(report_key, group):
        ident, moment, _ = group["bank"]
        row_key_ = f"ym:bank_order:{ident}"
        return f.FinanceLine(
            key=f"{row_key_}:payout", row_key=row_key_, report_key=report_key, operation="Платёжное поручение",
            component="bank_sum", category=f.PAYOUT, date=moment or group["lines"][-1].date,
            amount=group["bank_sum"], raw=group["first_row"])

    # --- the goods-realization report -------------------------------------------------------
    def _finance_campaigns(self):
        campaigns = self._campaign_ids()
        if campaigns:
            return campaigns
        found, _business = self._campaigns()
        return [c for c, (placement, _name) in sorted(found.items()) if placement != "LAAS"]

    def _realization(self, campaign, year, month):
        body = {"campaignId": campaign, "year": year, "month": month}
        try:
            sheets = self._report(REALIZATION_PATH, body)
        except _TooLarge:
            raise ApiError(f"Yandex Market goods-realization report {campaign} {year}-{month:02d}: TOO_LARGE",
                           200) from None
        if not sheets:
            return None
        totals, errors = {}, 0
        for sheet, columns in REALIZATION_TOTALS.items():
            for total, column in columns:
                value = Decimal(0)
                for row in sheets.get(sheet, ()):
                    try:
                        value += f.decimal(row.get(column), column)
                    except ValueError:
                        errors += 1
                totals[total] = f.money(value) if not total.endswith("_count") else value
        if errors:
            totals["unreadable_values"] = Decimal(errors)
        first = date(year, month, 1)
        return f.FinanceReport(
            key=f"ym:realization:{campaign}:{year}-{month:02d}", kind="realization", date_from=first,
            date_to=_month_start(first, 1) - timedelta(days=1), number=f"{campaign}/{year}-{month:02d}",
            to_pay=Decimal(0), totals=totals, raw={"campaign": campaign, "sheets": sheets}, booked=False)

    # --- generate, poll, download ---------------------------------------------------------
    def _report(self, path, body):
        """The sheets of a generated report ({} when the Market has no data); _TooLarge."""
        self._pace(path)
        answer = self.transport.request("POST", path, endpoint=path, params={"format": REPORT_FORMAT},
                                        json_body=body)
        result = answer.get("result") if isinstance(answer, dict) else None
        report_id = result.get("reportId") if isinstance(result, dict) else None
        if not isinstance(report_id, str) or not report_id or len(report_id) > 255:
            raise self._shape_error(path, "no reportId")
        wait = result.get("estimatedGenerationTime")
        first = min(max(wait / 1000.0, 0.0), 60.0) if isinstance(wait, int) and not isinstance(wait, bool) else 0
        if first:
            self._fin_sleep(first)
        for _ in range(self.max_polls):
            info = self.transport.request("GET", f"/v2/reports/info/{report_id}", endpoint=INFO_ENDPOINT)
            info = info.get("result") if isinstance(info, dict) else None
            if not isinstance(info, dict):
                raise self._shape_error(INFO_ENDPOINT, "no result")
            status, sub = info.get("status"), info.get("subStatus")
            if sub == "NO_DATA":
                return {}
            if status == "FAILED":
                if sub == "TOO_LARGE":
                    raise _TooLarge()
                raise ApiError(f"Yandex Market report {report_id}: generation failed ({sub or 'no reason'})", 200)
            if status == "DONE":
                link = info.get("file")
                if not link:
                    return {}
                return read_sheets(self._download(link))
            if status not in ("PENDING", "PROCESSING"):
                raise self._shape_error(INFO_ENDPOINT, f"unknown status {str(status)[:30]!r}")
            self._fin_sleep(self.poll_interval)
        raise ApiError(f"Yandex Market report {report_id}: not ready after {self.max_polls} polls", 0,
                       retryable=True)

    def _pace(self, path):
        """Wait until the documented interval since the last generation of this kind has passed."""
        last = self._fin_last.get(path)
        if last is not None:
            left = last + self.generate_interval - self._fin_clock()
            if left > 0:
                self._fin_sleep(left)
        self._fin_last[path] = self._fin_clock()

    def _download(self, url):
        """The report's file from its link (a signed URL of the Market's storage, without the
        API's key), at once: the link is valid 60 minutes."""
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self._shape_error(INFO_ENDPOINT, "no usable file link")
        answer = self.transport.request("GET", parts.path, endpoint="report file",
                                        base_url=f"{parts.scheme}://{parts.netloc}",
                                        params=dict(parse_qsl(parts.query)) or None, raw=True, auth=False)
        return answer.content


class _TooLarge(Exception):
    """The Market refused the report as TOO_LARGE: ask for a shorter period."""
