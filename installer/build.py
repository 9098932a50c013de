"""Build JobDesk's bundle (and on Windows its setup program).

    python installer/build.py                  # the bundle: dist/JobDesk/ (+ the installer on Windows)
    python installer/build.py --self-test      # … then run the bundle's --self-test
    python installer/build.py --no-installer   # the bundle only, even on Windows

Needs PyInstaller (``pip install -e .[package]``). On Windows the setup program needs Inno
Setup 6 (ISCC.exe on PATH, in its default folder, or named by ``ISCC``); without it the
bundle is still built and the script says how to get the installer. The version comes from
desktop_app/version.py, the only place it is written: it goes into the Windows version
resource of JobDesk.exe and, as ``/DMyAppVersion``, into the setup program.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_config as cfg

ROOT = cfg.ROOT
SPEC = ROOT / "installer" / "jobdesk.spec"
ISS = ROOT / "installer" / "jobdesk.iss"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"


def bundle_dir() -> Path:
    return DIST / cfg.APP_NAME


def bundle_exe() -> Path:
    return bundle_dir() / (cfg.EXE_NAME + (".exe" if sys.platform == "win32" else ""))


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build_bundle(*, clean: bool) -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit("PyInstaller is not installed. Install it with:  pip install -e .[package]")
    version = cfg.read_version()
    cfg.write_version_file(ROOT, version)
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={DIST}",
        f"--workpath={WORK}",
    ]
    if clean:
        command.append("--clean")
    command.append(str(SPEC))
    print(f"== building the {cfg.APP_NAME} {version} bundle with PyInstaller", flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    exe = bundle_exe()
    if not exe.exists():
        raise SystemExit(f"PyInstaller finished but {exe} is missing")
    size = folder_size(bundle_dir()) / 1e6
    print(f"== bundle built in {time.perf_counter() - started:.0f} s ({size:.0f} MB): {exe}", flush=True)
    return exe


def run_self_test(exe: Path, timeout: float = 180) -> int:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    print(f"== running {exe.name} --self-test", flush=True)
    try:
        result = subprocess.run([str(exe), "--self-test"], env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"== bundle self-test did not finish within {timeout:.0f} s", flush=True)
        return 1
    print(
        "== bundle self-test passed"
        if result.returncode == 0
        else f"== bundle self-test FAILED (exit code {result.returncode})",
        flush=True,
    )
    return result.returncode


def find_iscc() -> Path | None:
    candidates = [os.environ.get("ISCC", ""), shutil.which("ISCC") or "", shutil.which("iscc") or ""]
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base:
            candidates.append(str(Path(base) / "Inno Setup 6" / "ISCC.exe"))
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def iscc_command(iscc: Path, version: str) -> list[str]:
    numeric = ".".join(str(n) for n in cfg.version_tuple(version))
    return [str(iscc), f"/DMyAppVersion={version}", f"/DMyAppVersionNumeric={numeric}", str(ISS)]


def build_installer() -> Path | None:
    iscc = find_iscc()
    if iscc is None:
        print(
            "== Inno Setup 6 not found: the bundle is in dist/, but no setup program was made.\n"
            "   Install it from https://jrsoftware.org/isdl.php (or set ISCC=path\\to\\ISCC.exe) "
            "and run this again.",
            flush=True,
        )
        return None
    version = cfg.read_version()
    print(f"== building the setup program with {iscc}", flush=True)
    subprocess.run(iscc_command(iscc, version), cwd=ROOT, check=True)
    setup = DIST / f"{cfg.APP_NAME}-{version}-setup.exe"
    print(f"== setup program: {setup} ({setup.stat().st_size / 1e6:.0f} MB)", flush=True)
    return setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--self-test", action="store_true", help="run the built bundle's --self-test")
    parser.add_argument("--no-installer", action="store_true", help="skip Inno Setup even on Windows")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    args = parser.parse_args(argv)
    exe = build_bundle(clean=args.clean)
    if args.self_test and run_self_test(exe) != 0:
        return 1
    if sys.platform == "win32" and not args.no_installer:
        build_installer()
    elif not args.no_installer:
        print(f"== no setup program on {sys.platform}: Inno Setup runs on Windows only", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
