"""Sync centre → Preview next sync: per kind counts, the records filtered and searched, the
reason and exact qbXML of one, CSV export, and Refresh rebuilding it from the current data."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.services import accounts, invoices, sync_center, sync_queue
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.sync_center import SyncCenterView
from desktop_app.ui.views.sync_preview_dialog import SyncPreviewDialog
from tests.gui.connect_helpers import office_company, our_customers
from tests.gui.driving import activate, click_row, retype
from tests.gui.helpers import make_customer, make_job
from tests.gui.sync_helpers import run_sync


def click(qtbot: QtBot, button: QWidget) -> None:
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Pick an entry by keyboard: focus the drop-down, Home, then Down until it is shown."""
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{text!r} is not offered")


def pending_sync(ctx: AppContext) -> dict[str, int]:
    """Ours meet an imported QuickBooks company; then our customers and an invoice are queued.

    Smith is QuickBooks' by its exact name (linked: an update), O'Brien and Kim only look
    like QuickBooks' (undecided: conflicts), Brand New Homes is new (create), and invoice
    1000 was numbered before QuickBooks' 1000-1011 were known (a conflict).
    """
    made = our_customers(ctx, queue=False)
    walker = make_customer(ctx, "Walker, Jo")
    job = make_job(ctx, walker.id, "1000")  # the job and its customer go with the import's session
    invoice = ctx.write(invoices.create_invoice, job.id)
    assert invoice.number == "1000"
    company = office_company()
    ctx.write(sync_center.start_first_run_import, changes=("sync",))
    run_sync(ctx, company)
    income = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Construction Income")
    ctx.write(accounts.set_default_income_account, income.id)
    records = [("customer", n) for n in made.values()] + [("invoice", invoice.id)]
    ctx.write(sync_queue.send_records, records, changes=("sync",))
    return made


def open_preview(qtbot: QtBot, ctx: AppContext) -> SyncPreviewDialog:
    view = SyncCenterView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    click(qtbot, view.preview_button)
    dialog = view.last_dialog
    assert isinstance(dialog, SyncPreviewDialog)
    activate(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.preview.preview is not None and not dialog.preview.busy, timeout=10_000)
    return dialog


def test_counts_filter_search_reason_and_qbxml(qtbot: QtBot, ctx: AppContext) -> None:
    pending_sync(ctx)
    widget = open_preview(qtbot, ctx).preview
    customers = {
        o: widget.summary_count("Customers", o) for o in ("link", "create", "update", "skip", "conflict")
    }
    assert customers == {"link": "–", "create": "1", "update": "1", "skip": "–", "conflict": "2"}
    assert widget.summary_count("Items", "create") == "1"  # the generic item, needed by the invoice
    assert widget.summary_count("Invoices", "conflict") == "1"
    assert widget.summary_count("All", "conflict") == "3" and widget.summary_count("All", "total") == "6"
    assert (
        "6 records, 3 in conflict" in widget.status.text() and "Nothing has been sent" in widget.status.text()
    )

    choose(qtbot, widget.kind_filter, "Invoices")
    assert [row.label for row in widget.shown_rows()] == ["Invoice 1000"]
    assert widget.shown_label.text() == "1 of 6 shown"
    click_row(qtbot, widget.table, 0)
    assert "QuickBooks already uses invoice number 1000" in widget.reason.text()
    xml = widget.xml.toPlainText()
    # What the invoice sends first: the check of its number (QuickBooks is asked before adding).
    assert "<InvoiceQueryRq" in xml and "1000" in xml

    choose(qtbot, widget.kind_filter, "All kinds")
    choose(qtbot, widget.outcome_filter, "Conflict")
    assert sorted(row.label for row in widget.shown_rows()) == [
        "Customer Kim, Hiro",
        "Customer O'Brien, Pavel",
        "Invoice 1000",
    ]
    choose(qtbot, widget.outcome_filter, "Everything")
    retype(qtbot, widget.search_box, "brand")
    assert [row.label for row in widget.shown_rows()] == ["Customer Brand New Homes"]
    click_row(qtbot, widget.table, 0)
    assert "Not in QuickBooks yet" in widget.reason.text()
    xml = widget.xml.toPlainText()
    assert "<CustomerAddRq" in xml and "Brand New Homes" in xml
    retype(qtbot, widget.search_box, "decision")  # the reasons are searched too
    assert len(widget.shown_rows()) == 2


def test_export_csv_writes_the_rows_shown(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    pending_sync(ctx)
    widget = open_preview(qtbot, ctx).preview
    choose(qtbot, widget.outcome_filter, "Conflict")
    target = tmp_path / "preview.csv"
    prompts.queue(str(target))
    click(qtbot, widget.export_button)
    assert prompts.asked[-1].kind == "save_file"
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Kind", "Record", "What happens", "Why", "Needed first", "qbXML"]
    assert sorted(row[1] for row in rows[1:]) == [
        "Customer Kim, Hiro",
        "Customer O'Brien, Pavel",
        "Invoice 1000",
    ]
    assert {row[2] for row in rows[1:]} == {"Conflict"}
    invoice = next(row for row in rows[1:] if row[1] == "Invoice 1000")
    assert "<InvoiceQueryRq" in invoice[5]
    assert "3 records exported" in widget.status.text()


def test_refresh_rebuilds_from_the_current_data(qtbot: QtBot, ctx: AppContext) -> None:
    pending_sync(ctx)
    widget = open_preview(qtbot, ctx).preview
    assert widget.summary_count("Customers", "create") == "1"
    added = make_customer(ctx, "Late Addition Ltd")
    ctx.write(sync_queue.send_records, [("customer", added.id)], changes=("sync",))
    waiting = ctx.read(sync_center.counts).pending
    assert widget.summary_count("Customers", "create") == "1"  # shown as built until Refresh
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        click(qtbot, widget.refresh_button)
    assert widget.summary_count("Customers", "create") == "2"
    # Looking changed nothing: what waited in the queue still waits (5 customers, the invoice).
    assert ctx.read(sync_center.counts).pending == waiting == 6


def test_the_preview_is_built_off_the_ui_thread(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qbwc_server.sync import preview as preview_module

    threads: list[threading.Thread] = []
    real = preview_module.build_preview

    def recording(db: Any, *, with_xml: bool = True) -> Any:
        threads.append(threading.current_thread())
        return real(db, with_xml=with_xml)

    monkeypatch.setattr(preview_module, "build_preview", recording)
    dialog = open_preview(qtbot, ctx)
    assert threads and threads[0] is not threading.main_thread()
    assert "sends nothing" in dialog.preview.status.text()
    assert dialog.preview.summary_count("All", "total") == "–"


def test_the_preview_is_rebuilt_when_the_data_changes(qtbot: QtBot, ctx: AppContext) -> None:
    pending_sync(ctx)
    dialog = open_preview(qtbot, ctx)
    before = dialog.preview.preview
    assert not any(row.label == "Customer Quill, Ada" for row in before.rows)
    fresh = make_customer(ctx, "Quill, Ada")
    ctx.write(sync_queue.send_records, [("customer", fresh.id)], changes=("customer", "sync"))
    qtbot.waitUntil(lambda: dialog.preview.preview is not before and not dialog.preview.busy, timeout=10_000)
    assert any(row.label == "Customer Quill, Ada" for row in dialog.preview.preview.rows)
