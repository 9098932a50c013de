"""Credit memos: created from the price book, applied to open invoices, unapplied, voided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import AuditEntry, DomainEvent, QbLink
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.status import CreditReason, CreditStatus, InvoiceStatus
from desktop_app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from desktop_app.services import credit_applications as applying
from desktop_app.services import credit_memos, invoices, payments
from desktop_app.services.credit_memo_details import (
    credits_for_invoice,
    get_credit_memo,
    invoices_for_credit,
    list_credit_memos,
)
from desktop_app.services.customers import open_balances
from desktop_app.services.invoice_queries import job_invoicing_summary, list_invoices
from desktop_app.services.lines import LineInput
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_item, make_job
from tests.integration.service_helpers import snapshot

D = Decimal
DAY = date(2026, 3, 5)


def _setup(db: Database, admin: Actor, *, rate: str = "8.25") -> dict[str, int]:
    """A customer with two jobs, an invoice on each, and a price-book item."""
    with db.uow(admin) as uow:
        set_setting(uow, "tax.default_rate", rate)
        customer = make_customer(uow, "Kim, Hiro")
        job_a = make_job(uow, customer, [("1", "1000", False)])
        job_b = make_job(uow, customer, [("1", "400", False)])
        inv_a = invoices.create_invoice(uow, job_a.id)
        inv_b = invoices.create_invoice(uow, job_b.id)
        labor = make_item(uow, "Labor", unit_price="85", taxable=False)
        paint = make_item(uow, "Paint", unit_price="40", taxable=True)
        uow.commit()
    return {
        "customer": customer.id,
        "job_a": job_a.id,
        "job_b": job_b.id,
        "inv_a": inv_a.id,
        "inv_b": inv_b.id,
        "labor": labor.id,
        "paint": paint.id,
    }


def _fields(
    ids: dict[str, int], *, job: str | None = "job_a", **changes: object
) -> credit_memos.CreditMemoFields:
    values: dict[str, object] = {
        "customer_id": ids["customer"],
        "job_id": ids[job] if job else None,
        "reason": "warranty",
        "credit_date": DAY,
        "memo": "Warranty: replaced faucet",
        "lines": (
            LineInput(quantity="2", item_id=ids["labor"]),
            LineInput(quantity="1", item_id=ids["paint"]),
        ),
    }
    values.update(changes)
    return credit_memos.CreditMemoFields(**values)  # type: ignore[arg-type]


def _create(
    db: Database, admin: Actor, ids: dict[str, int], **changes: object
) -> credit_memos.CreditMemoDetail:
    with db.uow(admin) as uow:
        credit = credit_memos.create_credit_memo(uow, _fields(ids, **changes))
        uow.commit()
    return credit


def test_a_credit_memo_takes_its_lines_from_the_price_book_and_totals_like_an_invoice(
    db: Database, admin: Actor
) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    assert credit.number == "CM-1001" and credit.status == CreditStatus.OPEN
    assert credit.reason == CreditReason.WARRANTY and credit.job_id == ids["job_a"]
    assert [
        (line.item_name, line.description, line.rate, line.amount, line.taxable) for line in credit.lines
    ] == [
        ("Labor", "Labor", D("85.00000"), D("170.00"), False),
        ("Paint", "Paint", D("40.00000"), D("40.00"), True),
    ]
    # Tax on the taxable subtotal only, rounded once half-up: 40 × 8.25 % = 3.30.
    assert (credit.subtotal, credit.tax, credit.total) == (D("210.00"), D("3.30"), D("213.30"))
    assert (credit.applied, credit.remaining) == (D("0.00"), D("213.30"))
    second = _create(db, admin, ids)
    assert second.number == "CM-1002"
    with db.reader() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "credit_memo", AuditEntry.entity_id == credit.id
            )
        ).one()
        assert entry.action == "create" and "CM-1001" in entry.summary


def test_a_tax_exempt_customer_is_credited_no_tax(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    with db.uow(admin) as uow:
        exempt = make_customer(uow, "Church", tax_exempt=True)
        uow.commit()
    credit = _create(db, admin, ids, customer_id=exempt.id, job=None)
    assert (credit.tax, credit.total, credit.tax_rate) == (D("0.00"), D("210.00"), D("0.0000"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "gift"}, "reason", "refund, discount or warranty"),
        ({"lines": ()}, "lines", "at least one line"),
        (
            {"lines": (LineInput(quantity="0", item_id=None, description="x", rate="5"),)},
            "quantity",
            "more than zero",
        ),
        ({"lines": "a price-book item at $0.00"}, "lines", "more than $0.00"),
        ({"memo": "x" * 4001}, "memo", "4,000"),
        ({"credit_date": date(1800, 1, 1)}, "credit_date", "between"),
        ({"customer_id": 999_999}, "customer_id", "not found"),
        ({"job_id": 999_999}, "job_id", "not found"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    db: Database, admin: Actor, changes: dict[str, object], field: str, message: str
) -> None:
    ids = _setup(db, admin)
    if changes.get("lines") == "a price-book item at $0.00":
        changes = {"lines": (LineInput(quantity="1", item_id=ids["labor"], rate="0"),)}
    before = snapshot(db)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError) as refused:
            credit_memos.create_credit_memo(uow, _fields(ids, **changes))
        uow.commit()
    assert refused.value.field == field and message in str(refused.value)
    assert snapshot(db) == before


def test_a_job_of_another_customer_is_refused(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    with db.uow(admin) as uow:
        other = make_customer(uow, "Other")
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="belongs to another customer"):
        credit_memos.create_credit_memo(uow, _fields(ids, customer_id=other.id))


def test_applying_lowers_the_invoice_balance_everywhere(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applied = applying.apply_credit(uow, credit.id, [(ids["inv_a"], "200.00")])
        uow.commit()
    assert (applied.applied, applied.remaining, applied.status) == (
        D("200.00"),
        D("13.30"),
        CreditStatus.OPEN,
    )
    assert [(a.invoice_id, a.amount) for a in applied.applications] == [(ids["inv_a"], D("200.00"))]
    with db.reader() as uow:
        invoice = invoices.get_invoice(uow, ids["inv_a"])
        assert (invoice.total, invoice.credits_applied, invoice.balance) == (
            D("1000.00"),
            D("200.00"),
            D("800.00"),
        )
        assert invoice.amount_paid == D("0.00")  # a credit is not a payment
        row = next(r for r in list_invoices(uow).rows if r.id == ids["inv_a"])
        assert row.balance == D("800.00")
        summary = job_invoicing_summary(uow, ids["job_a"])
        assert (summary.credited, summary.balance_due) == (D("200.00"), D("800.00"))
        assert open_balances(uow, [ids["customer"]])[ids["customer"]] == D("1200.00")
        assert [(c.number, c.amount) for c in credits_for_invoice(uow, ids["inv_a"])] == [
            ("CM-1001", D("200.00"))
        ]


def test_applying_the_rest_marks_the_credit_applied_and_can_pay_an_invoice_off(
    db: Database, admin: Actor
) -> None:
    ids = _setup(db, admin)
    with db.uow(admin) as uow:
        payments.record_payment(
            uow, ids["customer"], "900", "check", DAY, applications=[(ids["inv_a"], "900")]
        )
        uow.commit()
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        done = applying.apply_credit(uow, credit.id, [(ids["inv_a"], "100")])
        uow.commit()
    assert done.remaining == D("113.30") and done.status == CreditStatus.OPEN
    with db.reader() as uow:
        invoice = invoices.get_invoice(uow, ids["inv_a"])
        assert (invoice.balance, invoice.status) == (D("0.00"), InvoiceStatus.PAID)
    # The job's second invoice is another QuickBooks job: the credit cannot go there.
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="same customer or job"):
        applying.apply_credit(uow, credit.id, [(ids["inv_b"], "113.30")])


def test_over_applying_is_refused_and_changes_nothing(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    before = snapshot(db)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError, match=r"Only \$213.30 of credit memo CM-1001 is left"):
            applying.apply_credit(uow, credit.id, [(ids["inv_a"], "213.31")])
        with pytest.raises(ValidationError, match=r"Only \$13.30"):
            # All or nothing: the first part fits, the second goes over, neither is saved.
            applying.apply_credit(uow, credit.id, [(ids["inv_a"], "200"), (ids["inv_a"], "13.31")])
        with pytest.raises(ValidationError, match="more than zero"):
            applying.apply_credit(uow, credit.id, [(ids["inv_a"], "0")])
        uow.commit()
    assert snapshot(db) == before


def test_an_application_is_never_more_than_the_invoice_balance(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    with db.uow(admin) as uow:
        payments.record_payment(
            uow, ids["customer"], "950", "check", DAY, applications=[(ids["inv_a"], "950")]
        )
        uow.commit()
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match=r"balance of \$50.00"):
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "50.01")])


def test_a_customer_credit_goes_to_invoices_billed_to_no_one_job(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids, job=None, reason="discount")
    with db.reader() as uow:
        assert invoices_for_credit(uow, credit.id) == ()  # both invoices bill a job
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="customer itself"):
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "10")])


def test_the_apply_table_lists_open_invoices_of_the_same_job_and_those_applied(
    db: Database, admin: Actor
) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.reader() as uow:
        choices = invoices_for_credit(uow, credit.id)
    assert [(c.id, c.balance, c.applied_here) for c in choices] == [(ids["inv_a"], D("1000.00"), D("0.00"))]


def test_unapply_gives_the_invoice_its_balance_back(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "213.30")])
        uow.commit()
    with db.reader() as uow:
        assert get_credit_memo(uow, credit.id).status == CreditStatus.APPLIED
    with db.uow(admin) as uow:
        part = applying.unapply_credit(uow, credit.id, ids["inv_a"], "13.30")
        with pytest.raises(ValidationError, match=r"Between \$0.01 and \$200.00"):
            applying.unapply_credit(uow, credit.id, ids["inv_a"], "200.01")
        with pytest.raises(ValidationError, match="not applied to that invoice"):
            applying.unapply_credit(uow, credit.id, ids["inv_b"])
        uow.commit()
    assert (part.applied, part.remaining, part.status) == (D("200.00"), D("13.30"), CreditStatus.OPEN)
    with db.uow(admin) as uow:
        whole = applying.unapply_credit(uow, credit.id, ids["inv_a"])
        uow.commit()
    assert whole.applications == () and whole.remaining == D("213.30")
    with db.reader() as uow:
        assert invoices.get_invoice(uow, ids["inv_a"]).balance == D("1000.00")


def test_void_frees_the_applications_and_keeps_the_number(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "150")])
        voided = credit_memos.void_credit_memo(uow, credit.id, "Entered twice")
        uow.commit()
    assert (voided.status, voided.applications, voided.remaining) == (CreditStatus.VOID, (), D("0.00"))
    assert voided.void_reason == "Entered twice" and voided.total == D("213.30")
    with db.reader() as uow:
        assert invoices.get_invoice(uow, ids["inv_a"]).balance == D("1000.00")
        assert uow.session.scalar(select(CreditMemo.number).where(CreditMemo.id == credit.id)) == "CM-1001"
        names = set(
            uow.session.scalars(select(DomainEvent.name).where(DomainEvent.entity_type == "credit_memo"))
        )
        assert {"credit_memo.created", "credit_memo.applied", "credit_memo.voided"} <= names
    with db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match="already void"):
            credit_memos.void_credit_memo(uow, credit.id)
        with pytest.raises(InvalidTransition, match="void credit cannot be applied"):
            applying.apply_credit(uow, credit.id, [(ids["inv_a"], "1")])
        with pytest.raises(InvalidTransition, match="cannot be changed"):
            credit_memos.update_credit_memo(uow, credit.id, voided.version, _fields(ids))
    assert _create(db, admin, ids).number == "CM-1002"


def test_voiding_a_credit_in_quickbooks_is_for_an_admin(db: Database, admin: Actor, office: Actor) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        uow.session.add(
            QbLink(entity_type="credit_memo", entity_id=credit.id, qb_id="CM-1", edit_sequence="1")
        )
        uow.commit()
    with db.uow(office) as uow, pytest.raises(PermissionDenied, match="Admin"):
        credit_memos.void_credit_memo(uow, credit.id)
    with db.uow(admin) as uow:
        assert credit_memos.void_credit_memo(uow, credit.id).status == CreditStatus.VOID


def test_an_invoice_with_a_credit_applied_is_not_voided_until_it_is_unapplied(
    db: Database, admin: Actor
) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "10")])
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(InvalidTransition, match=r"\$10.00 of credit memos applied"):
        invoices.void_invoice(uow, ids["inv_a"])


def test_edit_while_not_in_quickbooks_recomputes_and_keeps_what_is_applied(
    db: Database, admin: Actor
) -> None:
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "170")])
        uow.commit()
    one_line = (LineInput(quantity="1", item_id=ids["labor"]),)
    with db.reader() as uow:
        current = get_credit_memo(uow, credit.id)
    before = snapshot(db)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match=r"\$170.00 of this credit is applied"):
        credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=one_line))
    assert snapshot(db) == before
    two = (LineInput(quantity="2", item_id=ids["labor"], id=current.lines[0].id),)
    with db.uow(admin) as uow:
        edited = credit_memos.update_credit_memo(
            uow, credit.id, current.version, _fields(ids, lines=two, reason="discount")
        )
        uow.commit()
    assert (edited.total, edited.remaining, edited.status) == (D("170.00"), D("0.00"), CreditStatus.APPLIED)
    assert edited.reason == CreditReason.DISCOUNT and edited.lines[0].id == current.lines[0].id
    with db.uow(admin) as uow, pytest.raises(Conflict, match="Another user"):
        credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=two))


@pytest.mark.parametrize("refused", ["below what is applied", "nothing credited", "a line of another"])
def test_a_refused_edit_has_changed_nothing_even_when_the_caller_commits(
    db: Database, admin: Actor, refused: str
) -> None:
    """Everything is checked before anything is written: a caller that commits after the
    refusal keeps the credit memo as it was, lines and totals."""
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    other = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "170")])
        uow.commit()
    with db.reader() as uow:
        current = get_credit_memo(uow, credit.id)
    first = current.lines[0].id
    lines = {
        "below what is applied": (LineInput(quantity="1", item_id=ids["labor"], id=first),),
        "nothing credited": (LineInput(quantity="1", item_id=ids["labor"], rate="0", id=first),),
        "a line of another": (
            LineInput(quantity="3", item_id=ids["labor"], id=first),
            LineInput(quantity="1", item_id=ids["paint"], id=other.lines[0].id),
        ),
    }[refused]
    before = snapshot(db)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError):
            credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=lines))
        uow.commit()
    assert snapshot(db) == before
    with db.reader() as uow:
        after = get_credit_memo(uow, credit.id)
    assert (after.total, after.subtotal, after.lines) == (current.total, current.subtotal, current.lines)


@pytest.mark.parametrize("new_rate", ["9.00", "8.00"], ids=["rate raised", "rate lowered"])
def test_a_credit_keeps_the_tax_rate_it_was_made_with_when_edited(
    db: Database, admin: Actor, new_rate: str
) -> None:
    # As an invoice keeps its own: a memo edit after the rate changed re-prices nothing (a
    # fully applied credit is not refused for a total nobody changed), and a line added is
    # taxed at the credit's rate.
    ids = _setup(db, admin)
    credit = _create(db, admin, ids)  # 213.30: 40.00 taxable at 8.25 %
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "213.30")])
        set_setting(uow, "tax.default_rate", new_rate)
        uow.commit()
    with db.reader() as uow:
        current = get_credit_memo(uow, credit.id)
    same_lines = tuple(
        LineInput(quantity=str(line.quantity), item_id=line.item_id, id=line.id) for line in current.lines
    )
    with db.uow(admin) as uow:
        edited = credit_memos.update_credit_memo(
            uow, credit.id, current.version, _fields(ids, lines=same_lines, memo="Called the customer")
        )
        uow.commit()
    assert (edited.tax_rate, edited.tax, edited.total) == (D("8.2500"), D("3.30"), D("213.30"))
    assert edited.memo == "Called the customer" and edited.status == CreditStatus.APPLIED
    with db.uow(admin) as uow:
        applying.unapply_credit(uow, credit.id, ids["inv_a"])
        uow.commit()
        version = get_credit_memo(uow, credit.id).version
    more = (*same_lines, LineInput(quantity="1", item_id=ids["paint"]))
    with db.uow(admin) as uow:
        edited = credit_memos.update_credit_memo(uow, credit.id, version, _fields(ids, lines=more))
        uow.commit()
    assert (edited.tax_rate, edited.tax, edited.total) == (D("8.2500"), D("6.60"), D("256.60"))


def test_a_credit_in_quickbooks_is_edited_by_an_admin_and_the_change_is_queued(
    db: Database, admin: Actor, office: Actor
) -> None:
    from desktop_app.db.sync_models import SyncItem

    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        applying.apply_credit(uow, credit.id, [(ids["inv_a"], "170")])
        uow.session.add(
            QbLink(entity_type="credit_memo", entity_id=credit.id, qb_id="CM-1", edit_sequence="1")
        )
        uow.session.execute(delete(SyncItem))  # what creating and applying queued: gone
        uow.commit()
    with db.reader() as uow:
        current = get_credit_memo(uow, credit.id)
    three = (LineInput(quantity="3", item_id=ids["labor"], id=current.lines[0].id),)
    before = snapshot(db)
    with db.uow(office) as uow, pytest.raises(PermissionDenied, match="Admin"):
        credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=three))
    assert snapshot(db) == before
    # Every other rule still holds for an admin: not below what is applied, the customer stays.
    one_line = (LineInput(quantity="1", item_id=ids["labor"], id=current.lines[0].id),)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match=r"\$170.00 of this credit is applied"):
        credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=one_line))
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="customer cannot be changed"):
        credit_memos.update_credit_memo(
            uow, credit.id, current.version, _fields(ids, lines=three, customer_id=ids["customer"] + 99)
        )
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="Unapply this credit"):
        credit_memos.update_credit_memo(
            uow, credit.id, current.version, _fields(ids, job="job_b", lines=three)
        )
    assert snapshot(db) == before
    with db.uow(admin) as uow:
        edited = credit_memos.update_credit_memo(
            uow, credit.id, current.version, _fields(ids, lines=three, memo="Three hours back")
        )
        uow.commit()
    assert (edited.total, edited.memo, edited.in_quickbooks) == (D("255.00"), "Three hours back", True)
    with db.reader() as uow:
        queued = [
            (item.entity_type, item.action)
            for item in uow.session.scalars(select(SyncItem).where(SyncItem.entity_id == credit.id))
        ]
    assert ("credit_memo", "upsert") in queued
    with db.uow(admin) as uow, pytest.raises(Conflict, match="Another user"):
        credit_memos.update_credit_memo(uow, credit.id, current.version, _fields(ids, lines=three))


def test_lists_and_lookups(db: Database, admin: Actor) -> None:
    ids = _setup(db, admin)
    first = _create(db, admin, ids)
    second = _create(db, admin, ids, job=None, credit_date=date(2026, 3, 6), reason="refund")
    with db.reader() as uow:
        rows = list_credit_memos(uow, customer_id=ids["customer"])
        assert [r.number for r in rows] == [second.number, first.number]
        assert [r.number for r in list_credit_memos(uow, job_id=ids["job_a"])] == [first.number]
        with pytest.raises(NotFound):
            get_credit_memo(uow, 999_999)
        assert uow.session.scalar(select(func.count()).select_from(CreditMemo)) == 2


def test_a_credit_memo_is_queued_for_quickbooks_and_its_void_follows_once_it_is_there(
    db: Database, admin: Actor
) -> None:
    from desktop_app.db.sync_models import SyncItem

    ids = _setup(db, admin)
    credit = _create(db, admin, ids)
    with db.uow(admin) as uow:
        uow.session.add(
            QbLink(entity_type="credit_memo", entity_id=credit.id, qb_id="9-1", edit_sequence="1")
        )
        uow.commit()
    with db.uow(admin) as uow:
        credit_memos.void_credit_memo(uow, credit.id)
        uow.commit()
    with db.reader() as uow:
        queued = {
            (item.action, item.state)
            for item in uow.session.scalars(
                select(SyncItem).where(SyncItem.entity_type == "credit_memo", SyncItem.entity_id == credit.id)
            )
        }
    assert {action for action, _ in queued} == {"upsert", "void"}
