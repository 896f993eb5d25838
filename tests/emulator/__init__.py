"""The marketplace emulator used by the tests, the benchmarks and the demo."""
from .server import MarketplaceEmulator, Reply  # noqa: F401
