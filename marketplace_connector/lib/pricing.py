"""The arithmetic of the price export: markup, rounding, the old (crossed-out) price and the
minimum-margin guard.  Pure: Decimal in, Decimal out, to the kopeck; no Odoo, no HTTP.

The steps, for one product of one account (:func:`decide`):

1. the *base*: the export pricelist's price of the product, or its cost with the account's
   markup (:func:`apply_markup`);
2. :func:`round_price` by the account's rule, always **up** (a rule never eats the margin):
   ``none`` (to the kopeck), ``1`` (whole roubles), ``10`` (tens of roubles), ``9`` (the next
   price ending in 9 roubles: 1 234.50 -> 1 239), ``99`` (the next price ending in 99
   roubles: 1 234.50 -> 1 299);
3. the old price: with a discount of *d* %, the price before the discount is the selling price
   / (1 - d/100), rounded up to whole roubles (the marketplaces take whole roubles for it).
   Wildberries takes that price and the percent, and sells at price x (1 - d/100), which is what
   the guard checks (:func:`wb_price`); Ozon takes ``price`` and ``old_price``; Yandex Market
   ``value`` and ``discountBase``;
4. the guard (:func:`floor_price`): the selling price, VAT included, must cover the VAT in it,
   the cost, the marketplace's commission on that price, its logistics and the account's
   minimum margin (the cost and the logistics as the books hold them, without VAT)::

       price x 100 / (100 + VAT %) >= cost + price x (commission % + margin %) / 100 + logistics
       floor = (cost + logistics) / (100 / (100 + VAT %) - (commission % + margin %) / 100),
               rounded up to the kopeck

   A price below the floor is not sent (:attr:`Decision.blocked`, with the reason).
"""
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

KOPECK = Decimal("0.01")
ROUBLE = Decimal("1")
HUNDRED = Decimal("100")
ZERO = Decimal("0")

#: rounding rules (see the module docstring)
ROUNDINGS = ("none", "1", "10", "9", "99")

#: reasons a price is not sent
BLOCK_NO_PRICE = "no_price"
BLOCK_NO_COST = "no_cost"
BLOCK_BELOW_FLOOR = "below_floor"
BLOCK_COMMISSION = "commission_too_high"


class PricingError(ValueError):
    """A rule or an amount that cannot be used (negative, not a number, 100 % commission…)."""


def dec(value, label="amount"):
    """A Decimal of an amount given as Decimal, int, str or float (a float through its repr,
    so that 0.1 stays 0.1)."""
    if isinstance(value, bool) or value is None:
        raise PricingError(f"{label} is not a number")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise PricingError(f"{label} is not a number: {str(value)[:20]!r}") from None
    if not result.is_finite():
        raise PricingError(f"{label} is not a finite number")
    return result


def kopecks(value):
    return dec(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def apply_markup(cost, markup_percent):
    """The cost with a markup of ``markup_percent`` %, to the kopeck (half up)."""
    cost, markup = dec(cost, "cost"), dec(markup_percent, "markup")
    if cost < 0:
        raise PricingError("cost is negative")
    if markup <= -HUNDRED:
        raise PricingError("a markup of -100 % or less gives no price")
    return (cost * (HUNDRED + markup) / HUNDRED).quantize(KOPECK, rounding=ROUND_HALF_UP)


def _up_to(value, step, ending=ZERO):
    """The smallest amount >= value of the form k x step + ending (k whole)."""
    k = ((value - ending) / step).to_integral_value(rounding=ROUND_CEILING)
    return (k * step + ending).quantize(KOPECK)


def round_price(value, rule="none"):
    """``value`` rounded up by ``rule`` (:data:`ROUNDINGS`)."""
    value = dec(value, "price")
    if rule not in ROUNDINGS:
        raise PricingError(f"unknown rounding rule {rule!r}")
    if value <= 0:
        return value.quantize(KOPECK, rounding=ROUND_CEILING)
    value = value.quantize(KOPECK, rounding=ROUND_CEILING)
    if rule == "none":
        return value
    if rule == "1":
        return _up_to(value, ROUBLE)
    if rule == "10":
        return _up_to(value, Decimal(10))
    if rule == "9":
        return max(_up_to(value, Decimal(10), Decimal(9)), Decimal(9))
    return max(_up_to(value, HUNDRED, Decimal(99)), Decimal(99))


def old_price(price, discount_percent):
    """The price before a discount of ``discount_percent`` % that sells at ``price``: whole
    roubles, up; 0 without a discount."""
    price, discount = dec(price, "price"), dec(discount_percent, "discount")
    if discount < 0 or discount >= HUNDRED:
        raise PricingError("the discount must be 0 … 99 %")
    if not discount:
        return ZERO
    return (price * HUNDRED / (HUNDRED - discount)).to_integral_value(rounding=ROUND_CEILING)


def wb_price(price, discount_percent):
    """Wildberries: (the price before the discount in whole roubles, the discount in whole
    percent, the price the buyer is shown = before x (1 - discount/100), to the kopeck).

    The price before the discount is the smallest whole number whose discounted price is at
    least ``price``, so that the selling price never falls below the one decided."""
    price = dec(price, "price")
    discount = dec(discount_percent, "discount")
    if discount != discount.to_integral_value() or discount < 0 or discount >= HUNDRED:
        raise PricingError("the Wildberries discount is a whole percent, 0 … 99")
    discount = int(discount)
    before = (price * HUNDRED / (HUNDRED - discount)).to_integral_value(rounding=ROUND_CEILING)
    before = max(before, ROUBLE)
    return int(before), discount, wb_selling(before, discount)


def wb_selling(before, discount):
    """The price Wildberries sells at: the price before the discount less the discount."""
    return (dec(before) * (HUNDRED - dec(discount)) / HUNDRED).quantize(KOPECK, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tariff:
    """What the marketplace takes from one sale: its commission (% of the selling price) and its
    logistics (an amount).  ``source``: where they come from (``marketplace`` or ``account``)."""

    commission_percent: Decimal = ZERO
    logistics: Decimal = ZERO
    source: str = "account"


def floor_price(cost, tariff, margin_percent=ZERO, vat_percent=ZERO):
    """The lowest selling price (VAT included) that covers its VAT, the cost, the commission, the
    logistics and the minimum margin (% of the price), rounded up to the kopeck.  None when the
    percentages leave nothing."""
    cost = dec(cost, "cost")
    vat = dec(vat_percent, "VAT")
    if vat < 0:
        raise PricingError("VAT is negative")
    share = (dec(tariff.commission_percent, "commission") + dec(margin_percent, "margin")) / HUNDRED
    net = HUNDRED / (HUNDRED + vat) - share
    if net <= 0:
        return None
    base = cost + dec(tariff.logistics, "logistics")
    return (base / net).quantize(KOPECK, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Rules:
    """An account's price rules."""

    #: ``pricelist``: the base is the export pricelist's price; ``cost``: cost + markup
    source: str = "pricelist"
    markup_percent: Decimal = ZERO
    rounding: str = "none"
    #: the discount shown to the buyer (the old price is the price before it)
    discount_percent: Decimal = ZERO
    #: the guard's minimum margin, % of the selling price
    margin_percent: Decimal = ZERO
    #: the guard is on
    guard: bool = True
    #: the VAT in the selling price (0: the seller sells without VAT)
    vat_percent: Decimal = ZERO


@dataclass(frozen=True)
class Decision:
    """The price to send for one product, or why it is not sent."""

    price: Decimal  # the selling price (after the seller's discount)
    old_price: Decimal  # before the discount (0: none); Wildberries: the price sent
    discount_percent: int
    floor: object  # Decimal or None
    blocked: str = ""  # one of BLOCK_* when the price is not sent
    tariff: Tariff = Tariff()

    @property
    def ok(self):
        return not self.blocked


def decide(marketplace, rules, cost, pricelist_price=None, tariff=None):
    """The decision for one product: ``cost`` (the product's cost), ``pricelist_price`` (the
    export pricelist's price, for ``rules.source == "pricelist"``), ``tariff`` (the
    marketplace's commission and logistics, else none)."""
    tariff = tariff or Tariff()
    cost = dec(cost or 0, "cost")
    if cost < 0:
        raise PricingError("cost is negative")
    if rules.source == "cost":
        base = apply_markup(cost, rules.markup_percent) if cost > 0 else None
    else:
        base = dec(pricelist_price, "pricelist price") if pricelist_price not in (None, False) else None
    floor = floor_price(cost, tariff, rules.margin_percent, rules.vat_percent) if rules.guard else None
    if base is None or base <= 0:
        reason = BLOCK_NO_COST if rules.source == "cost" else BLOCK_NO_PRICE
        return Decision(ZERO, ZERO, 0, floor, reason, tariff)
    price = round_price(base, rules.rounding)
    discount = dec(rules.discount_percent, "discount")
    if marketplace == "wildberries":
        before, discount_int, selling = wb_price(price, discount)
        decision_price, decision_old = selling, Decimal(before)
    else:
        discount_int = int(discount.to_integral_value(rounding=ROUND_HALF_UP))
        decision_price, decision_old = price, old_price(price, discount)
        if decision_old and decision_old <= decision_price:
            decision_old = ZERO
    blocked = ""
    if rules.guard:
        if floor is None:
            blocked = BLOCK_COMMISSION
        elif cost <= 0:
            blocked = BLOCK_NO_COST
        elif decision_price < floor:
            blocked = BLOCK_BELOW_FLOOR
    return Decision(decision_price, decision_old, discount_int, floor, blocked, tariff)


def change(old, new):
    """(difference in money, difference in % of the old price or None) of a price change."""
    new = dec(new)
    if old in (None, False):
        return new, None
    old = dec(old)
    diff = (new - old).quantize(KOPECK)
    if not old:
        return diff, None
    return diff, (diff * HUNDRED / old).quantize(KOPECK, rounding=ROUND_HALF_UP)


# --- what the price mixins of the adapters take and give ----------------------------------------

#: states of one item after an export
ACCEPTED = "accepted"
REJECTED = "rejected"
DEFERRED = "deferred"  # not sent now (Ozon's 10 an hour): next export
PENDING = "pending"  # sent, the marketplace has not said yet (a Wildberries task in processing)


@dataclass(frozen=True)
class PriceUpdate:
    """One price to send.  ``key``: the marketplace's key of the price (Ozon offer_id, Yandex
    Market offerId, Wildberries nmID); ``price``: the selling price (Wildberries: the price
    before the discount, whole roubles); ``old_price``: before the discount (0: none);
    ``discount_percent``: Wildberries' discount; ``min_price``: Ozon's minimum price (the
    guard's floor), 0: none."""

    key: str
    price: Decimal
    old_price: Decimal = ZERO
    discount_percent: int = 0
    min_price: Decimal = ZERO
    currency: str = "RUB"


@dataclass(frozen=True)
class PriceResult:
    key: str
    state: str  # ACCEPTED, REJECTED, DEFERRED, PENDING
    message: str = ""
    #: Wildberries: the upload task (to read back later when PENDING)
    task_ref: str = ""


def chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def money_text(value):
    """An amount as the APIs take it in strings: ``"1234.50"``."""
    return f"{dec(value).quantize(KOPECK, rounding=ROUND_HALF_UP):.2f}"
