"""@constraint in the Z3 engines and in simulate: the same meaning as in the explicit search
(TLC's CONSTRAINT). A state outside the constraint is checked but never explored, so BMC and
induction treat the constraint as a restriction on every state a path leaves from, and a
random walk ends at such a state."""

from __future__ import annotations

import pytest

import replicheck as r
from replicheck.lang import Model, Range, action, constraint, invariant
from replicheck.symbolic import bmc, check_inductive, k_induction


class CutCounter(Model):
    """An unguarded increment, cut by the constraint x <= 2. The search explores x = 0, 1, 2
    and checks x = 3 (outside), so `at_most_three` holds; without the constraint x would
    reach 4 (and leave 0..10 after ten steps)."""

    check_deadlock = False
    x = Range(0, 10, init=0)

    @action
    def inc(self, s):
        s.x = s.x + 1

    @constraint
    def small(self, s):
        return s.x <= 2

    @invariant
    def at_most_three(self, s):
        return s.x <= 3


class CutCounterTight(CutCounter):
    @invariant
    def at_most_three(self, s):  # type: ignore[override]
        return s.x <= 2  # x = 3 is outside the constraint but checked: violated after 3 steps


def test_every_engine_agrees_the_cut_counter_holds() -> None:
    program = CutCounter().compile()
    explicit = r.check(CutCounter)
    assert explicit.ok and explicit.stats.distinct_states == 3
    assert r.check(CutCounter, engine="batch").ok
    bounded = bmc(program, 12)
    assert {v.property: v.status for v in bounded.verdicts}["at_most_three"] != "violated"
    assert check_inductive(program).status == "proved"
    assert k_induction(program, 2).status == "proved"
    walk = r.simulate(CutCounter, runs=50, depth=20)
    assert walk.exit_code == 0 and walk.stats.distinct_states <= 4  # x = 0..3 at most


@pytest.mark.parametrize("engine", ["bfs", "batch", "bmc", "k-induction", "simulate"])
def test_every_engine_finds_the_violation_at_the_first_state_outside(engine: str) -> None:
    program = CutCounterTight().compile()
    if engine in ("bfs", "batch"):
        res = r.check(CutCounterTight, engine="scalar" if engine == "bfs" else "batch")
        trace = res.traces["at_most_three"]
    elif engine == "bmc":
        res = r.Result(bmc(program, 6))
        trace = res.traces["at_most_three"]
    elif engine == "k-induction":
        ind = k_induction(program, 4)
        assert ind.status == "refuted" and ind.counterexample is not None
        trace = ind.counterexample
        res = None
    else:
        res = r.simulate(CutCounterTight, runs=20, depth=20)
        trace = res.traces["at_most_three"]
    if res is not None:
        assert res.verdicts["at_most_three"] == "violated"
    assert len(trace) == 3 and trace.decoded(3)["x"] == 3
