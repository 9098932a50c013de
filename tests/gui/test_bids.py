from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.services import jobs
from desktop_app.ui.context import AppContext
from desktop_app.ui.views.bids import BidsView
from tests.gui.helpers import make_customer, make_item


def test_bid_lines_totals_and_convert_to_job(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    item = make_item(ctx, "Labor hour", "85")
    view = BidsView(ctx)
    qtbot.addWidget(view)
    view.start()
    dialog = view.new_record()
    qtbot.addWidget(dialog)
    dialog.customer.set_customer(customer.id, customer.display_name)
    assert not dialog.save()
    assert "title" in dialog.errors.message("title").lower() or dialog.errors.message("title")

    dialog.title.setText("Deck repair")
    row = dialog.lines.add_line()
    dialog.lines.choose_item(row, item.id)
    dialog.lines.set_cell(row, 2, "10")
    row = dialog.lines.add_line(description="Dump fee", rate="40")
    assert dialog.lines.totals.values["total"].text() == "$890.00"
    dialog.lines.set_cell(row, 2, "-1")
    assert not dialog.save()
    assert "quantity" in dialog.lines.error.text()
    dialog.lines.set_cell(row, 2, "1")
    assert dialog.save()
    qtbot.waitUntil(lambda: view.model.total == 1)  # the list reloads in the background

    dialog.convert_to_job()
    assert dialog.converted_job_id is not None
    job = ctx.read(jobs.get_job, dialog.converted_job_id)
    assert job.totals.total == dialog.record.lines[0].amount + dialog.record.lines[1].amount
    assert not dialog.convert_button.isVisible()
