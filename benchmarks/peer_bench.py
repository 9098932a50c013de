"""JobDesk's Web Connector server next to a peer and a floor, on the same work (issue 18, Speed).

    python benchmarks/peer_bench.py [--n 2000] [--per-message 50] [--rounds 3] [--profile jobdesk.prof]

The work: the generic "Sales" item, ``n`` customers and ``n`` invoices (two lines each),
added to an empty QuickBooks simulator (``qbwc_server.simulator.QuickBooksCompany``) in
messages of ``--per-message`` requests. Three servers do it, one after the other, each
in a process of its own behind the same HTTP server (waitress, JobDesk's settings) on
127.0.0.1, driven from this process by the same Web Connector stand-in
(``qbwc_server.simulator.webconnector.WebConnector``) over HTTP:

(a) floor — a minimal WSGI Web Connector server handing out precomputed messages and
    persisting nothing: what HTTP, SOAP on the client's side and the simulator's
    hand-over cost;
(b) qbwc-kit (PyPI, pinned in the ``bench`` extra) — its ``QBWCService`` behind bare WSGI
    (as its README says it mounts), one generator task yielding each message built with
    its qbXML builders, every answer checked (``raise_for_status``) and saved to SQLite,
    one transaction per message;
(c) JobDesk — ``qbwc_server``'s server (spyne, sessions, the sync engine) over a fresh
    SQLite company holding the same customers and invoices, everything queued, as
    ``python -m qbwc_server serve`` runs it. It sends its own requests: the invoice numbers
    coming up are looked up in QuickBooks (``InvoiceQuery``, one request for a message's worth,
    riding in the message before), so a few more requests and round trips.
    It runs twice on copies of the company: first "in turn" (each message planned only when
    the Web Connector asks for it, as before issue 18's look-ahead), then as the server
    runs, planning the next message while the simulator answers the last and applying
    each answer while the simulator works on the message after it
    (``qbwc_server.sync.ahead``): the ratio between the two is printed too.

Printed per server: server-side seconds (the session's wall time minus the simulator's,
which runs in this process and is timed apart; what is left is the server plus HTTP and
the stand-in's SOAP work, the same for all three), requests per server-second, records
(the same 2n + 1 for all) per server-second, round trips per second, time inside the WSGI
app, the CPU time of the server's whole process (every thread: what is planned ahead
shows here, not in the app's time), peak memory (RSS) of the server's process, and the
ratios. The ratio that compares like with like is on records per second (time to do the
same work); requests per second counts JobDesk's extra lookups as work done. Then, per
server, the server time by kind of message (customers, invoices): where a phase is bound by
the server's own work rather than by QuickBooks' (JobDesk's customer messages: planning the
next one takes longer than QuickBooks takes to answer this one).

The servers run one after the other, so a machine that changes speed meanwhile (another
program, a throttled CPU, a busy neighbour on a shared host) skews the ratios. So they run in
``--rounds`` rounds (default 3), each round the floor, qbwc-kit and JobDesk in turn, each on
a fresh copy of its work (JobDesk "in turn" only in the first: it is there for its ratio to
JobDesk, not a target), and the table shows each server's fastest run: the one least
disturbed, as ``timeit`` reports the best of its repeats. Every round's ratios are printed
too, so a slowed-down round shows rather than hides. The simulator does the same work in
every run, so its time a request is the check: when it differs by more than
``SPEED_CHANGE`` between the two runs a ratio compares, a warning says that ratio is not to
be trusted. Peak memory is JobDesk's highest in any round.

Each run checks its outcome: the session ends "done", the simulator holds n customers and
n invoices, and the server persisted an answer per record (qbwc-kit's rows, JobDesk's
QuickBooks links); otherwise the benchmark stops with the reason.

``--profile FILE`` runs cProfile inside the JobDesk server's process around each call of
its WSGI app (everything JobDesk does per callback, not waitress' HTTP parsing), writes
FILE and prints the top 25 entries by cumulative time. The profiler slows that run down:
its timings are not comparable to the others.
"""

from __future__ import annotations

import argparse
import json
import logging
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
warnings.simplefilter("ignore")

from peer_servers import (  # noqa: E402
    INCOME_ACCOUNT,
    PASSWORD,
    QBWC_KIT_VERSION,
    USER,
    work,
)

from qbwc_server.simulator import QuickBooksCompany  # noqa: E402
from qbwc_server.simulator.webconnector import WebConnector  # noqa: E402

SERVER_START_TIMEOUT = 300.0  # JobDesk opens (and migrates) its database first
SERVER_STOP_TIMEOUT = 120.0
_REQUEST = re.compile(r"<(\w+)Rq\b")


class TimedCompany:
    """The simulator, with the time it spends answering counted apart (and, per message, when
    it was handed the message, how long it took and what the message was mostly about)."""

    def __init__(self) -> None:
        self.company = QuickBooksCompany()
        self.seconds = 0.0
        self.messages: list[tuple[float, float, str]] = []

    def process(self, request_xml: str) -> str:
        start = time.perf_counter()
        try:
            return self.company.process(request_xml)
        finally:
            took = time.perf_counter() - start
            self.seconds += took
            self.messages.append((start, took, _about(request_xml)))

    def server_by_kind(self) -> dict[str, tuple[int, float]]:
        """Per kind of message: (round trips, server seconds), a round trip's server time being
        the time from one message handed to the simulator to the next, less the simulator's
        (the server's two callbacks, HTTP and the stand-in's SOAP in between). The last
        message has no next one: left out."""
        found: dict[str, tuple[int, float]] = {}
        for (start, took, about), (after, _took, _about) in pairwise(self.messages):
            trips, seconds = found.get(about, (0, 0.0))
            found[about] = (trips + 1, seconds + (after - start - took))
        return found


def _about(request_xml: str) -> str:
    """What a message is mostly about: invoices (adds or number lookups), customers, or else."""
    if "<InvoiceAddRq" in request_xml or "<InvoiceQueryRq" in request_xml:
        return "invoices"
    return "customers" if "<CustomerAddRq" in request_xml else "other"


@dataclass(frozen=True)
class Result:
    label: str
    round_trips: int
    requests: int
    session_seconds: float
    simulator_seconds: float
    stats: dict[str, Any]
    #: Per kind of message: round trips and server seconds (``TimedCompany.server_by_kind``).
    by_kind: dict[str, tuple[int, float]]

    @property
    def server_seconds(self) -> float:
        return self.session_seconds - self.simulator_seconds


# -- JobDesk's company -----------------------------------------------------------------------------------


def build_jobdesk_company(path: Path, n: int, per_message: int) -> int:
    """The work as JobDesk holds it: customers and invoices written as the services write them, queued."""
    from decimal import Decimal

    from sqlalchemy import insert, select

    from desktop_app.db.models import Account, Customer, Invoice, InvoiceLine, Setting
    from desktop_app.db.open import open_database
    from desktop_app.db.types import utcnow
    from desktop_app.services import settings, sync_queue

    try:  # issue 18 moves password hashing into the core
        from desktop_app.domain.passwords import hash_password
    except ImportError:
        from qbwc_server.passwords import hash_password  # type: ignore[no-redef]

    customers, invoices = work(n)
    db = open_database(f"sqlite:///{path}")
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    with db.uow() as uow:
        s = uow.session
        s.add(Account(name=INCOME_ACCOUNT, full_name=INCOME_ACCOUNT, account_type="Income"))
        s.flush()
        account_id = s.scalar(select(Account.id).where(Account.name == INCOME_ACCOUNT))
        s.merge(Setting(key="accounts.default_income_account_id", value=str(account_id)))
        s.execute(
            insert(Customer),
            [
                {
                    "id": c.number,
                    "display_name": c.name,
                    "display_name_key": c.name.lower(),
                    "first_name": c.first_name,
                    "last_name": c.last_name,
                    "mobile_phone": c.phone,
                    "email": c.email,
                    "bill_street": c.street,
                    "bill_city": "Sacramento",
                    "bill_state": "CA",
                    "bill_zip": "95814",
                    **stamp,
                }
                for c in customers
            ],
        )
        s.execute(
            insert(Invoice),
            [
                {
                    "id": k,
                    "number": inv.number,
                    "kind": "standard",
                    "customer_id": inv.customer.number,
                    "invoice_date": inv.invoice_date,
                    "due_date": inv.due_date,
                    "subtotal": inv.total,
                    "tax_rate": Decimal("0"),
                    "tax": Decimal("0.00"),
                    "total": inv.total,
                    "deposit_credit": Decimal("0.00"),
                    "status": "open",
                    "issued_at": now,
                    **stamp,
                }
                for k, inv in enumerate(invoices, start=1)
            ],
        )
        s.execute(
            insert(InvoiceLine),
            [
                {
                    "invoice_id": k,
                    "description": line.description,
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "amount": line.amount,
                    "taxable": False,
                    "position": position,
                }
                for k, inv in enumerate(invoices, start=1)
                for position, line in enumerate(inv.lines)
            ],
        )
        settings.set_setting(uow, "qbwc.password_hash", hash_password(PASSWORD))
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        settings.set_setting(uow, "sync.batch_max_bytes", 20_000_000)  # the request count decides
        queued = sync_queue.send_everything_pending(uow)
        uow.commit()
    db.dispose()
    return queued


# -- running one server -------------------------------------------------------------------------------


def _read_line(process: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The child's first stdout line starting with ``prefix`` (its other lines are echoed)."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(
                f"the server process ended before saying {prefix.strip()} (exit {process.wait()})"
            )
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
        print(f"  [server] {line.rstrip()}")
    raise SystemExit(f"the server process did not say {prefix.strip()} within {timeout:.0f} s")


def run_server(label: str, kind: str, n: int, per_message: int, extra: list[str]) -> Result:
    command = [sys.executable, str(HERE / "peer_servers.py"), kind, "--n", str(n)]
    command += ["--per-message", str(per_message), *extra]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(_read_line(process, "PORT ", SERVER_START_TIMEOUT))
        quickbooks = TimedCompany()
        connector = WebConnector(
            f"http://localhost:{port}/qbwc",
            USER,
            PASSWORD,
            quickbooks,
            company_file=quickbooks.company.file_path,
            max_round_trips=10 * n + 100,
        )
        report = connector.run_session()
        assert process.stdin is not None
        process.stdin.write("stop\n")
        process.stdin.flush()
        stats = json.loads(_read_line(process, "STATS ", SERVER_STOP_TIMEOUT))
        process.wait(SERVER_STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()  # only our own child, and only when it did not end by itself
            process.wait()
    requests = sum(len([m for m in _REQUEST.findall(r) if m != "QBXMLMsgs"]) for r in report.requests)
    result = Result(
        label,
        report.round_trips,
        requests,
        report.seconds,
        quickbooks.seconds,
        stats,
        quickbooks.server_by_kind(),
    )
    check(result, report.outcome, quickbooks.company, n)
    return result


def check(result: Result, outcome: str, company: QuickBooksCompany, n: int) -> None:
    """The work was done: else the figures mean nothing."""
    problems = []
    if outcome != "done":
        problems.append(f"the session ended {outcome!r}, not 'done'")
    customers, invoices = len(company.customers), len(company.invoices)
    if (customers, invoices) != (n, n):
        problems.append(f"QuickBooks holds {customers} customers and {invoices} invoices, not {n} and {n}")
    expected = 0 if result.label == "floor" else 2 * n + 1
    if result.stats.get("persisted") != expected:
        problems.append(f"{result.stats.get('persisted')} answers persisted, not {expected}")
    if problems:
        raise SystemExit(f"{result.label}: " + "; ".join(problems) + f"\n{json.dumps(result.stats)}")


# -- the report -------------------------------------------------------------------------------------------


def kit_problem() -> str:
    """Why qbwc-kit cannot be measured here, or "" when it can."""
    from importlib import metadata

    try:
        version = metadata.version("qbwc-kit")
    except metadata.PackageNotFoundError:
        return "qbwc-kit is not installed (pip install -e '.[bench]')"
    if version != QBWC_KIT_VERSION:
        return f"qbwc-kit {version} is installed; this benchmark is written for {QBWC_KIT_VERSION}"
    return ""


def print_table(results: list[Result], records: int) -> None:
    header = (
        f"{'server':10}{'round trips':>12}{'requests':>10}{'session s':>10}{'simulator s':>12}"
        f"{'server s':>9}{'in app s':>9}{'CPU s':>7}{'requests/s':>11}{'records/s':>10}{'trips/s':>8}"
        f"{'peak MB':>8}"
    )
    print(header)
    for r in results:
        s = r.server_seconds
        print(
            f"{r.label:10}{r.round_trips:>12,}{r.requests:>10,}{r.session_seconds:>10.2f}"
            f"{r.simulator_seconds:>12.2f}{s:>9.2f}{r.stats['app_seconds']:>9.2f}{r.stats['cpu_seconds']:>7.2f}"
            f"{r.requests / s:>11,.0f}{records / s:>10,.0f}{r.round_trips / s:>8.1f}"
            f"{r.stats['peak_mb']:>8.0f}"
        )


def print_by_kind(results: list[Result]) -> None:
    """Where each server's time went, by kind of message: a phase bound by the server's own
    work shows as many milliseconds a round trip (JobDesk's customers: its planning ahead
    takes longer than QuickBooks takes to answer)."""
    print("server time by kind of message (round trips, server s, server ms a round trip):")
    for r in results:
        parts = [
            f"{about} {trips:,} / {seconds:.2f} s / {1000 * seconds / trips:.1f} ms"
            for about, (trips, seconds) in sorted(r.by_kind.items())
            if trips
        ]
        print(f"  {r.label:10}" + "; ".join(parts))


def print_ratios(jobdesk: Result, other: Result, target: str) -> None:
    by_records = other.server_seconds / jobdesk.server_seconds
    by_requests = (jobdesk.requests / jobdesk.server_seconds) / (other.requests / other.server_seconds)
    print(
        f"JobDesk / {other.label}: {by_records:.2f}x on the same work (records/s), "
        f"{by_requests:.2f}x in requests/s  ({target})"
    )


#: How much the simulator's time a request may differ between two runs before the machine is
#: said to have changed speed between them (quiet runs differ by a few per cent: JobDesk's
#: own work beside the simulator's, on a machine of two cores).
SPEED_CHANGE = 0.15


def speed_change(jobdesk: Result, other: Result) -> str:
    """A warning when the simulator took a different time a request in the two runs (the
    machine changed speed between them: their ratio is skewed by about as much); "" if not."""
    if not (jobdesk.requests and other.requests and other.simulator_seconds > 0):
        return ""
    theirs = other.simulator_seconds / other.requests
    ours = jobdesk.simulator_seconds / jobdesk.requests
    change = ours / theirs - 1
    if abs(change) <= SPEED_CHANGE:
        return ""
    return (
        f"  WARNING: the simulator took {1000 * theirs:.3f} ms a request in the {other.label} run and "
        f"{1000 * ours:.3f} ms in JobDesk's ({change:+.0%}), for the same work: the machine changed "
        f"speed between the two runs, so this ratio is skewed by about as much. Run it again on a "
        "quieter machine."
    )


def print_profile(path: str) -> None:
    """The top 25 by cumulative time, then own time per library: where JobDesk's time goes."""
    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(25)
    shares: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = file if file != "~" else name
        label = next(
            (
                key
                for key in ("sqlalchemy", "sqlite3", "spyne", "lxml", "qbwc_server", "desktop_app")
                if key in where
            ),
            "Python and the rest",
        )
        shares[label] = shares.get(label, 0.0) + own
    total = sum(shares.values())
    print("own time by where the code lives:")
    for label, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {label:20}{seconds:7.2f} s {100 * seconds / total:5.1f} %")


def fastest(runs: list[Result]) -> Result:
    """The run with the least server time (the least disturbed by anything else running)."""
    return min(runs, key=lambda run: run.server_seconds)


def print_rounds(rounds: list[dict[str, Result]]) -> None:
    """Each round's ratios, JobDesk's run against the others' of the same round."""
    print("each round (JobDesk's records/s against the other's, same round; simulator ms a request):")
    for number, round_ in enumerate(rounds, start=1):
        jobdesk = round_["JobDesk"]
        parts = []
        for label in ("qbwc-kit", "floor"):
            other = round_.get(label)
            if other is not None:
                parts.append(f"/ {label} {other.server_seconds / jobdesk.server_seconds:.2f}x")
        speeds = ", ".join(
            f"{label} {1000 * run.simulator_seconds / run.requests:.3f}"
            for label, run in round_.items()
            if run.requests
        )
        print(f"  round {number}: JobDesk " + ", ".join(parts) + f"  ({speeds})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="customers, and invoices (default 2000)")
    parser.add_argument("--per-message", type=int, default=50, help="requests per message (default 50)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the floor, qbwc-kit and JobDesk (default 3)"
    )
    parser.add_argument("--profile", default="", help="profile the JobDesk server into this .prof file")
    args = parser.parse_args()
    if args.n < 1 or not 1 <= args.per_message <= 500 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1 and --per-message between 1 and 500")
    logging.disable(logging.WARNING)
    records = 2 * args.n + 1
    print(
        f"work: the 'Sales' item + {args.n:,} customers + {args.n:,} invoices = {records:,} records, "
        f"{args.per_message} requests per message, one server process at a time on 127.0.0.1 (waitress), "
        f"{args.rounds} round(s)"
    )
    rounds: list[dict[str, Result]] = []
    in_turn_run: Result | None = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        company = folder / "jobdesk.sqlite"
        queued = build_jobdesk_company(company, args.n, args.per_message)
        print(f"JobDesk company: {queued:,} records queued in {time.perf_counter() - start:.1f} s")
        problem = kit_problem()
        for number in range(1, args.rounds + 1):
            round_: dict[str, Result] = {}
            round_["floor"] = run_server("floor", "floor", args.n, args.per_message, [])
            if not problem:
                try:
                    store = ["--store", str(folder / f"qbwc_kit-{number}.sqlite")]
                    round_["qbwc-kit"] = run_server("qbwc-kit", "qbwc-kit", args.n, args.per_message, store)
                except SystemExit as exc:
                    problem = f"qbwc-kit could not do the work: {exc}"
            if number == 1:
                # The same company planned each message only when asked for (once: it is
                # compared with JobDesk as the server runs it, planning the next message
                # while QuickBooks answers, ``qbwc_server.sync.ahead``).
                shutil.copyfile(company, folder / "jobdesk-in-turn.sqlite")
                in_turn = ["--db", str(folder / "jobdesk-in-turn.sqlite"), "--in-turn"]
                in_turn_run = run_server("in turn", "jobdesk", args.n, args.per_message, in_turn)
            copy = folder / f"jobdesk-{number}.sqlite"
            shutil.copyfile(company, copy)
            extra = ["--db", str(copy)]
            if args.profile and number == args.rounds:
                extra += ["--profile", str(Path(args.profile).resolve())]
            round_["JobDesk"] = run_server("JobDesk", "jobdesk", args.n, args.per_message, extra)
            rounds.append(round_)
    if problem:
        print(f"NOT MEASURED: {problem}; comparing JobDesk with the floor only")
    labels = [label for label in ("floor", "qbwc-kit") if all(label in r for r in rounds)]
    results = [fastest([r[label] for r in rounds]) for label in labels]
    if in_turn_run is not None:
        results.append(in_turn_run)
    jobdesk = fastest([r["JobDesk"] for r in rounds])
    results.append(jobdesk)
    print()
    print_table(results, records)
    print(
        "server s = session minus simulator; requests/s, records/s and trips/s are per server second; "
        "in app s = inside the WSGI app (the server's own clock)"
        + (f"; each server's fastest of {args.rounds} rounds" if args.rounds > 1 else "")
    )
    print_by_kind(results)
    if args.rounds > 1:
        print_rounds(rounds)
    print(f"JobDesk's queue after the session: {jobdesk.stats['queue']}")
    for other in reversed(results[:-1]):  # the JobDesk in turn, qbwc-kit, then the floor
        if other.label == "in turn":
            print_ratios(jobdesk, other, "the next message planned ahead, against planned when asked for")
        else:
            target = ">= 1.0x, stretch 1.5x" if other.label == "qbwc-kit" else ">= 0.4x"
            print_ratios(jobdesk, other, f"target {target}")
        warning = speed_change(jobdesk, other)
        if warning:
            print(warning)
    kit = next((r for r in results if r.label == "qbwc-kit"), None)
    if kit is not None:
        cpu = jobdesk.stats["cpu_seconds"] / kit.stats["cpu_seconds"]
        print(
            f"CPU for the same work, JobDesk / qbwc-kit: {cpu:.1f}x (the whole server process: "
            "what planning ahead hides in QuickBooks' time is still counted)"
        )
    peak = max(r["JobDesk"].stats["peak_mb"] for r in rounds)
    print(f"JobDesk's peak memory: {peak:.0f} MB, the highest of its runs (target < 150 MB)")
    if args.profile:
        print(f"\n(profiled: the last round's JobDesk includes cProfile's overhead); {args.profile}:")
        print_profile(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
