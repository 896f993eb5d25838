"""The lifecycle sent back to the marketplaces (lib/*/shipments.py) against the emulator over
loopback HTTP: FBS shipment, DBS delivery statuses, cancellation with a reason, and the
marketplaces' refusals; every request valid against the specs."""
import pytest

from marketplace_connector.lib import orders as o
from marketplace_connector.lib import shipments as s
from marketplace_connector.lib.base import OrderRef, make_adapter
from marketplace_connector.lib.transport import ApiError
from tests.emulator import MarketplaceEmulator, specs
from tests.emulator.ozon import OzonApp
from tests.emulator.wildberries import WildberriesApp
from tests.emulator.yandex import YandexApp

APPS = {"wildberries": WildberriesApp, "ozon": OzonApp, "yandex": YandexApp}


@pytest.fixture(scope="module")
def server():
    specs.yandex()
    specs.ozon()
    specs.wildberries()
    emulator = MarketplaceEmulator(seed=11, timeout_delay=1.0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(server):
    for app in (server.wildberries, server.ozon, server.yandex):
        app.orders.clear()
    server.wildberries.supplies.clear()
    server.faults.clear()
    server.reset_records()
    yield server
    assert server.validation_errors == []
    assert not any(server.limit_violations.values())


def adapter(emu, marketplace, sleeps=None):
    app = APPS[marketplace]
    return make_adapter(marketplace, app.CREDENTIALS, app.SETTINGS, base_url=emu.base_url(marketplace),
                        sleep=(sleeps if sleeps is not None else []).append, timeout=(1, 2))


def shipment(emu, marketplace, ext):
    """The shipment the Odoo side builds from the picking, here from the emulator's order."""
    if marketplace == "wildberries":
        t = emu.wildberries.orders[ext]
        return s.Shipment(ext, t["scheme"], str(t["warehouseId"]), "", (s.ShipmentLine(str(t["chrtId"]), 1),))
    if marketplace == "ozon":
        p = emu.ozon.orders[ext]
        lines = tuple(s.ShipmentLine(str(i["sku"]), i["quantity"], i["offer_id"]) for i in p["products"])
        return s.Shipment(ext, p["scheme"], str(p["warehouse_id"]), p["order_number"], lines)
    order = emu.yandex.orders[ext]
    lines = tuple(s.ShipmentLine(str(i["market_sku"]), i["count"], i["offerId"]) for i in order["items"])
    return s.Shipment(ext, order["scheme"], order["warehouseId"], str(order["campaignId"]), lines)


def ref(emu, marketplace, ext):
    sh = shipment(emu, marketplace, ext)
    return OrderRef(ext, sh.scheme, sh.secondary_ref)


def state(emu, marketplace, ext):
    return adapter(emu, marketplace).fetch_states([ref(emu, marketplace, ext)])[ext][0]


# --- FBS shipment ---------------------------------------------------------------------------------

def test_wildberries_supply_takes_the_orders_then_is_handed_over(emu):
    app = emu.wildberries
    ids = app.add_orders(5, scheme="fbs", max_lines=1)
    warehouse = app.orders[ids[0]]["warehouseId"]
    ids = [i for i in ids if app.orders[i]["warehouseId"] == warehouse]
    ad = adapter(emu, "wildberries")
    assert ad.needs_supply
    supply = ad.open_supply("Odoo 2026-12-03")
    result = ad.ship([shipment(emu, "wildberries", i) for i in ids], supply)
    assert sorted(result.shipped) == sorted(ids) and not result.refused
    assert app.supplies[supply]["orders"] == {int(i) for i in ids}
    assert {app.orders[i]["supplierStatus"] for i in ids} == {"confirm"}
    # again: nothing moves, nothing doubles
    again = ad.ship([shipment(emu, "wildberries", i) for i in ids], supply)
    assert sorted(again.shipped) == sorted(ids)
    assert len(app.supplies) == 1 and len(app.supplies[supply]["orders"]) == len(ids)
    ad.close_supply(supply)
    assert app.supplies[supply]["done"]
    assert {app.orders[i]["supplierStatus"] for i in ids} == {"complete"}
    assert state(emu, "wildberries", ids[0]) == o.SHIPPED
    body = emu.requests_to("wildberries", "/api/marketplace/v3/supplies/{supplyId}/orders")[0].body
    assert body == {"orders": [int(i) for i in ids]}
    # a delivered supply takes no more, and is not delivered twice
    with pytest.raises(s.Refused):
        ad.close_supply(supply)


def test_wildberries_supply_refuses_a_task_of_another_warehouse(emu):
    app = emu.wildberries
    ids = app.add_orders(12, scheme="fbs", max_lines=1)
    by_wh = {}
    for i in ids:
        by_wh.setdefault(app.orders[i]["warehouseId"], []).append(i)
    assert len(by_wh) >= 2
    (wh_a, a), (wh_b, b) = list(by_wh.items())[:2]
    ad = adapter(emu, "wildberries")
    supply = ad.open_supply("A")
    result = ad.ship([shipment(emu, "wildberries", i) for i in a[:1] + b[:1]], supply)
    assert result.shipped == a[:1]
    assert list(result.refused) == b[:1] and "склад" in result.refused[b[0]]
    assert app.orders[b[0]]["supplierStatus"] == "new"


def test_wildberries_supply_batches_of_100(emu):
    app = emu.wildberries
    ids = app.add_orders(400, scheme="fbs", max_lines=1)
    warehouse = app.orders[ids[0]]["warehouseId"]
    ids = [i for i in ids if app.orders[i]["warehouseId"] == warehouse][:150]
    assert len(ids) > 100
    ad = adapter(emu, "wildberries")
    supply = ad.open_supply("big")
    assert sorted(ad.ship([shipment(emu, "wildberries", i) for i in ids], supply).shipped) == sorted(ids)
    calls = emu.requests_to("wildberries", "/api/marketplace/v3/supplies/{supplyId}/orders")
    assert [len(c.body["orders"]) for c in calls] == [100, len(ids) - 100]


def test_ozon_ship_packs_the_posting_once(emu):
    app = emu.ozon
    ext = app.add_orders(1, scheme="fbs", max_lines=3)[0]
    ad = adapter(emu, "ozon")
    assert not ad.needs_supply
    result = ad.ship([shipment(emu, "ozon", ext)])
    assert result.shipped == [ext] and not result.refused
    assert app.orders[ext]["status"] == "awaiting_deliver"
    body = emu.requests_to("ozon", "/v4/posting/fbs/ship")[0].body
    assert body["posting_number"] == ext
    assert sorted((p["product_id"], p["quantity"]) for p in body["packages"][0]["products"]) == sorted(
        (i["sku"], i["quantity"]) for i in app.orders[ext]["products"])
    # a second run: Ozon refuses to pack again, the adapter sees it is packed: shipped, once
    again = ad.ship([shipment(emu, "ozon", ext)])
    assert again.shipped == [ext] and not again.refused
    assert app.orders[ext]["status"] == "awaiting_deliver"


def test_ozon_refuses_to_ship_a_cancelled_posting_or_wrong_products(emu):
    app = emu.ozon
    a, b = app.add_orders(2, scheme="fbs", max_lines=1)
    app.cancel_order(a)
    wrong = shipment(emu, "ozon", b)
    wrong = s.Shipment(b, "fbs", lines=(s.ShipmentLine(wrong.lines[0].item_id, wrong.lines[0].quantity + 1),))
    result = adapter(emu, "ozon").ship([shipment(emu, "ozon", a), wrong])
    assert result.shipped == []
    assert "INVALID_POSTING_STATUS" in result.refused[a]
    assert "INVALID_PRODUCTS" in result.refused[b]
    assert app.orders[b]["status"] == "awaiting_packaging"


def test_yandex_boxes_then_ready_to_ship(emu):
    app = emu.yandex
    ids = app.add_orders(3, scheme="fbs")
    ad = adapter(emu, "yandex")
    result = ad.ship([shipment(emu, "yandex", i) for i in ids])
    assert sorted(result.shipped) == sorted(ids) and not result.refused
    for i in ids:
        assert (app.orders[i]["status"], app.orders[i]["substatus"]) == ("PROCESSING", "READY_TO_SHIP")
        assert {b["id"]: b["fullCount"] for b in app.orders[i]["boxes"][0]} == {
            it["id"]: it["count"] for it in app.orders[i]["items"]}
    assert len(emu.requests_to("yandex", "/v2/campaigns/{campaignId}/orders/{orderId}/boxes")) == 3
    updates = emu.requests_to("yandex", "/v2/campaigns/{campaignId}/orders/status-update")
    assert sum(len(u.body["orders"]) for u in updates) == 3
    # again: already ready, nothing is sent twice
    again = ad.ship([shipment(emu, "yandex", i) for i in ids])
    assert sorted(again.shipped) == sorted(ids)
    assert len(emu.requests_to("yandex", "/v2/campaigns/{campaignId}/orders/{orderId}/boxes")) == 3
    app.ship_order(ids[0])
    assert state(emu, "yandex", ids[0]) == o.SHIPPED


def test_yandex_refuses_to_ship_a_cancelled_order(emu):
    app = emu.yandex
    ext = app.add_orders(1, scheme="fbs")[0]
    app.cancel_order(ext)
    result = adapter(emu, "yandex").ship([shipment(emu, "yandex", ext)])
    assert result.shipped == [] and "CANCELLED" in result.refused[ext]


def test_a_failed_call_raises_for_a_retry_and_ships_nothing_twice(emu):
    app = emu.ozon
    ext = app.add_orders(1, scheme="fbs")[0]
    emu.faults.force("ozon", "5xx", count=10)
    with pytest.raises(ApiError) as info:
        adapter(emu, "ozon").ship([shipment(emu, "ozon", ext)])
    assert not s.refused(info.value)
    emu.faults.clear()
    assert adapter(emu, "ozon").ship([shipment(emu, "ozon", ext)]).shipped == [ext]
    assert app.orders[ext]["status"] == "awaiting_deliver"


# --- DBS: the seller's delivery ---------------------------------------------------------------------

def test_wildberries_dbs_delivering_then_received_with_the_code(emu):
    app = emu.wildberries
    ext = app.add_orders(1, scheme="dbs", max_lines=1)[0]
    ad = adapter(emu, "wildberries")
    r = ref(emu, "wildberries", ext)
    ad.report_delivery(r, s.DELIVERING)
    assert app.orders[ext]["supplierStatus"] == "deliver"
    ad.report_delivery(r, s.DELIVERING)  # again: nothing more
    with pytest.raises(s.Refused):
        ad.report_delivery(r, s.DELIVERED, code="000000" if app.buyer_code(ext) != "000000" else "111111")
    ad.report_delivery(r, s.DELIVERED, code=app.buyer_code(ext))
    assert (app.orders[ext]["supplierStatus"], app.orders[ext]["wbStatus"]) == ("receive", "sold")
    assert state(emu, "wildberries", ext) == o.DELIVERED


def test_ozon_rfbs_delivering_then_delivered(emu):
    app = emu.ozon
    ext = app.add_orders(1, scheme="dbs")[0]
    ad = adapter(emu, "ozon")
    r = ref(emu, "ozon", ext)
    with pytest.raises(s.Refused):
        ad.report_delivery(r, s.DELIVERED)  # not on its way yet
    assert ad.ship([shipment(emu, "ozon", ext)]).shipped == [ext]
    ad.report_delivery(r, s.DELIVERING)
    assert app.orders[ext]["status"] == "delivering"
    ad.report_delivery(r, s.DELIVERED)
    assert state(emu, "ozon", ext) == o.DELIVERED


def test_yandex_dbs_delivery_then_delivered(emu):
    app = emu.yandex
    ext = app.add_orders(1, scheme="dbs")[0]
    ad = adapter(emu, "yandex")
    r = ref(emu, "yandex", ext)
    ad.report_delivery(r, s.DELIVERING)
    assert app.orders[ext]["status"] == "DELIVERY"
    ad.report_delivery(r, s.DELIVERED)
    assert app.orders[ext]["status"] == "DELIVERED"
    fbs = app.add_orders(1, scheme="fbs")[0]
    with pytest.raises(s.Refused):  # the Market delivers FBS orders itself
        ad.report_delivery(ref(emu, "yandex", fbs), s.DELIVERING)


# --- cancellation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex"])
def test_cancel_with_a_reason_of_the_marketplace(emu, marketplace):
    app = getattr(emu, marketplace)
    ext = app.add_orders(1, scheme="fbs", max_lines=1)[0]
    ad = adapter(emu, marketplace)
    r = ref(emu, marketplace, ext)
    reasons = ad.cancel_reasons(r)
    assert reasons and all(isinstance(x, s.CancelReason) and x.name for x in reasons)
    ad.cancel(r, reasons[0].code)
    assert state(emu, marketplace, ext) == o.CANCELLED


def test_ozon_cancel_reasons_come_from_ozon_and_are_sent_back(emu):
    ext = emu.ozon.add_orders(1, scheme="fbs")[0]
    ad = adapter(emu, "ozon")
    reasons = ad.cancel_reasons(ref(emu, "ozon", ext))
    assert [x.code for x in reasons] == ["352", "400", "402"]  # the unavailable ones left out
    ad.cancel(ref(emu, "ozon", ext), "402", "Нет упаковки")
    body = emu.requests_to("ozon", "/v2/posting/fbs/cancel")[0].body
    assert body == {"posting_number": ext, "cancel_reason_id": 402, "cancel_reason_message": "Нет упаковки"}
    assert emu.ozon.orders[ext]["cancellation"]["cancel_reason_id"] == 402


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex"])
def test_a_shipped_order_cannot_be_cancelled(emu, marketplace):
    app = getattr(emu, marketplace)
    ext = app.add_orders(1, scheme="fbs", max_lines=1)[0]
    app.set_state(ext, "shipped")
    ad = adapter(emu, marketplace)
    r = ref(emu, marketplace, ext)
    with pytest.raises(s.Refused) as info:
        ad.cancel(r, ad.cancel_reasons(r)[0].code)
    assert info.value.message
    assert state(emu, marketplace, ext) == o.SHIPPED


# --- from the marketplace: the helpers the Odoo tests use ------------------------------------------

@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex"])
def test_delivered_and_returned_are_read_back(emu, marketplace):
    app = getattr(emu, marketplace)
    a, b = app.add_orders(2, scheme="fbs", max_lines=1)
    app.deliver(a)
    app.return_order(b)
    ad = adapter(emu, marketplace)
    states = ad.fetch_states([ref(emu, marketplace, a), ref(emu, marketplace, b)])
    assert states[a][0] == o.DELIVERED and states[b][0] == o.RETURNED


@pytest.mark.parametrize("marketplace", ["ozon", "yandex"])
def test_lost_is_read_back(emu, marketplace):
    app = getattr(emu, marketplace)
    ext = app.add_orders(1, scheme="fbs", max_lines=1)[0]
    app.lose(ext)
    assert state(emu, marketplace, ext) == o.LOST


def test_wildberries_has_no_lost_state(emu):
    ext = emu.wildberries.add_orders(1, scheme="fbs", max_lines=1)[0]
    with pytest.raises(ValueError):
        emu.wildberries.lose(ext)


def test_wildberries_dbs_ship_confirms_the_task_once(emu):
    app = emu.wildberries
    ext = app.add_orders(1, scheme="dbs", max_lines=1)[0]
    ad = adapter(emu, "wildberries")
    assert ad.ship([shipment(emu, "wildberries", ext)]).shipped == [ext]
    assert app.orders[ext]["supplierStatus"] == "confirm"
    assert ad.ship([shipment(emu, "wildberries", ext)]).shipped == [ext]
    assert len(emu.requests_to("wildberries", "/api/v3/dbs/orders/{orderId}/confirm")) == 1
