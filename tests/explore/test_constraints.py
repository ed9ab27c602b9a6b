"""@constraint: states outside it are checked against the invariants but not explored."""

from __future__ import annotations

from replicheck.explore import CheckOptions, check
from replicheck.lang import Model, Range, action, constraint, invariant, require


class Counter(Model):
    """x counts up to 9; the constraint keeps the search to x <= 3."""

    x = Range(0, 9, init=0)

    @action
    def inc(self, s):
        require(s.x < 9)
        s.x += 1

    @constraint
    def small(self, s):
        return s.x <= 3

    @invariant
    def below_five(self, s):
        return s.x < 5


def test_states_beyond_the_constraint_are_not_explored() -> None:
    # x = 0..3 are explored; x = 4 is reached and checked but not expanded; so 5 states, and
    # below_five (violated only at x = 5) is never seen violated.
    r = check(Counter().compile(), CheckOptions(deadlock=True))
    assert r.stats.distinct_states == 5
    assert r.stats.constrained_states == 1
    assert r.status == "holds"  # x = 4 has a successor we did not explore: not a deadlock


class Tight(Counter):
    """Same, but the invariant fails right at the first state outside the constraint."""

    @invariant
    def below_five(self, s):  # type: ignore[override]
        return s.x < 4


def test_invariants_are_checked_on_states_outside_the_constraint() -> None:
    r = check(Tight().compile(), CheckOptions())
    v = next(v for v in r.verdicts if v.property == "below_five")
    assert v.status == "violated" and v.trace is not None and len(v.trace) == 4
