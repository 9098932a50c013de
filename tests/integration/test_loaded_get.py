"""``loaded.get``: what ``Session.get`` returns, taken from the identity map when it can be."""

from __future__ import annotations

from sqlalchemy import update

from desktop_app.db import loaded
from desktop_app.db.models import Customer, Job
from desktop_app.db.uow import Actor, Database
from tests.integration import service_helpers as make


def test_a_loaded_record_is_the_sessions_own_object(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer_id = make.customer(uow, "Ann").id
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        first = session.get(Customer, customer_id)
        assert loaded.get(session, Customer, customer_id) is first
        # Not loaded: read, as Session.get does; not there: None; another model: its own.
        assert loaded.get(session, Customer, customer_id + 999) is None
        assert loaded.get(session, Job, customer_id) is None


def test_an_expired_record_is_read_again_and_a_deleted_one_is_none(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        kept = make.customer(uow, "Ann").id
        gone = make.customer(uow, "Bob").id
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        ann, bob = session.get(Customer, kept), session.get(Customer, gone)
        assert ann is not None and bob is not None
        session.execute(
            update(Customer).where(Customer.id == kept).values(notes="changed elsewhere"),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            Customer.__table__.delete().where(Customer.__table__.c.id == gone)  # type: ignore[attr-defined]
        )
        session.expire_all()
        again = loaded.get(session, Customer, kept)
        assert again is ann and again.notes == "changed elsewhere"
        assert loaded.get(session, Customer, gone) is None
