"""Depth-first explicit-state search, optionally bounded by depth.

Owns: `dfs(program, options) -> CheckResult`. Successors come from the compiled backend
(`successors_with_actions`), in action order, and are explored first-to-last. With
`max_depth` (steps; compared as `options.max_level`, TLC's convention, where initial states
are depth 1), states at the bound are checked but not expanded, and a state reached again by a shorter path than the one it was stored
with is re-parented and expanded again, so that everything within the bound is explored.
Counterexamples are not necessarily shortest (use BFS for that).

Must not import: z3, numpy, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

import gc
from typing import Any

from replicheck.backends.compiled import Expander
from replicheck.backends.reference import ModelRuntimeError
from replicheck.ir import Program, State
from replicheck.report.results import CheckResult

from .options import CheckOptions
from .run import CHUNK, Run
from .store import ROOT, DepthStore


def dfs(program: Program, options: CheckOptions) -> CheckResult:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _dfs(program, options)
    finally:
        if was_enabled:
            gc.enable()


def _dfs(program: Program, options: CheckOptions) -> CheckResult:
    run = Run(program, options, "dfs")
    compiled = run.compiled
    store = DepthStore()
    events: list[tuple[str, Any, State | None]] = []
    dummy_seen: dict[int, int] = {}

    def checker() -> Expander:  # state checks only (invariants, reachability targets)
        return compiled.expander(
            dummy_seen, lambda _: None, events, run.live(run.invariants), (),
            run.reachables, run.reach_pending, expand=False,
        )

    check_state = checker()
    succ = compiled.successors_with_actions
    risky = compiled.may_leave_domain
    action_props = run.live(run.action_props)
    ap_check = compiled.first_false(action_props)
    max_depth = options.max_level  # levels: the initial states are level 1
    stop_reason = ""
    transitions = 0
    bounded = False
    counter = 0
    current = ROOT

    def visit(i: int) -> bool:
        """Check the state with index i; True when the search must stop."""
        nonlocal check_state
        check_state(compiled.pack(store.states[i]), i)
        if events and run.handle_events(events, store.path(i)):
            check_state = checker()
        return run.done

    # a frame: [index, successors, position]
    stack: list[list[Any]] = []

    def open_frame(i: int) -> bool:
        """Expand state i (unless at the bound); True when the search must stop."""
        nonlocal bounded, transitions
        if max_depth is not None and store.depths[i] >= max_depth:
            bounded = True
            return False
        succs = succ(store.states[i])
        transitions += len(succs)
        if not succs and run.deadlock:
            run.deadlocked(store.path(i))
            if run.done:
                return True
        stack.append([i, succs, 0])
        return False

    try:
        inits, _ = run.initial_states()  # states before one that stopped the run are kept
        for s in inits:
            store.add(s, ROOT, 1)
        run.stats.initial_states = len(store)
        roots = list(range(len(store)))
        for r in roots:
            if run.done:
                break
            current = r
            if visit(r) or open_frame(r):
                break
            while stack and not run.done:
                frame = stack[-1]
                i, succs, pos = frame
                if pos >= len(succs):
                    stack.pop()
                    continue
                frame[2] = pos + 1
                ai, t = succs[pos]
                current = i
                pre = store.states[i]
                if risky[ai] and next(program.out_of_domain(t), None) is not None:
                    run.out_of_domain(ai, store.path(i) + [t])
                    continue
                if action_props:
                    bad = ap_check(pre, t)
                    if bad >= 0 and run.action_property_violated(action_props[bad], ai, store.path(i) + [t]):
                        action_props = run.live(run.action_props)
                        ap_check = compiled.first_false(action_props)
                        if run.done:
                            break
                d = store.depths[i] + 1
                j = store.index.get(t)
                if j is None:
                    j = store.add(t, i, d)
                    current = j
                    if visit(j) or open_frame(j):
                        break
                elif max_depth is not None and d < store.depths[j]:
                    store.depths[j] = d
                    store.parents[j] = i
                    current = j
                    if open_frame(j):
                        break
                counter += 1
                if counter >= CHUNK:
                    counter = 0
                    run.stats.transitions = transitions
                    stop_reason = run.tick(len(store))
                    if stop_reason:
                        break
            if stop_reason:
                break
        if bounded and not run.done and not stop_reason:
            stop_reason = "max_depth"
    except ModelRuntimeError as err:
        # DFS generates all successors of a state before checking action properties on them
        run.model_error(err, store.path(current), True, run.live(run.invariants), action_props,
                        interleaved=False)
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    run.stats.transitions = transitions
    run.stats.depth = max(store.depths, default=0)
    return run.result(len(store), stop_reason)
