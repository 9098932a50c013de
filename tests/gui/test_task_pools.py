"""Long tasks and list fetches run on separate pools: a list page never waits behind a sync."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from desktop_app.services.paging import Page
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import BackgroundFetch, PagedTableModel
from desktop_app.ui.tasks import TaskProgress, TaskRunner, fetch_pool, task_pool


@dataclass(frozen=True)
class Row:
    id: int
    name: str


def names(
    offset: int, limit: int, search: str, sort: str | None, descending: bool, filters: Mapping[str, str]
) -> Page[Row]:
    rows = [Row(i, f"row {i:04d}") for i in range(500) if search in f"row {i:04d}"]
    return Page(tuple(rows[offset : offset + limit]), len(rows), offset, limit)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Opens the long tasks' gate at the end whatever happened, so no worker stays blocked."""
    gate = threading.Event()
    yield gate
    gate.set()


def test_the_pools_are_separate_and_not_qts_global_pool() -> None:
    assert task_pool() is not fetch_pool()
    assert QThreadPool.globalInstance() not in (task_pool(), fetch_pool())
    assert fetch_pool().maxThreadCount() >= 2
    assert TaskRunner().pool is task_pool()


def test_a_list_page_arrives_while_long_tasks_fill_their_pool(
    qtbot: QtBot, ctx: AppContext, release: threading.Event
) -> None:
    # As many long tasks as their pool has threads (at least two: Sync now waiting for the
    # Web Connector, and an import), all of them running and blocked.
    count = max(2, ctx.tasks.pool.maxThreadCount())
    started = threading.Semaphore(0)

    def long_task(progress: TaskProgress) -> str:
        started.release()
        assert release.wait(60), "the test never released the long tasks"
        return "done"

    handles = [ctx.tasks.start(f"long {n}", long_task) for n in range(count)]
    for _ in range(count):
        assert started.acquire(timeout=30), "a long task never started"
    assert not any(handle.done for handle in handles)

    model = PagedTableModel([Column("name", "Name")], BackgroundFetch(names))
    model.start()
    assert model.total == 500
    with qtbot.waitSignal(model.loaded, timeout=10_000) as blocker:
        model.set_search("row 01")  # runs on a worker thread
    assert blocker.args == [100]
    assert model.data(model.index(0, 0)) == "row 0100"
    assert not any(handle.done for handle in handles)  # the page did not wait for them

    release.set()
    with qtbot.waitSignal(ctx.tasks.busy_changed, timeout=10_000, check_params_cb=lambda busy: not busy):
        pass
    assert [handle.result for handle in handles] == ["done"] * count
    model.wait()
