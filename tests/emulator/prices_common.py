"""What the three emulations of the price APIs share: a sliding window for a limit of their own
(the price methods have limits apart from the account's), counted as a violation when broken."""
from collections import deque


class PriceWindow:
    """At most ``count`` calls (or items) in ``seconds`` on the emulator's clock."""

    def __init__(self, emulator, name, count, seconds):
        self.emulator = emulator
        self.name = name
        self.count = count
        self.seconds = seconds
        self.window = deque()

    def take(self, amount=1):
        """True when ``amount`` more fit; else the breach is recorded and False."""
        now = self.emulator.clock()
        while self.window and self.window[0] <= now - self.seconds:
            self.window.popleft()
        if len(self.window) + amount > self.count:
            with self.emulator._records_lock:
                self.emulator.limit_violations[self.name] += 1
            return False
        self.window.extend([now] * amount)
        return True

    def clear(self):
        self.window.clear()
