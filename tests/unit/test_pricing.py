"""The arithmetic of the price export (lib/pricing.py): markup, rounding, old prices, the guard."""
from decimal import Decimal as D

import pytest

from marketplace_connector.lib import pricing as p


@pytest.mark.parametrize("cost, markup, expected", [
    ("100", "50", "150.00"),
    ("333.33", "10", "366.66"),  # 366.663 -> half up to the kopeck
    ("0.05", "10", "0.06"),  # 0.055 -> 0.06 (half up, not banker's)
    ("1999.99", "0", "1999.99"),
    ("100", "-20", "80.00"),
])
def test_markup_to_the_kopeck(cost, markup, expected):
    assert p.apply_markup(cost, markup) == D(expected)


def test_markup_refuses_nonsense():
    with pytest.raises(p.PricingError):
        p.apply_markup("-1", "10")
    with pytest.raises(p.PricingError):
        p.apply_markup("100", "-100")
    with pytest.raises(p.PricingError):
        p.apply_markup("abc", "10")


@pytest.mark.parametrize("value, rule, expected", [
    ("1234.501", "none", "1234.51"),  # up to the kopeck: never below the price decided
    ("1234.50", "none", "1234.50"),
    ("1234.01", "1", "1235.00"),
    ("1234.00", "1", "1234.00"),
    ("1231", "10", "1240.00"),
    ("1240", "10", "1240.00"),
    ("1234.50", "9", "1239.00"),
    ("1239", "9", "1239.00"),
    ("1239.01", "9", "1249.00"),
    ("3", "9", "9.00"),
    ("1234.50", "99", "1299.00"),
    ("1299", "99", "1299.00"),
    ("1300", "99", "1399.00"),
    ("50", "99", "99.00"),
    ("99.01", "99", "199.00"),
])
def test_rounding_goes_up(value, rule, expected):
    assert p.round_price(value, rule) == D(expected)


def test_unknown_rounding():
    with pytest.raises(p.PricingError):
        p.round_price("10", "up")


def test_old_price_whole_roubles_up():
    assert p.old_price("1000", "20") == D("1250")
    assert p.old_price("999", "30") == D("1428")  # 1427.14… -> 1428
    assert p.old_price("999", "0") == 0
    with pytest.raises(p.PricingError):
        p.old_price("999", "100")


def test_wb_price_never_sells_below_the_decision():
    before, discount, selling = p.wb_price(D("1299.00"), 25)
    assert (before, discount) == (1732, 25)  # 1299 / 0.75 = 1732.00
    assert selling == D("1299.00")
    before, discount, selling = p.wb_price(D("1000.50"), 30)
    assert before == 1430  # 1429.29 -> 1430: 1430 x 0.7 = 1001.00 >= 1000.50
    assert selling == D("1001.00") and selling >= D("1000.50")
    assert p.wb_price(D("777.77"), 0) == (778, 0, D("778.00"))
    with pytest.raises(p.PricingError):
        p.wb_price(D("100"), D("12.5"))


def test_floor_covers_cost_commission_logistics_and_margin():
    tariff = p.Tariff(D("15"), D("100"))
    floor = p.floor_price(D("500"), tariff)
    # 600 / 0.85 = 705.882… -> 705.89: the commission on it (105.88…) and 600 fit
    assert floor == D("705.89")
    assert floor - floor * D("0.15") - 100 >= 500
    assert (floor - D("0.01")) - (floor - D("0.01")) * D("0.15") - 100 < 500
    assert p.floor_price(D("500"), tariff, D("10")) == D("800.00")  # 600 / 0.75
    assert p.floor_price(D("500"), p.Tariff(D("95")), D("5")) is None


def test_floor_takes_the_vat_out_of_the_price():
    # VAT 22 %: of 1 220 the seller keeps 1 000; commission 10 % of 1 220 = 122
    floor = p.floor_price(D("778"), p.Tariff(D("10"), D("100")), vat_percent=D("22"))
    net = floor * 100 / D("122") - floor * D("0.10") - 100
    assert net >= 778 and (floor - D("0.01")) * 100 / D("122") - (floor - D("0.01")) * D("0.10") - 100 < 778
    assert floor == D("1220.00")
    assert p.floor_price(D("500"), p.Tariff(D("80")), vat_percent=D("22")) == D("25416.67")  # 500 / 0.0197
    assert p.floor_price(D("500"), p.Tariff(D("82")), vat_percent=D("22")) is None


def rules(**kw):
    return p.Rules(**kw)


def test_decide_cost_markup_rounding_and_guard():
    tariff = p.Tariff(D("20"), D("50"), "marketplace")
    d = p.decide("ozon", rules(source="cost", markup_percent=D("60"), rounding="99", discount_percent=D("20")),
                 D("700"), tariff=tariff)
    assert d.ok
    assert d.price == D("1199.00")  # 700 x 1.6 = 1120 -> 1199
    assert d.old_price == D("1499")  # 1199 / 0.8 = 1498.75 -> 1499
    assert d.floor == D("937.50")  # 750 / 0.8
    assert d.tariff.source == "marketplace"


def test_decide_blocks_below_floor_with_reason():
    tariff = p.Tariff(D("20"), D("300"))
    d = p.decide("yandex", rules(source="pricelist"), D("700"), pricelist_price=D("1000"), tariff=tariff)
    assert d.blocked == p.BLOCK_BELOW_FLOOR
    assert d.price == D("1000.00") and d.floor == D("1250.00")
    d = p.decide("yandex", rules(source="pricelist", guard=False), D("700"), pricelist_price=D("1000"),
                 tariff=tariff)
    assert d.ok


def test_decide_wildberries_checks_the_price_after_discount():
    tariff = p.Tariff(D("25"), D("0"))
    d = p.decide("wildberries", rules(source="pricelist", discount_percent=D("30")), D("600"),
                 pricelist_price=D("1000"), tariff=tariff)
    assert (d.old_price, d.discount_percent, d.price) == (D("1429"), 30, D("1000.30"))
    assert d.ok  # floor 800
    d = p.decide("wildberries", rules(source="pricelist", discount_percent=D("30")), D("800"),
                 pricelist_price=D("1000"), tariff=tariff)
    assert d.blocked == p.BLOCK_BELOW_FLOOR and d.floor == D("1066.67")


def test_decide_guard_with_vat():
    r = rules(source="pricelist", vat_percent=D("22"))
    tariff = p.Tariff(D("15"), D("80"))
    assert p.decide("ozon", r, D("500"), pricelist_price=D("866.09"), tariff=tariff).blocked == p.BLOCK_BELOW_FLOOR
    assert p.decide("ozon", r, D("500"), pricelist_price=D("866.10"), tariff=tariff).ok  # the floor


def test_decide_without_cost_or_price_is_blocked():
    assert p.decide("ozon", rules(source="cost", markup_percent=D("50")), D("0")).blocked == p.BLOCK_NO_COST
    assert p.decide("ozon", rules(source="pricelist"), D("10"), pricelist_price=None).blocked == p.BLOCK_NO_PRICE
    # the guard needs a cost: a pricelist price of a product without cost is not sent
    assert p.decide("ozon", rules(source="pricelist"), D("0"), pricelist_price=D("10")).blocked == p.BLOCK_NO_COST
    d = p.decide("ozon", rules(source="pricelist", margin_percent=D("50")), D("10"), pricelist_price=D("100"),
                 tariff=p.Tariff(D("50")))
    assert d.blocked == p.BLOCK_COMMISSION


def test_change_in_money_and_percent():
    assert p.change(D("1000"), D("1099")) == (D("99.00"), D("9.90"))
    assert p.change(D("300"), D("200")) == (D("-100.00"), D("-33.33"))
    assert p.change(None, D("10")) == (D("10"), None)
