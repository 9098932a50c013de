from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.ui.context import AppContext
from desktop_app.ui.views.price_book import PriceBookView


def test_new_item_validation_and_list(qtbot: QtBot, ctx: AppContext) -> None:
    view = PriceBookView(ctx)
    qtbot.addWidget(view)
    view.start()
    dialog = view.new_record()
    qtbot.addWidget(dialog)
    dialog.name.setText("Drywall sheet")
    dialog.price.setText("twelve")
    assert not dialog.save()
    assert "number" in dialog.errors.message("unit_price")
    dialog.price.setText("12.50")
    dialog.taxable.setChecked(True)
    assert dialog.save()
    qtbot.waitUntil(lambda: view.model.total == 1)  # the list reloads in the background
    row = view.model.row_at(0)
    assert row.name == "Drywall sheet" and row.taxable
    assert view.model.data(view.model.index(0, 3)) == "$12.50"
