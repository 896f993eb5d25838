"""Make the addons' plain-Python ``lib`` packages importable without Odoo.

``import marketplace_connector`` would run the addon's ``__init__`` (which imports the Odoo
models); the framework-free tests and benchmarks only need ``marketplace_connector.lib``,
so each addon is registered as a bare package whose ``__init__`` is not run.
"""
import sys
import types
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ADDONS = ("marketplace_connector", "marketplace_edo", "marketplace_analytics")


def register():
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    for name in ADDONS:
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(REPO_ROOT / name)]
            sys.modules[name] = module
