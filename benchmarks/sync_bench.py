"""Sync engine overhead: build + apply per request, excluding the QuickBooks simulator.

    python benchmarks/sync_bench.py [--invoices 10000]

A company of 10,000 invoices with their customers, jobs, items and payments (written in
bulk, see desktop_app.demo.bulk) is queued and synced into an empty QuickBooks simulator
in-process. The time spent inside the simulator is measured and subtracted, so the
figure is the engine's own work per request. Targets: under 1 ms per request on one
core, peak memory under 300 MB (peak RSS of the whole process, simulator included).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")

from desktop_app.db.open import open_database  # noqa: E402
from desktop_app.demo.bulk import BulkSize, generate_bulk  # noqa: E402
from desktop_app.services import settings, sync_queue  # noqa: E402
from qbwc_server.simulator import QuickBooksCompany  # noqa: E402
from qbwc_server.sync import SyncEngine  # noqa: E402
from qbwc_server.sync.loopback import run_session  # noqa: E402


class TimedCompany:
    """The simulator, with the time it spends answering counted apart."""

    def __init__(self) -> None:
        self.company = QuickBooksCompany()
        self.seconds = 0.0

    def process(self, request_xml: str) -> str:
        start = time.perf_counter()
        try:
            return self.company.process(request_xml)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="requests per batch")
    args = parser.parse_args()
    size = BulkSize(
        customers=args.invoices // 5,
        jobs=args.invoices // 2,
        items=100,
        invoices=args.invoices,
        payments=args.invoices * 4 // 5,
    )
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        start = time.perf_counter()
        counts = generate_bulk(db, size)
        with db.uow() as uow:
            settings.set_setting(uow, "sync.batch_max_requests", args.batch)
            settings.set_setting(uow, "sync.batch_max_bytes", 5_000_000)
            queued = sync_queue.send_everything_pending(uow)
            uow.commit()
        print(f"company: {counts}; {queued:,} records queued in {time.perf_counter() - start:.1f} s")
        company = TimedCompany()
        engine = SyncEngine(db)
        start = time.perf_counter()
        report = run_session(engine, company)
        total = time.perf_counter() - start
        engine_seconds = total - company.seconds
        print(
            f"session: {report.round_trips:,} round trips, {report.requests:,} requests, {total:.1f} s in all"
        )
        print(f"simulator (QuickBooks stand-in): {company.seconds:.1f} s")
        print(
            f"engine (build + apply): {engine_seconds:.1f} s = "
            f"{1000 * engine_seconds / report.requests:.2f} ms "
            f"per request, {report.requests / engine_seconds:,.0f} requests/s"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (RSS, whole process incl. simulator): {peak:.0f} MB")
        print("targets: < 1 ms per request, < 300 MB peak")
        db.dispose()


if __name__ == "__main__":
    main()
