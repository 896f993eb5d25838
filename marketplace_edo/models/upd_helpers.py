# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers shared by the invoice and the transfer when they fill the УПД model."""
import re
from decimal import ROUND_HALF_UP, Decimal

from ..lib import amounts as lib_amounts
from ..lib import upd as lib_upd

PRICE_PLACES = Decimal("1e-11")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SEPARATORS = re.compile(r"[\r\n]+")


def to_decimal(value):
    """An Odoo float as the exact Decimal of its shortest representation."""
    return Decimal(repr(float(value or 0.0)))


def money(value):
    return lib_amounts.money(to_decimal(value) if isinstance(value, float) else value)


def unit_price(base, quantity, candidates=()):
    """The price that multiplies by ``quantity`` to ``base`` (to the kopeck): one of the
    ``candidates`` (e.g. the line's unit price) when it does, else base / quantity to 11
    decimals."""
    for candidate in candidates:
        if candidate is not None and candidate > 0 and lib_amounts.money(candidate * quantity) == base:
            return candidate
    if not quantity:
        return base
    return (base / quantity).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def clean_marking_codes(codes):
    """Marking codes as the УПД wants them: one per entry, without the crypto tail after the
    group separator (GS, \\x1d) and without duplicates, in order."""
    out = []
    seen = set()
    for raw in codes:
        for code in _SEPARATORS.split(raw or ""):
            code = code.replace("\\x1d", "\x1d").replace("<GS>", "\x1d")
            match = _CONTROL.search(code)
            if match:
                code = code[: match.start()]
            code = code.strip()
            if code and code not in seen:
                seen.add(code)
                out.append(code)
    return out


def product_extras(product):
    """Article, GTIN and kind (goods / service) of a row for ``product``."""
    if not product:
        return {}
    barcode = re.sub(r"\s", "", product.barcode or "")
    return {
        "article": (product.default_code or "").strip()[:50],
        "gtin": barcode if barcode.isdigit() and len(barcode) in (8, 12, 13, 14) else "",
        "kind": "3" if product.type == "service" else "1",
    }


def currency_code_name(currency):
    code = str(currency.iso_numeric).zfill(3) if currency.iso_numeric else ""
    name = lib_upd.CURRENCIES.get(code) or currency.full_name or currency.name
    return code, name


def one_line(text, limit=2000):
    return " ".join((text or "").split())[:limit]


def row_label(line):
    """An invoice line as messages name it: its label (else its product), on one line."""
    return one_line(line.name or line.product_id.display_name, 80)


def cached(cache, key, make):
    """``cache[key]``, made by ``make()`` the first time: what documents made together
    share (parties, signers, ОКЕИ codes) is read once."""
    if key not in cache:
        cache[key] = make()
    return cache[key]
