"""Ctrl+C, a kill or a closed terminal make the app leave its event loop and shut down cleanly.

The app runs in its own process (signals are process-wide); it prints "ready" from its event
loop, then sits idle in Qt's C++ loop, where Python would never see a signal on its own.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

import pytest

APP = """\
import os, signal, sys
from PySide6.QtCore import QCoreApplication, QTimer
from desktop_app.ui.stop_signals import quit_on_signals

app = QCoreApplication([])
stopper = quit_on_signals(app)
if sys.argv[1] == "early":
    os.kill(os.getpid(), signal.SIGTERM)  # while starting up: no event loop runs yet
QTimer.singleShot(0, lambda: print("ready", flush=True))
code = app.exec()
stopper.uninstall()
print(f"event loop ended with {code}; shutdown ran", flush=True)
"""

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def start(mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-c", APP, mode], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )


def wait_for_ready(app: subprocess.Popen[str]) -> None:
    assert app.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(app.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=60), "the app never became ready"
    assert app.stdout.readline().strip() == "ready"


def finish(app: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        output, _ = app.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        app.kill()
        app.communicate()
        raise AssertionError("the signal did not end the event loop") from None
    return app.returncode, output


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_ends_an_idle_event_loop_and_the_shutdown_runs(stop: signal.Signals) -> None:
    app = start("idle")
    wait_for_ready(app)
    if stop == signal.SIGINT:
        os.killpg(app.pid, stop)  # Ctrl+C: the terminal signals the whole foreground job
    else:
        app.send_signal(stop)
    code, output = finish(app)
    assert code == 0  # not killed: it returned from its event loop and ended normally
    assert f"event loop ended with {128 + stop}; shutdown ran" in output


def test_a_signal_during_start_up_ends_the_first_event_loop() -> None:
    code, output = finish(start("early"))
    assert code == 0
    assert f"event loop ended with {128 + signal.SIGTERM}; shutdown ran" in output
