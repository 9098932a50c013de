"""Can Qt's X11 platform plugin load here? If not, which system libraries are missing.

On Linux, Qt draws through its ``xcb`` plugin (``libqxcb.so``), which links against system
libraries that a fresh desktop install may lack (``libxcb-cursor0`` since Qt 6.5,
``libxcb-icccm4``, ``libxkbcommon-x11-0`` …). Without them Qt aborts the process with a
message about "platform plugins" that names no package. Before the window opens we ask the
dynamic linker (``ldd``) what the plugin cannot find and say which packages to install.

No Qt import here: this runs before Qt is loaded (``import PySide6`` only loads the
package's ``__init__``, which is how the plugin folder is found).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

#: Debian and Ubuntu package of each library Qt's xcb plugin commonly misses.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-dri3.so.0": "libxcb-dri3-0",
    "libxcb-present.so.0": "libxcb-present0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)

Ldd = Callable[[Path], str | None]


def uses_xcb(environ: Mapping[str, str], platform: str) -> bool:
    """Will Qt pick its xcb plugin for a window in this environment?"""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if chosen:
        return chosen == "xcb"
    # Qt prefers Wayland when a Wayland session is running; X11 (or XWayland) otherwise.
    return bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    """PySide6's ``libqxcb.so``, or None where there is none (Windows, macOS, no PySide6)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def run_ldd(library: Path) -> str | None:
    """The dynamic linker's view of ``library``'s dependencies; None if ``ldd`` is missing."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        done = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reported as "not found", each once, sorted."""
    return sorted(set(_NOT_FOUND.findall(ldd_output)))


def debian_packages(libraries: list[str]) -> tuple[list[str], list[str]]:
    """(packages that provide the known libraries, libraries not in the table)."""
    packages = sorted({DEBIAN_PACKAGES[name] for name in libraries if name in DEBIAN_PACKAGES})
    unknown = [name for name in libraries if name not in DEBIAN_PACKAGES]
    return packages, unknown


def explain(libraries: list[str]) -> str:
    """What a person reads when the window cannot open: what is missing, and the fix."""
    packages, unknown = debian_packages(libraries)
    lines = [
        "JobDesk cannot open its window: Qt's X11 platform plugin (xcb) needs system libraries "
        "that are not installed on this machine:",
        *(f"    {name}" for name in libraries),
        "",
    ]
    if packages:
        lines += [
            "On Debian or Ubuntu, install them with:",
            "    sudo apt-get install " + " ".join(packages),
        ]
    if unknown:
        lines.append(
            "Find the package of "
            + ", ".join(unknown)
            + " with your distribution's package search (on Debian or Ubuntu: apt-file search NAME)."
        )
    lines += [
        "",
        "Then start JobDesk again. (The Web Connector server needs no window: python run.py server)",
    ]
    return "\n".join(lines)


def xcb_problem(
    environ: Mapping[str, str],
    platform: str,
    *,
    plugin: Callable[[], Path | None] | None = None,
    ldd: Ldd | None = None,
) -> str | None:
    """The message to show instead of opening the window, or None when it can open.

    None too when we cannot tell (no plugin file, no ``ldd``): Qt then reports for itself.
    """
    if not uses_xcb(environ, platform):
        return None
    library = (plugin or xcb_plugin)()
    if library is None:
        return None
    output = (ldd or run_ldd)(library)
    if output is None:
        return None
    missing = missing_libraries(output)
    return explain(missing) if missing else None
