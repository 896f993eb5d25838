# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The reconciliation of an account's finance reports (see marketplace_finance_discrepancy.py
for what it looks for).  Set-based: a few queries for the whole account, whatever the number
of orders."""
from decimal import Decimal
from statistics import median

from odoo import _, fields, models

#: categories of money the marketplace keeps (charges), checked for double counting
CHARGES = ("commission", "acquiring", "logistics", "return_logistics", "storage", "acceptance", "penalty",
           "advertising", "other", "loyalty")
#: sales of a product in a report needed to judge one commission's rate against the others
MIN_RATE_SAMPLES = 2


class MarketplaceAccount(models.Model):
    _inherit = "marketplace.account"

    finance_tolerance = fields.Float(
        string="Reconciliation tolerance", default=0.0, digits=(16, 2),
        help="Differences of amounts up to this much are not listed (0: to the kopeck).")
    finance_rate_tolerance = fields.Float(
        string="Commission rate tolerance, pp", default=0.0, digits=(16, 2),
        help="A commission is listed when its rate differs from the usual rate of the product by more than the "
             "product's other commissions differ among themselves, plus this many percentage points.")
    finance_discrepancy_count = fields.Integer(compute="_compute_finance_discrepancy_count")

    def _compute_finance_discrepancy_count(self):
        counts = dict(self.env["marketplace.finance.discrepancy"]._read_group(
            [("account_id", "in", self.ids), ("state", "=", "open")], ["account_id"], ["__count"]))
        for account in self:
            account.finance_discrepancy_count = counts.get(account, 0)

    def action_open_finance_discrepancies(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.finance.discrepancy",
            "name": _("Discrepancies: %s", self.name), "view_mode": "list,form",
            "domain": [("account_id", "=", self.id)], "context": {"search_default_filter_open": 1},
        }

    # --- the reconciliation -------------------------------------------------------------------------
    def _finance_reconcile(self):
        """List what does not match; returns the number of open discrepancies."""
        self.ensure_one()
        account = self.sudo()
        account._finance_match_orders()
        found = []
        for check in (account._finance_check_reports, account._finance_check_missing_sales,
                      account._finance_check_orders, account._finance_check_commissions,
                      account._finance_check_double_charges):
            found += check()
        return account._finance_keep_discrepancies(found)

    def _finance_match_orders(self):
        """Lines kept before their order was imported find it now."""
        self.env["marketplace.finance.line"].flush_model()
        self.env["sale.order"].flush_model(["marketplace_account_id", "marketplace_external_id"])
        self.env.cr.execute("""
            UPDATE marketplace_finance_line l SET sale_order_id = so.id
              FROM sale_order so
             WHERE l.account_id = %s AND l.sale_order_id IS NULL AND l.order_ref IS NOT NULL
               AND so.marketplace_account_id = l.account_id AND so.marketplace_external_id = l.order_ref
        """, [self.id])
        if self.env.cr.rowcount:
            self.env["marketplace.finance.line"].invalidate_model(["sale_order_id"])

    def _finance_tol(self):
        return max(self.finance_tolerance or 0.0, 0.0) + 0.005

    def _finance_check_reports(self):
        tol = self._finance_tol()
        found = []
        for report in self.env["marketplace.finance.report"].search([("account_id", "=", self.id)]):
            base = {"report_id": report.id, "currency_id": report.currency_id.id}
            if abs(report.difference) > tol:
                found.append(dict(base, kind="report_total", key=f"report_total:{report.key}",
                                  expected=report.to_pay, actual=report.lines_total, difference=report.difference,
                                  reason=_("The report says it pays %(to_pay)s; its lines add up to %(total)s.",
                                           to_pay=report.to_pay, total=report.lines_total)))
            if report.payout_total and abs(report.payout_total - report.to_pay) > tol:
                found.append(dict(base, kind="payout", key=f"payout:{report.key}",
                                  expected=report.to_pay, actual=report.payout_total,
                                  difference=report.payout_total - report.to_pay,
                                  reason=_("The report says it pays %(to_pay)s; its payouts add up to %(paid)s.",
                                           to_pay=report.to_pay, paid=report.payout_total)))
        return found

    def _finance_check_missing_sales(self):
        """Orders delivered within the period the reports cover, with no sale in any report."""
        cr = self.env.cr
        cr.execute("SELECT min(date_from), max(date_to) FROM marketplace_finance_report WHERE account_id = %s",
                   [self.id])
        start, end = cr.fetchone()
        if not start:
            return []
        self.env["marketplace.order"].flush_model(["account_id", "mp_state", "closed_date", "external_id"])
        cr.execute("""
            SELECT o.external_id, o.sale_order_id, so.amount_total, so.currency_id
              FROM marketplace_order o
              LEFT JOIN sale_order so ON so.id = o.sale_order_id
             WHERE o.account_id = %s AND o.mp_state = 'delivered'
               AND o.closed_date::date BETWEEN %s AND %s
               AND NOT EXISTS (SELECT 1 FROM marketplace_finance_line l
                                WHERE l.account_id = o.account_id AND l.order_ref = o.external_id
                                  AND l.category = 'sale' AND l.booked)
        """, [self.id, start, end])
        return [{"kind": "missing_sale", "key": f"missing_sale:{ref}", "order_ref": ref,
                 "sale_order_id": sale_id, "currency_id": currency_id, "expected": amount or 0.0, "actual": 0.0,
                 "difference": -(amount or 0.0),
                 "reason": _("The marketplace says the order %(order)s was delivered, and no report between "
                             "%(start)s and %(end)s has its sale.", order=ref, start=start, end=end)}
                for ref, sale_id, amount, currency_id in cr.fetchall()]

    def _finance_check_orders(self):
        """Sales and returns of orders Odoo does not know; sales that differ from the order."""
        cr = self.env.cr
        tol = self._finance_tol()
        cr.execute("""
            SELECT l.order_ref, array_agg(l.id), sum(l.amount), min(l.currency_id), min(l.report_id)
              FROM marketplace_finance_line l
             WHERE l.account_id = %s AND l.booked AND l.category IN ('sale', 'return') AND l.order_ref IS NOT NULL
               AND l.sale_order_id IS NULL
             GROUP BY l.order_ref
        """, [self.id])
        found = [{"kind": "no_order", "key": f"no_order:{ref}", "order_ref": ref,
                  "line_ids": [(6, 0, ids)], "currency_id": currency_id, "report_id": report_id,
                  "expected": 0.0, "actual": total, "difference": total,
                  "reason": _("The reports have a sale or a return of the order %s, which Odoo does not know.", ref)}
                 for ref, ids, total, currency_id, report_id in cr.fetchall()]
        cr.execute("""
            SELECT l.order_ref, l.sale_order_id, array_agg(l.id), sum(l.amount), so.amount_total, so.currency_id
              FROM marketplace_finance_line l JOIN sale_order so ON so.id = l.sale_order_id
             WHERE l.account_id = %s AND l.booked AND l.category = 'sale'
             GROUP BY l.order_ref, l.sale_order_id, so.amount_total, so.currency_id
        """, [self.id])
        for ref, sale_id, ids, total, order_total, currency_id in cr.fetchall():
            if abs(total - order_total) > tol:
                found.append({
                    "kind": "sale_amount", "key": f"sale_amount:{ref}", "order_ref": ref, "sale_order_id": sale_id,
                    "line_ids": [(6, 0, ids)], "currency_id": currency_id, "expected": order_total,
                    "actual": total, "difference": total - order_total,
                    "reason": _("The reports' sales of the order %(order)s add up to %(total)s; the order's total "
                                "is %(order_total)s.", order=ref, total=total, order_total=order_total)})
        return found

    def _finance_check_commissions(self):
        """A commission whose rate (of the order's sales in the report) is off the usual rate: the
        rate of the other orders of the same product (an order of one product) or, for a product
        sold too rarely to tell and for orders of several products, the account's rate where it is
        one for every product (a narrow spread of rates).  Where the row states what its
        commission should be (Wildberries), that is the judge instead."""
        cr = self.env.cr
        found = []
        # where the row states what its commission should be (Wildberries), that is the judge
        cr.execute("""
            SELECT id, report_id, order_ref, amount, expected, currency_id
              FROM marketplace_finance_line
             WHERE account_id = %s AND booked AND category = 'commission' AND expected IS NOT NULL
               AND order_ref IS NOT NULL AND abs(amount - expected) > %s
        """, [self.id, self._finance_tol()])
        for line_id, report_id, ref, amount, expected, currency_id in cr.fetchall():
            found.append({
                "kind": "commission", "key": f"commission:line:{line_id}", "order_ref": ref, "report_id": report_id,
                "line_ids": [(6, 0, [line_id])], "currency_id": currency_id, "expected": expected,
                "actual": amount, "difference": amount - expected,
                "reason": _("The commission of the order %(order)s is %(amount)s; the report's own tariff of the row "
                            "gives %(expected)s.", order=ref, amount=amount, expected=expected)})
        # a commission repeated on another row is a double charge (listed as such), counted once here
        cr.execute("""
            SELECT report_id, order_ref,
                   CASE WHEN count(DISTINCT coalesce(product_ref, offer, '')) FILTER (WHERE category = 'sale') = 1
                        THEN min(coalesce(product_ref, offer, '')) FILTER (WHERE category = 'sale') ELSE '' END,
                   sum(amount) FILTER (WHERE category = 'sale'),
                   array_agg(ARRAY[operation, coalesce(component, ''), amount::text]) FILTER (
                       WHERE category = 'commission'),
                   array_agg(id) FILTER (WHERE category = 'commission'), min(currency_id)
              FROM marketplace_finance_line
             WHERE account_id = %s AND booked AND order_ref IS NOT NULL AND category IN ('sale', 'commission')
               AND NOT correction
             GROUP BY report_id, order_ref
            HAVING NOT bool_or(category = 'commission' AND expected IS NOT NULL)
        """, [self.id])
        rows = []
        for report_id, ref, product, sale, charged, ids, currency_id in cr.fetchall():
            commission = sum((Decimal(amount) for _op, _comp, amount in {tuple(c) for c in charged or ()}),
                             Decimal(0))
            sale = Decimal(str(sale or 0)).quantize(Decimal("0.01"))  # numeric comes as float in Odoo
            if sale > 0 and commission:
                rows.append((report_id, ref, product, sale, commission, ids, currency_id, -commission / sale))
        if not rows:
            return found
        tol, rate_tol = self._finance_tol(), Decimal(str(self.finance_rate_tolerance or 0.0)) / 100
        by_product = {}
        for index, row in enumerate(rows):
            by_product.setdefault(row[2], []).append(index)
        rates = sorted(row[7] for row in rows)
        quarter = len(rates) // 4
        one_rate = len(rates) > MIN_RATE_SAMPLES and rates[-1 - quarter] - rates[quarter] <= max(
            rate_tol, Decimal("0.0005"))
        for index, (report_id, ref, product, sale, commission, ids, currency_id, rate) in enumerate(rows):
            others = [rows[i][7] for i in by_product[product] if i != index]
            if len(others) < MIN_RATE_SAMPLES:
                if not one_rate:
                    continue
                others = [r[7] for i, r in enumerate(rows) if i != index]
            usual = median(others)
            # what the other rates wander by, and the kopeck of rounding, are no error
            spread = max(abs(other - usual) for other in others) + Decimal("0.01") / sale + rate_tol
            expected = -(usual * sale).quantize(Decimal("0.01"))
            if abs(rate - usual) > spread and abs(commission - expected) > tol:
                found.append({
                    "kind": "commission", "key": f"commission:{report_id}:{ref}:{product}", "order_ref": ref,
                    "report_id": report_id, "line_ids": [(6, 0, ids)], "currency_id": currency_id,
                    "expected": expected, "actual": commission, "difference": commission - expected,
                    "reason": _("The commission of the order %(order)s is %(rate).2f%% of its sale; the usual rate "
                                "of the product is %(usual).2f%%.", order=ref, rate=rate * 100, usual=usual * 100)})
        return found

    def _finance_check_double_charges(self):
        """The same charge twice: the same operation and amount for the same order on two source
        rows, neither a correction.  A charge that legitimately repeats (logistics again when the
        goods come back) repeats for an order with a return: there, only rows of the very same
        moment count as a double."""
        cr = self.env.cr
        cr.execute("""
            SELECT operation, coalesce(component, ''), order_ref, amount,
                   array_agg(id ORDER BY id), array_agg(row_key ORDER BY id), array_agg(date ORDER BY id),
                   min(currency_id), min(report_id),
                   bool_or(EXISTS (SELECT 1 FROM marketplace_finance_line r
                                    WHERE r.account_id = l.account_id AND r.order_ref = l.order_ref
                                      AND r.category = 'return' AND r.booked))
              FROM marketplace_finance_line l
             WHERE account_id = %s AND booked AND category IN %s AND NOT correction AND amount != 0
               AND order_ref IS NOT NULL
             GROUP BY operation, coalesce(component, ''), order_ref, amount
            HAVING count(DISTINCT row_key) > 1
        """, [self.id, CHARGES])
        found = []
        for operation, component, ref, amount, ids, rows, dates, currency_id, report_id, returned in cr.fetchall():
            if returned:
                by_date = {}
                for line_id, row, moment in zip(ids, rows, dates):
                    by_date.setdefault(moment, {})[row] = line_id
                groups = [group for group in by_date.values() if len(group) > 1]
                if not groups:
                    continue
                ids = [line_id for group in groups for line_id in group.values()]
                count = sum(len(group) for group in groups)
            else:
                count = len(set(rows))
            found.append({
                "kind": "double_charge", "key": f"double_charge:{ref}:{operation}:{component}:{amount}",
                "order_ref": ref, "report_id": report_id, "line_ids": [(6, 0, ids)], "currency_id": currency_id,
                "expected": amount, "actual": amount * count, "difference": amount * (count - 1),
                "reason": _("%(operation)s of %(amount)s for the order %(order)s is charged %(count)s times "
                            "(separate report rows).", operation=operation, amount=amount, order=ref, count=count)})
        return found

    def _finance_keep_discrepancies(self, found):
        """Replace the open discrepancies with ``found``; a closed one stays closed."""
        Discrepancy = self.env["marketplace.finance.discrepancy"].sudo()
        existing = {d.key: d for d in Discrepancy.search([("account_id", "=", self.id)])}
        keys = set()
        creates = []
        for vals in found:
            key = vals["key"][:500]
            vals = dict(vals, key=key)
            if key in keys:
                continue
            keys.add(key)
            record = existing.get(key)
            if record:
                if record.state == "open":
                    record.write(vals)
            else:
                creates.append(dict(vals, account_id=self.id))
        Discrepancy.create(creates)
        stale = Discrepancy.browse([d.id for k, d in existing.items() if k not in keys and d.state == "open"])
        stale.unlink()
        return Discrepancy.search_count([("account_id", "=", self.id), ("state", "=", "open")])
