"""The bundle's entry point: ``JobDesk.exe [--self-test | --demo | COMMAND …]``.

Everything goes to ``desktop_app.cli`` except one command the installer runs after setup:

``JobDesk.exe setup-web-connector`` writes ``JobDesk.qwc`` into the per-user data folder
(with this installation's OwnerID/FileID and server port, from the company database) and
opens it, which on a PC with QuickBooks hands it to the Web Connector ("Add an application").
"""

from __future__ import annotations

import os
import sys

SETUP_QWC = "setup-web-connector"


def setup_web_connector() -> int:
    from desktop_app.db.engine import data_dir
    from qbwc_server.cli import main as qbwc_main

    path = data_dir() / "JobDesk.qwc"
    code = qbwc_main(["qwc", "--out", str(path)])
    if code == 0 and sys.platform == "win32":  # pragma: no cover - Windows only
        try:
            os.startfile(path)  # type: ignore[attr-defined]  # the Web Connector owns .qwc
        except OSError as exc:
            print(f"Open {path} in the QuickBooks Web Connector ({exc}).", file=sys.stderr)
            return 1
    return code


def main(argv: list[str]) -> int:
    if argv[:1] == [SETUP_QWC]:
        return setup_web_connector()
    from desktop_app.cli import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
