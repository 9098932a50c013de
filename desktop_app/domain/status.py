"""Statuses and kinds of records, and the transitions users may make between them."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class BidStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


class InvoiceKind(StrEnum):
    STANDARD = "standard"
    DEPOSIT = "deposit"
    PROGRESS = "progress"
    SEGMENT = "segment"


class CreditStatus(StrEnum):
    """A credit memo is Open while some of it is left to apply, Applied when none is."""

    OPEN = "open"
    APPLIED = "applied"
    VOID = "void"


class CreditReason(StrEnum):
    REFUND = "refund"
    DISCOUNT = "discount"
    WARRANTY = "warranty"


class ItemKind(StrEnum):
    SERVICE = "service"
    MATERIAL = "material"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CHECK = "check"
    CARD = "card"
    ACH = "ach"
    OTHER = "other"


class TermsKind(StrEnum):
    UPON_RECEIPT = "upon_receipt"
    UPON_START = "upon_start"
    UPON_COMPLETION = "upon_completion"
    NET_DAYS = "net_days"
    FIXED_DATE = "fixed_date"


JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.OPEN: frozenset({JobStatus.SCHEDULED, JobStatus.IN_PROGRESS, JobStatus.CANCELLED}),
    JobStatus.SCHEDULED: frozenset({JobStatus.OPEN, JobStatus.IN_PROGRESS, JobStatus.CANCELLED}),
    JobStatus.IN_PROGRESS: frozenset({JobStatus.FINISHED, JobStatus.CANCELLED}),
    JobStatus.FINISHED: frozenset({JobStatus.IN_PROGRESS}),
    JobStatus.CANCELLED: frozenset({JobStatus.OPEN}),
}

BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.DRAFT: frozenset({BidStatus.SENT, BidStatus.ACCEPTED, BidStatus.DECLINED}),
    BidStatus.SENT: frozenset({BidStatus.ACCEPTED, BidStatus.DECLINED, BidStatus.DRAFT}),
    BidStatus.ACCEPTED: frozenset(),
    BidStatus.DECLINED: frozenset({BidStatus.DRAFT}),
}

LABELS: dict[str, str] = {
    "open": "Open",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "finished": "Finished",
    "cancelled": "Cancelled",
    "draft": "Draft",
    "sent": "Sent",
    "accepted": "Accepted",
    "declined": "Declined",
    "paid": "Paid",
    "void": "Void",
    "applied": "Applied",
    "refund": "Refund",
    "discount": "Discount",
    "warranty": "Warranty credit",
}


def label(value: str) -> str:
    """A status as a person reads it."""
    return LABELS.get(value, value.replace("_", " ").capitalize())
