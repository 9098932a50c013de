"""The engine's registry of sync kinds: one module per kind, each a ``SyncKind``.

Everything in the engine that depends on the kind of record (building requests, what
must go first, what prefetch loads, how a lookup's answer is read) asks ``of(name)``.
``check_registry`` runs when an engine starts: the kinds here must be exactly the core's
``record_kinds`` (plus imports), so a kind added on one side only stops the start-up with
a message saying which, instead of falling through silently at the first sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from desktop_app.errors import JobDeskError
from desktop_app.services import record_kinds
from qbwc_server.sync.kinds.base import CannotBuild, Dep, NothingToSend, SyncKind
from qbwc_server.sync.kinds.credit_memo import CreditApplicationKind, CreditMemoKind
from qbwc_server.sync.kinds.customer import CustomerKind
from qbwc_server.sync.kinds.imports import ImportKind
from qbwc_server.sync.kinds.invoice import InvoiceKind
from qbwc_server.sync.kinds.item import ItemKind
from qbwc_server.sync.kinds.job import JobKind
from qbwc_server.sync.kinds.payment import PaymentKind
from qbwc_server.sync.kinds.tax_item import TaxItemKind
from qbwc_server.sync.kinds.terms import TermsKind

__all__ = ["CannotBuild", "Dep", "NothingToSend", "SyncKind", "check_registry", "of", "registered"]


class RegistryError(JobDeskError):
    """The engine and the core disagree on the kinds of record there are (a program error)."""


_REGISTRY: dict[str, SyncKind] = {}


def register(kind: SyncKind) -> SyncKind:
    if kind.name in _REGISTRY:
        raise RegistryError(f"The sync kind “{kind.name}” is registered twice.")
    _REGISTRY[kind.name] = kind
    return kind


for _kind in (
    CustomerKind(),
    JobKind(),
    ItemKind(),
    TermsKind(),
    TaxItemKind(),
    InvoiceKind(),
    PaymentKind(),
    CreditMemoKind(),
    CreditApplicationKind(),
    ImportKind(),
):
    register(_kind)


def registered() -> Mapping[str, SyncKind]:
    return MappingProxyType(_REGISTRY)


def of(name: str) -> SyncKind:
    """The kind's engine half; an unknown kind is an error, never a silent default."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RegistryError(f"JobDesk cannot sync records of the kind “{name}”.") from None


def check_registry() -> None:
    """Start-up: every core record kind has its engine half, and nothing else does."""
    expected = set(record_kinds.KINDS) | {record_kinds.IMPORT}
    have = set(_REGISTRY)
    if expected != have:
        missing = ", ".join(sorted(expected - have)) or "none"
        extra = ", ".join(sorted(have - expected)) or "none"
        raise RegistryError(
            f"The sync engine and the record kinds disagree: without an engine module: {missing}; "
            f"without a record kind: {extra}."
        )


def list_kinds() -> frozenset[str]:
    """Kinds that are QuickBooks list records (found by name; an Add may meet "name in use")."""
    return frozenset(
        name for name, kind in _REGISTRY.items() if kind.name != record_kinds.IMPORT and kind.is_list
    )


def is_list_kind(name: str) -> bool:
    """``name in list_kinds()``, read from the registry as it is now (a kind registered later
    counts as one registered at start-up)."""
    kind = _REGISTRY.get(name)
    return kind is not None and name != record_kinds.IMPORT and kind.is_list


def kinds_for_quickbooks_list(qb_list: str) -> tuple[str, ...]:
    """Our kinds a QuickBooks list name in a 3140 message stands for ("Item" → item)."""
    return tuple(name for name, kind in _REGISTRY.items() if qb_list in kind.qb_list_names)
