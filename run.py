#!/usr/bin/env python3
"""One-command set-up for JobDesk on a fresh Linux or Windows machine (Python 3.11+).

    python run.py            run the application (creates .venv and installs on first use)
    python run.py test       run the whole test suite the same way
    python run.py server     run the QuickBooks Web Connector server headless
    python run.py <args>     anything else is passed to ``python -m desktop_app``

The virtual environment is re-synced whenever pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("JOBDESK_VENV", ROOT / ".venv"))


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment(extras: str) -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py must explain itself on an old Python
        sys.exit(f"JobDesk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".jobdesk-installed-{extras or 'app'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing JobDesk and its dependencies (first run only) ...", flush=True)
        target = f"{ROOT}[{extras}]" if extras else str(ROOT)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target],
            check=True,
        )
        stamp.write_text(digest)
    return python


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "test":
        python = ensure_environment("test")
        args = argv[1:]
        return subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT)
    python = ensure_environment("")
    if command == "server":
        return subprocess.call([str(python), "-m", "qbwc_server", "serve", *argv[1:]], cwd=ROOT)
    return subprocess.call([str(python), "-m", "desktop_app", *argv], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
