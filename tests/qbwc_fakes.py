"""Stand-ins for the sync engine and QuickBooks, for the transport's own tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from desktop_app.db.uow import Database
from desktop_app.domain.passwords import hash_password
from desktop_app.services.settings import set_setting

PASSWORD = "correct horse battery"
USER = "jobdesk"


def set_password(db: Database, password: str = PASSWORD) -> None:
    with db.uow() as uow:
        set_setting(uow, "qbwc.password_hash", hash_password(password))
        set_setting(uow, "qbwc.owner_id", "{11111111-2222-3333-4444-555555555555}")
        set_setting(uow, "qbwc.file_id", "{66666666-7777-8888-9999-000000000000}")
        uow.commit()


@dataclass
class FakeEngine:
    """Hands out ``batches`` requests, each answered by any response; records every call."""

    batches: int = 3
    padding: int = 0
    calls: list[tuple[str, ...]] = field(default_factory=list)
    sent: int = 0
    applied: int = 0
    fail_apply: Exception | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Where the session layer's bookkeeping (``also``) is written, as the real engine writes it.
    db: Database | None = None

    def _write(self, write: Any) -> None:
        assert self.db is not None, "the fake engine writes the session's bookkeeping: give it the database"
        with self.db.uow() as uow:
            write(uow)
            uow.commit()

    def has_work(self) -> bool:
        self.calls.append(("has_work",))
        return self.applied < self.batches

    def start_session(self, ticket: str) -> None:
        self.calls.append(("start_session", ticket))

    def next_request(self, ticket: str, qbxml_version: str = "13.0", *, also: Any = None) -> str:
        self.calls.append(("next_request", ticket, qbxml_version))
        if self.sent >= self.batches:
            return ""
        self.sent += 1
        memo = "x" * self.padding
        if also is not None:
            self._write(also)
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{qbxml_version}"?>\n'
            f'<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="{self.sent}">'
            f"<FullName>Smith &amp; Sons {memo}</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
        )

    def apply_response(self, ticket: str, response_xml: str, *, late: bool = False, also: Any = None) -> int:
        self.calls.append(("apply_response", ticket))
        if self.fail_apply is not None:
            raise self.fail_apply
        self.applied += 1
        percent = min(100, self.applied * 100 // self.batches)
        if also is not None:
            self._write(lambda uow: also(uow, percent))
        return percent

    def fail_batch(self, ticket: str, hresult: str, message: str) -> bool:
        self.calls.append(("fail_batch", ticket, hresult, message))
        return False  # as when QuickBooks itself cannot work: the session stops
        self.sent = self.applied

    def progress(self, ticket: str) -> int:
        return min(100, self.applied * 100 // max(1, self.batches))

    def end_session(self, ticket: str) -> None:
        self.calls.append(("end_session", ticket))
        self.sent = self.applied

    def close(self) -> None:
        self.calls.append(("close", ""))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


def host_company_response(
    company: str = "Practice Plumbing", versions: tuple[str, ...] = ("12.0", "13.0"), file_id: str = ""
) -> str:
    ext = (
        "<DataExtRet><OwnerID>{11111111-2222-3333-4444-555555555555}</OwnerID><DataExtName>FileID</DataExtName>"
        f"<DataExtType>STR255TYPE</DataExtType><DataExtValue>{file_id}</DataExtValue></DataExtRet>"
        if file_id
        else ""
    )
    supported = "".join(f"<SupportedQBXMLVersion>{v}</SupportedQBXMLVersion>" for v in versions)
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        '<HostQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"><HostRet>'
        "<ProductName>QuickBooks Pro 2024</ProductName>"
        "<MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion>"
        f"<Country>US</Country>{supported}</HostRet></HostQueryRs>"
        '<CompanyQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<CompanyRet>"
        f"<CompanyName>{company}</CompanyName>{ext}</CompanyRet></CompanyQueryRs>"
        "</QBXMLMsgsRs></QBXML>"
    )


class FakeQuickBooks:
    """Answers HostQuery/CompanyQuery and gives every other request a success status."""

    def __init__(
        self, company: str = "Practice Plumbing", versions: tuple[str, ...] = ("12.0", "13.0")
    ) -> None:
        self.company = company
        self.versions = versions
        self.requests: list[str] = []

    def process(self, request_xml: str) -> str:
        self.requests.append(request_xml)
        root = etree.fromstring(request_xml.split("?>", 2)[-1].encode())
        if root.find(".//HostQueryRq") is not None:
            return host_company_response(self.company, self.versions)
        parts = []
        msgs = root.find("QBXMLMsgsRq")
        for rq in msgs if msgs is not None else []:
            tag = str(rq.tag).removesuffix("Rq") + "Rs"
            parts.append(
                f'<{tag} requestID="{rq.get("requestID")}" statusCode="0" statusSeverity="Info" '
                'statusMessage="Status OK"/>'
            )
        return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{"".join(parts)}</QBXMLMsgsRs></QBXML>'
