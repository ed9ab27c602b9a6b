"""A guard whose disjunction protects a partial operator: replicheck's `|` is lazy, and so is
TLC's `\\/` evaluated as a value, but in an action TLC explores each disjunct as a branch and
would divide by zero. The export makes TLC evaluate such a conjunct as a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.export import export_tla
from replicheck.export.peers import missing_tlc, run_tlc
from replicheck.lang import Model, Range, action, invariant, require


class GuardedDivision(Model):
    """`poke` is enabled where d == 0 or 1 // d > 0: the division is read only when d != 0."""

    check_deadlock = False
    d = Range(0, 2, init=2)

    @action
    def poke(self, s):
        require((s.d == 0) | (1 // s.d > 0))
        s.d = s.d

    @action
    def dec(self, s):
        require(s.d > 0)
        s.d = s.d - 1

    @invariant
    def in_range(self, s):
        return s.d >= 0


def test_the_guard_is_exported_as_a_value() -> None:
    tla = export_tla(GuardedDivision().compile()).tla
    assert "(d = 0 \\/ FloorDiv(1, d) > 0) = TRUE" in tla


@pytest.mark.peers
def test_tlc_counts_it_without_a_division_by_zero(tmp_path: Path) -> None:
    why = missing_tlc()
    if why:
        pytest.skip(why)
    program = GuardedDivision().compile()
    ours = check(program, CheckOptions(deadlock=False))
    run = run_tlc(export_tla(program), str(tmp_path))
    assert run.errors == [], run.output[-3000:]
    assert run.distinct_states == ours.stats.distinct_states == 3
