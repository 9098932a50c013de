"""Sync centre → "Preview next sync…": what the next Web Connector session will do, in a window."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.context import AppContext
from desktop_app.ui.views.sync_preview import SyncPreviewWidget


class SyncPreviewDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Preview next sync")
        self.setModal(False)
        self.resize(1100, 760)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 18, 24, 14)
        box.setSpacing(8)
        title = QLabel("What the next sync will do")
        title.setObjectName("dialogTitle")
        box.addWidget(title)
        note = QLabel(
            "Record by record, what the next Web Connector session would send to QuickBooks, and why. "
            "Nothing is sent from here; what QuickBooks has is known from the last import."
        )
        note.setObjectName("pageSubtitle")
        note.setWordWrap(True)
        box.addWidget(note)
        self.preview = SyncPreviewWidget(ctx, self)
        box.addWidget(self.preview, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.close_button)
        box.addLayout(row)

    def start(self) -> None:
        self.preview.refresh()
