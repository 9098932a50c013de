"""What goes into the JobDesk bundle: names, version, data files, hidden imports.

Plain Python with no PyInstaller import, so the spec (``jobdesk.spec``), the build script
(``build.py``) and the tests (``tests/unit/test_bundle_contents.py``) all read the same
lists. Paths are relative to the repository root; in the bundle every data file keeps its
repository-relative folder, so code that finds its files next to its module
(``Path(__file__).with_name("migrations")``, ``…/ui/resources/icons``) finds them in the
bundle too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

APP_NAME = "JobDesk"
#: The executable and the bundle folder: dist/JobDesk/JobDesk(.exe).
EXE_NAME = "JobDesk"
PUBLISHER = "JobDesk"
DESCRIPTION = "JobDesk: jobs, invoices and payments for contractors, synced to QuickBooks Desktop"
ICON = "resources/icons/jobdesk.ico"
ICON_PNG = "resources/icons/jobdesk.png"
VERSION_SOURCE = "desktop_app/version.py"
ENTRY_SCRIPT = "installer/jobdesk_main.py"
#: Where build.py writes the Windows version resource (PyInstaller's ``version=`` file).
VERSION_FILE = "build/installer/version_info.txt"

#: (glob relative to ROOT, folder in the bundle). Every file the app opens at run time.
DATA_GLOBS: tuple[tuple[str, str], ...] = (
    # the GUI's style sheet and icons (desktop_app/ui/resources/__init__.py)
    ("desktop_app/ui/resources/styles/*.qss", "desktop_app/ui/resources/styles"),
    ("desktop_app/ui/resources/icons/*.svg", "desktop_app/ui/resources/icons"),
    # Alembic loads env.py and the revisions from disk (desktop_app/db/migrate.py)
    ("desktop_app/db/migrations/env.py", "desktop_app/db/migrations"),
    ("desktop_app/db/migrations/script.py.mako", "desktop_app/db/migrations"),
    ("desktop_app/db/migrations/versions/*.py", "desktop_app/db/migrations/versions"),
    # the application icon (window, shortcuts) and anything else shipped in resources/
    ("resources/icons/*", "resources/icons"),
)

#: spyne 2.14 bundles ``six``, whose ``six.moves`` imports these lazily (by name, at first
#: use): PyInstaller cannot see them, and without them the bundle fails at start.
SIX_MOVES_STDLIB: tuple[str, ...] = (
    "http.cookies",
    "http.cookiejar",
    "http.client",
    "http.server",
    "html.entities",
    "html.parser",
    "email.mime.base",
    "email.mime.image",
    "email.mime.multipart",
    "email.mime.nonmultipart",
    "email.mime.text",
    "urllib.parse",
    "urllib.error",
    "urllib.request",
    "urllib.response",
    "urllib.robotparser",
    "collections.abc",
    "configparser",
    "copyreg",
    "pickle",
    "queue",
    "reprlib",
    "socketserver",
    "xmlrpc.client",
    "xmlrpc.server",
)

#: Imported by name or lazily, so the analysis may not see them.
HIDDEN_IMPORTS: tuple[str, ...] = (
    *SIX_MOVES_STDLIB,
    "lxml._elementpath",
    "lxml.etree",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "alembic.context",
    "alembic.op",
    "alembic.runtime.environment",
    "alembic.runtime.migration",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "waitress.server",
    "PySide6.QtSvg",
    "PySide6.QtPrintSupport",
)

#: Only with the ``postgres`` extra installed (then PostgreSQL companies work in the bundle).
POSTGRES_IMPORTS: tuple[str, ...] = ("sqlalchemy.dialects.postgresql.psycopg", "psycopg", "psycopg_binary")

#: spyne modules for frameworks JobDesk does not use (Django, Twisted, ZeroMQ, …), its tests,
#: and its old SQLAlchemy store: left out of ``collect_submodules("spyne")``.
SPYNE_EXCLUDED_PARTS = frozenset(
    {"test", "django", "twisted", "zeromq", "pyramid", "flask", "msgpack", "yaml", "store", "_twisted"}
)

#: Never in the bundle: test tools, other GUI toolkits, big optional libraries.
EXCLUDES: tuple[str, ...] = (
    "tkinter",
    "pytest",
    "_pytest",
    "hypothesis",
    "mypy",
    "ruff",
    "IPython",
    "numpy",
    "PIL",
    "matplotlib",
    "twisted",
    "django",
    "zmq",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "tests",
)


def spyne_module_wanted(name: str) -> bool:
    return not (set(name.split(".")) & SPYNE_EXCLUDED_PARTS)


def app_module_wanted(name: str) -> bool:
    """Every JobDesk module except the migrations (those are data files, loaded by Alembic)."""
    return not name.startswith("desktop_app.db.migrations")


def read_version(root: Path = ROOT) -> str:
    """``__version__`` from desktop_app/version.py, read without importing the package."""
    tree = ast.parse((root / VERSION_SOURCE).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise ValueError(f"no __version__ = '…' in {VERSION_SOURCE}")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """ "1.2.3" / "1.2.3rc1" / "1.2" → (1, 2, 3, 0): Windows wants four small numbers."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:4]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def version_file_text(version: str) -> str:
    """A Windows version resource in PyInstaller's ``VSVersionInfo`` format."""
    v = version_tuple(version)
    strings = {
        "CompanyName": PUBLISHER,
        "FileDescription": DESCRIPTION,
        "FileVersion": version,
        "InternalName": EXE_NAME,
        "LegalCopyright": f"© {PUBLISHER}",
        "OriginalFilename": f"{EXE_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }
    string_structs = ",\n".join(f"          StringStruct({k!r}, {val!r})" for k, val in strings.items())
    return f"""# UTF-8 — generated by installer/build.py from {VERSION_SOURCE}; do not edit.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={v},
    prodvers={v},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '040904B0',
        [
{string_structs}
        ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_version_file(root: Path = ROOT, version: str | None = None) -> Path:
    path = root / VERSION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(version_file_text(version or read_version(root)), encoding="utf-8")
    return path


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, folder in the bundle) for every data file, as PyInstaller's ``datas``."""
    found: list[tuple[str, str]] = []
    for pattern, dest in DATA_GLOBS:
        matches = sorted(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
        if not matches:
            raise FileNotFoundError(f"no file matches {pattern!r}: the bundle would be incomplete")
        found += [(str(p), dest) for p in matches]
    return found


def bundle_relative_paths(root: Path = ROOT) -> set[str]:
    """Where each data file lands in the bundle (posix paths relative to the bundle root)."""
    return {f"{dest}/{Path(src).name}" for src, dest in data_files(root)}
