"""What every page of the connection wizard has: a heading, a reload, and a say before leaving."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.ui.context import AppContext


class StepPage(QWidget):
    """One step of connecting (``connection.STEPS``).

    ``refresh()`` reads the step's state again (off the UI thread where it may be slow) and
    emits ``loaded`` when it is shown; ``leave()`` runs before the wizard moves forward and
    may refuse (say why and return False), e.g. to save what was chosen first.
    """

    key = ""
    heading = ""
    loaded = Signal()

    def __init__(self, ctx: AppContext, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(10)
        title = QLabel(self.heading)
        title.setObjectName("sectionTitle")
        self.box.addWidget(title)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setObjectName("pageSubtitle")
        self.box.addWidget(self.intro)

    def refresh(self) -> None:
        self.loaded.emit()

    def leave(self) -> bool:
        return True

    def has_unsaved(self) -> bool:
        """Something typed or chosen here that is not stored yet (asked about on Close)."""
        return False

    def save(self) -> bool:
        return True

    def stop(self) -> None:
        """The page is hidden or the wizard closes: stop timers."""
