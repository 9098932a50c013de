"""The wizard's review step: QuickBooks records that may be ours, decided by a person.

Exact names were linked by the import; what is here is only near (case, punctuation,
name order, another parent or type, a name QuickBooks uses for a vendor…). Each row is
linked, created as new, or ours renamed, through ``qb_matching.decide``; a decision can
be changed until the first sync sends records of ours after it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop_app.services import qb_matching
from desktop_app.ui.context import AppContext
from desktop_app.ui.resources import icon
from desktop_app.ui.views.background_load import BackgroundLoad
from desktop_app.ui.views.connect_step_base import StepPage

COLUMNS = ("Ours", "QuickBooks'", "Kind", "Why they may be the same", "Decision")
KIND_TEXT = {
    "customer": "Customer",
    "job": "Job",
    "item": "Item",
    "vendor": "Vendor",
    "employee": "Employee",
    "other_name": "Other name",
}
#: What each decision's button does when an option is not offered for the row.
NOT_OFFERED = {
    "link": (
        "QuickBooks uses that name for a vendor, an employee or another name: "
        "a customer cannot be linked to it."
    ),
}
#: Changes a decision may make: ours renamed, QuickBooks' record brought in as ours, links.
DECISION_CHANGES = ("customer", "job", "item", "sync")


class ReviewStep(StepPage):
    key = "review"
    heading = "Review matches"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "The import linked records whose names are exactly the same. These are only alike: decide "
            "for each whether it is the same record (Link), a different one (Create as new), or whether "
            "ours should be renamed. Nothing of ours goes to QuickBooks before every one is decided; "
            "decisions can be changed until the first sync.",
            parent,
        )
        self.rows: tuple[qb_matching.ProposalRow, ...] = ()
        self.undecided = 0
        bar = QHBoxLayout()
        self.count_label = QLabel("")
        self.count_label.setObjectName("banner")
        bar.addWidget(self.count_label, 1)
        self.undecided_only = QCheckBox("&Undecided only")
        self.undecided_only.setChecked(True)
        self.undecided_only.toggled.connect(lambda _on: self.refresh())
        bar.addWidget(self.undecided_only)
        self.box.addLayout(bar)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("matchTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for number, width in enumerate((200, 200, 160)):
            header.resizeSection(number, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(4, 140)
        self.table.currentCellChanged.connect(lambda *_: self._show_selected())
        self.box.addWidget(self.table, 1)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.box.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.link_button = QPushButton(icon("link"), "&Link")
        self.create_button = QPushButton(icon("plus"), "&Create as new")
        self.rename_button = QPushButton(icon("edit"), "&Rename ours…")
        self.link_button.clicked.connect(lambda: self.decide("link"))
        self.create_button.clicked.connect(lambda: self.decide("create"))
        self.rename_button.clicked.connect(self.rename)
        for button in (self.link_button, self.create_button, self.rename_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.box.addLayout(buttons)
        self._loader = BackgroundLoad(ctx, "match proposals", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(lambda exc: self.ctx.report(self, exc, title="Review matches"))
        self._keep_row = 0
        self._show_selected()

    # -- reading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        undecided_only = self.undecided_only.isChecked()

        def load(uow: object) -> tuple[tuple[qb_matching.ProposalRow, ...], int]:
            return (
                qb_matching.list_proposals(uow, undecided_only=undecided_only),  # type: ignore[arg-type]
                qb_matching.undecided_count(uow),  # type: ignore[arg-type]
            )

        self._loader.load(lambda: self.ctx.read(load))

    def _show(self, result: tuple[tuple[qb_matching.ProposalRow, ...], int]) -> None:
        self.rows, self.undecided = result
        if self.undecided:
            self.count_label.setText(
                f"{self.undecided} possible match{'es' if self.undecided != 1 else ''} "
                f"need{'s' if self.undecided == 1 else ''} a decision."
            )
        elif self.rows or not self.undecided_only.isChecked():
            self.count_label.setText("✔ Every possible match is decided. Continue.")
        else:
            self.count_label.setText(
                "✔ Nothing to decide: every QuickBooks record was matched by its exact name."
            )
        self.table.setRowCount(len(self.rows))
        for number, row in enumerate(self.rows):
            kind = KIND_TEXT.get(row.qb_kind, row.qb_kind)
            if row.qb_kind != row.entity_type:
                kind = f"{KIND_TEXT.get(row.entity_type, row.entity_type)} / {kind}"
            decision = row.decision_text
            if row.decision == "rename" and row.new_name:
                decision = f"Renamed ours to “{row.new_name}”"
            values = (row.our_name, row.qb_full_name or row.qb_name, kind, row.reason_text, decision)
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if column == 3:
                    cell.setToolTip(row.explanation)
                self.table.setItem(number, column, cell)
        if self.rows:
            self.table.setCurrentCell(min(self._keep_row, len(self.rows) - 1), 0)
        self._show_selected()
        self.loaded.emit()

    def selected(self) -> qb_matching.ProposalRow | None:
        number = self.table.currentRow()
        return self.rows[number] if 0 <= number < len(self.rows) else None

    def _show_selected(self) -> None:
        row = self.selected()
        offered = {option for option, _ in row.options} if row is not None else set()
        for decision, button in (
            ("link", self.link_button),
            ("create", self.create_button),
            ("rename", self.rename_button),
        ):
            button.setEnabled(decision in offered)
            words = dict(row.options).get(decision, NOT_OFFERED.get(decision, "")) if row else ""
            button.setToolTip(words)
        if row is None:
            self.detail.setText("Select a row to see why they may be the same and what each choice does.")
            return
        lines = [row.explanation]
        lines += [f"•  {text}" for _option, text in row.options]
        if row.decision:
            lines.append(
                f"Decided: {row.decision_text} by {row.decided_by}. You can change it until the first sync."
            )
        self.detail.setText("\n".join(lines))

    # -- deciding --------------------------------------------------------------------------------
    def decide(self, decision: str, new_name: str = "") -> bool:
        row = self.selected()
        if row is None:
            return False
        self._keep_row = self.table.currentRow()
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(qb_matching.decide, row.id, decision, new_name, changes=DECISION_CHANGES),
            title="Review matches",
        )
        if ok:
            self.refresh()
        return ok

    def rename(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        name = self.ctx.prompts.ask_text(
            self,
            "Rename ours",
            f"New name for ours, “{row.our_name}” (QuickBooks has “{row.qb_name}”; "
            "typing QuickBooks' name links the two):",
            row.our_name,
        )
        if name is None or not name.strip():
            return False
        return self.decide("rename", name)
