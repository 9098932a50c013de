from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_app.services import invoices, payments
from desktop_app.ui.context import AppContext
from desktop_app.ui.views.invoices import InvoicesView
from desktop_app.ui.views.payments import PaymentsView
from tests.gui.helpers import make_customer, make_job


def test_invoice_from_list_edit_and_pdf(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    customer = make_customer(ctx)
    first = make_job(ctx, customer.id, "400")
    second = make_job(ctx, customer.id, "600")
    view = InvoicesView(ctx)
    qtbot.addWidget(view)
    view.start()
    creator = view.new_record()
    qtbot.addWidget(creator)
    assert not creator.save()
    assert creator.errors.message("customer_id")
    creator.customer.set_customer(customer.id, customer.display_name)
    assert not creator.save()
    assert creator.errors.message("job_ids")
    for row in range(creator.jobs.count()):
        creator.jobs.item(row).setCheckState(creator.jobs.item(row).checkState().Checked)
    assert creator.save()
    assert creator.created is not None and creator.created.total == Decimal("1000.00")
    qtbot.waitUntil(lambda: view.model.total == 1)  # the list reloads in the background
    assert {first.id, second.id} == {line.job_id for line in creator.created.lines}

    dialog = view.open_invoice(creator.created.id)
    qtbot.addWidget(dialog)
    assert dialog.stats.cards["total"].value.text() == "$1,000.00"
    dialog.memo.setText("Two jobs, one invoice")
    assert dialog.save()
    assert ctx.read(invoices.get_invoice, creator.created.id).memo == "Two jobs, one invoice"

    target = tmp_path / "invoice.pdf"
    # Waiting from before the task starts: a signal sent before the wait began would be missed.
    with qtbot.waitSignal(ctx.tasks.task_finished, timeout=20_000):
        task = dialog.export_pdf(str(target))
    assert task is not None and task.error is None
    assert target.read_bytes().startswith(b"%PDF")


def test_receive_payment_applies_to_open_invoices(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "250")
    invoice = ctx.write(invoices.create_invoice, job.id)
    view = PaymentsView(ctx)
    qtbot.addWidget(view)
    view.start()
    dialog = view.new_record()
    qtbot.addWidget(dialog)
    dialog.customer.set_customer(customer.id, customer.display_name)
    assert dialog.table.rowCount() == 1
    dialog.amount.setText("abc")
    assert not dialog.save()
    assert dialog.errors.message("amount")
    dialog.amount.setText("300")
    dialog.apply_oldest_first()
    assert "Unapplied $50.00" in dialog.remainder.text()
    dialog.reference.setText("CHK 77")
    assert dialog.save()
    qtbot.waitUntil(lambda: view.model.total == 1)  # the list reloads in the background
    saved = ctx.read(payments.get_payment, dialog.record.id)
    assert saved.unapplied == Decimal("50.00")
    assert saved.applications[0].invoice_id == invoice.id
