"""The ЭДО operator interface: what the Odoo side may ask of any operator.

Kontur.Diadoc is the first operator (:mod:`.diadoc`); СБИС or Такском come as another
subclass of :class:`EdoOperator` registered with :func:`register_operator`, without
touching the models.  Everything here is plain Python: the HTTP session, ``sleep`` and
``clock`` come in as arguments, so the tests drive it against a loopback emulator.

Neutral shapes
--------------
* :class:`SentDocument` -- what ``send_document`` returns (the operator's ids);
* :class:`DocumentStatus` -- the state of one sent document, one of :data:`STATES`;
* :class:`Event` -- one change in the box's event feed (``iter_events``);
* :class:`IncomingDocument` -- a document a counteragent sent us (``list_incoming``).

Errors: :class:`OperatorError` (``status`` = last HTTP status, 0 without an answer;
``retryable`` = worth trying again later) and :class:`OperatorAuthError` (the operator
refused the credentials).  Their texts never contain a password, a token or a key.
"""
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

import requests

_logger = logging.getLogger(__name__)

#: states of a sent document.  OUTBOX: posted but not sent -- the operator keeps it in our
#: outbox until a person signs and sends it in the operator's web interface (Diadoc's delayed
#: send, «исходящий неотправленный документ»); the counteragent has not got it
OUTBOX, SENT, DELIVERED, SIGNED, REJECTED, ERROR = "outbox", "sent", "delivered", "signed", "rejected", "error"
STATES = (OUTBOX, SENT, DELIVERED, SIGNED, REJECTED, ERROR)

#: kinds of :class:`Event`
EV_DOCUMENT = "document"  # a new document in the box (ours or a counteragent's)
EV_SENDER_SIGNED = "sender_signed"  # we signed (and so sent) a document saved unsent
EV_DELIVERED = "delivered"  # the operator delivered the document to the counteragent
EV_RECEIPT = "receipt"  # a receipt notice (извещение о получении)
EV_SIGNED = "signed"  # the counteragent signed (answer title / signature)
EV_REJECTED = "rejected"  # the counteragent refused to sign
EV_REVOKED = "revoked"  # the document was annulled
EV_ERROR = "error"  # delivery failed / invalid signature
EV_OTHER = "other"  # anything else (kept so that the cursor moves on)
EVENT_KINDS = (EV_DOCUMENT, EV_SENDER_SIGNED, EV_DELIVERED, EV_RECEIPT, EV_SIGNED, EV_REJECTED,
               EV_REVOKED, EV_ERROR, EV_OTHER)

#: neutral document types for ``send_document``
DOC_UPD = "upd"  # УПД / счёт-фактура in the ФНС format (function and version read from the XML)
DOC_UKD = "ukd"  # УКД, the corrective document
DOC_NONFORMALIZED = "nonformalized"  # any file (PDF, ...)
DOC_TYPES = (DOC_UPD, DOC_UKD, DOC_NONFORMALIZED)

#: incoming direction / outgoing direction of a document relative to our box
INBOUND, OUTBOUND = "inbound", "outbound"


class OperatorError(Exception):
    """A call to the operator failed for good.

    ``status``: the last HTTP status (0 when there was no answer);
    ``retryable``: true when the same call may succeed later (5xx, time-out, network).
    """

    def __init__(self, message, status=0, retryable=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable

    def __str__(self):
        return self.message


class OperatorAuthError(OperatorError):
    """The operator refused the credentials (login/password, developer key or token)."""


@dataclass(frozen=True)
class SentDocument:
    message_id: str
    entity_id: str
    file_name: str = ""
    timestamp: datetime = None  # aware UTC
    #: SENT, or OUTBOX when the operator keeps it unsent (see awaiting_sender_signature)
    state: str = SENT
    #: the document waits for our signature in the operator's web interface (saved unsent)
    awaiting_sender_signature: bool = False
    #: the operator's code (``diadoc``)
    operator: str = ""


@dataclass(frozen=True)
class Event:
    event_id: str
    message_id: str
    entity_id: str  # the document the event is about ("" when it concerns the whole message)
    kind: str  # one of EVENT_KINDS
    timestamp: datetime = None  # aware UTC
    state: str = ""  # the document state this event implies, "" when none
    #: pass the ``cursor`` of the last event you handled as ``after_event_id`` next time
    cursor: str = ""
    direction: str = ""  # INBOUND / OUTBOUND (for EV_DOCUMENT)
    text: str = ""  # e.g. the reason of a rejection


@dataclass(frozen=True)
class DocumentStatus:
    state: str  # one of STATES
    text: str = ""  # the operator's human-readable status
    events: tuple = ()  # tuple of Event: the document's history
    #: a rejection's reason / an error's explanation
    reason: str = ""
    delivered_at: datetime = None
    signed_at: datetime = None
    awaiting_sender_signature: bool = False
    #: the operator's own status words, kept for the log
    raw: str = ""


@dataclass(frozen=True)
class Counterparty:
    inn: str
    kpp: str = ""
    name: str = ""
    box_id: str = ""


@dataclass(frozen=True)
class IncomingDocument:
    message_id: str
    entity_id: str
    file_name: str
    content: bytes
    sender_inn: str
    sender_name: str
    sender_kpp: str = ""
    sender_box_id: str = ""
    doc_type: str = ""  # the operator's type (Diadoc TypeNamedId)
    function: str = ""  # СЧФДОП / СЧФ / ДОП ...
    version: str = ""  # the operator's format version (utd970_05_03_01)
    timestamp: datetime = None
    event_id: str = ""
    cursor: str = ""  # see Event.cursor
    #: set when the document could not be fetched (content is then b"")
    error: str = ""


@dataclass
class CallRecord:
    """One logical call (after its retries), for the exchange log.  No secrets in it."""

    method: str
    endpoint: str
    status: int
    attempts: int
    duration_ms: int
    error: str = ""
    waited_s: float = 0.0


class EdoOperator:
    """The interface each operator implements."""

    code = ""
    label = ""
    default_base_url = ""
    #: the credential keys the operator needs (the Odoo form shows these)
    credential_fields = ()

    def authenticate(self):
        """Log in now (normally done lazily); raises OperatorAuthError on refusal."""
        raise NotImplementedError

    def test_connection(self):
        """A short human sentence naming the organisation(s) reachable with the credentials."""
        raise NotImplementedError

    def send_document(self, box_id, counteragent_box_id, file_name, content, doc_type,
                      signature=None, **options):
        """Send ``content`` (bytes) from our box to the counteragent's; -> SentDocument
        (state SENT, or OUTBOX when it waits unsent for a person to sign it)."""
        raise NotImplementedError

    def get_document_status(self, box_id, message_id, entity_id):
        """-> DocumentStatus of a document we sent."""
        raise NotImplementedError

    def iter_events(self, box_id, after_event_id=None):
        """Iterate over the box's events after the given cursor (None: from the start)."""
        raise NotImplementedError

    def list_incoming(self, box_id, after_event_id=None):
        """Iterate over documents counteragents sent to the box (IncomingDocument)."""
        raise NotImplementedError

    def get_counterparty(self, box_id):
        """-> Counterparty (INN, KPP, name) owning a box."""
        raise NotImplementedError


# --- the registry -----------------------------------------------------------------------
_REGISTRY = {
    "diadoc": "marketplace_edo.lib.diadoc:DiadocOperator",
}


def register_operator(code, cls_or_path):
    """Add an operator: a class, or ``"package.module:ClassName"`` imported on first use."""
    _REGISTRY[code] = cls_or_path


def operator_codes():
    return sorted(_REGISTRY)


def operator_class(code):
    try:
        target = _REGISTRY[code]
    except KeyError:
        raise OperatorError(f"Unknown ЭДО operator {code!r}; known: {', '.join(operator_codes())}") from None
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        if module_name.startswith("marketplace_edo.lib."):
            # relative to this package, whatever name it was imported under
            module = import_module("." + module_name.rsplit(".", 1)[1], __package__)
        else:
            module = import_module(module_name)
        target = getattr(module, class_name)
        _REGISTRY[code] = target
    return target


def make_operator(code, credentials, base_url=None, session=None, sleep=None, clock=None, **options):
    """Build the operator ``code`` for one account (``options`` go to its constructor)."""
    cls = operator_class(code)
    return cls(credentials, base_url=base_url, session=session, sleep=sleep, clock=clock, **options)


# --- HTTP with retries, for every operator -------------------------------------------------
RETRY_STATUSES = {429, 500, 502, 503, 504}
DEFAULT_TIMEOUT = (5.0, 60.0)


class OperatorHttp:
    """``requests`` with time-outs always set, retries with exponential backoff on 5xx,
    429 and network failures (``Retry-After`` obeyed), secrets scrubbed from every text,
    and one :class:`CallRecord` per logical call given to ``on_call``."""

    def __init__(self, session=None, *, timeout=DEFAULT_TIMEOUT, max_attempts=5, backoff_base=1.0,
                 backoff_cap=30.0, sleep=None, clock=None, on_call=None, seed=None, label="operator"):
        self.session = session or requests.Session()
        self.timeout = timeout or DEFAULT_TIMEOUT  # never without a time-out
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.on_call = on_call
        self.rng = random.Random(seed)
        self.label = label
        self._secrets = set()

    # secrets ---------------------------------------------------------------------------
    def add_secret(self, value):
        if value and len(str(value)) >= 3:
            self._secrets.add(str(value))

    def scrub(self, text):
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------------------------
    def delay(self, response, attempt):
        if response is not None:
            hint = response.headers.get("Retry-After")
            if hint:
                try:
                    return min(max(float(hint), 0.0), self.backoff_cap)
                except ValueError:
                    pass
        delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + self.rng.random() / 2)

    def request(self, method, url, *, endpoint=None, params=None, headers=None, json_body=None,
                data=None, retry_204=False, decode=None):
        """Return the ``requests.Response`` of a successful call (2xx), or ``decode(response)``
        when ``decode`` is given (a ValueError from it -- e.g. broken JSON -- is retried).

        401 -> OperatorAuthError; other 4xx -> OperatorError (not retried); 5xx, 429,
        time-outs and connection failures are retried up to ``max_attempts`` times.
        ``retry_204``: a 204 answer means "not finished yet, ask again after Retry-After".
        """
        endpoint = endpoint or url
        started = self.clock()
        waited = 0.0
        attempt = 0
        status = 0
        error = ""
        try:
            while True:
                attempt += 1
                response = None
                retryable = False
                try:
                    response = self.session.request(method, url, params=params, headers=headers,
                                                    json=json_body, data=data, timeout=self.timeout)
                    status = response.status_code
                    if status == 401:
                        error = f"HTTP 401: {self.label} refused the credentials ({self._excerpt(response)})"
                        raise OperatorAuthError(error, status)
                    if status in RETRY_STATUSES:
                        error = f"HTTP {status}: {self._excerpt(response)}"
                        retryable = True
                    elif retry_204 and status == 204:
                        error = "HTTP 204: the operation is not finished yet"
                        retryable = True
                    elif status >= 400:
                        error = f"HTTP {status}: {self._excerpt(response)}"
                        raise OperatorError(error, status)
                    elif decode is None:
                        error = ""
                        return response
                    else:
                        try:
                            value = decode(response)
                        except (ValueError, requests.exceptions.ChunkedEncodingError):
                            error = f"HTTP {status}: the answer is malformed"
                            retryable = True
                        else:
                            error = ""
                            return value
                except (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError) as exc:
                    status = 0
                    kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
                    error = f"{kind} ({type(exc).__name__})"
                    retryable = True
                if attempt >= self.max_attempts:
                    raise OperatorError(f"{endpoint}: {error} (after {attempt} attempts)", status,
                                        retryable=retryable)
                pause = self.delay(response, attempt)
                _logger.info("%s %s %s: %s; attempt %d, retrying in %.1f s", self.label, method, endpoint,
                             self.scrub(error), attempt, pause)
                waited += pause
                self.sleep(pause)
        finally:
            if self.on_call is not None:
                self.on_call(CallRecord(
                    method=method, endpoint=endpoint, status=status, attempts=attempt,
                    duration_ms=int((self.clock() - started) * 1000), error=self.scrub(error),
                    waited_s=round(waited, 3)))

    def _excerpt(self, response, limit=300):
        try:
            text = response.text or ""
        except Exception:  # undecodable body
            text = ""
        text = " ".join(text.split())[:limit]
        return self.scrub(text) or response.reason or "no details"
