"""Before the window opens on Linux: the xcb plugin's missing libraries, and the packages to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_app import cli, xcb_check
from desktop_app.xcb_check import debian_packages, missing_libraries, uses_xcb, xcb_problem

# What ldd printed for PySide6 6.11's libqxcb.so on a fresh Debian 12 desktop (trimmed).
LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd4b7f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f8c1f6a9000)
\tlibxcb-icccm.so.4 => not found
\tlibweird-vendor.so.3 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8c1f4c8000)
"""

X11 = {"DISPLAY": ":0"}


def fake_plugin(tmp_path: Path) -> Path:
    plugin = tmp_path / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(b"\x7fELF")
    return plugin


def test_the_libraries_ldd_cannot_find_are_listed_once_each() -> None:
    assert missing_libraries(LDD_OUTPUT) == [
        "libweird-vendor.so.3",
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
        "libxkbcommon-x11.so.0",
    ]
    assert missing_libraries("\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n") == []


def test_known_libraries_map_to_debian_packages_and_unknown_ones_are_kept() -> None:
    packages, unknown = debian_packages(missing_libraries(LDD_OUTPUT))
    assert packages == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"]
    assert unknown == ["libweird-vendor.so.3"]


def test_the_message_names_the_libraries_and_the_install_command(tmp_path: Path) -> None:
    plugin = fake_plugin(tmp_path)
    asked: list[Path] = []

    def ldd(library: Path) -> str:
        asked.append(library)
        return LDD_OUTPUT

    message = xcb_problem(X11, "linux", plugin=lambda: plugin, ldd=ldd)
    assert asked == [plugin]
    assert message is not None
    assert "libxcb-cursor.so.0" in message and "libxkbcommon-x11.so.0" in message
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0" in message
    assert "apt-file search" in message and "libweird-vendor.so.3" in message
    assert "Traceback" not in message


def test_nothing_to_say_when_every_library_is_there(tmp_path: Path) -> None:
    plugin = fake_plugin(tmp_path)
    assert (
        xcb_problem(X11, "linux", plugin=lambda: plugin, ldd=lambda _: "\tlibc.so.6 => /lib/libc.so.6\n")
        is None
    )


def test_no_verdict_without_the_plugin_or_ldd(tmp_path: Path) -> None:
    assert xcb_problem(X11, "linux", plugin=lambda: None, ldd=lambda _: LDD_OUTPUT) is None
    assert xcb_problem(X11, "linux", plugin=lambda: fake_plugin(tmp_path), ldd=lambda _: None) is None


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "win32", False),
        ({"DISPLAY": ":0"}, "darwin", False),
    ],
)
def test_only_an_x11_window_on_linux_is_checked(
    environ: dict[str, str], platform: str, expected: bool
) -> None:
    assert uses_xcb(environ, platform) is expected
    if not expected:  # ldd is never asked
        assert xcb_problem(environ, platform, plugin=lambda: Path("x"), ldd=lambda _: LDD_OUTPUT) is None


def test_the_app_exits_with_the_message_before_loading_qt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform != "linux":
        pytest.skip("the xcb plugin is Linux's")
    plugin = fake_plugin(tmp_path)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(xcb_check, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(xcb_check, "run_ldd", lambda _: LDD_OUTPUT)
    import desktop_app.ui.app

    def must_not_start(*args: object, **kwargs: object) -> int:
        raise AssertionError("the GUI was started")

    monkeypatch.setattr(desktop_app.ui.app, "run_gui", must_not_start)
    assert cli.main(["--database", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    err = capsys.readouterr().err
    assert "sudo apt-get install libxcb-cursor0" in err and "cannot open its window" in err


def test_this_machines_plugin_is_found_and_read() -> None:
    """The real PySide6 plugin and the real ldd: an answer either way, never an exception."""
    plugin = xcb_check.xcb_plugin()
    if sys.platform != "linux":
        assert plugin is None
        return
    assert plugin is not None and plugin.name == "libqxcb.so"
    output = xcb_check.run_ldd(plugin)
    if output is None:
        pytest.skip("no ldd on this machine")
    assert "libQt6XcbQpa" in output
    message = xcb_problem(X11, "linux")
    assert (message is None) == (missing_libraries(output) == [])
