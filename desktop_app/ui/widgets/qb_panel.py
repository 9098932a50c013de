"""The QuickBooks panel of a record: link, last sync, pending work, alerts, "Push to QuickBooks"."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import format_value
from desktop_app.ui.resources import icon
from desktop_app.ui.sync_status import optional_module


def _link_text(status: object) -> str:
    if not getattr(status, "linked", False):
        return "Not in QuickBooks yet"
    synced = getattr(status, "last_synced", None)
    when = f" · last synced {format_value(synced)}" if synced else ""
    return f"✔ In QuickBooks{when}"


class QuickBooksPanel(QFrame):
    def __init__(self, ctx: AppContext, entity_type: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.ctx = ctx
        self.entity_type = entity_type
        self.entity_id: int | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 16)
        head = QHBoxLayout()
        title = QLabel("QuickBooks")
        title.setObjectName("sectionTitle")
        title.setStyleSheet("padding-top: 0px;")
        head.addWidget(title)
        head.addStretch(1)
        self.push_button = QPushButton(icon("upload"), "Push to QuickBooks")
        self.push_button.clicked.connect(self.push)
        head.addWidget(self.push_button)
        box.addLayout(head)
        self.link_label = QLabel("")
        self.pending_label = QLabel("")
        #: What QuickBooks keeps differently (a shortened job name …): said, never hidden.
        self.differences_label = QLabel("")
        self.differences_label.setWordWrap(True)
        self.differences_label.hide()
        self.alerts_label = QLabel("")
        self.alerts_label.setObjectName("warningBanner")
        self.alerts_label.setWordWrap(True)
        for label in (self.link_label, self.pending_label, self.differences_label, self.alerts_label):
            box.addWidget(label)
        self.alerts_label.hide()

    def show_record(self, entity_id: int | None) -> None:
        self.entity_id = entity_id
        self.setVisible(entity_id is not None)
        if entity_id is None:
            return
        center = optional_module("desktop_app.services.sync_center")
        status_fn = getattr(center, "record_status", None) if center is not None else None
        if status_fn is not None:
            ok, status = self.ctx.attempt(self, lambda: self.ctx.read(status_fn, self.entity_type, entity_id))
            if not ok or status is None:
                return
            self.link_label.setText(_link_text(status))
            pending = getattr(status, "pending_state", "")
            note = getattr(status, "pending_note", "")
            self.pending_label.setText(
                f"{pending}{': ' + note if note else ''}" if pending else "Nothing waiting to be sent."
            )
            differences = getattr(status, "differences", ())
            self.differences_label.setText("\n".join(differences))
            self.differences_label.setVisible(bool(differences))
            alerts = getattr(status, "alerts", ())
            self.alerts_label.setText("\n".join(str(getattr(a, "message", a)) for a in alerts))
            self.alerts_label.setVisible(bool(alerts))
            return
        queue = optional_module("desktop_app.services.sync_queue")
        if queue is None:
            self.link_label.setText("QuickBooks sync is not available in this version.")
            self.push_button.setEnabled(False)
            return
        linked = self.ctx.read(queue.is_linked, self.entity_type, entity_id)
        pending = self.ctx.read(
            lambda uow: queue.find_pending(uow, self.entity_type, entity_id, "upsert") is not None
        )
        self.link_label.setText("✔ Linked to a QuickBooks record" if linked else "Not in QuickBooks yet")
        self.pending_label.setText(
            "Waiting to be sent with the next sync." if pending else "Nothing waiting to be sent."
        )

    def push(self) -> None:
        queue = optional_module("desktop_app.services.sync_queue")
        if queue is None or self.entity_id is None:
            return
        entity_id = self.entity_id
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(queue.send_records, [(self.entity_type, entity_id)], changes=("sync",)),
        )
        if ok:
            self.show_record(entity_id)
