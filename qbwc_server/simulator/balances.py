"""Customers' open balances, computed for a whole answer in one pass over the transactions.

A CustomerQuery of 10,000 customers over 20,000 invoices would otherwise walk every
invoice and payment once per customer. QuickBooks' Balance is the customer's own open
amount (invoices less what payments and credits set against them, less unused payments
and what is left of its credit memos); TotalBalance adds its jobs (every descendant).
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
        used: dict[str, Decimal] = {}  # of each credit memo, set against invoices
        for payment in state.payments.values():
            for application in payment.applications:
                invoice_id = application.invoice_id
                applied[invoice_id] = applied.get(invoice_id, _ZERO) + application.amount
            for use in payment.credits:
                # A credit set against an invoice lowers what the invoice owes.
                applied[use.invoice_id] = applied.get(use.invoice_id, _ZERO) + use.amount
                used[use.credit_id] = used.get(use.credit_id, _ZERO) + use.amount
            own[payment.customer_id] = own.get(payment.customer_id, _ZERO) - payment.unused
        for credit in state.credit_memos.values():
            # What is left of a credit memo lowers its customer's balance (a void one: nothing).
            if not credit.is_void:
                left = credit.total - used.get(credit.txn_id, _ZERO)
                own[credit.customer_id] = own.get(credit.customer_id, _ZERO) - left
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
