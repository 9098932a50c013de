"""Line amounts and document totals (bids, jobs, invoices): subtotal, tax, total.

Tax is computed once on the taxable subtotal of the whole document and rounded half-up,
as QuickBooks does, not per line (per-line rounding drifts by cents on long invoices).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from desktop_app.domain.money import HUNDRED, ZERO, line_amount, round_cents


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    rate: Decimal
    taxable: bool

    @property
    def amount(self) -> Decimal:
        return line_amount(self.quantity, self.rate)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    taxable_subtotal: Decimal
    tax: Decimal
    total: Decimal


def compute_totals(
    amounts: Iterable[tuple[Decimal, bool]], tax_rate_percent: Decimal, *, tax_exempt: bool = False
) -> Totals:
    """``amounts`` are (line amount, taxable) pairs; ``tax_rate_percent`` e.g. 8.25."""
    subtotal = ZERO
    taxable = ZERO
    for amount, is_taxable in amounts:
        subtotal += amount
        if is_taxable:
            taxable += amount
    tax = ZERO if tax_exempt else round_cents(taxable * tax_rate_percent / HUNDRED)
    return Totals(
        subtotal=round_cents(subtotal),
        taxable_subtotal=round_cents(taxable),
        tax=tax,
        total=round_cents(subtotal + tax),
    )
