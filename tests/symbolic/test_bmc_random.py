"""BMC agrees with a breadth-first search over the reference evaluator on random programs."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings

from replicheck.backends.reference import ModelRuntimeError, evaluate, initial_states, successors
from replicheck.ir import Program, State
from replicheck.report.results import HOLDS, VIOLATED
from replicheck.symbolic import bmc
from tests.ir_strategies import programs

DEPTH = 3


def _bfs(program: Program, depth: int) -> tuple[dict[str, int], bool] | None:
    """Shortest violation depth per invariant and whether the search exhausted the state
    space within `depth`; None when a domain or run-time error shows up (BMC stops there)."""
    try:
        level: list[State] = list(dict.fromkeys(s for _, s in initial_states(program)))
        seen = set(level)
        first: dict[str, int] = {}
        for k in range(depth + 1):
            nxt: list[State] = []
            for s in level:
                if any(True for _ in program.out_of_domain(s)):
                    return None
                for p in program.invariants():
                    # evaluated in every state, even once violated: a run-time error in a later
                    # state of the level is one BMC stops at (1 // v2 with v2 = -1 and 0 initial)
                    if not evaluate(p.expr, s) and p.name not in first:
                        first[p.name] = k
                for _, t in successors(program, s):
                    if t not in seen:
                        seen.add(t)
                        nxt.append(t)
            if not nxt:
                return first, True
            level = nxt
        return first, False
    except ModelRuntimeError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_slots=3, max_actions=3, max_depth=3))
def test_bmc_matches_bfs(program: Program) -> None:
    names = [p.name for p in program.invariants()]
    assume(names)
    expected = _bfs(program, DEPTH)
    assume(expected is not None)
    assert expected is not None
    first, exhausted = expected
    result = bmc(program, DEPTH, invariants=names)
    for v in result.verdicts:
        if v.property in first:
            assert v.status == VIOLATED and v.trace is not None, v
            assert len(v.trace) == first[v.property]
        else:
            assert v.status != VIOLATED, v
            if v.status == HOLDS:
                assert exhausted  # a claimed proof needs the state space to be exhausted
    if result.stats.complete:
        # BMC only claims completeness when no loop-free path is longer than what it checked,
        # and a loop-free path is at least as long as the BFS depth of its last state
        assert exhausted
