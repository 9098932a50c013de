"""Connecting JobDesk to an office's existing QuickBooks company: the wizard's state, step by step.

The wizard (Sync centre → Connect, admin only) goes through

1. ``bind``      the Web Connector opens the company file once; JobDesk binds to it;
2. ``import``    QuickBooks' lists and the invoice numbers it uses are read (iterators);
3. ``review``    near matches between its records and ours are decided by a person;
4. ``numbering`` JobDesk's next numbers are moved clear of QuickBooks' numbers;
5. ``mapping``   accounts, the generic item, tax items, terms, payment methods are chosen;
6. ``preview``   what the first sync will do, record by record; then Send.

From ``start_connection`` until ``send_first_sync``, ``connection.writes_held`` keeps every
record of ours out of QuickBooks (the planner sends imports only), so nothing is written to
the company before the admin has seen the preview. Every step is stored as it is reached:
closing the app half way loses nothing, and the wizard opens where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.quickbooks_refs import QuickBooksInvoiceRef
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import InvalidTransition, ValidationError
from desktop_app.services.common import audit, require_admin
from desktop_app.services.queue_states import NEEDS_ATTENTION, QueueState
from desktop_app.services.settings import get_setting, set_setting
from desktop_app.services.sync_center import ACTION_LABEL, FIRST_RUN_IMPORTS, wake_waiting
from desktop_app.services.sync_queue import enqueue

STEPS: tuple[str, ...] = ("bind", "import", "review", "numbering", "mapping", "preview")
STEP_LABEL = {
    "bind": "Company file",
    "import": "Import from QuickBooks",
    "review": "Review matches",
    "numbering": "Invoice numbers",
    "mapping": "Accounts and items",
    "preview": "Preview and send",
}
#: What the import read, kind by kind, in words (singular, plural).
KIND_WORDS = {
    "customer": ("customer", "customers"),
    "job": ("job", "jobs"),
    "vendor": ("vendor", "vendors"),
    "employee": ("employee", "employees"),
    "other_name": ("other name", "other names"),
    "item": ("item", "items"),
    "account": ("account", "accounts"),
    "terms": ("terms", "terms"),
    "payment_method": ("payment method", "payment methods"),
    "sales_tax_code": ("sales-tax code", "sales-tax codes"),
}


def _counted(kind: str, count: int) -> str:
    return f"{count:,} {KIND_WORDS.get(kind, (kind, kind))[count != 1]}"


@dataclass(frozen=True)
class ImportStep:
    action: str
    label: str
    #: not_started, waiting, running, done, failed (needs attention); not a queue state
    status: str
    note: str


@dataclass(frozen=True)
class ImportProgress:
    steps: tuple[ImportStep, ...]
    #: Records read so far, per kind (``KIND_WORDS``), and the invoice numbers.
    counts: tuple[tuple[str, int], ...]
    invoice_numbers: int

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.status == "done")

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        return bool(self.steps) and all(step.status == "done" for step in self.steps)

    @property
    def failed(self) -> tuple[ImportStep, ...]:
        return tuple(step for step in self.steps if step.status == "failed")

    def counts_text(self) -> str:
        parts = [_counted(kind, count) for kind, count in self.counts if count]
        if self.invoice_numbers:
            parts.append(f"{self.invoice_numbers:,} invoice numbers")
        return ", ".join(parts) if parts else "Nothing read yet."


@dataclass(frozen=True)
class ConnectionState:
    #: "" (never started), one of STEPS, or "done"
    step: str
    writes_held: bool
    bound_company: str
    bound_path: str
    started_at: str
    sent_at: str
    undecided: int

    @property
    def in_progress(self) -> bool:
        return self.step in STEPS

    @property
    def bound(self) -> bool:
        return bool(self.bound_company or self.bound_path)


def connection_state(uow: UnitOfWork) -> ConnectionState:
    return ConnectionState(
        step=str(get_setting(uow, "connection.step")),
        writes_held=bool(get_setting(uow, "connection.writes_held")),
        bound_company=str(get_setting(uow, "qbwc.bound_company_name")),
        bound_path=str(get_setting(uow, "qbwc.bound_company_path")),
        started_at=str(get_setting(uow, "connection.started_at")),
        sent_at=str(get_setting(uow, "connection.sent_at")),
        undecided=undecided_matches(uow),
    )


def undecided_matches(uow: UnitOfWork) -> int:
    undecided = select(func.count()).select_from(MatchProposal).where(MatchProposal.decision == "")
    return int(uow.session.scalar(undecided) or 0)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def start_connection(uow: UnitOfWork) -> ConnectionState:
    """Begin (or continue) connecting: from now until Send, only imports reach QuickBooks."""
    require_admin(uow, "connect JobDesk to a QuickBooks company")
    state = connection_state(uow)
    if state.in_progress:
        return state  # resumed where it stopped
    set_setting(uow, "connection.writes_held", True)
    set_setting(uow, "connection.started_at", _now_text())
    set_setting(uow, "connection.sent_at", "")
    set_setting(uow, "connection.step", "import" if state.bound else "bind")
    audit(uow, "sync_resolution", "connection", None, summary="Connecting to a QuickBooks company started")
    return connection_state(uow)


def go_to_step(uow: UnitOfWork, step: str) -> ConnectionState:
    """Move the wizard to a step (back at any time; forward only once what it needs is there)."""
    require_admin(uow, "connect JobDesk to a QuickBooks company")
    if step not in STEPS:
        raise ValidationError("step", f"There is no step “{step}” in connecting to QuickBooks.")
    state = connection_state(uow)
    if not state.in_progress:
        raise InvalidTransition("Start connecting to QuickBooks first (Sync centre → Connect).")
    target = STEPS.index(step)
    if target > STEPS.index("bind") and not state.bound:
        raise InvalidTransition(
            "JobDesk is not bound to a company file yet: run the Web Connector once with the "
            "company open in QuickBooks, then continue."
        )
    if target > STEPS.index("import"):
        progress = import_progress(uow)
        if not progress.finished:
            raise InvalidTransition(
                f"The import from QuickBooks has finished {progress.done} of {progress.total} lists; "
                "let the Web Connector finish it (Sync now), then continue."
            )
    if step == state.step:
        return state
    set_setting(uow, "connection.step", step)
    return connection_state(uow)


def start_import(uow: UnitOfWork) -> ImportProgress:
    """Queue every import of the connection (again, to pick up what QuickBooks gained since)."""
    require_admin(uow, "import from QuickBooks")
    for action in FIRST_RUN_IMPORTS:
        enqueue(uow, "import", None, action, urgent=True)
    audit(uow, "sync_resolution", "import", None, summary="Import from QuickBooks queued")
    return import_progress(uow)


def import_progress(uow: UnitOfWork) -> ImportProgress:
    """Each import's state (from its newest queue item) and what the import has read so far."""
    session = uow.session
    newest: dict[str, SyncItem] = {}
    for queued in session.scalars(
        select(SyncItem)
        .where(SyncItem.entity_type == "import", SyncItem.action.in_(FIRST_RUN_IMPORTS))
        .order_by(SyncItem.id)
    ):
        newest[queued.action] = queued
    steps = []
    for action in FIRST_RUN_IMPORTS:
        item = newest.get(action)
        steps.append(
            ImportStep(
                action=action,
                label=ACTION_LABEL.get(action, action),
                status=_import_status(item),
                note="" if item is None else item.note,
            )
        )
    counts: dict[str, int] = {
        kind: int(count)
        for kind, count in session.execute(
            select(QuickBooksListRecord.kind, func.count()).group_by(QuickBooksListRecord.kind)
        )
    }
    numbers = session.scalar(select(func.count()).select_from(QuickBooksInvoiceRef)) or 0
    return ImportProgress(
        steps=tuple(steps),
        counts=tuple((kind, int(counts.get(kind, 0))) for kind in KIND_WORDS),
        invoice_numbers=int(numbers),
    )


def _import_status(item: SyncItem | None) -> str:
    if item is None:
        return "not_started"
    if item.state == QueueState.DONE:
        return "done"
    if item.state in NEEDS_ATTENTION or item.state == QueueState.CANCELLED:
        return "failed"
    if item.state == QueueState.SENT or item.iterator_id:
        return "running"
    return "waiting"


def send_first_sync(uow: UnitOfWork) -> ConnectionState:
    """The admin has seen the preview: let the next sync write to QuickBooks."""
    require_admin(uow, "send the first sync to QuickBooks")
    state = connection_state(uow)
    if not state.in_progress:
        raise InvalidTransition("There is no connection to QuickBooks in progress.")
    if not import_progress(uow).finished:
        raise InvalidTransition("The import from QuickBooks has not finished; nothing can be sent before it.")
    if state.undecided:
        raise InvalidTransition(
            f"{state.undecided} possible match{'es' if state.undecided != 1 else ''} with QuickBooks "
            "records still need a decision (Review matches); nothing is sent before that."
        )
    set_setting(uow, "connection.writes_held", False)
    set_setting(uow, "connection.sent_at", _now_text())
    set_setting(uow, "connection.step", "done")
    set_setting(uow, "sync.import_done", True)
    wake_waiting(uow)  # records held back while connecting go at the next session
    audit(uow, "sync_resolution", "connection", None, summary="First sync to the QuickBooks company released")
    return connection_state(uow)


def abandon_connection(uow: UnitOfWork) -> ConnectionState:
    """Stop connecting: the wizard closes and the sync goes back to what it did before it began.

    What the import read and the decisions taken are kept (a later connection starts from
    them); undecided matches keep their records of ours out of QuickBooks.
    """
    require_admin(uow, "stop connecting to QuickBooks")
    state = connection_state(uow)
    if not state.in_progress:
        return state
    set_setting(uow, "connection.writes_held", False)
    set_setting(uow, "connection.step", "")
    audit(uow, "sync_resolution", "connection", None, summary="Connecting to a QuickBooks company stopped")
    return connection_state(uow)
