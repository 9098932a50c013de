"""Columns that fit the table's width: on a small screen (1024 × 768) every column stays in
view, the wide text columns giving up room first, then the others down to their heading.

A column never goes below what its heading needs (and 70 px for text), so when even that
does not fit the table scrolls sideways as before, with nothing hidden for good.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView

from desktop_app.ui.models.columns import Column

TEXT_MIN = 70
#: Room for the padding and the sort arrow beside a heading.
HEADING_PAD = 24


def fitted_widths(
    preferred: Sequence[int],
    minimum: Sequence[int],
    room: int,
    stretch: int | None,
    text: Sequence[bool] = (),
) -> list[int]:
    """Widths that add up to ``room`` where possible: shrink toward ``minimum`` in proportion
    to what each column can give; extra room goes to the ``stretch`` column."""
    widths = list(preferred)
    total = sum(widths)
    if total <= room:
        if stretch is not None:
            widths[stretch] += room - total
        return widths
    excess = total - room
    # Text columns give first (they elide well); then the others.
    is_text = list(text) or [False] * len(widths)
    for allowed in (lambda i: is_text[i], lambda i: True):
        give = [max(widths[i] - minimum[i], 0) if allowed(i) else 0 for i in range(len(widths))]
        can = sum(give)
        if can <= 0:
            continue
        take = min(excess, can)
        cuts = [take * g // can for g in give]
        cuts[give.index(max(give))] += take - sum(cuts)  # rounding goes to the roomiest column
        widths = [w - c for w, c in zip(widths, cuts, strict=True)]
        excess -= take
        if excess <= 0:
            break
    return widths


class ColumnFitter(QObject):
    """Refits a table's columns whenever its viewport changes width."""

    def __init__(self, table: QTableView, columns: Sequence[Column]) -> None:
        super().__init__(table)
        self.table = table
        self.columns = tuple(columns)
        header = table.horizontalHeader()
        metrics = header.fontMetrics()
        self.minimum = [
            max(
                metrics.horizontalAdvance(column.title) + HEADING_PAD,
                TEXT_MIN if column.kind == "text" else 0,
            )
            for column in self.columns
        ]
        self.minimum = [min(m, c.width) for m, c in zip(self.minimum, self.columns, strict=True)]
        header.setMinimumSectionSize(min(self.minimum))
        for number in range(len(self.columns)):
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
        self._width = -1
        # Owned by the table (through this fitter), so it dies with it: no call after deletion.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Resizing sections inside the viewport's own resize can resize it again (scroll
        # bars): fit once the event is over, on the width it settled at.
        if event.type() == QEvent.Type.Resize:
            self._timer.start()
        return False

    def fit(self) -> None:
        room = self.table.viewport().width()
        if room == self._width or room <= 0:
            return
        self._width = room
        header = self.table.horizontalHeader()
        order = [header.logicalIndex(visual) for visual in range(header.count())]
        shown = [i for i in order if i < len(self.columns) and not header.isSectionHidden(i)]
        stretch = next((n for n, i in enumerate(shown) if self.columns[i].stretch), None)
        widths = fitted_widths(
            [self.columns[i].width for i in shown],
            [self.minimum[i] for i in shown],
            room,
            stretch,
            [self.columns[i].kind == "text" for i in shown],
        )
        for logical, width in zip(shown, widths, strict=True):
            if header.sectionResizeMode(logical) != QHeaderView.ResizeMode.Interactive:
                header.setSectionResizeMode(
                    logical, QHeaderView.ResizeMode.Interactive
                )  # an old saved layout
            header.resizeSection(logical, width)
