"""Breadth-first explicit-state search (the default engine: shortest counterexamples).

Owns: `bfs(program, options) -> CheckResult`. The hot loop calls the compiled backend's
exploration kernel once per state; the kernel does the seen-check and parent link inline
and reports anything unusual as events (see `replicheck.backends.compiled`). Invariants are
checked on each state when it is taken from the queue, which is discovery order, so the
first violation found is one at the smallest depth. Levels are tracked by index ranges of
the store's state list (TLC's depth convention: the initial states are depth 1).

A `@constraint` means what TLC's CONSTRAINT means: a state where it is false (an initial
state or a successor) is checked against the invariants, but it is not explored, not counted
as distinct and not counted in the depth. (It is kept in the store so that it is checked
once and its trace can be rebuilt; `RunStats.constrained_states` counts such states.)

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
from .store import ParentStore
from .symmetry import symmetry_for


def bfs(program: Program, options: CheckOptions) -> CheckResult:
    # The store holds millions of objects that never form cycles: the cyclic garbage
    # collector's passes over them cost ~10% and find nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _bfs(program, options)
    finally:
        if was_enabled:
            gc.enable()


def _bfs(program: Program, options: CheckOptions) -> CheckResult:
    run = Run(program, options, "bfs")
    compiled = run.compiled
    store = ParentStore(compiled.pack, compiled.unpack)
    events: list[tuple[str, Any, State | None]] = []
    sym = symmetry_for(program) if options.symmetry else None
    canon_packed = None
    path_of = store.path
    if sym is not None:
        pack, unpack, canonical = compiled.pack, compiled.unpack, sym.canonical

        def canon_packed(t: int) -> int:
            return pack(canonical(unpack(t)))

        def path_of(i: int) -> list[State]:
            # traces: the stored path of representatives, made into a real path
            assert sym is not None
            return sym.concretize(store.path(i), compiled.successors)

        run.stats.symmetry = sym.describe()

    # vacuity: which actions were ever enabled (tracked only until first seen)
    ever_enabled = [False] * len(program.actions)
    tracked: list[int] = list(range(len(program.actions)))

    def kernel(expand: bool) -> Expander:
        return compiled.expander(
            store.seen, store.states.append, events,
            run.live(run.invariants), run.live(run.action_props) if expand else (),
            run.reachables, run.reach_pending, expand, canon_packed, ever_enabled, tracked,
        )

    stop_reason = ""
    inits, stopped = run.initial_states()
    if stopped:
        return run.result(0, "")
    for s in inits:
        store.add_root(sym.canonical(s) if sym is not None else s)
    run.stats.initial_states = len(store)
    states = store.states
    max_depth = options.max_level  # levels: the initial states are level 1
    expand = kernel(True)
    check_only: Expander | None = None
    depth = 1 if states else 0
    level_end = len(states)
    i = j = 0
    transitions = 0
    bounded = False  # some states were checked at the depth bound but not expanded
    constraint_ks = [k for k, p in enumerate(program.properties) if p.kind == "constraint"]
    outside = None
    pruned = 0  # states outside the @constraint: checked, but neither counted nor explored
    pruned_orbits = 0  # with --unreduced: the states those orbits stand for (not counted)
    deepest = 0  # the deepest level with a state inside the constraint (the depth TLC reports)
    if constraint_ks:
        first_false, unpack_state = compiled.first_false(constraint_ks), compiled.unpack

        def outside(key: int) -> bool:
            return first_false(unpack_state(key)) >= 0

    try:
        while i < len(states):
            if i == level_end:
                depth += 1
                level_end = len(states)
            at_bound = max_depth is not None and depth >= max_depth
            if at_bound and check_only is None:
                check_only = kernel(False)
            fn = check_only if at_bound and check_only is not None else expand
            bounded |= at_bound
            stop = min(level_end, i + CHUNK)
            deadlock = run.deadlock and not at_bound
            rebuild = False
            for j in range(i, stop):
                if outside is not None and outside(states[j]):
                    # outside the @constraint: checked, not explored (and not a deadlock)
                    if check_only is None:
                        check_only = kernel(False)
                    check_only(states[j], j)
                    pruned += 1
                    if sym is not None and options.unreduced:
                        pruned_orbits += sym.orbit_size(compiled.unpack(states[j]))
                    if events:
                        if run.handle_events(events, path_of(j)) and not run.done:
                            # continue mode: what is now violated is not checked again, from
                            # the next state on (it may raise where it was never meant to hold)
                            expand, check_only = kernel(True), None
                            fn = kernel(False) if at_bound else expand
                        if run.done:
                            i = j + 1
                            break
                    continue
                n = fn(states[j], j)
                deepest = depth
                transitions += n
                if events or (n == 0 and deadlock):
                    path = path_of(j)
                    new = False
                    if events:
                        new |= run.handle_events(events, path)
                    if n == 0 and deadlock and not run.done:
                        new |= run.deadlocked(path)
                    if run.done:
                        i = j + 1
                        break
                    if new:  # continue mode: stop checking what is now violated, at once
                        expand, check_only = kernel(True), None
                        fn = kernel(False) if at_bound else expand
            else:
                i = stop
            if run.done:
                break
            if tracked and any(ever_enabled[a] for a in tracked):
                tracked[:] = [a for a in tracked if not ever_enabled[a]]
                rebuild = True  # stop recording the actions now known to be enabled
            if rebuild:  # continue mode: stop checking what is already violated
                expand = kernel(True)
                check_only = None
            run.stats.transitions = transitions
            run.stats.depth = deepest
            stop_reason = run.tick(len(states) - pruned)
            if stop_reason and i < len(states):
                break
            stop_reason = ""
        if bounded and not run.done and not stop_reason:
            stop_reason = "max_depth"
    except ModelRuntimeError as err:
        at_bound = max_depth is not None and depth >= max_depth
        run.model_error(err, path_of(j), not at_bound, run.live(run.invariants), run.live(run.action_props))
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    run.stats.transitions = transitions
    run.stats.depth = deepest if constraint_ks else depth
    if constraint_ks:
        run.stats.constrained_states = pruned
    if sym is not None and options.unreduced:
        unpack, orbit = compiled.unpack, sym.orbit_size
        run.stats.unreduced_states = sum(orbit(unpack(k)) for k in states) - pruned_orbits
    result = run.result(len(states) - pruned, stop_reason)
    if result.stats.complete and not run.done:
        result.warnings += never_enabled_warnings(program, ever_enabled)
    return result


def never_enabled_warnings(program: Program, ever_enabled: list[bool]) -> list[str]:
    """Action families no reachable state enables (a sign of a vacuous model)."""
    enabled_families = {a.family for a, on in zip(program.actions, ever_enabled) if on}
    never = [f for f in program.families if f not in enabled_families]
    return [f"action {f} is never enabled in any reachable state" for f in never]

