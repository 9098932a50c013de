"""Credit memos (a refund, discount or warranty credit), and the credits applied to invoices.

Two kinds, because QuickBooks Desktop keeps them as two transactions:

* ``credit_memo``: a CreditMemoAdd for the customer or job, after what its lines name;
  voided like an invoice. An edit once it is in QuickBooks goes as a CreditMemoMod of the
  whole credit memo (its lines replace all QuickBooks had, as an invoice's do). Its upsert
  is queued also when only where it is applied changes, so a Mod goes only when what would
  be sent differs from what QuickBooks last got: a fingerprint of the request's content is
  kept with the link (``Fingerprint`` in its synced values). A void one is never changed
  (voiding is its own step), and one voided before it reached QuickBooks is not sent at all.
* ``credit_application``: applying it to invoices is, in the SDK, a ReceivePaymentAdd of
  $0.00 with ``SetCredit`` per invoice (Intuit's samples allow it in US QuickBooks Desktop;
  only ``SetCredit/TxnLineID`` is not in QBD). It goes once the credit memo and the
  invoices are in QuickBooks. A later change of where it is applied is a ReceivePaymentMod
  of that payment (``AppliedToTxnMod/SetCredit``, also listed for QBD), whose list replaces
  what it applied; applied to nothing any more, or the credit memo voided, the $0.00
  payment is deleted (before the void goes: it would stay there, empty).

  Intuit's SDK guide warns that a credit-only ReceivePaymentAdd may make no transaction at
  all, only links between the credit memo and the invoices, with a "thin" answer (no
  record). Then the credit is applied there all the same: the item is done, its link named
  after the credit memo (``LINKS_ONLY``), never sent again (that would apply it twice). What
  the SDK cannot do after that (change or take back what it applied) is explained to a
  person with exactly what to set in QuickBooks; voiding the credit memo frees it there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from lxml import etree
from sqlalchemy.orm import Session, selectinload

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Customer, Item, Job, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.domain.money import format_money, round_cents
from desktop_app.domain.status import CreditStatus
from desktop_app.services.credit_sync import APPLIED, LINKS_ONLY, WHOSE, application_goes_first, whose
from desktop_app.services.queue_states import CHANGED_SINCE, Action, Phase, finish, merged_into, requeue
from desktop_app.services.sync_queue import label_of
from desktop_app.services.tax_rates import tax_rate_for
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.alerts import ByHand, raise_alert
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import (
    Dep,
    NothingToSend,
    SyncKind,
    carried_values,
    possible_values,
    synced_values,
)
from qbwc_server.sync.kinds.credit_links import (
    APPLIED_THERE,
    NOT_THERE,
    invoice_number,
    links_there,
    unclear_links,
)
from qbwc_server.sync.kinds.invoice import generic_item_id
from qbwc_server.sync.kinds.payment import (
    dated,
    marker_lookup,
    payments_making_room,
    sent_dates,
)
from qbwc_server.sync.links import link_without_record

#: A credit application found applied (links only) after its answer was lost.
LINKED_AFTER_LOST_NOTE = (
    "Found applied in QuickBooks after a lost answer (linked to the invoices directly): not applied again."
)


def credit_memo(session: Session, record_id: int) -> CreditMemo:
    found = session.get(CreditMemo, record_id)
    if found is None:
        raise LookupError(f"credit memo #{record_id} is gone")
    return found


def _is_void(credit: CreditMemo | None) -> bool:
    return credit is not None and credit.status == CreditStatus.VOID.value


#: The synced value holding ``fingerprint`` of what QuickBooks last got.
FINGERPRINT = "Fingerprint"


def fingerprint(fields: q.CreditMemoFields) -> str:
    """What a request for these fields carries, the same for the Add and any Mod: a sha256 of
    the Add's body in canonical XML (it holds no TxnID, EditSequence nor TxnLineID). Made from
    ``CreditMemoKind.fields(..., local=True)``, whose references name our own records."""
    body = q.credit_memo_add("fingerprint", fields)[0]
    return hashlib.sha256(etree.tostring(body, method="c14n")).hexdigest()


def _differs(synced: dict[str, str], values: dict[str, str]) -> bool:
    """Whether what would be sent differs from what QuickBooks last got. Of a link made
    before fingerprints were kept (or by a lookup) that is not known: the Mod goes once (it
    changes nothing when nothing changed), rather than an edit of the memo alone never going."""
    if FINGERPRINT in synced:
        return synced[FINGERPRINT] != values[FINGERPRINT]
    return True


def _ref(session: Session, kind: str, record_id: int, full_name: str) -> q.Ref:
    link = m.link_of(session, kind, record_id)
    return q.Ref.by_id(link.qb_id) if link else q.Ref.by_name(full_name)


def customer_ref(session: Session, credit: CreditMemo) -> q.Ref:
    """The credit's Customer:Job in QuickBooks (its job's when it credits a job)."""
    job_id = credit.job_id
    link = m.link_of(session, "job", job_id) if job_id else m.link_of(session, "customer", credit.customer_id)
    if link is not None:
        return q.Ref.by_id(link.qb_id)  # the record itself is not read (``refers_by_link``)
    if credit.job_id is not None:
        job = session.get(Job, credit.job_id)
        if job is not None:
            return _ref(session, "job", job.id, m.job_full_name(session, job))
    customer = session.get(Customer, credit.customer_id)
    if customer is None:
        raise LookupError(f"the customer of credit memo {credit.number} is gone")
    return _ref(session, "customer", customer.id, m.customer_full_name(customer))


class CreditMemoKind(SyncKind):
    name = "credit_memo"
    query_tag = "CreditMemoQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("CreditMemo",)
    children: ClassVar[tuple[Any, ...]] = (selectinload(CreditMemo.lines),)
    refers_by_link = frozenset({"customer", "job"})

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        credit = session.get(CreditMemo, record_id)
        if credit is None or _is_void(credit):
            return [], []  # a void one is never added: it waits for nothing
        lists: list[Dep] = [
            ("job", credit.job_id) if credit.job_id is not None else ("customer", credit.customer_id)
        ]
        for line in credit.lines:
            if line.item_id is not None:
                lists.append(("item", line.item_id))
            elif not m.generic_item_list_id(session):
                lists.append(("item", generic_item_id(session)))
        if credit.tax > 0:
            lists.append(("tax_item", tax_rate_for(session, credit.tax_rate).id))
        return list(dict.fromkeys(lists)), []

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        refs: list[Dep] = [("customer", record.customer_id)]
        if record.job_id is not None:
            refs.append(("job", record.job_id))
        if not as_reference:
            refs.extend(("item", line.item_id) for line in record.lines if line.item_id is not None)
        return refs

    def values_now(self, session: Session, record_id: int) -> dict[str, str] | None:
        """Its total, compared with QuickBooks' after a 3200 or a re-read: one a lost answer
        left unknown is known again (the order of its change and its application's depends
        on it, ``application_goes_first``); one changed on both sides is an alert. A credit
        memo found in QuickBooks by a lookup is then brought up to date with ours."""
        credit = session.get(CreditMemo, record_id)
        return None if credit is None else {"Total": str(credit.total)}

    def mod_overwrites(self, session: Session, record_id: int, synced: dict[str, str]) -> bool:
        """Its Mod replaces every line: it overwrites QuickBooks' total whenever it goes, and
        it goes when its content differs from what QuickBooks last got."""
        credit = session.get(CreditMemo, record_id)
        if credit is None or _is_void(credit):
            return False
        return _differs(synced, {FINGERPRINT: fingerprint(self.fields(session, credit, local=True))})

    def qb_value(self, record: q.Record, key: str) -> str | None:
        if key != "Total":
            return super().qb_value(record, key)
        total = record.get("TotalAmount")
        try:
            return None if total is None else str(round_cents(Decimal(total)))
        except InvalidOperation:
            return total  # not an amount: compared as it is (an alert if it differs)

    def goes_after(self, session: Session, item: SyncItem) -> Iterable[Dep]:
        """Its change waits for a change of where it is applied when that must go first
        (``application_goes_first``: a credit lowered once unapplied), also when that one
        waits itself (for an invoice not in QuickBooks yet, or for a person). Its void waits
        for the $0.00 payment that applied it to be deleted: voided first, that payment would
        stay in QuickBooks, empty, if its deletion were refused."""
        if item.entity_id is None:
            return ()
        if item.action == Action.VOID:
            return [(APPLIED, item.entity_id)]
        if item.action != Action.UPSERT:
            return ()
        credit = session.get(CreditMemo, item.entity_id)
        if credit is None or _is_void(credit) or not application_goes_first(session, credit):
            return ()
        return [(APPLIED, item.entity_id)]

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        credit = credit_memo(session, record_id)
        if _is_void(credit):
            # Voided before it reached QuickBooks: it never goes there. Voided there: the void
            # is its own step, and a void credit memo is never changed.
            raise NothingToSend
        there = synced_values(link).get("Total", "")
        if link is not None and possible_values(there) is not None:
            # A lost answer left its total in QuickBooks unknown, and which of this change and
            # its application's goes first depends on it: QuickBooks' copy is read first.
            return Built(Phase.REFRESH, self.query_by_id(request_id, link.qb_id))
        fields = self.fields(session, credit)
        content = fingerprint(self.fields(session, credit, local=True))
        values = {
            "Total": str(credit.total),
            "RefNumber": credit.number,
            FINGERPRINT: content,
            WHOSE: whose(credit),
        }
        if link is None:
            return Built(Phase.ADD, q.credit_memo_add(request_id, fields), values)
        if not _differs(synced_values(link), values):
            raise NothingToSend  # e.g. queued because only where it is applied changed
        # A memo emptied here is emptied there too (an empty Memo clears it in a Mod).
        changed = dataclasses.replace(fields, memo=credit.memo)
        return Built(
            Phase.MOD, q.credit_memo_mod(request_id, link.qb_id, link.edit_sequence, changed), values
        )

    @staticmethod
    def fields(session: Session, credit: CreditMemo, *, local: bool = False) -> q.CreditMemoFields:
        """What goes to QuickBooks. ``local``: each reference names our own record (kind and
        id) instead of how QuickBooks knows it, which turns from a name into a ListID once
        that record is there: the same credit memo then gives the same fields (``fingerprint``)."""

        def refer(kind: str, record_id: int, full_name: str) -> q.Ref:
            return (
                q.Ref.by_name(f"{kind} {record_id}") if local else _ref(session, kind, record_id, full_name)
            )

        taxed = credit.tax_rate > 0
        lines = []
        for line in credit.lines:
            item = session.get(Item, line.item_id) if line.item_id else None
            chosen = None if local else m.generic_item_list_id(session)
            item_ref = (
                refer("item", item.id, item.name)
                if item
                else (q.Ref.by_id(chosen) if chosen else q.Ref.by_name(m.GENERIC_ITEM))
            )
            lines.append(
                q.InvoiceLineFields(
                    item=item_ref,
                    description=line.description or None,
                    quantity=line.quantity if item else None,
                    rate=line.rate if item else None,
                    amount=line.amount,
                    sales_tax_code=q.Ref.by_name("Tax" if line.taxable and taxed else "Non"),
                )
            )
        tax_item = None
        if credit.tax > 0:
            tax = tax_rate_for(session, credit.tax_rate)
            tax_item = refer("tax_item", tax.id, tax.name)
        if local:
            customer = (
                refer("job", credit.job_id, "")
                if credit.job_id
                else refer("customer", credit.customer_id, "")
            )
        else:
            customer = customer_ref(session, credit)
        return q.CreditMemoFields(
            customer=customer,
            txn_date=credit.credit_date,
            ref_number=credit.number,
            item_sales_tax=tax_item,
            memo=credit.memo or None,
            is_to_be_printed=False,
            lines=tuple(lines),
        )

    def void_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        return q.credit_memo_void(request_id, link.qb_id)

    def query_by_id(self, request_id: str, qb_id: str) -> q.Request:
        return q.credit_memo_query(request_id, txn_ids=[qb_id])

    def lookup(self, session: Session, record_id: int, request_id: str) -> q.Request:
        return q.credit_memo_query(request_id, ref_numbers=[credit_memo(session, record_id).number])

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        """Only ours: the same number for the same Customer:Job (another may share the number)."""
        ref = customer_ref(session, credit_memo(session, item.entity_id or 0))

        def ours(record: q.Record) -> bool:
            if ref.list_id:
                return record.get("CustomerRef/ListID") == ref.list_id
            return (record.get("CustomerRef/FullName") or "").lower() == (ref.full_name or "").lower()

        return [r for r in records if ours(r)]

    @staticmethod
    def _sent_total(session: Session, item: SyncItem, sent_values: dict[str, str]) -> Decimal:
        """The total the request carried: QuickBooks worked its own out from the same lines."""
        sent = sent_values.get("Total")
        return Decimal(sent) if sent else credit_memo(session, item.entity_id or 0).total

    def needs_review_after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> bool:
        return record.total_amount != self._sent_total(session, item, sent_values)

    def after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> None:
        credit = credit_memo(session, item.entity_id or 0)
        theirs, ours = record.total_amount, self._sent_total(session, item, sent_values)
        if theirs is None or theirs == ours:
            return
        raise_alert(
            session,
            item,
            kind="total_mismatch",
            label=f"Credit memo {credit.number}",
            message=(
                f"Credit memo {credit.number} reached QuickBooks, but QuickBooks' total is ${theirs:,.2f} "
                f"where JobDesk's is ${ours:,.2f}. This usually means another sales-tax rate or item "
                "setup in QuickBooks. Check the credit memo there, then retry or dismiss."
            ),
            tried="Compared QuickBooks' total with ours after saving.",
            resolutions=("retry", "dismiss"),
            data={"qb_total": str(theirs)},
        )


def _links_only_change(session: Session, credit: CreditMemo, link: QbLink, applied: dict[str, str]) -> Built:
    """QuickBooks applied the credit with links only (no payment record of its own): the SDK
    has nothing to change or delete there. Nothing to do when QuickBooks already has what is
    applied here (or the credit memo is void: voiding it there frees what it applied);
    otherwise a person makes it so in QuickBooks, told exactly what to set."""
    if _is_void(credit) or synced_values(link) == applied:
        raise NothingToSend
    wanted = [
        f"{format_money(application.amount)} on invoice {invoice_number(session, application.invoice_id)}"
        for application in credit.applications
    ]
    what = "; ".join(wanted) if wanted else "nothing (unapplied from every invoice)"
    raise ByHand(
        f"QuickBooks applied credit memo {credit.number} to the invoices directly, with no payment "
        "record of its own, and the QuickBooks SDK cannot change what it applied. In QuickBooks, "
        f"open the customer's invoices (Apply Credits) and make credit memo {credit.number} apply "
        f"{what}; then press Done in QuickBooks here. Or undo the change here, then retry.",
        applied,
    )


def application_marker(credit: CreditMemo) -> str:
    """Written into the $0.00 payment's memo so a lost answer can be checked in QuickBooks."""
    return f"[JobDesk C{credit.id}]"


def _applied(credit: CreditMemo) -> dict[str, str]:
    """What is applied where (invoice id → amount): what QuickBooks was last told."""
    return {str(a.invoice_id): str(a.amount) for a in credit.applications}


def _needing_room(session: Session, credit: CreditMemo) -> set[int]:
    """Invoices the credit applies more to than QuickBooks may have it apply there (all of
    them when that is not known): only there does it need the room a payment makes. (Where
    it applies as much or less, it goes first: a payment raised there may need its room.)"""
    synced = synced_values(m.link_of(session, APPLIED, credit.id))
    needing: set[int] = set()
    for application in credit.applications:
        there = synced.get(str(application.invoice_id))
        possible = None if there is None else possible_values(there)
        try:
            # After a lost answer, the least QuickBooks may have (a part it had not: 0).
            least = min(Decimal(value or "0") for value in ((there,) if possible is None else possible))
        except (InvalidOperation, ValueError, TypeError):
            least = None  # not known (never applied there, or not readable)
        if least is None or application.amount > least:
            needing.add(application.invoice_id)
    return needing


class CreditApplicationKind(SyncKind):
    """The credit memo's applications to invoices (its record is the credit memo)."""

    name = "credit_application"
    query_tag = "ReceivePaymentQueryRq"
    added_again_when_gone = True
    links_only = True
    gone_note = "The $0.00 payment that applied this credit is gone from QuickBooks: applying it again."
    children: ClassVar[tuple[Any, ...]] = (selectinload(CreditMemo.applications),)

    def how_to_fix(self, session: Session, item: SyncItem, code: int) -> str:
        if code != 3210:
            return ""
        credit = session.get(CreditMemo, item.entity_id)
        number = "" if credit is None else f" of credit memo {credit.number}"
        return (
            f"QuickBooks applies no more{number} to an invoice than it still owes there (a payment "
            "applied there in QuickBooks counts too), and no more than the credit memo's total. "
            "Unapply or lower the credit here (or the payment in QuickBooks), then retry."
        )

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        credit = session.get(CreditMemo, record_id)
        if credit is None or _is_void(credit):
            return [], []  # a void credit is applied to nothing: it waits for nothing
        txns: list[Dep] = [("credit_memo", credit.id)]
        txns += [("invoice", a.invoice_id) for a in credit.applications]
        return [], list(dict.fromkeys(txns))

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        refs: list[Dep] = [("customer", record.customer_id)]
        if record.job_id is not None:
            refs.append(("job", record.job_id))
        if not as_reference:
            refs.extend(("invoice", a.invoice_id) for a in record.applications)
        return refs

    def goes_after(self, session: Session, item: SyncItem) -> Iterable[Dep]:
        """A change of where it is applied waits for the credit memo's own change (a credit
        raised, then applied more: QuickBooks takes the application only up to the total it
        has), unless it must go first (``application_goes_first``: then the credit memo
        waits for it instead). Both ask the same question: never does each wait for the other."""
        if item.action != Action.UPSERT or item.entity_id is None:
            return ()
        credit = session.get(CreditMemo, item.entity_id)
        if credit is None or _is_void(credit):
            return ()
        # A payment taken off an invoice here leaves it owing in QuickBooks only once its change is there.
        room = payments_making_room(session, _needing_room(session, credit))
        if application_goes_first(session, credit):
            return room
        return [("credit_memo", item.entity_id), *room]

    def links_only_id(self, session: Session, item: SyncItem) -> str:
        credit_link = m.link_of(session, "credit_memo", item.entity_id or 0)
        return LINKS_ONLY + ("" if credit_link is None else credit_link.qb_id)

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        credit = credit_memo(session, record_id)
        applied = _applied(credit)
        if link is not None and link.qb_id.startswith(LINKS_ONLY):
            return _links_only_change(session, credit, link, applied)
        if _is_void(credit):
            if link is None:
                raise NothingToSend  # never applied in QuickBooks: nothing there to take back
            # Void: the $0.00 payment that applied it goes (before the void; it would stay
            # there empty otherwise).
            return Built(Phase.DELETE, q.txn_del(request_id, link.qb_id, "ReceivePayment"), {})
        if link is not None:
            if not applied:
                # Applied to nothing any more: the $0.00 payment that applied it goes (also when
                # a lookup linked it, knowing nothing of what it applies).
                return Built(Phase.DELETE, q.txn_del(request_id, link.qb_id, "ReceivePayment"), applied)
            if synced_values(link) == applied:
                raise NothingToSend
            fields = self._fields(session, credit)
            mod = q.credit_application_mod(request_id, link.qb_id, link.edit_sequence, fields)
            return Built(Phase.MOD, mod, applied)
        if not credit.applications:
            raise NothingToSend  # nothing applied (any more): nothing for QuickBooks to do
        fields = self._fields(session, credit)
        return Built(
            Phase.ADD, q.credit_application_add(request_id, fields), applied, dated([credit.credit_date])
        )

    @staticmethod
    def _fields(session: Session, credit: CreditMemo) -> q.CreditApplicationFields:
        credit_link = m.link_of(session, "credit_memo", credit.id)
        if credit_link is None:
            raise LookupError(f"credit memo {credit.number} is not in QuickBooks yet")
        targets = []
        for application in credit.applications:
            invoice_link = m.link_of(session, "invoice", application.invoice_id)
            if invoice_link is None:
                raise LookupError("an invoice the credit is applied to is not in QuickBooks yet")
            credit_part = q.AppliedCredit(credit_link.qb_id, Decimal(application.amount))
            targets.append(q.CreditToInvoice(invoice_link.qb_id, (credit_part,)))
        return q.CreditApplicationFields(
            customer=customer_ref(session, credit),
            applications=tuple(targets),
            txn_date=credit.credit_date,
            memo=f"Credit {credit.number} applied {application_marker(credit)}",
        )

    def lookup_built(self, session: Session, item: SyncItem, request_id: str) -> Built:
        credit = credit_memo(session, item.entity_id or 0)
        if item.phase != Phase.LINKS:
            return marker_lookup(item, request_id, credit.credit_date)
        # No payment of ours there: the credit memo's links say whether QuickBooks applied it
        # with links only (what was sent, and its dates, are carried on as a lookup's are).
        credit_link = m.link_of(session, "credit_memo", credit.id)
        if credit_link is None:
            raise LookupError(f"credit memo {credit.number} is not in QuickBooks yet")
        request = q.credit_memo_query(request_id, txn_ids=[credit_link.qb_id], include_linked_txns=True)
        return Built(
            Phase.LINKS, request, carried_values(item), dated(sent_dates(item) | {credit.credit_date})
        )

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        """Its $0.00 payment, by the marker in its memo; or, read after none was found (LINKS),
        the credit memo when its links show something of the lost Add (``on_lookup`` says what)."""
        marker = application_marker(credit_memo(session, item.entity_id or 0))
        sent = carried_values(item)
        return [
            r
            for r in records
            if (
                links_there(session, r, sent)[0] != NOT_THERE
                if r.kind == "CreditMemoRet"
                else marker in (r.get("Memo") or "")
            )
        ]

    def on_lookup(self, session: Session, item: SyncItem, records: list[q.Record]) -> bool:
        """The credit memo's links show the lost Add applied it (links only): linked as the
        answer would have linked it, never applied a second time; unclear: a person tells."""
        found = records[0] if records else None
        if item.phase != Phase.LINKS or found is None or found.kind != "CreditMemoRet":
            return False
        sent = carried_values(item)
        outcome, there = links_there(session, found, sent)
        links_id = self.links_only_id(session, item)
        if outcome == APPLIED_THERE:
            link_without_record(session, item, links_id, sent)
            if merged_into(session, item):
                requeue(item, Phase.FIRST, CHANGED_SINCE)
            else:
                finish(item, LINKED_AFTER_LOST_NOTE)
            return True
        credit = credit_memo(session, item.entity_id or 0)
        raise_alert(
            session,
            item,
            kind="by_hand",
            label=label_of(session, item.entity_type, item.entity_id),
            message=unclear_links(session, credit, sent, there),
            tried="Looked for its $0.00 payment, then at the credit memo's links there; sent nothing again.",
            # No Dismiss: left unsettled, a later edit would add the application again.
            resolutions=("done_there", "send_anyway"),
            data={"values": json.dumps(sent), "qb_id": links_id},
        )
        return True
