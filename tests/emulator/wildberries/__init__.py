"""Emulation of the Wildberries seller API for one seller account (every API family).

In production WB has one host per API family (``marketplace-api.wildberries.ru`` for
assembly tasks, warehouses and stocks, ``content-api.wildberries.ru`` for product cards,
``common-api.wildberries.ru`` for ``/ping`` and the seller's information); the emulator
serves them all under one prefix, ``/wildberries/...``.

Authentication: the header ``Authorization: <token>`` (``Bearer <token>`` is accepted as
WB does).  A missing or wrong token is answered ``401`` with the body of the spec's ``401``
response (``title``, ``detail``, ``code``, ``requestId``, ``origin``, ``status``,
``statusText``, ``timestamp``).

Rate limit: the documented limit of the FBS assembly-task methods — 300 requests a minute per
seller account (interval 200 ms, burst 20) — is enforced for the account, all methods
together (the core keeps one window per account; WB counts per method group, so the emulator
is the stricter).  Over it the answer is ``429`` with the spec's ``429`` body and the headers of
WB's "Лимиты запросов" page: ``X-Ratelimit-Retry`` (seconds to wait before the next request),
``X-Ratelimit-Limit`` (the burst) and ``X-Ratelimit-Reset`` (seconds until the burst is whole
again).

Routes, all in the spec files ``../shared/specs/wildberries`` and validated against them, one
module per capability, each a mixin of :class:`WildberriesApp` that installs its state and its
routes:

* :mod:`.core` — what every capability shares: the account (token, seller, error bodies, the
  limit), the seller's warehouses, WB's times;
* :mod:`.orders` — FBS and DBS assembly tasks (``03-orders-fbs.yaml``, ``05-orders-dbs.yaml``)
  and their test-facing state (``add_orders``, ``cancel_order``, ``ship_order``,
  ``set_state``, ``set_status``);
* :mod:`.catalog` — cards (``02-products.yaml``) and warehouses;
* :mod:`.general` — ``/ping`` and the seller's information (``01-general.yaml``);
* :mod:`.prices` — prices and discounts (upload tasks), the commissions.
* :mod:`.stocks` — stocks sent to the seller's warehouses and WB's FBO stock report.
* :mod:`.finance` — the realization reports of the account's own tasks (finance API v1, newer
  than the spec file: schemas in :mod:`.finance_spec`, from WB's current spec), with errors on
  demand (``finance_control``).

A new capability (stocks, prices...) is a module of its own whose mixin is added to
:class:`WildberriesApp` below, its ``install_...`` called from the constructor.

Test knobs: ``repeat_cursor`` (the paged lists answer the cursor they were given, a broken
API) and ``retry_hint`` (the ``X-Ratelimit-Retry`` of the 429 answers).
"""
from .catalog import WildberriesCatalog
from .finance import WildberriesFinance
from .core import WildberriesCore
from .general import WildberriesGeneral
from .labels import WildberriesLabels
from .orders import WildberriesOrders
from .prices import WildberriesPrices
from .shipments import WildberriesShipments  # lifecycle: supplies, DBS statuses, cancellations


from .stocks import WildberriesStocks


class WildberriesApp(WildberriesOrders, WildberriesCatalog, WildberriesGeneral, WildberriesStocks,
                     WildberriesLabels, WildberriesShipments, WildberriesPrices, WildberriesFinance, WildberriesCore):
    """The Wildberries emulation: the core and a mixin per capability."""

    def __init__(self, emulator):
        super().__init__(emulator)
        self.install_orders()
        self.install_catalog()
        self.install_general()
        self.install_prices()
        self.install_shipments()
        self.install_labels()
        self.install_stocks()
        self.install_finance()
