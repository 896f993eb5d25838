"""The marketplace-neutral shapes of the order lifecycle sent back to the marketplaces.

What the Odoo side tells a marketplace once an order leaves (or will not leave) the seller's
hands: the FBS shipment (:class:`Shipment`, one per order, with its lines), the DBS seller's
own delivery statuses (:data:`DELIVERING`, :data:`DELIVERED`), and a cancellation with one of
the marketplace's reasons (:class:`CancelReason`).  Each adapter implements, in its
``shipments`` module:

* ``ship(shipments, supply_ref="")`` -> :class:`ShipResult`: the orders reported as packed and
  handed over (Wildberries: added to the supply ``supply_ref``; Ozon: ``/v4/posting/fbs/ship``;
  Yandex Market: boxes, then ``READY_TO_SHIP``).  An order the marketplace refuses is in
  ``refused`` with the marketplace's words; a network failure or a 5xx raises ``ApiError``
  (the caller retries later).  Every call is idempotent: an order already shipped is
  ``shipped`` again, never shipped twice.
* ``open_supply(name)`` / ``close_supply(ref)`` (Wildberries only: ``needs_supply``).
* ``cancel_reasons(ref)`` -> [CancelReason]; ``cancel(ref, reason_code, message="")``, which
  raises :class:`Refused` when the marketplace says no.
* ``report_delivery(ref, status, code="")`` for DBS orders.

Nothing here touches the ORM.
"""
from dataclasses import dataclass, field

from .transport import ApiError

#: DBS statuses the seller reports
DELIVERING, DELIVERED = "delivering", "delivered"


class Refused(ApiError):
    """The marketplace refused the request for good (a 4xx other than a rate limit, or a
    per-order error in a batch answer): retrying it as it is would be refused again."""


def refused(exc):
    """True when ``exc`` (an ApiError) is a refusal, not a failure to retry."""
    return isinstance(exc, Refused) or (
        isinstance(exc, ApiError) and not exc.retryable and 400 <= (exc.status or 0) < 500
        and exc.status not in (401, 403, 420, 429))


@dataclass(frozen=True)
class ShipmentLine:
    #: the marketplace's item id as the order gave it (WB chrtId, Ozon sku, YM marketSku)
    item_id: str
    quantity: int
    offer_code: str = ""


@dataclass(frozen=True)
class Shipment:
    external_id: str
    scheme: str
    #: the marketplace's warehouse of the order (Wildberries: a supply holds one warehouse)
    warehouse_ref: str = ""
    #: Ozon order number, Yandex Market campaign id
    secondary_ref: str = ""
    lines: tuple = ()


@dataclass
class ShipResult:
    #: external ids the marketplace now has as shipped (or already had)
    shipped: list = field(default_factory=list)
    #: {external id: the marketplace's refusal}
    refused: dict = field(default_factory=dict)
    supply_ref: str = ""


@dataclass(frozen=True)
class CancelReason:
    code: str
    name: str


def chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]
