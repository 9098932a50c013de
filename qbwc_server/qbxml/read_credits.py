"""Reading a ``CreditMemoRet`` (from CreditMemoAdd, CreditMemoMod or CreditMemoQuery) into typed values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml.parse import Record


@dataclass(frozen=True, slots=True)
class CreditMemoLineRet:
    txn_line_id: str | None
    item_full_name: str | None
    description: str | None
    amount: Decimal | None
    sales_tax_code: str | None


@dataclass(frozen=True, slots=True)
class CreditMemoRet:
    txn_id: str
    edit_sequence: str
    ref_number: str | None
    customer_list_id: str | None
    customer_full_name: str | None
    subtotal: Decimal
    sales_tax_total: Decimal
    total: Decimal
    #: What QuickBooks has left to apply of it (TotalAmount − what invoices took); None when
    #: the answer did not carry it (it is optional in the Ret, e.g. left out by IncludeRetElement).
    credit_remaining: Decimal | None
    lines: tuple[CreditMemoLineRet, ...]


def _required(record: Record, path: str) -> str:
    value = record.get(path)
    if not value:
        raise QbxmlError(f"QuickBooks answered a credit memo without {path}.")
    return value


def read_credit_memo(record: Record) -> CreditMemoRet:
    """A CreditMemoRet as values; ``QbxmlError`` when its TxnID or EditSequence is missing."""
    if record.kind != "CreditMemoRet":
        raise QbxmlError(f"Expected a CreditMemoRet, got {record.kind}.")
    zero = Decimal("0.00")
    return CreditMemoRet(
        txn_id=_required(record, "TxnID"),
        edit_sequence=_required(record, "EditSequence"),
        ref_number=record.ref_number,
        customer_list_id=record.get("CustomerRef/ListID"),
        customer_full_name=record.get("CustomerRef/FullName"),
        subtotal=record.subtotal or zero,
        sales_tax_total=record.decimal("SalesTaxTotal") or zero,
        total=record.total_amount or zero,
        credit_remaining=record.decimal("CreditRemaining"),
        lines=tuple(
            CreditMemoLineRet(
                txn_line_id=line.get("TxnLineID"),
                item_full_name=line.get("ItemRef/FullName"),
                description=line.get("Desc"),
                amount=line.decimal("Amount"),
                sales_tax_code=line.get("SalesTaxCodeRef/FullName"),
            )
            for line in record.lines("CreditMemoLineRet")
        ),
    )
