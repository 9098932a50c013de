"""Every order of finish / invoice / send / partial pay / pay / apply later, under every trigger
setting: each invoice and payment is either in QuickBooks or listed as held back, with the
reason the settings give; and "Send now" sends everything held back.

Every order of every subset of the steps is a prefix of an order of all of them, so each
full order is walked step by step: after every step (a prefix: finish never done, invoice
never sent, …) each record is on its way to QuickBooks or held back with its reason; after
the last step a sync against the simulated QuickBooks puts exactly those on their way there.

The expected outcome is worked out here from the settings alone (an oracle independent of
the queue code): an invoice goes once a trigger that is on has fired, and every payment
applied to it goes with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.services import invoice_details, invoices, jobs, payments, settings, sync_held_back
from desktop_app.services.lines import LineInput
from desktop_app.services.sync_held_back import BY_HAND, WHEN_APPLIED, WHEN_FINISHED, WHEN_PAID, WHEN_SENT
from tests.integration.sync.conftest import FINISHED, Office, make_office

# F finish the job · S send (issue) the invoice · P a $100 partial payment applied when recorded
# L apply a $50 payment recorded (unapplied) before anything else · Y pay the rest.
# The invoice is created (I) before S, P, L and Y; F may come anywhere, or not at all.
AFTER_INVOICE = ("S", "P", "L", "Y")
TRIGGERS = list(itertools.product((True, False), repeat=3))  # (on sent, on finished, on paid)


def orders() -> Iterator[tuple[str, ...]]:
    for perm in itertools.permutations(AFTER_INVOICE):
        steps = ("I", *perm)
        yield steps
        for at in range(len(steps) + 1):
            yield (*steps[:at], "F", *steps[at:])


ORDERS = list(orders())


@dataclass
class Scenario:
    steps: tuple[str, ...]
    customer_id: int = 0
    job_id: int = 0
    job_number: str = ""
    invoice_id: int = 0
    later_payment: int = 0
    applied_payments: list[int] = field(default_factory=list)


def _run(
    uow: UnitOfWork, office_index: int, scenario: Scenario, item_id: int, triggers: tuple[bool, bool, bool]
) -> None:
    from desktop_app.services import customers

    customer = customers.create_customer(
        uow, customers.CustomerFields(display_name=f"Order {office_index:03d} {''.join(scenario.steps)}")
    )
    scenario.customer_id = customer.id
    job = jobs.create_job(
        uow,
        jobs.JobFields(
            customer_id=customer.id, name="Porch", lines=(LineInput(quantity="10", item_id=item_id),)
        ),
    )
    scenario.job_id, scenario.job_number = job.id, job.number
    later = payments.record_payment(uow, customer.id, "50.00", "check", FINISHED, reference="later")
    scenario.later_payment = later.id
    done: set[str] = set()
    for step in scenario.steps:
        if step == "F":
            version = jobs.start_job(uow, job.id, jobs.get_job(uow, job.id).version, on=FINISHED).version
            jobs.finish_job(uow, job.id, version, on=FINISHED)
        elif step == "I":
            scenario.invoice_id = invoices.create_invoice(uow, job.id, today=FINISHED).id
        elif step == "S":
            invoices.issue_invoice(uow, scenario.invoice_id, on=FINISHED)
        elif step == "P":
            paid = payments.record_payment(
                uow, customer.id, "100.00", "check", FINISHED, applications=[(scenario.invoice_id, "100.00")]
            )
            scenario.applied_payments.append(paid.id)
        elif step == "L":
            payments.apply_payment(uow, later.id, scenario.invoice_id, "50.00")
        elif step == "Y":
            # Leave room for the payments still to come (L's $50 even when it never comes).
            invoice = invoices.get_invoice(uow, scenario.invoice_id)
            rest = invoice.balance - (0 if "L" in done else Decimal("50.00"))
            rest -= Decimal("100.00") if "P" in scenario.steps and "P" not in done else 0
            paid = payments.record_payment(
                uow, customer.id, rest, "check", FINISHED, applications=[(scenario.invoice_id, rest)]
            )
            scenario.applied_payments.append(paid.id)
        done.add(step)
        prefix = scenario.steps[: scenario.steps.index(step) + 1]
        _check_prefix(uow, scenario, prefix, triggers)


def _records(
    s: Scenario, steps: tuple[str, ...], triggers: tuple[bool, bool, bool]
) -> list[tuple[str, int, str]]:
    """(kind, id, expected group) of the scenario's records after ``steps``; "" = goes to QuickBooks."""
    # Y pays what the scenario's other payments leave: the invoice is paid off once Y, L and
    # (when the scenario has one) P have run.
    paid_in_full = {"Y", "L"} <= set(steps) and ("P" in steps or "P" not in s.steps)
    group = _expected_invoice_group(steps, paid_in_full, *triggers)
    records = [("payment", s.later_payment, group if "L" in steps else WHEN_APPLIED)]
    if "I" in steps:
        records.append(("invoice", s.invoice_id, group))
    records += [("payment", p, group) for p in s.applied_payments]
    return records


def _check_prefix(
    uow: UnitOfWork, s: Scenario, steps: tuple[str, ...], triggers: tuple[bool, bool, bool]
) -> None:
    held = {
        (r.entity_type, r.entity_id): r for r in sync_held_back.list_held_back(uow, customer_id=s.customer_id)
    }
    for entity_type, entity_id, expected in _records(s, steps, triggers):
        where = f"after {''.join(steps)} of {''.join(s.steps)}: {entity_type} {entity_id}"
        row = held.get((entity_type, entity_id))
        on_its_way = _queued(uow, entity_type, entity_id)
        if expected == "":
            assert on_its_way and row is None, f"{where} should be on its way to QuickBooks"
        else:
            assert not on_its_way, f"{where} was queued"
            assert row is not None and row.waits_for == expected, f"{where}: {row}"
            assert row.reason
    assert len(held) == sum(1 for *_, expected in _records(s, steps, triggers) if expected), held


def _queued(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    return (
        uow.session.scalar(
            select(SyncItem.id).where(
                SyncItem.entity_type == entity_type,
                SyncItem.entity_id == entity_id,
                SyncItem.state == "queued",
            )
        )
        is not None
    )


def _expected_invoice_group(
    steps: tuple[str, ...], paid_in_full: bool, on_sent: bool, on_finished: bool, on_paid: bool
) -> str:
    """What the held-back invoice waits for; "" when it should be in QuickBooks."""
    fired = (on_sent and "S" in steps) or (on_finished and "F" in steps) or (on_paid and paid_in_full)
    if fired:
        return ""
    waits = [
        phrase
        for on, phrase in ((on_sent, WHEN_SENT), (on_finished, WHEN_FINISHED), (on_paid, WHEN_PAID))
        if on
    ]
    return " or ".join(waits) if waits else BY_HAND


def _sync_until_done(office: Office) -> None:
    for _ in range(8):  # a session may only queue a dependency; the next poll sends it
        office.sync()
        if not office.engine.has_work():
            return
    raise AssertionError("the queue did not empty")


def _linked(db: Database, entity_type: str) -> set[int]:
    with db.reader() as uow:
        return set(uow.session.scalars(select(QbLink.entity_id).where(QbLink.entity_type == entity_type)))


@pytest.mark.parametrize(("on_sent", "on_finished", "on_paid"), TRIGGERS)
def test_every_order_ends_in_quickbooks_or_held_back_with_its_reason(
    db: Database, on_sent: bool, on_finished: bool, on_paid: bool
) -> None:
    office = make_office(db)
    item_id = office.labor()
    with db.uow() as uow:
        settings.set_setting(uow, "sync.on_invoice_sent", on_sent)
        settings.set_setting(uow, "sync.on_job_finished", on_finished)
        settings.set_setting(uow, "sync.on_invoice_paid", on_paid)
        uow.commit()
    scenarios = [Scenario(steps) for steps in ORDERS]
    with db.uow() as uow:
        for index, scenario in enumerate(scenarios):
            _run(uow, index, scenario, item_id, (on_sent, on_finished, on_paid))
        uow.commit()

    _sync_until_done(office)

    linked_invoices, linked_payments = _linked(db, "invoice"), _linked(db, "payment")
    with db.reader() as uow:
        held = {(r.entity_type, r.entity_id): r for r in sync_held_back.list_held_back(uow)}
        balances = {
            s.invoice_id: invoice_details.balance_of(uow, _invoice(uow, s.invoice_id)) for s in scenarios
        }
    for s in scenarios:
        where = f"order {''.join(s.steps)}"
        for entity_type, entity_id, expected in _records(s, s.steps, (on_sent, on_finished, on_paid)):
            in_qb = entity_id in (linked_invoices if entity_type == "invoice" else linked_payments)
            row = held.get((entity_type, entity_id))
            if expected == "":
                assert in_qb and row is None, f"{where}: {entity_type} {entity_id} should be in QuickBooks"
            else:
                assert not in_qb, f"{where}: {entity_type} {entity_id} reached QuickBooks"
                assert row is not None, (
                    f"{where}: {entity_type} {entity_id} is neither in QuickBooks nor held"
                )
                assert row.waits_for == expected, f"{where}: {entity_type} {row.reason}"
        # The oracle's "paid in full" is the invoice's: paid off exactly when both Y and L ran.
        assert (balances[s.invoice_id] == 0) == ({"Y", "L"} <= set(s.steps)), where
    # QuickBooks holds exactly what JobDesk says it holds.
    assert len(office.qb.invoices) == len(linked_invoices)
    assert len(office.qb.payments) == len(linked_payments)
    assert office.alerts() == []

    # "Send now" sends everything held back; then nothing is.
    with db.uow() as uow:
        queued = sync_held_back.send_held_back(uow)
        uow.commit()
    assert queued == len(held)
    _sync_until_done(office)
    with db.reader() as uow:
        assert sync_held_back.list_held_back(uow) == ()
    every_invoice = {s.invoice_id for s in scenarios}
    every_payment = {p for s in scenarios for p in (s.later_payment, *s.applied_payments)}
    assert _linked(db, "invoice") == every_invoice
    assert _linked(db, "payment") == every_payment
    assert len(office.qb.payments) == len(every_payment)
    assert office.alerts() == []


def _invoice(uow: UnitOfWork, invoice_id: int) -> object:
    from desktop_app.db.models import Invoice

    return uow.session.get(Invoice, invoice_id)
