"""Queue states live in one module: the sets agree with each other, and no code outside it
compares or writes a queue state as bare text."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import queue_states as qs
from desktop_app.services.queue_states import Phase, QueueState

ROOT = Path(qs.__file__).resolve().parents[2]
#: Where queue items are handled: the core and the server (the simulator has no queue).
SCANNED = ("desktop_app/services", "desktop_app/db", "desktop_app/domain", "qbwc_server")
#: The states' own module, the model (whose default a test below checks), the simulator.
SKIPPED = ("desktop_app/services/queue_states.py", "desktop_app/db/sync_models.py", "qbwc_server/simulator/")
STATE_TEXTS = frozenset(state.value for state in QueueState)


def test_states_are_the_text_the_database_holds() -> None:
    assert [state.value for state in QueueState] == [
        "queued",
        "sent",
        "done",
        "attention",
        "error",
        "cancelled",
    ]
    assert QueueState.DONE == "done" and f"{QueueState.SENT}" == "sent"
    # The model cannot import the services: its default is spelled out, and must agree.
    assert SyncItem.__table__.c.state.default.arg == QueueState.QUEUED
    assert SyncItem.__table__.c.phase.default.arg == Phase.FIRST


def test_the_sets_agree() -> None:
    every = set(QueueState)
    pending, unsent, moving = set(qs.PENDING), set(qs.UNSENT), set(qs.MOVING)
    attention, finished = set(qs.NEEDS_ATTENTION), set(qs.FINISHED)
    assert pending == every - {QueueState.DONE, QueueState.CANCELLED}
    assert unsent == pending - {QueueState.SENT}  # in flight: not the record's pending item
    assert moving == pending - attention
    assert attention <= pending and attention <= finished
    assert finished == attention | {QueueState.DONE}
    assert QueueState.CANCELLED not in pending | finished
    for name in ("PENDING", "UNSENT", "MOVING", "NEEDS_ATTENTION", "FINISHED"):
        group = getattr(qs, name)
        assert isinstance(group, tuple) and len(set(group)) == len(group), name  # SQL IN lists


def test_phases_include_every_step_the_planner_names() -> None:
    plan = (ROOT / "qbwc_server" / "sync" / "plan.py").read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(plan)) or ""
    named = {word.strip('"') for word in re.findall(r"``([^`]*)``", docstring)} - {"SyncItem.phase"}
    assert {"", "check", "verify", "claim", "refresh", "add", "void", "import", "pull"} <= named
    assert named <= {phase.value for phase in Phase}, named - {phase.value for phase in Phase}
    assert Phase.DELETE_DUPLICATE == "duplicate" and Phase.FIRST == ""
    # Every phase fits the column that stores it (PostgreSQL refuses a longer one; SQLite does not).
    width = SyncItem.__table__.c.phase.type.length
    assert all(len(phase.value) <= width for phase in Phase), width


def _is_state(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "state"


def _texts(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def bare_states(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Where a queue state is written or compared as bare text (``x.state = "done"`` …)."""
    for node in ast.walk(tree):
        found: set[str] = set()
        if isinstance(node, ast.Assign) and any(_is_state(t) for t in node.targets):
            found = _texts(node.value)
        elif isinstance(node, ast.Compare) and (
            _is_state(node.left) or any(map(_is_state, node.comparators))
        ):
            for side in (node.left, *node.comparators):
                found |= _texts(side)
        elif isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "in_"
                and _is_state(node.func.value)
            ):
                for arg in node.args:
                    found |= _texts(arg)
            for keyword in node.keywords:
                if keyword.arg == "state":
                    found |= _texts(keyword.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "state":
                    found |= _texts(value)
        for text in sorted(found & STATE_TEXTS):
            yield getattr(node, "lineno", 0), text


def _scan(finds: Callable[[ast.AST], Iterator[tuple[int, str]]]) -> list[str]:
    """What ``finds`` finds in the core and the server, outside the queue states' module."""
    found: list[str] = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SKIPPED) or "/migrations/" in relative:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{relative}:{line}: {what}" for line, what in finds(tree)]
    return found


def test_no_queue_state_is_bare_text_outside_its_module() -> None:
    found = _scan(lambda tree: ((line, repr(text)) for line, text in bare_states(tree)))
    assert not found, "use QueueState (desktop_app/services/queue_states.py):\n" + "\n".join(found)


def test_the_scan_finds_bare_states() -> None:
    source = (
        'item.state = "done"\n'
        'if item.state in ("queued", "open"): pass\n'
        'q = select(SyncItem).where(SyncItem.state.in_(("attention", "error")))\n'
        'u = update(t).values(state="cancelled")\n'
        'c = {"state": "sent", "note": "queued"}\n'
        'ok = alert.state == "open" and item.status == "done"\n'
    )
    assert sorted(bare_states(ast.parse(source))) == [
        (1, "done"),
        (2, "queued"),
        (3, "attention"),
        (3, "error"),
        (4, "cancelled"),
        (5, "sent"),
    ]


def queue_writes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Assignments that change a queue item's phase or state: any ``….phase = …``, and
    ``….state = …`` of a queue item (named ``item``) or to a ``QueueState``."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if not isinstance(target, ast.Attribute) or target.attr not in ("phase", "state"):
                continue
            owner = target.value.id if isinstance(target.value, ast.Name) else ""
            value = getattr(node, "value", None)
            to_state = value is not None and "QueueState" in ast.unparse(value)
            if target.attr == "phase" or owner == "item" or to_state:
                yield node.lineno, ast.unparse(target)


def test_only_the_queue_states_module_changes_a_phase_or_a_state() -> None:
    found = _scan(queue_writes)
    assert not found, "change it through desktop_app/services/queue_states.py:\n" + "\n".join(found)


def test_the_scan_finds_phase_and_state_writes() -> None:
    source = (
        "item.phase = Phase.VERIFY\n"
        "waiting.phase = 'add'\n"
        "item.state = x\n"
        "other.state = QueueState.DONE\n"
        "row.state = WC_FAILED\n"
        "alert.state = 'resolved'\n"
    )
    assert sorted(queue_writes(ast.parse(source))) == [
        (1, "item.phase"),
        (2, "waiting.phase"),
        (3, "item.state"),
        (4, "other.state"),
    ]
