"""A tiny breadth-first search over the reference evaluator, independent of the Z3 engines,
used to cross-check them: shortest violation depths and the state-space diameter."""

from __future__ import annotations

from dataclasses import dataclass, field

from replicheck.backends.reference import evaluate, initial_states, successors
from replicheck.ir import Program, State


@dataclass
class BfsResult:
    distinct: int
    diameter: int  # steps from the initial states to the farthest state
    first_violation: dict[str, int] = field(default_factory=dict)  # invariant -> shortest steps


def bfs(program: Program) -> BfsResult:
    """Exhaustive BFS (raises on run-time errors; the fixtures used here have none)."""
    depth: dict[State, int] = {}
    frontier: list[State] = []
    for _, s in initial_states(program):
        if s not in depth:
            depth[s] = 0
            frontier.append(s)
    level = 0
    out = BfsResult(0, 0)
    while frontier:
        for s in frontier:
            for p in program.invariants():
                if p.name not in out.first_violation and not evaluate(p.expr, s):
                    out.first_violation[p.name] = level
        nxt: list[State] = []
        for s in frontier:
            for _, t in successors(program, s):
                if t not in depth:
                    depth[t] = level + 1
                    nxt.append(t)
        if nxt:
            level += 1
        frontier = nxt
    out.distinct = len(depth)
    out.diameter = level
    return out
