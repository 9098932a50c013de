"""The sync center's Connection tab: Web Connector user, password, schedule, port, .qwc, company."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.services import settings as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.forms import FieldErrors, Form

REBIND_CLEAR = "Forget it (the next sync connects to the open company)"
#: Said wherever the interval is changed: the Web Connector reads it from the .qwc file only.
INTERVAL_NOTICE = (
    "The Web Connector reads how often to call JobDesk from the .qwc file, not from here: "
    "save the Web Connector file again and open it in the Web Connector (it replaces the old "
    "one) for the new interval to take effect."
)


def save_qwc_file(ctx: AppContext, parent: QWidget, *, port: int | None = None) -> Path | None:
    """Write the .qwc (as the settings now say) where the user chooses; None when not saved."""
    from qbwc_server.qwc import write_qwc

    server = getattr(ctx, "server", None)
    if port is None:
        port = int(ctx.read(svc.get_setting, "qbwc.port"))
    url = server.url if server is not None and server.running and server.port == port else None
    ok, text = ctx.attempt(parent, lambda: ctx.write(write_qwc, url, changes=("settings",)))
    if not ok or text is None:
        return None
    name = ctx.prompts.save_file(
        parent, "Save Web Connector file", "JobDesk.qwc", "Web Connector files (*.qwc)"
    )
    if not name:
        return None
    path = Path(name)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        ctx.prompts.error(parent, "Save Web Connector file", f"The file could not be saved: {exc.strerror}")
        return None
    return path


REBIND_REFUSED = "Connect to the company QuickBooks last had open"


class ConnectionTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.errors = FieldErrors(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 10, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("pageArea")
        box = QVBoxLayout(body)
        box.setContentsMargins(0, 0, 8, 8)
        box.setSpacing(12)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        frame, inner = card("Web Connector")
        form = Form(self.errors, columns=2)
        self.user_name = QLineEdit()
        form.add("qbwc.username", "User name", self.user_name)
        self.password = QLineEdit()
        form.add("qbwc.password", "New password", self.password)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Leave empty to keep the current password")
        self.interval = QSpinBox()
        form.add("sync.interval_minutes", "Sync every (minutes)", self.interval)
        self.interval.setRange(1, 1440)
        self.port = QSpinBox()
        form.add("qbwc.port", "Server port", self.port)
        self.port.setRange(1024, 65535)
        self.responsive = QCheckBox("Responsive Sync now (the Web Connector checks every minute)")
        form.add("sync.responsive", " ", self.responsive)
        inner.addWidget(form)
        self.password_state = QLabel("")
        self.password_state.setObjectName("hint")
        inner.addWidget(self.password_state)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save connection settings")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        self.qwc_button = QPushButton(icon("download"), "Save Web Connector file (.qwc)…")
        self.qwc_button.clicked.connect(self.save_qwc)
        buttons.addWidget(self.qwc_button)
        buttons.addStretch(1)
        inner.addLayout(buttons)
        hint = QLabel(
            "In QuickBooks, open File ▸ Update Web Services, choose Add an application and pick the .qwc "
            "file; then type the password above into the Web Connector. A changed port needs a restart "
            "of JobDesk and a new .qwc file."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        inner.addWidget(hint)
        self.message = QLabel("")
        self.message.setObjectName("banner")
        self.message.setWordWrap(True)
        self.message.hide()
        inner.addWidget(self.message)
        box.addWidget(frame)

        frame, inner = card("Server and QuickBooks company")
        self.server_label = QLabel("")
        self.server_label.setWordWrap(True)
        inner.addWidget(self.server_label)
        self.company_label = QLabel("")
        self.company_label.setWordWrap(True)
        inner.addWidget(self.company_label)
        row = QHBoxLayout()
        self.rebind_button = QPushButton(icon("link"), "Re-bind…")
        self.rebind_button.setToolTip(
            "Admin: connect this JobDesk database to a different QuickBooks company file"
        )
        self.rebind_button.clicked.connect(self.rebind)
        row.addWidget(self.rebind_button)
        row.addStretch(1)
        inner.addLayout(row)
        box.addWidget(frame)
        box.addStretch(1)
        self.values: dict[str, Any] = {}

    def refresh(self, stamp: object = None, *, force: bool = False) -> None:
        """Server and company lines every time; the form only when forced (never over typing)."""
        from qbwc_server.status import connector_status

        ok, status = self.ctx.attempt(self, lambda: self.ctx.read(connector_status, alert_limit=0))
        if ok and status is not None:
            if status.company_name or status.company_path:
                self.company_label.setText(
                    f"This database is bound to the QuickBooks company “{status.company_name}”\n"
                    f"({status.company_path}). JobDesk refuses to send to any other company file."
                )
            else:
                self.company_label.setText(
                    "Not bound to a QuickBooks company yet: the first successful sync binds it to the "
                    "company file QuickBooks has open."
                )
        server = getattr(self.ctx, "server", None)
        if server is None:
            self.server_label.setText("The Web Connector server is not started by this window.")
        elif server.running:
            self.server_label.setText(f"The Web Connector server is running at {server.url}.")
        else:
            self.server_label.setText(
                f"The Web Connector server is not running: {server.error or 'stopped'}. Choose another port, "
                "save, and restart JobDesk."
            )
        admin = self.ctx.actor.is_admin
        self.rebind_button.setEnabled(admin)
        if force or not self.values:
            self.load()

    def load(self) -> None:
        values = self.ctx.read(svc.get_all)
        self.values = values
        self.user_name.setText(str(values["qbwc.username"]))
        self.password.clear()
        self.interval.setValue(int(values["sync.interval_minutes"]))
        self.port.setValue(int(values["qbwc.port"]))
        self.responsive.setChecked(bool(values["sync.responsive"]))
        self.password_state.setText(
            "A Web Connector password is set." if values["qbwc.password_hash"] else "No password set yet."
        )
        admin = self.ctx.actor.is_admin
        for widget in (
            self.user_name,
            self.password,
            self.interval,
            self.port,
            self.responsive,
            self.save_button,
        ):
            widget.setEnabled(admin)
        self.qwc_button.setEnabled(admin)
        self.errors.clear()

    def save(self) -> bool:
        self.errors.clear()
        password = self.password.text()
        wanted = {
            "qbwc.username": self.user_name.text().strip(),
            "sync.interval_minutes": self.interval.value(),
            "qbwc.port": self.port.value(),
            "sync.responsive": self.responsive.isChecked(),
        }

        def apply(uow: Any) -> None:
            from desktop_app.domain.passwords import hash_password

            if not wanted["qbwc.username"]:
                raise ValidationError("qbwc.username", "Enter the user name the Web Connector signs in with.")
            for key, value in wanted.items():
                if str(value) != str(self.values.get(key)):
                    svc.set_setting(uow, key, value)
            if password:
                try:
                    hashed = hash_password(password)
                except ValidationError as exc:
                    raise ValidationError("qbwc.password", str(exc)) from None
                svc.set_setting(uow, "qbwc.password_hash", hashed)

        # Read before saving: the broadcast after the save reloads ``self.values``.
        schedule = ("sync.interval_minutes", "sync.responsive")
        moved = any(str(wanted[k]) != str(self.values.get(k)) for k in schedule)
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.with_uow(apply, changes=("settings", "sync")),
            on_validation=self.errors.show,
            title="Connection",
        )
        if ok:
            self.load()
            self._say("Connection settings saved." + (f" {INTERVAL_NOTICE}" if moved else ""))
        return ok

    def save_qwc(self) -> Path | None:
        path = save_qwc_file(self.ctx, self, port=self.port.value())
        if path is not None:
            self._say(f"Saved {path}. Open it from the Web Connector (Add an application).")
        return path

    def rebind(self) -> bool:
        from qbwc_server.sessions import clear_binding, rebind_to_refused

        answer = self.ctx.prompts.choose(
            self,
            "Re-bind to a QuickBooks company",
            "JobDesk sends only to the QuickBooks company this database is bound to. Change it only if the "
            "company file really moved or was renamed; sending to the wrong company puts invoices in the "
            "wrong books.",
            [REBIND_REFUSED, REBIND_CLEAR],
        )
        if answer is None:
            return False
        action = rebind_to_refused if answer == REBIND_REFUSED else clear_binding
        ok, _ = self.ctx.attempt(self, lambda: self.ctx.write(action, changes=("settings", "sync")))
        if ok:
            self.refresh()
            self._say("The QuickBooks company binding was changed.")
        return ok

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
