"""Invoice numbers QuickBooks has that are not (or no longer) ours: imported or seen by the sync.

QuickBooks lets two invoices share a RefNumber, so JobDesk keeps clear of every number
QuickBooks is known to hold; job and invoice numbering consult this table
(``services.numbering``), and the sync's imports fill it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base
from desktop_app.db.types import UTCDateTime, utcnow

#: QuickBooks' invoice RefNumber holds at most 11 characters.
REF_LENGTH = 11


class QuickBooksInvoiceRef(Base):
    __tablename__ = "quickbooks_invoice_refs"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref_number: Mapped[str] = mapped_column(String(REF_LENGTH), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
