"""Small tools the framework-free tests share."""


class FakeClock:
    """A clock that moves only when something sleeps on it: rate limiters measured exactly."""

    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def set_at(path, value):
    """A mutation of a JSON payload: the value at ``path`` (keys and indexes) becomes ``value``."""
    def mutate(payload):
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def drop_at(path):
    """A mutation of a JSON payload: the key or item at ``path`` is removed."""
    def mutate(payload):
        target = payload
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


def clocked_emulator(clock, seed=8):
    """An emulator on ``clock`` (its limits counted on it), for a fixture to ``yield from``:
    stopped after the test, which must have made no request the specs or limits refuse."""
    from tests.emulator import MarketplaceEmulator

    emulator = MarketplaceEmulator(seed=seed, timeout_delay=1.0, clock=clock).start()
    yield emulator
    emulator.stop()
    assert not emulator.violations(), emulator.violations()


def clocked_adapter(emu, clock, marketplace, credentials, settings=None):
    """An adapter of ``marketplace`` against ``emu`` whose limiter, retries and paces wait on
    ``clock``."""
    from marketplace_connector.lib.base import make_adapter
    from marketplace_connector.lib.transport import RateLimiter

    limiter = RateLimiter(rate=20, burst=20, clock=clock, sleep=clock.sleep)
    return make_adapter(marketplace, credentials, settings or {}, base_url=emu.base_url(marketplace),
                        timeout=(2, 30), rate_limiter=limiter, sleep=clock.sleep, clock=clock)
