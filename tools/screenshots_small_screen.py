"""Pictures at 1024 × 768 (issue 16): the Jobs and Payments lists with every column in view,
the job and payment windows as they fit that screen, and the messages said at a field
(an impossible date, a duplicate name, a limit reached).

A group for ``tools/screenshots.py`` (``GROUPS["small-screen"]``); it takes its ``Session``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

SMALL = (1024, 768)


def _type(widget: QWidget, text: str) -> None:
    """Click in, select all, type, as the GUI tests drive a field."""
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)


def small_screen(session: Any) -> None:
    from desktop_app.ui.dialogs.customer import CustomerDialog
    from desktop_app.ui.dialogs.payment import PaymentDialog

    shoot = _shooter(session)
    window = session.window
    before = window.size()
    window.resize(*SMALL)
    for key in ("jobs", "payments", "invoices"):
        window.show_screen(key)
        shoot(window, f"small-{key}.png")

    jobs = window.show_screen("jobs")
    if jobs.model.total:
        dialog = jobs.open_job(jobs.model.id_at(0))
        shoot(dialog, "small-job-window.png")
        dialog.tracker.reset()
        dialog.close()

    payment = PaymentDialog(session.ctx, None, window)
    payment.show()
    payment.activateWindow()  # focus moves (and a field says what is wrong) in the active window
    QTest.qWaitForWindowActive(payment)
    first = session.ctx.read(_customers_with_balance)
    if first:
        _type(payment.customer, first)
        QTest.keyClick(payment.customer, Qt.Key.Key_Return)
        _type(payment.amount, "500")
    _type(payment.received_on, "02/31/2026")
    QTest.keyClick(payment.received_on, Qt.Key.Key_Tab)
    shoot(payment, "small-receive-payment.png")
    payment.tracker.reset()
    payment.close()

    customer = CustomerDialog(session.ctx, None, window)
    customer.show()
    customer.activateWindow()
    QTest.qWaitForWindowActive(customer)
    _type(customer.widgets["first_name"], "Maximiliana-Konstantina Alexandrovna")
    _type(customer.widgets["mobile_phone"], "call me maybe")
    customer.save()
    shoot(customer, "small-customer-form.png")
    customer.tracker.reset()
    customer.close()
    window.resize(before)


def _customers_with_balance(uow: Any) -> str:
    from desktop_app.services import customers

    for row in customers.list_customers(uow, limit=200).rows:
        if row.open_balance > 0:
            return str(row.display_name)
    return ""


def _shooter(session: Any) -> Any:
    def shoot(widget: QWidget, name: str) -> None:
        for _ in range(5):
            session.app.processEvents()
        path = session.out / name
        widget.grab().save(str(path))
        print(f"wrote {path}")

    return shoot
