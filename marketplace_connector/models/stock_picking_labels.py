# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Labels of marketplace delivery orders: fetched from the marketplace, attached, printed.

This file extends ``stock.picking`` for the labels capability only.  The shipment lifecycle
extends the same model in ``stock_picking.py``: both ``_inherit = "stock.picking"`` in separate
files, so that each capability stays in its own file (the lifecycle calls
:meth:`StockPicking._marketplace_after_shipment` once a shipment is reported).

* :meth:`action_marketplace_fetch_labels` — for the selected delivery orders of marketplace
  sale orders: the labels asked per account (each adapter keeps to its API's batch limit),
  each attached to its picking (replacing the previous one), a note in the chatter; an order
  whose label is not ready yet is reported and can be fetched again later.
* :meth:`action_marketplace_print_labels` — one file for all the selected delivery orders:
  one PDF (PDF labels merged, PNG stickers turned into pages of the sticker's size), or one
  ``.zpl`` file when the stickers are ZPL (thermal printers).
"""
import logging

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib import labels_pdf
from ..lib.base import OrderRef
from ..lib.transport import ApiError, AuthError

_logger = logging.getLogger(__name__)

USER = "marketplace_connector.group_marketplace_user"
#: how a label file is named on the picking: marketplace -> prefix
LABEL_PREFIXES = {"wildberries": "WB-sticker", "ozon": "Ozon-label", "yandex": "YM-label"}
MIMETYPES = {"zpl": "text/plain", "svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # marketplace_account_id: defined with the lifecycle (stock_picking.py)
    marketplace_label_id = fields.Many2one(
        "ir.attachment", string="Marketplace label", readonly=True, copy=False,
        help="The label or sticker of this delivery order, as the marketplace made it.")
    marketplace_label_note = fields.Char(
        string="Label status", readonly=True, copy=False,
        help="Why the marketplace has not given the label yet (fetch again later).")

    # --- which pickings have labels -------------------------------------------------------------
    def _marketplace_sale(self):
        """The marketplace sale order of this picking, read as the system: a user who may see the
        delivery order may not see every sale order (a salesman sees his own), and the labels
        only need its marketplace reference."""
        self.ensure_one()
        return self.sudo().sale_id

    def _marketplace_label_pickings(self):
        """The delivery orders of FBS / DBS marketplace sale orders among these."""
        return self.filtered(lambda p: p._marketplace_sale().marketplace_account_id
                             and p.picking_type_code == "outgoing"
                             and p._marketplace_sale().marketplace_scheme in ("fbs", "dbs") and p.state != "cancel")

    def _marketplace_check_user(self):
        if not self.env.su and not self.env.user.has_group(USER):
            raise AccessError(_("Only Marketplace Users can fetch and print marketplace labels."))
        self.check_access("read")

    def _marketplace_label_refs(self):
        """{picking: OrderRef} of these pickings (the campaign of a Yandex Market order is its
        second reference)."""
        sales = self.sudo().mapped("sale_id")
        orders = self.env["marketplace.order"].sudo().search([("sale_order_id", "in", sales.ids)])
        secondary = {o.sale_order_id.id: o.secondary_ref or "" for o in orders}
        refs = {}
        for picking in self:
            sale = picking._marketplace_sale()
            refs[picking] = OrderRef(sale.marketplace_external_id, sale.marketplace_scheme,
                                     secondary.get(sale.id, ""))
        return refs

    # --- fetching ---------------------------------------------------------------------------------
    def _marketplace_fetch_labels(self, **transport_kwargs):
        """Fetch and attach the labels of these pickings; returns (attached pickings, {picking:
        reason} of those without a label).  Errors of one account do not stop the others."""
        attached = self.browse()
        missing = {}
        pickings = self._marketplace_label_pickings()
        for picking in self - pickings:
            missing[picking] = _("not a delivery order of an FBS/DBS marketplace order")
        by_account = {}
        for picking in pickings:
            account = picking._marketplace_sale().marketplace_account_id.with_env(self.env)
            by_account.setdefault(account, self.browse())
            by_account[account] |= picking
        for account, group in by_account.items():
            refs = group._marketplace_label_refs()
            calls = []
            try:
                adapter = account._get_adapter(calls, **transport_kwargs)
                fetched = adapter.fetch_labels(list(dict.fromkeys(refs.values())),
                                               **account._marketplace_label_options())
            except (AuthError, ApiError) as exc:
                message = _("The marketplace could not give the labels: %s", exc.message)
                account._record_failure(message)
                for picking in group:
                    missing[picking] = message
                continue
            finally:
                account._write_sync_log(calls, "labels")
            for picking in group:
                ext = refs[picking].external_id
                label = fetched.labels.get(ext)
                if label is None:
                    reason = fetched.pending.get(ext) or _("the marketplace gave no label")
                    missing[picking] = reason
                    picking.sudo().marketplace_label_note = _("Not ready: %s", reason)[:250]
                    continue
                picking._marketplace_attach_label(account, label)
                attached |= picking
        return attached, missing

    def _marketplace_label_name(self, account, label):
        return f"{LABEL_PREFIXES.get(account.marketplace, 'label')}-{label.external_id}.{label.extension}"

    def _marketplace_attach_label(self, account, label):
        """Attach ``label`` to this picking in place of the previous one, with a chatter note."""
        self.ensure_one()
        name = self._marketplace_label_name(account, label)
        Attachment = self.env["ir.attachment"].sudo()
        old = self.sudo().marketplace_label_id
        attachment = Attachment.create({
            "name": name, "raw": label.content, "mimetype": MIMETYPES.get(label.extension, label.mimetype),
            "res_model": "stock.picking", "res_id": self.id,
            "description": _("Marketplace label (%s)", label.mimetype),
        })
        self.sudo().write({"marketplace_label_id": attachment.id, "marketplace_label_note": False})
        if old:
            old.unlink()
        self.message_post(body=_("Marketplace label fetched: %s", name))
        return attachment

    def action_marketplace_fetch_labels(self):
        """Button "Marketplace labels": fetch the labels of the selected delivery orders."""
        self._marketplace_check_user()
        if not self._marketplace_label_pickings():
            raise UserError(_("None of the selected transfers is a delivery order of a marketplace order "
                              "(FBS or DBS): there is no marketplace label to fetch."))
        attached, missing = self._marketplace_fetch_labels()
        lines = [_("Labels attached: %s.", len(attached))]
        for picking, reason in list(missing.items())[:20]:
            lines.append(_("%(picking)s: %(reason)s", picking=picking.display_name, reason=reason))
        if len(missing) > 20:
            lines.append(_("… and %s more.", len(missing) - 20))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Marketplace labels"),
                "message": "\n".join(lines),
                "type": "success" if not missing else ("warning" if attached else "danger"),
                "sticky": bool(missing),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _marketplace_after_shipment(self):
        """Called once a shipment of these pickings is reported to the marketplace: fetch the
        labels (the marketplace makes them at that point).  Never raises: a label not ready is
        noted on the picking and fetched later."""
        pickings = self._marketplace_label_pickings()
        if not pickings:
            return self.browse(), {}
        try:
            # in a savepoint: a failure leaves the reported shipment's transaction usable
            with self.env.cr.savepoint():
                return pickings._marketplace_fetch_labels()
        except Exception:  # noqa: BLE001 - the shipment is reported; the label can wait
            _logger.warning("Labels of %s not fetched after the shipment", pickings.ids, exc_info=True)
            return self.browse(), {}

    # --- printing --------------------------------------------------------------------------------
    def _marketplace_label_file(self):
        """(file name, bytes, mimetype) of one print of these pickings' labels."""
        attachments = [(p, p.sudo().marketplace_label_id) for p in self]
        kinds = {a.name.rsplit(".", 1)[-1].lower() for _p, a in attachments}
        if "svg" in kinds:
            raise UserError(_("SVG stickers cannot be printed together. Set the sticker format of the account "
                              "to PNG or ZPL and fetch the labels again."))
        if "zpl" in kinds:
            if kinds != {"zpl"}:
                raise UserError(_("ZPL stickers (for a thermal printer) and PDF labels cannot be printed in one "
                                  "file: select them separately."))
            return "marketplace-labels.zpl", labels_pdf.join_zpl([a.raw for _p, a in attachments]), "text/plain"
        pages = []
        for picking, attachment in attachments:
            if attachment.name.lower().endswith(".png"):
                width, height = picking._marketplace_sticker_size_mm()
                pages.append(labels_pdf.image_to_pdf(attachment.raw, width, height))
            else:
                pages.append(attachment.raw)
        try:
            merged = labels_pdf.merge_pdfs(pages)
        except labels_pdf.LabelFileError as exc:
            raise UserError(_("A label file cannot be read: %s", exc)) from None
        return "marketplace-labels.pdf", merged, "application/pdf"

    def _marketplace_sticker_size_mm(self):
        """The size of this picking's PNG sticker: the account's setting (58 × 40 or 40 × 30 mm)."""
        account = self._marketplace_sale().marketplace_account_id
        size = account._marketplace_label_options().get("size") if account else None
        return tuple(size or (58, 40))

    def action_marketplace_print_labels(self):
        """Button "Print marketplace labels": one file of the labels of the selected delivery orders;
        the labels not fetched yet are fetched first."""
        self._marketplace_check_user()
        pickings = self._marketplace_label_pickings()
        if not pickings:
            raise UserError(_("None of the selected transfers is a delivery order of a marketplace order "
                              "(FBS or DBS): there is no marketplace label to print."))
        to_fetch = pickings.filtered(lambda p: not p.sudo().marketplace_label_id)
        missing = {}
        if to_fetch:
            _attached, missing = to_fetch._marketplace_fetch_labels()
        others = self - pickings
        if missing or others:
            lines = [_("%(picking)s: %(reason)s", picking=p.display_name, reason=r) for p, r in missing.items()]
            lines += [_("%s: not a delivery order of a marketplace order", p.display_name) for p in others]
            raise UserError(_("Some of the selected transfers have no marketplace label yet; deselect them or "
                              "try again later.\n%s", "\n".join(lines[:20])))
        name, data, mimetype = pickings._marketplace_label_file()
        attachment = self.env["ir.attachment"].create({"name": name, "raw": data, "mimetype": mimetype})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
