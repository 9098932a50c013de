"""The bundle's entry point: ``JobDesk.exe [--self-test | --demo | COMMAND …]``."""

from desktop_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
