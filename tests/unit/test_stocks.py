"""Stock export and FBO reads of the three adapters against the emulator over loopback HTTP:
the payloads, the batches each API takes, the per-item errors, Ozon's 30-second rule (on an
injected clock), and the arithmetic of the quantity sent."""
import math

import pytest
import requests

from marketplace_connector.lib import stocks as st
from marketplace_connector.lib.base import make_adapter
from marketplace_connector.lib.transport import RateLimiter
from tests.emulator import MarketplaceEmulator
from tests.emulator.ozon import OzonApp
from tests.emulator.ozon.core import SELLER_WAREHOUSES as OZON_WAREHOUSES
from tests.emulator.wildberries import WildberriesApp
from tests.emulator.yandex import YandexApp
from tests.unit.helpers import FakeClock

WB_FBS = 1281530
WB_DBS = 1302288
OZON_FBS = [w["warehouse_id"] for w in OZON_WAREHOUSES]
YM_FBS_WAREHOUSE, YM_FBS_CAMPAIGN = 61001, 21001001


def catalog(count):
    return [{"offer_code": f"ST-{i:05d}", "name": f"Товар {i}", "price": "100.00",
             "barcode": f"46{i:011d}", "index": i} for i in range(1, count + 1)]


@pytest.fixture
def clock():
    return FakeClock(1_000_000.0)


@pytest.fixture
def emu(clock):
    emulator = MarketplaceEmulator(seed=3, timeout_delay=1.0, clock=clock).start()
    yield emulator
    emulator.stop()
    assert not emulator.violations(), emulator.violations()


def adapter(emu, marketplace, clock, settings=None):
    creds = {"wildberries": WildberriesApp, "ozon": OzonApp, "yandex": YandexApp}[marketplace].CREDENTIALS
    settings = settings if settings is not None else (YandexApp.SETTINGS if marketplace == "yandex" else {})
    # the limits are measured on the fake clock: waiting moves it, never the test
    limiter = RateLimiter(rate=20, burst=20, clock=clock, sleep=clock.sleep)
    return make_adapter(marketplace, creds, settings, base_url=emu.base_url(marketplace), timeout=(2, 30),
                        rate_limiter=limiter, sleep=clock.sleep, clock=clock)


# --- arithmetic ---------------------------------------------------------------------------------

def test_quantity_is_basis_less_buffer_whole_and_never_negative():
    assert st.export_quantity(10, 2) == 8
    assert st.export_quantity("7.9", 0) == 7
    assert st.export_quantity(3, 5) == 0
    assert st.export_quantity(-4, 0) == 0
    assert st.export_quantity(250000, 0, maximum=100000) == 100000
    # the product mapping's buffer before the warehouse's, before the account's
    assert st.buffer_of(2, 5, 1) == 1
    assert st.buffer_of(2, 5, None) == 5
    assert st.buffer_of(2, None, None) == 2
    assert st.buffer_of(2, None, 0) == 0
    assert st.changed({1: 5, 2: 3, 3: 0}, {1: 5, 2: 4}) == [2, 3]
    assert st.api_calls(2001, 1000) == 3 and st.api_calls(0, 100) == 0



def test_kits_are_counted_in_complete_kits():
    # 2 × A + 1 × B: A 7 makes 3 (and a half), B 5 makes 5, so 3 kits
    assert st.kit_quantity([(7, 2), (5, 1)]) == 3
    # a bill of materials that makes 2 kits a batch of 2 × A
    assert st.kit_quantity([(7, 2)], batch_quantity=2) == 7
    # a component a kit takes none of does not limit it; a kit of none counted is none
    assert st.kit_quantity([(0, 0), (4, 1)]) == 4
    assert st.kit_quantity([]) == 0 and st.kit_quantity([(5, 0)]) == 0
    # in decimals (0.3 / 0.1 is 2.999… in floats) and never negative
    assert st.kit_quantity([(0.3, 0.1)]) == 3
    assert st.kit_quantity([(-3, 1), (5, 1)]) == 0

# --- Wildberries ------------------------------------------------------------------------------

def test_wildberries_batches_by_chrt_id(emu, clock):
    app = emu.wildberries
    app.set_catalog(catalog(2500))
    sizes = sorted(app.by_chrt)
    items = [st.StockItem(key=i, offer_code="", warehouse_ref=str(WB_FBS), quantity=i % 7, item_id=str(chrt))
             for i, chrt in enumerate(sizes)]
    results = adapter(emu, "wildberries", clock).push_stocks(items)
    assert all(r.accepted for r in results) and len(results) == 2500
    sent = emu.requests_to("wildberries", "/api/v3/stocks/{warehouseId}")
    assert len(sent) == math.ceil(2500 / 1000)
    assert [len(r.body["stocks"]) for r in sent] == [1000, 1000, 500]
    assert all(set(row) == {"chrtId", "amount"} for r in sent for row in r.body["stocks"])  # no barcode
    assert all(app.stock_of(WB_FBS, chrt) == i % 7 for i, chrt in enumerate(sizes))


def test_wildberries_half_refused_batch(emu, clock):
    app = emu.wildberries
    app.set_catalog(catalog(4))
    chrts = sorted(app.by_chrt)
    app.stock_restrictions[(WB_DBS, chrts[1])] = "CargoWarehouseRestrictionMGT"
    items = [st.StockItem(key="a", offer_code="ST-00001", warehouse_ref=str(WB_DBS), quantity=3, item_id=str(chrts[0])),
             st.StockItem(key="b", offer_code="ST-00002", warehouse_ref=str(WB_DBS), quantity=4, item_id=str(chrts[1])),
             st.StockItem(key="c", offer_code="GONE", warehouse_ref=str(WB_DBS), quantity=5, item_id="999"),
             st.StockItem(key="d", offer_code="ST-00004", warehouse_ref=str(WB_DBS), quantity=150000,
                          item_id=str(chrts[3])),
             st.StockItem(key="e", offer_code="ST-00003", warehouse_ref=str(WB_DBS), quantity=1, item_id="")]
    results = {r.key: r for r in adapter(emu, "wildberries", clock).push_stocks(items)}
    assert results["a"].accepted and app.stock_of(WB_DBS, chrts[0]) == 3
    assert not results["b"].accepted and results["b"].code == "CargoWarehouseRestrictionMGT"
    assert not results["c"].accepted and results["c"].code == "NotFound"
    # over WB's maximum: sent as the maximum, not refused
    assert results["d"].accepted and app.stock_of(WB_DBS, chrts[3]) == 100000
    assert not results["e"].accepted and results["e"].code == "NoChrtId"
    assert app.stock_of(WB_DBS, chrts[1]) is None
    assert len(emu.requests_to("wildberries", "/api/v3/stocks/{warehouseId}")) == 1


def test_wildberries_store_processing_is_retried_later(emu, clock):
    app = emu.wildberries
    app.set_catalog(catalog(2))
    app.store_processing = 1
    chrt = sorted(app.by_chrt)[0]
    item = st.StockItem(key=1, offer_code="ST-00001", warehouse_ref=str(WB_FBS), quantity=2, item_id=str(chrt))
    [result] = adapter(emu, "wildberries", clock).push_stocks([item])
    assert not result.accepted and result.retry and result.code == "StoreIsProcessing"
    assert app.stock_of(WB_FBS, chrt) is None


def test_wildberries_batch_too_large_is_refused_by_the_emulator(emu):
    url = emu.base_url("wildberries") + f"/api/v3/stocks/{WB_FBS}"
    answer = requests.put(url, json={"stocks": [{"chrtId": i, "amount": 1} for i in range(1001)]},
                          headers={"Authorization": WildberriesApp.CREDENTIALS["token"]}, timeout=5)
    assert answer.status_code == 400
    assert emu.violations()
    emu.clear_violations()


def test_wildberries_fbo_report_paged_once_a_minute(emu, clock):
    app = emu.wildberries
    app.set_catalog(catalog(3))
    chrts = sorted(app.by_chrt)
    app.set_fbo_stock("Коледино", chrts[0], 12)
    app.set_fbo_stock("Казань", chrts[0], 3)
    app.set_fbo_stock("Коледино", chrts[2], 0)
    app.fbo_page_rows = 2
    started = clock()
    ad = adapter(emu, "wildberries", clock)
    ad.fbo_page_rows = 2
    rows = ad.fetch_fbo_stocks()
    assert sorted((r.warehouse, r.offer_code, r.quantity) for r in rows) == [
        ("Казань", "ST-00001", 3), ("Коледино", "ST-00001", 12), ("Коледино", "ST-00003", 0)]
    assert all(r.barcode for r in rows)
    calls = emu.requests_to("wildberries", "/api/v1/supplier/stocks")
    assert len(calls) == 2 and calls[1].query["dateFrom"] != calls[0].query["dateFrom"]
    assert clock() - started >= 60  # the documented one request a minute


# --- Ozon --------------------------------------------------------------------------------------

def test_ozon_batches_of_100_and_80_calls_a_minute(emu, clock):
    app = emu.ozon
    app.set_catalog(catalog(2720))
    items = [st.StockItem(key=(o, w), offer_code=f"ST-{o:05d}", warehouse_ref=str(w), quantity=o % 5)
             for o in range(1, 2721) for w in OZON_FBS]
    started = clock()
    results = adapter(emu, "ozon", clock).push_stocks(items, clock=clock, sleep=clock.sleep)
    assert len(results) == 8160 and all(r.accepted for r in results)
    sent = emu.requests_to("ozon", "/v2/products/stocks")
    assert len(sent) == math.ceil(8160 / 100) == 82
    assert max(len(r.body["stocks"]) for r in sent) == 100
    assert all(set(row) == {"offer_id", "stock", "warehouse_id"} for r in sent for row in r.body["stocks"])
    # 82 calls at most 80 a minute: the last ones waited on the (fake) clock
    assert clock() - started >= 60
    assert app.stock_of("ST-02720", OZON_FBS[2]) == 0 and app.stock_of("ST-00004", OZON_FBS[0]) == 4


def test_ozon_thirty_second_rule_is_never_broken(emu, clock):
    app = emu.ozon
    app.set_catalog(catalog(3))
    ad = adapter(emu, "ozon", clock)
    first = [st.StockItem(key=i, offer_code=f"ST-{i:05d}", warehouse_ref=str(OZON_FBS[0]), quantity=i)
             for i in (1, 2)]
    sent = {r.key: r.sent_at for r in ad.push_stocks(first, clock=clock, sleep=clock.sleep)}
    clock.sleep(10)
    again = [st.StockItem(key=i, offer_code=f"ST-{i:05d}", warehouse_ref=str(OZON_FBS[0]), quantity=i + 10,
                          last_sent=sent[i]) for i in (1, 2)]
    again.append(st.StockItem(key=3, offer_code="ST-00003", warehouse_ref=str(OZON_FBS[0]), quantity=7))
    results = {r.key: r for r in ad.push_stocks(again, clock=clock, sleep=clock.sleep)}
    assert results[1].deferred and results[2].deferred and not results[1].accepted
    assert results[3].accepted
    assert [row["offer_id"] for r in emu.requests_to("ozon", "/v2/products/stocks")[1:] for row in r.body["stocks"]] \
        == ["ST-00003"]
    assert app.stock_of("ST-00001", OZON_FBS[0]) == 1
    clock.sleep(21)
    results = {r.key: r for r in ad.push_stocks(again[:2], clock=clock, sleep=clock.sleep)}
    assert results[1].accepted and results[2].accepted
    assert app.stock_of("ST-00001", OZON_FBS[0]) == 11
    assert not app.pair_violations


def test_ozon_refuses_a_pair_sent_again_within_30_seconds(emu, clock):
    """What the marketplace does (and what the adapter never causes): TOO_MANY_REQUESTS in the row."""
    emu.ozon.set_catalog(catalog(1))
    url = emu.base_url("ozon") + "/v2/products/stocks"
    body = {"stocks": [{"offer_id": "ST-00001", "stock": 1, "warehouse_id": OZON_FBS[0]}]}
    headers = {"Client-Id": OzonApp.CREDENTIALS["client_id"], "Api-Key": OzonApp.CREDENTIALS["api_key"]}
    assert requests.post(url, json=body, headers=headers, timeout=5).json()["result"][0]["updated"] is True
    second = requests.post(url, json=body, headers=headers, timeout=5).json()["result"][0]
    assert second["updated"] is False and second["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    big = {"stocks": [{"offer_id": "ST-00001", "stock": 1, "warehouse_id": w} for w in range(101)]}
    assert requests.post(url, json=big, headers=headers, timeout=5).status_code == 400
    emu.clear_violations()


def test_ozon_per_item_errors(emu, clock):
    emu.ozon.set_catalog(catalog(2))
    items = [st.StockItem(key="ok", offer_code="ST-00001", warehouse_ref=str(OZON_FBS[1]), quantity=5),
             st.StockItem(key="unknown", offer_code="NOPE", warehouse_ref=str(OZON_FBS[1]), quantity=5),
             st.StockItem(key="wrong warehouse", offer_code="ST-00002", warehouse_ref="15431806189000", quantity=5)]
    results = {r.key: r for r in adapter(emu, "ozon", clock).push_stocks(items, clock=clock, sleep=clock.sleep)}
    assert results["ok"].accepted
    assert results["unknown"].code == "NOT_FOUND" and not results["unknown"].retry
    assert results["wrong warehouse"].code == "WAREHOUSE_NOT_FOUND"
    assert emu.ozon.stock_of("ST-00001", OZON_FBS[1]) == 5


def test_ozon_fbo_report(emu, clock):
    emu.ozon.set_catalog(catalog(2))
    emu.ozon.set_fbo_stock("ХОРУГВИНО_РФЦ", "ST-00001", 7, 2)
    emu.ozon.set_fbo_stock("КАЗАНЬ_РФЦ_НОВЫЙ", "ST-00002", 1)
    rows = adapter(emu, "ozon", clock).fetch_fbo_stocks()
    assert sorted((r.warehouse, r.offer_code, r.quantity) for r in rows) == [
        ("КАЗАНЬ_РФЦ_НОВЫЙ", "ST-00002", 1), ("ХОРУГВИНО_РФЦ", "ST-00001", 9)]


# --- Yandex Market ----------------------------------------------------------------------------

def test_yandex_batches_of_2000_per_campaign(emu, clock):
    app = emu.yandex
    app.set_catalog(catalog(4500))
    items = [st.StockItem(key=i, offer_code=f"ST-{i:05d}", warehouse_ref=str(YM_FBS_WAREHOUSE), quantity=i % 3)
             for i in range(1, 4501)]
    results = adapter(emu, "yandex", clock).push_stocks(items)
    assert all(r.accepted for r in results)
    sent = emu.requests_to("yandex", "/v2/campaigns/{campaignId}/offers/stocks")
    assert [len(r.body["skus"]) for r in sent] == [2000, 2000, 500]
    assert all(r.path == f"/v2/campaigns/{YM_FBS_CAMPAIGN}/offers/stocks" and r.method == "PUT" for r in sent)
    assert app.stock_of(YM_FBS_CAMPAIGN, "ST-04500") == 0 and app.stock_of(YM_FBS_CAMPAIGN, "ST-00001") == 1


def test_yandex_unknown_offer_refused_the_rest_applied(emu, clock):
    app = emu.yandex
    app.set_catalog(catalog(3))
    items = [st.StockItem(key=1, offer_code="ST-00001", warehouse_ref=str(YM_FBS_WAREHOUSE), quantity=4),
             st.StockItem(key=2, offer_code="ST-0000", warehouse_ref=str(YM_FBS_WAREHOUSE), quantity=4),
             st.StockItem(key=3, offer_code="ST-00003", warehouse_ref=str(YM_FBS_WAREHOUSE), quantity=6),
             st.StockItem(key=4, offer_code="ST-00002", warehouse_ref="999", quantity=6)]
    results = {r.key: r for r in adapter(emu, "yandex", clock).push_stocks(items)}
    assert results[1].accepted and results[3].accepted
    assert not results[2].accepted and "ST-0000'" in results[2].message
    assert results[4].code == "WAREHOUSE_NOT_FOUND"
    assert app.stock_of(YM_FBS_CAMPAIGN, "ST-00001") == 4 and app.stock_of(YM_FBS_CAMPAIGN, "ST-00003") == 6
    assert len(emu.requests_to("yandex", "/v2/campaigns/{campaignId}/offers/stocks")) == 2


def test_yandex_fby_stock(emu, clock):
    app = emu.yandex
    app.set_catalog(catalog(3))
    for i in range(1, 4):
        app.set_fbo_stock(172, f"ST-{i:05d}", i * 2)
    app.set_fbo_stock(171, "ST-00001", 1)
    rows = adapter(emu, "yandex", clock).fetch_fbo_stocks()
    assert sorted((r.warehouse, r.offer_code, r.quantity) for r in rows) == [
        ("171", "ST-00001", 1), ("172", "ST-00001", 2), ("172", "ST-00002", 4), ("172", "ST-00003", 6)]
