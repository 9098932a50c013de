"""Imports every model module so the metadata is complete (migrations, create_all)."""

from __future__ import annotations


def load() -> None:
    from desktop_app.db import models, qbwc_models, sync_models  # noqa: F401
