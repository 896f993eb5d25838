"""Validation of УПД files against the official XSD of the tax service (ФНС).

The schemas are read from ``$EDO_XSD_DIR`` or, by default, ``../shared/edo/xsd`` next to the
repository root, once per process (cached).  The official files are declared windows-1251;
copies re-declared UTF-8 exist too: both are read.

Only the XSD is checked here.  The conditional rules of the format (the schematron asserts
embedded in the XSD, which an XSD validator ignores) are enforced by ``upd.check_document``
before a file is built.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import List

from lxml import etree

REPO_ROOT = Path(__file__).resolve().parents[2]

#: format version → XSD file name (seller's title)
SCHEMAS = {
    "5.03": "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd",
    "5.02": "ON_NSCHFDOPPR_1_997_01_05_02_01.xsd",
    "5.01": "ON_NSCHFDOPPR_1_997_01_05_01_03.xsd",
}

_lock = threading.Lock()
_cache = {}

_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)[\"'][^>]*\?>")


def xsd_dir() -> Path:
    """The folder of the XSD files: ``$EDO_XSD_DIR`` or ``../shared/edo/xsd``."""
    env = os.environ.get("EDO_XSD_DIR")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "edo" / "xsd", REPO_ROOT / "shared" / "edo" / "xsd"]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        "Схемы XSD ФНС не найдены: положите их в ../shared/edo/xsd или укажите EDO_XSD_DIR"
    )


def _as_utf8(data: bytes) -> bytes:
    """The XML text re-encoded as UTF-8 with its declaration fixed (whatever it declared)."""
    match = _DECL.match(data)
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding.replace("_", "-") in ("utf-8", "utf8"):
        return data
    text = data.decode(encoding)
    body = text[match.end():] if match else text
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body.encode("utf-8")


def schema(version: str = "5.03") -> etree.XMLSchema:
    """The compiled schema of ``version`` (loaded once per process)."""
    try:
        name = SCHEMAS[version]
    except KeyError:
        raise ValueError(f"Нет схемы XSD для версии формата {version!r}: есть {', '.join(SCHEMAS)}") from None
    with _lock:
        compiled = _cache.get(version)
        if compiled is None:
            path = xsd_dir() / name
            if not path.is_file():
                raise FileNotFoundError(f"Нет файла схемы {name} в {xsd_dir()}")
            raw = _as_utf8(path.read_bytes())
            doc = etree.fromstring(raw, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
            compiled = etree.XMLSchema(doc)
            _cache[version] = compiled
        return compiled


_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def validate(xml_bytes: bytes, version: str = "5.03") -> List[str]:
    """Errors of ``xml_bytes`` against the XSD of ``version``; an empty list when valid.

    Each message is ``"строка N: <libxml2 message>"``.  A document that is not well-formed XML
    gives one message.
    """
    compiled = schema(version)
    try:
        doc = etree.fromstring(xml_bytes, _parser)
    except etree.XMLSyntaxError as exc:
        return [f"Файл не является корректным XML: {exc}"]
    with _lock:
        if compiled.validate(doc):
            return []
        return [f"строка {e.line}: {e.message}" for e in compiled.error_log]
