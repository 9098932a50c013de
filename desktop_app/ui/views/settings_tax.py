"""Settings → Sales tax in QuickBooks: each rate invoices charge and the QuickBooks item it is.

In QuickBooks Desktop a sales-tax rate is a sales-tax item named on the invoice. JobDesk
matches its rates to imported items by name or creates them at the next sync; an admin may
point a rate at another item QuickBooks has, of the same rate (anything else would change
invoice totals, and an item not in QuickBooks yet has nothing to point at).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout

from desktop_app.services import tax_rates as svc
from desktop_app.services.tax_rates import TaxRateRow
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.widgets.list_page import make_table, size_columns

TITLE = "Sales tax in QuickBooks"
WILL_BE_CREATED = "Will be created at the next sync"
DEFAULT_MARK = "Default"


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _in_quickbooks(row: TaxRateRow) -> str:
    if row.in_quickbooks:
        return row.quickbooks_name or row.name
    return WILL_BE_CREATED if row.active else "Not used (another item charges this rate)"


COLUMNS = (
    Column("name", "Sales-tax item", width=200, stretch=True),
    Column("rate", "Rate", get=lambda r: _percent(r.rate), width=90),
    Column("quickbooks", "QuickBooks item", get=_in_quickbooks, width=260, stretch=True),
    Column("default", "Default rate", get=lambda r: DEFAULT_MARK if r.is_default else "", width=110),
)


class SalesTaxSection(QFrame):
    """The card in Settings; reloads itself when settings or the sync change."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: tuple[TaxRateRow, ...] = ()
        frame, box = card(TITLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        intro = QLabel(
            "QuickBooks charges sales tax through a sales-tax item named on each invoice. JobDesk uses "
            "the item of the same name QuickBooks has, or creates it at the next sync."
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        box.addWidget(intro)
        self.model = RowsTableModel(COLUMNS)
        self.table: QTableView = make_table()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Sales-tax rates")
        size_columns(self.table, COLUMNS)
        self.table.setMinimumHeight(150)
        box.addWidget(self.table)
        box.addWidget(self._build_chooser())
        self.read_only_note = QLabel("Only an administrator can choose which QuickBooks item a rate uses.")
        self.read_only_note.setObjectName("hint")
        self.read_only_note.setWordWrap(True)
        box.addWidget(self.read_only_note)
        ctx.changed.connect(self._changed)

    def _build_chooser(self) -> QFrame:
        self.chooser = QFrame()
        column = QVBoxLayout(self.chooser)
        column.setContentsMargins(0, 4, 0, 0)
        line = QHBoxLayout()
        first = QLabel("Invoices charging")
        line.addWidget(first)
        self.rate_choice = QComboBox()
        self.rate_choice.setAccessibleName("Rate")
        self.rate_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.rate_choice.setMinimumWidth(150)  # "8.25% (default)" whole, with the style's padding
        first.setBuddy(self.rate_choice)
        self.rate_choice.currentIndexChanged.connect(lambda _: self._fill_items())
        line.addWidget(self.rate_choice)
        line.addWidget(QLabel("use the QuickBooks item"))
        self.item_choice = QComboBox()
        self.item_choice.setAccessibleName("QuickBooks sales-tax item")
        self.item_choice.setMinimumWidth(220)
        self.item_choice.currentIndexChanged.connect(lambda _: self._update_button())
        line.addWidget(self.item_choice, 1)
        self.use_button = QPushButton("Use this item")
        self.use_button.setObjectName("primaryButton")
        self.use_button.clicked.connect(self.use_chosen)
        line.addWidget(self.use_button)
        column.addLayout(line)
        self.why = QLabel("")
        self.why.setObjectName("hint")
        self.why.setWordWrap(True)
        column.addWidget(self.why)
        return self.chooser

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> None:
        ok, rows = self.ctx.attempt(self, lambda: self.ctx.read(svc.list_tax_rates), title=TITLE)
        if not ok or rows is None:
            return
        # A record no longer used and never in QuickBooks is nothing a person needs to see.
        self.rows = tuple(r for r in rows if r.active or r.in_quickbooks)
        self.model.set_rows(self.rows)
        admin = self.ctx.actor.is_admin
        self.chooser.setVisible(admin)
        self.read_only_note.setVisible(not admin)
        wanted = self.rate_choice.currentData()
        rates = sorted(
            {r.rate for r in self.rows if r.active}, key=lambda rate: (not self._is_default(rate), rate)
        )
        self.rate_choice.blockSignals(True)
        self.rate_choice.clear()
        for rate in rates:
            self.rate_choice.addItem(_percent(rate) + (" (default)" if self._is_default(rate) else ""), rate)
        index = self.rate_choice.findData(wanted) if wanted is not None else -1
        self.rate_choice.setCurrentIndex(index if index >= 0 else 0)
        self.rate_choice.blockSignals(False)
        self._fill_items()

    def _is_default(self, rate: Decimal) -> bool:
        return any(r.is_default and r.rate == rate for r in self.rows)

    def _fill_items(self) -> None:
        rate = self.rate_choice.currentData()
        same_rate = [r for r in self.rows if r.rate == rate and r.active]
        offered = [r for r in same_rate if r.in_quickbooks]
        self.item_choice.blockSignals(True)
        self.item_choice.clear()
        for row in offered:
            self.item_choice.addItem(row.quickbooks_name or row.name, row.id)
        in_use = next((r for r in offered if r.is_default), None)
        if in_use is not None:
            self.item_choice.setCurrentIndex(self.item_choice.findData(in_use.id))
        self.item_choice.blockSignals(False)
        self.item_choice.setEnabled(bool(offered))
        if rate is None:
            self.why.setText("No invoice charges sales tax yet: there is nothing to choose.")
        elif not offered:
            waiting = ", ".join(f"“{r.name}”" for r in same_rate)
            self.why.setText(
                f"QuickBooks has no sales-tax item at {_percent(rate)} that JobDesk knows of, so there is "
                f"nothing to choose: {waiting} will be created at the next sync. To use one QuickBooks "
                "already has, import its sales-tax items (Sync center → Import) first."
            )
        else:
            self.why.setText(
                f"Only items QuickBooks has at {_percent(rate)} are offered: an item of another rate would "
                "change invoice totals, and one not in QuickBooks yet is created at the next sync."
            )
        self._update_button()

    def _update_button(self) -> None:
        chosen = self._chosen()
        self.use_button.setEnabled(chosen is not None and not chosen.is_default)

    def _chosen(self) -> TaxRateRow | None:
        wanted = self.item_choice.currentData()
        return next((r for r in self.rows if r.id == wanted), None) if wanted is not None else None

    # -- acting --------------------------------------------------------------------------------
    def use_chosen(self) -> bool:
        chosen = self._chosen()
        if chosen is None:
            return False
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(svc.use_quickbooks_item, chosen.id, changes=("settings", "sync")),
            title=TITLE,
        )
        self.load()
        if ok:
            name = chosen.quickbooks_name or chosen.name
            self.why.setText(f"Invoices charging {_percent(chosen.rate)} now name “{name}” in QuickBooks.")
        return ok

    def _changed(self, kind: str) -> None:
        if kind in ("settings", "sync"):
            self.load()
