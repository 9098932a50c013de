"""The customer, location and item forms: a duplicate name is said at its field, limits are
said while typing, and phone, e-mail, state and ZIP are checked (issue 16, points 4 and 6)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desktop_app.services import customers, locations
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.dialogs.item import ItemDialog
from desktop_app.ui.dialogs.location import LocationDialog
from desktop_app.ui.prompts import ScriptedPrompts
from tests.gui.driving import enter, focus, retype, show
from tests.gui.helpers import make_customer, make_item

CONCURRENT = "Changed by someone else"


def click_save(qtbot: QtBot, dialog: CustomerDialog | ItemDialog | LocationDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def test_a_duplicate_customer_name_is_said_at_the_field(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    make_customer(ctx, "Maria Testerson")
    dialog = show(qtbot, CustomerDialog(ctx))
    retype(qtbot, dialog.widgets["display_name"], "maria  testerson")
    click_save(qtbot, dialog)
    assert dialog.isVisible() and dialog.record is None
    assert "A customer named “maria testerson” already exists" in dialog.errors.message("display_name")
    assert dialog.widgets["display_name"].property("invalid") is True
    assert [a.title for a in prompts.asked] == []  # no "Changed by someone else", no message box
    assert ctx.read(customers.list_customers).total == 1


def test_a_duplicate_item_name_is_said_at_the_field(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    make_item(ctx, "Labor hour")
    dialog = show(qtbot, ItemDialog(ctx))
    retype(qtbot, dialog.name, "LABOR HOUR")
    click_save(qtbot, dialog)
    assert "already has an item named" in dialog.errors.message("name")
    assert prompts.asked == []


def test_a_real_concurrent_edit_still_offers_reload(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx, "Delta Decks")
    dialog = show(qtbot, CustomerDialog(ctx, customer.id))
    ctx.write(
        customers.update_customer,
        customer.id,
        customer.version,
        replace(customer.to_fields(), company="Delta Inc"),
    )
    retype(qtbot, dialog.widgets["first_name"], "Dee")
    prompts.queue("Keep my changes")
    click_save(qtbot, dialog)
    assert [a.title for a in prompts.asked] == [CONCURRENT]


@pytest.mark.parametrize(
    ("field", "limit"), [("first_name", 25), ("last_name", 25), ("company", 41), ("bill_city", 31)]
)
def test_typing_stops_at_the_quickbooks_length_and_says_why(
    qtbot: QtBot, ctx: AppContext, field: str, limit: int
) -> None:
    dialog = show(qtbot, CustomerDialog(ctx))
    widget = dialog.widgets[field]
    retype(qtbot, widget, "x" * (limit - 1))
    assert dialog.errors.message(field) == ""
    qtbot.keyClicks(widget, "y" * 200)
    assert widget.text() == "x" * (limit - 1) + "y"
    assert f"{limit} characters at most: QuickBooks keeps no more" in dialog.errors.message(field)
    assert widget.property("invalid") is not True  # a hint, not an error
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    assert dialog.errors.message(field) == ""


def test_a_pasted_text_cut_to_the_limit_says_so(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = show(qtbot, CustomerDialog(ctx))
    QApplication.clipboard().setText("Testerson Family Home Improvement and Restoration Partners")
    focus(qtbot, dialog.widgets["company"])
    qtbot.keyClick(dialog.widgets["company"], Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.widgets["company"].text() == "Testerson Family Home Improvement and Res"
    assert "41 characters at most" in dialog.errors.message("company")


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("mobile_phone", "call me maybe", "is not a phone number"),
        ("work_phone", "555-12", "not a whole phone number"),
        ("email", "maria@", "is not an e-mail address"),
        ("bill_zip", "9581A", "is not a ZIP code"),
        ("bill_state", "XX", "is not a US state"),
    ],
)
def test_bad_contact_details_are_said_at_their_field(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, field: str, typed: str, says: str
) -> None:
    dialog = show(qtbot, CustomerDialog(ctx))
    retype(qtbot, dialog.widgets["display_name"], "Maria Testerson")
    retype(qtbot, dialog.widgets[field], typed)
    enter(qtbot, dialog.widgets[field])
    assert says in dialog.errors.message(field)
    label = dialog.findChildren(QLabel, "fieldError")
    shown = [item for item in label if item.isVisible() and says in item.text()]
    assert len(shown) == 1 and not shown[0].property("hint")  # said as an error, in red
    assert dialog.widgets[field].hasFocus()
    assert prompts.asked == []
    assert ctx.read(customers.list_customers).total == 0
    retype(qtbot, dialog.widgets[field], "")
    enter(qtbot, dialog.widgets[field])
    assert dialog.record is not None and "Saved" in dialog.saved_note.text()


def test_a_location_zip_is_checked_at_its_field(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    dialog = show(qtbot, LocationDialog(ctx, customer.id))
    retype(qtbot, dialog.widgets["street"], "12 Lake Rd")
    retype(qtbot, dialog.widgets["zip"], "9581A")
    click_save(qtbot, dialog)
    assert "is not a ZIP code" in dialog.errors.message("zip")
    assert ctx.read(locations.list_locations, customer.id) == ()
