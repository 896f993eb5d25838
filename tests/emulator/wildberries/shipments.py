"""Wildberries FBS supplies, DBS delivery statuses and cancellations (:class:`WildberriesShipments`).

Routes (``03-orders-fbs.yaml``, ``05-orders-dbs.yaml``):

* ``POST /api/v3/supplies`` — a new open supply (``201 {"id": "WB-GI-…"}``);
* ``PATCH /api/marketplace/v3/supplies/{supplyId}/orders`` — 1..100 tasks into an open supply:
  each must be an FBS task of the supply's warehouse (the first task sets it) in ``new`` or
  ``confirm``, else ``409``; they go to ``confirm``; a task of another open supply moves;
* ``PATCH /api/v3/supplies/{supplyId}/deliver`` — the supply handed over: ``409`` when empty or
  already delivered; its tasks go to ``complete``;
* ``PATCH /api/v3/orders/{orderId}/cancel`` and ``/api/v3/dbs/orders/{orderId}/cancel`` —
  ``409`` once the task has left the seller (``complete`` / ``deliver``…) or is closed;
* ``PATCH /api/v3/dbs/orders/{orderId}/confirm``, ``…/deliver`` (from ``confirm``) and
  ``…/receive`` ``{"code"}`` (from ``deliver``, with the buyer's code: :meth:`buyer_code`).

Test helpers: ``deliver(ext)``, ``return_order(ext)``; WB has no "lost" word (``lose`` raises).
"""
from datetime import datetime, timezone

from ..server import Reply
from .core import _error


class WildberriesShipments:
    """A mixin of :class:`~.WildberriesApp` (it moves the tasks of :class:`~.orders.WildberriesOrders`)."""

    def install_shipments(self):
        self.supplies = {}  # id -> {"id", "name", "done", "warehouseId", "orders": set of task ids}
        for method, path, handler in (
            ("POST", "/api/v3/supplies", self._create_supply),
            ("PATCH", "/api/marketplace/v3/supplies/{supplyId}/orders", self._add_to_supply),
            ("PATCH", "/api/v3/supplies/{supplyId}/deliver", self._deliver_supply),
            ("PATCH", "/api/v3/orders/{orderId}/cancel", self._fbs_cancel),
            ("PATCH", "/api/v3/dbs/orders/{orderId}/cancel", self._dbs_cancel),
            ("PATCH", "/api/v3/dbs/orders/{orderId}/confirm", self._dbs_confirm),
            ("PATCH", "/api/v3/dbs/orders/{orderId}/deliver", self._dbs_deliver),
            ("PATCH", "/api/v3/dbs/orders/{orderId}/receive", self._dbs_receive),
        ):
            self.add_route(method, path, handler)

    # --- test-facing ------------------------------------------------------------------------
    @staticmethod
    def buyer_code(external_id):
        """The code the buyer shows on receipt of a DBS task."""
        return f"{int(external_id) % 1000000:06d}"

    def deliver(self, external_id):
        self.set_state(external_id, "delivered")

    def return_order(self, external_id):
        self.set_state(external_id, "returned")

    def lose(self, external_id):
        raise ValueError("Wildberries' task API has no lost state (a loss is compensated in the report)")

    # --- helpers ----------------------------------------------------------------------------
    def _task(self, params, scheme):
        task = self.orders.get(str(params.get("orderId")))
        return task if task is not None and task["scheme"] == scheme else None

    @staticmethod
    def _move(task, supplier, wb=None):
        task["supplierStatus"] = supplier
        if wb:
            task["wbStatus"] = wb
        task["changed_at"] = datetime.now(timezone.utc)

    # --- FBS supplies -----------------------------------------------------------------------
    def _create_supply(self, params, query, body, headers):
        with self.lock:
            self._supply_seq += 1
            ref = f"WB-GI-{92937000 + self._supply_seq}"
            self.supplies[ref] = {"id": ref, "name": (body or {}).get("name") or "", "done": False,
                                  "warehouseId": None, "orders": set()}
        return Reply(201, {"id": ref})

    def _add_to_supply(self, params, query, body, headers):
        with self.lock:
            supply = self.supplies.get(params["supplyId"])
            if supply is None:
                return _error(404, "NotFound", "Не найдено")
            if supply["done"]:
                return _error(409, "FailedToAddSupplyOrder", "Поставка уже передана в доставку")
            tasks = []
            for ident in body["orders"]:
                task = self.orders.get(str(ident))
                if task is None or task["scheme"] != "fbs":
                    return _error(404, "NotFound", f"Сборочное задание {ident} не найдено")
                if task["supplierStatus"] not in ("new", "confirm") or task["wbStatus"] != "waiting":
                    return _error(409, "FailedToAddSupplyOrder",
                                  f"Сборочное задание {ident} в статусе {task['supplierStatus']}")
                warehouse = supply["warehouseId"] or tasks and tasks[0]["warehouseId"] or task["warehouseId"]
                if task["warehouseId"] != warehouse:
                    return _error(409, "FailedToAddSupplyOrder",
                                  "В поставку нельзя добавить сборочные задания, поступившие на разные склады")
                tasks.append(task)
            for task in tasks:
                old = self.supplies.get(task.get("supplyId") or "")
                if old is not None:
                    old["orders"].discard(task["id"])
                supply["warehouseId"] = task["warehouseId"]
                supply["orders"].add(task["id"])
                task["supplyId"] = supply["id"]
                self._move(task, "confirm")
        return Reply(204, None)

    def _deliver_supply(self, params, query, body, headers):
        with self.lock:
            supply = self.supplies.get(params["supplyId"])
            if supply is None:
                return _error(404, "NotFound", "Не найдено")
            if supply["done"]:
                return _error(409, "SupplyIsDone", "Поставка уже передана в доставку")
            if not supply["orders"]:
                return _error(409, "SupplyHasZeroOrders", "В поставке нет сборочных заданий")
            supply["done"] = True
            for ident in supply["orders"]:
                task = self.orders[str(ident)]
                if task["supplierStatus"] == "confirm":
                    self._move(task, "complete")
        return Reply(204, None)

    def _cancel(self, params, scheme):
        with self.lock:
            task = self._task(params, scheme)
            if task is None:
                return _error(404, "NotFound", "Не найдено")
            if task["supplierStatus"] not in ("new", "confirm") or task["wbStatus"] != "waiting":
                return _error(409, "StatusMismatch", "Статус сборочного задания не позволяет его отменить")
            supply = self.supplies.get(task.get("supplyId") or "")
            if supply is not None:
                supply["orders"].discard(task["id"])
            self._move(task, "cancel", "canceled")
        return Reply(204, None)

    def _fbs_cancel(self, params, query, body, headers):
        return self._cancel(params, "fbs")

    def _dbs_cancel(self, params, query, body, headers):
        return self._cancel(params, "dbs")

    # --- DBS: the seller delivers -------------------------------------------------------------
    def _dbs_step(self, params, before, after, wb=None, code=None):
        with self.lock:
            task = self._task(params, "dbs")
            if task is None:
                return _error(404, "NotFound", "Не найдено")
            if task["supplierStatus"] not in before or task["wbStatus"] in ("canceled", "canceled_by_client",
                                                                             "declined_by_client"):
                return _error(409, "StatusMismatch", f"Сборочное задание в статусе {task['supplierStatus']}")
            if code is not None and code != self.buyer_code(task["id"]):
                return _error(409, "InvalidWBCode", "Неверный код подтверждения")
            self._move(task, after, wb)
        return Reply(204, None)

    def _dbs_confirm(self, params, query, body, headers):
        return self._dbs_step(params, ("new",), "confirm")

    def _dbs_deliver(self, params, query, body, headers):
        return self._dbs_step(params, ("confirm",), "deliver")

    def _dbs_receive(self, params, query, body, headers):
        return self._dbs_step(params, ("deliver",), "receive", "sold", code=str((body or {}).get("code") or ""))
