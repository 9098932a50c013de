"""What the Web Connector side looks like right now, read from the database (GUI and CLI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from desktop_app.db.qbwc_models import WC_ACTIVE, WcSession
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from qbwc_server.sessions import get_binding


@dataclass(frozen=True)
class AlertLine:
    id: int
    record: str
    message: str


@dataclass(frozen=True)
class ConnectorStatus:
    company_name: str
    company_path: str
    file_id: str
    last_contact: datetime | None
    last_session_state: str
    last_error: str
    active_sessions: int
    queue: dict[str, int] = field(default_factory=dict)
    open_alerts: list[AlertLine] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_contact"] = self.last_contact.isoformat() if self.last_contact else None
        return data

    def as_text(self) -> str:
        bound = (
            f"{self.company_name} ({self.company_path})"
            if self.company_name or self.company_path
            else "not connected yet (the first successful sync connects it)"
        )
        lines = [
            f"QuickBooks company: {bound}",
            f"Last Web Connector contact: {self.last_contact:%Y-%m-%d %H:%M:%S} UTC"
            if self.last_contact
            else "Last Web Connector contact: never",
        ]
        if self.last_session_state:
            lines.append(f"Last session: {self.last_session_state}")
        if self.last_error:
            lines.append(f"Last message: {self.last_error}")
        queue = ", ".join(f"{state} {count}" for state, count in sorted(self.queue.items())) or "empty"
        lines.append(f"Queue: {queue}")
        lines.append(f"Open alerts: {len(self.open_alerts)}")
        lines += [f"  #{a.id} {a.record}: {a.message}" for a in self.open_alerts]
        return "\n".join(lines)


def connector_status(uow: UnitOfWork, *, alert_limit: int = 50) -> ConnectorStatus:
    binding = get_binding(uow)
    last = uow.session.scalars(select(WcSession).order_by(WcSession.last_seen_at.desc()).limit(1)).first()
    active = uow.session.scalar(
        select(func.count()).select_from(WcSession).where(WcSession.state == WC_ACTIVE)
    )
    queue = {
        state: count
        for state, count in uow.session.execute(select(SyncItem.state, func.count()).group_by(SyncItem.state))
    }
    alerts = [
        AlertLine(a.id, a.record_label or f"{a.entity_type} {a.entity_id or ''}".strip(), a.message)
        for a in uow.session.scalars(
            select(Alert).where(Alert.state == "open").order_by(Alert.id).limit(alert_limit)
        )
    ]
    return ConnectorStatus(
        company_name=binding.company_name,
        company_path=binding.company_path,
        file_id=binding.file_id,
        last_contact=last.last_seen_at if last else None,
        last_session_state=last.state if last else "",
        last_error=last.last_error if last else "",
        active_sessions=int(active or 0),
        queue=queue,
        open_alerts=alerts,
    )
