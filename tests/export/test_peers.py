"""The exported models in the peers: TLC and Spin count the same distinct states as replicheck.

Spin runs are quick (compiling pan takes a second), so they run by default when Spin and gcc
are installed; TLC runs pay for a JVM start each and are marked slow. Either peer missing
skips its tests with the reason and the command that installs it (never a silent pass).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.export import export_promela, export_tla
from replicheck.export.peers import missing_spin, missing_tlc, run_spin, run_tlc

from .helpers import checks_deadlock, load_program

# (model, settings, properties left out, distinct states published by TLC or pinned here)
CASES = [
    ("classic.die_hard", (), ("big_is_not_4",), 16),
    ("classic.tcommit", (), (), 34),
    ("classic.two_phase", ("RM=3",), (), 288),
    ("classic.two_phase", ("RM=4",), (), 1568),
    ("classic.paxos_voting", (), (), 599),
    ("ebs.election", ("Node=3",), (), 24303),
]
IDS = [f"{m}{'[' + ','.join(s) + ']' if s else ''}" for m, s, _, _ in CASES]

_replicheck_counts: dict[tuple[str, tuple[str, ...]], int] = {}


def _replicheck(model: str, settings: tuple[str, ...], skip: tuple[str, ...]) -> int:
    key = (model, settings)
    if key not in _replicheck_counts:
        program = load_program(model, *settings)
        result = check(program, CheckOptions(deadlock=checks_deadlock(model), skip=frozenset(skip)))
        _replicheck_counts[key] = result.stats.distinct_states
    return _replicheck_counts[key]


@pytest.fixture
def spin() -> None:
    reason = missing_spin()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def tlc() -> None:
    reason = missing_tlc()
    if reason:
        pytest.skip(reason)


SPIN_CASES = [pytest.param(*c, id=i, marks=[pytest.mark.slow] if c[3] > 10_000 else []) for c, i in zip(CASES, IDS)]


@pytest.mark.peers
@pytest.mark.parametrize("model,settings,skip,expected", SPIN_CASES)
def test_spin_counts_what_replicheck_counts(
    spin: None, tmp_path: Path, model: str, settings: tuple[str, ...], skip: tuple[str, ...], expected: int
) -> None:
    program = load_program(model, *settings)
    ours = _replicheck(model, settings, skip)
    assert ours == expected
    run = run_spin(export_promela(program, deadlock=checks_deadlock(model), skip=skip), str(tmp_path), expected_states=ours)
    assert run.errors == [], run.output[-3000:]
    assert run.distinct_states == ours, run.output[-3000:]


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.parametrize("model,settings,skip,expected", CASES, ids=IDS)
def test_tlc_counts_what_replicheck_counts(
    tlc: None, tmp_path: Path, model: str, settings: tuple[str, ...], skip: tuple[str, ...], expected: int
) -> None:
    program = load_program(model, *settings)
    ours = _replicheck(model, settings, skip)
    assert ours == expected
    run = run_tlc(export_tla(program, deadlock=checks_deadlock(model), skip=skip), str(tmp_path))
    assert run.errors == [], run.output[-3000:]
    assert run.distinct_states == ours, run.output[-3000:]
    result = check(program, CheckOptions(deadlock=checks_deadlock(model), skip=frozenset(skip)))
    assert run.depth == result.stats.depth


@pytest.mark.peers
def test_spin_finds_the_die_hard_solution(spin: None, tmp_path: Path) -> None:
    program = load_program("classic.die_hard")
    run = run_spin(export_promela(program, deadlock=True), str(tmp_path))
    assert any("assertion violated" in e for e in run.errors), run.output[-3000:]


@pytest.mark.slow
@pytest.mark.peers
def test_tlc_finds_the_die_hard_solution(tlc: None, tmp_path: Path) -> None:
    program = load_program("classic.die_hard")
    run = run_tlc(export_tla(program, deadlock=True), str(tmp_path))
    assert "Invariant big_is_not_4 is violated" in run.output, run.output[-3000:]
