"""Parse a ~50 MB CustomerQueryRs with ``iter_response`` and print time and peak memory.

Run: ``.venv/bin/python benchmarks/qbxml_parse_bench.py [--mb 50]``. The parse runs in a fresh
child process so its peak resident memory (ru_maxrss) is the parser's alone; the target is
under 150 MB. Not a timed test: figures are printed for a person to read.

``--engine`` instead times what the sync engine does with qbXML per batch, in process:
build 2,000 CustomerAdd and 2,000 InvoiceAdd requests (two lines each), pre-flight check
each, and parse the answer the simulator gives to all of them (the simulator's own time is
not counted). ``--profile`` adds cProfile figures for the qbxml functions.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent

CUSTOMER = """<CustomerRet><ListID>{n:08X}-1704186104</ListID>\
<TimeCreated>2024-01-02T09:01:44-08:00</TimeCreated>\
<TimeModified>2024-01-02T09:01:44-08:00</TimeModified><EditSequence>1704186104</EditSequence>\
<Name>{name}</Name><FullName>{name}</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel>\
<CompanyName>{name} &amp; Sons</CompanyName><FirstName>Zoë</FirstName><LastName>Customer{n}</LastName>\
<BillAddress><Addr1>{n} Main St</Addr1><Addr2>Suite 4</Addr2><City>Austin</City><State>TX</State>\
<PostalCode>78701</PostalCode></BillAddress><Phone>555-{p:04d}</Phone><Email>c{n}@example.com</Email>\
<TermsRef><ListID>80000002-1</ListID><FullName>Net 30</FullName></TermsRef><Balance>{n}.25</Balance>\
<TotalBalance>{n}.25</TotalBalance><SalesTaxCodeRef><ListID>80000003-1</ListID><FullName>Tax</FullName>\
</SalesTaxCodeRef><JobStatus>None</JobStatus><Notes>Customer since 2019; prefers email &lt;always&gt;</Notes>\
</CustomerRet>
"""


def write_response(path: Path, megabytes: int) -> int:
    target = megabytes * 1024 * 1024
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" ?>\n<QBXML><QBXMLMsgsRs>\n<CustomerQueryRs requestID="1" statusCode="0" '
            'statusSeverity="Info" statusMessage="Status OK">\n'
        )
        while out.tell() < target:
            out.write(CUSTOMER.format(n=count, name=escape(f"Customer {count}"), p=count % 10000))
            count += 1
        out.write("</CustomerQueryRs>\n</QBXMLMsgsRs></QBXML>\n")
    return count


CHILD = """
import json, resource, sys, time
from pathlib import Path
from qbwc_server.qbxml import Record, iter_response
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
records = 0
checksum = 0
for item in iter_response(Path(sys.argv[1])):
    if isinstance(item, Record):
        records += 1
        checksum += len(item.list_id or "")
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"records": records, "seconds": elapsed, "baseline_kb": baseline, "peak_kb": peak}))
"""


# -- --engine: the per-batch work of the sync engine, in process ------------------------------------

#: The functions whose time --profile reports, by group (module file, function name).
GROUPS = {
    "parse": ("parse.py", ("parse_response", "_iter_tree", "to_record", "_flatten", "_status")),
    "preflight": ("preflight.py", ("check", "_check_children")),
    "build": (
        "build",
        ("leaf", "ref", "address", "_customer_body", "customer_add", "invoice_add", "_invoice_body", "_line"),
    ),
}


def engine_inputs(count: int) -> tuple[list[object], list[object]]:
    """Varied customers (some jobs, addresses, phones) and invoices of two lines each."""
    from datetime import date
    from decimal import Decimal

    from qbwc_server.qbxml import Address, CustomerFields, InvoiceFields, InvoiceLineFields, JobStatus, Ref

    customers: list[object] = []
    invoices: list[object] = []
    for n in range(count):
        name = f"Bench Customer {n:05d}"
        customers.append(
            CustomerFields(
                name=name,
                company_name=f"{name} & Sons" if n % 3 == 0 else None,
                first_name="Zoë" if n % 2 else "Ann",
                last_name=f"Last{n}",
                bill_address=Address(addr1=f"{n} Main St", city="Austin", state="TX", postal_code="78701")
                if n % 4 != 1
                else None,
                ship_address=Address(addr1=f"{n} Side St", addr2="Unit <2>", city="Austin")
                if n % 5 == 0
                else None,
                phone=f"555-{n % 10000:04d}",
                mobile="555-0100" if n % 7 == 0 else None,
                email=f"c{n}@example.com",
                terms=Ref.by_name("Net 30") if n % 2 == 0 else None,
                job_status=JobStatus.IN_PROGRESS if n % 6 == 0 else None,
                job_start_date=date(2024, 1, 1 + n % 28) if n % 6 == 0 else None,
                notes="Prefers email <always>" if n % 9 == 0 else None,
            )
        )
        invoices.append(
            InvoiceFields(
                customer=Ref.by_name(name),
                txn_date=date(2024, 5, 1 + n % 28),
                ref_number=f"B{n:05d}",
                po_number=f"PO {n}" if n % 3 == 0 else None,
                terms=Ref.by_name("Net 30"),
                due_date=date(2024, 6, 1 + n % 28),
                memo=f"Job {n} — kitchen & bath" if n % 2 == 0 else None,
                is_to_be_printed=False,
                lines=(
                    InvoiceLineFields(
                        item=Ref.by_name("Labor"),
                        description="Labor, hours on site",
                        quantity=Decimal(n % 40 + 1),
                        rate=Decimal("65.00"),
                        amount=Decimal("65.00") * (n % 40 + 1),
                        sales_tax_code=Ref.by_name("Non"),
                    ),
                    InvoiceLineFields(
                        item=Ref.by_name("Lumber"),
                        description="Lumber",
                        quantity=Decimal("12.5"),
                        rate=Decimal("4.25"),
                        amount=Decimal("53.13"),
                        sales_tax_code=Ref.by_name("Tax"),
                    ),
                ),
            )
        )
    return customers, invoices


def engine_round(customers: list[object], invoices: list[object], answer: str) -> dict[str, float]:
    """One round: seconds spent building, pre-flight checking and parsing."""
    from qbwc_server.qbxml import customer_add, invoice_add, parse_response
    from qbwc_server.qbxml.preflight import check

    # Each phase starts from a collected heap, so a collector pause lands in the phase whose
    # allocations caused it rather than wherever the previous phase left the counters.
    times: dict[str, float] = {}
    gc.collect()
    started = time.perf_counter()
    requests = [customer_add(f"c{n}", c) for n, c in enumerate(customers)]  # type: ignore[arg-type]
    requests += [invoice_add(f"i{n}", i) for n, i in enumerate(invoices)]  # type: ignore[arg-type]
    times["build"] = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    for request in requests:
        check(request)
    times["preflight"] = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    results = parse_response(answer)
    times["parse"] = time.perf_counter() - started
    if len(results) != len(requests):
        raise SystemExit(f"MISMATCH: {len(requests)} requests, {len(results)} answers")
    return times


def engine_answer(customers: list[object], invoices: list[object]) -> str:
    """What the simulator answers to all the requests in one message (continueOnError)."""
    from qbwc_server.qbxml import build_message, customer_add, invoice_add
    from qbwc_server.simulator import QuickBooksCompany, install_defaults, seed_company

    company = QuickBooksCompany(defaults=False)
    install_defaults(company)
    seed_company(company, customers=5, jobs=0, vendors=1, items=14)
    requests = [customer_add(f"c{n}", c) for n, c in enumerate(customers)]  # type: ignore[arg-type]
    requests += [invoice_add(f"i{n}", i) for n, i in enumerate(invoices)]  # type: ignore[arg-type]
    return company.process(build_message(requests, on_error="continueOnError"))


def run_engine(count: int, rounds: int, *, profile: bool, no_gc: bool = False) -> int:
    customers, invoices = engine_inputs(count)
    if no_gc:
        gc.disable()  # figures without the collector's pauses (process-wide: this run only)
    started = time.perf_counter()
    answer = engine_answer(customers, invoices)
    print(
        f"simulator answered {2 * count:,} requests ({len(answer) / 1024 / 1024:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s (not counted)"
    )
    best: dict[str, float] = {}
    for _ in range(rounds):
        for group, seconds in engine_round(customers, invoices, answer).items():
            best[group] = min(best.get(group, seconds), seconds)
    for group, seconds in best.items():
        print(f"{group:10} best of {rounds}: {seconds * 1000:8.1f} ms")
    print(f"{'total':10} best of {rounds}: {sum(best.values()) * 1000:8.1f} ms")
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(engine_round, customers, invoices, answer)
        stats = pstats.Stats(profiler)
        table = stats.stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tt, ct, callers)
        for group, (module, names) in GROUPS.items():
            tottime = 0.0
            for (filename, _line, name), (_cc, calls, tt, ct, _callers) in sorted(table.items()):
                if "qbwc_server/qbxml/" in filename and module in filename and name in names:
                    tottime += tt
                    print(
                        f"  {group:9} {Path(filename).name:14} {name:16} {calls:8,} calls  "
                        f"tottime {tt:6.3f} s  cumtime {ct:6.3f} s"
                    )
            print(f"  {group:9} own time of these functions: {tottime:.3f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--engine", action="store_true", help="time build, pre-flight and parse in process")
    parser.add_argument("--count", type=int, default=2000, help="--engine: customers and invoices each")
    parser.add_argument("--rounds", type=int, default=5, help="--engine: best of this many rounds")
    parser.add_argument("--profile", action="store_true", help="--engine: cProfile the qbxml functions")
    parser.add_argument("--no-gc", action="store_true", help="--engine: time with the garbage collector off")
    args = parser.parse_args()
    if args.engine:
        return run_engine(args.count, args.rounds, profile=args.profile, no_gc=args.no_gc)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.xml"
        started = time.perf_counter()
        written = write_response(path, args.mb)
        size = path.stat().st_size
        print(
            f"generated {size / 1024 / 1024:.1f} MB, {written:,} CustomerRet in "
            f"{time.perf_counter() - started:.1f} s"
        )
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], cwd=REPO, check=True, capture_output=True, text=True
        )
        figures = json.loads(done.stdout)
    peak_mb = figures["peak_kb"] / 1024  # Linux reports ru_maxrss in KiB
    print(
        f"parsed {figures['records']:,} records in {figures['seconds']:.2f} s "
        f"({size / 1024 / 1024 / figures['seconds']:.1f} MB/s)"
    )
    print(
        f"peak RSS {peak_mb:.1f} MB "
        f"(interpreter + imports before parsing: {figures['baseline_kb'] / 1024:.1f} MB)"
    )
    print(f"target: peak under 150 MB -> {'OK' if peak_mb < 150 else 'OVER'}")
    if figures["records"] != written:
        print(f"MISMATCH: wrote {written} records, parsed {figures['records']}")
        return 1
    return 0 if peak_mb < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
