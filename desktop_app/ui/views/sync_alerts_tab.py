"""The sync center's Alerts tab: each alert in plain words, with the resolutions it offers."""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services import sync_center
from desktop_app.services.sync_center import AlertRow
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import format_value
from desktop_app.ui.resources import icon
from desktop_app.ui.views.common import open_dialog

#: Button text for each resolution the engine may offer.
BUTTONS: dict[str, tuple[str, str]] = {
    "retry": ("Retry", "refresh"),
    "link": ("Link", "link"),
    "renumber": ("Renumber", "edit"),
    "send_anyway": ("Send anyway", "send"),
    "edit": ("Edit", "edit"),
    "dismiss": ("Dismiss", "x"),
}
#: What a person is asked before a resolution that cannot simply be taken back.
CONFIRM: dict[str, tuple[str, str]] = {
    "link": ("Link", "Link this record to the one already in QuickBooks? Nothing new is added there."),
    "renumber": ("Renumber", "Give our invoice the next free number and send it again?"),
    "send_anyway": (
        "Send anyway",
        "Send it anyway? QuickBooks will then have two records with the same number.",
    ),
    "dismiss": (
        "Dismiss",
        "Dismiss this alert? The record will not be sent. You can undo this under “Show dismissed”.",
    ),
}
#: Where each record type is edited: "module:Class" taking (ctx, id, parent).
EDITORS: dict[str, str] = {
    "customer": "desktop_app.ui.dialogs.customer:CustomerDialog",
    "job": "desktop_app.ui.views.job_details:JobDetailsDialog",
    "invoice": "desktop_app.ui.dialogs.invoice:InvoiceDialog",
    "payment": "desktop_app.ui.dialogs.payment:PaymentDialog",
    "item": "desktop_app.ui.dialogs.item:ItemDialog",
}
CHANGES: dict[str, tuple[str, ...]] = {
    "renumber": ("sync", "invoice"),
    "link": ("sync", "invoice", "payment"),
}


def open_record(owner: Any, ctx: AppContext, entity_type: str, entity_id: int | None) -> Any | None:
    """Open the record's own window (non-modal); None when it has none."""
    target = EDITORS.get(entity_type)
    if target is None or entity_id is None:
        ctx.prompts.inform(owner, "Edit", "This record has no window to edit it in JobDesk.")
        return None
    module_name, class_name = target.split(":")
    factory = getattr(importlib.import_module(module_name), class_name)
    return open_dialog(owner, factory(ctx, entity_id, owner))


class AlertCard(QFrame):
    def __init__(self, tab: AlertsTab, alert: AlertRow) -> None:
        super().__init__()
        self.setObjectName("card")
        self.alert = alert
        self.buttons: dict[str, QPushButton] = {}
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.setSpacing(6)
        head = QHBoxLayout()
        title = QLabel(alert.label or alert.entity_type.capitalize())
        title.setObjectName("sectionTitle")
        title.setStyleSheet("padding-top: 0px;")
        head.addWidget(title)
        head.addStretch(1)
        when = QLabel(format_value(alert.created_at))
        when.setObjectName("muted")
        head.addWidget(when)
        box.addLayout(head)
        self.message = QLabel(alert.message)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.message)
        details = []
        if alert.qb_message:
            code = f" (code {alert.status_code})" if alert.status_code else ""
            details.append(f"QuickBooks said{code}: {alert.qb_message}")
        if alert.tried:
            details.append(f"What JobDesk tried: {alert.tried}")
        if details:
            extra = QLabel("\n".join(details))
            extra.setObjectName("hint")
            extra.setWordWrap(True)
            box.addWidget(extra)
        row = QHBoxLayout()
        row.setSpacing(8)
        if alert.state == "open":
            for resolution in alert.resolutions:
                text, icon_name = BUTTONS.get(resolution, (resolution.replace("_", " ").capitalize(), ""))
                button = QPushButton(icon(icon_name), text) if icon_name else QPushButton(text)
                if resolution == alert.resolutions[0]:
                    button.setObjectName("primaryButton")
                    button.setIcon(icon(icon_name, "#ffffff"))
                button.clicked.connect(lambda _=False, r=resolution: tab.resolve(self.alert, r))
                self.buttons[resolution] = button
                row.addWidget(button)
        else:
            who = f" by {alert.resolved_by}" if alert.resolved_by else ""
            state = QLabel(
                f"Dismissed{who}." if alert.state == "dismissed" else f"Resolved{who}: {alert.resolution}."
            )
            state.setObjectName("muted")
            row.addWidget(state)
            if alert.state == "dismissed":
                undo = QPushButton(icon("refresh"), "Undo")
                undo.clicked.connect(lambda: tab.undo(self.alert))
                self.buttons["undo"] = undo
                row.addWidget(undo)
        row.addStretch(1)
        box.addLayout(row)


class AlertsTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.cards: list[AlertCard] = []
        self.last_dialog: Any = None
        self._stamp: object = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 10, 0, 0)
        bar = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("hint")
        bar.addWidget(self.summary, 1)
        self.show_dismissed = QCheckBox("Show dismissed")
        self.show_dismissed.toggled.connect(lambda _: self.refresh(force=True))
        bar.addWidget(self.show_dismissed)
        outer.addLayout(bar)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("pageArea")
        self.list_box = QVBoxLayout(body)
        self.list_box.setContentsMargins(0, 4, 8, 4)
        self.list_box.setSpacing(10)
        self.empty = QLabel("No alerts. Everything JobDesk sent was accepted by QuickBooks.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.list_box.addWidget(self.empty)
        self.list_box.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

    def refresh(self, stamp: object = None, *, force: bool = False) -> None:
        if not force and stamp is not None and stamp == self._stamp:
            return
        self._stamp = stamp
        include_closed = self.show_dismissed.isChecked()
        ok, alerts = self.ctx.attempt(
            self, lambda: self.ctx.read(sync_center.list_alerts, include_closed=include_closed)
        )
        if not ok or alerts is None:
            return
        if include_closed:
            alerts = tuple(a for a in alerts if a.state in ("open", "dismissed"))
        for card in self.cards:
            # Hidden and detached now, deleted later: an old card never shows under the new ones.
            self.list_box.removeWidget(card)
            card.hide()
            card.setParent(None)
            card.deleteLater()
        self.cards = [AlertCard(self, alert) for alert in alerts]
        for number, card in enumerate(self.cards):
            self.list_box.insertWidget(number, card)
        open_count = sum(1 for a in alerts if a.state == "open")
        self.empty.setVisible(not self.cards)
        self.summary.setText(
            f"{open_count} alert{'s' if open_count != 1 else ''} "
            f"need{'s' if open_count == 1 else ''} a decision. "
            "Nothing else waits on them except the records that depend on them."
            if open_count
            else "No open alerts."
        )

    def card_for(self, alert_id: int) -> AlertCard | None:
        return next((card for card in self.cards if card.alert.id == alert_id), None)

    def resolve(self, alert: AlertRow, resolution: str) -> bool:
        if resolution == "edit":
            self.last_dialog = open_record(self, self.ctx, alert.entity_type, alert.entity_id)
            if self.last_dialog is not None:
                self.summary.setText(f"After saving your changes to {alert.label}, press Retry on its alert.")
            return self.last_dialog is not None
        if resolution in CONFIRM:
            title, text = CONFIRM[resolution]
            if not self.ctx.prompts.confirm(self, title, text, ok=title):
                return False
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                sync_center.resolve_alert, alert.id, resolution, changes=CHANGES.get(resolution, ("sync",))
            ),
            title="QuickBooks alert",
        )
        self.refresh(force=True)
        return ok

    def undo(self, alert: AlertRow) -> bool:
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(sync_center.undo_dismiss, alert.id, changes=("sync",)),
            title="QuickBooks alert",
        )
        self.refresh(force=True)
        return ok
