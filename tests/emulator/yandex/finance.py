"""Finance reports of the Yandex Market emulation (:class:`YandexFinance`): the payments report
and the goods-realization report *of the orders the app generated*, to the kopeck.

Routes (in the spec file; the request validated against it):

* ``POST /v2/reports/united-netting/generate`` (``businessId``, ``dateFrom``/``dateTo`` at most
  3 months apart, optional ``campaignIds``) and ``POST /v2/reports/goods-realization/generate``
  (``campaignId``, ``year``, ``month``) — ``{status: OK, result: {reportId,
  estimatedGenerationTime}}``.  Each is documented at **one request in 2 minutes**
  (``x-resource-limit-config``); a second one sooner, on the emulator's clock, is answered
  ``420`` with ``X-RateLimit-Resource-Until`` and counted as a violation.
* ``GET /v2/reports/info/{reportId}`` — ``PROCESSING`` for :attr:`report_polls` calls, then
  ``DONE`` with a ``file`` link, a new one on every call, valid 60 minutes (on the emulator's
  clock); ``DONE`` + ``NO_DATA`` (no link) when the report is empty; ``FAILED`` + ``TOO_LARGE``
  when a payments report would have more rows than :attr:`netting_max_rows`.
* The file: ``GET /yandex-files/reports/{name}`` on a host of its own (the Market's storage;
  the API's key is not for it: a request carrying it is a violation), the ZIP of CSV files
  the ``CSV`` format describes: ``transaction_date.csv`` (the payments report), and
  ``delivered.csv``, ``returned.csv`` (the goods-realization report), columns named as in the
  documentation's "Название колонки в CSV" (``reference/reports/generateUnitedNettingReport``,
  ``…/generateGoodsRealizationReport``).

What a settled order gives (:meth:`settle_finance`), ASSUMPTION — the Market's tariffs are
simplified to fixed rates, the words of ``TRANSACTION_TYPE``/``TRANSACTION_SOURCE`` are those
public integrations meet (see ``lib/yandex/finance.py``):

* per item, ``Начисление``: «Платёж покупателя» (``payment``), «Баллы за скидку Яндекс Плюс»
  (``cashback``), «Баллы за скидку Маркета» (``subsidy``) — together the item's price
  ``payment + cashback + subsidy``, the order import's default price basis;
* per order, ``Списание``: «Размещение товаров на витрине» (:data:`FEE_RATE` of that price),
  «Приём платежа» and «Перевод платежа» (of the money paid), «Доставка покупателю» (FBS, FBY),
  «Обработка заказа» (FBS);
* a returned order: ``Возврат`` of the three goods rows (negative), ``Списание`` «Обработка
  возвратов», and ``Возврат списания`` of the placement fee (a reversal: positive);
* per settlement: «Хранение товаров на складе» (FBY orders) and, when asked, «Штраф»;
* one bank order (платёжное поручение) per settlement: ``BANK_ORDER_ID``,
  ``BANK_ORDER_DATE``, ``BANK_SUM`` = the sum of its rows, on each of its rows.

Every order is taken as paid through the Market (a postpaid DBS order's money too), and a
DBS order's delivery price is not in the report: the report is of the goods.

Test-facing: :meth:`finance_control` (``settle``, ``inject``, ``injected``), :attr:`fin_rows`
(the payments report's rows, CSV columns and ``_``-keys of the emulator's own),
:attr:`fin_injected` (what was injected), :attr:`fin_settled` {order id: settlement}.
"""
import calendar
import csv
import io
import itertools
import math
import zipfile
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from email.utils import format_datetime

from ..server import App, Reply
from .core import BUSINESS, CAMPAIGN_BY_ID, KOPECK, MSK, _error

FEE_RATE = Decimal("0.05")
AGENCY_RATE = Decimal("0.01")
TRANSFER_RATE = Decimal("0.005")
DELIVERY_RATE = Decimal("0.04")
SORTING_FEE = Decimal("40.00")
RETURN_FEE = Decimal("35.00")
STORAGE_PER_ORDER = Decimal("3.50")
VAT = Decimal("22")
GENERATE_INTERVAL = 120.0
FILE_TTL = 3600.0
MAX_MONTHS = 3

NETTING_COLUMNS = (
    "BUSINESS_ID", "MODEL", "PARTNER_ID", "SHOP_NAME", "INN", "PLACEMENT_CONTRACT", "PROMOTION_CONTRACT",
    "TRANSACTION_DATE", "TRANSACTION_ID", "ORDER_ID", "SHOP_ORDER_ID", "ORDER_CREATION_DATE",
    "ORDER_DELIVERY_DATE", "CLAIM_NUMBER", "ORDER_TYPE", "SHOP_SKU", "ACT_ID", "ACT_DATE",
    "OFFER_OR_SERVICE_NAME", "COUNT", "TRANSACTION_SUM", "VAT_RATE", "VAT_SUM", "TRANSACTION_TYPE",
    "TRANSACTION_SOURCE", "PAYMENT_STATUS", "BONUS_ACCOUNT_YEAR_MONTH", "BANK_ORDER_DATE", "BANK_ORDER_ID",
    "BANK_SUM", "COMMENTS",
)
REALIZATION_COLUMNS = {
    "delivered": ("ORDER_ID", "YOUR_ORDER_ID", "ORDER_TYPE", "OFFER_NAME", "YOUR_SKU", "SHOP_SKU",
                  "TRANSFERRED_TO_DELIVERY_COUNT", "DELIVERED_COUNT", "ORDER_CREATION_DATE",
                  "TRANSFERRED_TO_DELIVERY_DATE", "DELIVERY_DATE", "PAYMENT_TYPE", "VAT",
                  "PRICE_WITH_VAT_AND_NO_DISCOUNT", "SHOP_MARKETPLACE_DISCOUNT", "SPASIBO_DISCOUNT",
                  "YANDEX_PLUS_DISCOUNT", "PRICE_WITH_VAT_AND_ALL_DISCOUNTS",
                  "DELIVERED_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS", "DELIVERED_DISCOUNT_SUM",
                  "DELIVERED_PRICE_SUM_WITH_VAT_AND_DISCOUNTS"),
    "returned": ("ORDER_ID", "YOUR_ORDER_ID", "ORDER_TYPE", "OFFER_NAME", "YOUR_SKU", "SHOP_SKU", "DELIVERED_COUNT",
                 "RETURNED_COUNT", "ORDER_CREATION_DATE", "TRANSFERRED_TO_DELIVERY_DATE", "DELIVERY_DATE",
                 "RETURN_WAREHOUSE_OR_SC_ACCEPT_DATE", "PAYMENT_TYPE", "VAT", "PRICE_WITH_VAT_AND_NO_DISCOUNT",
                 "SHOP_MARKETPLACE_DISCOUNT", "SPASIBO_DISCOUNT", "YANDEX_PLUS_DISCOUNT",
                 "PRICE_WITH_VAT_AND_ALL_DISCOUNTS", "RETURN_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS",
                 "RETURN_DISCOUNT_SUM", "RETURN_PRICE_SUM_WITH_VAT_AND_DISCOUNTS"),
}
#: the goods rows of an item: (source, the item's field); the return's sources
GOODS_SOURCES = (("Платёж покупателя", "payment"), ("Баллы за скидку Яндекс Плюс", "cashback"),
                 ("Баллы за скидку Маркета", "subsidy"))
RETURN_SOURCES = {"Платёж покупателя": "Возврат платежа покупателя",
                  "Баллы за скидку Яндекс Плюс": "Возврат баллов за скидку Яндекс Плюс",
                  "Баллы за скидку Маркета": "Возврат баллов за скидку Маркета"}
FEE_SERVICE = "Размещение товаров на витрине"
INJECT_KINDS = ("missing_sale", "double_charge", "wrong_commission", "payout_short", "unknown_operation",
                "malformed_row")


def _m(value):
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def _num(value):
    return f"{_m(value):.2f}"


def _dmy(day, time=None):
    return day.strftime("%d.%m.%Y") + (f" {time}" if time else "")


def _vat(amount):
    return _m(amount * VAT / (100 + VAT))


def _add_months(day, months):
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class YandexFinance:
    """Mixin of :class:`~.YandexApp`: the finance reports, their routes and their control."""

    def install_finance(self):
        #: the documented pace of a generate method (seconds); 0 where a test drives the
        #: client's own clock
        self.generate_interval = GENERATE_INTERVAL
        self.fin_rows = []
        self.fin_realization = {}  # (campaign, year, month) -> {sheet: [row]}
        self.fin_reports = {}
        self.fin_injected = []
        self.fin_settled = {}
        self.fin_bank_orders = {}  # id -> {"day", "adjust": Decimal}
        #: polls of ``info`` answered PROCESSING before a report is DONE
        self.report_polls = 1
        #: a payments report with more rows than this fails TOO_LARGE (None: no limit)
        self.netting_max_rows = None
        self._fin_last_generate = {}
        self._fees = {}  # order id -> its placement-fee row
        self._tx_seq = itertools.count(1)
        self._bank_seq = itertools.count(7_100_001)
        self._report_seq = itertools.count(1)
        self._link_seq = itertools.count(1)
        self.add_route("POST", "/v2/reports/united-netting/generate", self._generate_netting)
        self.add_route("POST", "/v2/reports/goods-realization/generate", self._generate_realization)
        self.add_route("GET", "/v2/reports/info/{reportId}", self._report_info)
        files = YandexFilesApp(self.emulator, self)
        self.emulator.file_hosts.setdefault(files.name, files)

    # --- control ---------------------------------------------------------------------------
    def finance_control(self, action, **options):
        """``settle`` (:meth:`settle_finance`), ``inject`` (``kind`` and its options,
        :meth:`inject_finance`), ``injected`` (what was injected)."""
        with self.lock:
            if action == "settle":
                return self.settle_finance(**options)
            if action == "inject":
                return self.inject_finance(**options)
            if action == "injected":
                return {"injected": list(self.fin_injected)}
        raise ValueError(f"unknown finance action {action!r}")

    def settle_finance(self, orders=None, count=None, returns=0, day=None, penalty=None, storage=True, paid=None):
        """Orders delivered (and ``returns`` of them — a count or ids — returned after delivery),
        in the payments report on ``day`` (Moscow date, today by default) with one bank order (of
        the same day, or of ``paid``), and in the goods-realization report of that month.
        ``orders``: ids, else ``count`` orders not settled yet (all of them by default).  ``penalty``: the amount of a fine, if any."""
        day = date.fromisoformat(day) if isinstance(day, str) else day or datetime.now(MSK).date()
        if orders is None:
            pool = [k for k in self.orders if k not in self.fin_settled]
            orders = pool if count is None else pool[:int(count)]
        # an order is settled once: settling it again adds nothing (as on the other marketplaces)
        orders = [str(o) for o in orders if str(o) not in self.fin_settled]
        back = [str(r) for r in returns] if isinstance(returns, (list, tuple)) else orders[:int(returns or 0)]
        bank = next(self._bank_seq)
        paid = date.fromisoformat(paid) if isinstance(paid, str) else paid or day
        self.fin_bank_orders[bank] = {"day": paid, "adjust": Decimal(0)}
        fbo = 0
        for ident in orders:
            order = self.orders[ident]
            self._set(order, "DELIVERED", "DELIVERY_SERVICE_DELIVERED")
            self.fin_settled[ident] = {"day": day.isoformat(), "bank_order": bank, "returned": False}
            self._sale_rows(order, day, bank)
            fbo += order["scheme"] == "fbo"
        for ident in back:
            order = self.orders[ident]
            self._set(order, "RETURNED", "UNKNOWN")
            self.fin_settled[ident]["returned"] = True
            self._return_rows(order, day, bank)
        campaign = next(iter(self.SETTINGS["campaign_ids"]))
        if storage and fbo:
            fby = next(c for c in self.SETTINGS["campaign_ids"] if CAMPAIGN_BY_ID[c]["placementType"] == "FBY")
            self._row(None, day, bank, "Списание", "Хранение товаров на складе", -STORAGE_PER_ORDER * fbo,
                      campaign=fby)
        if penalty not in (None, "", 0, "0"):
            self._row(None, day, bank, "Списание", "Штраф", -_m(Decimal(str(penalty))), campaign=campaign,
                      service="Штраф за отмену заказа")
        return {"settled": orders, "returned": back, "bank_order": bank, "bank_sum": _num(self.bank_sum(bank))}

    def bank_sum(self, bank):
        """The bank order's amount: the sum of its rows (and what an injection changed)."""
        rows = [r for r in self.fin_rows if r["_bank"] == bank and not r.get("_malformed")]
        return sum((Decimal(r["TRANSACTION_SUM"]) for r in rows), Decimal(0)) + self.fin_bank_orders[bank]["adjust"]

    def item_price(self, item):
        """The item's price as the order import books it by default: payment + cashback + subsidy."""
        return item["payment"] + item["cashback"] + item["subsidy"]

    # --- rows ------------------------------------------------------------------------------
    def _row(self, order, day, bank, kind, source, amount, campaign=None, item=None, service=None, count=None):
        campaign = order["campaignId"] if order else campaign
        placement = CAMPAIGN_BY_ID[campaign]["program"]
        ident = next(self._tx_seq)
        row = {c: "" for c in NETTING_COLUMNS}
        row.update({
            "BUSINESS_ID": str(BUSINESS["id"]), "MODEL": "FBY" if placement == "FBY" else placement,
            "PARTNER_ID": str(campaign), "SHOP_NAME": CAMPAIGN_BY_ID[campaign]["domain"], "INN": "7701234567",
            "PLACEMENT_CONTRACT": "1234567/24", "TRANSACTION_DATE": _dmy(day, "12:00"),
            "TRANSACTION_ID": f"{900000000 + ident}", "OFFER_OR_SERVICE_NAME": service or source,
            "TRANSACTION_SUM": _num(amount), "TRANSACTION_TYPE": kind, "TRANSACTION_SOURCE": source,
            "PAYMENT_STATUS": "Переведён по графику выплат" if amount >= 0 else "Удержан из платежей покупателей",
            "ACT_ID": "" if kind == "Начисление" else str(5_000_000 + day.month), "ACT_DATE": "" if kind == "Начисление"
            else _dmy(day),
        })
        if order:
            row.update({"ORDER_ID": str(order["orderId"]), "ORDER_TYPE": "Продажа физлицу",
                        "ORDER_CREATION_DATE": _dmy(order["creationDate"].astimezone(MSK).date()),
                        "ORDER_DELIVERY_DATE": _dmy(day)})
        if item:
            row.update({"SHOP_SKU": item["offerId"], "COUNT": str(count or item["count"]),
                        "OFFER_OR_SERVICE_NAME": item["offerName"], "VAT_RATE": "22%", "VAT_SUM": _num(_vat(amount))})
        row.update({"_bank": bank, "_day": day})
        self.fin_rows.append(row)
        return row

    def _stamped(self, rows):
        """The rows as the report gives them: BANK_ORDER_* of their bank order on each (its
        amount is known once every row is in: it is written when a report is generated)."""
        sums = {}
        for row in self.fin_rows:
            if not row.get("_malformed"):
                sums[row["_bank"]] = sums.get(row["_bank"], Decimal(0)) + Decimal(row["TRANSACTION_SUM"])
        result = []
        for row in rows:
            bank = self.fin_bank_orders[row["_bank"]]
            result.append(dict(row, BANK_ORDER_ID=str(row["_bank"]), BANK_ORDER_DATE=_dmy(bank["day"], "18:00"),
                               BANK_SUM=_num(sums.get(row["_bank"], Decimal(0)) + bank["adjust"])))
        return result

    def _sale_rows(self, order, day, bank):
        paid = Decimal(0)
        for item in order["items"]:
            for source, field in GOODS_SOURCES:  # the buyer's payment always (it counts the goods)
                if item[field] or field == "payment":
                    self._row(order, day, bank, "Начисление", source, item[field], item=item)
            paid += item["payment"]
            self._realization_row("delivered", order, item, day)
        price = sum((self.item_price(it) for it in order["items"]), Decimal(0))
        self._fees[str(order["orderId"])] = self._row(order, day, bank, "Списание", FEE_SERVICE, -_m(price * FEE_RATE))
        self._row(order, day, bank, "Списание", "Приём платежа", -_m(paid * AGENCY_RATE))
        self._row(order, day, bank, "Списание", "Перевод платежа", -_m(paid * TRANSFER_RATE))
        if order["scheme"] in ("fbs", "fbo"):
            self._row(order, day, bank, "Списание", "Доставка покупателю",
                      -min(max(_m(price * DELIVERY_RATE), Decimal(60)), Decimal(300)))
        if order["scheme"] == "fbs":
            self._row(order, day, bank, "Списание", "Обработка заказа", -SORTING_FEE)

    def _return_rows(self, order, day, bank):
        for item in order["items"]:
            for source, field in GOODS_SOURCES:
                if item[field] or field == "payment":
                    self._row(order, day, bank, "Возврат", RETURN_SOURCES[source], -item[field], item=item)
            self._realization_row("returned", order, item, day)
        self._row(order, day, bank, "Списание", "Обработка возвратов", -RETURN_FEE)
        fee = self._fees[str(order["orderId"])]
        row = self._row(order, day, bank, "Возврат списания", FEE_SERVICE, -Decimal(fee["TRANSACTION_SUM"]))
        row["COMMENTS"] = f"Возврат за транзакцию {fee['TRANSACTION_ID']}"

    def _realization_row(self, sheet, order, item, day):
        count = item["count"]
        price = self.item_price(item)
        created = _dmy(order["creationDate"].astimezone(MSK).date())
        row = {c: "" for c in REALIZATION_COLUMNS[sheet]}
        row.update({
            "ORDER_ID": str(order["orderId"]), "ORDER_TYPE": "Продажа физлицу", "OFFER_NAME": item["offerName"],
            "YOUR_SKU": item["offerId"], "SHOP_SKU": item["offerId"], "ORDER_CREATION_DATE": created,
            "TRANSFERRED_TO_DELIVERY_DATE": created, "DELIVERY_DATE": _dmy(day), "VAT": "22%",
            "PAYMENT_TYPE": "Предоплата" if order["paymentType"] == "PREPAID" else "Постоплата",
            "PRICE_WITH_VAT_AND_NO_DISCOUNT": _num(price / count),
            "SHOP_MARKETPLACE_DISCOUNT": _num(item["subsidy"] / count), "SPASIBO_DISCOUNT": "0.00",
            "YANDEX_PLUS_DISCOUNT": _num(item["cashback"] / count),
            "PRICE_WITH_VAT_AND_ALL_DISCOUNTS": _num(item["payment"] / count),
        })
        if sheet == "delivered":
            row.update({"TRANSFERRED_TO_DELIVERY_COUNT": str(count), "DELIVERED_COUNT": str(count),
                        "DELIVERED_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS": _num(price),
                        "DELIVERED_DISCOUNT_SUM": _num(item["subsidy"] + item["cashback"]),
                        "DELIVERED_PRICE_SUM_WITH_VAT_AND_DISCOUNTS": _num(item["payment"])})
        else:
            row.update({"DELIVERED_COUNT": str(count), "RETURNED_COUNT": str(count),
                        "RETURN_WAREHOUSE_OR_SC_ACCEPT_DATE": _dmy(day),
                        "RETURN_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS": _num(price),
                        "RETURN_DISCOUNT_SUM": _num(item["subsidy"] + item["cashback"]),
                        "RETURN_PRICE_SUM_WITH_VAT_AND_DISCOUNTS": _num(item["payment"])})
        key = (order["campaignId"], day.year, day.month)
        self.fin_realization.setdefault(key, {}).setdefault(sheet, []).append(row)

    # --- injected errors ---------------------------------------------------------------------
    def inject_finance(self, kind, order=None, amount=None, source=None):
        """An error in the reports, recorded in :attr:`fin_injected`:

        * ``missing_sale`` — a delivered order (``order``, else the first settled one) loses its
          goods rows (payments report and realization); its bank order's amount follows;
        * ``double_charge`` — a charge row of an order repeated under a new transaction id (the
          bank order pays that much less);
        * ``wrong_commission`` — a placement fee off by ``amount`` (default −10.00: more withheld);
        * ``payout_short`` — a bank order's ``BANK_SUM`` short by ``amount`` (default 0.01), the
          rows unchanged;
        * ``unknown_operation`` — a charge of a ``source`` the table does not know;
        * ``malformed_row`` — a row whose ``TRANSACTION_SUM`` is not a number (not in BANK_SUM)."""
        if kind not in INJECT_KINDS:
            raise ValueError(f"unknown finance injection {kind!r}")
        used = {i.get("order_id") for i in self.fin_injected}
        free = [k for k, v in self.fin_settled.items() if not v["returned"] and k not in used]
        ident = str(order) if order is not None else free[0] if free else None
        if ident is None and kind != "payout_short" or ident is not None and ident not in self.fin_settled:
            raise ValueError(f"no settled order for the injection {kind!r}")
        record = {"kind": kind}
        if kind == "missing_sale":
            goods = {s for s, _ in GOODS_SOURCES}
            gone = [r for r in self.fin_rows if r["ORDER_ID"] == ident and r["TRANSACTION_SOURCE"] in goods]
            self.fin_rows = [r for r in self.fin_rows if r not in gone]
            for sheets in self.fin_realization.values():
                sheets["delivered"] = [r for r in sheets.get("delivered", ()) if r["ORDER_ID"] != ident]
            record.update(order_id=ident, amount=_num(sum((Decimal(r["TRANSACTION_SUM"]) for r in gone), Decimal(0))),
                          rows=[r["TRANSACTION_ID"] for r in gone])
            bank = self.fin_settled[ident]["bank_order"]
        elif kind in ("double_charge", "wrong_commission"):
            wanted = FEE_SERVICE if kind == "wrong_commission" else None
            row = next(r for r in self.fin_rows if r["ORDER_ID"] == ident and r["TRANSACTION_TYPE"] == "Списание"
                       and (wanted is None or r["TRANSACTION_SOURCE"] == wanted))
            bank = row["_bank"]
            if kind == "double_charge":
                copy = dict(row, TRANSACTION_ID=f"{900000000 + next(self._tx_seq)}")
                self.fin_rows.append(copy)
                record.update(order_id=ident, row=row["TRANSACTION_ID"], copy=copy["TRANSACTION_ID"],
                              amount=row["TRANSACTION_SUM"], source=row["TRANSACTION_SOURCE"])
            else:
                off = _m(Decimal(str(amount if amount is not None else "-10.00")))
                expected = row["TRANSACTION_SUM"]
                row["TRANSACTION_SUM"] = _num(Decimal(expected) + off)
                record.update(order_id=ident, row=row["TRANSACTION_ID"], expected=expected,
                              actual=row["TRANSACTION_SUM"], amount=_num(off))
        elif kind == "payout_short":
            bank = self.fin_settled[ident]["bank_order"] if order is not None else max(self.fin_bank_orders)
            short = _m(Decimal(str(amount if amount is not None else "0.01")))
            self.fin_bank_orders[bank]["adjust"] -= short
            record.update(bank_order=bank, amount=_num(short))
        else:
            any_row = next(r for r in self.fin_rows if r["ORDER_ID"] == ident)
            bank = any_row["_bank"]
            order_ = self.orders[ident]
            if kind == "unknown_operation":
                row = self._row(order_, any_row["_day"], bank, "Списание", source or "Новая услуга Маркета",
                                -_m(Decimal(str(amount or "12.34"))))
            else:
                row = self._row(order_, any_row["_day"], bank, "Списание", "Доставка покупателю", Decimal(0))
                row["TRANSACTION_SUM"] = "12,3,4"
                row["_malformed"] = True
            record.update(order_id=ident, row=row["TRANSACTION_ID"], amount=row["TRANSACTION_SUM"],
                          source=row["TRANSACTION_SOURCE"])
        record["bank_order"] = bank
        self.fin_injected.append(record)
        return record

    # --- routes ------------------------------------------------------------------------------
    def _limited(self, path):
        """The documented 1 request in 2 minutes of a generate method, on the emulator's clock."""
        now = self.emulator.clock()
        last = self._fin_last_generate.get(path)
        if last is not None and now - last < self.generate_interval:
            self.emulator.limit_violations[self.name] += 1
            wait = self.generate_interval - (now - last)
            until = datetime.fromtimestamp(math.ceil(datetime.now(timezone.utc).timestamp() + wait), tz=timezone.utc)
            stamp = format_datetime(until, usegmt=True)
            self.limit_answers.append(stamp)
            return Reply(420, {"status": "ERROR", "errors": [{
                "code": "REQUEST_LIMIT_EXCEEDED",
                "message": "Hit rate limit of 1 requests per 2 minutes for resource 189"}]},
                headers={"X-RateLimit-Resource-Until": stamp}, validate=False)
        self._fin_last_generate[path] = now
        return None

    def _new_report(self, files, too_large=False):
        report_id = f"{next(self._report_seq):08d}-ym-report"
        empty = not any(rows for rows in files.values())
        self.fin_reports[report_id] = {"polls": 0, "files": files, "links": {},
                                       "requested": datetime.now(timezone.utc).replace(microsecond=0),
                                       "sub": "TOO_LARGE" if too_large else "NO_DATA" if empty else None}
        return Reply(200, {"status": "OK", "result": {"reportId": report_id, "estimatedGenerationTime": 2000}})

    def _generate_netting(self, params, query, body, headers):
        body = body or {}
        if body.get("businessId") != BUSINESS["id"]:
            return _error(403, "FORBIDDEN", "Access denied")
        try:
            lo, hi = date.fromisoformat(body["dateFrom"]), date.fromisoformat(body["dateTo"])
        except (KeyError, TypeError, ValueError):
            return _error(400, "BAD_REQUEST", "dateFrom and dateTo are required")
        if hi < lo:
            return _error(400, "BAD_REQUEST", "dateTo must not be earlier than dateFrom")
        if hi >= _add_months(lo, MAX_MONTHS):
            return _error(400, "BAD_REQUEST", "Too long time period. Maximum is 3 months")
        limited = self._limited("netting")
        if limited:
            return limited
        campaigns = set(body.get("campaignIds") or ())
        # paid *and* accrued in the period: a row is in by its own date or its bank order's
        rows = [r for r in self.fin_rows
                if (lo <= r["_day"] <= hi or lo <= self.fin_bank_orders[r["_bank"]]["day"] <= hi)
                and (not campaigns or int(r["PARTNER_ID"]) in campaigns)]
        too_large = self.netting_max_rows is not None and len(rows) > self.netting_max_rows
        return self._new_report({"transaction_date": (NETTING_COLUMNS, self._stamped(rows))}, too_large)

    def _generate_realization(self, params, query, body, headers):
        body = body or {}
        campaign = body.get("campaignId")
        if campaign not in CAMPAIGN_BY_ID:
            return _error(403, "FORBIDDEN", "Access denied")
        limited = self._limited("realization")
        if limited:
            return limited
        sheets = self.fin_realization.get((campaign, body.get("year"), body.get("month")), {})
        return self._new_report({name: (columns, list(sheets.get(name, ())))
                                 for name, columns in REALIZATION_COLUMNS.items()})

    def _report_info(self, params, query, body, headers):
        report = self.fin_reports.get(params["reportId"])
        if report is None:
            return _error(404, "NOT_FOUND", "Report not found")
        report["polls"] += 1
        result = {"generationRequestedAt": report["requested"].isoformat()}
        if report["polls"] <= self.report_polls:
            return Reply(200, {"status": "OK", "result": dict(result, status="PROCESSING",
                                                               estimatedGenerationTime=1000)})
        result["generationFinishedAt"] = report["requested"].isoformat()
        if report["sub"] == "TOO_LARGE":
            return Reply(200, {"status": "OK", "result": dict(result, status="FAILED", subStatus="TOO_LARGE")})
        if report["sub"] == "NO_DATA":
            return Reply(200, {"status": "OK", "result": dict(result, status="DONE", subStatus="NO_DATA")})
        link = f"{params['reportId']}-{next(self._link_seq)}"
        report["links"][link] = self.emulator.clock() + FILE_TTL
        self.emulator.file_hosts[YandexFilesApp.name].files[link] = report
        url = f"{self.emulator.base_url(YandexFilesApp.name)}/reports/{link}.zip?X-Amz-Expires=3600"
        return Reply(200, {"status": "OK", "result": dict(result, status="DONE", file=url)})


def report_zip(files):
    """The ZIP of the CSV files of a report: {name: (columns, rows)}, ``_``-keys left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (columns, rows) in files.items():
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
    return out.getvalue()


class YandexFilesApp(App):
    """The Market's storage of generated reports: signed links, no API key, 60 minutes."""

    name = "yandex-files"
    rate_limit = None

    def __init__(self, emulator, market):
        super().__init__(emulator)
        self.market = market
        self.files = {}
        self.add_route("GET", "/reports/{name}", self._file, schema={})

    def authenticate(self, headers):
        if headers.get("Api-Key"):
            self.emulator.validation_errors.append("yandex-files: the API key was sent to the file storage")
        return None

    def spec_error_reply(self, route, message):
        return Reply(400, {"message": message})

    def _file(self, params, query, body, headers):
        link = params["name"][:-4] if params["name"].endswith(".zip") else params["name"]
        report = self.files.get(link)
        if report is None or self.emulator.clock() > report["links"][link]:
            return Reply(403, b"<Error><Code>AccessDenied</Code></Error>",
                         headers={"Content-Type": "application/xml"}, validate=False)
        return Reply(200, report_zip(report["files"]), headers={"Content-Type": "application/zip"}, validate=False)
