"""Web Connector sessions and failed logins (the SOAP server's own state).

A session row outlives the server process, so a ticket stays valid across a restart of
the app; what was sent to QuickBooks is tracked by the sync engine's own tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base
from desktop_app.db.types import UTCDateTime, utcnow

#: Session states. ``active`` sessions count for "busy"; the others are finished.
WC_ACTIVE = "active"
WC_CLOSED = "closed"
WC_NO_WORK = "none"
WC_FAILED = "failed"
WC_ABANDONED = "abandoned"
WC_STATES = (WC_ACTIVE, WC_CLOSED, WC_NO_WORK, WC_FAILED, WC_ABANDONED)


class WcSession(Base):
    """One Web Connector update session, from authenticate to closeConnection."""

    __tablename__ = "wc_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(64), unique=True)
    user_name: Mapped[str] = mapped_column(String(60))
    client_version: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(12), default=WC_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When we last handed QuickBooks a request that has not been answered yet.
    request_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: True once HostQuery/CompanyQuery were read and the company file was accepted.
    hello_done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: True while our own HostQuery/CompanyQuery request is out (when the Web Connector
    #: did not send strHCPResponse).
    hello_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    company_file: Mapped[str] = mapped_column(String(1000), default="")
    company_name: Mapped[str] = mapped_column(String(255), default="")
    company_file_id: Mapped[str] = mapped_column(String(40), default="")
    host_product: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str] = mapped_column(String(8), default="")
    qbxml_version: Mapped[str] = mapped_column(String(8), default="")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    round_trips: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_wc_sessions_state_last_seen", "state", "last_seen_at"),)


class WcLoginFailure(Base):
    """A refused authenticate call; recent rows rate-limit further attempts."""

    __tablename__ = "wc_login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
