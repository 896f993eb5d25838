"""Stickers of FBS assembly tasks (:class:`WildberriesLabels`): ``POST /api/v3/orders/stickers``.

``type`` png / svg / zplv / zplh; ``width`` x ``height`` 58x40 (580x400 px) or 40x30
(400x300 px); at most 100 tasks a call; WB gives stickers only of tasks on assembly or in
delivery (``confirm`` / ``complete``) and leaves the others out of its answer: those are
reported as pending.  Each sticker's file comes in base64.  The calls share the FBS limit
of the transport (300 a minute).
"""
import base64
import binascii

from .. import orders as o
from ..labels import Label, LabelFetch, chunks
from ..transport import ApiError
from .client import _task_id

STICKERS_PATH = "/api/v3/orders/stickers"
#: stickers a call (the method's documented maximum)
MAX_STICKERS = 100
#: the sticker types and the media type of their files
STICKER_TYPES = {"png": "image/png", "svg": "image/svg+xml", "zplv": "application/zpl",
                 "zplh": "application/zpl"}
STICKER_SIZES = ((58, 40), (40, 30))
NOT_READY = "the sticker is given only for a task on assembly or in delivery (confirm / complete)"


class WildberriesLabels:
    """Mixin of :class:`~.WildberriesAdapter`: ``fetch_labels``."""

    #: stickers a call (at most :data:`MAX_STICKERS`)
    label_batch_size = MAX_STICKERS

    def fetch_labels(self, refs, sticker_type="png", size=(58, 40)):
        """Stickers of the tasks ``refs`` (OrderRef or task ids) as a LabelFetch: one call per
        :attr:`label_batch_size` tasks."""
        if sticker_type not in STICKER_TYPES:
            raise ValueError(f"Wildberries sticker type must be one of {', '.join(STICKER_TYPES)}")
        size = tuple(size)
        if size not in STICKER_SIZES:
            raise ValueError("Wildberries stickers are 58x40 or 40x30 mm")
        result = LabelFetch()
        ids = []
        for ref in refs:
            ext = str(getattr(ref, "external_id", ref))
            try:
                ids.append(int(_task_id(ext, "task id", ext)))
            except o.PayloadError:
                result.pending[ext] = "not a Wildberries assembly task id"
        params = {"type": sticker_type, "width": size[0], "height": size[1]}
        for batch in chunks(dict.fromkeys(ids), min(self.label_batch_size, MAX_STICKERS)):
            answer = self._call("marketplace", "POST", STICKERS_PATH, params=params, json_body={"orders": batch})
            stickers = answer.get("stickers") if isinstance(answer, dict) else None
            if not isinstance(stickers, list):
                raise self._shape_error(STICKERS_PATH, "no list of stickers")
            asked = {str(i) for i in batch}
            for row in stickers:
                if not isinstance(row, dict) or str(row.get("orderId")) not in asked:
                    continue
                ext = str(row["orderId"])
                try:
                    content = base64.b64decode(row.get("file") or "", validate=True)
                except (binascii.Error, ValueError, TypeError):
                    raise ApiError(f"Wildberries {STICKERS_PATH}: the sticker of {ext} is not base64", 200) \
                        from None
                if not content:
                    continue
                info = {k: str(row[k])[:64] for k in ("partA", "partB", "barcode") if row.get(k) is not None}
                result.labels[ext] = Label(ext, content, STICKER_TYPES[sticker_type], size, info)
            for ext in asked - set(result.labels):
                result.pending[ext] = NOT_READY
        return result
