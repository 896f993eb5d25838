"""What the sync log keeps of a run's API calls: each failed or retried call on its own, the
successful ones folded into one line per (method, endpoint template) with counts and durations.

Pure Python (no Odoo): ``marketplace.sync.log._log_calls`` writes what :func:`fold_calls`
returns.  The transport gives endpoints as path templates already (``/v2/campaigns/{campaignId}
/orders/{orderId}/buyer``); :func:`endpoint_template` also turns a concrete path into one, so
that an identifier in a path never defeats the folding.
"""
import re
from dataclasses import dataclass

#: a path segment that is an identifier: digits (WB task, YM order, Ozon posting number
#: "12345678-0012-1"), a UUID, or a long hexadecimal / alphanumeric token with digits
_ID_SEGMENT = re.compile(
    r"^(?:\d[\d-]*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,})$")


def endpoint_template(endpoint):
    """The endpoint without identifiers: every id segment becomes ``{id}``, the query dropped.

    >>> endpoint_template("/v2/campaigns/123/orders/456/buyer?x=1")
    '/v2/campaigns/{id}/orders/{id}/buyer'
    >>> endpoint_template("/v2/campaigns/{campaignId}/orders/{orderId}/buyer")
    '/v2/campaigns/{campaignId}/orders/{orderId}/buyer'
    """
    path = (endpoint or "").split("?", 1)[0]
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


def is_plain_success(call):
    """A call that succeeded at its first attempt: the only kind that is folded."""
    return not call.error and (call.attempts or 1) <= 1


@dataclass
class Folded:
    """The successful calls of one (method, endpoint template) in one run."""

    method: str
    endpoint: str
    call_count: int = 0
    duration_ms: int = 0
    max_duration_ms: int = 0
    status: int = 0  # the last call's

    def add(self, call):
        self.call_count += 1
        self.duration_ms += max(int(call.duration_ms or 0), 0)
        self.max_duration_ms = max(self.max_duration_ms, int(call.duration_ms or 0))
        self.status = call.status


def fold_calls(calls):
    """``(singles, folded)``: the calls kept one a row (failures, retries), in their order, and
    the :class:`Folded` successes keyed by ``(method, endpoint template)``, in first-seen order."""
    singles = []
    folded = {}
    for call in calls:
        if not is_plain_success(call):
            singles.append(call)
            continue
        key = (call.method or "", endpoint_template(call.endpoint))
        if key not in folded:
            folded[key] = Folded(method=key[0], endpoint=key[1])
        folded[key].add(call)
    return singles, folded
