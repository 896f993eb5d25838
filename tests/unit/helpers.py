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
