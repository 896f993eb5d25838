"""Emulation of the Ozon Seller API (``api-seller.ozon.ru``) for one seller account.

Authentication is the pair of headers ``Client-Id`` + ``Api-Key``; a wrong or missing pair
is answered ``403`` with Ozon's error body ``{code, message, details}`` (the spec file
documents 403 "Доступ запрещён" for every method and no 401).  Over the documented limit
(50 requests a second for all methods of one Client-Id, tag "Process" of the spec) the
answer is ``429 {"code": 8, "message": "You have reached request rate limit per second"}``
with no retry hint.

Routes (all POST, as Ozon has them), one module per capability, each a mixin of
:class:`OzonApp` that installs its state and its routes:

* :mod:`.core` — what every capability shares: the account (credentials, Ozon's error
  answers, the limit), the seller's warehouses and Ozon's clusters, cursor paging, times;
* :mod:`.orders` — postings (FBS, rFBS, FBO): their lists, look-ups and test-facing state
  (``add_orders``, ``cancel_order``, ``ship_order``, ``set_state``, ``set_status``);
* :mod:`.catalog` — products and warehouses;
* :mod:`.prices` — prices (10 an hour a product) and commissions.
* :mod:`.stocks` — stocks sent (``/v2/products/stocks``, its limits) and the FBO stock report.
* :mod:`.finance` — the finance reports of the postings it generated (transactions and their
  totals, the monthly realization report, the cash-flow statement with the payouts), and
  ``finance_control`` (settle postings, inject errors).

A new capability (stocks, prices...) is a module of its own whose mixin is added to
:class:`OzonApp` below, its ``install_...`` called from the constructor.

Every route is validated against the spec file ``../shared/specs/ozon``, except the methods
newer than it (their JSON schemas are in :attr:`OzonApp.extra_schemas`, gathered from the
capability modules' ``EXTRA_SCHEMAS``):

* ``/v4/posting/fbs/list`` and ``/v4/posting/fbs/unfulfilled/list`` (they replaced the v3 FBS
  lists, turned off in 2026); ``/v3/posting/fbo/list`` (replaced ``/v2/posting/fbo/list``,
  turned off on 2026-08-31); ``/v2/warehouse/list`` (replaced ``/v1/warehouse/list``, turned
  off on 2026-04-07).  All four page by an opaque ``cursor`` + ``has_next``, and answer at the
  top level (no ``result`` wrapper).
* Sources: an exact extract of Ozon's official swagger of 2026-08-25 (schemas
  ``posting.v4.PostingFbsListRequest`` / ``...Response``, ``money.postingMoney``: limit 1..100,
  ``filter.since``/``to`` required, ``statuses[]``, ``warehouse_ids[]``,
  ``last_changed_status_date{from, to}``, ``order_numbers[]`` (at most 100),
  ``integration_type_flow``; a product's ``price`` is ``{amount: "1234.50", currency: "RUB"}``);
  for ``/v3/posting/fbo/list`` and ``/v2/warehouse/list`` the public client library
  a-ulianov/OzonAPI (``schemas/fbo/v3__posting_fbo_list.py``,
  ``schemas/warehouses/v2__warehouse_list.py``) and the method pages quoted in other public
  projects (FBO list: limit at most 100; warehouse list: ``limit`` required, at most 200).
  ASSUMPTION: where those sources say nothing (which posting fields are always present, the
  form of the cursor), the v3 posting of the spec file is followed.
* ``/v1/finance/cash-flow-statement/list``: in the spec file, but its answer schema cannot be
  used (``details`` and ``payments`` are ``"type": "array", "items": null`` beside a ``$ref``);
  the route carries the spec file's schemas with those two read as arrays (:mod:`.finance`).
"""
from .catalog import EXTRA_SCHEMAS as CATALOG_SCHEMAS
from .catalog import OzonCatalog
from .core import OzonCore
from .finance import EXTRA_SCHEMAS as FINANCE_SCHEMAS
from .finance import OzonFinance
from .labels import OzonLabels
from .orders import EXTRA_SCHEMAS as ORDER_SCHEMAS
from .orders import OzonOrders
from .prices import OzonPrices
from .stocks import EXTRA_SCHEMAS as STOCK_SCHEMAS
from .shipments import OzonShipments  # lifecycle: ship, rFBS statuses, cancellations
from .stocks import OzonStocks


class OzonApp(OzonOrders, OzonCatalog, OzonStocks, OzonLabels, OzonShipments, OzonPrices, OzonFinance, OzonCore):
    """The Ozon emulation: the core and a mixin per capability."""

    #: methods newer than the spec file: path -> (request schema, answer schema)
    extra_schemas = {**ORDER_SCHEMAS, **CATALOG_SCHEMAS, **STOCK_SCHEMAS, **FINANCE_SCHEMAS}

    def __init__(self, emulator):
        super().__init__(emulator)
        self.install_orders()
        self.install_catalog()
        self.install_prices()
        self.install_shipments()
        self.install_labels()
        self.install_stocks()
        self.install_finance()
