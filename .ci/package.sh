#!/usr/bin/env bash
# CI step 3: build the Windows bundle's PyInstaller spec here (Linux) and run the bundle's
# --self-test: Qt offscreen, a new database, the embedded server, one simulated Web Connector
# session against the QuickBooks simulator. Skips (exit 0, saying so) only when PyInstaller
# cannot be installed. Called by .ci/run after the test suite, from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
PY=.venv/bin/python

echo "== packaging: PyInstaller bundle of installer/jobdesk.spec, then its --self-test"
if [ ! -x "$PY" ]; then
  echo "== packaging FAILED: $PY is missing (the test step should have created .venv)" >&2
  exit 1
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  if ! "$PY" -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.5"; then
    echo "== packaging SKIPPED: PyInstaller could not be installed (pip install pyinstaller failed);"
    echo "   the bundle was not built and its self-test did not run."
    exit 0
  fi
fi
echo "== PyInstaller $("$PY" -c 'import PyInstaller; print(PyInstaller.__version__)')"

# The build prints "== bundle built in N s (size MB)"; its warnings about Linux-only Qt
# plugins' system libraries (xcb, gtk) are expected and not shown.
timeout 900 "$PY" installer/build.py --no-installer 2>&1 | { grep -v "WARNING: Library not found" || true; } || {
  echo "== packaging FAILED: the bundle did not build" >&2
  exit 1
}

BUNDLE=dist/JobDesk/JobDesk
if [ ! -x "$BUNDLE" ]; then
  echo "== packaging FAILED: $BUNDLE was not built" >&2
  exit 1
fi
# Every data file the spec lists (installer/bundle_config.py) must be in the bundle.
"$PY" - <<'PYEOF'
import sys
from pathlib import Path

sys.path.insert(0, "installer")
import bundle_config as cfg

internal = Path("dist") / cfg.APP_NAME / "_internal"
missing = sorted(p for p in cfg.bundle_relative_paths() if not (internal / p).is_file())
if missing:
    sys.exit(f"== packaging FAILED: the bundle lacks {missing}")
print(f"== bundle holds all {len(cfg.bundle_relative_paths())} data files the app opens")
PYEOF
started=$(date +%s)
if timeout 180 "$BUNDLE" --self-test; then
  echo "== bundle self-test passed ($(( $(date +%s) - started )) s)"
else
  code=$?
  echo "== bundle self-test FAILED (exit code $code)" >&2
  exit 1
fi
