"""Choosing a customer among many: a combo box that searches as you type."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from desktop_app.services import customers as customer_svc
from desktop_app.ui.context import AppContext

LIMIT = 50


class CustomerPicker(QComboBox):
    """``customer_id()`` is the chosen customer; typing searches active customers."""

    customer_changed = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lineEdit().setPlaceholderText("Type to find a customer")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._search)
        self.lineEdit().textEdited.connect(lambda _: self._timer.start())
        self.currentIndexChanged.connect(lambda _: self.customer_changed.emit(self.customer_id()))
        self._fill("")

    def _fill(self, text: str) -> None:
        page = self.ctx.read(customer_svc.list_customers, search=text, limit=LIMIT)
        current = self.customer_id()
        self.blockSignals(True)
        self.clear()
        for row in page.rows:
            self.addItem(row.display_name, row.id)
        self.blockSignals(False)
        if current is not None and self.findData(current) < 0 and not text:
            return

    def _search(self) -> None:
        text = self.lineEdit().text()
        self._fill(text)
        self.lineEdit().setText(text)
        if self.count():
            self.showPopup()

    def customer_id(self) -> int | None:
        index = self.currentIndex()
        if index < 0 or self.itemText(index) != self.currentText():
            return None
        value = self.itemData(index)
        return value if isinstance(value, int) else None

    def set_customer(self, customer_id: int | None, name: str = "") -> None:
        if customer_id is None:
            self.setCurrentIndex(-1)
            self.setEditText("")
            return
        index = self.findData(customer_id)
        if index < 0:
            self.addItem(name or str(customer_id), customer_id)
            index = self.count() - 1
        self.setCurrentIndex(index)
