"""Ozon FBS shipment, rFBS delivery statuses and cancellations (:class:`OzonShipments`).

Routes (all in the spec file, validated against it):

* ``/v4/posting/fbs/ship`` — packs a posting in ``awaiting_packaging`` into
  ``awaiting_deliver``; the packages must hold exactly the posting's products (SKU as
  ``product_id``, quantities); any other status: ``400 POSTING_ALREADY_SHIPPED`` or
  ``INVALID_POSTING_STATUS``, as Ozon answers;
* ``/v2/fbs/posting/delivering`` (rFBS, from ``awaiting_deliver``/``sent_by_seller``) and
  ``/v2/fbs/posting/delivered`` (rFBS, from ``delivering``/``sent_by_seller``): a result per
  posting (``result: false`` + ``error`` when refused);
* ``/v2/posting/fbs/cancel-reason/list`` and ``/v2/posting/fbs/cancel`` — a posting the seller
  still holds (``awaiting_packaging``/``awaiting_deliver``…) is cancelled with the reason; a
  shipped or closed one is refused (``400 POSTING_CANNOT_BE_CANCELLED``); ``402`` ("Другое")
  needs ``cancel_reason_message``.

Test helpers: ``deliver(ext)``, ``return_order(ext)``, ``lose(ext)``.
"""
from collections import Counter

from ..server import Reply
from .core import _error

#: /v2/posting/fbs/cancel-reason/list (ids and titles as Ozon gives them)
CANCEL_REASONS = [
    (352, "Товар закончился на складе продавца", True),
    (400, "Товар закончился", True),
    (401, "Отмена из-за арбитража", False),
    (402, "Другое (вина продавца)", True),
    (665, "Покупатель не забрал заказ", False),
]
CANCELLABLE = ("awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
               "awaiting_deliver", "not_accepted")


class OzonShipments:
    """A mixin of :class:`~.OzonApp` (it moves the postings of :class:`~.orders.OzonOrders`)."""

    def install_shipments(self):
        self.add_post_routes({
            "/v4/posting/fbs/ship": self._ship,
            "/v2/fbs/posting/delivering": self._delivering,
            "/v2/fbs/posting/delivered": self._delivered,
            "/v2/posting/fbs/cancel-reason/list": self._cancel_reasons,
            "/v2/posting/fbs/cancel": self._cancel,
        })

    # --- test-facing ------------------------------------------------------------------------
    def deliver(self, external_id):
        self.set_state(external_id, "delivered")

    def return_order(self, external_id):
        self.set_state(external_id, "returned")

    def lose(self, external_id):
        self.set_state(external_id, "lost")

    # --- routes -----------------------------------------------------------------------------
    def _ship(self, params, query, body, headers):
        with self.lock:
            p = self.orders.get(body["posting_number"])
            if p is None or p["scheme"] == "fbo":
                return _error(404, 5, "POSTING_NOT_FOUND")
            if p["status"] != "awaiting_packaging":
                code = "POSTING_ALREADY_SHIPPED" if p["status"] not in ("cancelled", "cancelled_from_split_pending") \
                    else "INVALID_POSTING_STATUS"
                return _error(400, 3, code)
            sent = Counter()
            for package in body["packages"]:
                for item in package["products"]:
                    sent[int(item["product_id"])] += int(item["quantity"])
            held = Counter()
            for item in p["products"]:
                held[int(item["sku"])] += int(item["quantity"])
            if sent != held:
                return _error(400, 3, "INVALID_PRODUCTS: the packages must hold the posting's products")
            self._set(p, "awaiting_deliver")
            p["packages"] = len(body["packages"])
        return Reply(200, {"result": [p["posting_number"]], "additional_data": []})

    def _status_step(self, body, before, after):
        rows = []
        with self.lock:
            for number in body["posting_number"]:
                p = self.orders.get(number)
                if p is None or p["scheme"] != "dbs":
                    rows.append({"posting_number": number, "result": False, "error": "POSTING_NOT_FOUND"})
                elif p["status"] not in before:
                    rows.append({"posting_number": number, "result": False, "error": "INVALID_POSTING_STATUS"})
                else:
                    self._set(p, after)
                    if after == "delivering":
                        p["delivering_date"] = p["status_changed_at"]
                    rows.append({"posting_number": number, "result": True, "error": ""})
        return Reply(200, {"result": rows})

    def _delivering(self, params, query, body, headers):
        return self._status_step(body, ("awaiting_deliver", "sent_by_seller"), "delivering")

    def _delivered(self, params, query, body, headers):
        return self._status_step(body, ("delivering", "sent_by_seller"), "delivered")

    def _cancel_reasons(self, params, query, body, headers):
        return Reply(200, {"result": [
            {"id": rid, "title": title, "type_id": "seller", "is_available_for_cancellation": available}
            for rid, title, available in CANCEL_REASONS]})

    def _cancel(self, params, query, body, headers):
        reasons = {rid: (title, available) for rid, title, available in CANCEL_REASONS}
        with self.lock:
            p = self.orders.get(str(body.get("posting_number") or ""))
            if p is None or p["scheme"] == "fbo":
                return _error(404, 5, "POSTING_NOT_FOUND")
            reason = reasons.get(body.get("cancel_reason_id"))
            if reason is None or not reason[1]:
                return _error(400, 3, "INVALID_CANCEL_REASON")
            if body.get("cancel_reason_id") == 402 and not body.get("cancel_reason_message"):
                return _error(400, 3, "CANCEL_REASON_MESSAGE_REQUIRED")
            if p["status"] not in CANCELLABLE:
                return _error(400, 3, "POSTING_CANNOT_BE_CANCELLED")
            p["cancellation"] = {
                "cancel_reason_id": body["cancel_reason_id"], "cancel_reason": reason[0],
                "cancellation_type": "seller", "cancellation_initiator": "Продавец",
                "cancelled_after_ship": False, "affect_cancellation_rating": True}
            self._set(p, "cancelled")
        return Reply(200, {"result": True})
