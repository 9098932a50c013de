"""The paged model fetches on worker threads: old rows stay until new ones come, stale results are dropped."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from pytestqt.qtbot import QtBot

from desktop_app.services.paging import Page
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import BackgroundFetch, PagedTableModel


@dataclass(frozen=True)
class Row:
    id: int
    name: str


class GatedSource:
    """A fake service: searches ``name``; a query for a gated search waits for its gate."""

    def __init__(self, count: int) -> None:
        self.rows = [Row(i, f"row {i:06d}") for i in range(count)]
        self.calls: list[tuple[int, str]] = []
        self.threads: set[int] = set()
        self.gates: dict[str, threading.Event] = {}

    def gate(self, search: str) -> threading.Event:
        self.gates[search] = threading.Event()
        return self.gates[search]

    def __call__(
        self,
        offset: int,
        limit: int,
        search: str,
        sort: str | None,
        descending: bool,
        filters: Mapping[str, str],
    ) -> Page[Row]:
        self.calls.append((offset, search))
        self.threads.add(threading.get_ident())
        gate = self.gates.get(search)
        if gate is not None:
            assert gate.wait(10), "test gate never opened"
        rows = [r for r in self.rows if search in r.name]
        return Page(tuple(rows[offset : offset + limit]), len(rows), offset, limit)


def make_model(source: GatedSource) -> PagedTableModel:
    model = PagedTableModel([Column("name", "Name")], BackgroundFetch(source))
    assert model.background
    return model


def test_search_loads_in_background_and_keeps_old_rows_until_then(qtbot: QtBot) -> None:
    source = GatedSource(1000)
    model = make_model(source)
    model.start()  # the first page is synchronous: the first paint has rows
    assert model.total == 1000 and source.threads == {threading.get_ident()}
    loading: list[bool] = []
    model.loading_changed.connect(loading.append)
    gate = source.gate("00012")
    with qtbot.waitSignal(model.loaded, timeout=5000) as blocker:
        model.set_search("00012")
        assert model.loading
        # The UI thread is not blocked, and the old rows stay on screen (no flash of empty).
        assert model.total == 1000 and model.data(model.index(5, 0)) == "row 000005"
        qtbot.waitUntil(lambda: loading == [True], timeout=2000)  # slow: "Loading…" shows
        gate.set()
    assert blocker.args == [11]
    assert model.total == 11 and model.data(model.index(0, 0)) == "row 000012"
    assert not model.loading and loading == [True, False]
    assert len(source.threads) == 2  # the search ran on a worker thread
    model.wait()


def test_stale_results_are_dropped_and_the_newest_query_wins(qtbot: QtBot) -> None:
    source = GatedSource(1000)
    model = make_model(source)
    model.start()
    totals: list[int] = []
    model.loaded.connect(totals.append)
    first = source.gate("row 0001")
    model.set_search("row 0001")  # running on the worker, held at its gate
    qtbot.waitUntil(lambda: source.calls[-1] == (0, "row 0001"), timeout=2000)
    model.set_search("row 000")  # typed on: waits for the running query
    model.set_search("row 00002")  # and again: only this one will run
    first.set()
    qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    model.wait()
    assert totals == [10]  # the stale "row 0001" result (100 rows) was never shown
    assert model.total == 10 and model.search_text == "row 00002"
    assert model.data(model.index(0, 0)) == "row 000020"
    assert [search for _, search in source.calls] == ["", "row 0001", "row 00002"]


def test_a_page_answered_after_the_query_changed_is_dropped(qtbot: QtBot) -> None:
    source = GatedSource(1000)
    model = make_model(source)
    model.start()
    gate = source.gate("")
    assert model.data(model.index(999, 0)) is None  # not loaded: fetched in the background
    qtbot.waitUntil(lambda: source.calls[-1] == (800, ""), timeout=2000)
    model.set_search("row 0009")  # the unfiltered page is still out: its answer is stale
    gate.set()
    qtbot.waitUntil(lambda: not model.loading, timeout=5000)
    model.wait()
    assert model.total == 100
    assert model.data(model.index(99, 0)) == "row 000999"
    assert model.find_row(999) == 99  # the stale page 4 of the unfiltered list is not cached


def test_scrolling_fetches_pages_in_the_background(qtbot: QtBot) -> None:
    source = GatedSource(100_000)
    model = make_model(source)
    model.start()
    assert model.data(model.index(99_999, 0)) is None
    assert model.data(model.index(99_998, 0)) is None
    with qtbot.waitSignal(model.dataChanged, timeout=5000):
        pass
    assert model.data(model.index(99_999, 0)) == "row 099999"
    assert [offset for offset, _ in source.calls] == [0, 99_800]  # one fetch for the page
    model.wait()
