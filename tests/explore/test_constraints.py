"""@constraint means TLC's CONSTRAINT, in every engine.

TLC (2.15, run on the TLA+ module `x \\in {0, 7}`, `x' = x + 1`, CONSTRAINT `x <= 2`) reports
3 distinct states and depth 3: x = 0, 1, 2. The successor x = 3 and the initial state x = 7
fail the constraint; they are checked against the invariants (`x # 3` and `x # 7` are each
reported violated) but not stored, not counted as distinct and not explored. These tests pin
that behaviour on the same model, for every explicit-state engine.
"""

from __future__ import annotations

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.explore.full import check_model
from replicheck.lang import (
    If,
    Model,
    Range,
    action,
    constraint,
    eventually,
    invariant,
    liveness,
    measure,
    require,
)

ENGINES = [
    pytest.param({"engine": "scalar"}, id="bfs"),
    pytest.param({"engine": "batch"}, id="batch"),
    pytest.param({"engine": "batch", "workers": 2, "chunk_rows": 1}, id="batch-2-workers"),
]


class Counter(Model):
    """x starts at 0 or 7 and counts up; the constraint keeps the search to x <= 2."""

    check_deadlock = False
    x = Range(0, 20)

    def init(self, s, start: Range(0, 1)):  # type: ignore[valid-type]
        s.x = If(start == 0, 0, 7)

    @action
    def inc(self, s):
        require(s.x < 20)
        s.x = s.x + 1

    @constraint
    def small(self, s):
        return s.x <= 2

    @invariant
    def never_nine(self, s):  # x = 9 lies beyond the constraint: never generated
        return s.x != 9


class ThreeIsBad(Counter):
    @invariant
    def never_nine(self, s):  # type: ignore[override]
        return s.x != 3


class SevenIsBad(Counter):
    @invariant
    def never_nine(self, s):  # type: ignore[override]
        return s.x != 7




@pytest.mark.parametrize("engine", ENGINES)
def test_states_outside_the_constraint_are_not_counted_or_explored(engine: dict[str, object]) -> None:
    r = check(Counter().compile(), CheckOptions(deadlock=False, **engine))  # type: ignore[arg-type]
    assert r.status == "holds"
    assert r.stats.distinct_states == 3  # TLC: 3 distinct states
    assert r.stats.depth == 3  # TLC: depth 3
    assert r.stats.constrained_states == 2  # x = 3 and the initial x = 7, checked only


@pytest.mark.parametrize("engine", ENGINES)
def test_invariants_are_checked_on_a_successor_outside_the_constraint(engine: dict[str, object]) -> None:
    r = check(ThreeIsBad().compile(), CheckOptions(deadlock=False, **engine))  # type: ignore[arg-type]
    v = next(v for v in r.verdicts if v.property == "never_nine")
    assert v.status == "violated" and v.trace is not None and len(v.trace) == 3  # 0 -> 1 -> 2 -> 3


@pytest.mark.parametrize("engine", ENGINES)
def test_invariants_are_checked_on_an_initial_state_outside_the_constraint(engine: dict[str, object]) -> None:
    r = check(SevenIsBad().compile(), CheckOptions(deadlock=False, **engine))  # type: ignore[arg-type]
    v = next(v for v in r.verdicts if v.property == "never_nine")
    assert v.status == "violated" and v.trace is not None and len(v.trace) == 0


def test_a_state_whose_successors_all_lie_outside_is_not_a_deadlock() -> None:
    r = check(Counter().compile(), CheckOptions(deadlock=True))
    assert r.status == "holds"  # x = 2 has the successor x = 3, which is not explored


class Unbounded(Model):
    """A weakly fair increment cut by the constraint x <= 2. The measure's maximum is 2, the
    largest x the search explores. Liveness is TLC's: the graph stops at x = 2, but `inc` is
    still enabled there (ENABLED is the action's, not the graph's), so stuttering at 2 is not
    fair, no fair behaviour stays inside the constraint, and both properties hold. TLC 2.15 on
    the same spec (Init x = 0, Next x < 5 /\\ x' = x + 1, WF_x(Next), CONSTRAINT x <= 2)
    reports both <>(x = 2) and <>(x = 3) as holding, with 3 distinct states."""

    check_deadlock = False
    x = Range(0, 5, init=0)

    @action(fair="weak")
    def inc(self, s):
        require(s.x < 5)
        s.x = s.x + 1

    @constraint
    def small(self, s):
        return s.x <= 2

    @measure
    def value(self, s):
        return s.x

    @liveness
    def reaches_two(self, s):
        return eventually(s.x == 2)

    @liveness
    def reaches_three(self, s):  # vacuously: x = 3 lies outside, but so does every fair behaviour
        return eventually(s.x == 3)


def test_liveness_and_measures_see_only_the_states_inside_the_constraint() -> None:
    r = check_model(Unbounded().compile(), CheckOptions(deadlock=False))
    verdicts = {v.property: v.status for v in r.verdicts}
    assert verdicts["reaches_two"] == "holds"
    assert verdicts["reaches_three"] == "holds"  # as TLC says
    (m,) = r.measurements
    assert (m.minimum, m.maximum) == (0, 2)
    assert r.stats.distinct_states == 3
