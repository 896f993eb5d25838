"""Package labels of FBS / rFBS postings (:class:`OzonLabels`).

``POST /v2/posting/fbs/package-label`` answers one PDF (the file itself, ``application/pdf``)
for at most 20 postings, a page per package.  One posting not ready fails the whole call
("The next postings aren't ready": Ozon gives labels once the posting awaits shipment,
``awaiting_deliver``, recommending 45–60 s after the packing), so a refused batch is asked
again one posting at a time, to tell the ready from the others.  The PDF of a batch is cut
into one PDF per posting when it has a page per posting; otherwise (a posting of several
packages) each posting of the batch is asked alone.

For a large batch printed at once, ``fetch_labels_file`` uses the asynchronous pair
``/v1/posting/fbs/package-label/create`` + ``/v1/posting/fbs/package-label/get``: a task, polled
until ``completed``, whose ``file_url`` (Ozon's CDN) is downloaded without the API's
credentials.
"""
import time
from urllib.parse import parse_qsl, urlsplit

from .. import labels_pdf
from ..labels import Label, LabelFetch, chunks, refusal_reason
from ..transport import ApiError, AuthError

LABEL_PATH = "/v2/posting/fbs/package-label"
TASK_CREATE_PATH = "/v1/posting/fbs/package-label/create"
TASK_GET_PATH = "/v1/posting/fbs/package-label/get"
#: postings a call of /v2/posting/fbs/package-label (documented)
MAX_LABELS = 20
#: postings a label task (ASSUMPTION: the method's page gives no maximum)
MAX_TASK_POSTINGS = 100
PDF = "application/pdf"


class OzonLabels:
    """Mixin of :class:`~.OzonAdapter`: ``fetch_labels`` and ``fetch_labels_file``."""

    label_batch_size = MAX_LABELS
    #: seconds between two polls of a label task, and how many polls at most
    label_poll_interval = 2.0
    label_max_polls = 30

    def _label_call(self, numbers):
        answer = self.transport.request("POST", LABEL_PATH, endpoint=LABEL_PATH,
                                        json_body={"posting_number": list(numbers)}, raw=True, accept=PDF)
        if answer.content_type != PDF or not answer.content.startswith(b"%PDF"):
            raise ApiError(f"Ozon {LABEL_PATH}: the answer is not a PDF ({answer.content_type})", 200)
        return answer.content

    def fetch_labels(self, refs):
        """Package labels of the postings ``refs`` (OrderRef or posting numbers) as a LabelFetch:
        one call per :attr:`label_batch_size` postings when all are ready."""
        result = LabelFetch()
        numbers = list(dict.fromkeys(str(getattr(ref, "external_id", ref)) for ref in refs))
        for batch in chunks(numbers, min(self.label_batch_size, MAX_LABELS)):
            try:
                data = self._label_call(batch)
            except AuthError:
                raise
            except ApiError as exc:
                if exc.retryable or exc.status not in (400, 404, 409):
                    raise
                if len(batch) == 1:
                    result.pending[batch[0]] = refusal_reason(exc)
                    continue
                result.merge(self.fetch_labels_one_by_one(batch))
                continue
            if len(batch) == 1:
                result.labels[batch[0]] = Label(batch[0], data, PDF)
                continue
            try:
                pages = labels_pdf.split_pdf(data)
            except labels_pdf.LabelFileError as exc:
                raise ApiError(f"Ozon {LABEL_PATH}: {exc}", 200) from None
            if len(pages) == len(batch):
                for number, page in zip(batch, pages):
                    result.labels[number] = Label(number, page, PDF)
            else:
                result.merge(self.fetch_labels_one_by_one(batch))
        return result

    def fetch_labels_one_by_one(self, numbers):
        result = LabelFetch()
        for number in numbers:
            try:
                result.labels[number] = Label(number, self._label_call([number]), PDF)
            except AuthError:
                raise
            except ApiError as exc:
                if exc.retryable or exc.status not in (400, 404, 409):
                    raise
                result.pending[number] = refusal_reason(exc)
        return result

    def fetch_labels_file(self, refs, sleep=time.sleep):
        """One PDF of the labels of many postings, made by Ozon as a task (create, poll, download):
        a list of PDF bytes, one per :data:`MAX_TASK_POSTINGS` postings.  A task that ends in
        error raises ApiError with Ozon's code (e.g. a posting not ready)."""
        numbers = list(dict.fromkeys(str(getattr(ref, "external_id", ref)) for ref in refs))
        files = []
        for batch in chunks(numbers, MAX_TASK_POSTINGS):
            answer = self._post(TASK_CREATE_PATH, {"posting_number": batch})
            task_id = ((answer or {}).get("result") or {}).get("task_id") if isinstance(answer, dict) else None
            if isinstance(task_id, bool) or not isinstance(task_id, int):
                raise self._shape_error(TASK_CREATE_PATH, "no task_id")
            for _ in range(self.label_max_polls):
                state = self._post(TASK_GET_PATH, {"task_id": task_id})
                state = (state or {}).get("result") if isinstance(state, dict) else None
                if not isinstance(state, dict):
                    raise self._shape_error(TASK_GET_PATH, "no result")
                status = state.get("status")
                if status == "completed":
                    files.append(self._download(str(state.get("file_url") or "")))
                    break
                if status == "error":
                    raise ApiError(f"Ozon label task {task_id}: {str(state.get('error') or 'error')[:200]}", 409)
                sleep(self.label_poll_interval)
            else:
                raise ApiError(f"Ozon label task {task_id}: not ready after {self.label_max_polls} polls", 0,
                               retryable=True)
        return files

    def _download(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self._shape_error(TASK_GET_PATH, "no usable file_url")
        base = f"{parts.scheme}://{parts.netloc}"
        # the query (a signed link) as parameters: the sync log keeps URLs without it
        answer = self.transport.request("GET", parts.path, endpoint="label file", base_url=base,
                                        params=dict(parse_qsl(parts.query)) or None, raw=True, auth=False)
        if not answer.content.startswith(b"%PDF"):
            raise ApiError("Ozon label file: not a PDF", 200)
        return answer.content
