"""Imports every model module so the metadata is complete (migrations, create_all)."""

from __future__ import annotations


def load() -> None:
    from desktop_app.db import append_only, models, qbwc_models, sync_models, user_models  # noqa: F401

    append_only.install()
