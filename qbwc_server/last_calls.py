"""When each live Web Connector session last called this server (``sessions``).

A ticket stays valid ``ticket_minutes`` after the Web Connector's last call. The session's
row says so (``expires_at``), but the row is written with the engine's work: while an
answer is held (``sync.ahead``) it is a call behind. This server's own memory of the last
call fills that gap; the row still decides for sessions this server has not seen.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class LastCalls:
    def __init__(self, valid_for: timedelta) -> None:
        self.valid_for = valid_for
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def seen(self, ticket: str, now: datetime) -> None:
        """A call on a live ticket (one that has not expired) came now."""
        with self._lock:
            self._seen[ticket] = now
            # Forget tickets past their time: they can only expire (one live session at a time).
            for old in [t for t, at in self._seen.items() if at + self.valid_for < now]:
                del self._seen[old]

    def expired(self, ticket: str, expires_at: datetime, now: datetime) -> bool:
        """Past its time, counted from the later of the row's last touch and the last call."""
        if expires_at >= now:
            return False
        with self._lock:
            last = self._seen.get(ticket)
        return last is None or last + self.valid_for < now
