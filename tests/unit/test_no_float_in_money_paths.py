"""Money paths never touch float: no float literals, no float() calls, no float annotations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "desktop_app"
MONEY_MODULES = sorted(
    [
        *ROOT.joinpath("domain").glob("*.py"),
        *(
            ROOT / "services" / name
            for name in (
                "invoices.py",
                "invoice_queries.py",
                "invoice_details.py",
                "invoice_edits.py",
                "payments.py",
                "numbering.py",
                "terms.py",
            )
        ),
    ]
)


def float_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"line {node.lineno}: float literal {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "float":
            # isinstance(value, float) is how money.parse_decimal *refuses* floats.
            found.append(f"line {node.lineno}: float")
    return found


ALLOWED = {("money.py", "float")}


@pytest.mark.parametrize("path", MONEY_MODULES, ids=lambda p: p.name)
def test_module_has_no_float(path: Path) -> None:
    uses = [
        u
        for u in float_uses(path.read_text(encoding="utf-8"))
        if (path.name, u.split(": ")[1]) not in ALLOWED
    ]
    assert uses == []


def test_detector_catches_floats() -> None:
    assert float_uses("x = 0.1\n") == ["line 1: float literal 0.1"]
    assert float_uses("y = float('1')\n") == ["line 1: float"]
    assert float_uses("z: float = 1\n") == ["line 1: float"]
    assert float_uses("from decimal import Decimal\nw = Decimal('0.1')\n") == []
