"""Settings: company details, numbering, invoice dates, terms, tax, income account, sync, database."""

from __future__ import annotations

from pathlib import Path
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
from desktop_app.ui.views.settings_numbering import NumberingCountersSection
from desktop_app.ui.views.settings_tax import SalesTaxSection
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
#: Settings the .qwc file carries (RunEveryNMinutes): changing one means a new file.
QWC_KEYS = ("sync.interval_minutes", "sync.responsive")
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
                if key in QWC_KEYS:
                    signal = widget.toggled if isinstance(widget, QCheckBox) else widget.textChanged  # type: ignore[attr-defined]
                    signal.connect(lambda *_: self._update_qwc_notice())
            box.addWidget(form)
            if group == "Sync with QuickBooks":
                box.addWidget(self._build_qwc_notice())
            self.body.addWidget(frame)
            if group == "Numbering":
                # The counters move at once (their own button), not with "Save settings".
                self.counters = NumberingCountersSection(ctx)
                self.body.addWidget(self.counters)
        self.sales_tax = SalesTaxSection(ctx)
        self.body.addWidget(self.sales_tax)
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
        ctx.changed.connect(self._changed)

    def _build_qwc_notice(self) -> QFrame:
        """Shown while the interval differs from the saved one, and after saving a new one."""
        from desktop_app.ui.views.sync_setup_tab import INTERVAL_NOTICE

        self.qwc_notice = QFrame()
        row = QHBoxLayout(self.qwc_notice)
        row.setContentsMargins(0, 4, 0, 0)
        self.qwc_notice_label = QLabel(INTERVAL_NOTICE)
        self.qwc_notice_label.setObjectName("warningBanner")
        self.qwc_notice_label.setWordWrap(True)
        row.addWidget(self.qwc_notice_label, 1)
        self.save_qwc_button = QPushButton("Save Web Connector file…")
        self.save_qwc_button.clicked.connect(self.save_qwc)
        row.addWidget(self.save_qwc_button)
        self.qwc_notice.hide()
        #: A new interval was saved and no .qwc file has been saved since.
        self._qwc_stale = False
        return self.qwc_notice

    def _update_qwc_notice(self) -> None:
        values = getattr(self, "values", None)
        if values is None:
            return
        edited = any(str(self.current(k)) != str(values[k]) for k in QWC_KEYS)
        self.qwc_notice.setVisible(edited or self._qwc_stale)

    def save_qwc(self) -> Path | None:
        from desktop_app.ui.views.sync_setup_tab import save_qwc_file

        path = save_qwc_file(self.ctx, self)
        if path is not None:
            self._qwc_stale = False
            self._update_qwc_notice()
            self.message.setText(f"Saved {path}. Open it in the Web Connector to use the new interval.")
            self.message.show()
        return path

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
        self.counters.load()  # and again by itself whenever a number may have moved
        self.sales_tax.load()  # and again by itself whenever settings or the sync change

    def _changed(self, kind: str) -> None:
        """Settings changed elsewhere (Settings → Sales tax names the item, the Connection tab…):
        show them, unless a person is editing here (their Save changes only what they edited)."""
        if kind == "settings" and hasattr(self, "values") and not self.tracker.dirty:
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
        self._update_qwc_notice()

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
            self._qwc_stale = self._qwc_stale or any(k in changed for k in QWC_KEYS)
            self.load()
            self.message.setText("Settings saved.")
            self.message.show()
        return ok
