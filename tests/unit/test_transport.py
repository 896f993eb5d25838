"""The shared HTTP transport: retries, backoff, rate-limit hints, secrets scrubbed."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from marketplace_connector.lib import transport as tr
from tests.emulator import MarketplaceEmulator


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_token_bucket_never_exceeds_rate():
    clock = _Clock()
    limiter = tr.RateLimiter(rate=5, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(22):
        limiter.acquire()
    # 2 at once, then 20 more at 5 a second
    assert clock.now == pytest.approx(4.0)


def test_retry_delay_reads_each_marketplace_hint():
    rng = __import__("random").Random(1)
    wb = requests.Response()
    wb.headers["X-Ratelimit-Retry"] = "7"
    assert tr.retry_delay(wb, 1, 1.0, 60.0, rng) == 7.0
    ym = requests.Response()
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
    ym.headers["X-RateLimit-Resource-Until"] = (now + timedelta(seconds=12)).isoformat()
    assert tr.retry_delay(ym, 1, 1.0, 60.0, rng, now=now) == pytest.approx(12.0)
    ym.headers["X-RateLimit-Resource-Until"] = "Sun, 22 Nov 2026 12:00:30 GMT"
    assert tr.retry_delay(ym, 1, 1.0, 60.0, rng, now=now) == pytest.approx(30.0)
    ozon = requests.Response()  # no hint: exponential backoff with jitter, capped
    delays = [tr.retry_delay(ozon, n, 1.0, 10.0, rng) for n in range(1, 7)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(d <= 10.0 for d in delays)


@pytest.fixture(scope="module")
def emulator():
    emu = MarketplaceEmulator(seed=3, timeout_delay=1.0).start()
    yield emu
    emu.stop()


def _transport(emulator, calls, sleeps, **kw):
    return tr.Transport(
        emulator.url, {"Authorization": "top-secret-token"}, timeout=(1.0, 0.5),
        sleep=sleeps.append, on_call=calls.append, backoff_base=0.01, **kw)


def test_unknown_path_is_not_retried_and_secret_is_scrubbed(emulator):
    calls, sleeps = [], []
    t = _transport(emulator, calls, sleeps)
    with pytest.raises(tr.ApiError) as err:
        t.request("GET", "/nowhere/at/all")
    assert err.value.status == 404
    assert len(calls) == 1 and calls[0].attempts == 1 and calls[0].status == 404
    assert "top-secret-token" not in t.scrub("x top-secret-token y")
    assert sleeps == []


def test_gives_up_after_max_attempts_and_says_so(emulator):
    calls, sleeps = [], []
    t = tr.Transport("http://127.0.0.1:9", {}, timeout=(0.2, 0.2), sleep=sleeps.append,
                     on_call=calls.append, max_attempts=3, backoff_base=0.01)
    with pytest.raises(tr.ApiError) as err:
        t.request("GET", "/ping")
    assert "after 3 attempts" in err.value.message
    assert calls[0].attempts == 3 and len(sleeps) == 2
    assert calls[0].error.startswith("connection failed")

