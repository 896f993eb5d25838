"""Wildberries cards and warehouses (:class:`WildberriesCatalog`).

Routes: ``POST /content/v2/get/cards/list`` (``02-products.yaml``) — ``settings.cursor``
paging (``limit`` ≤ 100; the answer's ``cursor.updatedAt`` + ``cursor.nmID`` go into the
next request; the last page is the one whose ``cursor.total`` is below the limit), sorted by
``updatedAt`` (descending unless ``sort.ascending``).  ``GET /api/v3/warehouses``.

The catalogue is the shared one (``data.default_catalog``), one size a card, and the cards with
several sizes on demand (:meth:`WildberriesCatalog.add_sized_cards`).
"""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .. import data
from ..server import Reply
from .core import KOPECK, SCHEME_OF_DELIVERY_TYPE, SELLER_WAREHOUSES, _error

SUBJECTS = {
    "Футболка": (192, "Футболки"), "Кружка": (2780, "Кружки"), "Рюкзак": (50, "Рюкзаки"),
    "Чехол": (3091, "Чехлы для телефонов"), "Термос": (1381, "Термосы"), "Полотенце": (1130, "Полотенца"),
    "Носки": (91, "Носки"), "Зонт": (474, "Зонты"), "Ежедневник": (2120, "Ежедневники"),
    "Наушники": (1407, "Наушники"), "Кабель": (3379, "Кабели и переходники"), "Настольная": (1260, "Лампы"),
    "Сковорода": (1420, "Сковороды"), "Коврик": (3940, "Коврики для йоги"), "Детский": (767, "Конструкторы"),
    "Шампунь": (1642, "Шампуни"),
}


def _card_time(moment):
    """Card times carry microseconds (``2023-12-06T11:17:00.96577Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_card_time(value):
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class WildberriesCatalog:
    """Cards and warehouses: a mixin of :class:`~.WildberriesApp`."""

    def install_catalog(self):
        """The catalogue's state and routes (the app's constructor calls it)."""
        self.catalog = []
        self.by_offer = {}
        self.add_route("POST", "/content/v2/get/cards/list", self._cards_list)
        self.add_route("GET", "/api/v3/warehouses", self._warehouses)
        self.set_catalog(data.default_catalog())

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

    # --- cards, warehouses ------------------------------------------------------------------
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
