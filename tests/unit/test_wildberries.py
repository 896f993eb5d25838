"""The Wildberries adapter against the Wildberries emulator over loopback HTTP, and its parsers
on hostile input."""
import copy
import math
import random
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import jsonschema
import pytest
import requests
import yaml

from marketplace_connector.lib import orders as o
from marketplace_connector.lib import transport as tr
from marketplace_connector.lib.base import OrderRef, make_adapter
from marketplace_connector.lib.wildberries import (
    HOSTS, WildberriesAdapter, parse_card, parse_client, parse_dbs_order, parse_fbs_order, parse_order,
    parse_status, status_state,
)
from tests.emulator import MarketplaceEmulator, specs
from tests.emulator.server import FAULT_KINDS
from tests.emulator.wildberries import WildberriesApp
from tests.unit.helpers import FakeClock

SECRET = WildberriesApp.CREDENTIALS["token"]
WRONG = "eyJhbGciOiJFUzI1NiJ9.eyJzaWQiOiJ4In0.wrong-secret-signature-123"


@pytest.fixture(scope="module", autouse=True)
def wb_specs():
    """The spec files load once (a few seconds), before the first call's short time-outs run."""
    specs.wildberries()


@pytest.fixture
def emu():
    """A fresh emulator per test: its window of the documented limit starts empty, so that
    every adapter may use WB's real limiter (bursts of 20) without waiting."""
    emulator = MarketplaceEmulator(seed=5, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()
    assert emulator.validation_errors == []
    assert emulator.limit_violations.get("wildberries", 0) == 0, "the adapter kept to the documented limit"


class Log:
    def __init__(self):
        self.calls = []
        self.sleeps = []


def adapter(emu, log=None, settings=None, credentials=None, **kwargs):
    """An adapter on the emulator; back-offs go to ``log.sleeps`` (no real sleeping)."""
    log = log or Log()
    kwargs.setdefault("timeout", (1, 0.5))
    return make_adapter("wildberries", credentials or WildberriesApp.CREDENTIALS,
                        WildberriesApp.SETTINGS if settings is None else settings,
                        base_url=emu.base_url("wildberries"), sleep=log.sleeps.append, on_call=log.calls.append,
                        **kwargs)


def window():
    now = datetime.now(timezone.utc)
    return now - timedelta(days=1), now


def rubles(kopecks):
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def assert_matches(order, task):
    assert order.marketplace == "wildberries"
    assert order.external_id == str(task["id"])
    assert order.secondary_ref == task["rid"]
    assert order.scheme == task["scheme"]
    assert order.created_at == task["createdAt"] and order.created_at.utcoffset() == timedelta(0)
    assert order.warehouse_ref == str(task["warehouseId"])
    assert order.currency == "RUB"
    [line] = order.lines
    assert (line.offer_code, line.quantity, line.price, line.barcode, line.item_id, line.product_ref) == (
        task["article"], Decimal(1), rubles(task["convertedPrice"]), task["skus"][0], str(task["chrtId"]),
        str(task["nmId"]))
    assert order.amount_total == rubles(task["convertedPrice"])
    if task["scheme"] == "dbs":
        c = task["customer"]
        assert order.customer["name"] == f"{c['last_name']} {c['first_name']}"
        assert order.customer["phone"] == c["phone"]
        assert c["city"] in order.customer["address"] and c["street"] in order.customer["address"]
        assert order.customer["address"].endswith(f"д. {c['house']}, кв. {c['flat']}")
    else:
        assert order.customer == {}


# --- orders ------------------------------------------------------------------------------------

def test_fetch_orders_returns_exactly_the_created_tasks_over_several_pages(emu):
    app = emu.wildberries
    four_days_ago = datetime.now(timezone.utc) - timedelta(days=4)
    fbs = app.add_orders(14, scheme="fbs")
    dbs = app.add_orders(5, scheme="dbs")
    sold, refused = app.add_orders(2, scheme="dbs", max_lines=1)
    app.set_status(sold, "receive", "sold")
    app.cancel_order(refused)
    # created before the window: still new (in the new list) -> imported; already packed -> not
    [old_new] = app.add_orders(1, scheme="fbs", created_at=four_days_ago)
    old_packed = app.add_orders(2, scheme="fbs", created_at=four_days_ago, max_lines=1)
    for ident in old_packed:
        app.set_status(ident, "confirm", "waiting")
    ad = adapter(emu)
    ad.page_size = 4
    since, until = window()
    result = ad.fetch_orders(since, until)
    assert all(isinstance(r, o.Order) for r in result), [r for r in result if not isinstance(r, o.Order)]
    expected = fbs + dbs + [sold, refused, old_new]
    assert sorted(r.external_id for r in result) == sorted(expected)
    states = {r.external_id: (r.state, r.status_text) for r in result}
    for order in result:
        assert_matches(order, app.orders[order.external_id])
    assert all(states[i] == (o.NEW, "new / waiting") for i in fbs + dbs + [old_new])
    assert states[sold] == (o.DELIVERED, "receive / sold")
    assert states[refused] == (o.CANCELLED, "new / declined_by_client")
    # FBS list: 14 in the window, 4 a page -> 4 pages by `next`, in Unix seconds
    pages = emu.requests_to("wildberries", "/api/v3/orders")
    assert len(pages) == 4
    fbs_ids = sorted(int(i) for i in fbs)
    assert [int(r.query["next"]) for r in pages] == [0, fbs_ids[3], fbs_ids[7], fbs_ids[11]]
    assert all(r.query["limit"] == "4" for r in pages)
    assert int(pages[0].query["dateFrom"]) == int(since.timestamp())
    assert int(pages[0].query["dateTo"]) == math.ceil(until.timestamp())
    # DBS: the finished list gives the two finished ones (one short page)
    assert len(emu.requests_to("wildberries", "/api/v3/dbs/orders")) == 1
    # one status call per scheme, one buyer call
    statuses = emu.requests_to("wildberries", "/api/v3/orders/status")
    assert len(statuses) == 1 and sorted(statuses[0].body["orders"]) == sorted(int(i) for i in fbs + [old_new])
    assert len(emu.requests_to("wildberries", "/api/v3/dbs/orders/status")) == 1
    assert len(emu.requests_to("wildberries", "/api/v3/dbs/orders/client")) == 1


def test_every_call_goes_under_the_emulator_with_the_token(emu):
    emu.wildberries.add_orders(3)
    log = Log()
    ad = adapter(emu, log)
    ad.fetch_orders(*window())
    list(ad.fetch_catalog())
    ad.test_connection()
    assert log.calls and all(c.url.startswith(emu.base_url("wildberries") + "/") for c in log.calls)
    assert {r.headers.get("Authorization") for r in emu.requests_to("wildberries")} == {SECRET}
    assert all(c.error == "" and c.attempts == 1 for c in log.calls)


def test_a_basket_is_several_tasks_sharing_the_order_uid(emu):
    app = emu.wildberries
    ids = app.add_orders(40, max_lines=3)
    assert len(ids) == len(set(ids)) == 40
    baskets = {}
    for ident in ids:
        baskets.setdefault(app.orders[ident]["orderUid"], []).append(app.orders[ident])
    assert max(len(b) for b in baskets.values()) > 1 and max(len(b) for b in baskets.values()) <= 3
    for basket in baskets.values():
        assert len({t["rid"] for t in basket}) == len(basket)
        assert len({(t["scheme"], t["warehouseId"], t["groupId"]) for t in basket}) == 1
    result = adapter(emu).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(ids)
    assert all(len(r.lines) == 1 and r.lines[0].quantity == 1 for r in result)
    assert {r.scheme for r in result} == {"fbs", "dbs"}


def test_schemes_setting_limits_what_is_read(emu):
    app = emu.wildberries
    app.add_orders(3, scheme="fbs")
    dbs = app.add_orders(2, scheme="dbs")
    result = adapter(emu, settings={"schemes": ["dbs"]}).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(dbs)
    assert emu.requests_to("wildberries", "/api/v3/orders") == []
    assert emu.requests_to("wildberries", "/api/v3/orders/new") == []
    emu.reset_records()
    result = adapter(emu, settings={"schemes": ["fbs", "fbo"]}).fetch_orders(*window())
    assert {r.scheme for r in result} == {"fbs"} and len(result) == 3
    assert emu.requests_to("wildberries", "/api/v3/dbs/orders/new") == []


def test_a_malformed_task_is_reported_and_the_rest_go_on(emu):
    app = emu.wildberries
    ids = app.add_orders(6, scheme="fbs")
    bad = ids[2]
    app.orders[bad]["convertedPrice"] = -500
    result = adapter(emu).fetch_orders(*window())
    errors = [r for r in result if isinstance(r, o.PayloadError)]
    assert len(errors) == 1 and errors[0].external_id == bad
    assert "convertedPrice is negative" in errors[0].message
    assert sorted(r.external_id for r in result if isinstance(r, o.Order)) == sorted(set(ids) - {bad})


def test_hostile_tasks_slipped_into_a_page_never_stop_the_rest(emu):
    app = emu.wildberries
    ids = app.add_orders(4, scheme="fbs")

    def rewrite(body):
        valid = body["orders"][0]
        body["orders"] += [dict(valid, id=True), dict(valid, id=990000001, article=None),
                           dict(valid, id=990000002, createdAt="yesterday"), "not a task",
                           dict(valid, id=990000003, article="<b>NO-SUCH</b>")]
        return body

    emu.rewrite_responses("wildberries", "/api/v3/orders", rewrite)
    result = adapter(emu).fetch_orders(*window())
    orders = {r.external_id: r for r in result if isinstance(r, o.Order)}
    errors = [r for r in result if isinstance(r, o.PayloadError)]
    assert set(orders) == set(ids) | {"990000003"}
    assert orders["990000003"].lines[0].offer_code == "NO-SUCH"
    assert sorted(e.external_id or "" for e in errors) == ["", "", "990000001", "990000002"]


def test_paging_stops_on_a_repeated_next(emu):
    app = emu.wildberries
    app.add_orders(12, scheme="fbs")
    app.repeat_cursor = True
    ad = adapter(emu, settings={"schemes": ["fbs"]})
    ad.page_size = 3
    with pytest.raises(tr.ApiError, match="same 'next' twice"):
        ad.fetch_orders(*window())
    # the first page answers next=0 again: no second call
    assert len(emu.requests_to("wildberries", "/api/v3/orders")) == 1


def test_a_long_window_is_read_30_days_a_request(emu):
    app = emu.wildberries
    now = datetime.now(timezone.utc)
    ids = []
    for days in (3, 33, 66):
        ids += app.add_orders(1, scheme="fbs", created_at=now - timedelta(days=days), max_lines=1)
        app.set_status(ids[-1], "complete", "sold")  # not in the new list any more
    app.add_orders(1, scheme="fbs", created_at=now - timedelta(days=80), max_lines=1)
    app.set_status(list(app.orders)[-1], "complete", "sold")
    result = adapter(emu, settings={"schemes": ["fbs", "dbs"]}).fetch_orders(now - timedelta(days=70), now)
    assert sorted(r.external_id for r in result) == sorted(ids)
    assert all(r.state == o.DELIVERED for r in result)
    for path in ("/api/v3/orders", "/api/v3/dbs/orders"):
        periods = [(int(r.query["dateFrom"]), int(r.query["dateTo"])) for r in emu.requests_to("wildberries", path)]
        assert len(periods) == 3
        assert all(0 < end - start <= 30 * 86400 for start, end in periods)
        assert all(periods[i][1] + 1 == periods[i + 1][0] for i in range(2))
        assert periods[0][0] == int((now - timedelta(days=70)).timestamp())


# --- states -------------------------------------------------------------------------------------

def test_cancellation_shipping_and_delivery_show_in_fetch_states(emu):
    app = emu.wildberries
    fbs = app.add_orders(5, scheme="fbs", max_lines=1)
    dbs = app.add_orders(3, scheme="dbs", max_lines=1)
    app.cancel_order(fbs[0])  # the buyer, while it is new
    app.ship_order(fbs[1])
    app.set_status(fbs[2], "confirm", "waiting")
    app.cancel_order(fbs[2])  # WB cancels it while it is packed
    app.set_status(fbs[3], "complete", "sold")
    app.ship_order(dbs[0])
    app.ship_order(dbs[1])
    app.cancel_order(dbs[1])  # refused at the door
    refs = [OrderRef(i, app.orders[i]["scheme"], app.orders[i]["rid"]) for i in fbs + dbs]
    refs += [OrderRef("123", "fbs"), OrderRef("H1-0001", "fbs"), OrderRef("456", "dbs")]  # unknown: left out
    states = adapter(emu).fetch_states(refs)
    assert states == {
        fbs[0]: (o.CANCELLED, "new / declined_by_client"),
        fbs[1]: (o.SHIPPED, "complete / sorted"),
        fbs[2]: (o.CANCELLED, "confirm / canceled"),
        fbs[3]: (o.DELIVERED, "complete / sold"),
        fbs[4]: (o.NEW, "new / waiting"),
        dbs[0]: (o.SHIPPED, "deliver / waiting"),
        dbs[1]: (o.RETURNED, "reject / canceled_by_client"),
        dbs[2]: (o.NEW, "new / waiting"),
    }
    [fbs_call] = emu.requests_to("wildberries", "/api/v3/orders/status")
    [dbs_call] = emu.requests_to("wildberries", "/api/v3/dbs/orders/status")
    assert sorted(fbs_call.body["orders"]) == sorted(int(i) for i in fbs + ["123"])
    assert sorted(dbs_call.body["orders"]) == sorted(int(i) for i in dbs + ["456"])


def test_fetch_states_asks_in_batches(emu):
    ids = emu.wildberries.add_orders(5, scheme="fbs")
    ad = adapter(emu)
    ad.status_batch = 2
    assert sorted(ad.fetch_states([OrderRef(i, "fbs") for i in ids])) == sorted(ids)
    assert [len(r.body["orders"]) for r in emu.requests_to("wildberries", "/api/v3/orders/status")] == [2, 2, 1]
    assert adapter(emu).fetch_states([]) == {}


# --- catalogue, warehouses, connection ---------------------------------------------------------

def test_fetch_catalog_reads_every_page_by_cursor(emu):
    app = emu.wildberries
    ad = adapter(emu)
    ad.catalog_page_size = 25
    items = list(ad.fetch_catalog())
    assert len(items) == len(app.catalog) == 60
    by_code = {i.offer_code: i for i in items}
    for product in app.catalog:
        item = by_code[product["offer_code"]]
        assert (item.name, item.barcodes, item.item_id, item.product_ref) == (
            product["name"], (product["barcode"],), str(product["chrt_id"]), str(product["nm_id"]))
    calls = emu.requests_to("wildberries", "/content/v2/get/cards/list")
    assert len(calls) == 3
    cursors = [r.body["settings"]["cursor"] for r in calls]
    assert cursors[0] == {"limit": 25}
    assert all(set(c) == {"limit", "updatedAt", "nmID"} for c in cursors[1:])
    assert all(r.body["settings"]["sort"] == {"ascending": True} for r in calls)


def test_fetch_catalog_when_the_last_page_is_full(emu):
    app = emu.wildberries
    app.set_catalog(app.catalog[:50])
    ad = adapter(emu)
    ad.catalog_page_size = 25
    assert len(list(ad.fetch_catalog())) == 50
    # the third page is empty (total 0): the end
    assert len(emu.requests_to("wildberries", "/content/v2/get/cards/list")) == 3


def test_catalogue_paging_stops_on_a_repeated_cursor(emu):
    emu.wildberries.repeat_cursor = True
    ad = adapter(emu)
    ad.catalog_page_size = 10
    with pytest.raises(tr.ApiError, match="same cursor twice"):
        list(ad.fetch_catalog())
    # the second page answers the first page's cursor again: no third call
    assert len(emu.requests_to("wildberries", "/content/v2/get/cards/list")) == 2


def test_fetch_warehouses_and_test_connection(emu):
    app = emu.wildberries
    found = adapter(emu).fetch_warehouses()
    assert [(w.ref, w.name, w.scheme) for w in found] == [(w["ref"], w["name"], w["scheme"])
                                                          for w in app.warehouses()]
    assert [w.scheme for w in found] == ["fbs", "fbs", "dbs", "dbs"]  # the DBW one is left out
    summary = adapter(emu).test_connection()
    assert summary == "Wildberries: Nord Wind Home, 4 FBS/DBS warehouse(s)"
    assert len(emu.requests_to("wildberries", "/api/v1/seller-info")) == 1


def test_production_calls_go_to_each_familys_host():
    class Offline(requests.Session):
        """A session that only writes down where it was sent (there is no network here)."""

        def __init__(self):
            super().__init__()
            self.urls = []

        def request(self, method, url, **kwargs):
            self.urls.append(url)
            raise requests.ConnectionError("offline")

    session = Offline()
    ad = make_adapter("wildberries", {"token": SECRET}, {}, session=session, max_attempts=1, sleep=lambda s: None)
    assert ad.transport.base_url == WildberriesAdapter.default_base_url == HOSTS["marketplace"]
    for call in (ad.test_connection, ad.fetch_warehouses, lambda: list(ad.fetch_catalog()),
                 lambda: ad.fetch_orders(*window()), lambda: ad.fetch_states([OrderRef("5", "dbs")])):
        with pytest.raises(tr.ApiError):
            call()
    assert session.urls == [
        "https://common-api.wildberries.ru/api/v1/seller-info",
        "https://marketplace-api.wildberries.ru/api/v3/warehouses",
        "https://content-api.wildberries.ru/content/v2/get/cards/list",
        "https://marketplace-api.wildberries.ru/api/v3/orders/new",
        "https://marketplace-api.wildberries.ru/api/v3/dbs/orders/status",
    ]


def _spec_response_schema(status):
    path = specs.specs_dir() / "wildberries" / "03-orders-fbs.yaml"
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    return spec["components"]["responses"][status]["content"]["application/json"]["schema"]


def test_wrong_credentials_raise_auth_error_without_the_secret(emu):
    log = Log()
    ad = adapter(emu, log, credentials={"token": WRONG})
    with pytest.raises(tr.AuthError) as err:
        ad.test_connection()
    assert err.value.status == 401
    texts = [str(err.value), err.value.message] + [c.error for c in log.calls]
    assert all(WRONG not in t and SECRET not in t and "wrong-secret" not in t for t in texts)
    assert log.calls[0].attempts == 1 and log.sleeps == []
    with pytest.raises(tr.AuthError) as err:
        WildberriesAdapter.auth_headers({"token": "  "})
    assert "token" in err.value.message
    with pytest.raises(tr.AuthError):
        WildberriesAdapter.auth_headers({"token": SECRET + "\r\nX-Evil: 1"})
    # the emulator answers as WB does: 401 with the spec's body
    url = emu.base_url("wildberries") + "/api/v3/warehouses"
    for headers in ({"Authorization": WRONG}, {}):
        answer = requests.get(url, headers=headers, timeout=5)
        assert answer.status_code == 401
        jsonschema.validate(answer.json(), _spec_response_schema("401"))
        assert answer.json()["title"] == "unauthorized" and answer.json()["status"] == 401
    # "Bearer <token>" is taken too
    answer = requests.get(url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=5)
    assert answer.status_code == 200
    assert adapter(emu, credentials={"token": f"Bearer {SECRET}"}).fetch_warehouses()


# --- retries and limits -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_is_retried_and_the_call_succeeds(emu, kind):
    emu.wildberries.add_orders(4, scheme="fbs")
    log = Log()
    ad = adapter(emu, log, settings={"schemes": ["fbs"]}, seed=11, backoff_base=0.5)
    emu.faults.force("wildberries", kind, path="/api/v3/orders")
    result = ad.fetch_orders(*window())
    assert len(result) == 4 and all(isinstance(r, o.Order) for r in result)
    lists = [c for c in log.calls if c.endpoint == "/api/v3/orders"]
    assert len(lists) == 1 and lists[0].attempts == 2 and lists[0].error == "" and lists[0].status == 200
    assert all(c.attempts == 1 for c in log.calls if c.endpoint != "/api/v3/orders")
    assert [r.fault for r in emu.requests_to("wildberries", "/api/v3/orders")].count(kind) == 1
    if kind == "ratelimit":
        # WB's hint: X-Ratelimit-Retry seconds
        assert log.sleeps == [1.0]
    else:
        assert log.sleeps == [pytest.approx(tr.retry_delay(None, 1, 0.5, 60.0, random.Random(11)))]


def test_wildberries_rate_limit_answer_is_obeyed(emu):
    app = emu.wildberries
    app.retry_hint = 7
    emu.faults.force("wildberries", "ratelimit", count=2)
    log = Log()
    found = adapter(emu, log).fetch_warehouses()
    assert len(found) == 4
    assert log.calls[0].attempts == 3 and log.calls[0].waited_s >= 14
    assert log.sleeps == [7.0, 7.0]
    assert [r.status for r in emu.requests_to("wildberries")] == [429, 429, 200]
    answer = app.rate_limited_reply()
    assert answer.status == 429
    assert answer.headers["X-Ratelimit-Retry"] == 7 and answer.headers["X-Ratelimit-Limit"] == 20
    jsonschema.validate(answer.body, _spec_response_schema("429"))


def test_the_documented_limit_is_enforced_with_wildberries_answer():
    specs.wildberries()  # loaded before the burst
    # the emulator's clock stands still: the whole burst falls in one instant, on any machine
    with MarketplaceEmulator(seed=2, clock=lambda: 1000.0) as emu:
        url = emu.base_url("wildberries") + "/api/v3/warehouses"
        with requests.Session() as session:
            answers = [session.get(url, headers={"Authorization": SECRET}, timeout=5) for _ in range(305)]
        refused = [a for a in answers if a.status_code == 429]
        assert [a.status_code for a in answers[:300]] == [200] * 300
        assert len(refused) == 5 and emu.limit_violations["wildberries"] == 5
        retry = int(refused[0].headers["X-Ratelimit-Retry"])
        assert 50 <= retry <= 60, retry  # the window frees a request a minute after the first one
        assert refused[0].headers["X-Ratelimit-Limit"] == "20"
        assert int(refused[0].headers["X-Ratelimit-Reset"]) >= retry
        jsonschema.validate(refused[0].json(), _spec_response_schema("429"))
        assert refused[0].json()["title"] == "too many requests"
        assert emu.validation_errors == []


def test_adapter_rate_limiter_keeps_under_the_documented_limit():
    clock = FakeClock()
    limiter = WildberriesAdapter.make_rate_limiter(clock, clock.sleep)
    stamps = []
    for _ in range(400):
        limiter.acquire()
        stamps.append(clock.now)
    # a burst of 20, then 4.5 a second: never more than 290 in a minute (WB: 300, bursts of 20)
    assert stamps[19] == 0.0 and stamps[20] > 0
    busiest = max(sum(1 for s in stamps if start <= s < start + 60) for start in stamps)
    assert busiest == 290 and busiest <= WildberriesApp.rate_limit[0]


# --- the parsers on good and hostile payloads -------------------------------------------------

def good_fbs():
    """An FBS task of /api/v3/orders/new, as WB renders it."""
    return {
        "id": 3847201050, "rid": "f884001e44e511edb8780242ac120002",
        "orderUid": "165918930_629fbc924b984618a44354475ca58675", "article": "MP-00001", "colorCode": "",
        "createdAt": "2026-11-22T10:15:30+03:00", "skus": ["4600000079197", "4600000079203"],
        "warehouseId": 1281530, "officeId": 507, "offices": ["Коледино"], "nmId": 180000037, "chrtId": 290000053,
        "price": 123457, "convertedPrice": 123457, "finalPrice": 121000, "convertedFinalPrice": 121000,
        "salePrice": 140000, "currencyCode": 643, "convertedCurrencyCode": 643, "cargoType": 1,
        "deliveryType": "fbs", "comment": "", "isZeroOrder": False, "options": {"isB2b": False}, "address": None,
        "scanPrice": None, "requiredMeta": [], "optionalMeta": [],
    }


def good_dbs():
    raw = good_fbs()
    raw.update(id=3847201101, deliveryType="dbs", warehouseId=1302288, groupId="7a2c8810-1db2-4011-9682-5c7fa33afd83",
               address={"fullAddress": "Республика Татарстан, г. Казань, ул. Ленина, д. 5, кв. 12",
                        "longitude": 49.1, "latitude": 55.8})
    for key in ("officeId", "offices", "scanPrice", "optionalMeta"):
        raw.pop(key)
    return raw


def test_good_payloads_parse_with_exact_kopecks_and_utc_times():
    order = parse_fbs_order(good_fbs(), {"id": 3847201050, "supplierStatus": "confirm", "wbStatus": "waiting"})
    assert (order.external_id, order.secondary_ref, order.scheme) == ("3847201050", "f884001e44e511edb8780242ac120002",
                                                                       o.FBS)
    assert (order.state, order.status_text) == (o.PROCESSING, "confirm / waiting")
    assert order.created_at == datetime(2026, 11, 22, 7, 15, 30, tzinfo=timezone.utc)
    [line] = order.lines
    assert (line.offer_code, line.name, line.quantity, line.price, line.barcode, line.item_id, line.product_ref) == (
        "MP-00001", "MP-00001", Decimal(1), Decimal("1234.57"), "4600000079197", "290000053", "180000037")
    assert order.amount_total == Decimal("1234.57") and order.warehouse_ref == "1281530"
    assert order.currency == "RUB" and order.customer == {}
    # without a status answer: new, no words
    assert (parse_fbs_order(good_fbs()).state, parse_fbs_order(good_fbs()).status_text) == (o.NEW, "")
    # a buyer in Belarus: price in BYN kopecks, convertedPrice in roubles -> roubles
    belarus = good_fbs()
    belarus.update(price=4506, currencyCode=933, convertedPrice=123300, finalPrice=None, convertedFinalPrice=None)
    assert parse_fbs_order(belarus).lines[0].price == Decimal("1233.00")
    # a seller in Kazakhstan: convertedPrice in tenge
    kz = good_fbs()
    kz.update(convertedCurrencyCode=398, convertedPrice=1250050)
    assert (parse_fbs_order(kz).currency, parse_fbs_order(kz).lines[0].price) == ("KZT", Decimal("12500.50"))
    # the listed FBS shape (no finalPrice/salePrice), times in UTC with Z, a digit-string id
    listed = good_fbs()
    for key in ("finalPrice", "convertedFinalPrice", "salePrice", "requiredMeta", "optionalMeta"):
        listed.pop(key)
    listed.update(createdAt="2022-05-04T07:56:29Z", id="13833711", supplyId="WB-GI-92937123", scanPrice=1500)
    order = parse_fbs_order(listed)
    assert order.external_id == "13833711" and order.created_at == datetime(2022, 5, 4, 7, 56, 29, tzinfo=timezone.utc)
    # DBS: the address of the task, the buyer of the client method
    client_id, client = parse_client({"orderID": 3847201101, "firstName": "Анна", "fullName": "Иванова Анна",
                                      "replacementPhone": "79871234567", "phone": "+74951234567",
                                      "phoneCode": 1234567, "additionalPhoneCodes": []})
    assert client_id == "3847201101" and client == {"name": "Иванова Анна", "phone": "+79871234567"}
    dbs = parse_dbs_order(good_dbs(), {"id": 3847201101, "supplierStatus": "deliver", "wbStatus": "waiting"}, client)
    assert (dbs.scheme, dbs.state) == (o.DBS, o.SHIPPED)
    assert dbs.customer == {"name": "Иванова Анна", "phone": "+79871234567",
                            "address": "Республика Татарстан, г. Казань, ул. Ленина, д. 5, кв. 12"}
    # no substitute number yet: the reserve one with its extension
    assert parse_client({"orderID": 5, "firstName": "Иван", "replacementPhone": "", "phone": "+74951234567",
                         "phoneCode": 77})[1] == {"name": "Иван", "phone": "+74951234567 доб. 77"}
    marked = good_dbs()
    marked["address"]["fullAddress"] = "г. Москва, <script>alert(1)</script>ул. Садовая, д. 1"
    assert parse_dbs_order(marked).customer == {"address": "г. Москва, alert(1)ул. Садовая, д. 1"}


@pytest.mark.parametrize("supplier,wb,state", [
    ("new", "waiting", o.NEW), ("confirm", "waiting", o.PROCESSING), ("complete", "waiting", o.SHIPPED),
    ("complete", "sorted", o.SHIPPED), ("confirm", "sorted", o.SHIPPED), ("complete", "ready_for_pickup", o.SHIPPED),
    ("complete", "sold", o.DELIVERED), ("receive", "sold", o.DELIVERED), ("deliver", "waiting", o.SHIPPED),
    ("new", "declined_by_client", o.CANCELLED), ("confirm", "canceled", o.CANCELLED),
    ("complete", "canceled_by_client", o.RETURNED), ("cancel", "waiting", o.CANCELLED),
    ("complete", "defect", o.CANCELLED), ("reject", "canceled_by_client", o.RETURNED),
    ("cancel_missed_call", "canceled_by_missed_call", o.CANCELLED), ("deliver", "postponed_delivery", o.SHIPPED),
])
def test_status_words_map_to_neutral_states(supplier, wb, state):
    assert status_state(supplier, wb) == (state, f"{supplier} / {wb}")


def test_unreadable_statuses_are_payload_errors():
    for item in (None, [], {"id": 5, "supplierStatus": "teleported", "wbStatus": "waiting"},
                 {"id": 5, "supplierStatus": "new", "wbStatus": "NEW!"}, {"id": 5, "supplierStatus": "new"},
                 {"id": -5, "supplierStatus": "new", "wbStatus": "waiting"}):
        with pytest.raises(o.PayloadError):
            parse_status(item)
    assert parse_status({"id": 5, "supplierStatus": "new", "wbStatus": "waiting"}) == ("5", o.NEW, "new / waiting")


def _set(key, value, target=None):
    def mutate(p):
        (p[target] if target else p)[key] = value
    return mutate


def _drop(key):
    def mutate(p):
        del p[key]
    return mutate


HOSTILE = [
    ("task is a list", lambda p: [p], "object"),
    ("task is text", lambda p: "3847201050", "object"),
    ("no id", _drop("id"), "'id'"),
    ("id null", _set("id", None), "'id'"),
    ("id true", _set("id", True), "id"),
    ("id negative", _set("id", -5), "out of range"),
    ("id zero", _set("id", 0), "id is 0"),
    ("id beyond int64", _set("id", 2 ** 64), "out of range"),
    ("id is a dict", _set("id", {"a": 1}), "not a wildberries id"),
    ("id is a float", _set("id", 12.5), "not a wildberries id"),
    ("id huge string", _set("id", "1" * 5000), "not a wildberries id"),
    ("id with markup", _set("id", "<script>1</script>"), "not a wildberries id"),
    ("no rid", _drop("rid"), "rid"),
    ("rid huge", _set("rid", "f" * 5000), "rid"),
    ("rid markup", _set("rid", "<b>1</b>"), "rid"),
    ("rid is a list", _set("rid", ["x"]), "rid"),
    ("no article", _drop("article"), "article"),
    ("article empty", _set("article", ""), "article"),
    ("article only markup", _set("article", "<b></b>"), "article"),
    ("article huge", _set("article", "Ж" * 100000), "article"),
    ("article is a dict", _set("article", {"x": 1}), "article"),
    ("no createdAt", _drop("createdAt"), "createdat"),
    ("createdAt garbage", _set("createdAt", "yesterday"), "createdat"),
    ("createdAt impossible", _set("createdAt", "9999-99-99T99:99:99Z"), "createdat"),
    ("createdAt 1900", _set("createdAt", "1900-01-01T00:00:00Z"), "out of range"),
    ("createdAt far future", _set("createdAt", "2999-01-01T00:00:00Z"), "out of range"),
    ("createdAt is a list", _set("createdAt", [2026]), "createdat"),
    ("no convertedPrice", _drop("convertedPrice"), "convertedprice"),
    ("convertedPrice negative", _set("convertedPrice", -15000), "negative"),
    ("convertedPrice as decimal text", _set("convertedPrice", "-150.00"), "whole number of kopecks"),
    ("convertedPrice NaN", _set("convertedPrice", "NaN"), "whole number of kopecks"),
    ("convertedPrice float", _set("convertedPrice", 1234.5), "whole number of kopecks"),
    ("convertedPrice infinite float", _set("convertedPrice", float("inf")), "whole number of kopecks"),
    ("convertedPrice true", _set("convertedPrice", True), "whole number of kopecks"),
    ("convertedPrice huge", _set("convertedPrice", 10 ** 15), "implausibly"),
    ("price negative", _set("price", -1), "price is negative"),
    ("finalPrice text", _set("finalPrice", "много"), "finalprice"),
    ("salePrice a list", _set("salePrice", [1]), "saleprice"),
    ("currency unknown", _set("convertedCurrencyCode", 999), "currency"),
    ("currency as text", _set("convertedCurrencyCode", "RUB"), "currency"),
    ("no nmId", _drop("nmId"), "nmid"),
    ("nmId negative", _set("nmId", -3), "nmid"),
    ("no chrtId", _drop("chrtId"), "chrtid"),
    ("chrtId words", _set("chrtId", "abc"), "chrtid"),
    ("no warehouseId", _drop("warehouseId"), "warehouseid"),
    ("warehouseId a dict", _set("warehouseId", {"id": 1}), "warehouseid"),
    ("skus not a list", _set("skus", "4600000079197"), "skus"),
    ("sku huge", _set("skus", ["4" * 100000]), "barcode"),
    ("sku with markup", _set("skus", ["<i>46</i>"]), "barcode"),
    ("sku a number", _set("skus", [4600000079197]), "barcode"),
    ("skus too many", _set("skus", ["4600000079197"] * 101), "at most 100"),
    ("deliveryType a dict", _set("deliveryType", {"x": 1}), "deliverytype"),
    ("deeply nested", _set("rid", {"a": {"a": {"a": {}}}}), "rid"),
]


@pytest.mark.parametrize("label,mutate,expected", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_fbs_task_gives_payload_error(label, mutate, expected):
    raw = good_fbs()
    raw = mutate(raw) or raw  # a mutation changes the task in place or gives a new one
    with pytest.raises(o.PayloadError) as err:
        parse_fbs_order(raw)
    assert expected.lower() in err.value.message.lower(), err.value.message
    if isinstance(raw, dict) and raw.get("id") == 3847201050:
        assert err.value.external_id == "3847201050"


HOSTILE_DBS = [
    ("address is text", _set("address", "Москва"), "address"),
    ("fullAddress huge", _set("fullAddress", "ул. " * 1000, "address"), "fulladdress"),
    ("fullAddress a list", _set("fullAddress", ["Москва"], "address"), "fulladdress"),
    ("status not an object", None, "status"),
    ("status unknown word", None, "unknown"),
]


@pytest.mark.parametrize("label,mutate,expected", HOSTILE_DBS, ids=[c[0] for c in HOSTILE_DBS])
def test_hostile_dbs_task_gives_payload_error(label, mutate, expected):
    raw = good_dbs()
    status = {"id": raw["id"], "supplierStatus": "new", "wbStatus": "waiting"}
    if label == "status not an object":
        status = "new"
    elif label == "status unknown word":
        status["wbStatus"] = "vanished"
    else:
        mutate(raw)
    with pytest.raises(o.PayloadError) as err:
        parse_dbs_order(raw, status)
    assert expected.lower() in err.value.message.lower(), err.value.message
    assert err.value.external_id == "3847201101"


def test_hostile_cases_are_many_and_never_another_exception():
    assert len(HOSTILE) + len(HOSTILE_DBS) >= 30
    rng = random.Random(4)
    junk = [None, True, -1, 0, 1.5, "", "x" * 3000, [], {}, [1], {"a": None}, "<i>x</i>", float("nan"), 10 ** 30,
            "\x00\x1b[31m"]
    for _ in range(500):
        raw = copy.deepcopy(good_dbs() if rng.random() < 0.5 else good_fbs())
        for _ in range(rng.randint(1, 3)):
            address = raw.get("address")
            target = address if isinstance(address, dict) and address and rng.random() < 0.2 else raw
            target[rng.choice(list(target))] = rng.choice(junk)
        status = rng.choice([None, {"id": 1, "supplierStatus": rng.choice(junk + ["new"]), "wbStatus": "waiting"}])
        for scheme in (o.FBS, o.DBS):
            try:
                order = parse_order(raw, scheme, status)
            except o.PayloadError as err:
                assert err.message
            else:
                assert order.lines[0].price >= 0 and "<" not in order.lines[0].offer_code


def test_cards_give_an_item_per_size_and_unusable_ones_are_skipped():
    card = {"nmID": 180000037, "vendorCode": "MP-00001", "title": "Футболка <b>хлопковая</b>", "sizes": [
        {"chrtID": 290000053, "techSize": "M", "skus": ["4600000079197"]},
        {"chrtID": 290000054, "techSize": "L", "skus": ["4600000079203", "2040000000017"]},
        {"chrtID": -1, "techSize": "XL", "skus": []},
        {"chrtID": 290000056, "techSize": "XXL", "skus": ["<script>"]},
        "junk"]}
    items = parse_card(card)
    assert [(i.offer_code, i.name, i.item_id, i.barcodes, i.product_ref, i.extra) for i in items] == [
        ("MP-00001", "Футболка хлопковая", "290000053", ("4600000079197",), "180000037", {"size": "M"}),
        ("MP-00001", "Футболка хлопковая", "290000054", ("4600000079203", "2040000000017"), "180000037",
         {"size": "L"})]
    hostile = [None, [], "MP-1", {}, dict(card, vendorCode=None), dict(card, vendorCode="y" * 500),
               dict(card, nmID=-1), dict(card, nmID={"a": 1}), dict(card, sizes=[]), dict(card, sizes=[{"chrtID": True}])]
    assert [parse_card(h) for h in hostile] == [[]] * len(hostile)
    # no sizes at all: the card itself, without an item id
    [bare] = parse_card(dict(card, sizes=None, title=None))
    assert (bare.offer_code, bare.name, bare.item_id, bare.product_ref) == ("MP-00001", "MP-00001", "", "180000037")


def test_unreadable_buyers_are_payload_errors():
    for item in (None, "Иван", {"orderID": None}, {"orderID": 5, "fullName": "Я" * 5000},
                 {"orderID": 5, "replacementPhone": {"a": 1}}):
        with pytest.raises(o.PayloadError):
            parse_client(item)


def test_an_emulated_day_is_fast_enough(emu):
    """100 tasks in two schemes, read with production page sizes: a handful of calls."""
    emu.wildberries.add_orders(100)
    started = time.perf_counter()
    result = adapter(emu).fetch_orders(*window())
    assert len(result) == 100 and all(isinstance(r, o.Order) for r in result)
    assert len(emu.requests_to("wildberries")) == 7
    assert time.perf_counter() - started < 5


def test_the_hostile_variants_of_the_import_test_are_orders_or_payload_errors(emu):
    """The 67 malformed tasks the Odoo test slips into a page of /api/v3/orders: each one is
    an Order or a PayloadError (never an exception), and the good tasks all come in."""
    from tests.emulator import hostile

    good = emu.wildberries.add_orders(5, scheme="fbs")
    injected = []

    def rewrite(body):
        if not injected and body.get("orders"):
            injected.extend(hostile.variants(body["orders"][0], 67, seed=1, id_key="id"))
            body["orders"] = list(body["orders"]) + injected
        return body

    emu.rewrite_responses("wildberries", "/api/v3/orders", rewrite)
    result = adapter(emu, settings={"schemes": ["fbs"]}).fetch_orders(*window())
    assert len(injected) == 67
    orders = [r for r in result if isinstance(r, o.Order)]
    errors = [r for r in result if isinstance(r, o.PayloadError)]
    assert set(good) <= {r.external_id for r in orders}
    assert len(orders) + len(errors) == 5 + 67
    assert all(e.message and len(e.message) < 300 for e in errors)
    assert all(ln.price >= 0 and ln.quantity > 0 and "<" not in ln.offer_code for r in orders for ln in r.lines)
    assert any("NO-SUCH" in r.lines[0].offer_code for r in orders), "unknown articles come through (to be held)"
