"""The wizard's numbering and mapping steps: numbers clear of QuickBooks', and what JobDesk uses
from the company (income account, generic item, sales-tax items, terms, payment methods)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.services import connection_clashes, connection_mapping, connection_numbering
from desktop_app.ui.context import AppContext
from desktop_app.ui.resources import icon
from desktop_app.ui.views.background_load import BackgroundLoad
from desktop_app.ui.views.connect_step_base import StepPage
from desktop_app.ui.widgets.forms import FieldErrors


class NumberingStep(StepPage):
    key = "numbering"
    heading = "Invoice numbers"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "An invoice number used twice, once in QuickBooks and once by JobDesk, confuses customers "
            "and holds the sync. JobDesk compares its next numbers with those QuickBooks already uses "
            "and proposes a start above them all.",
            parent,
        )
        self.check: connection_numbering.NumberingCheck | None = None
        self.summary = QLabel("")
        self.summary.setObjectName("banner")
        self.summary.setWordWrap(True)
        self.box.addWidget(self.summary)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.box.addWidget(self.details)
        row = QHBoxLayout()
        self.apply_button = QPushButton(icon("check", "#ffffff"), "&Use the safe start")
        self.apply_button.setObjectName("primaryButton")
        self.apply_button.clicked.connect(self.apply_safe_start)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        self.box.addLayout(row)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.box.addWidget(self.result)
        # Invoices of ours already numbered with numbers QuickBooks uses: all at once, not
        # one alert at a time at the first sync.
        self.clashes_label = QLabel("")
        self.clashes_label.setWordWrap(True)
        self.clashes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.box.addWidget(self.clashes_label)
        clash_row = QHBoxLayout()
        self.renumber_button = QPushButton(icon("edit"), "&Renumber these invoices")
        self.renumber_button.setToolTip(
            "Give each a number QuickBooks does not use (apply the safe start first, so the new "
            "numbers lie above QuickBooks' own)"
        )
        self.renumber_button.clicked.connect(self.renumber_clashes)
        clash_row.addWidget(self.renumber_button)
        clash_row.addStretch(1)
        self.box.addLayout(clash_row)
        self.clashes: tuple[connection_clashes.InvoiceClash, ...] = ()
        self.renumber_button.setVisible(False)
        self.box.addStretch(1)
        self._loader = BackgroundLoad(ctx, "numbering check", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(lambda exc: self.ctx.report(self, exc, title="Invoice numbers"))
        self.apply_button.setEnabled(False)

    def refresh(self) -> None:
        self._loader.load(
            lambda: (
                self.ctx.read(connection_numbering.numbering_check),
                self.ctx.read(connection_clashes.invoice_clashes),
            )
        )

    def _show(
        self,
        loaded: tuple[connection_numbering.NumberingCheck, tuple[connection_clashes.InvoiceClash, ...]],
    ) -> None:
        check, clashes = loaded
        self.clashes = clashes
        if clashes:
            shown = "\n".join(f"• {c.number}: {c.customer}, ${c.total:,.2f}" for c in clashes[:12]) + (
                f"\n… and {len(clashes) - 12} more" if len(clashes) > 12 else ""
            )
            plural = "s" if len(clashes) != 1 else ""
            self.clashes_label.setText(
                f"{len(clashes)} invoice{plural} of ours, not yet in QuickBooks, use{'' if plural else 's'} "
                f"a number QuickBooks already has; the sync would hold each with an alert:\n{shown}"
            )
        else:
            self.clashes_label.setText("✔ No invoice of ours uses a number QuickBooks has.")
        self.renumber_button.setVisible(bool(clashes))
        self.check = check
        if not check.overlaps:
            self.summary.setText(f"✔ Nothing overlaps. {check.summary}")
        else:
            self.summary.setText(check.summary)
        self.details.setText("\n\n".join(counter.summary for counter in check.counters))
        self.apply_button.setEnabled(check.overlaps and bool(check.proposal))
        self.apply_button.setToolTip(
            ""
            if check.proposal
            else "Nothing to move."
            if not check.overlaps
            else "No safe start fits; see above."
        )
        self.loaded.emit()

    def apply_safe_start(self) -> bool:
        seen = self.check
        if seen is None:
            return False
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(connection_numbering.apply_safe_start, seen, changes=("settings",)),
            on_reload=self.refresh,
            title="Invoice numbers",
        )
        if ok and result is not None:
            self.result.setText(f"✔ {result.summary}")
        self.refresh()
        return ok

    def renumber_clashes(self) -> bool:
        count = len(self.clashes)
        if not count or not self.ctx.prompts.confirm(
            self,
            "Invoice numbers",
            f"Give {count} invoice{'s' if count != 1 else ''} new numbers QuickBooks does not use? "
            "Printed copies already sent keep the old number; the change is in the audit log.",
            ok="Renumber",
        ):
            return False
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(connection_clashes.renumber_clashes, changes=("invoice",)),
            on_reload=self.refresh,
            title="Invoice numbers",
        )
        if ok and result is not None:
            self.result.setText(f"✔ {result.summary}")
        self.refresh()
        return ok

    def leave(self) -> bool:
        check = self.check
        if self.clashes and not self.ctx.prompts.confirm(
            self,
            "Invoice numbers",
            f"{len(self.clashes)} invoice(s) of ours use numbers QuickBooks already has; the sync will "
            "hold each with an alert. Continue without renumbering them?",
            ok="Continue anyway",
        ):
            return False
        if check is None or not check.overlaps:
            return True
        return self.ctx.prompts.confirm(
            self,
            "Invoice numbers",
            "JobDesk's next numbers still overlap the invoice numbers QuickBooks uses, so new invoices "
            "may land among QuickBooks' own. Continue without moving them?",
            ok="Continue anyway",
        )


class MappingStep(StepPage):
    key = "mapping"
    heading = "Accounts and items"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "What JobDesk names in QuickBooks must already be there. Choose each among what the import "
            "read; a sensible choice is filled in. Save, or Continue (which saves).",
            parent,
        )
        self.errors = FieldErrors(self)
        self.mapping: connection_mapping.Mapping | None = None
        self.combos: dict[str, QComboBox] = {}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body.setObjectName("pageArea")
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 8, 0)
        self.grid.setHorizontalSpacing(16)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(1, 1)
        scroll.setWidget(self.body)
        self.box.addWidget(scroll, 1)
        row = QHBoxLayout()
        self.save_button = QPushButton(icon("check", "#ffffff"), "&Save choices")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        self.saved_label = QLabel("")
        self.saved_label.setWordWrap(True)
        row.addWidget(self.saved_label, 1)
        self.box.addLayout(row)
        self._loader = BackgroundLoad(ctx, "mapping choices", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(lambda exc: self.ctx.report(self, exc, title="Accounts and items"))

    def refresh(self) -> None:
        self._loader.load(lambda: self.ctx.read(connection_mapping.mapping_choices))

    def _clear(self) -> None:
        while self.grid.count():
            child = self.grid.takeAt(0)
            widget = child.widget() if child is not None else None
            if widget is not None:
                widget.deleteLater()
        self.combos.clear()
        self.errors.deleteLater()  # it knew the old fields; a new one knows the new
        self.errors = FieldErrors(self)

    def _show(self, mapping: connection_mapping.Mapping) -> None:
        self.mapping = mapping
        self._clear()
        proposed = mapping.proposed()
        line = 0
        for need in mapping.needs:
            caption = QLabel(need.label)
            caption.setObjectName("fieldLabel")
            combo = QComboBox()
            combo.setObjectName(f"field_{need.key}")
            combo.setMinimumWidth(320)
            if not need.required or not need.choices:
                combo.addItem(f"None — {need.without_choice}" if need.without_choice else "None", "")
            for choice in need.choices:
                text = choice.full_name + (f"  ({choice.detail})" if choice.detail else "")
                combo.addItem(text, choice.list_id)
            found = combo.findData(proposed.get(need.key, ""))
            combo.setCurrentIndex(max(0, found))
            combo.setToolTip(need.explanation)
            caption.setBuddy(combo)
            hint = QLabel(need.explanation)
            hint.setObjectName("hint")
            hint.setWordWrap(True)
            error = QLabel("")
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            self.grid.addWidget(caption, line, 0)
            self.grid.addWidget(combo, line, 1)
            self.grid.addWidget(hint, line + 1, 1)
            self.grid.addWidget(error, line + 2, 1)
            line += 3
            self.errors.register(need.key, combo, error)
            self.combos[need.key] = combo
        self.grid.setRowStretch(line, 1)
        self.loaded.emit()

    def chosen(self) -> dict[str, str]:
        return {key: str(combo.currentData() or "") for key, combo in self.combos.items()}

    def has_unsaved(self) -> bool:
        if self.mapping is None:
            return False
        stored = {need.key: need.current for need in self.mapping.needs}
        return self.chosen() != stored

    def save(self) -> bool:
        choices = self.chosen()
        if not choices:
            return True
        self.errors.clear()
        ok, mapping = self.ctx.attempt(
            self,
            lambda: self.ctx.write(connection_mapping.save_mapping, choices, changes=("settings", "item")),
            on_validation=self._at_field,
            title="Accounts and items",
        )
        if ok and mapping is not None:
            self.saved_label.setText("✔ Saved. The first sync uses these choices.")
            self._show(mapping)
        else:
            self.saved_label.setText("")
        return ok

    def _at_field(self, exc: ValidationError) -> bool:
        return self.errors.show(exc)

    def leave(self) -> bool:
        return self.save()
