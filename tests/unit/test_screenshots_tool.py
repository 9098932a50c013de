"""tools/screenshots.py has a real command line: --help helps, --out names the folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "screenshots.py"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(TOOL), *args]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)


def test_help_prints_usage_and_makes_no_folder(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for option in ("--out", "--only", "--paper", "invoice-pdf"):
        assert option in result.stdout
    assert list(tmp_path.iterdir()) == []  # no folder named "--help"


def test_a_mistyped_option_is_refused_without_drawing_anything(tmp_path: Path) -> None:
    result = run(tmp_path, "--ot", "shots")
    assert result.returncode == 2 and "usage:" in result.stderr
    assert list(tmp_path.iterdir()) == []
