"""An edit naming a line of another document is refused, and changes nothing of the
document, even when the caller commits after the refusal (its name, notes… were set
before the lines were checked)."""

from __future__ import annotations

import pytest

from desktop_app.db.models import Bid, Job
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import ValidationError
from desktop_app.services import bids, jobs
from desktop_app.services.lines import LineInput
from tests.factories import make_customer, make_job
from tests.integration.service_helpers import snapshot


def test_a_job_edit_naming_another_jobs_line_changes_nothing(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Dale, Dana")
        job = make_job(uow, customer, [("1", "850", False)])
        other = make_job(uow, customer, [("2", "100", False)])
        uow.commit()
        job_id, other_line = job.id, other.lines[0].id
    before = snapshot(db)
    with db.uow(admin) as uow:
        detail = jobs.get_job(uow, job_id)
        values = jobs.JobFields(
            customer_id=detail.customer_id,
            name="Renamed",
            notes="changed",
            lines=(LineInput(quantity="1", description="x", rate="5", id=other_line),),
        )
        with pytest.raises(ValidationError, match="does not belong"):
            jobs.update_job(uow, job_id, detail.version, values)
        uow.commit()
    assert snapshot(db) == before
    with db.reader() as uow:
        kept = uow.session.get(Job, job_id)
        assert kept is not None and (kept.name, kept.notes) == (detail.name, detail.notes)


def test_a_bid_edit_naming_another_bids_line_changes_nothing(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Dale, Dana")
        line = (LineInput(quantity="1", description="Demo", rate="100"),)
        bid = bids.create_bid(uow, bids.BidFields(customer_id=customer.id, title="Kitchen", lines=line))
        other = bids.create_bid(uow, bids.BidFields(customer_id=customer.id, title="Bath", lines=line))
        uow.commit()
    before = snapshot(db)
    with db.uow(admin) as uow:
        current = bids.get_bid(uow, bid.id)
        values = bids.BidFields(
            customer_id=customer.id,
            title="Renamed",
            notes="changed",
            lines=(LineInput(quantity="1", description="x", rate="5", id=other.lines[0].id),),
        )
        with pytest.raises(ValidationError, match="does not belong"):
            bids.update_bid(uow, bid.id, current.version, values)
        uow.commit()
    assert snapshot(db) == before
    with db.reader() as uow:
        kept = uow.session.get(Bid, bid.id)
        assert kept is not None and (kept.title, kept.notes) == ("Kitchen", "")
