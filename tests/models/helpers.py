"""Shared checks for the incident-model tests: run every engine the same way, count states a
second way, and replay traces through the reference evaluator."""

from __future__ import annotations

from replicheck.backends.reference import evaluate, fire, initial_states, successors
from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.ir import Program, State
from replicheck.lang import Model
from replicheck.report.results import CheckResult, Trace, Verdict


def run(model: Model) -> CheckResult:
    """Every property of the model, the first violation of each (TLC's -continue)."""
    return check_model(model.compile(), CheckOptions(stop_at_first=False, deadlock=False))


def verdict(result: CheckResult, name: str) -> Verdict:
    return next(v for v in result.verdicts if v.property == name)


def reference_state_count(program: Program) -> int:
    """Distinct reachable states by a plain BFS over the reference evaluator: a second,
    independent count (no compiled code, no store)."""
    return len(reference_states(program))


def reference_states(program: Program) -> set[State]:
    """Every reachable state, by a plain BFS over the reference evaluator."""
    seen: set[State] = {s for _, s in initial_states(program)}
    frontier = list(seen)
    while frontier:
        nxt = []
        for st in frontier:
            for _, t in successors(program, st):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen


def replay(trace: Trace) -> State:
    """Fire each step's action with the reference evaluator from an initial state; every
    state must be the trace's. Returns the last state."""
    program = trace.program
    state = trace.steps[0].state
    assert state in {s for _, s in initial_states(program)}
    for step in trace.steps[1:]:
        matches = [
            a
            for a in program.actions
            if a.family == step.action and tuple(a.param_values().items()) == step.params
        ]
        assert len(matches) == 1, step.label
        nxt = fire(matches[0], state)
        assert nxt == step.state, step.label
        state = nxt
    return state


def holds_at(trace: Trace, prop: str, state: State) -> bool:
    """The property's state formula (an invariant's or a goal's) evaluated at state."""
    target = next(p for p in trace.program.properties if p.name == prop)
    return bool(evaluate(target.expr, state))


def replay_reaches(trace: Trace, goal: str) -> None:
    """A goal's witness, replayed like a counterexample: its last state satisfies the goal."""
    assert holds_at(trace, goal, replay(trace)), goal


def replay_ends_in_violation(trace: Trace, prop: str) -> bool:
    """The trace replays (see `replay`) and its last state violates the invariant `prop`."""
    return not holds_at(trace, prop, replay(trace))


def actions(trace: Trace) -> list[str]:
    return [step.label for step in trace.steps[1:]]
