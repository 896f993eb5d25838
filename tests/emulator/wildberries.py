"""Emulation of the Wildberries seller API for one seller account (every API family).

In production WB has one host per API family (``marketplace-api.wildberries.ru`` for
assembly tasks, warehouses and stocks, ``content-api.wildberries.ru`` for product cards,
``common-api.wildberries.ru`` for ``/ping`` and the seller's information); the emulator
serves them all under one prefix, ``/wildberries/...``.

Authentication: the header ``Authorization: <token>`` (``Bearer <token>`` is accepted as
WB does).  A missing or wrong token is answered ``401`` with the body of the spec's ``401``
response (``title``, ``detail``, ``code``, ``requestId``, ``origin``, ``status``,
``statusText``, ``timestamp``).

Rate limit: the documented limit of the FBS assembly-task methods — 300 requests a minute per
seller account (interval 200 ms, burst 20) — is enforced for the account, all methods
together (the core keeps one window per account; WB counts per method group, so the emulator
is the stricter).  Over it the answer is ``429`` with the spec's ``429`` body and the headers of
WB's "Лимиты запросов" page: ``X-Ratelimit-Retry`` (seconds to wait before the next request),
``X-Ratelimit-Limit`` (the burst) and ``X-Ratelimit-Reset`` (seconds until the burst is whole
again).

Routes, all in the spec files ``../shared/specs/wildberries`` and validated against them:

* FBS (``03-orders-fbs.yaml``): ``GET /api/v3/orders/new`` (every new assembly task),
  ``GET /api/v3/orders`` (``limit`` 1..1000 + ``next`` paging — ``next`` is the id of the last
  task given; ``dateFrom``/``dateTo`` in Unix seconds on ``createdAt``, at most 30 days, the last
  30 days by default; no status in the answer), ``POST /api/v3/orders/status`` (at most 1000 ids).
* DBS (``05-orders-dbs.yaml``): ``GET /api/v3/dbs/orders/new``, ``GET /api/v3/dbs/orders``
  (as documented: only *finished* tasks — sold or cancelled —, ``dateFrom``/``dateTo``
  required), ``POST /api/v3/dbs/orders/status``, ``POST /api/v3/dbs/orders/client`` (the
  buyer's name and substitute phone numbers).
* Cards (``02-products.yaml``): ``POST /content/v2/get/cards/list`` — ``settings.cursor``
  paging (``limit`` ≤ 100; the answer's ``cursor.updatedAt`` + ``cursor.nmID`` go into the
  next request; the last page is the one whose ``cursor.total`` is below the limit), sorted by
  ``updatedAt`` (descending unless ``sort.ascending``).  ``GET /api/v3/warehouses``.
* General (``01-general.yaml``): ``GET /ping``, ``GET /api/v1/seller-info``.

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

Test knobs: ``repeat_cursor`` (the paged lists answer the cursor they were given, a broken
API) and ``retry_hint`` (the ``X-Ratelimit-Retry`` of the 429 answers).
"""
import base64
import json
import math
import random
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from . import data
from .server import App, Reply

KOPECK = Decimal("0.01")
RUB, BYN = 643, 933
#: ISO 4217 numeric codes of the currencies the emulated sellers may work in
CURRENCY_CODES = {"RUB": 643, "KZT": 398, "BYN": 933, "UZS": 860, "KGS": 417, "AMD": 51}
#: roubles for one Belarusian rouble (for the emulated buyers in Belarus)
BYN_RATE = Decimal("27.40")

#: the seller's warehouses (``/api/v3/warehouses``): deliveryType 1 FBS, 2 DBS, 6 EDBS, 3 DBW
SELLER_WAREHOUSES = [
    {"id": 1281530, "name": "Склад Подольск (FBS)", "officeId": 507, "deliveryType": 1, "office": "Коледино"},
    {"id": 1281547, "name": "Склад Казань (FBS)", "officeId": 117986, "deliveryType": 1, "office": "Казань"},
    {"id": 1302288, "name": "Магазин на Садовой (DBS)", "officeId": 0, "deliveryType": 2, "office": ""},
    {"id": 1302291, "name": "Экспресс-доставка, Москва (EDBS)", "officeId": 0, "deliveryType": 6, "office": ""},
    # a warehouse for WB's couriers (DBW): its orders come from another API, not imported
    {"id": 1310004, "name": "Склад под курьера WB (DBW)", "officeId": 0, "deliveryType": 3, "office": ""},
]
SCHEME_OF_DELIVERY_TYPE = {1: "fbs", 2: "dbs", 6: "dbs"}

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
SUBJECTS = {
    "Футболка": (192, "Футболки"), "Кружка": (2780, "Кружки"), "Рюкзак": (50, "Рюкзаки"),
    "Чехол": (3091, "Чехлы для телефонов"), "Термос": (1381, "Термосы"), "Полотенце": (1130, "Полотенца"),
    "Носки": (91, "Носки"), "Зонт": (474, "Зонты"), "Ежедневник": (2120, "Ежедневники"),
    "Наушники": (1407, "Наушники"), "Кабель": (3379, "Кабели и переходники"), "Настольная": (1260, "Лампы"),
    "Сковорода": (1420, "Сковороды"), "Коврик": (3940, "Коврики для йоги"), "Детский": (767, "Конструкторы"),
    "Шампунь": (1642, "Шампуни"),
}


def _rfc3339(moment):
    """WB's times: RFC 3339 in UTC, whole seconds (``2022-05-04T07:56:29Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _card_time(moment):
    """Card times carry microseconds (``2023-12-06T11:17:00.96577Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_card_time(value):
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _kopecks(amount):
    return int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _b64(data_bytes):
    return base64.urlsafe_b64encode(data_bytes).rstrip(b"=").decode()


def _make_token():
    """A token shaped like WB's (a JWT: ES256 header, the seller's id ``sid``, a scope mask)."""
    header = _b64(json.dumps({"alg": "ES256", "kid": "20250805v1", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({
        "ent": 1, "exp": 1802995200, "id": "0198a1c2-7e44-7d1c-9b2e-5f3c0a6d8e21", "iid": 48213077,
        "oid": 4127730, "s": 1073758462, "sid": "a3f1c9e2-54b7-4d0e-8c21-7b9e0f6d2a48", "t": False,
        "uid": 48213077}, separators=(",", ":")).encode())
    signature = _b64(bytes((i * 37 + 11) % 256 for i in range(64)))
    return f"{header}.{payload}.{signature}"


def _error(status, code, message):
    return Reply(status, {"code": code, "message": message})


class WildberriesApp(App):
    name = "wildberries"
    #: "1 минута | 300 запросов | 200 миллисекунд | 20 запросов" (FBS assembly-task methods)
    rate_limit = (300, 60.0)
    CREDENTIALS = {"token": _make_token()}
    SETTINGS = {"schemes": ["fbs", "dbs"]}
    SELLER = {"name": "ООО «Северный ветер»", "sid": "a3f1c9e2-54b7-4d0e-8c21-7b9e0f6d2a48",
              "tradeMark": "Nord Wind Home"}
    #: the default share of DBS tasks for add_orders(scheme=None)
    DBS_SHARE = 0.25

    def __init__(self, emulator):
        super().__init__(emulator)
        self.orders = {}  # str(id) -> the assembly task as WB holds it (see _new_task)
        self.catalog = []
        self.by_offer = {}
        #: test knob: the paged lists answer the cursor they were given (a broken API)
        self.repeat_cursor = False
        #: test knob: the X-Ratelimit-Retry of the 429 answers (None: the time the window needs)
        self.retry_hint = None
        self._next_id = 3847201000
        self._supply_seq = 0
        # the ids in error bodies: a stream of their own, so that refused calls never change the
        # orders a seed gives
        self._error_random = random.Random(emulator.seed)
        routes = [
            ("GET", "/api/v3/orders/new", self._fbs_new),
            ("GET", "/api/v3/orders", self._fbs_list),
            ("POST", "/api/v3/orders/status", self._fbs_status),
            ("GET", "/api/v3/dbs/orders/new", self._dbs_new),
            ("GET", "/api/v3/dbs/orders", self._dbs_list),
            ("POST", "/api/v3/dbs/orders/status", self._dbs_status),
            ("POST", "/api/v3/dbs/orders/client", self._dbs_client),
            ("POST", "/content/v2/get/cards/list", self._cards_list),
            ("GET", "/api/v3/warehouses", self._warehouses),
            ("GET", "/ping", self._ping),
            ("GET", "/api/v1/seller-info", self._seller_info),
        ]
        for method, path, handler in routes:
            self.add_route(method, path, handler)
        self.set_catalog(data.default_catalog())

    # --- core hooks ---------------------------------------------------------------------
    def _wb_error(self, status, title, detail, status_text):
        rng = self._error_random
        return {
            "title": title, "detail": detail,
            "code": f"07e4668e-{rng.getrandbits(48):012x}-[UK-{rng.getrandbits(40):010x}]",
            "requestId": f"{rng.getrandbits(128):032x}", "origin": "s2s-api-auth-catalog",
            "status": status, "statusText": status_text, "timestamp": _rfc3339(datetime.now(timezone.utc)),
        }

    def authenticate(self, headers):
        value = (headers.get("Authorization") or "").strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if not value:
            detail = "empty Authorization header"
        elif value.count(".") != 2:
            detail = "token problem; token is malformed: token contains an invalid number of segments"
        elif value != self.CREDENTIALS["token"]:
            detail = "token problem; token is malformed: could not verify the signature"
        else:
            return None
        return Reply(401, self._wb_error(401, "unauthorized", detail, "Unauthorized"))

    def spec_error_reply(self, route, message):
        """WB's 400: the content API's ``{data, error, errorText, additionalErrors}``, the
        marketplace API's ``{code, message}`` (``IncorrectParameter`` for the query,
        ``IncorrectRequestBody`` for the body)."""
        if route.template.startswith("/content/"):
            return Reply(400, {"data": None, "error": True, "errorText": f"Invalid request: {message[:300]}",
                               "additionalErrors": None})
        code = "IncorrectRequestBody" if route.method in ("POST", "PUT", "PATCH") else "IncorrectParameter"
        return _error(400, code, f"Передан некорректный параметр: {message[:300]}")

    def rate_limited_reply(self):
        retry = self.retry_hint if self.retry_hint is not None else self._seconds_until_free()
        body = self._wb_error(429, "too many requests", "limited by c122a060-a7fb-4bb4-abb0-32fd4e18d489",
                              "Too Many Requests")
        # burst 20 at one request every 200 ms: the burst is whole again 4 s after the last call
        return Reply(429, body, headers={"X-Ratelimit-Retry": retry, "X-Ratelimit-Limit": 20,
                                         "X-Ratelimit-Reset": max(retry, 4)})

    def _seconds_until_free(self):
        """Whole seconds until the account's window takes a request again (1 at least)."""
        count, seconds = self.rate_limit
        now = self.emulator.clock()
        waits = []
        emu = self.emulator
        with emu._records_lock:
            for key, window in emu._windows.items():
                if key[0] == self.name and len(window) >= count:
                    waits.append(window[0] + seconds - now)
        return max(1, math.ceil(max(waits))) if waits else 1

    # --- test-facing state ----------------------------------------------------------------
    def set_catalog(self, items):
        with self.lock:
            self.catalog = []
            base = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone.utc)
            for item in items:
                index = int(item.get("index") or len(self.catalog) + 1)
                product = dict(item)
                product["price"] = Decimal(str(item["price"])).quantize(KOPECK)
                product.setdefault("nm_id", 180000000 + index * 37)
                product.setdefault("chrt_id", 290000000 + index * 53)
                product.setdefault("imt_id", 150000000 + index * 41)
                name = product["name"]
                product.setdefault("tech_size", name.rsplit(", ", 1)[-1] if ", " in name else "0")
                product.setdefault("updated_at", base + timedelta(minutes=index * 7, microseconds=index * 9655))
                # one size unless the item says otherwise (see add_sized_cards)
                product.setdefault("sizes", [{"chrt_id": product["chrt_id"], "tech_size": product["tech_size"],
                                              "barcode": product.get("barcode") or ""}])
                self.catalog.append(product)
            self._index()

    def _index(self):
        self.by_offer = {p["offer_code"]: p for p in self.catalog}
        self.by_chrt = {int(size["chrt_id"]): (p, size) for p in self.catalog for size in p["sizes"]}

    def add_sized_cards(self, cards=None):
        """Cards with several sizes (clothes, shoes: :func:`data.sized_catalog`), after the
        catalogue: one vendorCode a card, each size its own chrtID, techSize and barcode.
        Returns the cards as WB shows them: [{offer_code, nm_id, sizes: [{chrt_id, tech_size,
        barcode}]}]."""
        cards = data.sized_catalog() if cards is None else cards
        base = datetime(2025, 4, 2, 10, 0, 0, tzinfo=timezone.utc)
        added = []
        with self.lock:
            for card in cards:
                first = card["sizes"][0]["index"]
                product = {
                    "offer_code": card["offer_code"], "name": card["name"],
                    "price": Decimal(str(card["price"])).quantize(KOPECK), "index": first,
                    "nm_id": 180000000 + first * 37, "imt_id": 150000000 + first * 41,
                    "chrt_id": 290000000 + first * 53, "barcode": card["sizes"][0]["barcode"],
                    "tech_size": card["sizes"][0]["size"],
                    "updated_at": base + timedelta(minutes=card.get("model_index", len(added)) * 3),
                    "sizes": [{"chrt_id": 290000000 + size["index"] * 53, "tech_size": size["size"],
                               "barcode": size["barcode"]} for size in card["sizes"]],
                }
                self.catalog.append(product)
                added.append({"offer_code": product["offer_code"], "nm_id": product["nm_id"],
                              "sizes": [dict(size) for size in product["sizes"]]})
            self._index()
        return added

    def warehouses(self):
        return [{"ref": str(w["id"]), "name": w["name"], "scheme": SCHEME_OF_DELIVERY_TYPE[w["deliveryType"]]}
                for w in SELLER_WAREHOUSES if w["deliveryType"] in SCHEME_OF_DELIVERY_TYPE]

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

    # --- cards, warehouses, general ---------------------------------------------------------
    def _card(self, p):
        word = p["name"].split(" ", 1)[0].rstrip(",")
        subject_id, subject_name = SUBJECTS.get(word, (1, "Товары"))
        stamp = _card_time(p["updated_at"])
        return {
            "nmID": p["nm_id"], "imtID": p["imt_id"], "nmUUID": f"01bda0b1-5c0b-736c-b2be-{p['nm_id']:012d}",
            "subjectID": subject_id, "subjectName": subject_name, "vendorCode": p["offer_code"],
            "brand": self.SELLER["tradeMark"], "title": p["name"], "description": f"{p['name']}. Описание товара.",
            "needKiz": False, "photos": [], "wholesale": {"enabled": False, "quantum": 0},
            "dimensions": {"length": 30, "width": 20, "height": 10, "weightBrutto": 0.45, "isValid": True},
            "characteristics": [{"id": 14177449, "name": "Цвет", "value": [p["name"].split(", ")[1]
                                                                            if p["name"].count(", ") >= 2 else "белый"]}],
            "sizes": [{"chrtID": size["chrt_id"], "techSize": size["tech_size"], "wbSize": "",
                       "skus": [size["barcode"]] if size.get("barcode") else []} for size in p["sizes"]],
            "tags": [], "createdAt": stamp, "updatedAt": stamp,
        }

    def _cards_list(self, params, query, body, headers):
        settings = (body or {}).get("settings") or {}
        cursor = settings.get("cursor") or {}
        limit = cursor.get("limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            return _error(400, "IncorrectRequest", "cursor.limit must be 1..100")
        ascending = bool((settings.get("sort") or {}).get("ascending", False))
        cards = sorted(self.catalog, key=lambda p: (p["updated_at"], p["nm_id"]), reverse=not ascending)
        if cursor.get("updatedAt") or cursor.get("nmID"):
            try:
                key = (_parse_card_time(cursor["updatedAt"]), int(cursor["nmID"]))
            except (KeyError, TypeError, ValueError):
                return _error(400, "IncorrectRequest", "cursor.updatedAt and cursor.nmID go together")
            cards = [p for p in cards if ((p["updated_at"], p["nm_id"]) > key if ascending
                                          else (p["updated_at"], p["nm_id"]) < key)]
        text = str((settings.get("filter") or {}).get("textSearch") or "")
        if text:
            cards = [p for p in cards if text in (p["offer_code"], str(p["nm_id"]))
                     or any(text == size.get("barcode") for size in p["sizes"])]
        page = cards[:limit]
        answer_cursor = {"total": len(page)}
        if page:
            answer_cursor.update(updatedAt=_card_time(page[-1]["updated_at"]), nmID=page[-1]["nm_id"])
        if self.repeat_cursor and cursor.get("nmID"):
            answer_cursor.update(updatedAt=cursor["updatedAt"], nmID=cursor["nmID"])
        return Reply(200, {"cards": [self._card(p) for p in page], "cursor": answer_cursor})

    def _warehouses(self, params, query, body, headers):
        return Reply(200, [{"id": w["id"], "name": w["name"], "officeId": w["officeId"], "cargoType": 1,
                            "deliveryType": w["deliveryType"], "isDeleting": False, "isProcessing": False}
                           for w in SELLER_WAREHOUSES])

    def _ping(self, params, query, body, headers):
        moscow = datetime.now(timezone(timedelta(hours=3))).replace(microsecond=0)
        return Reply(200, {"TS": moscow.isoformat(), "Status": "OK"})

    def _seller_info(self, params, query, body, headers):
        return Reply(200, dict(self.SELLER))
