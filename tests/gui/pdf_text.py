"""Read a PDF back as lines of text with their boxes (points from the page's top-left)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextContainer, LTTextLine


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    def overlaps(self, other: Line, slack: float = 0.5) -> bool:
        return (
            self.x0 < other.x1 - slack
            and other.x0 < self.x1 - slack
            and self.top < other.bottom - slack
            and other.top < self.bottom - slack
        )

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]

    def find(self, text: str) -> list[Line]:
        return [line for line in self.lines if line.text == text]

    def one(self, text: str) -> Line:
        found = self.find(text)
        assert len(found) == 1, f"{text!r} is on the page {len(found)} times: {self.texts()}"
        return found[0]

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def read_pdf(path: Path) -> list[Page]:
    pages = []
    for layout in extract_pages(str(path), laparams=LAParams()):
        lines = []
        for box in layout:
            if not isinstance(box, LTTextContainer):
                continue
            for item in box:
                if isinstance(item, LTTextLine) and _clean(item.get_text()):
                    lines.append(
                        Line(
                            _clean(item.get_text()),
                            item.x0,
                            layout.height - item.y1,
                            item.x1,
                            layout.height - item.y0,
                        )
                    )
        lines.sort(key=lambda line: (round(line.top), line.x0))
        pages.append(Page(layout.width, layout.height, tuple(lines)))
    return pages
