"""Validation of УПД files against the official XSD of the tax service (ФНС).

Where the schemas are read from, in this order:

1. ``$EDO_XSD_DIR``: an override for the whole process (CI, a server's environment);
2. the folder an installation names (in Odoo: the administrator's setting
   ``marketplace_edo.xsd_dir``), passed as ``setting``;
3. only when ``fallback`` is true (the framework-free tests and the benchmarks):
   ``../shared/edo/xsd`` next to the repository root.

A folder that is named (1 or 2) but does not exist is an error, never a silent skip.  The
compiled schema is cached per process, per file (its path and modification time), so
changing the folder or replacing a file is picked up.  The official files are declared
windows-1251; copies re-declared UTF-8 exist too: both are read.

Only the XSD is checked here.  The conditional rules of the format (the schematron asserts
embedded in the XSD, which an XSD validator ignores) are enforced by ``upd.check_document``
before a file is built.
"""
from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from typing import List, Optional

from lxml import etree

REPO_ROOT = Path(__file__).resolve().parents[2]

#: format version → XSD file name (seller's title)
SCHEMAS = {
    "5.03": "ON_NSCHFDOPPR_1_997_01_05_03_05.xsd",
    "5.02": "ON_NSCHFDOPPR_1_997_01_05_02_01.xsd",
    "5.01": "ON_NSCHFDOPPR_1_997_01_05_01_03.xsd",
}
#: the environment variable that overrides any setting
ENV_VAR = "EDO_XSD_DIR"

_lock = threading.Lock()
_cache = {}

_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)[\"'][^>]*\?>")


def configured_dir(setting: Optional[str] = None) -> Optional[Path]:
    """The folder named by ``$EDO_XSD_DIR``, else by ``setting``; None when neither is set.
    Whether it exists is not checked here (see :func:`xsd_dir`)."""
    for value in (os.environ.get(ENV_VAR), setting):
        value = (value or "").strip()
        if value:
            return Path(value).expanduser()
    return None


@functools.lru_cache(maxsize=None)
def repository_dir() -> Optional[Path]:
    """``../shared/edo/xsd`` next to the repository (development checkouts), if present."""
    for path in (REPO_ROOT.parent / "shared" / "edo" / "xsd", REPO_ROOT / "shared" / "edo" / "xsd"):
        if path.is_dir():
            return path
    return None


def xsd_dir(setting: Optional[str] = None, *, fallback: bool = True) -> Path:
    """The folder of the XSD files (see the module's docstring for the order).

    Raises FileNotFoundError when a named folder does not exist, or when none is named and
    there is no fallback."""
    folder = configured_dir(setting)
    if folder is not None:
        if not folder.is_dir():
            source = ENV_VAR if os.environ.get(ENV_VAR, "").strip() else "настройках"
            raise FileNotFoundError(f"Папка схем XSD ФНС «{folder}» (указана в {source}) не найдена")
        return folder
    if fallback:
        folder = repository_dir()
        if folder is not None:
            return folder
    raise FileNotFoundError(
        f"Папка схем XSD ФНС не указана: задайте её в настройках или в переменной {ENV_VAR}")


def schema_path(version: str = "5.03", folder: Optional[Path] = None) -> Path:
    """The XSD file of ``version`` in ``folder`` (default :func:`xsd_dir`); raises
    FileNotFoundError when it is not there."""
    try:
        name = SCHEMAS[version]
    except KeyError:
        raise ValueError(f"Нет схемы XSD для версии формата {version!r}: есть {', '.join(SCHEMAS)}") from None
    folder = Path(folder) if folder is not None else xsd_dir()
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"Нет файла схемы {name} в папке {folder}")
    return path


def _as_utf8(data: bytes) -> bytes:
    """The XML text re-encoded as UTF-8 with its declaration fixed (whatever it declared)."""
    match = _DECL.match(data)
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding.replace("_", "-") in ("utf-8", "utf8"):
        return data
    text = data.decode(encoding)
    body = text[match.end():] if match else text
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body.encode("utf-8")


def schema(version: str = "5.03", folder: Optional[Path] = None) -> etree.XMLSchema:
    """The compiled schema of ``version`` from ``folder`` (default :func:`xsd_dir`), compiled
    once per process and file (again when the file changes)."""
    folder = str(folder) if folder is not None else str(xsd_dir())
    key = (folder, version)
    try:
        stamp = os.stat(os.path.join(folder, SCHEMAS[version])).st_mtime_ns
    except (KeyError, OSError):
        schema_path(version, Path(folder))  # the error that says what is missing
        raise
    with _lock:
        entry = _cache.get(key)
        if entry is None or entry[0] != stamp:
            path = schema_path(version, Path(folder))
            raw = _as_utf8(path.read_bytes())
            try:
                doc = etree.fromstring(raw, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
                entry = (stamp, etree.XMLSchema(doc))
            except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
                raise ValueError(f"Файл схемы {path} не читается как XSD: {exc}") from None
            _cache[key] = entry
        return entry[1]


_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def validate(xml_bytes: bytes, version: str = "5.03", folder: Optional[Path] = None) -> List[str]:
    """Errors of ``xml_bytes`` against the XSD of ``version`` (from ``folder``, default
    :func:`xsd_dir`); an empty list when valid.

    Each message is ``"строка N: <libxml2 message>"``.  A document that is not well-formed XML
    gives one message.
    """
    compiled = schema(version, folder)
    try:
        doc = etree.fromstring(xml_bytes, _parser)
    except etree.XMLSyntaxError as exc:
        return [f"Файл не является корректным XML: {exc}"]
    with _lock:
        if compiled.validate(doc):
            return []
        return [f"строка {e.line}: {e.message}" for e in compiled.error_log]
