"""Parse a ~50 MB CustomerQueryRs with ``iter_response`` and print time and peak memory.

Run: ``.venv/bin/python benchmarks/qbxml_parse_bench.py [--mb 50]``. The parse runs in a fresh
child process so its peak resident memory (ru_maxrss) is the parser's alone; the target is
under 150 MB. Not a timed test: figures are printed for a person to read.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
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
