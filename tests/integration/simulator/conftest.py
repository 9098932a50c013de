from __future__ import annotations

import pytest

from qbwc_server.simulator import QuickBooksCompany
from tests.qbxml_schema import QbxmlSchema, load_schema, xsd_path


@pytest.fixture(scope="session")
def qbxml13() -> QbxmlSchema:
    schema = load_schema("13.0")
    if schema is None:
        pytest.skip("qbXML 13.0 XSD not found: set JOBDESK_QBXML_XSD or provide ../shared/reference")
    return QbxmlSchema(schema, "13.0")


@pytest.fixture(scope="session")
def qbxml16() -> QbxmlSchema:
    schema = load_schema("16.0")
    if schema is None:
        pytest.skip(f"qbXML 16.0 XSD not found (looked for {xsd_path('16.0')}): set JOBDESK_QBXML16_XSD")
    return QbxmlSchema(schema, "16.0")


@pytest.fixture
def company(qbxml13: QbxmlSchema) -> QuickBooksCompany:
    """A new company whose every request and response is validated against the 13.0 XSD."""
    return QuickBooksCompany(validator=qbxml13)
