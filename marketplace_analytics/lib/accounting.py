"""Which accounts the marketplaces' money goes to: the settlement roles, the default account of
each cost category, and the operation-type table's look-up.  Framework-free: the Odoo models
hold the data (per company, per marketplace account) and call these rules.

Roles are the accounts of the entries a Russian accountant keeps for goods sold through a
marketplace (приказ Минфина 94н; the entries of issue 8, §2).  Each role has

* the account of the optional Russian chart (``ru_marketplace``), by its template id: a company
  on that chart gets exactly these;
* for any other chart (Odoo's generic one, another country's), the template ids of Odoo's
  generic chart that play the same part, then the ``account_type`` an account of that part has:
  the first account of that type (by code) is the default when none of the ids exists.
"""
from collections import namedtuple

Role = namedtuple("Role", "ru generic account_type")

#: the settlement roles: what each account is for, in the order of the entries
ROLES = {
    # Дт 76.01 Кт 90.01: what the marketplace owes the seller for the goods it sold
    "receivable": Role("ru_76_01", ("receivable",), "asset_receivable"),
    # Дт 44 Кт 76.02: the marketplace's remuneration and services (commission model)
    "payable": Role("ru_76_02", ("payable",), "liability_payable"),
    # Дт 44 Кт 60.01: the same when the marketplace is only the seller's payment agent
    "agent_payable": Role("ru_60_01", ("payable",), "liability_payable"),
    # Дт 45 Кт 41: goods handed to the marketplace are not sold yet
    "goods_shipped": Role("ru_45", ("stock_out",), "asset_current"),
    "goods": Role("ru_41", ("stock_valuation",), "asset_current"),
    "revenue": Role("ru_90_01", ("income",), "income"),
    # Дт 90.02 Кт 45
    "cogs": Role("ru_90_02", ("cost_of_goods_sold",), "expense_direct_cost"),
    # Дт 44: the charges (commission, logistics, storage...)
    "selling_expense": Role("ru_44", ("expense",), "expense"),
    # Дт 90.03 Кт 68.02: output VAT (a reduction of the revenue in a generic chart)
    "vat_sale": Role("ru_90_03", ("income",), "income"),
    "vat_payable": Role("ru_68_02", ("tax_received",), "liability_current"),
    # Дт 19 Кт 76.02, then Дт 68.02 Кт 19: the VAT of the marketplace's services
    "vat_receivable": Role("ru_19", ("tax_paid",), "asset_current"),
    # Дт 76.01 Кт 91.01: compensations; Дт 91.02 Кт 76.02: fines
    "other_income": Role("ru_91_01", ("other_income",), "income_other"),
    "other_expense": Role("ru_91_02", ("expense",), "expense"),
    # Дт 94 Кт 45: goods the marketplace lost or damaged
    "shortage": Role("ru_94", ("current_assets",), "asset_current"),
    # Дт 51 Кт 76.01: the payout
    "bank": Role("ru_51", (), "asset_cash"),
}

#: the journal the entries go to: the chart's own, else the company's first general journal
RU_JOURNAL = "marketplace"

#: the role whose account a cost category (``marketplace_connector.lib.finance.CATEGORIES``)
#: is booked on, where the accountant has not said otherwise
CATEGORY_ROLES = {
    "sale": "revenue",
    "return": "revenue",  # a storno of the revenue
    "loyalty": "revenue",  # the marketplace's compensation of a discount is part of the price
    "commission": "selling_expense",
    "acquiring": "selling_expense",
    "logistics": "selling_expense",
    "return_logistics": "selling_expense",
    "storage": "selling_expense",
    "acceptance": "selling_expense",
    "advertising": "selling_expense",
    "other": "selling_expense",
    "penalty": "other_expense",
    "compensation": "other_income",
    "payout": "bank",
}

#: the legal models of a marketplace contract (README §4)
COMMISSION_MODEL = "commission"  # the marketplace sells in its own name, for the seller
AGENT_MODEL = "agent"  # the seller sells; the marketplace takes the payment as its agent
DEFAULT_FINANCE_MODELS = {
    "wildberries": COMMISSION_MODEL,
    "ozon": COMMISSION_MODEL,
    "yandex": AGENT_MODEL,
}


def payable_role(finance_model):
    """The role of the account the marketplace's charges are owed on, for a legal model."""
    return "agent_payable" if finance_model == AGENT_MODEL else "payable"


def table_key(key):
    """A seed table's key as (operation, component): a bare operation means any component."""
    if isinstance(key, tuple):
        operation, component = key
        return operation, component or ""
    return key, ""


#: the operation of a row that holds for a component of every operation (Ozon's
#: ``("*", "sale_commission")``: the commission, whatever the operation)
ANY_OPERATION = "*"


def covering_key(table, operation, component=""):
    """The key of the row of ``table`` that decides an operation's amount: the exact
    (operation, component), else the component of any operation (``"*"``), else the operation
    for any component; None when no row covers it."""
    component = component or ""
    keys = [(operation, component), (ANY_OPERATION, component)] if component else []
    for key in keys + [(operation, "")]:
        if key in table:
            return key
    return None


def resolve(table, operation, component=""):
    """The category of an operation in ``table`` {(operation, component): category}, by the row
    :func:`covering_key` finds; "" when none covers it or the row has no category yet (an
    operation waiting for the accountant's review)."""
    key = covering_key(table, operation, component)
    return (table.get(key) or "") if key else ""
