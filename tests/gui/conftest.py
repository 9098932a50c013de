"""GUI fixtures: an application context over the test database, with scripted prompts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop_app.db.uow import Actor, Database
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts


@pytest.fixture
def prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


@pytest.fixture
def ctx(
    qapp: object, db: Database, admin: Actor, prompts: ScriptedPrompts, tmp_path: Path
) -> Iterator[AppContext]:
    from desktop_app.ui.app import apply_style
    from desktop_app.ui.logs import configure_logging

    configure_logging(tmp_path / "logs")
    apply_style(qapp)  # type: ignore[arg-type]
    settings_file = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    context = AppContext(db, admin, prompts=prompts, settings=settings_file)
    yield context
    context.tasks.wait(10_000)
