"""A 1024 × 768 screen and the keyboard (issue 16, point 8): the columns that matter stay in
view, windows fit the screen, Down goes from a search box to the results, a list shows
its keyboard focus, Enter in a form saves and says so."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.services import customers, invoices
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.dialogs.invoice import InvoiceDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.column_fit import fitted_widths
from tests.gui.driving import enter, focus, retype, show
from tests.gui.helpers import make_customer, make_job


def visible_columns(window: MainWindow, screen: str) -> dict[str, bool]:
    view = window.show_screen(screen)
    table = view.table  # type: ignore[attr-defined]
    header = table.horizontalHeader()
    room = table.viewport().width()
    result = {}
    for logical in range(header.count()):
        title = str(table.model().headerData(logical, Qt.Orientation.Horizontal))
        left = header.sectionViewportPosition(logical)
        result[title] = (
            not header.isSectionHidden(logical) and left >= 0 and left + header.sectionSize(logical) <= room
        )
    return result


@pytest.mark.parametrize(
    ("screen", "needed"),
    [
        ("jobs", ("Job #", "Job", "Customer", "Status", "Scheduled", "Finished", "Total")),
        ("payments", ("Received", "Customer", "Amount", "Applied", "Unapplied", "QuickBooks")),
        ("invoices", ("Invoice #",)),
        ("customers", ()),
    ],
)
def test_at_1024_by_768_the_columns_that_matter_stay_in_view(
    qtbot: QtBot, ctx: AppContext, screen: str, needed: tuple[str, ...]
) -> None:
    window = MainWindow(ctx)
    show(qtbot, window)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.width() == 1024)
    shown = visible_columns(window, screen)
    qtbot.waitUntil(lambda: all(visible_columns(window, screen).values()))
    assert set(needed) <= set(shown)
    assert all(visible_columns(window, screen).values()), shown


def test_columns_shrink_text_first_and_give_spare_room_to_the_stretch_column() -> None:
    # Jobs at 1024 × 768: 1,040 px of columns in 754 px.
    text = [True, True, True, False, False, False, False]
    fitted = fitted_widths([100, 260, 220, 120, 110, 110, 120], [90, 90, 90, 80, 90, 90, 70], 754, 1, text)
    assert sum(fitted) == 754
    assert fitted[3:] == [120, 110, 110, 120]  # status, dates and money untouched
    assert fitted_widths([100, 200], [90, 90], 500, 1) == [100, 400]
    assert fitted_widths([300, 300], [90, 90], 100, 0) == [90, 90]  # never below the minimum


def test_job_and_invoice_windows_fit_the_screen(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    invoice = ctx.write(invoices.create_invoice, job.id)
    room = QApplication.primaryScreen().availableGeometry()
    for window in (JobDetailsDialog(ctx, job.id), InvoiceDialog(ctx, invoice.id), CustomerDialog(ctx)):
        show(qtbot, window)
        assert window.frameGeometry().height() <= room.height()
        assert window.frameGeometry().width() <= room.width()
        assert window.size().height() < 900  # they asked for 860-900 px


def test_down_from_the_search_box_reaches_the_results_and_enter_opens(qtbot: QtBot, ctx: AppContext) -> None:
    make_customer(ctx, "Acme Homes")
    make_customer(ctx, "Maria Testerson")
    window = MainWindow(ctx)
    show(qtbot, window)
    view = window.show_screen("customers")
    qtbot.waitUntil(lambda: view.model.total == 2)  # type: ignore[attr-defined]
    search = view.search_box  # type: ignore[attr-defined]
    retype(qtbot, search, "maria")
    qtbot.waitUntil(lambda: view.model.total == 1)  # type: ignore[attr-defined]
    qtbot.keyClick(search, Qt.Key.Key_Down)
    table = view.table  # type: ignore[attr-defined]
    assert table.hasFocus()
    assert table.currentIndex().row() == 0 and table.selectionModel().isRowSelected(0)
    assert "QTableView:focus" in QApplication.instance().styleSheet()  # the focused list is framed
    with qtbot.waitSignal(view.activated) as opened:  # type: ignore[attr-defined]
        qtbot.keyClick(table, Qt.Key.Key_Return)
    maria = ctx.read(customers.list_customers, search="maria").rows[0]
    assert opened.args == [maria.id]


def test_enter_in_a_form_saves_and_says_saved(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    show(qtbot, window)
    view = window.show_screen("customers")
    dialog = view.new_record()  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    retype(qtbot, dialog.widgets["company"], "Lakeside Builders")
    enter(qtbot, dialog.widgets["company"])
    assert dialog.record is not None and dialog.isVisible()
    assert "Saved" in dialog.saved_note.text()
    assert "saved" in window.statusBar().currentMessage()
    assert ctx.read(customers.get_customer, dialog.record.id).company == "Lakeside Builders"
    focus(qtbot, dialog.widgets["notes"])
    qtbot.keyClicks(dialog.widgets["notes"], "Gate code 1234")
    qtbot.keyClick(dialog.widgets["notes"], Qt.Key.Key_Return)  # a new line in notes, not a save
    assert "\n" in dialog.widgets["notes"].toPlainText()
    assert dialog.saved_note.text() == ""  # unsaved again
