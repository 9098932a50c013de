"""A request built for one queue item, with what the answer's handler needs to know.

Apart from ``plan`` so that the builders of other requests (``imports``) can make one
without importing the planner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.qbxml.flat import Flat


@dataclass
class Built:
    """The request for one item, with what the response handler needs to know."""

    phase: str
    #: A tree, or (customers, jobs, invoices: most of a sync) the same request written flat.
    request: q.Request | Flat
    values: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    _xml: str | None = field(default=None, repr=False)

    @property
    def element(self) -> q.Request:
        request = self.request
        return request.element() if isinstance(request, Flat) else request

    @property
    def xml(self) -> str:
        """The request as text (serialised once: its size decides the batch, then it is sent)."""
        if self._xml is None:
            request = self.request
            self._xml = request.text() if isinstance(request, Flat) else to_xml(request)
        return self._xml

    def check(self) -> None:
        """The pre-flight check (``preflight.check``): raises when QuickBooks Desktop would refuse it."""
        request = self.request
        if isinstance(request, Flat):
            request.check()
        else:
            preflight.check(request)


def to_xml(element: q.Request) -> str:
    text: bytes = etree.tostring(element, encoding="utf-8")
    return text.decode("utf-8")
