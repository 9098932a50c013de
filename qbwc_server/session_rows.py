"""The statements a Web Connector callback runs on its session's row (``sessions``), each
built once: they run every round trip, and building one costs more than running it."""

from __future__ import annotations

import functools
from typing import cast

from sqlalchemy import ColumnElement, Table, Update, bindparam, case, or_, select, update

from desktop_app.db.qbwc_models import WC_ACTIVE, WC_FAILED, WcSession

#: The session's row as a callback reads it first (built once, asked twice a round trip).
GOING = select(
    WcSession.state,
    WcSession.expires_at,
    WcSession.hello_done,
    WcSession.hello_pending,
    WcSession.qbxml_version,
).where(WcSession.ticket == bindparam("ticket"))


@functools.cache
def touch_statement(names: tuple[str, ...]) -> Update:
    """``WebConnectorSessions._touch``'s statement for these columns: the session's row
    while it is still on.
    (Not expired is not asked: the callback found it live when it came, and the ticket
    counts from then, ``LastCalls``; a session that expired since is no longer active.)"""
    table = cast(Table, WcSession.__table__)
    values: dict[str, object] = {name: bindparam(f"v_{name}") for name in names}
    return (
        update(table)
        .where(table.c.ticket == bindparam("b_ticket"), still_on(table))
        .values(last_seen_at=bindparam("b_now"), expires_at=bindparam("b_expires"), **values)
    )


def still_on(table: Table) -> ColumnElement[bool]:
    """The session is still on (active, or failed and told so): each state a value of its
    own, not an IN list (which SQLAlchemy expands at each run, ``writes.Compiled`` cannot)."""
    return or_(table.c.state == WC_ACTIVE, table.c.state == WC_FAILED)


@functools.cache
def answer_statement(with_percent: bool) -> Update:
    """``WebConnectorSessions._count_answer``'s statement: the answer counted whatever the
    session's state, the session touched only while it is on (one statement)."""
    table = cast(Table, WcSession.__table__)
    on = still_on(table)
    # Typed as their columns: inside a CASE a value would skip UTCDateTime (stored as UTC).
    now = bindparam("b_now", type_=table.c.last_seen_at.type)
    expires = bindparam("b_expires", type_=table.c.expires_at.type)
    values: dict[str, object] = {
        "round_trips": table.c.round_trips + 1,
        "request_sent_at": None,
        "last_seen_at": case((on, now), else_=table.c.last_seen_at),
        "expires_at": case((on, expires), else_=table.c.expires_at),
    }
    if with_percent:
        values["percent"] = bindparam("v_percent")
    return update(table).where(table.c.ticket == bindparam("b_ticket")).values(**values)
