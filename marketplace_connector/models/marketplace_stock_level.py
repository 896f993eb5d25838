# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The stock export: what each marketplace was last sent and accepted, per product mapping ×
marketplace warehouse, and the runs that send what changed.

A run of an account (``_export_account``):

1. takes the company's stock lock (``pg_advisory_xact_lock(STOCK_LOCK, company)``, exclusive;
   the order import's sale-order step takes it shared), so that no reservation of an order is
   in flight; then reads, in a cursor opened *after* the lock was granted (its snapshot sees
   every reservation committed before), the quantities (``_stock_export_quantities``) and
   the delta, sends it, records the answers and commits that cursor; the lock is held until
   the run's own transaction ends, so no import reserves while a quantity computed without
   its reservation is on its way;
2. the quantity of an item is ``export_quantity(basis, buffer)`` (lib/stocks.py): the
   account's basis (on hand, free, forecast) in the mapped Odoo warehouse, less the buffer of
   the product mapping, else of the marketplace warehouse, else of the account;
3. only items whose quantity differs from the one last accepted are sent (a full re-sync on
   demand sends every item); accepted items are applied, refused ones keep the reason (on
   the level and its product mapping) and are sent again when they pass (``retry``) or when
   their quantity changes.
"""
import logging
import time
import uuid
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

from ..lib import stocks as lib_stocks
from ..lib.transport import ApiError

_logger = logging.getLogger(__name__)

#: advisory lock namespace of the stock export (the key is the company)
STOCK_LOCK = 4244
#: seconds a burst of stock moves waits before the export it triggers
DEBOUNCE_SECONDS = 30
#: minutes between two reads of the FBO stock (WB's report is refreshed every 30 minutes and
#: may be read once a minute)
FBO_READ_MINUTES = 30
#: rows of marketplace_stock_level written by one UPDATE
WRITE_CHUNK = 5000
#: levels of kits in kits followed (a bill of materials cannot contain itself: this bounds a loop)
MAX_KIT_DEPTH = 10


def _epoch(moment):
    return moment.replace(tzinfo=timezone.utc).timestamp() if moment else None


class MarketplaceStockLevel(models.Model):
    _name = "marketplace.stock.level"
    _description = "Marketplace Stock Level"
    _order = "account_id, mapping_id, warehouse_mapping_id"
    _rec_name = "mapping_id"

    account_id = fields.Many2one("marketplace.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    mapping_id = fields.Many2one("marketplace.product.mapping", string="Product mapping", required=True,
                                 ondelete="cascade", index=True)
    warehouse_mapping_id = fields.Many2one("marketplace.warehouse.mapping", string="Marketplace warehouse",
                                           required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one(related="mapping_id.product_id")
    offer_code = fields.Char(related="mapping_id.offer_code")
    quantity = fields.Integer(string="Quantity to send", readonly=True,
                              help="The quantity computed at the last export.")
    sent_quantity = fields.Integer(string="Accepted quantity", readonly=True,
                                   help="The quantity the marketplace last accepted.")
    sent_at = fields.Datetime(string="Accepted at", readonly=True)
    last_try_at = fields.Datetime(string="Last sent", readonly=True,
                                  help="When this item was last sent, accepted or not.")
    state = fields.Selection([("ok", "Accepted"), ("pending", "To send again"), ("error", "Refused")],
                             readonly=True, index=True)
    error_code = fields.Char(readonly=True)
    error = fields.Char(string="Error", readonly=True)

    _sql_constraints = [
        ("level_uniq", "UNIQUE(mapping_id, warehouse_mapping_id)",
         "A product mapping has one stock level per marketplace warehouse."),
    ]

    # --- the quantities --------------------------------------------------------------------------
    @api.model
    def _stock_export_quantities(self, account, pairs):
        """{(product id, warehouse id): basis quantity} of ``pairs`` on the account's basis.

        Override to change what is sold: this is the one place the quantity comes from.
        Products are counted by one grouped query over the quants, without the FBO locations
        (goods kept by a marketplace cannot ship from our warehouse).  Kits (a phantom bill of
        materials, when ``mrp`` is installed) are counted in complete kits of their
        components, the components counted the same way (``lib.stocks.kit_quantity``, Odoo's
        own rule for kits): a kit's components at a FBO location make no kit here either."""
        basis = account.stock_basis or lib_stocks.DEFAULT_BASIS
        product_ids = sorted({p for p, _w in pairs})
        warehouse_ids = sorted({w for _p, w in pairs})
        if not product_ids:
            return {}
        kits = self._kit_components(product_ids)
        counted = set(product_ids).difference(kits)
        counted.update(component for _batch, lines in kits.values() for component, _qty in lines)
        result = self._basis_quantities(basis, sorted(counted), warehouse_ids)
        for kit, (batch, lines) in kits.items():
            for warehouse in warehouse_ids:
                result[(kit, warehouse)] = lib_stocks.kit_quantity(
                    [(result.get((component, warehouse), 0.0), qty) for component, qty in lines], batch)
        return {pair: result.get(pair, 0.0) for pair in pairs}

    @api.model
    def _basis_quantities(self, basis, product_ids, warehouse_ids):
        """{(product id, warehouse id): quantity} of products counted as they are (not kits)."""
        result = {}
        if not product_ids:
            return result
        fbo_paths = self._fbo_location_paths()
        self.env.flush_all()
        self.env.cr.execute("""
            SELECT q.product_id, l.warehouse_id, SUM(q.quantity), SUM(q.reserved_quantity)
              FROM stock_quant q
              JOIN stock_location l ON l.id = q.location_id
             WHERE l.usage = 'internal' AND l.warehouse_id = ANY(%s) AND q.product_id = ANY(%s)
               AND NOT (l.parent_path LIKE ANY(%s))
             GROUP BY q.product_id, l.warehouse_id
        """, (warehouse_ids, product_ids, [path + "%" for path in fbo_paths] or ["-"]))
        for product, warehouse, quantity, reserved in self.env.cr.fetchall():
            result[(product, warehouse)] = quantity - reserved if basis == "free" else quantity
        if basis == "forecast":
            # the moves to come, as Odoo forecasts them; its computation called on all the
            # products at once (a few grouped queries a warehouse), not field by field (which
            # computes 1,000 products at a time)
            Product = self.env["product.product"].sudo()
            for warehouse in warehouse_ids:
                products = Product.with_context(warehouse_id=warehouse).browse(product_ids)
                for product, values in products._compute_quantities_dict(False, False, False).items():
                    move = values["virtual_available"] - values["qty_available"]
                    if move:
                        key = (product, warehouse)
                        result[key] = result.get(key, 0.0) + move
        return result

    @api.model
    def _kit_components(self, product_ids):
        """{kit id: (kits a batch makes, [(component id, quantity a batch takes)])} of the kits
        among ``product_ids``, when mrp is installed.  One query finds the products that have a
        phantom bill of materials at all, so that a catalogue without kits costs no more;
        Odoo's ``_bom_find`` then picks each one's bill (company, sequence), and the bills are
        exploded as mrp's ``explode`` does (kits of kits down to the components that are
        stocked, quantities rounded up to the line's unit, then in the component's unit)."""
        if "mrp.bom" not in self.env:
            return {}
        self.env.cr.execute("""
            SELECT DISTINCT p.id FROM product_product p
              JOIN mrp_bom b ON b.active AND b.type = 'phantom'
                            AND (b.product_id = p.id OR (b.product_id IS NULL AND b.product_tmpl_id = p.product_tmpl_id))
             WHERE p.id = ANY(%s)
        """, (list(product_ids),))
        candidates = self.env["product.product"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if not candidates:
            return {}
        Bom = self.env["mrp.bom"].sudo()
        boms = {product: bom for product, bom in Bom._bom_find(candidates, bom_type="phantom").items() if bom}
        per_batch = {product.id: {} for product in boms}
        # mrp.bom.explode, level by level for all the kits at once (explode looks up the bills
        # of a kit's components kit by kit: a query a kit); todo: (kit, bill, product it
        # makes, batches of that bill one batch of the kit takes)
        todo = [(kit.id, bom, kit, 1.0) for kit, bom in boms.items()]
        for _depth in range(MAX_KIT_DEPTH):
            if not todo:
                break
            lines = [(kit, line, (bom.company_id, bom.picking_type_id), batches * line.product_qty)
                     for kit, bom, product, batches in todo for line in bom.bom_line_ids
                     if not line._skip_bom_line(product)]
            subkits = {}  # the bills of the components, found as explode finds them
            for key in {key for _k, _l, key, _q in lines}:
                components = self.env["product.product"].sudo().union(
                    *(line.product_id for _k, line, k, _q in lines if k == key))
                subkits[key] = Bom._bom_find(components, picking_type=key[1], company_id=key[0].id,
                                             bom_type="phantom")
            todo = []
            for kit, line, key, qty in lines:
                component = line.product_id
                bom = subkits[key].get(component)
                if bom:  # a kit in the kit: its own components
                    todo.append((kit, bom, component, line.product_uom_id._compute_quantity(
                        qty / bom.product_qty, bom.product_uom_id)))
                    continue
                qty = float_round(qty, precision_rounding=line.product_uom_id.rounding, rounding_method="UP")
                if not component.is_storable or not qty:
                    continue  # what is not stocked does not limit a kit (as in Odoo)
                qty = line.product_uom_id._compute_quantity(qty, component.uom_id, round=False,
                                                            raise_if_failure=False)
                per_batch[kit][component.id] = per_batch[kit].get(component.id, 0.0) + qty
        return {product.id: (bom.product_qty, sorted(per_batch[product.id].items())) for product, bom in boms.items()}

    @api.model
    def _kits_of(self, component_ids):
        """The ids of the kits (phantom bills of materials, kits of kits included) that take
        any of ``component_ids``: a move of a component changes what the kit may sell."""
        if "mrp.bom" not in self.env or not component_ids:
            return set()
        kits, todo = set(), set(component_ids)
        while todo:
            self.env.cr.execute("""
                SELECT DISTINCT p.id FROM mrp_bom_line l
                  JOIN mrp_bom b ON b.id = l.bom_id AND b.active AND b.type = 'phantom'
                  JOIN product_product p ON p.id = b.product_id
                                         OR (b.product_id IS NULL AND p.product_tmpl_id = b.product_tmpl_id)
                 WHERE l.product_id = ANY(%s)
            """, (sorted(todo),))
            todo = {row[0] for row in self.env.cr.fetchall()} - kits
            kits |= todo
        return kits

    @api.model
    def _fbo_location_paths(self):
        self.env.cr.execute("""
            SELECT DISTINCT l.parent_path FROM marketplace_warehouse_mapping m
              JOIN stock_location l ON l.id = m.location_id
             WHERE m.scheme = 'fbo' AND m.location_id IS NOT NULL
        """)
        return [row[0] for row in self.env.cr.fetchall()]

    # --- the plan of a run: levels, quantities, delta ---------------------------------------------
    @api.model
    def _sync_levels(self, account):
        """A level for every mapped product × mapped warehouse (FBS/DBS with an Odoo warehouse)."""
        self.env.flush_all()
        self.env.cr.execute("""
            INSERT INTO marketplace_stock_level (account_id, company_id, mapping_id, warehouse_mapping_id,
                                                 create_uid, write_uid, create_date, write_date)
            SELECT %(account)s, a.company_id, m.id, w.id, %(uid)s, %(uid)s, now() at time zone 'UTC',
                   now() at time zone 'UTC'
              FROM marketplace_product_mapping m
              JOIN marketplace_account a ON a.id = m.account_id
              JOIN marketplace_warehouse_mapping w ON w.account_id = m.account_id
             WHERE m.account_id = %(account)s AND m.product_id IS NOT NULL AND m.active
               AND NOT COALESCE(m.ignored, false)
               AND w.active AND w.scheme IN ('fbs', 'dbs') AND w.warehouse_id IS NOT NULL
            ON CONFLICT (mapping_id, warehouse_mapping_id) DO NOTHING
        """, {"account": account.id, "uid": self.env.uid})
        return self.env.cr.rowcount

    @api.model
    def _export_plan(self, account, full=False):
        """(items to send, {level id: quantity} of every level) of one run: the quantities of
        every level of the account and the delta against what the marketplace accepted."""
        self._sync_levels(account)
        self.env.cr.execute("""
            SELECT s.id, m.product_id, w.warehouse_id, m.offer_code, COALESCE(m.item_id, ''),
                   COALESCE(m.product_ref, ''), w.ref,
                   CASE WHEN m.stock_buffer_override THEN m.stock_buffer END,
                   CASE WHEN w.stock_buffer_override THEN w.stock_buffer END,
                   s.quantity, s.sent_quantity, s.sent_at, s.state, s.last_try_at
              FROM marketplace_stock_level s
              JOIN marketplace_product_mapping m ON m.id = s.mapping_id
              JOIN marketplace_warehouse_mapping w ON w.id = s.warehouse_mapping_id
             WHERE s.account_id = %s AND m.product_id IS NOT NULL AND m.active AND NOT COALESCE(m.ignored, false)
               AND w.active AND w.scheme IN ('fbs', 'dbs') AND w.warehouse_id IS NOT NULL
        """, (account.id,))
        rows = self.env.cr.fetchall()
        basis = self._stock_export_quantities(account, {(r[1], r[2]) for r in rows})
        maximum = getattr(account._stock_adapter_class(), "max_stock", None)
        items, quantities = [], {}
        for (level, product, warehouse, offer, item_id, product_ref, ref, own_buffer, wh_buffer,
             last_quantity, sent_quantity, sent_at, state, last_try) in rows:
            buffer = lib_stocks.buffer_of(account.stock_buffer, wh_buffer, own_buffer)
            quantity = lib_stocks.export_quantity(basis[(product, warehouse)], buffer, maximum)
            quantities[level] = quantity
            if not full:
                if state == "ok" and sent_at and sent_quantity == quantity:
                    continue  # the marketplace has it
                if state == "error" and last_quantity == quantity:
                    continue  # refused for a reason that stays: sent again when it changes
            items.append(lib_stocks.StockItem(key=level, offer_code=offer, warehouse_ref=ref, quantity=quantity,
                                              item_id=item_id, product_ref=product_ref,
                                              last_sent=_epoch(last_try)))
        return items, quantities

    # --- a run ------------------------------------------------------------------------------------
    @api.model
    def _lock_company_stock(self, company_ids, shared=False):
        """The stock lock of the companies for the current transaction: exclusive for the
        export, shared for the order import's reservations (they may run side by side)."""
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        for company in sorted(set(company_ids)):
            self.env.cr.execute(f"SELECT {function}(%s, %s)", (STOCK_LOCK, company))

    @api.model
    def _export_accounts(self, accounts, full=False, **transport_kwargs):
        """Export the stock of ``accounts``; returns {account id: summary dict}."""
        summaries = {}
        for account in accounts:
            self._lock_company_stock(account.company_id.ids)
            self.env.flush_all()
            with self.env.registry.cursor() as cr:
                # this cursor's snapshot begins after the lock: it sees every committed reservation
                env = self.env(cr=cr)
                summaries[account.id] = env[self._name]._export_account(
                    account.with_env(env), full=full, **transport_kwargs)
            self.env.invalidate_all()
        return summaries

    @api.model
    def _export_account(self, account, full=False, now=None, **transport_kwargs):
        account = account.sudo()
        summary = {"sent": 0, "accepted": 0, "refused": 0, "deferred": 0, "error": ""}
        calls = []
        run_key = uuid.uuid4().hex
        if account.stock_read_fbo:
            self._read_fbo_stock(account, calls, force=full, now=now, **transport_kwargs)
        items, quantities = self._export_plan(account, full=full)
        results = []
        if items:
            try:
                adapter = account._get_adapter(calls, **transport_kwargs)
                results = self._push(adapter, items)
            except ApiError as exc:
                summary["error"] = exc.message
                account._record_failure(_("Stock export failed: %s", exc.message))
                _logger.warning("Stock export of %s failed: %s", account.name, exc.message)
        self._apply_results(quantities, results, now=now)
        account._write_sync_log(calls, "stock", run_key)
        for result in results:
            summary["sent"] += 0 if result.deferred else 1
            summary["accepted"] += result.accepted
            summary["deferred"] += result.deferred
            summary["refused"] += not result.accepted and not result.deferred
        account.write({"stock_last_export": now or fields.Datetime.now()})
        return summary

    @api.model
    def _push(self, adapter, items):
        if adapter.marketplace == "ozon":
            return adapter.push_stocks(items, clock=time.time)
        return adapter.push_stocks(items, now=time.time())

    @api.model
    def _apply_results(self, quantities, results, now=None):
        """Record the computed quantities and the marketplace's answers in one UPDATE a chunk."""
        now = now or fields.Datetime.now()
        by_level = {r.key: r for r in results}
        rows = []
        for level, quantity in quantities.items():
            result = by_level.get(level)
            if result is None:
                rows.append((level, quantity, None, None, None, None, None, None))
                continue
            sent = datetime.fromtimestamp(result.sent_at, timezone.utc).replace(tzinfo=None) \
                if result.sent_at else None
            if result.accepted:
                rows.append((level, quantity, quantity, now, sent or now, "ok", "", ""))
            else:
                state = "pending" if (result.retry or result.deferred) else "error"
                rows.append((level, quantity, None, None, sent, state, result.code or "",
                             (result.message or result.code or "")[:250]))
        if not rows:
            return
        self.env.flush_all()
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start:start + WRITE_CHUNK]
            values = ", ".join(["(%s, %s, %s::int, %s::timestamp, %s::timestamp, %s, %s, %s)"] * len(chunk))
            params = [value for row in chunk for value in row]
            # a row without an answer keeps its state; an answered one takes it (an accepted one
            # its accepted quantity and time, and loses its error)
            self.env.cr.execute(f"""
                UPDATE marketplace_stock_level s
                   SET quantity = v.quantity,
                       sent_quantity = COALESCE(v.sent_quantity, s.sent_quantity),
                       sent_at = COALESCE(v.sent_at, s.sent_at),
                       last_try_at = COALESCE(v.last_try_at, s.last_try_at),
                       state = COALESCE(v.state, s.state),
                       error_code = CASE WHEN v.state IS NULL THEN s.error_code ELSE NULLIF(v.error_code, '') END,
                       error = CASE WHEN v.state IS NULL THEN s.error ELSE NULLIF(v.error, '') END,
                       write_date = now() at time zone 'UTC', write_uid = %s
                  FROM (VALUES {values}) AS v(id, quantity, sent_quantity, sent_at, last_try_at, state,
                                               error_code, error)
                 WHERE s.id = v.id AND (v.state IS NOT NULL OR s.quantity IS DISTINCT FROM v.quantity)
            """, [self.env.uid] + params)
        self.invalidate_model()

    # --- FBO -------------------------------------------------------------------------------------
    @api.model
    def _read_fbo_stock(self, account, calls, force=False, now=None, **transport_kwargs):
        """Set the FBO locations of the account's FBO warehouses to the stock the marketplace
        reports, through Odoo's inventory (each change a move from the inventory adjustment
        location, traceable).  At most once every FBO_READ_MINUTES unless ``force``.
        Returns the number of quants changed, or None when not read."""
        fbo = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo" and w.location_id and w.active)
        if not fbo:
            return None
        now = now or fields.Datetime.now()
        if not force and account.stock_fbo_read_at and account.stock_fbo_read_at > now - timedelta(
                minutes=FBO_READ_MINUTES):
            return None
        fbo_calls = []
        try:
            rows = account._get_adapter(fbo_calls, **transport_kwargs).fetch_fbo_stocks()
        except ApiError as exc:
            account._write_sync_log(fbo_calls, "fbo_stock")
            account._record_failure(_("The FBO stock could not be read: %s", exc.message))
            return None
        account._write_sync_log(fbo_calls, "fbo_stock")
        by_warehouse = {}
        for mapping in fbo:
            by_warehouse[(mapping.ref or "").strip().lower()] = mapping
            by_warehouse.setdefault((mapping.name or "").strip().lower(), mapping)
        mappings = self.env["marketplace.product.mapping"].search(
            [("account_id", "=", account.id), ("product_id", "!=", False)])
        by_barcode = {m.barcode: m.product_id for m in mappings if m.barcode}
        by_offer = {}
        for m in mappings:
            by_offer.setdefault(m.offer_code, m.product_id)
        wanted = {}
        for row in rows:
            mapping = by_warehouse.get(str(row.warehouse).strip().lower())
            product = by_barcode.get(row.barcode) if row.barcode else None
            product = product or by_offer.get(row.offer_code)
            if mapping is None or not product:
                continue
            key = (mapping.location_id.id, product.id)
            wanted[key] = wanted.get(key, 0) + row.quantity
        # what the marketplace no longer reports is no longer there
        locations = fbo.location_id
        Quant = self.env["stock.quant"].sudo()
        for quant in Quant.search([("location_id", "in", locations.ids), ("product_id", "in", mappings.product_id.ids)]):
            wanted.setdefault((quant.location_id.id, quant.product_id.id), 0)
        current = {}
        for quant in Quant.search([("location_id", "in", locations.ids),
                                   ("product_id", "in", list({p for _l, p in wanted}))]):
            key = (quant.location_id.id, quant.product_id.id)
            current[key] = current.get(key, 0.0) + quant.quantity
        changes = [(loc, prod, qty - current.get((loc, prod), 0.0)) for (loc, prod), qty in wanted.items()
                   if current.get((loc, prod), 0.0) != qty]
        if changes:
            self._apply_fbo_changes(account, changes)
        account.write({"stock_fbo_read_at": now})
        return len(changes)

    @api.model
    def _apply_fbo_changes(self, account, changes):
        """Inventory moves (from or to the inventory adjustment location, as Odoo's own
        inventory makes them) that bring each FBO quant to the marketplace's figure."""
        name = _("FBO stock of %s", account.name)
        Product = self.env["product.product"].sudo().with_company(account.company_id)
        vals = []
        for location, product_id, diff in changes:
            product = Product.browse(product_id)
            adjustment = product.property_stock_inventory
            source, dest = (adjustment.id, location) if diff > 0 else (location, adjustment.id)
            line = {"product_id": product.id, "product_uom_id": product.uom_id.id, "quantity": abs(diff),
                    "location_id": source, "location_dest_id": dest, "company_id": account.company_id.id}
            vals.append({"name": name, "product_id": product.id, "product_uom": product.uom_id.id,
                         "product_uom_qty": abs(diff), "company_id": account.company_id.id, "state": "confirmed",
                         "location_id": source, "location_dest_id": dest, "is_inventory": True, "picked": True,
                         "move_line_ids": [(0, 0, line)]})
        moves = self.env["stock.move"].sudo().with_context(
            marketplace_stock_no_trigger=True, inventory_mode=False).create(vals)
        moves._action_done()
        return moves

    # --- scheduling -------------------------------------------------------------------------------
    @api.model
    def _cron_export_stock(self):
        accounts = self.env["marketplace.account"].search([("stock_export", "=", True)])
        for account in accounts:
            try:
                self._export_accounts(account)
            except (UserError, ApiError) as exc:
                _logger.warning("Stock export of %s: %s", account.name, exc)
                account._record_failure(str(exc))

    @api.model
    def _schedule_export(self, products):
        """Stock moved for ``products``: the scheduled export runs DEBOUNCE_SECONDS later, once
        for a burst of moves (no second trigger while one is waiting)."""
        if not products:
            return False
        self.env.cr.execute("""
            SELECT 1 FROM marketplace_product_mapping m JOIN marketplace_account a ON a.id = m.account_id
             WHERE m.product_id = ANY(%s) AND a.stock_export AND a.active AND m.active LIMIT 1
        """, (sorted(set(products.ids) | self._kits_of(products.ids)),))
        if not self.env.cr.fetchone():
            return False
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_export_stock", raise_if_not_found=False)
        if not cron:
            return False
        cron = cron.sudo()
        now = fields.Datetime.now()
        waiting = self.env["ir.cron.trigger"].sudo().search_count(
            [("cron_id", "=", cron.id), ("call_at", ">=", now), ("call_at", "<=", now + timedelta(
                seconds=DEBOUNCE_SECONDS))], limit=1)
        if waiting:
            return False
        cron._trigger(at=now + timedelta(seconds=DEBOUNCE_SECONDS))
        return True
