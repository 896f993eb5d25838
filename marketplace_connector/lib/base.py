"""What every marketplace adapter offers the Odoo side.

An adapter wraps one account's :class:`~.transport.Transport` and speaks in the neutral
shapes of :mod:`.orders` and this module.  ``make_adapter`` picks the marketplace.
"""
from dataclasses import dataclass, field

from .transport import RateLimiter, Transport


@dataclass(frozen=True)
class CatalogItem:
    """One item of the marketplace's catalogue, to propose a product mapping."""

    offer_code: str  # the seller's article / offer_id / offerId
    name: str
    barcodes: tuple = ()
    item_id: str = ""  # WB chrtId, Ozon sku, YM marketSku
    product_ref: str = ""  # WB nmId, Ozon product_id
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Warehouse:
    ref: str
    name: str
    scheme: str  # fbs, dbs or fbo


@dataclass(frozen=True)
class OrderRef:
    external_id: str
    scheme: str
    secondary_ref: str = ""
    #: when the order was placed (aware, UTC), where known: lets a marketplace whose state
    #: query needs a period (Yandex Market) ask for the right one
    created_at: object = None


class Adapter:
    marketplace = ""
    #: the production base URL (Wildberries: one per API family, see the subclass)
    default_base_url = ""
    #: the credential fields an account of this marketplace needs
    credential_fields = ()
    #: whether :meth:`complete_orders` looks anything up
    completes_orders = False
    #: (requests a second, burst) that keeps one account under the marketplace's documented limit
    rate_limit = (1.0, 1)

    def __init__(self, transport, settings=None):
        self.transport = transport
        self.settings = dict(settings or {})

    @classmethod
    def auth_headers(cls, credentials):
        raise NotImplementedError

    @classmethod
    def make_rate_limiter(cls, clock=None, sleep=None):
        kwargs = {}
        if clock is not None:
            kwargs["clock"] = clock
        if sleep is not None:
            kwargs["sleep"] = sleep
        rate, burst = cls.rate_limit
        return RateLimiter(rate=rate, burst=burst, **kwargs)

    def test_connection(self):
        """A short human sentence on success; raises AuthError/ApiError otherwise."""
        raise NotImplementedError

    def fetch_orders(self, since, until):
        """Orders created or changed in [since, until] (aware datetimes), every scheme the
        settings enable, as a list of ``Order`` or ``PayloadError`` (one bad payload does not
        stop the rest)."""
        raise NotImplementedError

    def complete_orders(self, orders):
        """What the list calls do not carry and an order needs before it becomes a sale order
        (Yandex Market: the buyer of a DBS order, one call each), looked up for these orders only:
        the same list, completed.  With ``settings["defer_lookups"]`` the adapter leaves those
        look-ups out of :meth:`fetch_orders`, so that reading a window stays a few paged calls
        and the look-ups are made a chunk of orders at a time, as they are imported."""
        return list(orders)

    def fetch_states(self, refs):
        """Current states of known orders: {external_id: (state, status_text)}."""
        raise NotImplementedError

    def fetch_catalog(self):
        """Iterate over the catalogue as ``CatalogItem``."""
        raise NotImplementedError

    def fetch_warehouses(self):
        """The marketplace's warehouses as ``Warehouse`` (the seller's and, where known, FBO)."""
        raise NotImplementedError

    def fetch_labels(self, refs, **options):
        """Labels / stickers of the orders ``refs`` (``OrderRef``) as a :class:`~.labels.LabelFetch`:
        the file of each order the marketplace gave, and why not for the others (not ready yet).
        ``options``: the marketplace's own (WB ``sticker_type``, ``size``; YM ``page_format``)."""
        raise NotImplementedError

    def fetch_finance(self, date_from, date_to, **options):
        """The finance reports of the period [date_from, date_to] (dates, the marketplace's own
        calendar: Moscow time) as a :class:`~.finance.FinanceFetch`: each report with its totals,
        each source row as :class:`~.finance.FinanceLine` objects, the rows that could not be read
        as ``PayloadError``.  ``options``: the marketplace's own (WB ``period``: weekly or daily)."""
        raise NotImplementedError

    def iter_finance(self, date_from, date_to, **options):
        """:meth:`fetch_finance` in pieces (``FinanceFetch`` objects), so that a period of
        hundreds of thousands of rows is kept a page at a time: a report comes in a piece before
        (or with) the first of its lines.  By default the whole period in one piece."""
        yield self.fetch_finance(date_from, date_to, **options)


ADAPTERS = {
    "wildberries": ("wildberries", "WildberriesAdapter"),
    "ozon": ("ozon", "OzonAdapter"),
    "yandex": ("yandex", "YandexAdapter"),
}


def adapter_class(marketplace):
    import importlib

    module, name = ADAPTERS[marketplace]
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def make_adapter(marketplace, credentials, settings=None, base_url=None, **transport_kwargs):
    """An adapter for one account.  ``base_url`` overrides production (emulator, sandbox)."""
    cls = adapter_class(marketplace)
    # The documented limits are kept in real time, even when a test replaces the
    # transport's backoff sleep (give ``rate_limiter`` to change that).
    limiter = transport_kwargs.pop("rate_limiter", None) or cls.make_rate_limiter()
    transport = Transport(
        base_url or cls.default_base_url,
        cls.auth_headers(credentials),
        rate_limiter=limiter,
        **transport_kwargs,
    )
    return cls(transport, settings)
