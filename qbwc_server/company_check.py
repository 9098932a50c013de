"""The company check at the start of a Web Connector session (the first sendRequestXML).

The Web Connector brings QuickBooks' HostQuery/CompanyQuery answers (``strHCPResponse``);
when it brings none, JobDesk asks itself with a hello request first. The session goes on
only with a qbXML version JobDesk speaks and the company file this JobDesk is bound to.
"""

from __future__ import annotations

import logging
from datetime import datetime

from desktop_app.db.qbwc_models import WC_FAILED, WcSession
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import JobDeskError
from desktop_app.services.settings import get_setting
from qbwc_server.binding import binding_mismatch, get_binding
from qbwc_server.host import MINIMUM_QBXML, HostInfo, choose_qbxml_version, hello_request, read_host_info

log = logging.getLogger(__name__)


def hello(
    uow: UnitOfWork,
    row: WcSession,
    hcp: str,
    company_file: str,
    country: str,
    version: tuple[int, int],
    now: datetime,
) -> str | None:
    """Read the host/company answers and check the company; None when sync may begin.

    Returns "" (refused: getLastError explains) or our own hello request when the Web
    Connector sent no HostQuery/CompanyQuery results.
    """
    owner_id = str(get_setting(uow, "qbwc.owner_id"))
    if company_file:
        row.company_file = company_file[:1000]
    row.country = (country or "")[:8]
    info = HostInfo()
    if hcp.strip():
        try:
            info = read_host_info(hcp, owner_id)
        except JobDeskError as exc:
            log.warning("unreadable strHCPResponse: %s", exc)
    if not info.company_name and not row.hello_pending:
        # No usable HostQuery/CompanyQuery from the Web Connector: ask ourselves.
        row.hello_pending = True
        row.request_sent_at = now
        row.qbxml_version = "13.0"
        return hello_request(owner_id)
    return accept_host(uow, row, info, *version)


def accept_host(uow: UnitOfWork, row: WcSession, info: HostInfo, major: int, minor: int) -> str | None:
    """Check the company QuickBooks has open and choose the qbXML version; None when sync may
    begin, "" when refused (the session failed; getLastError explains)."""
    row.host_product = info.product[:255]
    row.company_name = info.company_name[:255]
    row.company_file_id = info.file_id[:40]
    version = choose_qbxml_version(major, minor, info.supported_versions)
    if version is None:
        offered = ", ".join(info.supported_versions) or f"{major}.{minor}"
        row.state = WC_FAILED
        row.last_error = (
            f"This QuickBooks ({info.product or 'unknown version'}) understands qbXML {offered}; "
            f"JobDesk needs qbXML {MINIMUM_QBXML[0]}.{MINIMUM_QBXML[1]} or later (QuickBooks "
            "Desktop 2014 or newer). Update QuickBooks, then sync again. Nothing was sent."
        )
        return ""
    refusal = binding_mismatch(get_binding(uow), row.company_name, row.company_file, row.company_file_id)
    if refusal:
        row.state = WC_FAILED
        row.last_error = refusal
        log.warning("refused company file %r (%r)", row.company_file, row.company_name)
        return ""
    row.qbxml_version = version
    row.hello_done = True
    row.hello_pending = False
    return None
