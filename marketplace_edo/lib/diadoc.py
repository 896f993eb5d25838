"""Kontur.Diadoc over its HTTP API (JSON flavour): :class:`DiadocOperator`.

Endpoints (diadoc/diadocapi-docs):

* ``POST /V3/Authenticate?type=password`` -- ``{"login", "password"}`` -> token (text), with
  ``Authorization: DiadocAuth ddauth_api_client_id=<developer key>``; later calls send
  ``DiadocAuth ddauth_api_client_id=<key>,ddauth_token=<token>``.  A token lives 24 h:
  on a 401 the operator logs in again, once.
* ``POST /V3/PostMessage?operationId=`` -- a ``MessageToPost`` with one
  ``DocumentAttachment`` (``TypeNamedId`` ``UniversalTransferDocument``, ``Function`` from
  the XML, ``Version`` ``utd970_05_03_01`` for ФНС 5.03).  The operation id makes a retry
  of the same document idempotent (Diadoc answers the first call's result).  204 means
  "not finished yet, ask again after Retry-After".
* ``GET /V5/GetMessage`` -- the document's entities -> :class:`DocumentStatus`.
* ``GET /V7/GetNewEvents`` -- the box's event feed, paged by ``afterIndexKey``.
* ``GET /V4/GetEntityContent`` -- a file's bytes; ``GET /GetOrganization`` -- ИНН/КПП.
* ``POST /ShelfUploadPartInit`` + ``POST /ShelfUploadPart`` -- the document shelf (полка
  документов): a file over 500 KB is not put inline in ``SignedContent.Content`` (Diadoc
  refuses it) but uploaded to the shelf in parts of 512 KB, and the message names it by
  ``SignedContent.NameOnShelf``.  The first part goes to ``ShelfUploadPartInit``, which
  answers the name it gave the file; the others to ``ShelfUploadPart?fileName=&partIndex=``
  (from 1); the last one with ``isLastPart=true``, answered by the JSON list of the parts the
  shelf still lacks, which are sent again (at most 3 rounds, as Diadoc's SDKs do).  The
  older ``POST /ShelfUpload?nameOnShelf=&partIndex=`` is not used: Diadoc removed it after
  30.09.2026.

Signing: the XML is sent with its detached CMS signature (``signature=``) when the caller
has one; ``test_signature=True`` asks Diadoc for a test signature (test boxes only);
otherwise the message is posted with ``DelaySend``: Diadoc keeps it in the outbox, unsent
(state ``OUTBOX``, ``awaiting_sender_signature``), until a person signs and sends it in
Diadoc's web interface; the status then turns to sent, delivered...
"""
import base64
import binascii
import hashlib
import json
import logging
import re
from datetime import datetime, timedelta, timezone

from . import operator as op
from .upd_parse import UpdParseError, parse_xml, rejection_text, sniff_upd

_logger = logging.getLogger(__name__)

TICKS_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)
#: ФНС ВерсФорм -> Diadoc Version of the УПД seller's title (GetDocumentTypes)
UTD_VERSIONS = {"5.03": "utd970_05_03_01", "5.02": "utd970_05_02_01"}
#: bigger files must go through the shelf (ShelfUploadPartInit / ShelfUploadPart), not inline
MAX_INLINE_CONTENT = 500 * 1024
#: one shelf request carries at most 512 KB (the C# SDK's part length; the documentation has
#: given 512 KB and, later, 3 MB: the smaller is safe with both)
SHELF_PART_SIZE = 512 * 1024
#: the shelf takes files up to 400 MB
SHELF_MAX_CONTENT = 400 * 1024 * 1024
#: rounds of parts sent (the first upload included) before giving up on missing parts
SHELF_ROUNDS = 3
PAGE_LIMIT = 100
#: the extension a shelf file is given (only affects the name it is downloaded under)
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")

#: attachment types that are documents (not service papers about a document)
SERVICE_TYPES = {
    "InvoiceReceipt", "InvoiceConfirmation", "InvoiceCorrectionRequest", "AttachmentComment",
    "DeliveryFailureNotification", "SignatureRequestRejection", "SignatureVerificationReport",
    "Resolution", "ResolutionRequest", "ResolutionRequestDenial", "Receipt", "XmlSignatureRejection",
    "RevocationRequest", "RoamingNotification", "CustomData", "MoveDocument", "ResolutionRouteAssignment",
    "ResolutionRouteRemoval", "Cancellation", "Edition", "DeletionRestoration", "TemplateTransformation",
    "TemplateRefusal", "OuterDocflow", "RoamingConfirmation", "PowerOfAttorney", "PowerOfAttorneyStatus",
    "UniversalTransferDocumentBuyerTitle", "UniversalCorrectionDocumentBuyerTitle",
    "XmlTorg12BuyerTitle", "XmlAcceptanceCertificateBuyerTitle", "Title",
}
ANSWER_TITLES = {"UniversalTransferDocumentBuyerTitle", "UniversalCorrectionDocumentBuyerTitle",
                 "XmlTorg12BuyerTitle", "XmlAcceptanceCertificateBuyerTitle", "Title"}
REJECTIONS = {"XmlSignatureRejection", "SignatureRequestRejection"}


def from_ticks(value):
    """.NET ticks (100 ns since 0001-01-01 UTC) -> aware UTC datetime; None for 0/None."""
    try:
        value = int(value or 0)
    except (TypeError, ValueError):
        return None
    if value <= 0:
        return None
    try:
        return TICKS_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError:
        return None


def to_ticks(moment):
    return int((moment - TICKS_EPOCH) / timedelta(microseconds=1)) * 10


class DiadocOperator(op.EdoOperator):
    code = "diadoc"
    label = "Контур.Диадок"
    default_base_url = "https://diadoc-api.kontur.ru"
    credential_fields = ("login", "password", "client_id")

    def __init__(self, credentials, base_url=None, session=None, sleep=None, clock=None, *,
                 timeout=op.DEFAULT_TIMEOUT, max_attempts=5, backoff_base=1.0, backoff_cap=30.0,
                 on_call=None, test_signature=False, seed=None):
        credentials = dict(credentials or {})
        missing = [k for k in self.credential_fields if not str(credentials.get(k) or "").strip()]
        if missing:
            raise op.OperatorAuthError(f"Diadoc: missing credentials: {', '.join(missing)}")
        self.login = str(credentials["login"]).strip()
        self._password = str(credentials["password"])
        self._client_id = str(credentials["client_id"]).strip()
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.test_signature = bool(test_signature)
        self.http = op.OperatorHttp(session, timeout=timeout, max_attempts=max_attempts,
                                    backoff_base=backoff_base, backoff_cap=backoff_cap, sleep=sleep,
                                    clock=clock, on_call=on_call, seed=seed, label="Diadoc")
        self.http.add_secret(self._password)
        self.http.add_secret(self._client_id)
        self._token = None
        self._organizations = {}

    def __repr__(self):
        return f"<DiadocOperator {self.login} at {self.base_url}>"

    # --- authentication -----------------------------------------------------------------
    def _auth_header(self, with_token=True):
        value = f"DiadocAuth ddauth_api_client_id={self._client_id}"
        if with_token and self._token:
            value += f",ddauth_token={self._token}"
        return value

    def authenticate(self):
        """POST /V3/Authenticate?type=password; keeps the token for the next calls."""
        self._token = None
        try:
            response = self.http.request(
                "POST", self.base_url + "/V3/Authenticate", endpoint="/V3/Authenticate",
                params={"type": "password"},
                headers={"Authorization": self._auth_header(with_token=False),
                         "Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
                data=json.dumps({"login": self.login, "password": self._password}).encode("utf-8"))
        except op.OperatorAuthError as exc:
            raise op.OperatorAuthError(
                f"Diadoc refused the login {self.login!r}: wrong password or developer key "
                f"({self.http.scrub(exc.message)})", exc.status) from None
        except op.OperatorError as exc:
            if exc.status == 403:
                raise op.OperatorAuthError(f"Diadoc refused the login {self.login!r} (HTTP 403)", 403) from None
            raise
        token = (response.text or "").strip()
        if token.startswith('"'):
            try:
                token = json.loads(token)
            except ValueError:
                token = token.strip('"')
        if not token or len(token) > 4096 or any(c.isspace() for c in token):
            raise op.OperatorError("Diadoc: Authenticate gave no usable token", response.status_code)
        self._token = token
        self.http.add_secret(token)
        return True

    # --- calls --------------------------------------------------------------------------
    def _call(self, method, path, *, params=None, json_body=None, body=None, expect="json", retry_204=False):
        """One API call; ``expect``: "json", "bytes" (the raw content) or "text"; ``body``:
        bytes sent as application/octet-stream."""
        if self._token is None:
            self.authenticate()
        headers = {}
        data = None
        if expect == "json":
            headers["Accept"] = "application/json"
        if json_body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        elif body is not None:
            headers["Content-Type"] = "application/octet-stream"
            data = bytes(body)
        decode = {"bytes": _content, "text": _text}.get(expect, _json)
        for attempt in (1, 2):
            headers["Authorization"] = self._auth_header()
            try:
                return self.http.request(method, self.base_url + path, endpoint=path, params=params,
                                         headers=headers, data=data, retry_204=retry_204, decode=decode)
            except op.OperatorAuthError as exc:
                if attempt == 2:
                    raise op.OperatorAuthError(
                        f"Diadoc refused a fresh token on {path} ({exc.message})", exc.status) from None
                _logger.info("Diadoc: token refused on %s, logging in again", path)
                self.authenticate()

    # --- organisations ------------------------------------------------------------------
    def test_connection(self):
        data = self._call("GET", "/GetMyOrganizations", params={"autoRegister": "false"})
        orgs = (data or {}).get("Organizations") or []
        if not orgs:
            return "Diadoc: connected, but the user has access to no organisation"
        names = []
        for org in orgs[:5]:
            boxes = ", ".join(b.get("BoxId", "") for b in org.get("Boxes") or [])
            names.append(f"{org.get('ShortName') or org.get('FullName')} (ИНН {org.get('Inn')}; box {boxes})")
        return "Diadoc: " + "; ".join(names)

    def list_boxes(self):
        """-> [Counterparty] of the boxes the user may use (to pick the box id)."""
        data = self._call("GET", "/GetMyOrganizations", params={"autoRegister": "false"})
        out = []
        for org in (data or {}).get("Organizations") or []:
            for box in org.get("Boxes") or []:
                out.append(op.Counterparty(inn=org.get("Inn") or "", kpp=org.get("Kpp") or "",
                                           name=org.get("ShortName") or org.get("FullName") or "",
                                           box_id=box.get("BoxId") or ""))
        return out

    def get_counterparty(self, box_id):
        if box_id not in self._organizations:
            data = self._call("GET", "/GetOrganization", params={"boxId": box_id}) or {}
            self._organizations[box_id] = op.Counterparty(
                inn=str(data.get("Inn") or ""), kpp=str(data.get("Kpp") or ""),
                name=str(data.get("FullName") or data.get("ShortName") or ""), box_id=box_id)
        return self._organizations[box_id]

    # --- the shelf -------------------------------------------------------------------------
    def upload_to_shelf(self, content, file_extension=".xml"):
        """Put ``content`` on the document shelf in parts; -> its name on the shelf, for
        ``SignedContent.NameOnShelf``.  Parts the shelf reports missing are sent again."""
        content = bytes(content)
        if not content:
            raise op.OperatorError("Diadoc: nothing to put on the shelf")
        if len(content) > SHELF_MAX_CONTENT:
            raise op.OperatorError(f"Diadoc: {len(content)} bytes is more than the shelf takes "
                                   f"({SHELF_MAX_CONTENT // (1024 * 1024)} MB)")
        parts = [content[i:i + SHELF_PART_SIZE] for i in range(0, len(content), SHELF_PART_SIZE)]
        last = len(parts) - 1
        params = {"fileExtension": file_extension} if file_extension else {}
        if last == 0:
            params["isLastPart"] = "true"
        name = self._call("POST", "/ShelfUploadPartInit", params=params, body=parts[0], expect="text")
        if not name or len(name) > 1024 or any(c.isspace() for c in name):
            raise op.OperatorError(f"Diadoc: ShelfUploadPartInit gave no usable file name ({name[:80]!r})")
        missing = list(range(1, len(parts)))
        for _round in range(SHELF_ROUNDS):
            if not missing:
                return name
            # the last part closes the upload: the shelf answers it with the parts it lacks
            missing = sorted(set(missing) - {last}) + [last]
            for index in missing:
                answer = self._call(
                    "POST", "/ShelfUploadPart", body=parts[index], expect="json" if index == last else "bytes",
                    params={"fileName": name, "partIndex": str(index),
                            "isLastPart": "true" if index == last else "false"})
            missing = _missing_parts(answer, len(parts))
        if missing:
            raise op.OperatorError(
                f"Diadoc: the shelf still lacks parts {missing} of {name} after {SHELF_ROUNDS} rounds", 0,
                retryable=True)
        return name

    # --- sending ------------------------------------------------------------------------
    def send_document(self, box_id, counteragent_box_id, file_name, content, doc_type, signature=None, *,
                      function=None, version=None, comment="", custom_document_id="",
                      need_recipient_signature=None, operation_id=None, delay_send=None):
        """Post one document; -> SentDocument.

        ``doc_type``: ``upd`` (ФНС XML; Function and Version read from it unless given),
        ``ukd`` (needs ``version``) or ``nonformalized`` (any file, ``file_name`` kept).
        ``signature``: the detached CMS signature (DER bytes) of ``content``.
        A file over 500 KB goes to the shelf first (:meth:`upload_to_shelf`).
        The operation id defaults to a hash of the boxes and the content: posting the very
        same document again returns the first message instead of a duplicate.
        """
        if not box_id or not counteragent_box_id:
            raise op.OperatorError("Diadoc: our box id and the counteragent's box id are required")
        if not isinstance(content, (bytes, bytearray)) or not content:
            raise op.OperatorError("Diadoc: the document's content must be non-empty bytes")
        content = bytes(content)
        if len(content) > SHELF_MAX_CONTENT:
            raise op.OperatorError(f"Diadoc: {file_name} is {len(content)} bytes, more than the shelf takes "
                                   f"({SHELF_MAX_CONTENT // (1024 * 1024)} MB)")
        if doc_type == op.DOC_UPD:
            try:
                header = sniff_upd(content)
            except UpdParseError as exc:
                raise op.OperatorError(f"Diadoc: {file_name} is not a ФНС УПД file: {exc}") from None
            function = function or header.function
            version = version or UTD_VERSIONS.get(header.format_version)
            if not version:
                raise op.OperatorError(
                    f"Diadoc: УПД format {header.format_version!r} has no known Diadoc version "
                    f"(known: {', '.join(sorted(UTD_VERSIONS))}); pass version=")
            attachment = {"TypeNamedId": "UniversalTransferDocument", "Function": function, "Version": version}
        elif doc_type == op.DOC_UKD:
            if not (function and version):
                raise op.OperatorError("Diadoc: an УКД needs function= and version= (see GetDocumentTypes)")
            attachment = {"TypeNamedId": "UniversalCorrectionDocument", "Function": function, "Version": version}
        elif doc_type == op.DOC_NONFORMALIZED:
            if not file_name:
                raise op.OperatorError("Diadoc: a non-formalized document needs a file name")
            attachment = {"TypeNamedId": "Nonformalized", "Metadata": [{"Key": "FileName", "Value": file_name}]}
            if need_recipient_signature is not None:
                attachment["NeedRecipientSignature"] = bool(need_recipient_signature)
        else:
            raise op.OperatorError(f"Diadoc: unknown document type {doc_type!r}; use one of {op.DOC_TYPES}")
        if not signature and not self.test_signature and delay_send is False:
            raise op.OperatorError("Diadoc: the document has no signature and delay_send=False")
        if len(content) > MAX_INLINE_CONTENT:
            extension = _EXTENSION.search(file_name or "")
            signed = {"NameOnShelf": self.upload_to_shelf(content, extension.group() if extension else "")}
        else:
            signed = {"Content": base64.b64encode(content).decode("ascii")}
        awaiting = False
        if signature:
            signed["Signature"] = base64.b64encode(bytes(signature)).decode("ascii")
        elif self.test_signature:
            signed["SignWithTestSignature"] = True
        else:
            awaiting = True
        attachment["SignedContent"] = signed
        if comment:
            attachment["Comment"] = str(comment)[:5000]
        if custom_document_id:
            attachment["CustomDocumentId"] = str(custom_document_id)
        message = {"FromBoxId": box_id, "ToBoxId": counteragent_box_id, "DocumentAttachments": [attachment]}
        if awaiting:
            message["DelaySend"] = True
        if not operation_id:
            digest = hashlib.sha256()
            for part in (box_id, counteragent_box_id, attachment["TypeNamedId"], function or "", version or ""):
                digest.update(part.encode("utf-8") + b"\0")
            digest.update(content)
            operation_id = digest.hexdigest()[:32]
        data = self._call("POST", "/V3/PostMessage", params={"operationId": operation_id},
                          json_body=message, retry_204=True)
        if not isinstance(data, dict) or not data.get("MessageId"):
            raise op.OperatorError("Diadoc: PostMessage answered without a MessageId")
        doc = next((e for e in data.get("Entities") or []
                    if e.get("EntityType") == "Attachment" and not e.get("ParentEntityId")), None)
        if doc is None or not doc.get("EntityId"):
            raise op.OperatorError("Diadoc: PostMessage answered without the document's entity")
        return op.SentDocument(
            message_id=data["MessageId"], entity_id=doc["EntityId"],
            file_name=doc.get("FileName") or file_name or "",
            timestamp=from_ticks(data.get("TimestampTicks")), state=op.OUTBOX if awaiting else op.SENT,
            awaiting_sender_signature=awaiting, operator=self.code)

    # --- status ---------------------------------------------------------------------------
    def get_message(self, box_id, message_id, entity_id=None, inject_content=False):
        params = {"boxId": box_id, "messageId": message_id,
                  "injectEntityContent": "true" if inject_content else "false"}
        if entity_id:
            params["entityId"] = entity_id
        return self._call("GET", "/V5/GetMessage", params=params) or {}

    def get_entity_content(self, box_id, message_id, entity_id):
        return self._call("GET", "/V4/GetEntityContent", expect="bytes",
                          params={"boxId": box_id, "messageId": message_id, "entityId": entity_id})

    def get_document_status(self, box_id, message_id, entity_id):
        message = self.get_message(box_id, message_id, entity_id)
        entities = [e for e in message.get("Entities") or [] if isinstance(e, dict)]
        doc = next((e for e in entities if e.get("EntityId") == entity_id), None)
        if doc is None:
            raise op.OperatorError(f"Diadoc: document {entity_id} is not in message {message_id}", 404)
        info = _dict(doc.get("DocumentInfo"))
        related = _descendants(entities, entity_id)
        events = []
        for entity in entities:
            if entity.get("EntityId") in related or entity is doc:
                event = self._entity_event(message, entity, box_id, in_message=True)
                if event is not None:
                    events.append(event)
        events.sort(key=lambda e: e.timestamp or TICKS_EPOCH)
        docflow = _dict(info.get("DocflowStatus"))
        primary, secondary = _dict(docflow.get("PrimaryStatus")), _dict(docflow.get("SecondaryStatus"))
        text = " ".join(str(t) for t in (primary.get("StatusText"), secondary.get("StatusText")) if t)
        response_status = str(info.get("RecipientResponseStatus") or "")
        sender_status = str(info.get("SenderSignatureStatus") or "")
        revocation = str(info.get("RevocationStatus") or "")
        raw = ", ".join(x for x in (response_status, sender_status, revocation) if x)
        kinds = {e.kind for e in events}
        delivered_at = from_ticks(info.get("DeliveryTimestampTicks")) or next(
            (e.timestamp for e in events if e.kind == op.EV_DELIVERED), None)
        signed_at = next((e.timestamp for e in events if e.kind == op.EV_SIGNED), None)
        awaiting = sender_status == "WaitingForSenderSignature"
        reason = ""
        if op.EV_ERROR in kinds or sender_status == "SenderSignatureCheckedAndInvalid" \
                or response_status == "InvalidRecipientSignature":
            state = op.ERROR
            reason = (next((e.text for e in events if e.kind == op.EV_ERROR and e.text), "")
                      or self._attachment_text(box_id, message_id, entities, related,
                                               {"DeliveryFailureNotification"}) or text)
            if not reason and sender_status == "SenderSignatureCheckedAndInvalid":
                reason = "the sender's signature is invalid"
            if not reason and response_status == "InvalidRecipientSignature":
                reason = "the recipient's signature is invalid"
        elif response_status == "RecipientSignatureRequestRejected" or op.EV_REJECTED in kinds:
            state = op.REJECTED
            reason = self._rejection_reason(box_id, message_id, entities, related) or text
        elif revocation == "RevocationAccepted":
            state = op.REJECTED
            reason = "the document was annulled (revocation accepted)"
        elif response_status in ("WithRecipientSignature", "WithRecipientPartiallySignature") \
                or op.EV_SIGNED in kinds:
            state = op.SIGNED
            if response_status == "WithRecipientPartiallySignature":
                reason = "signed with disagreements"
        elif delivered_at is not None:
            state = op.DELIVERED
        elif awaiting:
            state = op.OUTBOX  # saved unsent (DelaySend): not sent until we sign it
        else:
            state = op.SENT
        if state == op.REJECTED and reason:
            events = [e if e.kind != op.EV_REJECTED or e.text else _with_text(e, reason) for e in events]
        return op.DocumentStatus(state=state, text=text, events=tuple(events), reason=reason,
                                 delivered_at=delivered_at, signed_at=signed_at,
                                 awaiting_sender_signature=state == op.OUTBOX, raw=raw)

    def _rejection_reason(self, box_id, message_id, entities, related):
        return self._attachment_text(box_id, message_id, entities, related, REJECTIONS)

    def _attachment_text(self, box_id, message_id, entities, related, types):
        """The text of the first service attachment of ``types`` about the document:
        a rejection's reason (ТекстУведУточ of the XML), a delivery failure's message..."""
        for entity in entities:
            if entity.get("EntityId") not in related or entity.get("AttachmentType") not in types:
                continue
            data = _content_data(entity)
            if data is None:
                try:
                    data = self.get_entity_content(box_id, message_id, entity["EntityId"])
                except op.OperatorError as exc:
                    if exc.retryable:
                        raise
                    _logger.warning("Diadoc: cannot read %s %s: %s", entity.get("AttachmentType"),
                                    entity.get("EntityId"), exc)
                    continue
            if entity.get("AttachmentType") == "XmlSignatureRejection":
                try:
                    text = rejection_text(data)
                except UpdParseError as exc:
                    _logger.warning("Diadoc: unreadable rejection %s: %s", entity.get("EntityId"), exc)
                    text = ""
            else:
                text = _plain_text(data)
            if text:
                return text
        return ""

    # --- events -----------------------------------------------------------------------------
    def _iter_box_events(self, box_id, after, max_pages, **filters):
        params = {"boxId": box_id, "limit": str(PAGE_LIMIT)}
        params.update({k: v for k, v in filters.items() if v})
        cursor = after or None
        seen = set()
        for _ in range(max_pages):
            page = dict(params)
            if cursor:
                page["afterIndexKey"] = cursor
            data = _dict(self._call("GET", "/V7/GetNewEvents", params=page))
            events = data.get("Events") if isinstance(data.get("Events"), list) else []
            if not events:
                return
            for event in events:
                if isinstance(event, dict):
                    yield event
            last = events[-1] if isinstance(events[-1], dict) else {}
            next_cursor = last.get("IndexKey")
            if not next_cursor or next_cursor in seen or next_cursor == cursor:
                _logger.warning("Diadoc: GetNewEvents gave no new IndexKey (%r); stopping", next_cursor)
                return
            seen.add(next_cursor)
            cursor = next_cursor
            if len(events) < PAGE_LIMIT:
                return
        _logger.warning("Diadoc: GetNewEvents stopped after %d pages", max_pages)

    def iter_events(self, box_id, after_event_id=None, *, max_pages=1000):
        """Neutral events of the box after the cursor (``Event.cursor``: Diadoc's IndexKey;
        None: from the oldest event).

        Every box event yields at least one Event (``other`` when it means nothing here)
        so that the last ``cursor`` seen is always the place to resume from."""
        for box_event in self._iter_box_events(box_id, after_event_id, max_pages):
            produced = list(self._box_event_to_events(box_id, box_event))
            if not produced:
                message = box_event.get("Message") or box_event.get("Patch") or {}
                produced = [op.Event(event_id=str(box_event.get("EventId") or ""),
                                     message_id=str(message.get("MessageId") or ""), entity_id="",
                                     kind=op.EV_OTHER, timestamp=from_ticks(message.get("TimestampTicks")),
                                     cursor=str(box_event.get("IndexKey") or ""))]
            yield from produced

    def _box_event_to_events(self, box_id, box_event):
        event_id = str(box_event.get("EventId") or "")
        cursor = str(box_event.get("IndexKey") or "")
        message = box_event.get("Message")
        patch = box_event.get("Patch")
        if isinstance(message, dict):
            for entity in message.get("Entities") or []:
                if isinstance(entity, dict):
                    event = self._entity_event(message, entity, box_id, in_message=True)
                    if event is not None:
                        yield _with_ids(event, event_id, cursor)
        elif isinstance(patch, dict):
            delivered_docs = set()
            for entity in patch.get("Entities") or []:
                if not isinstance(entity, dict):
                    continue
                event = self._entity_event(patch, entity, box_id, in_message=False)
                if event is not None:
                    if event.kind == op.EV_DELIVERED:
                        delivered_docs.add(event.entity_id)
                    yield _with_ids(event, event_id, cursor)
            if patch.get("MessageIsDelivered") and not delivered_docs:
                yield op.Event(event_id=event_id, message_id=str(patch.get("MessageId") or ""), entity_id="",
                               kind=op.EV_DELIVERED, timestamp=from_ticks(patch.get("TimestampTicks")),
                               state=op.DELIVERED, cursor=cursor)

    def _entity_event(self, container, entity, box_id, in_message):
        """One entity -> an Event (or None when it says nothing about a document's state).

        ``container``: the Message (``in_message``) or the MessagePatch holding it."""
        message_id = str(container.get("MessageId") or "")
        entity_type = entity.get("EntityType")
        attachment_type = entity.get("AttachmentType") or ""
        parent = entity.get("ParentEntityId") or ""
        moment = from_ticks(entity.get("RawCreationDate")) or from_ticks(container.get("TimestampTicks"))
        from_box = container.get("FromBoxId")

        def make(kind, state="", target=None, direction="", text=""):
            return op.Event(event_id="", message_id=message_id, entity_id=target or parent, kind=kind,
                            timestamp=moment, state=state, direction=direction, text=text)

        if entity_type == "Attachment" and not parent and attachment_type not in SERVICE_TYPES:
            direction = op.OUTBOUND if from_box == box_id else op.INBOUND
            info = _dict(entity.get("DocumentInfo"))
            if info.get("DocumentDirection") in ("Inbound", "Outbound"):
                direction = op.INBOUND if info["DocumentDirection"] == "Inbound" else op.OUTBOUND
            state = ""
            if direction == op.OUTBOUND:
                unsent = info.get("SenderSignatureStatus") == "WaitingForSenderSignature"
                state = op.OUTBOX if unsent else op.SENT
            return make(op.EV_DOCUMENT, state, target=entity.get("EntityId"), direction=direction)
        if entity_type == "Signature":
            if not parent:
                return None
            siblings = {e.get("EntityId"): e for e in container.get("Entities") or [] if isinstance(e, dict)}
            under = siblings.get(parent)
            if under is not None and under.get("AttachmentType") in SERVICE_TYPES:
                return None  # the signature of an answer title, a rejection, a receipt...
            signer = entity.get("SignerBoxId") or ""
            if signer == box_id:
                # ours: part of the message we sent, or -- in a patch -- a document saved
                # unsent that we signed later (so it went out)
                return None if in_message else make(op.EV_SENDER_SIGNED, op.SENT)
            if in_message and (not signer or signer == from_box):
                return None  # the sender's own signature of an incoming message
            return make(op.EV_SIGNED, op.SIGNED)
        if attachment_type in ANSWER_TITLES and parent:
            return make(op.EV_SIGNED, op.SIGNED)
        if attachment_type in REJECTIONS and parent:
            return make(op.EV_REJECTED, op.REJECTED)
        if attachment_type == "DeliveryFailureNotification":
            data = _content_data(entity)
            return make(op.EV_ERROR, op.ERROR, text=_plain_text(data) if data else "")
        if attachment_type == "InvoiceConfirmation" and parent:
            return make(op.EV_DELIVERED, op.DELIVERED)
        if attachment_type in ("InvoiceReceipt", "Receipt") and parent:
            return make(op.EV_RECEIPT)
        if attachment_type == "RevocationRequest" and parent:
            return make(op.EV_REVOKED)
        return None

    # --- incoming ---------------------------------------------------------------------------
    def list_incoming(self, box_id, after_event_id=None, *, max_pages=1000):
        """Documents counteragents sent to ``box_id`` after the cursor, with their content
        and the sender's ИНН/КПП/name.  A document whose content cannot be had (404...) is
        still yielded, with ``error`` set and empty content; network trouble raises."""
        for box_event in self._iter_box_events(box_id, after_event_id, max_pages,
                                               documentDirection="Inbound", messageType="Letter"):
            message = box_event.get("Message")
            if not isinstance(message, dict):
                continue
            from_box = message.get("FromBoxId") or ""
            if from_box == box_id or (message.get("ToBoxId") and message.get("ToBoxId") != box_id):
                continue
            for entity in message.get("Entities") or []:
                if not isinstance(entity, dict) or entity.get("EntityType") != "Attachment" \
                        or entity.get("ParentEntityId") or entity.get("AttachmentType") in SERVICE_TYPES:
                    continue
                yield self._incoming(box_id, box_event, message, entity)

    def _incoming(self, box_id, box_event, message, entity):
        info = _dict(entity.get("DocumentInfo"))
        error = ""
        content = _content_data(entity)
        if content is None:
            try:
                content = self.get_entity_content(box_id, message["MessageId"], entity["EntityId"])
            except op.OperatorError as exc:
                if exc.retryable or isinstance(exc, op.OperatorAuthError):
                    raise
                content, error = b"", f"cannot fetch the content: {exc.message}"
        from_box = message.get("FromBoxId") or ""
        try:
            sender = self.get_counterparty(from_box)
        except op.OperatorError as exc:
            if exc.retryable or isinstance(exc, op.OperatorAuthError):
                raise
            sender = op.Counterparty(inn="", name=str(message.get("FromTitle") or ""), box_id=from_box)
            error = error or f"cannot identify the sender: {exc.message}"
        return op.IncomingDocument(
            message_id=str(message.get("MessageId") or ""), entity_id=str(entity.get("EntityId") or ""),
            file_name=str(entity.get("FileName") or info.get("FileName") or ""), content=content,
            sender_inn=sender.inn, sender_name=sender.name or str(message.get("FromTitle") or ""),
            sender_kpp=sender.kpp, sender_box_id=from_box,
            doc_type=str(info.get("TypeNamedId") or entity.get("AttachmentType") or ""),
            function=str(info.get("Function") or ""),
            version=str(info.get("Version") or entity.get("Version") or ""),
            timestamp=from_ticks(message.get("TimestampTicks")),
            event_id=str(box_event.get("EventId") or ""),
            cursor=str(box_event.get("IndexKey") or ""), error=error)


# --- helpers --------------------------------------------------------------------------------
def _json(response):
    return response.json() if response.content else None


def _content(response):
    return response.content


def _text(response):
    """A text answer (a shelf file name): UTF-8, a JSON string unquoted."""
    text = response.content.decode("utf-8").strip()
    if text.startswith('"'):
        text = json.loads(text)
        if not isinstance(text, str):
            raise ValueError("not a string")
    return text


def _missing_parts(answer, count):
    """The part numbers the shelf says it lacks (ShelfUploadPart's last answer: a JSON list)."""
    if answer is None:
        return []
    if not isinstance(answer, list) or not all(isinstance(i, int) and 0 <= i < count for i in answer):
        raise op.OperatorError(f"Diadoc: ShelfUploadPart answered {str(answer)[:80]!r}, not a list of "
                               f"part numbers")
    return sorted(set(answer))


def _dict(value):
    return value if isinstance(value, dict) else {}


def _content_data(entity):
    content = entity.get("Content")
    if isinstance(content, dict):
        data = content.get("Data")
    elif isinstance(content, str):
        data = content
    else:
        data = None
    if not data:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _plain_text(data, limit=2000):
    """A service file's text: the text nodes of an XML file, else the bytes as UTF-8."""
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        try:
            root = parse_xml(data, max_bytes=2 * 1024 * 1024)
            text = " ".join(t.strip() for t in root.itertext() if t.strip())
        except UpdParseError:
            pass
    return " ".join(text.split())[:limit]


def _descendants(entities, root_id):
    related = {root_id}
    changed = True
    while changed:
        changed = False
        for entity in entities:
            if entity.get("ParentEntityId") in related and entity.get("EntityId") not in related:
                related.add(entity.get("EntityId"))
                changed = True
    return related


def _with_ids(event, event_id, cursor):
    return op.Event(event_id=event_id, message_id=event.message_id, entity_id=event.entity_id, kind=event.kind,
                    timestamp=event.timestamp, state=event.state, cursor=cursor, direction=event.direction,
                    text=event.text)


def _with_text(event, text):
    return op.Event(event_id=event.event_id, message_id=event.message_id, entity_id=event.entity_id,
                    kind=event.kind, timestamp=event.timestamp, state=event.state, cursor=event.cursor,
                    direction=event.direction, text=text)
