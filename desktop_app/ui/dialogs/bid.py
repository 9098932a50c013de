"""The bid editor: lines from the price book or ad hoc, totals, status, "Convert to job"."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop_app.domain.status import BID_TRANSITIONS, BidStatus, label
from desktop_app.services import bids as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.dialogs.document import DocumentDialog
from desktop_app.ui.widgets.forms import DateField, Form, line, notes


class BidDialog(DocumentDialog):
    def __init__(self, ctx: AppContext, bid_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New bid" if bid_id is None else "Bid", parent)
        frame, box = card("Bid")
        form = Form(self.errors)
        self.title = form.add("title", "Title", line(max_length=100), span=2)
        form.add("customer_id", "Customer", self.customer)
        form.add("location_id", "Service location", self.location)
        self.valid_until = form.add("valid_until", "Valid until", DateField(optional=True))
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        frame, box = card("Lines")
        box.addWidget(self.lines)
        self.body_layout.addWidget(frame)
        frame, box = card("Notes")
        form = Form(self.errors, columns=1)
        self.notes = form.add("notes", "Notes (printed on the bid)", notes())
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.tracker.watch(self.title, self.customer, self.location, self.valid_until, self.notes)

        self.send_button = self.header_button("Mark sent", lambda: self.move_to(BidStatus.SENT))
        self.decline_button = self.header_button("Declined", lambda: self.move_to(BidStatus.DECLINED))
        self.convert_button = self.header_button("Convert to job", self.convert_to_job, primary=True)
        self.converted_job_id: int | None = None
        self.add_history_tab("bid")
        self.set_record(ctx.read(svc.get_bid, bid_id) if bid_id is not None else None)

    def load(self, record: svc.BidDetail | None) -> None:
        self.title.setText(record.title if record else "")
        if record is not None:
            self.customer.set_customer(record.customer_id, record.customer_name)
            self._customer_changed(record.customer_id)
            self.set_location(record.location.id if record.location else None)
        self.valid_until.set_value(record.valid_until if record else None)
        self.notes.setPlainText(record.notes if record else "")
        self.lines.set_lines(record.lines if record else ())
        status = BidStatus(record.status) if record else BidStatus.DRAFT
        allowed = BID_TRANSITIONS[status]
        self.send_button.setVisible(record is not None and BidStatus.SENT in allowed)
        self.decline_button.setVisible(record is not None and BidStatus.DECLINED in allowed)
        self.convert_button.setVisible(record is not None and record.job_id is None)
        editable = record is None or record.job_id is None
        self.lines.set_read_only(not editable)
        self.save_button.setEnabled(editable)
        if record is None:
            self.title_label.setText("New bid")
            self.subtitle_label.setText("Choose a customer, then add lines from the price book or ad hoc.")
        else:
            self.title_label.setText(f"Bid {record.number} · {record.title}")
            extra = " · converted to a job" if record.job_id else ""
            self.subtitle_label.setText(f"{record.customer_name} · {label(record.status)}{extra}")

    def fields(self) -> svc.BidFields:
        customer_id = self.customer.customer_id()
        return svc.BidFields(
            customer_id=customer_id if customer_id is not None else 0,
            title=self.title.text(),
            location_id=self.location.checked_value("location_id"),
            valid_until=self.valid_until.value(),
            notes=self.notes.toPlainText(),
            lines=tuple(self.lines.lines()),
        )

    def persist(self) -> svc.BidDetail:
        if self.record is None:
            return self.ctx.write(svc.create_bid, self.fields(), changes=("bid",))
        return self.ctx.write(
            svc.update_bid, self.record.id, self.record.version, self.fields(), changes=("bid",)
        )

    def reload_record(self) -> svc.BidDetail | None:
        return self.ctx.read(svc.get_bid, self.record.id) if self.record is not None else None

    def _save_pending(self) -> bool:
        return not self.tracker.dirty or self.save()

    def move_to(self, status: BidStatus) -> None:
        if self.record is None or not self._save_pending():
            return
        record = self.record
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                svc.set_bid_status, record.id, record.version, status.value, changes=("bid",)
            ),
            on_reload=self._reload,
        )
        if ok:
            self.set_record(result)

    def convert_to_job(self) -> None:
        if self.record is None or not self._save_pending():
            return
        record = self.record
        if not self.ctx.prompts.confirm(
            self,
            "Convert to job",
            f"Create a job from bid {record.number}? The bid will be marked accepted.",
            ok="Create job",
        ):
            return
        ok, job = self.ctx.attempt(
            self,
            lambda: self.ctx.write(svc.convert_to_job, record.id, record.version, changes=("bid", "job")),
            on_reload=self._reload,
        )
        if ok and job is not None:
            self.converted_job_id = job.id
            self.set_record(self.ctx.read(svc.get_bid, record.id))
            self.ctx.prompts.inform(self, "Job created", f"Job {job.number} was created from this bid.")
