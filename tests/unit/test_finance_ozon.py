"""Ozon finance reports: the adapter's ``fetch_finance`` against the emulator over loopback HTTP.

The emulator settles the postings it generated into a month; the tests compare what the
adapter reads with the emulator's raw postings and operations (never with our own parse)."""
import calendar
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from marketplace_connector.lib import finance as f
from marketplace_connector.lib import orders as o
from marketplace_connector.lib.base import make_adapter
from marketplace_connector.lib.ozon import OzonAdapter, parse_fbs_posting
from marketplace_connector.lib.ozon.finance import DEFAULT_CATEGORIES, KNOWN_OPERATIONS, MSK, PAGE_SIZE
from tests.emulator import MarketplaceEmulator
from tests.emulator.ozon import OzonApp

LIMITER = OzonAdapter.make_rate_limiter()
SALE = "OperationAgentDeliveredToCustomer"


def _month_back(months):
    """The first day of the month ``months`` before the current one (Moscow)."""
    today = datetime.now(MSK).date()
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _last(first):
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


MONTH = _month_back(2)


@pytest.fixture(scope="module")
def server():
    emulator = MarketplaceEmulator(seed=8, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(server):
    app = server.ozon
    app.orders.clear()
    app.reset_finance()
    server.faults.clear()
    server.clear_rewrites()
    server.reset_records()
    yield server
    server.clear_rewrites()
    assert server.violations() == [], "every request was spec-valid and within the limits"


def adapter(emu):
    return make_adapter("ozon", OzonApp.CREDENTIALS, OzonApp.SETTINGS, base_url=emu.base_url("ozon"),
                        rate_limiter=LIMITER, timeout=(1, 2), sleep=lambda s: None)


def settle(emu, count=24, returns=3, month=MONTH):
    app = emu.ozon
    app.add_orders(count, created_at=datetime.combine(month, datetime.min.time(), MSK) - timedelta(days=2))
    return app.finance_control("settle", month=f"{month:%Y-%m}", returns=returns)


def report(fetch, key):
    return next(r for r in fetch.reports if r.key == key)


def booked(fetch, key):
    """The lines of a report, payouts excluded, summed."""
    return sum((ln.amount for ln in fetch.lines if ln.report_key == key and ln.category != f.PAYOUT), Decimal(0))


def paid(fetch, key):
    return sum((ln.amount for ln in fetch.lines if ln.report_key == key and ln.category == f.PAYOUT), Decimal(0))


def raw_amount(posting):
    """The emulator's own figure of an order: Σ price × quantity of its products."""
    return sum((ln["price"] * ln["quantity"] for ln in posting["products"]), Decimal(0))


TX = f"ozon:transactions:{MONTH:%Y-%m}"
RZ = f"ozon:realization:{MONTH:%Y-%m}"


# --- a clean month ----------------------------------------------------------------------------

def test_a_settled_month_adds_up_to_the_kopeck_and_its_sales_are_the_orders(emu):
    done = settle(emu, count=24, returns=3)
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    assert fetch.errors == []
    assert {r.key for r in fetch.reports} == {TX, RZ}
    for rep in fetch.reports:
        assert f.money(booked(fetch, rep.key)) == f.money(rep.to_pay), rep.key
    tx = report(fetch, TX)
    assert tx.kind == "transactions" and tx.totals["operations_sum"] == tx.to_pay
    # the sales are the emulator's orders, to the kopeck, keyed by the posting number
    postings = emu.ozon.orders
    sales = {ln.order_ref: ln for ln in fetch.lines if ln.operation == SALE and ln.component == "accruals_for_sale"}
    assert set(sales) == set(done["settled"])
    for number, line in sales.items():
        assert line.amount == raw_amount(postings[number]), number
        assert line.category == f.SALE and line.quantity == sum(p["quantity"] for p in postings[number]["products"])
    returns = {ln.order_ref: ln.amount for ln in fetch.lines
               if ln.operation == "ClientReturnAgentOperation" and ln.component == "accruals_for_sale"}
    assert returns == {n: -raw_amount(postings[n]) for n in done["returned"]}
    assert all(ln.category == f.RETURN for ln in fetch.lines
               if ln.operation == "ClientReturnAgentOperation" and ln.component == "accruals_for_sale")
    # order_ref is what the order import stores as the order's external id
    imported = parse_fbs_posting(emu.ozon._render_v4(postings[done["settled"][0]], {}))
    assert imported.external_id in sales
    # every row type, each in its category
    categories = Counter(ln.category for ln in fetch.lines if ln.report_key == TX)
    for code in (f.SALE, f.RETURN, f.COMMISSION, f.ACQUIRING, f.LOGISTICS, f.RETURN_LOGISTICS, f.STORAGE,
                 f.PENALTY, f.ADVERTISING, f.COMPENSATION, f.PAYOUT):
        assert categories[code], code
    assert "" not in categories
    assert all(ln.category in f.CATEGORY_CODES for ln in fetch.lines)
    # the payouts of the two halves are what the month's report says Ozon pays
    assert paid(fetch, TX) == tx.to_pay
    assert all(ln.amount > 0 for ln in fetch.lines if ln.category == f.PAYOUT)
    # the realization report describes the same sales (kind "realization": not money to book again)
    realization = [ln for ln in fetch.lines if ln.report_key == RZ]
    assert [r.booked for r in fetch.reports if r.key == RZ] == [False]
    assert all(r.booked for r in fetch.reports if r.key != RZ)
    assert sum(ln.amount for ln in realization if ln.category == f.SALE) == sum(ln.amount for ln in sales.values())
    assert sum(ln.amount for ln in realization if ln.category == f.RETURN) == sum(returns.values())
    assert report(fetch, RZ).kind == "realization" and report(fetch, RZ).totals["vat_amount"] > 0
    assert all(ln.order_ref == "" and ln.product_ref for ln in realization)


def test_a_second_read_gives_the_same_keys(emu):
    settle(emu, count=10, returns=2)
    first = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    again = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    keys = [ln.key for ln in first.lines]
    assert len(keys) == len(set(keys)), "keys are unique"
    assert keys == [ln.key for ln in again.lines]
    assert [r.key for r in first.reports] == [r.key for r in again.reports]
    assert [ln.amount for ln in first.lines] == [ln.amount for ln in again.lines]
    op_ids = {str(i) for i in emu.ozon.fin_ops}
    assert {ln.row_key.split(":")[1] for ln in first.lines if ln.report_key == TX and ln.category != f.PAYOUT} == op_ids


def test_components_add_up_to_each_operation(emu):
    settle(emu, count=8, returns=1)
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    by_row = defaultdict(Decimal)
    for ln in fetch.lines:
        if ln.report_key == TX and ln.category != f.PAYOUT:
            by_row[int(ln.row_key.split(":")[1])] += ln.amount
    app = emu.ozon
    assert by_row == {op_id: app.op_amount(op) for op_id, op in app.fin_ops.items()}
    assert not any(ln.component == "rest" for ln in fetch.lines)


def test_an_operation_that_does_not_add_up_gets_a_rest_line(emu):
    settle(emu, count=6, returns=0)
    record = emu.ozon.finance_control("inject", kind="amount_mismatch", amount="0.05")
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    rest = [ln for ln in fetch.lines if ln.component == "rest"]
    assert [(ln.row_key, ln.amount, ln.category) for ln in rest] == [
        (f"ozon:{record['operation_id']}", Decimal("0.05"), f.SALE)]
    assert f.money(booked(fetch, TX)) == f.money(report(fetch, TX).to_pay)


# --- corrections, unknown and unreadable rows ----------------------------------------------------

def test_a_correction_is_a_line_marked_as_such(emu):
    settle(emu, count=6, returns=0)
    record = emu.ozon.finance_control("inject", kind="correction", amount="5.00")
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    corrections = [ln for ln in fetch.lines if ln.correction]
    assert {ln.row_key for ln in corrections} == {f"ozon:{record['storno_id']}", f"ozon:{record['corrected_id']}"}
    assert all(ln.order_ref == record["posting_number"] for ln in corrections)
    storno = [ln for ln in corrections if ln.operation == "OperationAgentStornoDeliveredToCustomer"]
    sale = emu.ozon.fin_ops[record["operation_id"]]
    assert sum(ln.amount for ln in storno) == -emu.ozon.op_amount(sale)
    assert not any(ln.correction for ln in fetch.lines if ln.operation == SALE)
    # the pair changes the sale's commission by exactly the correction
    commission = sum(ln.amount for ln in fetch.lines if ln.order_ref == record["posting_number"]
                     and ln.component == "sale_commission")
    assert commission == sale["sale_commission"] + Decimal("5.00")
    assert f.money(booked(fetch, TX)) == f.money(report(fetch, TX).to_pay)


def test_an_unknown_operation_type_is_kept_with_no_category(emu):
    settle(emu, count=4, returns=0)
    record = emu.ozon.finance_control("inject", kind="unknown_operation")
    assert record["operation_type"] not in KNOWN_OPERATIONS
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    unknown = [ln for ln in fetch.lines if ln.operation == record["operation_type"]]
    assert [(ln.category, ln.amount, ln.component) for ln in unknown] == [("", Decimal("-12.34"), "amount")]
    assert f.money(booked(fetch, TX)) == f.money(report(fetch, TX).to_pay)


def test_a_malformed_row_is_a_payload_error_and_the_rest_goes_on(emu):
    settle(emu, count=6, returns=1)
    app = emu.ozon

    def corrupt(body):
        operations = body["result"]["operations"]
        operations[0]["amount"] = "12,3 руб"
        del operations[1]["operation_id"]
        operations[2] = "not an operation"
        return body

    emu.rewrite_responses("ozon", "/v3/finance/transaction/list", corrupt)
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    assert len(fetch.errors) == 3
    assert all(isinstance(err, o.PayloadError) and err.raw is not None for err in fetch.errors)
    read = {ln.row_key for ln in fetch.lines if ln.report_key == TX and ln.category != f.PAYOUT}
    assert len(read) == len(app.fin_ops) - 3


# --- injected errors, as a reconciliation sees them ---------------------------------------------

def test_each_injected_error_shows_in_the_data(emu):
    done = settle(emu, count=16, returns=2)
    app = emu.ozon
    missing = app.finance_control("inject", kind="missing_sale")
    double = app.finance_control("inject", kind="double_charge")
    wrong = app.finance_control("inject", kind="wrong_commission", amount="10.00")
    short = app.finance_control("inject", kind="payout_short")
    assert [r["kind"] for r in app.fin_injected] == ["missing_sale", "double_charge", "wrong_commission",
                                                      "payout_short"]
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    sales = {ln.order_ref: ln for ln in fetch.lines if ln.operation == SALE and ln.component == "accruals_for_sale"}
    # missing_sale: a delivered order with no sale in the report
    assert app.orders[missing["posting_number"]]["status"] == "delivered"
    assert missing["posting_number"] not in sales
    assert set(sales) == set(done["settled"]) - {missing["posting_number"]}
    # double_charge: the same charge twice for one posting, under two row ids
    charges = [ln for ln in fetch.lines if ln.order_ref == double["posting_number"]
               and ln.operation == double["operation_type"]]
    assert len(charges) == 2 and len({ln.row_key for ln in charges}) == 2
    assert charges[0].amount == charges[1].amount == Decimal(double["amount"])
    # wrong_commission: the commission differs from the expected 15 % of the order's lines
    posting = app.orders[wrong["posting_number"]]
    expected = -sum((f.money(ln["price"] * ln["quantity"] * Decimal("0.15")) for ln in posting["products"]),
                    Decimal(0))
    commission = next(ln for ln in fetch.lines if ln.order_ref == wrong["posting_number"] and ln.operation == SALE
                      and ln.component == "sale_commission")
    assert commission.amount == expected - Decimal("10.00")
    # payout_short: the payouts are a kopeck short of what the report says Ozon pays
    tx = report(fetch, TX)
    assert paid(fetch, TX) == tx.to_pay - Decimal("0.01")
    assert any(ln.row_key == f"ozon:payout:{short['period_id']}" for ln in fetch.lines)
    # and nothing else is off: every report still adds up
    for rep in fetch.reports:
        assert f.money(booked(fetch, rep.key)) == f.money(rep.to_pay), rep.key


# --- paging and periods ---------------------------------------------------------------------------

def test_paging_over_a_large_period(emu):
    settle(emu, count=400, returns=20)
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH), page_size=50, realization=False)
    app = emu.ozon
    calls = emu.requests_to("ozon", "/v3/finance/transaction/list")
    pages = -(-len(app.fin_ops) // 50)
    assert pages >= 15
    assert [c.body["page"] for c in calls] == list(range(1, pages + 1))
    assert all(c.body["page_size"] == 50 <= PAGE_SIZE for c in calls)
    read = {ln.row_key for ln in fetch.lines if ln.report_key == TX and ln.category != f.PAYOUT}
    assert len(read) == len(app.fin_ops)
    assert f.money(booked(fetch, TX)) == f.money(report(fetch, TX).to_pay)
    calls_at = [c.at for c in calls]
    assert calls_at == sorted(calls_at), "one call after the other"


def test_a_period_longer_than_a_month_is_sliced(emu):
    months = [_month_back(4), _month_back(3), _month_back(2)]
    for month in months:
        settle(emu, count=5, returns=1, month=month)
    start, end = months[0] + timedelta(days=9), _last(months[-1])
    fetch = adapter(emu).fetch_finance(start, end)
    calls = emu.requests_to("ozon", "/v3/finance/transaction/list")
    assert len(calls) == 3
    for call in calls:
        since = datetime.fromisoformat(call.body["filter"]["date"]["from"].replace("Z", "+00:00"))
        to = datetime.fromisoformat(call.body["filter"]["date"]["to"].replace("Z", "+00:00"))
        assert to - since < timedelta(days=31)
        assert since.astimezone(MSK).month == to.astimezone(MSK).month
    tx_keys = [r.key for r in fetch.reports if r.kind == "transactions"]
    assert tx_keys == [f"ozon:transactions:{start:%Y-%m-%d}..{_last(months[0]):%Y-%m-%d}",
                       f"ozon:transactions:{months[1]:%Y-%m}", f"ozon:transactions:{months[2]:%Y-%m}"]
    assert [r.key for r in fetch.reports if r.kind == "realization"] == [
        f"ozon:realization:{m:%Y-%m}" for m in months]
    for rep in fetch.reports:
        assert f.money(booked(fetch, rep.key)) == f.money(rep.to_pay), rep.key
    # each line is in the slice of its date
    for ln in fetch.lines:
        if ln.category != f.PAYOUT and ln.report_key.startswith("ozon:transactions:"):
            rep = report(fetch, ln.report_key)
            assert rep.date_from <= ln.date.astimezone(MSK).date() <= rep.date_to
    # the emulator does refuse a longer period, as Ozon does
    body = {"filter": {"date": {"from": f"{months[0]:%Y-%m-%d}T00:00:00.000Z",
                                "to": f"{_last(months[1]):%Y-%m-%d}T00:00:00.000Z"}, "transaction_type": "all"},
            "page": 1, "page_size": 10}
    headers = {"Client-Id": OzonApp.CREDENTIALS["client_id"], "Api-Key": OzonApp.CREDENTIALS["api_key"]}
    answer = requests.post(emu.base_url("ozon") + "/v3/finance/transaction/list", json=body, headers=headers,
                           timeout=5)
    assert answer.status_code == 400 and "PERIOD_IS_TOO_LONG" in answer.json()["message"]


def test_the_control_path_over_http(emu):
    emu.ozon.add_orders(3, created_at=datetime.combine(MONTH, datetime.min.time(), MSK))
    url = emu.url + "/_emulator/finance"
    done = requests.post(url, json={"marketplace": "ozon", "action": "settle",
                                    "options": {"month": f"{MONTH:%Y-%m}", "returns": 1}}, timeout=5).json()
    assert len(done["settled"]) == 3 and len(done["returned"]) == 1
    record = requests.post(url, json={"marketplace": "ozon", "action": "inject",
                                      "options": {"kind": "payout_short"}}, timeout=5).json()
    assert record["kind"] == "payout_short" and emu.ozon.fin_injected == [record]


def test_the_category_table_names_only_known_categories():
    assert all(code in f.CATEGORY_CODES for code in DEFAULT_CATEGORIES.values())
    assert "OperationAgentDeliveredToCustomer" in KNOWN_OPERATIONS and "*" not in KNOWN_OPERATIONS


def test_the_spec_files_example_operation_reads_as_one_advertising_line():
    """The example answer of /v3/finance/transaction/list in the spec file: a promotion
    charge with no components is one line of its ``amount``, dated in Moscow time."""
    from marketplace_connector.lib.ozon.finance import parse_operation

    raw = {"operation_id": 11401182187840, "operation_type": "MarketplaceMarketingActionCostOperation",
           "operation_date": "2021-11-01 00:00:00", "operation_type_name": "Услуги продвижения товаров",
           "delivery_charge": 0, "return_delivery_charge": 0, "accruals_for_sale": 0, "sale_commission": 0,
           "amount": -6.46, "type": "services",
           "posting": {"delivery_schema": "", "order_date": "", "posting_number": "", "warehouse_id": 0},
           "items": [], "services": []}
    [line] = parse_operation(raw, "ozon:transactions:2021-11")
    assert (line.key, line.component, line.category, line.amount) == (
        "ozon:11401182187840:amount", "amount", f.ADVERTISING, Decimal("-6.46"))
    assert line.date == datetime(2021, 10, 31, 21, 0, tzinfo=timezone.utc) and line.order_ref == ""
    assert line.raw is raw and not line.correction


def test_a_period_given_as_datetimes_is_read_by_its_moscow_days(emu):
    settle(emu, count=3, returns=0)
    start = datetime.combine(MONTH, datetime.min.time(), MSK).astimezone(timezone.utc)
    fetch = adapter(emu).fetch_finance(start, datetime.combine(_last(MONTH), datetime.min.time(), MSK))
    assert [r.key for r in fetch.reports] == [TX, RZ]


def test_a_malformed_realization_row_is_a_payload_error_and_the_rest_goes_on(emu):
    settle(emu, count=8, returns=1)

    def corrupt(body):
        body["result"]["rows"][0]["item"] = None
        body["result"]["rows"][1]["delivery_commission"]["amount"] = "много"
        return body

    emu.rewrite_responses("ozon", "/v2/finance/realization", corrupt)
    clean_rows = len(emu.ozon.realization_rows(MONTH.year, MONTH.month))
    fetch = adapter(emu).fetch_finance(MONTH, _last(MONTH))
    assert len(fetch.errors) == 2 and all(isinstance(err, o.PayloadError) and err.raw for err in fetch.errors)
    assert len({ln.row_key for ln in fetch.lines if ln.report_key == RZ}) == clean_rows - 2
    assert f.money(booked(fetch, TX)) == f.money(report(fetch, TX).to_pay)
