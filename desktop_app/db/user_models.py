"""The people who sign in to JobDesk, and the failed sign-ins that slow guessing down.

Logins are unique case-insensitively through the normalised ``login_key`` column (the
same trick the business records use), which works alike on SQLite and PostgreSQL.
Passwords are kept only as salted scrypt hashes (see ``desktop_app.domain.passwords``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, Versioned
from desktop_app.db.types import UTCDateTime, utcnow

ROLE_ADMIN = "admin"
ROLE_OFFICE = "office"
ROLES = (ROLE_ADMIN, ROLE_OFFICE)


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60))
    login_key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(10), default=ROLE_OFFICE)
    password_hash: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (CheckConstraint("role in ('admin', 'office')", name="role"),)


class SignInFailure(Base):
    """A refused sign-in; the recent ones for a login decide how long the next must wait.

    Kept per login key (whether or not such a user exists), so the delay does not tell
    anyone which logins are real. A successful sign-in clears the login's rows.
    """

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    login_key: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (Index("ix_sign_in_failures_login_at", "login_key", "at"),)
