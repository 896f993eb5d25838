# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import importlib
import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import create_unique_index

from odoo.addons.marketplace_connector.lib import finance
from odoo.addons.marketplace_connector.models.marketplace_account import MARKETPLACES

from ..lib.accounting import resolve, table_key

_logger = logging.getLogger(__name__)


class MarketplaceFinanceOperation(models.Model):
    """The accountant's table "operation type → cost category", per marketplace.

    A marketplace's finance reader knows the operation types seen so far and gives each line
    a category (its ``DEFAULT_CATEGORIES``, seeded here by ``_seed``); this table has the last
    word: the accountant may change any row, and the import asks ``_category_for``.  The
    component narrows a row to one amount of the operation (Wildberries' "Продажа" carries the
    sale, the remuneration, the logistics...); an empty component is any amount, and a row of
    the exact component wins over it; a row of operation ``*`` is its component in any operation
    (Ozon's commission), between the two.

    An operation type nobody knows yet is never dropped: ``_note_unknown`` adds it with no
    category and not reviewed, so that it is listed under "To review"; its lines wait for the
    accountant's category.
    """

    _name = "marketplace.finance.operation"
    _description = "Marketplace Finance Operation Type"
    _order = "marketplace, operation, component"
    _rec_name = "operation"

    marketplace = fields.Selection(MARKETPLACES, required=True, index=True)
    operation = fields.Char(
        string="Operation type", required=True,
        help="The marketplace's operation type, exactly as its reports write it.")
    component = fields.Char(
        help="Which amount of the operation (e.g. the sale, the remuneration, the delivery); "
             "empty for every amount of it.")
    category = fields.Selection(list(finance.CATEGORIES), help="The cost category the amounts are booked as.")
    reviewed = fields.Boolean(
        help="The category is known: it comes from the module's list of operation types, or an "
             "accountant gave or checked it. Operation types met in a report and unknown to the "
             "module arrive not reviewed and without a category.")
    note = fields.Text()

    def init(self):
        # an empty component is "any component": '' and NULL are the same row
        create_unique_index(self.env.cr, "marketplace_finance_operation_uniq", self._table,
                            ["marketplace", "operation", "COALESCE(component, '')"])

    @api.model_create_multi
    def create(self, vals_list):
        seen = set()
        for vals in vals_list:
            vals["component"] = vals.get("component") or False
            key = (vals.get("marketplace"), vals.get("operation"), vals["component"] or "")
            if key in seen or self._find(*key):
                self._raise_taken(key[1])
            seen.add(key)
        return super().create(vals_list)

    def write(self, vals):
        if "component" in vals:
            vals["component"] = vals["component"] or False
        if vals.get("category") and "reviewed" not in vals:
            # the accountant who gives a category has reviewed the row
            vals["reviewed"] = True
        if {"marketplace", "operation", "component"} & set(vals):
            for row in self:
                key = (vals.get("marketplace", row.marketplace), vals.get("operation", row.operation),
                       (vals["component"] if "component" in vals else row.component) or "")
                if self._find(*key) - row:
                    self._raise_taken(key[1])
        return super().write(vals)

    def _raise_taken(self, operation):
        # before the database's unique index refuses it, say it in words
        raise ValidationError(_(
            "The operation type %(operation)s already has a row for this marketplace and component.",
            operation=operation))

    # --- look-up -----------------------------------------------------------------

    @api.model
    def _find(self, marketplace, operation, component=""):
        """The row of exactly this (operation, component), or an empty recordset."""
        rows = self.sudo().search([("marketplace", "=", marketplace), ("operation", "=", operation)])
        return rows.filtered(lambda r: (r.component or "") == (component or ""))[:1].with_env(self.env)

    @api.model
    def _category_table(self, marketplace):
        """The whole table of a marketplace, {(operation, component or ""): category or ""}:
        one query for an import of many lines (``lib.accounting.resolve`` reads it)."""
        rows = self.sudo().search_read([("marketplace", "=", marketplace)], ["operation", "component", "category"])
        return {(r["operation"], r["component"] or ""): r["category"] or "" for r in rows}

    @api.model
    def _category_for(self, marketplace, operation, component=""):
        """The category of an operation's amount: the row of its component, else the row of
        every component; "" when unknown or not categorised yet."""
        rows = self.sudo().search([("marketplace", "=", marketplace), ("operation", "in", [operation, "*"]),
                                   ("component", "in", [component or False, False])])
        return resolve({(r.operation, r.component or ""): r.category for r in rows}, operation, component)

    # --- filling the table -------------------------------------------------------

    @api.model
    def _seed(self, marketplace, table):
        """Add the rows of a reader's ``DEFAULT_CATEGORIES`` that the table lacks: ``table`` maps
        ``(operation, component)``, or ``operation`` for every component, to a category.  Rows
        that exist keep what they say (an accountant's edit is never overwritten); only a row
        the import added without a category, and nobody reviewed, gets the seed's category.
        Returns the rows created or filled."""
        known = {(r.operation, r.component or ""): r
                 for r in self.sudo().search([("marketplace", "=", marketplace)])}
        create, filled = [], self.browse()
        for key, category in table.items():
            operation, component = table_key(key)
            if category and category not in finance.CATEGORY_CODES:
                raise ValueError(f"unknown category {category!r} for {marketplace} {operation!r}")
            row = known.get((operation, component))
            if row is None:
                create.append({"marketplace": marketplace, "operation": operation, "component": component,
                               "category": category or False, "reviewed": bool(category)})
                known[(operation, component)] = True
            elif row is not True and category and not row.category and not row.reviewed:
                row.write({"category": category, "reviewed": True})
                filled |= row
        return self.sudo().create(create) | filled

    @api.model
    def _seed_defaults(self):
        """Seed the table from the ``DEFAULT_CATEGORIES`` of each marketplace's finance reader
        (``marketplace_connector/lib/<marketplace>/finance.py``) that exists; run at every install
        and update of the module, so that operation types a new version knows arrive by
        themselves, and nothing the accountant changed moves."""
        for marketplace, _label in MARKETPLACES:
            try:
                reader = importlib.import_module(f"odoo.addons.marketplace_connector.lib.{marketplace}.finance")
            except ModuleNotFoundError:
                continue
            table = getattr(reader, "DEFAULT_CATEGORIES", None)
            if table:
                added = self._seed(marketplace, table)
                _logger.info("%s: %d operation types seeded", marketplace, len(added))

    @api.model
    def _note_unknown(self, marketplace, operation, component=""):
        """List an operation type met in a report and absent from the table (no category, not
        reviewed), unless a row already covers it.  Safe against a concurrent import noting
        the same type: the second one finds the first one's row."""
        row = self._find(marketplace, operation, component) or (
            component and self._find(marketplace, operation, ""))
        if row:
            return row.sudo()
        vals = {"marketplace": marketplace, "operation": operation, "component": component or False,
                "category": False, "reviewed": False}
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(vals)
        except psycopg2.IntegrityError:
            return self._find(marketplace, operation, component).sudo()

    # --- UI ------------------------------------------------------------------------

    def action_mark_reviewed(self):
        self.write({"reviewed": True})
