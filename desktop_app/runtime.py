"""Process-wide settings made once the application has started."""

from __future__ import annotations

import gc


def settle_after_start() -> None:
    """Tell the garbage collector that what start-up built lives as long as the process.

    ``gc.freeze`` moves every object alive now (modules, mappers, compiled statements,
    windows) out of the collector's reach, so each later full collection walks only what
    was made since: a sync batch's records, a screen's page of rows. Without it every full
    collection walks the whole start-up heap again (measured in benchmarks/sync_bench.py:
    about a tenth of the sync engine's time). These objects are never freed anyway.
    """
    gc.collect()
    gc.freeze()
