#!/usr/bin/env python3
"""One-command set-up for JobDesk on a fresh Linux or Windows machine (Python 3.11+).

    python run.py            run the application (creates .venv and installs on first use)
    python run.py test       run the whole test suite the same way
    python run.py server     run the QuickBooks Web Connector server headless
    python run.py <args>     anything else is passed to ``python -m desktop_app``

The virtual environment is re-synced whenever pyproject.toml changes.

The command then *becomes* the process (``os.execv`` on Linux and macOS): Ctrl+C, a kill
or closing the terminal reach the app itself, and nothing is left running behind a
launcher that has gone. Windows has no such replacement, so there the command is a child
in a job object that ends it when run.py ends, and Ctrl+C reaches both from the console.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

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


def launch(command: Sequence[str], *, replace: bool = os.name == "posix") -> int:
    """Run ``command`` in ROOT so that it ends when this launcher is stopped, however.

    ``replace``: become the command (never returns). Otherwise run it as a child that is
    tied to this process: see :func:`supervise`.
    """
    if replace:
        os.chdir(ROOT)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], list(command))
    return supervise(command)


def supervise(command: Sequence[str]) -> int:
    """Run ``command`` as a child that does not outlive this process; its exit code.

    * Ctrl+C goes from the terminal or console to both processes: the child stops as it
      does on its own, and this one ignores it and waits for the child's exit code.
    * A stop request to this process (SIGTERM, SIGHUP, Ctrl+Break) is passed on to the child.
    * If this process is killed outright, the child still ends: on Linux the kernel sends
      it SIGTERM when its parent dies (PR_SET_PDEATHSIG); on Windows a job object
      that kills its processes when its last handle closes, as it does when we exit.
    """
    child: subprocess.Popen[bytes] | None = None
    stop_requested = False

    def pass_on(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True
        if child is not None and child.poll() is None:
            child.terminate()

    # Set before the child starts, so no signal finds this process without them.
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
    for name in ("SIGTERM", "SIGHUP", "SIGBREAK"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, pass_on)
    try:
        setup = _child_setup(os.getpid()) if os.name == "posix" else None
        child = subprocess.Popen(list(command), cwd=ROOT, preexec_fn=setup)
        if os.name == "nt":
            _tie_to_this_process(child)
        if stop_requested:
            child.terminate()
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    # Ended by a signal: the shell's convention (128 + its number), as the app itself does.
    return 128 - code if code < 0 else code


def _child_setup(parent: int) -> Callable[[], None]:
    """Run in the child before the command: Ctrl+C back on; on Linux, end with the parent."""

    def setup() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # an ignored signal stays ignored across exec
        if not sys.platform.startswith("linux"):
            return
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return setup


_JOBS: list[object] = []  # job handles stay open as long as this process lives


def _tie_to_this_process(child: subprocess.Popen[bytes]) -> None:
    """Windows: put the child in a job object that kills it when this process ends.

    Best effort: if Windows refuses (an old version, a job that forbids nesting), the child
    still stops on Ctrl+C from the console, only not when run.py is killed outright.
    """
    import ctypes
    from ctypes import wintypes

    class BasicLimits(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class IoCounters(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_uint64)
            for name in ("Read", "Write", "Other", "ReadBytes", "WriteBytes", "OtherBytes")
        ]

    class ExtendedLimits(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", BasicLimits),
            ("IoInfo", IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    job_object_extended_limit_information = 9
    job_object_limit_kill_on_job_close = 0x2000
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (wintypes.LPVOID, wintypes.LPCWSTR)
    kernel32.SetInformationJobObject.argtypes = (
        wintypes.HANDLE,
        ctypes.c_int,
        wintypes.LPVOID,
        wintypes.DWORD,
    )
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return
    limits = ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = job_object_limit_kill_on_job_close
    configured = kernel32.SetInformationJobObject(
        job, job_object_extended_limit_information, ctypes.byref(limits), ctypes.sizeof(limits)
    )
    if configured and kernel32.AssignProcessToJobObject(job, int(child._handle)):  # type: ignore[attr-defined]
        _JOBS.append(job)
    else:
        kernel32.CloseHandle(job)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "test":
        python = ensure_environment("test")
        return launch([str(python), "-m", "pytest", *argv[1:]])
    python = ensure_environment("")
    if command == "server":
        return launch([str(python), "-m", "qbwc_server", "serve", *argv[1:]])
    return launch([str(python), "-m", "desktop_app", *argv])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
