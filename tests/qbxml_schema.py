"""Locating and compiling Intuit's qbXML schema for tests (compiled once per session).

The XSD is Intuit's and is never copied into the project: it is found through
``JOBDESK_QBXML_XSD`` (13.0) / ``JOBDESK_QBXML16_XSD`` or next to the repository in
``../shared/reference``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lxml import etree

REPO_ROOT = Path(__file__).resolve().parent.parent
_DEFAULTS = {
    "13.0": ("JOBDESK_QBXML_XSD", REPO_ROOT.parent / "shared/reference/qbxml-13.0/qbxmlops130.xsd"),
    "16.0": ("JOBDESK_QBXML16_XSD", REPO_ROOT.parent / "shared/reference/qbxml-16.0/qbxmlops160.xsd"),
}


def xsd_path(version: str = "13.0") -> Path | None:
    env, default = _DEFAULTS[version]
    path = Path(os.environ[env]) if os.environ.get(env) else default
    return path if path.is_file() else None


@functools.cache
def load_schema(version: str = "13.0") -> etree.XMLSchema | None:
    path = xsd_path(version)
    if path is None:
        return None
    return etree.XMLSchema(etree.parse(str(path)))


class QbxmlSchema:
    """A compiled schema with an assertion that reports the first error readably."""

    def __init__(self, schema: etree.XMLSchema, version: str) -> None:
        self.schema = schema
        self.version = version

    def validate(self, message: str | bytes) -> etree._Element:
        data = message.encode("utf-8") if isinstance(message, str) else message
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        if not self.schema.validate(root):
            errors = "; ".join(f"line {e.line}: {e.message}" for e in self.schema.error_log)
            raise AssertionError(f"not valid qbXML {self.version}: {errors}\n{data.decode('utf-8')[:3000]}")
        return root
