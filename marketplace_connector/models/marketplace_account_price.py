# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The price export of an account: its rules, the decisions, the sending.

The base price of a product is the price of the account's *export pricelist*
(``price_pricelist_id``; it is not the order pricelist ``pricelist_id``, which sets the currency
of the imported orders; without one, the product's sales price), or its cost with the account's
markup (``price_source``).  The arithmetic is ``lib/pricing.py``; the marketplaces' calls are the
adapters' ``export_prices`` / ``fetch_tariffs``.

What the marketplace accepted is kept on each product mapping (``price_*`` fields of
``marketplace.product.mapping``), so that an export sends only what changed (delta).  Wildberries
sets prices per card (nmID): the sizes of a card share one price, the highest that the rules give
for their products, so that the guard holds for every size.
"""
import json
import logging
import threading
import time
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import pricing
from ..lib.ozon import PriceHistory
from ..lib.transport import ApiError

_logger = logging.getLogger(__name__)

#: the price methods' own limits, one limiter per account and process (like the account's own):
#: Wildberries' prices and discounts (10 requests in 6 s, bursts of 5), Yandex Market's offers (10 000 a
#: minute); the adapters keep them, these make successive exports keep them together
_PRICE_LIMITERS = {}
#: Wildberries' commissions by subject (one call a minute allowed): kept an hour per account and process
_WB_COMMISSIONS = {}
WB_COMMISSION_TTL = 3600.0

ROUNDING = [
    ("none", "To the kopeck"),
    ("1", "Up to a whole rouble"),
    ("10", "Up to 10 roubles"),
    ("9", "Up to …9 roubles (1 239)"),
    ("99", "Up to …99 roubles (1 299)"),
]

#: the price export takes the account's advisory lock of its own kind (order import: 4242)
PRICE_LOCK = 4207


class MarketplaceAccount(models.Model):
    _inherit = "marketplace.account"

    # --- price export (issue 7) ----------------------------------------------------------
    price_export = fields.Boolean(
        string="Export prices automatically", tracking=True,
        help="The scheduled action 'Marketplaces: export prices' sends this account's changed prices.")
    price_source = fields.Selection(
        [("pricelist", "Export pricelist"), ("cost", "Cost + markup")], string="Price basis",
        default="pricelist", required=True,
        help="Export pricelist: the pricelist's price of each product (without a pricelist, its "
        "sales price). Cost + markup: the product's cost with the markup below.")
    price_pricelist_id = fields.Many2one(
        "product.pricelist", string="Export pricelist", check_company=True,
        help="The prices shown to buyers, VAT included. Not the pricelist of the imported orders.")
    price_markup_percent = fields.Float(string="Markup over cost (%)", digits=(5, 2))
    price_rounding = fields.Selection(ROUNDING, string="Rounding", default="none", required=True,
                                      help="Prices are always rounded up, so that rounding never eats the margin.")
    price_discount_percent = fields.Float(
        string="Discount shown (%)", digits=(5, 2),
        help="The crossed-out price is the price before this discount (Wildberries: the price sent "
        "and its discount; Ozon: old_price; Yandex Market: discountBase). 0: no crossed-out price.")
    price_guard = fields.Boolean(
        string="Minimum-margin guard", default=True,
        help="A price below cost + the marketplace's commission + logistics + the minimum margin "
        "(VAT taken out of the price) is not sent and is flagged.")
    price_use_tariffs = fields.Boolean(
        string="Commissions from the marketplace", default=True,
        help="Read the commission (Wildberries by subject, Ozon per product with its logistics) "
        "from the marketplace; where it gives none, the figures below apply.")
    price_commission_percent = fields.Float(string="Expected commission (%)", digits=(5, 2))
    price_logistics_amount = fields.Monetary(
        string="Expected logistics per item", currency_field="currency_id",
        help="Used where the marketplace gives no logistics cost (Wildberries, Yandex Market).")
    price_margin_percent = fields.Float(string="Minimum margin (%)", digits=(5, 2))
    price_last_export_date = fields.Datetime(string="Last price export", readonly=True, copy=False)
    price_last_export_summary = fields.Char(string="Last price export result", readonly=True, copy=False)
    price_blocked_count = fields.Integer(compute="_compute_price_counts", string="Prices stopped")
    price_error_count = fields.Integer(compute="_compute_price_counts", string="Prices rejected")

    _sql_constraints = [
        ("price_discount_range", "CHECK(price_discount_percent >= 0 AND price_discount_percent < 100)",
         "The discount shown must be 0 to 99 %."),
        ("price_commission_range", "CHECK(price_commission_percent >= 0 AND price_commission_percent < 100)",
         "The expected commission must be 0 to 99 %."),
        ("price_margin_range", "CHECK(price_margin_percent >= 0 AND price_margin_percent < 100)",
         "The minimum margin must be 0 to 99 %."),
        ("price_markup_range", "CHECK(price_markup_percent > -100)", "The markup must be above -100 %."),
        ("price_logistics_positive", "CHECK(price_logistics_amount >= 0)",
         "The expected logistics cannot be negative."),
    ]

    def _compute_price_counts(self):
        Mapping = self.env["marketplace.product.mapping"]
        groups = Mapping._read_group([("account_id", "in", self.ids), ("price_state", "in", ("blocked", "rejected"))],
                                     ["account_id", "price_state"], ["__count"])
        counts = {(account.id, state): count for account, state, count in groups}
        for account in self:
            account.price_blocked_count = counts.get((account.id, "blocked"), 0)
            account.price_error_count = counts.get((account.id, "rejected"), 0)

    # --- policies (overridable) ----------------------------------------------------------
    def _price_rules(self, product):
        """The rules of ``product`` on this account (``lib.pricing.Rules``)."""
        self.ensure_one()
        return pricing.Rules(
            source=self.price_source, markup_percent=Decimal(str(self.price_markup_percent or 0)),
            rounding=self.price_rounding or "none", discount_percent=Decimal(str(self.price_discount_percent or 0)),
            margin_percent=Decimal(str(self.price_margin_percent or 0)), guard=self.price_guard,
            vat_percent=self._price_vat_percent(product))

    def _price_vat_percent(self, product):
        """The VAT in the product's selling price: its customer tax of this company, else the
        account's default sale tax; 0 when the account sells without VAT."""
        self.ensure_one()
        if self.sells_without_vat:
            return Decimal(0)
        taxes = product.taxes_id.filtered(lambda t: t.company_id == self.company_id and t.amount_type == "percent")
        if not taxes and self.default_tax_id.amount_type == "percent":
            taxes = self.default_tax_id
        if self.fiscal_position_id and taxes:
            taxes = self.fiscal_position_id.map_tax(taxes)
        return Decimal(str(sum(taxes.mapped("amount")))) if taxes else Decimal(0)

    def _price_cost(self, product):
        return Decimal(str(product.with_company(self.company_id).standard_price or 0))

    def _price_base(self, products):
        """{product id: the export pricelist's price (VAT included)} of ``products``."""
        self.ensure_one()
        products = products.with_company(self.company_id)
        if self.price_pricelist_id:
            prices = self.price_pricelist_id._get_products_price(products, 1.0)
            return {pid: Decimal(str(price)) for pid, price in prices.items()}
        return {p.id: Decimal(str(p.lst_price)) for p in products}

    def _price_default_tariff(self):
        self.ensure_one()
        return pricing.Tariff(Decimal(str(self.price_commission_percent or 0)),
                              Decimal(str(self.price_logistics_amount or 0)), "account")

    def _price_tariff(self, marketplace_tariff):
        """The tariff the guard uses: the marketplace's commission, and its logistics where it
        gives them, else the account's figures."""
        default = self._price_default_tariff()
        if marketplace_tariff is None:
            return default
        logistics = marketplace_tariff.logistics if marketplace_tariff.logistics else default.logistics
        return pricing.Tariff(marketplace_tariff.commission_percent, logistics, marketplace_tariff.source)

    # --- the adapter -------------------------------------------------------------------------
    def _price_adapter(self, calls=None):
        """The account's adapter with the price methods' limiters shared by every export of the
        account in this process."""
        adapter = self._get_adapter(calls)
        key = (self.env.cr.dbname, self.id, self.marketplace)
        if self.marketplace == "wildberries":
            adapter._prices_limiter = _PRICE_LIMITERS.setdefault(key, adapter.prices_limiter)
        elif self.marketplace == "yandex":
            adapter._offers_limiter = _PRICE_LIMITERS.setdefault(key, adapter.offers_limiter)
        return adapter

    def _price_fetch_tariffs(self, adapter, keys):
        if self.marketplace != "wildberries":
            return adapter.fetch_tariffs(keys)
        key = (self.env.cr.dbname, self.id)
        stamp, commissions = _WB_COMMISSIONS.get(key, (0.0, None))
        if commissions is None or time.monotonic() - stamp > WB_COMMISSION_TTL:
            commissions = adapter.fetch_commissions()
            _WB_COMMISSIONS[key] = (time.monotonic(), commissions)
        return adapter.fetch_tariffs(keys, commissions=commissions)

    # --- decisions -----------------------------------------------------------------------
    def _price_mappings(self):
        self.ensure_one()
        return self.env["marketplace.product.mapping"].search([
            ("account_id", "=", self.id), ("product_id", "!=", False), ("ignored", "=", False),
            ("active", "=", True)])

    @api.model
    def _price_key(self, mapping):
        """The key of a mapping's price on its marketplace (Wildberries: the card, nmID)."""
        if mapping.account_id.marketplace == "wildberries":
            return mapping.product_ref or ""
        return mapping.offer_code

    def _price_lines(self, adapter=None, calls=None):
        """What an export of this account would do now: a list of dicts, one per price key, each
        either a change to send (``state`` "change") or a price the guard stops ("blocked");
        unchanged prices are left out.  Reads the marketplace's tariffs through ``adapter``."""
        self.ensure_one()
        mappings = self._price_mappings()
        by_key = {}
        missing = self.env["marketplace.product.mapping"]
        for mapping in mappings:
            key = self._price_key(mapping)
            if not key:
                missing |= mapping
                continue
            by_key.setdefault(key, self.env["marketplace.product.mapping"])
            by_key[key] |= mapping
        tariffs = {}
        if by_key and self.price_use_tariffs:
            adapter = adapter or self._price_adapter(calls)
            try:
                tariffs = self._price_fetch_tariffs(adapter, sorted(by_key))
            except ApiError as exc:
                # without the marketplace's figures the account's apply; said in the preview
                _logger.warning("Tariffs of %s could not be read: %s", self.name, exc.message)
                tariffs = {}
        bases = self._price_base(mappings.product_id)
        lines = []
        for key, group in sorted(by_key.items()):
            decisions = []
            for mapping in group:
                product = mapping.product_id
                tariff = self._price_tariff(tariffs.get(key))
                decision = pricing.decide(self.marketplace, self._price_rules(product), self._price_cost(product),
                                          bases.get(product.id), tariff)
                decisions.append((decision, mapping))
            blocked = [(d, m) for d, m in decisions if d.blocked]
            if blocked:
                # a size the guard stops stops the card: the one with the highest floor says why
                decision, mapping = max(blocked, key=lambda pair: pair[0].floor or 0)
            else:
                decision, mapping = max(decisions, key=lambda pair: pair[0].price)
            lines.append(self._price_line(key, group, mapping, decision))
        for mapping in missing:
            lines.append({"key": "", "mapping_ids": mapping.ids, "product_id": mapping.product_id.id,
                          "state": "blocked", "reason": _("The mapping has no Wildberries card ID (nmID): "
                                                          "import the catalogue first."),
                          "new_price": 0.0, "current_price": mapping.price_sent,
                          "has_current": bool(mapping.price_date)})
        return [line for line in lines if line is not None]

    def _price_line(self, key, group, mapping, decision):
        line = {
            "key": key, "mapping_ids": group.ids, "product_id": mapping.product_id.id,
            "current_price": mapping.price_sent, "new_price": float(decision.price),
            "old_price": float(decision.old_price), "discount_percent": decision.discount_percent,
            "floor_price": float(decision.floor) if decision.floor is not None else 0.0,
            "commission_percent": float(decision.tariff.commission_percent),
            "logistics_amount": float(decision.tariff.logistics), "tariff_source": decision.tariff.source,
            "has_current": bool(mapping.price_date),
        }
        if decision.blocked:
            line.update(state="blocked", reason=self._price_block_reason(decision))
            return line
        unchanged = all(m.price_state == "sent" and m.price_date
                        and pricing.kopecks(m.price_sent) == decision.price
                        and pricing.kopecks(m.price_old_sent) == decision.old_price
                        and (self.marketplace != "wildberries" or m.price_discount_sent == decision.discount_percent)
                        for m in group)
        if unchanged:
            return None
        line.update(state="change", reason="")
        return line

    def _price_block_reason(self, decision):
        if decision.blocked == pricing.BLOCK_NO_PRICE:
            return _("The export pricelist gives no price for this product.")
        if decision.blocked == pricing.BLOCK_NO_COST:
            return _("The product has no cost: the minimum margin cannot be checked.")
        if decision.blocked == pricing.BLOCK_COMMISSION:
            return _("The commission, the VAT and the minimum margin leave nothing of the price.")
        origin = _("marketplace") if decision.tariff.source == "marketplace" else _("account settings")
        return _("%(price)s is below the lowest price allowed, %(floor)s (cost + commission %(commission)s %% "
                 "+ logistics %(logistics)s + minimum margin; commission from the %(origin)s).",
                 price=f"{decision.price:.2f}", floor=f"{decision.floor:.2f}",
                 commission=f"{decision.tariff.commission_percent}", logistics=f"{decision.tariff.logistics:.2f}",
                 origin=origin)

    # --- sending -------------------------------------------------------------------------
    def _price_update(self, line):
        """The ``PriceUpdate`` of a line to send."""
        if self.marketplace == "wildberries":
            return pricing.PriceUpdate(line["key"], Decimal(str(line["old_price"])),
                                       discount_percent=int(line["discount_percent"]))
        floor = Decimal(str(line.get("floor_price") or 0))
        return pricing.PriceUpdate(
            line["key"], pricing.kopecks(line["new_price"]), old_price=Decimal(str(line.get("old_price") or 0)),
            min_price=floor if self.marketplace == "ozon" and self.price_guard else Decimal(0),
            currency=self.currency_id.name or "RUB")

    def _price_send(self, lines, run_key=None, sleep=None):
        """Send the lines of state "change" exactly as they are and keep what the marketplace
        said on the mappings; flag the blocked ones.  Returns {state: count}.  ``sleep``: how
        Wildberries' upload tasks are waited for (time.sleep)."""
        self.ensure_one()
        Mapping = self.env["marketplace.product.mapping"].sudo()
        counts = {"sent": 0, "rejected": 0, "deferred": 0, "pending": 0, "blocked": 0}
        now = fields.Datetime.now()
        for line in lines:
            if line["state"] == "blocked":
                Mapping.browse(line["mapping_ids"]).write({
                    "price_state": "blocked", "price_error": line.get("reason") or "",
                    "price_floor": line.get("floor_price") or 0.0, "price_checked_date": now})
                counts["blocked"] += 1
        todo = [line for line in lines if line["state"] == "change"]
        if not todo:
            self._price_summary(counts, now)
            return counts
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (PRICE_LOCK, self.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(_("Another process is exporting the prices of %s: try again in a minute.", self.name))
        calls = []
        adapter = self._price_adapter(calls)
        by_key = {line["key"]: line for line in todo}
        updates = [self._price_update(line) for line in todo]
        history = None
        try:
            if self.marketplace == "ozon":
                history = PriceHistory(self._price_history(todo))
                results = adapter.export_prices(updates, history=history)
            elif self.marketplace == "wildberries":
                results = adapter.export_prices(updates, sleep=sleep or time.sleep)
            else:
                results = adapter.export_prices(updates)
        except ApiError as exc:
            self._write_sync_log(calls, "prices", run_key=run_key)
            self._record_failure(exc.message)
            raise UserError(_("The prices could not be sent: %s", exc.message)) from None
        self._write_sync_log(calls, "prices", run_key=run_key)
        for result in results:
            line = by_key.get(result.key)
            if line is None:
                continue
            mappings = Mapping.browse(line["mapping_ids"])
            vals = {"price_checked_date": now, "price_floor": line.get("floor_price") or 0.0}
            if result.state == pricing.ACCEPTED:
                vals.update(price_state="sent", price_error=False, price_sent=line["new_price"],
                            price_old_sent=line.get("old_price") or 0.0,
                            price_discount_sent=line.get("discount_percent") or 0, price_date=now,
                            price_task_ref=result.task_ref or False)
                counts["sent"] += 1
            elif result.state == pricing.PENDING:
                vals.update(price_state="pending", price_error=False, price_task_ref=result.task_ref,
                            price_pending_json=json.dumps(line, default=str))
                counts["pending"] += 1
            elif result.state == pricing.DEFERRED:
                vals.update(price_state="deferred", price_error=result.message)
                counts["deferred"] += 1
            else:
                vals.update(price_state="rejected", price_error=result.message)
                counts["rejected"] += 1
            mappings.write(vals)
        if history is not None:
            self._price_keep_history(todo, history)
        self._price_summary(counts, now)
        return counts

    def _price_summary(self, counts, now):
        """What the last export did, on the account (also when it had nothing to send)."""
        summary = _("%(sent)s sent, %(rejected)s rejected, %(deferred)s deferred, %(pending)s processing, "
                    "%(blocked)s stopped by the guard", **counts)
        self.sudo().write({"price_last_export_date": now, "price_last_export_summary": summary})

    def _price_history(self, lines):
        """The Ozon send times of the last hour of the lines' products, as kept on the mappings."""
        history = {}
        for mapping in self.env["marketplace.product.mapping"].sudo().browse(
                [mid for line in lines for mid in line["mapping_ids"]]):
            try:
                history[self._price_key(mapping)] = json.loads(mapping.price_send_times or "[]")
            except ValueError:
                history[self._price_key(mapping)] = []
        return history

    def _price_keep_history(self, lines, history):
        times = history.as_dict()
        Mapping = self.env["marketplace.product.mapping"].sudo()
        for line in lines:
            Mapping.browse(line["mapping_ids"]).write({
                "price_send_times": json.dumps(times.get(line["key"], []))})

    def _price_resolve_pending(self, sleep=None):
        """Read back the Wildberries upload tasks left processing by an earlier export."""
        self.ensure_one()
        Mapping = self.env["marketplace.product.mapping"].sudo()
        pending = Mapping.search([("account_id", "=", self.id), ("price_state", "=", "pending"),
                                  ("price_task_ref", "!=", False)])
        if not pending or self.marketplace != "wildberries":
            return 0
        calls = []
        adapter = self._price_adapter(calls)
        now = fields.Datetime.now()
        done = 0
        try:
            for task in set(pending.mapped("price_task_ref")):
                group = pending.filtered(lambda m, t=task: m.price_task_ref == t)
                keys = sorted({self._price_key(m) for m in group})
                for result in adapter.read_price_task(int(task), keys, sleep=sleep or time.sleep):
                    mappings = group.filtered(lambda m, k=result.key: self._price_key(m) == k)
                    if result.state == pricing.PENDING:
                        continue
                    done += 1
                    if result.state == pricing.ACCEPTED:
                        for mapping in mappings:
                            line = json.loads(mapping.price_pending_json or "{}")
                            mapping.write({
                                "price_state": "sent", "price_error": False, "price_date": now,
                                "price_sent": line.get("new_price", mapping.price_sent),
                                "price_old_sent": line.get("old_price", mapping.price_old_sent),
                                "price_discount_sent": line.get("discount_percent", mapping.price_discount_sent)})
                    else:
                        mappings.write({"price_state": "rejected", "price_error": result.message})
        except ApiError as exc:
            self._write_sync_log(calls, "prices")
            self._record_failure(exc.message)
            return done
        self._write_sync_log(calls, "prices")
        return done

    # --- actions -------------------------------------------------------------------------
    def action_preview_prices(self):
        """The preview wizard of this account's price changes (managers)."""
        self.ensure_one()
        self.check_access("read")
        wizard = self.env["marketplace.price.preview"]._open_for(self)
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.price.preview", "res_id": wizard.id,
            "view_mode": "form", "target": "new", "name": _("Price changes: %s", self.name),
        }

    def action_open_price_issues(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "marketplace.product.mapping",
            "name": _("Prices stopped or rejected"), "view_mode": "list,form",
            "domain": [("account_id", "=", self.id), ("price_state", "in", ("blocked", "rejected", "deferred"))],
        }

    @api.model
    def _cron_export_prices(self):
        """The scheduled action: every active account that exports its prices automatically, each
        committed on its own (as Odoo's own scheduled jobs: no commits inside a test's transaction)."""
        commit = not getattr(threading.current_thread(), "testing", False)
        for account in self.search([("active", "=", True), ("price_export", "=", True)]):
            try:
                with self.env.cr.savepoint():
                    account._price_resolve_pending()
                    calls = []
                    lines = account._price_lines(calls=calls)
                    account._write_sync_log(calls, "prices")
                    account._price_send(lines)
            except (UserError, ApiError) as exc:
                message = getattr(exc, "message", None) or str(exc)
                _logger.warning("Price export of %s failed: %s", account.name, message)
                account._record_failure(message)
            if commit:
                self.env.cr.commit()
