"""Emulation of the Yandex Market Partner API (``api.partner.market.yandex.ru``) for one business.

Authentication is the ``Api-Key`` header; a missing or wrong key is answered ``401`` with the
spec's error body ``{"status": "ERROR", "errors": [{"code": "UNAUTHORIZED", "message": ...}]}``
(messages as in the API's error list: "Credentials are not specified", "Api-Key token is
invalid").  A business id the key does not belong to is answered ``403`` ("Access denied").

Rate limit: the orders method ``POST /v1/businesses/{businessId}/orders`` is documented with
``x-resource-limit-config`` 10 000 requests an hour (and at most 6 parallel requests); the
emulator enforces that limit for the account (all methods together).  Over it, the answer is
``420 Enhance Your Calm`` with ``X-RateLimit-Resource-Until`` — the moment the limit is lifted,
an RFC 822 date in GMT such as ``Thu, 10 Jul 2018 00:42:42 GMT`` (the API's "Restrictions on
requests" page; the spec file documents the 420 body, not the header) — plus
``X-RateLimit-Resource-Limit`` / ``-Remaining`` and the spec's body (``ApiLimitErrorResponse``).
ASSUMPTION: the error code of that body; the spec's typed codes have ``REQUEST_LIMIT_EXCEEDED``,
and the message follows the documented "Hit rate limit of 'N' requests per 'period' for
resource 'R'".

Routes (all in the spec file, request and answer validated against it):

* ``POST /v1/businesses/{businessId}/orders`` — orders of the business (``pageToken`` +
  ``limit`` ≤ 50 in the query, filters in the body: ``campaignIds``, ``orderIds``,
  ``statuses``, ``substatuses``, ``programTypes``, ``fake``, ``dates{creationDateFrom,
  creationDateTo, updateDateFrom, updateDateTo}``).  As documented: creation dates are
  ``YYYY-MM-DD`` (Moscow time), the end date is *not* included, at most 30 days between them,
  the last 30 days when not given — also for a look-up by ``orderIds``, as the real method
  does: an order older than 30 days is found only with a creation period that holds it.  The next page's token is in
  ``paging.nextPageToken``, absent on the last page.
* ``GET /v2/campaigns/{campaignId}/orders/{orderId}/buyer`` — the buyer of a DBS order
  (only in ``PROCESSING``, ``DELIVERY`` or ``PICKUP``).
* ``GET /v2/campaigns`` — the business's campaigns (shops) and their placement type.
* ``POST /v2/businesses/{businessId}/offer-mappings`` — the catalogue (``pageToken`` paging,
  ``limit`` ≤ 100), ``offer.offerId`` / ``name`` / ``barcodes`` / ``basicPrice`` and
  ``mapping.marketSku``.
* ``POST /v2/businesses/{businessId}/warehouses`` — the seller's warehouses per campaign
  (``limit`` ≤ 30), ``GET /v2/warehouses`` — Market's fulfilment warehouses (FBY).

The business has four campaigns in :attr:`YandexApp.SETTINGS` — FBS (Подольск), FBS with
Express (Казань), DBS (the seller delivers from a shop in Moscow), FBY (Market's warehouses) —
and a LaaS campaign that is not imported.  An order carries ``programType`` (FBS, EXPRESS, DBS,
FBY), times in ISO 8601 with the Moscow offset, and item prices in roubles (``RUR``) as totals
for all units of the item: ``payment`` (money) + ``cashback`` (Plus points) is what the buyer
paid, ``subsidy`` what the Market pays the seller on top.
"""
import base64
import hashlib
import json
import math
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from email.utils import format_datetime

from . import data
from .server import App, Reply

KOPECK = Decimal("0.01")
MSK = timezone(timedelta(hours=3))

BUSINESS = {"id": 11223344, "name": "ООО «Ромашка»"}
#: the business's campaigns (shops); one warehouse each, FBY ships from Market's warehouses
CAMPAIGNS = [
    {"id": 21001001, "domain": "Ромашка — FBS Подольск", "placementType": "FBS", "program": "FBS",
     "warehouse": {"id": 61001, "name": "Склад Подольск", "express": False, "city": "Подольск",
                   "street": "ул. Комсомольская", "number": "1", "gps": (55.4312, 37.5446)}},
    {"id": 21001002, "domain": "Ромашка — Экспресс Казань", "placementType": "FBS", "program": "EXPRESS",
     "warehouse": {"id": 61002, "name": "Склад Казань (Экспресс)", "express": True, "city": "Казань",
                   "street": "ул. Техническая", "number": "12", "gps": (55.7887, 49.1221)}},
    {"id": 21001003, "domain": "Ромашка — доставка магазина", "placementType": "DBS", "program": "DBS",
     "warehouse": {"id": 61003, "name": "Магазин на Садовой", "express": False, "city": "Москва",
                   "street": "ул. Садовая", "number": "5", "gps": (55.7601, 37.6186)}},
    {"id": 21001004, "domain": "Ромашка — FBY", "placementType": "FBY", "program": "FBY", "warehouse": None},
    # not in SETTINGS: the seller's LaaS shop (orders from other platforms, never imported)
    {"id": 21001005, "domain": "Ромашка — LaaS", "placementType": "LAAS", "program": "LAAS",
     "warehouse": {"id": 61005, "name": "Склад LaaS", "express": False, "city": "Химки",
                   "street": "ул. Заводская", "number": "3", "gps": (55.8970, 37.4297)}},
]
CAMPAIGN_BY_ID = {c["id"]: c for c in CAMPAIGNS}
#: Market's fulfilment warehouses (FBY orders ship from them)
FF_WAREHOUSES = [
    {"id": 172, "name": "Софьино", "city": "Софьино", "street": "ул. Логистическая", "number": "1/1",
     "gps": (55.5026, 38.0937)},
    {"id": 171, "name": "Томилино", "city": "Томилино", "street": "мкр. Птицефабрика", "number": "стр. 1",
     "gps": (55.6483, 37.9442)},
    {"id": 300, "name": "Екатеринбург", "city": "Екатеринбург", "street": "ул. Альпинистов", "number": "57",
     "gps": (56.7788, 60.6063)},
    {"id": 301, "name": "Санкт-Петербург Шушары", "city": "Санкт-Петербург", "street": "Московское ш.",
     "number": "70", "gps": (59.7893, 30.3817)},
]
REGION_IDS = {"Москва": 213, "Санкт-Петербург": 2, "Казань": 43, "Екатеринбург": 54, "Новосибирск": 65,
              "Нижний Новгород": 47, "Краснодар": 35}

STATUSES = ("PLACING", "RESERVED", "UNPAID", "PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED",
            "PENDING", "PARTIALLY_RETURNED", "RETURNED", "UNKNOWN")
#: the substatus a status change stamps when none is given
DEFAULT_SUBSTATUS = {
    "PROCESSING": "STARTED", "DELIVERY": "DELIVERY_SERVICE_RECEIVED", "PICKUP": "PICKUP_SERVICE_RECEIVED",
    "DELIVERED": "DELIVERY_SERVICE_DELIVERED", "CANCELLED": "USER_CHANGED_MIND", "UNPAID": "WAITING_USER_INPUT",
    "PENDING": "AWAIT_CONFIRMATION", "PARTIALLY_RETURNED": "UNKNOWN", "RETURNED": "UNKNOWN",
    "PLACING": "UNKNOWN", "RESERVED": "UNKNOWN", "UNKNOWN": "UNKNOWN",
}
SHIPPED_STATUSES = ("DELIVERY", "PICKUP", "DELIVERED", "PARTIALLY_RETURNED", "RETURNED")
BUYER_STATUSES = ("PROCESSING", "DELIVERY", "PICKUP")
MAX_PERIOD_DAYS = 30


def _iso(moment):
    """ISO 8601 with the Moscow offset, whole seconds, as the Market writes its order times."""
    return moment.astimezone(MSK).isoformat(timespec="seconds")


def _money(value, currency="RUR"):
    return {"value": float(value), "currencyId": currency}


def _error(status, code, message):
    return Reply(status, {"status": "ERROR", "errors": [{"code": code, "message": message}]})


def _parse_dt(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MSK)
    return moment.astimezone(timezone.utc)


class YandexApp(App):
    name = "yandex"
    #: getBusinessOrders: x-resource-limit-config 10 000 requests an hour (the account's budget here)
    rate_limit = (10000, 3600.0)
    CREDENTIALS = {"api_key": "ACMA:r6Qe2Zk1bX9vTnP4sLw8yHc3JdF5mGa0:5f1c0b7e"}
    SETTINGS = {"business_id": BUSINESS["id"], "campaign_ids": [c["id"] for c in CAMPAIGNS[:4]]}
    #: the default mix of schemes for add_orders(scheme=None)
    SCHEME_WEIGHTS = (("fbs", 0.5), ("dbs", 0.2), ("fbo", 0.3))
    #: seconds until the limit is lifted in a forced rate-limit answer
    limit_wait = 2.0

    def __init__(self, emulator):
        super().__init__(emulator)
        self.orders = {}  # str(orderId) -> the order as the Market holds it (see _new_order)
        self.catalog = []
        self.by_offer = {}
        #: test knob: the paged lists answer the same page token again and again (a broken API)
        self.repeat_cursor = False
        #: every X-RateLimit-Resource-Until given, in order (for the tests)
        self.limit_answers = []
        self._next_id = 0
        self._next_item = 0
        routes = [
            ("POST", "/v1/businesses/{businessId}/orders", self._orders),
            ("GET", "/v2/campaigns/{campaignId}/orders/{orderId}/buyer", self._buyer),
            ("GET", "/v2/campaigns", self._campaigns),
            ("POST", "/v2/businesses/{businessId}/offer-mappings", self._offer_mappings),
            ("POST", "/v2/businesses/{businessId}/warehouses", self._warehouses),
            ("GET", "/v2/warehouses", self._ff_warehouses),
        ]
        for method, path, handler in routes:
            self.add_route(method, path, handler)
        self.set_catalog(data.default_catalog())

    # --- core hooks -----------------------------------------------------------------------
    def authenticate(self, headers):
        key = headers.get("Api-Key")
        if not key:
            return _error(401, "UNAUTHORIZED", "Credentials are not specified")
        if key != self.CREDENTIALS["api_key"]:
            return _error(401, "UNAUTHORIZED", "Api-Key token is invalid")
        return None

    def spec_error_reply(self, route, message):
        """The Market's 400: ``ApiClientDataErrorResponse`` ``{status: ERROR, errors: [{code, message}]}``."""
        return _error(400, "BAD_REQUEST", f"Request is invalid: {message[:300]}")

    def rate_limited_reply(self):
        count, seconds = self.rate_limit
        wait = self._window_wait() or self.limit_wait
        # an RFC 822 date has whole seconds: the limit is lifted at the next whole second
        until = datetime.fromtimestamp(math.ceil(datetime.now(timezone.utc).timestamp() + wait), tz=timezone.utc)
        stamp = format_datetime(until, usegmt=True)
        self.limit_answers.append(stamp)
        period = f"{int(seconds // 3600)} hour" if seconds >= 3600 else f"{int(seconds)} seconds"
        return Reply(420, {"status": "ERROR", "errors": [{
            "code": "REQUEST_LIMIT_EXCEEDED",
            "message": f"Hit rate limit of {count} requests per {period} for resource 283"}]},
            headers={"X-RateLimit-Resource-Until": stamp, "X-RateLimit-Resource-Limit": str(count),
                     "X-RateLimit-Resource-Remaining": "0"}, validate=False)

    def _window_wait(self):
        """Seconds until the oldest call of a full window leaves it (over the real limit).
        Reads the core's sliding windows (``MarketplaceEmulator._windows``)."""
        count, seconds = self.rate_limit
        windows = getattr(self.emulator, "_windows", {})
        waits = [window[0] + seconds - self.emulator.clock() for key, window in list(windows.items())
                 if key and key[0] == self.name and len(window) >= count]
        return max(waits) if waits else None

    # --- test-facing state --------------------------------------------------------------------
    def set_catalog(self, items):
        with self.lock:
            self.catalog = []
            for item in items:
                index = int(item.get("index") or len(self.catalog) + 1)
                product = dict(item)
                product["price"] = Decimal(str(item["price"])).quantize(KOPECK)
                product.setdefault("market_sku", 101000000000 + index * 7919)
                product.setdefault("category_id", 90000 + index % 7)
                self.catalog.append(product)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}

    def add_sized_cards(self, cards=None):
        """Offers that are variants of one model (sizes: ``data.sized_catalog``), after the
        catalogue: one offerId and barcode per size, the model's ``groupId`` shared.  Returns
        [{offer_code (the model), offers: [{offer_code, barcode, market_sku, size}]}]."""
        cards = data.sized_catalog() if cards is None else cards
        added = []
        with self.lock:
            for card in cards:
                group = {"offer_code": card["offer_code"], "offers": []}
                for size in card["sizes"]:
                    product = {
                        "offer_code": size["offer_code"], "name": size["name"], "barcode": size["barcode"],
                        "price": Decimal(str(card["price"])).quantize(KOPECK), "index": size["index"],
                        "market_sku": 101000000000 + size["index"] * 7919, "category_id": 90000 + size["index"] % 7,
                        "group_id": card["offer_code"], "size": size["size"],
                    }
                    self.catalog.append(product)
                    group["offers"].append({"offer_code": product["offer_code"], "barcode": product["barcode"],
                                            "market_sku": product["market_sku"], "size": size["size"]})
                added.append(group)
            self.by_offer = {p["offer_code"]: p for p in self.catalog}
        return added

    def warehouses(self):
        result = []
        for campaign in CAMPAIGNS:
            if campaign["id"] not in self.SETTINGS["campaign_ids"] or not campaign["warehouse"]:
                continue
            scheme = "dbs" if campaign["placementType"] == "DBS" else "fbs"
            result.append({"ref": str(campaign["warehouse"]["id"]), "name": campaign["warehouse"]["name"],
                           "scheme": scheme})
        result += [{"ref": str(w["id"]), "name": w["name"], "scheme": "fbo"} for w in FF_WAREHOUSES]
        return result

    def add_orders(self, count, scheme=None, created_at=None, offer_codes=None, max_lines=3, currency=None):
        """``count`` orders.  ``currency``: a shop abroad ("KZT", "BYN", "UZS"…, see ``data.RATES``):
        every amount of the order in it (``currencyId``)."""
        assert currency is None or currency in data.RATES, currency
        rng = self.emulator.random
        now = datetime.now(timezone.utc)
        created = []
        with self.lock:
            for _ in range(count):
                kind = scheme or self._draw_scheme(rng)
                if created_at is not None:
                    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
                    moment = moment.astimezone(timezone.utc)
                else:
                    moment = now - timedelta(seconds=rng.randrange(60, 6 * 3600))
                order = self._new_order(rng, kind, moment.replace(microsecond=0), offer_codes, max_lines,
                                        currency or "RUB")
                self.orders[str(order["orderId"])] = order
                created.append(str(order["orderId"]))
        return created

    def cancel_order(self, external_id):
        """Cancelled by the buyer (after the hand-over: refused on delivery)."""
        with self.lock:
            order = self.orders[str(external_id)]
            shipped = order["status"] in SHIPPED_STATUSES
            self._set(order, "CANCELLED", "USER_REFUSED_DELIVERY" if shipped else "USER_CHANGED_MIND")

    def ship_order(self, external_id):
        """Handed over to delivery; a closed order stays as it is."""
        with self.lock:
            order = self.orders[str(external_id)]
            if order["status"] in ("CANCELLED", "DELIVERED", "PARTIALLY_RETURNED", "RETURNED"):
                return
            self._set(order, "DELIVERY", "DELIVERY_SERVICE_RECEIVED")

    #: set_state's words -> (status, substatus)
    STATE_WORDS = {
        "new": ("PROCESSING", "STARTED"), "processing": ("PROCESSING", "READY_TO_SHIP"),
        "shipped": ("DELIVERY", "DELIVERY_SERVICE_RECEIVED"), "delivered": ("DELIVERED", "DELIVERY_SERVICE_DELIVERED"),
        "returned": ("RETURNED", "UNKNOWN"), "lost": ("CANCELLED", "DELIVERY_SERVICE_LOST"),
        "cancelled": ("CANCELLED", "USER_CHANGED_MIND"), "cancelled_after_shipping": ("CANCELLED", "USER_REFUSED_DELIVERY"),
        "partially_returned": ("PARTIALLY_RETURNED", "UNKNOWN"),
    }

    def set_state(self, external_id, state):
        """Move an order to a neutral state the way the Market words it (:attr:`STATE_WORDS`):
        ``new``, ``processing``, ``shipped``, ``delivered``, ``returned`` (status RETURNED),
        ``lost`` (cancelled, DELIVERY_SERVICE_LOST), ``cancelled``, ``cancelled_after_shipping``
        (cancelled after the hand-over: the buyer refused the delivery)."""
        if state not in self.STATE_WORDS:
            raise ValueError(f"Yandex Market orders have no state {state!r}")
        self.set_status(external_id, *self.STATE_WORDS[state])

    def set_status(self, external_id, status, substatus=None):
        """Any status (and substatus) of the spec, stamped now."""
        assert status in STATUSES, status
        with self.lock:
            self._set(self.orders[str(external_id)], status, substatus or DEFAULT_SUBSTATUS[status])

    # --- building orders ------------------------------------------------------------------------
    def _draw_scheme(self, rng):
        roll = rng.random()
        for kind, weight in self.SCHEME_WEIGHTS:
            if roll < weight:
                return kind
            roll -= weight
        return self.SCHEME_WEIGHTS[0][0]

    def _product(self, rng, code):
        product = self.by_offer.get(code)
        if product is None:  # an article the seller's catalogue does not have
            digest = int(hashlib.sha1(code.encode()).hexdigest()[:8], 16)
            product = {"offer_code": code, "name": f"Товар {code}", "barcode": "",
                       "price": Decimal(rng.randrange(19900, 499900, 100)) / 100,
                       "market_sku": 102000000000 + digest % 10 ** 8}
        return product

    def _campaign_for(self, rng, kind):
        placement = {"fbs": "FBS", "dbs": "DBS", "fbo": "FBY"}[kind]
        return rng.choice([c for c in CAMPAIGNS if c["placementType"] == placement
                           and c["id"] in self.SETTINGS["campaign_ids"]])

    def _new_order(self, rng, kind, moment, offer_codes, max_lines, currency="RUB"):
        if not self._next_id:
            self._next_id = rng.randrange(48_100_000_000, 48_900_000_000)
        self._next_id += rng.randrange(1, 400)
        campaign = self._campaign_for(rng, kind)
        codes = list(offer_codes) if offer_codes else [p["offer_code"] for p in self.catalog]
        items = []
        for code in rng.sample(codes, rng.randint(1, max(1, min(max_lines, len(codes))))):
            product = self._product(rng, code)
            discount = Decimal(rng.choice([0, 0, 0, 3, 5, 7, 10, 12])) / 100
            listed = data.in_currency(product["price"], currency)
            unit = (listed * (1 - discount)).quantize(KOPECK, rounding=ROUND_HALF_UP)
            count = rng.choice([1, 1, 1, 1, 2, 3])
            total = unit * count
            # now and then part of it is paid with Plus points (whole points = roubles)
            cashback = Decimal(min(int(total), rng.randrange(10, 300))) if rng.random() < 0.2 else Decimal(0)
            self._next_item += 1
            items.append({
                "id": 310_000_000 + self._next_item, "offerId": product["offer_code"], "offerName": product["name"],
                "count": count, "unit": unit, "payment": total - cashback, "cashback": cashback,
                # the Market pays the seller the discount it gave
                "subsidy": ((listed - unit) * count).quantize(KOPECK),
                "market_sku": product["market_sku"],
            })
        if kind == "fbo":
            warehouse_id = rng.choice(FF_WAREHOUSES)["id"]
        else:
            warehouse_id = campaign["warehouse"]["id"]
        customer = data.customer(rng) if kind == "dbs" else None
        postpaid = kind == "dbs" and rng.random() < 0.3
        return {
            "orderId": self._next_id, "campaignId": campaign["id"], "programType": campaign["program"],
            "scheme": kind, "status": "PROCESSING", "substatus": "STARTED",
            "creationDate": moment, "updateDate": moment,
            "paymentType": "POSTPAID" if postpaid else "PREPAID",
            "paymentMethod": rng.choice(["CARD_ON_DELIVERY", "CASH_ON_DELIVERY"]) if postpaid
            else rng.choice(["YANDEX", "YANDEX", "SBP"]),
            "items": items, "warehouseId": str(warehouse_id), "customer": customer,
            "delivery_price": Decimal(rng.choice([0, 199, 299])) if kind == "dbs" else Decimal(0),
            "shipmentId": rng.randrange(10 ** 8, 10 ** 9) if kind != "fbo" else None,
            "shipmentDate": (moment.astimezone(MSK) + timedelta(days=1)).date(),
            "pickup": kind == "dbs" and rng.random() < 0.25,
            "buyer_id": hashlib.sha1(str(self._next_id).encode()).hexdigest()[:16],
            "currency": "RUR" if currency == "RUB" else currency,
            "sort_key": (_iso(moment), self._next_id), "msk_day": moment.astimezone(MSK).date(),
        }

    @staticmethod
    def _set(order, status, substatus):
        order["status"] = status
        order["substatus"] = substatus
        order["updateDate"] = datetime.now(timezone.utc).replace(microsecond=0)

    # --- rendering --------------------------------------------------------------------------------
    @staticmethod
    def _region(customer):
        city, region = customer["city"], customer["region"]
        country = {"id": 225, "name": "Россия", "type": "COUNTRY"}
        subject = {"id": 10000 + REGION_IDS.get(city, 1), "name": region, "type": "REPUBLIC", "parent": country}
        return {"id": REGION_IDS.get(city, 1), "name": city, "type": "CITY", "parent": subject}

    def _delivery(self, o):
        kind = o["scheme"]
        shipped_by_shop = kind == "dbs"
        delivery = {
            "type": "PICKUP" if o["pickup"] else "DELIVERY",
            "serviceName": "Собственная служба доставки" if shipped_by_shop else "Доставка Маркета",
            "deliveryServiceId": 99 if shipped_by_shop else 1006360,
            "warehouseId": o["warehouseId"],
            "deliveryPartnerType": "SHOP" if shipped_by_shop else "YANDEX_MARKET",
            "dispatchType": "SHOP_OUTLET" if o["pickup"] else ("BUYER" if shipped_by_shop else "MARKET_BRANDED_OUTLET"),
            "dates": {"fromDate": (o["shipmentDate"] + timedelta(days=1)).isoformat(),
                      "toDate": (o["shipmentDate"] + timedelta(days=2)).isoformat()},
            "estimated": False,
        }
        if o["shipmentId"] is not None:
            delivery["shipment"] = {"id": o["shipmentId"], "shipmentDate": o["shipmentDate"].isoformat()}
        c = o["customer"]
        if c:
            address = {"country": "Россия", "postcode": c["zip"], "city": c["city"], "street": c["street"],
                       "house": c["house"], "apartment": c["flat"],
                       "gps": {"latitude": 55.75, "longitude": 37.62}}
            if o["pickup"]:
                delivery["pickup"] = {"address": address, "region": self._region(c), "outletCode": "SHOP-1"}
            else:
                delivery["courier"] = {"address": address, "region": self._region(c)}
        return delivery

    def _render(self, o):
        items = []
        cur = o.get("currency", "RUR")

        def _money(value, currency=cur):
            return {"value": float(value), "currencyId": currency}

        for it in o["items"]:
            prices = {"payment": _money(it["payment"]), "subsidy": _money(it["subsidy"]), "vat": "VAT_22"}
            if it["cashback"]:
                prices["cashback"] = _money(it["cashback"])
            items.append({"id": it["id"], "offerId": it["offerId"], "offerName": it["offerName"],
                          "count": it["count"], "prices": prices})
        payment = sum((it["payment"] for it in o["items"]), Decimal(0)) + o["delivery_price"]
        order = {
            "orderId": o["orderId"], "campaignId": o["campaignId"], "programType": o["programType"],
            "status": o["status"], "substatus": o["substatus"],
            "creationDate": _iso(o["creationDate"]), "updateDate": _iso(o["updateDate"]),
            "paymentType": o["paymentType"], "paymentMethod": o["paymentMethod"], "fake": False,
            "items": items,
            "prices": {
                "payment": _money(payment),
                "subsidy": _money(sum((it["subsidy"] for it in o["items"]), Decimal(0))),
                "cashback": _money(sum((it["cashback"] for it in o["items"]), Decimal(0))),
                "delivery": {"payment": _money(o["delivery_price"]), "vat": "VAT_22"},
            },
            "delivery": self._delivery(o),
            "buyerType": "PERSON", "cancelRequested": False, "sourcePlatform": "MARKET",
        }
        return order

    # --- paging ------------------------------------------------------------------------------------
    @staticmethod
    def _encode_token(key, query):
        raw = json.dumps({"k": key, "q": query}, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_token(token):
        try:
            value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return value["k"], value["q"]
        except (ValueError, KeyError, TypeError):
            return None, None

    def _page(self, keyed, query, asked, limit):
        """One page of ``keyed`` [(key, item)] after the query's pageToken: (items, next token, error).

        The token is opaque to the client; it holds the last key given and a digest of the
        request, so that a token cannot be used with another filter."""
        digest = hashlib.sha1(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()[:16]
        token = query.get("pageToken") or query.get("page_token") or ""
        if isinstance(token, list):
            token = token[-1]
        if token:
            after, token_query = self._decode_token(token)
            if after is None or token_query != digest:
                return None, None, _error(400, "BAD_REQUEST", "Invalid page token")
            after = tuple(after) if isinstance(after, list) else after
            keyed = [(k, item) for k, item in keyed if k > after]
        keyed = sorted(keyed, key=lambda pair: pair[0])
        page = keyed[:limit]
        next_token = self._encode_token(list(page[-1][0]) if isinstance(page[-1][0], tuple) else page[-1][0],
                                        digest) if len(keyed) > limit else None
        if self.repeat_cursor and next_token and token:
            next_token = token
        return [item for _, item in page], next_token, None

    @staticmethod
    def _limit(query, default, maximum):
        try:
            value = int(query.get("limit") or default)
        except (TypeError, ValueError):
            return default
        return max(1, min(value, maximum))

    def _business(self, params):
        try:
            business = int(params["businessId"])
        except (KeyError, ValueError):
            business = 0
        if business != BUSINESS["id"]:
            return _error(403, "FORBIDDEN", "Access denied")
        return None

    # --- orders ------------------------------------------------------------------------------------
    def _orders(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        body = body or {}
        today = datetime.now(MSK).date()
        dates = body.get("dates") or {}
        ids = {int(i) for i in body.get("orderIds") or ()}
        campaigns = set(body.get("campaignIds") or ())
        for campaign in campaigns:
            if campaign not in CAMPAIGN_BY_ID:
                return _error(400, "BAD_REQUEST", f"Campaign {campaign} does not belong to business {BUSINESS['id']}")
        lo = date.fromisoformat(dates["creationDateFrom"]) if dates.get("creationDateFrom") else None
        hi = date.fromisoformat(dates["creationDateTo"]) if dates.get("creationDateTo") else None
        # the period applies to every query, a look-up by orderIds too
        # defaults: the last 30 days, today included (the documented default end, "today",
        # is taken as including today)
        hi = hi or (lo + timedelta(days=MAX_PERIOD_DAYS) if lo else today + timedelta(days=1))
        lo = lo or hi - timedelta(days=MAX_PERIOD_DAYS)
        if hi < lo:
            return _error(400, "BAD_REQUEST", "creationDateTo must not be earlier than creationDateFrom")
        if (hi - lo).days > MAX_PERIOD_DAYS:
            return _error(400, "BAD_REQUEST", f"Too long time period. Maximum is '{MAX_PERIOD_DAYS}' days")
        hi = max(hi, lo + timedelta(days=1))
        upd_lo = _parse_dt(dates["updateDateFrom"]) if dates.get("updateDateFrom") else None
        upd_hi = _parse_dt(dates["updateDateTo"]) if dates.get("updateDateTo") else None
        if upd_lo and upd_hi and upd_hi < upd_lo:
            return _error(400, "BAD_REQUEST", "updateDateTo must not be earlier than updateDateFrom")
        statuses = set(body.get("statuses") or ())
        substatuses = set(body.get("substatuses") or ())
        programs = set(body.get("programTypes") or ())
        selected = []
        pool = ([self.orders[str(i)] for i in ids if str(i) in self.orders] if ids else self.orders.values())
        for o in pool:
            day = o.get("msk_day") or o["creationDate"].astimezone(MSK).date()
            if lo is not None and not lo <= day < hi:
                continue
            if ids and o["orderId"] not in ids:
                continue
            if campaigns and o["campaignId"] not in campaigns:
                continue
            if statuses and o["status"] not in statuses:
                continue
            if substatuses and o["substatus"] not in substatuses:
                continue
            if programs and o["programType"] not in programs:
                continue
            if "fake" in body and body["fake"] is not False:
                continue  # every emulated order is a real buyer's
            if upd_lo and o["updateDate"] < upd_lo or upd_hi and o["updateDate"] > upd_hi:
                continue
            selected.append(o)
        keyed = [(o.get("sort_key") or (_iso(o["creationDate"]), o["orderId"]), o) for o in selected]
        page, token, error = self._page(keyed, query, body, self._limit(query, 50, 50))
        if error:
            return error
        answer = {"orders": [self._render(o) for o in page], "paging": {}}
        if token:
            answer["paging"]["nextPageToken"] = token
        return Reply(200, answer)

    def _buyer(self, params, query, body, headers):
        try:
            campaign, order_id = int(params["campaignId"]), str(int(params["orderId"]))
        except (KeyError, ValueError):
            return _error(404, "NOT_FOUND", "Order not found")
        if campaign not in CAMPAIGN_BY_ID:
            return _error(403, "FORBIDDEN", "Access denied")
        order = self.orders.get(order_id)
        if order is None or order["campaignId"] != campaign:
            return _error(404, "NOT_FOUND", f"Order not found: {order_id}")
        if order["scheme"] != "dbs":
            return _error(400, "CAMPAIGN_TYPE_NOT_SUPPORTED", "Campaign type is not allowed")
        if order["status"] not in BUYER_STATUSES:
            return _error(400, "STATUS_NOT_ALLOWED", f"Buyer information is not available in status {order['status']}")
        c = order["customer"]
        return Reply(200, {"status": "OK", "result": {
            "id": order["buyer_id"], "lastName": c["last_name"], "firstName": c["first_name"],
            "type": "PERSON", "phone": c["phone"], "trusted": False}})

    # --- campaigns, catalogue, warehouses ---------------------------------------------------------
    def _campaigns(self, params, query, body, headers):
        keyed = [(c["id"], c) for c in CAMPAIGNS]
        page, token, error = self._page(keyed, query, {}, self._limit(query, 100, 100))
        if error:
            return error
        answer = {"campaigns": [{
            "domain": c["domain"], "id": c["id"], "clientId": 7700123,
            "business": {"id": BUSINESS["id"], "name": BUSINESS["name"]},
            "placementType": c["placementType"], "apiAvailability": "AVAILABLE",
        } for c in page], "paging": {}}
        if token:
            answer["paging"]["nextPageToken"] = token
        return Reply(200, answer)

    def _offer_mappings(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        body = body or {}
        wanted = body.get("offerIds")
        items = sorted(self.catalog, key=lambda p: p["offer_code"])
        stamp = "2026-03-14T09:26:53+03:00"
        if body.get("archived"):
            items = []  # nothing of this catalogue is in the archive
        if wanted:
            if query.get("pageToken") or query.get("limit"):
                return _error(400, "BAD_REQUEST", "offerIds cannot be used with pageToken or limit")
            items = [p for p in items if p["offer_code"] in set(wanted)]
            page, token = items, None
        else:
            keyed = [(p["offer_code"], p) for p in items]
            page, token, error = self._page(keyed, query, body, self._limit(query, 50, 100))
            if error:
                return error
        selected = [c["id"] for c in CAMPAIGNS if c["placementType"] != "LAAS"]

        def render(p):
            offer = {
                "offerId": p["offer_code"], "name": p["name"], "marketCategoryId": p["category_id"],
                "vendor": "Ромашка", "vendorCode": f"RM-{p['index']:04d}" if p.get("index") else p["offer_code"],
                "description": f"{p['name']}. Товар продавца «Ромашка».",
                "basicPrice": {"value": float(p["price"]), "currencyId": "RUR", "updatedAt": stamp},
                "cardStatus": "HAS_CARD_CAN_NOT_UPDATE",
                "campaigns": [{"campaignId": c, "status": "PUBLISHED"} for c in selected],
                "sellingPrograms": [{"sellingProgram": prog, "status": "FINE"} for prog in ("FBS", "DBS", "FBY")],
                "archived": False,
            }
            if p.get("barcode"):
                offer["barcodes"] = [p["barcode"]]
            if p.get("group_id"):
                offer["groupId"] = p["group_id"]
            return {"offer": offer, "mapping": {
                "marketSku": p["market_sku"], "marketSkuName": p["name"], "marketModelName": p["name"],
                "marketCategoryId": p["category_id"], "marketCategoryName": "Товары для дома"}}

        result = {"offerMappings": [render(p) for p in page], "paging": {}}
        if token:
            result["paging"]["nextPageToken"] = token
        return Reply(200, {"status": "OK", "result": result})

    def _warehouses(self, params, query, body, headers):
        denied = self._business(params)
        if denied:
            return denied
        body = body or {}
        wanted = set(body.get("campaignIds") or ())
        components = set(body.get("components") or ())
        rows = [c for c in CAMPAIGNS if c["warehouse"] and (not wanted or c["id"] in wanted)]
        keyed = [(c["warehouse"]["id"], c) for c in rows]
        page, token, error = self._page(keyed, query, body, self._limit(query, 15, 30))
        if error:
            return error

        def render(c):
            w = c["warehouse"]
            row = {"id": w["id"], "name": w["name"], "campaignId": c["id"], "express": w["express"]}
            if "ADDRESS" in components:
                row["address"] = {"city": w["city"], "street": w["street"], "number": w["number"],
                                  "gps": {"latitude": w["gps"][0], "longitude": w["gps"][1]}}
            if "STATUS" in components:
                row["status"] = {"status": "OTHER"}
            return row

        result = {"warehouses": [render(c) for c in page], "paging": {}}
        if token:
            result["paging"]["nextPageToken"] = token
        return Reply(200, {"status": "OK", "result": result})

    def _ff_warehouses(self, params, query, body, headers):
        return Reply(200, {"status": "OK", "result": {"warehouses": [{
            "id": w["id"], "name": w["name"],
            "address": {"city": w["city"], "street": w["street"], "number": w["number"],
                        "gps": {"latitude": w["gps"][0], "longitude": w["gps"][1]}},
        } for w in FF_WAREHOUSES]}})
