from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.db.uow import Database
from qbwc_server.sessions import SessionPolicy, WebConnectorSessions
from tests.qbwc_fakes import FakeEngine, set_password


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(batches=2)


@pytest.fixture
def make_sessions(db: Database, engine: FakeEngine, clock: Clock) -> Callable[..., WebConnectorSessions]:
    set_password(db)

    def make(policy: SessionPolicy | None = None, eng: object = None) -> WebConnectorSessions:
        chosen = eng or engine
        if isinstance(chosen, FakeEngine) and chosen.db is None:
            chosen.db = db  # it writes the session's bookkeeping, as the real engine does
        return WebConnectorSessions(db, chosen, policy, clock=clock)  # type: ignore[arg-type]

    return make


@pytest.fixture
def sessions(make_sessions: Callable[..., WebConnectorSessions]) -> WebConnectorSessions:
    return make_sessions()
