"""Load the marketplaces' official OpenAPI specs (``../shared/specs``) for validation.

Every request the emulator receives, and every answer it gives, is checked against these
files with openapi-core.  Where a marketplace is newer than its spec file (Ozon's v4 FBS
lists), the emulator module supplies its own schema; see ``extra_schemas`` in each app.
"""
import json
import os
import threading
from functools import lru_cache
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI

REPO_ROOT = Path(__file__).resolve().parents[2]

#: the host each spec file declares for its paths (Ozon's file declares none)
OZON_HOST = "https://api-seller.ozon.ru"
YANDEX_HOST = "https://api.partner.market.yandex.ru"

_lock = threading.Lock()


def specs_dir():
    """The folder of the official specs: ``$MARKETPLACE_SPECS`` or ``../shared/specs``."""
    env = os.environ.get("MARKETPLACE_SPECS")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "specs", REPO_ROOT / "shared" / "specs"]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        "The marketplaces' OpenAPI specs were not found: put them in ../shared/specs "
        "or set MARKETPLACE_SPECS"
    )


class SpecSet:
    """Specs of one marketplace: finds the file and the host that declare a path."""

    def __init__(self, apis):
        # apis: list of (OpenAPI, {path_template: host})
        self.apis = apis

    def find(self, template):
        for api, paths in self.apis:
            if template in paths:
                return api, paths[template]
        return None, None


def _wb_paths(data):
    result = {}
    for template, item in (data.get("paths") or {}).items():
        servers = item.get("servers") or data.get("servers") or [{"url": "https://example"}]
        result[template] = servers[0]["url"].rstrip("/")
    return result


@lru_cache(maxsize=None)
def wildberries():
    apis = []
    with _lock:
        for path in sorted(specs_dir().joinpath("wildberries").glob("*.yaml")):
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
            apis.append((OpenAPI.from_dict(data), _wb_paths(data)))
    return SpecSet(apis)


@lru_cache(maxsize=None)
def ozon():
    with _lock:
        path = specs_dir() / "ozon" / "ozon-seller-swagger.json"
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        # The file declares no server; 22 operations carry "description": null, which fails
        # openapi-core's strict check of the spec itself, so that check is off.
        data["servers"] = [{"url": OZON_HOST}]
        api = OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))
    return SpecSet([(api, {t: OZON_HOST for t in data["paths"]})])


@lru_cache(maxsize=None)
def yandex():
    with _lock:
        path = specs_dir() / "yandex-market" / "ym-partner-api.bundled.yaml"
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        api = OpenAPI.from_dict(data)
    return SpecSet([(api, {t: YANDEX_HOST for t in data["paths"]})])


LOADERS = {"wildberries": wildberries, "ozon": ozon, "yandex": yandex}
