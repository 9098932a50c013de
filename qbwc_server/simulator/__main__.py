"""``python -m qbwc_server.simulator seed OUT.json [--customers N …]``: a seeded company file."""

from __future__ import annotations

import argparse
import sys

from qbwc_server.simulator import QuickBooksCompany, seed_company


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qbwc_server.simulator")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="write a seeded company to a JSON file")
    seed.add_argument("out")
    seed.add_argument("--customers", type=int, default=40)
    seed.add_argument("--jobs", type=int, default=20)
    seed.add_argument("--vendors", type=int, default=8)
    seed.add_argument("--items", type=int, default=14)
    seed.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    company = QuickBooksCompany()
    summary = seed_company(
        company,
        customers=args.customers,
        jobs=args.jobs,
        vendors=args.vendors,
        items=args.items,
        seed=args.seed,
    )
    company.save(args.out)
    print(
        f"{args.out}: {summary.customers} customers, {summary.jobs} jobs, {summary.vendors} vendors, "
        f"{summary.items} items"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
