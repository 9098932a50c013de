"""The kinds of record that travel to QuickBooks: one entry each, read by everything in the core.

Each ``RecordKind`` says what the core needs to know of a kind: its model, how a person
names a record of it, where its queue items go in sending order (per action), whether it
is a QuickBooks list (a name) or a transaction, and which of its records "send everything
pending" queues. The queue service (``sync_queue``), the sync centre and the audit log
read this table; the engine's half of a kind (how its requests are built and its answers
read) is ``qbwc_server.sync.kinds``, which checks at start-up that it covers exactly the
kinds listed here, so a kind can never fall through silently on either side.

A new kind is one entry here plus one engine module (and its model, builders and screen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Customer, Invoice, Item, Job, Payment, PaymentApplication, TaxRate, Terms
from desktop_app.errors import ValidationError

#: Imports and payment pulls: queue items with no record of their own.
IMPORT = "import"


@dataclass(frozen=True)
class RecordKind:
    name: str
    model: type[Any]
    #: What a person calls one and several ("invoice", "invoices").
    singular: str
    plural: str
    #: How a person recognises one record ("Invoice 1003", "Customer Smith, Ann").
    describe: Callable[[Any], str]
    #: Sending order per action: lists before the transactions that use them, a customer
    #: before its jobs, invoices before the payments applied to them.
    ranks: Mapping[str, int]
    #: A QuickBooks list record (found by name) rather than a transaction.
    is_list: bool
    #: The records "send everything pending" queues (None: only what needs them queues them).
    pending: Callable[[Session], Iterable[int]] | None = None
    #: People may ask for one of these to be sent ("Send to QuickBooks").
    sendable: bool = True
    #: A record "Send to QuickBooks" passes over: nothing of it is to go (a void invoice
    #: QuickBooks never had, a deleted payment). Given the record and whether it is linked.
    nothing_to_send: Callable[[Any, bool], bool] | None = None
    #: Records that go along when one is sent, if not in QuickBooks or on their way: a
    #: payment must never stay behind its invoice (nothing else would send it later).
    goes_with: Callable[[Session, int], Iterable[tuple[str, int]]] | None = None
    #: The kind whose void undoes one of these in QuickBooks too (a credit applied: the
    #: credit memo's void, before which the $0.00 payment applying it is deleted); "" if none.
    undone_by_void_of: str = ""
    #: What a refused lookup's alert of one of these adds when that void waits on it.
    void_waits_note: str = ""
    #: The kind's name on screens that list several kinds (the audit log's filter).
    title: str = ""
    actions: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.undone_by_void_of and not self.void_waits_note:
            # A person dismissing the lookup that void waits on must be told what it gives up.
            raise ValueError(f"{self.name}: undone_by_void_of needs its void_waits_note")
        object.__setattr__(self, "actions", tuple(self.ranks))
        if not self.title:
            object.__setattr__(self, "title", self.singular.capitalize())

    def rank(self, action: str) -> int:
        try:
            return self.ranks[action]
        except KeyError:
            raise ValidationError(
                "action", f"{self.plural.capitalize()} cannot be sent to QuickBooks that way ({action})."
            ) from None


def _ids(query: Any) -> Callable[[Session], Iterable[int]]:
    return lambda session: session.scalars(query)


def _payments_of_invoice(session: Session, invoice_id: int) -> Iterable[tuple[str, int]]:
    """The live payments applied to an invoice, oldest first."""
    payment_ids = session.scalars(
        select(PaymentApplication.payment_id)
        .join(Payment, Payment.id == PaymentApplication.payment_id)
        .where(PaymentApplication.invoice_id == invoice_id, Payment.deleted_at.is_(None))
        .distinct()
    )
    return [("payment", payment_id) for payment_id in sorted(payment_ids)]


def _void_and_never_sent(record: Any, linked: bool) -> bool:
    return bool(record.status == "void" and not linked)


_KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    if kind.name in _KINDS or kind.name == IMPORT:
        raise ValueError(f"the record kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


register(
    RecordKind(
        "terms",
        Terms,
        "terms",
        "terms",
        lambda t: f"Terms {t.name}",
        {"upsert": 10},
        is_list=True,
        title="Terms",
    )
)
register(
    RecordKind(
        "tax_item",
        TaxRate,
        "sales-tax item",
        "sales-tax items",
        lambda t: f"Sales tax {t.name} ({format(t.rate.normalize(), 'f')}%)",
        {"upsert": 15},
        is_list=True,
    )
)
register(
    RecordKind(
        "item",
        Item,
        "item",
        "items",
        lambda i: f"Item {i.name}",
        {"upsert": 20},
        is_list=True,
        pending=_ids(select(Item.id).where(Item.active.is_(True)).order_by(Item.id)),
        title="Price-book item",
    )
)
register(
    RecordKind(
        "customer",
        Customer,
        "customer",
        "customers",
        lambda c: f"Customer {c.display_name}",
        {"upsert": 30},
        is_list=True,
        # Only customers with work: a name in the address book is not a QuickBooks customer yet.
        pending=_ids(
            select(Customer.id)
            .where(Customer.id.in_(select(Job.customer_id)) | Customer.id.in_(select(Invoice.customer_id)))
            .order_by(Customer.id)
        ),
    )
)
register(
    RecordKind(
        "job",
        Job,
        "job",
        "jobs",
        lambda j: f"Job {j.number} {j.name}",
        {"upsert": 40},
        is_list=True,
        pending=_ids(select(Job.id).order_by(Job.id)),
    )
)
register(
    RecordKind(
        "invoice",
        Invoice,
        "invoice",
        "invoices",
        lambda i: f"Invoice {i.number}",
        {"upsert": 50, "void": 55, "delete_duplicate": 56},
        is_list=False,
        pending=_ids(select(Invoice.id).where(Invoice.status != "void").order_by(Invoice.id)),
        nothing_to_send=_void_and_never_sent,
        goes_with=_payments_of_invoice,
    )
)
register(
    RecordKind(
        "payment",
        Payment,
        "payment",
        "payments",
        lambda p: f"Payment of ${p.amount:,.2f} on {p.received_on:%m/%d/%Y}",
        # A deletion only frees what the payment paid: before the invoice voids (55) and the
        # credits applied (59) that may need that room in QuickBooks.
        {"upsert": 60, "delete": 54, "delete_duplicate": 66},
        is_list=False,
        pending=_ids(select(Payment.id).where(Payment.deleted_at.is_(None)).order_by(Payment.id)),
        nothing_to_send=lambda payment, _linked: payment.deleted_at is not None,
    )
)

register(
    RecordKind(
        "credit_memo",
        CreditMemo,
        "credit memo",
        "credit memos",
        lambda c: f"Credit memo {c.number}",
        {"upsert": 57, "void": 58},
        is_list=False,
        pending=_ids(select(CreditMemo.id).where(CreditMemo.status != "void").order_by(CreditMemo.id)),
        nothing_to_send=_void_and_never_sent,
    )
)
register(
    RecordKind(
        "credit_application",
        CreditMemo,
        "credit applied",
        "credits applied",
        lambda c: f"Credit memo {c.number} applied to invoices",
        # After the credit memo and the invoices it is applied to; before payments.
        {"upsert": 59},
        is_list=False,
        sendable=False,
        undone_by_void_of="credit_memo",
        void_waits_note=(
            "The credit memo's void waits for this lookup; dismissed, the void goes without deleting "
            "the $0.00 payment that applied the credit (delete that payment in QuickBooks yourself if "
            "it is there)."
        ),
        title="Credit applied",
    )
)

#: Every kind, in sending order of their first action (read-only).
KINDS: Mapping[str, RecordKind] = MappingProxyType(_KINDS)
#: Rank of imports (first) and of pulling payments entered in QuickBooks (after our own).
IMPORT_RANK = 0
PULL_RANK = 70


def kind_of(name: str) -> RecordKind:
    """The kind; a typed error naming it when there is no such kind."""
    try:
        return _KINDS[name]
    except KeyError:
        raise ValidationError("entity_type", f"{name} records cannot be sent to QuickBooks.") from None


def in_sending_order() -> tuple[RecordKind, ...]:
    return tuple(sorted(_KINDS.values(), key=lambda kind: min(kind.ranks.values())))


def list_kinds() -> frozenset[str]:
    return frozenset(name for name, kind in _KINDS.items() if kind.is_list)


def describe(session: Session, name: str, record_id: int | None) -> str:
    """How a person recognises a record; "<Kind> #id" when it no longer exists."""
    if record_id is None:
        return name.replace("_", " ").capitalize()
    kind = _KINDS.get(name)
    if kind is None:
        return f"{name} #{record_id}"
    record = session.get(kind.model, record_id)
    return kind.describe(record) if record is not None else f"{kind.singular.capitalize()} #{record_id}"
