"""The paged table model without a view, the task runner, and the error boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.errors import Conflict, ValidationError
from desktop_app.services.paging import Page
from desktop_app.ui.context import AppContext
from desktop_app.ui.errors import show_error
from desktop_app.ui.logs import log_file
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import PagedTableModel
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.tasks import TaskProgress


@dataclass(frozen=True)
class Row:
    id: int
    name: str


class FakeSource:
    def __init__(self, count: int) -> None:
        self.rows = [Row(i, f"row {i:06d}") for i in range(count)]
        self.calls: list[tuple[int, int, str, str | None, bool]] = []

    def __call__(
        self,
        offset: int,
        limit: int,
        search: str,
        sort: str | None,
        descending: bool,
        filters: Mapping[str, str],
    ) -> Page[Row]:
        self.calls.append((offset, limit, search, sort, descending))
        rows = [r for r in self.rows if search in r.name]
        rows.sort(key=lambda r: r.name, reverse=descending)
        return Page(tuple(rows[offset : offset + limit]), len(rows), offset, limit)


def test_paged_model_loads_pages_lazily(qtbot: QtBot) -> None:
    source = FakeSource(100_000)
    model = PagedTableModel([Column("name", "Name")], source)
    model.start()
    assert model.rowCount() == 100_000
    assert len(source.calls) == 1
    assert model.data(model.index(99_999, 0)) == "row 099999"
    assert len(source.calls) == 2
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert source.calls[-1][3:] == ("name", True)
    assert model.data(model.index(0, 0)) == "row 099999"


def test_search_is_debounced(qtbot: QtBot) -> None:
    source = FakeSource(1000)
    model = PagedTableModel([Column("name", "Name")], source)
    model.start()
    for text in ("0", "00", "001"):
        model.search(text)
    with qtbot.waitSignal(model.loaded, timeout=2000):
        pass
    assert [call[2] for call in source.calls] == ["", "001"]
    assert model.rowCount() == sum("001" in row.name for row in source.rows)


def test_task_runner_reports_progress_and_result(qtbot: QtBot, ctx: AppContext) -> None:
    # Every connection is made before the task can run: a quick task may finish on its
    # worker before ``start`` returns, and a signal emitted before a connection is lost
    # (this test used to connect afterwards and, now and then, waited for a signal that
    # had already gone).
    seen: list[tuple[int, int, str]] = []
    results: list[object] = []

    def work(progress: TaskProgress) -> int:
        for step in range(3):
            progress.check()
            progress.report(step, 3, f"step {step}")
        return 42

    with qtbot.waitSignal(ctx.tasks.task_finished, timeout=5000) as blocker:
        handle = ctx.tasks.start(
            "test",
            work,
            on_progress=lambda done, total, text: seen.append((done, total, text)),
            on_success=results.append,
        )
    assert blocker.args == [handle]
    assert handle.done and handle.result == 42 and handle.error is None
    assert results == [42]
    # Queued from one worker thread to the UI thread: all of them, in order, before the end.
    assert seen == [(0, 3, "step 0"), (1, 3, "step 1"), (2, 3, "step 2")]
    assert ctx.tasks.running == 0


def test_cancelled_task_emits_cancelled(qtbot: QtBot, ctx: AppContext) -> None:
    import threading

    gate = threading.Event()

    def work(progress: TaskProgress) -> None:
        gate.wait(5)
        progress.check()

    handle = ctx.tasks.start("slow", work)
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        handle.cancel()
        gate.set()


def test_errors_are_shown_in_words(ctx: AppContext, prompts: ScriptedPrompts) -> None:
    show_error(prompts, None, ValidationError("name", "Name is required."))
    assert prompts.asked[-1].text == "Name is required."
    reloaded: list[bool] = []
    prompts.queue("Reload")
    show_error(prompts, None, Conflict("Someone changed it."), on_reload=lambda: reloaded.append(True))
    assert reloaded == [True]
    show_error(prompts, None, ZeroDivisionError("division by zero"))
    text = prompts.asked[-1].text
    assert "Traceback" not in text and "ZeroDivisionError" not in text
    assert str(log_file()) in text
    assert "ZeroDivisionError" in log_file().read_text(encoding="utf-8")
