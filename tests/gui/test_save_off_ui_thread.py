"""A save that waits for the write lock (the sync is writing) leaves the window painting."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from PySide6.QtCore import QTimer

from desktop_app.services import customers
from desktop_app.ui.context import AppContext


def test_a_save_waiting_for_the_lock_lets_the_ui_thread_run(ctx: AppContext) -> None:
    path = ctx.db.url.removeprefix("sqlite:///")
    if ctx.db.engine.dialect.name != "sqlite" or not ctx.background_reads:
        pytest.skip("the write lock of a SQLite file")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (the sync) holds the lock
    events: list[str] = []

    def on_ui_thread() -> None:
        # Runs only if the UI thread is free while the save waits; it lets the save go.
        events.append("ui thread ran" if threading.current_thread() is threading.main_thread() else "?")
        holder.execute("COMMIT")

    QTimer.singleShot(100, on_ui_thread)
    saved = ctx.write(
        customers.create_customer,
        customers.CustomerFields(display_name="Waited, Once", first_name="Once", last_name="Waited"),
        changes=("customer",),
    )
    events.append("saved")
    holder.close()
    assert events == ["ui thread ran", "saved"]
    with ctx.db.reader() as uow:
        assert customers.get_customer(uow, saved.id).display_name == "Waited, Once"


def test_an_error_in_a_save_reaches_the_caller(ctx: AppContext) -> None:
    with pytest.raises(LookupError):
        ctx.with_uow(lambda uow: (_ for _ in ()).throw(LookupError("gone")))
