"""The GUI's one error boundary: what a person sees when something goes wrong.

* a ``JobDeskError``: its own message (it is written for people);
* a ``Conflict`` with a way to reload: the message and a "Reload" choice;
* anything else: a short apology and where the log file is; the traceback goes to the log.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from desktop_app.errors import Conflict, JobDeskError, PermissionDenied
from desktop_app.ui.logs import log_file, logger
from desktop_app.ui.prompts import Prompts

RELOAD = "Reload"
UNEXPECTED = "Something went wrong and the action was not completed. Your data is safe."


def unexpected_message() -> str:
    return f"{UNEXPECTED}\n\nDetails were written to the log file:\n{log_file()}"


def show_error(
    prompts: Prompts,
    parent: QWidget | None,
    exc: BaseException,
    *,
    title: str = "JobDesk",
    on_reload: Callable[[], None] | None = None,
) -> None:
    """Tell the user about ``exc`` in words they understand."""
    if isinstance(exc, Conflict) and on_reload is not None:
        answer = prompts.choose(parent, "Changed by someone else", str(exc), [RELOAD, "Keep my changes"])
        if answer == RELOAD:
            on_reload()
        return
    if isinstance(exc, PermissionDenied):
        prompts.error(parent, "Not allowed", str(exc))
        return
    if isinstance(exc, JobDeskError):
        prompts.error(parent, title, str(exc))
        return
    logger("errors").error("Unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    prompts.error(parent, title, unexpected_message())
