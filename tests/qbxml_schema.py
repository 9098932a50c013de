"""Locating Intuit's qbXML schema and annotated samples for tests (read once per process).

Intuit's files are never copied into the project: they are found through
``JOBDESK_QBXML_REFERENCE`` (the folder), ``JOBDESK_QBXML_XSD`` (13.0; its folder's
parent is the reference folder) / ``JOBDESK_QBXML16_XSD``, or next to the repository in
``../shared/reference`` (the simulator's own locator, ``reference_rules.reference_dir``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from lxml import etree

from qbwc_server.simulator.reference_rules import QbdRules, load_reference_rules, reference_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_REFERENCE = REPO_ROOT.parent / "shared/reference"
_DEFAULTS = {
    "13.0": ("JOBDESK_QBXML_XSD", Path("qbxml-13.0/qbxmlops130.xsd")),
    "16.0": ("JOBDESK_QBXML16_XSD", Path("qbxml-16.0/qbxmlops160.xsd")),
}


def xsd_path(version: str = "13.0") -> Path | None:
    env, relative = _DEFAULTS[version]
    if os.environ.get(env):
        path = Path(os.environ[env])
    else:
        path = (reference_dir() or _DEFAULT_REFERENCE) / relative
    return path if path.is_file() else None


def reference_rules() -> QbdRules:
    """The rules read from Intuit's annotated samples and XSD, or skip the test saying why."""
    found = reference_dir()
    if found is None:
        pytest.skip(
            "Intuit's qbXML reference (qbxmlops130-annotated-samples.xml) not found: set "
            "JOBDESK_QBXML_REFERENCE to its folder or provide ../shared/reference"
        )
    return load_reference_rules(found)


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
