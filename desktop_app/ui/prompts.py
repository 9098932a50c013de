"""The prompts seam: every confirm / question / message box goes through one object.

Views never call ``QMessageBox`` themselves; they ask ``ctx.prompts``. The application
uses :class:`QtPrompts`; tests and the screenshot tool use :class:`ScriptedPrompts`,
which answers from a script and records what was asked, so nothing ever blocks on a
modal dialog.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


class Prompts(Protocol):
    def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str = "OK") -> bool: ...

    def choose(self, parent: QWidget | None, title: str, text: str, options: list[str]) -> str | None: ...

    def inform(self, parent: QWidget | None, title: str, text: str) -> None: ...

    def error(self, parent: QWidget | None, title: str, text: str, details: str = "") -> None: ...

    def ask_text(self, parent: QWidget | None, title: str, label: str, default: str = "") -> str | None: ...

    def save_file(self, parent: QWidget | None, title: str, default: str, filters: str) -> str | None: ...

    def open_file(self, parent: QWidget | None, title: str, filters: str) -> str | None: ...


class QtPrompts:
    """Real dialogs for the running application."""

    def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str = "OK") -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.exec()
        return box.clickedButton() is yes

    def choose(self, parent: QWidget | None, title: str, text: str, options: list[str]) -> str | None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        buttons = {box.addButton(option, QMessageBox.ButtonRole.AcceptRole): option for option in options}
        box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return buttons.get(box.clickedButton())  # type: ignore[call-overload]

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def error(self, parent: QWidget | None, title: str, text: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
        if details:
            box.setInformativeText(details)
        box.exec()

    def ask_text(self, parent: QWidget | None, title: str, label: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(parent, title, label, text=default)
        return text if ok else None

    def save_file(self, parent: QWidget | None, title: str, default: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, default, filters)
        return path or None

    def open_file(self, parent: QWidget | None, title: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
        return path or None


@dataclass
class Asked:
    kind: str
    title: str
    text: str


@dataclass
class ScriptedPrompts:
    """Answers from a script; records every prompt. For tests and offscreen tools.

    ``answers`` is consumed first-in first-out; when empty, ``confirm`` answers
    ``default_confirm``, ``choose`` the first option, ``ask_text`` the default.
    """

    answers: deque[object] = field(default_factory=deque)
    asked: list[Asked] = field(default_factory=list)
    default_confirm: bool = True

    def queue(self, *answers: object) -> None:
        self.answers.extend(answers)

    def _next(self, fallback: object) -> object:
        return self.answers.popleft() if self.answers else fallback

    def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str = "OK") -> bool:
        self.asked.append(Asked("confirm", title, text))
        return bool(self._next(self.default_confirm))

    def choose(self, parent: QWidget | None, title: str, text: str, options: list[str]) -> str | None:
        self.asked.append(Asked("choose", title, text))
        answer = self._next(options[0] if options else None)
        return None if answer is None else str(answer)

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        self.asked.append(Asked("inform", title, text))

    def error(self, parent: QWidget | None, title: str, text: str, details: str = "") -> None:
        self.asked.append(Asked("error", title, f"{text}\n{details}".strip()))

    def ask_text(self, parent: QWidget | None, title: str, label: str, default: str = "") -> str | None:
        self.asked.append(Asked("ask_text", title, label))
        answer = self._next(default)
        return None if answer is None else str(answer)

    def save_file(self, parent: QWidget | None, title: str, default: str, filters: str) -> str | None:
        self.asked.append(Asked("save_file", title, default))
        answer = self._next(default)
        return None if answer is None else str(answer)

    def open_file(self, parent: QWidget | None, title: str, filters: str) -> str | None:
        self.asked.append(Asked("open_file", title, ""))
        answer = self._next(None)
        return None if answer is None else str(answer)

    def texts(self, kind: str | None = None) -> list[str]:
        return [a.text for a in self.asked if kind is None or a.kind == kind]
