"""Two office users saving as fast as they can while a full sync runs (issue 18, "the office keeps working").

    python benchmarks/office_during_sync.py [--n 2000] [--writers 2] [--code DIR]

As on one office PC: the app's process holds the company (the default SQLite file), its
embedded Web Connector server (``EmbeddedServer``, waitress) and the people working; the
Web Connector and QuickBooks are another process (here the Web Connector stand-in and the
QuickBooks simulator, driving the server over HTTP on 127.0.0.1). The company is
benchmarks/peer_bench.py's: the "Sales" item, ``n`` customers and ``n`` invoices, all
queued, 50 requests per message.

While the session runs, ``--writers`` threads each save in a loop through the services,
each save its own unit of work as a dialog's Save does: a new customer, then a change
to the phone number of the one it made before (which queues it for QuickBooks as well).
Printed: actions, failures (any exception), save latency p50 / p99 / max (from opening
the unit of work to its commit), the sync's wall time, and checks — every answer
persisted, every record in QuickBooks exactly once, every save still there.

``--code DIR`` imports JobDesk from another checkout (e.g. ``git archive`` of an older
commit) to compare before and after with this same script. Targets: p99 < 300 ms, max < 1 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else HERE.parent
# peer_bench (which builds the company) comes from the same checkout as the code measured.
sys.path.insert(0, str(_CODE / "benchmarks"))
sys.path.insert(0, str(_CODE))

import argparse  # noqa: E402
import logging  # noqa: E402
import multiprocessing  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

warnings.simplefilter("ignore")


def _web_connector(url: str, user: str, password: str, n: int, answer: Any) -> None:
    """The other process: the Web Connector stand-in and QuickBooks, one full session."""
    sys.path.insert(0, str(_CODE))
    from qbwc_server.simulator import QuickBooksCompany
    from qbwc_server.simulator.webconnector import WebConnector

    company = QuickBooksCompany()
    connector = WebConnector(
        url, user, password, company, company_file=company.file_path, max_round_trips=20 * n + 100
    )
    start = time.perf_counter()
    report = connector.run_session()
    answer.send(
        {
            "outcome": report.outcome,
            "round_trips": report.round_trips,
            "seconds": time.perf_counter() - start,
            "customers": [company.full_name(c) for c in company.customers],
            "invoices": [i.ref_number for i in company.invoices],
        }
    )


@dataclass
class Writer:
    """One office user: saves in a loop until told to stop."""

    number: int
    db: Any
    stop: threading.Event
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    saved: dict[int, str] = field(default_factory=dict)  # customer id -> phone last saved

    def run(self) -> None:
        from desktop_app.services import customers

        k = 0
        last: tuple[int, int, customers.CustomerFields] | None = None
        while not self.stop.is_set():
            k += 1
            start = time.perf_counter()
            try:
                with self.db.uow() as uow:
                    if last is None:
                        fields = customers.CustomerFields(
                            display_name=f"Office {self.number}-{k}", first_name="Pat", last_name=f"W{k}"
                        )
                        detail = customers.create_customer(uow, fields)
                    else:
                        customer_id, version, fields = last
                        fields = customers.CustomerFields(
                            **{**fields.__dict__, "mobile_phone": f"916-555-{k % 10_000:04d}"}
                        )
                        detail = customers.update_customer(uow, customer_id, version, fields)
                    uow.commit()
                self.latencies.append(time.perf_counter() - start)
                self.saved[detail.id] = fields.mobile_phone
                last = None if last is not None else (detail.id, detail.version, fields)
            except Exception as error:  # counted and reported: a save that failed is a finding
                self.latencies.append(time.perf_counter() - start)
                self.failures.append(f"{type(error).__name__}: {error}")
                last = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="customers, and invoices (default 2000)")
    parser.add_argument("--writers", type=int, default=2, help="office users saving (default 2)")
    parser.add_argument("--code", default="", help="import JobDesk from this checkout instead")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    from peer_bench import build_jobdesk_company
    from peer_servers import PASSWORD, USER
    from sqlalchemy import select

    from desktop_app.db.models import Customer, QbLink
    from desktop_app.db.open import open_database
    from desktop_app.runtime import settle_after_start
    from qbwc_server.server import EmbeddedServer

    print(f"JobDesk from {_CODE}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "company.sqlite"
        queued = build_jobdesk_company(path, args.n, 50)
        db = open_database(f"sqlite:///{path}")
        server = EmbeddedServer(db, "localhost", 0)
        status = server.start()
        settle_after_start()
        stop = threading.Event()
        writers = [Writer(k + 1, db, stop) for k in range(args.writers)]
        threads = [threading.Thread(target=w.run, name=f"office-{w.number}") for w in writers]
        mine, theirs = multiprocessing.Pipe()
        connector = multiprocessing.get_context("spawn").Process(
            target=_web_connector,
            args=(f"http://localhost:{status.port}/qbwc", USER, PASSWORD, args.n, theirs),
        )
        print(f"{queued:,} records queued; {args.writers} office users saving while the Web Connector syncs")
        connector.start()
        for thread in threads:
            thread.start()
        while not mine.poll(1.0):
            if not connector.is_alive():
                stop.set()
                raise SystemExit("the Web Connector's process ended without a report")
        session = mine.recv()
        stop.set()
        for thread in threads:
            thread.join()
        connector.join()
        server.stop()

        latencies = [s for w in writers for s in w.latencies]
        failures = [f for w in writers for f in w.failures]
        print(
            f"sync: {session['outcome']}, {session['round_trips']} round trips in {session['seconds']:.1f} s "
            f"(with the office saving)"
        )
        ms = [1000 * s for s in latencies]
        print(
            f"office: {len(latencies):,} saves, {len(failures)} failures; save latency "
            f"p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms "
            f"(targets: p99 < 300 ms, max < 1,000 ms)"
        )
        for text, count in Counter(failures).most_common(3):
            print(f"  failure x{count}: {text}")

        problems = []
        if session["outcome"] != "done":
            problems.append(f"the session ended {session['outcome']!r}")
        names = Counter(session["customers"])
        twice = [name for name, count in names.items() if count > 1]
        if twice:
            problems.append(f"{len(twice)} customers are in QuickBooks more than once, e.g. {twice[0]}")
        if len(session["invoices"]) != args.n or len(set(session["invoices"])) != args.n:
            problems.append(f"QuickBooks holds {len(session['invoices'])} invoices, not {args.n} once each")
        with db.reader() as uow:
            phones = dict(uow.session.execute(select(Customer.id, Customer.mobile_phone)).tuples().all())
            links = uow.session.scalar(select(QbLink.id).where(QbLink.entity_type == "invoice").limit(1))
            linked = len(list(uow.session.scalars(select(QbLink.id))))
        lost = [cid for w in writers for cid, phone in w.saved.items() if phones.get(cid) != phone]
        if lost:
            problems.append(f"{len(lost)} saves are not in the database as saved")
        if links is None or linked < 2 * args.n + 1:
            problems.append(f"only {linked} QuickBooks links persisted (at least {2 * args.n + 1} expected)")
        print(
            "checks: "
            + ("; ".join(problems) if problems else "every save kept, every record in QuickBooks once")
        )
        db.dispose()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
