"""Process-wide settings made after start-up."""

from __future__ import annotations

import gc

from desktop_app.runtime import settle_after_start


def test_settling_takes_the_start_up_heap_out_of_later_collections() -> None:
    started_with: list[list[int]] = [[1], [2]]
    settle_after_start()
    try:
        assert gc.get_freeze_count() > 0
        tracked = gc.get_objects()  # what later collections walk
        assert not any(o is started_with for o in tracked)
        made_later: list[list[int]] = [[3]]
        assert any(o is made_later for o in gc.get_objects())
    finally:
        gc.unfreeze()
