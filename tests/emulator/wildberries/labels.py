"""Stickers of FBS assembly tasks (:class:`WildberriesLabels`): ``POST /api/v3/orders/stickers``.

As the spec (03-orders-fbs.yaml) says: ``type`` png / svg / zplv / zplh, ``width`` x
``height`` 58x40 (580x400 px) or 40x30 (400x300 px), at most 100 tasks a call (``maxItems``:
a longer list is the spec's 400), stickers only of tasks on assembly or in delivery
(``supplierStatus`` ``confirm`` / ``complete``).  A task in another status (or unknown) is left
out of the answer, as WB does; the others come as ``{orderId, partA, partB, barcode, file}``
with the file in base64.

Test-facing: :attr:`served_stickers` {task id: the file bytes last served}.
"""
import base64

from .. import label_files
from ..server import Reply
from .core import _error

#: (width, height) in the query -> the sticker's pixels
STICKER_SIZES = {(58, 40): (580, 400), (40, 30): (400, 300)}
STICKER_STATUSES = ("confirm", "complete")


class WildberriesLabels:
    """Mixin of :class:`~.WildberriesApp`: the stickers route."""

    def install_labels(self):
        #: task id -> the bytes of the sticker last served (what a test compares with)
        self.served_stickers = {}
        self.add_route("POST", "/api/v3/orders/stickers", self._stickers)

    def sticker_parts(self, task_id):
        """partA / partB of a task's sticker, as WB prints them under the barcode."""
        digits = f"{int(task_id) % 10 ** 10:010d}"
        return digits[:6], digits[6:]

    def _stickers(self, params, query, body, headers):
        kind = query.get("type")
        try:
            size = (int(query.get("width")), int(query.get("height")))
        except (TypeError, ValueError):
            size = None
        if size not in STICKER_SIZES:
            return _error(400, "IncorrectParameter", "Передан некорректный размер стикера: 58x40 или 40x30")
        pixels = STICKER_SIZES[size]
        stickers = []
        for task_id in (body or {}).get("orders") or ():
            task = self.orders.get(str(task_id))
            if task is None or task["scheme"] != "fbs" or task["supplierStatus"] not in STICKER_STATUSES:
                continue
            part_a, part_b = self.sticker_parts(task_id)
            text = f"{part_a} {part_b}"
            if kind == "png":
                data = label_files.png(f"{task_id} {text}", pixels)
            elif kind == "svg":
                data = label_files.svg(f"{task_id} {text}", pixels)
            else:
                data = label_files.zpl(task_id, text, vertical=kind == "zplv", size_mm=size)
            self.served_stickers[str(task_id)] = data
            stickers.append({"orderId": int(task_id), "partA": part_a, "partB": part_b,
                             "barcode": f"*{part_a}{part_b}", "file": base64.b64encode(data).decode()})
        return Reply(200, {"stickers": stickers})
