# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One amount of one row of a marketplace's finance report (see ``lib/finance.py``).

A line is keyed by the marketplace's own row id and the amount's component (``key``, unique
per account), so a report read again changes nothing, and a correction row of a later report
is a line of its own pointing at what it corrects.  Its ``category`` comes from the
accountant's table of operation types (``marketplace.finance.operation``); a line whose
operation the table does not know yet has none and is listed for review.  The source row is
kept verbatim, once per row (on the row's first line, ``raw``).  The line finds its order by
the order's external id (``order_ref``) and its product through the account's mappings.
"""
import json

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.addons.marketplace_connector.lib import finance as lib_finance


#: columns whose False is a value (not NULL)
_NOT_NULL = frozenset(("correction", "booked"))


class MarketplaceFinanceLine(models.Model):
    _name = "marketplace.finance.line"
    _description = "Marketplace Finance Line"
    _order = "date desc, id desc"
    _rec_name = "key"

    # (the account's lines are found by the unique index on account and key)
    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    marketplace = fields.Selection(related="account_id.marketplace", store=True)
    report_id = fields.Many2one("marketplace.finance.report", ondelete="cascade", index=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    row_key = fields.Char(string="Source row", required=True, index=True, readonly=True)
    operation = fields.Char(required=True, readonly=True, help="The marketplace's operation type, verbatim.")
    component = fields.Char(readonly=True, help="Which amount of the source row this line is.")
    category = fields.Selection(lib_finance.CATEGORIES,
                                help="From the table of operation types; empty until the accountant maps the operation.")
    date = fields.Datetime(required=True, index=True, readonly=True)
    amount = fields.Monetary(readonly=True, help="Signed from the seller's side: + owed to the seller, − kept by the marketplace.")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    order_ref = fields.Char(string="Order", index=True, readonly=True)
    sale_order_id = fields.Many2one("sale.order", index="btree_not_null", readonly=True)
    offer = fields.Char(string="Article", readonly=True)
    product_ref = fields.Char(string="Marketplace product", readonly=True)
    barcode = fields.Char(readonly=True)
    product_id = fields.Many2one("product.product", index="btree_not_null", readonly=True)
    quantity = fields.Integer(readonly=True)
    vat_amount = fields.Monetary(string="VAT", readonly=True)
    vat_rate = fields.Float(string="VAT rate, %", readonly=True)
    correction = fields.Boolean(readonly=True, help="A correction or reversal (сторно, «Коррекция …»).")
    corrects = fields.Char(string="Corrects row", readonly=True)
    corrected_line_ids = fields.Many2many(
        "marketplace.finance.line", compute="_compute_corrected_lines",
        string="Corrected lines", help="The lines of the row this correction corrects.")
    expected = fields.Monetary(
        string="Expected by the row", readonly=True,
        help="What the row's own tariff says this amount should be, where the row states it (Wildberries: the "
             "remuneration its stated commission gives).")
    booked = fields.Boolean(default=True, readonly=True,
                            help="Off for the lines of a report that restates money other reports carry.")
    raw = fields.Json(string="Source row, verbatim", readonly=True, groups="account.group_account_invoice")

    _sql_constraints = [
        ("account_key_uniq", "unique(account_id, key)", "A report line is kept once per account."),
    ]

    @api.depends("corrects", "account_id")
    def _compute_corrected_lines(self):
        for line in self:
            line.corrected_line_ids = self.search([
                ("account_id", "=", line.account_id.id), ("row_key", "=", line.corrects)]) if line.corrects \
                else self.browse()

    def action_open_source(self):
        """The source row of this line: its first line, which keeps the row verbatim."""
        self.ensure_one()
        first = self.search([("account_id", "=", self.account_id.id), ("row_key", "=", self.row_key)],
                            order="id", limit=1)
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": first.id,
                "view_mode": "form", "target": "new"}

    @api.model
    def _finance_rows_with_lines(self, account, row_keys):
        """The rows of ``row_keys`` that already have a line kept (and so their source row)."""
        if not row_keys:
            return []
        self.flush_model(["account_id", "row_key"])
        self.env.cr.execute("SELECT DISTINCT row_key FROM marketplace_finance_line "
                            "WHERE account_id = %s AND row_key = ANY(%s)", [account.id, list(row_keys)])
        return [row[0] for row in self.env.cr.fetchall()]

    #: the columns ``_finance_insert`` writes, in its order
    _INSERT_COLUMNS = (
        "account_id", "company_id", "marketplace", "report_id", "key", "row_key", "operation", "component",
        "category", "date", "amount", "currency_id", "order_ref", "sale_order_id", "offer", "product_ref",
        "barcode", "product_id", "quantity", "vat_amount", "vat_rate", "correction", "corrects", "expected", "booked", "raw")

    @api.model
    def _finance_insert(self, vals_list, account):
        """Insert lines of ``account`` in one statement (the import keeps hundreds of thousands of
        lines a period: the ORM's create, a few thousand a second, is the slow part of it).  Only
        plain stored fields, all given; the related ones are the account's.  The model's cache is
        cleared of what it could hold of the table; the reports' sums are recomputed by the
        caller."""
        if not vals_list:
            return
        self.flush_model()
        uid, now = self.env.uid, fields.Datetime.now()
        company, marketplace = account.company_id.id, account.marketplace
        rows = []
        for vals in vals_list:
            row = dict(vals, company_id=company, marketplace=marketplace)
            raw = row.get("raw")
            row["raw"] = json.dumps(raw, ensure_ascii=False, default=str) if raw else None
            rows.append(tuple(None if row.get(column) is False and column not in _NOT_NULL else row.get(column)
                              for column in self._INSERT_COLUMNS) + (uid, now, uid, now))
        columns = ", ".join(f'"{c}"' for c in self._INSERT_COLUMNS + ("create_uid", "create_date", "write_uid",
                                                                      "write_date"))
        execute_values(self.env.cr._obj, f"INSERT INTO marketplace_finance_line ({columns}) VALUES %s "
                       f"ON CONFLICT (account_id, key) DO NOTHING", rows, page_size=1000)
        self.invalidate_model()
