"""The audit log: every change, by whom and when, browsed by record, user and date.

The Date filter offers preset periods and a custom From/To range (two date fields with
calendar pop-ups, shown while “Custom range…” is chosen); all reach ``list_entries`` as
``date_from`` / ``date_to``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, cast

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QWidget

from desktop_app.services import audit_log as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import BackgroundFetch, PageLike
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("at", "When", kind="datetime", sort="", width=160),
    Column("user_name", "User", sort="", width=140),
    Column(
        "action", "Action", get=lambda row: str(row.action).replace("_", " ").capitalize(), sort="", width=110
    ),
    Column("record", "Record", sort="", width=150),
    Column("summary", "What happened", sort="", width=280),
    Column("changes_text", "Changes (before → after)", sort="", width=320, stretch=True),
)
PERIODS = (
    ("Any date", ""),
    ("Today", "0"),
    ("Last 7 days", "6"),
    ("Last 30 days", "29"),
    ("Last 365 days", "364"),
    ("Custom range…", "custom"),
)
CUSTOM = "custom"
#: How far back the custom range starts when first shown.
DEFAULT_RANGE_DAYS = 30
_RECORD_NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


def criteria(search: str, chosen: Mapping[str, str], today: date | None = None) -> dict[str, Any]:
    """The list's search box and filters as ``list_entries`` arguments.

    The search box finds words in what happened; ``#123`` (or just ``123``) picks record 123
    of the chosen kind.
    """
    kwargs: dict[str, Any] = {}
    text = search.strip()
    number = _RECORD_NUMBER.match(text)
    if number:
        kwargs["entity_id"] = int(number.group(1))
    elif text:
        kwargs["search"] = text
    if chosen.get("entity_type"):
        kwargs["entity_type"] = chosen["entity_type"]
    if chosen.get("user"):
        kwargs["user"] = chosen["user"]
    days = chosen.get("period", "")
    if days == CUSTOM:
        for key in ("date_from", "date_to"):
            if chosen.get(key):
                kwargs[key] = date.fromisoformat(chosen[key])
    elif days:
        kwargs["date_from"] = (today or date.today()) - timedelta(days=int(days))
    return kwargs


def _date_edit(name: str, tip: str, day: QDate) -> QDateEdit:
    edit = QDateEdit(day)
    edit.setObjectName(name)
    edit.setToolTip(tip)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("MM/dd/yyyy")
    edit.setMinimumDate(QDate(1901, 1, 1))
    edit.setMaximumDate(QDate(2099, 12, 31))
    return edit


class AuditLogView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        kinds = ctx.read(svc.entity_types)
        record_choices = [("All records", "")] + [
            (svc.ENTITY_LABELS.get(kind, kind.replace("_", " ").capitalize()), kind) for kind in kinds
        ]
        user_choices = [("All users", "")] + [(name, name) for name in ctx.read(svc.user_names)]
        super().__init__(
            "audit_log",
            "Audit log",
            COLUMNS,
            # Each call opens its own reader: the list model may run it on a worker thread.
            BackgroundFetch(self._fetch) if ctx.background_reads else self._fetch,
            ctx.settings,
            search_placeholder="Search what happened, or #123 for one record",
            filters=(
                ("entity_type", "Record", tuple(record_choices)),
                ("user", "User", tuple(user_choices)),
                ("period", "Date", PERIODS),
            ),
            noun=("entry", "entries"),
        )
        self._build_range()
        self.add_action("Details", "edit").clicked.connect(self.show_current)
        self.activated.connect(lambda _id: self.show_current())
        self.refresh_kinds = {"customer", "location", "item", "bid", "job", "invoice", "payment", "settings"}
        self.refresh_kinds |= {"sync", "user", "account"}
        ctx.changed.connect(self.refresh_if_changed)

    # -- the custom date range -----------------------------------------------------------------
    def _build_range(self) -> None:
        today = QDate.currentDate()
        self.range_box = QWidget()
        self.range_box.setObjectName("customRange")
        row = QHBoxLayout(self.range_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.date_from = _date_edit("dateFrom", "From (inclusive)", today.addDays(-DEFAULT_RANGE_DAYS))
        self.date_to = _date_edit("dateTo", "To (inclusive)", today)
        row.addWidget(QLabel("From"))
        row.addWidget(self.date_from)
        row.addWidget(QLabel("To"))
        row.addWidget(self.date_to)
        self.range_error = QLabel("")
        self.range_error.setObjectName("fieldError")
        self.range_error.setStyleSheet("color: #b91c1c;")
        self.range_error.hide()
        row.addWidget(self.range_error)
        period = self.filter_boxes["period"]
        self.filter_bar.insertWidget(self.filter_bar.indexOf(period) + 1, self.range_box)
        self._store_range()
        self.range_box.setVisible(period.currentData() == CUSTOM)
        period.currentIndexChanged.connect(lambda _=0: self.range_box.setVisible(self.custom_range()))
        self.date_from.dateChanged.connect(lambda _=None: self._range_changed())
        self.date_to.dateChanged.connect(lambda _=None: self._range_changed())

    def custom_range(self) -> bool:
        return bool(self.filter_boxes["period"].currentData() == CUSTOM)

    def _store_range(self) -> bool:
        """Keep a valid From/To in the filters (used only while the custom range is chosen)."""
        first, last = self.date_from.date(), self.date_to.date()
        if first > last:
            self.range_error.setText("“To” is before “From”.")
            self.range_error.show()
            return False
        self.range_error.hide()
        self.model.filters["date_from"] = first.toString("yyyy-MM-dd")
        self.model.filters["date_to"] = last.toString("yyyy-MM-dd")
        return True

    def _range_changed(self) -> None:
        if self._store_range() and self.custom_range() and self.model.started:
            self.model.reload()

    def set_range(self, first: date, last: date) -> None:
        """Choose “Custom range…” from ``first`` to ``last`` (both inclusive)."""
        self.date_from.setDate(QDate(first.year, first.month, first.day))
        self.date_to.setDate(QDate(last.year, last.month, last.day))
        period = self.filter_boxes["period"]
        period.setCurrentIndex(period.findData(CUSTOM))

    # -- data ----------------------------------------------------------------------------------
    def _fetch(
        self,
        offset: int,
        limit: int,
        search: str,
        sort: str | None,
        descending: bool,
        chosen: Mapping[str, str],
    ) -> PageLike:
        # Page is structurally a PageLike (the model adds ``started``), as in views.common.
        page: Any = self.ctx.read(svc.list_entries, offset=offset, limit=limit, **criteria(search, chosen))
        return cast(PageLike, page)

    def show_current(self) -> None:
        row = self.current_row()
        if not isinstance(row, svc.AuditRow):
            return
        lines = [
            f"{row.summary}",
            f"{row.record} · {row.user_name} · {row.at.astimezone():%m/%d/%Y %I:%M %p}",
        ]
        if row.changes:
            lines.append("")
            lines += [change.text for change in row.changes]
        self.ctx.prompts.inform(self, "Audit entry", "\n".join(lines))
