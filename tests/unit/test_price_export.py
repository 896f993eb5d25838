"""The price mixins of the three adapters against the emulator over loopback HTTP: payload shapes,
batching, the APIs' limits, per-item errors, the tariffs the guard reads."""
from decimal import Decimal as D

import pytest

from marketplace_connector.lib import pricing as p
from marketplace_connector.lib.base import make_adapter
from marketplace_connector.lib.ozon import PriceHistory
from marketplace_connector.lib.transport import RateLimiter
from tests.emulator import MarketplaceEmulator, specs
from tests.emulator.ozon import OzonApp
from tests.emulator.wildberries import WildberriesApp
from tests.emulator.yandex import YandexApp
from tests.unit.helpers import FakeClock

APPS = {"wildberries": WildberriesApp, "ozon": OzonApp, "yandex": YandexApp}


@pytest.fixture(scope="module", autouse=True)
def load_specs():
    specs.wildberries()
    specs.ozon()
    specs.yandex()


@pytest.fixture
def clock():
    return FakeClock(1000.0)


@pytest.fixture
def emu(clock):
    """A fresh emulator whose limit windows run on ``clock``: the adapters' limiters sleep on the
    same clock, so that the limits are kept exactly and nothing really waits."""
    emulator = MarketplaceEmulator(seed=3, timeout_delay=1.0, clock=clock).start()
    yield emulator
    emulator.stop()
    assert emulator.validation_errors == []
    assert not any(emulator.limit_violations.values()), dict(emulator.limit_violations)


def adapter(emu, marketplace, clock, calls=None):
    app = APPS[marketplace]
    limiter = RateLimiter(rate=20, burst=20, clock=clock, sleep=clock.sleep)
    ad = make_adapter(marketplace, app.CREDENTIALS, app.SETTINGS, base_url=emu.base_url(marketplace),
                      timeout=(1, 2), sleep=clock.sleep, rate_limiter=limiter,
                      on_call=(calls.append if calls is not None else None))
    if marketplace == "wildberries":
        ad._prices_limiter = RateLimiter(rate=0.8, burst=5, clock=clock, sleep=clock.sleep)
        ad.content_limiter = RateLimiter(rate=1.5, burst=5, clock=clock, sleep=clock.sleep)
    if marketplace == "yandex":
        ad._offers_limiter = RateLimiter(rate=150.0, burst=1000, clock=clock, sleep=clock.sleep)
    return ad


def bodies(emu, marketplace, template):
    return [r.body for r in emu.requests_to(marketplace, template) if r.status == 200]


# --- Wildberries ---------------------------------------------------------------------------------

def test_wb_upload_task_read_back(emu, clock):
    app = emu.wildberries
    nm = [str(c["nm_id"]) for c in app.catalog[:3]]
    ad = adapter(emu, "wildberries", clock)
    results = ad.export_prices([p.PriceUpdate(nm[0], D(1732), discount_percent=25),
                                p.PriceUpdate(nm[1], D(990), discount_percent=0),
                                p.PriceUpdate(nm[2], D(2000), discount_percent=10)], sleep=clock.sleep)
    assert [r.state for r in results] == [p.ACCEPTED] * 3
    sent = bodies(emu, "wildberries", "/api/v2/upload/task")
    assert sent == [{"data": [{"nmID": int(nm[0]), "price": 1732, "discount": 25},
                              {"nmID": int(nm[1]), "price": 990, "discount": 0},
                              {"nmID": int(nm[2]), "price": 2000, "discount": 10}]}]
    assert app.prices[int(nm[0])] == (1732, 25)
    assert app.selling_price(nm[0]) == D("1299.00")
    assert emu.requests_to("wildberries", "/api/v2/history/tasks"), "the task was read back"


def test_wb_errors_per_card_read_back(emu, clock):
    app = emu.wildberries
    nm = [c["nm_id"] for c in app.catalog[:3]]
    app.price_errors[nm[1]] = "You can't change the item price. Item was added to the Sale due to high inventory"
    ad = adapter(emu, "wildberries", clock)
    results = ad.export_prices([p.PriceUpdate(str(nm[0]), D(1000)), p.PriceUpdate(str(nm[1]), D(1000)),
                                p.PriceUpdate("999999999", D(1000))], sleep=clock.sleep)
    states = {r.key: (r.state, r.message) for r in results}
    assert states[str(nm[0])] == (p.ACCEPTED, "")
    assert states[str(nm[1])][0] == p.REJECTED and "high inventory" in states[str(nm[1])][1]
    assert states["999999999"] == (p.REJECTED, "Invalid item No.")
    assert nm[1] not in app.prices and app.prices[nm[0]] == (1000, 0)
    assert emu.requests_to("wildberries", "/api/v2/history/goods/task")


def test_wb_quarantine_and_all_wrong(emu, clock):
    app = emu.wildberries
    nm = app.catalog[0]["nm_id"]
    ad = adapter(emu, "wildberries", clock)
    ad.export_prices([p.PriceUpdate(str(nm), D(3000))], sleep=clock.sleep)
    [result] = ad.export_prices([p.PriceUpdate(str(nm), D(900))], sleep=clock.sleep)
    assert result.state == p.REJECTED and "Quarantine" in result.message
    assert app.prices[nm] == (3000, 0)
    results = ad.export_prices([p.PriceUpdate("111", D(10)), p.PriceUpdate("112", D(10))], sleep=clock.sleep)
    assert {r.state for r in results} == {p.REJECTED}
    assert "All item Nos." in results[0].message


def test_wb_pending_task_then_read(emu, clock):
    app = emu.wildberries
    app.task_delay = 10
    nm = str(app.catalog[0]["nm_id"])
    ad = adapter(emu, "wildberries", clock)
    [result] = ad.export_prices([p.PriceUpdate(nm, D(1500))], sleep=clock.sleep)
    assert result.state == p.PENDING and result.task_ref
    assert len(emu.requests_to("wildberries", "/api/v2/history/tasks")) == ad.task_polls
    app.task_delay = 0
    [later] = ad.read_price_task(int(result.task_ref), [nm], sleep=clock.sleep)
    assert later.state == p.ACCEPTED and app.prices[int(nm)] == (1500, 0)


def test_wb_batches_of_1000_and_the_prices_limit(emu, clock):
    app = emu.wildberries
    app.set_catalog([{"offer_code": f"B-{i}", "name": f"Кружка {i}, белый, M", "price": 100, "index": i}
                     for i in range(1, 2501)])
    ad = adapter(emu, "wildberries", clock)
    updates = [p.PriceUpdate(str(c["nm_id"]), D(500)) for c in app.catalog]
    results = ad.export_prices(updates, sleep=clock.sleep)
    assert len(results) == 2500 and {r.state for r in results} == {p.ACCEPTED}
    assert [len(b["data"]) for b in bodies(emu, "wildberries", "/api/v2/upload/task")] == [1000, 1000, 500]
    # 6 calls (3 uploads, 3 reads) within the 10-in-6-s window: no 429 (the fixture checks it)
    for _ in range(4):
        ad.export_prices(updates[:10], sleep=clock.sleep)
    assert len(emu.requests_to("wildberries", "/api/v2/upload/task")) == 7


def test_wb_commission_by_subject(emu, clock):
    app = emu.wildberries
    cards = app.catalog[:2]  # Футболка (192: 24.5 %), Кружка (2780: 19 %)
    ad = adapter(emu, "wildberries", clock)
    tariffs = ad.fetch_tariffs([str(c["nm_id"]) for c in cards])
    assert tariffs[str(cards[0]["nm_id"])] == p.Tariff(D("24.5"), D("0"), "marketplace")
    assert tariffs[str(cards[1]["nm_id"])].commission_percent == D("19.0")
    assert emu.requests_to("wildberries", "/api/v1/tariffs/commission")[0].query == {"locale": "ru"}


# --- Ozon ------------------------------------------------------------------------------------------

def test_ozon_prices_payload_and_errors(emu, clock):
    app = emu.ozon
    offers = [c["offer_code"] for c in app.catalog[:3]]
    app.price_errors[offers[2]] = ("ACTION_PRICE_ENABLED_MIN_PRICE_MISSING", "min price is missing")
    ad = adapter(emu, "ozon", clock)
    results = ad.export_prices([
        p.PriceUpdate(offers[0], D("1199.00"), old_price=D("1499"), min_price=D("937.50")),
        p.PriceUpdate(offers[1], D("500.5")),
        p.PriceUpdate(offers[2], D("700")),
        p.PriceUpdate("NO-SUCH", D("700")),
    ])
    states = {r.key: r for r in results}
    assert states[offers[0]].state == states[offers[1]].state == p.ACCEPTED
    assert states[offers[2]].state == p.REJECTED and "ACTION_PRICE" in states[offers[2]].message
    assert states["NO-SUCH"].state == p.REJECTED and "PRODUCT_NOT_FOUND" in states["NO-SUCH"].message
    [body] = bodies(emu, "ozon", "/v1/product/import/prices")
    assert body["prices"][0] == {"offer_id": offers[0], "price": "1199.00", "old_price": "1499.00",
                                 "min_price": "937.50", "currency_code": "RUB"}
    assert body["prices"][1]["old_price"] == "0"  # resets the crossed-out price
    assert app.prices[offers[0]]["price"] == D("1199.00") and app.prices[offers[1]]["price"] == D("500.50")
    assert offers[2] not in app.prices


def test_ozon_ten_an_hour_deferred_by_the_lib(emu, clock):
    app = emu.ozon
    app.hour_clock = clock
    offer = app.catalog[0]["offer_code"]
    ad = adapter(emu, "ozon", clock)
    history = PriceHistory(clock=clock)
    for i in range(12):
        [result] = ad.export_prices([p.PriceUpdate(offer, D(1000 + i))], history=history)
        assert result.state == (p.ACCEPTED if i < 10 else p.DEFERRED)
        clock.sleep(60)
    assert len(bodies(emu, "ozon", "/v1/product/import/prices")) == 10, "the 11th and 12th were not sent"
    assert history.next_at(offer) == pytest.approx(1000 + 3600, abs=5)
    clock.sleep(3600 - 12 * 60 + 1)
    [result] = ad.export_prices([p.PriceUpdate(offer, D(2000))], history=history)
    assert result.state == p.ACCEPTED and app.prices[offer]["price"] == D("2000.00")
    # a history kept elsewhere (another tool, another process): Ozon's own refusal defers too
    app.price_history[offer].extend([clock()] * 10)
    [result] = ad.export_prices([p.PriceUpdate(offer, D(2100))], history=PriceHistory(clock=clock))
    assert result.state == p.DEFERRED and "TOO_MANY_REQUESTS" in result.message


def test_ozon_batches_of_1000(emu, clock):
    app = emu.ozon
    app.set_catalog([{"offer_code": f"B-{i}", "name": f"Товар {i}", "price": 100, "index": i}
                     for i in range(1, 1502)])
    ad = adapter(emu, "ozon", clock)
    results = ad.export_prices([p.PriceUpdate(c["offer_code"], D(300)) for c in app.catalog])
    assert {r.state for r in results} == {p.ACCEPTED}
    assert [len(b["prices"]) for b in bodies(emu, "ozon", "/v1/product/import/prices")] == [1000, 501]


def test_ozon_commissions_for_the_guard(emu, clock):
    app = emu.ozon
    offers = [c["offer_code"] for c in app.catalog[:2]]
    app.commissions[offers[0]] = (D("18"), D("90"), D("30"))
    ad = adapter(emu, "ozon", clock)
    tariffs = ad.fetch_tariffs(offers)
    assert tariffs[offers[0]] == p.Tariff(D("18.0"), D("120.00"), "marketplace")
    assert tariffs[offers[1]] == p.Tariff(D("15.0"), D("101.00"), "marketplace")
    [body] = bodies(emu, "ozon", "/v5/product/info/prices")
    assert sorted(body["filter"]["offer_id"]) == sorted(offers) and body["limit"] == 1000


# --- Yandex Market --------------------------------------------------------------------------------

def test_yandex_prices_and_a_half_rejected_batch(emu, clock):
    app = emu.yandex
    offers = [c["offer_code"] for c in app.catalog[:4]]
    app.price_errors[offers[3]] = ("PRICE_TOO_LOW", "the price is below the Market's minimum")
    ad = adapter(emu, "yandex", clock)
    results = ad.export_prices([
        p.PriceUpdate(offers[0], D("1199.00"), old_price=D("1499")),
        p.PriceUpdate(offers[1], D("500.50")),
        p.PriceUpdate("NO-SUCH", D("700")),
        p.PriceUpdate(offers[3], D("10")),
        p.PriceUpdate(offers[2], D("800")),
    ])
    states = {r.key: r for r in results}
    assert {k for k, r in states.items() if r.state == p.ACCEPTED} == {offers[0], offers[1], offers[2]}
    assert "OFFER_NOT_FOUND" in states["NO-SUCH"].message and "PRICE_TOO_LOW" in states[offers[3]].message
    sent = bodies(emu, "yandex", "/v2/businesses/{businessId}/offer-prices/updates")
    assert sent == [{"offers": [
        {"offerId": offers[0], "price": {"value": 1199.0, "currencyId": "RUR", "discountBase": 1499}},
        {"offerId": offers[1], "price": {"value": 500.5, "currencyId": "RUR"}},
        {"offerId": offers[2], "price": {"value": 800.0, "currencyId": "RUR"}}]}]
    assert app.prices[offers[0]] == {"value": D("1199.00"), "discountBase": D("1499")}
    assert offers[3] not in app.prices


def test_yandex_batches_of_500_within_10000_offers_a_minute(emu, clock):
    app = emu.yandex
    app.set_catalog([{"offer_code": f"Y-{i}", "name": f"Товар {i}", "price": 100, "index": i}
                     for i in range(1, 12002)])
    ad = adapter(emu, "yandex", clock)
    started = clock()
    results = ad.export_prices([p.PriceUpdate(c["offer_code"], D(300)) for c in app.catalog])
    assert {r.state for r in results} == {p.ACCEPTED}
    sizes = [len(b["offers"]) for b in bodies(emu, "yandex", "/v2/businesses/{businessId}/offer-prices/updates")]
    assert sizes == [500] * 24 + [1]
    assert clock() - started >= 60 * (12001 - 10000) / 10000, "the lib waited for the offers' minute"
