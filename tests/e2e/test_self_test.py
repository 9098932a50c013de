"""``python -m desktop_app --self-test``: the check CI also runs on the PyInstaller bundle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = 9


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A child environment whose per-user folders are inside tmp_path (nothing of the user's)."""
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must go offscreen by itself
    env.pop("JOBDESK_DATABASE_URL", None)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env["HOME"] = str(tmp_path / "home")
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_self_test_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    result = _run(["-m", "desktop_app", "--self-test"], _env(tmp_path))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.count("  ok    ") == STEPS, out
    assert "FAIL" not in out
    assert "self-test passed" in out.splitlines()[-1]
    assert "(source, Python" in out.splitlines()[0]
    assert "one Web Connector session syncs the company to QuickBooks" in out
    # (Qt's font cache may appear under the cache folder: that is Qt's, not JobDesk's.)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and "jobdesk" in str(p).lower()]
    assert not leftovers, f"a source self-test writes nothing outside its temp folder: {leftovers}"


def test_self_test_fails_with_exit_1_when_quickbooks_fails(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from qbwc_server.simulator import QuickBooksCompany\n"
        "def broken(self, request_xml):\n"
        "    raise RuntimeError('QuickBooks crashed')\n"
        "QuickBooksCompany.process = broken\n"
        "from desktop_app.selftest import run_self_test\n"
        "sys.exit(run_self_test())\n"
    )
    result = _run(["-c", code], _env(tmp_path))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "  FAIL  one Web Connector session syncs the company to QuickBooks" in out, out
    assert "self-test FAILED" in out.splitlines()[-1]
    assert "the server stops" not in out  # stopped at the first failure (and cleaned up)


@pytest.mark.skipif(sys.platform == "win32", reason="would open the .qwc in the Web Connector")
def test_installer_setup_web_connector_writes_the_qwc_in_the_data_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    result = _run([str(ROOT / "installer" / "jobdesk_main.py"), "setup-web-connector"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    qwc = tmp_path / "xdg_data_home" / "JobDesk" / "JobDesk.qwc"
    text = qwc.read_text(encoding="utf-8")
    assert "<AppURL>http://localhost:8089/qbwc</AppURL>" in text
    assert "<OwnerID>" in text and "<FileID>" in text
