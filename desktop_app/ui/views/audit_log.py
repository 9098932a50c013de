"""The audit log: every change, by whom and when, browsed by record, user and date."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, cast

from desktop_app.services import audit_log as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import PageLike
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
)
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
    if days:
        kwargs["date_from"] = (today or date.today()) - timedelta(days=int(days))
    return kwargs


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
            self._fetch,
            ctx.settings,
            search_placeholder="Search what happened, or #123 for one record",
            filters=(
                ("entity_type", "Record", tuple(record_choices)),
                ("user", "User", tuple(user_choices)),
                ("period", "Date", PERIODS),
            ),
            noun=("entry", "entries"),
        )
        self.add_action("Details", "edit").clicked.connect(self.show_current)
        self.activated.connect(lambda _id: self.show_current())
        self.refresh_kinds = {"customer", "location", "item", "bid", "job", "invoice", "payment", "settings"}
        self.refresh_kinds |= {"sync", "user", "account"}
        ctx.changed.connect(self.refresh_if_changed)

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
