"""Labels and stickers of marketplace orders: the neutral shapes every adapter answers with.

``adapter.fetch_labels(refs, **options)`` takes :class:`~.base.OrderRef` (external id, scheme,
secondary ref) and returns a :class:`LabelFetch`: a :class:`Label` per order whose label the
marketplace gave, and, for every other order, why not (:attr:`LabelFetch.pending`).  A label
is not ready while the order is not in the status the marketplace requires (Wildberries: on
assembly or in delivery; Ozon: awaiting shipment; Yandex Market: ready to ship): such an order
is reported, never an error of the whole call, and can be asked again later.
"""
import json
import re
from dataclasses import dataclass, field

#: the file types of labels: media type -> file extension
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/svg+xml": "svg",
    "application/zpl": "zpl",
}


@dataclass(frozen=True)
class Label:
    """The label file of one order, as the marketplace made it."""

    external_id: str
    content: bytes
    mimetype: str
    #: width x height in millimetres where the marketplace says (WB stickers), else None
    size_mm: tuple = None
    #: what else the marketplace tells about the sticker (WB: partA, partB, barcode)
    info: dict = field(default_factory=dict)

    @property
    def extension(self):
        return EXTENSIONS.get(self.mimetype, "bin")


@dataclass
class LabelFetch:
    """What one ``fetch_labels`` got: ``labels`` {external id: Label}, ``pending`` {external
    id: the reason the marketplace gave (the label is not ready, the order is cancelled...)}."""

    labels: dict = field(default_factory=dict)
    pending: dict = field(default_factory=dict)

    def merge(self, other):
        self.labels.update(other.labels)
        self.pending.update(other.pending)
        for key in other.labels:
            self.pending.pop(key, None)
        return self


def chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def refusal_reason(exc):
    """The marketplace's own words from an ApiError ("HTTP 400: {json}"): its ``message``
    (Ozon, Wildberries) or its ``errors[].message`` (Yandex Market), else the text as it is."""
    text = str(getattr(exc, "message", exc))
    match = re.match(r"^HTTP \d{3}: (.*)$", text, re.S)
    if match:
        try:
            body = json.loads(match.group(1))
        except ValueError:
            body = None
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list):
                words = [str(e.get("message") or e.get("code")) for e in errors if isinstance(e, dict)]
                if words:
                    return "; ".join(words)[:300]
            for key in ("message", "detail", "errorText", "title"):
                if isinstance(body.get(key), str) and body[key]:
                    return body[key][:300]
        return match.group(1)[:300]
    return text[:300]
