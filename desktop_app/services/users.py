"""Users, roles and signing in.

Two roles: **Admin** (QuickBooks connection, sync and numbering settings, alerts, edits
of records already in QuickBooks, users) and **Office** (everything else). Passwords are
salted scrypt hashes (``desktop_app.domain.passwords``), never stored or logged in clear.

Signing in: a wrong login or password is answered with the same sentence either way;
after ``FREE_ATTEMPTS`` failures in a row for a login, each further attempt must wait
longer (``BASE_DELAY`` doubling up to ``MAX_DELAY``), whether or not the login exists.
A fresh install has no users: the app asks for the first administrator; a single-user
SQLite install may sign that user in automatically (setting ``users.auto_sign_in``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.db.user_models import ROLE_ADMIN, ROLE_OFFICE, ROLES, SignInFailure, User
from desktop_app.domain.passwords import check_new_password, hash_password, verify_password
from desktop_app.errors import Conflict, InvalidTransition, JobDeskError, PermissionDenied, ValidationError
from desktop_app.services.common import audit, clean_text, get, require_admin

FREE_ATTEMPTS = 3
BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=5)
#: Failures older than this no longer count towards the delay.
WINDOW = timedelta(hours=1)
LOGIN_LENGTH = 60
NAME_LENGTH = 60
ROLE_LABELS = {ROLE_ADMIN: "Admin", ROLE_OFFICE: "Office"}
MANAGE = "manage users"
_LOGIN_PATTERN = re.compile(r"^[\w.@+-]+$")


class SignInError(JobDeskError):
    """The login or password is not right (the message does not say which)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "The login or password is not right. Check them and try again.")


class TooManyAttemptsError(JobDeskError):
    """Several failed sign-ins in a row: the next attempt must wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins in a row. Wait {retry_after} second"
            f"{'' if retry_after == 1 else 's'} before trying again."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    name: str
    role: str
    active: bool
    last_sign_in_at: datetime | None
    version: int

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def status(self) -> str:
        return "Active" if self.active else "Inactive"


def _row(user: User) -> UserRow:
    return UserRow(
        id=user.id,
        login=user.login,
        name=user.name,
        role=user.role,
        active=user.active,
        last_sign_in_at=user.last_sign_in_at,
        version=user.version,
    )


def actor_for(user: User | UserRow) -> Actor:
    return Actor(name=user.name, role=user.role, user_id=user.id)


def login_key(login: object) -> str:
    return login.strip().casefold()[:LOGIN_LENGTH] if isinstance(login, str) else ""


# -- checking input ------------------------------------------------------------------------
def _check_login(uow: UnitOfWork, value: object, user_id: int | None) -> str:
    login = clean_text(value, "login", max_length=LOGIN_LENGTH, required=True, label="Login")
    if not _LOGIN_PATTERN.match(login):
        raise ValidationError("login", "A login may hold letters, digits and . _ - @ + but no spaces.")
    clash = uow.session.scalar(select(User).where(User.login_key == login_key(login)))
    if clash is not None and clash.id != user_id:
        raise ValidationError("login", f"The login “{clash.login}” is already taken.")
    return login


def _check_name(value: object) -> str:
    return clean_text(value, "name", max_length=NAME_LENGTH, required=True, label="Name")


def _check_role(value: object) -> str:
    if value not in ROLES:
        raise ValidationError("role", "Choose the Admin or the Office role.")
    return str(value)


def _check_password(password: object) -> str:
    if not isinstance(password, str):
        raise ValidationError("password", "The password must be text.")
    check_new_password(password)
    return password


def _active_admins(uow: UnitOfWork) -> int:
    return (
        uow.session.scalar(
            select(func.count()).select_from(User).where(User.role == ROLE_ADMIN, User.active.is_(True))
        )
        or 0
    )


def _check_version(user: User, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != user.version:
        raise Conflict("Another admin changed this user after you opened it. Reload it and try again.")


# -- first start ------------------------------------------------------------------------------
def needs_first_admin(uow: UnitOfWork) -> bool:
    """True on a fresh install: nobody can sign in yet."""
    return not uow.session.scalar(select(func.count()).select_from(User))


def create_first_admin(uow: UnitOfWork, login: object, name: object, password: object) -> UserRow:
    """The first administrator; refused once any user exists."""
    if not needs_first_admin(uow):
        raise Conflict("JobDesk already has users; an admin adds further users in Users.")
    return _create(uow, login, name, ROLE_ADMIN, password)


# -- managing users (admin only) -------------------------------------------------------------
def _create(uow: UnitOfWork, login: object, name: object, role: object, password: object) -> UserRow:
    checked_login = _check_login(uow, login, None)
    checked_name = _check_name(name)
    checked_role = _check_role(role)
    secret = _check_password(password)
    user = User(
        login=checked_login,
        login_key=login_key(checked_login),
        name=checked_name,
        role=checked_role,
        password_hash=hash_password(secret),
        active=True,
    )
    uow.session.add(user)
    uow.flush()
    audit(
        uow, "create", "user", user.id, summary=f"User {checked_login} created",
        changes={"login": [None, checked_login], "name": [None, checked_name], "role": [None, checked_role]},
    )  # fmt: skip
    return _row(user)


def create_user(uow: UnitOfWork, login: object, name: object, role: object, password: object) -> UserRow:
    require_admin(uow, MANAGE)
    return _create(uow, login, name, role, password)


def update_user(
    uow: UnitOfWork, user_id: int, expected_version: int | None, *, login: object, name: object, role: object
) -> UserRow:
    """Change a user's login, name or role; the last active admin keeps the Admin role."""
    require_admin(uow, MANAGE)
    user = get(uow, User, user_id, "User")
    _check_version(user, expected_version)
    after = {"login": _check_login(uow, login, user.id), "name": _check_name(name), "role": _check_role(role)}
    if user.role == ROLE_ADMIN and after["role"] != ROLE_ADMIN and user.active and _active_admins(uow) <= 1:
        raise InvalidTransition(f"{user.name} is the only admin; make another user an admin first.")
    changes = {k: [getattr(user, k), v] for k, v in after.items() if getattr(user, k) != v}
    if changes:
        user.login, user.login_key = after["login"], login_key(after["login"])
        user.name, user.role = after["name"], after["role"]
        uow.flush()
        audit(uow, "update", "user", user.id, summary=f"User {user.login} changed", changes=changes)
    return _row(user)


def set_password(uow: UnitOfWork, user_id: int, new_password: object) -> UserRow:
    """An admin sets anyone's password (a forgotten one, say). Audited without the password."""
    require_admin(uow, MANAGE)
    user = get(uow, User, user_id, "User")
    user.password_hash = hash_password(_check_password(new_password))
    uow.session.execute(delete(SignInFailure).where(SignInFailure.login_key == user.login_key))
    uow.flush()
    audit(uow, "password", "user", user.id, summary=f"Password of {user.login} set by an admin",
          changes={"password": ["••••", "••••"]})  # fmt: skip
    return _row(user)


def change_own_password(uow: UnitOfWork, current_password: object, new_password: object) -> UserRow:
    """The signed-in user changes their own password, knowing the current one."""
    if uow.actor.user_id is None:
        raise PermissionDenied("change a password without signing in as a user", "signed-in user's")
    user = get(uow, User, uow.actor.user_id, "User")
    if not isinstance(current_password, str) or not verify_password(current_password, user.password_hash):
        raise ValidationError("current_password", "The current password is not right.")
    user.password_hash = hash_password(_check_password(new_password))
    uow.flush()
    audit(uow, "password", "user", user.id, summary=f"{user.login} changed their password",
          changes={"password": ["••••", "••••"]})  # fmt: skip
    return _row(user)


def _set_active(uow: UnitOfWork, user_id: int, expected_version: int | None, active: bool) -> UserRow:
    require_admin(uow, MANAGE)
    user = get(uow, User, user_id, "User")
    _check_version(user, expected_version)
    if user.active == active:
        return _row(user)
    if not active:
        if user.id == uow.actor.user_id:
            raise InvalidTransition("You cannot switch off your own user while signed in with it.")
        if user.role == ROLE_ADMIN and _active_admins(uow) <= 1:
            raise InvalidTransition(f"{user.name} is the only admin; make another user an admin first.")
    user.active = active
    uow.flush()
    verb = "reactivated" if active else "deactivated"
    audit(uow, "reactivate" if active else "deactivate", "user", user.id,
          summary=f"User {user.login} {verb}", changes={"active": [not active, active]})  # fmt: skip
    return _row(user)


def deactivate_user(uow: UnitOfWork, user_id: int, expected_version: int | None = None) -> UserRow:
    """The user can no longer sign in; their name stays in the audit trail."""
    return _set_active(uow, user_id, expected_version, False)


def reactivate_user(uow: UnitOfWork, user_id: int, expected_version: int | None = None) -> UserRow:
    return _set_active(uow, user_id, expected_version, True)


def get_user(uow: UnitOfWork, user_id: int) -> UserRow:
    return _row(get(uow, User, user_id, "User"))


def list_users(uow: UnitOfWork, *, include_inactive: bool = True) -> tuple[UserRow, ...]:
    """Everyone may see who the users are (their names are in the audit trail anyway)."""
    query = select(User).order_by(User.name, User.id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return tuple(_row(user) for user in uow.session.scalars(query))


# -- signing in -----------------------------------------------------------------------------------
def wait_needed(uow: UnitOfWork, key: str, now: datetime) -> int:
    """Seconds the next attempt for ``key`` must still wait (0: it may try now)."""
    recent = select(SignInFailure).where(SignInFailure.login_key == key, SignInFailure.at > now - WINDOW)
    failures = list(uow.session.scalars(recent))
    if len(failures) < FREE_ATTEMPTS:
        return 0
    delay = min(BASE_DELAY * 2 ** (len(failures) - FREE_ATTEMPTS), MAX_DELAY)
    remaining = max(f.at for f in failures) + delay - now
    seconds = remaining.total_seconds()
    return int(seconds) + (1 if seconds % 1 else 0) if seconds > 0 else 0


def _audit_failure(uow: UnitOfWork, user: User | None, reason: str) -> None:
    """A failed sign-in, by the system (nobody is signed in), never with the password.

    An unknown login is not written down either: people sometimes type their password there.
    """
    who = f"as {user.login}" if user is not None else "with an unknown login"
    audit(uow, "sign_in_failed", "user", user.id if user is not None else None,
          summary=f"Failed sign-in {who} ({reason})")  # fmt: skip


def sign_in(db: Database, login: object, password: object, *, now: datetime | None = None) -> Actor:
    """The actor for a right login and password; ``SignInError`` or ``TooManyAttemptsError`` if not.

    Takes the database (not a unit of work): a failure is committed before it is raised.
    Both outcomes are audited ("sign_in" by the user, "sign_in_failed" by the system); an
    attempt refused because it came too soon is not (it never reaches the password check).
    """
    moment = now or utcnow()
    key = login_key(login)
    with db.uow() as uow:
        wait = wait_needed(uow, key, moment)
        if wait:
            raise TooManyAttemptsError(wait)
        user = uow.session.scalar(select(User).where(User.login_key == key)) if key else None
        secret = password if isinstance(password, str) else ""
        # The hash is checked even for an unknown login: both answers take the same time.
        matches = verify_password(secret, user.password_hash if user is not None else "")
        if matches and user is not None:
            if not user.active:
                _audit_failure(uow, user, "the user is switched off")
                uow.commit()
                raise SignInError(
                    f"The user {user.login} is switched off. Ask an admin to switch it back on."
                )
            uow.session.execute(delete(SignInFailure).where(SignInFailure.login_key == key))
            uow.actor = actor_for(user)
            audit(uow, "sign_in", "user", user.id, summary=f"{user.login} signed in")
            # A plain UPDATE: signing in must not bump the version an admin's open editor holds.
            uow.session.execute(
                update(User).where(User.id == user.id).values(last_sign_in_at=moment),
                execution_options={"synchronize_session": False},
            )
            uow.commit()
            return actor_for(user)
        uow.session.execute(delete(SignInFailure).where(SignInFailure.at < moment - timedelta(days=1)))
        uow.session.add(SignInFailure(login_key=key, at=moment))
        _audit_failure(uow, user, "wrong password" if user is not None else "unknown login")
        uow.commit()
    raise SignInError()


def sign_in_automatically(db: Database) -> Actor | None:
    """The one user of a single-PC (SQLite) install, when the admin allows it; else None."""
    from desktop_app.services.settings import get_setting

    if db.engine.dialect.name != "sqlite":
        return None
    with db.reader() as uow:
        users = list(uow.session.scalars(select(User).where(User.active.is_(True)).limit(2)))
        if len(users) != 1 or not get_setting(uow, "users.auto_sign_in"):
            return None
        return actor_for(users[0])
