"""Bookkeeping shared by the explicit-state engines.

Owns: `Run` — choosing the properties to check from the options, recording violations,
witnesses and model run-time errors as verdicts (every trace is rebuilt from the store,
replayed and confirmed through the reference evaluator by `replicheck.explore.traces` before
it is recorded), limits and progress, and assembling the final `CheckResult`.

Must not import: z3, numpy, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from replicheck.backends import reference as R
from replicheck.backends.compiled import CompiledProgram, compile_program
from replicheck.ir import Program, Property, State
from replicheck.ir.selection import select
from replicheck.report.results import (
    HOLDS,
    VIOLATED,
    CheckResult,
    RunStats,
    Verdict,
    settled,
    write_verdicts,
)

from .memory import resident_bytes
from .options import CheckOptions
from .traces import InternalCheckerError, confirm, domain_message, reference_error, replay_path, source_suffix

CHUNK = 4096  # states between two looks at the clock


def select_properties(program: Program, options: CheckOptions) -> tuple[list[int], list[int], list[int], bool]:
    """(invariant, action property, reachable) indices into program.properties, and whether
    to check deadlock: `replicheck.ir.selection.select`, the selection every engine shares."""
    chosen = select(program, options.only, options.skip, kinds=("invariant", "action", "reachable"),
                    deadlock=options.deadlock)
    return chosen.of_kind("invariant"), chosen.of_kind("action"), chosen.of_kind("reachable"), chosen.deadlock


class Run:
    def __init__(self, program: Program, options: CheckOptions, engine: str) -> None:
        self.program = program
        self.options = options
        self.compiled: CompiledProgram = compile_program(program)
        self.invariants, self.action_props, self.reachables, self.deadlock = select_properties(
            program, options
        )
        self.reach_pending = [True] * len(self.reachables)
        self.violations: dict[str, Verdict] = {}
        self.witnesses: dict[str, Verdict] = {}
        self.stats = RunStats(engine=engine)
        self.start = time.perf_counter()
        self.last_progress = self.start
        # --max-memory: the scalar engines stop when this process's resident memory passes
        # it; the batch engine measures its worker too and predicts its store's growth, so it
        # checks for itself and turns this off
        self.checks_memory = options.max_memory is not None

    # -- properties -----------------------------------------------------------------------
    def prop(self, k: int) -> Property:
        return self.program.properties[k]

    def live(self, ks: Sequence[int]) -> list[int]:
        """The properties of ks not yet violated (in continue mode they need no more checks)."""
        return [k for k in ks if self.prop(k).name not in self.violations]

    @property
    def done(self) -> bool:
        return self.options.stop_at_first and bool(self.violations)

    # -- recording ------------------------------------------------------------------------
    def _record(self, name: str, kind: str, message: str, path: Sequence[State], prop: Property | None,
                confirm_kind: str | None) -> bool:
        if name in self.violations:
            return False
        trace = replay_path(self.program, path)
        if confirm_kind is not None:
            confirm(self.program, trace, confirm_kind, prop)
        self.violations[name] = Verdict(name, kind, VIOLATED, message, trace)
        return True

    def invariant_violated(self, k: int, path: Sequence[State]) -> bool:
        p = self.prop(k)
        return self._record(p.name, "invariant", f"invariant {p.name} is violated", path, p, "invariant")

    def action_property_violated(self, k: int, ai: int, path: Sequence[State]) -> bool:
        p = self.prop(k)
        label = self.program.actions[ai].label
        return self._record(p.name, "action", f"action property {p.name} is violated by {label}",
                            path, p, "action")

    def deadlocked(self, path: Sequence[State]) -> bool:
        return self._record("deadlock", "deadlock", "deadlock: no action is enabled in the last state",
                            path, None, "deadlock")

    def initial_states(self) -> tuple[list[State], bool]:
        """The initial states within their domains, in order, and whether one outside them
        (reported as a violation) stopped the run; the states after that one are not listed."""
        inside: list[State] = []
        for s in self.compiled.initial_states():
            if next(self.program.out_of_domain(s), None) is None:
                inside.append(s)
                continue
            self.out_of_domain(None, [s])
            if self.done:
                return inside, True
        return inside, False

    def out_of_domain(self, ai: int | None, path: Sequence[State]) -> bool:
        where = "in an initial state" if ai is None else f"after {self.program.actions[ai].label}"
        msg = domain_message(self.program, path[-1], where)
        return self._record("domain", "domain", msg, path, None, "domain")

    def reached(self, pos: int, path: Sequence[State]) -> None:
        if not self.reach_pending[pos]:
            return
        self.reach_pending[pos] = False
        p = self.prop(self.reachables[pos])
        trace = replay_path(self.program, path)
        confirm(self.program, trace, "reachable", p)
        self.witnesses[p.name] = Verdict(p.name, "reachable", HOLDS, f"{p.name} is reachable", trace)

    def model_error(self, err: R.ModelRuntimeError, path: Sequence[State], expand: bool,
                    invariants: Sequence[int], action_props: Sequence[int], interleaved: bool = True) -> None:
        """A run-time error of the model while the engine handled path[-1]: find where under
        the reference evaluator (which must agree) and record it."""
        pending = [self.prop(k) for pos, k in enumerate(self.reachables) if self.reach_pending[pos]]
        found = reference_error(
            self.program, path[-1], [self.prop(k) for k in invariants], pending,
            [self.prop(k) for k in action_props], expand, interleaved,
        )
        if found is None or str(found[0]) != str(err):
            raise InternalCheckerError(
                f"the compiled backend raised {err!r} but the reference evaluator "
                + ("does not" if found is None else f"raised {found[0]!r}")
            ) from err
        ref, where = found
        message = f"model error in {where}: {ref}{source_suffix(ref.source)}"
        trace = replay_path(self.program, path)
        self.violations.setdefault("model error", Verdict("model error", "error", VIOLATED, message, trace))

    def handle_events(self, events: list[tuple[str, Any, State | None]], path: list[State]) -> bool:
        """Record the kernel's events about the state at the end of `path`; True when a new
        violation was recorded."""
        new = False
        for kind, code, t in events:
            if kind == "invariant":
                new |= self.invariant_violated(code, path)
            elif kind == "reachable":
                self.reached(self.reachables.index(code), path)
            elif kind == "domain":
                assert t is not None
                new |= self.out_of_domain(code, path + [t])
            elif kind == "action":
                assert t is not None
                new |= self.action_property_violated(code[0], code[1], path + [t])
            if self.done:
                break
        events.clear()
        return new

    # -- limits and progress --------------------------------------------------------------
    def tick(self, stored: int) -> str:
        """Called every CHUNK states: progress, and the reason to stop ("" to go on)."""
        now = time.perf_counter()
        self.stats.seconds = now - self.start
        self.stats.distinct_states = stored
        if self.options.progress is not None and now - self.last_progress >= self.options.progress_interval:
            self.last_progress = now
            self.options.progress(self.stats)
        if self.options.max_seconds is not None and self.stats.seconds >= self.options.max_seconds:
            return "max_seconds"
        if self.options.max_states is not None and stored >= self.options.max_states:
            return "max_states"
        if self.checks_memory and self.options.max_memory is not None and resident_bytes() > self.options.max_memory:
            return "max_memory"
        return ""

    # -- result ---------------------------------------------------------------------------
    def result(self, stored: int, stop_reason: str) -> CheckResult:
        st = self.stats
        st.seconds = time.perf_counter() - self.start
        st.distinct_states = stored
        if self.violations and not stop_reason and self.options.stop_at_first:
            stop_reason = "violation"
        if "model error" in self.violations:
            stop_reason = "error"
        st.complete = not stop_reason
        st.stop_reason = stop_reason
        chosen = set(self.invariants) | set(self.action_props) | set(self.reachables)
        selected = [(p.name, p.kind) for k, p in enumerate(self.program.properties) if k in chosen]
        verdicts = write_verdicts(
            selected, {**self.witnesses, **self.violations},
            lambda name, kind: settled(name, kind, st.complete, f"not fully checked ({stop_reason})"),
            deadlock=self.deadlock,
        )
        return CheckResult(
            model=self.program.name,
            settings=dict(self.program.settings),
            variant=self.program.variant,
            verdicts=verdicts,
            stats=st,
        )
