"""Wildberries prices and discounts, and the tariffs (:class:`WildberriesPrices`).

Routes (``02-products.yaml``, prices-and-discounts API; ``10-tariffs.yaml``, common API):

* ``POST /api/v2/upload/task``: an upload task ``{data: [{nmID, price, discount}]}`` (at most
  1 000 cards; more: 400 ``Upload limit exceeded``); a request whose every card is unknown is
  refused (400 ``All item Nos. are specified incorrectly…``).  Otherwise the task gets an id and
  is processed after :attr:`task_delay` reads of its state (0: at once): a known card takes its
  price and discount (status 2), an unknown one or one in :attr:`price_errors` gets status 3
  with WB's ``errorText``; a discounted price at least 3 times lower than the current one goes to
  price quarantine (status 3, WB's words) and keeps the old price.
* ``GET /api/v2/history/tasks``: the task's status (3 all applied, 5 some errors, 6 all errors),
  ``data: null`` while it is processed; ``GET /api/v2/history/goods/task``: its cards.
* ``GET /api/v1/tariffs/commission``: WB's commission by subject (:data:`COMMISSIONS`).  Its
  answer in ``10-tariffs.yaml`` is a ``oneOf`` that no report can match exactly once (four of
  the five shapes allow any key): the route is validated against the first shape (Russia's),
  written out here (:data:`COMMISSION_RESPONSE`).

Limits: the price methods together 10 requests in 6 seconds (answered 429 and counted as a
violation); the commission 1 request a minute, bursts of 2.

State: :attr:`prices` {nmID: (price, discount)}, the price WB sells at via :meth:`selling_price`.
"""
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from ..prices_common import PriceWindow
from ..server import Reply
from .catalog import SUBJECTS

#: kgvpMarketplace (FBS) percent by subject id; unknown subjects: 25
COMMISSIONS = {192: 24.5, 2780: 19.0, 50: 21.0, 3091: 23.5, 1381: 18.0, 1130: 20.0, 91: 24.0, 474: 22.0,
               2120: 17.0, 1407: 13.5, 3379: 15.0, 1260: 16.5, 1420: 18.5, 3940: 21.5, 767: 19.5, 1642: 17.5}

_NUM = {"type": "number"}
#: a GET without a body
COMMISSION_REQUEST = {"type": "null"}
COMMISSION_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["report"],
    "properties": {"report": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "properties": {"kgvpBooking": _NUM, "kgvpMarketplace": _NUM, "kgvpPickup": _NUM, "kgvpSupplier": _NUM,
                       "kgvpSupplierExpress": _NUM, "paidStorageKgvp": _NUM, "parentID": {"type": "integer"},
                       "parentName": {"type": "string"}, "subjectID": {"type": "integer"},
                       "subjectName": {"type": "string"}}}}},
}

QUARANTINE_TEXT = ("The new price is several times lower than the current price. "
                   "Item has been moved to Price Quarantine")


def _wb_error_body(text):
    return {"data": None, "error": True, "errorText": text}


class WildberriesPrices:
    """Prices, discounts and tariffs: a mixin of :class:`~.WildberriesApp`."""

    def install_prices(self):
        self.prices = {}
        self.tasks = {}
        self.next_task = 3235236000
        #: test knob: reads of a task's state answered "processing" before it is processed
        self.task_delay = 0
        #: test knob: {nmID: errorText} the next tasks refuse for that card
        self.price_errors = {}
        self.prices_window = PriceWindow(self.emulator, self.name, 10, 6.0)
        self.commission_window = PriceWindow(self.emulator, self.name, 2, 60.0)
        self.add_route("POST", "/api/v2/upload/task", self._upload_task)
        self.add_route("GET", "/api/v2/history/tasks", self._history_task)
        self.add_route("GET", "/api/v2/history/goods/task", self._history_goods)
        # the spec's answer is a oneOf of five shapes that every report matches at least four
        # of (only the first forbids other keys): the route carries the first (Russia's) shape
        self.add_route("GET", "/api/v1/tariffs/commission", self._commission, schema=COMMISSION_REQUEST,
                       response_schema=COMMISSION_RESPONSE)

    def _nm_index(self):
        return {int(p["nm_id"]): p for p in self.catalog}

    def selling_price(self, nm_id):
        price, discount = self.prices[int(nm_id)]
        return (Decimal(price) * (100 - discount) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def _limited(self, window=None):
        if not (window or self.prices_window).take():
            return self.rate_limited_reply()
        return None

    def _upload_task(self, params, query, body, headers):
        limited = self._limited()
        if limited:
            return limited
        goods = (body or {}).get("data") or []
        if not goods:
            return Reply(400, _wb_error_body("Empty data"))
        if len(goods) > 1000:
            return Reply(400, _wb_error_body("Upload limit exceeded: You can upload a maximum of 10 000 items"))
        ids = [g["nmID"] for g in goods]
        if len(set(ids)) != len(ids):
            return Reply(400, _wb_error_body("Duplicate item Nos."))
        known = self._nm_index()
        if not any(g["nmID"] in known for g in goods):
            return Reply(400, _wb_error_body(
                "All item Nos. are specified incorrectly, or the specified prices and discounts are already set"))
        for g in goods:
            if "price" not in g and "discount" not in g:
                return Reply(400, _wb_error_body("Price and discount are not specified"))
            if g.get("price", 1) <= 0:
                return Reply(400, _wb_error_body("Invalid price value"))
            if not 0 <= g.get("discount", 0) <= 99:
                return Reply(400, _wb_error_body("Invalid discount value"))
        self.next_task += 1
        task = self.next_task
        self.tasks[task] = {"goods": [dict(g) for g in goods], "reads": 0, "done": False, "rows": [],
                            "uploaded": datetime.now(timezone.utc)}
        if self.task_delay <= 0:
            self._process(task)
        return Reply(200, {"data": {"id": task, "alreadyExists": False}, "error": False, "errorText": ""})

    def _process(self, task):
        state = self.tasks[task]
        known = self._nm_index()
        rows = []
        for g in state["goods"]:
            nm = g["nmID"]
            product = known.get(nm)
            old = self.prices.get(nm)
            price = g.get("price", old[0] if old else None)
            discount = g.get("discount", old[1] if old else 0)
            row = {"nmID": nm, "vendorCode": product["offer_code"] if product else "",
                   "sizeID": int(product["chrt_id"]) if product else 0,
                   "techSizeName": product.get("tech_size", "") if product else "",
                   "price": int(price or 0), "currencyIsoCode4217": "RUB", "discount": int(discount or 0),
                   "clubDiscount": 0, "status": 2, "errorText": ""}
            if product is None:
                row.update(status=3, errorText="Invalid item No.")
            elif nm in self.price_errors:
                row.update(status=3, errorText=self.price_errors[nm])
            elif price is None:
                row.update(status=3, errorText="Invalid price value")
            else:
                new_selling = Decimal(price) * (100 - discount) / 100
                if old is not None and new_selling * 3 <= self.selling_price(nm):
                    row.update(status=3, errorText=QUARANTINE_TEXT)
                else:
                    self.prices[nm] = (int(price), int(discount))
            rows.append(row)
        state["rows"] = rows
        state["done"] = True

    def _task_id(self, query):
        try:
            return int(query.get("uploadID"))
        except (TypeError, ValueError):
            return None

    def _history_task(self, params, query, body, headers):
        limited = self._limited()
        if limited:
            return limited
        task = self._task_id(query)
        state = self.tasks.get(task)
        if state is None:
            return Reply(400, _wb_error_body("Invalid request parameters"))
        if not state["done"]:
            state["reads"] += 1
            if state["reads"] > self.task_delay:
                self._process(task)
            else:
                return Reply(200, {"data": None, "error": False, "errorText": ""})
        ok = sum(1 for r in state["rows"] if r["status"] == 2)
        status = 3 if ok == len(state["rows"]) else (6 if ok == 0 else 5)
        stamp = state["uploaded"].strftime("%Y-%m-%dT%H:%M:%SZ")
        return Reply(200, {"data": {"uploadID": task, "status": status, "uploadDate": stamp, "activationDate": stamp,
                                    "overAllGoodsNumber": len(state["rows"]), "successGoodsNumber": ok},
                           "error": False, "errorText": ""})

    def _history_goods(self, params, query, body, headers):
        limited = self._limited()
        if limited:
            return limited
        task = self._task_id(query)
        state = self.tasks.get(task)
        if state is None or not state["done"]:
            return Reply(400, _wb_error_body("Invalid request parameters"))
        limit = int(query.get("limit") or 1000)
        offset = int(query.get("offset") or 0)
        return Reply(200, {"data": {"uploadID": task, "historyGoods": state["rows"][offset:offset + limit]}})

    def _commission(self, params, query, body, headers):
        limited = self._limited(self.commission_window)
        if limited:
            return limited
        report = []
        for word, (subject, name) in sorted(SUBJECTS.items()):
            percent = COMMISSIONS.get(subject, 25.0)
            report.append({"kgvpBooking": percent, "kgvpMarketplace": percent, "kgvpPickup": percent,
                           "kgvpSupplier": percent - 3, "kgvpSupplierExpress": 3.0, "paidStorageKgvp": percent,
                           "parentID": subject // 10 + 1, "parentName": name, "subjectID": subject,
                           "subjectName": name})
        return Reply(200, {"report": report})
