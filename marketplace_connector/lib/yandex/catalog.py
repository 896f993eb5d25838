"""The Yandex Market catalogue and warehouses (:class:`YandexCatalog`).

Calls:

* Catalogue: ``POST v2/businesses/{businessId}/offer-mappings`` (``pageToken`` paging).
* Warehouses: ``GET v2/campaigns`` (the model of each campaign), ``POST
  v2/businesses/{businessId}/warehouses`` (the seller's warehouses of FBS/DBS campaigns) and
  ``GET v2/warehouses`` (the Market's fulfilment warehouses, for FBY).
"""
from .. import orders as o
from ..base import CatalogItem, Warehouse
from .client import _amount, _number_id, _required_text

#: placementType of a campaign -> scheme of its warehouses
PLACEMENT_SCHEMES = {"FBS": o.FBS, "DBS": o.DBS, "FBY": o.FBO}


def parse_catalog_item(entry):
    """One ``offerMappings`` entry -> CatalogItem, or None when it is unusable."""
    if not isinstance(entry, dict):
        return None
    offer = entry.get("offer")
    if not isinstance(offer, dict):
        return None
    try:
        code = _required_text(offer.get("offerId"), "offerId", None, 255)
        name = o.text(offer.get("name"), "name", required=False) or code
        barcodes = offer.get("barcodes") or []
        barcodes = tuple(
            b.strip() for b in barcodes if isinstance(b, str) and 0 < len(b.strip()) <= 64
            and b.strip().isprintable() and "<" not in b
        ) if isinstance(barcodes, list) else ()
        sku = ""
        mapping = entry.get("mapping")
        if isinstance(mapping, dict) and mapping.get("marketSku") not in (None, ""):
            sku = _number_id(mapping["marketSku"], "marketSku")
        extra = {}
        price = offer.get("basicPrice")
        if isinstance(price, dict):
            try:
                amount, currency = _amount(price, "basicPrice", None)
                if currency == "RUB":
                    extra["price"] = str(amount)
            except o.PayloadError:
                pass
        return CatalogItem(offer_code=code, name=name, barcodes=barcodes, item_id=sku, extra=extra)
    except o.PayloadError:
        return None


class YandexCatalog:
    """The offer mappings and the warehouses: a mixin of :class:`~.YandexAdapter`."""

    #: offer mappings a page (at most 100)
    catalog_page_size = 100
    #: warehouses a page (at most 30)
    warehouse_page_size = 30

    def fetch_catalog(self):
        business = self._business_id()
        endpoint = "/v2/businesses/{businessId}/offer-mappings"
        for entry in self._pages("POST", f"/v2/businesses/{business}/offer-mappings", endpoint,
                                 self.catalog_page_size, body={}, unwrap="result", key="offerMappings"):
            item = parse_catalog_item(entry)
            if item is not None:
                yield item

    def fetch_warehouses(self):
        business = self._business_id()
        campaigns, _business = self._campaigns()
        selected = [c for c in (self._campaign_ids() or sorted(campaigns)) if c in campaigns]
        schemes = self._schemes()
        own = [c for c in selected if PLACEMENT_SCHEMES.get(campaigns[c][0]) in (o.FBS, o.DBS)]
        result, seen = [], set()
        endpoint = "/v2/businesses/{businessId}/warehouses"
        for i in range(0, len(own), 25):
            body = {"campaignIds": own[i:i + 25]}
            for row in self._pages("POST", f"/v2/businesses/{business}/warehouses", endpoint,
                                   self.warehouse_page_size, body=body, unwrap="result", key="warehouses"):
                if not isinstance(row, dict):
                    continue
                try:
                    ref = _number_id(row.get("id"), "warehouse id")
                    campaign = int(_number_id(row.get("campaignId"), "campaignId"))
                    name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
                except o.PayloadError:
                    continue
                scheme = PLACEMENT_SCHEMES.get(campaigns.get(campaign, ("",))[0])
                if scheme not in (o.FBS, o.DBS) or ref in seen:
                    continue
                seen.add(ref)
                result.append(Warehouse(ref=ref, name=name, scheme=scheme))
        if o.FBO in schemes and any(campaigns[c][0] == "FBY" for c in selected):
            answer = self.transport.request("GET", "/v2/warehouses", endpoint="/v2/warehouses")
            body = answer.get("result") if isinstance(answer, dict) else None
            rows = body.get("warehouses") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise self._shape_error("/v2/warehouses", "no list of warehouses")
            for row in rows:
                if not isinstance(row, dict):
                    continue
                try:
                    ref = _number_id(row.get("id"), "warehouse id")
                    name = o.text(row.get("name"), "name", required=False, max_len=200) or ref
                except o.PayloadError:
                    continue
                if ref not in seen:
                    seen.add(ref)
                    result.append(Warehouse(ref=ref, name=name, scheme=o.FBO))
        return result
