"""Ozon: FBS shipment, rFBS delivery statuses and cancellations (:class:`OzonShipments`).

Calls (all POST):

* ``/v4/posting/fbs/ship`` — the posting packed (``awaiting_packaging`` -> ``awaiting_deliver``):
  ``{"posting_number", "packages": [{"products": [{"product_id": <SKU>, "quantity"}]}]}`` (the
  spec file and Ozon's documentation agree on this shape: ``product_id`` is the SKU).  One
  posting a call.  A posting already packed is refused by Ozon; the adapter reads the posting
  (``/v3/posting/fbs/get``) and, when it is past packing, counts it as shipped (idempotent).
* ``/v2/fbs/posting/delivering`` and ``/v2/fbs/posting/delivered`` — rFBS (the seller delivers):
  up to 100 posting numbers a call, a result per posting.
* ``/v2/posting/fbs/cancel-reason/list`` and ``/v2/posting/fbs/cancel`` ``{posting_number,
  cancel_reason_id, cancel_reason_message}``.
"""
from .. import orders as o
from .. import shipments as s
from ..transport import ApiError
from .orders import STATUS_STATES

#: statuses past packing: a repeated ship finds the posting there
PAST_PACKING = {w for w, state in STATUS_STATES.items() if state in (o.PROCESSING, o.SHIPPED, o.DELIVERED)}
#: "Другое": the reason whose message the seller writes
OTHER_REASON = "402"


class OzonShipments:
    """A mixin of :class:`~.OzonAdapter` (it calls the client's ``_post``)."""

    needs_supply = False
    #: posting numbers a call of the rFBS status methods
    status_batch = 100

    def _posting_status(self, number):
        try:
            answer = self._post("/v3/posting/fbs/get", {"posting_number": number, "with": {}})
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        result = answer.get("result") if isinstance(answer, dict) else None
        return result.get("status") if isinstance(result, dict) else None

    def ship(self, shipments, supply_ref=""):
        result = s.ShipResult()
        for sh in shipments:
            products = [{"product_id": int(ln.item_id), "quantity": int(ln.quantity)} for ln in sh.lines]
            body = {"posting_number": sh.external_id, "packages": [{"products": products}],
                    "with": {"additional_data": False}}
            try:
                self._post("/v4/posting/fbs/ship", body)
            except ApiError as exc:
                if not s.refused(exc):
                    raise
                status = self._posting_status(sh.external_id)
                if status in PAST_PACKING:
                    result.shipped.append(sh.external_id)  # shipped before: nothing to do again
                else:
                    result.refused[sh.external_id] = exc.message
            else:
                result.shipped.append(sh.external_id)
        return result

    def open_supply(self, name):
        raise NotImplementedError("Ozon has no supplies")

    def close_supply(self, supply_ref):
        raise NotImplementedError("Ozon has no supplies")

    def cancel_reasons(self, ref):
        answer = self._post("/v2/posting/fbs/cancel-reason/list", {})
        rows = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise self._shape_error("/v2/posting/fbs/cancel-reason/list", "no list of reasons")
        reasons = []
        for row in rows:
            if not isinstance(row, dict) or row.get("is_available_for_cancellation") is False:
                continue
            try:
                code = str(int(row.get("id")))
                name = o.text(row.get("title"), "title", max_len=300)
            except (TypeError, ValueError, o.PayloadError):
                continue
            reasons.append(s.CancelReason(code, name))
        return reasons

    def cancel(self, ref, reason_code, message=""):
        body = {"posting_number": ref.external_id, "cancel_reason_id": int(reason_code)}
        if message or str(reason_code) == OTHER_REASON:
            body["cancel_reason_message"] = (message or "Отмена продавцом")[:500]
        try:
            answer = self._post("/v2/posting/fbs/cancel", body)
        except ApiError as exc:
            if s.refused(exc):
                raise s.Refused(exc.message, exc.status) from None
            raise
        if not (isinstance(answer, dict) and answer.get("result") is True):
            raise s.Refused(f"Ozon did not cancel posting {ref.external_id}", 200)

    def report_delivery(self, ref, status, code=""):
        path = {s.DELIVERING: "/v2/fbs/posting/delivering", s.DELIVERED: "/v2/fbs/posting/delivered"}[status]
        try:
            answer = self._post(path, {"posting_number": [ref.external_id]})
        except ApiError as exc:
            if s.refused(exc):
                raise s.Refused(exc.message, exc.status) from None
            raise
        for row in (answer or {}).get("result") or ():
            if isinstance(row, dict) and row.get("posting_number") == ref.external_id:
                if row.get("result") is not True:
                    raise s.Refused(f"Ozon {path}: {str(row.get('error') or 'refused')[:300]}", 200)
                return
        raise self._shape_error(path, "no result for the posting")
