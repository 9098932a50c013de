"""The job list; a job opens in the job-details window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop_app.services import jobs as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import open_dialog, refresh_on, service_fetch
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("number", "Job #", width=100),
    Column("name", "Job", width=260, stretch=True),
    Column("customer_name", "Customer", sort="customer", width=220),
    Column("status", "Status", kind="status", width=120),
    Column("scheduled_start", "Scheduled", kind="date", width=110),
    Column("finished_on", "Finished", kind="date", sort="", width=110),
    Column("total", "Total", kind="money", sort="", width=120),
)
STATUS_CHOICES = (
    ("All statuses", ""),
    ("Open", "open"),
    ("Scheduled", "scheduled"),
    ("In progress", "in_progress"),
    ("Finished", "finished"),
    ("Cancelled", "cancelled"),
)


def _filters(chosen: Mapping[str, str]) -> dict[str, Any]:
    return {"status": chosen.get("status") or None}


class JobsView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "jobs",
            "Jobs",
            COLUMNS,
            service_fetch(ctx, svc.list_jobs, filters=_filters),
            ctx.settings,
            search_placeholder="Search job number, name or customer",
            filters=(("status", "Status", STATUS_CHOICES),),
            default_sort=("number", True),
            noun=("job", "jobs"),
        )
        self.ctx = ctx
        self.last_dialog: JobDetailsDialog | None = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("New job", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_job)
        refresh_on(ctx, self, "job", "customer", "bid", "settings", "sync")

    def new_record(self) -> JobDetailsDialog:
        return open_dialog(self, JobDetailsDialog(self.ctx, None, self))

    def open_job(self, job_id: int) -> JobDetailsDialog:
        return open_dialog(self, JobDetailsDialog(self.ctx, job_id, self))

    def open_current(self) -> None:
        job_id = self.current_id()
        if job_id is not None:
            self.open_job(job_id)
