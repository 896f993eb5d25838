"""The Diadoc operator against the Diadoc emulator over loopback HTTP: the whole cycle."""
import base64
import json
import logging
import os
from pathlib import Path

import pytest
import requests
from lxml import etree

from marketplace_edo.lib import diadoc as diadoc_lib
from marketplace_edo.lib import operator as op
from marketplace_edo.lib.diadoc import DiadocOperator, from_ticks, to_ticks
from marketplace_edo.lib.upd_parse import parse_upd
from tests.emulator.diadoc import (
    CLIENT_ID, COUNTERAGENT_BOX, CREDENTIALS, LOGIN, MARKETPLACE_BOX, OUR_BOX, PASSWORD, DiadocEmulator,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _sample(name):
    env = os.environ.get("EDO_SAMPLES_DIR")
    folder = Path(env) if env else REPO_ROOT.parent / "shared" / "edo" / "samples"
    return (folder / name).read_bytes()


UPD_503 = _sample("upd-5.03-example.xml")
UPD_502 = _sample("generate_utd970_05_02_01_title0_resp.xml")
UPD_501 = _sample("generate_utd820_05_01_02_hyphen_title0_resp.xml")
FILE_ID = etree.fromstring(UPD_503).get("ИдФайл")


@pytest.fixture
def emu():
    emulator = DiadocEmulator(seed=7, timeout_delay=0.6).start()
    yield emulator
    emulator.stop()
    assert emulator.validation_errors == []


class Log:
    def __init__(self):
        self.calls = []
        self.sleeps = []


def make(emu, log=None, credentials=CREDENTIALS, **options):
    log = log or Log()
    options.setdefault("test_signature", True)
    options.setdefault("timeout", (1.0, 0.3))
    return op.make_operator("diadoc", credentials, base_url=emu.url, sleep=log.sleeps.append,
                            on_call=log.calls.append, seed=1, **options)


def calls_to(log, endpoint):
    return [c for c in log.calls if c.endpoint == endpoint]


def posted_body(emu, index=-1):
    return json.loads(emu.requests_to("/V3/PostMessage")[index].body)


# --- the registry -------------------------------------------------------------------------
def test_registry_and_missing_credentials(emu):
    assert op.operator_class("diadoc") is DiadocOperator
    assert "diadoc" in op.operator_codes()
    with pytest.raises(op.OperatorError) as err:
        op.operator_class("sbis")
    assert "Unknown ЭДО operator 'sbis'" in str(err.value)

    class Fake(op.EdoOperator):
        def __init__(self, credentials, **kw):
            self.credentials = credentials

    op.register_operator("fake-test", Fake)
    try:
        assert isinstance(op.make_operator("fake-test", {"k": "v"}), Fake)
    finally:
        op._REGISTRY.pop("fake-test")
    with pytest.raises(op.OperatorAuthError) as err:
        make(emu, credentials={"login": LOGIN, "password": "", "client_id": CLIENT_ID})
    assert "missing credentials: password" in str(err.value)
    assert emu.records == []


def test_ticks_round_trip():
    moment = from_ticks(639046580000000000)
    assert moment.tzinfo is not None and to_ticks(moment) == 639046580000000000
    assert from_ticks(0) is None and from_ticks("junk") is None


# --- the whole cycle ------------------------------------------------------------------------
def test_send_deliver_sign(emu):
    log = Log()
    diadoc = make(emu, log)
    assert diadoc.authenticate() is True
    auth = emu.requests_to("/V3/Authenticate")[0]
    assert auth.query == {"type": "password"}
    assert auth.headers["Authorization"] == f"DiadocAuth ddauth_api_client_id={CLIENT_ID}"
    assert json.loads(auth.body) == {"login": LOGIN, "password": PASSWORD}
    assert "Ромашка" in diadoc.test_connection()

    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, FILE_ID + ".xml", UPD_503, op.DOC_UPD)
    assert sent.state == op.SENT and sent.operator == "diadoc" and not sent.awaiting_sender_signature
    assert sent.file_name == FILE_ID + ".xml"
    assert sent.timestamp is not None and sent.timestamp.tzinfo is not None
    body = posted_body(emu)
    assert body["FromBoxId"] == OUR_BOX and body["ToBoxId"] == COUNTERAGENT_BOX and "DelaySend" not in body
    (attachment,) = body["DocumentAttachments"]
    assert (attachment["TypeNamedId"], attachment["Function"], attachment["Version"]) == (
        "UniversalTransferDocument", "СЧФДОП", "utd970_05_03_01")
    assert base64.b64decode(attachment["SignedContent"]["Content"]) == UPD_503
    assert attachment["SignedContent"]["SignWithTestSignature"] is True
    post = emu.requests_to("/V3/PostMessage")[0]
    assert len(post.query["operationId"]) == 32
    token = next(iter(emu.tokens))
    assert post.headers["Authorization"] == f"DiadocAuth ddauth_api_client_id={CLIENT_ID},ddauth_token={token}"
    assert post.headers["Accept"] == "application/json"

    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.DELIVERED
    assert status.text == "Ожидается подпись получателя"
    assert status.delivered_at is not None and status.signed_at is None
    assert [e.kind for e in status.events] == [op.EV_DOCUMENT, op.EV_DELIVERED]

    emu.sign(sent.message_id)
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.SIGNED
    assert status.signed_at is not None and status.signed_at > status.delivered_at
    assert [e.kind for e in status.events] == [op.EV_DOCUMENT, op.EV_DELIVERED, op.EV_SIGNED]
    assert "WithRecipientSignature" in status.raw

    events = list(diadoc.iter_events(OUR_BOX))
    assert [(e.kind, e.entity_id) for e in events] == [
        (op.EV_DOCUMENT, sent.entity_id), (op.EV_DELIVERED, sent.entity_id), (op.EV_SIGNED, sent.entity_id)]
    assert events[0].direction == op.OUTBOUND and events[0].state == op.SENT
    assert [e.state for e in events[1:]] == [op.DELIVERED, op.SIGNED]
    assert all(e.message_id == sent.message_id and e.event_id and e.cursor for e in events)
    assert events[0].cursor < events[1].cursor < events[2].cursor
    assert list(diadoc.iter_events(OUR_BOX, events[-1].cursor)) == []
    assert [e.kind for e in diadoc.iter_events(OUR_BOX, events[0].cursor)] == [op.EV_DELIVERED, op.EV_SIGNED]
    assert len(emu.requests_to("/V3/Authenticate")) == 1
    assert all(c.attempts == 1 and c.error == "" for c in log.calls)


def test_rejected_with_the_reason(emu):
    diadoc = make(emu)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    emu.reject(sent.message_id, "Цена в строке 2 не соответствует договору")
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.REJECTED
    assert status.reason == "Цена в строке 2 не соответствует договору"
    assert status.text == "Отказано в подписи"
    rejected = [e for e in status.events if e.kind == op.EV_REJECTED]
    assert len(rejected) == 1 and rejected[0].text == status.reason
    # the rejection's XML (windows-1251) was fetched separately
    assert len(emu.requests_to("/V4/GetEntityContent")) == 1
    kinds = [e.kind for e in diadoc.iter_events(OUR_BOX)]
    assert kinds == [op.EV_DOCUMENT, op.EV_DELIVERED, op.EV_REJECTED]


def test_delivery_failure_is_an_error(emu):
    diadoc = make(emu)
    emu.auto_deliver = False
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    assert diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id).state == op.SENT
    emu.fail_delivery(sent.message_id, "Сертификат подписи отозван")
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.ERROR
    assert status.reason == "Сертификат подписи отозван"
    assert [e.kind for e in diadoc.iter_events(OUR_BOX)] == [op.EV_DOCUMENT, op.EV_ERROR]


def test_unsigned_document_waits_for_the_sender_signature(emu):
    diadoc = make(emu, test_signature=False)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    # saved in the outbox, not sent: not "sent" until a person signs it
    assert (sent.state, sent.awaiting_sender_signature) == (op.OUTBOX, True)
    body = posted_body(emu)
    assert body["DelaySend"] is True
    assert set(body["DocumentAttachments"][0]["SignedContent"]) == {"Content"}
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert (status.state, status.awaiting_sender_signature) == (op.OUTBOX, True)
    assert status.text == "Требуется подписать и отправить"
    assert status.delivered_at is None
    (event,) = diadoc.iter_events(OUR_BOX)
    assert (event.kind, event.state) == (op.EV_DOCUMENT, op.OUTBOX)
    emu.sender_signs(sent.message_id)  # a person signs it in Diadoc's web interface
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert (status.state, status.awaiting_sender_signature) == (op.DELIVERED, False)
    assert [e.kind for e in diadoc.iter_events(OUR_BOX)] == [op.EV_DOCUMENT, op.EV_SENDER_SIGNED, op.EV_DELIVERED]
    with pytest.raises(op.OperatorError) as err:
        diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_502, op.DOC_UPD, delay_send=False)
    assert "no signature" in str(err.value)


def test_real_signature_is_sent_as_is(emu):
    diadoc = make(emu, test_signature=False)
    diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_502, op.DOC_UPD, signature=b"0\x82\x01\x02CMS")
    signed = posted_body(emu)["DocumentAttachments"][0]["SignedContent"]
    assert base64.b64decode(signed["Signature"]) == b"0\x82\x01\x02CMS"
    assert posted_body(emu)["DocumentAttachments"][0]["Version"] == "utd970_05_02_01"


def test_nonformalized_document_signed_by_the_counteragent(emu):
    diadoc = make(emu)
    pdf = b"%PDF-1.7\n% \xe2\xe3\xcf\xd3 report"
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "Отчёт комиссионера.pdf", pdf, op.DOC_NONFORMALIZED,
                                need_recipient_signature=True, comment="за август")
    attachment = posted_body(emu)["DocumentAttachments"][0]
    assert attachment["Metadata"] == [{"Key": "FileName", "Value": "Отчёт комиссионера.pdf"}]
    assert attachment["NeedRecipientSignature"] is True and attachment["Comment"] == "за август"
    assert sent.file_name == "Отчёт комиссионера.pdf"
    emu.sign(sent.message_id)
    status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.SIGNED


# --- failures and retries ---------------------------------------------------------------------
def test_send_retried_after_5xx(emu):
    log = Log()
    diadoc = make(emu, log, backoff_base=2.0)
    diadoc.authenticate()
    emu.force("5xx", count=2, path="/V3/PostMessage", status=503)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    (call,) = calls_to(log, "/V3/PostMessage")
    assert (call.attempts, call.status, call.error) == (3, 200, "")
    assert [r.status for r in emu.requests_to("/V3/PostMessage")] == [503, 503, 200]
    # exponential backoff with jitter (half to full): 2 s, then 4 s
    assert len(log.sleeps) == 2
    assert 1.0 <= log.sleeps[0] <= 2.0 and 2.0 <= log.sleeps[1] <= 4.0
    assert call.waited_s == pytest.approx(sum(log.sleeps), abs=0.01)
    assert len(emu.posted()) == 1
    assert diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id).state == op.DELIVERED


def test_lost_answer_does_not_duplicate_the_document(emu):
    log = Log()
    diadoc = make(emu, log)
    emu.force("after", path="/V3/PostMessage")  # Diadoc did the work, the answer was lost
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    posts = emu.requests_to("/V3/PostMessage")
    assert [r.status for r in posts] == [500, 200]
    assert posts[0].query["operationId"] == posts[1].query["operationId"]
    assert len(emu.posted()) == 1 and emu.posted()[0]["MessageId"] == sent.message_id
    # sending the very same document again later gives the same message too
    again = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    assert (again.message_id, again.entity_id) == (sent.message_id, sent.entity_id)
    assert len(emu.posted()) == 1


def test_not_finished_yet_obeys_retry_after(emu):
    log = Log()
    diadoc = make(emu, log)
    emu.force("pending", path="/V3/PostMessage")
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    assert log.sleeps == [3.0]  # the answer's Retry-After
    assert [r.status for r in emu.requests_to("/V3/PostMessage")] == [204, 200]
    assert len(emu.posted()) == 1 and sent.message_id == emu.posted()[0]["MessageId"]


def test_timeout_is_retried(emu):
    log = Log()
    diadoc = make(emu, log)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    emu.force("timeout", path="/V5/GetMessage")
    assert diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id).state == op.DELIVERED
    (call,) = calls_to(log, "/V5/GetMessage")
    assert call.attempts == 2 and len(log.sleeps) == 1


def test_malformed_answer_is_retried(emu):
    log = Log()
    diadoc = make(emu, log)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    emu.force("malformed", path="/V5/GetMessage")
    assert diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id).state == op.DELIVERED
    (call,) = calls_to(log, "/V5/GetMessage")
    assert (call.attempts, call.error) == (2, "")
    emu.force("malformed", count=5, path="/V5/GetMessage")
    with pytest.raises(op.OperatorError) as err:
        diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert "the answer is malformed (after 5 attempts)" in str(err.value) and err.value.retryable


def test_gives_up_after_max_attempts(emu):
    log = Log()
    diadoc = make(emu, log, max_attempts=3)
    diadoc.authenticate()
    emu.force("5xx", count=3, path="/V3/PostMessage")
    with pytest.raises(op.OperatorError) as err:
        diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    assert err.value.retryable and err.value.status == 500
    assert "after 3 attempts" in str(err.value)
    assert emu.posted() == []


def test_client_errors_are_not_retried(emu):
    log = Log()
    diadoc = make(emu, log)
    broken = etree.fromstring(UPD_503)
    del broken.find("Документ/СвСчФакт").attrib["ДатаДок"]  # the XSD requires it
    content = etree.tostring(broken, encoding="UTF-8", xml_declaration=True)
    with pytest.raises(op.OperatorError) as err:
        diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", content, op.DOC_UPD)
    assert err.value.status == 400 and not err.value.retryable
    assert "XSD" in str(err.value) and "ДатаДок" in str(err.value)
    assert calls_to(log, "/V3/PostMessage")[0].attempts == 1 and log.sleeps == []
    with pytest.raises(op.OperatorError) as err:  # someone else's box
        diadoc.get_document_status(COUNTERAGENT_BOX, "m", "e")
    assert err.value.status == 403
    with pytest.raises(op.OperatorError) as err:
        diadoc.get_document_status(OUR_BOX, "no-such-message", "e")
    assert err.value.status == 404


def test_bad_documents_refused_before_any_call(emu, monkeypatch):
    diadoc = make(emu)
    diadoc.authenticate()
    emu.reset_records()
    monkeypatch.setattr(diadoc_lib, "SHELF_MAX_CONTENT", 600 * 1024)  # 400 MB in real life
    cases = [
        (b"<Invoice/>", op.DOC_UPD, "not a ФНС УПД file"),
        (UPD_501, op.DOC_UPD, "format '5.01' has no known Diadoc version"),
        (b"", op.DOC_UPD, "non-empty bytes"),
        (b"x" * (600 * 1024 + 1), op.DOC_NONFORMALIZED, "more than the shelf takes"),
        (UPD_503, "torg12", "unknown document type"),
        (UPD_503, op.DOC_UKD, "needs function= and version="),
    ]
    for content, doc_type, message in cases:
        with pytest.raises(op.OperatorError) as err:
            diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "f.xml", content, doc_type)
        assert message in str(err.value)
    assert emu.records == []


# --- large files: the document shelf -------------------------------------------------------------
#: the emulator validates a megabyte of XML against the XSD: more than the usual 0.3 s
LARGE_TIMEOUT = (2.0, 15.0)


def _large_upd(lines=2000):
    """A real УПД 5.03 of ``lines`` rows with marking codes: well over 500 KB."""
    import datetime
    from decimal import Decimal

    from marketplace_edo.lib import amounts
    from marketplace_edo.lib.upd import build_upd
    from marketplace_edo.lib.upd_model import Address, Document, Line, Party, Signer

    rows = []
    for n in range(1, lines + 1):
        a = amounts.line_amounts(Decimal("199.90"), Decimal(2), "22%")
        rows.append(Line(number=n, name=f"Кроссовки беговые, артикул SH-{n:05d}, размер {36 + n % 10}",
                         okei_code="796", unit_name="шт", quantity=Decimal(2), price=Decimal("199.90"),
                         vat_rate="22%", amount_without_vat=a.amount_without_vat, vat_amount=a.vat_amount,
                         amount_with_vat=a.amount_with_vat, article=f"SH-{n:05d}",
                         marking_codes=[f"0104601234567893215SH{n:05d}{k}" for k in range(2)]))
    doc = Document(
        function="СЧФДОП", number="УПД-БОЛЬШОЙ", date=datetime.date(2026, 8, 14),
        seller=Party(kind="legal", name='ООО "Ромашка"', inn="7707083893", kpp="770701001",
                     address=Address(text="101000, г. Москва, ул. Мясницкая, д. 1")),
        buyer=Party(kind="legal", name='ООО "КИП СПБ"', inn="7805781663", kpp="780501001",
                    address=Address(text="198095, г. Санкт-Петербург, ул. Промышленная, д. 19")),
        signer=Signer(last_name="Иванов", first_name="Иван", position="Генеральный директор"),
        lines=rows, sender_id="2BM-7707083893-770701001", receiver_id="2BM-7805781663-780501001")
    return build_upd(doc)


def test_large_document_goes_through_the_shelf(emu):
    file_name, content = _large_upd()
    assert len(content) > 2 * diadoc_lib.SHELF_PART_SIZE  # at least three parts
    log = Log()
    diadoc = make(emu, log, timeout=LARGE_TIMEOUT)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, file_name, content, op.DOC_UPD)
    init, = emu.requests_to("/ShelfUploadPartInit")
    parts = emu.requests_to("/ShelfUploadPart")
    count = -(-len(content) // diadoc_lib.SHELF_PART_SIZE)
    assert init.query == {"fileExtension": ".xml"}
    assert init.headers["Content-Type"] == "application/octet-stream"
    assert [p.query["partIndex"] for p in parts] == [str(i) for i in range(1, count)]
    assert [p.query["isLastPart"] for p in parts] == ["false"] * (count - 2) + ["true"]
    assert {p.query["fileName"] for p in parts} == set(emu.shelf)
    assert all(len(r.body) <= diadoc_lib.SHELF_PART_SIZE for r in [init] + parts)
    assert b"".join(r.body for r in [init] + parts) == content
    # the message names the file on the shelf, and carries no content of its own
    signed = posted_body(emu)["DocumentAttachments"][0]["SignedContent"]
    assert set(signed) == {"NameOnShelf", "SignWithTestSignature"}
    assert signed["NameOnShelf"] == parts[0].query["fileName"]
    assert len(emu.requests_to("/V3/PostMessage")[0].body) < 2000
    # Diadoc has the whole document (it checked it against the XSD) and delivers it
    assert emu.contents[sent.entity_id] == content
    assert emu.document(sent.entity_id)["FileName"] == file_name
    assert diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id).state == op.DELIVERED
    assert all(c.attempts == 1 for c in log.calls)


def test_shelf_parts_lost_are_sent_again(emu):
    file_name, content = _large_upd()
    diadoc = make(emu, timeout=LARGE_TIMEOUT)
    emu.lose_shelf_parts(1)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, file_name, content, op.DOC_UPD)
    indexes = [(r.query["partIndex"], r.query["isLastPart"]) for r in emu.requests_to("/ShelfUploadPart")]
    count = -(-len(content) // diadoc_lib.SHELF_PART_SIZE)
    first_round = [(str(i), "true" if i == count - 1 else "false") for i in range(1, count)]
    # the shelf answered the last part with [1]: part 1 again, then the last part closes the file
    assert indexes == first_round + [("1", "false"), (str(count - 1), "true")]
    assert emu.contents[sent.entity_id] == content


def test_shelf_that_keeps_losing_parts_is_a_retryable_error(emu):
    file_name, content = _large_upd()
    diadoc = make(emu, timeout=LARGE_TIMEOUT)
    emu.lose_shelf_parts(1, times=3)
    with pytest.raises(op.OperatorError) as err:
        diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, file_name, content, op.DOC_UPD)
    assert err.value.retryable and "still lacks parts [1]" in str(err.value)
    assert [r.query["partIndex"] for r in emu.requests_to("/ShelfUploadPart")].count("1") == 3
    assert len([r for r in emu.requests_to("/ShelfUploadPart") if r.query["isLastPart"] == "true"]) == 3
    assert emu.posted() == []


def test_small_file_on_the_shelf_in_one_part(emu):
    diadoc = make(emu)
    name = diadoc.upload_to_shelf(b"<small/>", ".xml")
    (init,) = emu.requests_to("/ShelfUploadPartInit")
    assert init.query == {"fileExtension": ".xml", "isLastPart": "true"}
    assert emu.requests_to("/ShelfUploadPart") == []
    assert emu.shelf_file(name) == b"<small/>"


def test_emulator_refuses_large_inline_content_and_the_removed_shelf_method(emu):
    """What Diadoc answers a client that does not use the shelf (or its removed method)."""
    _file_name, content = _large_upd()
    diadoc = make(emu)
    diadoc.authenticate()
    token = next(iter(emu.tokens))
    auth = {"Authorization": f"DiadocAuth ddauth_api_client_id={CLIENT_ID},ddauth_token={token}",
            "Accept": "application/json", "Content-Type": "application/json; charset=utf-8"}
    message = {"FromBoxId": OUR_BOX, "ToBoxId": COUNTERAGENT_BOX, "DocumentAttachments": [{
        "TypeNamedId": "UniversalTransferDocument", "Function": "СЧФДОП", "Version": "utd970_05_03_01",
        "SignedContent": {"Content": base64.b64encode(content).decode(), "SignWithTestSignature": True}}]}
    answer = requests.post(emu.url + "/V3/PostMessage", params={"operationId": "x1"}, headers=auth,
                           data=json.dumps(message).encode(), timeout=10)
    assert answer.status_code == 400 and "over 500 KB must go through the shelf" in answer.text
    legacy = requests.post(emu.url + "/ShelfUpload", params={"nameOnShelf": "__userId__/a.xml", "partIndex": "0",
                                                             "isLastPart": "1"},
                           headers=dict(auth, **{"Content-Type": "application/octet-stream"}), data=content[:100],
                           timeout=10)
    assert legacy.status_code == 404
    too_big = requests.post(emu.url + "/ShelfUploadPartInit", headers=dict(auth, **{
        "Content-Type": "application/octet-stream"}), data=content[: 512 * 1024 + 1], timeout=10)
    assert too_big.status_code == 400 and "at most 524288 bytes" in too_big.text
    assert emu.posted() == []


# --- credentials ------------------------------------------------------------------------------
def test_wrong_password_is_an_auth_error_without_secrets(emu):
    emu.echo_secrets_in_errors = True  # a server that repeats what it was sent
    log = Log()
    wrong = dict(CREDENTIALS, password="Not-The-Password-42")
    diadoc = make(emu, log, credentials=wrong)
    with pytest.raises(op.OperatorAuthError) as err:
        diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    text = " ".join([str(err.value), repr(err.value), err.value.message, *map(str, err.value.args)])
    assert "Diadoc refused the login" in text and err.value.status == 401
    assert "Incorrect login or password" in text
    assert "Not-The-Password-42" not in text and CLIENT_ID not in text
    assert "Not-The-Password-42" not in repr(diadoc)
    assert all("Not-The-Password-42" not in c.error and CLIENT_ID not in c.error for c in log.calls)
    assert emu.requests_to("/V3/PostMessage") == []
    with pytest.raises(op.OperatorAuthError) as err:  # an unknown developer key
        make(emu, credentials=dict(CREDENTIALS, client_id="wrong-client-key")).authenticate()
    assert "wrong-client-key" not in str(err.value)


def test_expired_token_logs_in_again_once(emu, caplog):
    log = Log()
    diadoc = make(emu, log)
    sent = diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)
    old_token = next(iter(emu.tokens))
    emu.expire_tokens()
    emu.echo_secrets_in_errors = True
    with caplog.at_level(logging.DEBUG):
        status = diadoc.get_document_status(OUR_BOX, sent.message_id, sent.entity_id)
    assert status.state == op.DELIVERED
    assert len(emu.requests_to("/V3/Authenticate")) == 2
    assert [r.status for r in emu.requests_to("/V5/GetMessage")] == [401, 200]
    new_token = next(iter(emu.tokens))
    assert new_token != old_token
    secrets = (PASSWORD, old_token, new_token, CLIENT_ID)
    texts = [r.getMessage() for r in caplog.records] + [c.error for c in log.calls]
    assert any("/V5/GetMessage" in t for t in texts)
    assert not any(s in t for s in secrets for t in texts)


def test_secrets_never_in_retry_logs(emu, caplog):
    emu.echo_secrets_in_errors = True
    log = Log()
    diadoc = make(emu, log)
    diadoc.authenticate()
    token = next(iter(emu.tokens))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(op.OperatorError) as err:  # 400 echoing the Authorization header
            diadoc.get_document_status(OUR_BOX, "", "e")
    assert "messageId" in str(err.value)
    assert "***" in str(err.value)  # the echoed header, scrubbed
    texts = [str(err.value)] + [r.getMessage() for r in caplog.records] + [c.error for c in log.calls]
    assert not any(s in t for s in (PASSWORD, token, CLIENT_ID) for t in texts)


# --- incoming ---------------------------------------------------------------------------------
def test_incoming_document_listed_and_parsed(emu):
    diadoc = make(emu)
    diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, "upd.xml", UPD_503, op.DOC_UPD)  # outbound: not listed
    message_id, entity_id = emu.queue_incoming(UPD_502)  # the marketplace's commission УПД
    (doc,) = list(diadoc.list_incoming(OUR_BOX))
    assert (doc.message_id, doc.entity_id) == (message_id, entity_id)
    assert doc.content == UPD_502
    assert doc.file_name == etree.fromstring(UPD_502).get("ИдФайл") + ".xml"
    assert (doc.sender_inn, doc.sender_kpp, doc.sender_name, doc.sender_box_id) == (
        "7721546864", "500301001", 'ООО "Вайлдберриз"', MARKETPLACE_BOX)
    assert (doc.doc_type, doc.function, doc.version) == ("UniversalTransferDocument", "СЧФДОП", "utd970_05_02_01")
    assert doc.error == "" and doc.cursor and doc.timestamp is not None
    upd = parse_upd(doc.content)
    assert (upd.number, upd.seller.inn, upd.totals.amount_with_vat) == ("123", "9103624367", 10000)

    # the cursor: nothing new, then only the new one
    assert list(diadoc.list_incoming(OUR_BOX, doc.cursor)) == []
    emu.queue_incoming(UPD_503, from_box=COUNTERAGENT_BOX)
    (second,) = list(diadoc.list_incoming(OUR_BOX, doc.cursor))
    assert second.sender_inn == "7805781663" and second.content == UPD_503
    events = emu.requests_to("/V7/GetNewEvents")
    assert events[-1].query["documentDirection"] == "Inbound"
    assert events[-1].query["afterIndexKey"] == doc.cursor
    # the incoming documents are in the whole feed too, as inbound documents
    inbound = [e for e in diadoc.iter_events(OUR_BOX) if e.kind == op.EV_DOCUMENT and e.direction == op.INBOUND]
    assert [e.entity_id for e in inbound] == [entity_id, second.entity_id]


def test_event_feed_pages(emu):
    diadoc = make(emu)
    pdf = b"%PDF-1.4 small"
    sent = [diadoc.send_document(OUR_BOX, COUNTERAGENT_BOX, f"doc{i}.pdf", pdf + bytes([i]), op.DOC_NONFORMALIZED)
            for i in range(60)]
    events = list(diadoc.iter_events(OUR_BOX))
    # each document: posted, then delivered; 120 events over two pages
    assert len(events) == 120
    assert [e.entity_id for e in events if e.kind == op.EV_DOCUMENT] == [s.entity_id for s in sent]
    assert sum(e.kind == op.EV_DELIVERED for e in events) == 60
    pages = emu.requests_to("/V7/GetNewEvents")
    assert len(pages) == 2 and "afterIndexKey" not in pages[0].query
    assert pages[1].query["afterIndexKey"] == events[99].cursor
    assert len({e.cursor for e in events}) == 120
