"""Wildberries assembly tasks (:class:`WildberriesOrders`): the orders of the account.

Routes:

* FBS (``03-orders-fbs.yaml``): ``GET /api/v3/orders/new`` (every new assembly task),
  ``GET /api/v3/orders`` (``limit`` 1..1000 + ``next`` paging — ``next`` is the id of the last
  task given; ``dateFrom``/``dateTo`` in Unix seconds on ``createdAt``, at most 30 days, the last
  30 days by default; no status in the answer), ``POST /api/v3/orders/status`` (at most 1000 ids).
* DBS (``05-orders-dbs.yaml``): ``GET /api/v3/dbs/orders/new``, ``GET /api/v3/dbs/orders``
  (as documented: only *finished* tasks — sold or cancelled —, ``dateFrom``/``dateTo``
  required), ``POST /api/v3/dbs/orders/status``, ``POST /api/v3/dbs/orders/client`` (the
  buyer's name and substitute phone numbers).

Assembly tasks: WB makes one assembly task per item bought — a basket of three items, or
two of the same item, gives three or two tasks sharing the buyer's ``orderUid`` (DBS: and the
``groupId`` of the warehouse), each with its own ``id`` and ``rid``.  ``add_orders(count)``
creates ``count`` tasks in baskets of 1..``max_lines`` tasks.  Prices are integers in kopecks:
``salePrice`` (the seller's price with the seller's discount), ``price``/``convertedPrice``
(after every discount except the WB Wallet's; ``price`` in the buyer's currency — now and then
a buyer in Belarus pays in BYN — ``convertedPrice`` in roubles) and ``finalPrice`` /
``convertedFinalPrice`` (after the WB Wallet discount too; only the new-task and DBS shapes have
them).  ``cancel_order`` / ``ship_order`` / ``set_status`` change ``supplierStatus`` and
``wbStatus`` the way WB does.
"""
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from .. import data
from ..server import Reply
from .core import KOPECK, SCHEME_OF_DELIVERY_TYPE, SELLER_WAREHOUSES, _error, _rfc3339

RUB, BYN = 643, 933
#: ISO 4217 numeric codes of the currencies the emulated sellers may work in
CURRENCY_CODES = {"RUB": 643, "KZT": 398, "BYN": 933, "UZS": 860, "KGS": 417, "AMD": 51}
#: roubles for one Belarusian rouble (for the emulated buyers in Belarus)
BYN_RATE = Decimal("27.40")

FBS_SUPPLIER = ("new", "confirm", "complete", "cancel")
FBS_WB = ("waiting", "sorted", "sold", "canceled", "canceled_by_client", "declined_by_client", "defect",
          "ready_for_pickup", "postponed_delivery", "accepted_by_carrier", "sent_to_carrier")
DBS_SUPPLIER = ("new", "confirm", "deliver", "receive", "reject", "cancel", "cancel_missed_call")
DBS_WB = ("waiting", "sold", "canceled", "canceled_by_client", "declined_by_client", "defect", "ready_for_pickup",
          "canceled_by_missed_call")
#: a task is finished (the DBS list of finished tasks gives it) when one of its words is here
FINISHED_SUPPLIER = {"receive", "reject", "cancel", "cancel_missed_call"}
FINISHED_WB = {"sold", "canceled", "canceled_by_client", "declined_by_client", "defect", "canceled_by_missed_call"}

MAX_PERIOD = timedelta(days=30)


def _kopecks(amount):
    return int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_HALF_UP))


class WildberriesOrders:
    """Assembly tasks: a mixin of :class:`~.WildberriesApp` (it reads the catalogue of
    :class:`~.catalog.WildberriesCatalog`)."""

    #: the default share of DBS tasks for add_orders(scheme=None)
    DBS_SHARE = 0.25

    def install_orders(self):
        """The tasks' state and routes (the app's constructor calls it)."""
        self.orders = {}  # str(id) -> the assembly task as WB holds it (see _new_task)
        self._next_id = 3847201000
        self._supply_seq = 0
        for method, path, handler in (
            ("GET", "/api/v3/orders/new", self._fbs_new),
            ("GET", "/api/v3/orders", self._fbs_list),
            ("POST", "/api/v3/orders/status", self._fbs_status),
            ("GET", "/api/v3/dbs/orders/new", self._dbs_new),
            ("GET", "/api/v3/dbs/orders", self._dbs_list),
            ("POST", "/api/v3/dbs/orders/status", self._dbs_status),
            ("POST", "/api/v3/dbs/orders/client", self._dbs_client),
        ):
            self.add_route(method, path, handler)

    # --- test-facing state ----------------------------------------------------------------
    def add_orders(self, count, scheme=None, created_at=None, offer_codes=None, max_lines=3, currency=None,
                   chrt_ids=None):
        """``count`` assembly tasks (one item each), in baskets of 1..``max_lines`` tasks.

        ``currency``: a seller outside Russia ("KZT", "BYN", "UZS"…: see ``data.RATES``) — every
        price of the task (``convertedPrice`` etc.) in that currency, ``currencyCode`` and
        ``convertedCurrencyCode`` its ISO number.  ``chrt_ids``: order only these sizes (chrtIDs of
        the catalogue, e.g. of :meth:`add_sized_cards`)."""
        assert currency is None or currency in CURRENCY_CODES, currency
        if chrt_ids is not None:
            chrt_ids = [int(c) for c in chrt_ids]
            unknown = [c for c in chrt_ids if c not in self.by_chrt]
            assert not unknown, f"not sizes of the catalogue: {unknown}"
        rng = self.emulator.random
        now = datetime.now(timezone.utc)
        created = []
        with self.lock:
            while len(created) < count:
                kind = scheme or ("dbs" if rng.random() < self.DBS_SHARE else "fbs")
                if created_at is not None:
                    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
                else:
                    moment = now - timedelta(seconds=rng.randrange(60, 6 * 3600))
                moment = moment.astimezone(timezone.utc).replace(microsecond=0)
                basket = min(rng.randint(1, max(1, max_lines)), count - len(created))
                for task in self._new_basket(rng, kind, moment, offer_codes, basket, currency, chrt_ids):
                    self.orders[str(task["id"])] = task
                    created.append(str(task["id"]))
        return created

    def cancel_order(self, external_id):
        """Cancelled by the buyer or by WB, the way WB words it at each stage; a finished task
        (sold, cancelled) stays as it is."""
        with self.lock:
            task = self.orders[str(external_id)]
            supplier = task["supplierStatus"]
            if task["wbStatus"] in FINISHED_WB or supplier in FINISHED_SUPPLIER:
                return
            if task["scheme"] == "fbs":
                if supplier == "new":
                    task["wbStatus"] = "declined_by_client"  # the buyer, within the first hour
                elif supplier == "confirm":
                    task["wbStatus"] = "canceled"
                elif supplier == "complete":
                    task["wbStatus"] = "canceled_by_client"  # refused at the pick-up point
            else:
                if supplier == "new":
                    task["wbStatus"] = "declined_by_client"
                elif supplier == "confirm":
                    task["wbStatus"] = "canceled"
                elif supplier == "deliver":
                    task["supplierStatus"], task["wbStatus"] = "reject", "canceled_by_client"
            task["changed_at"] = datetime.now(timezone.utc)

    def ship_order(self, external_id):
        """Handed over to delivery: FBS — the supply went to WB (``complete``), DBS — the seller's
        courier took it (``deliver``).  A finished task stays as it is."""
        with self.lock:
            task = self.orders[str(external_id)]
            if task["wbStatus"] in FINISHED_WB or task["supplierStatus"] in FINISHED_SUPPLIER:
                return
            if task["scheme"] == "fbs":
                self._attach_supply(task)
                task["supplierStatus"], task["wbStatus"] = "complete", "sorted"
            else:
                task["supplierStatus"], task["wbStatus"] = "deliver", "waiting"
            task["changed_at"] = datetime.now(timezone.utc)

    def set_status(self, external_id, supplier_status, wb_status):
        """Any pair of WB words, e.g. ``("complete", "sold")`` for a delivered FBS task."""
        with self.lock:
            task = self.orders[str(external_id)]
            words = (FBS_SUPPLIER, FBS_WB) if task["scheme"] == "fbs" else (DBS_SUPPLIER, DBS_WB)
            assert supplier_status in words[0] and wb_status in words[1], (supplier_status, wb_status)
            if task["scheme"] == "fbs" and supplier_status in ("confirm", "complete"):
                self._attach_supply(task)
            task["supplierStatus"], task["wbStatus"] = supplier_status, wb_status
            task["changed_at"] = datetime.now(timezone.utc)

    #: set_state's words -> (FBS words, DBS words); WB's task API has no "lost"
    STATE_WORDS = {
        "new": (("new", "waiting"), ("new", "waiting")),
        "processing": (("confirm", "waiting"), ("confirm", "waiting")),
        "shipped": (("complete", "sorted"), ("deliver", "waiting")),
        "delivered": (("complete", "sold"), ("receive", "sold")),
        "returned": (("complete", "canceled_by_client"), ("reject", "canceled_by_client")),
        "cancelled": (("cancel", "canceled"), ("cancel", "canceled")),
        "cancelled_after_shipping": (("complete", "canceled"), ("deliver", "canceled")),
    }

    def set_state(self, external_id, state):
        """Move a task to a neutral state the way WB words it (:attr:`STATE_WORDS`): ``new``,
        ``processing``, ``shipped``, ``delivered``, ``returned`` (refused on receipt),
        ``cancelled``, ``cancelled_after_shipping``.  ``lost`` has no WB word: ValueError."""
        if state not in self.STATE_WORDS:
            raise ValueError(f"Wildberries tasks have no state {state!r} (known: {', '.join(self.STATE_WORDS)})")
        with self.lock:
            task = self.orders[str(external_id)]
            fbs, dbs = self.STATE_WORDS[state]
            supplier, wb = fbs if task["scheme"] == "fbs" else dbs
            self.set_status(external_id, supplier, wb)

    # --- building tasks --------------------------------------------------------------------
    def _attach_supply(self, task):
        if not task.get("supplyId"):
            self._supply_seq += 1
            task["supplyId"] = f"WB-GI-{92937000 + self._supply_seq}"

    def _product(self, rng, code):
        product = self.by_offer.get(code)
        if product is None:  # an article the seller's catalogue does not have
            digest = sum(ord(c) * (i + 1) for i, c in enumerate(code)) % 10 ** 6
            product = {"offer_code": code, "name": f"Товар {code}", "barcode": data.ean13(469000000000 + digest),
                       "price": Decimal(rng.randrange(19900, 499900, 100)) / 100,
                       "nm_id": 400000000 + digest, "chrt_id": 500000000 + digest}
        return product

    def _new_basket(self, rng, kind, moment, offer_codes, size, currency=None, chrt_ids=None):
        codes = list(offer_codes) if offer_codes else [p["offer_code"] for p in self.catalog]
        order_uid = f"{rng.randrange(10 ** 8, 10 ** 9)}_{rng.getrandbits(128):032x}"
        candidates = [w for w in SELLER_WAREHOUSES if SCHEME_OF_DELIVERY_TYPE.get(w["deliveryType"]) == kind]
        warehouse = rng.choice(candidates)
        customer = data.customer(rng) if kind == "dbs" else None
        group_id = None
        if kind == "dbs":
            g = f"{rng.getrandbits(128):032x}"
            group_id = f"{g[:8]}-{g[8:12]}-4{g[13:16]}-a{g[17:20]}-{g[20:]}"
        # now and then a buyer in Belarus: the price is in BYN, convertedPrice in roubles
        byn = kind == "fbs" and rng.random() < 0.1 and currency in (None, "RUB")
        seller_currency = currency or "RUB"
        tasks = []
        chosen = []
        for _ in range(size):
            # two of the same item in a basket are two tasks
            if chrt_ids:
                chrt = chosen[-1] if chosen and rng.random() < 0.2 else rng.choice(chrt_ids)
                chosen.append(chrt)
                product, size_row = self.by_chrt[chrt]
            else:
                code = chosen[-1] if chosen and rng.random() < 0.2 else rng.choice(codes)
                chosen.append(code)
                product = self._product(rng, code)
                sizes = product.get("sizes") or []
                size_row = (sizes[0] if len(sizes) == 1 else rng.choice(sizes)) if sizes else {
                    "chrt_id": product["chrt_id"], "barcode": product.get("barcode") or ""}
            self._next_id += rng.randint(1, 40)
            seller_discount = Decimal(rng.choice([0, 0, 5, 10, 15])) / 100
            # WB's own discount (СПП): salePrice is always above convertedPrice
            wb_discount = Decimal(rng.choice([2, 3, 7, 12, 18])) / 100
            wallet_discount = Decimal(rng.choice([0, 0, 0, 1, 2])) / 100
            list_price = data.in_currency(product["price"], seller_currency)
            sale = (list_price * (1 - seller_discount)).quantize(KOPECK, rounding=ROUND_HALF_UP)
            paid = (sale * (1 - wb_discount)).quantize(KOPECK, rounding=ROUND_HALF_UP)
            final = (paid * (1 - wallet_discount)).quantize(KOPECK, rounding=ROUND_HALF_UP)

            def in_sale_currency(amount):
                return _kopecks(amount / BYN_RATE) if byn else _kopecks(amount)

            tasks.append({
                "id": self._next_id, "scheme": kind,
                "deliveryType": ("edbs" if warehouse["deliveryType"] == 6 else "dbs") if kind == "dbs" else "fbs",
                "rid": f"{rng.getrandbits(128):032x}", "orderUid": order_uid, "groupId": group_id,
                "article": product["offer_code"], "nmId": int(product["nm_id"]), "chrtId": int(size_row["chrt_id"]),
                "skus": [size_row["barcode"]] if size_row.get("barcode") else [],
                "warehouseId": warehouse["id"], "officeId": warehouse["officeId"],
                "offices": [warehouse["office"]] if warehouse["office"] else [],
                "createdAt": moment, "changed_at": moment,
                "salePrice": in_sale_currency(sale), "price": in_sale_currency(paid),
                "finalPrice": in_sale_currency(final), "convertedPrice": _kopecks(paid),
                "convertedFinalPrice": _kopecks(final),
                "currencyCode": BYN if byn else CURRENCY_CODES[seller_currency],
                "convertedCurrencyCode": CURRENCY_CODES[seller_currency],
                "comment": rng.choice(["", "", "", "Упакуйте в плёнку, пожалуйста", "Позвоните за час"]),
                "supplierStatus": "new", "wbStatus": "waiting", "supplyId": None,
                "customer": customer, "phoneCode": rng.randrange(1000000, 9999999),
            })
        return tasks

    # --- rendering --------------------------------------------------------------------------
    @staticmethod
    def _common(t):
        return {
            "id": t["id"], "rid": t["rid"], "orderUid": t["orderUid"], "article": t["article"], "colorCode": "",
            "createdAt": _rfc3339(t["createdAt"]), "skus": list(t["skus"]), "warehouseId": t["warehouseId"],
            "nmId": t["nmId"], "chrtId": t["chrtId"], "price": t["price"], "convertedPrice": t["convertedPrice"],
            "currencyCode": t["currencyCode"], "convertedCurrencyCode": t["convertedCurrencyCode"],
            "cargoType": 1, "comment": t["comment"], "isZeroOrder": False, "options": {"isB2b": False},
            "deliveryType": t["deliveryType"],
        }

    def _render_fbs_new(self, t):
        body = self._common(t)
        body.update(address=None, scanPrice=None, salePrice=t["salePrice"], requiredMeta=[], optionalMeta=[],
                    offices=list(t["offices"]), officeId=t["officeId"], finalPrice=t["finalPrice"],
                    convertedFinalPrice=t["convertedFinalPrice"], sellerDate=None)
        return body

    def _render_fbs(self, t):
        body = self._common(t)
        body.update(address=None, offices=list(t["offices"]), officeId=t["officeId"])
        if t.get("supplyId"):
            body["supplyId"] = t["supplyId"]
        if t["wbStatus"] in ("sorted", "sold", "ready_for_pickup", "canceled_by_client"):
            body["scanPrice"] = 1500  # the acceptance fee, once WB has scanned the item
        return body

    @staticmethod
    def _address(t):
        c = t["customer"] or {}
        if not c:
            return None
        place = f"г. {c['city']}" if c["city"] == c["region"] else f"{c['region']}, г. {c['city']}"
        return {"fullAddress": f"{place}, {c['street']}, д. {c['house']}, кв. {c['flat']}",
                "longitude": 37.617635, "latitude": 55.755814}

    def _render_dbs_new(self, t):
        body = self._common(t)
        body.update(address=self._address(t), groupId=t["groupId"], salePrice=t["salePrice"], requiredMeta=[],
                    finalPrice=t["finalPrice"], convertedFinalPrice=t["convertedFinalPrice"])
        return body

    def _render_dbs(self, t):
        body = self._common(t)
        body.update(address=self._address(t), groupId=t["groupId"], finalPrice=t["finalPrice"],
                    convertedFinalPrice=t["convertedFinalPrice"])
        return body

    # --- assembly tasks -------------------------------------------------------------------
    def _is_new(self, t):
        return t["supplierStatus"] == "new" and t["wbStatus"] == "waiting"

    def _fbs_new(self, params, query, body, headers):
        tasks = sorted((t for t in self.orders.values() if t["scheme"] == "fbs" and self._is_new(t)),
                       key=lambda t: t["id"])
        return Reply(200, {"orders": [self._render_fbs_new(t) for t in tasks]})

    def _dbs_new(self, params, query, body, headers):
        tasks = sorted((t for t in self.orders.values() if t["scheme"] == "dbs" and self._is_new(t)),
                       key=lambda t: t["id"])
        return Reply(200, {"orders": [self._render_dbs_new(t) for t in tasks]})

    @staticmethod
    def _int_param(query, key):
        value = query.get(key)
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(key) from None

    def _paged(self, query, selected, render, dates_required):
        try:
            limit = self._int_param(query, "limit")
            after = self._int_param(query, "next")
            date_from = self._int_param(query, "dateFrom")
            date_to = self._int_param(query, "dateTo")
        except ValueError as exc:
            return _error(400, "IncorrectParameter", f"Передан некорректный параметр: {exc}")
        if limit is None or not 1 <= limit <= 1000 or after is None or after < 0:
            return _error(400, "IncorrectParameter", "Передан некорректный параметр: limit, next")
        if dates_required and (date_from is None or date_to is None):
            return _error(400, "IncorrectParameter", "Передан некорректный параметр: dateFrom, dateTo")
        now = datetime.now(timezone.utc)
        start = datetime.fromtimestamp(date_from, timezone.utc) if date_from is not None else now - MAX_PERIOD
        end = datetime.fromtimestamp(date_to, timezone.utc) if date_to is not None else now
        if end < start or end - start > MAX_PERIOD:
            return _error(400, "IncorrectParameter",
                          "Передан некорректный параметр: период не больше 30 календарных дней")
        tasks = sorted((t for t in selected if start <= t["createdAt"] <= end and t["id"] > after),
                       key=lambda t: t["id"])
        page = tasks[:limit]
        next_value = page[-1]["id"] if page else after
        if self.repeat_cursor:
            next_value = after
        return Reply(200, {"next": next_value, "orders": [render(t) for t in page]})

    def _fbs_list(self, params, query, body, headers):
        return self._paged(query, [t for t in self.orders.values() if t["scheme"] == "fbs"], self._render_fbs,
                           dates_required=False)

    def _dbs_list(self, params, query, body, headers):
        finished = [t for t in self.orders.values() if t["scheme"] == "dbs"
                    and (t["wbStatus"] in FINISHED_WB or t["supplierStatus"] in FINISHED_SUPPLIER)]
        return self._paged(query, finished, self._render_dbs, dates_required=True)

    def _asked_tasks(self, body, scheme):
        """The known tasks of one scheme among a request's ``{"orders": [ids]}`` (1..1000 ids);
        None for a body WB would refuse."""
        ids = (body or {}).get("orders")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 1000:
            return None
        tasks = (self.orders.get(str(order_id)) for order_id in ids)
        return [t for t in tasks if t is not None and t["scheme"] == scheme]

    def _status(self, body, scheme):
        tasks = self._asked_tasks(body, scheme)
        if tasks is None:
            return _error(400, "IncorrectRequestBody", "Некорректное тело запроса")
        return Reply(200, {"orders": [{"id": t["id"], "supplierStatus": t["supplierStatus"],
                                       "wbStatus": t["wbStatus"]} for t in tasks]})

    def _fbs_status(self, params, query, body, headers):
        return self._status(body, "fbs")

    def _dbs_status(self, params, query, body, headers):
        return self._status(body, "dbs")

    def _dbs_client(self, params, query, body, headers):
        tasks = self._asked_tasks(body, "dbs")
        if tasks is None:
            return _error(400, "IncorrectRequestBody", "Некорректное тело запроса")
        answer = []
        for t in tasks:
            if not t["customer"]:
                continue
            c = t["customer"]
            answer.append({
                "orderID": t["id"], "firstName": c["first_name"], "fullName": f"{c['last_name']} {c['first_name']}",
                # WB gives substitute numbers, never the buyer's own
                "replacementPhone": c["phone"].lstrip("+"), "phone": "+74951234567", "phoneCode": t["phoneCode"],
                "additionalPhoneCodes": [],
            })
        return Reply(200, {"orders": answer})
