"""Induction with Z3: k-induction and the one-step inductiveness check of a set of invariants.

Owns: `k_induction`, `check_inductive`, and their results `InductionResult` and
`InductionFailure`.

The property being proved, for a state s, is Good(s): every slot of s inside its domain,
every selected invariant defined and true in s, and no action instance raising a run-time
error when fired in s. (So "proved" also proves the absence of domain and run-time errors;
action properties and reachable targets are not handled by these engines: use `bmc`.)

- `k_induction(model, k)` tries j = 1..k. Base case: Good holds in every state reachable in
  at most j-1 steps (a violation is a real counterexample: status "refuted", a replayed
  trace from an initial state in `counterexample`). Inductive step: every path of j+1
  states whose first j states are Good ends in a Good state (optionally only loop-free
  paths, `simple_path=True`, which is still sound). The smallest j whose step holds proves
  the invariants ("proved"). If none does, "unknown" with the last counterexample to
  induction in `cti`: a `Trace` whose first step is labelled `CTI_START` ("assumed") -- it
  does NOT start in an initial state and is not a counterexample of the model.
- `check_inductive(model, invariants)`: the conjunction Inv of the invariants (with the
  domains) holds in every initial state (else "refuted", with the initial state as a
  counterexample) and, for every action instance a and every state s satisfying Inv, a does
  not raise in s and its successor satisfies Inv. Each action instance that breaks this is an
  `InductionFailure` (the action's label, the pre-state, the post-state, what is broken);
  then the status is "unknown" (the invariants may still hold; they are not inductive).

Solver 'unknown' (including a timeout) gives status "unknown" with `reason` saying so.
Every state shown is replayed through the reference evaluator first.

Must not import: `replicheck.explore`, `replicheck.cli`, `replicheck.lang`, numpy, hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import z3

from replicheck.backends.reference import ModelRuntimeError, fire
from replicheck.backends.z3_backend import Unrolling, action_error, conj
from replicheck.ir import Program, Property, State
from replicheck.report.results import (
    VIOLATED,
    CheckResult,
    RunStats,
    Step,
    Trace,
    Verdict,
    settled,
    write_verdicts,
)

from .common import (
    Budget,
    SolverDisagreement,
    as_program,
    holds_at,
    model_errors_at,
    replay_path,
    select_properties,
    unknown_reason,
)

PROVED = "proved"
REFUTED = "refuted"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class InductionFailure:
    """One way the invariants fail to be inductive: `action` (an action instance's label, or
    the init instance's label) taken from `pre` (None for an initial state) leads to `post`
    (None when the action raises a run-time error in `pre`), breaking `broken`."""

    program: Program
    action: str
    pre: State | None
    post: State | None
    broken: tuple[str, ...]

    def pre_values(self) -> dict[str, Any] | None:
        return None if self.pre is None else self.program.decode_state(self.pre)

    def post_values(self) -> dict[str, Any] | None:
        return None if self.post is None else self.program.decode_state(self.post)

    def changed(self) -> list[str]:
        if self.pre is None or self.post is None:
            return []
        return [v.name for v in self.program.vars
                if any(self.pre[i] != self.post[i] for i in v.slot_range())]

    def explain(self) -> str:
        """For a user strengthening the invariant: what breaks, the entries of the pre-state
        that the action and the broken parts read, and what the action changed."""
        from .explain import explain_failure

        return explain_failure(self)

    def describe(self) -> str:
        p = self.program
        lines = [f"{self.action} breaks: {'; '.join(self.broken)}"]
        if self.pre is not None:
            lines.append("  pre-state:  " + ", ".join(f"{v.name}={p.show_var(v, self.pre)}" for v in p.vars))
        if self.post is not None:
            shown = self.changed() if self.pre is not None else [v.name for v in p.vars]
            lines.append("  post-state: " + (", ".join(
                f"{v.name}={p.show_var(v, self.post)}" for v in p.vars if v.name in shown) or "(unchanged)"))
        return "\n".join(lines)


@dataclass
class InductionResult:
    program: Program
    method: str  # "k-induction" or "inductive"
    status: str  # PROVED, REFUTED or UNKNOWN
    invariants: tuple[str, ...]
    k: int  # the k that proved it (k-induction), the largest k tried otherwise; 1 for inductive
    message: str
    seconds: float = 0.0
    reason: str = ""  # for UNKNOWN: "not inductive", "timeout", "solver unknown (...)"
    violated: str | None = None  # for REFUTED: the property (or "domain" / "model error")
    counterexample: Trace | None = None  # for REFUTED: a real trace from an initial state
    cti: Trace | None = None  # k-induction UNKNOWN: counterexample to induction (not from init)
    failures: list[InductionFailure] = field(default_factory=list)  # check_inductive

    @property
    def proved(self) -> bool:
        return self.status == PROVED

    def describe(self) -> str:
        lines = [f"{self.method}: {self.status}: {self.message} ({self.seconds:.2f}s)"]
        for f in self.failures:
            lines.append(f.describe())
        if self.cti is not None:
            p = self.program
            lines.append("counterexample to induction (starts in an arbitrary state satisfying the invariants):")
            for i, step in enumerate(self.cti.steps):
                values = ", ".join(f"{v.name}={p.show_var(v, step.state)}" for v in p.vars)
                lines.append(f"  {i}: {step.label}: {values}")
        return "\n".join(lines)

    def to_check_result(self) -> CheckResult:
        """The result in the shared vocabulary: HOLDS verdicts only when proved (complete);
        a refutation is a VIOLATED verdict with its trace; unknown is INCOMPLETE."""
        p = self.program
        stats = RunStats(engine=f"z3-{self.method}", seconds=self.seconds, complete=self.status == PROVED,
                         stop_reason="proved" if self.status == PROVED else (self.reason or self.status))
        decided: dict[str, Verdict] = {}
        if self.status == REFUTED:
            if self.violated in self.invariants:
                decided[self.violated] = Verdict(self.violated, "invariant", VIOLATED, self.message, self.counterexample)
            else:
                kind = "domain" if self.violated == "domain" else "error"
                name = "domain" if self.violated == "domain" else "model error"
                decided[name] = Verdict(self.violated or "model error", kind, VIOLATED, self.message, self.counterexample)
        verdicts = write_verdicts([(name, "invariant") for name in self.invariants], decided,
                                  lambda name, kind: settled(name, kind, self.status == PROVED, self.message,
                                                             holds=self.message))
        return CheckResult(p.name, dict(p.settings), p.variant, verdicts, stats)


# ---------------------------------------------------------------------------------------------


def _good(u: Unrolling, props: Sequence[Property], j: int, with_actions: bool = True) -> z3.BoolRef:
    parts = [u.domain(j)]
    for p in props:
        val, ok = u.invariant(p.expr, j)
        parts += [ok, val]
    if with_actions:  # a state outside the @constraint is never fired from
        parts.append(z3.Not(z3.And(u.constraint(j), u.action_errors(j))))
    return conj(parts)


def _broken(program: Program, props: Sequence[Property], state: State, with_actions: bool = True) -> list[str]:
    """What of Good fails in `state`, per the reference evaluator."""
    out = [f"domain: {s.name} = {state[s.index]} (domain {s.domain.describe()})"
           for s in program.out_of_domain(state)]
    if out:
        return out
    for p in props:
        h = holds_at(p, state)
        if h is False:
            out.append(p.name)
    errors = model_errors_at(program, state, props)
    if not with_actions:
        errors = [e for e in errors if not e.startswith("firing ")]
    out += [f"model error: {e}" for e in errors]
    return out


def _first_broken_name(broken: list[str], props: Sequence[Property]) -> str:
    names = {p.name for p in props}
    for b in broken:
        if b in names:
            return b
    return "domain" if broken and broken[0].startswith("domain") else "model error"


def _steps(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def k_induction(
    model: Any,
    k: int,
    simple_path: bool = False,
    invariants: Sequence[str] | None = None,
    timeout: float | None = None,
) -> InductionResult:
    """Prove the invariants (all of the program's, or those named) by j-induction for the
    smallest j in 1..k; see the module docstring for what is proved and the result."""
    if k < 1:
        raise ValueError("k must be >= 1")
    program = as_program(model)
    budget = Budget(timeout)
    props = select_properties(program, invariants, ("invariant",))
    names = tuple(p.name for p in props)

    def result(status: str, j: int, message: str, **kw: Any) -> InductionResult:
        return InductionResult(program, "k-induction", status, names, j, message, budget.elapsed(), **kw)

    try:
        base_u = Unrolling(program, "b_")
    except ModelRuntimeError as err:
        return result(REFUTED, 0, f"computing the initial states raises: {err}", violated="model error")
    step_u = Unrolling(program, "i_")
    base, step = z3.Solver(), z3.Solver()
    base.add(base_u.init(0))
    step.add(z3.Not(_good(step_u, props, 0)))  # state 0 is the bad state; state j precedes j-1
    cti: Trace | None = None
    for j in range(1, k + 1):
        # base case for the states j-1 steps from an initial state
        b = j - 1
        if b > 0:
            base.add(_good(base_u, props, b - 1), base_u.constraint(b - 1), base_u.trans(b - 1, b))
            base.add(conj([base_u.differ(i, b) for i in range(b)]))
        r = budget.check(base, z3.Not(_good(base_u, props, b)))
        if r == z3.unknown:
            reason = unknown_reason(base, budget)
            return result(UNKNOWN, j, f"base case at depth {b}: {reason}", reason=reason, cti=cti)
        if r == z3.sat:
            trace = replay_path(base_u, base_u.decode_path(base.model(), list(range(b + 1)))).trace
            broken = _broken(program, props, trace.steps[-1].state)
            if not broken:
                raise SolverDisagreement(
                    "internal error: Z3 says the last state of this trace breaks the invariants, "
                    f"the reference evaluator says it does not: {[s.state for s in trace.steps]}")
            name = _first_broken_name(broken, props)
            detail = "" if broken == [name] else f": {'; '.join(broken)}"
            return result(REFUTED, j, f"{name} violated after {_steps(b)}{detail}",
                          violated=name, counterexample=trace)
        # inductive step: j Good states, then a bad one
        step.add(_good(step_u, props, j), step_u.constraint(j), step_u.trans(j, j - 1))
        if simple_path:
            step.add(conj([step_u.differ(i, j) for i in range(j)]))
        r = budget.check(step)
        if r == z3.unknown:
            reason = unknown_reason(step, budget)
            return result(UNKNOWN, j, f"inductive step for k={j}: {reason}", reason=reason, cti=cti)
        if r == z3.unsat:
            return result(PROVED, j, f"proved by k-induction with k={j}"
                          + (" (loop-free paths)" if simple_path else ""))
        order = list(range(j, -1, -1))
        cti = replay_path(step_u, step_u.decode_path(step.model(), order, from_init=False)).trace
        states = [s.state for s in cti.steps]
        if any(_broken(program, props, s) for s in states[:-1]) or not _broken(program, props, states[-1]):
            raise SolverDisagreement(
                "internal error: Z3's counterexample to induction does not replay: the reference "
                f"evaluator finds {[_broken(program, props, s) for s in states]} broken in {states}")
    last = _broken(program, props, cti.steps[-1].state) if cti is not None else []
    return result(UNKNOWN, k, f"not k-inductive for any k <= {k}; the counterexample to induction "
                  f"ends in a state breaking {'; '.join(last)}", reason="not inductive", cti=cti)


def check_inductive(
    model: Any,
    invariants: Sequence[str] | None = None,
    timeout: float | None = None,
) -> InductionResult:
    """Is the conjunction of the invariants (all of the program's, or those named) inductive:
    true initially and preserved by every action instance? See the module docstring."""
    program = as_program(model)
    budget = Budget(timeout)
    props = select_properties(program, invariants, ("invariant",))
    names = tuple(p.name for p in props)

    def result(status: str, message: str, **kw: Any) -> InductionResult:
        return InductionResult(program, "inductive", status, names, 1, message, budget.elapsed(), **kw)

    try:
        u = Unrolling(program)
    except ModelRuntimeError as err:
        return result(REFUTED, f"computing the initial states raises: {err}", violated="model error")
    # initiation: initial states are concrete, so the reference evaluator decides it
    for a, s in zip(u.init_actions, u.init_states):
        broken = _broken(program, props, s)
        if broken:
            trace = Trace(program, (Step(a.family, tuple(a.param_values().items()), s),))
            name = _first_broken_name(broken, props)
            failure = InductionFailure(program, a.label, None, s, tuple(broken))
            return result(REFUTED, f"the initial state of {a.label} breaks {'; '.join(broken)}",
                          violated=name, counterexample=trace, failures=[failure])
    # consecution, one query per action instance
    solver = z3.Solver()
    solver.add(_good(u, props, 0, with_actions=False), u.constraint(0))  # only states inside are explored
    post_ok = _good(u, props, 1, with_actions=False)
    low = u.lowering(0)
    failures: list[InductionFailure] = []
    undecided: list[str] = []
    reason = ""
    for a in program.actions:
        raises = action_error(low, a)
        bad = z3.Or(raises, z3.And(u.fires(a, 0, 1), z3.Not(post_ok)))
        solver.push()
        solver.add(bad)
        r = budget.check(solver)
        model_ = solver.model() if r == z3.sat else None
        if r == z3.unknown:
            reason = unknown_reason(solver, budget)
        solver.pop()
        if r == z3.unknown:
            undecided.append(a.label)
            continue
        if model_ is None:
            continue
        pre = u.read_state(model_, 0)
        if _broken(program, props, pre, with_actions=False):
            raise SolverDisagreement(
                f"internal error: Z3 gives a pre-state for {a.label} that the reference evaluator "
                f"says breaks the invariants: {_broken(program, props, pre, with_actions=False)} in {pre}")
        try:
            post = fire(a, pre)
        except ModelRuntimeError as e:
            failures.append(InductionFailure(program, a.label, pre, None, (f"model error: {e}",)))
            continue
        decoded = u.read_state(model_, 1)
        if post is None or post != decoded:
            raise SolverDisagreement(
                f"internal error: Z3 and the reference evaluator disagree on {a.label} from {pre}:\n"
                f"  Z3:        {decoded}\n  reference: {post}")
        broken = _broken(program, props, post, with_actions=False)
        if not broken:
            raise SolverDisagreement(
                f"internal error: Z3 says {a.label} from {pre} to {post} breaks the invariants; "
                "the reference evaluator says it does not")
        failures.append(InductionFailure(program, a.label, pre, post, tuple(broken)))
    if failures:
        return result(UNKNOWN, f"not inductive: {len(failures)} action instance(s) break it: "
                      + ", ".join(f.action for f in failures), reason="not inductive", failures=failures)
    if undecided:
        return result(UNKNOWN, f"undecided for {', '.join(undecided)}: {reason}", reason=reason)
    return result(PROVED, f"inductive: holds initially and preserved by all {len(program.actions)} action instances")
