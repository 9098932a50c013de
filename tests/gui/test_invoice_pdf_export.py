"""What goes on the invoice comes from one service read; the command line writes the same
pages as the invoice window's Export PDF button."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app import cli
from desktop_app.errors import NotFound
from desktop_app.services import invoices, jobs, locations, payments, settings
from desktop_app.services.invoice_print import invoice_ids_by_number, printable_invoice
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.invoice import InvoiceDialog
from desktop_app.ui.printing import default_paper
from desktop_app.ui.prompts import ScriptedPrompts
from tests.gui.helpers import enable_progress, make_customer
from tests.gui.pdf_text import read_pdf


@pytest.fixture
def billed(ctx: AppContext) -> dict[str, int]:
    """A job of $1,000 at a service location, billed 25 % then 40 %; the first invoice half paid."""
    enable_progress(ctx)
    ctx.write(settings.set_setting, "company.name", "Summit Ridge Builders")
    ctx.write(settings.set_setting, "company.address", "1200 Granite Way\nSacramento, CA 95814")
    customer = make_customer(ctx)
    site = ctx.write(
        locations.add_location,
        customer.id,
        locations.LocationFields(
            name="Lake house", street="18 Shore Rd", city="Tahoe", state="CA", zip="96150"
        ),
    )
    job = ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer.id,
            name="Kitchen remodel",
            location_id=site.id,
            lines=(LineInput(quantity="1", description="Cabinets and labour", rate="1000", taxable=False),),
        ),
    )
    first = ctx.write(invoices.create_progress_invoice, job.id, percent="25")
    second = ctx.write(invoices.create_progress_invoice, job.id, percent="40")
    ctx.write(
        payments.record_payment,
        customer.id,
        "100.00",
        "check",
        date(2026, 3, 10),
        reference="2040",
        applications=((first.id, "100.00"),),
    )
    return {"first": first.id, "second": second.id}


def test_the_printed_invoice_gathers_its_share_payments_and_addresses(
    ctx: AppContext, billed: dict[str, int]
) -> None:
    second = ctx.read(printable_invoice, billed["second"])
    assert second.share is not None
    assert (second.share.percent, second.share.job_total) == (Decimal("40"), Decimal("1000.00"))
    assert second.share.previously_invoiced == Decimal("250.00")  # the 25 % invoice before it
    assert second.share.this_invoice == second.invoice.total == Decimal("400.00")
    assert second.share.remaining == Decimal("350.00")
    assert second.service_address == ("Lake house", "18 Shore Rd", "Tahoe, CA 96150")
    assert second.sender.address_lines == ("1200 Granite Way", "Sacramento, CA 95814")
    assert second.bill_to == ("Acme Homes", "1 Main St", "Reno, NV")
    assert second.payments == ()
    first = ctx.read(printable_invoice, billed["first"])
    assert first.share is not None and first.share.previously_invoiced == Decimal("0.00")
    assert [(p.method, p.reference, p.amount) for p in first.payments] == [
        ("Check", "2040", Decimal("100.00"))
    ]


def test_invoices_are_found_by_number_in_the_order_given(ctx: AppContext, billed: dict[str, int]) -> None:
    numbers = {key: ctx.read(invoices.get_invoice, value).number for key, value in billed.items()}
    found = ctx.read(invoice_ids_by_number, [numbers["second"], numbers["first"]])
    assert found == (billed["second"], billed["first"])
    with pytest.raises(NotFound, match="Invoice 99999 was not found"):
        ctx.read(invoice_ids_by_number, [numbers["first"], "99999"])


def test_the_command_line_writes_the_pages_the_export_button_writes(
    qtbot: QtBot,
    ctx: AppContext,
    prompts: ScriptedPrompts,
    billed: dict[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ctx.db.url
    numbers = [ctx.read(invoices.get_invoice, billed[key]).number for key in ("first", "second")]
    # The window's button, as a user presses it (the save dialog answered by the script).
    dialog = InvoiceDialog(ctx, billed["second"])
    qtbot.addWidget(dialog)
    from_window = tmp_path / "window.pdf"
    prompts.queue(str(from_window))
    with qtbot.waitSignal(ctx.tasks.task_finished, timeout=20_000):
        qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    paper = default_paper()  # what the window used
    # One file per invoice in a folder, and one combined file.
    folder = tmp_path / "batch"
    assert cli.main(["invoice-pdf", *numbers, "--out", str(folder), "--database", url, "--paper", paper]) == 0
    combined = tmp_path / "both.pdf"
    assert cli.main(["invoice-pdf", *numbers, "--out", str(combined), "--combine", "--database", url]) == 0
    out = capsys.readouterr().out
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == sorted(f"Invoice {n}.pdf" for n in numbers)
    assert f"wrote {combined}" in out
    window_pages = read_pdf(from_window)
    assert read_pdf(folder / f"Invoice {numbers[1]}.pdf") == window_pages  # same text, same places
    both = read_pdf(combined)
    assert both[len(both) - len(window_pages) :] == window_pages
    assert "Progress billing: 40 % of the job total" in window_pages[0].texts()


def test_the_command_line_refuses_unknown_numbers_and_writes_nothing(
    ctx: AppContext, billed: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = ctx.read(invoices.get_invoice, billed["first"]).number
    folder = tmp_path / "batch"
    code = cli.main(["invoice-pdf", number, "424242", "--out", str(folder), "--database", ctx.db.url])
    assert code == 2
    assert "Invoice 424242 was not found" in capsys.readouterr().err
    assert not folder.exists()
    code = cli.main(["invoice-pdf", number, number + "x", "--out", str(tmp_path / "one.pdf")])
    assert code == 2 and "give --out a folder, or add --combine" in capsys.readouterr().err
