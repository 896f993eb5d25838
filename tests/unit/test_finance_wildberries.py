"""Wildberries realization reports against the emulator over loopback HTTP: the reports of the
emulator's own tasks read back as finance lines that add up to «Итого к оплате» to the kopeck,
whose sales are the tasks' own prices; stable keys; corrections, unknown operations, unreadable
rows; each injected error as a reconciliation would see it; paging and slicing at the
documented one request a minute (on a fake clock: the test never waits)."""
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from marketplace_connector.lib import finance as f
from marketplace_connector.lib import orders as o
from marketplace_connector.lib.wildberries import finance as wbf
from tests.emulator.wildberries import WildberriesApp
from tests.unit.helpers import FakeClock, clocked_adapter, clocked_emulator

MSK = timezone(timedelta(hours=3))
#: a Wednesday: its weekly report is Mon 2026-11-16 .. Sun 2026-11-22
SOLD = datetime(2026, 11, 18, 12, 0, tzinfo=MSK)
WEEK = (date(2026, 11, 16), date(2026, 11, 22))
LIST = "/api/finance/v1/sales-reports/list"
DETAILED = "/api/finance/v1/sales-reports/detailed"


@pytest.fixture
def clock():
    return FakeClock(1_000_000.0)


@pytest.fixture
def emu(clock):
    yield from clocked_emulator(clock)


def adapter(emu, clock):
    return clocked_adapter(emu, clock, "wildberries", WildberriesApp.CREDENTIALS, {})


def settle(emu, count, returns=0, sold_at=SOLD, **options):
    app = emu.wildberries
    created = app.add_orders(count, created_at=sold_at - timedelta(days=2))
    return app.finance_control("settle", orders=created, returns=returns, sold_at=sold_at.isoformat(), **options)


def report_sums(fetched):
    """{report key: sum of its lines, payouts excluded}."""
    sums = defaultdict(Decimal)
    for line in fetched.lines:
        if line.category != f.PAYOUT:
            sums[line.report_key] += line.amount
    return sums


def lines_of(fetched, **match):
    return [line for line in fetched.lines if all(getattr(line, k) == v for k, v in match.items())]


# --- a clean week -----------------------------------------------------------------------------

def test_settled_week_adds_up_and_sales_are_the_tasks_prices(emu, clock):
    app = emu.wildberries
    answer = settle(emu, 12, returns=2)
    started = clock()
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    assert not fetched.errors
    [report] = fetched.reports
    [ident] = [r["reportId"] for r in answer["reports"]]
    assert report.key == f"wb:{ident}" and report.kind == "weekly" and (report.date_from, report.date_to) == WEEK
    header = app.finance_header(ident)
    assert report.to_pay == Decimal(header["bankPaymentSum"])
    # the lines add up to «Итого к оплате», to the kopeck
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay
    # and the payout line is what WB states it pays
    [payout] = lines_of(fetched, category=f.PAYOUT)
    assert payout.amount == report.to_pay and payout.row_key == f"wb:report:{ident}"
    # every sale line is the task's own convertedPrice (the order import's default revenue)
    sales = {line.order_ref: line for line in lines_of(fetched, category=f.SALE)}
    assert set(sales) == set(answer["orders"])
    for ident_, line in sales.items():
        task = app.orders[ident_]
        assert line.amount == Decimal(task["convertedPrice"]) / 100
        assert line.quantity == 1 and line.offer == task["article"] and line.product_ref == str(task["nmId"])
        assert app.orders[ident_]["wbStatus"] == "sold"
    returns = lines_of(fetched, category=f.RETURN)
    assert {line.order_ref for line in returns} == set(answer["returned"])
    assert all(line.amount == -sales[line.order_ref].amount and line.quantity == -1 for line in returns)
    # each goods row: sale + remuneration + acquiring = forPay, the emulator's own figures
    for ident_, entry in app.finance_settled.items():
        row_key = f"wb:{entry['sale_rrd']}"
        row = [line for line in fetched.lines if line.row_key == row_key]
        assert sum(line.amount for line in row) == entry["for_pay"]
        [commission] = [line for line in row if line.component == "remuneration"]
        assert commission.amount == -entry["remuneration"] and commission.category == f.COMMISSION
        [acquiring] = [line for line in row if line.component == "acquiringFee"]
        assert acquiring.amount == -entry["acquiring"] and acquiring.category == f.ACQUIRING
    # every category of the account's charges is there
    categories = {line.category for line in fetched.lines}
    assert {f.LOGISTICS, f.RETURN_LOGISTICS, f.STORAGE, f.ACCEPTANCE, f.PENALTY, f.ADVERTISING, f.OTHER,
            f.LOYALTY} <= categories
    assert "" not in categories
    # one list call and one page of rows (short of the limit: the last), a minute apart (on the
    # fake clock)
    calls = emu.requests_to("wildberries")
    assert [r.template for r in calls] == [LIST, DETAILED]
    assert [r.status for r in calls] == [200, 200]
    assert clock() - started >= 60


def test_refused_tasks_cost_both_ways_and_sell_nothing(emu, clock):
    app = emu.wildberries
    answer = settle(emu, 5, refused=2)
    assert len(answer["refused"]) == 2
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    sold = {line.order_ref for line in lines_of(fetched, category=f.SALE)}
    for ident in answer["refused"]:
        assert app.orders[ident]["wbStatus"] == "canceled_by_client" and ident not in sold
        legs = sorted(line.category for line in lines_of(fetched, order_ref=ident))
        assert legs == [f.LOGISTICS, f.RETURN_LOGISTICS]
    [report] = fetched.reports
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay


def test_lost_tasks_are_compensated_at_their_price(emu, clock):
    app = emu.wildberries
    answer = settle(emu, 4, lost=1)
    [ident] = answer["lost"]
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [line] = lines_of(fetched, order_ref=ident)
    assert line.category == f.COMPENSATION and line.operation == "Компенсация потерянного товара"
    assert line.amount == Decimal(app.orders[ident]["convertedPrice"]) / 100
    assert ident not in {line.order_ref for line in lines_of(fetched, category=f.SALE)}


def test_list_pages_by_offset(emu, clock):
    for day in range(16, 21):
        settle(emu, 1, period="daily", sold_at=datetime(2026, 11, day, 12, 0, tzinfo=MSK))
    ad = adapter(emu, clock)
    ad.list_page = 2
    fetched = ad.fetch_finance(date(2026, 11, 16), date(2026, 11, 20), period="daily")
    assert len(fetched.reports) == 5
    assert [r.body["offset"] for r in emu.requests_to("wildberries", LIST)] == [0, 2, 4]
    sums = report_sums(fetched)
    assert all(f.money(sums[r.key]) == r.to_pay for r in fetched.reports)


def test_order_ref_is_the_external_id_of_the_order_import(emu, clock):
    settle(emu, 8)
    ad = adapter(emu, clock)
    orders = {order.external_id: order for order in ad.fetch_orders(SOLD - timedelta(days=3), SOLD)
              if isinstance(order, o.Order)}
    fetched = ad.fetch_finance(*WEEK)
    sales = lines_of(fetched, category=f.SALE)
    assert len(sales) == 8
    for line in sales:
        order = orders[line.order_ref]
        assert order.state == o.DELIVERED
        assert line.amount == order.lines[0].price and line.offer == order.lines[0].offer_code
        assert line.currency == order.currency


def test_second_read_gives_the_same_keys(emu, clock):
    settle(emu, 6, returns=1)
    ad = adapter(emu, clock)
    first = ad.fetch_finance(*WEEK)
    second = ad.fetch_finance(*WEEK)
    keys = [line.key for line in first.lines]
    assert len(keys) == len(set(keys))
    assert keys == [line.key for line in second.lines]
    assert [line.amount for line in first.lines] == [line.amount for line in second.lines]
    assert [r.key for r in first.reports] == [r.key for r in second.reports]


def test_correction_rows_are_corrections(emu, clock):
    settle(emu, 3)
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [line] = lines_of(fetched, operation="Коррекция логистики")
    assert line.correction and line.category == f.LOGISTICS and line.amount == Decimal("12.50")
    assert not any(line.correction for line in lines_of(fetched, operation="Продажа"))


def test_daily_reports_keep_ids_beyond_two_to_the_53(emu, clock):
    answer = settle(emu, 2, period="daily")
    [ident] = [r["reportId"] for r in answer["reports"]]
    assert ident > 2 ** 53
    day = SOLD.date()
    fetched = adapter(emu, clock).fetch_finance(day, day, period="daily")
    [report] = fetched.reports
    assert report.number == str(ident) and report.kind == "daily"
    assert all(line.report_key == f"wb:{ident}" for line in fetched.lines)
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay
    assert emu.requests_to("wildberries", LIST)[0].body["period"] == "daily"
    with pytest.raises(ValueError):
        adapter(emu, clock).fetch_finance(day, day, period="monthly")


# --- what must not be lost --------------------------------------------------------------------

def test_unknown_operation_is_a_line_without_category(emu, clock):
    answer = settle(emu, 3)
    ident = answer["reports"][0]["reportId"]
    injected = emu.wildberries.finance_control("inject", kind="unknown_operation", report=ident)
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [line] = [line for line in fetched.lines if line.row_key == f"wb:{injected['rrdId']}"]
    assert line.category == "" and line.operation == "Новая услуга WB 2027"
    assert line.amount == -Decimal(injected["amount"])
    # counted: the report still adds up
    [report] = fetched.reports
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay


def test_malformed_row_is_an_error_and_the_rest_goes_on(emu, clock):
    settle(emu, 5)

    def spoil(body):
        if isinstance(body, list) and len(body) > 3:
            body[1]["forPay"] = "12,3.4x"
            body[2] = "not a row"
        return body

    emu.rewrite_responses("wildberries", DETAILED, spoil)
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    assert len(fetched.errors) == 2
    assert all(isinstance(err, o.PayloadError) for err in fetched.errors)
    assert "forPay" in fetched.errors[0].message and fetched.errors[0].raw["forPay"] == "12,3.4x"
    rows = emu.wildberries.finance_reports[int(fetched.reports[0].number)]["rows"]
    assert len({line.row_key for line in fetched.lines if line.category != f.PAYOUT}) == len(rows) - 2


# --- injected errors, as a reconciliation sees them ---------------------------------------------

def test_missing_sale_is_a_delivered_task_without_a_sale(emu, clock):
    settle(emu, 4)
    app = emu.wildberries
    app.add_orders(1, created_at=SOLD - timedelta(days=2))
    injected = app.finance_control("inject", kind="missing_sale")
    assert app.orders[injected["order"]]["wbStatus"] == "sold"
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    sold = {line.order_ref for line in lines_of(fetched, category=f.SALE)}
    assert injected["order"] not in sold and len(sold) == 4
    assert app.finance_injected == [injected]


def test_double_charge_is_the_same_charge_under_a_new_row(emu, clock):
    settle(emu, 4)
    injected = emu.wildberries.finance_control("inject", kind="double_charge")
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    charges = [line for line in lines_of(fetched, order_ref=injected["order"], category=f.LOGISTICS)
               if line.operation == "Логистика"]
    assert sorted(line.row_key for line in charges) == sorted(
        [f"wb:{injected['rrdId']}", f"wb:{injected['repeated_rrdId']}"])
    assert charges[0].amount == charges[1].amount == -Decimal(injected["amount"])
    [report] = fetched.reports  # WB's header counts it: the rows still add up
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay


def test_wrong_commission_is_off_by_the_amount(emu, clock):
    settle(emu, 4)
    injected = emu.wildberries.finance_control("inject", kind="wrong_commission", amount="7.35")
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [line] = lines_of(fetched, row_key=f"wb:{injected['rrdId']}", component="remuneration")
    expected = Decimal(injected["expected_remuneration"])
    assert line.amount == -(expected + Decimal("7.35"))
    # the row's own ВВ says what the remuneration should have been; every other row agrees
    assert line.expected == -expected
    others = [ln for ln in fetched.lines if ln.component == "remuneration" and ln.key != line.key]
    assert others and all(ln.expected == ln.amount for ln in others)
    [report] = fetched.reports
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay


def test_payout_short_by_a_kopeck(emu, clock):
    answer = settle(emu, 4)
    ident = answer["reports"][0]["reportId"]
    emu.wildberries.finance_control("inject", kind="payout_short", report=ident)
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [report] = fetched.reports
    [payout] = lines_of(fetched, category=f.PAYOUT)
    rows_total = report_sums(fetched)[report.key]
    # WB states (and pays) a kopeck less than its rows add up to
    assert payout.amount == report.to_pay == rows_total - Decimal("0.01")


# --- the calls ----------------------------------------------------------------------------------

def test_requests_follow_the_spec_and_the_limit(emu, clock):
    settle(emu, 3)
    adapter(emu, clock).fetch_finance(*WEEK)
    calls = emu.requests_to("wildberries")
    assert calls and all(r.fault == "" for r in calls)
    assert calls[0].body == {"dateFrom": "2026-11-16", "dateTo": "2026-11-22", "period": "weekly",
                             "limit": 1000, "offset": 0}
    assert calls[1].body == {"dateFrom": "2026-11-16", "dateTo": "2026-11-22", "period": "weekly",
                             "limit": 20000, "rrdId": 0}
    # a page short of the limit is the last: no third call (a minute's wait) for WB's 204
    assert len(calls) == 2
    # a spec-breaking request is WB's 400 (and a violation the fixture would report)
    import requests
    reply = requests.post(emu.base_url("wildberries") + LIST, json={"dateFrom": "16.11.2026"},
                          headers={"Authorization": WildberriesApp.CREDENTIALS["token"]}, timeout=5)
    assert reply.status_code == 400 and reply.json()["origin"] == "open-api-finreports"
    assert emu.violations()
    emu.clear_violations()


def test_a_too_early_request_is_refused_and_retried(emu, clock):
    settle(emu, 2)
    app = emu.wildberries
    app.finance_interval = 120.0  # stricter than the client: its second page gets the 429 once
    ad = adapter(emu, clock)
    ad.detail_page = 2
    fetched = ad.fetch_finance(*WEEK)
    assert fetched.reports and not fetched.errors
    statuses = [r.status for r in emu.requests_to("wildberries", DETAILED)]
    # each too-early page is refused, waited out (X-Ratelimit-Retry) and asked again
    assert statuses[0] == 200 and 429 in statuses and statuses[-1] in (200, 204)
    emu.clear_violations()


def test_many_pages_one_a_minute(emu, clock):
    settle(emu, 120, returns=10)
    app = emu.wildberries
    rows = sum(len(r["rows"]) for r in app.finance_reports.values())
    ad = adapter(emu, clock)
    ad.detail_page = 25
    started = clock()
    fetched = ad.fetch_finance(*WEEK)
    pages = emu.requests_to("wildberries", DETAILED)
    # full pages, then the short last one (or WB's 204 after a last page that was full)
    assert len(pages) == rows // 25 + 1
    assert pages[-1].status == (204 if rows % 25 == 0 else 200)
    assert all(r.body["limit"] == 25 for r in pages)
    cursors = [r.body["rrdId"] for r in pages]
    assert cursors == sorted(set(cursors))
    assert len({line.row_key for line in fetched.lines if line.category != f.PAYOUT}) == rows
    [report] = fetched.reports
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay
    assert clock() - started >= (len(pages)) * 60


def test_a_long_period_is_sliced(emu, clock):
    months = [datetime(2026, m, 11, 12, 0, tzinfo=MSK) for m in (7, 8, 9, 10)]
    for moment in months:
        settle(emu, 2, sold_at=moment)
    fetched = adapter(emu, clock).fetch_finance(date(2026, 7, 1), date(2026, 10, 31))
    assert len(fetched.reports) == 4 and not fetched.errors
    lists = emu.requests_to("wildberries", LIST)
    spans = [(date.fromisoformat(r.body["dateFrom"]), date.fromisoformat(r.body["dateTo"])) for r in lists]
    assert len(spans) == 4
    assert all((stop - start).days + 1 <= wbf.MAX_PERIOD_DAYS for start, stop in spans)
    assert spans[0][0] == date(2026, 7, 1) and spans[-1][1] == date(2026, 10, 31)
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in zip(spans, spans[1:]))
    sums = report_sums(fetched)
    for report in fetched.reports:
        assert f.money(sums[report.key]) == report.to_pay
    assert len({line.key for line in fetched.lines}) == len(fetched.lines)


def test_a_report_across_two_slices_is_read_once(emu, clock):
    # the week of 2026-08-31 (Mon) .. 2026-09-06 meets both slices of July 7 .. Sep 3
    settle(emu, 3, sold_at=datetime(2026, 9, 2, 12, 0, tzinfo=MSK))
    fetched = adapter(emu, clock).fetch_finance(date(2026, 7, 5), date(2026, 9, 3))
    assert len(emu.requests_to("wildberries", LIST)) == 2
    [report] = fetched.reports
    assert len({line.key for line in fetched.lines}) == len(fetched.lines)
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay


# --- the parsers without HTTP -------------------------------------------------------------------

def test_every_category_of_the_table_is_a_category():
    assert set(wbf.DEFAULT_CATEGORIES.values()) <= f.CATEGORY_CODES
    assert wbf.category_of("Продажа", "retailAmount") == f.SALE
    assert wbf.category_of("Логистика", "returnDeliveryService") == f.RETURN_LOGISTICS
    assert wbf.category_of("Что-то новое", "deduction") == ""
    promotion = {"rrdId": 9, "reportId": 7, "sellerOperName": "Удержание", "rrDate": "2026-11-18",
                 "deduction": "635.4", "bonusTypeName": "Оказание услуг «WB.Продвижение»"}
    [line] = wbf.parse_row(promotion)
    assert (line.component, line.category, line.amount) == ("advertisingDeduction", f.ADVERTISING,
                                                           Decimal("-635.4"))


def test_a_row_of_zeros_is_kept_and_a_row_without_id_is_an_error():
    row = {"rrdId": 5, "reportId": 7, "sellerOperName": "Возмещение за выдачу и возврат товаров на ПВЗ",
           "rrDate": "2026-11-18", "ppvzReward": "12.5", "currency": "RUB"}
    [line] = wbf.parse_row(row)
    assert line.component == "row" and line.amount == 0 and line.key == "wb:5:row"
    assert line.category == f.COMMISSION
    with pytest.raises(o.PayloadError):
        wbf.parse_row({"reportId": 7})


def test_parsed_signs_of_a_sale_a_return_and_a_leg_back():
    sale = {"rrdId": 11, "reportId": 7, "docTypeName": "Продажа", "sellerOperName": "Продажа", "quantity": 1,
            "rrDate": "2026-11-18", "currency": "RUB", "orderId": 3847201001, "nmId": 180000037,
            "vendorCode": "A-1", "sku": "4600000000017",
            # WB funds its discount: it pays out more than the sale (remuneration below zero)
            "retailAmount": "900", "forPay": "905.5", "acquiringFee": "13.5", "vwNds": "3.1"}
    lines = {line.component: line for line in wbf.parse_row(sale)}
    assert lines["retailAmount"].amount == 900 and lines["retailAmount"].quantity == 1
    assert lines["remuneration"].amount == Decimal("19.0") and lines["remuneration"].vat_amount == Decimal("-3.1")
    assert lines["acquiringFee"].amount == Decimal("-13.5")
    assert sum(line.amount for line in lines.values()) == Decimal("905.5")
    assert lines["retailAmount"].order_ref == "3847201001" and lines["retailAmount"].product_ref == "180000037"
    back = dict(sale, rrdId=12, docTypeName="Возврат", sellerOperName="Возврат")
    lines = {line.component: line for line in wbf.parse_row(back)}
    assert lines["retailAmount"].amount == -900 and lines["retailAmount"].quantity == -1
    assert lines["retailAmount"].category == f.RETURN
    assert sum(line.amount for line in lines.values()) == Decimal("-905.5")
    leg = {"rrdId": 13, "reportId": 7, "docTypeName": "", "sellerOperName": "Логистика", "rrDate": "2026-11-19",
           "deliveryService": "50", "bonusTypeName": "От клиента при возврате", "orderId": 0}
    [line] = wbf.parse_row(leg)
    assert (line.component, line.category, line.amount, line.order_ref) == (
        "returnDeliveryService", f.RETURN_LOGISTICS, Decimal(-50), "")


def test_rows_of_a_report_the_list_does_not_give(emu, clock):
    settle(emu, 3)
    emu.rewrite_responses("wildberries", LIST, lambda body: [] if isinstance(body, list) else body)
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [report] = fetched.reports
    assert report.raw == {"rows_only": True} and report.totals == {}
    assert report.to_pay == report_sums(fetched)[report.key]
    assert not lines_of(fetched, category=f.PAYOUT)


def test_control_over_http(emu, clock):
    import requests
    app = emu.wildberries
    created = app.add_orders(3, created_at=SOLD - timedelta(days=2))
    url = emu.url + "/_emulator/finance"
    answer = requests.post(url, json={"marketplace": "wildberries", "action": "settle",
                                      "options": {"orders": created, "sold_at": SOLD.isoformat()}}, timeout=5).json()
    assert answer["orders"] == created and len(answer["reports"]) == 1
    # settling the same tasks again sells nothing twice
    again = requests.post(url, json={"marketplace": "wildberries", "action": "settle",
                                     "options": {"orders": created, "sold_at": SOLD.isoformat()}}, timeout=5).json()
    assert again["orders"] == [] and again["reports"] == []
    record = requests.post(url, json={"marketplace": "wildberries", "action": "inject",
                                      "options": {"kind": "payout_short"}}, timeout=5).json()
    assert record == {"kind": "payout_short", "report": answer["reports"][0]["reportId"], "amount": "0.01"}
    assert app.finance_injected == [record]
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [report] = fetched.reports
    assert report.to_pay == report_sums(fetched)[report.key] - Decimal("0.01")


def test_a_report_owing_money_has_no_payout(emu, clock):
    # nothing sold: the account's charges alone, «Итого к оплате» below zero
    app = emu.wildberries
    app.finance_control("inject", kind="unknown_operation", sold_at=SOLD.isoformat(), amount="500")
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [report] = fetched.reports
    assert report.to_pay == Decimal("-500")
    assert not lines_of(fetched, category=f.PAYOUT)
    assert report_sums(fetched)[report.key] == report.to_pay


def test_a_seller_abroad_gets_reports_in_its_currency(emu, clock):
    app = emu.wildberries
    created = app.add_orders(3, created_at=SOLD - timedelta(days=2), currency="KZT")
    app.finance_control("settle", orders=created, sold_at=SOLD.isoformat())
    fetched = adapter(emu, clock).fetch_finance(*WEEK)
    [report] = fetched.reports
    assert report.currency == "KZT" and {line.currency for line in fetched.lines} == {"KZT"}
    for line in lines_of(fetched, category=f.SALE):
        assert line.amount == Decimal(app.orders[line.order_ref]["convertedPrice"]) / 100
    assert f.money(report_sums(fetched)[report.key]) == report.to_pay
