"""The Yandex Market adapter against the Yandex Market emulator over loopback HTTP, and its
parsers on hostile input."""
import copy
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime

import pytest
import requests

from marketplace_connector.lib import orders as o
from marketplace_connector.lib import transport as tr
from marketplace_connector.lib.base import OrderRef, make_adapter
from marketplace_connector.lib.yandex import (
    YandexAdapter, parse_buyer, parse_catalog_item, parse_order, parse_state, parse_time, status_state)
from tests.emulator import MarketplaceEmulator, specs
from tests.emulator.server import FAULT_KINDS
from tests.emulator.yandex import MSK, YandexApp
from tests.unit.helpers import FakeClock, drop_at, set_at

SECRET = YandexApp.CREDENTIALS["api_key"]
ORDERS = "/v1/businesses/{businessId}/orders"
BUYER = "/v2/campaigns/{campaignId}/orders/{orderId}/buyer"


@pytest.fixture(scope="module")
def server():
    specs.yandex()  # loaded before the first call (a client's read time-out here is 0.5 s)
    emulator = MarketplaceEmulator(seed=9, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(server):
    app = server.yandex
    app.orders.clear()
    app.repeat_cursor = False
    app.limit_answers.clear()
    server.faults.clear()
    server.clear_rewrites()
    server.reset_records()
    yield server
    app.repeat_cursor = False
    server.clear_rewrites()
    assert server.validation_errors == []
    assert server.limit_violations.get("yandex", 0) == 0, "the adapter kept to the documented limit"


class Log:
    def __init__(self):
        self.calls = []
        self.sleeps = []
        self.nows = []

    def now(self):
        """The transport's clock for the rate-limit hint, recorded."""
        moment = datetime.now(timezone.utc)
        self.nows.append(moment)
        return moment


def adapter(emu, log=None, settings=None, credentials=None, **kwargs):
    """An adapter on the emulator, with the production rate limiter (a fresh one: each test
    makes far fewer calls than its burst).  Retry back-offs go to ``log.sleeps``."""
    log = log or Log()
    kwargs.setdefault("timeout", (1, 0.5))
    return make_adapter("yandex", credentials or YandexApp.CREDENTIALS,
                        YandexApp.SETTINGS if settings is None else settings,
                        base_url=emu.base_url("yandex"), sleep=log.sleeps.append, on_call=log.calls.append,
                        **kwargs)


def window():
    now = datetime.now(timezone.utc)
    return now - timedelta(days=1), now


def assert_matches(order, held):
    assert order.marketplace == "yandex"
    assert order.external_id == str(held["orderId"])
    assert order.secondary_ref == str(held["campaignId"])
    assert order.scheme == held["scheme"]
    assert order.created_at == held["creationDate"]
    assert order.created_at.utcoffset() == timedelta(0)
    assert order.warehouse_ref == held["warehouseId"]
    assert order.currency == "RUB"
    # the default basis: the buyer's price plus the Market's subsidy (the realization report's)
    assert [(ln.offer_code, ln.name, ln.quantity, ln.price) for ln in order.lines] == [
        (it["offerId"], it["offerName"], Decimal(it["count"]),
         (it["payment"] + it["cashback"] + it["subsidy"]) / it["count"]) for it in held["items"]]
    assert [ln.prices["buyer_price"] for ln in order.lines] == [it["unit"] for it in held["items"]]
    total = sum((it["payment"] + it["cashback"] + it["subsidy"] for it in held["items"]), Decimal(0))
    assert order.amount_total == total.quantize(Decimal("0.01"))
    if held["scheme"] == "dbs":
        c = held["customer"]
        assert order.customer["name"] == f"{c['last_name']} {c['first_name']}"
        assert order.customer["phone"] == c["phone"]
        assert order.customer["city"] == c["city"]
        assert order.customer["zip"] == c["zip"]
        assert order.customer["region"] == c["region"]
        assert order.customer["address"] == f"{c['street']}, д. {c['house']}, кв. {c['flat']}"
    else:
        assert order.customer == {}


# --- orders ------------------------------------------------------------------------------------

def test_fetch_orders_returns_exactly_the_created_orders_over_several_pages(emu):
    app = emu.yandex
    ids = app.add_orders(22) + app.add_orders(2, scheme="dbs") + app.add_orders(2, scheme="fbo")
    assert {app.orders[i]["scheme"] for i in ids} == {"fbs", "dbs", "fbo"}
    assert {app.orders[i]["programType"] for i in ids} >= {"FBS", "EXPRESS", "DBS", "FBY"}
    assert any(it["cashback"] for i in ids for it in app.orders[i]["items"]), "some paid with Plus points"
    old = app.add_orders(3, scheme="fbs", created_at=datetime.now(timezone.utc) - timedelta(days=4))
    ad = adapter(emu)
    ad.page_size = 4
    result = ad.fetch_orders(*window())
    assert all(isinstance(r, o.Order) for r in result), [r for r in result if not isinstance(r, o.Order)]
    assert sorted(r.external_id for r in result) == sorted(ids)
    assert not set(old) & {r.external_id for r in result}
    for order in result:
        assert_matches(order, app.orders[order.external_id])
        assert order.state == o.NEW
        assert order.status_text == "PROCESSING / STARTED"
    # the created ones by page token, 4 a page, then the open ones updated in the window (the
    # Market has no "created before" filter: the new ones come again, the old ones do not)
    lists = emu.requests_to("yandex", ORDERS)
    created = [r for r in lists if "creationDateFrom" in r.body["dates"]]
    changed = [r for r in lists if "updateDateFrom" in r.body["dates"]]
    assert len(created) == len(changed) == -(-len(ids) // 4)
    assert [bool(r.query.get("pageToken")) for r in changed] == [False] + [True] * (len(changed) - 1)
    assert [bool(r.query.get("pageToken")) for r in created] == [False] + [True] * (len(created) - 1)
    assert all(r.query["limit"] == "4" for r in lists)
    today = datetime.now(MSK).date()
    for r in lists:
        assert r.body["fake"] is False and r.body["campaignIds"] == YandexApp.SETTINGS["campaign_ids"]
        assert r.body["programTypes"] == ["DBS", "EXPRESS", "FBS", "FBY"]
    dates = created[0].body["dates"]
    assert dates["creationDateTo"] == (today + timedelta(days=1)).isoformat()
    assert dates["creationDateFrom"] in ((today - timedelta(days=1)).isoformat(), today.isoformat())
    assert "UNPAID" not in created[0].body["statuses"]
    assert changed[0].body["statuses"] == ["PENDING", "PROCESSING"]
    assert changed[0].body["dates"]["updateDateFrom"].endswith("+03:00")
    # one buyer look-up per DBS order
    dbs = sorted(i for i in ids if app.orders[i]["scheme"] == "dbs")
    assert sorted(r.path.split("/")[5] for r in emu.requests_to("yandex", BUYER)) == dbs


def test_still_open_orders_that_changed_come_back_closed_old_ones_do_not(emu):
    app = emu.yandex
    four_days_ago = datetime.now(timezone.utc) - timedelta(days=4)
    packed, cancelled, untouched = app.add_orders(3, scheme="fbs", created_at=four_days_ago)
    app.set_status(packed, "PROCESSING", "READY_TO_SHIP")
    app.cancel_order(cancelled)
    result = adapter(emu).fetch_orders(*window())
    assert [r.external_id for r in result] == [packed]
    assert result[0].state == o.PROCESSING
    assert result[0].status_text == "PROCESSING / READY_TO_SHIP"
    assert result[0].created_at == app.orders[packed]["creationDate"]


def test_orders_created_on_the_same_day_before_the_window_are_left_out(emu):
    app = emu.yandex
    now = datetime.now(timezone.utc)
    since = now - timedelta(minutes=30)
    before = app.add_orders(2, scheme="fbs", created_at=since - timedelta(minutes=5))
    inside = app.add_orders(2, scheme="fbs", created_at=since + timedelta(minutes=5))
    result = adapter(emu).fetch_orders(since, now)
    assert sorted(r.external_id for r in result) == sorted(inside)
    # the same orders come back once they change while still open
    app.set_status(before[0], "PROCESSING", "READY_TO_SHIP")
    result = adapter(emu).fetch_orders(since, datetime.now(timezone.utc))
    assert sorted(r.external_id for r in result) == sorted(inside + before[:1])


def test_a_long_window_is_cut_into_periods_the_market_accepts(emu):
    app = emu.yandex
    now = datetime.now(timezone.utc)
    ids = [app.add_orders(1, scheme="fbs", created_at=now - timedelta(days=days))[0] for days in (65, 40, 29, 0)]
    result = adapter(emu).fetch_orders(now - timedelta(days=70), now)
    assert sorted(r.external_id for r in result) == sorted(ids)
    spans = []
    for r in emu.requests_to("yandex", ORDERS):
        assert r.status == 200
        dates = r.body["dates"]
        if "creationDateFrom" in dates:
            lo = datetime.fromisoformat(dates["creationDateFrom"])
            hi = datetime.fromisoformat(dates["creationDateTo"])
            assert timedelta(days=1) <= hi - lo <= timedelta(days=30)
            spans.append((lo, hi))
    assert len(spans) == 3 and spans[0][0].date() <= (now - timedelta(days=70)).astimezone(MSK).date()


def test_schemes_setting_limits_what_is_read(emu):
    app = emu.yandex
    fbo = app.add_orders(3, scheme="fbo")
    app.add_orders(3, scheme="fbs")
    dbs = app.add_orders(2, scheme="dbs")
    result = adapter(emu, settings=dict(YandexApp.SETTINGS, schemes=["fbo"])).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(fbo)
    assert {tuple(r.body["programTypes"]) for r in emu.requests_to("yandex", ORDERS)} == {("FBY",)}
    result = adapter(emu, settings=dict(YandexApp.SETTINGS, schemes=["dbs"])).fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(dbs)
    assert all(r.scheme == o.DBS and r.customer.get("name") for r in result)
    # one campaign only: the filter goes to the Market
    fbs_campaign = YandexApp.SETTINGS["campaign_ids"][0]
    emu.reset_records()
    result = adapter(emu, settings={"business_id": YandexApp.SETTINGS["business_id"],
                                    "campaign_ids": [fbs_campaign]}).fetch_orders(*window())
    assert {r.secondary_ref for r in result} <= {str(fbs_campaign)}
    assert sorted(r.external_id for r in result) == sorted(
        i for i, held in app.orders.items() if held["campaignId"] == fbs_campaign)
    assert all(r.body["campaignIds"] == [fbs_campaign] for r in emu.requests_to("yandex", ORDERS))


def test_a_malformed_order_is_reported_and_the_rest_go_on(emu):
    app = emu.yandex
    ids = app.add_orders(6, scheme="fbs")
    bad = ids[2]
    app.orders[bad]["items"][0]["count"] = 0
    result = adapter(emu).fetch_orders(*window())
    errors = [r for r in result if isinstance(r, o.PayloadError)]
    assert len(errors) == 1 and errors[0].external_id == bad
    assert "count must be positive" in errors[0].message
    assert sorted(r.external_id for r in result if isinstance(r, o.Order)) == sorted(set(ids) - {bad})


def test_paging_stops_on_a_repeated_page_token(emu):
    app = emu.yandex
    app.add_orders(12, scheme="fbs")
    app.repeat_cursor = True
    ad = adapter(emu)
    ad.page_size = 3
    with pytest.raises(tr.ApiError, match="same nextPageToken twice"):
        ad.fetch_orders(*window())
    # the second page answers the first page's token again: no third call
    assert len(emu.requests_to("yandex", ORDERS)) == 2


def test_buyer_details_are_best_effort_and_bounded(emu):
    app = emu.yandex
    now = datetime.now(timezone.utc)
    dbs = [app.add_orders(1, scheme="dbs", created_at=now - timedelta(minutes=10 - i))[0] for i in range(4)]
    app.set_status(dbs[0], "DELIVERED")  # the Market gives no buyer data any more: not asked
    app.orders[dbs[1]]["scheme"] = "fbs"  # the buyer method refuses it (400): the address stays
    ad = adapter(emu)
    ad.max_buyer_calls = 2
    result = {r.external_id: r for r in ad.fetch_orders(*window())}
    assert sorted(result) == sorted(dbs)
    asked = emu.requests_to("yandex", BUYER)
    assert [(r.path.split("/")[5], r.status) for r in asked] == [(dbs[1], 400), (dbs[2], 200)]
    held = app.orders[dbs[1]]["customer"]
    assert result[dbs[1]].customer == {"zip": held["zip"], "city": held["city"], "region": held["region"],
                                       "address": f"{held['street']}, д. {held['house']}, кв. {held['flat']}"}
    assert "name" not in result[dbs[0]].customer and "name" not in result[dbs[3]].customer
    assert result[dbs[2]].customer["phone"] == app.orders[dbs[2]]["customer"]["phone"]
    # a hostile buyer answer only loses the name
    emu.reset_records()
    emu.rewrite_responses("yandex", BUYER, lambda body: {"status": "OK", "result": {"lastName": ["x"]}})
    result = adapter(emu).fetch_orders(*window())
    assert len(result) == 4 and all(isinstance(r, o.Order) and "name" not in r.customer for r in result)
    assert len(emu.requests_to("yandex", BUYER)) == 3


# --- states -------------------------------------------------------------------------------------

def test_cancellation_shipping_and_delivery_show_in_fetch_states(emu):
    app = emu.yandex
    ids = app.add_orders(53, scheme="fbs")
    dbs = app.add_orders(1, scheme="dbs")
    fbo = app.add_orders(2, scheme="fbo")
    app.cancel_order(ids[0])
    app.ship_order(ids[1])
    app.set_status(ids[2], "PROCESSING", "READY_TO_SHIP")
    app.set_status(ids[3], "PICKUP")
    app.ship_order(dbs[0])
    app.set_status(fbo[0], "DELIVERED")
    app.ship_order(fbo[1])
    app.cancel_order(fbo[1])
    everything = ids + dbs + fbo
    refs = [OrderRef(i, app.orders[i]["scheme"], str(app.orders[i]["campaignId"])) for i in everything]
    refs += [OrderRef("99999999999", "fbs"), OrderRef("not-a-number", "fbs")]  # left out
    states = adapter(emu).fetch_states(refs)
    assert sorted(states) == sorted(everything)
    assert states[ids[0]] == (o.CANCELLED, "CANCELLED / USER_CHANGED_MIND")
    assert states[ids[1]] == (o.SHIPPED, "DELIVERY / DELIVERY_SERVICE_RECEIVED")
    assert states[ids[2]] == (o.PROCESSING, "PROCESSING / READY_TO_SHIP")
    assert states[ids[3]] == (o.SHIPPED, "PICKUP / PICKUP_SERVICE_RECEIVED")
    assert states[ids[4]] == (o.NEW, "PROCESSING / STARTED")
    assert states[dbs[0]] == (o.SHIPPED, "DELIVERY / DELIVERY_SERVICE_RECEIVED")
    assert states[fbo[0]] == (o.DELIVERED, "DELIVERED / DELIVERY_SERVICE_DELIVERED")
    assert states[fbo[1]] == (o.CANCELLED, "CANCELLED / USER_REFUSED_DELIVERY")
    # 50 ids a call
    asked = [r.body["orderIds"] for r in emu.requests_to("yandex", ORDERS)]
    assert [len(a) for a in asked] == [50, 7]


def test_fetch_states_reads_every_ref_in_batches_of_50(emu):
    ids = emu.yandex.add_orders(120, scheme="fbs", max_lines=1)
    states = adapter(emu).fetch_states([OrderRef(i, "fbs") for i in ids])
    assert sorted(states) == sorted(ids)
    bodies = [r.body for r in emu.requests_to("yandex", ORDERS)]
    assert [len(b["orderIds"]) for b in bodies] == [50, 50, 20]


# --- catalogue, warehouses, connection ---------------------------------------------------------

def test_fetch_catalog_reads_every_page(emu):
    app = emu.yandex
    ad = adapter(emu)
    ad.catalog_page_size = 25
    items = list(ad.fetch_catalog())
    assert len(items) == len(app.catalog) == 60
    by_code = {i.offer_code: i for i in items}
    for product in app.catalog:
        item = by_code[product["offer_code"]]
        assert item.name == product["name"]
        assert item.barcodes == (product["barcode"],)
        assert item.item_id == str(product["market_sku"])
        assert item.extra["price"] == f"{product['price']:.2f}"
    calls = emu.requests_to("yandex", "/v2/businesses/{businessId}/offer-mappings")
    assert len(calls) == 3 and [r.query.get("limit") for r in calls] == ["25"] * 3


def test_fetch_warehouses_and_test_connection(emu):
    app = emu.yandex
    found = adapter(emu).fetch_warehouses()
    assert [(w.ref, w.name, w.scheme) for w in found] == [(w["ref"], w["name"], w["scheme"])
                                                          for w in app.warehouses()]
    assert {w.scheme for w in found} == {"fbs", "dbs", "fbo"}
    asked = emu.requests_to("yandex", "/v2/businesses/{businessId}/warehouses")
    # the seller's warehouses of the FBS/DBS campaigns only (not FBY, not the LaaS shop)
    assert [r.body["campaignIds"] for r in asked] == [[21001001, 21001002, 21001003]]
    emu.reset_records()
    found = adapter(emu, settings=dict(YandexApp.SETTINGS, schemes=["fbs"])).fetch_warehouses()
    assert {w.scheme for w in found} == {"fbs", "dbs"}
    assert emu.requests_to("yandex", "/v2/warehouses") == []
    summary = adapter(emu).test_connection()
    assert "ООО «Ромашка» (11223344)" in summary and "4 campaign(s)" in summary
    assert "Ромашка — FBS Подольск (FBS)" in summary


def test_test_connection_flags_a_wrong_business_or_campaign(emu):
    with pytest.raises(tr.ApiError, match="belongs to business 11223344"):
        adapter(emu, settings={"business_id": 5, "campaign_ids": []}).test_connection()
    with pytest.raises(tr.ApiError, match="not in this business: 777"):
        adapter(emu, settings={"business_id": 11223344, "campaign_ids": [21001001, 777]}).test_connection()
    with pytest.raises(tr.ApiError, match="business ID"):
        adapter(emu, settings={"campaign_ids": [21001001]}).fetch_orders(*window())
    # a business the key does not belong to: refused by the Market
    with pytest.raises(tr.AuthError) as err:
        adapter(emu, settings={"business_id": 5}).fetch_orders(*window())
    assert err.value.status == 403


def test_wrong_credentials_raise_auth_error_without_the_secret(emu):
    log = Log()
    wrong = {"api_key": "ACMA:wrong-secret-key-123"}
    ad = adapter(emu, log, credentials=wrong)
    with pytest.raises(tr.AuthError) as err:
        ad.test_connection()
    assert err.value.status == 401
    texts = [str(err.value), err.value.message] + [c.error for c in log.calls]
    assert all("wrong-secret-key-123" not in t and SECRET not in t for t in texts)
    assert log.calls[0].attempts == 1 and log.sleeps == []
    with pytest.raises(tr.AuthError) as err:
        YandexAdapter.auth_headers({"api_key": "  "})
    assert "api_key" in err.value.message
    with pytest.raises(tr.AuthError):
        YandexAdapter.auth_headers({"api_key": "abc\r\nX-Injected: 1"})
    assert YandexAdapter.auth_headers({"api_key": f" {SECRET} "}) == {"Api-Key": SECRET}
    # the emulator answers as the Market does: 401 {status: ERROR, errors: [{code, message}]}
    url = emu.base_url("yandex") + "/v2/campaigns"
    answer = requests.get(url, headers={"Api-Key": "nope"}, timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"status": "ERROR", "errors": [{"code": "UNAUTHORIZED",
                                                             "message": "Api-Key token is invalid"}]}
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 401 and answer.json()["errors"][0]["message"] == "Credentials are not specified"


# --- retries and limits -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_is_retried_and_the_call_succeeds(emu, kind):
    emu.yandex.add_orders(4, scheme="fbs")
    log = Log()
    ad = adapter(emu, log, settings=dict(YandexApp.SETTINGS, schemes=["fbs"]), seed=11, backoff_base=0.5,
                 now=log.now)
    emu.faults.force("yandex", kind, path=ORDERS)
    result = ad.fetch_orders(*window())
    assert len(result) == 4 and all(isinstance(r, o.Order) for r in result)
    lists = [c for c in log.calls if c.endpoint == ORDERS]
    assert lists[0].attempts == 2 and lists[0].error == ""
    assert all(c.attempts == 1 for c in lists[1:])
    assert [r.fault for r in emu.requests_to("yandex", ORDERS)].count(kind) == 1
    if kind == "ratelimit":
        # the Market's hint: wait until X-RateLimit-Resource-Until
        until = parsedate_to_datetime(emu.yandex.limit_answers[0])
        assert log.sleeps == [pytest.approx((until - log.nows[0]).total_seconds())]
        assert 0.5 < log.sleeps[0] <= 3.0
    else:
        expected = tr.retry_delay(None, 1, 0.5, 60.0, random.Random(11))
        assert log.sleeps == [pytest.approx(expected)]


def test_the_markets_rate_limit_answer_is_obeyed(emu):
    emu.faults.force("yandex", "ratelimit", count=2)
    log = Log()
    ad = adapter(emu, log, seed=3, now=log.now)
    assert "campaign(s)" in ad.test_connection()
    assert log.calls[0].attempts == 3
    assert [r.status for r in emu.requests_to("yandex")] == [420, 420, 200]
    hints = [parsedate_to_datetime(h) for h in emu.yandex.limit_answers]
    assert len(hints) == 2 and all(h.tzinfo is not None and h.microsecond == 0 for h in hints)
    expected = [(until - now).total_seconds() for until, now in zip(hints, log.nows)]
    assert log.sleeps == [pytest.approx(d) for d in expected]
    assert all(1.0 < d <= 3.0 for d in log.sleeps)
    assert log.calls[0].waited_s == pytest.approx(sum(log.sleeps), abs=0.01)


def test_the_documented_limit_is_enforced_with_the_markets_answer():
    specs.yandex()
    # the emulator's clock stands still: the whole burst falls in one instant, on any machine
    with MarketplaceEmulator(seed=2, clock=lambda: 1000.0) as emu:
        app = emu.yandex
        app.rate_limit = (5, 60.0)  # the real 10 000 an hour, scaled down for the test
        url = emu.base_url("yandex") + "/v2/campaigns"
        with requests.Session() as session:
            answers = [session.get(url, headers={"Api-Key": SECRET}, timeout=5) for _ in range(8)]
        refused = [a for a in answers if a.status_code == 420]
        assert [a.status_code for a in answers] == [200] * 5 + [420] * 3
        assert emu.limit_violations["yandex"] == 3
        body = refused[0].json()
        assert body["status"] == "ERROR" and body["errors"][0]["code"] == "REQUEST_LIMIT_EXCEEDED"
        assert body["errors"][0]["message"] == "Hit rate limit of 5 requests per 60 seconds for resource 283"
        until = parsedate_to_datetime(refused[0].headers["X-RateLimit-Resource-Until"])
        assert refused[0].headers["X-RateLimit-Resource-Until"].endswith(" GMT")
        wait = (until - datetime.now(timezone.utc)).total_seconds()
        assert 55 < wait <= 61, "until the oldest call of the window leaves it"
        assert refused[0].headers["X-RateLimit-Resource-Limit"] == "5"
        assert "Retry-After" not in refused[0].headers
        assert emu.validation_errors == []


def test_adapter_rate_limiter_keeps_under_the_documented_limit():
    clock = FakeClock()
    limiter = YandexAdapter.make_rate_limiter(clock, clock.sleep)
    calls = 0
    while True:
        limiter.acquire()
        if clock.now > 3600:
            break
        calls += 1
    # 50 at once, then 2.5 a second: under the Market's 10 000 an hour, and not far under it
    assert 9000 < calls <= 9051 < YandexApp.rate_limit[0]
    assert YandexApp.rate_limit == (10000, 3600.0)


# --- the emulator keeps to the spec -----------------------------------------------------------

def _spec():
    api, _host = specs.yandex().find(ORDERS)
    with api.spec.open() as data:
        return data


def _resolve(root, schema):
    for _ in range(20):
        if not isinstance(schema, dict) or "$ref" not in schema:
            return schema
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    raise AssertionError("$ref loop")


def _properties(root, schema):
    schema = _resolve(root, schema)
    props, found = {}, False
    if "properties" in schema:
        props.update(schema["properties"])
        found = True
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            more = _properties(root, sub)
            if more is not None:
                props.update(more)
                found = True
    return props if found else None


def unknown_fields(root, schema, instance, path="$"):
    """Keys of ``instance`` its schema does not declare (the spec never says
    additionalProperties: false, so the validator lets them through)."""
    schema = _resolve(root, schema)
    out = []
    if isinstance(instance, dict):
        props = _properties(root, schema)
        if props is None:
            return out
        for key, value in instance.items():
            if key not in props:
                out.append(f"{path}.{key}")
            else:
                out += unknown_fields(root, props[key], value, f"{path}.{key}")
    elif isinstance(instance, list) and isinstance(schema, dict) and "items" in schema:
        for i, value in enumerate(instance):
            out += unknown_fields(root, schema["items"], value, f"{path}[{i}]")
    return out


def test_the_emulators_answers_use_only_the_spec_fields(emu):
    app = emu.yandex
    app.add_orders(6, scheme="dbs")
    app.add_orders(6)
    root = _spec()
    key = {"Api-Key": SECRET}
    base = emu.base_url("yandex")
    bid = YandexApp.SETTINGS["business_id"]
    calls = [
        ("post", f"/v1/businesses/{bid}/orders", ORDERS, {}),
        ("get", "/v2/campaigns", "/v2/campaigns", None),
        ("post", f"/v2/businesses/{bid}/offer-mappings", "/v2/businesses/{businessId}/offer-mappings", {}),
        ("post", f"/v2/businesses/{bid}/warehouses", "/v2/businesses/{businessId}/warehouses",
         {"components": ["ADDRESS", "STATUS"]}),
        ("get", "/v2/warehouses", "/v2/warehouses", None),
    ]
    dbs = next(held for held in app.orders.values() if held["scheme"] == "dbs")
    calls.append(("get", f"/v2/campaigns/{dbs['campaignId']}/orders/{dbs['orderId']}/buyer", BUYER, None))
    for method, path, template, body in calls:
        answer = requests.request(method, base + path, json=body, headers=key, timeout=5)
        assert answer.status_code == 200, (path, answer.text[:200])
        schema = root["paths"][template][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert unknown_fields(root, schema, answer.json()) == [], path
    orders = requests.post(f"{base}/v1/businesses/{bid}/orders", json={}, headers=key, timeout=5).json()["orders"]
    assert {"courier", "pickup"} & set(next(x for x in orders if x["programType"] == "DBS")["delivery"])
    assert all(x["creationDate"].endswith("+03:00") for x in orders)


def test_the_spec_validation_catches_a_wrong_request(emu):
    """A request that breaks the spec is recorded and answered with the Market's own 400."""
    ad = adapter(emu)
    ad.page_size = 51  # the Market's maximum is 50
    with pytest.raises(tr.ApiError) as caught:
        ad.fetch_states([OrderRef("48100000001", "fbs")])
    assert caught.value.status == 400
    [call] = emu.requests_to("yandex", ORDERS)
    assert (call.status, call.fault) == (400, "spec")
    assert any("limit" in e for e in emu.violations()), emu.violations()
    emu.clear_violations()


# --- hostile payloads straight into the parser -------------------------------------------------

def good_order():
    return {
        "orderId": 48240042121, "campaignId": 21001003, "programType": "DBS",
        "status": "PROCESSING", "substatus": "STARTED",
        "creationDate": "2026-11-22T13:15:30+03:00", "updateDate": "2026-11-22T13:20:00+03:00",
        "paymentType": "PREPAID", "paymentMethod": "YANDEX", "fake": False,
        "items": [
            {"id": 310000001, "offerId": "MP-00001", "offerName": "Футболка хлопковая", "count": 2,
             "prices": {"payment": {"value": 2369.14, "currencyId": "RUR"},
                        "cashback": {"value": 100, "currencyId": "RUR"},
                        "subsidy": {"value": 50.5, "currencyId": "RUR"}, "vat": "VAT_22"}},
            {"id": 310000002, "offerId": "MP-00002", "offerName": "Кружка керамическая", "count": 1,
             "prices": {"payment": {"value": 99.99, "currencyId": "RUR"}}},
        ],
        "delivery": {
            "type": "DELIVERY", "serviceName": "Собственная служба доставки", "deliveryServiceId": 99,
            "warehouseId": "61003", "deliveryPartnerType": "SHOP", "dates": {"fromDate": "2026-11-24"},
            "courier": {
                "address": {"country": "Россия", "postcode": "420000", "city": "Казань", "street": "ул. Ленина",
                            "house": "1", "block": "2", "apartment": "5"},
                "region": {"id": 43, "name": "Казань", "type": "CITY",
                           "parent": {"id": 11119, "name": "Республика Татарстан", "type": "REPUBLIC",
                                      "parent": {"id": 225, "name": "Россия", "type": "COUNTRY"}}}},
        },
    }


def test_good_payloads_parse_with_exact_amounts_and_utc_times():
    order = parse_order(good_order())
    assert (order.external_id, order.secondary_ref, order.scheme, order.state) == (
        "48240042121", "21001003", o.DBS, o.NEW)
    assert order.created_at == datetime(2026, 11, 22, 10, 15, 30, tzinfo=timezone.utc)
    # the default basis includes the Market's subsidy: (2369.14 + 100 points + 50.50) / 2
    assert [(ln.quantity, ln.price) for ln in order.lines] == [(2, Decimal("1259.82")), (1, Decimal("99.99"))]
    assert [ln.prices for ln in order.lines] == [
        {"with_subsidy": Decimal("1259.82"), "buyer_price": Decimal("1234.57")},
        {"with_subsidy": Decimal("99.99"), "buyer_price": Decimal("99.99")}]
    assert order.amount_total == Decimal("2619.63")
    assert (order.currency, order.warehouse_ref, order.status_text) == ("RUB", "61003", "PROCESSING / STARTED")
    assert order.customer == {"zip": "420000", "city": "Казань", "region": "Республика Татарстан",
                              "address": "ул. Ленина, д. 1, корп. 2, кв. 5"}
    # a total that does not divide in kopecks: two lines, the total exact
    raw = good_order()
    raw["items"][0].update(count=3, prices={"payment": {"value": 1000, "currencyId": "RUR"}})
    lines = parse_order(raw).lines
    assert [(ln.offer_code, ln.quantity, ln.price) for ln in lines[:2]] == [
        ("MP-00001", 2, Decimal("333.33")), ("MP-00001", 1, Decimal("333.34"))]
    assert parse_order(raw).amount_total == Decimal("1099.99")
    # times: Moscow when no offset is given, and the v2 form DD-MM-YYYY HH:MM:SS
    expected = datetime(2026, 11, 22, 10, 15, 30, tzinfo=timezone.utc)
    for text in ("2026-11-22T13:15:30", "22-11-2026 13:15:30", "2026-11-22T10:15:30Z", "2026-11-22T10:15:30+00:00"):
        assert parse_time(text, "t") == expected, text
    # schemes from programType, or the delivery partner when it is missing
    for program, scheme in (("FBS", o.FBS), ("EXPRESS", o.FBS), ("FBY", o.FBO), ("DBS", o.DBS)):
        raw = good_order()
        raw["programType"] = program
        parsed = parse_order(raw)
        assert parsed.scheme == scheme and bool(parsed.customer) == (scheme == o.DBS), program
    raw = good_order()
    del raw["programType"]
    assert parse_order(raw).scheme == o.DBS
    raw["delivery"]["deliveryPartnerType"] = "YANDEX_MARKET"
    assert parse_order(raw).scheme == o.FBS
    # markup and control characters are stripped; marking codes kept
    raw = good_order()
    raw["items"][0]["offerName"] = "Футболка <script>alert(1)</script>\x07хлопок"
    raw["items"][0]["instances"] = [{"cis": "010460000007919621ABC"}, {"uin": "1"}]
    line = parse_order(raw).lines[0]
    assert line.name == "Футболка alert(1) хлопок" and line.marking_codes == ("010460000007919621ABC",)
    # other currencies stay as they are
    raw = good_order()
    for item in raw["items"]:
        for block in item["prices"].values():
            if isinstance(block, dict):
                block["currencyId"] = "BYN"
    assert parse_order(raw).currency == "BYN"


def test_status_mapping():
    cases = {
        ("PROCESSING", "STARTED"): o.NEW, ("PROCESSING", "READY_TO_SHIP"): o.PROCESSING,
        ("PROCESSING", "SHIPPED"): o.SHIPPED, ("PROCESSING", "SOMETHING_NEW"): o.NEW,
        ("UNPAID", "WAITING_USER_INPUT"): o.NEW, ("PENDING", ""): o.NEW,
        ("DELIVERY", "DELIVERY_SERVICE_RECEIVED"): o.SHIPPED, ("PICKUP", ""): o.SHIPPED,
        ("DELIVERED", ""): o.DELIVERED, ("PARTIALLY_RETURNED", ""): o.DELIVERED,
        ("CANCELLED", "USER_CHANGED_MIND"): o.CANCELLED, ("RETURNED", ""): o.RETURNED,
        ("CANCELLED", "DELIVERY_SERVICE_LOST"): o.LOST, ("CANCELLED", "LOST"): o.LOST,
        ("CANCELLED", "USER_REFUSED_DELIVERY"): o.CANCELLED,
    }
    for (status, substatus), state in cases.items():
        assert status_state(status, substatus) == state, (status, substatus)
    with pytest.raises(o.PayloadError, match="unknown"):
        status_state("UNKNOWN")
    assert parse_state({"orderId": 5, "status": "DELIVERY", "substatus": "X"}) == ("5", o.SHIPPED, "DELIVERY / X")
    with pytest.raises(o.PayloadError):
        parse_state({"orderId": True, "status": "DELIVERY"})




I0 = ("items", 0)
PAY0 = I0 + ("prices", "payment")
COURIER = ("delivery", "courier")
HOSTILE = [
    ("order is a list", lambda p: [p], "object"),
    ("order is a string", lambda p: "48240042121", "object"),
    ("no orderId", drop_at(("orderId",)), "orderid"),
    ("orderId null", set_at(("orderId",), None), "orderid"),
    ("orderId is a dict", set_at(("orderId",), {"a": 1}), "orderid"),
    ("orderId negative", set_at(("orderId",), -5), "positive"),
    ("orderId zero", set_at(("orderId",), 0), "positive"),
    ("orderId has 26 digits", set_at(("orderId",), 10 ** 25), "not a yandex market id"),
    ("orderId markup", set_at(("orderId",), "<script>1</script>"), "orderid"),
    ("orderId fraction", set_at(("orderId",), 1.5), "orderid"),
    ("orderId is true", set_at(("orderId",), True), "orderid"),
    ("no campaignId", drop_at(("campaignId",)), "campaignid"),
    ("campaignId a word", set_at(("campaignId",), "shop"), "campaignid"),
    ("no status", drop_at(("status",)), "status"),
    ("status unknown", set_at(("status",), "TELEPORTED"), "unknown"),
    ("status lower case", set_at(("status",), "processing"), "status word"),
    ("status is a number", set_at(("status",), 5), "status"),
    ("status huge", set_at(("status",), "A" * 10000), "status"),
    ("substatus huge", set_at(("substatus",), "X" * 100), "substatus"),
    ("substatus a list", set_at(("substatus",), ["STARTED"]), "substatus"),
    ("no creationDate", drop_at(("creationDate",)), "creationdate"),
    ("creationDate garbage", set_at(("creationDate",), "yesterday"), "creationdate"),
    ("creationDate 31 February", set_at(("creationDate",), "31-02-2026 10:00:00"), "not a valid time"),
    ("creationDate year 1900", set_at(("creationDate",), "1900-01-01T00:00:00+03:00"), "out of range"),
    ("creationDate far future", set_at(("creationDate",), "2999-01-01T00:00:00+03:00"), "out of range"),
    ("creationDate is a list", set_at(("creationDate",), [2026]), "creationdate"),
    ("creationDate epoch number", set_at(("creationDate",), 1763800000), "creationdate"),
    ("no delivery", drop_at(("delivery",)), "delivery"),
    ("delivery is text", set_at(("delivery",), "courier"), "delivery"),
    ("no items", drop_at(("items",)), "items"),
    ("items empty", set_at(("items",), []), "empty"),
    ("items is a dict", set_at(("items",), {"0": {}}), "list"),
    ("items too many", lambda p: p.update(items=p["items"] * 300), "at most"),
    ("item is a string", set_at(I0, "MP-00001"), "object"),
    ("offerId missing", drop_at(I0 + ("offerId",)), "offerid"),
    ("offerId huge", set_at(I0 + ("offerId",), "A" * 5000), "offerid"),
    ("offerId is a dict", set_at(I0 + ("offerId",), {"x": 1}), "offerid"),
    ("offerId only markup", set_at(I0 + ("offerId",), "<b></b>"), "offerid"),
    ("offerName missing", drop_at(I0 + ("offerName",)), "offername"),
    ("offerName huge", set_at(I0 + ("offerName",), "Я" * 100001), "offername"),
    ("count missing", drop_at(I0 + ("count",)), "count"),
    ("count zero", set_at(I0 + ("count",), 0), "positive"),
    ("count negative", set_at(I0 + ("count",), -3), "positive"),
    ("count fraction", set_at(I0 + ("count",), 1.5), "whole"),
    ("count text", set_at(I0 + ("count",), "two"), "whole"),
    ("count bool", set_at(I0 + ("count",), True), "whole"),
    ("count huge", set_at(I0 + ("count",), 10 ** 8), "implausibly"),
    ("prices missing", drop_at(I0 + ("prices",)), "no prices"),
    ("prices is text", set_at(I0 + ("prices",), "1000"), "prices is not an object"),
    ("payment missing", drop_at(PAY0), "payment"),
    ("payment is a number", set_at(PAY0, 1000), "payment is not an object"),
    ("payment negative", set_at(PAY0 + ("value",), -1.0), "negative"),
    ("payment NaN", set_at(PAY0 + ("value",), "NaN"), "finite"),
    ("payment Infinity", set_at(PAY0 + ("value",), "Infinity"), "finite"),
    ("payment words", set_at(PAY0 + ("value",), "двести"), "not a number"),
    ("payment huge", set_at(PAY0 + ("value",), 1e12), "implausibly"),
    ("payment long string", set_at(PAY0 + ("value",), "9" * 100), "not a number"),
    ("payment is a list", set_at(PAY0 + ("value",), [1, 2]), "not a number"),
    ("payment without value", drop_at(PAY0 + ("value",)), "not a number"),
    ("currency bad", set_at(PAY0 + ("currencyId",), "rub<>"), "currency"),
    ("currency missing", drop_at(PAY0 + ("currencyId",)), "currency"),
    ("mixed currencies", set_at(("items", 1, "prices", "payment", "currencyId"), "USD"), "several currencies"),
    ("cashback in another currency", set_at(I0 + ("prices", "cashback", "currencyId"), "EUR"), "several currencies"),
    ("cashback negative", set_at(I0 + ("prices", "cashback", "value"), -100), "negative"),
    ("marketSku negative", set_at(I0 + ("marketSku",), -7), "positive"),
    ("programType LaaS", set_at(("programType",), "LAAS"), "laas"),
    ("programType unknown", set_at(("programType",), "TELEPORT"), "unknown"),
    ("programType a number", set_at(("programType",), 3), "programtype"),
    ("warehouseId is a dict", set_at(("delivery", "warehouseId"), {"id": 1}), "warehouseid"),
    ("warehouseId huge", set_at(("delivery", "warehouseId"), "9" * 500), "warehouseid"),
    ("DBS courier is text", set_at(COURIER, "Москва"), "courier"),
    ("DBS address is a list", set_at(COURIER + ("address",), ["Москва"]), "address"),
    ("DBS street huge", set_at(COURIER + ("address", "street"), "у" * 500), "street"),
    ("DBS region is text", set_at(COURIER + ("region",), "Москва"), "region"),
    ("DBS region name huge", set_at(COURIER + ("region", "parent", "name"), "Р" * 500), "region name"),
]


@pytest.mark.parametrize("label,mutate,expected", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_payload_gives_payload_error(label, mutate, expected):
    raw = copy.deepcopy(good_order())
    raw = mutate(raw) or raw  # a mutation changes the payload in place or gives a new one
    with pytest.raises(o.PayloadError) as err:
        parse_order(raw)
    assert expected.lower() in err.value.message.lower(), err.value.message
    assert len(err.value.message) < 300
    if isinstance(raw, dict) and raw.get("orderId") == 48240042121:
        assert err.value.external_id == "48240042121"
        assert err.value.raw is raw


def test_hostile_cases_are_many_and_never_another_exception():
    assert len(HOSTILE) >= 30
    rng = random.Random(4)
    junk = [None, True, -1, 0, 1.5, "", "x" * 3000, [], {}, [1], {"a": None}, "<i>x</i>", float("nan"),
            {"value": "1", "currencyId": None}, "31-12-9999 99:99:99"]
    nested = {}
    for _ in range(300):
        nested = {"parent": nested, "type": "CITY", "name": "x"}
    junk.append(nested)
    for _ in range(600):
        raw = copy.deepcopy(good_order())
        item = raw["items"][rng.randrange(2)]
        for _ in range(rng.randint(1, 3)):
            delivery = raw.get("delivery") if isinstance(raw.get("delivery"), dict) else {}
            prices = item.get("prices") if isinstance(item, dict) else None
            targets = [t for t in (raw, item, prices, delivery, delivery.get("courier"))
                       if isinstance(t, dict) and t]
            target = rng.choice(targets)
            target[rng.choice(list(target))] = rng.choice(junk)
        try:
            parse_order(raw)
        except o.PayloadError as err:
            assert err.message
        try:
            parse_state(raw)
        except o.PayloadError as err:
            assert err.message


def test_unusable_catalogue_items_and_buyers_are_skipped_never_raised():
    good = {"offer": {"offerId": "MP-00001", "name": "Футболка <b>хлопок</b>",
                      "barcodes": ["4600000079196", "<script>", "x" * 100, 5],
                      "basicPrice": {"value": 1299, "currencyId": "RUR", "updatedAt": "2026-03-14T09:26:53+03:00"}},
            "mapping": {"marketSku": 101000007919}}
    item = parse_catalog_item(good)
    assert (item.offer_code, item.name, item.barcodes, item.item_id, item.extra) == (
        "MP-00001", "Футболка хлопок", ("4600000079196",), "101000007919", {"price": "1299.00"})
    assert parse_catalog_item({"offer": {"offerId": "MP-2"}}).name == "MP-2"
    hostile = [None, [], "MP-1", {}, {"offer": "MP-1"}, {"offer": {"offerId": None}},
               {"offer": {"offerId": "y" * 500}}, dict(good, mapping={"marketSku": -1}),
               {"offer": dict(good["offer"], name="n" * 5000)}, dict(good, mapping={"marketSku": True})]
    assert [parse_catalog_item(h) for h in hostile] == [None] * len(hostile)
    # a bad price or barcode list only loses that field
    odd = {"offer": dict(good["offer"], barcodes="4600000079196", basicPrice={"value": "NaN", "currencyId": "RUR"})}
    assert (parse_catalog_item(odd).barcodes, parse_catalog_item(odd).extra) == ((), {})
    assert parse_buyer({"lastName": "Иванова", "firstName": "Анна", "middleName": "<b>Петровна</b>",
                        "phone": "+79001234567", "type": "PERSON"}) == {
        "name": "Иванова Анна Петровна", "phone": "+79001234567"}
    for bad in (None, [], "Иванова", {"lastName": ["x"]}, {"phone": "1" * 500}, {"firstName": {"a": 1}}):
        assert parse_buyer(bad) == {}


def test_deferred_buyers_are_looked_up_at_import_a_chunk_at_a_time(emu):
    """With ``defer_lookups`` (as the Odoo side reads windows) reading a window makes no buyer
    call; ``complete_orders`` asks for the buyers of the DBS orders given, once each."""
    app = emu.yandex
    now = datetime.now(timezone.utc)
    dbs = [app.add_orders(1, scheme="dbs", created_at=now - timedelta(minutes=10 - i))[0] for i in range(3)]
    fbs = app.add_orders(1, scheme="fbs", created_at=now - timedelta(minutes=3))
    ad = adapter(emu)
    ad.settings["defer_lookups"] = True
    result = ad.fetch_orders(*window())
    assert sorted(r.external_id for r in result) == sorted(dbs + fbs)
    assert emu.requests_to("yandex", BUYER) == []
    assert all("name" not in r.customer for r in result)
    chunk = [r for r in result if r.external_id in (dbs[0], dbs[2], fbs[0])]
    done = {r.external_id: r for r in ad.complete_orders(chunk)}
    assert sorted(r.path.split("/")[5] for r in emu.requests_to("yandex", BUYER)) == sorted([dbs[0], dbs[2]])
    for ext in (dbs[0], dbs[2]):
        assert done[ext].customer["phone"] == app.orders[ext]["customer"]["phone"]
    assert done[fbs[0]].customer == {}
    # completed already: not asked again
    ad.complete_orders(list(done.values()))
    assert len(emu.requests_to("yandex", BUYER)) == 2
