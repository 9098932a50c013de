"""Every kind of record that goes to QuickBooks can be edited from its alert, or says where."""

from __future__ import annotations

import importlib

from desktop_app.services import record_kinds
from desktop_app.ui.views.sync_alerts_tab import EDITORS, NO_EDITOR


def test_every_record_kind_has_a_window_or_says_where_it_is_changed() -> None:
    kinds = set(record_kinds.KINDS)
    assert kinds <= set(EDITORS) | set(NO_EDITOR), kinds - set(EDITORS) - set(NO_EDITOR)
    assert not set(EDITORS) & set(NO_EDITOR)
    for target in EDITORS.values():
        module_name, class_name = target.split(":")
        assert hasattr(importlib.import_module(module_name), class_name), target
