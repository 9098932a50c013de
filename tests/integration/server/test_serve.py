"""``python -m qbwc_server serve``: the headless server starts, answers, and stops on Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_headless_server_serves_until_interrupted(database_url: str) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "qbwc_server", "serve", "--database", database_url, "--port", str(port)]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            seen: list[str] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                seen.append(line)
                if "Press Ctrl+C" in line:
                    break
            assert any(f"http://localhost:{port}/qbwc" in line for line in seen), seen
            with urllib.request.urlopen(f"http://localhost:{port}/qbwc?wsdl", timeout=10) as answer:
                assert answer.status == 200 and b"QBWebConnectorSvc" in answer.read()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
