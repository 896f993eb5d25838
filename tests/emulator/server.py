"""A loopback HTTP emulator of the Wildberries, Ozon and Yandex Market seller APIs.

One server serves the three marketplaces under a prefix each::

    http://127.0.0.1:<port>/wildberries/api/v3/orders      (every WB API family)
    http://127.0.0.1:<port>/ozon/v4/posting/fbs/list
    http://127.0.0.1:<port>/yandex/v1/businesses/{id}/orders

so an account's base URL is ``emulator.base_url("ozon")``.  Each marketplace is an
``App`` (the packages ``wildberries/``, ``ozon/``, ``yandex/``: a module per capability)
that keeps its own state and answers its routes.  The core here does what is common: authentication, the
marketplace's own rate-limit answer, faults on demand (5xx, time-outs, malformed JSON,
truncated bodies), validation of every request and every answer against the official
spec (``specs.py``), and a record of everything it was sent.
"""
import json
import random
import re
import socket
import threading
import time
import weakref
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from openapi_core.testing import MockRequest, MockResponse

from . import specs
from .loopback import LoopbackServer

FAULT_KINDS = ("5xx", "ratelimit", "timeout", "malformed", "truncated")


class ValidationFailure(AssertionError):
    """A request or an answer that does not follow the marketplace's spec."""


@dataclass
class Reply:
    status: int = 200
    #: JSON, or bytes for a file (then ``headers`` carry its Content-Type)
    body: object = None
    headers: dict = field(default_factory=dict)
    #: set False for an answer the spec does not describe (e.g. a fault)
    validate: bool = True


@dataclass
class Recorded:
    marketplace: str
    method: str
    path: str
    template: str
    query: dict
    headers: dict
    body: object
    status: int = 0
    fault: str = ""
    at: float = 0.0


class Route:
    def __init__(self, method, template, handler, schema=None, response_schema=None):
        self.method = method.upper()
        self.template = template
        self.handler = handler
        # a JSON schema (jsonschema) for a path the spec file does not have yet
        self.schema = schema
        self.response_schema = response_schema
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.regex = re.compile("^" + pattern + "$")

    def validator(self, which):
        """A compiled jsonschema validator of the request or answer schema (made once)."""
        cached = getattr(self, f"_{which}_validator", None)
        if cached is None:
            import jsonschema

            schema = self.schema if which == "request" else self.response_schema
            cached = jsonschema.validators.validator_for(schema)(schema)
            setattr(self, f"_{which}_validator", cached)
        return cached

    def match(self, method, path):
        if method != self.method:
            return None
        m = self.regex.match(path)
        return m.groupdict() if m else None


class App:
    """Base of one marketplace's emulation.  Subclasses fill ``routes``."""

    name = ""
    #: the documented limit the emulator enforces: (requests, seconds); None = none
    rate_limit = None

    def __init__(self, emulator):
        self.emulator = emulator
        self.routes = []
        self.lock = threading.RLock()

    def add_route(self, method, template, handler, schema=None, response_schema=None):
        self.routes.append(Route(method, template, handler, schema, response_schema))

    def find_route(self, method, path):
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None, None

    # --- to be defined by each marketplace --------------------------------------
    def authenticate(self, headers):
        """Return None when the credentials are right, or the Reply refusing them."""
        raise NotImplementedError

    def rate_limited_reply(self):
        raise NotImplementedError

    def spec_set(self):
        return specs.LOADERS[self.name]()

    def spec_error_reply(self, route, message):
        """The marketplace's own 400 answer to a request that breaks its spec."""
        raise NotImplementedError

    def add_sized_cards(self, cards=None):
        """Variant groups (sizes of one model) after the catalogue (``data.sized_catalog``)."""
        raise NotImplementedError


class FaultPlan:
    """Faults on demand: a queue of forced faults and a random share of failures."""

    def __init__(self, seed=0):
        self.random = random.Random(seed)
        self.rate = 0.0
        self.kinds = ("5xx", "ratelimit", "timeout")
        self.marketplaces = None
        self.queue = defaultdict(deque)
        self.lock = threading.Lock()

    def set_rate(self, rate, kinds=("5xx", "ratelimit", "timeout"), marketplaces=None, seed=None):
        with self.lock:
            self.rate = rate
            self.kinds = tuple(kinds)
            self.marketplaces = set(marketplaces) if marketplaces else None
            if seed is not None:
                self.random = random.Random(seed)

    def force(self, marketplace, kind, count=1, path=None):
        assert kind in FAULT_KINDS, kind
        with self.lock:
            for _ in range(count):
                self.queue[marketplace].append((kind, path))

    def clear(self):
        with self.lock:
            self.rate = 0.0
            self.queue.clear()

    def draw(self, marketplace, path):
        with self.lock:
            queue = self.queue[marketplace]
            for i, (kind, only) in enumerate(queue):
                if only is None or only == path:
                    del queue[i]
                    return kind
            if self.rate and (self.marketplaces is None or marketplace in self.marketplaces):
                if self.random.random() < self.rate:
                    return self.random.choice(self.kinds)
        return None


class MarketplaceEmulator(LoopbackServer):
    """The emulator.  ``start()`` serves on 127.0.0.1 (a free port unless given).

    ``sized=True``: each marketplace's catalogue also holds the variant groups of
    ``data.sized_catalog()`` (WB cards with several sizes, Ozon / Yandex Market offers of one
    model), see ``sized_cards``.  Every emulator made is in :attr:`instances`, so that a test
    run can check each one's :meth:`violations`."""

    #: every emulator made (weakly held)
    instances = weakref.WeakSet()

    def __init__(self, host="127.0.0.1", port=0, seed=1, validate=True, timeout_delay=2.0, clock=time.monotonic,
                 sized=False):
        from .ozon import OzonApp
        from .wildberries import WildberriesApp
        from .yandex import YandexApp

        MarketplaceEmulator.instances.add(self)
        self.host = host
        self.port = port
        self.seed = seed
        self.validate = validate
        #: how long a "timeout" fault holds the connection before dropping it
        self.timeout_delay = timeout_delay
        self.random = random.Random(seed)
        self.faults = FaultPlan(seed)
        self.records = []
        self.validation_errors = []
        #: the clock of the rate-limit windows (a test may stop it: then every request
        #: falls in the same instant, whatever the speed of the machine)
        self.clock = clock
        #: requests over a marketplace's documented limit (answered with its 429/420)
        self.limit_violations = defaultdict(int)
        self._windows = defaultdict(deque)
        #: (marketplace, path template) -> functions that rewrite a successful answer's body
        self.response_hooks = defaultdict(list)
        self._records_lock = threading.Lock()
        self.apps = {}
        #: hosts that are not a marketplace's API but serve its files (Ozon's CDN of label
        #: files): an ``App`` each, under its own prefix, registered by the capability
        self.file_hosts = {}
        for cls in (WildberriesApp, OzonApp, YandexApp):
            app = cls(self)
            self.apps[app.name] = app
        self.wildberries = self.apps["wildberries"]
        self.ozon = self.apps["ozon"]
        self.yandex = self.apps["yandex"]
        #: the sized cards each marketplace was given (``sized=True``), by marketplace
        self.sized_cards = {}
        if sized:
            for name, app in self.apps.items():
                self.sized_cards[name] = app.add_sized_cards()

    # --- life cycle (see LoopbackServer) ---------------------------------------------
    def handler_class(self):
        return _Handler

    def base_url(self, marketplace):
        return f"{self.url}/{marketplace}"

    # --- hostile answers on demand ---------------------------------------------------
    def rewrite_responses(self, marketplace, template, function):
        """Pass every successful answer of ``template`` through ``function(body) -> body``
        (e.g. to slip malformed or hostile orders into a page).  Such answers are not
        validated against the spec: breaking it is their point."""
        self.response_hooks[(marketplace, template)].append(function)

    def clear_rewrites(self):
        self.response_hooks.clear()

    # --- records ----------------------------------------------------------------------
    def record(self, rec):
        with self._records_lock:
            self.records.append(rec)

    def requests_to(self, marketplace=None, template=None):
        with self._records_lock:
            return [
                r
                for r in self.records
                if (marketplace is None or r.marketplace == marketplace)
                and (template is None or r.template == template)
            ]

    def reset_records(self):
        with self._records_lock:
            self.records.clear()
            self.validation_errors.clear()
            self.limit_violations.clear()

    def violations(self):
        """Everything a test must not have caused, as sentences: requests that broke a spec
        (answered with the marketplace's 400), answers of the emulator that break it (a bug
        of the emulator), and requests over a documented limit (answered 429/420)."""
        with self._records_lock:
            found = list(self.validation_errors)
            found += [f"{mp}: {count} request(s) over the documented rate limit"
                      for mp, count in sorted(self.limit_violations.items()) if count]
        return found

    def clear_violations(self):
        with self._records_lock:
            self.validation_errors.clear()
            self.limit_violations.clear()

    # --- the documented limits ----------------------------------------------------
    def over_limit(self, app, key):
        if not app.rate_limit:
            return False
        count, seconds = app.rate_limit
        now = self.clock()
        with self._records_lock:
            window = self._windows[key]
            while window and window[0] <= now - seconds:
                window.popleft()
            if len(window) >= count:
                self.limit_violations[app.name] += 1
                return True
            window.append(now)
        return False


class _Handler(BaseHTTPRequestHandler):
    emulator = None
    protocol_version = "HTTP/1.1"
    # small answers on a kept-alive connection: no Nagle delay (40 ms a call otherwise)
    disable_nagle_algorithm = True

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

    def do_PATCH(self):
        self._handle("PATCH")

    # ---------------------------------------------------------------------------------
    def _handle(self, method):
        emu = self.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        segs = parts.path.split("/", 2)
        name = segs[1] if len(segs) > 1 else ""
        path = "/" + (segs[2] if len(segs) > 2 else "")
        query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()}
        if name == "_emulator":
            return self._control(method, path, raw)
        app = emu.apps.get(name) or emu.file_hosts.get(name)
        if app is None:
            return self._send(Reply(404, {"message": "unknown marketplace prefix"}))
        route, params = app.find_route(method, path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        rec = Recorded(name, method, path, route.template if route else "", query,
                       dict(self.headers.items()), body, at=time.monotonic())
        emu.record(rec)
        if route is None:
            rec.status = 404
            return self._send(Reply(404, {"title": "not found", "detail": path}))
        denied = app.authenticate(self.headers)
        if denied is not None:
            rec.status = denied.status
            return self._send(denied)
        if emu.over_limit(app, (name, self.headers.get("Authorization") or self.headers.get("Api-Key"))):
            reply = app.rate_limited_reply()
            rec.status, rec.fault = reply.status, "limit"
            return self._send(reply)
        fault = emu.faults.draw(name, route.template)
        if fault:
            rec.fault = fault
            return self._fault(app, fault, rec)
        if emu.validate:
            problem = self._validate_request(app, route, method, path, query, raw)
            if problem:
                # what the marketplace does: a 400 in its own words, nothing else happens
                reply = app.spec_error_reply(route, problem)
                rec.status, rec.fault = reply.status, "spec"
                return self._send(reply)
        try:
            with app.lock:
                reply = route.handler(params=params, query=query, body=body, headers=self.headers)
        except Exception as exc:  # a bug of the emulator: say so loudly
            emu.validation_errors.append(f"{method} {path}: handler crashed: {exc!r}")
            reply = Reply(500, {"message": f"emulator error: {exc}"}, validate=False)
        hooks = emu.response_hooks.get((name, route.template))
        if hooks and reply.status < 300:
            for hook in hooks:
                reply.body = hook(reply.body)
            reply.validate = False
        if emu.validate and reply.validate:
            self._validate_response(app, route, method, path, query, raw, reply)
        rec.status = reply.status
        return self._send(reply)

    def _fault(self, app, kind, rec):
        if kind == "5xx":
            status = self.emulator.random.choice([500, 502, 503])
            rec.status = status
            return self._send(Reply(status, {"message": "Internal Server Error"}, validate=False))
        if kind == "ratelimit":
            reply = app.rate_limited_reply()
            rec.status = reply.status
            return self._send(reply)
        if kind == "timeout":
            # Hold the connection longer than a client's read time-out, then drop it.
            time.sleep(self.emulator.timeout_delay)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if kind == "malformed":
            rec.status = 200
            return self._send_raw(200, b'{"orders": [ {"id": 1, ', "application/json")
        if kind == "truncated":
            rec.status = 200
            body = b'{"result": {"postings": [{"posting_number": "1'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 200))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        raise AssertionError(kind)

    # --- validation -----------------------------------------------------------------
    def _spec_request(self, app, route, method, path, query, raw):
        api, host = app.spec_set().find(route.template)
        if api is None:
            return None, None
        headers = {k: v for k, v in self.headers.items()}
        request = MockRequest(
            host, method.lower(), path, args=query, headers=headers,
            data=raw or None, content_type=self.headers.get("Content-Type", "application/json").split(";")[0],
        )
        return api, request

    def _validate_request(self, app, route, method, path, query, raw):
        """None when the request follows the spec, else the problem (also recorded)."""
        emu = self.emulator
        try:
            if route.schema is not None:
                route.validator("request").validate(json.loads(raw or b"null"))
                return None
            api, request = self._spec_request(app, route, method, path, query, raw)
            if api is None:
                emu.validation_errors.append(f"{method} {route.template}: not in the spec")
                return None
            api.validate_request(request)
        except Exception as exc:
            problem = _explain(exc)
            emu.validation_errors.append(f"request {method} {path}: {problem}")
            return problem
        return None

    def _validate_response(self, app, route, method, path, query, raw, reply):
        emu = self.emulator
        try:
            if route.schema is not None:
                if route.response_schema is not None and reply.status < 300:
                    route.validator("response").validate(_sample(reply.body))
                return
            api, request = self._spec_request(app, route, method, path, query, raw)
            if api is None:
                return
            if isinstance(reply.body, bytes):  # a file (a PDF label): as the spec declares it
                data, content_type = reply.body, reply.headers.get("Content-Type", "application/octet-stream")
            else:
                data = json.dumps(_sample(reply.body), ensure_ascii=False).encode() if reply.body is not None else b""
                content_type = "application/json"
            response = MockResponse(data, status_code=reply.status, headers=reply.headers,
                                    content_type=content_type)
            api.validate_response(request, response)
        except Exception as exc:
            emu.validation_errors.append(f"response {method} {path} {reply.status}: {_explain(exc)}")

    # --- sending ----------------------------------------------------------------------
    def _send(self, reply):
        if isinstance(reply.body, bytes):  # a file: its Content-Type is in the reply's headers
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, str(value))
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        data = b"" if reply.body is None else json.dumps(reply.body, ensure_ascii=False).encode()
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, str(value))
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _send_raw(self, status, data, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- control over HTTP (for the demo and tests in another process) ----------
    def _control(self, method, path, raw):
        emu = self.emulator
        body = json.loads(raw) if raw else {}
        if path == "/faults" and method == "POST":
            emu.faults.set_rate(body.get("rate", 0.0), body.get("kinds", ("5xx", "ratelimit", "timeout")),
                                body.get("marketplaces"), body.get("seed"))
            return self._send(Reply(200, {"ok": True}))
        if path == "/orders" and method == "POST":
            app = emu.apps[body["marketplace"]]
            created = app.add_orders(int(body.get("count", 1)), **body.get("options", {}))
            return self._send(Reply(200, {"created": len(created)}))
        if path == "/ship" and method == "POST":
            # the marketplace's carrier takes the order (what the seller's "ready to ship" waits for)
            app = emu.apps[body["marketplace"]]
            app.ship_order(str(body["external_id"]))
            return self._send(Reply(200, {"ok": True}, validate=False))
        if path == "/finance" and method == "POST":
            # the finance reports: settle orders, inject errors (each marketplace's finance module)
            app = emu.apps[body["marketplace"]]
            with app.lock:
                result = app.finance_control(body.get("action", ""), **body.get("options", {}))
            return self._send(Reply(200, result or {"ok": True}, validate=False))
        if path == "/records" and method == "GET":
            return self._send(Reply(200, {"count": len(emu.records),
                                          "validation_errors": emu.validation_errors[-50:],
                                          "violations": emu.violations()[-50:]}))
        return self._send(Reply(404, {"message": "unknown control path"}))


#: the items of a list an answer is validated on: the first ones and the last one (the rest
#: come from the same renderer); keeps a page of a 20,000-order backlog cheap to check
SAMPLE_ITEMS = 8


def _sample(body):
    """The answer to validate: lists longer than :data:`SAMPLE_ITEMS` (WB's new tasks, a
    backlog of thousands) are cut, so that validation stays cheap."""
    if isinstance(body, dict):
        return {k: _sample(v) if isinstance(v, (dict, list)) else v for k, v in body.items()}
    if isinstance(body, list):
        if len(body) > SAMPLE_ITEMS:
            body = body[:SAMPLE_ITEMS - 1] + body[-1:]
        return [_sample(item) for item in body]
    return body


def _explain(exc):
    parts = [f"{type(exc).__name__}: {exc}"]
    for attr in ("schema_errors", "__cause__"):
        inner = getattr(exc, attr, None)
        if inner:
            parts.append(str(inner)[:500])
    return " | ".join(parts)
