"""How fast the invoice list shows 100,000 invoices and filters them (offscreen Qt).

    python benchmarks/gui_bench.py [--invoices 100000]

Prints milliseconds for: first paint of the invoice list (query + model + table painted),
and filtering it by a search string (query + repaint). Targets: 500 ms and 150 ms.
The first page loads synchronously; search and scrolling query on a worker thread, so
those figures run until the results have come back and the table is repainted.
The bulk data is inserted with SQL for speed (this is a benchmark, not application code).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop_app.db.models import Customer, Invoice
from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor, Database


def fill(db: Database, invoices: int, customers: int = 2000) -> None:
    start = date(2020, 1, 1)
    with db.engine.begin() as connection:
        connection.execute(
            Customer.__table__.insert(),
            [
                {
                    "display_name": f"Customer {n:05d}",
                    "display_name_key": f"customer {n:05d}",
                    "first_name": "",
                    "last_name": "",
                    "company": "",
                    "mobile_phone": "",
                    "home_phone": "",
                    "work_phone": "",
                    "email": "",
                    "notes": "",
                    "bill_street": "",
                    "bill_unit": "",
                    "bill_city": "",
                    "bill_state": "",
                    "bill_zip": "",
                    "tax_exempt": False,
                    "active": True,
                    "version": 1,
                }
                for n in range(1, customers + 1)
            ],
        )
        batch = []
        for n in range(1, invoices + 1):
            total = Decimal(100 + n % 9000) + Decimal("0.25")
            batch.append(
                {
                    "number": str(10000 + n),
                    "kind": "standard",
                    "customer_id": 1 + n % customers,
                    "invoice_date": start + timedelta(days=n % 2000),
                    "due_date": start + timedelta(days=n % 2000 + 30),
                    "subtotal": total,
                    "tax_rate": Decimal("0"),
                    "tax": Decimal("0"),
                    "total": total,
                    "deposit_credit": Decimal("0"),
                    "status": "open" if n % 3 else "paid",
                    "memo": "",
                    "customer_notes": "",
                    "attachments": "",
                    "allowed_payment_methods": "",
                    "void_reason": "",
                    "bill_name": "",
                    "version": 1,
                }
            )
            if len(batch) == 10_000:
                connection.execute(Invoice.__table__.insert(), batch)
                batch = []
        if batch:
            connection.execute(Invoice.__table__.insert(), batch)


def paint(app: QApplication) -> None:
    app.processEvents()


def settle(app: QApplication, model: object) -> None:
    """Until the model's background queries have come back and been applied (UI stays live)."""
    while getattr(model, "loading", False):
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--search", default="Customer 01234")
    args = parser.parse_args()
    from desktop_app.ui.app import create_application
    from desktop_app.ui.context import AppContext
    from desktop_app.ui.prompts import ScriptedPrompts
    from desktop_app.ui.views.invoices import InvoicesView

    app = create_application()
    work = Path(tempfile.mkdtemp(prefix="jobdesk-bench-"))
    db = open_database(f"sqlite:///{(work / 'bench.sqlite').as_posix()}")
    began = time.perf_counter()
    fill(db, args.invoices)
    print(f"inserted {args.invoices:,} invoices in {time.perf_counter() - began:.1f} s")
    ctx = AppContext(
        db,
        Actor("bench", "admin"),
        prompts=ScriptedPrompts(),
        settings=QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat),
    )

    began = time.perf_counter()
    view = InvoicesView(ctx)
    view.resize(1400, 900)
    view.show()
    view.start()
    view.repaint()
    paint(app)
    first_paint = (time.perf_counter() - began) * 1000
    assert view.model.total == args.invoices

    began = time.perf_counter()
    view.model.set_search(args.search)  # queried on a worker thread
    settle(app, view.model)
    view.table.viewport().repaint()
    paint(app)
    filtered = (time.perf_counter() - began) * 1000
    matches = view.model.total

    began = time.perf_counter()
    view.model.set_search("")
    settle(app, view.model)
    view.table.scrollToBottom()
    view.table.viewport().repaint()
    settle(app, view.model)  # the last page, fetched in the background
    view.table.viewport().repaint()
    paint(app)
    scrolled = (time.perf_counter() - began) * 1000

    print(
        f"first paint of the invoice list ({view.model.total:,} rows before search): {first_paint:.0f} ms"
        f" (target < 500)"
    )
    print(f"filter by {args.search!r} -> {matches:,} rows: {filtered:.0f} ms (target < 150)")
    print(f"clear search and jump to the last row: {scrolled:.0f} ms")
    view.close()
    db.dispose()
    return 0 if first_paint < 500 and filtered < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
