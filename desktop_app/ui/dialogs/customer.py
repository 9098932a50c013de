"""The customer editor: QuickBooks customer fields, service locations, jobs, invoices, credits, balance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QTableView, QWidget

from desktop_app.domain.money import ZERO, format_money
from desktop_app.services import customers as svc
from desktop_app.services import locations as loc_svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.dialogs.credit_memo import CreditMemoDialog
from desktop_app.ui.dialogs.credit_memo_list import CUSTOMER_CREDIT_COLUMNS, CreditMemoList
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.widgets.forms import Form, line, notes
from desktop_app.ui.widgets.list_page import make_table, size_columns

TEXT_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("display_name", "Display name"),
    ("company", "Company"),
    ("mobile_phone", "Mobile phone"),
    ("home_phone", "Home phone"),
    ("work_phone", "Work phone"),
    ("email", "Email"),
)
ADDRESS_FIELDS = (
    ("bill_street", "Street"),
    ("bill_unit", "Unit / suite"),
    ("bill_city", "City"),
    ("bill_state", "State"),
    ("bill_zip", "ZIP"),
)
LOCATION_COLUMNS = (
    Column("name", "Name", width=160),
    Column("street", "Street", width=200),
    Column("city", "City", width=140),
    Column("state", "State", width=60),
    Column("zip", "ZIP", width=80, stretch=True),
)
JOB_COLUMNS = (
    Column("number", "Job #", width=90),
    Column("name", "Name", width=220, stretch=True),
    Column("status", "Status", kind="status", width=110),
    Column("total", "Total", kind="money", width=110),
)
INVOICE_COLUMNS = (
    Column("number", "Invoice #", width=100),
    Column("invoice_date", "Date", kind="date", width=100),
    Column("status", "Status", kind="status", width=90),
    Column("total", "Total", kind="money", width=110),
    Column("balance", "Balance", kind="money", width=110, stretch=True),
)


class CustomerDialog(RecordDialog):
    def __init__(
        self, ctx: AppContext, customer_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "New customer" if customer_id is None else "Customer", parent, width=920)
        self.widgets: dict[str, Any] = {}
        details, box = card("Customer")
        form = Form(self.errors)
        # The service's limits are QuickBooks' lengths; the form stops there and says so.
        for name, label in TEXT_FIELDS:
            self.widgets[name] = form.add(name, label, line(max_length=svc.TEXT_LIMITS[name]))
        self.widgets["display_name"].setPlaceholderText("Defaults to the company or the person's name")
        self.tax_exempt = QCheckBox("Tax exempt")
        form.add("tax_exempt", "Sales tax", self.tax_exempt)
        box.addWidget(form)
        self.body_layout.addWidget(details)

        address, box = card("Billing address")
        form = Form(self.errors, columns=3)
        for name, label in ADDRESS_FIELDS:
            self.widgets[name] = form.add(
                name, label, line(max_length=svc.TEXT_LIMITS[name]), span=2 if name == "bill_street" else 1
            )
        box.addWidget(form)
        self.body_layout.addWidget(address)

        notes_card, box = card("Notes")
        form = Form(self.errors, columns=1)
        self.widgets["notes"] = form.add("notes", "Notes for the office", notes())
        box.addWidget(form)
        self.body_layout.addWidget(notes_card)

        self.tracker.watch(*self.widgets.values(), self.tax_exempt)

        self.locations_card, box = card("Service locations")
        self.locations = RowsTableModel(LOCATION_COLUMNS)
        self.locations_table = self._small_table(self.locations, LOCATION_COLUMNS)
        box.addWidget(self.locations_table)
        row = QHBoxLayout()
        self.add_location_button = QPushButton("Add location…")
        self.add_location_button.clicked.connect(self.add_location)
        self.remove_location_button = QPushButton("Remove")
        self.remove_location_button.clicked.connect(self.remove_location)
        row.addWidget(self.add_location_button)
        row.addWidget(self.remove_location_button)
        row.addStretch(1)
        box.addLayout(row)
        self.body_layout.addWidget(self.locations_card)

        self.activity_card, box = card("Jobs and invoices")
        self.balance_label = QLabel("")
        self.balance_label.setObjectName("statValue")
        box.addWidget(self.balance_label)
        self.jobs = RowsTableModel(JOB_COLUMNS)
        self.invoices = RowsTableModel(INVOICE_COLUMNS)
        tables = QHBoxLayout()
        tables.addWidget(self._small_table(self.jobs, JOB_COLUMNS))
        tables.addWidget(self._small_table(self.invoices, INVOICE_COLUMNS))
        box.addLayout(tables)
        self.body_layout.addWidget(self.activity_card)

        # The customer's own credit memos (no job) are found again only here; its jobs' too.
        self.credits_card, box = card("Credits")
        self.credits = CreditMemoList(ctx, CUSTOMER_CREDIT_COLUMNS, height=120)
        self.credits.credits_changed.connect(self._credits_changed)
        box.addWidget(self.credits)
        self.new_credit_button, self.open_credit_button = self.credits.new_button, self.credits.open_button
        self.body_layout.addWidget(self.credits_card)
        self.body_layout.addStretch(1)

        self.add_history_tab("customer")
        detail = ctx.read(svc.get_customer, customer_id) if customer_id is not None else None
        self.set_record(detail)

    def _small_table(self, model: RowsTableModel, columns: tuple[Column, ...]) -> QTableView:
        table = make_table()
        table.setModel(model)
        size_columns(table, columns)
        table.setMinimumHeight(150)
        return table

    # -- form ------------------------------------------------------------------------------
    def load(self, record: svc.CustomerDetail | None) -> None:
        for name, widget in self.widgets.items():
            value = getattr(record, name, "") if record is not None else ""
            if name == "notes":
                widget.setPlainText(value)
            else:
                widget.setText(value)
        self.tax_exempt.setChecked(bool(record and record.tax_exempt))
        existing = record is not None
        self.locations_card.setVisible(existing)
        self.activity_card.setVisible(existing)
        self.credits_card.setVisible(existing)
        self.credits.show_for(record.id if record is not None else None)
        if record is None:
            self.title_label.setText("New customer")
            self.subtitle_label.setText("Customers are sent to QuickBooks with their first job or invoice.")
            return
        self.title_label.setText(record.display_name)
        parts = [
            part for part in (record.company, record.mobile_phone or record.work_phone, record.email) if part
        ]
        self.subtitle_label.setText(" · ".join(parts) or ("Active" if record.active else "Inactive"))
        self.locations.set_rows([location for location in record.locations if location.active])
        self.balance_label.setText(f"Open balance {format_money(record.open_balance or ZERO)}")
        self._load_activity(record.id)

    def _load_activity(self, customer_id: int) -> None:
        from desktop_app.services import jobs as job_svc

        self.jobs.set_rows(self.ctx.read(job_svc.list_jobs, customer_id=customer_id, limit=100).rows)
        from desktop_app.services import invoice_queries

        self.invoices.set_rows(
            self.ctx.read(
                invoice_queries.list_invoices, customer_id=customer_id, limit=100, descending=True
            ).rows
        )

    def new_credit(self) -> CreditMemoDialog | None:
        """A credit memo for this customer (the job is chosen in it)."""
        return self.credits.new_credit()

    def open_credit(self) -> CreditMemoDialog | None:
        return self.credits.open_credit()

    @property
    def last_credit_dialog(self) -> CreditMemoDialog | None:
        return self.credits.last_dialog

    def _credits_changed(self) -> None:
        """A credit applied or voided changes what the invoices and the customer owe."""
        if self.record is None:
            return
        fresh = self.ctx.read(svc.get_customer, self.record.id)
        self.balance_label.setText(f"Open balance {format_money(fresh.open_balance or ZERO)}")
        self._load_activity(self.record.id)

    def fields(self) -> svc.CustomerFields:
        values: dict[str, Any] = {
            name: widget.toPlainText() if name == "notes" else widget.text()
            for name, widget in self.widgets.items()
        }
        base = self.record.to_fields() if self.record is not None else svc.CustomerFields()
        return replace(base, tax_exempt=self.tax_exempt.isChecked(), **values)

    def persist(self) -> svc.CustomerDetail:
        if self.record is None:
            return self.ctx.write(svc.create_customer, self.fields(), changes=("customer",))
        return self.ctx.write(
            svc.update_customer, self.record.id, self.record.version, self.fields(), changes=("customer",)
        )

    def reload_record(self) -> svc.CustomerDetail | None:
        return self.ctx.read(svc.get_customer, self.record.id) if self.record is not None else None

    # -- locations ----------------------------------------------------------------------------
    def add_location(self) -> None:
        if self.record is None:
            return
        from desktop_app.ui.dialogs.location import LocationDialog

        dialog = LocationDialog(self.ctx, self.record.id, parent=self)
        dialog.saved.connect(lambda _: self._refresh_locations())
        dialog.open()

    def remove_location(self) -> None:
        index = self.locations_table.currentIndex()
        location = self.locations.row_at(index.row()) if index.isValid() else None
        if location is None or self.record is None:
            return
        if not self.ctx.prompts.confirm(
            self, "Remove location", f"Remove “{location.one_line}”?", ok="Remove"
        ):
            return
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                loc_svc.deactivate_location, location.id, location.version, changes=("location", "customer")
            ),
        )
        if ok:
            self._refresh_locations()

    def _refresh_locations(self) -> None:
        if self.record is None:
            return
        fresh = self.ctx.read(svc.get_customer, self.record.id)
        self.record = replace(self.record, locations=fresh.locations, version=fresh.version)
        self.locations.set_rows([location for location in fresh.locations if location.active])
