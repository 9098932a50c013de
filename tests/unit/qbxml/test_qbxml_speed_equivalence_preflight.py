"""Speed work on the pre-flight check must not change a verdict (issue 18).

A frozen copy of ``qbwc_server/qbxml/preflight.py``'s check as it was before the speed work
(commit ec85f36, verbatim). Hypothesis builds requests from valid inputs with the live
builders, then perhaps shuffles siblings, adds elements, stretches texts around their
limits, adds comments, nests under a leaf or renames the request: the live check must
accept the same requests and refuse the others with the same error, word for word.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import given, reject, settings
from hypothesis import strategies as st
from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import build, build_credits, build_txns
from qbwc_server.qbxml import preflight as live_preflight
from qbwc_server.qbxml.preflight import PreflightError
from qbwc_server.qbxml.qbd_table import ACCEPTED
from qbwc_server.qbxml.records import (
    CreditMemoFields,
    CustomerFields,
    InvoiceFields,
    ItemFields,
    PaymentFields,
)
from tests.unit.qbxml.test_qbxml_speed_equivalence_fields import GOOD, reaches, records
from tests.unit.qbxml.test_qbxml_speed_equivalence_txns import good_line

# ===== frozen copy of preflight.py (the check) =====


@dataclass(frozen=True)
class _Rule:
    position: int
    max_len: int | None


_RULES: dict[str, dict[str, _Rule]] = {
    tag: {path: _Rule(index, max_len) for index, (path, max_len) in enumerate(paths.items())}
    for tag, paths in ACCEPTED.items()
}


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


# ===== requests: built from valid inputs, then perhaps changed =====

good_lines = st.lists(good_line, min_size=1, max_size=4).map(tuple)
_ids = st.text(st.sampled_from("0123456789ABCDEF-"), min_size=1, max_size=12)
_builds: list[Callable[[Any], Any]] = [
    lambda d: build.customer_add("1", d.draw(records(CustomerFields, GOOD))),
    lambda d: build.customer_mod("1", d.draw(_ids), d.draw(_ids), d.draw(records(CustomerFields, GOOD))),
    lambda d: build.item_add("1", d.draw(records(ItemFields, GOOD, income_account=GOOD["Ref"]))),
    lambda d: build_txns.invoice_add("1", d.draw(records(InvoiceFields, GOOD, lines=good_lines))),
    lambda d: build_txns.invoice_mod(
        "1", d.draw(_ids), d.draw(_ids), d.draw(records(InvoiceFields, GOOD, lines=good_lines))
    ),
    lambda d: build_txns.receive_payment_add(
        "1", d.draw(records(PaymentFields, GOOD, applications=st.just(())))
    ),
    lambda d: build_credits.credit_memo_add("1", d.draw(records(CreditMemoFields, GOOD, lines=good_lines))),
    lambda d: build.list_query("CustomerQueryRq", "1", full_names=d.draw(st.lists(_ids, max_size=3))),
    lambda d: build_txns.txn_query("InvoiceQueryRq", "1", ref_numbers=d.draw(st.lists(_ids, max_size=3))),
    lambda d: build_txns.txn_void("1", d.draw(_ids)),
]
_LENGTHS = (0, 1, 3, 4, 5, 6, 15, 16, 17, 21, 22, 31, 32, 41, 42, 50, 51, 57, 60, 61, 99, 100, 4095, 4096)


def _elements(root: etree._Element) -> list[etree._Element]:
    return [node for node in root.iter() if isinstance(node.tag, str)]


def _path(node: etree._Element, request: etree._Element) -> str:
    parts = []
    while node is not request and node is not None:
        parts.append(str(node.tag))
        node = node.getparent()
    return "/".join(reversed(parts))


def mutate(request: etree._Element, rng: random.Random) -> None:
    """Zero to three of: shuffle siblings, add an element, stretch a text, add a comment or a
    processing instruction, nest under a leaf, rename the request, add tail text."""
    vocabulary = sorted({part for paths in ACCEPTED.values() for path in paths for part in path.split("/")})
    vocabulary += ["Bogus", "Mobile", "CustomerAdd", "InvoiceLineAdd"]
    limits = ACCEPTED.get(str(request.tag), {})
    for _ in range(rng.randint(0, 3)):
        nodes = _elements(request)
        node = rng.choice(nodes)
        operation = rng.choice(["swap", "insert", "stretch", "comment", "nest", "rename", "tail"])
        parents = [n for n in nodes if len(n) >= 2]
        if operation == "swap" and parents:
            node = rng.choice(parents)
            children = list(node)
            a, b = rng.sample(range(len(children)), 2)
            children[a], children[b] = children[b], children[a]
            node[:] = children
        elif operation == "insert":
            new = etree.Element(rng.choice(vocabulary))
            new.text = "x" * rng.choice(_LENGTHS) if rng.random() < 0.7 else None
            node.insert(rng.randint(0, len(node)), new)
        elif operation == "stretch" and (leaves := [n for n in nodes if len(n) == 0]):
            leaf = rng.choice(leaves)
            limit = limits.get(_path(leaf, request))
            sizes = _LENGTHS if limit is None else (limit - 1, limit, limit + 1, 0, 59, 60, 61, 62)
            leaf.text = rng.choice(["é", "x", "<"]) * rng.choice(sizes)
        elif operation == "comment":
            special = etree.Comment("note") if rng.random() < 0.5 else etree.ProcessingInstruction("qb", "x")
            node.insert(rng.randint(0, len(node)), special)
        elif operation == "nest":
            etree.SubElement(node, rng.choice(vocabulary)).text = "1"
        elif operation == "rename":
            request.tag = rng.choice([*sorted(ACCEPTED)[:2], "CustomerAddRq", *["NoSuchRq"] * 3])
        elif operation == "tail" and node is not request:
            node.tail = "stray text"


class _Drawer:
    """``draw`` with the ``.draw`` spelling the builders above use."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw


@st.composite
def requests(draw: st.DrawFn) -> etree._Element:
    """A request a builder made from valid inputs, then perhaps changed (``mutate``)."""
    try:
        request = draw(st.sampled_from(_builds))(_Drawer(draw))
    except (QbxmlLimitError, ValueError):  # a builder refused what was drawn: nothing to check
        reject()
    mutate(request, draw(st.randoms(use_true_random=False)))
    return request


def verdict(check_: Callable[..., None], request: etree._Element, label: str) -> tuple[Any, ...]:
    try:
        check_(request, label)
    except Exception as error:  # every error must be the same as before
        return ("refused", type(error), error.args, vars(error))
    return ("accepted",)


labels = st.sampled_from(["", "Customer 'Smith'", "Invoice 7"])


@settings(max_examples=400, deadline=None)
@given(requests(), labels)
def test_preflight_verdicts_are_unchanged(request: etree._Element, label: str) -> None:
    assert verdict(live_preflight.check, request, label) == verdict(check, request, label)


def test_the_requests_reach_every_kind_of_verdict() -> None:
    """Accepted requests and each kind of refusal come up."""

    def kind_of(request: etree._Element) -> str:
        result = verdict(check, request, "")
        if result[0] != "refused":
            return "accepted"
        message_ = str(result[2][0])
        known = ("does not know", "has no field", "requires it before", "allows at most")
        return next((k for k in known if k in message_), message_)

    for kind in ("accepted", "does not know", "has no field", "requires it before", "allows at most"):
        reaches(requests(), lambda request, kind=kind: kind_of(request) == kind)


def test_a_changed_verdict_is_seen() -> None:
    """The comparison is not blind: the same refusal worded otherwise differs."""
    request = build.customer_add("1", CustomerFields(name="x" * 41))
    request[0][0].text = "x" * 42
    refused = verdict(check, request, "")
    assert refused[0] == "refused"

    def worded_otherwise(request_: etree._Element, label: str) -> None:
        raise PreflightError("CustomerAdd", "CustomerAdd/Name", "x" * 42, "too long")

    assert verdict(worded_otherwise, request, "") != refused
