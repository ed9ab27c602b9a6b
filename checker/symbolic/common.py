"""Plumbing shared by the symbolic engines: the program a caller passed, property selection,
time budgets, and replaying decoded Z3 paths through the reference evaluator into `Trace`s.

Every path a solver produces goes through `replay_path` before anything reports it: each
step is re-fired with `replicheck.backends.reference.fire`, and if the reference evaluator does
not produce the decoded next state, `SolverDisagreement` (an internal error showing both
states) is raised instead of a result.

Must not import: `replicheck.explore`, `replicheck.cli`, `replicheck.lang` (models are duck-typed:
anything with `.compile()`), numpy, hypothesis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import z3

from replicheck import interrupts
from replicheck.backends.reference import ModelRuntimeError, evaluate, fire
from replicheck.backends.z3_backend import DecodedPath, Unrolling
from replicheck.errors import InternalError, UnknownProperty
from replicheck.ir import Action, Program, Property, State
from replicheck.ir.program import as_program  # noqa: F401  (re-exported for the engines)
from replicheck.ir.selection import select
from replicheck.report.results import Step, Trace

# The action name of the first step of a counterexample to induction: an arbitrary state
# that satisfies the invariants, NOT an initial state.
CTI_START = "assumed"


class SolverDisagreement(InternalError, AssertionError):
    """Internal error: a Z3 model does not replay through the reference evaluator."""




def select_properties(program: Program, names: Sequence[str] | None, kinds: Sequence[str]) -> list[Property]:
    """The program's properties of the given kinds, or those named (which must exist, and be
    of these kinds): `replicheck.ir.selection.select`, the selection every engine shares."""
    chosen = select(program, names, kinds=kinds).properties
    if names:
        wrong = [n for n in dict.fromkeys(names) if n not in {p.name for p in chosen}]
        if wrong:
            raise UnknownProperty(
                f"{', '.join(map(repr, wrong))} is not {' or '.join(kinds)}; this engine checks: "
                f"{', '.join(p.name for p in select(program, kinds=kinds).properties) or '(none)'}"
            )
        order = list(dict.fromkeys(names))
        chosen.sort(key=lambda p: order.index(p.name))
    return chosen


class Budget:
    """A wall-clock budget shared by every solver call of one engine run."""

    def __init__(self, timeout: float | None) -> None:
        self.start = time.perf_counter()
        self.deadline = None if timeout is None else self.start + timeout

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def expired(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def check(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
        """`solver.check(*assumptions)` within the remaining budget ('unknown' once spent)."""
        if self.deadline is not None:
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0:
                return z3.unknown
            solver.set("timeout", max(1, int(remaining * 1000)))
        return solver.check(*assumptions)


def unknown_reason(solver: z3.Solver, budget: Budget) -> str:
    if budget.expired():
        return "timeout"
    try:
        reason = solver.reason_unknown()
    except z3.Z3Exception:  # pragma: no cover - no reason available
        reason = ""
    if reason in ("canceled", "interrupted from keyboard") and (budget.deadline is None or
                                                              time.perf_counter() < budget.deadline - 0.05):
        return f"interrupted ({interrupts.note()})"  # the solver's own Ctrl-C handler stopped it
    if reason in ("timeout", "canceled"):
        return "timeout"
    return f"solver returned unknown ({reason or 'no reason given'})"


@dataclass(frozen=True)
class ReplayedPath:
    trace: Trace
    actions: tuple[Action, ...]  # the action instance of each transition


def _step(action: Action, state: State) -> Step:
    return Step(action.family, tuple(action.param_values().items()), state)


def _show_state(program: Program, state: State | None) -> str:
    if state is None:
        return "(disabled)"
    return ", ".join(f"{v.name}={program.show_var(v, state)}" for v in program.vars)


def replay_path(unrolling: Unrolling, path: DecodedPath) -> ReplayedPath:
    """The decoded path as a `Trace`, every state recomputed by the reference evaluator.

    A path from an initial state starts with the init instance's state; a path with
    `init=None` (a counterexample to induction) starts with an arbitrary state whose step is
    labelled `CTI_START`. Raises `SolverDisagreement` if any step does not replay.
    """
    program = unrolling.program
    steps: list[Step] = []
    if path.init is not None:
        if not 0 <= path.init < len(unrolling.init_states):
            raise SolverDisagreement(f"Z3 chose init instance #{path.init}, which does not exist")
        init = unrolling.init_actions[path.init]
        want = unrolling.init_states[path.init]
        if want != path.states[0]:
            raise SolverDisagreement(
                f"internal error: Z3 and the reference evaluator disagree on the initial state "
                f"of {init.label}:\n  Z3:        {_show_state(program, path.states[0])}\n"
                f"  reference: {_show_state(program, want)}"
            )
        steps.append(_step(init, want))
    else:
        steps.append(Step(CTI_START, (), path.states[0]))
    actions: list[Action] = []
    current = path.states[0]
    for t, (k, decoded) in enumerate(zip(path.actions, path.states[1:])):
        if not 0 <= k < len(program.actions):
            raise SolverDisagreement(f"Z3 chose action #{k} at step {t + 1}, which does not exist")
        action = program.actions[k]
        try:
            got = fire(action, current)
        except ModelRuntimeError as err:
            raise SolverDisagreement(
                f"internal error: Z3 fired {action.label} at step {t + 1}, but the reference "
                f"evaluator raises: {err}\n  state: {_show_state(program, current)}"
            ) from err
        if got != decoded:
            raise SolverDisagreement(
                f"internal error: Z3 and the reference evaluator disagree on step {t + 1}, "
                f"{action.label}, from\n  {_show_state(program, current)}\n"
                f"  Z3:        {_show_state(program, decoded)}\n"
                f"  reference: {_show_state(program, got)}"
            )
        steps.append(_step(action, decoded))
        actions.append(action)
        current = decoded
    return ReplayedPath(Trace(program, tuple(steps)), tuple(actions))


def model_errors_at(program: Program, state: State, invariants: Sequence[Property],
                    prev: State | None = None, step_props: Sequence[Property] = ()) -> list[str]:
    """What raises a run-time error in `state` per the reference evaluator: the given
    invariants, the action properties on the step `prev -> state`, and every action."""
    out: list[str] = []
    for p in invariants:
        try:
            evaluate(p.expr, state)
        except ModelRuntimeError as err:
            out.append(f"evaluating {p.name}: {err}")
    if prev is not None:
        for p in step_props:
            try:
                evaluate(p.expr, prev, state)
            except ModelRuntimeError as err:
                out.append(f"evaluating {p.name}: {err}")
    for a in program.actions:
        try:
            fire(a, state)
        except ModelRuntimeError as err:
            out.append(f"firing {a.label}: {err}")
    return out


def holds_at(p: Property, state: State) -> bool | None:
    """Whether invariant p holds in state (None if evaluating it raises)."""
    try:
        return bool(evaluate(p.expr, state))
    except ModelRuntimeError:
        return None
