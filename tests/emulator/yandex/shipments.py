"""Yandex Market boxes and status changes of the shop (:class:`YandexShipments`).

Routes (the spec file's):

* ``PUT /v2/campaigns/{campaignId}/orders/{orderId}/boxes`` — an FBS/DBS order in
  ``PROCESSING``: the boxes must hold every item of the order (``fullCount``; the items'
  ``id``), else ``400``;
* ``POST /v2/campaigns/{campaignId}/orders/status-update`` — 1..30 orders, each answered
  ``updateStatus`` ``OK`` or ``ERROR`` with ``errorDetails``.  Allowed: ``PROCESSING`` /
  ``READY_TO_SHIP`` from ``PROCESSING`` once the boxes are set; ``CANCELLED`` with a shop's
  substatus while the order is ``PROCESSING`` (a shipped one cannot be cancelled by the shop);
  DBS only: ``DELIVERY`` from ``PROCESSING`` / ``READY_TO_SHIP``, ``DELIVERED`` from
  ``DELIVERY`` / ``PICKUP``.

Test helpers: ``deliver(ext)``, ``return_order(ext)``, ``lose(ext)``.
"""
from ..server import Reply
from .core import CAMPAIGN_BY_ID, _error

SHOP_CANCEL_SUBSTATUSES = ("SHOP_FAILED", "USER_CHANGED_MIND", "USER_UNREACHABLE", "USER_REFUSED_DELIVERY",
                           "USER_REFUSED_PRODUCT", "USER_REFUSED_QUALITY")


class YandexShipments:
    """A mixin of :class:`~.YandexApp` (it moves the orders of :class:`~.orders.YandexOrders`)."""

    def install_shipments(self):
        self.add_route("PUT", "/v2/campaigns/{campaignId}/orders/{orderId}/boxes", self._boxes)
        self.add_route("POST", "/v2/campaigns/{campaignId}/orders/status-update", self._status_update)

    # --- test-facing ------------------------------------------------------------------------
    def deliver(self, external_id):
        self.set_state(external_id, "delivered")

    def return_order(self, external_id):
        self.set_state(external_id, "returned")

    def lose(self, external_id):
        self.set_state(external_id, "lost")

    # --- routes -----------------------------------------------------------------------------
    def _campaign_order(self, params, order_id):
        try:
            campaign = int(params["campaignId"])
        except (KeyError, ValueError):
            campaign = 0
        if campaign not in CAMPAIGN_BY_ID:
            return None, _error(403, "FORBIDDEN", "Access denied")
        order = self.orders.get(str(order_id))
        if order is None or order["campaignId"] != campaign:
            return None, _error(404, "NOT_FOUND", f"Order not found: {order_id}")
        return order, None

    def _boxes(self, params, query, body, headers):
        with self.lock:
            order, error = self._campaign_order(params, params.get("orderId"))
            if error:
                return error
            if order["scheme"] == "fbo" or order["status"] != "PROCESSING":
                return _error(400, "STATUS_NOT_ALLOWED", f"Boxes cannot be set in status {order['status']}")
            counts = {}
            for box in body["boxes"]:
                for item in box["items"]:
                    counts[int(item["id"])] = counts.get(int(item["id"]), 0) + int(item.get("fullCount") or 0)
            if counts != {it["id"]: it["count"] for it in order["items"]}:
                return _error(400, "BAD_REQUEST", "The boxes must hold every item of the order")
            order["boxes"] = [[dict(i) for i in box["items"]] for box in body["boxes"]]
            boxes = [{"items": items, "boxId": 900000 + n} for n, items in enumerate(order["boxes"], 1)]
        return Reply(200, {"status": "OK", "result": {"boxes": boxes}})

    def _change(self, order, status, substatus):
        """None when the shop may move ``order`` to (status, substatus), else the reason."""
        current = (order["status"], order["substatus"])
        if status == "PROCESSING" and substatus == "READY_TO_SHIP":
            if current[0] != "PROCESSING":
                return f"The order is {current[0]}"
            if not order.get("boxes"):
                return "Set the boxes of the order first"
            return None
        if status == "CANCELLED":
            if substatus not in SHOP_CANCEL_SUBSTATUSES:
                return f"The shop cannot cancel with substatus {substatus}"
            if current[0] != "PROCESSING":
                return f"An order in status {current[0]} cannot be cancelled by the shop"
            return None
        if order["scheme"] != "dbs":
            return f"Status {status} is set by the Market for this order"
        if status == "DELIVERY" and current[0] == "PROCESSING":
            return None
        if status == "DELIVERED" and current[0] in ("DELIVERY", "PICKUP"):
            return None
        return f"Status {status} cannot follow {current[0]}"

    def _status_update(self, params, query, body, headers):
        rows = []
        with self.lock:
            for row in body["orders"]:
                order, error = self._campaign_order(params, row["id"])
                if error:
                    rows.append({"id": row["id"], "updateStatus": "ERROR", "errorDetails": "Order not found"})
                    continue
                status = row["status"]
                substatus = row.get("substatus") or {"DELIVERY": "DELIVERY_SERVICE_RECEIVED",
                                                     "DELIVERED": "DELIVERY_SERVICE_DELIVERED"}.get(status, "")
                reason = self._change(order, status, substatus)
                if reason:
                    rows.append({"id": order["orderId"], "status": order["status"], "substatus": order["substatus"],
                                 "updateStatus": "ERROR", "errorDetails": reason})
                    continue
                self._set(order, status, substatus)
                rows.append({"id": order["orderId"], "status": status, "substatus": substatus, "updateStatus": "OK"})
        return Reply(200, {"status": "OK", "result": {"orders": rows}})
