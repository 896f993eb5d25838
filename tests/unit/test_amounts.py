"""Kopeck-exact amounts of УПД rows and the amount in words (marketplace_edo.lib.amounts)."""
import random
from decimal import Decimal as D

import pytest

from marketplace_edo.lib import amounts as am
from marketplace_edo.lib.amounts import Amounts, amount_in_words, line_amounts, money

ON_TOP = ("22%", "20%", "10%", "7%", "5%")
INCLUDED = ("22/122", "20/120", "10/110", "7/107", "5/105")


def test_money_rounds_half_up():
    assert money(D("1.005")) == D("1.01")
    assert money(D("2.675")) == D("2.68")
    assert money(D("1.0049999")) == D("1.00")
    assert money(D("-1.005")) == D("-1.01")
    assert money(7) == D("7.00")
    assert str(money(D("3"))) == "3.00"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        line_amounts(0.1, D(3), "22%")
    with pytest.raises(TypeError):
        money(1.005)
    assert line_amounts("0,10", "3", "22%") == Amounts(D("0.30"), D("0.07"), D("0.37"))


def test_unknown_rate():
    with pytest.raises(ValueError, match="18%"):
        line_amounts(D(1), D(1), "18%")


def test_vat_on_top_matches_the_sample_document():
    # the rows of shared/edo/samples/upd-5.03-example.xml
    assert line_amounts(D("2451.64"), D(2), "22%") == Amounts(D("4903.28"), D("1078.72"), D("5982.00"))
    assert line_amounts(D("3871.31"), D(3), "22%") == Amounts(D("11613.93"), D("2555.06"), D("14168.99"))
    # the sample itself says 2555.07 / 14169.00: it rounded the VAT of 11613.93 × 22 % =
    # 2555.0646 up, which the half-up rule to the kopeck does not do


def test_awkward_price_and_quantity():
    row = line_amounts(D("33.33333333333"), D("0.333"), "10%")
    # 33.33333333333 × 0.333 = 11.09999999999889 → 11.10; VAT 1.11
    assert row == Amounts(D("11.10"), D("1.11"), D("12.21"))
    row = line_amounts(D("0.01"), D("0.333"), "22%")
    assert row == Amounts(D("0.00"), D("0.00"), D("0.00"))
    row = line_amounts(D("1234.5678912345"), D("7.777"), "20%")
    # 1234.5678912345 × 7.777 = 9601.2344901307... → 9601.23; VAT 1920.246 → 1920.25
    assert row == Amounts(D("9601.23"), D("1920.25"), D("11521.48"))


def test_vat_included():
    assert line_amounts(D(1000), D(1), "22/122") == Amounts(D("819.67"), D("180.33"), D("1000.00"))
    assert line_amounts(D("99.99"), D(3), "20/120") == Amounts(D("249.97"), D("50.00"), D("299.97"))
    # 99.99 × 3 = 299.97; 299.97 × 20 / 120 = 49.995 → 50.00 (half up)
    # an Odoo "price included" tax at 22 %: the same extraction with a "22%" rate
    assert line_amounts(D(1000), D(1), "22%", price_includes_vat=True) == Amounts(
        D("819.67"), D("180.33"), D("1000.00"))
    # and a calculated rate forced to "on top" is refused by nothing: it is on top
    assert line_amounts(D(100), D(1), "22/122", price_includes_vat=False) == Amounts(
        D("100.00"), D("22.00"), D("122.00"))


@pytest.mark.parametrize("rate", ["0%", "без НДС"])
def test_no_vat(rate):
    assert line_amounts(D("19.999"), D("3"), rate) == Amounts(D("60.00"), D("0.00"), D("60.00"))
    assert am.vat_of(D(100), rate) == D("0.00")


def test_every_row_adds_up_and_vat_is_the_rounded_rate():
    rng = random.Random(20260814)
    for _ in range(3000):
        price = D(rng.randint(1, 10 ** 9)) / D(10) ** rng.randint(0, 11)
        quantity = D(rng.randint(1, 10 ** 6)) / D(10) ** rng.randint(0, 3)
        rate = rng.choice(ON_TOP + INCLUDED + ("0%", "без НДС"))
        row = line_amounts(price, quantity, rate)
        for value in (row.amount_without_vat, row.vat_amount, row.amount_with_vat):
            assert value == value.quantize(D("0.01")), (price, quantity, rate, row)
        assert row.amount_with_vat == row.amount_without_vat + row.vat_amount
        percent, included = am.parse_rate(rate)
        percent = percent or 0
        if included:
            assert row.amount_with_vat == money(price * quantity)
            exact = row.amount_with_vat * percent / (100 + percent)
        else:
            assert row.amount_without_vat == money(price * quantity)
            exact = row.amount_without_vat * percent / 100
        assert abs(row.vat_amount - exact) <= D("0.005"), (price, quantity, rate, row)


def test_totals_are_the_sums_of_the_rows():
    rows = [
        line_amounts(D("0.335"), D("0.333"), "22%"),
        line_amounts(D("17.015"), D(3), "10%"),
        line_amounts(D("99.999"), D("1.5"), "22/122"),
        line_amounts(D(5), D(1), "без НДС"),
    ]
    total = am.total(rows)
    assert total.amount_without_vat == sum(r.amount_without_vat for r in rows)
    assert total.vat_amount == sum(r.vat_amount for r in rows)
    assert total.amount_with_vat == sum(r.amount_with_vat for r in rows)
    assert total.amount_with_vat == total.amount_without_vat + total.vat_amount
    # 0.11 + 0.02 | 51.05 + 5.11 (17.015 × 3 = 51.045 → 51.05) | 150.00 incl. 27.05 | 5
    assert total == Amounts(D("179.11"), D("32.18"), D("211.29"))
    assert am.total([]) == am.ZERO_AMOUNTS


def test_amounts_from_total():
    assert am.amounts_from_total(D("122.00"), "22%", includes_vat=True) == Amounts(
        D("100.00"), D("22.00"), D("122.00"))
    assert am.amounts_from_total(D("100"), "22%") == Amounts(D("100.00"), D("22.00"), D("122.00"))


@pytest.mark.parametrize("amount, words", [
    (D("1200.50"), "Одна тысяча двести рублей 50 копеек"),
    (D("21.01"), "Двадцать один рубль 01 копейка"),
    (D("2.02"), "Два рубля 02 копейки"),
    (D("5"), "Пять рублей 00 копеек"),
    (D("0.11"), "Ноль рублей 11 копеек"),
    (D("11.22"), "Одиннадцать рублей 22 копейки"),
    (D("112.14"), "Сто двенадцать рублей 14 копеек"),
    (D("1000000"), "Один миллион рублей 00 копеек"),
    (D("2001.21"), "Две тысячи один рубль 21 копейка"),
    (D("1.005"), "Один рубль 01 копейка"),
    (D("20151"), "Двадцать тысяч сто пятьдесят один рубль 00 копеек"),
    (D("-3.50"), "Минус три рубля 50 копеек"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_amount_in_words_other_currency_refused():
    with pytest.raises(ValueError, match="только рубли"):
        amount_in_words(D(1), currency="840")
