"""Yandex Market orders (:class:`YandexOrders`): the orders of the business and their buyers.

Routes:

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

An order carries ``programType`` (FBS, EXPRESS, DBS, FBY), times in ISO 8601 with the Moscow
offset, and item prices in roubles (``RUR``) as totals for all units of the item: ``payment``
(money) + ``cashback`` (Plus points) is what the buyer paid, ``subsidy`` what the Market pays
the seller on top.
"""
import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from .. import data
from ..server import Reply
from .core import BUSINESS, CAMPAIGN_BY_ID, CAMPAIGNS, FF_WAREHOUSES, KOPECK, MSK, _error, _iso

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


def _parse_dt(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MSK)
    return moment.astimezone(timezone.utc)


class YandexOrders:
    """Orders and their buyers: a mixin of :class:`~.YandexApp` (it reads the catalogue of
    :class:`~.catalog.YandexCatalog` and pages with :class:`~.core.YandexCore`)."""

    #: the default mix of schemes for add_orders(scheme=None)
    SCHEME_WEIGHTS = (("fbs", 0.5), ("dbs", 0.2), ("fbo", 0.3))

    def install_orders(self):
        """The orders' state and routes (the app's constructor calls it)."""
        self.orders = {}  # str(orderId) -> the order as the Market holds it (see _new_order)
        self._next_id = 0
        self._next_item = 0
        self.add_route("POST", "/v1/businesses/{businessId}/orders", self._orders)
        self.add_route("GET", "/v2/campaigns/{campaignId}/orders/{orderId}/buyer", self._buyer)

    # --- test-facing state --------------------------------------------------------------------
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
        order, error = self._order_in_path(params)
        if error:
            return error
        order_id = str(order["orderId"])
        if order["scheme"] != "dbs":
            return _error(400, "CAMPAIGN_TYPE_NOT_SUPPORTED", "Campaign type is not allowed")
        if order["status"] not in BUYER_STATUSES:
            return _error(400, "STATUS_NOT_ALLOWED", f"Buyer information is not available in status {order['status']}")
        c = order["customer"]
        return Reply(200, {"status": "OK", "result": {
            "id": order["buyer_id"], "lastName": c["last_name"], "firstName": c["first_name"],
            "type": "PERSON", "phone": c["phone"], "trusted": False}})
