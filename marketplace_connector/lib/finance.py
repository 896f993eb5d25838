"""The marketplaces' finance reports in one neutral shape.

Each marketplace's finance capability (``lib/<marketplace>/finance.py``) reads its reports
and turns every source row into :class:`FinanceLine` objects, one per amount the row carries
(a Wildberries row carries the sale, WB's remuneration, the logistics, a fine...; an Ozon
operation its accruals, its commission and each of its services), plus one
:class:`FinanceReport` per report with the totals the marketplace states for it.

The rules every marketplace keeps, so that the accounting side can rely on them:

* **Money is** :class:`~decimal.Decimal`, in the report's currency, signed from the seller's
  side: ``+`` what the marketplace owes the seller (a sale, a compensation), ``-`` what it
  keeps (a return, a commission, logistics, storage, a fine).  Amounts are summed first and
  rounded to kopecks last (:func:`money`).
* **Keys are stable**: ``FinanceLine.key`` is unique within an account and the same every time
  the same source row is read again (``wb:<rrdId>:<component>``, ``ozon:<operation_id>:<component>``,
  ...), so a report imported twice changes nothing; ``row_key`` names the source row all the
  components of one row share.  A correction or reversal (сторно, «Коррекция …») is a line
  of its own, with ``correction=True`` and, where the marketplace says which row it corrects,
  ``corrects`` = that row's ``row_key``.
* **The lines of a report add up to it**: for every report, the sum of the amounts of its
  lines, payouts excluded, equals ``FinanceReport.to_pay`` (what the marketplace says it pays
  for the period) to the kopeck.  A payout (money sent to the seller's bank account) is a line
  of category :data:`PAYOUT` whose amount is the money sent, positive.
* **Nothing is dropped**: an operation type the module does not know still becomes lines
  (``category`` is then ``""``: the accounting side lists it for review); a row that cannot be
  read at all is returned as a :class:`~.orders.PayloadError` in place of its lines, and the
  rest of the report goes on.
* ``raw`` is the source row verbatim (the same dict for every component of the row).
* ``order_ref`` is what the order import stored as the order's external id (Wildberries: the
  assembly task id; Ozon: the posting number; Yandex Market: the order id), so that a line
  finds its order; ``offer`` the seller's article, ``product_ref`` the marketplace's own
  product id (WB nmId, Ozon sku, YM marketSku), ``barcode`` where the row has one.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: the cost categories, in the order the accountant reads them
SALE = "sale"
RETURN = "return"
COMMISSION = "commission"
ACQUIRING = "acquiring"
LOGISTICS = "logistics"  # delivery to the customer
RETURN_LOGISTICS = "return_logistics"
STORAGE = "storage"
ACCEPTANCE = "acceptance"
PENALTY = "penalty"
ADVERTISING = "advertising"
OTHER = "other"  # other deductions
COMPENSATION = "compensation"
LOYALTY = "loyalty"  # loyalty programmes, co-investment, discount compensation
PAYOUT = "payout"

CATEGORIES = (
    (SALE, "Sale"),
    (RETURN, "Return"),
    (COMMISSION, "Commission"),
    (ACQUIRING, "Acquiring"),
    (LOGISTICS, "Logistics to the customer"),
    (RETURN_LOGISTICS, "Return logistics"),
    (STORAGE, "Storage"),
    (ACCEPTANCE, "Acceptance"),
    (PENALTY, "Penalty"),
    (ADVERTISING, "Advertising"),
    (OTHER, "Other deductions"),
    (COMPENSATION, "Compensation"),
    (LOYALTY, "Loyalty and co-investment"),
    (PAYOUT, "Payout"),
)
CATEGORY_CODES = frozenset(code for code, _label in CATEGORIES)

KOPECK = Decimal("0.01")


def money(value):
    """Round a Decimal to kopecks, half up (as the marketplaces' reports do)."""
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def decimal(value, label="amount"):
    """A report's number (a string, an int or a float as JSON gives it) as a Decimal, exactly:
    floats go through their shortest repr, so that ``1.349`` stays ``1.349``.  None and ""
    are zero.  Anything else raises ValueError naming ``label``."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"{label} is not a number: {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label} is not a number: {str(value)[:32]!r}") from None
    if not result.is_finite():
        raise ValueError(f"{label} is not a number: {str(value)[:32]!r}")
    return result


@dataclass(frozen=True)
class FinanceReport:
    """One report as the marketplace states it (its header and totals)."""

    key: str  # unique within the account: "wb:<reportId>", "ozon:realization:2026-11", ...
    kind: str  # the marketplace's kind of report: "weekly", "daily", "realization", "transactions", ...
    date_from: object  # date
    date_to: object  # date
    currency: str = "RUB"
    number: str = ""  # the report's number, as printed
    created: object = None  # datetime (aware) or None
    to_pay: Decimal = Decimal(0)  # what the marketplace pays for the period (WB bankPaymentSum)
    #: the other totals the marketplace states (WB retailAmountSum, forPaySum...; Ozon
    #: doc_amount, vat_amount; ...), name -> Decimal, for the reconciliation to check
    totals: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    #: False for a report that restates money other reports of the same marketplace carry
    #: (Ozon's monthly realization report restates the sales and commissions of its
    #: transactions): its lines are kept, for the commissioner's report and as a check, but are
    #: never booked nor summed with the others
    booked: bool = True


@dataclass(frozen=True)
class FinanceLine:
    """One amount of one source row of a report."""

    key: str  # unique within the account, stable: "<row_key>:<component>"
    row_key: str  # the source row: "wb:<rrdId>", "ozon:<operation_id>", ...
    report_key: str  # FinanceReport.key (every line belongs to a report; Ozon: the month of transactions)
    operation: str  # the marketplace's operation type, verbatim ("Логистика", "OperationAgentDeliveredToCustomer")
    component: str  # which amount of the row ("retail_amount", "delivery", a service name...)
    category: str  # one of CATEGORY_CODES, or "" when the module does not know the operation
    date: object  # datetime (aware), when the operation happened
    amount: Decimal  # signed, the seller's side (see the module's doc)
    currency: str = "RUB"
    order_ref: str = ""
    offer: str = ""
    product_ref: str = ""
    barcode: str = ""
    quantity: int = 0  # goods moved by the row (a sale: +n, a return: -n), 0 for a service
    vat_amount: object = None  # Decimal where the row carries the VAT of the amount
    vat_rate: object = None  # Decimal percent where the row carries it
    correction: bool = False
    corrects: str = ""  # row_key of the row a correction corrects, where the marketplace says it
    #: what the row's own tariff says the amount should be, where the row states it (WB: the
    #: remuneration its stated commission gives): the reconciliation lists a line that differs
    expected: object = None
    raw: dict = field(default_factory=dict)


@dataclass
class FinanceFetch:
    """What one read of a period gave: reports, lines, and the rows that could not be read
    (``PayloadError``, with the row in ``raw``)."""

    reports: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    errors: list = field(default_factory=list)
