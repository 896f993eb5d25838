"""Wildberries realization reports (:class:`WildberriesFinance`): the finance reports of the
emulator's own assembly tasks.

Routes (finance API v1, newer than the spec file: validated against the schemas of
:mod:`.finance_spec`, written from WB's current spec, source cited there):

* ``POST /api/finance/v1/sales-reports/list``: the reports whose period meets
  ``[dateFrom, dateTo]`` (``period`` weekly by default), ``limit`` + ``offset``; none: 204;
* ``POST /api/finance/v1/sales-reports/detailed``: the rows of the same reports, in ``rrdId``
  order, the ``limit`` rows after ``rrdId``; none left: **204**;
* ``POST /api/finance/v1/sales-reports/detailed/{reportId}``: the rows of one report (404 for
  a report WB does not have).

ASSUMPTION: a report belongs to a period when its own period meets it (WB words both methods
"Начальная/Конечная дата отчёта"); the client takes reports and rows met twice once.  The
documented limit, **one request a minute** per method and account, is enforced on the
emulator's clock (429 + ``X-Ratelimit-Retry``, counted as a violation).

What a report holds (:meth:`WildberriesFinance.finance_control` ``"settle"``): for each task
settled, a sale row (``Продажа``: ``retailAmount`` = the task's ``convertedPrice`` — the price
basis the order import takes as revenue by default —, WB's remuneration, acquiring, ``forPay``)
and its logistics row (``Логистика``, "К клиенту при продаже"); for a task returned after the
sale, a return row (``Возврат``, the same amounts) and the return leg (``Логистика``, "От
клиента при возврате"); for a task refused at the pick-up point, the two legs and no sale; for
a task WB lost, its compensation (``Компенсация потерянного товара``);
once per report the account's own charges: storage (``Хранение``),
acceptance (``Обработка товара``), a fine (``Штраф``), a deduction (``Удержание``, WB's
promotion), a correction of logistics (``Коррекция логистики``, in the seller's favour), the
loyalty discount compensation and participation, a change of the payout term.  The list's
header sums are the rows' sums; ``bankPaymentSum`` («Итого к оплате») is
``forPaySum − deliveryServiceSum − paidStorageSum − paidAcceptanceSum − deductionSum −
penaltySum + additionalPaymentSum − cashbackAmountSum − cashbackCommissionChangeSum +
cashbackDiscountSum + paymentSchedule`` (see ``lib/wildberries/finance.py``).

Errors on demand (``"inject"``), each recorded in :attr:`finance_injected`:
``missing_sale`` (a task set delivered whose sale is in no report), ``double_charge`` (a
logistics row repeated under a new ``rrdId``), ``wrong_commission`` (a sale whose ``forPay`` is
short by ``amount``: WB kept that much more), ``payout_short`` (``bankPaymentSum`` a kopeck —
``amount`` — below the rows' total), ``unknown_operation`` (a row of an operation the client
does not know).
"""
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from ..server import Reply
from .core import KOPECK
from .finance_spec import SCHEMAS

MSK = timezone(timedelta(hours=3))
ZERO = Decimal(0)
LIST = "/api/finance/v1/sales-reports/list"
DETAILED = "/api/finance/v1/sales-reports/detailed"
BY_ID = "/api/finance/v1/sales-reports/detailed/{reportId}"
#: report currency of a task (ISO 4217 number -> the letters WB writes)
CURRENCY_LETTERS = {643: "RUB", 398: "KZT", 933: "BYN", 860: "UZS", 417: "KGS", 51: "AMD"}
#: the money fields of a row and the list's sum of each (sign: by docTypeName for the goods)
GOODS_SUMS = (("retailAmount", "retailAmountSum"), ("forPay", "forPaySum"))
SERVICE_SUMS = (("deliveryService", "deliveryServiceSum"), ("paidStorage", "paidStorageSum"),
                ("paidAcceptance", "paidAcceptanceSum"), ("deduction", "deductionSum"), ("penalty", "penaltySum"),
                ("additionalPayment", "additionalPaymentSum"), ("cashbackAmount", "cashbackAmountSum"),
                ("cashbackDiscount", "cashbackDiscountSum"),
                ("cashbackCommissionChange", "cashbackCommissionChangeSum"), ("paymentSchedule", "paymentSchedule"))
MONEY_FIELDS = ("retailPrice", "retailAmount", "retailPriceWithDisc", "deliveryService", "ppvzSalesCommission",
                "forPay", "ppvzReward", "acquiringFee", "vw", "vwNds", "penalty", "additionalPayment",
                "rebillLogisticCost", "paidStorage", "deduction", "paidAcceptance", "installmentCofinancingAmount",
                "cashbackAmount", "cashbackDiscount", "cashbackCommissionChange", "paymentSchedule")
#: WB's remuneration (with VAT) by the article's last digit, %; acquiring, %
COMMISSION_PCT = (Decimal("19.5"), Decimal("24.5"), Decimal("15"), Decimal("27"), Decimal("21.5"))
ACQUIRING_PCT = Decimal("1.5")
VAT = Decimal("0.22")


def _m(value):
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def _s(amount):
    """Money as WB's v1 writes it: a string, no trailing zeros (``'367'``, ``'376.99'``)."""
    text = f"{Decimal(amount):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _day(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.astimezone(MSK).date()
    return date.fromisoformat(str(value)[:10])


def _moment(value):
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class WildberriesFinance:
    """The realization reports of the account's tasks: a mixin of :class:`~.WildberriesApp`."""

    def install_finance(self):
        #: reportId -> {"period", "dateFrom", "dateTo", "createDate", "currency", "rows": [row],
        #: "bank_delta": Decimal, "services": bool}
        self.finance_reports = {}
        #: what "inject" did, in order (dicts: kind, and what it touched)
        self.finance_injected = []
        #: task id -> {"report", "amount" (retailAmount), "remuneration", "acquiring", "for_pay",
        #: "kind" (sold, refused, lost), "returned", "sale_rrd", "logistics_rrd", "logistics"}
        self.finance_settled = {}
        #: tasks delivered whose sale no report has (``missing_sale``): never settled later
        self.finance_missing = set()
        #: the documented limit: seconds between two requests of one method
        self.finance_interval = 60.0
        self._finance_calls = {}
        self._rrd_seq = 1232610000
        self._report_seq = {"weekly": 307401000, "daily": 2 ** 53 + 1000}
        for template, handler in ((LIST, self._fin_list), (DETAILED, self._fin_detailed), (BY_ID, self._fin_by_id)):
            request, response = SCHEMAS[template]
            self.add_route("POST", template, handler, schema=request, response_schema=response)

    # --- test-facing control --------------------------------------------------------------
    def finance_control(self, action, **options):
        """``settle`` / ``inject`` / ``reset`` (see the module docstring); JSON-able answer."""
        with self.lock:
            if action == "settle":
                return self.finance_settle(**options)
            if action == "inject":
                return self.finance_inject(**options)
            if action == "reset":
                self.install_finance_state()
                return {"ok": True}
        raise ValueError(f"unknown finance action {action!r} (settle, inject, reset)")

    def install_finance_state(self):
        self.finance_reports.clear()
        self.finance_injected.clear()
        self.finance_settled.clear()
        self.finance_missing.clear()
        self._finance_calls.clear()

    def finance_settle(self, orders=None, count=None, returns=0, refused=0, lost=0, period="weekly", sold_at=None,
                       services=True):
        """Tasks delivered and put into the report of the period of ``sold_at`` (default now):
        ``orders`` (ids; those settled already are passed over) or the first ``count`` tasks not
        settled yet (all of them by default); the last ``returns`` of them come back after the
        sale (the task API still says ``sold``: it does not follow the goods after the sale);
        the first ``refused`` of them are refused by the buyer at the pick-up point instead
        (the task becomes ``canceled_by_client``, the order import's *returned*): no sale, the
        logistics both ways; the next ``lost`` of them are lost by WB on the way (the task stays
        shipped: WB's task API has no word for it) and compensated at their price
        (``Компенсация потерянного товара``).  Answer: the reports touched ``[{reportId,
        dateFrom, dateTo}]`` and the tasks settled, returned, refused, lost."""
        assert period in ("weekly", "daily"), period
        moment = _moment(sold_at)
        if orders is None:
            pending = [k for k in self.orders if k not in self.finance_settled and k not in self.finance_missing]
            orders = pending if count is None else pending[:int(count)]
        # a task is sold once: settling it again adds nothing
        orders = [str(o) for o in orders if str(o) not in self.finance_settled]
        touched = {}
        for i, ident in enumerate(orders):
            task = self.orders[ident]
            report = self._report_for(period, moment, task)
            touched[report["id"]] = report
            if i < int(refused):
                self.set_state(ident, "returned")
                self._refuse_task(report, task, moment)
                continue
            if i < int(refused) + int(lost):
                self.set_state(ident, "shipped")
                self._compensate_task(report, task, moment)
                continue
            self.set_state(ident, "delivered")
            returned = i >= len(orders) - int(returns)
            self._settle_task(report, task, moment, returned)
        if services:
            for report in touched.values():
                if not report["services"]:
                    self._account_charges(report, moment)
        return {"reports": [{"reportId": r["id"], "dateFrom": r["dateFrom"].isoformat(),
                             "dateTo": r["dateTo"].isoformat()} for r in touched.values()],
                "orders": orders, "returned": orders[len(orders) - int(returns):] if returns else [],
                "refused": orders[:int(refused)], "lost": orders[int(refused):int(refused) + int(lost)]}

    def finance_inject(self, kind, order=None, amount=None, report=None, period="weekly", sold_at=None):
        """One error of ``kind`` (see the module docstring); the record is returned and kept."""
        record = {"kind": kind}
        if kind == "missing_sale":
            ident = str(order) if order is not None else next(
                (k for k in self.orders if k not in self.finance_settled and k not in self.finance_missing), None)
            if ident is None:
                raise ValueError("missing_sale: every task is settled already (add_orders first)")
            self.set_state(ident, "delivered")
            self.finance_missing.add(ident)
            record.update(order=ident)
        elif kind == "double_charge":
            entry = self._settled_entry(order)
            rows = self.finance_reports[entry["report"]]["rows"]
            original = next(r for r in rows if r["rrdId"] == entry["logistics_rrd"])
            copy = dict(original, rrdId=self._next_rrd())
            rows.append(copy)
            record.update(order=entry["order"], report=entry["report"], rrdId=original["rrdId"],
                          repeated_rrdId=copy["rrdId"], amount=original["deliveryService"])
        elif kind == "wrong_commission":
            entry = self._settled_entry(order)
            delta = _m(amount if amount is not None else "10")
            row = next(r for r in self.finance_reports[entry["report"]]["rows"] if r["rrdId"] == entry["sale_rrd"])
            row["forPay"] = _s(Decimal(row["forPay"]) - delta)
            record.update(order=entry["order"], report=entry["report"], rrdId=row["rrdId"], amount=_s(delta),
                          expected_remuneration=_s(entry["remuneration"]),
                          remuneration=_s(entry["remuneration"] + delta))
        elif kind == "payout_short":
            ident = int(report) if report is not None else max(self.finance_reports)
            delta = _m(amount if amount is not None else "0.01")
            self.finance_reports[ident]["bank_delta"] -= delta
            record.update(report=ident, amount=_s(delta))
        elif kind == "unknown_operation":
            target = self.finance_reports[int(report)] if report is not None else self._report_for(
                period, _moment(sold_at), None)
            row = self._row(target, "Новая услуга WB 2027", _moment(sold_at), None,
                            deduction=_m(amount if amount is not None else "42.17"))
            target["rows"].append(row)
            record.update(report=target["id"], rrdId=row["rrdId"], amount=row["deduction"])
        else:
            raise ValueError(f"unknown finance error {kind!r}")
        self.finance_injected.append(record)
        return record

    def finance_header(self, report_id):
        """The list's item of a report (its sums from its rows)."""
        return self._render_report(self.finance_reports[int(report_id)])

    # --- building reports -----------------------------------------------------------------
    def _settled_entry(self, order):
        if order is None:
            order = next((k for k, e in self.finance_settled.items() if e["kind"] == "sold" and not e["returned"]),
                         None)
            if order is None:
                raise ValueError("no task sold and kept in a report yet (settle first)")
        entry = dict(self.finance_settled[str(order)])
        entry["order"] = str(order)
        return entry

    def _next_rrd(self):
        self._rrd_seq += self.emulator.random.randint(1, 9)
        return self._rrd_seq

    def _report_for(self, period, moment, task):
        day = moment.astimezone(MSK).date()
        start = day - timedelta(days=day.weekday()) if period == "weekly" else day
        stop = start + timedelta(days=6) if period == "weekly" else start
        currency = CURRENCY_LETTERS.get(task["convertedCurrencyCode"], "RUB") if task else "RUB"
        for report in self.finance_reports.values():
            if (report["period"], report["dateFrom"], report["currency"]) == (period, start, currency):
                return report
        self._report_seq[period] += self.emulator.random.randint(1, 99)
        ident = self._report_seq[period]
        report = {"id": ident, "period": period, "dateFrom": start, "dateTo": stop,
                  "createDate": stop + timedelta(days=1), "currency": currency, "rows": [],
                  "bank_delta": ZERO, "services": False}
        self.finance_reports[ident] = report
        return report

    def _unit_prices(self, task):
        """(retailPriceWithDisc, retailAmount) of a task, in its report's currency."""
        retail = Decimal(task["convertedPrice"]) / 100
        sale = Decimal(task["salePrice"]) / 100
        if task["currencyCode"] != task["convertedCurrencyCode"] and task["price"]:
            sale = _m(sale * Decimal(task["convertedPrice"]) / Decimal(task["price"]))
        return sale, retail

    def _settle_task(self, report, task, moment, returned):
        with_disc, retail = self._unit_prices(task)
        pct = COMMISSION_PCT[int(str(task["nmId"])[-1]) % len(COMMISSION_PCT)]
        gross = _m(with_disc * pct / 100)
        # WB funds its own discount (СПП) out of its remuneration: it can go below zero
        remuneration = gross - (with_disc - retail)
        acquiring = _m(retail * ACQUIRING_PCT / 100)
        for_pay = retail - remuneration - acquiring
        vw = _m(gross / (1 + VAT))
        goods = dict(retailPrice=with_disc, retailAmount=retail, retailPriceWithDisc=with_disc, forPay=for_pay,
                     acquiringFee=acquiring, ppvzSalesCommission=vw, vw=vw, vwNds=gross - vw, quantity=1,
                     commissionPercent=float(pct))
        sale = self._row(report, "Продажа", moment, task, doc="Продажа", **goods)
        tariff = self._tariff(task)
        logistics = self._row(report, "Логистика", moment, task, deliveryService=tariff, deliveryAmount=1,
                              bonusTypeName="К клиенту при продаже")
        report["rows"] += [sale, logistics]
        if returned:
            later = moment + timedelta(hours=30)
            report["rows"].append(self._row(report, "Возврат", later, task, doc="Возврат", **goods))
            report["rows"].append(self._row(report, "Логистика", later, task, deliveryService=_m("50"),
                                            returnAmount=1, bonusTypeName="От клиента при возврате"))
        self.finance_settled[str(task["id"])] = {
            "report": report["id"], "amount": retail, "remuneration": remuneration, "acquiring": acquiring,
            "for_pay": for_pay, "kind": "sold", "returned": returned, "sale_rrd": sale["rrdId"],
            "logistics_rrd": logistics["rrdId"], "logistics": tariff}

    def _refuse_task(self, report, task, moment):
        """Refused at the pick-up point: WB charges the way there and the way back, sells nothing."""
        there = self._row(report, "Логистика", moment, task, deliveryService=self._tariff(task), deliveryAmount=1,
                          bonusTypeName="К клиенту при продаже")
        back = self._row(report, "Логистика", moment, task, deliveryService=_m("50"), returnAmount=1,
                         bonusTypeName="От клиента при отмене")
        report["rows"] += [there, back]
        self.finance_settled[str(task["id"])] = {
            "report": report["id"], "amount": ZERO, "remuneration": ZERO, "acquiring": ZERO, "for_pay": ZERO,
            "kind": "refused", "returned": False, "sale_rrd": None, "logistics_rrd": there["rrdId"],
            "logistics": Decimal(there["deliveryService"])}

    def _compensate_task(self, report, task, moment):
        """Lost by WB: compensated at the task's price (⚠ the amount WB pays is its own rule)."""
        _, retail = self._unit_prices(task)
        row = self._row(report, "Компенсация потерянного товара", moment, task, doc="Продажа", retailAmount=retail,
                        forPay=retail, quantity=1)
        report["rows"].append(row)
        self.finance_settled[str(task["id"])] = {
            "report": report["id"], "amount": retail, "remuneration": ZERO, "acquiring": ZERO, "for_pay": retail,
            "kind": "lost", "returned": False, "sale_rrd": row["rrdId"], "logistics_rrd": None,
            "logistics": ZERO}

    @staticmethod
    def _tariff(task):
        """The logistics to the buyer of a task (from its id: the same every run)."""
        return _m(Decimal(38 + int(task["id"]) % 90) + Decimal(int(task["id"]) % 100) / 100)

    def _account_charges(self, report, moment):
        """The charges of the account, once a report: storage, acceptance, a fine, a deduction,
        a correction of logistics, loyalty, a change of the payout term."""
        report["services"] = True
        tasks = [self.orders[k] for k, e in self.finance_settled.items()
                 if e["report"] == report["id"] and e["kind"] == "sold"]
        some = tasks[0] if tasks else None
        rows = [
            self._row(report, "Хранение", moment, None, paidStorage=_m("1264.73")),
            self._row(report, "Обработка товара", moment, None, paidAcceptance=_m("86.50")),
            self._row(report, "Штраф", moment, some, penalty=_m("231.35"),
                      bonusTypeName="Штраф МП. Невыполненный заказ (отмена клиентом после недовоза)"),
            self._row(report, "Удержание", moment, None, deduction=_m("635.40"),
                      bonusTypeName="Оказание услуг «WB.Продвижение»"),
            self._row(report, "Коррекция логистики", moment, some, deliveryService=_m("-12.50"),
                      bonusTypeName="Коррекция логистики"),
            self._row(report, "Компенсация скидки по программе лояльности", moment, some,
                      cashbackDiscount=_m("19")),
            self._row(report, "Стоимость участия в программе лояльности", moment, some,
                      cashbackCommissionChange=_m("0.20")),
            self._row(report, "Разовое изменение срока перечисления денежных средств", moment, None,
                      paymentSchedule=_m("-1")),
        ]
        report["rows"] += rows

    def _row(self, report, operation, moment, task, doc="", **amounts):
        """A row of SalesReportsDetailedRes (every field the spec requires)."""
        rng = self.emulator.random
        product = self.by_offer.get(task["article"]) if task else None
        sold = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        row = {
            "reportId": report["id"], "dateFrom": report["dateFrom"].isoformat(),
            "dateTo": report["dateTo"].isoformat(), "createDate": report["createDate"].isoformat(),
            "currency": report["currency"], "reportType": 1, "rrdId": self._next_rrd(), "giId": 0, "dlvPrc": 1.8,
            "fixTariffDateFrom": report["dateFrom"].isoformat(), "fixTariffDateTo": report["dateTo"].isoformat(),
            "subjectName": "Товары для дома" if task else "", "nmId": int(task["nmId"]) if task else 0,
            "brandName": self.SELLER["tradeMark"] if task else "", "vendorCode": task["article"] if task else "",
            "title": (product or {}).get("name", task["article"]) if task else "",
            "techSize": "0", "sku": (task["skus"][0] if task["skus"] else "") if task else "", "docTypeName": doc,
            "quantity": 0, "salePercent": 0, "commissionPercent": 0, "officeName": "Коледино" if task else "",
            "sellerOperName": operation,
            "orderDt": task["createdAt"].strftime("%Y-%m-%dT%H:%M:%SZ") if task else sold, "saleDt": sold,
            "rrDate": moment.astimezone(MSK).date().isoformat(), "shkId": rng.randrange(10 ** 9, 10 ** 10),
            "deliveryAmount": 0, "returnAmount": 0, "giBoxTypeName": "Короб" if task else "",
            "productDiscountForReport": 0, "sellerPromo": 0, "spp": 0, "kvwBase": 0, "kvw": 0, "supRatingUp": 0,
            "isKgvpV2": 0, "acquiringPercent": float(ACQUIRING_PCT) if doc else 0,
            "paymentProcessing": "Комиссия за организацию платежа с НДС" if doc else "",
            "acquiringBank": "Вайлдберриз Банк" if doc else "", "ppvzOfficeName": "", "ppvzOfficeId": 0,
            "ppvzSupplierName": "", "ppvzSupplierInn": "", "declarationNumber": "", "stickerId": "",
            "country": "Россия", "srvDbs": bool(task and task["scheme"] == "dbs"),
            "orderId": int(task["id"]) if task else 0, "isB2b": False, "trbxId": "",
            "wibesDiscountPercent": 0, "deliveryMethod": (f"{task['scheme'].upper()}, (МГТ)" if task else ""),
            "sellerPromoId": 0, "sellerPromoDiscount": 0, "loyaltyId": 0, "loyaltyDiscount": 0, "uuidPromocode": "",
            "salePricePromocodeDiscountPrc": 0, "articleSubstitution": "", "salePriceAffiliatedDiscountPrc": 0,
            "salePriceWholesaleDiscountPrc": 0, "b2bCustomerTin": "", "paidWithSocialCertificate": False,
            "warehouseLogisticsCoeff": 0, "orderUid": task["orderUid"] if task else "",
            "srid": task["rid"] if task else "",
        }
        for key in MONEY_FIELDS:
            row[key] = "0"
        for key, value in amounts.items():
            row[key] = _s(value) if isinstance(value, Decimal) else value
        return row

    # --- rendering ------------------------------------------------------------------------
    @staticmethod
    def _sums(rows):
        sums = {total: ZERO for _, total in GOODS_SUMS + SERVICE_SUMS}
        for row in rows:
            sign = -1 if row["docTypeName"] == "Возврат" else 1
            for key, total in GOODS_SUMS:
                sums[total] += sign * Decimal(row[key])
            for key, total in SERVICE_SUMS:
                sums[total] += Decimal(row[key])
        return sums

    def _render_report(self, report):
        sums = self._sums(report["rows"])
        bank = (sums["forPaySum"] - sums["deliveryServiceSum"] - sums["paidStorageSum"] - sums["paidAcceptanceSum"]
                - sums["deductionSum"] - sums["penaltySum"] + sums["additionalPaymentSum"]
                - sums["cashbackAmountSum"] - sums["cashbackCommissionChangeSum"] + sums["cashbackDiscountSum"]
                + sums["paymentSchedule"] + report["bank_delta"])
        body = {"reportId": report["id"], "sellerFinanceName": self.SELLER["name"],
                "dateFrom": report["dateFrom"].isoformat(), "dateTo": report["dateTo"].isoformat(),
                "createDate": report["createDate"].isoformat(), "currency": report["currency"], "reportType": 1,
                "avgSalePercent": 0}
        body.update({key: _s(value) for key, value in sums.items()})
        body["bankPaymentSum"] = _s(bank)
        return body

    # --- routes ---------------------------------------------------------------------------
    def _fin_limited(self, template):
        """The 429 of a request sooner than a minute after the last one of the same method."""
        now = self.emulator.clock()
        last = self._finance_calls.get(template)
        if last is not None and now - last < self.finance_interval:
            self.emulator.limit_violations[self.name] += 1
            retry = max(1, int(self.finance_interval - (now - last) + 0.999))
            body = self._wb_error(429, "too many requests", "limited by c122a060-a7fb-4bb4-abb0-32fd4e18d489",
                                  "Too Many Requests")
            return Reply(429, body, headers={"X-Ratelimit-Retry": retry, "X-Ratelimit-Limit": 1,
                                             "X-Ratelimit-Reset": retry})
        self._finance_calls[template] = now
        return None

    def _bad_request(self, detail):
        return Reply(400, {"status": 400, "title": "GetReportDetailByPeriodNBAndNNB decode error", "detail": detail,
                           "requestId": f"{self._error_random.getrandbits(128):032x}",
                           "origin": "open-api-finreports"}, validate=False)

    def _selected(self, body):
        try:
            start, stop = _day(body["dateFrom"]), _day(body["dateTo"])
        except ValueError:
            return None
        period = body.get("period", "weekly")
        return [r for r in sorted(self.finance_reports.values(), key=lambda r: (r["dateFrom"], r["id"]))
                if r["period"] == period and r["dateFrom"] <= stop and r["dateTo"] >= start]

    @staticmethod
    def _rows_after(reports, body):
        after = int(body.get("rrdId") or 0)
        limit = int(body.get("limit") or 100000)
        rows = sorted((row for r in reports for row in r["rows"] if row["rrdId"] > after), key=lambda r: r["rrdId"])
        page = rows[:limit]
        if not page:
            return Reply(204, None, validate=False)
        fields = body.get("fields")
        if fields:
            page = [{k: v for k, v in row.items() if k in fields} for row in page]
            return Reply(200, [dict(row) for row in page], validate=False)
        return Reply(200, [dict(row) for row in page])

    def _fin_list(self, params, query, body, headers):
        limited = self._fin_limited(LIST)
        if limited:
            return limited
        reports = self._selected(body)
        if reports is None:
            return self._bad_request("dateFrom/dateTo: not a date")
        offset, limit = int(body.get("offset") or 0), int(body.get("limit") or 1000)
        page = [self._render_report(r) for r in reports[offset:offset + limit]]
        return Reply(200, page) if page else Reply(204, None, validate=False)

    def _fin_detailed(self, params, query, body, headers):
        limited = self._fin_limited(DETAILED)
        if limited:
            return limited
        reports = self._selected(body)
        if reports is None:
            return self._bad_request("dateFrom/dateTo: not a date")
        return self._rows_after(reports, body)

    def _fin_by_id(self, params, query, body, headers):
        limited = self._fin_limited(BY_ID)
        if limited:
            return limited
        report = self.finance_reports.get(int(params["reportId"])) if params["reportId"].isdigit() else None
        if report is None:
            return Reply(404, {"status": 404, "title": "GetDetailsByReportID error",
                               "detail": "GetDetailsByReportID error: generate meta key: get report data: "
                                         "report id not found",
                               "requestId": f"{self._error_random.getrandbits(128):032x}",
                               "origin": "open-api-finreports"}, validate=False)
        return self._rows_after([report], body or {})

    def spec_error_reply(self, route, message):
        """The finance API's 400 (``response400SalesReports``); other families: the core's."""
        if route.template.startswith("/api/finance/"):
            return self._bad_request(message[:300])
        return super().spec_error_reply(route, message)
