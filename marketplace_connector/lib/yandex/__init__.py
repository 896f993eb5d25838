"""Yandex Market Partner API: the adapter of one business (кабинет) and the parsers of its payloads.

An account is a *business* (``business_id``) with one or more *campaigns* (shops,
``campaign_ids``), each working by one model.  Schemes, from the order's ``programType``:

* FBS — ``FBS`` and ``EXPRESS`` (the seller packs from its own warehouse, the Market delivers);
* DBS — ``DBS`` (the seller delivers; only these orders carry the buyer's address, and the
  buyer's name and phone come from ``GET v2/campaigns/{campaignId}/orders/{orderId}/buyer``);
* FBO — ``FBY`` (the Market packs and delivers from its fulfilment warehouses).

``LAAS`` orders (placed by the seller on other platforms, only delivered by the Market) are
not Market sales: they are never asked for.  When an order has no ``programType`` the
delivery partner decides: the shop delivers → DBS, otherwise FBS.

Limits: ``getBusinessOrders`` is documented at 10 000 requests an hour (and 6 in parallel);
the adapter keeps to 2.5 requests a second with a burst of 50, at most 9 050 in any hour.  The
Market answers "too many requests" with **420** and ``X-RateLimit-Resource-Until`` (an RFC 822
date), which the transport obeys.

One module per capability, each a mixin of :class:`YandexAdapter` with the parsers of its
payloads beside it:

* :mod:`.client` — what every capability shares: the Api-Key, the business and campaigns of
  the account, ``pageToken`` paging, the limit, ``test_connection``, the small parsers (ids,
  times, amounts);
* :mod:`.orders` — orders: ``fetch_orders``, ``fetch_states``, price bases and states;
* :mod:`.catalog` — ``fetch_catalog`` (offer mappings) and ``fetch_warehouses``;
* :mod:`.prices` — ``export_prices`` (the business's prices).
* :mod:`.labels` — ``fetch_labels``: delivery labels (PDF).
* :mod:`.stocks` — ``push_stocks`` (per campaign) and ``fetch_fbo_stocks`` (FBY).
* :mod:`.finance` — ``fetch_finance``: the payments report (united netting: a line a
  transaction, a report and a payout a bank order) and the goods-realization reports (totals),
  generated, polled and downloaded as CSV.

A new capability (stocks, prices, shipments, labels) is a module of its own whose mixin is
added to :class:`YandexAdapter` below.
"""
from .shipments import YandexShipments  # lifecycle: shipments, delivery statuses, cancellations
from .catalog import YandexCatalog, parse_catalog_item
from .client import YandexClient, parse_time
from .finance import YandexFinance
from .labels import YandexLabels
from .stocks import YandexStocks
from .orders import (
    IMPORT_STATUSES, OPEN_STATUSES, STATUS_STATES, YandexOrders, parse_buyer, parse_order, parse_state,
    status_state,
)
from .prices import YandexPrices

# Every other name the single module ``lib/yandex.py`` had stays reachable as ``yandex.NAME``
# (``yandex._iso``, ``yandex.MSK``...), so that whatever reached into it still finds it; the
# capability modules import from one another, not from here.
from .catalog import PLACEMENT_SCHEMES  # noqa: F401
from .client import (  # noqa: F401
    _CURRENCY, _DMY, CURRENCIES, EARLIEST, MSK, _amount, _iso, _moment, _number_id, _required_text,
)
from .orders import (  # noqa: F401
    _WORD, BUYER_STATUSES, KOPECK, LOST_SUBSTATES, MAX_LINES, MAX_REGION_DEPTH, PROCESSING_SUBSTATES,
    PROGRAM_SCHEMES, SCHEME_PROGRAMS, _count, _customer, _delivery, _guarded, _item_lines, _lines,
    _order_id, _peek_order_id, _region_name, _scheme, _split_units, _status, _warehouse, _word,
)


class YandexAdapter(YandexOrders, YandexCatalog, YandexStocks, YandexLabels, YandexShipments, YandexPrices,
                    YandexFinance, YandexClient):
    """One Yandex Market business: the shared client and a mixin per capability (the mixins
    come first, so that their methods stand in for the :class:`~..base.Adapter` stubs)."""


__all__ = ["YandexAdapter", "parse_order", "parse_state", "parse_buyer", "parse_catalog_item", "parse_time",
           "status_state", "STATUS_STATES", "IMPORT_STATUSES", "OPEN_STATUSES"]
