"""``python -m desktop_app``: the JobDesk application and its maintenance commands."""

from desktop_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
