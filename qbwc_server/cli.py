"""``python -m qbwc_server``: run the Web Connector server headless, and its chores.

Subcommands (each takes ``--database URL``, else ``JOBDESK_DATABASE_URL``, else the
default SQLite file — the same rule as the app):

* ``serve [--host localhost] [--port 8089] [--certfile F --keyfile F]`` — serve until Ctrl+C;
* ``qwc --out JobDesk.qwc [--url URL]`` — the file to open in the Web Connector;
* ``set-password`` — the Web Connector user's password (prompted without echo at a
  terminal, else one line from standard input); only its scrypt hash is stored;
* ``queue --all`` — queue every record not yet in QuickBooks;
* ``status [--json]`` — company binding, last contact, queue counts, open alerts;
* ``simulate --url URL --company practice.qbsim`` — one session by the Web Connector
  simulator against a saved QuickBooks simulator company.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from desktop_app.db.engine import ENV_URL
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import JobDeskError
from desktop_app.version import __version__

CLI_ACTOR = Actor(name="command line", role="admin")
PASSWORD_ENV = "JOBDESK_QBWC_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qbwc_server", description="JobDesk's QuickBooks Web Connector server"
    )
    parser.add_argument("--version", action="version", version=f"JobDesk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument(
            "--database",
            metavar="URL",
            help=f"company database URL (default: ${ENV_URL} or the default file)",
        )
        return sub

    serve = add("serve", "run the Web Connector server until interrupted")
    serve.add_argument("--host", default="localhost", help="address to listen on (default localhost)")
    serve.add_argument("--port", type=int, default=None, help="port (default: the qbwc.port setting, 8089)")
    serve.add_argument("--certfile", default="", help="certificate (PEM) for HTTPS; needs cheroot")
    serve.add_argument("--keyfile", default="", help="private key (PEM) for HTTPS")
    serve.add_argument(
        "--max-body-mb", type=int, default=50, help="largest request accepted, in MB (default 50)"
    )

    qwc = add("qwc", "write the .qwc file to open in the QuickBooks Web Connector")
    qwc.add_argument("--out", default="JobDesk.qwc", help="file to write (default JobDesk.qwc)")
    qwc.add_argument("--url", default=None, help="AppURL (default http://localhost:<port>/qbwc)")

    password = add("set-password", "set the Web Connector user's password")
    password.add_argument("--user", default=None, help="also change the Web Connector user name")

    queue = add("queue", "queue records for QuickBooks")
    queue.add_argument("--all", action="store_true", required=True, help="every record not yet in QuickBooks")

    status = add("status", "show the QuickBooks connection, the queue and open alerts")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    simulate = add("simulate", "run one Web Connector session with the simulators")
    simulate.add_argument("--url", required=True, help="the server's AppURL, e.g. http://localhost:8089/qbwc")
    simulate.add_argument(
        "--company", required=True, help="a saved QuickBooks simulator company (created if missing)"
    )
    simulate.add_argument("--user", default=None, help="Web Connector user name (default: the setting)")
    simulate.add_argument(
        "--password", default=None, help=f"password (default: ${PASSWORD_ENV}, else prompted)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every start-up at INFO; an admin needs only its warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        handler = {
            "serve": _serve,
            "qwc": _qwc,
            "set-password": _set_password,
            "queue": _queue,
            "status": _status,
            "simulate": _simulate,
        }[args.command]
        return handler(args)
    except JobDeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _open(args: argparse.Namespace) -> Database:
    from desktop_app.db.open import open_database

    return open_database(args.database)


def _serve(args: argparse.Namespace) -> int:
    from desktop_app.runtime import settle_after_start
    from desktop_app.services.settings import get_setting
    from qbwc_server.server import EmbeddedServer

    db = _open(args)
    with db.reader() as uow:
        port = args.port if args.port is not None else int(get_setting(uow, "qbwc.port"))
    server = EmbeddedServer(
        db,
        args.host,
        port,
        certfile=args.certfile,
        keyfile=args.keyfile,
        max_body_bytes=args.max_body_mb * 1024 * 1024,
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    status = server.start()
    print(
        f"JobDesk Web Connector server on {status.url} (support page {status.url.rsplit('/', 1)[0]}/support)"
    )
    print("Press Ctrl+C to stop.")
    settle_after_start()
    try:
        while not stop.wait(0.5):
            if not server.status.running:
                print(f"error: the server stopped: {server.status.error}", file=sys.stderr)
                return 1
    finally:
        server.stop()
        db.dispose()
    return 0


def _qwc(args: argparse.Namespace) -> int:
    from qbwc_server.qwc import save_qwc

    with _open(args) as db, db.uow(CLI_ACTOR) as uow:
        path = save_qwc(uow, Path(args.out), args.url)
        uow.commit()
    print(f"wrote {path}: open it in the QuickBooks Web Connector (Add an application).")
    return 0


def read_password(prompt: str = "Web Connector password: ") -> str:
    """Prompted without echo at a terminal; one line from standard input otherwise."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        second = getpass.getpass("Repeat it: ")
        if first != second:
            from desktop_app.errors import ValidationError

            raise ValidationError("password", "The two passwords differ; nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _set_password(args: argparse.Namespace) -> int:
    from desktop_app.domain.passwords import hash_password
    from desktop_app.services.settings import get_setting, set_setting

    password = read_password()
    hashed = hash_password(password)
    with _open(args) as db, db.uow(CLI_ACTOR) as uow:
        if args.user:
            set_setting(uow, "qbwc.username", args.user)
        set_setting(uow, "qbwc.password_hash", hashed)
        user = get_setting(uow, "qbwc.username")
        uow.commit()
    print(f"Password set for Web Connector user “{user}”. Enter the same password in the Web Connector.")
    return 0


def _queue(args: argparse.Namespace) -> int:
    from desktop_app.services.sync_queue import send_everything_pending

    with _open(args) as db, db.uow(CLI_ACTOR) as uow:
        count = send_everything_pending(uow)
        uow.commit()
    print(f"Queued {count} record(s) for QuickBooks; they go at the next Web Connector update.")
    return 0


def _status(args: argparse.Namespace) -> int:
    from qbwc_server.status import connector_status

    with _open(args) as db, db.reader() as uow:
        status = connector_status(uow)
    print(json.dumps(status.as_json(), indent=2) if args.json else status.as_text())
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from qbwc_server.simulator import QuickBooksCompany
    from qbwc_server.simulator.webconnector import WebConnector, WebConnectorError

    user = args.user
    if user is None:
        from desktop_app.services.settings import get_setting

        db = _open(args)
        with db.reader() as uow:
            user = str(get_setting(uow, "qbwc.username"))
        db.dispose()
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    if password is None:
        password = read_password()
    company_path = Path(args.company)
    company = QuickBooksCompany.load(company_path) if company_path.exists() else QuickBooksCompany()
    connector = WebConnector(args.url, user, password, company, company_file=str(company.file_path))
    try:
        report = connector.run_session()
    except (WebConnectorError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    company.save(company_path)
    print(report.summary())
    return 0 if report.outcome in ("done", "none") else 1
