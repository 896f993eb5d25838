"""Yandex Market: FBS boxes and READY_TO_SHIP, DBS delivery statuses, cancellations
(:class:`YandexShipments`).

Calls:

* ``POST /v1/businesses/{businessId}/orders`` with ``orderIds`` (50 a call): the orders' items
  (their ``id`` is what the boxes name);
* ``PUT /v2/campaigns/{campaignId}/orders/{orderId}/boxes`` — one box with every item
  (``fullCount``);
* ``POST /v2/campaigns/{campaignId}/orders/status-update`` — up to 30 orders a call:
  ``PROCESSING``/``READY_TO_SHIP`` (packed, FBS), ``DELIVERY`` and ``DELIVERED`` (DBS: the seller
  delivers), ``CANCELLED`` with a substatus (:data:`CANCEL_REASONS`).  The answer has an
  ``updateStatus`` per order (``OK`` / ``ERROR`` + ``errorDetails``).

An order already at ``READY_TO_SHIP`` or beyond is shipped (a repeated call changes nothing).
"""
from .. import orders as o
from .. import shipments as s
from ..transport import ApiError
from .client import _number_id

#: the substatuses a shop may cancel with (the Partner API's documentation of the status method)
CANCEL_REASONS = (
    s.CancelReason("SHOP_FAILED", "The shop cannot fulfil the order"),
    s.CancelReason("USER_CHANGED_MIND", "The buyer changed their mind"),
    s.CancelReason("USER_UNREACHABLE", "The buyer cannot be reached"),
    s.CancelReason("USER_REFUSED_DELIVERY", "The buyer refused the delivery"),
    s.CancelReason("USER_REFUSED_PRODUCT", "The buyer refused the goods"),
    s.CancelReason("USER_REFUSED_QUALITY", "The buyer refused the goods' quality"),
)
PAST_PACKING = {"DELIVERY", "PICKUP", "DELIVERED", "PARTIALLY_RETURNED", "RETURNED"}


class YandexShipments:
    """A mixin of :class:`~.YandexAdapter`."""

    needs_supply = False
    #: orders a call of status-update (at most 30)
    status_batch = 30

    def _raw_orders(self, ids):
        found = {}
        for batch in s.chunks(ids, 50):
            for raw in self._orders({"orderIds": [int(i) for i in batch]}):
                if isinstance(raw, dict) and raw.get("orderId") is not None:
                    found[str(raw["orderId"])] = raw
        return found

    def _status_update(self, campaign, rows):
        """{order id: error or None} of one campaign's status-update calls."""
        outcome = {}
        endpoint = "/v2/campaigns/{campaignId}/orders/status-update"
        for batch in s.chunks(rows, self.status_batch):
            try:
                answer = self.transport.request(
                    "POST", f"/v2/campaigns/{campaign}/orders/status-update", endpoint=endpoint,
                    json_body={"orders": batch})
            except ApiError as exc:
                if not s.refused(exc):
                    raise
                for row in batch:
                    outcome[str(row["id"])] = exc.message
                continue
            listed = ((answer or {}).get("result") or {}).get("orders") or []
            for item in listed:
                if isinstance(item, dict) and item.get("id") is not None:
                    ok = item.get("updateStatus") == "OK"
                    outcome[str(item["id"])] = None if ok else str(item.get("errorDetails") or "refused")[:300]
            for row in batch:
                outcome.setdefault(str(row["id"]), "no answer for this order")
        return outcome

    def ship(self, shipments, supply_ref=""):
        result = s.ShipResult()
        todo = [sh for sh in shipments if sh.scheme in (o.FBS, o.DBS)]
        raws = self._raw_orders([sh.external_id for sh in todo])
        ready = {}
        for sh in todo:
            raw = raws.get(sh.external_id)
            if raw is None:
                result.refused[sh.external_id] = "Yandex Market does not know this order"
                continue
            if raw.get("status") in PAST_PACKING or raw.get("substatus") == "READY_TO_SHIP":
                result.shipped.append(sh.external_id)
                continue
            if raw.get("status") != "PROCESSING":
                result.refused[sh.external_id] = f"the order is {raw.get('status')}, it cannot be shipped"
                continue
            campaign = _number_id(raw.get("campaignId") or sh.secondary_ref, "campaignId")
            items = [{"id": int(it["id"]), "fullCount": int(it["count"])}
                     for it in raw.get("items") or () if isinstance(it, dict)]
            try:
                self.transport.request(
                    "PUT", f"/v2/campaigns/{campaign}/orders/{sh.external_id}/boxes",
                    endpoint="/v2/campaigns/{campaignId}/orders/{orderId}/boxes",
                    json_body={"boxes": [{"items": items}]})
            except ApiError as exc:
                if not s.refused(exc):
                    raise
                result.refused[sh.external_id] = exc.message
                continue
            ready.setdefault(campaign, []).append(sh.external_id)
        for campaign, ids in ready.items():
            rows = [{"id": int(i), "status": "PROCESSING", "substatus": "READY_TO_SHIP"} for i in ids]
            for ident, error in self._status_update(campaign, rows).items():
                if error:
                    result.refused[ident] = error
                else:
                    result.shipped.append(ident)
        return result

    def open_supply(self, name):
        raise NotImplementedError("Yandex Market has no supplies")

    def close_supply(self, supply_ref):
        raise NotImplementedError("Yandex Market has no supplies")

    def cancel_reasons(self, ref):
        return list(CANCEL_REASONS)

    def _one_status(self, ref, status, substatus=None):
        campaign = ref.secondary_ref
        if not campaign:
            raw = self._raw_orders([ref.external_id]).get(ref.external_id)
            if raw is None:
                raise s.Refused(f"Yandex Market does not know order {ref.external_id}", 404)
            campaign = raw.get("campaignId")
        row = {"id": int(ref.external_id), "status": status}
        if substatus:
            row["substatus"] = substatus
        error = self._status_update(_number_id(campaign, "campaignId"), [row]).get(str(ref.external_id))
        if error:
            raise s.Refused(f"Yandex Market: {error}", 400)

    def cancel(self, ref, reason_code, message=""):
        if reason_code not in {r.code for r in CANCEL_REASONS}:
            raise ValueError(f"not a Yandex Market cancellation substatus: {reason_code!r}")
        self._one_status(ref, "CANCELLED", reason_code)

    def report_delivery(self, ref, status, code=""):
        self._one_status(ref, {s.DELIVERING: "DELIVERY", s.DELIVERED: "DELIVERED"}[status])
