"""Is any queued item ready to go? A dry run of the planner, which writes nothing.

Asked at each poll of the Web Connector (``has_work``: is a session wanted?) and by the
app's server control, so it must not hold people up: it reads a snapshot without the
write lock. Only if it must write (the generic "Sales" item's first use, which a dry run
creates and throws away) and cannot, it reads again holding the lock. Nothing is kept
either way.
"""

from __future__ import annotations

from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.errors import DatabaseUnavailable
from qbwc_server.sync.planner import BatchPlanner, Limits


def anything_sendable(db: Database, scan_limit: int = 200) -> bool:
    """Bounded (a long blocked queue must not cost seconds): past ``scan_limit`` items it
    says yes, and a session's planning reads the rest."""
    try:
        return _sendable(db.deferred(), scan_limit)
    except DatabaseUnavailable:
        return _sendable(db.uow(), scan_limit)


def _sendable(unit: UnitOfWork, scan_limit: int) -> bool:
    with unit as uow:
        planner = BatchPlanner(uow.session, Limits(max_requests=1), dry_run=True, scan_limit=scan_limit)
        chosen = planner.plan()
        uow.rollback()
        return bool(chosen) or planner.to_settle or planner.stopped_at_limit
