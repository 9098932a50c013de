"""The servers benchmarks/peer_bench.py compares, each run as a process of its own.

    python benchmarks/peer_servers.py floor|qbwc-kit|jobdesk --n N --per-message M [...]

The child prints ``PORT <port>`` once it listens on 127.0.0.1, serves until a line
arrives on stdin, then prints ``STATS <json>`` (peak memory, time spent inside the WSGI
application, what it persisted) and exits. Only what a server needs is imported, so a
server's memory is its own: the floor and qbwc-kit never load JobDesk.

The work is the same for every server: the generic "Sales" service item, then ``n``
customers, then ``n`` invoices (one per customer, two lines each), in messages of
``per_message`` requests. ``work(n)`` makes it; the JobDesk company is written from it
by peer_bench.py, and the qbXML below has the fields JobDesk sends for those records
(the customer referred to by name rather than ListID, since the floor knows none).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

USER = "jobdesk"
PASSWORD = "benchmark password"
QBWC_KIT_VERSION = "0.1.3"
GENERIC_ITEM = "Sales"
INCOME_ACCOUNT = "Construction Income"
CENT = Decimal("0.01")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# -- the work ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.rate).quantize(CENT)


@dataclass(frozen=True)
class CustomerRecord:
    number: int
    name: str
    first_name: str
    last_name: str
    street: str
    phone: str
    email: str


@dataclass(frozen=True)
class InvoiceRecord:
    number: str
    customer: CustomerRecord
    invoice_date: date
    lines: tuple[Line, Line]

    @property
    def due_date(self) -> date:
        return self.invoice_date + timedelta(days=30)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def work(n: int) -> tuple[list[CustomerRecord], list[InvoiceRecord]]:
    """``n`` customers and one invoice each; the same ``n`` always gives the same records."""
    customers = [
        CustomerRecord(
            number=i,
            name=f"Customer {i:06d}",
            first_name="Pat",
            last_name=f"Buyer{i}",
            street=f"{i} Main St",
            phone="916-555-0100",
            email=f"c{i}@example.com",
        )
        for i in range(1, n + 1)
    ]
    invoices = [
        InvoiceRecord(
            number=str(100_000 + c.number),
            customer=c,
            invoice_date=date(2026, 1, 1) + timedelta(days=c.number % 300),
            lines=(
                Line("Labor", Decimal(1 + c.number % 8), Decimal("85.00")),
                Line("Materials", Decimal(1), Decimal(10 + c.number % 490)),
            ),
        )
        for c in customers
    ]
    return customers, invoices


def item_fields() -> dict[str, Any]:
    return {
        "Name": GENERIC_ITEM,
        "IsActive": "true",
        "SalesTaxCodeRef": {"FullName": "Non"},
        "SalesOrPurchase": {
            "Desc": "Sales (lines without a price-book item)",
            "Price": "0",
            "AccountRef": {"FullName": INCOME_ACCOUNT},
        },
    }


def customer_fields(c: CustomerRecord) -> dict[str, Any]:
    return {
        "Name": c.name,
        "IsActive": "true",
        "FirstName": c.first_name,
        "LastName": c.last_name,
        "BillAddress": {"Addr1": c.street, "City": "Sacramento", "State": "CA", "PostalCode": "95814"},
        "Email": c.email,
        "AdditionalContactRef": {"ContactName": "Mobile", "ContactValue": c.phone},
        "SalesTaxCodeRef": {"FullName": "Tax"},
    }


def invoice_fields(inv: InvoiceRecord) -> dict[str, Any]:
    return {
        "CustomerRef": {"FullName": inv.customer.name},
        "TxnDate": inv.invoice_date.isoformat(),
        "RefNumber": inv.number,
        "DueDate": inv.due_date.isoformat(),
        "IsToBePrinted": "false",
        "InvoiceLineAdd": [
            {
                "ItemRef": {"FullName": GENERIC_ITEM},
                "Desc": line.description,
                "Amount": str(line.amount),
                "SalesTaxCodeRef": {"FullName": "Non"},
            }
            for line in inv.lines
        ],
    }


def adds(n: int) -> list[tuple[str, dict[str, Any]]]:
    """Every add request of the work, in order: (entity, fields)."""
    customers, invoices = work(n)
    return (
        [("ItemService", item_fields())]
        + [("Customer", customer_fields(c)) for c in customers]
        + [("Invoice", invoice_fields(i)) for i in invoices]
    )


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- (a) the floor: precomputed answers, nothing persisted -------------------------------------------


def _xml(fields: dict[str, Any] | list[Any] | str, name: str = "") -> str:
    if isinstance(fields, dict):
        inner = "".join(_xml(value, key) for key, value in fields.items())
        return f"<{name}>{inner}</{name}>" if name else inner
    if isinstance(fields, list):
        return "".join(_xml(value, name) for value in fields)
    return f"<{name}>{escape(fields)}</{name}>"


def _message(requests: list[tuple[str, dict[str, Any]]], first_id: int) -> str:
    body = "".join(
        f'<{entity}AddRq requestID="{first_id + k}">{_xml(fields, entity + "Add")}</{entity}AddRq>'
        for k, (entity, fields) in enumerate(requests)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="continueOnError">{body}</QBXMLMsgsRq></QBXML>'
    )


def _envelope(method: str, inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{method}Response xmlns="http://developer.intuit.com/">'
        f"<{method}Result>{inner}</{method}Result></{method}Response></soap:Body></soap:Envelope>"
    ).encode()


class FloorApp:
    """The least a Web Connector server can do: hand out precomputed messages, read nothing back."""

    def __init__(self, n: int, per_message: int) -> None:
        work_items = adds(n)
        messages = [
            _message(batch, 1 + k * per_message) for k, batch in enumerate(chunks(work_items, per_message))
        ]
        self.requests = [_envelope("sendRequestXML", escape(m)) for m in messages]
        self.percents = [
            _envelope("receiveResponseXML", str(min(100, (k + 1) * 100 // len(messages))))
            for k in range(len(messages))
        ]
        self.no_more = _envelope("sendRequestXML", "")
        self.fixed = {
            b"clientVersion": _envelope("clientVersion", ""),
            b"authenticate": _envelope("authenticate", "<string>floor-ticket</string><string></string>"),
            b"getLastError": _envelope("getLastError", ""),
            b"closeConnection": _envelope("closeConnection", "OK"),
        }
        self.sent = self.received = 0
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start = body.find(b"<soap:Body><") + len(b"<soap:Body><")
        method = body[start : body.find(b" ", start)]
        with self.lock:
            if method == b"sendRequestXML":
                reply = self.requests[self.sent] if self.sent < len(self.requests) else self.no_more
                self.sent += 1
            elif method == b"receiveResponseXML":
                reply = self.percents[min(self.received, len(self.percents) - 1)]
                self.received += 1
            else:
                reply = self.fixed[method]
        start_response(
            "200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(reply)))]
        )
        return [reply]

    def stats(self) -> dict[str, Any]:
        return {"persisted": 0, "messages": len(self.requests)}


# -- (b) qbwc-kit: its service, tasks and a SQLite store of the answers ----------------------------------


class KitStore:
    """What qbwc-kit's docs show a task doing with answers (``save(page.records)``): rows in SQLite."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        # The same journal settings as JobDesk's SQLite company, so the engines are compared.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS qb_records (kind TEXT, key TEXT, qb_id TEXT, edit_sequence TEXT,"
            " time_modified TEXT, record TEXT, PRIMARY KEY (kind, key))"
        )

    def save(self, response: Any) -> None:
        rows = []
        kind = response.entity  # CustomerAddRs -> Customer; each record is its *Ret's fields
        for ret in response.records:
            key = ret.get("Name") or ret.get("RefNumber") or ""
            qb_id = ret.get("ListID") or ret.get("TxnID") or ""
            rows.append(
                (kind, key, qb_id, ret.get("EditSequence", ""), ret.get("TimeModified", ""), json.dumps(ret))
            )
        self.db.executemany("INSERT OR REPLACE INTO qb_records VALUES (?, ?, ?, ?, ?, ?)", rows)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM qb_records").fetchone()[0])


def kit_app(n: int, per_message: int, store_path: str) -> tuple[WsgiApp, Callable[[], dict[str, Any]]]:
    from qbwc_kit import QBWCService, QBXMLRequest, StaticAuthenticator, qbxml
    from qbwc_kit.qbxml import OnError

    store = KitStore(store_path)

    class PushAdds:
        """One task, one ``yield`` per message: the loop qbwc-kit's README is built around."""

        name = "push"

        def run(self, ctx: Any) -> Iterator[Any]:
            for k, batch in enumerate(chunks(adds(n), per_message)):
                requests = [
                    qbxml.add(entity, fields, request_id=str(1 + k * per_message + i))
                    for i, (entity, fields) in enumerate(batch)
                ]
                result = yield QBXMLRequest(requests, on_error=OnError.CONTINUE)
                with store.db:  # one transaction per message
                    for response in result:
                        store.save(response.raise_for_status())

    service = QBWCService(authenticator=StaticAuthenticator(USER, PASSWORD, [PushAdds()]))

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # The README: "the service itself is just dispatch(soap_body) -> soap_body, so it drops
        # into Flask, Django or bare WSGI unchanged."
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        reply = service.dispatch(body).encode("utf-8")
        start_response(
            "200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(reply)))]
        )
        return [reply]

    return app, lambda: {"persisted": store.count()}


# -- measuring inside the process ------------------------------------------------------------------------


class Measured:
    """Time (and, with a profiler, profile) every call of the WSGI app; the Web Connector calls
    one at a time, so one profiler can be switched on in whichever worker thread serves it."""

    def __init__(self, app: WsgiApp, profile: bool) -> None:
        self.app = app
        self.seconds = 0.0
        self.calls = 0
        self.profiler: Any = None
        if profile:
            import cProfile

            self.profiler = cProfile.Profile()
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self.lock:
            if self.profiler is not None:
                self.profiler.enable()
            start = time.perf_counter()
            try:
                return list(self.app(environ, start_response))
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
                if self.profiler is not None:
                    self.profiler.disable()


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process. Not ru_maxrss: on Linux that keeps the
    high-water mark of the benchmark's image the child was forked from, across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _waitress(app: WsgiApp) -> tuple[Any, int]:
    """waitress with JobDesk's own settings (qbwc_server.server._WaitressRunner)."""
    from waitress.server import create_server

    server = create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=4,
        max_request_body_size=50 * 1024 * 1024 + 64 * 1024,
        ident="JobDesk",
        clear_untrusted_proxy_headers=True,
        channel_timeout=300,
    )
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return server, int(server.effective_port)


def _serve_jobdesk(
    args: argparse.Namespace, profile: bool
) -> tuple[Measured, int, Callable[[], dict[str, Any]]]:
    from sqlalchemy import text

    from desktop_app.db.open import open_database
    from desktop_app.runtime import settle_after_start
    from qbwc_server.server import EmbeddedServer, make_app
    from qbwc_server.sync.engine import SyncEngine

    db = open_database(f"sqlite:///{args.db}")
    # As the server runs it, unless --in-turn: each message planned only when asked for.
    inner = make_app(db, SyncEngine(db, plan_ahead=not args.in_turn))
    app = Measured(inner, profile)
    server = EmbeddedServer(db, "localhost", 0, app=app)
    if inner.sessions is not None:
        inner.sessions.abandon_active()  # what start() does for its own app
    status = server.start()
    settle_after_start()  # as `python -m qbwc_server serve` does once listening

    def stats() -> dict[str, Any]:
        server.stop()
        with db.engine.connect() as connection:
            persisted = connection.execute(text("SELECT count(*) FROM qb_links")).scalar_one()
            states = dict(
                connection.execute(text("SELECT state, count(*) FROM sync_items GROUP BY state")).all()
            )
        db.dispose()
        return {"persisted": persisted, "queue": states}

    return app, status.port, stats


def main() -> int:
    parser = argparse.ArgumentParser(description="one server of benchmarks/peer_bench.py")
    parser.add_argument("kind", choices=("floor", "qbwc-kit", "jobdesk"))
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--per-message", type=int, required=True)
    parser.add_argument("--db", default="", help="JobDesk: the company database file")
    parser.add_argument("--store", default="", help="qbwc-kit: the SQLite file its answers go to")
    parser.add_argument("--profile", default="", help="write a cProfile .prof of the app's calls here")
    parser.add_argument(
        "--in-turn", action="store_true", help="JobDesk: plan each message only when asked (no look-ahead)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.kind == "jobdesk":
        app, port, stats = _serve_jobdesk(args, bool(args.profile))
    else:
        if args.kind == "floor":
            floor = FloorApp(args.n, args.per_message)
            inner, stats = floor, floor.stats
        else:
            inner, stats = kit_app(args.n, args.per_message, args.store)
        app = Measured(inner, bool(args.profile))
        _server, port = _waitress(app)
    start_rss = _memory_mb("VmRSS")
    cpu_before = time.process_time()
    print(f"PORT {port}", flush=True)
    sys.stdin.readline()  # the benchmark says when the session is over
    result = {
        # Every thread of the process: work planned ahead is counted here, not in app_seconds.
        "cpu_seconds": time.process_time() - cpu_before,
        "app_seconds": app.seconds,
        "calls": app.calls,
        "rss_at_start_mb": start_rss,
        "peak_mb": _memory_mb("VmHWM"),
        **stats(),
    }
    if app.profiler is not None:
        app.profiler.dump_stats(args.profile)
    print(f"STATS {json.dumps(result)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
