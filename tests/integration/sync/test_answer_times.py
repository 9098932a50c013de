"""The times an answer is written with (``MessageAnswers.at``): one for all the answers written
between two commits, never one from before a commit (another writer may go in at each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import QueueState
from qbwc_server.sync import answers
from tests.integration.sync.conftest import Office


def test_answers_written_after_a_commit_carry_a_time_after_it(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = office.queued_customers(6, batch=6)  # one message of six answers
    events: list[tuple[str, object]] = []
    commit, prepare = answers.MessageAnswers._commit, answers.prepare_fast

    def committed(self: answers.MessageAnswers, **kwargs: bool) -> None:
        ending = answers.now()  # (at the latest, another writer may go in from the commit on)
        commit(self, **kwargs)
        events.append(("commit", ending))

    def prepared(*args: object, **kwargs: object) -> object:
        events.append(("answer", args[1].entity_id))  # type: ignore[attr-defined]
        return prepare(*args, **kwargs)  # type: ignore[arg-type]

    class Waiting:
        """A person's save waits all along (on any database): a commit after every answer."""

        someone_waiting = True

    apply = answers.MessageAnswers.apply

    def applied(self: answers.MessageAnswers, answered: Any) -> None:
        self.gate = Waiting()  # type: ignore[assignment]
        apply(self, answered)

    monkeypatch.setattr(answers, "SHARE_SECONDS", 0)
    monkeypatch.setattr(answers.MessageAnswers, "apply", applied)
    monkeypatch.setattr(answers.MessageAnswers, "_commit", committed)
    monkeypatch.setattr(answers, "prepare_fast", prepared)
    assert office.sync().percent == 100
    with office.db.reader() as uow:
        done = {
            item.entity_id: item.done_at
            for item in uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "customer"))
        }
        synced = {link.entity_id: link.synced_at for link in uow.session.scalars(select(QbLink))}
        assert all(item.state == QueueState.DONE for item in uow.session.scalars(select(SyncItem)))
    last_commit: datetime | None = None
    checked = 0
    for kind, value in events:
        if kind == "commit":
            last_commit = value  # type: ignore[assignment]
        elif value in ids and last_commit is not None:
            assert done[value] is not None and done[value] >= last_commit, (value, done[value], last_commit)
            assert synced[value] >= last_commit
            checked += 1
    assert checked >= 5  # every answer but the first came after a commit


def test_answers_written_together_share_one_time(office: Office) -> None:
    office.queued_customers(6, batch=6)
    assert office.sync().percent == 100
    with office.db.reader() as uow:
        times = {item.done_at for item in uow.session.scalars(select(SyncItem))}
        linked = {link.synced_at for link in uow.session.scalars(select(QbLink))}
    assert len(times) == 1 and times == linked  # one message, no commit in between
