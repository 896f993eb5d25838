"""HTTP for the marketplace clients: time-outs, retries with backoff, rate limits, a call log.

A :class:`Transport` belongs to one account.  It holds one ``requests.Session``, the
account's auth headers, and calls ``on_call(CallInfo)`` once per logical call (after its
retries) so that the Odoo side can write the sync log.  Secrets never leave it: they are
not in ``CallInfo`` and are scrubbed from any error text.

Each marketplace answers "too many requests" its own way, and each is obeyed:
Wildberries 429 + ``X-Ratelimit-Retry`` (seconds), Yandex Market **420** +
``X-RateLimit-Resource-Until`` (a date), Ozon 429 without a hint (exponential backoff).
"""
import email.utils
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import requests

DEFAULT_TIMEOUT = (5.0, 30.0)
RETRY_STATUSES = {420, 429, 500, 502, 503, 504}


class ApiError(Exception):
    """A call that failed for good.  ``status`` is the last HTTP status (0: no answer)."""

    def __init__(self, message, status=0, retryable=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        #: the decoded JSON of a 4xx answer (per-item errors: WB's 409 of a stock update)
        self.body = None


class AuthError(ApiError):
    """The marketplace refused the credentials (401/403)."""


@dataclass
class CallInfo:
    method: str
    endpoint: str  # the path template, e.g. /api/v3/orders
    url: str  # without query string
    status: int
    duration_ms: int
    attempts: int
    error: str = ""
    waited_s: float = 0.0  # time spent waiting on backoff / rate limits


@dataclass(frozen=True)
class RawAnswer:
    """A successful answer taken as it came (``request(..., raw=True)``): a file, not JSON."""

    content: bytes
    content_type: str  # the media type, without parameters: application/pdf, image/png...


class RateLimiter:
    """A token bucket: at most ``rate`` calls a second on average, ``burst`` at once."""

    def __init__(self, rate, burst=1, clock=time.monotonic, sleep=time.sleep):
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.sleep = sleep
        self.stamp = clock()
        self.lock = threading.Lock()

    def acquire(self):
        """Take a token, sleeping as needed; returns the seconds waited."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            wait = (1 - self.tokens) / self.rate
            self.tokens = 0.0
            self.stamp = now + wait
        self.sleep(wait)
        return wait


def retry_delay(response, attempt, backoff_base, backoff_cap, rng, now=None):
    """Seconds to wait before the next attempt, from the answer's hint or the backoff."""
    if response is not None:
        headers = response.headers
        hint = headers.get("X-Ratelimit-Retry") or headers.get("Retry-After")
        if hint:
            try:
                return min(max(float(hint), 0.0), backoff_cap)
            except ValueError:
                pass
        until = headers.get("X-RateLimit-Resource-Until")
        if until:
            moment = _parse_http_date(until)
            if moment is not None:
                now = now or datetime.now(timezone.utc)
                return min(max((moment - now).total_seconds(), 0.0), backoff_cap)
    delay = min(backoff_cap, backoff_base * (2 ** (attempt - 1)))
    return delay * (0.5 + rng.random() / 2)  # jitter: half to full


def _parse_http_date(value):
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


class Transport:
    def __init__(
        self,
        base_url,
        auth_headers,
        *,
        session=None,
        timeout=DEFAULT_TIMEOUT,
        max_attempts=6,
        backoff_base=1.0,
        backoff_cap=60.0,
        rate_limiter=None,
        sleep=time.sleep,
        clock=time.monotonic,
        now=None,
        on_call=None,
        seed=None,
    ):
        self.base_url = base_url.rstrip("/")
        self.auth_headers = dict(auth_headers)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rate_limiter = rate_limiter
        self.sleep = sleep
        self.clock = clock
        self.now = now
        self.on_call = on_call
        self.rng = random.Random(seed)
        self._secrets = [v for v in self.auth_headers.values() if v and len(str(v)) >= 4]

    def scrub(self, message):
        """The text with every credential replaced by ***."""
        message = str(message)
        for secret in self._secrets:
            message = message.replace(str(secret), "***")
        return message

    def request(self, method, path, *, endpoint=None, params=None, json_body=None, base_url=None,
                raw=False, accept=None, auth=True):
        """Call the API and return the decoded JSON (None for an empty body).

        Retries connection errors, time-outs, 5xx, rate-limit answers and malformed JSON
        up to ``max_attempts`` times; raises :class:`AuthError` or :class:`ApiError`.

        ``raw=True``: a file is expected (a PDF label, a PNG): a successful answer is returned
        as :class:`RawAnswer` (bytes and media type), never decoded; an empty one is retried as
        a malformed answer.  Errors are read as with JSON.  ``accept``: the ``Accept`` header.
        ``auth=False``: the account's headers are not sent (a file on a CDN host given by the
        marketplace: the credentials are for the API only).
        """
        url = (base_url or self.base_url).rstrip("/") + path
        headers = dict(self.auth_headers) if auth else {}
        if accept:
            headers["Accept"] = accept
        endpoint = endpoint or path
        started = self.clock()
        waited = 0.0
        status = 0
        error = ""
        attempt = 0
        try:
            while True:
                attempt += 1
                if self.rate_limiter is not None:
                    waited += self.rate_limiter.acquire()
                response = None
                try:
                    response = self.session.request(
                        method, url, params=params, json=json_body,
                        headers=headers, timeout=self.timeout,
                    )
                    status = response.status_code
                    if status in (401, 403):
                        error = f"HTTP {status}: the marketplace refused the credentials"
                        raise AuthError(error, status)
                    if status in RETRY_STATUSES:
                        error = f"HTTP {status}: {self.scrub(response.text[:300])}"
                        retryable = True
                    elif status >= 400:
                        error = f"HTTP {status}: {self.scrub(response.text[:500])}"
                        refused = ApiError(error, status)
                        try:
                            refused.body = response.json() if response.content else None
                        except ValueError:
                            refused.body = None
                        raise refused
                    elif raw:
                        content = response.content
                        # a file cut short (the length is of the body as sent: not when compressed)
                        declared = response.headers.get("Content-Length")
                        if response.headers.get("Content-Encoding", "identity") != "identity":
                            declared = None
                        if content and declared and declared.isdigit() and int(declared) != len(content):
                            error = f"HTTP {status}: a truncated file ({len(content)} of {declared} bytes)"
                            retryable = True
                        elif content:
                            error = ""
                            kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                            return RawAnswer(content, kind or "application/octet-stream")
                        else:
                            error = f"HTTP {status}: an empty answer where a file was expected"
                            retryable = True
                    else:
                        try:
                            data = response.json() if response.content else None
                        except (ValueError, requests.exceptions.ChunkedEncodingError):
                            error = f"HTTP {status}: malformed JSON in the answer"
                            retryable = True
                        else:
                            error = ""
                            return data
                except (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError) as exc:
                    status = 0
                    kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
                    error = f"{kind}: {self.scrub(type(exc).__name__)}"
                    retryable = True
                if not retryable or attempt >= self.max_attempts:
                    raise ApiError(f"{error} (after {attempt} attempts)", status, retryable=True)
                delay = retry_delay(response, attempt, self.backoff_base, self.backoff_cap, self.rng,
                                    now=self.now() if self.now else None)
                waited += delay
                self.sleep(delay)
        finally:
            if self.on_call is not None:
                self.on_call(CallInfo(
                    method=method, endpoint=endpoint, url=url, status=status,
                    duration_ms=int((self.clock() - started) * 1000), attempts=attempt,
                    error=self.scrub(error), waited_s=round(waited, 3),
                ))


def dumps(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
