"""Every picker loads the record chosen, whether it was typed and Entered, reached with the
arrow keys and Entered, or clicked with the mouse (issue 16, point 3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from desktop_app.services import invoices, jobs, locations, terms
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.multi_invoice import MultiJobInvoiceDialog
from desktop_app.ui.dialogs.payment import PaymentDialog
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.pickers import RecordPicker
from tests.gui.driving import enter, focus, leave, retype, show
from tests.gui.helpers import make_customer, make_item, make_job


def by_typing(qtbot: QtBot, picker: QComboBox, name: str) -> None:
    retype(qtbot, picker, name)
    enter(qtbot, picker)


def by_typing_and_leaving(qtbot: QtBot, picker: QComboBox, name: str) -> None:
    retype(qtbot, picker, name)
    leave(qtbot, picker)


def by_matches_list(qtbot: QtBot, picker: QComboBox, name: str) -> None:
    """Type part of the name, go down the list of matches shown while typing, Enter."""
    retype(qtbot, picker, name[:3])
    popup = picker.completer().popup()
    qtbot.waitUntil(
        lambda: (
            popup.isVisible()
            and any(popup.model().index(row, 0).data() == name for row in range(popup.model().rowCount()))
        )
    )
    for _ in range(popup.model().rowCount()):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
        if popup.currentIndex().data() == name:
            break
    qtbot.keyClick(popup, Qt.Key.Key_Return)


def by_arrow_keys(qtbot: QtBot, picker: QComboBox, name: str) -> None:
    focus(qtbot, picker)
    for _ in range(picker.count() + 1):
        if picker.currentText() == name:
            break
        qtbot.keyClick(picker, Qt.Key.Key_Down)
    assert picker.currentText() == name
    enter(qtbot, picker)


def by_mouse(qtbot: QtBot, picker: QComboBox, name: str) -> None:
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=QPoint(picker.width() - 8, picker.height() // 2))
    view = picker.view()
    qtbot.waitUntil(view.isVisible)
    # Qt ignores a release within the double-click interval of opening the list (the
    # release of the opening click must not pick); a person's second click comes later.
    qtbot.wait(QApplication.doubleClickInterval() + 50)
    row = picker.findText(name)
    assert row >= 0
    view.scrollTo(view.model().index(row, 0))
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible())


ROUTES: dict[str, Callable[[QtBot, QComboBox, str], None]] = {
    "typing then Enter": by_typing,
    "typing then Tab": by_typing_and_leaving,
    "list of matches": by_matches_list,
    "arrow keys then Enter": by_arrow_keys,
    "mouse": by_mouse,
}


@pytest.fixture
def maria(ctx: AppContext) -> tuple[int, int]:
    """A customer with an open invoice and two service locations, among others."""
    for name in ("Acme Homes", "Bright Builders", "Marble Works"):
        make_customer(ctx, name)
    customer = make_customer(ctx, "Maria Testerson")
    for street in ("12 Lake Rd", "9 Hill St"):
        ctx.write(locations.add_location, customer.id, locations.LocationFields(street=street, city="Reno"))
    invoice = ctx.write(invoices.create_invoice, make_job(ctx, customer.id, "250").id)
    return customer.id, invoice.id


@pytest.mark.parametrize("route", ROUTES)
def test_receive_payment_lists_the_open_invoices_of_the_customer_chosen(
    qtbot: QtBot, ctx: AppContext, maria: tuple[int, int], route: str
) -> None:
    dialog = show(qtbot, PaymentDialog(ctx))
    assert dialog.customer.currentText() == ""
    ROUTES[route](qtbot, dialog.customer, "Maria Testerson")
    assert dialog.customer.customer_id() == maria[0]
    assert dialog.table.rowCount() == 1
    assert dialog.isVisible() and dialog.record is None  # choosing did not save


@pytest.mark.parametrize("route", ROUTES)
def test_new_job_loads_the_locations_of_the_customer_chosen(
    qtbot: QtBot, ctx: AppContext, maria: tuple[int, int], route: str
) -> None:
    window = show(qtbot, JobDetailsDialog(ctx, None))
    assert window.customer.currentText() == ""  # no customer chosen for the user
    assert window.customer.customer_id() is None
    ROUTES[route](qtbot, window.customer, "Maria Testerson")
    assert window.customer.customer_id() == maria[0]
    assert [window.location.itemText(row) for row in range(window.location.count())] == [
        "No service location",
        "12 Lake Rd, Reno",
        "9 Hill St, Reno",
    ]
    ROUTES[route](qtbot, window.location, "9 Hill St, Reno")
    retype(qtbot, window.name, "Porch")
    enter(qtbot, window.name)
    assert window.record is not None
    saved = ctx.read(jobs.get_job, window.record.id)
    assert saved.customer_id == maria[0]
    assert saved.location is not None and saved.location.street == "9 Hill St"


@pytest.mark.parametrize("route", ROUTES)
def test_terms_picked_any_way_reach_the_invoice(
    qtbot: QtBot, ctx: AppContext, maria: tuple[int, int], route: str
) -> None:
    wanted = next(t for t in ctx.read(terms.list_terms) if t.name == "Net 30")
    job = make_job(ctx, maria[0], "100")
    dialog = show(qtbot, MultiJobInvoiceDialog(ctx))
    ROUTES[route](qtbot, dialog.customer, "Maria Testerson")
    assert dialog.jobs.count() == 2
    ROUTES[route](qtbot, dialog.terms, "Net 30")
    assert dialog.terms.value() == wanted.id
    for row in range(dialog.jobs.count()):
        if job.number in dialog.jobs.item(row).text():
            rect = dialog.jobs.visualItemRect(dialog.jobs.item(row))
            tick = QPoint(10, rect.center().y())
            qtbot.mouseClick(dialog.jobs.viewport(), Qt.MouseButton.LeftButton, pos=tick)
    assert dialog.chosen_jobs() == [job.id]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.created is not None and dialog.created.terms_id == wanted.id


@pytest.mark.parametrize("route", ROUTES)
def test_an_item_picked_any_way_fills_its_line(
    qtbot: QtBot, ctx: AppContext, maria: tuple[int, int], route: str
) -> None:
    make_item(ctx, "Drywall sheet", "14.50")
    make_item(ctx, "Labor hour", "85")
    window = show(qtbot, JobDetailsDialog(ctx, None))
    qtbot.mouseClick(window.lines.add_button, Qt.MouseButton.LeftButton)
    table = window.lines.table
    picker = table.cellWidget(0, 0)
    assert isinstance(picker, RecordPicker)
    # The table lays its cell widgets out on the next pass of the event loop, as it draws.
    unplaced = picker.geometry()
    qtbot.waitUntil(lambda: picker.geometry() != unplaced)
    assert table.visualRect(table.model().index(0, 0)).contains(picker.geometry())
    ROUTES[route](qtbot, picker, "Labor hour")
    assert window.lines.table.item(0, 3).text() == "85"
    assert window.lines.totals.values["total"].text() == "$85.00"


def test_a_name_that_matches_nothing_is_said_at_the_field(
    qtbot: QtBot, ctx: AppContext, maria: tuple[int, int]
) -> None:
    dialog = show(qtbot, PaymentDialog(ctx))
    retype(qtbot, dialog.customer, "Nobody Atall")
    leave(qtbot, dialog.customer)
    assert "No customer is named “Nobody Atall”" in dialog.errors.message("customer_id")
    assert dialog.table.rowCount() == 0
