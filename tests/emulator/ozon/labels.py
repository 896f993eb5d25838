"""Package labels of FBS / rFBS postings (:class:`OzonLabels`).

* ``POST /v2/posting/fbs/package-label`` — the labels of at most 20 postings as one PDF
  (the spec's description: "В одном запросе можно передать не больше 20 идентификаторов";
  more is refused with Ozon's 400).  The answer is the PDF file itself, ``Content-Type:
  application/pdf``: the spec file declares that media type with an object schema
  (``file_content``, ``file_name``...), which is not what the API sends, so the answer is not
  validated against it (the request is).  A posting not yet awaiting shipment
  (``awaiting_deliver``) fails the whole call: "If at least one posting errs, labels are not
  prepared for all", answered ``400 {"code": 9, "message": "The next postings aren't ready:
  ..."}``; an unknown posting (or an FBO one) is ``404``.
* ``POST /v1/posting/fbs/package-label/create`` + ``POST /v1/posting/fbs/package-label/get``
  — the asynchronous form for large batches: a task (``result.task_id``), ``pending`` then
  ``completed`` with a ``file_url`` on Ozon's CDN (here the ``ozon-cdn`` prefix of the
  emulator, a host without the API's credentials: a request carrying them is recorded as a
  violation).  ASSUMPTION: the method's page does not give a maximum; the emulator takes
  at most 100 postings a task.  A posting not ready makes the task end in ``error``.

One page per package; a posting has one package unless :attr:`label_pages` says more.
Test-facing: :attr:`served_labels` [(posting numbers, the PDF bytes served)],
:attr:`label_pages` {posting number: pages}.
"""
import hashlib
import itertools

from .. import label_files
from ..server import App, Reply
from .core import _error

MAX_LABELS = 20
MAX_TASK_POSTINGS = 100
LABEL_STATUSES = ("awaiting_deliver",)
CDN_PATH = "/s3/sc-temporary/{name}"


class OzonLabels:
    """Mixin of :class:`~.OzonApp`: the package-label routes."""

    def install_labels(self):
        self.served_labels = []
        self.label_pages = {}
        self.label_tasks = {}
        #: how many ``get`` calls a task answers ``in_progress`` before it is ready
        self.label_task_polls = 1
        self._task_seq = itertools.count(5819327210249)
        self.add_post_routes({
            "/v2/posting/fbs/package-label": self._package_label,
            "/v1/posting/fbs/package-label/create": self._label_task_create,
            "/v1/posting/fbs/package-label/get": self._label_task_get,
        })
        cdn = OzonCdnApp(self.emulator, self)
        self.emulator.file_hosts.setdefault(cdn.name, cdn)

    def label_pdf(self, numbers):
        pages = []
        for number in numbers:
            count = self.label_pages.get(number, 1)
            pages += [f"{number}" if count == 1 else f"{number} {i + 1}/{count}" for i in range(count)]
        return label_files.pdf(pages, label_files.PAGE_SIZES["OZON"], title="Ozon package labels")

    def _label_problem(self, numbers):
        """None, or the Reply refusing labels for ``numbers``."""
        missing = [n for n in numbers if n not in self.orders or self.orders[n]["scheme"] == "fbo"]
        if missing:
            return _error(404, 5, f"postings not found: {', '.join(missing[:20])}")
        waiting = [n for n in numbers if self.orders[n]["status"] not in LABEL_STATUSES]
        if waiting:
            return _error(400, 9, f"The next postings aren't ready: {', '.join(waiting[:20])}")
        return None

    def _package_label(self, params, query, body, headers):
        numbers = [str(n) for n in (body or {}).get("posting_number") or ()]
        if not numbers:
            return _error(400, 3, "posting_number: at least one posting")
        if len(numbers) > MAX_LABELS:
            return _error(400, 3, f"posting_number: at most {MAX_LABELS} postings in one request")
        problem = self._label_problem(numbers)
        if problem:
            return problem
        data = self.label_pdf(numbers)
        self.served_labels.append((tuple(numbers), data))
        return Reply(200, data, headers={"Content-Type": "application/pdf",
                                         "Content-Disposition": 'attachment; filename="ticket.pdf"'},
                     validate=False)

    def _label_task_create(self, params, query, body, headers):
        numbers = [str(n) for n in (body or {}).get("posting_number") or ()]
        if not numbers:
            return _error(400, 3, "posting_number: at least one posting")
        if len(numbers) > MAX_TASK_POSTINGS:
            return _error(400, 3, f"posting_number: at most {MAX_TASK_POSTINGS} postings in one task")
        problem = self._label_problem(numbers)
        if problem is not None and problem.status == 404:
            return problem
        task_id = next(self._task_seq)
        self.label_tasks[task_id] = {"numbers": numbers, "polls": 0, "error": problem is not None, "file": None}
        return Reply(200, {"result": {"task_id": task_id}})

    def _label_task_get(self, params, query, body, headers):
        task = self.label_tasks.get(int((body or {}).get("task_id") or 0))
        if task is None:
            return _error(404, 5, "task not found")
        task["polls"] += 1
        if task["error"]:
            return Reply(200, {"result": {"status": "error", "error": "POSTINGS_NOT_READY", "file_url": ""}})
        if task["polls"] <= self.label_task_polls:
            return Reply(200, {"result": {"status": "in_progress", "error": "", "file_url": ""}})
        if task["file"] is None:
            data = self.label_pdf(task["numbers"])
            name = hashlib.md5(data).hexdigest() + ".pdf"
            task["file"] = name
            self.cdn_files[name] = data
            self.served_labels.append((tuple(task["numbers"]), data))
        url = self.emulator.base_url(OzonCdnApp.name) + CDN_PATH.format(name=task["file"])
        return Reply(200, {"result": {"status": "completed", "error": "", "file_url": url}})

    @property
    def cdn_files(self):
        return self.emulator.file_hosts[OzonCdnApp.name].files


class OzonCdnApp(App):
    """Ozon's CDN (``cdn1.ozone.ru``) where the files of label tasks are: no credentials."""

    name = "ozon-cdn"
    rate_limit = None

    def __init__(self, emulator, ozon):
        super().__init__(emulator)
        self.ozon = ozon
        self.files = {}
        # a file route the specs do not describe: an empty JSON schema (no body) for the request
        self.add_route("GET", CDN_PATH, self._file, schema={})

    def authenticate(self, headers):
        if headers.get("Api-Key") or headers.get("Client-Id"):
            self.emulator.validation_errors.append("ozon-cdn: the API credentials were sent to the CDN")
        return None

    def spec_error_reply(self, route, message):
        return Reply(400, {"message": message})

    def _file(self, params, query, body, headers):
        data = self.files.get(params["name"])
        if data is None:
            return Reply(404, {"message": "NoSuchKey"}, validate=False)
        return Reply(200, data, headers={"Content-Type": "application/pdf"}, validate=False)
