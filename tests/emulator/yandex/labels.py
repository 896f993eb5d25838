"""Delivery labels of FBS / DBS / Express orders (:class:`YandexLabels`):
``GET /v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels``.

The answer is the PDF itself (``application/pdf``, ``format: binary`` in the spec), one page
per box of the order, the page laid out by ``format`` (``PageFormatType``: ``A9_HORIZONTALLY``
58x40 mm, ``A9`` 40x58 mm, ``A7`` 75x120 mm, the default, ``A4``).  The Market gives labels of
an order being packed and ready (``PROCESSING`` / ``READY_TO_SHIP``, also after the hand-over
to the shipment ``SHIPPED``); another status is ``400 STATUS_NOT_ALLOWED``, an FBY order
(the Market packs it) ``400 CAMPAIGN_TYPE_NOT_SUPPORTED``, an unknown order ``404``.

Test-facing: :attr:`served_labels` {order id: the PDF bytes last served}, :attr:`label_boxes`
{order id: boxes} (one box unless set).
"""
from .. import label_files
from ..server import Reply
from .core import _error

LABEL_SUBSTATUSES = ("READY_TO_SHIP", "SHIPPED")


class YandexLabels:
    """Mixin of :class:`~.YandexApp`: the delivery-labels route."""

    def install_labels(self):
        self.served_labels = {}
        self.label_boxes = {}
        self.add_route("GET", "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels", self._labels)

    def _labels(self, params, query, body, headers):
        order, error = self._order_in_path(params)
        if error:
            return error
        order_id = str(order["orderId"])
        if order["scheme"] == "fbo":
            return _error(400, "CAMPAIGN_TYPE_NOT_SUPPORTED", "Campaign type is not allowed")
        if order["status"] != "PROCESSING" or order["substatus"] not in LABEL_SUBSTATUSES:
            return _error(400, "STATUS_NOT_ALLOWED",
                          f"Labels are not available in status {order['status']}/{order['substatus']}")
        page = query.get("format") or "A7"
        boxes = self.label_boxes.get(order_id, 1)
        pages = [f"{order_id} {i + 1}/{boxes}" for i in range(boxes)]
        data = label_files.pdf(pages, label_files.PAGE_SIZES[page], title=f"Market order {order_id}")
        self.served_labels[order_id] = data
        return Reply(200, data, headers={"Content-Type": "application/pdf"})
