"""Labels and stickers: each marketplace's ``fetch_labels`` against the emulator over loopback
HTTP (the files are the emulator's own, batches keep to the documented limits, labels not
ready are reported), the transport's file answers, and the PDF helpers."""
import base64
import io
import math

import pytest
import requests
from PIL import Image

from marketplace_connector.lib import labels_pdf as lp
from marketplace_connector.lib import transport as tr
from marketplace_connector.lib.base import OrderRef, make_adapter
from marketplace_connector.lib.ozon import OzonAdapter
from marketplace_connector.lib.wildberries import WildberriesAdapter
from marketplace_connector.lib.yandex import YandexAdapter
from tests.emulator import MarketplaceEmulator, label_files, specs
from tests.emulator.ozon import OzonApp
from tests.emulator.wildberries import WildberriesApp
from tests.emulator.yandex import YandexApp

try:
    import pypdf
except ImportError:  # the system's older name
    import PyPDF2 as pypdf

APPS = {"wildberries": WildberriesApp, "ozon": OzonApp, "yandex": YandexApp}
LIMITERS = {"wildberries": WildberriesAdapter.make_rate_limiter(), "ozon": OzonAdapter.make_rate_limiter(),
            "yandex": YandexAdapter.make_rate_limiter()}


@pytest.fixture(scope="module")
def server():
    emulator = MarketplaceEmulator(seed=11, timeout_delay=1.0).start()
    for load in (specs.wildberries, specs.ozon, specs.yandex):
        load()  # loaded before the first call (a client's read time-out here is 2 s)
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(server):
    for app in server.apps.values():
        app.orders.clear()
    server.wildberries.served_stickers.clear()
    server.ozon.served_labels.clear()
    server.yandex.served_labels.clear()
    server.faults.clear()
    server.reset_records()
    yield server
    assert server.violations() == []


class Log:
    def __init__(self):
        self.calls = []
        self.sleeps = []


def adapter(emu, marketplace, log=None):
    log = log or Log()
    app = APPS[marketplace]
    return make_adapter(marketplace, app.CREDENTIALS, app.SETTINGS, base_url=emu.base_url(marketplace),
                        sleep=log.sleeps.append, on_call=log.calls.append, timeout=(1, 2),
                        rate_limiter=LIMITERS[marketplace])


def pdf_text(data):
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def ready_tasks(emu, count):
    ids = emu.wildberries.add_orders(count, scheme="fbs", max_lines=1)
    for task in ids:
        emu.wildberries.set_state(task, "processing")
    return ids


# --- Wildberries ------------------------------------------------------------------------------

def test_wb_png_stickers_are_the_files_wb_served_at_the_asked_size(emu):
    ids = ready_tasks(emu, 3)
    log = Log()
    got = adapter(emu, "wildberries", log).fetch_labels([OrderRef(i, "fbs") for i in ids])
    assert set(got.labels) == set(ids) and got.pending == {}
    for task in ids:
        label = got.labels[task]
        assert label.content == emu.wildberries.served_stickers[task]
        assert label.mimetype == "image/png" and label.extension == "png" and label.size_mm == (58, 40)
        assert Image.open(io.BytesIO(label.content)).size == (580, 400)
        assert label.info["partA"] == emu.wildberries.sticker_parts(task)[0]
    [request] = emu.requests_to("wildberries", "/api/v3/orders/stickers")
    assert request.query == {"type": "png", "width": "58", "height": "40"}
    assert sorted(request.body["orders"]) == sorted(int(i) for i in ids)
    assert [c.endpoint for c in log.calls] == ["/api/v3/orders/stickers"]


@pytest.mark.parametrize("kind,size,check", [
    ("png", (40, 30), lambda data: Image.open(io.BytesIO(data)).size == (400, 300)),
    ("svg", (58, 40), lambda data: data.startswith(b"<svg") and b'width="580"' in data),
    ("zplv", (58, 40), lambda data: data.startswith(b"^XA") and data.endswith(b"^XZ") and b"^BCR" in data),
    ("zplh", (40, 30), lambda data: data.startswith(b"^XA") and data.endswith(b"^XZ") and b"^BCN" in data),
])
def test_wb_every_sticker_type_and_size(emu, kind, size, check):
    [task] = ready_tasks(emu, 1)
    got = adapter(emu, "wildberries").fetch_labels([OrderRef(task, "fbs")], sticker_type=kind, size=size)
    label = got.labels[task]
    assert label.content == emu.wildberries.served_stickers[task]
    assert check(label.content)
    if kind.startswith("zpl"):
        assert label.mimetype == "application/zpl" and task.encode() in label.content
    assert label.size_mm == size


def test_wb_stickers_are_asked_by_100_tasks(emu):
    ids = ready_tasks(emu, 250)
    got = adapter(emu, "wildberries").fetch_labels([OrderRef(i, "fbs") for i in ids])
    assert len(got.labels) == 250
    requests_made = emu.requests_to("wildberries", "/api/v3/orders/stickers")
    assert len(requests_made) == math.ceil(250 / 100)
    assert [len(r.body["orders"]) for r in requests_made] == [100, 100, 50]


def test_wb_tasks_not_on_assembly_are_pending_with_the_reason(emu):
    new, cancelled = emu.wildberries.add_orders(2, scheme="fbs", max_lines=1)
    [ready] = ready_tasks(emu, 1)
    emu.wildberries.set_state(cancelled, "cancelled")
    got = adapter(emu, "wildberries").fetch_labels([OrderRef(i, "fbs") for i in (new, cancelled, ready)])
    assert set(got.labels) == {ready}
    assert set(got.pending) == {new, cancelled}
    assert "confirm" in got.pending[new]
    assert new not in emu.wildberries.served_stickers


def test_wb_wrong_options_are_refused_before_any_call(emu):
    wb = adapter(emu, "wildberries")
    with pytest.raises(ValueError):
        wb.fetch_labels(["1"], sticker_type="pdf")
    with pytest.raises(ValueError):
        wb.fetch_labels(["1"], size=(58, 30))
    got = wb.fetch_labels([OrderRef("not-a-task", "fbs")])
    assert "not-a-task" in got.pending
    assert emu.requests_to("wildberries") == []


def test_wb_emulator_refuses_more_than_100_stickers_a_call(emu):
    url = emu.base_url("wildberries") + "/api/v3/orders/stickers"
    answer = requests.post(url, params={"type": "png", "width": 58, "height": 40},
                           json={"orders": list(range(1, 102))},
                           headers={"Authorization": WildberriesApp.CREDENTIALS["token"]}, timeout=5)
    assert answer.status_code == 400
    assert emu.violations(), "a request over the documented batch is recorded"
    emu.clear_violations()


# --- Ozon -------------------------------------------------------------------------------------

def ready_postings(emu, count):
    numbers = emu.ozon.add_orders(count, scheme="fbs", max_lines=1)
    for number in numbers:
        emu.ozon.set_state(number, "processing")
    return numbers


def test_ozon_labels_by_20_postings_one_pdf_each(emu):
    numbers = ready_postings(emu, 45)
    log = Log()
    got = adapter(emu, "ozon", log).fetch_labels([OrderRef(n, "fbs") for n in numbers])
    assert set(got.labels) == set(numbers) and got.pending == {}
    calls = emu.requests_to("ozon", "/v2/posting/fbs/package-label")
    assert len(calls) == math.ceil(45 / 20)
    assert [len(r.body["posting_number"]) for r in calls] == [20, 20, 5]
    assert all(r.headers.get("Accept") == "application/pdf" for r in calls)
    for number in numbers:
        label = got.labels[number]
        assert label.mimetype == "application/pdf"
        assert lp.page_count(label.content) == 1
        assert pdf_text(label.content)[0].strip() == number
    # the served files, page for page
    served = [page for _, data in emu.ozon.served_labels for page in pdf_text(data)]
    assert [t.strip() for t in served] == numbers
    assert [c.status for c in log.calls] == [200, 200, 200]


def test_ozon_one_posting_is_the_exact_file_served(emu):
    [number] = ready_postings(emu, 1)
    got = adapter(emu, "ozon").fetch_labels([OrderRef(number, "fbs")])
    [(asked, data)] = emu.ozon.served_labels
    assert asked == (number,) and got.labels[number].content == data


def test_ozon_a_posting_not_ready_fails_its_batch_and_is_told_apart(emu):
    numbers = ready_postings(emu, 4)
    [waiting] = emu.ozon.add_orders(1, scheme="fbs", max_lines=1)  # awaiting_packaging
    got = adapter(emu, "ozon").fetch_labels(numbers[:2] + [waiting] + numbers[2:])
    assert set(got.labels) == set(numbers)
    assert set(got.pending) == {waiting}
    assert "aren't ready" in got.pending[waiting] and "HTTP" not in got.pending[waiting]
    # the batch, then each posting alone
    assert len(emu.requests_to("ozon", "/v2/posting/fbs/package-label")) == 1 + 5


def test_ozon_a_posting_of_several_packages_is_asked_alone(emu):
    numbers = ready_postings(emu, 3)
    emu.ozon.label_pages[numbers[1]] = 2
    got = adapter(emu, "ozon").fetch_labels(numbers)
    assert [lp.page_count(got.labels[n].content) for n in numbers] == [1, 2, 1]
    assert len(emu.requests_to("ozon", "/v2/posting/fbs/package-label")) == 1 + 3
    emu.ozon.label_pages.clear()


def test_ozon_emulator_refuses_more_than_20_postings(emu):
    numbers = ready_postings(emu, 21)
    answer = requests.post(emu.base_url("ozon") + "/v2/posting/fbs/package-label",
                           json={"posting_number": numbers},
                           headers={"Client-Id": OzonApp.CREDENTIALS["client_id"],
                                    "Api-Key": OzonApp.CREDENTIALS["api_key"]}, timeout=5)
    assert answer.status_code == 400 and "at most 20" in answer.json()["message"]


def test_ozon_label_task_for_a_large_batch_downloads_the_file_without_credentials(emu):
    numbers = ready_postings(emu, 30)
    log = Log()
    slept = []
    files = adapter(emu, "ozon", log).fetch_labels_file(numbers, sleep=slept.append)
    [data] = files
    assert lp.page_count(data) == 30
    assert [t.strip() for t in pdf_text(data)] == numbers
    assert len(emu.requests_to("ozon", "/v1/posting/fbs/package-label/create")) == 1
    assert len(emu.requests_to("ozon", "/v1/posting/fbs/package-label/get")) == 2  # in progress, completed
    assert slept == [OzonAdapter.label_poll_interval]
    [download] = emu.requests_to("ozon-cdn")
    assert "Api-Key" not in download.headers and "Client-Id" not in download.headers
    assert data == emu.ozon.served_labels[-1][1]


def test_ozon_label_task_in_error_raises_the_reason(emu):
    numbers = ready_postings(emu, 2)
    [waiting] = emu.ozon.add_orders(1, scheme="fbs", max_lines=1)
    with pytest.raises(tr.ApiError) as info:
        adapter(emu, "ozon").fetch_labels_file(numbers + [waiting], sleep=lambda s: None)
    assert "POSTINGS_NOT_READY" in info.value.message
    assert emu.requests_to("ozon-cdn") == []


def test_ozon_a_server_error_is_retried_and_the_file_comes(emu):
    [number] = ready_postings(emu, 1)
    emu.faults.force("ozon", "5xx", path="/v2/posting/fbs/package-label")
    log = Log()
    got = adapter(emu, "ozon", log).fetch_labels([number])
    assert number in got.labels
    [call] = log.calls
    assert call.attempts == 2 and call.status == 200 and len(log.sleeps) == 1


# --- Yandex Market ----------------------------------------------------------------------------

def ym_refs(emu, count, state="processing", scheme="fbs"):
    ids = emu.yandex.add_orders(count, scheme=scheme, max_lines=1)
    refs = []
    for order_id in ids:
        if state:
            emu.yandex.set_state(order_id, state)
        refs.append(OrderRef(order_id, scheme, str(emu.yandex.orders[order_id]["campaignId"])))
    return refs


@pytest.mark.parametrize("page_format,size", [("A7", (75, 120)), ("A9_HORIZONTALLY", (58, 40)), ("A9", (40, 58))])
def test_ym_labels_are_the_pdf_served_a_page_per_box(emu, page_format, size):
    first, second = ym_refs(emu, 2)
    emu.yandex.label_boxes[first.external_id] = 3
    got = adapter(emu, "yandex").fetch_labels([first, second], page_format=page_format)
    assert got.pending == {}
    for ref, boxes in ((first, 3), (second, 1)):
        label = got.labels[ref.external_id]
        assert label.content == emu.yandex.served_labels[ref.external_id]
        assert lp.page_count(label.content) == boxes
        assert lp.page_sizes_mm(label.content) == [size] * boxes
    calls = emu.requests_to("yandex", "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/labels")
    assert [r.path for r in calls] == [f"/v2/campaigns/{r.secondary_ref}/orders/{r.external_id}/delivery/labels"
                                       for r in (first, second)]
    assert all(r.query == {"format": page_format} for r in calls)
    emu.yandex.label_boxes.clear()


def test_ym_orders_not_ready_are_pending_with_the_markets_words(emu):
    [started] = ym_refs(emu, 1, state=None)  # PROCESSING / STARTED
    [shipped] = ym_refs(emu, 1, state="shipped")
    [ready] = ym_refs(emu, 1)
    got = adapter(emu, "yandex").fetch_labels([started, shipped, ready])
    assert set(got.labels) == {ready.external_id}
    assert "STARTED" in got.pending[started.external_id]
    assert "DELIVERY" in got.pending[shipped.external_id]


def test_ym_a_bad_format_is_refused_before_any_call(emu):
    with pytest.raises(ValueError):
        adapter(emu, "yandex").fetch_labels([], page_format="A5")


# --- the transport's file answers -----------------------------------------------------------

def test_transport_raw_answer_keeps_bytes_and_media_type_and_records_the_call(emu):
    [ref] = ym_refs(emu, 1)
    calls = []
    transport = tr.Transport(emu.base_url("yandex"), {"Api-Key": YandexApp.CREDENTIALS["api_key"]},
                             on_call=calls.append, sleep=lambda s: None)
    path = f"/v2/campaigns/{ref.secondary_ref}/orders/{ref.external_id}/delivery/labels"
    answer = transport.request("GET", path, raw=True, accept="application/pdf")
    assert isinstance(answer, tr.RawAnswer)
    assert answer.content_type == "application/pdf"
    assert answer.content == emu.yandex.served_labels[ref.external_id]
    [call] = calls
    assert call.status == 200 and call.error == "" and call.attempts == 1
    # an error of a file call reads as any other
    with pytest.raises(tr.ApiError) as info:
        transport.request("GET", path.replace(ref.external_id, "1"), raw=True)
    assert info.value.status == 404 and "Order not found" in info.value.message


def test_transport_raw_answer_is_retried_on_faults(emu):
    [ref] = ym_refs(emu, 1)
    emu.faults.force("yandex", "5xx")
    emu.faults.force("yandex", "truncated")
    calls, sleeps = [], []
    transport = tr.Transport(emu.base_url("yandex"), {"Api-Key": YandexApp.CREDENTIALS["api_key"]},
                             on_call=calls.append, sleep=sleeps.append)
    path = f"/v2/campaigns/{ref.secondary_ref}/orders/{ref.external_id}/delivery/labels"
    answer = transport.request("GET", path, raw=True)
    assert answer.content.startswith(b"%PDF") and lp.page_count(answer.content) == 1
    assert calls[0].attempts == 3 and len(sleeps) == 2


def test_transport_without_auth_sends_no_credentials(emu):
    emu.ozon.cdn_files["x.pdf"] = label_files.pdf(["1"])
    transport = tr.Transport(emu.base_url("ozon-cdn"), {"Api-Key": "secret-key-1234"}, sleep=lambda s: None)
    answer = transport.request("GET", "/s3/sc-temporary/x.pdf", raw=True, auth=False)
    assert answer.content == emu.ozon.cdn_files["x.pdf"]
    [request] = emu.requests_to("ozon-cdn")
    assert "Api-Key" not in request.headers


# --- PDF helpers ------------------------------------------------------------------------------

def _png(size, mode="L"):
    out = io.BytesIO()
    Image.new(mode, size, 255 if mode == "L" else (255, 255, 255, 0)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("pixels,size_mm", [((580, 400), (58, 40)), ((400, 300), (40, 30)),
                                            ((400, 300), (58, 40))])
def test_png_sticker_becomes_a_page_of_the_stickers_size(pixels, size_mm):
    pdf = lp.image_to_pdf(_png(pixels), *size_mm)
    assert lp.page_count(pdf) == 1
    assert lp.page_sizes_mm(pdf) == [(float(size_mm[0]), float(size_mm[1]))]


def test_a_transparent_png_is_printed_on_white():
    pdf = lp.image_to_pdf(_png((580, 400), "RGBA"), 58, 40)
    assert lp.page_sizes_mm(pdf) == [(58.0, 40.0)]


def test_merge_keeps_every_page_in_order_and_split_undoes_it():
    files = [label_files.pdf(["a1", "a2"]), label_files.pdf(["b1"]), label_files.pdf(["c1", "c2", "c3"])]
    merged = lp.merge_pdfs(files)
    assert lp.page_count(merged) == 6
    assert [t.strip() for t in pdf_text(merged)] == ["a1", "a2", "b1", "c1", "c2", "c3"]
    parts = lp.split_pdf(merged)
    assert [lp.page_count(p) for p in parts] == [1] * 6
    assert pdf_text(parts[3])[0].strip() == "c1"


def test_broken_files_raise_a_clear_error():
    with pytest.raises(lp.LabelFileError):
        lp.page_count(b"%PDF-1.4 nothing else")
    with pytest.raises(lp.LabelFileError):
        lp.image_to_pdf(b"\x89PNG broken", 58, 40)


def test_zpl_labels_are_joined_one_program_after_the_other():
    joined = lp.join_zpl([label_files.zpl(1, "a"), label_files.zpl(2, "b")])
    text = joined.decode()
    assert text.count("^XA") == 2 and text.count("^XZ") == 2
    assert text.index("^FD1^FS") < text.index("^FD2^FS")


def test_base64_of_the_wb_spec_example_decodes_to_a_png():
    # the spec's own example sticker: what the adapter decodes is a real PNG
    example = ("iVBORw0KGgoAAAANSUhEUgAAASIAAAEiAQAAAAB1xeIbAAABiElEQVR4nO2YUW6DMAyGbUDaI0g9wI4Sjg5H2Q3IeyZPthNKV03tN"
               "iVBORw0KGgo")
    assert base64.b64decode(example)[:8] == b"\x89PNG\r\n\x1a\n"
