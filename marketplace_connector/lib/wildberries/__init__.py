"""Wildberries seller API: the adapter of one seller account and the parsers of its payloads.

WB's unit of an order is the *assembly task* (сборочное задание): one task per item bought.
A basket of three items gives three tasks sharing the buyer's ``orderUid``; each task is an
:class:`~..orders.Order` here with one line of quantity 1.  ``id`` is the external id,
``rid`` (the ``srid`` of WB's reports) the secondary reference.  Schemes: FBS — the seller
packs, WB delivers; DBS — the seller delivers (their calls: :mod:`.orders`).

Hosts: WB has one host per API family in production (:data:`HOSTS`).  The account's base URL
is the marketplace host (:attr:`WildberriesAdapter.default_base_url`); each call names its
family, and goes to that family's host while the transport points at production.  With any
other base URL (the emulator, a sandbox) every family is served under that one URL.

Limits: the FBS/DBS task and warehouse methods allow 300 requests a minute per seller (one
every 200 ms, bursts of 20); the transport keeps to 4.5 a second with bursts of 20, i.e. at
most 290 in any minute.  Content (cards) allows 100 a minute, bursts of 5: the card list has a
limiter of its own.  Over a limit WB answers 429 with ``X-Ratelimit-Retry`` (seconds), which
the transport obeys.

One module per capability, each a mixin of :class:`WildberriesAdapter` with the parsers of its
payloads beside it:

* :mod:`.client` — what every capability shares: the token, the hosts, the call, the limits,
  ``test_connection``, the small parsers (ids, barcodes, times);
* :mod:`.orders` — assembly tasks: ``fetch_orders``, ``fetch_states``, price bases and states;
* :mod:`.catalog` — ``fetch_catalog`` (cards) and ``fetch_warehouses``;
* :mod:`.prices` — ``export_prices`` (upload tasks read back) and ``fetch_tariffs``.
* :mod:`.labels` — ``fetch_labels``: stickers of assembly tasks.
* :mod:`.stocks` — ``push_stocks`` (seller warehouses) and ``fetch_fbo_stocks`` (WB's).
* :mod:`.finance` — ``fetch_finance``: the realization reports (finance API v1, one request a
  minute), each row as finance lines with a default category (``DEFAULT_CATEGORIES``).

A new capability (stocks, prices, shipments, labels) is a module of its own whose mixin is
added to :class:`WildberriesAdapter` below.
"""
from .shipments import WildberriesShipments  # lifecycle: shipments, delivery statuses, cancellations
from .catalog import WildberriesCatalog, parse_card
from .client import HOSTS, WildberriesClient
from .finance import WildberriesFinance
from .labels import WildberriesLabels
from .stocks import WildberriesStocks
from .orders import (
    WildberriesOrders, parse_client, parse_dbs_order, parse_fbs_order, parse_order, parse_status,
    peek_id, status_state,
)
from .prices import WildberriesPrices

# Every other name the single module ``lib/wildberries.py`` had stays reachable as
# ``wildberries.NAME`` (``wildberries._task_id``, ``wildberries.MAX_PERIOD``...), so that whatever
# reached into it still finds it; the capability modules import from one another, not from here.
from .catalog import WAREHOUSE_SCHEMES  # noqa: F401
from .client import _BARCODE, EARLIEST, MAX_INT64, _barcodes, _chunks, _moment, _task_id  # noqa: F401
from .orders import (  # noqa: F401
    _STATUS_WORD, CANCELLED_SUPPLIER, CANCELLED_WB, CURRENCIES, KOPECK_FIELDS, MAX_PERIOD,
    RETURNED_SUPPLIER, RETURNED_WB, SHIPPED_SUPPLIER, SHIPPED_WB, SUPPLIER_STATUSES, WB_STATUSES,
    _address, _currency, _guarded, _kopecks, _line_price, _line_prices,
)


class WildberriesAdapter(WildberriesOrders, WildberriesCatalog, WildberriesStocks, WildberriesLabels, WildberriesShipments, WildberriesPrices, WildberriesFinance, WildberriesClient):
    """One Wildberries seller account: the shared client and a mixin per capability (the
    mixins come first, so that their methods stand in for the :class:`~..base.Adapter` stubs)."""


__all__ = ["WildberriesAdapter", "HOSTS", "parse_order", "parse_fbs_order", "parse_dbs_order", "parse_status",
           "parse_client", "parse_card", "status_state", "peek_id"]
