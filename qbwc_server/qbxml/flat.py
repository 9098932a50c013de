"""A request written as a flat run of elements, turned into text without building a tree.

Customers, jobs and invoices are nearly every request of a sync, and building each as an
lxml tree, walking the tree for the pre-flight check and serialising it cost more than the
rest of planning it. Their builders write a ``Flat`` instead:

* ``text()`` gives, character for character, what lxml writes for the same tree (property
  tests compare the two on hostile text), from a template made once per *shape* (which
  elements, nested how, in which order);
* ``check()`` is ``preflight.check`` of the same tree: the shape is checked once against
  QuickBooks' table, each text's length every time; when either is refused the tree is
  built and ``preflight.check`` itself raises, so the error is the one it always gave;
* ``element()`` builds that tree, for whoever wants one (the preview, tests).
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from qbwc_server.qbxml import fields as f
from qbwc_server.qbxml import preflight
from qbwc_server.qbxml.records import Address, Ref

#: A shape's token for the end of the aggregate opened last; an open one is its tag after ``+``.
_CLOSE = ""
#: What lxml escapes in an attribute's value beyond &, < and >.
ATTRIBUTE_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
#: Characters lxml refuses (XML 1.0 cannot carry them, or UTF-8 cannot encode them).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: What lxml escapes in text beyond &, < and >.
_TEXT_ESCAPES = {"\r": "&#13;"}


def request_id_attribute(request_id: str) -> str:
    """` requestID="…"` as lxml writes the attribute."""
    if request_id.replace("-", "").isalnum():  # ours ("12-3"): nothing to escape
        return f' requestID="{request_id}"'
    return f' requestID="{xml_escape(request_id, ATTRIBUTE_ESCAPES)}"'


class Flat:
    """One ``…Rq`` with its requestID, written element by element in the schema's order."""

    __slots__ = ("_shape", "_texts", "request_id", "tag")

    def __init__(self, tag: str, request_id: str) -> None:
        if not request_id or len(request_id) > 50:
            raise ValueError("requestID must be 1 to 50 characters")
        if not request_id.isprintable() and _UNSAFE.search(request_id):
            etree.Element(tag, requestID=request_id)  # lxml refuses it, in its own words
        self.tag = tag
        self.request_id = request_id
        self._shape: list[str] = []
        self._texts: list[str] = []

    def leaf(self, tag: str, text: str) -> None:
        self._shape.append(tag)
        self._texts.append(text)

    def open(self, tag: str) -> None:
        self._shape.append("+" + tag)

    def close(self) -> None:
        self._shape.append(_CLOSE)

    def text(self) -> str:
        """The request as lxml serialises ``element()``."""
        template, _limits, leaves = _compiled(self.tag, tuple(self._shape))
        texts = self._texts
        if template is None or leaves != len(texts):
            # Not a run the builders write (a name that is not plain ASCII, a leaf named like
            # a token …): the tree is built, and refused or written by lxml itself.
            return etree.tostring(self.element(), encoding="utf-8").decode("utf-8")
        every = "".join(texts)  # one look for what needs escaping, as most texts need none
        if "&" in every or "<" in every or ">" in every or "\r" in every:
            texts = [xml_escape(text, _TEXT_ESCAPES) for text in texts]
        rendered = template.format(request_id_attribute(self.request_id), *texts)
        if not rendered.isprintable() and _UNSAFE.search(rendered):
            # lxml refuses text XML cannot carry (the builders' checks refuse it first): the
            # text never carries what the tree could not, and the error is lxml's own.
            etree.tostring(self.element(), encoding="utf-8")
        return rendered

    def check(self, record: str = "") -> None:
        """``preflight.check(self.element(), record)``, without building the tree when it passes."""
        template, limits, leaves = _compiled(self.tag, tuple(self._shape))
        if template is not None and limits is not None and leaves == len(self._texts):
            for text, limit in zip(self._texts, limits, strict=True):
                if limit is not None and len(text) > limit:
                    break
            else:
                return
        # Refused (or a shape QuickBooks does not take): the tree check says why, as it always did.
        preflight.check(self.element(), record)

    def element(self) -> etree._Element:
        """The tree: each aggregate still open at the end is closed there (as lxml writes it)."""
        root = etree.Element(self.tag, requestID=self.request_id)
        node, texts = root, iter(self._texts)
        parents: list[etree._Element] = []
        sub = etree.SubElement
        for token in self._shape:
            if token == _CLOSE:
                if not parents:
                    raise ValueError(f"{self.tag}: an aggregate is closed that was not opened")
                node = parents.pop()
            elif token[0] == "+":
                parents.append(node)
                node = sub(node, token[1:])
            else:
                text = next(texts, None)
                if text is None:
                    raise ValueError(f"{self.tag}: a leaf's text is missing (its tag reads as an opening)")
                sub(node, token).text = text
        if next(texts, None) is not None:
            raise ValueError(f"{self.tag}: a leaf's tag reads as an opening or a closing: not an XML name")
        return root


#: The names the templates write as they are: plain ASCII XML names (lxml checks any other).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@functools.lru_cache(maxsize=4096)
def _compiled(tag: str, shape: tuple[str, ...]) -> tuple[str | None, tuple[int | None, ...] | None, int]:
    """The shape's text template (``{}`` for the requestID attribute, then each leaf's text;
    None for a run ``element()`` must read: a name that is not plain, a close too many), each
    leaf's length limit in QuickBooks Desktop (None: the shape is refused), and its leaves."""
    leaves = sum(1 for token in shape if token and token[0] != "+")
    limits = preflight.leaf_limits(tag, shape)
    names = [tag, *(token.removeprefix("+") for token in shape if token)]
    if not all(_PLAIN_NAME.fullmatch(name) for name in names):
        return None, limits, leaves
    if not shape:
        return f"<{tag}{{}}/>", limits, leaves
    pieces = [f"<{tag}{{}}>"]
    opened: list[str] = []
    for index, token in enumerate(shape):
        if token == _CLOSE:
            if not opened:
                return None, limits, leaves
            name = opened.pop()
            if shape[index - 1] == "+" + name:  # nothing inside: lxml writes an empty element
                pieces[-1] = f"<{name}/>"
            else:
                pieces.append(f"</{name}>")
        elif token[0] == "+":
            opened.append(token[1:])
            pieces.append(f"<{token[1:]}>")
        else:
            pieces.append(f"<{token}>{{}}</{token}>")
    for index, name in enumerate(reversed(opened)):
        # Still open at the end: closed, as the tree is (``element``).
        if index == 0 and shape[-1] == "+" + name:
            pieces[-1] = f"<{name}/>"
        else:
            pieces.append(f"</{name}>")
    pieces.append(f"</{tag}>")
    return "".join(pieces), limits, leaves


# -- the helpers the builders share ------------------------------------------------------------


def mod(tag: str, request_id: str, id_tag: str, qb_id: str, edit_sequence: str, record: str) -> Flat:
    """A ``…ModRq`` opened on its ``…Mod``, with the record's ID and EditSequence written."""
    out = Flat(f"{tag}Rq", request_id)
    out.open(tag)
    out.leaf(id_tag, f.text(record, id_tag, qb_id, f.ID_MAX))
    out.leaf("EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    return out


def ref(out: Flat, tag: str, value: Ref | None, record: str) -> None:
    if value is None:
        return
    out.open(tag)
    list_id = value.list_id
    if list_id:
        out.leaf("ListID", f.text(record, f"{tag}.ListID", list_id, f.ID_MAX))
    else:
        # (Ref.__post_init__ refuses a Ref with neither; a blank name is refused here in words.)
        out.leaf("FullName", f.full_name(record, f"{tag}.FullName", value.full_name or ""))
    out.close()


#: An address's elements in the XSD's order, with the limit of each.
ADDRESS_PARTS = (
    ("Addr1", f.ADDR_LINE_MAX),
    ("Addr2", f.ADDR_LINE_MAX),
    ("Addr3", f.ADDR_LINE_MAX),
    ("Addr4", f.ADDR_LINE_MAX),
    ("Addr5", f.ADDR_LINE_MAX),
    ("City", f.CITY_MAX),
    ("State", f.STATE_MAX),
    ("PostalCode", f.POSTAL_CODE_MAX),
    ("Country", f.COUNTRY_MAX),
    ("Note", f.ADDR_NOTE_MAX),
)


def address(out: Flat, tag: str, value: Address | None, record: str) -> None:
    if value is None:
        return
    values = (
        value.addr1,
        value.addr2,
        value.addr3,
        value.addr4,
        value.addr5,
        value.city,
        value.state,
        value.postal_code,
        value.country,
        value.note,
    )
    if all(part is None for part in values):
        return  # nothing to say: no empty aggregate (a Mod clears a line with an empty value)
    out.open(tag)
    for (name, limit), part in zip(ADDRESS_PARTS, values, strict=True):
        if part is not None:
            out.leaf(name, f.text(record, f"{tag}.{name}", part, limit))
    out.close()
