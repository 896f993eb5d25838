"""Yandex Market stocks (:class:`YandexStocks`): the seller's warehouses (FBS/DBS) and the Market's (FBY).

* Sending: ``PUT /v2/campaigns/{campaignId}/offers/stocks`` — ``skus[]`` of ``{sku, items:
  [{count}]}``, at most **2000** a request, each ``sku`` once a request.  Stocks go per campaign
  (shop); a marketplace warehouse mapping names a warehouse of the business, whose campaign
  ``POST /v2/businesses/{businessId}/warehouses`` tells (read once an adapter).  The Market
  answers ``200 {status: OK}``, or refuses the request with **400** and ``errors[{code,
  message}]``.  ASSUMPTION (the Market's error page describes the codes, not their shape per
  item): an error whose message names a SKU of the request refuses that SKU; the others are
  sent again at once without it (one more call), so that one unknown offer does not hold up
  the rest.
* Reading FBY: ``POST /v2/campaigns/{campaignId}/offers/stocks`` (``limit`` ≤ 200,
  ``pageToken``) of each FBY campaign: ``warehouses[{warehouseId, offers[{offerId,
  stocks[{type, count}]}]}]``; our goods in a Market warehouse are the ``FIT`` ones.
"""
import re

from .. import orders as o
from ..stocks import FboStock, StockResult, batches
from ..transport import ApiError
from .client import _number_id

#: SKUs a request of PUT /v2/campaigns/{campaignId}/offers/stocks
STOCK_BATCH = 2000
MAX_COUNT = 2000000000
#: offers a page of the stock read
FBO_PAGE = 200


class YandexStocks:
    """Stock sending and FBY reading: a mixin of :class:`~.YandexAdapter`."""

    stock_batch = STOCK_BATCH

    def _warehouse_campaigns(self):
        """{warehouse id: campaign id} of the business's own warehouses."""
        cached = getattr(self, "_wh_campaigns", None)
        if cached is not None:
            return cached
        business = self._business_id()
        campaigns, _business = self._campaigns()
        selected = [c for c in (self._campaign_ids() or sorted(campaigns)) if c in campaigns]
        result = {}
        endpoint = "/v2/businesses/{businessId}/warehouses"
        for i in range(0, len(selected), 25):
            body = {"campaignIds": selected[i:i + 25]}
            for row in self._pages("POST", f"/v2/businesses/{business}/warehouses", endpoint,
                                   self.warehouse_page_size, body=body, unwrap="result", key="warehouses"):
                if not isinstance(row, dict):
                    continue
                try:
                    result[_number_id(row.get("id"), "warehouse id")] = int(
                        _number_id(row.get("campaignId"), "campaignId"))
                except o.PayloadError:
                    continue
        self._wh_campaigns = result
        return result

    def push_stocks(self, items, now=None):
        """Send ``StockItem``s (``warehouse_ref`` a warehouse of the business, ``offer_code``
        the offerId): one ``StockResult`` per item."""
        results = []
        campaigns = self._warehouse_campaigns()
        groups = {}
        for item in items:
            campaign = campaigns.get(str(item.warehouse_ref))
            if campaign is None:
                results.append(StockResult(item.key, False, "WAREHOUSE_NOT_FOUND",
                                           f"warehouse {str(item.warehouse_ref)[:20]} is not one of the business's"))
                continue
            group = groups.setdefault((campaign, str(item.warehouse_ref)), {})
            group[item.offer_code] = item  # each sku once a request: the last quantity wins
        for (campaign, _warehouse), by_sku in groups.items():
            for batch in batches(by_sku.values(), self.stock_batch):
                results.extend(self._push_batch(campaign, batch, now))
        return results

    def _push_batch(self, campaign, batch, now, again=True):
        path = f"/v2/campaigns/{campaign}/offers/stocks"
        body = {"skus": [{"sku": item.offer_code, "items": [{"count": min(max(int(item.quantity), 0), MAX_COUNT)}]}
                         for item in batch]}
        try:
            self.transport.request("PUT", path, endpoint="/v2/campaigns/{campaignId}/offers/stocks", json_body=body)
        except ApiError as exc:
            if exc.status != 400:
                raise
            errors = exc.body.get("errors") if isinstance(exc.body, dict) else None
            errors = [e for e in errors or () if isinstance(e, dict)]
            refused = {}
            for error in errors:
                message = str(error.get("message") or "")
                for item in batch:
                    if re.search(r"(?<![\w-])" + re.escape(item.offer_code) + r"(?![\w-])", message):
                        refused[item.offer_code] = (str(error.get("code") or "BAD_REQUEST")[:64], message[:300])
            if not refused:
                code = str(errors[0].get("code") or "BAD_REQUEST")[:64] if errors else "BAD_REQUEST"
                return [StockResult(i.key, False, code, exc.message[:300], sent_at=now) for i in batch]
            results = [StockResult(i.key, False, *refused[i.offer_code], sent_at=now)
                       for i in batch if i.offer_code in refused]
            rest = [i for i in batch if i.offer_code not in refused]
            if rest and again:
                results.extend(self._push_batch(campaign, rest, now, again=False))
            elif rest:
                results.extend(StockResult(i.key, False, "BAD_REQUEST", exc.message[:300], retry=True, sent_at=now)
                               for i in rest)
            return results
        return [StockResult(item.key, True, sent_at=now) for item in batch]

    def fetch_fbo_stocks(self):
        """The Market's stock of our goods in its warehouses (FBY campaigns), as ``FboStock``
        (``warehouse``: the Market's warehouse id)."""
        campaigns, _business = self._campaigns()
        selected = [c for c in (self._campaign_ids() or sorted(campaigns)) if c in campaigns]
        rows = []
        endpoint = "/v2/campaigns/{campaignId}/offers/stocks"
        for campaign in selected:
            if campaigns[campaign][0] != "FBY":
                continue
            for warehouse in self._pages("POST", f"/v2/campaigns/{campaign}/offers/stocks", endpoint, FBO_PAGE,
                                         body={}, unwrap="result", key="warehouses"):
                if not isinstance(warehouse, dict):
                    continue
                try:
                    ref = _number_id(warehouse.get("warehouseId"), "warehouseId")
                except o.PayloadError:
                    continue
                for offer in warehouse.get("offers") or ():
                    parsed = parse_fbo_offer(ref, offer)
                    if parsed is not None:
                        rows.append(parsed)
        return rows


def parse_fbo_offer(warehouse, offer):
    if not isinstance(offer, dict):
        return None
    try:
        offer_code = o.text(offer.get("offerId"), "offerId", max_len=255)
    except o.PayloadError:
        return None
    if not offer_code:
        return None
    quantity = 0
    for stock in offer.get("stocks") or ():
        if isinstance(stock, dict) and stock.get("type") == "FIT":
            count = stock.get("count")
            if isinstance(count, int) and not isinstance(count, bool) and count > 0:
                quantity += count
    return FboStock(warehouse=warehouse, quantity=quantity, offer_code=offer_code)
