"""benchmarks/peer_bench.py warns when the machine changed speed between two servers' runs.

The servers run one after the other; the simulator does the same work in each, so its time
a request tells whether the machine was as fast for both. Past ``SPEED_CHANGE`` the ratio of
the two is skewed and the benchmark says so; within it, it says nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "peer_bench.py"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The script puts its folder on sys.path and silences warnings when loaded: both undone.
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("peer_bench_under_test", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # (its dataclasses look it up there)
    with warnings.catch_warnings():
        spec.loader.exec_module(module)
    return module


def _result(bench: ModuleType, label: str, requests: int, simulator_seconds: float) -> Any:
    return bench.Result(label, 400, requests, simulator_seconds + 3.0, simulator_seconds, {}, {})


def test_no_warning_when_the_simulator_ran_as_fast_in_both_runs(bench: ModuleType) -> None:
    floor = _result(bench, "floor", 20_001, 9.0)
    # JobDesk sends a few more requests (its number lookups): compared a request at a time.
    assert bench.speed_change(_result(bench, "JobDesk", 20_209, 9.6), floor) == ""
    assert bench.speed_change(_result(bench, "JobDesk", 20_209, 9.0 * 0.9), floor) == ""


@pytest.mark.parametrize("factor", [1.34, 0.8])
def test_a_warning_names_both_speeds_when_the_machine_changed_speed(bench: ModuleType, factor: float) -> None:
    floor = _result(bench, "floor", 20_000, 10.0)
    warning = bench.speed_change(_result(bench, "JobDesk", 20_000, 10.0 * factor), floor)
    assert "WARNING" in warning and "floor run" in warning
    assert "0.500 ms" in warning and f"{0.5 * factor:.3f} ms" in warning
    assert f"{factor - 1:+.0%}" in warning


def test_the_limit_is_the_documented_one(bench: ModuleType) -> None:
    floor = _result(bench, "floor", 1000, 10.0)
    limit = bench.SPEED_CHANGE
    assert bench.speed_change(_result(bench, "JobDesk", 1000, 10.0 * (1 + limit - 0.01)), floor) == ""
    assert bench.speed_change(_result(bench, "JobDesk", 1000, 10.0 * (1 + limit + 0.01)), floor) != ""


def test_a_run_without_simulator_time_gives_no_warning(bench: ModuleType) -> None:
    assert bench.speed_change(_result(bench, "JobDesk", 1000, 5.0), _result(bench, "floor", 1000, 0.0)) == ""


def test_each_server_is_shown_by_its_fastest_round_and_every_round_is_printed(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    # A round on a slowed-down machine (round 2) must not decide the figures, and must show.
    def run(label: str, session: float) -> Any:
        return bench.Result(label, 400, 20_000, session, 8.0, {}, {})

    rounds = [
        {"floor": run("floor", 9.0), "JobDesk": run("JobDesk", 10.0)},
        {"floor": run("floor", 8.9), "JobDesk": run("JobDesk", 11.0)},
    ]
    assert bench.fastest([r["JobDesk"] for r in rounds]).session_seconds == 10.0
    assert bench.fastest([r["floor"] for r in rounds]).session_seconds == 8.9
    bench.print_rounds(rounds)
    printed = capsys.readouterr().out
    assert "round 1: JobDesk / floor 0.50x" in printed
    assert "round 2: JobDesk / floor 0.30x" in printed
