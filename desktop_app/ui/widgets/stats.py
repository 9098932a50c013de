"""Stat cards: a caption and a big value (totals on the job-details window, sync center)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget


class StatCard(QFrame):
    def __init__(self, caption: str, value: str = "—", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 12, 16, 12)
        box.setSpacing(2)
        self.caption = QLabel(caption.upper())
        self.caption.setObjectName("statCaption")
        self.value = QLabel(value)
        self.value.setObjectName("statValue")
        box.addWidget(self.caption)
        box.addWidget(self.value)

    def set_value(self, text: str) -> None:
        self.value.setText(text)


class StatRow(QWidget):
    def __init__(self, captions: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self.cards: dict[str, StatCard] = {}
        for key, caption in captions:
            card = StatCard(caption)
            self.cards[key] = card
            row.addWidget(card)

    def set(self, key: str, text: str) -> None:
        self.cards[key].set_value(text)
