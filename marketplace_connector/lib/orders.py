"""The marketplace-neutral shape of an order, and the checks every parser shares.

Each marketplace module (``wildberries``, ``ozon``, ``yandex``) turns its own payload into
an :class:`Order`, or raises :class:`PayloadError` with a message a manager can read.
Nothing here touches the ORM.
"""
import functools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: normalised order states
NEW, PROCESSING, SHIPPED, DELIVERED, CANCELLED, RETURNED, LOST = (
    "new", "processing", "shipped", "delivered", "cancelled", "returned", "lost")
STATES = (NEW, PROCESSING, SHIPPED, DELIVERED, CANCELLED, RETURNED, LOST)
#: states after which the marketplace changes nothing more (an order is followed until then)
TERMINAL_STATES = frozenset((DELIVERED, CANCELLED, RETURNED, LOST))

#: fulfilment schemes
FBS, DBS, FBO = "fbs", "dbs", "fbo"

MAX_TEXT = 1000
KOPECK = Decimal("0.01")


class PayloadError(ValueError):
    """A payload that cannot become an order.  ``external_id`` is set when it is known."""

    def __init__(self, message, external_id=None, raw=None):
        super().__init__(message)
        self.message = message
        self.external_id = external_id
        self.raw = raw


@dataclass(frozen=True)
class OrderLine:
    #: the seller's own article: WB ``article``/vendorCode, Ozon ``offer_id``, YM ``offerId``
    offer_code: str
    name: str
    quantity: Decimal
    #: unit price in the order's currency (2 decimals), on the marketplace's default price
    #: basis (the adapter's ``default_price_basis``)
    price: Decimal
    barcode: str = ""
    #: the marketplace's own item id: WB chrtId, Ozon sku, YM marketSku
    item_id: str = ""
    #: WB nmId, Ozon product_id (where the payload gives it)
    product_ref: str = ""
    #: marking codes (Честный знак) the marketplace attached to the line
    marking_codes: tuple = ()
    #: the unit price on every price basis the payload gives: {basis: Decimal}; the bases of a
    #: marketplace are its adapter's ``PRICE_BASES``
    prices: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Order:
    marketplace: str
    external_id: str
    scheme: str
    state: str
    created_at: datetime  # timezone-aware, UTC
    lines: tuple
    #: WB rid, YM shipment id...: a second id the marketplace shows to the seller
    secondary_ref: str = ""
    #: the marketplace's warehouse id the order ships from (seller's or FBO)
    warehouse_ref: str = ""
    currency: str = "RUB"
    #: buyer data only where the marketplace gives it (DBS): name, phone, address
    customer: dict = field(default_factory=dict)
    #: the marketplace's raw status words, for the manager ("confirm / sorted")
    status_text: str = ""

    @property
    def amount_total(self):
        return sum((ln.price * ln.quantity for ln in self.lines), Decimal(0)).quantize(KOPECK)


# --- helpers shared by the parsers ---------------------------------------------------

def guarded(what, peek_id):
    """Decorator of a parser: whatever it raises becomes a ``PayloadError`` ("unreadable
    <what>"), with the id ``peek_id(raw)`` could still read (None when it cannot)."""
    def decorate(parse):
        @functools.wraps(parse)
        def wrapper(raw, *args, **kwargs):
            try:
                return parse(raw, *args, **kwargs)
            except PayloadError:
                raise
            except Exception as exc:  # noqa: BLE001 - a parser answers PayloadError, never anything else
                raise PayloadError(f"unreadable {what} ({type(exc).__name__})", peek_id(raw), raw) from None
        return wrapper
    return decorate


def require(payload, key, external_id=None):
    if not isinstance(payload, dict):
        raise PayloadError(f"expected an object, got {type(payload).__name__}", external_id, payload)
    if key not in payload or payload[key] is None:
        raise PayloadError(f"missing field '{key}'", external_id, payload)
    return payload[key]


def text(value, label, external_id=None, required=True, max_len=MAX_TEXT):
    """A clean one-line text: no control characters, bounded length, no markup."""
    if value is None or value == "":
        if required:
            raise PayloadError(f"missing {label}", external_id)
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PayloadError(f"{label} must be text, got {type(value).__name__}", external_id)
    value = str(value)
    if len(value) > max_len:
        raise PayloadError(f"{label} is {len(value)} characters long (at most {max_len})", external_id)
    if not value.isprintable():  # the common case skips the walk over the characters
        value = "".join(ch if ch.isprintable() else " " for ch in value)
    value = value.strip()
    if "<" in value and ">" in value:
        # markup in a text field: keep the words, never the tags
        import re

        value = re.sub(r"<[^>]*>", "", value).strip()
    return value


def ident(value, label, external_id=None):
    """An identifier: a non-empty string or a non-negative integer, at most 64 characters."""
    if isinstance(value, bool) or value is None or value == "":
        raise PayloadError(f"missing {label}", external_id)
    if isinstance(value, int):
        if value < 0:
            raise PayloadError(f"{label} is negative", external_id)
        return str(value)
    if not isinstance(value, str) or len(value) > 64 or not value.strip():
        raise PayloadError(f"{label} is not a valid identifier", external_id)
    if any(not ch.isprintable() or ch in "<>\"'" for ch in value):
        raise PayloadError(f"{label} has forbidden characters", external_id)
    return value.strip()


def money(value, label, external_id=None, kopecks=False):
    """A non-negative amount in roubles (``kopecks=True``: the payload gives kopecks)."""
    if isinstance(value, bool) or value is None:
        raise PayloadError(f"missing {label}", external_id)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{label} is not a number: {str(value)[:40]!r}", external_id) from None
    if not amount.is_finite():
        raise PayloadError(f"{label} is not a finite number", external_id)
    if kopecks:
        amount = amount / 100
    if amount < 0:
        raise PayloadError(f"{label} is negative ({amount})", external_id)
    if amount > Decimal("100000000"):
        raise PayloadError(f"{label} is implausibly large ({amount})", external_id)
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


def quantity(value, label="quantity", external_id=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise PayloadError(f"{label} is not a number", external_id)
    try:
        qty = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{label} is not a number", external_id) from None
    if not qty.is_finite() or qty <= 0:
        raise PayloadError(f"{label} must be positive (got {value})", external_id)
    if qty > 100000:
        raise PayloadError(f"{label} is implausibly large ({value})", external_id)
    return qty


def timestamp(value, label, external_id=None):
    """An ISO 8601 time (with or without offset; without one it is UTC) or epoch seconds."""
    if isinstance(value, bool) or value is None or value == "":
        raise PayloadError(f"missing {label}", external_id)
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"{label} is not a valid time: {str(value)[:40]!r}", external_id) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def as_list(value, label, external_id=None, allow_empty=False):
    if not isinstance(value, list):
        raise PayloadError(f"{label} must be a list", external_id)
    if not value and not allow_empty:
        raise PayloadError(f"{label} is empty", external_id)
    return value


# --- storage: an Order to plain JSON data and back (held orders are kept this way) ---------

def order_to_data(order):
    return {
        "marketplace": order.marketplace,
        "external_id": order.external_id,
        "scheme": order.scheme,
        "state": order.state,
        "created_at": order.created_at.isoformat(),
        "secondary_ref": order.secondary_ref,
        "warehouse_ref": order.warehouse_ref,
        "currency": order.currency,
        "customer": dict(order.customer),
        "status_text": order.status_text,
        "lines": [
            {
                "offer_code": ln.offer_code,
                "name": ln.name,
                "quantity": str(ln.quantity),
                "price": str(ln.price),
                "barcode": ln.barcode,
                "item_id": ln.item_id,
                "product_ref": ln.product_ref,
                "marking_codes": list(ln.marking_codes),
                "prices": {k: str(v) for k, v in ln.prices.items()},
            }
            for ln in order.lines
        ],
    }


def order_from_data(data):
    return Order(
        marketplace=data["marketplace"],
        external_id=data["external_id"],
        scheme=data["scheme"],
        state=data["state"],
        created_at=datetime.fromisoformat(data["created_at"]),
        secondary_ref=data.get("secondary_ref", ""),
        warehouse_ref=data.get("warehouse_ref", ""),
        currency=data.get("currency", "RUB"),
        customer=data.get("customer") or {},
        status_text=data.get("status_text", ""),
        lines=tuple(
            OrderLine(
                offer_code=ln["offer_code"],
                name=ln["name"],
                quantity=Decimal(ln["quantity"]),
                price=Decimal(ln["price"]),
                barcode=ln.get("barcode", ""),
                item_id=ln.get("item_id", ""),
                product_ref=ln.get("product_ref", ""),
                marking_codes=tuple(ln.get("marking_codes") or ()),
                prices={k: Decimal(v) for k, v in (ln.get("prices") or {}).items()},
            )
            for ln in data["lines"]
        ),
    )
