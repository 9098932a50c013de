"""Imports every model module so the metadata is complete (migrations, create_all)."""

from __future__ import annotations


def load() -> None:
    from desktop_app.db import (  # noqa: F401
        append_only,
        connection_models,
        credit_models,
        models,
        qbwc_models,
        quickbooks_refs,
        sync_models,
        user_models,
    )

    append_only.install()
