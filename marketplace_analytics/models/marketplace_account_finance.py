# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import of an account's finance reports.

``_finance_import(date_from, date_to)`` reads the period from the marketplace (the adapter's
``fetch_finance``: reports, their lines, the rows it could not read) and keeps it:

* a report is kept once per key; read again, its totals are refreshed;
* a line is kept once per key: a line already kept is left as it is, so a period read twice
  changes nothing, and a correction the marketplace issues later arrives as a line of its own
  (``correction``, ``corrects``);
* the category of a line comes from the accountant's table of operation types; an operation
  the table does not know is added to it, with the category the marketplace's module proposes
  (or none, to be reviewed);
* a line finds its sale order by the order's external id, and its product through the
  account's mappings (barcode, then article, then the marketplace's product id);
* a row that could not be read is written to the sync log with the reason; the rest is kept.

The scheduled action imports, for every account that imports its reports, the days from the
last import back ``finance_reread_days`` (the marketplaces correct their reports for weeks:
Wildberries' report is open to objections for 21 days), up to yesterday.
"""
import logging
import threading
from datetime import date, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.addons.marketplace_connector.lib.transport import ApiError

_logger = logging.getLogger(__name__)

#: lines created by one ORM create
CREATE_CHUNK = 2000
#: advisory lock namespace of the finance import (the key is the account)
FINANCE_LOCK = 4245


class MarketplaceAccount(models.Model):
    _inherit = "marketplace.account"

    finance_import = fields.Boolean(
        string="Import finance reports", default=False,
        help="The scheduled action imports the marketplace's finance reports of this account every day.")
    finance_period = fields.Selection(
        [("weekly", "Weekly"), ("daily", "Daily")], string="Report period", default="weekly",
        help="Wildberries: which realization reports to import (the daily and weekly reports overlap: choose one).")
    finance_start_date = fields.Date(
        string="Import reports from",
        help="The first day the finance import reads; by default, the day the account was created.")
    finance_reread_days = fields.Integer(
        string="Re-read (days)", default=30,
        help="Each run reads again the reports of this many days before the last import: the marketplaces "
             "correct their reports for weeks after issuing them.")
    finance_last_date = fields.Date(string="Reports imported up to", readonly=True, copy=False)
    finance_report_count = fields.Integer(compute="_compute_finance_report_count")

    def _compute_finance_report_count(self):
        counts = dict(self.env["marketplace.finance.report"]._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        for account in self:
            account.finance_report_count = counts.get(account, 0)

    # --- import ------------------------------------------------------------------------------------
    def _finance_options(self, scheduled=False):
        """The options of ``adapter.fetch_finance`` from the account's settings.  ``scheduled``:
        for the scheduled action, which runs under Odoo's time limit of a scheduled job (120 s by
        default): Yandex Market's goods-realization reports (a document, not booked; one report
        per campaign and month, generated two minutes apart) are left to the import on demand."""
        self.ensure_one()
        if self.marketplace == "wildberries":
            return {"period": self.finance_period or "weekly"}
        if self.marketplace == "yandex" and scheduled:
            return {"realization": False}
        return {}

    def _finance_import(self, date_from, date_to, scheduled=False, **transport_kwargs):
        """Read the reports of [date_from, date_to] and keep them; returns a summary dict.
        ``transport_kwargs``: the transport's (``sleep`` and ``clock``: how the marketplaces'
        paces — a request a minute, a report generated every two minutes — are waited)."""
        self.ensure_one()
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (FINANCE_LOCK, self.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(_("Another process is importing the finance reports of %s: try again in a minute.",
                              self.name))
        calls = []
        totals = {"reports": 0, "lines": 0, "new_lines": 0, "errors": 0, "to_review": 0, "moved_lines": 0}
        state = {}
        try:
            # a page at a time: a period of 100,000 rows is never held whole
            for piece in self._get_adapter(calls, **transport_kwargs).iter_finance(
                    date_from, date_to, **self._finance_options(scheduled=scheduled)):
                for name, value in self._finance_store(piece, state, sums=False).items():
                    totals[name] += value
        except ApiError as exc:
            self._write_sync_log(calls, "finance")
            self._record_failure(exc.message)
            raise UserError(_("The finance reports of %(account)s could not be read: %(error)s",
                              account=self.name, error=exc.message)) from None
        self._write_sync_log(calls, "finance")
        if state.get("touched"):
            self.env["marketplace.finance.report"].browse(list(state["touched"]))._compute_sums()
        return totals

    def _finance_store(self, fetched, state=None, sums=True):
        """Keep what ``fetch_finance`` (or a piece of ``iter_finance``) gave, a ``FinanceFetch``.
        ``state``: what the earlier pieces of the same import left (their reports); ``sums``:
        recompute the touched reports' sums now (the import does it once, at the end)."""
        self.ensure_one()
        account = self.sudo()
        state = {} if state is None else state
        now = fields.Datetime.now()
        reports = state.setdefault("reports", {})
        reports.update(account._finance_store_reports(fetched.reports, now))
        unbooked = state.setdefault("unbooked", set())
        unbooked.update(report.key for report in fetched.reports if not report.booked)
        missing = {line.report_key for line in fetched.lines if line.report_key and line.report_key not in reports}
        if missing:
            # a piece's lines of a report kept by an earlier import
            for report in self.env["marketplace.finance.report"].sudo().search(
                    [("account_id", "=", account.id), ("key", "in", list(missing))]):
                reports[report.key] = report.id
                if not report.booked:
                    unbooked.add(report.key)
        touched = state.setdefault("touched", set())
        touched.update(reports[report.key] for report in fetched.reports)
        summary = {"reports": len(fetched.reports), "lines": len(fetched.lines), "new_lines": 0,
                   "errors": len(fetched.errors), "to_review": 0}
        Line = self.env["marketplace.finance.line"].sudo()
        known = account._finance_known_keys([line.key for line in fetched.lines])
        fresh, seen, moved = [], set(), {}
        for line in fetched.lines:
            if line.key in known:
                # a row the marketplace now gives in another report (Yandex Market: accrued, then
                # paid by a bank order) follows it
                report_id = reports.get(line.report_key)
                if report_id and known[line.key] != report_id:
                    moved.setdefault(report_id, []).append(line.key)
                continue
            if line.key in seen:
                continue
            seen.add(line.key)
            fresh.append(line)
        categories = self.env["marketplace.finance.operation"].sudo()._finance_categories(
            account.marketplace, {(line.operation, line.component): line.category for line in fresh})
        orders = account._finance_orders({line.order_ref for line in fresh if line.order_ref})
        products = account._finance_products(fresh)
        currencies = {}
        first_of_row = set(self.env["marketplace.finance.line"]._finance_rows_with_lines(
            account, {line.row_key for line in fresh}))
        vals_list = []
        for line in fresh:
            if line.currency not in currencies:
                currencies[line.currency] = account._finance_currency(line.currency)
            category = categories.get((line.operation, line.component)) or False
            if not category:
                summary["to_review"] += 1
            keep_raw = line.row_key not in first_of_row
            first_of_row.add(line.row_key)
            vals_list.append({
                "account_id": account.id, "report_id": reports.get(line.report_key) or False,
                "key": line.key, "row_key": line.row_key, "operation": line.operation[:256],
                "component": line.component or False, "category": category,
                "date": fields.Datetime.to_datetime(_naive(line.date)) or now,
                "amount": float(line.amount), "currency_id": currencies[line.currency],
                "order_ref": line.order_ref or False, "sale_order_id": orders.get(line.order_ref) or False,
                "offer": line.offer or False, "product_ref": line.product_ref or False,
                "barcode": line.barcode or False, "product_id": products.get(line.key) or False,
                "quantity": line.quantity or 0,
                "vat_amount": float(line.vat_amount) if line.vat_amount is not None else 0.0,
                "vat_rate": float(line.vat_rate) if line.vat_rate is not None else 0.0,
                "correction": bool(line.correction), "corrects": line.corrects or False,
                "booked": line.report_key not in unbooked,
                "expected": float(line.expected) if line.expected is not None else None,
                "raw": line.raw if keep_raw else False,
            })
        for start in range(0, len(vals_list), CREATE_CHUNK):
            Line._finance_insert(vals_list[start:start + CREATE_CHUNK], account)
        summary["new_lines"] = len(vals_list)
        old_reports = set()
        for report_id, keys in moved.items():
            self.env.cr.execute("UPDATE marketplace_finance_line SET report_id = %s WHERE account_id = %s "
                                "AND key = ANY(%s)", [report_id, account.id, keys])
            old_reports.update(known[key] for key in keys if known[key])
        if moved:
            Line.invalidate_model(["report_id"])
        summary["moved_lines"] = sum(len(keys) for keys in moved.values())
        account._finance_record_errors(fetched.errors)
        touched.update(old_reports)
        touched.update(reports[key] for key in {line.report_key for line in fresh} if key in reports)
        if sums and touched:
            self.env["marketplace.finance.report"].browse(list(touched))._compute_sums()
        return summary

    def _finance_store_reports(self, reports, now):
        """{report key: id}, the reports created or refreshed."""
        Report = self.env["marketplace.finance.report"].sudo()
        existing = {r.key: r for r in Report.search([("account_id", "=", self.id),
                                                     ("key", "in", [r.key for r in reports])])}
        result, creates, new_keys = {}, [], set()
        for report in reports:
            vals = {"kind": report.kind, "number": report.number or False,
                    "date_from": report.date_from, "date_to": report.date_to,
                    "created": fields.Datetime.to_datetime(_naive(report.created)) if report.created else False,
                    "currency_id": self._finance_currency(report.currency),
                    "to_pay": float(report.to_pay),
                    "totals": {k: str(v) for k, v in (report.totals or {}).items()},
                    "raw": report.raw or False, "imported_date": now, "booked": report.booked}
            record = existing.get(report.key)
            if record:
                record.write(vals)
                result[report.key] = record.id
            elif report.key not in new_keys:
                new_keys.add(report.key)
                creates.append(dict(vals, account_id=self.id, key=report.key))
        result.update({record.key: record.id for record in Report.create(creates)})
        return result

    def _finance_known_keys(self, keys):
        """{key: report id} of the lines of ``keys`` kept already."""
        if not keys:
            return {}
        self.env["marketplace.finance.line"].flush_model(["account_id", "key", "report_id"])
        self.env.cr.execute("SELECT key, report_id FROM marketplace_finance_line "
                            "WHERE account_id = %s AND key = ANY(%s)", [self.id, list(keys)])
        return dict(self.env.cr.fetchall())

    def _finance_orders(self, refs):
        """{order_ref: sale order id} of this account."""
        if not refs:
            return {}
        orders = self.env["sale.order"].sudo().search_read(
            [("marketplace_account_id", "=", self.id), ("marketplace_external_id", "in", list(refs))],
            ["marketplace_external_id"])
        return {o["marketplace_external_id"]: o["id"] for o in orders}

    def _finance_products(self, lines):
        """{line key: product id}: by barcode, then article, then the marketplace's product id."""
        Mapping = self.env["marketplace.product.mapping"].sudo()
        barcodes = {ln.barcode for ln in lines if ln.barcode}
        offers = {ln.offer for ln in lines if ln.offer}
        refs = {ln.product_ref for ln in lines if ln.product_ref}
        if not (barcodes or offers or refs):
            return {}
        by = {"barcode": {}, "offer_code": {}, "item_id": {}, "product_ref": {}}
        domain = [("account_id", "=", self.id), ("product_id", "!=", False), "|", "|", "|",
                  ("barcode", "in", list(barcodes)), ("offer_code", "in", list(offers)),
                  ("item_id", "in", list(refs)), ("product_ref", "in", list(refs))]
        for row in Mapping.search_read(domain, ["barcode", "offer_code", "item_id", "product_ref", "product_id"]):
            for field_name in by:
                if row[field_name]:
                    by[field_name].setdefault(row[field_name], row["product_id"][0])
        result = {}
        for ln in lines:
            product = (by["barcode"].get(ln.barcode) or by["offer_code"].get(ln.offer)
                       or by["item_id"].get(ln.product_ref) or by["product_ref"].get(ln.product_ref))
            if product:
                result[ln.key] = product
        return result

    def _finance_currency(self, code):
        currency = self.env["res.currency"].with_context(active_test=False).search([("name", "=", code or "RUB")],
                                                                                  limit=1)
        if not currency:
            raise UserError(_("The finance report of %(account)s is in %(code)s, a currency Odoo does not know.",
                              account=self.name, code=code))
        if not currency.active:
            currency.sudo().active = True
        return currency.id

    def _finance_record_errors(self, errors):
        """The rows that could not be read, one sync log row each, with the reason."""
        self.env["marketplace.sync.log"].sudo().create([{
            "account_id": self.id, "operation": "finance", "state": "error",
            "endpoint": getattr(error, "external_id", None) or "",
            "error": _("Unreadable finance report row: %s", getattr(error, "message", None) or str(error)),
        } for error in errors])

    # --- scheduled action and button ---------------------------------------------------------------
    def _finance_period_to_read(self, today=None):
        """(date_from, date_to) the next scheduled run reads."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        date_to = today - timedelta(days=1)
        start = self.finance_start_date or (self.create_date.date() if self.create_date else date_to)
        if self.finance_last_date:
            start = max(start, self.finance_last_date - timedelta(days=max(self.finance_reread_days, 0)))
        return min(start, date_to), date_to

    @api.model
    def _cron_import_finance(self):
        commit = not getattr(threading.current_thread(), "testing", False)
        for account in self.search([("active", "=", True), ("finance_import", "=", True)]):
            date_from, date_to = account._finance_period_to_read()
            try:
                with self.env.cr.savepoint():
                    account._finance_import(date_from, date_to, scheduled=True)
                    account.sudo().finance_last_date = date_to
                    account._finance_reconcile()
            except UserError as exc:
                _logger.warning("Finance import of %s failed: %s", account.name, exc)
                account._record_failure(str(exc))
            if commit:
                self.env.cr.commit()

    def action_open_finance_reports(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.finance.report",
            "name": _("Finance reports: %s", self.name), "view_mode": "list,form",
            "domain": [("account_id", "=", self.id)],
        }


def _naive(moment):
    """An aware datetime as the naive UTC Odoo stores; a date as its midnight."""
    if moment is None:
        return None
    if not hasattr(moment, "hour"):
        return fields.Datetime.to_datetime(moment) if isinstance(moment, date) else moment
    if moment.tzinfo is not None:
        from datetime import timezone
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
