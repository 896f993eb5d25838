"""Kopeck-exact amounts of invoice rows and the amount in Russian words.

All money is :class:`~decimal.Decimal` rounded to the kopeck with ROUND_HALF_UP (the rule of
the invoice: each row is rounded, the totals are the sums of the rounded rows).  For each row

    amount_with_vat == amount_without_vat + vat_amount        (exactly)

holds by construction: one amount is rounded from ``price × quantity``, the VAT is rounded from
it, and the third is their sum / difference, never rounded separately.

VAT on top ("22%"):       amount_without_vat = round(price × qty)
                          vat = round(amount_without_vat × 22 / 100)
                          amount_with_vat = amount_without_vat + vat
VAT included ("22/122"):  amount_with_vat = round(price × qty)
                          vat = round(amount_with_vat × 22 / 122)
                          amount_without_vat = amount_with_vat − vat
"0%" and "без НДС":       vat = 0, both amounts = round(price × qty)
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Optional, Tuple

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")

#: rate text → (percent, VAT included in the amount)
_RATES = {
    "22%": (Decimal(22), False),
    "20%": (Decimal(20), False),
    "10%": (Decimal(10), False),
    "7%": (Decimal(7), False),
    "5%": (Decimal(5), False),
    "0%": (Decimal(0), False),
    "без НДС": (None, False),
    "22/122": (Decimal(22), True),
    "20/120": (Decimal(20), True),
    "10/110": (Decimal(10), True),
    "7/107": (Decimal(7), True),
    "5/105": (Decimal(5), True),
}
RATES = tuple(_RATES)


def to_decimal(value, what: str = "значение") -> Decimal:
    """``value`` as a Decimal; ints and numeric strings are accepted, floats are not (they are
    not exact: pass ``Decimal(str(x))`` if you must)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}: не число ({value})")
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what}: нужен Decimal, а не {type(value).__name__} ({value!r})")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{what}: не число ({value!r})") from None
        if not result.is_finite():
            raise ValueError(f"{what}: не число ({value!r})")
        return result
    raise TypeError(f"{what}: нужен Decimal, а не {type(value).__name__}")


def money(value) -> Decimal:
    """Round to the kopeck, half up (1.005 → 1.01, −1.005 → −1.01)."""
    return to_decimal(value, "сумма").quantize(KOPECK, rounding=ROUND_HALF_UP)


def parse_rate(rate: str) -> Tuple[Optional[Decimal], bool]:
    """``"22%"`` → ``(22, False)``, ``"22/122"`` → ``(22, True)``, ``"без НДС"`` → ``(None, False)``.

    Raises ValueError for a rate this generator does not know.
    """
    try:
        return _RATES[rate]
    except (KeyError, TypeError):
        raise ValueError(
            f"Неизвестная ставка НДС «{rate}»: допустимы {', '.join(RATES)}"
        ) from None


def vat_of(amount, rate: str, *, included: Optional[bool] = None) -> Decimal:
    """VAT of ``amount`` at ``rate``, rounded to the kopeck.

    ``included`` says whether ``amount`` already contains the VAT; by default it does for the
    calculated rates ("22/122"...) and does not for "22%"...  "0%" and "без НДС" give 0.
    """
    percent, rate_included = parse_rate(rate)
    if not percent:
        return ZERO
    amount = to_decimal(amount, "сумма")
    if included is None:
        included = rate_included
    if included:
        return money(amount * percent / (100 + percent))
    return money(amount * percent / 100)


@dataclass(frozen=True)
class Amounts:
    """Amounts of a row or of a document, in kopecks."""

    amount_without_vat: Decimal
    vat_amount: Decimal
    amount_with_vat: Decimal

    def __add__(self, other: "Amounts") -> "Amounts":
        return Amounts(
            self.amount_without_vat + other.amount_without_vat,
            self.vat_amount + other.vat_amount,
            self.amount_with_vat + other.amount_with_vat,
        )


ZERO_AMOUNTS = Amounts(ZERO, ZERO, ZERO)


def line_amounts(price, quantity, rate: str, *, price_includes_vat: Optional[bool] = None) -> Amounts:
    """The kopeck-exact amounts of a row of ``quantity`` × ``price`` at ``rate``.

    ``price_includes_vat``: whether ``price`` contains the VAT.  By default it does for the
    calculated rates ("22/122"...) and does not for the others.  A price with VAT included at
    a "22%" rate (Odoo's "price included" taxes) is handled as well: the total is rounded
    first, the VAT is extracted from it.
    """
    price = to_decimal(price, "цена")
    quantity = to_decimal(quantity, "количество")
    percent, rate_included = parse_rate(rate)
    if price_includes_vat is None:
        price_includes_vat = rate_included
    gross = money(price * quantity)
    if not percent:
        return Amounts(gross, ZERO, gross)
    if price_includes_vat:
        vat = money(gross * percent / (100 + percent))
        return Amounts(gross - vat, vat, gross)
    vat = money(gross * percent / 100)
    return Amounts(gross, vat, gross + vat)


def amounts_from_total(amount, rate: str, *, includes_vat: Optional[bool] = None) -> Amounts:
    """Split a known row amount into without-VAT / VAT / with-VAT (same rules as
    :func:`line_amounts` with a quantity of 1)."""
    return line_amounts(amount, 1, rate, price_includes_vat=includes_vat)


def total(rows: Iterable[Amounts]) -> Amounts:
    """Sum of rows (the "Всего к оплате" line): the sums of the rounded row amounts."""
    result = ZERO_AMOUNTS
    for row in rows:
        result = result + row
    return result


# --------------------------------------------------------------------------- amount in words

def _plural(n: int, one: str, few: str, many: str) -> str:
    n = abs(n)
    if n % 100 in (11, 12, 13, 14):
        return many
    if n % 10 == 1:
        return one
    if n % 10 in (2, 3, 4):
        return few
    return many


def amount_in_words(amount, *, currency: str = "643") -> str:
    """The amount in Russian words, kopecks in digits, the first letter capital.

    ``Decimal("1200.50")`` → ``"Одна тысяча двести рублей 50 копеек"``;
    ``Decimal("21.01")`` → ``"Двадцать один рубль 01 копейка"``.  The amount is rounded to the
    kopeck first.  Only roubles (currency "643") are spelled out; other currencies raise
    ValueError.
    """
    from num2words import num2words

    if currency not in ("643", "RUB", "RUR"):
        raise ValueError(f"Сумма прописью: валюта {currency} не поддерживается, только рубли (643)")
    value = money(amount)
    negative = value < 0
    value = abs(value)
    rubles = int(value)
    kopecks = int((value - rubles) * 100)
    words = num2words(rubles, lang="ru")
    text = "{} {} {:02d} {}".format(
        words,
        _plural(rubles, "рубль", "рубля", "рублей"),
        kopecks,
        _plural(kopecks, "копейка", "копейки", "копеек"),
    )
    if negative:
        text = "минус " + text
    return text[:1].upper() + text[1:]
