"""The Qt binding itself: a JobDesk session must end cleanly, however long it ran."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label, timer = QLabel(), QTimer()
for _ in range(5000):  # a busy day of status-bar updates
    label.setText("x")
    timer.setInterval(1000)
print("ok")
"""


def test_many_qt_calls_then_exit_do_not_crash_the_interpreter() -> None:
    """PySide6 6.12.0 on Python 3.11 over-releases None and aborts at exit (none_dealloc)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
