"""The Wildberries catalogue (product cards) and warehouses (:class:`WildberriesCatalog`).

Calls:

* Cards: ``POST /content/v2/get/cards/list`` (content API; ``settings.cursor`` paging, at
  most 100 cards a page), under the content limiter of :class:`~.client.WildberriesClient`
  (100 requests a minute).  Each size of a card (``chrtID``, barcodes) is a catalogue item.
* Warehouses: ``GET /api/v3/warehouses`` (marketplace API): the seller's FBS and DBS/EDBS
  warehouses, by ``deliveryType`` (:data:`WAREHOUSE_SCHEMES`).
"""
from .. import orders as o
from ..base import CatalogItem, Warehouse
from ..transport import ApiError
from .client import _barcodes, _task_id

#: WB warehouse ``deliveryType`` -> scheme (3 DBW and 5 click & collect are not imported)
WAREHOUSE_SCHEMES = {1: o.FBS, 2: o.DBS, 6: o.DBS}


def parse_card(card):
    """One card of ``/content/v2/get/cards/list`` -> a CatalogItem per size (chrtID, barcodes);
    an unusable card or size is left out, never raised."""
    if not isinstance(card, dict):
        return []
    try:
        offer = o.text(card.get("vendorCode"), "vendorCode", max_len=200)
        if not offer:
            return []
        name = o.text(card.get("title"), "title", required=False) or offer
        nm_id = _task_id(card.get("nmID"), "nmID")
    except o.PayloadError:
        return []
    sizes = card.get("sizes")
    items = []
    for size in sizes if isinstance(sizes, list) else ():
        if not isinstance(size, dict):
            continue
        try:
            chrt = _task_id(size.get("chrtID"), "chrtID")
            barcodes = _barcodes(size, None)
            tech = o.text(size.get("techSize"), "techSize", required=False, max_len=64)
        except o.PayloadError:
            continue
        items.append(CatalogItem(offer_code=offer, name=name, barcodes=barcodes, item_id=chrt, product_ref=nm_id,
                                 extra={"size": tech} if tech else {}))
    if not items and not isinstance(sizes, list):
        items.append(CatalogItem(offer_code=offer, name=name, product_ref=nm_id))
    return items


class WildberriesCatalog:
    """The cards and the warehouses: a mixin of :class:`~.WildberriesAdapter`."""

    #: cards a page (at most 100)
    catalog_page_size = 100

    def fetch_catalog(self):
        """Every card, by ``settings.cursor`` paging (oldest change first, so that a card
        changed while paging comes again rather than never)."""
        path = "/content/v2/get/cards/list"
        limit = self.catalog_page_size
        cursor = {"limit": limit}
        seen = set()
        for _ in range(self.max_pages):
            self.content_limiter.acquire()
            answer = self._call("content", "POST", path, json_body={"settings": {
                "sort": {"ascending": True}, "cursor": cursor, "filter": {"withPhoto": -1}}})
            cards = answer.get("cards") if isinstance(answer, dict) else None
            if not isinstance(cards, list):
                raise self._shape_error(path, "no list of cards")
            for card in cards:
                yield from parse_card(card)
            after = answer.get("cursor")
            total = after.get("total") if isinstance(after, dict) else None
            if not cards or (isinstance(total, int) and total < limit) or len(cards) < limit:
                return
            updated, nm_id = after.get("updatedAt"), after.get("nmID")
            if not isinstance(updated, str) or not updated or len(updated) > 64 or isinstance(nm_id, bool) \
                    or not isinstance(nm_id, int):
                raise self._shape_error(path, "a full page without a usable cursor")
            if (updated, nm_id) in seen:
                raise self._shape_error(path, "the same cursor twice: paging stopped")
            seen.add((updated, nm_id))
            cursor = {"limit": limit, "updatedAt": updated, "nmID": nm_id}
        raise ApiError(f"Wildberries {path}: paging did not end after {self.max_pages} pages", 200)

    def fetch_warehouses(self):
        """The seller's FBS and DBS/EDBS warehouses (WB's own warehouses serve FBW, not imported)."""
        path = "/api/v3/warehouses"
        answer = self._call("marketplace", "GET", path)
        if not isinstance(answer, list):
            raise self._shape_error(path, "not a list of warehouses")
        result, seen = [], set()
        for row in answer:
            if not isinstance(row, dict):
                continue
            scheme = WAREHOUSE_SCHEMES.get(row.get("deliveryType")) if not isinstance(
                row.get("deliveryType"), bool) else None
            if scheme is None:
                continue
            try:
                ref = _task_id(row.get("id"), "id")
                name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
            except o.PayloadError:
                continue
            if ref not in seen:
                seen.add(ref)
                result.append(Warehouse(ref=ref, name=name, scheme=scheme))
        return result
