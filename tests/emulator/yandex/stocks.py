"""Yandex Market stocks (:class:`YandexStocks`): the seller's warehouses and the Market's (FBY).

Routes, validated against the spec file:

* ``PUT /v2/campaigns/{campaignId}/offers/stocks``: ``skus[]`` of at most 2000 (the spec's
  ``maxItems``: more is its 400), each ``sku`` once a request.  The stock kept is per campaign
  and offer.  The Market refuses the whole request with 400 ``{status: ERROR, errors: [{code,
  message}]}`` when an offer is not in the catalogue (one error per such offer, its SKU named in
  the message), or the campaign is an FBY one (the Market's own stock); nothing of a refused
  request is kept.
* ``POST /v2/campaigns/{campaignId}/offers/stocks``: the FBY stock a test sets
  (:meth:`YandexStocks.set_fbo_stock`), ``limit`` ≤ 200 offers a page, ``pageToken``.
"""
from ..server import Reply
from .core import CAMPAIGN_BY_ID, _error


class YandexStocks:
    """The stock the Market was sent and its FBY stock: a mixin of :class:`~.YandexApp`."""

    def install_stocks(self):
        #: {(campaign id, offerId): count} as last accepted
        self.stocks = {}
        #: FBY stock: {(warehouse id, offerId): count}
        self.fbo_stock = {}
        self.add_route("PUT", "/v2/campaigns/{campaignId}/offers/stocks", self._put_stocks)
        self.add_route("POST", "/v2/campaigns/{campaignId}/offers/stocks", self._get_stocks)

    def reset_stocks(self):
        """A fresh marketplace for the next test: no stock sent, no FBY stock."""
        with self.lock:
            self.stocks.clear()
            self.fbo_stock.clear()

    def stock_of(self, campaign, offer):
        return self.stocks.get((int(campaign), offer))

    def set_fbo_stock(self, warehouse_id, offer, count):
        with self.lock:
            self.fbo_stock[(int(warehouse_id), offer)] = int(count)

    def _campaign(self, params):
        campaign = CAMPAIGN_BY_ID.get(int(params["campaignId"]))
        if campaign is None or campaign["id"] not in self.SETTINGS["campaign_ids"]:
            return None, _error(403, "FORBIDDEN", "Access to the campaign is denied")
        return campaign, None

    def _put_stocks(self, params, query, body, headers):
        campaign, denied = self._campaign(params)
        if denied:
            return denied
        if campaign["placementType"] == "FBY":
            return _error(400, "BAD_REQUEST", "Stocks of FBY campaigns are kept by the Market")
        skus = [row["sku"] for row in body["skus"]]
        if len(set(skus)) != len(skus):
            return _error(400, "BAD_REQUEST", "Each sku can be given once a request")
        unknown = [sku for sku in skus if sku not in self.by_offer]
        if unknown:
            return Reply(400, {"status": "ERROR", "errors": [
                {"code": "BAD_REQUEST", "message": f"Offer with sku '{sku}' is not found in the catalog"}
                for sku in unknown]})
        for row in body["skus"]:
            self.stocks[(campaign["id"], row["sku"])] = int(row["items"][0]["count"])
        return Reply(200, {"status": "OK"})

    def _get_stocks(self, params, query, body, headers):
        campaign, denied = self._campaign(params)
        if denied:
            return denied
        body = body or {}
        if campaign["placementType"] == "FBY":
            rows = {key: count for key, count in self.fbo_stock.items()}
        else:
            warehouse = (campaign["warehouse"] or {}).get("id")
            rows = {(warehouse, offer): count for (c, offer), count in self.stocks.items() if c == campaign["id"]}
        wanted = body.get("stocksWarehouseId")
        keyed = [((wh, offer), (wh, offer, count)) for (wh, offer), count in rows.items()
                 if wanted is None or wh == wanted]
        page, token, error = self._page(keyed, query, body, self._limit(query, 100, 200))
        if error:
            return error
        warehouses = {}
        for wh, offer, count in page:
            warehouses.setdefault(wh, []).append({"offerId": offer, "stocks": [
                {"type": "FIT", "count": count}, {"type": "AVAILABLE", "count": count}]})
        result = {"warehouses": [{"warehouseId": wh, "offers": offers} for wh, offers in warehouses.items()]}
        if token:
            result["paging"] = {"nextPageToken": token}
        return Reply(200, {"status": "OK", "result": result})
