"""The pre-flight check: a request that US QuickBooks Desktop would refuse never leaves.

QuickBooks refuses a *whole message* (hresult 0x80040400, no answer at all) when one
request in it carries an element it does not know or puts elements out of order, and
refuses a request (status 3070) whose text is longer than its field allows. Each request
is checked here against ``qbd_table.ACCEPTED`` before it joins a batch, so one bad
record is set aside with a plain explanation and the others still go.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml.qbd_table import ACCEPTED


@dataclass(frozen=True)
class _Rule:
    position: int
    max_len: int | None


#: request tag → element path → its place in the required order and its length limit.
_RULES: dict[str, dict[str, _Rule]] = {
    tag: {path: _Rule(index, max_len) for index, (path, max_len) in enumerate(paths.items())}
    for tag, paths in ACCEPTED.items()
}


class PreflightError(QbxmlLimitError):
    """A request QuickBooks Desktop would refuse: names the field, the value and the fix."""

    def __init__(self, record: str, field: str, value: str, message: str) -> None:
        super().__init__(record, field, message)
        self.value = value


def accepted_paths(tag: str) -> tuple[str, ...]:
    """The element paths US QuickBooks Desktop accepts in ``tag``, in its order."""
    return tuple(ACCEPTED.get(tag, {}))


def max_length(tag: str, path: str) -> int | None:
    """QuickBooks Desktop's limit for the text of ``path`` inside a ``tag`` request."""
    rule = _RULES.get(tag, {}).get(path)
    return None if rule is None else rule.max_len


def check(request: etree._Element, record: str = "") -> None:
    """Raise ``PreflightError`` if QuickBooks Desktop would refuse ``request`` (one ``…Rq``)."""
    tag = str(request.tag)
    label = record or tag.removesuffix("Rq")
    rules = _RULES.get(tag)
    if rules is None:
        raise PreflightError(
            label,
            tag,
            "",
            f"JobDesk does not know how US QuickBooks Desktop handles {tag}; nothing was sent.",
        )
    _check_children(request, "", rules, label)


def _check_children(node: etree._Element, prefix: str, rules: dict[str, _Rule], record: str) -> None:
    last = -1
    last_path = ""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        path = f"{prefix}{child.tag}"
        rule = rules.get(path)
        if rule is None:
            raise PreflightError(
                record,
                path,
                child.text or "",
                f"US QuickBooks Desktop has no field {path}; QuickBooks would refuse the whole message. "
                "This is a JobDesk problem, not your data: report it; the other records still go.",
            )
        if rule.position < last:
            raise PreflightError(
                record,
                path,
                child.text or "",
                f"{path} comes after {last_path}, but QuickBooks requires it before; QuickBooks would "
                "refuse the whole message. This is a JobDesk problem: report it.",
            )
        last, last_path = rule.position, path
        if len(child):
            _check_children(child, path + "/", rules, record)
            continue
        value = child.text or ""
        if rule.max_len is not None and len(value) > rule.max_len:
            field = path.rsplit("/", 1)[-1] if "/" in path else path
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise PreflightError(
                record,
                path,
                value,
                f"{field} “{shown}” is {len(value)} characters; QuickBooks Desktop allows at most "
                f"{rule.max_len}. Shorten it in JobDesk, then retry.",
            )
