"""A record's QuickBooks panel says what QuickBooks keeps differently (nothing is cut silently)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.services import customers, jobs, sync_center
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.widgets.qb_panel import QuickBooksPanel

NAME_41 = "Whole-house repaint, trim and porch repairs"[:41]


def _job(ctx: AppContext, name: str) -> int:
    with ctx.db.uow(ctx.actor) as uow:
        customer = customers.create_customer(uow, customers.CustomerFields(display_name=f"Lee, {name[:5]}"))
        job = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer.id,
                name=name,
                lines=(LineInput(description="Labor", quantity="1", rate="100"),),
            ),
        )
        uow.commit()
    return job.id


def test_a_job_name_quickbooks_shortens_is_said_on_its_quickbooks_panel(
    ctx: AppContext, qtbot: QtBot
) -> None:
    long_id, short_id = _job(ctx, NAME_41), _job(ctx, "Porch")
    with ctx.db.reader() as uow:
        long_status = sync_center.record_status(uow, "job", long_id)
        short_status = sync_center.record_status(uow, "job", short_id)
    (said,) = long_status.differences
    assert "41 characters" in said and "In QuickBooks this job is named" in said
    assert short_status.differences == ()
    panel = QuickBooksPanel(ctx, "job")
    qtbot.addWidget(panel)
    panel.show()
    panel.show_record(long_id)
    assert panel.differences_label.isVisible() and "41 characters" in panel.differences_label.text()
    panel.show_record(short_id)
    assert not panel.differences_label.isVisible()
