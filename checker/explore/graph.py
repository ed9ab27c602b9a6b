"""The reachable state graph with labelled edges, for analyses that need every transition
(liveness under fairness, graph export).

Owns: `build_graph` (breadth-first exploration with the compiled backend that records one
edge per (state, enabled action instance), with state, time and memory limits and a progress
callback) and `predicate_mask` (the truth
of a state predicate on every state, evaluated by compiled code).

The graph holds the states the safety search explores: a state outside a `@constraint` (as
TLC's CONSTRAINT: checked by the safety search, never explored) is not a node, and an edge to
it is left out, so liveness and measures see exactly the constrained state space. A state
whose every successor lies outside has no edge. Fairness still sees those steps, as TLC
does (it evaluates ENABLED on the action itself): each is recorded as a blocked edge
(`StateGraph.blocked_src`/`blocked_act`), which enables its action in its source state but
cannot be taken. So a behaviour may not stutter at the boundary while a fair action is
enabled there, and a liveness property can hold vacuously (TLC agrees: with `x' = x + 1`
weakly fair and CONSTRAINT `x <= 2`, TLC reports `<>(x = 3)` as holding).

Must not import: z3, hypothesis, `replicheck.cli`. Uses numpy for the edge arrays.
"""

from __future__ import annotations

import dataclasses
import time
from array import array
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from replicheck.backends.compiled import CompiledProgram, compile_program
from replicheck.ir import Expr, Program, Property, State
from replicheck.ir.nodes import TRUE

from .liveness import BoolArray, StateGraph
from .memory import resident_bytes


@dataclass
class BuiltGraph:
    graph: StateGraph
    states: list[State]
    complete: bool  # False when a limit stopped the exploration
    seconds: float
    parent: list[int]  # breadth-first parent of each state (-1 for initial states)
    stop_reason: str = ""  # "max_states", "max_seconds" or "max_memory" when not complete
    program: Program | None = None  # what `mask` and `measure_range` evaluate

    def path_to(self, i: int) -> list[State]:
        """A shortest path from an initial state to state i."""
        path = [i]
        while self.parent[path[-1]] >= 0:
            path.append(self.parent[path[-1]])
        return [self.states[k] for k in reversed(path)]

    def state(self, i: int) -> State:
        return self.states[i]

    def mask(self, prop: Property, which: int = 1) -> BoolArray:
        """Where the property's predicate (1: `expr`, 2: `expr2`) holds, per state."""
        expr = prop.expr if which == 1 else prop.expr2
        assert expr is not None and self.program is not None
        return predicate_mask(self.program, expr, self.states)

    def measure_range(self, m: Property) -> tuple[int, list[State], int, list[State]]:
        """(minimum, a shortest path to it, maximum, a shortest path to it): the first state
        in breadth-first order attaining each."""
        assert self.program is not None
        value = value_fn(self.program, m.expr)
        lo_i = hi_i = 0
        lo = hi = value(self.states[0])
        for i in range(1, len(self.states)):
            v = value(self.states[i])
            if v < lo:
                lo, lo_i = v, i
            elif v > hi:
                hi, hi_i = v, i
        return lo, self.path_to(lo_i), hi, self.path_to(hi_i)


class LabelledGraph(Protocol):
    """What liveness and measures read of a reachable graph: `BuiltGraph` (built here, scalar)
    or the batch engine's `replicheck.explore.batch_graph.RecordedGraph`."""

    graph: StateGraph
    complete: bool
    stop_reason: str

    def path_to(self, i: int) -> list[State]: ...

    def state(self, i: int) -> State: ...

    def mask(self, prop: Property, which: int = 1) -> BoolArray: ...

    def measure_range(self, m: Property) -> tuple[int, list[State], int, list[State]]: ...


Progress = Callable[[int, int, float], None]  # (states, transitions, seconds so far)


def build_graph(
    compiled: CompiledProgram,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
    progress: Progress | None = None,
    max_depth: int | None = None,
) -> BuiltGraph:
    """Every reachable state (up to the limits) and every transition between them.
    `max_depth`: states more steps than this from an initial state are not explored (a state
    at the bound keeps no successors, and the graph is incomplete if it had some);
    `max_memory`: bytes of resident memory at which the exploration stops (incomplete);
    `progress` is called every few thousand states (it decides what to show and when)."""
    started = time.perf_counter()
    index: dict[State, int] = {}
    states: list[State] = []
    constraint_ks = [k for k, p in enumerate(compiled.program.properties) if p.kind == "constraint"]
    first_outside = compiled.first_false(constraint_ks) if constraint_ks else None
    for s in compiled.initial_states():
        if first_outside is not None and first_outside(s) >= 0:
            continue
        if s not in index:
            index[s] = len(states)
            states.append(s)
    initial = np.arange(len(states), dtype=np.int64)
    parent = [-1] * len(states)
    dst, act = array("q"), array("q")
    succ = compiled.successors_with_actions
    get = index.get
    add_state, add_parent = states.append, parent.append
    add_dst, add_act = dst.append, act.append
    counts = array("q")  # edges per state: the source of each edge, run-length encoded
    blocked_src, blocked_act = array("q"), array("q")  # steps to states outside the @constraint
    add_count = counts.append
    complete = True
    stop_reason = ""
    check_every = 4096
    limit = max_states if max_states is not None else 1 << 62
    depth, level_end = 0, len(states)  # BFS: the level of states[i], and where it ends
    i = 0
    while i < len(states):
        if i == level_end:
            depth, level_end = depth + 1, len(states)
        succs = succ(states[i])
        if max_depth is not None and depth >= max_depth:
            if succs:
                complete, stop_reason = False, "max_depth"
            add_count(0)
            i += 1
            continue
        if first_outside is not None:  # each successor's constraint evaluated once
            inside = []
            for a, t in succs:
                if first_outside(t) < 0:
                    inside.append((a, t))
                else:
                    blocked_src.append(i)
                    blocked_act.append(a)
            succs = inside
        for a, t in succs:
            j = get(t)
            if j is None:
                j = index[t] = len(states)
                add_state(t)
                add_parent(i)
            add_dst(j)
            add_act(a)
        add_count(len(succs))
        i += 1
        if len(states) > limit:
            complete, stop_reason = False, "max_states"
            break
        if i % check_every == 0:
            now = time.perf_counter()
            if max_seconds is not None and now - started > max_seconds:
                complete, stop_reason = False, "max_seconds"
                break
            if max_memory is not None and resident_bytes() > max_memory:
                complete, stop_reason = False, "max_memory"
                break
            if progress is not None:
                progress(len(states), len(dst), now - started)
    src_arr = np.repeat(np.arange(len(counts), dtype=np.int64), np.frombuffer(counts, dtype=np.int64))
    graph = StateGraph(
        len(states),
        initial,
        src_arr,
        np.frombuffer(dst, dtype=np.int64).copy(),
        np.frombuffer(act, dtype=np.int64).copy(),
        np.frombuffer(blocked_src, dtype=np.int64).copy(),
        np.frombuffer(blocked_act, dtype=np.int64).copy(),
    )
    return BuiltGraph(graph, states, complete, time.perf_counter() - started, parent, stop_reason, compiled.program)


def predicate_fn(program: Program, expr: Expr) -> Callable[[State], bool]:
    """A compiled test of a state predicate."""
    probe = dataclasses.replace(
        program, inits=(), actions=(), properties=(Property("predicate", "invariant", expr),)
    )
    first_false = compile_program(probe).violated_invariant
    return lambda s: first_false(s) < 0


def value_fn(program: Program, expr: Expr) -> Callable[[State], int]:
    """A compiled evaluation of an Int expression (through a one-update action)."""
    slot = 0
    probe = dataclasses.replace(
        program,
        inits=(),
        actions=(dataclasses.replace(program.actions[0], guard=TRUE, updates=((slot, expr),)),) if program.actions else (),
        properties=(),
    )
    if not program.actions:
        from replicheck.backends.reference import evaluate

        return lambda s: evaluate(expr, s)
    fire = compile_program(probe).fire
    return lambda s: fire(0, s)[slot]  # type: ignore[index]


def predicate_mask(program: Program, expr: Expr, states: list[State]) -> BoolArray:
    test = predicate_fn(program, expr)
    return np.fromiter((test(s) for s in states), dtype=bool, count=len(states))
