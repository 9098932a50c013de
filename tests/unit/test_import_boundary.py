"""The core never imports Qt: the sync server runs headless and tests run without a display."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import desktop_app
import qbwc_server

ROOT = Path(desktop_app.__file__).resolve().parent.parent
CORE_PACKAGES = ("desktop_app.domain", "desktop_app.db", "desktop_app.services", "qbwc_server")


def core_modules() -> list[str]:
    names: list[str] = ["desktop_app.errors"]
    for package_name in CORE_PACKAGES:
        package = __import__(package_name, fromlist=["__path__"])
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".migrations.versions" in info.name or info.name.endswith(".migrations.env"):
                continue  # Alembic scripts only run inside a migration context.
            if info.name.endswith(".__main__"):
                continue  # importing an entry point would start it
            names.append(info.name)
    return sorted(names)


def test_every_core_module_is_found() -> None:
    modules = core_modules()
    assert "desktop_app.services.jobs" in modules
    assert "desktop_app.db.models" in modules
    assert any(name.startswith("qbwc_server.") for name in modules)
    assert qbwc_server.__name__ == "qbwc_server"


def test_core_imports_no_pyside6() -> None:
    modules = core_modules()
    script = textwrap.dedent(
        f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        leaked = sorted(m for m in sys.modules if m == "PySide6" or m.startswith("PySide6."))
        print("LEAKED:" + ",".join(leaked))
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    leaked = result.stdout.strip().rsplit("LEAKED:", 1)[-1]
    assert leaked == "", f"the core imported Qt: {leaked}"


def test_the_check_would_catch_a_leak() -> None:
    """Guard against a test that cannot fail: importing the GUI does pull PySide6 in."""
    script = "import sys, PySide6.QtCore; print('PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True", result.stderr
