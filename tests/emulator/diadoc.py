"""A loopback emulator of Kontur.Diadoc's HTTP API (the JSON flavour), for the ЭДО tests.

It keeps boxes, messages and each box's event feed, and answers the real endpoints:

    POST /V3/Authenticate?type=password      login/password (JSON) -> token (text)
    POST /V3/PostMessage?operationId=...     MessageToPost -> Message
    GET  /V5/GetMessage                      Message (entities of one document with entityId)
    GET  /V7/GetNewEvents                    BoxEventList (afterIndexKey / afterEventId, filters)
    GET  /V4/GetEntityContent                the entity's bytes
    GET  /GetOrganization?boxId=             Organization
    GET  /GetMyOrganizations                 OrganizationList
    POST /ShelfUploadPartInit                first part of a file -> its name on the shelf (text)
    POST /ShelfUploadPart?fileName=&partIndex=&isLastPart=
                                             the next parts; the last one -> JSON list of the
                                             parts the shelf lacks
    GET  /V2/ShelfDownload?fileName=         a file on the shelf

with ``Authorization: DiadocAuth ddauth_api_client_id=<key>,ddauth_token=<token>``.
Shapes follow diadoc/diadocapi-docs (proto/Message, Entity message, Document,
BoxEvent, BoxEventList, MessageToPost, DocumentAttachment, SignedContent).  Enum values
are strings, bytes are base64, times are .NET ticks (100 ns since 0001-01-01 UTC).

What a counteragent or the operator does is driven from Python: ``deliver``, ``sign``,
``reject``, ``fail_delivery``, ``sender_signs`` (a document saved unsent), and
``queue_incoming`` (a counteragent -- e.g. the marketplace -- sends us an УПД).  A posted
message is delivered on the next request (``auto_deliver``).  ``force`` makes the next
calls fail (5xx, time-out, 5xx *after* doing the work, 204 "not finished yet");
``lose_shelf_parts`` makes the shelf drop parts it acknowledged (to be sent again).

The document shelf is the one of the current API: ``ShelfUploadPartInit`` /
``ShelfUploadPart`` (parts of at most 512 KB, files of at most 400 MB), the file named in
``SignedContent.NameOnShelf``.  The older ``/ShelfUpload?nameOnShelf=`` was removed from
Diadoc's API after 30.09.2026 and is answered 404 here too.  Content over 500 KB inline in
``SignedContent.Content`` is refused (400), as Diadoc does.

A request that does not follow the documentation (unknown field, bad base64, an УПД that
fails the ФНС XSD) is answered 400, and the JSON-shape problems are also collected in
``validation_errors`` so that a test can assert the client never sent one.
"""
import base64
import copy
import hashlib
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from .loopback import LoopbackServer

REPO_ROOT = Path(__file__).resolve().parents[2]
TICKS_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)

LOGIN = "buh@romashka.example"
PASSWORD = "Diadoc-Secret-Pa55w0rd"
CLIENT_ID = "test-client-8ee1638deae84c86b8e2069955c2825a"
CREDENTIALS = {"login": LOGIN, "password": PASSWORD, "client_id": CLIENT_ID}

OUR_BOX = "7b7c4c1a27a64f7f9b1b0d7e0c4b6a11@diadoc.ru"
COUNTERAGENT_BOX = "c3a1f7e2d9b84a6cb0e5f4d3c2b1a022@diadoc.ru"
MARKETPLACE_BOX = "5e2d8c7b6a594f1e8d3c2b1a0f9e8d33@diadoc.ru"

ORGANIZATIONS = {
    OUR_BOX: {"Inn": "7707083893", "Kpp": "770701001", "FullName": 'ООО "Ромашка"', "ShortName": 'ООО "Ромашка"'},
    COUNTERAGENT_BOX: {"Inn": "7805781663", "Kpp": "780501001", "FullName": 'ООО "КИП СПБ"',
                       "ShortName": 'ООО "КИП СПБ"'},
    MARKETPLACE_BOX: {"Inn": "7721546864", "Kpp": "500301001", "FullName": 'ООО "Вайлдберриз"',
                      "ShortName": 'ООО "Вайлдберриз"'},
}

UTD_VERSIONS = {
    # Diadoc version -> (ФНС ВерсФорм, XSD of the seller's title)
    "utd970_05_03_01": ("5.03", "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd"),
    "utd970_05_02_01": ("5.02", "ON_NSCHFDOPPR_1_997_01_05_02_01.xsd"),
    "utd820_05_01_02_hyphen": ("5.01", "ON_NSCHFDOPPR_1_997_01_05_01_03.xsd"),
}
UTD_FUNCTIONS = ("СЧФ", "ДОП", "СЧФДОП")
TYPE_NAMED_IDS = ("UniversalTransferDocument", "UniversalCorrectionDocument", "Nonformalized", "Invoice",
                  "XmlTorg12", "XmlAcceptanceCertificate", "Contract", "ProformaInvoice")
MAX_INLINE_CONTENT = 500 * 1024  # bigger files go through the shelf
SHELF_PART_MAX = 512 * 1024  # one ShelfUploadPartInit / ShelfUploadPart request
SHELF_FILE_MAX = 400 * 1024 * 1024
SHELF_PATHS = ("/ShelfUploadPartInit", "/ShelfUploadPart", "/V2/ShelfDownload")

FAULT_KINDS = ("5xx", "timeout", "after", "pending", "malformed")


def ticks(moment):
    return int((moment - TICKS_EPOCH) / timedelta(microseconds=1)) * 10


def xsd_dir():
    env = os.environ.get("EDO_XSD_DIR")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "edo" / "xsd", REPO_ROOT / "shared" / "edo" / "xsd"]
    for path in candidates:
        if path.is_dir():
            return path
    return None


@lru_cache(maxsize=None)
def _schema(name):
    folder = xsd_dir()
    if folder is None or not (folder / name).is_file():
        return None
    return etree.XMLSchema(etree.parse(str(folder / name)))


def _safe_xml(data):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("DTD is not allowed")
    return etree.fromstring(data, parser)


# --- JSON schemas written from the documentation (proto/MessageToPost & co) ---------------
_METADATA = {"type": "array", "items": {"type": "object", "required": ["Key", "Value"],
                                        "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
                                        "additionalProperties": False}}
_DOCUMENT_ID = {"type": "object", "required": ["MessageId", "EntityId"],
                "properties": {"MessageId": {"type": "string"}, "EntityId": {"type": "string"}},
                "additionalProperties": False}
MESSAGE_TO_POST_SCHEMA = {
    "type": "object",
    "required": ["FromBoxId", "DocumentAttachments"],
    "properties": {
        "FromBoxId": {"type": "string", "minLength": 1},
        "ToBoxId": {"type": "string"},
        "ToDepartmentId": {"type": "string"},
        "FromDepartmentId": {"type": "string"},
        "IsDraft": {"type": "boolean"},
        "LockDraft": {"type": "boolean"},
        "StrictDraftValidation": {"type": "boolean"},
        "IsInternal": {"type": "boolean"},
        "DelaySend": {"type": "boolean"},
        "ProxyBoxId": {"type": "string"},
        "ProxyDepartmentId": {"type": "string"},
        "LockPacket": {"type": "boolean"},
        "LockMode": {"enum": ["None", "Send", "Full"]},
        "DocumentAttachments": {
            "type": "array", "minItems": 1, "maxItems": 40,
            "items": {
                "type": "object",
                "required": ["SignedContent", "TypeNamedId"],
                "properties": {
                    "SignedContent": {
                        "type": "object",
                        "properties": {
                            "Content": {"type": "string"},
                            "Signature": {"type": "string"},
                            "NameOnShelf": {"type": "string"},
                            "SignWithTestSignature": {"type": "boolean"},
                            "SignatureNameOnShelf": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                    "Comment": {"type": "string", "maxLength": 5000},
                    "NeedRecipientSignature": {"type": "boolean"},
                    "InitialDocumentIds": {"type": "array", "items": _DOCUMENT_ID},
                    "SubordinateDocumentIds": {"type": "array", "items": _DOCUMENT_ID},
                    "CustomDocumentId": {"type": "string"},
                    "NeedReceipt": {"type": "boolean"},
                    "CustomData": {"type": "array"},
                    "TypeNamedId": {"type": "string", "minLength": 1},
                    "Function": {"type": "string"},
                    "Version": {"type": "string"},
                    "Metadata": _METADATA,
                    "WorkflowId": {"type": "integer"},
                    "IsEncrypted": {"type": "boolean"},
                    "EditingSettingId": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
LOGIN_PASSWORD_SCHEMA = {
    "type": "object", "required": ["login", "password"],
    "properties": {"login": {"type": "string"}, "password": {"type": "string"}},
    "additionalProperties": False,
}


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON; bytes -> as is; str -> text
    headers: dict = field(default_factory=dict)
    content_type: str = ""


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    status: int = 0
    fault: str = ""


class DiadocError(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class DiadocEmulator(LoopbackServer):
    """``DiadocEmulator().start()``; ``.url`` is the API base URL; ``.stop()``."""

    LOGIN, PASSWORD, CLIENT_ID, CREDENTIALS = LOGIN, PASSWORD, CLIENT_ID, CREDENTIALS
    OUR_BOX, COUNTERAGENT_BOX, MARKETPLACE_BOX = OUR_BOX, COUNTERAGENT_BOX, MARKETPLACE_BOX

    def __init__(self, host="127.0.0.1", port=0, seed=1, timeout_delay=1.0, auto_deliver=True,
                 validate_xsd=True, start_time=None):
        self.host = host
        self.port = port
        self.random = random.Random(seed)
        self.timeout_delay = timeout_delay
        self.auto_deliver = auto_deliver
        self.validate_xsd = validate_xsd
        self.lock = threading.RLock()
        self._now = start_time or datetime(2026, 9, 1, 7, 0, 0, tzinfo=timezone.utc)
        self.organizations = copy.deepcopy(ORGANIZATIONS)
        #: the boxes the emulated user (LOGIN) may read
        self.user_boxes = {OUR_BOX}
        self.tokens = set()
        self.messages = {}  # message id -> message (internal dict)
        self.contents = {}  # entity id -> bytes
        self.docs = {}  # document entity id -> document state (internal dict)
        self.events = []  # dicts: box, seq, EventId, IndexKey, direction, Message|Patch
        self.operations = {}  # (box, operationId) -> message id
        self.pending_delivery = deque()
        self.faults = deque()  # dicts: kind, path, status
        self.records = []
        self.validation_errors = []
        #: make error answers echo the Authorization header and the body (tests of scrubbing)
        self.echo_secrets_in_errors = False
        self._seq = 0
        #: the document shelf: file name -> {"parts": {index: bytes}, "count": int|None}
        self.shelf = {}
        self._lost_parts = {}  # part number -> how many more times it is lost

    # --- life cycle (see LoopbackServer) ---------------------------------------------
    def handler_class(self):
        return _Handler

    # --- helpers ----------------------------------------------------------------------
    def _id(self):
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def _tick(self, seconds=1):
        self._now += timedelta(seconds=seconds)
        return ticks(self._now)

    def requests_to(self, path=None, method=None):
        with self.lock:
            return [r for r in self.records
                    if (path is None or r.path == path) and (method is None or r.method == method)]

    def reset_records(self):
        with self.lock:
            self.records.clear()
            self.validation_errors.clear()

    # --- control: faults, tokens --------------------------------------------------------
    def force(self, kind, count=1, path=None, status=500):
        """The next ``count`` requests (to ``path`` if given) fail:

        ``5xx`` -- answered ``status`` without doing anything; ``timeout`` -- held
        ``timeout_delay`` seconds and dropped; ``after`` -- the work is done, then 500
        (the answer is lost); ``pending`` -- PostMessage does the work and answers 204
        with ``Retry-After`` ("not finished, ask again"); ``malformed`` -- 200 with a JSON
        body cut in the middle."""
        assert kind in FAULT_KINDS, kind
        with self.lock:
            for _ in range(count):
                self.faults.append({"kind": kind, "path": path, "status": status})

    def _draw_fault(self, path):
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault["path"] is None or fault["path"] == path:
                    del self.faults[i]
                    return fault
        return None

    def lose_shelf_parts(self, *indexes, times=1):
        """The next ``times`` ShelfUploadPart of each of these part numbers are acknowledged
        but lost: the shelf lists the part as missing when the last part arrives."""
        with self.lock:
            for index in indexes:
                self._lost_parts[index] = times

    def shelf_file(self, name):
        """The bytes of a complete file on the shelf (None when absent or incomplete)."""
        with self.lock:
            entry = self.shelf.get(name)
            if entry is None or entry["count"] is None or any(i not in entry["parts"] for i in range(entry["count"])):
                return None
            return b"".join(entry["parts"][i] for i in range(entry["count"]))

    def expire_tokens(self):
        """Every issued token stops working (as after 24 hours)."""
        with self.lock:
            self.tokens.clear()

    # --- control: the counteragent and the operator ------------------------------------
    def posted(self, box=OUR_BOX):
        """Messages sent from ``box`` (the internal dicts), oldest first."""
        with self.lock:
            return [m for m in self.messages.values() if m["FromBoxId"] == box]

    def document(self, entity_id):
        return self.docs[entity_id]

    def _doc_of(self, message_id, entity_id=None):
        msg = self.messages[message_id]
        ids = [e["EntityId"] for e in msg["Entities"] if e["EntityId"] in self.docs]
        if entity_id is None:
            assert len(ids) == 1, "give entity_id: the message has %d documents" % len(ids)
            entity_id = ids[0]
        assert entity_id in ids, f"{entity_id} is not a document of {message_id}"
        return msg, self.docs[entity_id]

    def deliver(self, message_id):
        """The operator delivers the message (confirmation of the delivery date)."""
        with self.lock:
            self._deliver(message_id)

    def _deliver(self, message_id):
        msg = self.messages[message_id]
        if msg["delivered"] or msg["unsent"] or msg["failed"]:
            return
        msg["delivered"] = True
        moment = self._tick()
        new = []
        for doc in self._docs_of_message(message_id):
            doc["DeliveryTimestampTicks"] = moment
            doc["ReceiptStatus"] = "WaitingForRecipientReceipt"
            if doc["needs_signature"]:
                doc["status"] = ("Warning", "Ожидается подпись получателя")
            else:
                doc["status"] = ("Info", "Документооборот завершен")
            if doc["TypeNamedId"] in ("UniversalTransferDocument", "UniversalCorrectionDocument", "Invoice") \
                    and doc["Function"] in ("СЧФ", "СЧФДОП", "КСЧФ", "КСЧФДИС", "default"):
                conf = self._entity("Attachment", "InvoiceConfirmation", parent=doc["EntityId"],
                                    content=self._confirmation_xml(doc), file_name="DP_PDPOL_confirmation.xml",
                                    moment=moment)
                msg["Entities"].append(conf)
                new.append(conf)
        msg["LastPatchTimestampTicks"] = moment
        # the sender learns of the delivery; the recipient sees the whole message arrive
        self._patch_events(msg, new, moment, delivered=True, boxes=(msg["FromBoxId"],))
        if msg["ToBoxId"]:
            self._message_event(msg["ToBoxId"], msg)

    def fail_delivery(self, message_id, reason="Подпись отправителя не прошла проверку"):
        with self.lock:
            msg = self.messages[message_id]
            msg["failed"] = True
            moment = self._tick()
            new = []
            for doc in self._docs_of_message(message_id):
                doc["status"] = ("Error", "Документ не доставлен")
                doc["SenderSignatureStatus"] = "SenderSignatureCheckedAndInvalid"
                doc["error"] = reason
                ent = self._entity("Attachment", "DeliveryFailureNotification", parent=doc["EntityId"],
                                   content=reason.encode("utf-8"), moment=moment)
                msg["Entities"].append(ent)
                new.append(ent)
            msg["LastPatchTimestampTicks"] = moment
            self._patch_events(msg, new, moment)

    def sender_signs(self, message_id, entity_id=None):
        """We sign, in the web interface, a document saved unsent (DelaySend): it goes out."""
        with self.lock:
            msg, doc = self._doc_of(message_id, entity_id)
            assert msg["unsent"], "the document was already sent"
            moment = self._tick()
            sig = self._entity("Signature", None, parent=doc["EntityId"], content=b"0\x82signature",
                               signer=msg["FromBoxId"], moment=moment)
            msg["Entities"].append(sig)
            msg["unsent"] = False
            doc["SenderSignatureStatus"] = "SenderSignatureCheckedAndValid"
            doc["SendTimestampTicks"] = moment
            doc["status"] = ("Warning", "Ожидается доставка")
            self._patch_events(msg, [sig], moment)
            if self.auto_deliver:
                self.pending_delivery.append(message_id)

    def sign(self, message_id, entity_id=None, disagreements=False):
        """The counteragent signs: answer title (УПД) or a signature (other types)."""
        with self.lock:
            msg, doc = self._doc_of(message_id, entity_id)
            self._deliver(message_id)
            assert doc["needs_signature"], "this document does not take the recipient's signature"
            assert doc["RecipientResponseStatus"] == "WaitingForRecipientSignature", doc["RecipientResponseStatus"]
            moment = self._tick()
            new = []
            target = doc["EntityId"]
            if doc["TypeNamedId"] == "UniversalTransferDocument":
                title = self._entity("Attachment", "UniversalTransferDocumentBuyerTitle", parent=doc["EntityId"],
                                     content=self._buyer_title_xml(doc), moment=moment,
                                     file_name="ON_NSCHFDOPPOK_buyer_title.xml")
                new.append(title)
                target = title["EntityId"]
            new.append(self._entity("Signature", None, parent=target, content=b"0\x82recipient-signature",
                                    signer=msg["ToBoxId"], moment=moment))
            msg["Entities"].extend(new)
            doc["RecipientResponseStatus"] = ("WithRecipientPartiallySignature" if disagreements
                                              else "WithRecipientSignature")
            doc["status"] = ("Success", "Подписан контрагентом с разногласиями" if disagreements
                             else "Документооборот завершен")
            doc["ReceiptStatus"] = "Finished"
            msg["LastPatchTimestampTicks"] = moment
            self._patch_events(msg, new, moment)

    def reject(self, message_id, reason, entity_id=None):
        """The counteragent refuses to sign (XmlSignatureRejection with the reason)."""
        with self.lock:
            msg, doc = self._doc_of(message_id, entity_id)
            self._deliver(message_id)
            assert doc["needs_signature"], "this document does not take the recipient's signature"
            assert doc["RecipientResponseStatus"] == "WaitingForRecipientSignature", doc["RecipientResponseStatus"]
            moment = self._tick()
            rejection = self._entity("Attachment", "XmlSignatureRejection", parent=doc["EntityId"],
                                     content=self._rejection_xml(doc, reason), moment=moment,
                                     file_name="DP_UVUTOCH_rejection.xml")
            sig = self._entity("Signature", None, parent=rejection["EntityId"], content=b"0\x82rejection-signature",
                               signer=msg["ToBoxId"], moment=moment)
            msg["Entities"].extend([rejection, sig])
            doc["RecipientResponseStatus"] = "RecipientSignatureRequestRejected"
            doc["status"] = ("Error", "Отказано в подписи")
            msg["LastPatchTimestampTicks"] = moment
            self._patch_events(msg, [rejection, sig], moment)

    def queue_incoming(self, content, from_box=MARKETPLACE_BOX, to_box=OUR_BOX, type_named_id="UniversalTransferDocument",
                       function=None, version=None, file_name=None):
        """A counteragent sends ``to_box`` a signed document; -> (message_id, entity_id).

        For an УПД the version defaults to the one matching the file's ВерсФорм."""
        with self.lock:
            info = {}
            if type_named_id == "UniversalTransferDocument":
                if version is None:
                    form = _safe_xml(content).get("ВерсФорм")
                    version = next((v for v, (f, _) in UTD_VERSIONS.items() if f == form), "unknown")
                info = self._check_utd(content, function, version)
                function = function or info["function"]
            msg = self._new_message(from_box, to_box)
            doc_entity = self._document_entity(msg, content, type_named_id, function or "default", version or "",
                                               file_name or info.get("file_name") or "document.xml",
                                               info, signed=True, need_signature=None)
            self._message_event(from_box, msg)
            self._deliver(msg["MessageId"])
            return msg["MessageId"], doc_entity["EntityId"]

    # --- building messages -------------------------------------------------------------
    def _new_message(self, from_box, to_box, unsent=False):
        moment = self._tick()
        msg = {
            "MessageId": self._id(), "TimestampTicks": moment, "LastPatchTimestampTicks": moment,
            "FromBoxId": from_box, "FromTitle": self.organizations[from_box]["ShortName"],
            "ToBoxId": to_box, "ToTitle": self.organizations[to_box]["ShortName"] if to_box else "",
            "Entities": [], "delivered": False, "unsent": unsent, "failed": False,
        }
        self.messages[msg["MessageId"]] = msg
        return msg

    def _entity(self, entity_type, attachment_type, parent="", content=None, file_name="", signer="",
                moment=None, version=""):
        entity_id = self._id()
        if content is not None:
            self.contents[entity_id] = content
        return {
            "EntityType": entity_type, "EntityId": entity_id, "ParentEntityId": parent,
            "AttachmentType": attachment_type or "UnknownAttachmentType",
            "FileName": file_name if entity_type == "Attachment" else "",
            "SignerBoxId": signer, "RawCreationDate": moment or ticks(self._now),
            "NeedRecipientSignature": False, "NeedReceipt": False, "IsApprovementSignature": False,
            "IsEncryptedContent": False, "NotDeliveredEventId": "", "Labels": [], "Version": version,
        }

    def _document_entity(self, msg, content, type_named_id, function, version, file_name, info, signed,
                         need_signature):
        entity = self._entity("Attachment", type_named_id, content=content, file_name=file_name,
                              moment=msg["TimestampTicks"], version=version)
        bilateral = (type_named_id in ("UniversalTransferDocument", "UniversalCorrectionDocument")
                     and function in ("ДОП", "СЧФДОП", "ДИС", "КСЧФДИС")) \
            or type_named_id in ("XmlTorg12", "XmlAcceptanceCertificate", "Contract")
        needs = bilateral or bool(need_signature)
        entity["NeedRecipientSignature"] = bool(need_signature) if type_named_id == "Nonformalized" else False
        doc = {
            "EntityId": entity["EntityId"], "MessageId": msg["MessageId"], "TypeNamedId": type_named_id,
            "Function": function, "Version": version, "FileName": file_name,
            "DocumentNumber": info.get("number", ""), "DocumentDate": info.get("date", ""),
            "CreationTimestampTicks": msg["TimestampTicks"],
            "SendTimestampTicks": None if msg["unsent"] else msg["TimestampTicks"],
            "DeliveryTimestampTicks": None, "needs_signature": needs,
            "RecipientResponseStatus": "WaitingForRecipientSignature" if needs else "RecipientResponseStatusNotAcceptable",
            "SenderSignatureStatus": "WaitingForSenderSignature" if not signed else "SenderSignatureCheckedAndValid",
            "ReceiptStatus": "WaitingForRecipientReceipt" if type_named_id != "Nonformalized" else "RecipientReceiptNone",
            "status": (("Warning", "Требуется подписать и отправить") if not signed
                       else ("Warning", "Ожидается доставка")),
            "error": "",
        }
        self.docs[entity["EntityId"]] = doc
        msg["Entities"].append(entity)
        if signed:
            msg["Entities"].append(self._entity("Signature", None, parent=entity["EntityId"],
                                                content=b"0\x82sender-signature", signer=msg["FromBoxId"],
                                                moment=msg["TimestampTicks"]))
        return entity

    def _docs_of_message(self, message_id):
        return [self.docs[e["EntityId"]] for e in self.messages[message_id]["Entities"] if e["EntityId"] in self.docs]

    # --- events ------------------------------------------------------------------------
    def _push_event(self, box, direction, **payload):
        self._seq += 1
        event = {"box": box, "seq": self._seq, "EventId": self._id(), "IndexKey": f"{self._seq:020d}",
                 "direction": direction}
        event.update(payload)
        self.events.append(event)

    def _message_event(self, box, msg):
        direction = "Outbound" if msg["FromBoxId"] == box else "Inbound"
        self._push_event(box, direction, Message=self._render_message(msg, box, content=False))

    def _patch_events(self, msg, entities, moment, delivered=False, boxes=None):
        for box in boxes or (msg["FromBoxId"], msg["ToBoxId"]):
            if not box:
                continue
            if box == msg["ToBoxId"] and not msg["delivered"]:
                continue  # the recipient knows nothing yet
            direction = "Outbound" if msg["FromBoxId"] == box else "Inbound"
            patch = {
                "MessageId": msg["MessageId"], "TimestampTicks": moment, "PatchId": self._id(),
                "Entities": [self._render_entity(e, box, content=False) for e in entities],
                "ForDraft": False, "DraftIsRecycled": False, "DraftIsLocked": False, "MessageIsDeleted": False,
                "EntityPatches": [], "MessageIsRestored": False,
                "MessageIsDelivered": bool(delivered and box == msg["FromBoxId"]),
                "DeliveredPatchId": "", "NotDeliveredEventId": "", "MessageType": "Letter",
            }
            self._push_event(box, direction, Patch=patch)

    # --- rendering ----------------------------------------------------------------------
    def _render_document(self, doc, box):
        msg = self.messages[doc["MessageId"]]
        outbound = msg["FromBoxId"] == box
        severity, text = doc["status"]
        if not outbound and doc["RecipientResponseStatus"] == "WaitingForRecipientSignature":
            severity, text = "Warning", "Требуется подписать"
        return {
            "MessageId": doc["MessageId"], "EntityId": doc["EntityId"],
            "CreationTimestampTicks": doc["CreationTimestampTicks"],
            "CounteragentBoxId": msg["ToBoxId"] if outbound else msg["FromBoxId"],
            "FileName": doc["FileName"], "DocumentDate": doc["DocumentDate"], "DocumentNumber": doc["DocumentNumber"],
            "IsDeleted": False, "IsTest": False, "CustomDocumentId": "",
            "RevocationStatus": "RevocationStatusNone",
            "SendTimestampTicks": doc["SendTimestampTicks"] or 0,
            "DeliveryTimestampTicks": doc["DeliveryTimestampTicks"] or 0,
            "DocumentDirection": "Outbound" if outbound else "Inbound",
            "LastModificationTimestampTicks": msg["LastPatchTimestampTicks"],
            "SenderSignatureStatus": doc["SenderSignatureStatus"],
            "IsRead": False, "PacketIsLocked": False,
            "TypeNamedId": doc["TypeNamedId"], "Function": doc["Function"], "WorkflowId": 0,
            "Title": self._title(doc), "Metadata": [],
            "RecipientReceiptMetadata": {"ReceiptStatus": doc["ReceiptStatus"]},
            "ConfirmationMetadata": {"ReceiptStatus": "Finished" if doc["DeliveryTimestampTicks"] else "None"},
            "RecipientResponseStatus": doc["RecipientResponseStatus"],
            "AmendmentRequestMetadata": {"AmendmentFlags": 0},
            "LockMode": "None", "SenderReceiptMetadata": {"ReceiptStatus": "None"},
            "Version": doc["Version"],
            "DocflowStatus": {"PrimaryStatus": {"Severity": severity, "StatusText": text}},
        }

    def _title(self, doc):
        names = {"UniversalTransferDocument": "УПД", "UniversalCorrectionDocument": "УКД",
                 "Nonformalized": "Документ"}
        title = names.get(doc["TypeNamedId"], doc["TypeNamedId"])
        if doc["DocumentNumber"]:
            title += f" №{doc['DocumentNumber']}"
        if doc["DocumentDate"]:
            title += f" от {doc['DocumentDate']}"
        return title

    def _render_entity(self, entity, box, content=False):
        out = {k: v for k, v in entity.items()}
        data = self.contents.get(entity["EntityId"])
        if data is None:
            out["Content"] = None
        else:
            out["Content"] = {"Size": len(data),
                              "Data": base64.b64encode(data).decode() if content else None}
        doc = self.docs.get(entity["EntityId"])
        out["DocumentInfo"] = self._render_document(doc, box) if doc else None
        return out

    def _render_message(self, msg, box, content=False, entity_id=None):
        entities = msg["Entities"]
        if entity_id:
            related = {entity_id}
            changed = True
            while changed:  # the document and everything hanging from it
                changed = False
                for e in entities:
                    if e["ParentEntityId"] in related and e["EntityId"] not in related:
                        related.add(e["EntityId"])
                        changed = True
            entities = [e for e in entities if e["EntityId"] in related]
        return {
            "MessageId": msg["MessageId"], "TimestampTicks": msg["TimestampTicks"],
            "LastPatchTimestampTicks": msg["LastPatchTimestampTicks"],
            "FromBoxId": msg["FromBoxId"], "FromTitle": msg["FromTitle"],
            "ToBoxId": msg["ToBoxId"], "ToTitle": msg["ToTitle"],
            "Entities": [self._render_entity(e, box, content) for e in entities],
            "IsDraft": False, "DraftIsLocked": False, "DraftIsRecycled": False, "CreatedFromDraftId": "",
            "DraftIsTransformedToMessageIdList": [], "IsDeleted": False, "IsTest": False, "IsInternal": False,
            "IsProxified": False, "ProxyBoxId": "", "ProxyTitle": "", "PacketIsLocked": False,
            "LockMode": "None", "MessageType": "Letter", "IsReusable": False,
        }

    def _organization(self, box):
        org = self.organizations[box]
        return {
            "OrgId": hashlib.md5(box.encode()).hexdigest(), "Inn": org["Inn"], "Kpp": org["Kpp"],
            "FullName": org["FullName"], "ShortName": org["ShortName"],
            "Boxes": [{"BoxId": box, "Title": org["ShortName"], "BoxIdGuid": box.split("@")[0]}],
            "FnsParticipantId": f"2BM-{org['Inn']}-{org['Kpp']}", "IsActive": True, "IsTest": False,
            "Sociability": "AllOrganizations",
        }

    # --- documents the emulated parties produce --------------------------------------
    def _confirmation_xml(self, doc):
        return ('<?xml version="1.0" encoding="windows-1251"?>\n'
                f'<Файл ИдФайл="DP_PDPOL_{doc["EntityId"]}" ВерсФорм="1.02"><Документ КНД="1115103">'
                f'<СведПодтв><СведОтпрФайл ИмяПостФайла="{doc["FileName"]}"/></СведПодтв>'
                '</Документ></Файл>').encode("cp1251")

    def _buyer_title_xml(self, doc):
        return ('<?xml version="1.0" encoding="windows-1251"?>\n'
                f'<Файл ИдФайл="ON_NSCHFDOPPOK_{doc["EntityId"]}" ВерсФорм="5.03"><Документ КНД="1115132">'
                f'<ИдИнфПрод ИдФайлИнфПр="{doc["FileName"].rsplit(".", 1)[0]}"/>'
                '<СодФХЖ4 СодОпер="Товары приняты без претензий"/></Документ></Файл>').encode("cp1251")

    def _rejection_xml(self, doc, reason):
        root = etree.Element("Файл", ИдФайл=f"DP_UVUTOCH_{doc['EntityId']}", ВерсФорм="1.03")
        document = etree.SubElement(root, "Документ", КНД="1115113")
        info = etree.SubElement(document, "СвУведУточ")
        etree.SubElement(info, "ТекстУведУточ").text = reason
        etree.SubElement(info, "СведПолФайл", ИмяПостФайла=doc["FileName"])
        return etree.tostring(root, encoding="windows-1251", xml_declaration=True)

    # --- checks of what the client sends -------------------------------------------------
    def _check_utd(self, content, function, version):
        if version not in UTD_VERSIONS:
            raise DiadocError(400, f"Unknown document version '{version}' for type UniversalTransferDocument")
        if function is not None and function not in UTD_FUNCTIONS:
            raise DiadocError(400, f"Unknown document function '{function}' for type UniversalTransferDocument")
        try:
            root = _safe_xml(content)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise DiadocError(400, f"Document content is not valid XML: {exc}") from None
        doc = root.find("Документ")
        if root.tag != "Файл" or doc is None:
            raise DiadocError(400, "Document content is not a ФНС file (<Файл><Документ>)")
        form, xsd = UTD_VERSIONS[version]
        if root.get("ВерсФорм") != form:
            raise DiadocError(400, f"ВерсФорм '{root.get('ВерсФорм')}' does not match version '{version}'")
        if doc.get("КНД") != "1115131":
            raise DiadocError(400, f"КНД '{doc.get('КНД')}' is not the seller's title of an УПД")
        if function is not None and doc.get("Функция") != function:
            raise DiadocError(400, f"Функция '{doc.get('Функция')}' in the content does not match Function '{function}'")
        if self.validate_xsd:
            schema = _schema(xsd)
            if schema is not None and not schema.validate(etree.ElementTree(root)):
                first = schema.error_log[0]
                raise DiadocError(400, f"Document content does not match the XSD {xsd}: line {first.line}: "
                                       f"{first.message}")
        info = doc.find("СвСчФакт")
        number = (info.get("НомерДок") or info.get("НомерСчФ") or "") if info is not None else ""
        day = (info.get("ДатаДок") or info.get("ДатаСчФ") or "") if info is not None else ""
        return {"function": doc.get("Функция"), "file_name": (root.get("ИдФайл") or "document") + ".xml",
                "number": number, "date": day}

    # --- the endpoints ----------------------------------------------------------------------
    def check_auth(self, headers, need_token=True):
        value = headers.get("Authorization") or ""
        m = re.match(r"^\s*DiadocAuth\s+(.*)$", value, re.S)
        if not m:
            raise DiadocError(401, "Authorization header with the DiadocAuth scheme is required")
        params = {}
        for part in m.group(1).split(","):
            key, sep, val = part.strip().partition("=")
            if sep:
                params[key.strip()] = val.strip()
        if params.get("ddauth_api_client_id") != CLIENT_ID:
            raise DiadocError(401, "ddauth_api_client_id is missing or not registered")
        if need_token:
            token = params.get("ddauth_token")
            if not token or token not in self.tokens:
                raise DiadocError(401, "ddauth_token is missing, damaged or expired")

    def _box(self, query, name="boxId"):
        box = query.get(name)
        if not box:
            raise DiadocError(400, f"Query parameter '{name}' is required")
        if box not in self.organizations:
            raise DiadocError(404, f"Box {box} not found")
        if box not in self.user_boxes:
            raise DiadocError(403, f"Access to box {box} is forbidden")
        return box

    def _validate(self, data, schema, where):
        import jsonschema

        try:
            jsonschema.validate(data, schema)
        except jsonschema.ValidationError as exc:
            problem = f"{where}: {exc.message} at {'/'.join(str(p) for p in exc.absolute_path) or '(root)'}"
            self.validation_errors.append(problem)
            raise DiadocError(400, problem) from None

    def handle(self, method, path, query, headers, raw):
        """Route one request; -> Reply (raises DiadocError for error answers)."""
        routes = {
            ("POST", "/V3/Authenticate"): self.api_authenticate,
            ("POST", "/V3/PostMessage"): self.api_post_message,
            ("GET", "/V5/GetMessage"): self.api_get_message,
            ("GET", "/V7/GetNewEvents"): self.api_get_new_events,
            ("GET", "/V4/GetEntityContent"): self.api_get_entity_content,
            ("GET", "/GetOrganization"): self.api_get_organization,
            ("GET", "/GetMyOrganizations"): self.api_get_my_organizations,
            ("POST", "/ShelfUploadPartInit"): self.api_shelf_upload_part_init,
            ("POST", "/ShelfUploadPart"): self.api_shelf_upload_part,
            ("GET", "/V2/ShelfDownload"): self.api_shelf_download,
        }
        handler = routes.get((method, path))
        if handler is None:
            if any(p == path for _, p in routes):
                raise DiadocError(405, "Method not allowed")
            raise DiadocError(404, f"Unknown resource {path}")
        if path not in ("/V3/Authenticate", "/V4/GetEntityContent") + SHELF_PATHS:
            accept = headers.get("Accept") or ""
            if "application/json" not in accept:
                raise DiadocError(406, "This emulator answers JSON only: send 'Accept: application/json'")
        return handler(query, headers, raw)

    def api_authenticate(self, query, headers, raw):
        self.check_auth(headers, need_token=False)
        if query.get("type") != "password":
            raise DiadocError(400, "Query parameter 'type' must be 'password' (others are not emulated)")
        if "application/json" not in (headers.get("Content-Type") or ""):
            raise DiadocError(400, "Send the login and password as JSON with 'Content-Type: application/json'")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise DiadocError(400, "The body is not JSON") from None
        self._validate(body, LOGIN_PASSWORD_SCHEMA, "Authenticate")
        if body["login"] != LOGIN or body["password"] != PASSWORD:
            raise DiadocError(401, "Incorrect login or password")
        token = base64.b64encode(self.random.getrandbits(8 * 96).to_bytes(96, "big")).decode()
        self.tokens.add(token)
        return Reply(200, token, content_type="text/plain; charset=utf-8")

    def api_post_message(self, query, headers, raw):
        self.check_auth(headers)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise DiadocError(400, "The body is not JSON") from None
        self._validate(body, MESSAGE_TO_POST_SCHEMA, "PostMessage")
        from_box = body["FromBoxId"]
        if from_box not in self.user_boxes:
            raise DiadocError(403, f"Access to box {from_box} is forbidden")
        operation = (query.get("operationId") or hashlib.md5(raw).hexdigest()).lower()
        known = self.operations.get((from_box, operation))
        if known:
            return Reply(200, self._render_message(self.messages[known], from_box))
        to_box = body.get("ToBoxId") or ""
        if not to_box or to_box not in self.organizations:
            raise DiadocError(400, f"Recipient box '{to_box}' not found")
        if to_box == from_box:
            raise DiadocError(400, "ToBoxId must differ from FromBoxId")
        unsent = bool(body.get("DelaySend"))
        prepared = []
        for i, att in enumerate(body["DocumentAttachments"]):
            signed = att["SignedContent"]
            if signed.get("NameOnShelf") and signed.get("Content"):
                raise DiadocError(400, f"DocumentAttachments[{i}].SignedContent: give Content or NameOnShelf, "
                                       "not both")
            if signed.get("NameOnShelf"):
                content = self.shelf_file(signed["NameOnShelf"])
                if content is None:
                    raise DiadocError(400, f"DocumentAttachments[{i}].SignedContent.NameOnShelf: file "
                                           f"'{signed['NameOnShelf']}' is not on the shelf or not complete")
            else:
                try:
                    content = base64.b64decode(signed.get("Content") or "", validate=True)
                except ValueError:
                    raise DiadocError(400, f"DocumentAttachments[{i}].SignedContent.Content is not base64") from None
            if not content:
                raise DiadocError(400, f"DocumentAttachments[{i}]: empty content")
            if len(content) > MAX_INLINE_CONTENT and not signed.get("NameOnShelf"):
                raise DiadocError(400, f"DocumentAttachments[{i}]: content over 500 KB must go through the shelf")
            has_signature = bool(signed.get("Signature")) or bool(signed.get("SignWithTestSignature"))
            if signed.get("Signature"):
                try:
                    base64.b64decode(signed["Signature"], validate=True)
                except ValueError:
                    raise DiadocError(400, f"DocumentAttachments[{i}].SignedContent.Signature is not base64") from None
            if not has_signature and not unsent:
                raise DiadocError(400, f"DocumentAttachments[{i}]: the document is not signed "
                                       "(give Signature, SignWithTestSignature or DelaySend)")
            type_named_id = att["TypeNamedId"]
            if type_named_id not in TYPE_NAMED_IDS:
                raise DiadocError(400, f"Unknown TypeNamedId '{type_named_id}'")
            info = {}
            function, version = att.get("Function") or "default", att.get("Version") or ""
            if type_named_id == "UniversalTransferDocument":
                if not att.get("Function") or not att.get("Version"):
                    raise DiadocError(400, "Function and Version are required for UniversalTransferDocument")
                info = self._check_utd(content, function, version)
                file_name = info["file_name"]
            else:
                meta = {m["Key"]: m["Value"] for m in att.get("Metadata") or []}
                file_name = meta.get("FileName") or ""
                if type_named_id == "Nonformalized" and not file_name:
                    raise DiadocError(400, "Metadata 'FileName' is required for Nonformalized")
                info = {"number": meta.get("DocumentNumber", ""), "date": meta.get("DocumentDate", "")}
            prepared.append((content, type_named_id, function, version, file_name, info, has_signature,
                             att.get("NeedRecipientSignature")))
        msg = self._new_message(from_box, to_box, unsent=unsent)
        for content, type_named_id, function, version, file_name, info, has_signature, need in prepared:
            self._document_entity(msg, content, type_named_id, function, version, file_name,
                                  info, signed=has_signature, need_signature=need)
        self.operations[(from_box, operation)] = msg["MessageId"]
        self._message_event(from_box, msg)
        if self.auto_deliver and not unsent:
            self.pending_delivery.append(msg["MessageId"])
        return Reply(200, self._render_message(msg, from_box))

    def _message_for(self, query):
        box = self._box(query)
        message_id = query.get("messageId")
        if not message_id:
            raise DiadocError(400, "Query parameter 'messageId' is required")
        msg = self.messages.get(message_id)
        if msg is None or box not in (msg["FromBoxId"], msg["ToBoxId"]) or (
                box == msg["ToBoxId"] and box != msg["FromBoxId"] and not msg["delivered"]):
            raise DiadocError(404, f"Message {message_id} not found in box {box}")
        return box, msg

    def api_get_message(self, query, headers, raw):
        self.check_auth(headers)
        box, msg = self._message_for(query)
        entity_id = query.get("entityId")
        if entity_id and not any(e["EntityId"] == entity_id for e in msg["Entities"]):
            raise DiadocError(404, f"Entity {entity_id} not found in message {msg['MessageId']}")
        inject = str(query.get("injectEntityContent", "false")).lower() == "true"
        return Reply(200, self._render_message(msg, box, content=inject, entity_id=entity_id))

    def api_get_entity_content(self, query, headers, raw):
        self.check_auth(headers)
        box, msg = self._message_for(query)
        entity_id = query.get("entityId")
        if not any(e["EntityId"] == entity_id for e in msg["Entities"]) or entity_id not in self.contents:
            raise DiadocError(404, f"Entity {entity_id} not found or has no content")
        return Reply(200, self.contents[entity_id], content_type="application/octet-stream")

    def api_get_new_events(self, query, headers, raw):
        self.check_auth(headers)
        box = self._box(query)
        if query.get("afterIndexKey") and query.get("afterEventId"):
            raise DiadocError(400, "afterIndexKey and afterEventId cannot be used together")
        after = 0
        if query.get("afterIndexKey"):
            key = query["afterIndexKey"]
            if not re.fullmatch(r"\d{20}", key):
                raise DiadocError(400, f"Invalid afterIndexKey '{key}'")
            after = int(key)
        elif query.get("afterEventId"):
            found = [e["seq"] for e in self.events if e["EventId"] == query["afterEventId"] and e["box"] == box]
            if not found:
                raise DiadocError(400, f"Event {query['afterEventId']} not found in box {box}")
            after = found[0]
        try:
            limit = int(query.get("limit", 100))
        except ValueError:
            raise DiadocError(400, "limit must be an integer") from None
        if not 1 <= limit <= 100:
            raise DiadocError(400, "limit must be from 1 to 100")
        directions = set(filter(None, (query.get("documentDirection") or "").split(",")))
        unknown = directions - {"Inbound", "Outbound", "Internal"}
        if unknown:
            raise DiadocError(400, f"Unknown documentDirection {sorted(unknown)}")
        types = set(filter(None, (query.get("messageType") or "").split(",")))
        if types - {"Draft", "Letter", "Template"}:
            raise DiadocError(400, f"Unknown messageType {sorted(types)}")
        matching = [e for e in self.events if e["box"] == box and e["seq"] > after
                    and (not directions or e["direction"] in directions)
                    and (not types or "Letter" in types)]
        page = matching[:limit]
        out = []
        for e in page:
            item = {"EventId": e["EventId"], "IndexKey": e["IndexKey"]}
            if "Message" in e:
                item["Message"] = e["Message"]
            else:
                item["Patch"] = e["Patch"]
            out.append(item)
        return Reply(200, {"Events": out, "TotalCount": len(matching), "TotalCountType": "Equal"})

    def api_get_organization(self, query, headers, raw):
        self.check_auth(headers)
        box = query.get("boxId")
        if not box:
            raise DiadocError(400, "Give one of orgId, boxId, fnsParticipantId, inn (only boxId is emulated)")
        if box not in self.organizations:
            raise DiadocError(404, f"Organization with box {box} not found")
        return Reply(200, self._organization(box))

    def api_get_my_organizations(self, query, headers, raw):
        self.check_auth(headers)
        return Reply(200, {"Organizations": [self._organization(b) for b in sorted(self.user_boxes)]})

    # --- the document shelf -------------------------------------------------------------
    def _shelf_part(self, headers, raw):
        kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind == "base64":
            try:
                raw = base64.b64decode(raw, validate=True)
            except ValueError:
                raise DiadocError(400, "The body is not base64 (Content-Type: base64)") from None
        elif kind != "application/octet-stream":
            raise DiadocError(400, "Send the part as 'Content-Type: application/octet-stream' (or base64)")
        if not raw:
            raise DiadocError(400, "The part is empty")
        if len(raw) > SHELF_PART_MAX:
            raise DiadocError(400, f"A part may be at most {SHELF_PART_MAX} bytes, not {len(raw)}")
        return raw

    @staticmethod
    def _flag(query, name):
        value = str(query.get(name, "false")).lower()
        if value not in ("true", "false"):
            raise DiadocError(400, f"Query parameter '{name}' must be true or false, not '{query.get(name)}'")
        return value == "true"

    def _shelf_close(self, entry, index):
        """The last part arrived: -> the parts still missing."""
        entry["count"] = max(entry["count"] or 0, index + 1)
        missing = [i for i in range(entry["count"]) if i not in entry["parts"]]
        if not missing and sum(len(p) for p in entry["parts"].values()) > SHELF_FILE_MAX:
            raise DiadocError(400, f"A file on the shelf may be at most {SHELF_FILE_MAX} bytes")
        return missing

    def api_shelf_upload_part_init(self, query, headers, raw):
        self.check_auth(headers)
        part = self._shelf_part(headers, raw)
        extension = query.get("fileExtension") or ""
        if extension and not re.fullmatch(r"\.[A-Za-z0-9]{1,10}", extension):
            raise DiadocError(400, f"fileExtension '{extension}' must be a dot and letters, e.g. '.xml'")
        last = self._flag(query, "isLastPart")
        name = f"dd-api-{self._id()}{extension}"
        entry = {"parts": {0: part}, "count": None}
        self.shelf[name] = entry
        if last:
            self._shelf_close(entry, 0)
        return Reply(200, name, content_type="text/plain; charset=utf-8")

    def api_shelf_upload_part(self, query, headers, raw):
        self.check_auth(headers)
        name = query.get("fileName") or ""
        if not name:
            raise DiadocError(400, "Query parameter 'fileName' is required")
        entry = self.shelf.get(name)
        if entry is None:
            raise DiadocError(400, f"File '{name}' was not started with ShelfUploadPartInit")
        try:
            index = int(query.get("partIndex", ""))
        except ValueError:
            raise DiadocError(400, "Query parameter 'partIndex' must be an integer") from None
        if index < 0:
            raise DiadocError(400, "partIndex must not be negative")
        part = self._shelf_part(headers, raw)
        last = self._flag(query, "isLastPart")
        if self._lost_parts.get(index):
            self._lost_parts[index] -= 1  # acknowledged, and lost
        else:
            entry["parts"][index] = part
        if not last:
            return Reply(200, None)
        return Reply(200, self._shelf_close(entry, index))

    def api_shelf_download(self, query, headers, raw):
        self.check_auth(headers)
        data = self.shelf_file(query.get("fileName") or "")
        if data is None:
            raise DiadocError(404, f"File '{query.get('fileName')}' not found on the shelf")
        return Reply(200, data, content_type="application/octet-stream")

    def before_request(self):
        """Deliver what was posted before this request (the operator is quick)."""
        while self.pending_delivery:
            self._deliver(self.pending_delivery.popleft())


class _Handler(BaseHTTPRequestHandler):
    emulator = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stalls)

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method):
        emu = self.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k: v for k, v in self.headers.items()}
        rec = Recorded(method, parts.path, query, headers, raw)
        with emu.lock:
            emu.records.append(rec)
        fault = emu._draw_fault(parts.path)
        if fault and fault["kind"] == "5xx":
            rec.status, rec.fault = fault["status"], "5xx"
            return self._send(Reply(fault["status"], "Internal server error", content_type="text/plain"))
        if fault and fault["kind"] == "malformed":
            rec.status, rec.fault = 200, "malformed"
            return self._send(Reply(200, b'{"MessageId": "4f1c", "Entities": [{"EntityId": ',
                                    content_type="application/json; charset=utf-8"))
        if fault and fault["kind"] == "timeout":
            rec.fault = "timeout"
            time.sleep(emu.timeout_delay)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        try:
            with emu.lock:
                emu.before_request()
                reply = emu.handle(method, parts.path, query, headers, raw)
        except DiadocError as exc:
            text = exc.text
            if emu.echo_secrets_in_errors:
                text += f" (request Authorization: {headers.get('Authorization')}; body: {raw.decode('utf-8', 'replace')})"
            reply = Reply(exc.status, text, content_type="text/plain; charset=utf-8")
        except Exception as exc:  # a bug of the emulator: say so loudly
            emu.validation_errors.append(f"{method} {parts.path}: emulator crashed: {exc!r}")
            reply = Reply(500, f"emulator error: {exc!r}", content_type="text/plain")
        if fault and fault["kind"] == "after":
            rec.fault = "after"
            reply = Reply(500, "Internal server error", content_type="text/plain")
        elif fault and fault["kind"] == "pending" and reply.status == 200:
            rec.fault = "pending"
            reply = Reply(204, None, headers={"Retry-After": "3"})
        rec.status = reply.status
        return self._send(reply)

    def _send(self, reply):
        body = reply.body
        content_type = reply.content_type
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
            content_type = content_type or "application/octet-stream"
        elif isinstance(body, str):
            data = body.encode("utf-8")
            content_type = content_type or "text/plain; charset=utf-8"
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            content_type = content_type or "application/json; charset=utf-8"
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, str(value))
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
