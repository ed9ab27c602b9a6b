"""The Hypothesis adapter: strategies over a model's executions, and a model as a state machine.

Owns:
- `traces(model, max_steps)`: a strategy drawing valid executions (a `Trace`: an initial
  state, then action instances whose guards hold, each with its parameters and the state it
  leads to); `reachable_states(model, max_steps)`: the last states of such traces;
- `as_state_machine(model)`: a `hypothesis.stateful.RuleBasedStateMachine` subclass with one
  rule per action instance (its precondition: the instance's guard), one `@initialize` rule
  choosing the initial state, and invariants checking the model's invariants (and, after
  every rule, its action properties, the variables' domains and run-time errors). So
  `TestElection = as_state_machine(Election(variant="no_fencing")).TestCase` is a pytest test
  whose failures Hypothesis shrinks. A failure raises `ModelViolation`, whose message is the
  trace in replicheck's own format (`replicheck.report.text.render_trace`), replayed through the
  reference evaluator.

Guards and updates are evaluated by the compiled backend (`replicheck.backends.compiled`);
every trace reported is replayed through the reference evaluator (`replay_path`).

This is the only module of `checker` that imports hypothesis.

Must not import: z3, numpy, `replicheck.cli`, `models`.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from replicheck.backends import reference as R
from replicheck.backends.compiled import CompiledProgram, compile_program
from replicheck.explore.traces import domain_message, replay_path
from replicheck.ir import Program, State
from replicheck.ir.program import as_program
from replicheck.report.results import VIOLATED, Step, Trace, Verdict
from replicheck.report.text import render_trace
from replicheck.simulation import choose_properties

_COMPILED: dict[int, tuple[Program, CompiledProgram]] = {}




def compiled_of(program: Program) -> CompiledProgram:
    """The compiled backend for `program`, cached (the program is kept alive with it)."""
    hit = _COMPILED.get(id(program))
    if hit is None or hit[0] is not program:
        hit = (program, compile_program(program))
        _COMPILED[id(program)] = hit
    return hit[1]


def _initial_steps(program: Program) -> list[Step]:
    out: dict[State, Step] = {}
    for a, s in R.initial_states(program):
        out.setdefault(s, Step("init", tuple(a.param_values().items()), s))
    return list(out.values())


def traces(model: Any, max_steps: int = 20, min_steps: int = 0) -> st.SearchStrategy[Trace]:
    """Valid executions of `model` (a model instance or a Program) of at most `max_steps`
    steps: each step is an action instance whose guard holds in the state before it, and
    whose successor is within the variables' domains. A trace stops early where no action is
    enabled. Shrinks towards fewer steps and towards earlier instances (declaration order)."""
    program = as_program(model)
    compiled = compiled_of(program)
    inits = _initial_steps(program)
    if not inits:
        raise ValueError(f"{program.name} has no initial state")

    @st.composite
    def draw(data: st.DrawFn) -> Trace:
        first = data(st.sampled_from(inits))
        steps = [first]
        length = data(st.integers(min_steps, max_steps))
        state = first.state
        for _ in range(length):
            succ = [
                (ai, t)
                for ai, t in compiled.successors_with_actions(state)
                if not (compiled.may_leave_domain[ai] and next(program.out_of_domain(t), None) is not None)
            ]
            if not succ:
                break
            ai, state = data(st.sampled_from(succ))
            action = program.actions[ai]
            steps.append(Step(action.family, tuple(action.param_values().items()), state))
        return Trace(program, tuple(steps))

    return draw()


def reachable_states(model: Any, max_steps: int = 20) -> st.SearchStrategy[State]:
    """States reachable in at most `max_steps` steps (encoded tuples; `program.decode_state`
    gives plain values)."""
    return traces(model, max_steps).map(lambda t: t.steps[-1].state)


class ModelViolation(AssertionError):
    """A property of the model failed in the state machine; the message is the trace."""

    def __init__(self, message: str, trace: Trace, verdict: Verdict) -> None:
        super().__init__(message)
        self.trace = trace
        self.verdict = verdict


def _rule_name(label: str, ai: int) -> str:
    return re.sub(r"\W+", "_", label).strip("_") + f"__{ai}"


def as_state_machine(
    model: Any,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    helpers: bool = False,
    deadlock: bool | None = None,
) -> type[RuleBasedStateMachine]:
    """A `RuleBasedStateMachine` subclass for `model` (a model instance or a Program).

    Rules: one per action instance, named after its label (`promote_v_v1_n_n2__17`), with the
    instance's guard as precondition. Checked: the invariants (like `replicheck simulate`:
    all but the strengthening helpers, unless `helpers` or `only` says otherwise) in every
    state, the action properties and the domains on every step, and model run-time errors.
    A state where no action is enabled is a deadlock when `deadlock` is true (default: the
    model's `check_deadlock`); otherwise the rule `no_action_enabled` lets the run idle.
    A failure raises `ModelViolation` with the trace rendered by `render_trace`."""
    if deadlock is None:
        deadlock = bool(getattr(model, "check_deadlock", False)) and not isinstance(model, Program)
    program = as_program(model)
    compiled = compiled_of(program)
    invariants, action_props = choose_properties(
        program, frozenset(only) if only is not None else None, frozenset(skip), helpers
    )
    inv = compiled.first_false(invariants) if invariants else None
    act = compiled.first_false(action_props) if action_props else None
    inits = _initial_steps(program)

    def fail(self: Any, name: str, kind: str, message: str) -> None:
        trace = replay_path(program, self.states)
        verdict = Verdict(name, kind, VIOLATED, message, trace)
        text = f"{program.name}: {message}\n\n" + render_trace(trace, verdict)
        raise ModelViolation(text, trace, verdict)

    def fire(self: Any, ai: int) -> None:
        pre = self.states[-1]
        try:
            post = compiled.fire(ai, pre)
        except R.ModelRuntimeError as err:
            fail(self, "model error", "error", f"model error in action {program.actions[ai].label}: {err}")
        assert post is not None, "precondition guarantees the guard holds"
        self.states.append(post)
        label = program.actions[ai].label
        if compiled.may_leave_domain[ai] and next(program.out_of_domain(post), None) is not None:
            fail(self, "domain", "domain", domain_message(program, post, f"after {label}"))
        if act is not None:
            k = act(pre, post)
            if k >= 0:
                name = program.properties[action_props[k]].name
                fail(self, name, "action", f"action property {name} is violated by {label}")

    def make_rule(ai: int) -> tuple[str, Callable[..., None]]:
        def guard(self: Any) -> bool:
            return bool(self.states) and compiled.fire(ai, self.states[-1]) is not None

        def step(self: Any) -> None:
            fire(self, ai)

        name = _rule_name(program.actions[ai].label, ai)
        step.__name__ = name
        return name, rule()(precondition(guard)(step))

    def init_state(self: Any, i: int) -> None:
        self.states = [inits[i].state]

    def model_invariants(self: Any) -> None:
        if not self.states or inv is None:
            return
        state = self.states[-1]
        try:
            k = inv(state)
        except R.ModelRuntimeError as err:
            fail(self, "model error", "error", f"model error in an invariant: {err}")
        if k >= 0:
            name = program.properties[invariants[k]].name
            fail(self, name, "invariant", f"invariant {name} is violated")

    def quiet_guard(self: Any) -> bool:
        return bool(self.states) and not compiled.successors(self.states[-1])

    def quiet(self: Any) -> None:
        """No action is enabled: a deadlock if asked to report them, else the run idles."""
        if deadlock:
            fail(self, "deadlock", "deadlock", "deadlock: no action is enabled in the last state")

    def setup(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.states = []

    namespace: dict[str, Any] = {
        "__init__": setup,
        "__doc__": f"The actions of {program.name} as Hypothesis rules; its invariants as invariants.",
        "program": program,
        "init_state": initialize(i=st.integers(0, len(inits) - 1) if len(inits) > 1 else st.just(0))(init_state),
        "model_invariants": invariant()(model_invariants),
        "no_action_enabled": rule()(precondition(quiet_guard)(quiet)),
    }
    for ai in range(len(program.actions)):
        name, fn = make_rule(ai)
        namespace[name] = fn
    cls_name = re.sub(r"\W+", "_", program.name.title()) + "Machine"
    return type(cls_name, (RuleBasedStateMachine,), namespace)


__all__ = ["traces", "reachable_states", "as_state_machine", "ModelViolation", "compiled_of"]
