"""Ozon postings (:class:`OzonOrders`): the orders of the account, their lists and states.

Routes: ``/v4/posting/fbs/list`` and ``/v4/posting/fbs/unfulfilled/list`` (newer than the
spec file: :data:`EXTRA_SCHEMAS`), ``/v3/posting/fbs/get``, ``/v3/posting/fbo/list`` (newer
than the spec file), ``/v2/posting/fbo/get``, and ``/v2/posting/fbo/list`` (offset paging),
which Ozon has since switched off but which the spec file still has.

Postings: 1..max_lines products from the shared catalogue, FBS from two seller warehouses,
rFBS (``dbs``: the seller delivers, the buyer's name and address are given) from a third,
FBO from Ozon's fulfilment centres; sometimes one order is split into two postings.
``cancel_order`` / ``ship_order`` / ``set_status`` change the status and stamp the time of
the change (the v4 ``last_changed_status_date`` filter uses it).
"""
import hashlib
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from .. import data
from ..server import Reply
from .core import (
    _BOOL, _DT, _DT_OR_NULL, _INT, _NULLABLE_OBJECT, _NUM, _STR, CLUSTERS, KOPECK, SELLER_WAREHOUSES, _error, _iso,
    _ms, _parse_dt,
)

STATUSES = (
    "awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
    "awaiting_verification", "awaiting_deliver", "arbitration", "client_arbitration", "delivering",
    "driver_pickup", "delivered", "cancelled", "cancelled_from_split_pending", "not_accepted",
    "sent_by_seller",
)
#: the statuses the v4 list's filter accepts (official swagger)
LIST_FILTER = ("awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
               "awaiting_deliver", "arbitration", "client_arbitration", "delivering", "driver_pickup",
               "delivered", "cancelled", "not_accepted", "sent_by_seller")
#: what /v4/posting/fbs/unfulfilled/list answers without a status filter
UNFULFILLED = ("awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
               "awaiting_verification", "awaiting_deliver", "not_accepted")
#: the statuses its filter accepts (official swagger)
UNFULFILLED_FILTER = ("acceptance_in_progress", "awaiting_approve", "awaiting_packaging", "awaiting_registration",
                      "awaiting_deliver", "arbitration", "client_arbitration", "delivering", "driver_pickup",
                      "not_accepted")
FBO_STATUSES = ("awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled")
SUBSTATUS = {
    "awaiting_packaging": "posting_created", "awaiting_deliver": "posting_transferring_to_delivery",
    "delivering": "posting_in_carriage", "driver_pickup": "posting_driver_pick_up",
    "delivered": "posting_delivered", "cancelled": "posting_canceled", "arbitration": "posting_in_arbitration",
    "client_arbitration": "posting_in_client_arbitration", "sent_by_seller": "sent_by_seller",
    "awaiting_registration": "posting_awaiting_registration",
    "acceptance_in_progress": "posting_acceptance_in_progress", "not_accepted": "posting_not_in_sort_center",
    "awaiting_approve": "posting_created", "awaiting_verification": "posting_created",
    "cancelled_from_split_pending": "posting_canceled",
}

# --- JSON schemas of the methods newer than the spec file (see the package docstring) ---------
#: the period filters of the lists: "YYYY-MM-DDThh:mm:ssZ" (official swagger)
_DT_PERIOD = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
_ID_LIST = {"type": "array", "maxItems": 1000, "items": {"type": "string", "pattern": r"^\d{1,20}$"}}
_MONEY = {"type": "object", "additionalProperties": False, "required": ["amount", "currency"],
          "properties": {"amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
                         "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}
_WITH = {"type": "object", "additionalProperties": False,
         "properties": {k: _BOOL for k in ("analytics_data", "barcodes", "financial_data", "legal_info")}}
_LAST_CHANGED = {"type": "object", "additionalProperties": False, "properties": {"from": _DT, "to": _DT}}
_PAGED = {
    "cursor": {"type": "string", "maxLength": 2000},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    "sort_dir": {"type": "string", "enum": ["ASC", "DESC"]},
    "translit": _BOOL,
    "with": _WITH,
}
V4_LIST_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["filter", "limit"],
    "properties": dict(_PAGED, filter={
        "type": "object", "additionalProperties": False, "required": ["since", "to"],
        "properties": {
            "since": _DT_PERIOD, "to": _DT_PERIOD,
            "statuses": {"type": "array", "items": {"enum": list(LIST_FILTER)}},
            "warehouse_ids": _ID_LIST, "delivery_method_ids": _ID_LIST, "provider_ids": _ID_LIST,
            "order_id": _INT, "order_numbers": {"type": "array", "items": _STR, "maxItems": 100},
            "is_blr_traceable": _BOOL, "last_changed_status_date": _LAST_CHANGED,
            "integration_type_flow": {"type": "array", "items": _STR},
        },
    }),
}
V4_UNFULFILLED_REQUEST = {
    "type": "object", "additionalProperties": False,
    "properties": dict(_PAGED, filter={
        "type": "object", "additionalProperties": False,
        "properties": {
            "cutoff_from": _DT, "cutoff_to": _DT, "delivering_date_from": _DT, "delivering_date_to": _DT,
            "statuses": {"type": "array", "items": {"enum": list(UNFULFILLED_FILTER)}},
            "warehouse_ids": _ID_LIST, "delivery_method_ids": _ID_LIST, "provider_ids": _ID_LIST,
            "last_changed_status_date": _LAST_CHANGED,
        },
    }),
}
_PRODUCT = {
    "type": "object", "additionalProperties": False,
    "required": ["offer_id", "name", "sku", "quantity", "price"],
    "properties": {
        "offer_id": _STR, "name": _STR, "sku": _INT, "quantity": _INT, "price": _MONEY,
        "imei": {"type": "array", "items": _STR}, "is_blr_traceable": _BOOL, "is_marketplace_buyout": _BOOL,
        "product_color": _STR, "weight": _NUM, "digital_codes": {"type": "array", "items": _STR},
    },
}
_DELIVERY_METHOD = {"type": "object", "additionalProperties": False, "properties": {
    "id": _INT, "name": _STR, "tpl_provider": _STR, "tpl_provider_id": _INT, "warehouse": _STR,
    "warehouse_id": _INT}}
_ADDRESS = {"type": "object", "additionalProperties": False, "properties": {
    "address_tail": _STR, "city": _STR, "comment": _STR, "country": _STR, "district": _STR,
    "latitude": _NUM, "longitude": _NUM, "provider_pvz_code": _STR, "pvz_code": _INT, "region": _STR,
    "zip_code": _STR}}
_CUSTOMER = {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False, "properties": {
    "address": _ADDRESS, "customer_email": _STR, "customer_id": _INT, "name": _STR, "phone": _STR}}]}
_ANALYTICS = {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False, "properties": {
    "city": _STR, "client_delivery_date_begin": _DT_OR_NULL, "client_delivery_date_end": _DT_OR_NULL,
    "delivery_date_begin": _DT_OR_NULL, "delivery_date_end": _DT_OR_NULL, "delivery_type": _STR,
    "is_legal": _BOOL, "is_premium": _BOOL, "payment_type_group_name": _STR, "region": _STR,
    "tpl_provider": _STR, "tpl_provider_id": _INT, "warehouse": _STR, "warehouse_id": _INT,
    "warehouse_name": _STR}}]}
_FINANCIAL = {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False, "properties": {
    "cluster_from": _STR, "cluster_to": _STR,
    "products": {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
        "actions": {"type": "array", "items": _STR}, "customer_price": _MONEY,
        "commission": {"type": "object", "properties": {"amount": _NUM, "currency": _STR, "percent": _INT}},
        "old_price": _NUM, "payout": _NUM, "price": _NUM, "product_id": _INT, "quantity": _INT,
        "total_discount_percent": _NUM, "total_discount_value": _NUM}}}}}]}
_CANCELLATION = {"type": "object", "additionalProperties": False, "properties": {
    "affect_cancellation_rating": _BOOL, "cancel_reason": _STR, "cancel_reason_id": _INT,
    "cancellation_initiator": _STR, "cancellation_type": _STR, "cancelled_after_ship": _BOOL}}
V4_POSTING = {
    "type": "object", "additionalProperties": False,
    "required": ["posting_number", "order_id", "order_number", "status", "in_process_at", "products"],
    "properties": {
        "posting_number": _STR, "order_id": _INT, "order_number": _STR, "status": {"enum": list(STATUSES)},
        "substatus": _STR, "parent_posting_number": _STR, "tracking_number": _STR,
        "tpl_integration_type": _STR, "integration_type_flow": _STR, "delivery_schema": _STR,
        "delivery_method": _DELIVERY_METHOD,
        "in_process_at": _DT, "shipment_date": _DT_OR_NULL, "shipment_date_without_delay": _DT_OR_NULL,
        "delivering_date": _DT_OR_NULL, "pickup_code_verified_at": _DT_OR_NULL,
        "products": {"type": "array", "items": _PRODUCT},
        "customer": _CUSTOMER,
        "addressee": {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False,
                                                   "properties": {"name": _STR}}]},
        "analytics_data": _ANALYTICS, "financial_data": _FINANCIAL,
        "barcodes": {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False, "properties": {
            "lower_barcode": _STR, "upper_barcode": _STR}}]},
        "legal_info": _NULLABLE_OBJECT, "sorting_center": _NULLABLE_OBJECT, "external_order": _NULLABLE_OBJECT,
        "cancellation": _CANCELLATION,
        "available_actions": {"type": "array", "items": _STR},
        "is_express": _BOOL, "is_multibox": _BOOL, "multi_box_qty": _INT, "is_presortable": _BOOL,
        "is_click_and_collect": _BOOL, "prr_option": _STR, "quantum_id": _INT,
        "require_blr_traceable_attrs": _BOOL,
        "requirements": {"type": "object", "additionalProperties": {"type": "array"}},
        "optional": {"type": "object", "properties": {"products_with_possible_mandatory_mark": {"type": "array"}}},
    },
}
V4_LIST_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["postings", "has_next", "cursor"],
    "properties": {"postings": {"type": "array", "items": V4_POSTING}, "has_next": _BOOL, "cursor": _STR},
}
V4_UNFULFILLED_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["postings", "has_next", "cursor", "count"],
    "properties": {"postings": {"type": "array", "items": V4_POSTING}, "has_next": _BOOL, "cursor": _STR,
                   "count": _INT},
}
V3_FBO_LIST_REQUEST = {
    "type": "object", "additionalProperties": False, "required": ["filter", "limit"],
    "properties": dict(_PAGED, filter={
        "type": "object", "additionalProperties": False, "required": ["since", "to"],
        "properties": {
            "since": _DT_PERIOD, "to": _DT_PERIOD,
            "statuses": {"type": "array", "items": {"enum": list(FBO_STATUSES)}},
            "posting_numbers": {"type": "array", "items": _STR, "maxItems": 1000},
            "order_numbers": {"type": "array", "items": _STR, "maxItems": 1000},
        },
    }),
}
V3_FBO_POSTING = {
    "type": "object", "additionalProperties": False,
    "required": ["posting_number", "order_id", "order_number", "status", "created_at", "products"],
    "properties": {
        "posting_number": _STR, "order_id": _INT, "order_number": _STR, "status": {"enum": list(FBO_STATUSES)},
        "substatus": _STR, "cancel_reason_id": _INT, "created_at": _DT, "in_process_at": _DT,
        "products": {"type": "array", "items": _PRODUCT},
        "analytics_data": _ANALYTICS, "financial_data": _FINANCIAL, "legal_info": _NULLABLE_OBJECT,
        "external_order": _NULLABLE_OBJECT,
        "cancellation": {"type": "object", "additionalProperties": False, "properties": {
            "cancel_reason": _STR, "cancellation_initiator": _STR, "cancellation_type": _STR}},
        "additional_data": {"type": "array", "items": {"type": "object", "properties": {
            "key": _STR, "value": _STR}}},
    },
}
V3_FBO_LIST_RESPONSE = {
    "type": "object", "additionalProperties": False, "required": ["postings", "has_next", "cursor"],
    "properties": {"postings": {"type": "array", "items": V3_FBO_POSTING}, "has_next": _BOOL, "cursor": _STR},
}

#: methods newer than the spec file: path -> (request schema, answer schema)
EXTRA_SCHEMAS = {
    "/v4/posting/fbs/list": (V4_LIST_REQUEST, V4_LIST_RESPONSE),
    "/v4/posting/fbs/unfulfilled/list": (V4_UNFULFILLED_REQUEST, V4_UNFULFILLED_RESPONSE),
    "/v3/posting/fbo/list": (V3_FBO_LIST_REQUEST, V3_FBO_LIST_RESPONSE),
}


class OzonOrders:
    """Postings: a mixin of :class:`~.OzonApp` (it reads the catalogue of
    :class:`~.catalog.OzonCatalog` and pages with :class:`~.core.OzonCore`)."""

    #: the default mix of schemes for add_orders(scheme=None)
    SCHEME_WEIGHTS = (("fbs", 0.55), ("dbs", 0.15), ("fbo", 0.30))

    def install_orders(self):
        """The postings' state and routes (the app's constructor calls it)."""
        self.orders = {}  # posting_number -> the posting as Ozon holds it (see _new_posting)
        self._order_seq = 0
        self.add_post_routes({
            "/v4/posting/fbs/list": self._v4_list,
            "/v4/posting/fbs/unfulfilled/list": self._v4_unfulfilled,
            "/v3/posting/fbs/get": self._fbs_get,
            "/v3/posting/fbo/list": self._fbo_list_v3,
            "/v2/posting/fbo/list": self._fbo_list_v2,
            "/v2/posting/fbo/get": self._fbo_get,
        })

    # --- test-facing state ----------------------------------------------------------------
    def add_orders(self, count, scheme=None, created_at=None, offer_codes=None, max_lines=3, currency=None):
        """``count`` postings.  ``currency``: a seller abroad ("KZT", "BYN", "UZS"…, see
        ``data.RATES``): every price of the posting in it (``price.currency``,
        ``currency_code``, ``customer_price.currency``)."""
        assert currency is None or currency in data.RATES, currency
        rng = self.emulator.random
        now = datetime.now(timezone.utc)
        created = []
        with self.lock:
            previous = None
            for _ in range(count):
                kind = scheme or self._draw_scheme(rng)
                if created_at is not None:
                    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
                    moment = moment.astimezone(timezone.utc)
                else:
                    moment = now - timedelta(seconds=rng.randrange(60, 6 * 3600))
                # now and then Ozon splits one order into two postings
                split = previous is not None and previous["scheme"] == kind and rng.random() < 0.15
                posting = self._new_posting(rng, kind, _ms(moment), offer_codes, max_lines,
                                            order=previous if split else None, currency=currency or "RUB")
                self.orders[posting["posting_number"]] = posting
                created.append(posting["posting_number"])
                previous = posting
        return created

    def cancel_order(self, external_id):
        with self.lock:
            posting = self.orders[external_id]
            shipped = posting["status"] in ("delivering", "driver_pickup", "sent_by_seller", "arbitration",
                                            "client_arbitration", "delivered")
            posting["cancellation"] = {
                "cancel_reason_id": 506, "cancel_reason": "Покупатель отменил заказ",
                "cancellation_type": "client", "cancellation_initiator": "Клиент",
                "cancelled_after_ship": shipped, "affect_cancellation_rating": False,
            }
            self._set(posting, "cancelled")

    def ship_order(self, external_id):
        """Handed over to delivery (rFBS: sent by the seller); a closed posting stays as it is."""
        with self.lock:
            posting = self.orders[external_id]
            if posting["status"] in ("cancelled", "cancelled_from_split_pending", "delivered"):
                return
            self._set(posting, "sent_by_seller" if posting["scheme"] == "dbs" else "delivering")
            posting["delivering_date"] = posting["status_changed_at"]

    def set_state(self, external_id, state):
        """Move a posting to a neutral state the way Ozon words it: ``new``
        (awaiting_packaging), ``processing`` (awaiting_deliver), ``shipped`` (delivering /
        rFBS sent_by_seller), ``delivered``, ``cancelled`` (before shipping), ``returned``
        (cancelled, came back to the warehouse), ``cancelled_after_shipping`` (cancelled with
        ``cancelled_after_ship``: the goods come back, the adapter reads a return), ``lost``
        (cancelled, the reason says the posting was lost)."""
        cancellations = {
            "cancelled": (402, "Покупатель отменил заказ", "client", "Клиент", False, "posting_canceled"),
            "cancelled_after_shipping": (352, "Покупатель отменил заказ в пути", "client", "Клиент", True,
                                         "posting_canceled"),
            "returned": (400, "Покупатель отказался от товара при получении", "client", "Клиент", True,
                         "posting_returned_to_warehouse"),
            "lost": (680, "Отправление утеряно службой доставки", "ozon", "Ozon", True, "posting_canceled"),
        }
        with self.lock:
            posting = self.orders[external_id]
            if state in cancellations:
                reason_id, reason, kind, initiator, after_ship, substatus = cancellations[state]
                posting["cancellation"] = {
                    "cancel_reason_id": reason_id, "cancel_reason": reason, "cancellation_type": kind,
                    "cancellation_initiator": initiator, "cancelled_after_ship": after_ship,
                    "affect_cancellation_rating": False}
                self._set(posting, "cancelled")
                posting["substatus"] = substatus
                return
            words = {"new": "awaiting_packaging", "processing": "awaiting_deliver", "delivered": "delivered",
                     "shipped": "sent_by_seller" if posting["scheme"] == "dbs" else "delivering"}
            if state not in words:
                raise ValueError(f"Ozon postings have no state {state!r}")
            if posting["scheme"] == "fbo" and words[state] not in FBO_STATUSES:
                raise ValueError(f"an FBO posting cannot be {words[state]!r}")
            self._set(posting, words[state])
            if state == "shipped":
                posting["delivering_date"] = posting["status_changed_at"]

    def set_status(self, external_id, status):
        """Any Ozon status word (e.g. ``delivered``), stamped now."""
        assert status in STATUSES, status
        with self.lock:
            self._set(self.orders[external_id], status)

    # --- building postings --------------------------------------------------------------------
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
                       "product_id": 300000000 + digest % 10 ** 8, "sku": 1900000000 + digest % 10 ** 8}
        return product

    def _new_posting(self, rng, kind, moment, offer_codes, max_lines, order=None, currency="RUB"):
        codes = list(offer_codes) if offer_codes else [p["offer_code"] for p in self.catalog]
        n_lines = rng.randint(1, max(1, min(max_lines, len(codes))))
        products = []
        for code in rng.sample(codes, n_lines):
            product = self._product(rng, code)
            discount = Decimal(rng.choice([0, 0, 0, 3, 5, 7, 10, 12])) / 100
            listed = data.in_currency(product["price"], currency)
            price = (listed * (1 - discount)).quantize(KOPECK, rounding=ROUND_HALF_UP)
            # Ozon's own discount, which Ozon funds (the buyer pays less than the seller's price);
            # drawn from the SKU and the sequence, not from the seed's stream
            ozon_share = Decimal((int(product["sku"]) + self._order_seq) % 4 * 4) / 100
            products.append({
                "offer_id": product["offer_code"], "name": product["name"], "sku": int(product["sku"]),
                "product_id": int(product["product_id"]),
                "quantity": rng.choice([1, 1, 1, 1, 2, 3]), "price": price,
                # the price before every discount ("зачёркнутая")
                "old_price": (listed * Decimal("1.25")).quantize(KOPECK, rounding=ROUND_HALF_UP),
                "customer_price": (price * (1 - ozon_share)).quantize(KOPECK, rounding=ROUND_HALF_UP),
            })
        if order is None:
            self._order_seq += 1
            base = f"{rng.randrange(10 ** 7, 10 ** 8)}-{self._order_seq % 10000:04d}"
            order_id = rng.randrange(10 ** 9, 4 * 10 ** 9)
            index = 1
        else:
            base, order_id = order["order_number"], order["order_id"]
            index = int(order["posting_number"].rsplit("-", 1)[1]) + 1
        posting_number = f"{base}-{index}"
        while posting_number in self.orders:
            index += 1
            posting_number = f"{base}-{index}"
        if kind == "fbo":
            wid, wname = rng.choice([(w, n) for c in CLUSTERS for w, n, t in c["warehouses"]
                                     if t == "FULL_FILLMENT"])
            customer = None
        else:
            candidates = [w for w in SELLER_WAREHOUSES if w["is_rfbs"] == (kind == "dbs")]
            warehouse = rng.choice(candidates)
            wid, wname = warehouse["warehouse_id"], warehouse["name"]
            customer = (order or {}).get("customer") or (data.customer(rng) if kind == "dbs" else None)
        return {
            "posting_number": posting_number, "order_number": base, "order_id": order_id,
            "scheme": kind, "status": "awaiting_packaging", "substatus": "posting_created",
            # FBS lists give only in_process_at (when the paid posting reached the seller);
            # FBO gives created_at, in_process_at follows it by a few seconds (never in the future)
            "created_at": moment,
            "in_process_at": moment if kind != "fbo" else min(
                moment + timedelta(seconds=rng.randrange(0, 90)), max(moment, _ms(datetime.now(timezone.utc)))),
            "status_changed_at": moment, "shipment_date": (moment + timedelta(days=1)).replace(
                hour=14, minute=0, second=0, microsecond=0),
            "delivering_date": None, "warehouse_id": wid, "warehouse_name": wname,
            "products": products, "customer": customer, "cancellation": None,
            "customer_id": rng.randrange(10 ** 7, 10 ** 8), "currency": currency,
        }

    def _set(self, posting, status):
        posting["status"] = status
        posting["substatus"] = SUBSTATUS.get(status, "")
        posting["status_changed_at"] = _ms(datetime.now(timezone.utc))

    # --- rendering -----------------------------------------------------------------------
    @staticmethod
    def _delivery_method(p):
        if p["scheme"] == "dbs":
            return {"id": p["warehouse_id"] + 17, "name": "Доставка силами продавца, Москва",
                    "warehouse_id": p["warehouse_id"], "warehouse": p["warehouse_name"],
                    "tpl_provider_id": 1097, "tpl_provider": "Собственная служба доставки"}
        return {"id": p["warehouse_id"] + 11, "name": f"Ozon Логистика, {p['warehouse_name']}",
                "warehouse_id": p["warehouse_id"], "warehouse": p["warehouse_name"],
                "tpl_provider_id": 24, "tpl_provider": "Ozon Логистика"}

    @staticmethod
    def _customer(p):
        c = p["customer"]
        if not c:
            return None
        return {
            "customer_id": p["customer_id"], "name": f"{c['last_name']} {c['first_name']}", "phone": c["phone"],
            "customer_email": "",
            "address": {"address_tail": f"{c['street']}, д. {c['house']}, кв. {c['flat']}", "city": c["city"],
                        "region": c["region"], "zip_code": c["zip"], "country": "Россия", "district": "",
                        "comment": "", "latitude": 55.75, "longitude": 37.61, "pvz_code": 0,
                        "provider_pvz_code": ""},
        }

    def _cancellation(self, p):
        return p["cancellation"] or {
            "cancel_reason_id": 0, "cancel_reason": "", "cancellation_type": "", "cancellation_initiator": "",
            "cancelled_after_ship": False, "affect_cancellation_rating": False}

    @staticmethod
    def _integration(p):
        """``integration_type_flow`` / ``tpl_integration_type`` of the posting."""
        return "non_integrated" if p["scheme"] == "dbs" else "ozon"

    def _analytics(self, p, with_):
        if not with_.get("analytics_data"):
            return None
        c = p["customer"] or {}
        method = self._delivery_method(p) if p["scheme"] != "fbo" else {}
        analytics = {
            "city": c.get("city", "Москва"), "delivery_type": "Courier" if p["scheme"] != "fbo" else "PVZ",
            "is_premium": False, "is_legal": False, "payment_type_group_name": "картой онлайн",
            "warehouse_id": p["warehouse_id"],
            "client_delivery_date_begin": None, "client_delivery_date_end": None,
        }
        if p["scheme"] == "fbo":
            analytics["warehouse_name"] = p["warehouse_name"]
        else:
            analytics.update({
                "region": c.get("region", ""), "warehouse": p["warehouse_name"],
                "tpl_provider_id": method["tpl_provider_id"], "tpl_provider": method["tpl_provider"],
                "delivery_date_begin": _iso(p["shipment_date"] + timedelta(days=1)),
                "delivery_date_end": _iso(p["shipment_date"] + timedelta(days=2)),
            })
        return analytics

    @staticmethod
    def _financial(p, with_):
        if not with_.get("financial_data"):
            return None
        currency = p.get("currency", "RUB")
        return {"cluster_from": "Москва", "cluster_to": (p["customer"] or {}).get("city", "Москва"),
                "products": [{
                    "product_id": ln["sku"], "quantity": ln["quantity"], "price": float(ln["price"]),
                    "old_price": float(ln["old_price"]), "payout": float(ln["price"] * Decimal("0.8")),
                    "total_discount_value": float(ln["old_price"] - ln["customer_price"]),
                    "total_discount_percent": float(((ln["old_price"] - ln["customer_price"]) * 100
                                                     / ln["old_price"]).quantize(KOPECK)),
                    "actions": ["Скидка Ozon"] if ln["customer_price"] < ln["price"] else [],
                    "customer_price": {"amount": f"{ln['customer_price']:.2f}", "currency": currency},
                    "commission": {"amount": float(ln["price"] * Decimal("0.15")), "currency": currency,
                                   "percent": 15}} for ln in p["products"]]}

    @staticmethod
    def _money_products(p):
        currency = p.get("currency", "RUB")
        return [{
            "offer_id": ln["offer_id"], "name": ln["name"], "sku": ln["sku"], "quantity": ln["quantity"],
            "price": {"amount": f"{ln['price']:.2f}", "currency": currency}, "is_marketplace_buyout": False,
        } for ln in p["products"]]

    def _render_v4(self, p, with_):
        customer = self._customer(p)
        products = self._money_products(p)
        for line in products:
            line.update(imei=[], is_blr_traceable=False)
        return {
            "posting_number": p["posting_number"], "order_id": p["order_id"], "order_number": p["order_number"],
            "status": p["status"], "substatus": p["substatus"], "parent_posting_number": "",
            "tracking_number": "", "tpl_integration_type": self._integration(p),
            "integration_type_flow": self._integration(p), "delivery_schema": "FBS",
            "delivery_method": self._delivery_method(p), "in_process_at": _iso(p["in_process_at"]),
            "shipment_date": _iso(p["shipment_date"]), "shipment_date_without_delay": _iso(p["shipment_date"]),
            "delivering_date": _iso(p["delivering_date"]), "pickup_code_verified_at": None,
            "products": products,
            "customer": customer,
            "addressee": {"name": customer["name"]} if customer else None,
            "analytics_data": self._analytics(p, with_), "financial_data": self._financial(p, with_),
            "barcodes": ({"upper_barcode": f"%101%{p['order_id']}", "lower_barcode": str(p["order_id"])}
                         if with_.get("barcodes") else None),
            "legal_info": None, "sorting_center": None, "cancellation": self._cancellation(p),
            "available_actions": ["cancel", "ship"] if p["status"] == "awaiting_packaging" else [],
            "is_express": False, "is_multibox": False, "multi_box_qty": 0, "is_presortable": False,
            "is_click_and_collect": False, "prr_option": "", "quantum_id": 0,
            "require_blr_traceable_attrs": False, "requirements": {},
            "optional": {"products_with_possible_mandatory_mark": []},
        }

    def _render_fbo_v3(self, p, with_):
        cancellation = p["cancellation"] or {}
        return {
            "posting_number": p["posting_number"], "order_id": p["order_id"], "order_number": p["order_number"],
            "status": p["status"], "substatus": p["substatus"],
            "cancel_reason_id": cancellation.get("cancel_reason_id", 0),
            "cancellation": {"cancel_reason": cancellation.get("cancel_reason", ""),
                             "cancellation_initiator": cancellation.get("cancellation_initiator", ""),
                             "cancellation_type": cancellation.get("cancellation_type", "")},
            "created_at": _iso(p["created_at"]), "in_process_at": _iso(p["in_process_at"]),
            "products": self._money_products(p),
            "analytics_data": self._analytics(p, with_), "financial_data": self._financial(p, with_),
            "legal_info": None, "additional_data": [],
        }

    def _render_fbs_detail(self, p):
        customer = self._customer(p)
        detail = {
            "posting_number": p["posting_number"], "order_id": p["order_id"], "order_number": p["order_number"],
            "status": p["status"], "substatus": p["substatus"], "previous_substatus": "",
            "parent_posting_number": "", "tracking_number": "", "provider_status": "",
            "tpl_integration_type": self._integration(p),
            "delivery_method": self._delivery_method(p), "in_process_at": _iso(p["in_process_at"]),
            "shipment_date": _iso(p["shipment_date"]), "delivery_price": "0",
            "products": [{
                "offer_id": ln["offer_id"], "name": ln["name"], "sku": ln["sku"], "quantity": ln["quantity"],
                "price": f"{ln['price']:.2f}", "currency_code": p.get("currency", "RUB"), "mandatory_mark": [],
                "is_blr_traceable": False, "is_marketplace_buyout": False,
                "dimensions": {"height": "100", "length": "200", "weight": "300", "width": "150"},
            } for ln in p["products"]],
            "cancellation": self._cancellation(p), "is_express": False, "is_multibox": False,
            "multi_box_qty": 0, "additional_data": [],
        }
        if p["delivering_date"]:
            detail["delivering_date"] = _iso(p["delivering_date"])
        if customer:
            detail["customer"] = customer
            detail["addressee"] = {"name": customer["name"], "phone": customer["phone"]}
        return detail

    def _render_fbo_v2(self, p, with_):
        """The FBO posting of the spec file (``/v2/posting/fbo/list``, ``/v2/posting/fbo/get``)."""
        posting = {
            "posting_number": p["posting_number"], "order_id": p["order_id"], "order_number": p["order_number"],
            "status": p["status"], "cancel_reason_id": (p["cancellation"] or {}).get("cancel_reason_id", 0),
            "created_at": _iso(p["created_at"]), "in_process_at": _iso(p["in_process_at"]),
            "products": [{
                "offer_id": ln["offer_id"], "name": ln["name"], "sku": ln["sku"], "quantity": ln["quantity"],
                "price": f"{ln['price']:.2f}", "currency_code": p.get("currency", "RUB"), "digital_codes": [],
                "is_marketplace_buyout": False,
            } for ln in p["products"]],
            "additional_data": [],
        }
        if with_.get("analytics_data"):
            posting["analytics_data"] = {
                "city": "Москва", "delivery_type": "PVZ", "is_premium": False, "is_legal": False,
                "payment_type_group_name": "картой онлайн", "warehouse_id": p["warehouse_id"],
                "warehouse_name": p["warehouse_name"]}
        if with_.get("financial_data"):
            posting["financial_data"] = {"cluster_from": "Москва", "cluster_to": "Москва", "products": [{
                "product_id": ln["sku"], "quantity": ln["quantity"], "price": float(ln["price"]),
                "old_price": float(ln["old_price"]), "payout": float(ln["price"] * Decimal("0.8")),
                "commission_amount": float(ln["price"] * Decimal("0.15")), "commission_percent": 15,
                "currency_code": p.get("currency", "RUB"), "commissions_currency_code": p.get("currency", "RUB"),
                "actions": [],
                "total_discount_value": float(ln["old_price"] - ln["price"]), "total_discount_percent": 0.0,
            } for ln in p["products"]]}
        return posting

    # --- the cursor lists (v4 FBS lists, v3 FBO list) ------------------------------------------
    @staticmethod
    def _key(p, stamp):
        """The paging key of a posting (its times never change: computed once)."""
        cache = p.setdefault("_keys", {})
        if stamp not in cache:
            cache[stamp] = (_iso(p[stamp]), p["posting_number"])
        return cache[stamp]

    def _page_postings(self, body, selected, render, stamp="in_process_at"):
        keyed = [(self._key(p, stamp), p) for p in selected]
        with_ = body.get("with") or {}
        answer, error = self._page(body, keyed, lambda p: render(p, with_))
        if answer is not None:
            answer = {"postings": answer["items"], "has_next": answer["has_next"], "cursor": answer["cursor"]}
        return answer, error

    def _common_filter(self, p, filt):
        if p["scheme"] == "fbo":
            return False
        if filt.get("statuses") and p["status"] not in filt["statuses"]:
            return False
        if filt.get("warehouse_ids") and p["warehouse_id"] not in self._ids(filt["warehouse_ids"]):
            return False
        changed = filt.get("last_changed_status_date") or {}
        if changed.get("from") and p["status_changed_at"] < _parse_dt(changed["from"]):
            return False
        if changed.get("to") and p["status_changed_at"] > _parse_dt(changed["to"]):
            return False
        return True

    @staticmethod
    def _period(filt):
        since, to = _parse_dt(filt["since"]), _parse_dt(filt["to"])
        if to < since:
            return None, None, _error(400, 3, "filter.to must not be earlier than filter.since")
        if to - since > timedelta(days=366):
            return None, None, _error(400, 3, "PERIOD_IS_TOO_LONG: the period must not be longer than one year")
        return since, to, None

    def _v4_list(self, params, query, body, headers):
        filt = body["filter"]
        since, to, error = self._period(filt)
        if error:
            return error
        numbers = set(filt.get("order_numbers") or ())
        flows = set(filt.get("integration_type_flow") or ())
        selected = [
            p for p in self.orders.values()
            if self._common_filter(p, filt) and since <= p["in_process_at"] <= to
            and (not numbers or p["order_number"] in numbers)
            and (not flows or self._integration(p) in flows)
            and (not filt.get("order_id") or p["order_id"] == filt["order_id"])
        ]
        answer, error = self._page_postings(body, selected, self._render_v4)
        return error or Reply(200, answer)

    def _v4_unfulfilled(self, params, query, body, headers):
        body = body or {}
        filt = body.get("filter") or {}
        cutoff = bool(filt.get("cutoff_from") or filt.get("cutoff_to"))
        delivering = bool(filt.get("delivering_date_from") or filt.get("delivering_date_to"))
        if cutoff == delivering:
            return _error(400, 3, "use either the cutoff or the delivering_date filter (one of them)")
        if cutoff:
            field, lo, hi = "shipment_date", filt.get("cutoff_from"), filt.get("cutoff_to")
        else:
            field, lo, hi = "delivering_date", filt.get("delivering_date_from"), filt.get("delivering_date_to")
        lo = _parse_dt(lo) if lo else None
        hi = _parse_dt(hi) if hi else None
        statuses = filt.get("statuses") or UNFULFILLED
        selected = [
            p for p in self.orders.values()
            if self._common_filter(p, filt) and p["status"] in statuses and p[field] is not None
            and (lo is None or lo <= p[field]) and (hi is None or p[field] <= hi)
        ]
        answer, error = self._page_postings(body, selected, self._render_v4)
        if error:
            return error
        answer["count"] = len(selected)
        return Reply(200, answer)

    # --- other posting methods ---------------------------------------------------------------------
    def _fbs_get(self, params, query, body, headers):
        p = self.orders.get(str((body or {}).get("posting_number") or ""))
        if p is None or p["scheme"] == "fbo":
            return _error(404, 5, "Posting not found")
        return Reply(200, {"result": self._render_fbs_detail(p)})

    def _fbo_selected(self, filt, since, to):
        statuses = set(filt.get("statuses") or ())
        if filt.get("status"):  # the v2 filter: one status word
            statuses.add(filt["status"])
        numbers = set(filt.get("posting_numbers") or ())
        orders = set(filt.get("order_numbers") or ())
        return [p for p in self.orders.values()
                if p["scheme"] == "fbo" and since <= p["created_at"] <= to
                and (not statuses or p["status"] in statuses)
                and (not numbers or p["posting_number"] in numbers)
                and (not orders or p["order_number"] in orders)]

    def _fbo_list_v3(self, params, query, body, headers):
        since, to, error = self._period(body["filter"])
        if error:
            return error
        selected = self._fbo_selected(body["filter"], since, to)
        answer, error = self._page_postings(body, selected, self._render_fbo_v3, stamp="created_at")
        return error or Reply(200, answer)

    def _fbo_list_v2(self, params, query, body, headers):
        filt = body.get("filter") or {}
        limit, offset = int(body.get("limit") or 0), int(body.get("offset") or 0)
        if not 1 <= limit <= 1000 or offset < 0:
            return _error(400, 3, "limit must be 1..1000 and offset not negative")
        selected = sorted(self._fbo_selected(filt, _parse_dt(filt["since"]), _parse_dt(filt["to"])),
                          key=lambda p: (p["created_at"], p["posting_number"]),
                          reverse=str(body.get("dir", "ASC")).upper() == "DESC")
        with_ = body.get("with") or {}
        return Reply(200, {"result": [self._render_fbo_v2(p, with_) for p in selected[offset:offset + limit]]})

    def _fbo_get(self, params, query, body, headers):
        p = self.orders.get(str((body or {}).get("posting_number") or ""))
        if p is None or p["scheme"] != "fbo":
            return _error(404, 5, "Posting not found")
        return Reply(200, {"result": self._render_fbo_v2(p, body.get("with") or {})})
