"""Wildberries: FBS supplies, DBS delivery statuses and cancellations (:class:`WildberriesShipments`).

Calls (marketplace API, ``03-orders-fbs.yaml`` / ``05-orders-dbs.yaml``):

* FBS: ``POST /api/v3/supplies`` (a new supply, ``{"name"}``, answers ``{"id": "WB-GI-…"}``);
  ``PATCH /api/marketplace/v3/supplies/{supplyId}/orders`` (up to 100 tasks a call; they go to
  ``confirm``; a supply holds the tasks of one warehouse: WB answers 409 otherwise);
  ``PATCH /api/v3/supplies/{supplyId}/deliver`` (the supply handed over: its tasks become
  ``complete``); ``PATCH /api/v3/orders/{orderId}/cancel``.
* DBS: ``PATCH /api/v3/dbs/orders/{orderId}/confirm`` (packed: ``ship`` of a DBS task),
  ``PATCH /api/v3/dbs/orders/{orderId}/deliver`` (on the way),
  ``PATCH /api/v3/dbs/orders/{orderId}/receive`` ``{"code"}`` (the buyer's code: received),
  ``PATCH /api/v3/dbs/orders/{orderId}/cancel``.

Adding a task to the supply it is already in is harmless (WB moves tasks between open
supplies), so a repeated ``ship`` ships nothing twice.  WB's API has no list of cancellation
reasons: the seller cancels (:data:`CANCEL_REASONS`).
"""
from .. import orders as o
from .. import shipments as s
from ..transport import ApiError

CANCEL_REASONS = (s.CancelReason("seller", "Cancelled by the seller"),)


class WildberriesShipments:
    """A mixin of :class:`~.WildberriesAdapter` (it calls the client's ``_call``)."""

    needs_supply = True
    #: tasks a call of PATCH /api/marketplace/v3/supplies/{supplyId}/orders (at most 100)
    supply_batch = 100

    def _patch(self, path, endpoint, body=None):
        return self.transport.request("PATCH", path, endpoint=endpoint, json_body=body,
                                      base_url=self.base_url_for("marketplace"))

    def _refusal(self, exc):
        if s.refused(exc):
            return s.Refused(exc.message, exc.status)
        return exc

    def open_supply(self, name):
        path = "/api/v3/supplies"
        answer = self._call("marketplace", "POST", path, json_body={"name": str(name)[:128] or "Supply"})
        ref = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(ref, str) or not ref.strip():
            raise self._shape_error(path, "no supply id")
        return ref.strip()

    def _confirm_dbs(self, ids, result):
        """DBS tasks packed: ``confirm`` those still new (one call each; WB has no batch)."""
        statuses = self._statuses(o.DBS, ids)
        for ident in ids:
            supplier = (statuses.get(ident) or {}).get("supplierStatus")
            if supplier in ("confirm", "deliver", "receive"):
                result.shipped.append(ident)
                continue
            if supplier != "new":
                result.refused[ident] = f"the task is {supplier or 'unknown to Wildberries'}"
                continue
            try:
                self._patch(f"/api/v3/dbs/orders/{ident}/confirm", "/api/v3/dbs/orders/{orderId}/confirm")
            except ApiError as exc:
                if not s.refused(exc):
                    raise
                result.refused[ident] = exc.message
            else:
                result.shipped.append(ident)

    def ship(self, shipments, supply_ref=""):
        """FBS tasks into the open supply ``supply_ref``; DBS tasks confirmed (packed)."""
        result = s.ShipResult(supply_ref=supply_ref)
        dbs = [sh.external_id for sh in shipments if sh.scheme == o.DBS]
        if dbs:
            self._confirm_dbs(dbs, result)
        ids = [sh.external_id for sh in shipments if sh.scheme == o.FBS]
        if ids and not supply_ref:
            raise ValueError("Wildberries ships FBS tasks into a supply: open_supply() first")
        endpoint = "/api/marketplace/v3/supplies/{supplyId}/orders"
        for batch in s.chunks(ids, self.supply_batch):
            try:
                self._patch(f"/api/marketplace/v3/supplies/{supply_ref}/orders", endpoint,
                            {"orders": [int(i) for i in batch]})
            except ApiError as exc:
                if not s.refused(exc):
                    raise
                # a batch refused: each task on its own, to tell which one WB will not take
                for ident in batch:
                    try:
                        self._patch(f"/api/marketplace/v3/supplies/{supply_ref}/orders", endpoint,
                                    {"orders": [int(ident)]})
                    except ApiError as one:
                        if not s.refused(one):
                            raise
                        result.refused[ident] = one.message
                    else:
                        result.shipped.append(ident)
            else:
                result.shipped.extend(batch)
        return result

    def close_supply(self, supply_ref):
        """Hand the supply over to WB (its tasks go to ``complete``)."""
        try:
            self._patch(f"/api/v3/supplies/{supply_ref}/deliver", "/api/v3/supplies/{supplyId}/deliver")
        except ApiError as exc:
            raise self._refusal(exc) from None

    def cancel_reasons(self, ref):
        return list(CANCEL_REASONS)

    def cancel(self, ref, reason_code, message=""):
        if ref.scheme == o.DBS:
            path, endpoint = f"/api/v3/dbs/orders/{ref.external_id}/cancel", "/api/v3/dbs/orders/{orderId}/cancel"
        else:
            path, endpoint = f"/api/v3/orders/{ref.external_id}/cancel", "/api/v3/orders/{orderId}/cancel"
        try:
            self._patch(path, endpoint)
        except ApiError as exc:
            raise self._refusal(exc) from None

    def report_delivery(self, ref, status, code=""):
        """DBS: on the way (``confirm`` first when the task is still new) or received with the
        buyer's code.  A task already there is left as it is (idempotent)."""
        ext = str(ref.external_id)
        current = self._statuses(o.DBS, [ext]).get(ext)
        if current is None:
            raise s.Refused(f"Wildberries does not know DBS task {ext}", 404)
        supplier = current.get("supplierStatus")
        steps = []
        if status == s.DELIVERING:
            if supplier in ("deliver", "receive"):
                return
            if supplier == "new":
                steps.append(("confirm", None))
            steps.append(("deliver", None))
        elif status == s.DELIVERED:
            if supplier == "receive":
                return
            if not code:
                raise s.Refused("Wildberries: the buyer's code is needed to report a DBS order received", 400)
            if supplier in ("new", "confirm"):
                steps += [("confirm", None)] * (supplier == "new") + [("deliver", None)]
            steps.append(("receive", {"code": str(code)}))
        else:
            raise ValueError(status)
        for step, body in steps:
            try:
                self._patch(f"/api/v3/dbs/orders/{ext}/{step}", f"/api/v3/dbs/orders/{{orderId}}/{step}", body)
            except ApiError as exc:
                raise self._refusal(exc) from None
