"""Settings: company details, numbering, invoice dates, terms, tax, income account, sync, database."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.services import accounts as account_svc
from desktop_app.services import settings as svc
from desktop_app.services import terms as terms_svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.widgets.forms import DirtyTracker, FieldErrors, Form, combo, set_combo

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Company", ("company.name", "company.phone", "company.email", "company.address", "company.logo_path")),
    (
        "Numbering",
        (
            "numbering.mode",
            "numbering.progress",
            "numbering.job_prefix",
            "numbering.invoice_prefix",
            "numbering.job_start",
            "numbering.invoice_start",
        ),
    ),
    (
        "Invoices",
        (
            "invoice.date_policy_invoice_date",
            "invoice.date_policy_service_date",
            "invoice.default_terms_id",
            "tax.default_rate",
            "tax.item_name",
            "accounts.default_income_account_id",
        ),
    ),
    (
        "Sync with QuickBooks",
        (
            "sync.on_job_finished",
            "sync.on_invoice_sent",
            "sync.on_invoice_paid",
            "sync.interval_minutes",
            "sync.responsive",
            "sync.office_may_sync_now",
        ),
    ),
)
WIDE = {"company.address", "company.logo_path"}
NUMBERING_MODES = [
    ("Simple (jobs and invoices numbered apart)", "simple"),
    ("Match (invoice = job number)", "match"),
]


class SettingsView(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.errors = FieldErrors(self)
        self.tracker = DirtyTracker(self)
        self.inputs: dict[str, QWidget] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.setContentsMargins(28, 22, 28, 8)
        title = QLabel("Settings")
        title.setObjectName("pageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.save_button = QPushButton("Save settings")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self.save)
        head.addWidget(self.save_button)
        outer.addLayout(head)
        self.message = QLabel("")
        self.message.setObjectName("banner")
        self.message.hide()
        wrap = QHBoxLayout()
        wrap.setContentsMargins(28, 0, 28, 0)
        wrap.addWidget(self.message)
        outer.addLayout(wrap)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("pageArea")
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(28, 8, 28, 24)
        self.body.setSpacing(12)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        for group, keys in GROUPS:
            frame, box = card(group)
            form = Form(self.errors, columns=2)
            for key in keys:
                spec = svc.SPECS[key]
                widget = self._widget(key, spec)
                form.add(
                    key,
                    spec.label if not isinstance(widget, QCheckBox) else " ",
                    widget,
                    span=2 if key in WIDE else 1,
                )
                self.inputs[key] = widget
                self.tracker.watch(widget)
            box.addWidget(form)
            self.body.addWidget(frame)
        frame, box = card("Database")
        self.database_label = QLabel(ctx.db.engine.url.render_as_string(hide_password=True))
        self.database_label.setWordWrap(True)
        hint = QLabel(
            "One office PC uses a SQLite file; several users share a PostgreSQL server. "
            "Start JobDesk with --database URL (or set JOBDESK_DATABASE_URL) to change it."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        box.addWidget(self.database_label)
        box.addWidget(hint)
        self.body.addWidget(frame)
        self.body.addStretch(1)

    def _widget(self, key: str, spec: svc.SettingSpec) -> QWidget:
        if key == "numbering.mode":
            return combo(list(NUMBERING_MODES))
        if key == "invoice.default_terms_id":
            terms = self.ctx.read(terms_svc.list_terms)
            return combo([("None", 0)] + [(t.name, t.id) for t in terms])
        if key == "accounts.default_income_account_id":
            accounts = self.ctx.read(account_svc.list_accounts)
            return combo(
                [("Not chosen (import accounts from QuickBooks)", 0)]
                + [(a.full_name, a.id) for a in accounts]
            )
        if isinstance(spec.default, bool):
            return QCheckBox(spec.label)
        edit = QLineEdit()
        edit.setMaxLength(spec.max_length)
        return edit

    def start(self) -> None:
        self.load()

    def load(self) -> None:
        values = self.ctx.read(svc.get_all)
        self.values = values
        with self.tracker.paused():
            for key, widget in self.inputs.items():
                value = values[key]
                if isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QComboBox):
                    set_combo(widget, value)
                elif isinstance(widget, QLineEdit):
                    widget.setText(str(value))
        self.tracker.reset()
        self.errors.clear()
        editable = self.ctx.actor.is_admin
        for key, widget in self.inputs.items():
            widget.setEnabled(editable or not svc.SPECS[key].admin_only)

    def current(self, key: str) -> Any:
        widget = self.inputs[key]
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def save(self) -> bool:
        self.errors.clear()
        changed = {
            key: self.current(key) for key in self.inputs if str(self.current(key)) != str(self.values[key])
        }
        if not changed:
            return True

        def apply(uow: Any) -> None:
            from desktop_app.services import numbering

            for key, value in changed.items():
                if key.startswith("numbering."):
                    svc.set_setting(
                        uow,
                        key,
                        value,
                        validate=lambda u, v, k=key: numbering.validate_numbering_setting(u, k, v),
                    )
                else:
                    svc.set_setting(uow, key, value)

        def on_validation(exc: ValidationError) -> bool:
            return self.errors.show(exc)

        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.with_uow(apply, changes=("settings",)),
            on_validation=on_validation,
            title="Settings",
        )
        if ok:
            self.load()
            self.message.setText("Settings saved.")
            self.message.show()
        return ok
