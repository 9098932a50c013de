"""Invoices: a transaction after its customer or job, items, terms and sales-tax item.

QuickBooks takes two invoices of one number (the SDK does not refuse it), so an invoice
is looked up by its number before its first Add: one message ahead (``probes``), or in a
``check`` step of its own, numbers grouped either way (``check_groups``). A number
QuickBooks already uses stops it with an alert, and the number is remembered so JobDesk
never hands it out again. Once saved, QuickBooks' total is compared with ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from desktop_app.db import loaded
from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Invoice, Item, PaymentApplication, QbLink, Terms
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import CreditStatus, InvoiceStatus
from desktop_app.services.credit_sync import LINKS_ONLY
from desktop_app.services.numbers_in_use import record_quickbooks_ref_numbers
from desktop_app.services.queue_states import PENDING, Action, Phase, finish_found
from desktop_app.services.tax_rates import tax_rate_for
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.alerts import raise_alert
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import Dep, NothingToSend, SyncKind
from qbwc_server.sync.links import set_link

NO_SUCH_NUMBER_NOTE = "No invoice with this number in QuickBooks: adding it."
_NUMBERS = select(Invoice.id, Invoice.number).where(Invoice.id.in_(bindparam("ids", expanding=True)))


def invoice(session: Session, record_id: int) -> Invoice:
    found = loaded.get(session, Invoice, record_id)
    if found is None:
        raise LookupError(f"invoice #{record_id} is gone")
    return found


def invoice_total(record: q.Record) -> Decimal | None:
    """An InvoiceRet carries no total: it is the subtotal plus the sales tax."""
    subtotal = record.subtotal
    if subtotal is None:
        return None
    return subtotal + (record.decimal("SalesTaxTotal") or Decimal("0.00"))


def sent_total(session: Session, item: SyncItem, sent_values: dict[str, str]) -> Decimal:
    """What the invoice came to in the request QuickBooks answered: its total is worked out
    from those lines. (Read from the invoice when the request's values do not say: an item
    sent by an older JobDesk.) An edit since then is queued and goes as a Mod of its own."""
    try:
        return Decimal(sent_values["Total"])
    except (KeyError, ArithmeticError, TypeError, ValueError):
        ours = invoice(session, item.entity_id or 0)
        return ours.total - ours.deposit_credit


def total_problems(expected_total: Decimal, record: q.Record, applied_in_qb: Decimal | None) -> list[str]:
    """How QuickBooks' total and balance differ from ours (empty when they agree; the balance
    is not compared when what is applied to it in QuickBooks is not known)."""
    qb_total = invoice_total(record)
    qb_balance = record.balance_remaining
    problems = []
    if qb_total is not None and qb_total != expected_total:
        problems.append(f"total: JobDesk ${expected_total:,.2f}, QuickBooks ${qb_total:,.2f}")
    if applied_in_qb is None:
        return problems
    expected_balance = expected_total - applied_in_qb
    if qb_balance is not None and qb_total == expected_total and qb_balance != expected_balance:
        problems.append(f"balance: JobDesk ${expected_balance:,.2f}, QuickBooks ${qb_balance:,.2f}")
    return problems


def applied_in_quickbooks(session: Session, ours: Invoice) -> Decimal | None:
    """What QuickBooks has set against the invoice: the payments there (as applied here) and
    the credits (each credit memo's $0.00 payment, as QuickBooks was last told: an
    application changed here since is not there yet). Its ``BalanceRemaining`` counts both.
    None when that is not known (a credit's payment linked by a lookup, or its answer lost)."""
    paid = session.scalar(
        select(func.coalesce(func.sum(PaymentApplication.amount), 0))
        .join(QbLink, (QbLink.entity_type == "payment") & (QbLink.entity_id == PaymentApplication.payment_id))
        .where(PaymentApplication.invoice_id == ours.id)
    ) or Decimal("0.00")
    credited = Decimal("0.00")
    for synced, qb_id, credit_id, status in session.execute(
        select(QbLink.synced_values, QbLink.qb_id, CreditMemo.id, CreditMemo.status)
        .join(CreditMemo, (QbLink.entity_type == "credit_application") & (QbLink.entity_id == CreditMemo.id))
        .where(CreditMemo.customer_id == ours.customer_id)
    ):
        freed = status == CreditStatus.VOID and not _void_pending(session, credit_id)
        if qb_id.startswith(LINKS_ONLY) and freed:
            continue  # applied with links only, then voided there: that freed what it applied
        applied = json.loads(synced) if synced else {}
        if not isinstance(applied, dict) or not applied:
            return None
        try:
            credited += Decimal(str(applied.get(str(ours.id), "0")))
        except ArithmeticError:
            return None  # made unknown by a lost answer (``base.unknown_value``)
    return Decimal(paid) + credited


def _void_pending(session: Session, credit_id: int) -> bool:
    """The credit memo's void is still to reach QuickBooks."""
    pending = select(SyncItem.id).where(
        SyncItem.entity_type == "credit_memo",
        SyncItem.entity_id == credit_id,
        SyncItem.action == Action.VOID,
        SyncItem.state.in_(PENDING),
    )
    return session.scalar(pending.limit(1)) is not None


def generic_item_id(session: Session) -> int:
    """The local "Sales" item for lines without a price-book item; created on first need."""
    cached: int | None = session.info.get("jobdesk_generic_item")
    if cached is not None:
        return cached
    key = m.GENERIC_ITEM.lower()
    found = session.scalar(select(Item.id).where(Item.name_key == key))
    if found is not None:
        session.info["jobdesk_generic_item"] = found
        return found
    item = Item(
        kind="service",
        name=m.GENERIC_ITEM,
        name_key=key,
        unit_price=0,
        description="Sales (lines without a price-book item)",
        taxable=False,
    )
    session.add(item)
    session.flush()
    return item.id


def _sent_next_to(session: Session, invoice_id: int) -> set[str]:
    """TxnIDs of the QuickBooks invoices of its number a person chose to send it next to."""
    chosen: set[str] = set()
    for data in session.scalars(
        select(Alert.data).where(
            Alert.entity_type == "invoice",
            Alert.entity_id == invoice_id,
            Alert.kind == "number_conflict",
            Alert.resolution == "send_anyway",
        )
    ):
        try:
            values = json.loads(data or "{}")
        except ValueError:
            continue
        # Alerts raised before every TxnID was kept name the one shown.
        chosen.update(str(t) for t in (values.get("qb_txn_ids") or [values.get("qb_txn_id")]) if t)
    return chosen


class InvoiceKind(SyncKind):
    name = "invoice"
    query_tag = "InvoiceQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("Invoice",)
    children: ClassVar[tuple[Any, ...]] = (selectinload(Invoice.lines),)
    checks_before_adding = True
    refers_by_link = frozenset({"customer", "job"})
    not_found_note = NO_SUCH_NUMBER_NOTE

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        found = session.get(Invoice, record_id)
        lists: list[Dep] = []
        if found is None:
            return lists, []
        if found.job_id is not None:
            lists.append(("job", found.job_id))
        else:
            lists.append(("customer", found.customer_id))
        needs_generic = found.deposit_credit > 0
        for line in found.lines:
            if line.item_id is not None:
                lists.append(("item", line.item_id))
            else:
                needs_generic = True
        if needs_generic and not m.generic_item_list_id(session):
            # An item QuickBooks already has was chosen for these lines: nothing to add first.
            lists.append(("item", generic_item_id(session)))
        terms = session.get(Terms, found.terms_id) if found.terms_id else None
        if terms is not None and m.terms_sent_to_quickbooks(terms):
            lists.append(("terms", terms.id))
        if found.tax > 0:
            # QuickBooks computes the tax from its sales-tax item: that item first.
            lists.append(("tax_item", tax_rate_for(session, found.tax_rate).id))
        return list(dict.fromkeys(lists)), []

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        refs: list[Dep] = [("customer", record.customer_id)]
        if record.job_id is not None:
            refs.append(("job", record.job_id))
        if as_reference:
            return refs  # a payment's invoice: its customer or job, not its lines
        if record.terms_id is not None:
            refs.append(("terms", record.terms_id))
        refs.extend(("item", line.item_id) for line in record.lines if line.item_id is not None)
        return refs

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        ours = invoice(session, record_id)
        if link is None and ours.status == InvoiceStatus.VOID.value:
            # Voided here before it reached QuickBooks (a lookup after a lost answer found
            # nothing there): it never goes, as a void invoice never sent does not.
            raise NothingToSend
        mapped = m.invoice_fields(session, ours)
        values = {"Total": str(mapped.expected_total), "Memo": ours.memo, "RefNumber": ours.number}
        extra = {"expected_total": str(mapped.expected_total)}
        if link is None:
            return Built(Phase.ADD, q.invoice_add_flat(request_id, mapped.fields), values, extra)
        request = q.invoice_mod_flat(request_id, link.qb_id, link.edit_sequence, mapped.fields)
        return Built(Phase.MOD, request, values, extra)

    def void_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        return q.txn_void(request_id, link.qb_id, "Invoice")

    def lookup(self, session: Session, record_id: int, request_id: str) -> q.Request:
        return self.group_lookup(request_id, [invoice(session, record_id).number])

    def lookup_key(self, session: Session, record_id: int) -> str | None:
        return invoice(session, record_id).number

    def lookup_keys(self, session: Session, record_ids: list[int]) -> dict[int, str]:
        # One query for a look-ahead's numbers, not an invoice loaded each.
        rows = session.execute(_NUMBERS, {"ids": record_ids})
        return {row.id: row.number for row in rows}

    def group_lookup(self, request_id: str, keys: list[str]) -> q.Request:
        return q.txn_query("InvoiceQueryRq", request_id, ref_numbers=keys, include_line_items=False)

    def found_key(self, record: q.Record) -> str | None:
        return record.ref_number

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        """Of the invoices of our number QuickBooks has, those that may be ours or clash with
        ours: not one a person chose to send ours next to ("Send anyway" on its number
        conflict). After a lost answer that one is not ours to link to (it was there first),
        and it does not stop ours again."""
        if not records or item.entity_id is None:
            return records
        others = _sent_next_to(session, item.entity_id)
        return [r for r in records if r.txn_id not in others] if others else records

    # -- answers -----------------------------------------------------------------------------

    def on_lookup(self, session: Session, item: SyncItem, records: list[q.Record]) -> bool:
        """Found by number: ours after a lost answer → link; another → a number conflict."""
        ours = invoice(session, item.entity_id or 0)
        # A number QuickBooks uses is remembered: JobDesk never hands it out again.
        record_quickbooks_ref_numbers(UnitOfWork.joining(session), [r.ref_number or "" for r in records])
        customer = m.invoice_customer_ref(session, ours)
        expected = ours.total - ours.deposit_credit

        def same_customer(record: q.Record) -> bool:
            if customer.list_id:
                return record.get("CustomerRef/ListID") == customer.list_id
            return (record.get("CustomerRef/FullName") or "").lower() == (customer.full_name or "").lower()

        matching = [r for r in records if same_customer(r)]
        if item.phase == Phase.VERIFY and matching:
            # Our earlier Add did reach QuickBooks; its answer was lost. Link, never add twice.
            set_link(session, item, matching[0], {"Total": str(expected), "Memo": ours.memo})
            finish_found(session, item, "Found in QuickBooks after a lost answer: linked, not added again.")
            return True
        other = matching[0] if matching else records[0]
        same_amount = invoice_total(other) == expected
        resolutions = ["renumber", "send_anyway", "dismiss"]
        if matching and same_amount:
            resolutions.insert(1, "link")
        label = f"Invoice {ours.number}"
        raise_alert(
            session,
            item,
            kind="number_conflict",
            label=label,
            message=(
                f"{label} was not sent: QuickBooks already has an invoice numbered {ours.number} "
                f"(customer {other.get('CustomerRef/FullName') or 'unknown'}, "
                f"total ${invoice_total(other) or Decimal(0):,.2f}). Sending ours would create two "
                "invoices with the same number. Renumber ours, link to the QuickBooks invoice if it is "
                "the same one, or send anyway."
            ),
            tried="Checked QuickBooks for the invoice number before adding.",
            resolutions=tuple(resolutions),
            data={
                "qb_txn_id": other.txn_id,
                # Every invoice of the number QuickBooks has: none is ours if ours is sent anyway.
                "qb_txn_ids": [r.txn_id for r in records if r.txn_id],
                "qb_edit_sequence": other.edit_sequence,
                "qb_customer": other.get("CustomerRef/FullName"),
                "qb_total": str(invoice_total(other)),
            },
        )
        return True

    def needs_review_after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> bool:
        # A Mod's balance depends on payments in QuickBooks: worked out by after_save.
        if item.phase == Phase.MOD:
            return True
        # Against the total sent: the invoice itself is not read (nor loaded) to answer this.
        return bool(total_problems(sent_total(session, item, sent_values), record, Decimal("0.00")))

    def after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> None:
        """QuickBooks' total and balance against what was sent: a difference is an alert, not a failure."""
        ours = invoice(session, item.entity_id or 0)
        # Payments and credits reach QuickBooks only after the invoice did: none after an Add.
        applied_in_qb = Decimal("0.00") if item.phase == Phase.ADD else applied_in_quickbooks(session, ours)
        problems = total_problems(sent_total(session, item, sent_values), record, applied_in_qb)
        if not problems:
            return
        session.add(
            Alert(
                sync_item_id=item.id,
                entity_type="invoice",
                entity_id=ours.id,
                record_label=f"Invoice {ours.number}",
                kind="total_mismatch",
                message=(
                    f"Invoice {ours.number} reached QuickBooks, but the amounts differ "
                    f"({'; '.join(problems)}). This usually means a different sales-tax rate or item "
                    "setup in QuickBooks. Check the tax rate in Settings and the invoice in QuickBooks, "
                    "then retry or dismiss."
                ),
                tried="Compared QuickBooks' total and balance with ours after saving.",
                resolutions="retry,dismiss",
                data=json.dumps(
                    {"qb_total": str(invoice_total(record)), "qb_balance": str(record.balance_remaining)}
                ),
            )
        )
