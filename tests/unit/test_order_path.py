"""Issue 6, the framework-free side: price bases, currencies, states until a terminal one,
sizes / variants, the emulators' 400 on a spec violation, backlogs.  Each test runs the real
adapter against the emulator over loopback and checks against the emulator's raw payload."""
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests

from marketplace_connector.lib import orders as o
from marketplace_connector.lib import transport as tr
from marketplace_connector.lib.base import OrderRef, adapter_class, make_adapter
from tests.emulator import MarketplaceEmulator, data
from tests.emulator.yandex import MSK

MARKETPLACES = ("wildberries", "ozon", "yandex")
KOPECK = Decimal("0.01")


@pytest.fixture(scope="module", autouse=True)
def all_specs():
    """The spec files load once, before the first call's short time-outs run."""
    from tests.emulator import specs

    for load in specs.LOADERS.values():
        load()


@pytest.fixture
def emu():
    emulator = MarketplaceEmulator(seed=17, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()
    assert emulator.violations() == []


@pytest.fixture
def sized():
    emulator = MarketplaceEmulator(seed=17, timeout_delay=1.0, sized=True).start()
    yield emulator
    emulator.stop()
    assert emulator.violations() == []


def adapter(emu, marketplace, **kwargs):
    app = emu.apps[marketplace]
    kwargs.setdefault("timeout", (2, 10))
    return make_adapter(marketplace, app.CREDENTIALS, app.SETTINGS, base_url=emu.base_url(marketplace),
                        sleep=lambda s: None, **kwargs)


def window(days=1):
    now = datetime.now(timezone.utc)
    return now - timedelta(days=days), now + timedelta(seconds=1)


def fetch(emu, marketplace, days=1):
    result = adapter(emu, marketplace).fetch_orders(*window(days))
    assert all(isinstance(r, o.Order) for r in result), [r for r in result if not isinstance(r, o.Order)]
    return {r.external_id: r for r in result}


# --- price bases ---------------------------------------------------------------------------------

@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_every_adapter_declares_its_price_bases_and_a_default(marketplace):
    cls = adapter_class(marketplace)
    keys = [key for key, label in cls.PRICE_BASES]
    assert len(keys) == len(set(keys)) >= 2
    assert all(isinstance(label, str) and label for _, label in cls.PRICE_BASES)
    assert cls.default_price_basis in keys


def test_wildberries_bases_against_the_raw_tasks(emu):
    app = emu.wildberries
    ids = app.add_orders(40, scheme="fbs") + app.add_orders(10, scheme="dbs")
    orders = fetch(emu, "wildberries")
    assert sorted(orders) == sorted(ids)
    for ext, order in orders.items():
        task = app.orders[ext]
        [line] = order.lines
        assert line.price == line.prices["buyer_price"] == Decimal(task["convertedPrice"]) / 100
        # the new-task shapes (everything here is new) carry salePrice and the final price
        assert line.prices["final_price"] == Decimal(task["convertedFinalPrice"]) / 100
        if task["currencyCode"] == task["convertedCurrencyCode"]:
            assert line.prices["seller_price"] == Decimal(task["salePrice"]) / 100
        else:  # a buyer in Belarus: salePrice in BYN, converted at the task's own rate
            rate = Decimal(task["convertedPrice"]) / Decimal(task["price"])
            assert line.prices["seller_price"] == (Decimal(task["salePrice"]) / 100 * rate).quantize(
                KOPECK, rounding=ROUND_HALF_UP)
        assert line.prices["seller_price"] > line.prices["buyer_price"], "WB's discount (СПП) lowers the price"
        assert line.prices["final_price"] <= line.prices["buyer_price"]
    assert any(t["currencyCode"] != t["convertedCurrencyCode"] for t in map(app.orders.get, ids)), \
        "some buyers pay in another currency"


def test_wildberries_listed_tasks_lack_the_new_task_bases(emu):
    """A task known only from the FBS list has no salePrice nor final price: those bases are
    missing (the Odoo side holds the order), the default is there."""
    app = emu.wildberries
    [ext] = app.add_orders(1, scheme="fbs", max_lines=1)
    app.set_state(ext, "processing")  # not in the new list any more
    [line] = fetch(emu, "wildberries")[ext].lines
    assert set(line.prices) == {"buyer_price"}
    assert line.price == Decimal(app.orders[ext]["convertedPrice"]) / 100


def test_ozon_bases_against_the_raw_postings(emu):
    app = emu.ozon
    ids = app.add_orders(30)
    orders = fetch(emu, "ozon")
    assert sorted(orders) == sorted(ids)
    cheaper = 0
    for ext, order in orders.items():
        posting = app.orders[ext]
        assert [(ln.offer_code, ln.quantity) for ln in order.lines] == [
            (p["offer_id"], p["quantity"]) for p in posting["products"]]
        for line, raw in zip(order.lines, posting["products"]):
            assert line.price == line.prices["seller_price"] == raw["price"]
            assert line.prices["buyer_price"] == raw["customer_price"]
            assert line.prices["old_price"] == raw["old_price"] > raw["price"]
            cheaper += raw["customer_price"] < raw["price"]
    assert cheaper, "Ozon's own discount makes some buyers pay less than the seller's price"
    # the lists were asked for the financial data that holds the other bases
    assert all(r.body["with"].get("financial_data") for r in emu.requests_to("ozon", "/v4/posting/fbs/list"))


def test_yandex_bases_against_the_raw_orders_exact_on_every_basis(emu):
    app = emu.yandex
    ids = app.add_orders(40)
    orders = fetch(emu, "yandex")
    assert sorted(orders) == sorted(ids)
    subsidised = 0
    for ext, order in orders.items():
        held = app.orders[ext]
        for item in held["items"]:
            lines = [ln for ln in order.lines if ln.offer_code == item["offerId"]]
            assert sum(ln.quantity for ln in lines) == item["count"]
            with_subsidy = sum(ln.prices["with_subsidy"] * ln.quantity for ln in lines)
            buyer = sum(ln.prices["buyer_price"] * ln.quantity for ln in lines)
            assert with_subsidy == item["payment"] + item["cashback"] + item["subsidy"]
            assert buyer == item["payment"] + item["cashback"]
            assert all(ln.price == ln.prices["with_subsidy"] for ln in lines)
            subsidised += item["subsidy"] > 0
    assert subsidised, "the Market subsidises some lines"


def test_yandex_item_that_divides_on_no_basis_stays_exact():
    from marketplace_connector.lib.yandex import parse_order

    raw = {
        "orderId": 48240042121, "campaignId": 21001001, "programType": "FBS", "status": "PROCESSING",
        "substatus": "STARTED", "creationDate": "2026-11-22T13:15:30+03:00", "paymentType": "PREPAID",
        "paymentMethod": "YANDEX", "fake": False, "delivery": {"warehouseId": 61001},
        "items": [{"id": 1, "offerId": "MP-00001", "offerName": "Футболка", "count": 3, "prices": {
            "payment": {"value": 1000, "currencyId": "RUR"}, "cashback": {"value": 0.01, "currencyId": "RUR"},
            "subsidy": {"value": 0.02, "currencyId": "RUR"}}}],
    }
    lines = parse_order(raw).lines
    assert sum(ln.quantity for ln in lines) == 3
    assert sum(ln.prices["buyer_price"] * ln.quantity for ln in lines) == Decimal("1000.01")
    assert sum(ln.prices["with_subsidy"] * ln.quantity for ln in lines) == Decimal("1000.03")
    # 1000.01 = 333.33 + 2 × 333.34, 1000.03 = 2 × 333.34 + 333.35: three different units
    assert [(ln.quantity, ln.prices["buyer_price"], ln.prices["with_subsidy"]) for ln in lines] == [
        (1, Decimal("333.33"), Decimal("333.34")), (1, Decimal("333.34"), Decimal("333.34")),
        (1, Decimal("333.34"), Decimal("333.35"))]


def test_price_bases_survive_storage():
    from marketplace_connector.lib.yandex import parse_order

    raw = {
        "orderId": 48240042122, "campaignId": 21001001, "programType": "FBS", "status": "PROCESSING",
        "substatus": "STARTED", "creationDate": "2026-11-22T13:15:30+03:00", "paymentType": "PREPAID",
        "paymentMethod": "YANDEX", "fake": False, "delivery": {"warehouseId": 61001},
        "items": [{"id": 1, "offerId": "MP-00001", "offerName": "Футболка", "count": 1, "prices": {
            "payment": {"value": 900, "currencyId": "KZT"}, "subsidy": {"value": 100, "currencyId": "KZT"}}}],
    }
    order = parse_order(raw)
    assert order.currency == "KZT"
    assert o.order_from_data(o.order_to_data(order)) == order


# --- currencies -------------------------------------------------------------------------------

@pytest.mark.parametrize("marketplace", MARKETPLACES)
@pytest.mark.parametrize("currency", ["KZT", "BYN", "UZS"])
def test_the_payload_currency_reaches_the_order(emu, marketplace, currency):
    app = emu.apps[marketplace]
    foreign = app.add_orders(4, currency=currency)
    roubles = app.add_orders(2)
    orders = fetch(emu, marketplace)
    assert {orders[i].currency for i in foreign} == {currency}
    assert {orders[i].currency for i in roubles} == {"RUB"}  # YM's RUR is RUB


def test_currency_in_the_fields_where_the_real_apis_put_it(emu):
    [wb] = emu.wildberries.add_orders(1, currency="KZT", max_lines=1)
    assert (emu.wildberries.orders[wb]["currencyCode"], emu.wildberries.orders[wb]["convertedCurrencyCode"]) \
        == (398, 398)
    [oz] = emu.ozon.add_orders(1, currency="UZS", scheme="fbs")
    since, to = (m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in window())
    page = requests.post(emu.base_url("ozon") + "/v4/posting/fbs/list", headers={
        "Client-Id": emu.ozon.CREDENTIALS["client_id"], "Api-Key": emu.ozon.CREDENTIALS["api_key"]},
        json={"filter": {"since": since, "to": to}, "limit": 10,
              "with": {"financial_data": True}}, timeout=5).json()
    [posting] = page["postings"]
    assert {p["price"]["currency"] for p in posting["products"]} == {"UZS"}
    assert {p["customer_price"]["currency"] for p in posting["financial_data"]["products"]} == {"UZS"}
    [ym] = emu.yandex.add_orders(1, currency="BYN")
    rendered = emu.yandex._render(emu.yandex.orders[ym])
    assert {it["prices"]["payment"]["currencyId"] for it in rendered["items"]} == {"BYN"}


# --- states -------------------------------------------------------------------------------------

def refs_of(emu, marketplace, ids):
    orders = fetch(emu, marketplace, days=2)
    return [OrderRef(i, orders[i].scheme, orders[i].secondary_ref, orders[i].created_at) for i in ids]


@pytest.mark.parametrize("marketplace,states", [
    ("wildberries", {"delivered": o.DELIVERED, "returned": o.RETURNED, "cancelled": o.CANCELLED,
                     "cancelled_after_shipping": o.CANCELLED, "shipped": o.SHIPPED}),
    ("ozon", {"delivered": o.DELIVERED, "returned": o.RETURNED, "lost": o.LOST, "cancelled": o.CANCELLED,
              "cancelled_after_shipping": o.RETURNED, "shipped": o.SHIPPED}),
    ("yandex", {"delivered": o.DELIVERED, "returned": o.RETURNED, "lost": o.LOST, "cancelled": o.CANCELLED,
                "cancelled_after_shipping": o.CANCELLED, "shipped": o.SHIPPED}),
])
def test_every_state_after_import_is_followed(emu, marketplace, states):
    app = emu.apps[marketplace]
    ids = app.add_orders(len(states), scheme="fbs", max_lines=1)
    refs = refs_of(emu, marketplace, ids)
    for ext, word in zip(ids, states):
        app.set_state(ext, "shipped")
        app.set_state(ext, word)
    found = adapter(emu, marketplace).fetch_states(refs)
    assert {ext: found[ext][0] for ext in ids} == dict(zip(ids, states.values()))
    assert all(found[ext][1] for ext in ids)


def test_wildberries_has_no_lost_state(emu):
    [ext] = emu.wildberries.add_orders(1, max_lines=1)
    with pytest.raises(ValueError, match="lost"):
        emu.wildberries.set_state(ext, "lost")


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_fetch_states_takes_any_number_of_refs(emu, marketplace):
    app = emu.apps[marketplace]
    count = {"wildberries": 1203, "ozon": 130, "yandex": 260}[marketplace]
    ids = app.add_orders(count, scheme="fbs", max_lines=1)
    for ext in ids[::7]:
        app.set_state(ext, "delivered")
    refs = refs_of(emu, marketplace, ids)
    ad = adapter(emu, marketplace)
    assert not hasattr(ad, "max_state_refs")
    found = ad.fetch_states(refs)
    assert sorted(found) == sorted(ids)
    assert {ext for ext in ids if found[ext][0] == o.DELIVERED} == set(ids[::7])


def test_yandex_states_of_orders_older_than_30_days(emu):
    """The Market's state query sees only the last 30 days without dates: the adapter asks
    with the creation period of the refs, in windows of at most 30 days."""
    app = emu.yandex
    now = datetime.now(timezone.utc)
    ages = (1, 29, 31, 45, 59, 75)
    ids = [app.add_orders(1, scheme="fbs", created_at=now - timedelta(days=d), max_lines=1)[0] for d in ages]
    for ext in ids:
        app.set_state(ext, "delivered")
    refs = [OrderRef(ext, "fbs", str(app.orders[ext]["campaignId"]), app.orders[ext]["creationDate"])
            for ext in ids]
    found = adapter(emu, "yandex").fetch_states(refs)
    assert {ext: found[ext][0] for ext in ids} == {ext: o.DELIVERED for ext in ids}
    bodies = [r.body for r in emu.requests_to("yandex", "/v1/businesses/{businessId}/orders")]
    for body in bodies:
        lo = datetime.fromisoformat(body["dates"]["creationDateFrom"]).date()
        hi = datetime.fromisoformat(body["dates"]["creationDateTo"]).date()
        assert 0 < (hi - lo).days <= 30
    assert len(bodies) == 3  # 75..45 days, 31..29 (… 1 day apart from the next), 1 day
    # without a creation time only the last 30 days answer, as on the real Market
    emu.reset_records()
    blind = adapter(emu, "yandex").fetch_states([OrderRef(ext, "fbs") for ext in ids])
    assert set(blind) == {ids[0], ids[1]}
    assert [r.body for r in emu.requests_to("yandex", "/v1/businesses/{businessId}/orders")] == [
        {"orderIds": [int(i) for i in ids]}]


def test_yandex_state_windows_are_moscow_dates():
    from marketplace_connector.lib.yandex import YandexAdapter

    assert YandexAdapter.state_period_days == 30
    late = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)  # already 2 March in Moscow
    assert late.astimezone(MSK).date().isoformat() == "2026-03-02"


# --- sizes and variants ---------------------------------------------------------------------------

def test_sized_catalogue_is_off_by_default_and_the_first_60_items_stay(emu, sized):
    for name in MARKETPLACES:
        assert len(emu.apps[name].catalog) == 60
        assert [p["offer_code"] for p in sized.apps[name].catalog[:60]] == [
            p["offer_code"] for p in emu.apps[name].catalog]
    assert emu.sized_cards == {}
    cards = data.sized_catalog()
    assert len(cards) == 3 and all(3 <= len(c["sizes"]) <= 4 for c in cards)
    barcodes = [s["barcode"] for c in cards for s in c["sizes"]]
    assert len(set(barcodes)) == len(barcodes)
    assert not set(barcodes) & {p["barcode"] for p in data.default_catalog()}


def test_wildberries_cards_have_one_item_per_size(sized):
    items = list(adapter(sized, "wildberries").fetch_catalog())
    cards = data.sized_catalog()
    for card in cards:
        sizes = [i for i in items if i.offer_code == card["offer_code"]]
        assert [(i.barcodes, i.extra) for i in sizes] == [((s["barcode"],), {"size": s["size"]})
                                                           for s in card["sizes"]]
        assert len({i.item_id for i in sizes}) == len(sizes) and len({i.product_ref for i in sizes}) == 1
    assert len(items) == 60 + sum(len(c["sizes"]) for c in cards)


def test_wildberries_orders_of_specific_sizes_carry_chrt_id_and_the_size_barcode(sized):
    app = sized.wildberries
    [shoes] = [c for c in sized.sized_cards["wildberries"] if c["offer_code"] == "SZ-SNKR-003"]
    wanted = [shoes["sizes"][1]["chrt_id"], shoes["sizes"][3]["chrt_id"]]
    ids = app.add_orders(12, chrt_ids=wanted)
    orders = fetch(sized, "wildberries")
    by_chrt = {s["chrt_id"]: s for s in shoes["sizes"]}
    for ext in ids:
        [line] = orders[ext].lines
        task = app.orders[ext]
        assert int(line.item_id) == task["chrtId"] in wanted
        assert line.barcode == by_chrt[task["chrtId"]]["barcode"] == task["skus"][0]
        assert line.offer_code == "SZ-SNKR-003" and line.product_ref == str(shoes["nm_id"])
    assert {app.orders[e]["chrtId"] for e in ids} == set(wanted)


@pytest.mark.parametrize("marketplace", ["ozon", "yandex"])
def test_variants_of_one_model_are_distinct_offers(sized, marketplace):
    items = {i.offer_code: i for i in adapter(sized, marketplace).fetch_catalog()}
    for card in data.sized_catalog():
        for size in card["sizes"]:
            item = items[size["offer_code"]]
            assert item.barcodes == (size["barcode"],)
        assert len({items[s["offer_code"]].item_id for s in card["sizes"]}) == len(card["sizes"])
    groups = sized.sized_cards[marketplace]
    assert [g["offer_code"] for g in groups] == [c["offer_code"] for c in data.sized_catalog()]
    codes = [offer["offer_code"] for g in groups for offer in g["offers"]]
    ids = sized.apps[marketplace].add_orders(10, offer_codes=codes)
    orders = fetch(sized, marketplace)
    assert {ln.offer_code for i in ids for ln in orders[i].lines} <= set(codes)


def test_ozon_variants_share_the_model(sized):
    app = sized.ozon
    [group] = [g for g in sized.sized_cards["ozon"] if g["offer_code"] == "SZ-TEE-001"]
    body = app._product_info_list({}, {}, {"offer_id": [v["offer_code"] for v in group["offers"]]}, {}).body
    assert {i["model_info"]["model_id"] for i in body["items"]} == {group["model_id"]}
    assert {i["model_info"]["count"] for i in body["items"]} == {4}


# --- spec violations ---------------------------------------------------------------------------

def test_a_request_that_breaks_the_spec_gets_the_marketplaces_own_400(emu):
    wb = requests.get(emu.base_url("wildberries") + "/api/v3/orders", params={"limit": 5000, "next": 0},
                      headers={"Authorization": emu.wildberries.CREDENTIALS["token"]}, timeout=5)
    assert wb.status_code == 400 and set(wb.json()) == {"code", "message"}
    cards = requests.post(emu.base_url("wildberries") + "/content/v2/get/cards/list", json={"settings": "x"},
                          headers={"Authorization": emu.wildberries.CREDENTIALS["token"]}, timeout=5)
    assert cards.status_code == 400 and cards.json()["error"] is True and cards.json()["errorText"]
    oz = requests.post(emu.base_url("ozon") + "/v4/posting/fbs/list", json={"limit": 500}, headers={
        "Client-Id": emu.ozon.CREDENTIALS["client_id"], "Api-Key": emu.ozon.CREDENTIALS["api_key"]}, timeout=5)
    assert oz.status_code == 400 and oz.json()["code"] == 3 and oz.json()["details"] == []
    ym = requests.post(emu.base_url("yandex") + "/v1/businesses/11223344/orders", params={"limit": 500},
                       json={}, headers={"Api-Key": emu.yandex.CREDENTIALS["api_key"]}, timeout=5)
    assert ym.status_code == 400 and ym.json()["status"] == "ERROR" and ym.json()["errors"][0]["code"]
    found = emu.violations()
    assert len(found) == 4 and all(v.startswith("request ") for v in found), found
    assert [r.fault for r in emu.records] == ["spec"] * 4
    emu.clear_violations()


def test_limit_breaches_are_violations_too(emu):
    emu.clock = lambda: 0.0  # every request in one instant
    app = emu.ozon
    headers = {"Client-Id": app.CREDENTIALS["client_id"], "Api-Key": app.CREDENTIALS["api_key"]}
    statuses = [requests.post(emu.base_url("ozon") + "/v1/cluster/list", json={"cluster_type": "CLUSTER_TYPE_OZON"},
                              headers=headers, timeout=5).status_code for _ in range(52)]
    assert statuses.count(429) == 2
    assert emu.violations() == ["ozon: 2 request(s) over the documented rate limit"]
    emu.clear_violations()


# --- backlogs -----------------------------------------------------------------------------------

def test_a_backlog_of_20000_orders_is_cheap_and_pages_as_the_real_apis_page(emu):
    started = time.process_time()
    counts = {"wildberries": 7000, "ozon": 6500, "yandex": 6500}
    for name, count in counts.items():
        assert len(emu.apps[name].add_orders(count)) == count
    assert sum(len(app.orders) for app in emu.apps.values()) == 20000
    assert time.process_time() - started < 60  # generous: it is about 5 s on a slow machine
    # WB pages by `next` (1000 a page), Ozon by cursor (100), YM by page token (50)
    wb = adapter(emu, "wildberries")
    listed = list(wb._listed_tasks(o.FBS, *window()))
    fbs = [t for t in emu.wildberries.orders.values() if t["scheme"] == "fbs"]
    assert len(listed) == len(fbs)
    pages = emu.requests_to("wildberries", "/api/v3/orders")
    assert len(pages) == len(fbs) // 1000 + 1 and all(r.query["limit"] == "1000" for r in pages)
