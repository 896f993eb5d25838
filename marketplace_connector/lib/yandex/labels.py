"""Delivery labels of FBS / DBS / Express orders (:class:`YandexLabels`):
``GET /v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels``.

One call per order (the method takes one order; 10 000 calls an hour, within the adapter's
pace); the answer is the PDF itself, a page per box, laid out by ``format``
(:data:`PAGE_FORMATS`; the Market's default A7).  The campaign of an order is its
``secondary_ref``.  The Market gives labels of an order ready to ship (``PROCESSING`` /
``READY_TO_SHIP``); another status is its 400 (``STATUS_NOT_ALLOWED``), reported as pending.
"""
from .. import orders as o
from ..labels import Label, LabelFetch, refusal_reason
from ..transport import ApiError, AuthError
from .client import _number_id

LABELS_ENDPOINT = "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels"
#: ``PageFormatType``: the layout of the labels -> the label's size in mm (A4: a sheet)
PAGE_FORMATS = {"A9_HORIZONTALLY": (58, 40), "A9": (40, 58), "A7": (75, 120), "A4": (210, 297)}
PDF = "application/pdf"


class YandexLabels:
    """Mixin of :class:`~.YandexAdapter`: ``fetch_labels``."""

    def fetch_labels(self, refs, page_format="A7"):
        """Delivery labels of the orders ``refs`` (OrderRef with the campaign as secondary_ref)."""
        if page_format not in PAGE_FORMATS:
            raise ValueError(f"Yandex Market label format must be one of {', '.join(PAGE_FORMATS)}")
        result = LabelFetch()
        for ref in refs:
            ext = str(ref.external_id)
            try:
                order_id = _number_id(ext, "order id", ext)
                campaign = _number_id(ref.secondary_ref, "campaign", ext)
            except o.PayloadError as exc:
                result.pending[ext] = exc.args[0] if exc.args else "not a Yandex Market order"
                continue
            path = f"/v2/campaigns/{campaign}/orders/{order_id}/delivery/labels"
            try:
                answer = self.transport.request("GET", path, endpoint=LABELS_ENDPOINT,
                                                params={"format": page_format}, raw=True, accept=PDF)
            except AuthError:
                raise
            except ApiError as exc:
                if exc.retryable or exc.status not in (400, 404):
                    raise
                result.pending[ext] = refusal_reason(exc)
                continue
            if answer.content_type != PDF or not answer.content.startswith(b"%PDF"):
                raise ApiError(f"Yandex Market {LABELS_ENDPOINT}: the answer is not a PDF", 200)
            result.labels[ext] = Label(ext, answer.content, PDF, PAGE_FORMATS[page_format])
        return result
