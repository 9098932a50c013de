"""Date fields read what an office types, refuse impossible dates at the field, stay empty
when optional and empty, and open their calendar on today (issue 16, point 2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from desktop_app.errors import ValidationError
from desktop_app.services import invoice_queries, jobs
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.payment import PaymentDialog
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.date_field import DateField, parse_date
from tests.gui.driving import enter, focus, leave, retype, show, tool_button
from tests.gui.helpers import make_customer, make_job

TODAY = date.today()


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("3/5", f"03/05/{TODAY.year}"),
        ("03/05/2026", "03/05/2026"),
        ("2026-03-05", "03/05/2026"),
        ("3/5/26", "03/05/2026"),
        ("t", TODAY.strftime("%m/%d/%Y")),
        ("T", TODAY.strftime("%m/%d/%Y")),
    ],
)
def test_what_an_office_types_is_read(qtbot: QtBot, ctx: AppContext, typed: str, shown: str) -> None:
    dialog = show(qtbot, PaymentDialog(ctx))
    retype(qtbot, dialog.received_on, typed)
    leave(qtbot, dialog.received_on)
    assert dialog.received_on.text() == shown
    assert dialog.errors.message("received_on") == ""


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("02/31/2026", "February 2026 has 28 days"),
        ("31/02/2026", "there is no month 31"),
        ("13/1/2026", "there is no month 13"),
        ("next week", "is not a date"),
    ],
)
def test_an_impossible_date_is_refused_at_the_field_and_left_as_typed(
    qtbot: QtBot, ctx: AppContext, typed: str, says: str
) -> None:
    customer = make_customer(ctx, "Maria Testerson")
    dialog = show(qtbot, PaymentDialog(ctx))
    dialog.customer.set_customer(customer.id, customer.display_name)
    retype(qtbot, dialog.amount, "100")
    retype(qtbot, dialog.received_on, typed)
    leave(qtbot, dialog.received_on)
    assert dialog.received_on.text() == typed  # never silently another date
    assert says in dialog.errors.message("received_on")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert says in dialog.errors.message("received_on")
    assert dialog.record is None
    assert ctx.read(invoice_queries.list_payments).total == 0


def test_an_empty_optional_date_stays_empty(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    window = show(qtbot, JobDetailsDialog(ctx, job.id))
    field = window.scheduled
    assert field.text() == ""
    focus(qtbot, field)
    leave(qtbot, field)
    assert field.text() == "" and field.value() is None

    retype(qtbot, field, "4/1/2026")
    leave(qtbot, field)
    assert field.text() == "04/01/2026"
    assert window.save()
    assert ctx.read(jobs.get_job, job.id).scheduled_start == date(2026, 4, 1)

    retype(qtbot, field, "")
    leave(qtbot, field)
    assert field.text() == ""
    assert window.save()
    assert ctx.read(jobs.get_job, job.id).scheduled_start is None


def test_the_calendar_of_an_empty_date_opens_on_today_and_picks_by_keyboard(
    qtbot: QtBot, ctx: AppContext
) -> None:
    window = show(qtbot, JobDetailsDialog(ctx, None))
    field = window.scheduled
    qtbot.mouseClick(tool_button(field), Qt.MouseButton.LeftButton)
    calendar = field.calendar
    assert calendar is not None and calendar.isVisible()
    assert calendar.selectedDate() == QDate.currentDate()
    assert (calendar.yearShown(), calendar.monthShown()) == (TODAY.year, TODAY.month)
    grid = calendar.findChild(QTableView)
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert not calendar.isVisible()
    assert field.value() == TODAY + timedelta(days=1)
    assert window.tracker.dirty


def test_the_calendar_opens_on_the_typed_date_and_a_click_picks(qtbot: QtBot, ctx: AppContext) -> None:
    window = show(qtbot, JobDetailsDialog(ctx, None))
    field = window.scheduled
    retype(qtbot, field, "2026-07-04")
    qtbot.keyClick(field, Qt.Key.Key_F4)
    calendar = field.calendar
    assert calendar is not None and calendar.isVisible()
    assert calendar.selectedDate() == QDate(2026, 7, 4)
    grid = calendar.findChild(QTableView)
    model = grid.model()
    cell = next(
        model.index(row, column)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
        if model.data(model.index(row, column)) == 20 and row > 1
    )
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(cell).center())
    assert field.value() == date(2026, 7, 20)


def test_day_first_locales_read_day_first() -> None:
    uk = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    field = DateField(locale=uk)
    assert field.order == "DMY"
    assert parse_date("31/12/2026", field.order) == date(2026, 12, 31)
    assert parse_date("3/5", field.order, today=date(2026, 1, 1)) == date(2026, 5, 3)
    with pytest.raises(ValidationError, match="there is no month 31"):
        parse_date("12/31/2026", field.order)
    assert parse_date("2026-03-05", field.order) == date(2026, 3, 5)  # ISO whatever the locale


def test_enter_in_the_date_field_reads_it_before_saving(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    window = show(qtbot, JobDetailsDialog(ctx, job.id))
    retype(qtbot, window.scheduled, "5/6/2026")
    enter(qtbot, window.scheduled)
    assert ctx.read(jobs.get_job, job.id).scheduled_start == date(2026, 5, 6)
