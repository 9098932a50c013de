"""Users and signing in: first admin, passwords as hashes, wrong passwords, slowing guesses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database
from desktop_app.db.user_models import SignInFailure, User
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services import settings, users
from desktop_app.services.users import SignInError, TooManyAttemptsError

PASSWORD = "correct horse"


def first_admin(db: Database, login: str = "ada", password: str = PASSWORD) -> users.UserRow:
    with db.uow() as uow:
        row = users.create_first_admin(uow, login, "Ada Admin", password)
        uow.commit()
    return row


def add_user(db: Database, actor: Actor, login: str, role: str = "office") -> users.UserRow:
    with db.uow(actor) as uow:
        row = users.create_user(uow, login, login.capitalize(), role, PASSWORD)
        uow.commit()
    return row


def test_a_fresh_database_needs_its_first_admin(db: Database) -> None:
    with db.reader() as uow:
        assert users.needs_first_admin(uow)
    admin = first_admin(db)
    assert admin.role == "admin" and admin.active
    with db.reader() as uow:
        assert not users.needs_first_admin(uow)
    with db.uow() as uow, pytest.raises(Conflict):
        users.create_first_admin(uow, "eve", "Eve", PASSWORD)


def test_the_first_admin_is_checked_like_any_user(db: Database) -> None:
    with db.uow() as uow:
        with pytest.raises(ValidationError) as short:
            users.create_first_admin(uow, "ada", "Ada", "short")
        assert short.value.field == "password"
        with pytest.raises(ValidationError) as spaced:
            users.create_first_admin(uow, "ada lovelace", "Ada", PASSWORD)
        assert spaced.value.field == "login"
        with pytest.raises(ValidationError) as nameless:
            users.create_first_admin(uow, "ada", "  ", PASSWORD)
        assert nameless.value.field == "name"


def test_passwords_are_stored_and_audited_only_as_hashes(db: Database) -> None:
    admin = first_admin(db)
    with db.reader() as uow:
        stored = uow.session.get(User, admin.id)
        assert stored is not None
        assert PASSWORD not in stored.password_hash and stored.password_hash.startswith("scrypt$")
        trail = " ".join(e.changes + e.summary for e in uow.session.scalars(select(AuditEntry)))
    assert PASSWORD not in trail and "scrypt" not in trail


def test_sign_in_returns_the_users_actor_and_logins_ignore_case(db: Database) -> None:
    admin = first_admin(db, login="Ada")
    actor = users.sign_in(db, "  ADA ", PASSWORD)
    assert actor == Actor(name="Ada Admin", role="admin", user_id=admin.id)
    with db.reader() as uow:
        assert users.get_user(uow, admin.id).last_sign_in_at is not None
    with db.uow(actor) as uow, pytest.raises(ValidationError) as taken:
        users.create_user(uow, "aDa", "Another Ada", "office", PASSWORD)
    assert taken.value.field == "login"


def test_a_wrong_password_or_unknown_login_is_refused_with_the_same_words(db: Database) -> None:
    first_admin(db)
    with pytest.raises(SignInError) as wrong:
        users.sign_in(db, "ada", "not the password")
    with pytest.raises(SignInError) as unknown:
        users.sign_in(db, "nobody", PASSWORD)
    with pytest.raises(SignInError):
        users.sign_in(db, "ada", None)
    assert str(wrong.value) == str(unknown.value)
    assert "login or password" in str(wrong.value)


def test_failed_sign_ins_in_a_row_make_the_next_attempts_wait(db: Database) -> None:
    first_admin(db)
    start = utcnow()
    for attempt in range(users.FREE_ATTEMPTS):
        with pytest.raises(SignInError):
            users.sign_in(db, "ada", "wrong", now=start + timedelta(seconds=attempt))
    last = start + timedelta(seconds=users.FREE_ATTEMPTS - 1)
    # Even the right password must wait now: guessing cannot go faster.
    with pytest.raises(TooManyAttemptsError) as waiting:
        users.sign_in(db, "ada", PASSWORD, now=last + timedelta(seconds=1))
    assert waiting.value.retry_after == 4
    assert "Wait 4 seconds" in str(waiting.value)
    # After the delay one more wrong try doubles it.
    with pytest.raises(SignInError):
        users.sign_in(db, "ada", "wrong", now=last + timedelta(seconds=5))
    with pytest.raises(TooManyAttemptsError) as longer:
        users.sign_in(db, "ada", PASSWORD, now=last + timedelta(seconds=6))
    assert longer.value.retry_after == 9
    # Once the wait is over the right password works and the slate is wiped.
    actor = users.sign_in(db, "ada", PASSWORD, now=last + timedelta(seconds=15))
    assert actor.is_admin
    with db.reader() as uow:
        assert not list(uow.session.scalars(select(SignInFailure)))


def test_unknown_logins_are_slowed_down_too(db: Database) -> None:
    now = utcnow()
    for _ in range(users.FREE_ATTEMPTS):
        with pytest.raises(SignInError):
            users.sign_in(db, "ghost", "guess", now=now)
    with pytest.raises(TooManyAttemptsError):
        users.sign_in(db, "ghost", "guess", now=now)


def test_the_delay_is_capped_and_old_failures_stop_counting(db: Database) -> None:
    first_admin(db)
    now = utcnow()
    with db.uow() as uow:
        for _ in range(40):
            uow.session.add(SignInFailure(login_key="ada", at=now))
        uow.commit()
    with db.reader() as uow:
        assert users.wait_needed(uow, "ada", now) == int(users.MAX_DELAY.total_seconds())
        assert users.wait_needed(uow, "ada", now + users.WINDOW + timedelta(seconds=1)) == 0


def test_a_deactivated_user_cannot_sign_in(db: Database, admin: Actor) -> None:
    first_admin(db)
    olly = add_user(db, admin, "olly")
    with db.uow(admin) as uow:
        users.deactivate_user(uow, olly.id, olly.version)
        uow.commit()
    with pytest.raises(SignInError) as off:
        users.sign_in(db, "olly", PASSWORD)
    assert "switched off" in str(off.value)


def test_the_last_admin_cannot_be_demoted_or_switched_off(db: Database) -> None:
    ada = first_admin(db)
    actor = users.sign_in(db, "ada", PASSWORD)
    other = Actor(name="Other", role="admin", user_id=None)
    with db.uow(other) as uow:
        with pytest.raises(InvalidTransition):
            users.update_user(uow, ada.id, ada.version, login="ada", name="Ada", role="office")
        with pytest.raises(InvalidTransition):
            users.deactivate_user(uow, ada.id)
    with db.uow(actor) as uow, pytest.raises(InvalidTransition, match="your own user"):
        users.deactivate_user(uow, ada.id)
    bob = add_user(db, actor, "bob", role="admin")
    with db.uow(actor) as uow:
        users.update_user(uow, ada.id, None, login="ada", name="Ada", role="office")
        uow.commit()
    with db.reader() as uow:
        assert [u.login for u in users.list_users(uow) if u.role == "admin"] == [bob.login]


def test_updates_are_audited_with_before_and_after(db: Database, admin: Actor) -> None:
    first_admin(db)
    olly = add_user(db, admin, "olly")
    with db.uow(admin) as uow:
        users.update_user(uow, olly.id, olly.version, login="oliver", name="Oliver", role="admin")
        users.set_password(uow, olly.id, "a new password")
        uow.commit()
    with db.reader() as uow:
        entries = [
            (e.action, e.changes, e.user_name)
            for e in uow.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == olly.id)
                .order_by(AuditEntry.id)
            )
        ]
    assert [action for action, _, _ in entries] == ["create", "update", "password"]
    assert '"login": ["olly", "oliver"]' in entries[1][1]
    assert '"role": ["office", "admin"]' in entries[1][1]
    assert "a new password" not in entries[2][1]
    assert entries[1][2] == admin.name
    assert users.sign_in(db, "oliver", "a new password").is_admin


def test_a_user_changes_their_own_password_knowing_the_current_one(db: Database) -> None:
    first_admin(db)
    actor = users.sign_in(db, "ada", PASSWORD)
    with db.uow(actor) as uow:
        with pytest.raises(ValidationError) as wrong:
            users.change_own_password(uow, "nope", "brand new secret")
        assert wrong.value.field == "current_password"
        users.change_own_password(uow, PASSWORD, "brand new secret")
        uow.commit()
    with pytest.raises(SignInError):
        users.sign_in(db, "ada", PASSWORD)
    assert users.sign_in(db, "ada", "brand new secret").user_id == actor.user_id


def test_a_single_user_sqlite_install_may_sign_in_automatically(sqlite_db: Database, admin: Actor) -> None:
    db = sqlite_db  # automatic sign-in exists only for a single-PC SQLite install
    assert users.sign_in_automatically(db) is None  # nobody yet
    ada = first_admin(db)
    actor = users.sign_in_automatically(db)
    assert actor is not None and actor.user_id == ada.id and actor.is_admin
    with db.uow(admin) as uow:
        settings.set_setting(uow, "users.auto_sign_in", False)
        uow.commit()
    assert users.sign_in_automatically(db) is None
    with db.uow(admin) as uow:
        settings.set_setting(uow, "users.auto_sign_in", True)
        uow.commit()
    add_user(db, admin, "olly")
    assert users.sign_in_automatically(db) is None  # several users: ask who it is


def test_sign_ins_are_audited_without_the_password(db: Database, admin: Actor) -> None:
    ada = first_admin(db)
    olly = add_user(db, admin, "olly")
    with db.uow(admin) as uow:
        users.deactivate_user(uow, olly.id)
        uow.commit()
    with pytest.raises(SignInError):
        users.sign_in(db, "ada", "wrong horse battery")
    with pytest.raises(SignInError):
        users.sign_in(db, "correct horse", "typed into the login")  # an unknown login
    with pytest.raises(SignInError):
        users.sign_in(db, "olly", PASSWORD)  # switched off
    users.sign_in(db, "ADA", PASSWORD)
    with db.reader() as uow:
        entries = list(
            uow.session.execute(
                select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.user_name, AuditEntry.user_id,
                       AuditEntry.summary, AuditEntry.changes)
                .where(AuditEntry.action.in_(("sign_in", "sign_in_failed")))
                .order_by(AuditEntry.id)
            )
        )  # fmt: skip
    assert [(e.action, e.entity_id) for e in entries] == [
        ("sign_in_failed", ada.id),
        ("sign_in_failed", None),
        ("sign_in_failed", olly.id),
        ("sign_in", ada.id),
    ]
    assert entries[0].user_name == "system" and "as ada" in entries[0].summary
    assert "unknown login" in entries[1].summary and "correct horse" not in entries[1].summary
    assert "switched off" in entries[2].summary
    assert entries[3].user_name == "Ada Admin" and entries[3].user_id == ada.id
    for entry in entries:
        assert PASSWORD not in entry.summary + entry.changes
        assert "wrong horse" not in entry.summary + entry.changes
        assert "typed into" not in entry.summary + entry.changes


def test_an_attempt_refused_for_coming_too_soon_is_not_audited(db: Database) -> None:
    first_admin(db)
    now = utcnow()
    for _ in range(users.FREE_ATTEMPTS):
        with pytest.raises(SignInError):
            users.sign_in(db, "ada", "guess", now=now)
    with pytest.raises(TooManyAttemptsError):
        users.sign_in(db, "ada", PASSWORD, now=now)
    with db.reader() as uow:
        actions = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user")))
    assert actions.count("sign_in_failed") == users.FREE_ATTEMPTS and "sign_in" not in actions
