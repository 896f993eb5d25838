"""Ozon Seller API: the adapter of one seller account and the parsers of its payloads.

Orders are Ozon *postings* (отправления): ``posting_number`` is the order's external id,
``order_number`` the second id the seller sees.  Schemes, from the posting's
``integration_type_flow`` (or the older ``tpl_integration_type``):

* FBS — the seller packs, Ozon delivers (``ozon``, ``hybrid``...);
* DBS — Ozon's *rFBS*: the seller or a carrier of the seller's delivers (``non_integrated``,
  ``3pl_tracking``, ``aggregator`` and their ``hybrid_*`` forms, ``click_and_collect``); only
  these postings carry the buyer's name and address;
* FBO — Ozon packs from its fulfilment centres (the FBO list), and ``FBP`` postings of the
  FBS list (shipped from Ozon's partner warehouses, not from the seller's stock).

One module per capability, each a mixin of :class:`OzonAdapter` with the parsers of its
payloads beside it:

* :mod:`.client` — what every capability shares: credentials, the POST call, cursor paging,
  the rate limit, ``test_connection``, the small parsers (ids, times, prices);
* :mod:`.orders` — postings: ``fetch_orders``, ``fetch_states``, price bases and states;
* :mod:`.catalog` — ``fetch_catalog`` and ``fetch_warehouses``;
* :mod:`.prices` — ``export_prices`` (10 an hour a product) and ``fetch_tariffs``.
* :mod:`.labels` — ``fetch_labels`` / ``fetch_labels_file``: package labels (PDF).
* :mod:`.stocks` — ``push_stocks`` (seller warehouses, the 30-second rule) and ``fetch_fbo_stocks``.
* :mod:`.finance` — ``fetch_finance``: the transactions of a period (a report a month, with
  Ozon's totals), the monthly realization report and the payouts of the cash-flow statement.

A new capability (stocks, prices, shipments, labels) is a module of its own whose mixin is
added to :class:`OzonAdapter` below.

The shapes of the methods newer than the spec file are described in ``tests/emulator/ozon/``.
Ozon answers "too many requests" with 429 and no hint: the transport backs off
exponentially.  The documented limit is 50 requests a second per Client-Id for all
methods; the adapter keeps to 20 a second, leaving room for the seller's other tools.
"""
from .shipments import OzonShipments  # lifecycle: shipments, delivery statuses, cancellations
from .catalog import OzonCatalog, parse_catalog_item
from .client import OzonClient
from .finance import OzonFinance
from .labels import OzonLabels
from .stocks import OzonStocks
from .orders import (
    OPEN_STATUSES, STATUS_STATES, OzonOrders, parse_fbo_posting, parse_fbs_posting, parse_state,
    status_state,
)
from .prices import OzonPrices, PriceHistory

# Every other name the single module ``lib/ozon.py`` had stays reachable as ``ozon.NAME``
# (``ozon._stamp``, ``ozon.MAX_LINES``...), so that whatever reached into it still finds it;
# the capability modules import from one another, not from here.
from .client import _CURRENCY, EARLIEST, _moment, _number_id, _price, _required_text, _stamp  # noqa: F401
from .orders import (  # noqa: F401
    _LOST_WORDS, _POSTING_NUMBER, _STATUS_WORD, MAX_LINES, PARTNER_INTEGRATIONS, RETURNED_SUBSTATUSES,
    RFBS_INTEGRATIONS, _cancelled_state, _customer, _fbs_scheme, _financial_prices, _financial_products,
    _guarded, _lines, _peek_posting_number, _posting_number, _quantity, _secondary_ref, _status,
    _warehouse,
)


class OzonAdapter(OzonOrders, OzonCatalog, OzonStocks, OzonLabels, OzonShipments, OzonPrices, OzonFinance,
                  OzonClient):
    """One Ozon seller account: the shared client and a mixin per capability (the mixins
    come first, so that their methods stand in for the :class:`~..base.Adapter` stubs)."""


__all__ = ["OzonAdapter", "parse_fbs_posting", "parse_fbo_posting", "parse_state", "parse_catalog_item",
           "status_state", "STATUS_STATES", "OPEN_STATUSES"]
