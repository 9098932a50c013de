"""The sync center's Alerts tab: each alert in plain words, with the resolutions it offers."""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services import sync_center
from desktop_app.services.sync_alert_details import AlertDetail, alert_details
from desktop_app.services.sync_center import AlertRow
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import format_value
from desktop_app.ui.resources import icon
from desktop_app.ui.views.common import open_dialog
from desktop_app.ui.widgets.xml_view import XmlView

#: Button text for each resolution the engine may offer.
BUTTONS: dict[str, tuple[str, str]] = {
    "retry": ("Retry", "refresh"),
    "link": ("Link", "link"),
    "renumber": ("Renumber", "edit"),
    "send_anyway": ("Send anyway", "send"),
    "edit": ("Edit", "edit"),
    "dismiss": ("Dismiss", "x"),
    "done_there": ("Done in QuickBooks", "check"),
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
#: On a change only a person can make in QuickBooks ("by_hand"): what each choice means there.
BY_HAND_CONFIRM: dict[str, tuple[str, str]] = {
    "done_there": (
        "Done in QuickBooks",
        "Is it in QuickBooks as the alert says? JobDesk records that QuickBooks has it and sends "
        "nothing for it.",
    ),
    "send_anyway": (
        "Send anyway",
        "Apply it in QuickBooks now? Only if JobDesk's application is not there already: "
        "otherwise the credit is applied twice.",
    ),
}
#: Dismissing an edit conflict keeps QuickBooks' values (``services.edit_conflicts``).
KEEP_QUICKBOOKS_VALUES = (
    "Keep QuickBooks' values",
    "Keep QuickBooks' values for the fields changed on both sides? JobDesk does not send its own "
    "for them, unless you change them here again; its other changes still go. JobDesk and QuickBooks "
    "then differ in those fields. You can undo this under “Show dismissed”.",
)
#: Where each record type is edited: "module:Class" taking (ctx, id, parent).
EDITORS: dict[str, str] = {
    "customer": "desktop_app.ui.dialogs.customer:CustomerDialog",
    "job": "desktop_app.ui.views.job_details:JobDetailsDialog",
    "invoice": "desktop_app.ui.dialogs.invoice:InvoiceDialog",
    "payment": "desktop_app.ui.dialogs.payment:PaymentDialog",
    "item": "desktop_app.ui.dialogs.item:ItemDialog",
    "credit_memo": "desktop_app.ui.dialogs.credit_memo:CreditMemoDialog",
    "credit_application": "desktop_app.ui.dialogs.credit_memo:CreditMemoDialog",
}
#: Kinds with no window of their own, and where a person changes them instead.
NO_EDITOR: dict[str, str] = {
    "terms": "Terms are changed in Settings → Terms.",
    "tax_item": "Sales-tax rates and their QuickBooks items are set in Settings → Sales tax.",
}
CHANGES: dict[str, tuple[str, ...]] = {
    "renumber": ("sync", "invoice"),
    "link": ("sync", "invoice", "payment"),
    "use_account": ("sync", "item", "settings"),
}
USE_ACCOUNT = "Use a QuickBooks account…"


def open_record(owner: Any, ctx: AppContext, entity_type: str, entity_id: int | None) -> Any | None:
    """Open the record's own window (non-modal); None when it has none."""
    target = EDITORS.get(entity_type)
    if target is None or entity_id is None:
        where = NO_EDITOR.get(entity_type, "This record has no window to edit it in JobDesk.")
        ctx.prompts.inform(owner, "Edit", where)
        return None
    module_name, class_name = target.split(":")
    factory = getattr(importlib.import_module(module_name), class_name)
    return open_dialog(owner, factory(ctx, entity_id, owner))


class AlertCard(QFrame):
    def __init__(self, tab: AlertsTab, alert: AlertRow, detail: AlertDetail | None = None) -> None:
        super().__init__()
        self.setObjectName("card")
        self.alert = alert
        self.detail = detail
        self.buttons: dict[str, QPushButton] = {}
        self.blocking: QLabel | None = None
        self.request_view: XmlView | None = None
        self.copy_button: QPushButton | None = None
        self.use_account_button: QPushButton | None = None
        self.account_hint: QLabel | None = None
        self.account_row: QFrame | None = None
        self.account_choice: QComboBox | None = None
        self.account_ok: QPushButton | None = None
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
        if detail is not None and detail.blocking:
            self.blocking = QLabel(detail.blocking)
            self.blocking.setObjectName("warningBanner")
            self.blocking.setWordWrap(True)
            self.blocking.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.addWidget(self.blocking)
        if detail is not None and detail.request_xml:
            self._add_request(box, detail)
        row = QHBoxLayout()
        row.setSpacing(8)
        if alert.state == "open" and detail is not None and detail.can_use_account:
            self._add_use_account(tab, box, row, detail)
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
                f"Dismissed{who}."
                if alert.state == "dismissed"
                else f"Resolved{who}: {sync_center.RESOLUTION_LABEL.get(alert.resolution, alert.resolution)}."
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
        if self.account_row is not None:
            box.addWidget(self.account_row)

    def _add_request(self, box: QVBoxLayout, detail: AlertDetail) -> None:
        """The request QuickBooks refused, to read, select and copy (for a fix or for support)."""
        head = QHBoxLayout()
        caption = QLabel(
            "The request JobDesk sent for it (qbXML)"
            + (f", refused with {detail.hresult}" if detail.hresult else "")
            + ":"
        )
        caption.setObjectName("hint")
        head.addWidget(caption, 1)
        self.copy_button = QPushButton("Copy request")
        self.copy_button.clicked.connect(self.copy_request)
        head.addWidget(self.copy_button)
        box.addLayout(head)
        self.request_view = XmlView()
        self.request_view.set_xml(detail.request_xml)
        lines = self.request_view.toPlainText().count("\n") + 1
        height = self.request_view.fontMetrics().lineSpacing() * min(lines, 14) + 16
        self.request_view.setFixedHeight(height)
        box.addWidget(self.request_view)

    def copy_request(self) -> None:
        assert self.request_view is not None and self.copy_button is not None
        QApplication.clipboard().setText(self.request_view.toPlainText())
        self.copy_button.setText("Copied")

    def _add_use_account(
        self, tab: AlertsTab, box: QVBoxLayout, row: QHBoxLayout, detail: AlertDetail
    ) -> None:
        """An account QuickBooks lacks: an admin picks one it has (income accounts only)."""
        hints = []
        if not detail.account_choices:
            hints.append(
                "JobDesk knows of no income account in this QuickBooks company: import the accounts "
                "(Import tab), then choose one here."
            )
        elif detail.accounts_not_offered:
            many = detail.accounts_not_offered != 1
            hints.append(
                f"Only active income accounts are offered: sales post to an income account "
                f"({detail.accounts_not_offered} other account{'s' if many else ''} in QuickBooks "
                f"{'are' if many else 'is'} not)."
            )
        if not tab.ctx.actor.is_admin:
            hints = ["An administrator can choose one of the accounts QuickBooks has instead."]
        if hints:
            self.account_hint = QLabel(" ".join(hints))
            self.account_hint.setObjectName("hint")
            self.account_hint.setWordWrap(True)
            box.addWidget(self.account_hint)
        if not tab.ctx.actor.is_admin:
            return
        self.use_account_button = QPushButton(icon("link"), USE_ACCOUNT)
        self.use_account_button.setEnabled(bool(detail.account_choices))
        self.use_account_button.clicked.connect(self.show_account_choice)
        row.addWidget(self.use_account_button)
        self.account_row = QFrame()
        line = QHBoxLayout(self.account_row)
        line.setContentsMargins(0, 4, 0, 0)
        label = QLabel(f"Instead of “{detail.missing_name}”, use:")
        line.addWidget(label)
        self.account_choice = QComboBox()
        self.account_choice.addItems(list(detail.account_choices))
        self.account_choice.setAccessibleName("QuickBooks account")
        label.setBuddy(self.account_choice)
        line.addWidget(self.account_choice, 1)
        self.account_ok = QPushButton("Use this account")
        self.account_ok.setObjectName("primaryButton")
        self.account_ok.setAutoDefault(True)
        self.account_ok.clicked.connect(
            lambda: tab.use_account(self.alert, self.account_choice.currentText())
        )  # type: ignore[union-attr]
        line.addWidget(self.account_ok)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.account_row.hide)
        line.addWidget(cancel)
        self.account_row.hide()

    def show_account_choice(self) -> None:
        assert self.account_row is not None and self.account_choice is not None
        self.account_row.show()
        self.account_choice.setFocus()


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

        def read(uow: Any) -> tuple[tuple[AlertRow, ...], dict[int, AlertDetail]]:
            found = sync_center.list_alerts(uow, include_closed=include_closed)
            return found, alert_details(uow, [a.id for a in found])

        ok, result = self.ctx.attempt(self, lambda: self.ctx.read(read))
        if not ok or result is None:
            return
        alerts, details = result
        if include_closed:
            alerts = tuple(a for a in alerts if a.state in ("open", "dismissed"))
        for card in self.cards:
            # Hidden and detached now, deleted later: an old card never shows under the new ones.
            self.list_box.removeWidget(card)
            card.hide()
            card.setParent(None)
            card.deleteLater()
        self.cards = [AlertCard(self, alert, details.get(alert.id)) for alert in alerts]
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
        confirms = BY_HAND_CONFIRM if alert.kind == "by_hand" and resolution in BY_HAND_CONFIRM else CONFIRM
        if resolution in confirms:
            conflict = resolution == "dismiss" and alert.has_clashes
            title, text = KEEP_QUICKBOOKS_VALUES if conflict else confirms[resolution]
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

    def use_account(self, alert: AlertRow, account_full_name: str) -> bool:
        """ "Use a QuickBooks account…": the record posts to it and goes again at the next sync."""
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                sync_center.use_account_for_alert, alert.id, account_full_name, changes=CHANGES["use_account"]
            ),
            title="QuickBooks alert",
        )
        self.refresh(force=True)
        if ok:
            self.summary.setText(
                f"{alert.label} now uses the QuickBooks account “{account_full_name}”; "
                "it goes again at the next sync."
            )
        return ok

    def undo(self, alert: AlertRow) -> bool:
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(sync_center.undo_dismiss, alert.id, changes=("sync",)),
            title="QuickBooks alert",
        )
        self.refresh(force=True)
        return ok
