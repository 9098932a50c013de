"""Command line of the desktop app.

``python -m desktop_app`` opens the GUI; subcommands run without Qt so they work on a
server with no display. ``--database URL`` (or ``JOBDESK_DATABASE_URL``) picks the company
database for every subcommand.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from desktop_app.db.engine import ENV_URL, resolve_database_url
from desktop_app.errors import JobDeskError
from desktop_app.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_app",
        description="JobDesk: jobs, invoices and payments for contractors, synced to QuickBooks Desktop.",
    )
    parser.add_argument("--version", action="version", version=f"JobDesk {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help=f"company database URL (default: ${ENV_URL}, else a SQLite file in your data folder)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="open a throw-away demo company with a simulated QuickBooks"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start offscreen, open a database, run one simulated Web Connector session; "
        "exit 0 only if all worked",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    seed = commands.add_parser("seed-demo", help="fill an empty database with a generated, realistic company")
    seed.add_argument("--database", metavar="URL", dest="sub_database")
    seed.add_argument("--scale", type=int, default=1, help="multiply the counts (default 1)")
    seed.add_argument("--seed", type=int, default=1, help="the same seed gives the same company")

    migrate = commands.add_parser(
        "migrate-database", help="copy this company to another database (e.g. SQLite → PostgreSQL)"
    )
    migrate.add_argument("--database", metavar="URL", dest="sub_database", help="the source database")
    migrate.add_argument("--to", required=True, metavar="URL", help="the target database (must be empty)")

    upgrade = commands.add_parser("upgrade-database", help="bring the database schema up to date and exit")
    upgrade.add_argument("--database", metavar="URL", dest="sub_database")

    pdf = commands.add_parser(
        "invoice-pdf",
        help="write invoices as PDF (the same pages as Print / Save as PDF in the app)",
        description="Write invoices as PDF files: one file per invoice in the --out folder, "
        "or one combined file with --combine. One invoice may go straight to a .pdf file.",
    )
    pdf.add_argument("numbers", nargs="+", metavar="NUMBER", help="invoice numbers, e.g. 1042 1007-2")
    pdf.add_argument("--out", required=True, metavar="PATH", help="a folder, or a .pdf file (see above)")
    pdf.add_argument("--combine", action="store_true", help="all the invoices in one PDF file")
    pdf.add_argument(
        "--paper", choices=("letter", "a4"), help="paper size (default: Letter in the US locale, else A4)"
    )
    pdf.add_argument("--database", metavar="URL", dest="sub_database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url_arg = getattr(args, "sub_database", None) or args.database
    try:
        if args.command == "seed-demo":
            return _seed_demo(resolve_database_url(url_arg), args.scale, args.seed)
        if args.command == "migrate-database":
            from desktop_app.db.copy import copy_database

            report = copy_database(resolve_database_url(url_arg), args.to)
            print(report.describe())
            return 0
        if args.command == "invoice-pdf":
            return _invoice_pdf(resolve_database_url(url_arg), args)
        if args.command == "upgrade-database":
            from desktop_app.db.open import open_database

            open_database(url_arg).dispose()
            print("The database is up to date.")
            return 0
        if args.self_test:
            from desktop_app.selftest import run_self_test

            return run_self_test()
        return _run_gui(url_arg, demo=args.demo)
    except JobDeskError as error:
        print(f"JobDesk: {error}", file=sys.stderr)
        return 2


def _seed_demo(url: str, scale: int, seed: int) -> int:
    from desktop_app.db.open import open_database
    from desktop_app.demo import seed_demo

    if scale < 1:
        print("JobDesk: --scale must be 1 or more.", file=sys.stderr)
        return 2
    database = open_database(url)
    try:
        counts = seed_demo(database, scale=scale, seed=seed)
    finally:
        database.dispose()
    print("Demo company created: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    return 0


def _invoice_pdf(url: str, args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop_app.invoice_export import export_invoices

    paper = args.paper
    if paper is None:
        from desktop_app.ui.printing import default_paper

        paper = default_paper()
    for path in export_invoices(url, args.numbers, Path(args.out), combine=args.combine, paper=paper):
        print(f"wrote {path}")
    return 0


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal", "vnc"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run_gui(url: str | None, *, demo: bool) -> int:
    if not _has_display():
        print(
            "JobDesk needs a screen to open its window, and this machine has no display "
            "(DISPLAY is not set).\n"
            "To run only the QuickBooks Web Connector server here, use:  python run.py server\n"
            "To try the window anyway without a screen, set QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return 2
    from desktop_app.xcb_check import xcb_problem

    problem = xcb_problem(os.environ, sys.platform)
    if problem is not None:  # Qt would abort with a message that names no package
        print(problem, file=sys.stderr)
        return 2
    from desktop_app.ui.app import run_gui

    return run_gui(url, demo=demo)
