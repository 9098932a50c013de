from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.customers import CustomersView
from tests.gui.helpers import make_customer


def test_new_customer_validation_then_save_updates_list(qtbot: QtBot, ctx: AppContext) -> None:
    view = CustomersView(ctx)
    qtbot.addWidget(view)
    view.start()
    assert view.model.total == 0

    dialog = view.new_record()
    qtbot.addWidget(dialog)
    dialog.widgets["email"].setText("not-an-email")
    dialog.widgets["display_name"].setText("Bella Builders")
    assert not dialog.save()
    assert "@" in dialog.errors.message("email")

    dialog.widgets["email"].setText("bella@example.com")
    dialog.widgets["display_name"].setText("")
    assert not dialog.save()
    assert "display name" in dialog.errors.message("display_name").lower()

    dialog.widgets["display_name"].setText("Bella Builders")
    dialog.widgets["mobile_phone"].setText("(555) 123-4567")
    assert dialog.save()
    assert dialog.errors.message("display_name") == ""
    qtbot.waitUntil(lambda: view.model.total == 1)  # the list reloads in the background
    assert view.model.row_at(0).display_name == "Bella Builders"


def test_search_as_you_type_filters_the_list(qtbot: QtBot, ctx: AppContext) -> None:
    for name in ("Alpha Roofing", "Beta Plumbing", "Gamma Roofing"):
        make_customer(ctx, name)
    view = CustomersView(ctx)
    qtbot.addWidget(view)
    view.start()
    assert view.model.total == 3
    view.search_box.setText("roof")
    qtbot.waitUntil(lambda: view.model.total == 2, timeout=2000)
    assert "2 customers" in view.count_label.text()


def test_conflict_offers_reload(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    from desktop_app.services import customers

    customer = make_customer(ctx, "Delta Decks")
    view = CustomersView(ctx)
    qtbot.addWidget(view)
    view.start()
    dialog = view.open_customer(customer.id)
    qtbot.addWidget(dialog)
    # Someone else edits the customer meanwhile.
    fields = customer.to_fields()
    ctx.write(
        customers.update_customer,
        customer.id,
        customer.version,
        type(fields)(**{**fields.__dict__, "company": "Delta Decks Inc"}),
    )
    dialog.widgets["notes"].setPlainText("Call before visiting")
    prompts.queue("Reload")
    assert not dialog.save()
    assert prompts.asked[-1].kind == "choose"
    assert dialog.widgets["company"].text() == "Delta Decks Inc"


def test_closing_with_unsaved_changes_asks(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    view = CustomersView(ctx)
    qtbot.addWidget(view)
    dialog = view.new_record()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.widgets["first_name"], "Eve")
    assert dialog.tracker.dirty
    prompts.queue(False)
    dialog.reject()
    assert dialog.isVisible()
    assert prompts.asked[-1].title == "Unsaved changes"
    prompts.queue(True)
    dialog.reject()
    assert not dialog.isVisible()
