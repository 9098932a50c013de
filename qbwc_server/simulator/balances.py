"""Customers' open balances, computed for a whole answer in one pass over the transactions.

A CustomerQuery of 10,000 customers over 20,000 invoices would otherwise walk every
invoice and payment once per customer. QuickBooks' Balance is the customer's own open
amount; TotalBalance adds its jobs (every descendant).
"""

from __future__ import annotations

from decimal import Decimal

from qbwc_server.simulator.core import Core
from qbwc_server.simulator.store import ListElement

_ZERO = Decimal("0.00")


class BalanceTable:
    """Balances as of when it is first asked (one answer's worth); built lazily."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._tables: tuple[dict[str, Decimal], dict[str, Decimal]] | None = None

    def balance_of(self, element: ListElement, total: bool) -> Decimal:
        """Open balance of a customer (``total``: with its jobs); other lists carry zero."""
        if element.kind != "Customer":
            return _ZERO
        if self._tables is None:
            self._tables = self._build()
        own, with_jobs = self._tables
        return (with_jobs if total else own).get(element.list_id, _ZERO)

    def _build(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(own balance, balance with every descendant) per customer ListID."""
        state = self._core.state
        applied: dict[str, Decimal] = {}
        own: dict[str, Decimal] = {}
        for payment in state.payments.values():
            for application in payment.applications:
                invoice_id = application.invoice_id
                applied[invoice_id] = applied.get(invoice_id, _ZERO) + application.amount
            own[payment.customer_id] = own.get(payment.customer_id, _ZERO) - payment.unused
        for invoice in state.invoices.values():
            remaining = invoice.total - applied.get(invoice.txn_id, _ZERO)
            own[invoice.customer_id] = own.get(invoice.customer_id, _ZERO) + remaining
        total: dict[str, Decimal] = {}
        for customer_id, amount in own.items():
            # A job's balance counts in its own TotalBalance and in every ancestor's.
            holder: str | None = customer_id
            while holder is not None and holder in state.lists:
                total[holder] = total.get(holder, _ZERO) + amount
                holder = state.lists[holder].parent_id
        return own, total
