"""Emulation of the Yandex Market Partner API (``api.partner.market.yandex.ru``) for one business.

Authentication is the ``Api-Key`` header; a missing or wrong key is answered ``401`` with the
spec's error body ``{"status": "ERROR", "errors": [{"code": "UNAUTHORIZED", "message": ...}]}``
(messages as in the API's error list: "Credentials are not specified", "Api-Key token is
invalid").  A business id the key does not belong to is answered ``403`` ("Access denied").

Rate limit: the orders method ``POST /v1/businesses/{businessId}/orders`` is documented with
``x-resource-limit-config`` 10 000 requests an hour (and at most 6 parallel requests); the
emulator enforces that limit for the account (all methods together).  Over it, the answer is
``420 Enhance Your Calm`` with ``X-RateLimit-Resource-Until`` — the moment the limit is lifted,
an RFC 822 date in GMT such as ``Thu, 10 Jul 2018 00:42:42 GMT`` (the API's "Restrictions on
requests" page; the spec file documents the 420 body, not the header) — plus
``X-RateLimit-Resource-Limit`` / ``-Remaining`` and the spec's body (``ApiLimitErrorResponse``).
ASSUMPTION: the error code of that body; the spec's typed codes have ``REQUEST_LIMIT_EXCEEDED``,
and the message follows the documented "Hit rate limit of 'N' requests per 'period' for
resource 'R'".

Routes (all in the spec file, request and answer validated against it), one module per
capability, each a mixin of :class:`YandexApp` that installs its state and its routes:

* :mod:`.core` — what every capability shares: the business and its campaigns, the key, the
  Market's error answers and its limit, ``pageToken`` paging, times;
* :mod:`.orders` — orders and their buyers, and their test-facing state (``add_orders``,
  ``cancel_order``, ``ship_order``, ``set_state``, ``set_status``);
* :mod:`.catalog` — campaigns, the catalogue (offer mappings) and warehouses;
* :mod:`.stocks` — stocks sent per campaign and the FBY stock.
* :mod:`.finance` — the finance reports of the app's own orders (payments report, goods
  realization: generate, poll, download from the file storage) and their control
  (``finance_control``: settle orders, inject errors).

A new capability (stocks, prices...) is a module of its own whose mixin is added to
:class:`YandexApp` below, its ``install_...`` called from the constructor.

The business has four campaigns in :attr:`YandexApp.SETTINGS` — FBS (Подольск), FBS with
Express (Казань), DBS (the seller delivers from a shop in Moscow), FBY (Market's warehouses) —
and a LaaS campaign that is not imported.
"""
from .catalog import YandexCatalog
from .core import YandexCore
from .finance import YandexFinance
from .labels import YandexLabels
from .orders import YandexOrders
from .prices import YandexPrices
from .shipments import YandexShipments  # lifecycle: boxes, status changes of the shop
from .stocks import YandexStocks

# the tests take the Market's time zone from here, as from the single module before
from .core import MSK  # noqa: F401


class YandexApp(YandexOrders, YandexCatalog, YandexStocks, YandexLabels, YandexShipments, YandexPrices,
                YandexFinance, YandexCore):
    """The Yandex Market emulation: the core and a mixin per capability."""

    def __init__(self, emulator):
        super().__init__(emulator)
        self.install_orders()
        self.install_catalog()
        self.install_prices()
        self.install_shipments()
        self.install_labels()
        self.install_stocks()
        self.install_finance()

