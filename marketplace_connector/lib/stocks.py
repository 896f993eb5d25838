"""Stock export and FBO stock reads: the neutral shapes and the arithmetic, without Odoo.

The Odoo side computes, per product mapping × marketplace warehouse, the quantity to send
(:func:`export_quantity`), keeps the quantity the marketplace last *accepted*, and sends only
what changed (:func:`changed`).  Each adapter's ``push_stocks(items, now=...)`` sends them in
the batches its API takes and answers one :class:`StockResult` per item: accepted, rejected
with the marketplace's reason, or deferred (Ozon: the same offer and warehouse at most once
every 30 seconds; the item waits for the next run).  ``fetch_fbo_stocks()`` reads the stock
the marketplace keeps in its own warehouses (FBO) as :class:`FboStock` rows.
"""
import math
from dataclasses import dataclass, field
from decimal import Decimal

#: the basis of the quantity sent: what the Odoo side reads for each product and warehouse
BASES = ("onhand", "free", "forecast")
DEFAULT_BASIS = "free"


@dataclass(frozen=True)
class StockItem:
    """One quantity to send.  ``key`` is the caller's (the level row); the others identify the
    item at the marketplace."""

    key: object
    offer_code: str
    warehouse_ref: str
    quantity: int
    item_id: str = ""  # WB chrtId, Ozon SKU, YM marketSku
    product_ref: str = ""  # WB nmId, Ozon product_id
    #: when this offer and warehouse were last sent (epoch seconds; None: never), for the
    #: marketplaces that limit how often one pair may be updated (Ozon)
    last_sent: float = None


@dataclass(frozen=True)
class StockResult:
    key: object
    accepted: bool
    #: the marketplace's error code and message for a rejected item
    code: str = ""
    message: str = ""
    #: rejected for a reason that passes (rate rules, a busy warehouse): send again later
    retry: bool = False
    #: not sent at all in this run (Ozon's 30-second rule): send again later
    deferred: bool = False
    #: when it was sent (epoch seconds), None when it was not
    sent_at: float = None


@dataclass(frozen=True)
class FboStock:
    """Stock kept by the marketplace in one of its warehouses (FBO)."""

    warehouse: str  # the marketplace's warehouse id or name, as its report gives it
    quantity: int
    offer_code: str = ""
    item_id: str = ""
    barcode: str = ""
    extra: dict = field(default_factory=dict)


def export_quantity(basis_quantity, buffer=0, maximum=None):
    """The quantity to send: the basis less the safety buffer, whole units, never negative
    (and never over the marketplace's ``maximum``)."""
    value = Decimal(str(basis_quantity or 0)) - Decimal(str(buffer or 0))
    value = max(0, math.floor(value))
    if maximum is not None:
        value = min(value, int(maximum))
    return int(value)


def buffer_of(account_buffer, warehouse_buffer=None, product_buffer=None):
    """The safety buffer of one item: the product mapping's when it has one, else the
    marketplace warehouse's, else the account's."""
    for value in (product_buffer, warehouse_buffer, account_buffer):
        if value is not None:
            return max(0, value)
    return 0


def changed(quantities, accepted):
    """The keys whose quantity differs from the one last accepted (or never accepted)."""
    return [key for key, quantity in quantities.items() if accepted.get(key) != quantity]


def batches(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def api_calls(changed_count, batch_limit):
    """Calls a delta of ``changed_count`` items takes: ceil(changed / batch limit)."""
    return math.ceil(changed_count / batch_limit) if changed_count else 0


def kit_quantity(components, batch_quantity=1):
    """Complete kits that ``components`` make: ``components`` is [(quantity there is, quantity
    one batch of the kit's bill of materials takes)]; a batch makes ``batch_quantity`` kits.
    A kit is as many as its scarcest component allows, in whole kits; components a kit takes
    none of do not limit it, and a kit of no counted component is none (Odoo's own rule for
    kits, ``mrp``'s ``_compute_quantities_dict``).  In decimals: 0.3 of a component a kit takes
    0.1 of makes 3 kits (2.999… in floats)."""
    ratios = [Decimal(str(there or 0)) / Decimal(str(per_batch)) for there, per_batch in components if per_batch]
    if not ratios:
        return 0
    return max(0, math.floor(min(ratios) * Decimal(str(batch_quantity or 1))))
