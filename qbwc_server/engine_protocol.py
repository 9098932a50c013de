"""What the Web Connector's session layer (``sessions``) needs from the sync engine
(``qbwc_server.sync.engine``): the engine knows no SOAP, the session layer no queue.

The session layer's own bookkeeping (the session's row) is handed to the engine as
``also``: the engine writes it in its own transactions, so a callback writes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from desktop_app.db.uow import UnitOfWork


class Engine(Protocol):
    """What the session layer needs from the sync engine (``qbwc_server.sync.engine``)."""

    def has_work(self) -> bool: ...
    def start_session(self, ticket: str) -> None: ...
    def next_request(
        self, ticket: str, qbxml_version: str = "13.0", *, also: Callable[[UnitOfWork], None] | None = None
    ) -> str:
        """The next message; ``also`` is written in a transaction of the engine's (now, or
        soon on a thread of its own) whenever a message is handed out."""
        ...

    def apply_response(
        self,
        ticket: str,
        response_xml: str,
        *,
        late: bool = False,
        also: Callable[[UnitOfWork, int], None] | None = None,
    ) -> int:
        """Progress 0..100; ``also`` (given that figure) is written with the answer, in a
        transaction of the engine's (now, or soon), unless the answer cannot be applied."""
        ...

    def fail_batch(self, ticket: str, hresult: str, message: str) -> bool: ...
    def progress(self, ticket: str) -> int: ...
    def end_session(self, ticket: str) -> None: ...
    def close(self) -> None: ...
