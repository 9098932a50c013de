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


@dataclass(frozen=True, slots=True)
class _Node:
    """One accepted element path, with its accepted children by tag: the check walks the request
    and this tree side by side instead of building and looking up every path's text."""

    path: str
    position: int
    max_len: int | None
    children: dict[str, _Node]


def _tree(rules: dict[str, _Rule]) -> dict[str, _Node]:
    """The request's accepted children, each with its own. A path is reached only through its
    parent's entry, as the path text was (a child of a refused element is never looked at)."""
    nodes = {path: _Node(path, rule.position, rule.max_len, {}) for path, rule in rules.items()}
    top: dict[str, _Node] = {}
    for path, node in nodes.items():
        parent, _, tag = path.rpartition("/")
        if not parent:
            top[tag] = node
        elif parent in nodes:
            nodes[parent].children[tag] = node
    return top


_TREES: dict[str, dict[str, _Node]] = {tag: _tree(rules) for tag, rules in _RULES.items()}


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
    tree = _TREES.get(tag)
    if tree is None:
        raise PreflightError(
            label,
            tag,
            "",
            f"JobDesk does not know how US QuickBooks Desktop handles {tag}; nothing was sent.",
        )
    _check_children(request, "", tree, label)


def _check_children(node: etree._Element, prefix: str, accepted: dict[str, _Node], record: str) -> None:
    last = -1
    last_path = ""
    for child in node:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        rule = accepted.get(tag)
        if rule is None:
            path = f"{prefix}{tag}"
            raise PreflightError(
                record,
                path,
                child.text or "",
                f"US QuickBooks Desktop has no field {path}; QuickBooks would refuse the whole message. "
                "This is a JobDesk problem, not your data: report it; the other records still go.",
            )
        path = rule.path
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
            _check_children(child, path + "/", rule.children, record)
            continue
        if rule.max_len is None:
            continue  # no limit: its text need not be read
        value = child.text or ""
        if len(value) > rule.max_len:
            field = path.rsplit("/", 1)[-1] if "/" in path else path
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise PreflightError(
                record,
                path,
                value,
                f"{field} “{shown}” is {len(value)} characters; QuickBooks Desktop allows at most "
                f"{rule.max_len}. Shorten it in JobDesk, then retry.",
            )


def leaf_limits(tag: str, shape: tuple[str, ...]) -> tuple[int | None, ...] | None:
    """Each leaf's length limit, in order, for a request of this shape (``flat.Flat``'s tokens:
    a tag, ``+tag`` opening an aggregate, ``""`` closing it); None when ``check`` would refuse
    the shape whatever its texts. The walk is ``_check_children``'s, on the tokens."""
    accepted = _TREES.get(tag)
    if accepted is None:
        return None
    limits: list[int | None] = []
    outer: list[tuple[dict[str, _Node], int]] = []
    last = -1
    for index, token in enumerate(shape):
        if token == "":
            if not outer:
                return None
            accepted, last = outer.pop()
            continue
        opens = token[0] == "+"
        rule = accepted.get(token[1:] if opens else token)
        if rule is None or rule.position < last:
            return None
        last = rule.position
        if not opens:
            limits.append(rule.max_len)
        elif index + 1 < len(shape) and shape[index + 1] == "":
            return None  # an empty aggregate: checked as a leaf with no text, by the tree
        else:
            outer.append((accepted, last))
            accepted, last = rule.children, -1
    return None if outer else tuple(limits)
