"""Transport overhead: full Web Connector sessions over HTTP next to the same session in-process.

    python benchmarks/qbwc_bench.py [--scale 2] [--batch-bytes 50000]

Both runs start from an identical, freshly generated company with everything queued and
sync into an empty QuickBooks simulator with batches of about ``--batch-bytes`` (50 KB by
default). The HTTP run goes server (waitress + spyne) ← Web Connector simulator (urllib)
→ QuickBooks simulator; the in-process run calls the engine directly
(``qbwc_server.sync.loopback``). The difference is the cost of SOAP + HTTP + sessions.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

warnings.simplefilter("ignore")

from desktop_app.db.open import open_database  # noqa: E402
from desktop_app.db.uow import Database  # noqa: E402
from desktop_app.demo.generator import CompanySize, generate_company  # noqa: E402
from desktop_app.domain.passwords import hash_password  # noqa: E402
from desktop_app.services.settings import set_setting  # noqa: E402
from desktop_app.services.sync_queue import send_everything_pending  # noqa: E402
from qbwc_server.server import EmbeddedServer  # noqa: E402
from qbwc_server.simulator import QuickBooksCompany  # noqa: E402
from qbwc_server.simulator.webconnector import WebConnector  # noqa: E402
from qbwc_server.sync.engine import SyncEngine  # noqa: E402
from qbwc_server.sync.loopback import run_session  # noqa: E402

PASSWORD = "benchmark password"


def prepare(folder: Path, name: str, scale: int, batch_bytes: int) -> tuple[Database, int]:
    db = open_database(f"sqlite:///{folder / name}.sqlite")
    generate_company(db, CompanySize().scaled(scale), seed=7)
    with db.uow() as uow:
        set_setting(uow, "qbwc.password_hash", hash_password(PASSWORD))
        set_setting(uow, "sync.batch_max_bytes", batch_bytes)
        set_setting(uow, "sync.batch_max_requests", 500)
        queued = send_everything_pending(uow)
        uow.commit()
    return db, queued


def over_http(db: Database) -> tuple[int, int, float, int]:
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(db, "localhost", 0) as server:
        connector = WebConnector(
            server.url, "jobdesk", PASSWORD, quickbooks, company_file=quickbooks.file_path
        )
        report = connector.run_session()
    if report.outcome != "done":
        raise SystemExit(f"HTTP session did not finish:\n{report.summary()}")
    requests = sum(r.count('requestID="') for r in report.requests)
    return report.round_trips, requests, report.seconds, report.bytes_sent + report.bytes_received


def in_process(db: Database) -> tuple[int, int, float]:
    quickbooks = QuickBooksCompany()
    started = time.perf_counter()
    report = run_session(SyncEngine(db), quickbooks)
    return report.round_trips, report.requests, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=2, help="company size multiplier (default 2)")
    parser.add_argument("--batch-bytes", type=int, default=50_000, help="batch size in bytes (default 50 KB)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        http_db, queued = prepare(folder, "http", args.scale, args.batch_bytes)
        local_db, _ = prepare(folder, "local", args.scale, args.batch_bytes)
        h_trips, h_requests, h_seconds, h_bytes = over_http(http_db)
        l_trips, l_requests, l_seconds = in_process(local_db)
        http_db.dispose()
        local_db.dispose()
    print(f"company scale {args.scale}: {queued} records queued, batches of ~{args.batch_bytes:,} bytes")
    print(f"{'':14}{'round trips':>12}{'requests':>10}{'seconds':>9}{'trips/s':>9}{'requests/s':>12}")
    for label, trips, requests, seconds in (
        ("HTTP + SOAP", h_trips, h_requests, h_seconds),
        ("in-process", l_trips, l_requests, l_seconds),
    ):
        rates = f"{trips / seconds:>9.1f}{requests / seconds:>12.1f}"
        print(f"{label:14}{trips:>12}{requests:>10}{seconds:>9.2f}{rates}")
    overhead = (h_seconds - l_seconds) / max(1, h_trips)
    print(f"transport overhead: {overhead * 1000:.1f} ms per round trip; {h_bytes:,} bytes on the wire")
    return 0


if __name__ == "__main__":
    sys.exit(main())
