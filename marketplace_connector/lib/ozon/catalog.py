"""The Ozon catalogue and warehouses (:class:`OzonCatalog`).

Calls (all POST):

* Catalogue: ``/v3/product/list`` (``last_id`` paging) + ``/v3/product/info/list``
  (names, barcodes, SKU).
* Warehouses: ``/v2/warehouse/list`` (the seller's FBS / rFBS warehouses; ``/v1/warehouse/list``
  was switched off on 2026-04-07) and ``/v1/cluster/list`` (Ozon's fulfilment centres, for FBO).
"""
from .. import orders as o
from ..base import CatalogItem, Warehouse
from ..transport import ApiError
from .client import _number_id, _required_text


def parse_catalog_item(item):
    """One item of ``/v3/product/info/list`` -> CatalogItem, or None when it is unusable."""
    if not isinstance(item, dict):
        return None
    try:
        offer = _required_text(item.get("offer_id"), "offer_id", None, 200)
        name = o.text(item.get("name"), "name", required=False) or offer
        product_id = o.ident(item.get("id"), "id")
        barcodes = item.get("barcodes") or []
        barcodes = tuple(
            b.strip() for b in barcodes if isinstance(b, str) and 0 < len(b.strip()) <= 64
            and b.strip().isprintable() and "<" not in b
        ) if isinstance(barcodes, list) else ()
        sku = ""
        sources = item.get("sources")
        for source in sources if isinstance(sources, list) else ():
            if isinstance(source, dict) and source.get("sku") not in (None, "", 0):
                sku = o.ident(source["sku"], "sku")
                break
        if not sku and item.get("sku") not in (None, "", 0):
            sku = o.ident(item["sku"], "sku")
        extra = {}
        if item.get("price") not in (None, ""):
            try:
                extra["price"] = str(o.money(item["price"], "price"))
            except o.PayloadError:
                pass
        return CatalogItem(offer_code=offer, name=name, barcodes=barcodes, item_id=sku, product_ref=product_id,
                           extra=extra)
    except o.PayloadError:
        return None


class OzonCatalog:
    """The catalogue and the warehouses: a mixin of :class:`~.OzonAdapter`."""

    #: catalogue items a page of /v3/product/list (at most 1000 ids for /v3/product/info/list)
    catalog_page_size = 1000

    def fetch_catalog(self):
        path = "/v3/product/list"
        last_id = ""
        seen = set()
        for _ in range(self.max_pages):
            page = self._post(path, {"filter": {"visibility": "ALL"}, "last_id": last_id,
                                     "limit": self.catalog_page_size})
            result = page.get("result") if isinstance(page, dict) else None
            items = result.get("items") if isinstance(result, dict) else None
            if not isinstance(items, list):
                raise self._shape_error(path, "no list of items")
            ids = []
            for item in items:
                if isinstance(item, dict):
                    try:
                        ids.append(o.ident(item.get("product_id"), "product_id"))
                    except o.PayloadError:
                        continue
            if ids:
                yield from self._product_info(ids)
            last_id = result.get("last_id")
            if len(items) < self.catalog_page_size or not isinstance(last_id, str) or not last_id:
                return
            if last_id in seen:
                raise self._shape_error(path, "the same last_id twice: paging stopped")
            seen.add(last_id)
        raise ApiError(f"Ozon {path}: paging did not end after {self.max_pages} pages", 200)

    def _product_info(self, product_ids):
        path = "/v3/product/info/list"
        answer = self._post(path, {"product_id": product_ids})
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise self._shape_error(path, "no list of items")
        for item in items:
            catalog_item = parse_catalog_item(item)
            if catalog_item is not None:
                yield catalog_item

    def fetch_warehouses(self):
        result, seen = [], set()
        for ref, name, is_rfbs in self._seller_warehouses():
            if ref not in seen:
                seen.add(ref)
                result.append(Warehouse(ref=ref, name=name, scheme=o.DBS if is_rfbs else o.FBS))
        if o.FBO in self._schemes():
            answer = self._post("/v1/cluster/list", {"cluster_type": "CLUSTER_TYPE_OZON"})
            clusters = answer.get("clusters") if isinstance(answer, dict) else None
            if not isinstance(clusters, list):
                raise self._shape_error("/v1/cluster/list", "no list of clusters")
            for cluster in clusters:
                groups = cluster.get("logistic_clusters") if isinstance(cluster, dict) else None
                for group in groups if isinstance(groups, list) else ():
                    rows = group.get("warehouses") if isinstance(group, dict) else None
                    for row in rows if isinstance(rows, list) else ():
                        if not isinstance(row, dict) or row.get("type") != "FULL_FILLMENT":
                            continue
                        try:
                            ref = _number_id(row.get("warehouse_id"), "warehouse_id", None)
                            name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
                        except o.PayloadError:
                            continue
                        if ref not in seen:
                            seen.add(ref)
                            result.append(Warehouse(ref=ref, name=name, scheme=o.FBO))
        return result
