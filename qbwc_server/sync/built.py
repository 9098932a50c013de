"""A request built for one queue item, with what the answer's handler needs to know.

Apart from ``plan`` so that the builders of other requests (``imports``) can make one
without importing the planner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qbwc_server import qbxml as q


@dataclass
class Built:
    """The request for one item, with what the response handler needs to know."""

    phase: str
    element: q.Request
    values: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    _xml: str | None = field(default=None, repr=False)

    @property
    def xml(self) -> str:
        """The request as text (serialised once: its size decides the batch, then it is sent)."""
        if self._xml is None:
            self._xml = to_xml(self.element)
        return self._xml


def to_xml(element: q.Request) -> str:
    text: bytes = etree.tostring(element, encoding="utf-8")
    return text.decode("utf-8")
