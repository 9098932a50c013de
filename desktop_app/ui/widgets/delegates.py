"""Painting helpers for tables: status pills."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.ui.models.columns import KindRole, RawRole

#: status → (text colour, background)
PALETTE: dict[str, tuple[str, str]] = {
    "open": ("#1d4ed8", "#dbeafe"),
    "draft": ("#475569", "#e2e8f0"),
    "scheduled": ("#6d28d9", "#ede9fe"),
    "sent": ("#0369a1", "#e0f2fe"),
    "in_progress": ("#b45309", "#fef3c7"),
    "accepted": ("#047857", "#d1fae5"),
    "finished": ("#047857", "#d1fae5"),
    "paid": ("#047857", "#d1fae5"),
    "declined": ("#b91c1c", "#fee2e2"),
    "cancelled": ("#64748b", "#f1f5f9"),
    "void": ("#64748b", "#f1f5f9"),
    "pending": ("#b45309", "#fef3c7"),
    "error": ("#b91c1c", "#fee2e2"),
    "failed": ("#b91c1c", "#fee2e2"),
    "alert": ("#b91c1c", "#fee2e2"),
    "done": ("#047857", "#d1fae5"),
    "sent_ok": ("#047857", "#d1fae5"),
    "overdue": ("#b91c1c", "#fee2e2"),
}
DEFAULT = ("#334155", "#e2e8f0")

Index = QModelIndex | QPersistentModelIndex


class StatusDelegate(QStyledItemDelegate):
    """Draws columns of kind "status" as coloured pills; other cells as usual."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if index.data(KindRole) != "status":
            super().paint(painter, option, index)
            return
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        raw = str(index.data(RawRole) or "")
        # Let the style draw selection/hover backgrounds, then the pill on top.
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        style = plain.widget.style() if plain.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, plain.widget)
        if not text:
            return
        fg, bg = PALETTE.get(raw, DEFAULT)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7.0))
        font.setWeight(font.Weight.DemiBold)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + 18
        height = metrics.height() + 6
        rect = QRect(0, 0, width, height)
        rect.moveCenter(option.rect.center())  # type: ignore[attr-defined]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(fg))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 18, max(size.height(), 30))
