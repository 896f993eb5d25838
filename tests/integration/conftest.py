"""Tier 2 fails on any request that broke a marketplace's spec or went over a documented
limit during a test: the emulators record both (``MarketplaceEmulator.violations()``).

A test that sends such requests on purpose opts out, by the class or instance attribute
``allow_emulator_violations = True`` or the marker ``@pytest.mark.emulator_violations``."""
import pytest

from tests.emulator import MarketplaceEmulator


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator_violations: the test breaks the marketplaces' specs on purpose")


def _allowed(request):
    if request.node.get_closest_marker("emulator_violations"):
        return True
    owner = request.instance if request.instance is not None else request.cls
    return bool(getattr(owner, "allow_emulator_violations", False))


@pytest.fixture(autouse=True)
def no_emulator_violations(request):
    yield
    found = []
    for emulator in list(MarketplaceEmulator.instances):
        found += emulator.violations()
        emulator.clear_violations()
    if found and not _allowed(request):
        pytest.fail("the marketplace emulators recorded violations during the test:\n  "
                    + "\n  ".join(v[:500] for v in found[:20]), pytrace=False)
