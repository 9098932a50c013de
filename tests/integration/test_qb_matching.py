"""Matching an office's QuickBooks records with ours (services.qb_matching): exact names link,
near matches are proposed and wait for an admin, who links, creates as new or renames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import AuditEntry, Customer, Item, Job, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from desktop_app.services import qb_matching
from desktop_app.services.qb_records import QbRecord
from tests.factories import make_customer, make_item, make_job


def customer(list_id: str, name: str, **detail: str) -> QbRecord:
    return QbRecord("customer", list_id, name, name, "1", detail={"first_name": "Q", **detail})


def job(list_id: str, name: str, parent: QbRecord) -> QbRecord:
    return QbRecord("job", list_id, name, f"{parent.name}:{name}", "1", parent_list_id=parent.list_id)


def item(list_id: str, name: str, record_type: str = "ItemService", price: str = "50") -> QbRecord:
    return QbRecord("item", list_id, name, name, "1", record_type=record_type, detail={"price": price})


def run(db: Database, records: Sequence[QbRecord]) -> qb_matching.PageOutcome:
    with db.uow() as uow:
        outcome = qb_matching.import_page(uow, records)
        uow.commit()
    return outcome


def count(db: Database, model: object, *where: object) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def proposals(db: Database, *, undecided_only: bool = False) -> tuple[qb_matching.ProposalRow, ...]:
    with db.reader() as uow:
        return qb_matching.list_proposals(uow, undecided_only=undecided_only)


def decide(
    db: Database, proposal_id: int, decision: str, new_name: str = "", actor: Actor | None = None
) -> object:
    with db.uow(actor or Actor(name="Ada Admin", role="admin")) as uow:
        row = qb_matching.decide(uow, proposal_id, decision, new_name)
        uow.commit()
    return row


def ours(db: Database, name: str) -> int:
    with db.uow() as uow:
        made = make_customer(uow, name)
        uow.commit()
    return made.id


def link_of(db: Database, entity_type: str, entity_id: int) -> str | None:
    with db.reader() as uow:
        return uow.session.scalar(
            select(QbLink.qb_id).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id)
        )


def names(db: Database) -> list[str]:
    with db.reader() as uow:
        return sorted(uow.session.scalars(select(Customer.display_name)))


# -- importing ------------------------------------------------------------------------------------


def test_an_exact_name_links_automatically_and_nothing_new_is_made(db: Database) -> None:
    mine = ours(db, "Smith, Ann")
    outcome = run(db, [customer("C1", "Smith, Ann"), customer("C2", "Brand New")])
    assert (outcome.linked, outcome.created, outcome.proposed) == (1, 1, 0)
    assert link_of(db, "customer", mine) == "C1"
    assert names(db) == ["Brand New", "Smith, Ann"]
    assert proposals(db) == ()


@pytest.mark.parametrize(
    ("mine", "theirs", "reason"),
    [
        ("O'Brien, Pavel", "OBrien, Pavel", "spelling"),
        ("Kim, Hiro", "kim, hiro", "case"),
        ("Kim, Hiro", "Hiro Kim", "name_order"),
    ],
)
def test_a_near_name_is_proposed_and_no_second_customer_is_made(
    db: Database, mine: str, theirs: str, reason: str
) -> None:
    our_id = ours(db, mine)
    outcome = run(db, [customer("C1", theirs)])
    assert (outcome.linked, outcome.created, outcome.proposed) == (0, 0, 1)
    assert names(db) == [mine]
    assert link_of(db, "customer", our_id) is None
    (row,) = proposals(db)
    assert (row.entity_id, row.our_name, row.qb_name, row.reason) == (our_id, mine, theirs, reason)
    assert mine in row.explanation and theirs in row.explanation
    assert [option for option, _ in row.options] == ["link", "create", "rename"]
    assert row.decision == "" and row.decision_text == "Not decided"
    with db.reader() as uow:
        assert qb_matching.undecided_count(uow) == 1
    # Reading QuickBooks again asks nothing new and still makes nothing.
    again = run(db, [customer("C1", theirs)])
    assert (again.linked, again.created, again.proposed) == (0, 0, 0)
    assert count(db, MatchProposal) == 1 and names(db) == [mine]
    assert count(db, QuickBooksListRecord) == 1


def test_a_job_of_another_spelling_or_under_another_customer_is_proposed(db: Database) -> None:
    with db.uow() as uow:
        ann, bob = make_customer(uow, "Smith, Ann"), make_customer(uow, "Jones, Bob")
        panel = make_job(uow, ann, number="1010", name="- Panel upgrade")
        deck = make_job(uow, bob, number="1020", name="Deck")
        uow.commit()
    parent, other = customer("C1", "Smith, Ann"), customer("C2", "Lee, Kim")
    run(db, [parent, other, job("J1", "1010 Panel upgrade", parent), job("J2", "1020 Deck", other)])
    found = {row.entity_id: row for row in proposals(db)}
    assert found[panel.id].reason == "spelling" and found[panel.id].qb_name == "1010 Panel upgrade"
    assert found[deck.id].reason == "other_parent"
    assert "Lee, Kim" in found[deck.id].explanation and "Jones, Bob" in found[deck.id].explanation
    assert count(db, Job) == 2  # neither QuickBooks job became a JobDesk job


def test_an_item_of_our_name_but_another_type_is_proposed(db: Database) -> None:
    with db.uow() as uow:
        drywall = make_item(uow, "Drywall")
        labor = make_item(uow, "Labor")
        uow.commit()
    outcome = run(
        db,
        [item("I1", "Drywall", "ItemInventory"), item("I2", "Labor"), item("I3", "Fuel", "ItemOtherCharge")],
    )
    assert (outcome.linked, outcome.created, outcome.proposed) == (1, 0, 1)
    (row,) = proposals(db)
    assert (row.entity_id, row.reason) == (drywall.id, "other_item_type")
    assert "inventory item" in row.explanation
    assert link_of(db, "item", labor.id) == "I2"
    assert count(db, Item) == 2  # an other-charge item is kept in the copy, not in the price book
    assert count(db, QuickBooksListRecord, QuickBooksListRecord.record_type == "ItemOtherCharge") == 1


def test_a_customer_name_quickbooks_uses_for_a_vendor_cannot_be_linked(db: Database) -> None:
    our_id = ours(db, "Kim, Hiro")
    run(db, [QbRecord("vendor", "V1", "Kim, Hiro", "Kim, Hiro", "1")])
    (row,) = proposals(db)
    assert row.reason == "name_taken" and "vendor" in row.explanation
    assert [option for option, _ in row.options] == ["create", "rename"]
    with pytest.raises(ValidationError, match="vendor"):
        decide(db, row.id, "link")
    assert proposals(db)[0].decision == ""
    decided = decide(db, row.id, "create")
    assert isinstance(decided, qb_matching.ProposalRow)
    assert decided.new_name == "Kim, Hiro (2)" and decided.our_name == "Kim, Hiro (2)"
    assert names(db) == ["Kim, Hiro (2)"]  # ours is renamed in JobDesk too; no vendor is made
    assert link_of(db, "customer", our_id) is None  # it goes to QuickBooks as new


# -- deciding -------------------------------------------------------------------------------------


def _obrien(db: Database) -> tuple[int, int]:
    our_id = ours(db, "O'Brien, Pavel")
    theirs = customer("C9", "OBrien, Pavel")
    run(db, [theirs, job("J9", "Attic", theirs)])
    (row,) = proposals(db)
    return our_id, row.id


def test_link_joins_ours_to_quickbooks_record_and_brings_in_its_jobs(db: Database) -> None:
    our_id, proposal = _obrien(db)
    assert count(db, Job) == 0  # its job waited for the decision
    row = decide(db, proposal, "link")
    assert (
        isinstance(row, qb_matching.ProposalRow) and row.decision == "link" and row.decided_by == "Ada Admin"
    )
    assert link_of(db, "customer", our_id) == "C9"
    assert names(db) == ["O'Brien, Pavel"]
    with db.reader() as uow:
        (attic,) = uow.session.scalars(select(Job))
        assert attic.customer_id == our_id
        entry = uow.session.execute(
            select(AuditEntry.user_name, AuditEntry.changes).where(AuditEntry.action == "match_decision")
        ).one()
    assert entry.user_name == "Ada Admin" and '"link"' in entry.changes
    with db.reader() as uow:
        assert qb_matching.undecided_count(uow) == 0
    # A decided proposal is not asked again.
    assert run(db, [customer("C9", "OBrien, Pavel")]).proposed == 0
    assert count(db, MatchProposal) == 1


def test_create_keeps_ours_and_brings_quickbooks_record_in_as_its_own(db: Database) -> None:
    our_id, proposal = _obrien(db)
    row = decide(db, proposal, "create")
    assert isinstance(row, qb_matching.ProposalRow)
    assert row.new_name == "O'Brien, Pavel"  # QuickBooks takes it as it is
    assert names(db) == ["O'Brien, Pavel", "OBrien, Pavel"]
    assert link_of(db, "customer", our_id) is None
    with db.reader() as uow:
        copy = uow.session.scalar(select(Customer).where(Customer.display_name == "OBrien, Pavel"))
        assert copy is not None and link_of(db, "customer", copy.id) == "C9"
        assert uow.session.scalar(select(Job.customer_id)) == copy.id


def test_rename_to_quickbooks_name_links_and_to_another_name_keeps_both(db: Database) -> None:
    our_id, proposal = _obrien(db)
    row = decide(db, proposal, "rename", "OBrien, Pavel")
    assert isinstance(row, qb_matching.ProposalRow) and row.decision == "link"
    assert names(db) == ["OBrien, Pavel"] and link_of(db, "customer", our_id) == "C9"
    # Changed before anything was sent: the link goes, and ours takes the new name.
    row = decide(db, proposal, "rename", "O'Brien, Pavel J.")
    assert isinstance(row, qb_matching.ProposalRow) and row.decision == "rename"
    assert names(db) == ["O'Brien, Pavel J.", "OBrien, Pavel"]
    assert link_of(db, "customer", our_id) is None


def test_rename_is_checked_like_any_rename_and_bad_input_changes_nothing(db: Database) -> None:
    _, proposal = _obrien(db)
    ours(db, "Taken Name")
    with pytest.raises(ValidationError, match="already exists"):
        decide(db, proposal, "rename", "Taken Name")
    with pytest.raises(ValidationError, match="new name"):
        decide(db, proposal, "rename", "  ")
    with pytest.raises(ValidationError, match="colon"):
        decide(db, proposal, "rename", "A: B")
    with pytest.raises(ValidationError, match="link, create"):
        decide(db, proposal, "merge")
    with pytest.raises(NotFound):
        decide(db, 999_999, "link")
    assert names(db) == ["O'Brien, Pavel", "Taken Name"] and proposals(db)[0].decision == ""


def test_a_changed_decision_undoes_the_last_one(db: Database) -> None:
    our_id, proposal = _obrien(db)
    decide(db, proposal, "create")
    assert names(db) == ["O'Brien, Pavel", "OBrien, Pavel"]
    decide(db, proposal, "link")  # the copy made from QuickBooks' record goes again
    assert names(db) == ["O'Brien, Pavel"] and link_of(db, "customer", our_id) == "C9"
    with db.reader() as uow:
        entries = list(
            uow.session.scalars(select(AuditEntry.changes).where(AuditEntry.action == "match_decision"))
        )
    assert len(entries) == 2 and '"create", "link"' in entries[1]


def test_decisions_can_be_changed_until_a_record_of_ours_is_sent(db: Database) -> None:
    _, proposal = _obrien(db)
    decide(db, proposal, "create")
    with db.uow() as uow:
        uow.session.add(
            SyncItem(
                entity_type="customer", entity_id=1, action="upsert", sent_at=utcnow() + timedelta(seconds=1)
            )
        )
        uow.commit()
    with pytest.raises(InvalidTransition, match="sent records of ours"):
        decide(db, proposal, "link")
    assert proposals(db)[0].decision == "create"


def test_only_an_admin_decides(db: Database) -> None:
    _, proposal = _obrien(db)
    with pytest.raises(PermissionDenied):
        decide(db, proposal, "link", actor=Actor(name="Olly Office", role="office"))
    assert proposals(db)[0].decision == ""


def test_linking_a_record_quickbooks_already_linked_elsewhere_is_refused(db: Database) -> None:
    first, second = ours(db, "Kim, Hiro"), ours(db, "Hiro Kim")
    run(db, [customer("C1", "KIM HIRO")])
    rows = proposals(db)
    assert {row.entity_id for row in rows} == {first, second}
    decide(db, rows[0].id, "link")
    with pytest.raises(Conflict, match="already linked"):
        decide(db, rows[1].id, "link")
    decided = decide(db, rows[1].id, "create")
    assert isinstance(decided, qb_matching.ProposalRow) and decided.decision == "create"
    assert count(db, Customer) == 2  # QuickBooks' record is ours already: no copy


def test_an_item_created_as_new_takes_a_name_quickbooks_accepts(db: Database) -> None:
    with db.uow() as uow:
        drywall = make_item(uow, "Drywall")
        uow.commit()
    run(db, [item("I1", "DRYWALL", "ItemInventory")])
    (row,) = proposals(db)
    decided = decide(db, row.id, "create")
    assert isinstance(decided, qb_matching.ProposalRow) and decided.new_name == "Drywall (2)"
    with db.reader() as uow:
        assert uow.session.get(Item, drywall.id).name == "Drywall (2)"  # type: ignore[union-attr]
    assert count(db, Item) == 1  # an inventory item is not brought into the price book


def test_proposals_are_listed_with_undecided_first_filter(db: Database) -> None:
    _, proposal = _obrien(db)
    ours(db, "Kim, Hiro")
    run(db, [customer("C2", "Hiro Kim")])
    decide(db, proposal, "link")
    assert len(proposals(db)) == 2
    (open_one,) = proposals(db, undecided_only=True)
    assert open_one.qb_name == "Hiro Kim" and open_one.reason_text == "The same words in another order"


def test_an_item_of_a_type_jobdesk_has_links_and_takes_that_type(db: Database) -> None:
    with db.uow() as uow:
        paint = make_item(uow, "Paint")
        uow.commit()
        kind_before = paint.kind
    run(db, [item("I9", "Paint", "ItemNonInventory" if kind_before == "service" else "ItemService")])
    (row,) = proposals(db)
    assert row.reason == "other_item_type"
    (link_option,) = [text for key, text in row.options if key == "link"]
    assert "ours becomes a" in link_option
    decide(db, row.id, "link")
    assert link_of(db, "item", paint.id) == "I9"
    with db.reader() as uow:
        assert uow.session.get(Item, paint.id).kind != kind_before  # type: ignore[union-attr]


def test_an_item_of_a_type_jobdesk_lacks_cannot_be_linked(db: Database) -> None:
    with db.uow() as uow:
        drywall = make_item(uow, "Drywall")
        uow.commit()
    run(db, [item("I1", "Drywall", "ItemInventory")])
    (row,) = proposals(db)
    assert "link" not in {key for key, _ in row.options}
    with pytest.raises(ValidationError, match="Inventory item"):
        decide(db, row.id, "link")
    assert link_of(db, "item", drywall.id) is None
