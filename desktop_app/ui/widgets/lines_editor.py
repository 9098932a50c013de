"""Editing document lines (bids, jobs): from the price book or ad hoc, with live totals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.money import format_money, line_amount
from desktop_app.domain.totals import Totals, compute_totals
from desktop_app.services.items import ItemDetail
from desktop_app.services.lines import LineDetail, LineInput
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.pickers import RecordPicker

ITEM, DESCRIPTION, QTY, RATE, AMOUNT, TAXABLE = range(6)
HEADERS = ("Item", "Description", "Qty", "Rate", "Amount", "Tax")
LINE_ID = Qt.ItemDataRole.UserRole + 10


def _number(text: str) -> Decimal | None:
    """The number typed, or None (not a number: "NaN" and "Infinity" are none either)."""
    try:
        value = Decimal(text.replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


class TotalsBox(QFrame):
    """Subtotal, tax and total, right-aligned."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsBox")
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 10, 16, 10)
        grid.setHorizontalSpacing(24)
        self.values: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate((("subtotal", "Subtotal"), ("tax", "Tax"), ("total", "Total"))):
            label = QLabel(caption)
            label.setObjectName("grandTotal" if key == "total" else "totalLabel")
            value = QLabel("$0.00")
            value.setObjectName("grandTotal" if key == "total" else "")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(label, row, 0)
            grid.addWidget(value, row, 1)
            self.values[key] = value

    def show_totals(self, totals: Totals) -> None:
        self.values["subtotal"].setText(format_money(totals.subtotal))
        self.values["tax"].setText(format_money(totals.tax))
        self.values["total"].setText(format_money(totals.total))


class LinesEditor(QWidget):
    changed = Signal()

    def __init__(self, items: Sequence[ItemDetail], tax_rate: Decimal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items = {item.id: item for item in items}
        self.tax_rate = tax_rate
        self.tax_exempt = False
        self._loading = False
        #: The totals of the lines as typed now (``recalculate``).
        self.current = compute_totals((), tax_rate)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("linesTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(220)
        header = self.table.horizontalHeader()
        for column, width in ((ITEM, 190), (QTY, 70), (RATE, 100), (AMOUNT, 110), (TAXABLE, 50)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        box.addWidget(self.table)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.hide()
        box.addWidget(self.error)
        row = QHBoxLayout()
        self.add_button = QPushButton(icon("plus"), "Add line")
        self.add_button.clicked.connect(lambda: self.add_line())
        self.remove_button = QPushButton(icon("trash"), "Remove line")
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.totals = TotalsBox()
        row.addWidget(self.totals)
        box.addLayout(row)

    # -- content ------------------------------------------------------------------------------
    def set_lines(self, lines: Sequence[LineDetail]) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for detail in lines:
            self.add_line(
                item_id=detail.item_id,
                description=detail.description,
                quantity=detail.quantity,
                rate=detail.rate,
                taxable=detail.taxable,
                line_id=detail.id,
            )
        self._loading = False
        self.recalculate()

    def add_line(
        self,
        *,
        item_id: int | None = None,
        description: str = "",
        quantity: Decimal | str = "1",
        rate: Decimal | str | None = None,
        taxable: bool | None = None,
        line_id: int | None = None,
    ) -> int:
        loading = self._loading
        self._loading = True
        row = self.table.rowCount()
        self.table.insertRow(row)
        picker = RecordPicker(
            [(item.name, item.id) for item in self._items.values() if item.active or item.id == item_id],
            noun="price-book item",
            none_text="Ad hoc line",
        )
        self.table.setCellWidget(row, ITEM, picker)
        self.table.setItem(row, DESCRIPTION, QTableWidgetItem(description))
        self.table.setItem(row, QTY, self._number_item(self._fmt(quantity)))
        self.table.setItem(row, RATE, self._number_item("" if rate is None else self._fmt(rate)))
        amount = QTableWidgetItem("")
        amount.setFlags(amount.flags() & ~Qt.ItemFlag.ItemIsEditable)
        amount.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, AMOUNT, amount)
        tax = QTableWidgetItem("")
        tax.setFlags((tax.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable)
        tax.setCheckState(Qt.CheckState.Checked if taxable else Qt.CheckState.Unchecked)
        self.table.setItem(row, TAXABLE, tax)
        self.table.item(row, DESCRIPTION).setData(LINE_ID, line_id)
        if item_id is not None:
            picker.set_value(item_id if picker.findData(item_id) >= 0 else None)
            if rate is None:
                self._fill_from_item(row, item_id)
        picker.value_changed.connect(lambda _=None, p=picker: self._picked(p))
        self._loading = loading
        if not loading:
            self.recalculate()
            self.changed.emit()
        return row

    def choose_item(self, row: int, item_id: int) -> None:
        picker = self.table.cellWidget(row, ITEM)
        if isinstance(picker, RecordPicker):
            picker.set_value(item_id)

    def set_cell(self, row: int, column: int, text: str) -> None:
        self.table.item(row, column).setText(text)

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.recalculate()
            self.changed.emit()

    def lines(self) -> list[LineInput]:
        result: list[LineInput] = []
        for row in range(self.table.rowCount()):
            picker = self.table.cellWidget(row, ITEM)
            item_id = picker.value() if isinstance(picker, RecordPicker) else None
            rate = self.table.item(row, RATE).text().strip()
            result.append(
                LineInput(
                    quantity=self.table.item(row, QTY).text().strip().replace(",", "") or "0",
                    item_id=item_id,
                    description=self.table.item(row, DESCRIPTION).text(),
                    rate=rate.replace(",", "").replace("$", "") if rate else None,
                    taxable=self.table.item(row, TAXABLE).checkState() == Qt.CheckState.Checked,
                    id=self.table.item(row, DESCRIPTION).data(LINE_ID),
                )
            )
        return result

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_read_only(self, read_only: bool) -> None:
        triggers = (
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.AllEditTriggers
        )
        self.table.setEditTriggers(triggers)
        for row in range(self.table.rowCount()):
            widget = self.table.cellWidget(row, ITEM)
            if widget is not None:
                widget.setEnabled(not read_only)
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)

    # -- internals ---------------------------------------------------------------------------------
    @staticmethod
    def _fmt(value: Decimal | str) -> str:
        if isinstance(value, Decimal):
            text = f"{value.normalize():f}"
            return f"{value:.2f}" if "." in text and len(text.split(".")[1]) < 2 else text
        return value

    @staticmethod
    def _number_item(text: str) -> QTableWidgetItem:
        cell = QTableWidgetItem(text)
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return cell

    def _picked(self, picker: RecordPicker) -> None:
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, ITEM) is picker:
                item_id = picker.value()
                if item_id is not None:
                    self._fill_from_item(row, item_id)
                self.recalculate()
                self.changed.emit()
                return

    def _fill_from_item(self, row: int, item_id: int) -> None:
        item = self._items.get(item_id)
        if item is None:
            return
        loading = self._loading
        self._loading = True
        self.table.item(row, DESCRIPTION).setText(item.description or item.name)
        self.table.item(row, RATE).setText(self._fmt(item.unit_price))
        self.table.item(row, TAXABLE).setCheckState(
            Qt.CheckState.Checked if item.taxable else Qt.CheckState.Unchecked
        )
        self._loading = loading

    def _item_changed(self, cell: QTableWidgetItem) -> None:
        if self._loading or cell.column() == AMOUNT:
            return
        self.recalculate()
        self.changed.emit()

    def recalculate(self) -> None:
        loading = self._loading
        self._loading = True
        amounts: list[tuple[Decimal, bool]] = []
        for row in range(self.table.rowCount()):
            quantity = _number(self.table.item(row, QTY).text())
            rate = _number(self.table.item(row, RATE).text())
            taxable = self.table.item(row, TAXABLE).checkState() == Qt.CheckState.Checked
            if quantity is None or rate is None:
                self.table.item(row, AMOUNT).setText("")
                continue
            amount = line_amount(quantity, rate)
            amounts.append((amount, taxable))
            self.table.item(row, AMOUNT).setText(format_money(amount))
        self._loading = loading
        self.current = compute_totals(amounts, self.tax_rate, tax_exempt=self.tax_exempt)
        self.totals.show_totals(self.current)
