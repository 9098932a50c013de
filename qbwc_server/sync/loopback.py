"""Running a whole sync session in-process against a QuickBooks company simulator.

Used by the engine's tests, the sync benchmark, the demo's "Sync now" and the self-test:
the same calls the Web Connector makes, minus HTTP and SOAP.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from qbwc_server.sync.engine import SyncEngine


class Company(Protocol):
    def process(self, request_xml: str) -> str: ...


@dataclass(frozen=True)
class LoopbackReport:
    round_trips: int
    requests: int
    percent: int
    #: True when the session ended because an answer was lost on the way back.
    broken: bool = False


def run_session(
    engine: SyncEngine, company: Company, *, ticket: str | None = None, max_round_trips: int = 100_000
) -> LoopbackReport:
    """One Web Connector session: batches until the engine says 100 % (or an answer is lost)."""
    from qbwc_server.simulator import ResponseLostError

    if not engine.has_work():
        # What authenticate answers "none" to: the Web Connector does not even start.
        return LoopbackReport(0, 0, 100)
    ticket = ticket or secrets.token_hex(16)
    engine.start_session(ticket)
    round_trips = requests = 0
    percent = 0
    try:
        while round_trips < max_round_trips:
            message = engine.next_request(ticket)
            if not message:
                percent = 100
                break
            round_trips += 1
            requests += message.count('requestID="')
            try:
                response = company.process(message)
            except ResponseLostError:
                return LoopbackReport(round_trips, requests, percent, broken=True)
            except Exception as error:
                # The request processor refused the whole message: what the Web Connector
                # reports as an hresult in receiveResponseXML.
                hresult = str(getattr(error, "hresult", "0x80040400"))
                if not engine.fail_batch(ticket, hresult, str(error)):
                    return LoopbackReport(round_trips, requests, -1, broken=True)
                percent = engine.progress(ticket)
                continue
            percent = engine.apply_response(ticket, response)
            if percent >= 100:
                break
    finally:
        engine.end_session(ticket)
    return LoopbackReport(round_trips, requests, percent)
