"""The Ozon adapter against the Ozon emulator over loopback HTTP, and its parsers on hostile input."""
import copy
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from marketplace_connector.lib import orders as o
from marketplace_connector.lib import transport as tr
from marketplace_connector.lib.base import OrderRef, make_adapter
from marketplace_connector.lib.ozon import OzonAdapter, parse_catalog_item, parse_fbo_posting, parse_fbs_posting
from tests.emulator import MarketplaceEmulator, specs
from tests.emulator.ozon import OzonApp
from tests.emulator.server import FAULT_KINDS
from tests.unit.helpers import FakeClock, drop_at, set_at

SECRET = OzonApp.CREDENTIALS["api_key"]
#: one account, one pace: every adapter of these tests shares the production limiter (20/s), so
#: that together they never go over the emulator's documented 50/s
LIMITER = OzonAdapter.make_rate_limiter()


@pytest.fixture(scope="module")
def server():
    emulator = MarketplaceEmulator(seed=5, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(server):
    app = server.ozon
    app.orders.clear()
    app.repeat_cursor = False
    server.faults.clear()
    server.reset_records()
    yield server
    app.repeat_cursor = False
    assert server.validation_errors == []
    assert server.limit_violations.get("ozon", 0) == 0, "the adapter kept to the documented limit"


class Log:
    def __init__(self):
        self.calls = []
        self.sleeps = []


def adapter(emu, log=None, settings=None, credentials=None, **kwargs):
    """An adapter on the emulator.  Retry back-offs go to ``log.sleeps`` (no real sleeping);
    the rate limiter really paces the calls (:data:`LIMITER`)."""
    log = log or Log()
    kwargs.setdefault("rate_limiter", LIMITER)
    kwargs.setdefault("timeout", (1, 0.5))
    return make_adapter("ozon", credentials or OzonApp.CREDENTIALS,
                        OzonApp.SETTINGS if settings is None else settings,
                        base_url=emu.base_url("ozon"), sleep=log.sleeps.append, on_call=log.calls.append,
                        **kwargs)


def window():
    """The import window as the Odoo side asks it: up to now."""
    now = datetime.now(timezone.utc)
    return now - timedelta(days=1), now


def expected_created(posting):
    return posting["created_at"] if posting["scheme"] == "fbo" else posting["in_process_at"]


def assert_matches(order, posting):
    assert order.marketplace == "ozon"
    assert order.external_id == posting["posting_number"]
    assert order.secondary_ref == posting["order_number"]
    assert order.scheme == posting["scheme"]
    assert order.created_at == expected_created(posting)
    assert order.created_at.utcoffset() == timedelta(0)
    assert order.warehouse_ref == str(posting["warehouse_id"])
    assert order.currency == "RUB"
    assert [(ln.offer_code, ln.name, ln.quantity, ln.price, ln.item_id) for ln in order.lines] == [
        (p["offer_id"], p["name"], Decimal(p["quantity"]), p["price"], str(p["sku"])) for p in posting["products"]]
    total = sum((p["price"] * p["quantity"] for p in posting["products"]), Decimal(0))
    assert order.amount_total == total.quantize(Decimal("0.01"))
    if posting["scheme"] == "dbs":
        c = posting["customer"]
        assert order.customer["name"] == f"{c['last_name']} {c['first_name']}"
        assert order.customer["phone"] == c["phone"]
        assert order.customer["city"] == c["city"]
        assert order.customer["zip"] == c["zip"]
        assert c["street"] in order.customer["address"]
    else:
        assert order.customer == {}


# --- orders ------------------------------------------------------------------------------------

def test_fetch_orders_returns_exactly_the_created_postings_over_several_pages(emu):
    app = emu.ozon
    ids = app.add_orders(22) + app.add_orders(2, scheme="dbs")
    fbo_mixed = sum(1 for i in ids if app.orders[i]["scheme"] == "fbo")
    ids += app.add_orders(4 + (2 - fbo_mixed) % 4, scheme="fbo")  # FBO: full pages, then a short one
    assert {app.orders[i]["scheme"] for i in ids} == {"fbs", "dbs", "fbo"}
    old = app.add_orders(3, scheme="fbs", created_at=datetime.now(timezone.utc) - timedelta(days=4))
    ad = adapter(emu)
    ad.page_size = 4
    result = ad.fetch_orders(*window())
    assert all(isinstance(r, o.Order) for r in result), [r for r in result if not isinstance(r, o.Order)]
    assert sorted(r.external_id for r in result) == sorted(ids)
    assert not set(old) & {r.external_id for r in result}
    for order in result:
        posting = app.orders[order.external_id]
        assert_matches(order, posting)
        assert order.state == o.NEW
        assert order.status_text == "awaiting_packaging / posting_created"
    # several pages, by cursor: the created ones, then the changed ones (one empty page)
    v4 = emu.requests_to("ozon", "/v4/posting/fbs/list")
    fbs_count = sum(1 for i in ids if app.orders[i]["scheme"] != "fbo")
    assert len(v4) == -(-fbs_count // 4) + 1
    assert [bool(r.body["cursor"]) for r in v4] == [False] + [True] * (len(v4) - 2) + [False]
    assert all(r.body["limit"] == 4 for r in v4)
    fbo = emu.requests_to("ozon", "/v3/posting/fbo/list")
    fbo_count = len(ids) - fbs_count
    assert fbo_count % 4 == 2
    # has_next is false on the short page: no call after it
    assert len(fbo) == fbo_count // 4 + 1
    assert [bool(r.body["cursor"]) for r in fbo] == [False] + [True] * (len(fbo) - 1)
    assert all(r.body["filter"]["since"].endswith("Z") and r.body["with"] == {"analytics_data": True, "financial_data": True}
               for r in fbo)


def test_still_open_postings_that_changed_come_back_closed_old_ones_do_not(emu):
    app = emu.ozon
    four_days_ago = datetime.now(timezone.utc) - timedelta(days=4)
    packed, cancelled, untouched = app.add_orders(3, scheme="fbs", created_at=four_days_ago)
    app.set_status(packed, "awaiting_deliver")
    app.cancel_order(cancelled)
    result = adapter(emu).fetch_orders(*window())
    assert [r.external_id for r in result] == [packed]
    assert result[0].state == o.PROCESSING
    assert result[0].status_text == "awaiting_deliver / posting_transferring_to_delivery"
    assert result[0].created_at == app.orders[packed]["in_process_at"]
    changed = [r.body["filter"] for r in emu.requests_to("ozon", "/v4/posting/fbs/list")
               if "last_changed_status_date" in r.body["filter"]]
    assert changed and "cancelled" not in changed[0]["statuses"]


def test_schemes_setting_limits_what_is_read(emu):
    app = emu.ozon
    fbo = app.add_orders(3, scheme="fbo")
    app.add_orders(3, scheme="fbs")
    dbs = app.add_orders(2, scheme="dbs")
    result = adapter(emu, settings={"schemes": ["fbo"]}).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(fbo)
    assert emu.requests_to("ozon", "/v4/posting/fbs/list") == []
    result = adapter(emu, settings={"schemes": ["dbs"]}).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(dbs)
    assert all(r.scheme == o.DBS and r.customer.get("name") for r in result)


def test_a_malformed_posting_is_reported_and_the_rest_go_on(emu):
    app = emu.ozon
    ids = app.add_orders(6, scheme="fbs")
    bad = ids[2]
    app.orders[bad]["products"][0]["price"] = Decimal("-5.00")
    result = adapter(emu).fetch_orders(*window())
    errors = [r for r in result if isinstance(r, o.PayloadError)]
    assert len(errors) == 1 and errors[0].external_id == bad
    assert "negative" in errors[0].message
    assert sorted(r.external_id for r in result if isinstance(r, o.Order)) == sorted(set(ids) - {bad})


def test_paging_stops_on_a_repeated_cursor(emu):
    app = emu.ozon
    app.add_orders(12, scheme="fbs")
    app.repeat_cursor = True
    ad = adapter(emu)
    ad.page_size = 3
    with pytest.raises(tr.ApiError, match="same cursor twice"):
        ad.fetch_orders(*window())
    # the second page answers the first page's cursor again: no third call
    assert len(emu.requests_to("ozon", "/v4/posting/fbs/list")) == 2


def test_unfulfilled_list_pages_by_cursor(emu):
    app = emu.ozon
    ids = app.add_orders(7, scheme="fbs")
    app.ship_order(ids[0])
    ad = adapter(emu)
    now = datetime.now(timezone.utc)
    body = {"filter": {"cutoff_from": (now - timedelta(days=1)).isoformat(),
                       "cutoff_to": (now + timedelta(days=3)).isoformat()}, "limit": 4}
    first = ad.transport.request("POST", "/v4/posting/fbs/unfulfilled/list", json_body=body)
    second = ad.transport.request("POST", "/v4/posting/fbs/unfulfilled/list",
                                  json_body=dict(body, cursor=first["cursor"]))
    assert first["count"] == 6 and first["has_next"] is True and second["has_next"] is False
    numbers = [p["posting_number"] for p in first["postings"] + second["postings"]]
    assert sorted(numbers) == sorted(ids[1:])


# --- states -------------------------------------------------------------------------------------

def test_cancellation_shipping_and_delivery_show_in_fetch_states(emu):
    app = emu.ozon
    fbs = app.add_orders(3, scheme="fbs")
    dbs = app.add_orders(1, scheme="dbs")
    fbo = app.add_orders(2, scheme="fbo")
    app.cancel_order(fbs[0])
    app.ship_order(fbs[1])
    app.ship_order(dbs[0])
    app.set_status(fbo[0], "delivered")
    app.cancel_order(fbo[1])
    refs = [OrderRef(i, app.orders[i]["scheme"], app.orders[i]["order_number"]) for i in fbs + dbs + fbo]
    refs.append(OrderRef("10000000-0001-1", "fbs"))  # Ozon does not know it: left out
    refs.append(OrderRef("10000000-0002-1", "fbo"))  # nor this one (FBO, then FBS asked)
    states = adapter(emu).fetch_states(refs)
    assert states == {
        fbs[0]: (o.CANCELLED, "cancelled / posting_canceled"),
        fbs[1]: (o.SHIPPED, "delivering / posting_in_carriage"),
        fbs[2]: (o.NEW, "awaiting_packaging / posting_created"),
        dbs[0]: (o.SHIPPED, "sent_by_seller / sent_by_seller"),
        fbo[0]: (o.DELIVERED, "delivered / posting_delivered"),
        fbo[1]: (o.CANCELLED, "cancelled / posting_canceled"),
    }
    # read from the lists, never one call a posting: one FBO query, one FBS query (the FBS
    # orders and the FBO ref the FBO list did not have)
    assert emu.requests_to("ozon", "/v3/posting/fbs/get") == []
    assert emu.requests_to("ozon", "/v2/posting/fbo/get") == []
    assert len(emu.requests_to("ozon", "/v3/posting/fbo/list")) == 1
    assert len(emu.requests_to("ozon", "/v4/posting/fbs/list")) == 1


def test_fetch_states_reads_every_ref_without_a_cap(emu):
    """No fixed cap silently drops refs: every posting asked about is read (once)."""
    ids = emu.ozon.add_orders(30, scheme="fbs", max_lines=1)
    ad = adapter(emu)
    assert not hasattr(ad, "max_state_refs")
    states = ad.fetch_states([OrderRef(i, "fbs") for i in ids + ids[:3]])
    assert sorted(states) == sorted(ids)
    assert emu.requests_to("ozon", "/v3/posting/fbs/get") == []
    assert len(emu.requests_to("ozon", "/v4/posting/fbs/list")) == 1


def test_fetch_states_pages_the_list_by_order_numbers(emu):
    """250 open postings: a query a page of at most 80 order numbers, 100 postings a page (a split
    order may add a page), every posting read once, whatever its date."""
    app = emu.ozon
    ids = app.add_orders(250, scheme="fbs", max_lines=1)
    app.ship_order(ids[7])
    refs = [OrderRef(i, "fbs", app.orders[i]["order_number"], app.orders[i]["in_process_at"]) for i in ids]
    states = adapter(emu).fetch_states(refs)
    assert sorted(states) == sorted(ids)
    assert states[ids[7]][0] == o.SHIPPED
    calls = emu.requests_to("ozon", "/v4/posting/fbs/list")
    assert 3 <= len(calls) <= 6  # split orders: fewer order numbers than postings
    assert all(len(c.body["filter"]["order_numbers"]) <= 80 for c in calls)


# --- catalogue, warehouses, connection ---------------------------------------------------------

def test_fetch_catalog_reads_every_page(emu):
    app = emu.ozon
    ad = adapter(emu)
    ad.catalog_page_size = 25
    items = list(ad.fetch_catalog())
    assert len(items) == len(app.catalog) == 60
    by_code = {i.offer_code: i for i in items}
    for product in app.catalog:
        item = by_code[product["offer_code"]]
        assert item.name == product["name"]
        assert item.barcodes == (product["barcode"],)
        assert item.item_id == str(product["sku"])
        assert item.product_ref == str(product["product_id"])
        assert item.extra["price"] == f"{product['price']:.2f}"
    assert len(emu.requests_to("ozon", "/v3/product/list")) == 3
    assert len(emu.requests_to("ozon", "/v3/product/info/list")) == 3


def test_fetch_catalog_when_the_last_page_is_full(emu):
    app = emu.ozon
    saved = app.catalog
    try:
        app.set_catalog(saved[:50])
        ad = adapter(emu)
        ad.catalog_page_size = 25
        assert sorted(i.offer_code for i in ad.fetch_catalog()) == sorted(p["offer_code"] for p in saved[:50])
        # Ozon gives a last_id on the last page too; the page after it is empty
        assert len(emu.requests_to("ozon", "/v3/product/list")) == 3
        assert len(emu.requests_to("ozon", "/v3/product/info/list")) == 2
    finally:
        app.set_catalog(saved)


def test_fetch_warehouses_and_test_connection(emu):
    app = emu.ozon
    found = adapter(emu).fetch_warehouses()
    assert [(w.ref, w.name, w.scheme) for w in found] == [(w["ref"], w["name"], w["scheme"])
                                                          for w in app.warehouses()]
    assert {w.scheme for w in found} == {"fbs", "dbs", "fbo"}
    emu.reset_records()
    found = adapter(emu, settings={"schemes": ["fbs"]}).fetch_warehouses()
    assert {w.scheme for w in found} == {"fbs", "dbs"}
    assert emu.requests_to("ozon", "/v1/cluster/list") == []
    assert [r.body["limit"] for r in emu.requests_to("ozon", "/v2/warehouse/list")] == [200]
    summary = adapter(emu).test_connection()
    assert "3 seller warehouse" in summary and "Склад Подольск" in summary


def test_wrong_credentials_raise_auth_error_without_the_secret(emu):
    log = Log()
    wrong = {"client_id": OzonApp.CREDENTIALS["client_id"], "api_key": "wrong-secret-key-123"}
    ad = adapter(emu, log, credentials=wrong)
    with pytest.raises(tr.AuthError) as err:
        ad.test_connection()
    assert err.value.status == 403
    texts = [str(err.value), err.value.message] + [c.error for c in log.calls]
    assert all("wrong-secret-key-123" not in t and SECRET not in t for t in texts)
    assert log.calls[0].attempts == 1 and log.sleeps == []
    with pytest.raises(tr.AuthError) as err:
        OzonAdapter.auth_headers({"client_id": "836140", "api_key": "  "})
    assert "api_key" in err.value.message
    # the emulator answers as Ozon does: 403 {code, message, details}
    answer = requests.post(emu.base_url("ozon") + "/v2/warehouse/list", json={"limit": 10},
                           headers={"Client-Id": "836140", "Api-Key": "nope"}, timeout=5)
    assert answer.status_code == 403
    assert set(answer.json()) == {"code", "message", "details"}


# --- retries and limits -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_is_retried_and_the_call_succeeds(emu, kind):
    emu.ozon.add_orders(4, scheme="fbs")
    log = Log()
    ad = adapter(emu, log, settings={"schemes": ["fbs"]}, seed=11, backoff_base=0.5)
    emu.faults.force("ozon", kind, path="/v4/posting/fbs/list")
    result = ad.fetch_orders(*window())
    assert len(result) == 4 and all(isinstance(r, o.Order) for r in result)
    lists = [c for c in log.calls if c.endpoint == "/v4/posting/fbs/list"]
    assert lists[0].attempts == 2 and lists[0].error == ""
    assert all(c.attempts == 1 for c in lists[1:])
    assert [r.fault for r in emu.requests_to("ozon", "/v4/posting/fbs/list")].count(kind) == 1
    # no hint in Ozon's answers: the delay is the transport's own back-off (first attempt)
    expected = tr.retry_delay(None, 1, 0.5, 60.0, random.Random(11))
    assert log.sleeps == [pytest.approx(expected)]


def test_ozon_rate_limit_answer_is_obeyed(emu):
    emu.faults.force("ozon", "ratelimit", count=2)
    log = Log()
    ad = adapter(emu, log, seed=3, backoff_base=1.0)
    assert "seller warehouse" in ad.test_connection()
    assert log.calls[0].attempts == 3
    rng = random.Random(3)
    expected = [tr.retry_delay(None, n, 1.0, 60.0, rng) for n in (1, 2)]
    assert log.sleeps == [pytest.approx(d) for d in expected]
    assert 0.5 <= log.sleeps[0] <= 1.0 and 1.0 <= log.sleeps[1] <= 2.0
    assert [r.status for r in emu.requests_to("ozon")] == [429, 429, 200]


def test_the_documented_limit_is_enforced_with_ozons_answer():
    specs.ozon()  # loaded before the burst, so that the burst takes well under a second
    # the emulator's clock stands still: the whole burst falls in one instant, on any machine
    with MarketplaceEmulator(seed=2, clock=lambda: 1000.0) as emu:
        headers = {"Client-Id": OzonApp.CREDENTIALS["client_id"], "Api-Key": SECRET}
        url = emu.base_url("ozon") + "/v2/warehouse/list"
        with requests.Session() as session:
            answers = [session.post(url, json={"limit": 50}, headers=headers, timeout=5) for _ in range(70)]
        refused = [a for a in answers if a.status_code == 429]
        assert refused and emu.limit_violations["ozon"] == len(refused)
        assert sum(1 for a in answers if a.status_code == 200) >= 50
        assert refused[0].json() == {"code": 8, "message": "You have reached request rate limit per second",
                                     "details": []}
        assert not {"Retry-After", "X-Ratelimit-Retry"} & set(refused[0].headers)
        assert emu.validation_errors == []


def test_adapter_rate_limiter_keeps_well_under_the_documented_limit():
    clock = FakeClock()
    limiter = OzonAdapter.make_rate_limiter(clock, clock.sleep)
    for _ in range(105):
        limiter.acquire()
    # 5 at once, then 20 a second: far from Ozon's 50
    assert clock.now == pytest.approx(5.0)
    assert 105 / clock.now < OzonApp.rate_limit[0]


# --- hostile payloads straight into the parsers -------------------------------------------------

def good_fbs():
    return {
        "posting_number": "39268230-0002-3", "order_id": 2834559884, "order_number": "39268230-0002",
        "status": "awaiting_packaging", "substatus": "posting_created", "tpl_integration_type": "ozon",
        "delivery_method": {"id": 15, "warehouse_id": 1020000089903000, "warehouse": "Склад"},
        "in_process_at": "2026-11-22T10:15:30.123+03:00",
        "products": [
            {"offer_id": "MP-00001", "name": "Футболка", "sku": 1450000131, "quantity": 2,
             "price": {"amount": "1234.57", "currency": "RUB"}},
            {"offer_id": "MP-00002", "name": "Кружка", "sku": 1450000262, "quantity": 1,
             "price": {"amount": "99.99", "currency": "RUB"}},
        ],
        "customer": None, "addressee": None,
    }


def good_fbo():
    return {
        "posting_number": "58112233-0101-1", "order_id": 991, "order_number": "58112233-0101",
        "status": "delivering", "created_at": "2026-11-22T07:00:00Z", "in_process_at": "2026-11-22T07:01:00Z",
        "analytics_data": {"warehouse_id": 15431806189000, "warehouse_name": "ХОРУГВИНО_РФЦ"},
        "products": [{"offer_id": "MP-00003", "name": "Рюкзак", "sku": 77, "quantity": 1, "price": "2599.00",
                      "currency_code": "RUB"}],
    }


def test_good_payloads_parse_with_exact_amounts_and_utc_times():
    order = parse_fbs_posting(good_fbs())
    assert order.external_id == "39268230-0002-3" and order.secondary_ref == "39268230-0002"
    assert order.scheme == o.FBS and order.state == o.NEW
    assert order.created_at == datetime(2026, 11, 22, 7, 15, 30, 123000, tzinfo=timezone.utc)
    assert order.amount_total == Decimal("2569.13")
    assert order.warehouse_ref == "1020000089903000"
    fbo = parse_fbo_posting(good_fbo())
    assert (fbo.scheme, fbo.state, fbo.warehouse_ref) == (o.FBO, o.SHIPPED, "15431806189000")
    assert fbo.lines[0].price == Decimal("2599.00") and fbo.lines[0].item_id == "77"
    # the v3 FBO list gives the price as money, like the v4 FBS list
    v3 = good_fbo()
    v3["products"][0].update(price={"amount": "2599.50", "currency": "RUB"}, currency_code=None)
    assert parse_fbo_posting(v3).lines[0].price == Decimal("2599.50")
    # the scheme comes from integration_type_flow (newer) or tpl_integration_type
    for flow, scheme in (("hybrid_non_integrated", o.DBS), ("click_and_collect", o.DBS), ("FBP", o.FBO),
                         ("hybrid", o.FBS), ("ozon", o.FBS)):
        raw = good_fbs()
        raw.update(integration_type_flow=flow, tpl_integration_type="non_integrated")
        assert parse_fbs_posting(raw).scheme == scheme, flow
    rfbs = good_fbs()
    rfbs.update(tpl_integration_type="non_integrated", customer={
        "name": "<b>Иванова Анна</b>", "phone": "+79001234567",
        "address": {"city": "Казань", "zip_code": "420000", "region": "Татарстан", "address_tail": "ул. Ленина, 1"}})
    order = parse_fbs_posting(rfbs)
    assert order.scheme == o.DBS
    assert order.customer == {"name": "Иванова Анна", "phone": "+79001234567", "city": "Казань",
                              "zip": "420000", "region": "Татарстан", "address": "ул. Ленина, 1"}
    marked = good_fbs()
    marked["products"][0]["name"] = "Футболка <script>alert(1)</script>хлопок"
    assert parse_fbs_posting(marked).lines[0].name == "Футболка alert(1)хлопок"




P0 = ("products", 0)
HOSTILE_FBS = [
    ("posting is a list", lambda p: [p], "object"),
    ("no posting_number", drop_at(("posting_number",)), "posting_number"),
    ("posting_number null", set_at(("posting_number",), None), "posting_number"),
    ("posting_number is a dict", set_at(("posting_number",), {"a": 1}), "posting_number"),
    ("posting_number negative", set_at(("posting_number",), -5), "negative"),
    ("posting_number huge", set_at(("posting_number",), "1" * 5000), "posting_number"),
    ("posting_number markup", set_at(("posting_number",), "<script>1</script>"), "posting_number"),
    ("posting_number spaces", set_at(("posting_number",), "1 2 3"), "posting_number"),
    ("no status", drop_at(("status",)), "status"),
    ("status unknown", set_at(("status",), "teleported"), "unknown"),
    ("status is a number", set_at(("status",), 5), "status"),
    ("status huge", set_at(("status",), "a" * 10000), "status"),
    ("substatus huge", set_at(("substatus",), "x" * 100), "substatus"),
    ("no in_process_at", drop_at(("in_process_at",)), "in_process_at"),
    ("in_process_at garbage", set_at(("in_process_at",), "yesterday"), "in_process_at"),
    ("in_process_at year 1900", set_at(("in_process_at",), "1900-01-01T00:00:00Z"), "out of range"),
    ("in_process_at far future", set_at(("in_process_at",), "2999-01-01T00:00:00Z"), "out of range"),
    ("in_process_at is a list", set_at(("in_process_at",), [2026]), "in_process_at"),
    ("no products", drop_at(("products",)), "products"),
    ("products empty", set_at(("products",), []), "empty"),
    ("products is a dict", set_at(("products",), {"0": {}}), "list"),
    ("products too many", lambda p: p.update(products=p["products"] * 300), "at most"),
    ("product is a string", set_at(P0, "MP-00001"), "object"),
    ("offer_id missing", drop_at(P0 + ("offer_id",)), "offer_id"),
    ("offer_id huge", set_at(P0 + ("offer_id",), "A" * 5000), "offer_id"),
    ("offer_id is a dict", set_at(P0 + ("offer_id",), {"x": 1}), "offer_id"),
    ("offer_id only markup", set_at(P0 + ("offer_id",), "<b></b>"), "offer_id"),
    ("name missing", drop_at(P0 + ("name",)), "name"),
    ("name huge", set_at(P0 + ("name",), "Я" * 100001), "name"),
    ("sku negative", set_at(P0 + ("sku",), -1), "sku"),
    ("sku is true", set_at(P0 + ("sku",), True), "sku"),
    ("sku has 31 digits", set_at(P0 + ("sku",), 10 ** 30), "not an ozon id"),
    ("sku is a word", set_at(P0 + ("sku",), "abc"), "not an ozon id"),
    ("quantity zero", set_at(P0 + ("quantity",), 0), "positive"),
    ("quantity negative", set_at(P0 + ("quantity",), -3), "positive"),
    ("quantity fraction", set_at(P0 + ("quantity",), 1.5), "whole"),
    ("quantity text", set_at(P0 + ("quantity",), "two"), "whole"),
    ("quantity bool", set_at(P0 + ("quantity",), True), "whole"),
    ("quantity huge", set_at(P0 + ("quantity",), 10 ** 8), "implausibly"),
    ("price missing", drop_at(P0 + ("price",)), "price"),
    ("price negative", set_at(P0 + ("price",), {"amount": "-1.00", "currency": "RUB"}), "negative"),
    ("price NaN", set_at(P0 + ("price",), {"amount": "NaN", "currency": "RUB"}), "finite"),
    ("price Infinity", set_at(P0 + ("price",), "Infinity"), "finite"),
    ("price words", set_at(P0 + ("price",), "двести"), "not a number"),
    ("price without amount", set_at(P0 + ("price",), {"currency": "RUB"}), "amount"),
    ("price huge", set_at(P0 + ("price",), {"amount": "1e12", "currency": "RUB"}), "implausibly"),
    ("price long string", set_at(P0 + ("price",), "9" * 100), "not a number"),
    ("price is a list", set_at(P0 + ("price",), [1, 2]), "not a number"),
    ("currency bad", set_at(P0 + ("price",), {"amount": "1.00", "currency": "rub<>"}), "currency"),
    ("mixed currencies", set_at(P0 + ("price",), {"amount": "1.00", "currency": "USD"}), "several currencies"),
    ("delivery_method is text", set_at(("delivery_method",), "warehouse 1"), "delivery_method"),
    ("warehouse_id negative", set_at(("delivery_method", "warehouse_id"), -7), "warehouse_id"),
    ("order_number huge", set_at(("order_number",), "9" * 500), "order_number"),
    ("tpl_integration_type is a number", set_at(("tpl_integration_type",), 1), "tpl_integration_type"),
    ("integration_type_flow huge", set_at(("integration_type_flow",), "x" * 1000), "integration_type_flow"),
    ("rFBS customer is text", lambda p: p.update(tpl_integration_type="non_integrated", customer="Иван"),
     "customer"),
    ("rFBS address is a list", lambda p: p.update(tpl_integration_type="aggregator",
                                                   customer={"name": "Иван", "address": ["Москва"]}), "address"),
    ("rFBS phone huge", lambda p: p.update(tpl_integration_type="3pl_tracking",
                                           customer={"name": "Иван", "phone": "1" * 500}), "phone"),
]


@pytest.mark.parametrize("label,mutate,expected", HOSTILE_FBS, ids=[c[0] for c in HOSTILE_FBS])
def test_hostile_fbs_payload_gives_payload_error(label, mutate, expected):
    raw = good_fbs()
    raw = mutate(raw) or raw  # a mutation changes the payload in place or gives a new one
    with pytest.raises(o.PayloadError) as err:
        parse_fbs_posting(raw)
    assert expected.lower() in err.value.message.lower(), err.value.message
    if isinstance(raw, dict) and raw.get("posting_number") == "39268230-0002-3":
        assert err.value.external_id == "39268230-0002-3"


HOSTILE_FBO = [
    ("not an object", lambda p: "posting", "object"),
    ("no created time", lambda p: [p.pop("created_at"), p.pop("in_process_at")] and None, "created_at"),
    ("created_at garbage", set_at(("created_at",), "2026-13-45T99:00:00Z"), "created_at"),
    ("status missing", drop_at(("status",)), "status"),
    ("price string with junk", set_at(P0 + ("price",), "12,50 руб"), "not a number"),
    ("currency_code bad", set_at(P0 + ("currency_code",), "рубли"), "currency"),
    ("analytics_data is a list", set_at(("analytics_data",), [1]), "analytics_data"),
    ("quantity as float string", set_at(P0 + ("quantity",), "1.0"), "whole"),
]


@pytest.mark.parametrize("label,mutate,expected", HOSTILE_FBO, ids=[c[0] for c in HOSTILE_FBO])
def test_hostile_fbo_payload_gives_payload_error(label, mutate, expected):
    raw = good_fbo()
    raw = mutate(raw) or raw
    with pytest.raises(o.PayloadError) as err:
        parse_fbo_posting(raw)
    assert expected.lower() in err.value.message.lower(), err.value.message


def test_hostile_cases_are_many_and_never_another_exception():
    assert len(HOSTILE_FBS) + len(HOSTILE_FBO) >= 30
    rng = random.Random(4)
    junk = [None, True, -1, 0, 1.5, "", "x" * 3000, [], {}, [1], {"a": None}, "<i>x</i>", float("nan")]
    for _ in range(400):
        raw = copy.deepcopy(good_fbs())
        product = raw["products"][rng.randrange(2)]
        for _ in range(rng.randint(1, 3)):
            targets = [t for t in (raw, product, raw.get("delivery_method")) if isinstance(t, dict) and t]
            target = rng.choice(targets)
            target[rng.choice(list(target))] = rng.choice(junk)
        for parse in (parse_fbs_posting, parse_fbo_posting):
            try:
                parse(raw)
            except o.PayloadError as err:
                assert err.message


def test_unusable_catalogue_items_are_skipped_never_raised():
    good = {"id": 214000007, "offer_id": "MP-00001", "name": "Футболка <b>хлопок</b>",
            "barcodes": ["4600000079197", "<script>", "x" * 100, 5], "sources": [{"sku": 1450000131}],
            "price": "1299.00"}
    item = parse_catalog_item(good)
    assert (item.offer_code, item.name, item.barcodes, item.item_id, item.product_ref, item.extra) == (
        "MP-00001", "Футболка хлопок", ("4600000079197",), "1450000131", "214000007", {"price": "1299.00"})
    hostile = [None, [], "MP-1", {}, dict(good, offer_id=None), dict(good, offer_id="y" * 500),
               dict(good, id=-1), dict(good, id={"a": 1}), dict(good, name="n" * 5000),
               dict(good, sources=[{"sku": True}])]
    assert [parse_catalog_item(h) for h in hostile] == [None] * len(hostile)
    # a bad price or barcode list only loses that field
    assert parse_catalog_item(dict(good, price="NaN", barcodes="4600000079197")).barcodes == ()
