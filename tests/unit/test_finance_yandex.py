"""Yandex Market finance reports against the emulator over loopback HTTP: generate → poll →
download of the payments report (a line a transaction, a report and a payout a bank order) and
of the goods-realization reports; the amounts checked against the emulator's own orders, the
injected errors seen as a reconciliation sees them, the documented limits kept on a fake clock."""
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from marketplace_connector.lib import finance as f
from marketplace_connector.lib import orders as o
from marketplace_connector.lib.yandex import finance as yf
from marketplace_connector.lib.yandex import parse_order
from tests.emulator.yandex import YandexApp
from tests.unit.helpers import FakeClock, clocked_adapter, clocked_emulator

DAY = "2026-11-10"
PERIOD = (date(2026, 11, 1), date(2026, 11, 30))
NETTING = "/v2/reports/united-netting/generate"
REALIZATION = "/v2/reports/goods-realization/generate"


@pytest.fixture
def clock():
    return FakeClock(1_000_000.0)


@pytest.fixture
def emu(clock):
    yield from clocked_emulator(clock)


def adapter(emu, clock):
    return clocked_adapter(emu, clock, "yandex", YandexApp.CREDENTIALS, YandexApp.SETTINGS)


def settled(emu, count=12, returns=2, **options):
    app = emu.yandex
    app.add_orders(count)
    return app.finance_control("settle", day=DAY, returns=returns, penalty="150.00", **options)


def by_order(lines, category):
    sums = defaultdict(Decimal)
    for line in lines:
        if line.category == category:
            sums[line.order_ref] += line.amount
    return dict(sums)


def money_lines(fetch):
    return [line for line in fetch.lines if line.category != f.PAYOUT]


def test_a_settled_period_adds_up_and_its_sales_are_the_orders_prices(emu, clock):
    info = settled(emu)
    fetch = adapter(emu, clock).fetch_finance(*PERIOD)
    assert not fetch.errors
    app = emu.yandex
    # every line of a report adds up to its to_pay, to the kopeck; the payout is the bank order
    netting = [r for r in fetch.reports if r.kind == "bank_order"]
    assert [r.key for r in netting] == [f"ym:bank_order:{info['bank_order']}"]
    report = netting[0]
    lines = [line for line in fetch.lines if line.report_key == report.key]
    assert f.money(sum(l.amount for l in lines if l.category != f.PAYOUT)) == report.to_pay
    payouts = [l for l in lines if l.category == f.PAYOUT]
    assert len(payouts) == 1 and payouts[0].amount == report.to_pay == app.bank_sum(info["bank_order"])
    # the sale lines are the orders' prices as the order import books them (the emulator's own data)
    expected = {ident: sum((app.item_price(it) for it in app.orders[ident]["items"]), Decimal(0))
                for ident in info["settled"]}
    assert by_order(fetch.lines, f.SALE) == expected
    assert by_order(fetch.lines, f.RETURN) == {ident: -expected[ident] for ident in info["returned"]}
    # ... and the order import's own price of the same order, on its default basis
    for ident in info["settled"][:3]:
        order = parse_order(app._render(app.orders[ident]))
        assert sum(line.price * line.quantity for line in order.lines) == expected[ident]
        assert order.external_id == ident
    # goods moved: counted once per item (on the buyer's payment)
    sold = sum(it["count"] for ident in info["settled"] for it in app.orders[ident]["items"])
    assert sum(l.quantity for l in fetch.lines if l.category == f.SALE) == sold
    # every category the report has; nothing unknown in clean data
    assert {l.category for l in fetch.lines} >= {f.SALE, f.RETURN, f.COMMISSION, f.ACQUIRING, f.LOGISTICS,
                                                 f.RETURN_LOGISTICS, f.STORAGE, f.PENALTY, f.PAYOUT}
    assert "" not in {l.category for l in fetch.lines}
    # the goods-realization reports of the campaigns: delivered less returned = the sales
    realization = [r for r in fetch.reports if r.kind == "realization"]
    assert {r.key.split(":")[2] for r in realization} == {str(c) for c in YandexApp.SETTINGS["campaign_ids"]}
    assert all(r.to_pay == 0 for r in realization)
    assert sum(r.totals["delivered"] for r in realization) == sum(expected.values())
    assert sum(r.totals["returned"] for r in realization) == sum(expected[i] for i in info["returned"])
    # a VAT amount where the row has one
    sale = next(l for l in fetch.lines if l.operation == "Платёж покупателя")
    assert sale.vat_rate == Decimal("22") and sale.vat_amount == f.money(sale.amount * 22 / 122)


def test_a_second_read_gives_the_same_keys_and_corrections_are_marked(emu, clock):
    settled(emu, count=6, returns=1)
    market = adapter(emu, clock)
    first = market.fetch_finance(*PERIOD, realization=False)
    second = market.fetch_finance(*PERIOD, realization=False)
    assert [l.key for l in first.lines] == [l.key for l in second.lines]
    assert len({l.key for l in first.lines}) == len(first.lines)
    assert [(r.key, r.to_pay) for r in first.reports] == [(r.key, r.to_pay) for r in second.reports]
    # the returned order's placement fee comes back: a reversal, marked as a correction
    corrections = [l for l in first.lines if l.correction]
    assert len(corrections) == 1
    fix = corrections[0]
    assert fix.category == f.COMMISSION and fix.amount > 0 and fix.raw["TRANSACTION_TYPE"] == "Возврат списания"
    fee = next(l for l in first.lines if l.order_ref == fix.order_ref and l.operation == fix.operation
               and not l.correction)
    assert fee.amount == -fix.amount


def test_unknown_operations_are_kept_and_a_malformed_row_is_an_error(emu, clock):
    info = settled(emu, count=4, returns=0)
    app = emu.yandex
    unknown = app.finance_control("inject", kind="unknown_operation", source="Новая услуга Маркета")
    bad = app.finance_control("inject", kind="malformed_row")
    fetch = adapter(emu, clock).fetch_finance(*PERIOD, realization=False)
    line = next(l for l in fetch.lines if l.row_key == f"ym:{unknown['row']}")
    assert line.category == "" and line.operation == "Новая услуга Маркета" and line.amount == Decimal("-12.34")
    assert len(fetch.errors) == 1 and isinstance(fetch.errors[0], o.PayloadError)
    assert fetch.errors[0].raw["TRANSACTION_ID"] == bad["row"]
    # the rest of the report goes on, and still adds up to its bank order
    report = next(r for r in fetch.reports if r.kind == "bank_order")
    assert report.to_pay == app.bank_sum(info["bank_order"])
    assert len(by_order(fetch.lines, f.SALE)) == 4


def test_each_injected_error_shows_in_the_fetched_data(emu, clock):
    info = settled(emu, count=8, returns=0)
    app = emu.yandex
    market = adapter(emu, clock)
    clean = market.fetch_finance(*PERIOD, realization=False)
    missing = app.finance_control("inject", kind="missing_sale")
    double = app.finance_control("inject", kind="double_charge")
    wrong = app.finance_control("inject", kind="wrong_commission", amount="-10.00")
    short = app.finance_control("inject", kind="payout_short")
    assert app.finance_control("injected")["injected"] == [missing, double, wrong, short]
    fetch = market.fetch_finance(*PERIOD, realization=False)
    assert not fetch.errors
    # missing sale: a delivered order with no sale line
    sales = by_order(fetch.lines, f.SALE)
    assert missing["order_id"] in info["settled"] and missing["order_id"] not in sales
    assert missing["order_id"] in by_order(clean.lines, f.SALE)
    # double charge: the same charge twice, under two transaction ids
    twice = [l for l in fetch.lines if l.order_ref == double["order_id"] and l.operation == double["source"]]
    assert sorted(l.row_key for l in twice) == sorted([f"ym:{double['row']}", f"ym:{double['copy']}"])
    assert all(l.amount == Decimal(double["amount"]) for l in twice)
    # wrong commission: the fee is 10.00 more than the tariff's
    fee = next(l for l in fetch.lines if l.row_key == f"ym:{wrong['row']}")
    assert fee.amount == Decimal(wrong["expected"]) - Decimal("10.00") and fee.category == f.COMMISSION
    before = next(l for l in clean.lines if l.row_key == f"ym:{wrong['row']}")
    assert before.amount == Decimal(wrong["expected"])
    # payout short: the bank order pays a kopeck less than its rows
    report = next(r for r in fetch.reports if r.key == f"ym:bank_order:{short['bank_order']}")
    payout = sum(l.amount for l in fetch.lines if l.category == f.PAYOUT and l.report_key == report.key)
    assert payout == report.to_pay - Decimal("0.01")
    assert f.money(sum(l.amount for l in money_lines(fetch) if l.report_key == report.key)) == report.to_pay


def test_requests_follow_the_spec_and_the_generation_limit(emu, clock):
    settled(emu, count=3, returns=0)
    adapter(emu, clock).fetch_finance(*PERIOD)
    generated = emu.requests_to("yandex", NETTING) + emu.requests_to("yandex", REALIZATION)
    assert all(r.status == 200 and r.query == {"format": "CSV"} for r in generated)
    assert len(emu.requests_to("yandex", NETTING)) == 1
    # one report a campaign; 2 minutes apart on the fake clock, or the emulator would have
    # answered 420 and counted a violation
    asked = [r.body for r in emu.requests_to("yandex", REALIZATION)]
    assert [(b["year"], b["month"]) for b in asked] == [(2026, 11)] * 4
    files = emu.requests_to("yandex-files")
    assert files and all("Api-Key" not in r.headers for r in files)
    assert not emu.violations()


def test_a_long_period_is_cut_in_windows_of_three_months_and_paced(emu, clock):
    app = emu.yandex
    app.add_orders(4)
    for day in ("2026-01-20", "2026-04-02", "2026-08-30", "2026-11-05"):
        app.finance_control("settle", count=1, day=day)
    # accrued on 31 March, paid on 1 April: in the reports of both windows, taken once
    app.add_orders(1)
    spanning = app.finance_control("settle", count=1, day="2026-03-31", paid="2026-04-01")
    start = clock()
    fetch = adapter(emu, clock).fetch_finance(date(2026, 1, 1), date(2026, 12, 31), realization=False)
    asked = [(r.body["dateFrom"], r.body["dateTo"]) for r in emu.requests_to("yandex", NETTING)]
    assert asked == [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"),
                     ("2026-10-01", "2026-12-31")]
    assert clock() - start >= 3 * yf.YandexFinance.generate_interval
    assert len([r for r in fetch.reports if r.kind == "bank_order"]) == 5
    assert len(by_order(fetch.lines, f.SALE)) == 5
    assert len(money_lines(fetch)) == len(app.fin_rows) == len({l.key for l in fetch.lines}) - 5
    report = next(r for r in fetch.reports if r.key == f"ym:bank_order:{spanning['bank_order']}")
    assert report.to_pay == app.bank_sum(spanning["bank_order"]) and report.created.date() == date(2026, 4, 1)
    assert yf.windows(date(2026, 1, 15), date(2026, 5, 2), 3) == [
        (date(2026, 1, 15), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 5, 2))]


def test_a_report_too_large_is_asked_again_in_halves(emu, clock):
    app = emu.yandex
    app.add_orders(40)
    for i, day in enumerate(("2026-11-03", "2026-11-09", "2026-11-16", "2026-11-24")):
        app.finance_control("settle", count=10, day=day, returns=1)
    app.netting_max_rows = 150
    app.report_polls = 3
    fetch = adapter(emu, clock).fetch_finance(*PERIOD, realization=False)
    asked = emu.requests_to("yandex", NETTING)
    assert len(asked) > 2 and all(r.status == 200 for r in asked)
    assert not fetch.errors
    assert len([r for r in fetch.reports if r.kind == "bank_order"]) == 4
    assert len(by_order(fetch.lines, f.SALE)) == 40
    rows = [r for r in app.fin_rows]
    assert len(money_lines(fetch)) == len(rows)
    for report in fetch.reports:
        lines = [l for l in fetch.lines if l.report_key == report.key and l.category != f.PAYOUT]
        assert f.money(sum(l.amount for l in lines)) == report.to_pay
    polls = emu.requests_to("yandex", "/v2/reports/info/{reportId}")
    assert len(polls) >= 4 * len(asked)


def test_a_file_link_expires_after_an_hour(emu, clock):
    import requests

    settled(emu, count=1, returns=0)
    market = adapter(emu, clock)
    answer = market.transport.request("POST", NETTING, params={"format": "CSV"},
                                      json_body={"businessId": 11223344, "dateFrom": "2026-11-01",
                                                 "dateTo": "2026-11-30"})
    report = answer["result"]["reportId"]
    links = set()
    for _ in range(3):
        info = market.transport.request("GET", f"/v2/reports/info/{report}")["result"]
        if info.get("file"):
            links.add(info["file"])
    assert len(links) == 2  # a new link on every call
    link = sorted(links)[0]
    assert requests.get(link, timeout=5).status_code == 200
    clock.sleep(3601)
    assert requests.get(link, timeout=5).status_code == 403


def test_parsers_read_the_documented_forms():
    assert yf.report_date("19.05.2026 00:00", "d").isoformat() == "2026-05-19T00:00:00+03:00"
    assert yf.report_date("2026-05-19", "d").date() == date(2026, 5, 19)
    row = {"TRANSACTION_ID": "", "ORDER_ID": "55606680448", "TRANSACTION_DATE": "19.05.2026 00:00",
           "TRANSACTION_TYPE": "Возврат", "TRANSACTION_SOURCE": "Возврат платежа покупателя",
           "TRANSACTION_SUM": "-10009,74", "COUNT": "2", "SHOP_SKU": "A-1"}
    line = yf.parse_netting_row(row, "ym:unpaid:2026-05")
    assert line.amount == Decimal("-10009.74") and line.category == f.RETURN and line.quantity == -2
    assert line.row_key.startswith("ym:row:") and line.row_key == yf.row_key(dict(row))
    with pytest.raises(o.PayloadError):
        yf.parse_netting_row(dict(row, TRANSACTION_SUM=""), "x")
    assert yf.category_of("Оплата услуг Яндекс.Маркета", "Доставка покупателю") == f.LOGISTICS
    assert yf.category_of("Оплата услуг Яндекс.Маркета", "Что-то новое") == ""
    assert set(yf.DEFAULT_CATEGORIES.values()) <= f.CATEGORY_CODES


def test_the_control_path_over_http_settles_and_injects(emu, clock):
    import requests

    emu.yandex.add_orders(3)
    url = f"{emu.url}/_emulator/finance"
    settled_ = requests.post(url, json={"marketplace": "yandex", "action": "settle",
                                        "options": {"day": DAY, "returns": 1}}, timeout=5).json()
    assert len(settled_["settled"]) == 3 and len(settled_["returned"]) == 1
    short = requests.post(url, json={"marketplace": "yandex", "action": "inject",
                                     "options": {"kind": "payout_short"}}, timeout=5).json()
    assert short["bank_order"] == settled_["bank_order"] and short["amount"] == "0.01"
    fetch = adapter(emu, clock).fetch_finance(*PERIOD, realization=False)
    report = fetch.reports[0]
    assert report.totals["bank_sum"] == Decimal(settled_["bank_sum"]) - Decimal("0.01")
    assert report.totals["bank_sum"] == report.to_pay - Decimal("0.01")


def test_rows_for_information_only_and_unpaid_rows():
    base = {"TRANSACTION_DATE": "12.11.2026 10:00", "ORDER_ID": "48100000001", "TRANSACTION_TYPE": "Начисление",
            "SHOP_SKU": "A-1", "COUNT": "1"}
    rows = [
        dict(base, TRANSACTION_ID="1", TRANSACTION_SOURCE="Платёж покупателя", TRANSACTION_SUM="100.00",
             PAYMENT_STATUS="Будет переведён по графику выплат"),
        dict(base, TRANSACTION_ID="2", TRANSACTION_SOURCE="Баллы за скидку Маркета", TRANSACTION_SUM="20.00",
             PAYMENT_STATUS="Справочно: баллы"),
        dict(base, TRANSACTION_ID="1", TRANSACTION_SOURCE="Платёж покупателя", TRANSACTION_SUM="100.00",
             PAYMENT_STATUS="Будет переведён по графику выплат"),  # the same row from the next window
    ]
    result = f.FinanceFetch()
    yf.YandexFinance()._netting_result(rows, result)
    assert [r.key for r in result.reports] == ["ym:unpaid:2026-11"]
    report = result.reports[0]
    assert report.to_pay == Decimal("100.00") and report.totals["reference_only"] == Decimal("20.00")
    assert [l.key for l in result.lines] == ["ym:1:amount"]  # no payout: no bank order yet
    assert not result.errors


def test_a_generation_refused_with_420_is_waited_out(emu, clock):
    """Another process generated a report a moment ago: the Market's 420 and its
    X-RateLimit-Resource-Until are obeyed by the transport, on the fake clock."""
    settled(emu, count=2, returns=0)
    adapter(emu, clock).fetch_finance(*PERIOD, realization=False)
    start = clock()
    fetch = adapter(emu, clock).fetch_finance(*PERIOD, realization=False)  # a new adapter: no pacing of its own
    statuses = [r.status for r in emu.requests_to("yandex", NETTING)]
    assert statuses[0] == 200 and 420 in statuses and statuses[-1] == 200
    assert clock() - start >= 100 and len(by_order(fetch.lines, f.SALE)) == 2
    assert emu.yandex.limit_answers
    emu.clear_violations()  # the 420s were this test's point


def test_an_order_is_settled_once(emu, clock):
    settled(emu, count=5, returns=0)
    app = emu.yandex
    rows = len(app.fin_rows)
    again = list(app.fin_settled)
    app.finance_control("settle", orders=again, day=DAY)
    assert len(app.fin_rows) == rows
