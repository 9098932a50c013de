"""The write-ahead log is copied into the database file by a thread of its own, not by a commit."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, text

from desktop_app.db import checkpoints
from desktop_app.db.engine import WAL_CHECKPOINT_PAGES, create_db_engine
from qbwc_server.sync.writes import SqliteWrites


def _grow(path: Path) -> sqlite3.Connection:
    """Rows enough to add pages to the file (in the log until a checkpoint copies them)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE IF NOT EXISTS filler (body TEXT)")
    connection.executemany("INSERT INTO filler VALUES (?)", [("x" * 2000,) for _ in range(200)])
    connection.commit()
    return connection  # kept open: the log stays


def test_a_checkpoint_copies_the_log_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    keep = _grow(path)
    before = path.stat().st_size
    checkpoints.checkpoint(str(path))
    assert path.stat().st_size > before + 200 * 2000  # the pages are in the file now
    keep.close()


def test_a_file_that_is_gone_is_left_alone(tmp_path: Path) -> None:
    gone = tmp_path / "gone.sqlite"
    checkpoints.checkpoint(str(gone))
    assert not gone.exists()  # not created by looking for it


def test_commits_are_noted_and_each_file_checkpointed_once_a_round(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    keep = _grow(path)
    before = path.stat().st_size
    checker = checkpoints.Checkpointer(interval=0)
    checker.note_commit(str(path))
    checker.note_commit(str(path))
    assert checker.pending() in (frozenset({str(path)}), frozenset())  # the thread may have it already
    assert checker.wait_done(1, timeout=60)
    assert checker.pending() == frozenset()
    assert path.stat().st_size > before + 200 * 2000
    keep.close()


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Path, list[str]]]:
    """A company file's engine, its path, and the files its commits are noted for."""
    path = tmp_path / "company.sqlite"
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        Table("t", MetaData(), Column("x", Integer)).create(connection)
    noted: list[str] = []
    monkeypatch.setattr(checkpoints.CHECKPOINTS, "note_commit", noted.append)
    yield engine, path, noted
    engine.dispose()


def test_a_company_file_engine_hands_its_commits_to_the_checkpointer(
    company: tuple[Engine, Path, list[str]],
) -> None:
    engine, path, noted = company
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_CHECKPOINT_PAGES
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.commit()
    assert noted == [str(path)]


def test_a_commit_on_the_drivers_own_connection_is_noted_too(company: tuple[Engine, Path, list[str]]) -> None:
    engine, path, noted = company
    table = Table("t", MetaData(), Column("x", Integer))
    with engine.connect() as connection:
        writes = SqliteWrites(connection)
        assert writes.run(insert(table), {"x": 1}) == 1
        writes.commit()
    assert noted == [str(path)]


def test_a_file_uri_keeps_drives_and_network_shares_as_sqlite_reads_them() -> None:
    assert (
        checkpoints.file_uri(PureWindowsPath(r"C:\Jobs Co\co.sqlite"))
        == "file:///C:/Jobs%20Co/co.sqlite?mode=rw"
    )
    assert checkpoints.file_uri(PureWindowsPath(r"\\office\share\co.sqlite")) == (
        "file:////office/share/co.sqlite?mode=rw"
    )
    assert checkpoints.file_uri(PurePosixPath("/tmp/a#b.sqlite")) == "file:///tmp/a%23b.sqlite?mode=rw"


def test_a_disposed_engines_file_is_not_opened_again(
    company: tuple[Engine, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path, _noted = company
    forgotten: list[str] = []
    monkeypatch.setattr(checkpoints.CHECKPOINTS, "forget", forgotten.append)
    engine.dispose()
    assert forgotten == [str(path)]
    # The checkpointer itself: a file forgotten after it was noted is skipped.
    checker, opened = checkpoints.Checkpointer(), []
    monkeypatch.setattr(checkpoints, "checkpoint", opened.append)
    checker.note_commit("a")
    checker.note_commit("b")
    checker.forget("a")
    checker.run_once()
    assert opened == ["b"]
    checker.note_commit("a")  # committed to again: due again
    checker.run_once()
    assert opened == ["b", "a"]
    checker.forget("gone")  # disposed and never written again
    checker.run_once()
    assert not checker._forgotten  # (the marks do not pile up)


def test_forgetting_a_file_waits_for_its_checkpoint_under_way(monkeypatch: pytest.MonkeyPatch) -> None:
    checker, order = checkpoints.Checkpointer(), []
    started, release = threading.Event(), threading.Event()

    def slow(path: str) -> None:
        started.set()
        release.wait(30)
        order.append(f"checkpointed {path}")

    monkeypatch.setattr(checkpoints, "checkpoint", slow)
    checker.note_commit("a")
    running = threading.Thread(target=checker.run_once)
    running.start()
    assert started.wait(30)
    forgetting = threading.Thread(target=lambda: (checker.forget("a"), order.append("forgot a")))
    forgetting.start()
    release.set()
    forgetting.join(30)
    running.join(30)
    assert order == ["checkpointed a", "forgot a"]
