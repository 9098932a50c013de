"""A job can never be edited to less than its live invoices bill (issue 15, rule 1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import ValidationError
from desktop_app.services import invoices, jobs
from desktop_app.services.invoice_queries import job_invoicing_summary
from desktop_app.services.job_segments import SegmentPart, split_into_segments
from desktop_app.services.lines import LineInput
from desktop_app.services.settings import set_setting
from tests.integration import service_helpers as make

TWO_LINES = (
    LineInput(quantity="2", description="Labour", rate="30.00", taxable=False),
    LineInput(quantity="1", description="Parts", rate="40.00", taxable=False),
)


def _job(db: Database, admin: Actor, *, progress: bool = True) -> tuple[int, jobs.JobDetail]:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.progress", progress)
        customer = make.customer(uow)
        job = make.job(uow, customer.id, lines=TWO_LINES)
        uow.commit()
    assert job.totals.total == Decimal("100.00")
    return customer.id, job


def _lines(job: jobs.JobDetail) -> list[LineInput]:
    return list(jobs.JobDetail.to_fields(job).lines)


def _edit(
    db: Database, admin: Actor, job_id: int, change: Callable[[list[LineInput]], list[LineInput]]
) -> None:
    with db.uow(admin) as uow:
        job = jobs.get_job(uow, job_id)
        fields = replace(job.to_fields(), lines=tuple(change(_lines(job))))
        jobs.update_job(uow, job.id, job.version, fields)
        uow.commit()


def _total(db: Database, job_id: int) -> Decimal:
    with db.reader() as uow:
        return jobs.get_job(uow, job_id).totals.total


EDITS: dict[str, Callable[[list[LineInput]], list[LineInput]]] = {
    "line replaced by a cheaper one": lambda ls: [LineInput(quantity="1", description="All", rate="50")],
    "line removed": lambda ls: ls[1:],
    "rate lowered": lambda ls: [replace(ls[0], rate="5.00"), ls[1]],
    "quantity lowered": lambda ls: [replace(ls[0], quantity="1"), ls[1]],
}
# Edit → the new total, and whether voiding the newest invoice ($40) alone is enough.
NEW_TOTALS = {
    "line replaced by a cheaper one": ("$50.00", False),
    "line removed": ("$40.00", False),
    "rate lowered": ("$50.00", False),
    "quantity lowered": ("$70.00", True),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edit_below_what_progress_invoices_bill_is_refused_and_changes_nothing(
    db: Database, admin: Actor, edit: str
) -> None:
    _, job = _job(db, admin)
    with db.uow(admin) as uow:
        first = invoices.create_progress_invoice(uow, job.id, percent="60")
        second = invoices.create_progress_invoice(uow, job.id, percent="40")
        uow.commit()
    with pytest.raises(ValidationError) as refused:
        _edit(db, admin, job.id, EDITS[edit])
    message = str(refused.value)
    assert refused.value.field == "lines"
    new_total, newest_is_enough = NEW_TOTALS[edit]
    assert f"invoiced for $100.00, so this edit cannot bring its total down to {new_total}" in message
    # Newest first, as many as it takes: what to void is named, what may stay is not.
    if newest_is_enough:
        assert f"Void invoice {second.number} ($40.00) first" in message and first.number not in message
    else:
        assert f"Void invoices {second.number} ($40.00) and {first.number} ($60.00) first" in message
    assert _total(db, job.id) == Decimal("100.00")
    with db.reader() as uow:
        assert job_invoicing_summary(uow, job.id).remaining_to_invoice == Decimal("0.00")


def test_an_edit_that_stays_at_or_above_what_is_invoiced_is_saved(db: Database, admin: Actor) -> None:
    _, job = _job(db, admin)
    with db.uow(admin) as uow:
        invoices.create_progress_invoice(uow, job.id, percent="60")
        uow.commit()
    _edit(db, admin, job.id, lambda ls: [replace(ls[0], rate="10.00"), ls[1]])  # 20 + 40 = 60: exactly billed
    assert _total(db, job.id) == Decimal("60.00")
    with db.reader() as uow:
        assert job_invoicing_summary(uow, job.id).remaining_to_invoice == Decimal("0.00")
    with pytest.raises(ValidationError, match=r"invoiced for \$60\.00"):
        _edit(db, admin, job.id, lambda ls: [replace(ls[0], rate="9.99"), ls[1]])


def test_voiding_first_lets_the_edit_through(db: Database, admin: Actor) -> None:
    _, job = _job(db, admin)
    with db.uow(admin) as uow:
        invoices.create_progress_invoice(uow, job.id, percent="50")
        second = invoices.create_progress_invoice(uow, job.id, percent="50")
        uow.commit()
    change = EDITS["line replaced by a cheaper one"]
    with pytest.raises(ValidationError):
        _edit(db, admin, job.id, change)
    with db.uow(admin) as uow:
        invoices.void_invoice(uow, second.id, "job got smaller")
        uow.commit()
    _edit(db, admin, job.id, change)
    with db.reader() as uow:
        summary = job_invoicing_summary(uow, job.id)
    assert (summary.job_total, summary.invoiced, summary.remaining_to_invoice) == (
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("0.00"),
    )


def test_deposits_count_and_several_invoices_to_void_are_all_named(db: Database, admin: Actor) -> None:
    _, job = _job(db, admin)
    with db.uow(admin) as uow:
        a = invoices.create_deposit_invoice(uow, job.id, amount="30")
        b = invoices.create_progress_invoice(uow, job.id, amount="30")
        c = invoices.create_progress_invoice(uow, job.id, amount="30")
        uow.commit()
    with pytest.raises(ValidationError) as refused:
        _edit(db, admin, job.id, lambda ls: [LineInput(quantity="1", description="All", rate="20")])
    message = str(refused.value)
    assert "invoiced for $90.00" in message
    assert f"Void invoices {c.number} ($30.00), {b.number} ($30.00) and {a.number} ($30.00) first" in message


def test_a_job_billed_by_its_full_invoice_cannot_be_edited_below_it(db: Database, admin: Actor) -> None:
    _, job = _job(db, admin, progress=False)
    with db.uow(admin) as uow:
        main = invoices.create_invoice(uow, job.id)
        uow.commit()
    with pytest.raises(ValidationError, match=rf"Void invoice {main.number} \(\$100\.00\) first"):
        _edit(db, admin, job.id, EDITS["line removed"])
    # Adding work is fine: the job then has more left to bill.
    _edit(db, admin, job.id, lambda ls: [*ls, LineInput(quantity="1", description="Extra", rate="5")])
    assert _total(db, job.id) == Decimal("105.00")


def test_a_job_on_a_multi_job_invoice_cannot_be_edited_below_its_share(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "tax.default_rate", "10")
        customer = make.customer(uow)
        taxed = (LineInput(quantity="1", description="Tile", rate="100.00", taxable=True),)
        one = make.job(uow, customer.id, lines=taxed)
        two = make.job(uow, customer.id, name="Bathroom", lines=taxed)
        shared = invoices.create_multi_job_invoice(uow, customer.id, [one.id, two.id])
        uow.commit()
    with db.reader() as uow:
        summary = job_invoicing_summary(uow, one.id)
    # The job's share of the invoice is taxed like the job: nothing is left to invoice.
    assert (summary.job_total, summary.invoiced, summary.remaining_to_invoice) == (
        Decimal("110.00"),
        Decimal("110.00"),
        Decimal("0.00"),
    )
    with pytest.raises(ValidationError) as refused:
        _edit(db, admin, one.id, lambda ls: [replace(ls[0], quantity="0.5")])
    assert f"{shared.number} ($110.00, billing other jobs too)" in str(refused.value)
    assert _total(db, one.id) == Decimal("110.00")


def test_splitting_lines_off_a_fully_invoiced_job_is_refused(db: Database, admin: Actor) -> None:
    _, job = _job(db, admin)
    with db.uow(admin) as uow:
        invoices.create_progress_invoice(uow, job.id, percent="100")
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="splitting these lines off"):
        split_into_segments(uow, job.id, job.version, [SegmentPart(line_ids=[job.lines[1].id])])
    with db.reader() as uow:
        assert jobs.get_job(uow, job.id).segment_ids == ()
    assert _total(db, job.id) == Decimal("100.00")


def test_a_job_already_billed_past_its_total_still_takes_edits_that_do_not_lower_it(
    db: Database, admin: Actor
) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.progress", True)
        set_setting(uow, "tax.default_rate", "10")
        customer = make.customer(uow)
        job = make.job(uow, customer.id, lines=(LineInput(description="Tile", rate="100", taxable=True),))
        invoices.create_progress_invoice(uow, job.id, percent="100")
        # The company's rate goes down after the job was billed in full: 100 < 110 invoiced.
        set_setting(uow, "tax.default_rate", "0")
        uow.commit()

    def rename(uow: UnitOfWork) -> None:
        current = jobs.get_job(uow, job.id)
        jobs.update_job(uow, job.id, current.version, replace(current.to_fields(), notes="Call first"))

    with db.uow(admin) as uow:
        rename(uow)
        uow.commit()
    with db.reader() as uow:
        assert jobs.get_job(uow, job.id).notes == "Call first"
