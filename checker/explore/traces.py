"""Counterexample and witness traces: rebuilt from the store, replayed, confirmed.

Owns: `replay_path` (a path of encoded states -> `Trace`, each step justified by the
reference evaluator: the first action instance, in `program.actions` order, whose reference
`fire` gives exactly the next state, and every state but the last inside the `@constraint`s), `confirm` (the reference evaluator agrees that the
trace's last state or step really has the reported defect), `reference_error` (where the
reference evaluator raises a model run-time error on a state, in the order the engines
evaluate things), `domain_message`, and `InternalCheckerError`, raised when the engine and
the reference evaluator disagree: a checker that is wrong is worse than none. Any engine
may reuse these.

Must not import: z3, numpy, hypothesis, `replicheck.cli`; nothing of checker but `replicheck.ir`,
`replicheck.backends.reference` and `replicheck.report.results`.
"""

from __future__ import annotations

from typing import Sequence

from replicheck.backends import reference as R
from replicheck.errors import InternalError
from replicheck.ir import Action, Program, Property, SourceInfo, State
from replicheck.ir.types import show
from replicheck.report.results import Step, Trace


class InternalCheckerError(InternalError, AssertionError):
    """The engine and the reference evaluator disagree: a bug in replicheck, not the model."""


def describe_state(program: Program, state: State) -> str:
    return ", ".join(f"{v.name} = {program.show_var(v, state)}" for v in program.vars)


def _step(action: Action, state: State, family: str | None = None) -> Step:
    params = tuple(action.param_values().items())
    return Step(family if family is not None else action.family, params, state)


def replay_path(program: Program, states: Sequence[State]) -> Trace:
    """The trace through `states` (the first is an initial state), each transition justified
    by the reference evaluator. Raises InternalCheckerError when a step cannot be."""
    if not states:
        raise InternalCheckerError("an empty path cannot be a trace")
    first = tuple(states[0])
    init = next((a for a, s in R.initial_states(program) if s == first), None)
    if init is None:
        raise InternalCheckerError(
            "the engine's initial state is not an initial state under the reference evaluator:\n"
            f"  engine:    {describe_state(program, first)}"
        )
    steps = [_step(init, first, "init")]
    for k in range(1, len(states)):
        pre, post = tuple(states[k - 1]), tuple(states[k])
        action = next((a for a in program.actions if R.fire(a, pre) == post), None)
        if action is None:
            got = [f"    {a.label}: {describe_state(program, s)}" for a, s in R.successors(program, pre)]
            raise InternalCheckerError(
                f"step {k} of the engine's trace is not a transition under the reference evaluator\n"
                f"  from:      {describe_state(program, pre)}\n"
                f"  engine:    {describe_state(program, post)}\n"
                "  reference successors:\n" + ("\n".join(got) if got else "    (none)")
            )
        steps.append(_step(action, post))
    constraints = program.of_kind("constraint")
    for k in range(len(states) - 1):  # TLC's CONSTRAINT: a trace only leaves from states inside it
        broken = next((c for c in constraints if not R.evaluate(c.expr, tuple(states[k]))), None)
        if broken is not None:
            raise InternalCheckerError(
                f"state {k} of the engine's trace is outside the @constraint {broken.name}, so no engine "
                f"explores it, but the trace goes on from it\n  state:     {describe_state(program, tuple(states[k]))}"
            )
    return Trace(program, tuple(steps))


def _disagree(what: str, program: Program, trace: Trace) -> InternalCheckerError:
    return InternalCheckerError(
        f"the engine reported {what}, but the reference evaluator disagrees on the state\n"
        f"  {describe_state(program, trace.steps[-1].state)}"
        + (
            f"\n  reached from {describe_state(program, trace.steps[-2].state)}"
            if len(trace.steps) > 1
            else ""
        )
    )


def confirm(program: Program, trace: Trace, kind: str, prop: Property | None = None) -> None:
    """Check under the reference evaluator that the trace ends in the reported defect.

    kind: "invariant" (prop false in the last state), "action" (prop false on the last
    step), "reachable" (prop true in the last state: a witness), "deadlock" (no action
    enabled in the last state), "domain" (a slot of the last state outside its domain)."""
    last = trace.steps[-1].state
    try:
        if kind == "invariant":
            assert prop is not None
            ok = not R.holds(prop.expr, last)
        elif kind == "reachable":
            assert prop is not None
            ok = R.holds(prop.expr, last)
        elif kind == "action":
            assert prop is not None and len(trace.steps) > 1
            ok = not R.holds(prop.expr, trace.steps[-2].state, last)
        elif kind == "deadlock":
            ok = next(R.successors(program, last), None) is None
        elif kind == "domain":
            ok = next(program.out_of_domain(last), None) is not None
        else:
            raise ValueError(f"unknown kind {kind}")
    except R.ModelRuntimeError as err:
        raise InternalCheckerError(
            f"the reference evaluator raised {err} while confirming a {kind} violation"
        ) from err
    if not ok:
        name = f" of {prop.name}" if prop is not None else ""
        raise _disagree(f"a {kind} violation{name}", program, trace)


def reference_error(
    program: Program,
    state: State,
    invariants: Sequence[Property] = (),
    reachables: Sequence[Property] = (),
    action_properties: Sequence[Property] = (),
    expand: bool = True,
    interleaved: bool = True,
) -> tuple[R.ModelRuntimeError, str] | None:
    """The first model run-time error the reference evaluator meets on `state`, evaluating
    in the engines' order (invariants, reachability targets, then each action instance's
    guard and updates and the action properties on its step; with `interleaved=False`, all
    successors first and then the action properties on each step), with where it happened."""
    where = ""
    try:
        for p in invariants:
            where = f"invariant {p.name}"
            R.evaluate(p.expr, state)
        for p in reachables:
            where = f"reachability target {p.name}"
            R.evaluate(p.expr, state)
        if not expand:
            return None
        steps = []
        for a in program.actions:
            where = f"action {a.label}"
            post = R.fire(a, state)
            if post is None or next(program.out_of_domain(post), None) is not None:
                continue
            steps.append((a, post))
            if interleaved:
                for p in action_properties:
                    where = f"action property {p.name} after {a.label}"
                    R.evaluate(p.expr, state, post)
        if not interleaved:
            for a, post in steps:
                for p in action_properties:
                    where = f"action property {p.name} after {a.label}"
                    R.evaluate(p.expr, state, post)
    except R.ModelRuntimeError as err:
        return err, where
    return None


def source_suffix(src: SourceInfo | None) -> str:
    """`" at file:line: text"` for a model run-time error's source, or "" when it has none."""
    if src is None or not src.line:
        return ""
    return f" at {src.file}:{src.line}" + (f": {src.text}" if src.text else "")


def domain_message(program: Program, state: State, action: str) -> str:
    """Like TLC: `epoch[n2] = 4 is outside 0..3 (after promote(n=n2))`."""
    bad = list(program.out_of_domain(state))
    parts = [f"{s.name} = {show(s.domain.type, state[s.index])} is outside {s.domain.describe()}" for s in bad]
    return "; ".join(parts) + f" ({action})"
