"""Connecting to an office's QuickBooks company: the import, and the preview of the first sync.

    python benchmarks/connection_bench.py [--customers 10000] [--numbers 20000] [--pending 10000]

* **import**: a QuickBooks company of ``--customers`` customers (a third with a job
  under them), vendors, items and ``--numbers`` invoices is imported into an empty JobDesk
  over the Web Connector protocol (loopback, the simulator in its own process, its time
  subtracted as in ``sync_bench``): wall time, the engine's share, round trips, peak memory.
  Target: peak memory under 150 MB.
* **preview**: ``--pending`` records waiting to go (customers, jobs, items, invoices,
  payments written in bulk) and the preview of what the sync will do, with and without
  the qbXML of each record. Target: under 5 s for 10,000.

Peak memory is the largest resident size this process reached *during* each part
(sampled), not the process's lifetime maximum, so the two parts do not colour each other.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.simplefilter("ignore")

from benchmarks.sync_bench import RemoteCompany  # noqa: E402
from desktop_app.db.open import open_database  # noqa: E402
from desktop_app.db.uow import Database  # noqa: E402
from desktop_app.demo.bulk import BulkSize, generate_bulk  # noqa: E402
from desktop_app.runtime import settle_after_start  # noqa: E402
from desktop_app.services import connection, settings, sync_queue  # noqa: E402
from qbwc_server.simulator import OfficeSize, QuickBooksCompany, seed_office  # noqa: E402
from qbwc_server.sync import SyncEngine  # noqa: E402
from qbwc_server.sync.loopback import run_session  # noqa: E402
from qbwc_server.sync.preview import build_preview  # noqa: E402

T = TypeVar("T")


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 1024 / 1024


class PeakSampler:
    """The largest resident size while a part runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def timed(label: str, work: Callable[[], T]) -> tuple[T, float, float]:
    gc.collect()
    with PeakSampler() as sampler:
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s, peak memory {sampler.peak:.0f} MB")
    return result, seconds, sampler.peak


def _seed_office(company: QuickBooksCompany, customers: int, numbers: int) -> None:
    size = OfficeSize.benchmark()
    seed_office(company, size=replace(size, customers=customers, jobs=customers * 3 // 5, invoices=numbers))


def bench_import(folder: Path, customers: int, numbers: int) -> None:
    db = open_database(f"sqlite:///{folder / 'import.sqlite'}")
    company = RemoteCompany(setup=partial(_seed_office, customers=customers, numbers=numbers))
    with db.uow() as uow:
        settings.set_setting(uow, "qbwc.bound_company_name", "Benchmark Construction")
        connection.start_connection(uow)
        connection.start_import(uow)
        uow.commit()
    engine = SyncEngine(db)
    settle_after_start()
    report, seconds, peak = timed(
        f"import of {customers:,} customers and {numbers:,} invoice numbers",
        lambda: run_session(engine, company),
    )
    company.close()
    with db.reader() as uow:
        progress = connection.import_progress(uow)
    print(f"  read: {progress.counts_text()}")
    print(
        f"  {report.round_trips:,} round trips; simulator {company.seconds:.1f} s, "
        f"engine {seconds - company.seconds:.1f} s; peak {peak:.0f} MB (target < 150 MB)"
    )
    db.dispose()


def _pending_company(db: Database, pending: int) -> int:
    # send_everything_pending queues the invoices, payments and what they need; sized so
    # that about ``pending`` records wait.
    size = BulkSize(
        customers=pending // 8,
        jobs=pending // 4,
        items=100,
        invoices=pending * 3 // 4,
        payments=pending // 8,
    )
    generate_bulk(db, size)
    with db.uow() as uow:
        queued = sync_queue.send_everything_pending(uow)
        uow.commit()
    return queued


def bench_preview(folder: Path, pending: int) -> None:
    db = open_database(f"sqlite:///{folder / 'preview.sqlite'}")
    queued = _pending_company(db, pending)
    print(f"preview: {queued:,} records queued")
    preview, seconds, _ = timed("  preview with the qbXML of each record", lambda: build_preview(db))
    totals = ", ".join(f"{o} {preview.total(o):,}" for o in ("link", "create", "update", "skip", "conflict"))
    print(f"  {len(preview.rows):,} rows: {totals}")
    timed("  preview without the qbXML", lambda: build_preview(db, with_xml=False))
    per_10k = seconds * 10_000 / max(1, len(preview.rows))
    print(f"  = {per_10k:.2f} s per 10,000 records (target: under 5 s)")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--numbers", type=int, default=20_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--only", choices=("import", "preview"), default=None)
    args = parser.parse_args()
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.only in (None, "preview"):
            bench_preview(folder, args.pending)
        if args.only in (None, "import"):
            bench_import(folder, args.customers, args.numbers)


if __name__ == "__main__":
    main()
