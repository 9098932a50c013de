"""The bundle carries every file the app opens at run time; spec, build script and Inno Setup agree.

Read-only checks of installer/ against the code: no PyInstaller run (CI's .ci/package.sh
builds the bundle and runs its --self-test).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import struct
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
PACKAGES = ("desktop_app", "qbwc_server")
#: Modules that find files next to themselves, and the folders they read.
FILE_READERS = {
    "desktop_app/ui/resources/__init__.py": (
        "desktop_app/ui/resources/icons",
        "desktop_app/ui/resources/styles",
    ),
    "desktop_app/db/migrate.py": ("desktop_app/db/migrations", "desktop_app/db/migrations/versions"),
}
#: Code that looks beside the repository for files that are never shipped: Intuit's qbXML
#: reference (we may not ship it); without it the simulator uses the product's own table.
NOT_SHIPPED_READERS = {"qbwc_server/simulator/reference_rules.py": "../shared/reference (Intuit's files)"}
RESOURCE_SUFFIXES = (".qss", ".svg", ".ico", ".png", ".mako", ".ini", ".json", ".xml", ".xsd", ".csv")


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cfg() -> ModuleType:
    return _load("bundle_config", INSTALLER / "bundle_config.py")


@pytest.fixture(scope="module")
def build() -> ModuleType:
    return _load("jobdesk_installer_build", INSTALLER / "build.py")


@pytest.fixture(scope="module")
def bundled(cfg: ModuleType) -> set[str]:
    return set(cfg.bundle_relative_paths(ROOT))


@pytest.fixture(scope="module")
def iss_defines() -> dict[str, str]:
    text = (INSTALLER / "jobdesk.iss").read_text(encoding="utf-8")
    return dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"', text, re.MULTILINE))


def _source_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- data files ---------------------------------------------------------------------------------------


def test_every_non_python_file_in_the_packages_is_bundled(bundled: set[str]) -> None:
    data = [
        p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert data, "expected the GUI's styles and icons at least"
    missing = sorted(_rel(p) for p in data if _rel(p) not in bundled)
    assert not missing, f"not in installer/bundle_config.py DATA_GLOBS: {missing}"


def test_migrations_are_bundled_as_files_for_alembic(bundled: set[str]) -> None:
    folder = ROOT / "desktop_app" / "db" / "migrations"
    needed = [folder / "env.py", folder / "script.py.mako", *sorted((folder / "versions").glob("*.py"))]
    assert len(needed) > 2
    missing = [_rel(p) for p in needed if _rel(p) not in bundled]
    assert not missing, missing


def test_code_that_reads_files_beside_it_is_known_and_its_folders_bundled(bundled: set[str]) -> None:
    readers = {_rel(p) for p in _source_files() if "__file__" in p.read_text(encoding="utf-8")}
    readers -= {r for r in readers if r.startswith("desktop_app/db/migrations/")}
    unknown = readers - set(FILE_READERS) - set(NOT_SHIPPED_READERS)
    assert not unknown, (
        f"{sorted(unknown)} find files with __file__: add what they read to installer/bundle_config.py "
        "DATA_GLOBS and to FILE_READERS here"
    )
    for reader, folders in FILE_READERS.items():
        assert reader in readers, f"{reader} no longer uses __file__: update FILE_READERS"
        for folder in folders:
            files = [p for p in (ROOT / folder).iterdir() if p.is_file() and p.name != "__init__.py"]
            missing = [_rel(p) for p in files if _rel(p) not in bundled]
            assert not missing, f"{reader} reads {folder}, but the bundle lacks {missing}"


def test_resource_names_in_the_code_are_bundled(bundled: set[str]) -> None:
    """Literal file names (``"jobdesk.qss"``) and icon names (``icon("sync", …)``) the code uses."""
    names: set[str] = set()
    icons: set[str] = set()
    suffixes = "|".join(re.escape(s) for s in RESOURCE_SUFFIXES)
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(rf'["\']([\w.-]+(?:{suffixes}))["\']', text))
        icons |= set(re.findall(r'\bicon\(\s*["\']([\w-]+)["\']', text))
    from desktop_app.ui.main_window import SCREENS

    icons |= {spec.icon for spec in SCREENS}
    assert "jobdesk.qss" in names and "logo" in icons
    # A named file the repository ships (in a package or resources/) must be in the bundle;
    # names the repository has no file for are files the app writes (settings, exports, …).
    shipped = {
        p.name: _rel(p)
        for folder in (*PACKAGES, "resources")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    missing = sorted(shipped[n] for n in names if n in shipped and shipped[n] not in bundled)
    assert not missing, f"the code names files the bundle lacks: {missing}"
    missing_icons = sorted(i for i in icons if f"desktop_app/ui/resources/icons/{i}.svg" not in bundled)
    assert not missing_icons, f"icons used but not bundled: {missing_icons}"


def test_pyproject_package_data_ships_the_same_files(cfg: ModuleType) -> None:
    """A wheel / pip install needs the files too; modules of a package come with it anyway."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    for source, _dest in cfg.data_files(ROOT):
        rel = _rel(Path(source))
        package, _, inner = rel.partition("/")
        a_module = rel.endswith(".py") and (Path(source).parent / "__init__.py").exists()
        if package not in PACKAGES or a_module:
            continue
        patterns = package_data.get(package, [])
        assert any(fnmatch.fnmatch(inner, pattern) for pattern in patterns), (
            f"{rel} is bundled but not in pyproject [tool.setuptools.package-data]"
        )


# -- the spec and its imports ------------------------------------------------------------------------------


def test_spec_uses_the_shared_lists_and_names() -> None:
    spec = (INSTALLER / "jobdesk.spec").read_text(encoding="utf-8")
    for needed in (
        "datas=cfg.data_files(ROOT)",
        "cfg.HIDDEN_IMPORTS",
        'collect_submodules("desktop_app"',
        'collect_submodules("qbwc_server")',
        'collect_submodules("spyne"',
        "name=cfg.EXE_NAME",
        "name=cfg.APP_NAME",
        "icon=str(ROOT / cfg.ICON)",
        "version=str(VERSION_FILE)",
        "console=False",
        "exclude_binaries=True",  # one-folder
        "excludes=list(cfg.EXCLUDES)",
        "cfg.ENTRY_SCRIPT",
    ):
        assert needed in spec, f"jobdesk.spec lacks {needed!r}"
    assert not re.search(r"\d+\.\d+\.\d+", spec), "the version belongs in desktop_app/version.py only"


def test_hidden_imports_cover_spynes_lazy_six_moves(cfg: ModuleType) -> None:
    from spyne.util import six

    lazy = {m.mod for m in six._moved_attributes if isinstance(m, six.MovedModule)}
    for name in dir(six):
        if name.startswith("_urllib_") and name.endswith("_moved_attributes"):
            lazy |= {a.mod for a in getattr(six, name)}
    # builtins/_thread are always there; dbm and tkinter are not used by spyne's code paths
    lazy = {m for m in lazy if not m.startswith(("builtins", "_thread", "dbm", "tkinter", "spyne."))}
    assert "http.cookies" in lazy
    missing = sorted(lazy - set(cfg.HIDDEN_IMPORTS))
    assert not missing, f"spyne's six loads these lazily; add them to HIDDEN_IMPORTS: {missing}"
    for name in cfg.SIX_MOVES_STDLIB:
        assert importlib.util.find_spec(name) is not None, name


def test_hidden_imports_exist_and_filters_keep_what_the_app_needs(cfg: ModuleType) -> None:
    for name in cfg.HIDDEN_IMPORTS:
        assert importlib.util.find_spec(name) is not None, f"hidden import {name} does not exist"
    assert "lxml._elementpath" in cfg.HIDDEN_IMPORTS
    for kept in ("spyne.server.wsgi", "spyne.protocol.soap.soap11", "spyne.interface.wsdl.wsdl11"):
        assert cfg.spyne_module_wanted(kept), kept
    for dropped in ("spyne.server.django", "spyne.server.twisted.http", "spyne.test.foo"):
        assert not cfg.spyne_module_wanted(dropped), dropped
    assert cfg.app_module_wanted("desktop_app.ui.views.customers")
    assert cfg.app_module_wanted("desktop_app.selftest")
    assert not cfg.app_module_wanted("desktop_app.db.migrations.env")
    from desktop_app.ui.main_window import SCREENS

    for spec in SCREENS:  # loaded by name: only collect_submodules("desktop_app") brings them
        module = spec.target.split(":")[0]
        assert module.startswith("desktop_app.") and cfg.app_module_wanted(module)


def test_entry_script_runs_the_app_cli() -> None:
    text = (INSTALLER / "jobdesk_main.py").read_text(encoding="utf-8")
    assert "from desktop_app.cli import main" in text


# -- version ----------------------------------------------------------------------------------------------


def test_one_version_everywhere(cfg: ModuleType, build: ModuleType, tmp_path: Path) -> None:
    from desktop_app.version import __version__

    assert cfg.read_version(ROOT) == __version__
    numeric = cfg.version_tuple(__version__)
    assert len(numeric) == 4 and all(0 <= n < 65536 for n in numeric)
    assert cfg.version_tuple("1.2.3rc4+local") == (1, 2, 3, 4)
    assert cfg.version_tuple("2.0") == (2, 0, 0, 0)
    command = build.iscc_command(Path("ISCC.exe"), __version__)
    assert f"/DMyAppVersion={__version__}" in command
    assert f"/DMyAppVersionNumeric={'.'.join(map(str, numeric))}" in command
    assert command[-1] == str(INSTALLER / "jobdesk.iss")


def test_version_resource_is_a_valid_pyinstaller_version_file(cfg: ModuleType, tmp_path: Path) -> None:
    path = cfg.write_version_file(tmp_path, "3.4.5")
    seen: dict[str, Any] = {}

    def recorder(kind: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
            seen.setdefault(kind, []).append((args, kwargs))
            return (kind, args, kwargs)

        return make

    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct"]
    names += ["VarFileInfo", "VarStruct"]
    namespace = {name: recorder(name) for name in names}
    eval(path.read_text(encoding="utf-8"), namespace)  # what PyInstaller's loader does
    fixed = seen["FixedFileInfo"][0][1]
    assert fixed["filevers"] == fixed["prodvers"] == (3, 4, 5, 0)
    strings = dict(args for args, _ in seen["StringStruct"])
    assert strings["ProductVersion"] == strings["FileVersion"] == "3.4.5"
    assert strings["OriginalFilename"] == f"{cfg.EXE_NAME}.exe"
    assert strings["ProductName"] == cfg.APP_NAME


# -- icon -------------------------------------------------------------------------------------------------


def test_application_icon_files(cfg: ModuleType) -> None:
    ico = (ROOT / cfg.ICON).read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    png = (ROOT / cfg.ICON_PNG).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)
    assert f"{cfg.ICON}".startswith("resources/icons/")
    assert any(dest == "resources/icons" for _src, dest in cfg.DATA_GLOBS)


# -- Inno Setup ----------------------------------------------------------------------------------------------


def test_inno_setup_script_matches_the_spec(
    cfg: ModuleType, build: ModuleType, iss_defines: dict[str, str]
) -> None:
    text = (INSTALLER / "jobdesk.iss").read_text(encoding="utf-8")
    assert iss_defines["MyAppName"] == cfg.APP_NAME
    assert iss_defines["MyAppExeName"] == f"{cfg.EXE_NAME}.exe"
    icon = (INSTALLER / iss_defines["MyAppIcon"].replace("\\", "/")).resolve()
    assert icon == (ROOT / cfg.ICON).resolve() and icon.exists()
    bundle = (INSTALLER / iss_defines["MyBundleDir"].replace("\\", "/")).resolve()
    assert bundle == build.bundle_dir().resolve() == (ROOT / "dist" / cfg.APP_NAME).resolve()
    assert "MyAppVersion" not in iss_defines, "the version comes from build.py (/DMyAppVersion), not the .iss"
    for line in (
        "AppVersion={#MyAppVersion}",
        "VersionInfoVersion={#MyAppVersionNumeric}",
        "SetupIconFile={#MyAppIcon}",
        "UninstallDisplayIcon={app}\\{#MyAppExeName}",
        "DefaultDirName={autopf}\\{#MyAppName}",
        "OutputDir=..\\dist",
        "OutputBaseFilename={#MyAppName}-{#MyAppVersion}-setup",
        'Source: "{#MyBundleDir}\\{#MyAppExeName}"',
        'Source: "{#MyBundleDir}\\_internal\\*"',
    ):
        assert line in text, f"jobdesk.iss lacks {line!r}"
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", text, re.MULTILINE), "a fixed AppId GUID"


def test_inno_setup_covers_the_issue(iss_defines: dict[str, str]) -> None:
    text = (INSTALLER / "jobdesk.iss").read_text(encoding="utf-8")
    sections = set(re.findall(r"^\[(\w+)\]", text, re.MULTILINE))
    assert {"Setup", "Tasks", "Files", "Icons", "Run", "Code"} <= sections
    assert '"{autoprograms}\\{#MyAppName}"' in text  # Start menu
    assert re.search(r'"\{autodesktop\}.*Tasks: desktopicon', text)  # optional desktop shortcut
    assert re.search(r'"\{autostartup\}.*Tasks: startup', text)  # optional start at sign-in
    assert re.search(r'Parameters: "setup-web-connector".*postinstall', text)  # offer the .qwc
    entry = (INSTALLER / "jobdesk_main.py").read_text(encoding="utf-8")
    assert 'SETUP_QWC = "setup-web-connector"' in entry


def test_inno_setup_never_deletes_user_data(iss_defines: dict[str, str]) -> None:
    from desktop_app.db.engine import APP_NAME

    text = (INSTALLER / "jobdesk.iss").read_text(encoding="utf-8")
    assert iss_defines["MyDataDir"] == "{localappdata}\\" + APP_NAME  # platformdirs' user_data_dir
    for section in ("InstallDelete", "UninstallDelete"):
        body = re.search(rf"^\[{section}\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
        assert body is not None
        entries = [line for line in body.group(1).splitlines() if line.startswith("Type:")]
        for line in entries:
            assert "{app}" in line, f"[{section}] may only delete program files: {line}"
            assert "localappdata" not in line.lower() and "userappdata" not in line.lower()
