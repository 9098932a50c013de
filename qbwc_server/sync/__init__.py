"""The sync engine: a persistent queue that gets every record into QuickBooks exactly once.

It knows no SOAP. The Web Connector transport calls :class:`SyncEngine` once per Web
Connector step; everything it decides lives in the database, so a restart in the middle
of a session loses nothing and sends nothing twice.
"""

from qbwc_server.sync.engine import SyncEngine

__all__ = ["SyncEngine"]
