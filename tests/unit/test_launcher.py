"""run.py's launcher: the command it starts never outlives it, and Ctrl+C stops both cleanly.

Each test starts a small launcher process (run.py's own ``launch``) whose command prints its
process id and sleeps. The command's standard output is the test's pipe: when the test reads
the end of it, every process that held it (launcher and command) has ended. All waits are
bounded; none sleeps to synchronise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SLEEPER = """\
import os, time
try:
    print(os.getpid(), flush=True)
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    print("interrupted: stopping cleanly", flush=True)
"""

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals (Windows uses a job object)")


def start_launcher(*, replace: bool) -> tuple[subprocess.Popen[str], Watch]:
    """The launcher, in its own session as a terminal's foreground job is; and the command's pid."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import run; "
        f"sys.exit(run.launch([sys.executable, '-c', {SLEEPER!r}], replace={replace}))"
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert launcher.stdout is not None
    return launcher, Watch(int(_read_line(launcher)))


def _read_line(process: subprocess.Popen[str]) -> str:
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=60), "the command never started"
    return process.stdout.readline().strip()


def finish(launcher: subprocess.Popen[str]) -> tuple[int, str]:
    """Read the shared pipe to its end (every holder gone) and the launcher's exit code."""
    try:
        rest, _ = launcher.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.communicate()
        raise AssertionError("a process of the launcher's group was still running") from None
    return launcher.returncode, rest


class Watch:
    """Tells when a process (not necessarily our child) has ended, without polling on Linux."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        # A pidfd turns readable when the process has ended, zombie or reaped.
        self.fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None

    def gone(self, timeout: float = 60) -> bool:
        if self.fd is not None:
            import select

            try:
                return bool(select.select([self.fd], [], [], timeout)[0])
            finally:
                os.close(self.fd)
        import time  # no pidfd (macOS): look until the deadline

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_the_command_replaces_the_launcher_so_a_kill_ends_it(stop: signal.Signals) -> None:
    launcher, command = start_launcher(replace=True)
    assert command.pid == launcher.pid  # no second process to leave behind
    launcher.send_signal(stop)
    code, _ = finish(launcher)
    assert code == -stop and command.gone()


def test_ctrl_c_stops_the_replaced_command_cleanly() -> None:
    launcher, command = start_launcher(replace=True)
    os.killpg(launcher.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
    code, output = finish(launcher)
    assert code == 0 and "stopping cleanly" in output and command.gone()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_request_to_the_launcher_is_passed_on(stop: signal.Signals) -> None:
    launcher, child = start_launcher(replace=False)
    assert child.pid != launcher.pid
    launcher.send_signal(stop)
    code, _ = finish(launcher)
    assert code == 128 + signal.SIGTERM  # the child's end, reported by the launcher
    assert child.gone()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_ends_when_the_launcher_is_killed_outright() -> None:
    launcher, child = start_launcher(replace=False)
    launcher.kill()  # SIGKILL: no handler runs in the launcher
    code, _ = finish(launcher)  # the pipe's end: the child has exited too
    assert code == -signal.SIGKILL and child.gone()


def test_ctrl_c_stops_child_and_launcher_cleanly() -> None:
    launcher, child = start_launcher(replace=False)
    os.killpg(launcher.pid, signal.SIGINT)  # the terminal sends Ctrl+C to the whole job
    code, output = finish(launcher)
    # The launcher ignored it and waited; the child stopped cleanly and its code came back.
    assert code == 0 and output.count("stopping cleanly") == 1 and child.gone()
