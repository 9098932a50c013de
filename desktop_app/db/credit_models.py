"""Credit memos: a credit (refund, discount, warranty) for a customer or job, and where it is applied.

A credit memo's lines are priced like invoice lines and its totals come from the same
code (``domain.totals``). The unapplied remainder is derived (total − applications),
never stored, so it cannot drift; an invoice's balance counts the credits applied to it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop_app.db.base import Base, Timestamped, Versioned
from desktop_app.db.models import _LineColumns
from desktop_app.db.types import Fixed, Money, UTCDateTime


class CreditMemo(Versioned, Base):
    __tablename__ = "credit_memos"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: QuickBooks' RefNumber on a credit memo holds 11 characters.
    number: Mapped[str] = mapped_column(String(11), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    #: The job credited; None for a credit to the customer itself.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    credit_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(10))
    memo: Mapped[str] = mapped_column(String(4095), default="")
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Fixed(4), default=Decimal("0"))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str] = mapped_column(String(255), default="")

    lines: Mapped[list[CreditMemoLine]] = relationship(
        order_by="CreditMemoLine.position", cascade="all, delete-orphan"
    )
    applications: Mapped[list[CreditApplication]] = relationship(
        back_populates="credit_memo", cascade="all, delete-orphan", order_by="CreditApplication.id"
    )
    __table_args__ = (
        CheckConstraint("status in ('open', 'applied', 'void')", name="status"),
        CheckConstraint("reason in ('refund', 'discount', 'warranty')", name="reason"),
    )


class CreditMemoLine(_LineColumns, Base):
    __tablename__ = "credit_memo_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_memo_id: Mapped[int] = mapped_column(ForeignKey("credit_memos.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class CreditApplication(Timestamped, Base):
    """Part of a credit memo applied to one invoice (it lowers that invoice's balance)."""

    __tablename__ = "credit_applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_memo_id: Mapped[int] = mapped_column(ForeignKey("credit_memos.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    credit_memo: Mapped[CreditMemo] = relationship(back_populates="applications")
    __table_args__ = (
        UniqueConstraint("credit_memo_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )
