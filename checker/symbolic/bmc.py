"""Bounded model checking with Z3: is any property violated within `depth` steps?

Owns: `bmc`. One incremental solver: the path s0 -> s1 -> ... grows one transition per
iteration, and each question about the newest state is asked under an assumption literal,
so that nothing is re-encoded. Depths are tried in increasing order, so every counterexample
is a shortest one (in steps) for its property.

What is checked, at every state s_k (k = 0..depth):
- `domain`: every slot inside its declared domain (kind "domain"; stops the run);
- `model error`: no action instance raises a run-time error when fired in s_k, and no
  reachable target raises when evaluated (kind "error"; stops the run);
- each selected invariant: it holds in s_k (an invariant whose evaluation raises is reported
  as a model error and stops the run);
- each selected action property: it holds on the step s_(k-1) -> s_k (k >= 1);
- each selected reachable target: some s_k satisfies it (the witness is a trace).
States already checked are assumed in-domain and error-free when the path is extended
(the explicit checker does not expand such states either).

Loop-free paths: the newest state is required to differ from all earlier ones when state
properties are checked (a shortest path to any state is loop-free), and earlier states are
pairwise distinct. If no loop-free path of length k exists, every reachable state has
already been checked: the run is complete and unviolated properties HOLD (a proof). The
final iteration depth+1 asks only this question.

Conventions of the returned `CheckResult`:
- a violation: Verdict(status=VIOLATED, trace=<replayed shortest trace>);
- no violation within the bound and the state space not exhausted: Verdict(status=INCOMPLETE,
  message "no violation within N steps (bounded ...)"), stats.complete=False,
  stats.stop_reason="bounded" -- `CheckResult.status` is then INCOMPLETE (exit code 3), never
  a claim of proof;
- the state space exhausted within the bound: Verdict(status=HOLDS), stats.complete=True,
  stop_reason="exhausted"; an unreached target is then VACUOUS;
- solver 'unknown' or timeout: undecided properties INCOMPLETE with the reason,
  stats.complete=False, stop_reason "timeout" or "solver unknown"; never an exception.
- stats.depth follows TLC's convention (state levels checked: the initial states are 1).

Must not import: `replicheck.explore`, `replicheck.cli`, `replicheck.lang`, numpy, hypothesis.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import z3

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.backends.z3_backend import Unrolling, conj, disj
from replicheck.ir import Program, Property
from replicheck.report.results import (
    HOLDS,
    VIOLATED,
    CheckResult,
    RunStats,
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

_NO_TIMEOUT = 4294967295  # Z3's "no timeout"


class _Stop(Exception):
    """The run ends early (fatal violation, timeout, solver unknown)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _steps(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def bmc(
    model: Any,
    depth: int,
    invariants: Sequence[str] | None = None,
    timeout: float | None = None,
    completeness_cap: float | None = None,
) -> CheckResult:
    """Bounded model checking of `model` (a `Program` or a model instance) to `depth` steps.

    `invariants` names the properties to check (invariants, action properties or reachable
    targets); None means every property of the program. Domain and run-time errors are
    always checked. `completeness_cap` (seconds) limits each "is the state space exhausted?"
    question (see `_Run.exhausted`); None leaves it to `timeout`. See the module docstring
    for the result conventions.
    """
    if depth < 0:
        raise ValueError("depth must be >= 0")
    program = as_program(model)
    budget = Budget(timeout)
    props = select_properties(program, invariants, ("invariant", "action", "reachable"))
    result = CheckResult(program.name, dict(program.settings), program.variant,
                         stats=RunStats(engine="z3-bmc", complete=False))
    run = _Run(program, props, budget, result)
    run.completeness_cap = completeness_cap
    try:
        run.go(depth)
    finally:
        result.stats.seconds = budget.elapsed()
    return result


class _Run:
    def __init__(self, program: Program, props: list[Property], budget: Budget, result: CheckResult) -> None:
        self.program = program
        self.budget = budget
        self.result = result
        self.state_props = [p for p in props if p.kind == "invariant"]
        self.step_props = [p for p in props if p.kind == "action"]
        self.targets = [p for p in props if p.kind == "reachable"]
        self.order = [p.name for p in props]
        self.decided: dict[str, Verdict] = {}
        self.fatal: Verdict | None = None
        self.solver = z3.Solver()
        self.checked = -1  # deepest k whose state questions were all answered
        self.asking = 0.0  # seconds spent on questions about properties, domains and errors
        self.try_complete = True  # False once a completeness question ran out of its cap
        self.completeness_cap: float | None = None

    def pending(self, ps: list[Property]) -> list[Property]:
        return [p for p in ps if p.name not in self.decided]

    # -- one solver question ----------------------------------------------------------------

    def ask(self, what: str, *assumptions: z3.BoolRef) -> z3.ModelRef | None:
        start = time.perf_counter()
        try:
            r = self.budget.check(self.solver, *assumptions)
        finally:
            self.asking += time.perf_counter() - start
        if r == z3.unknown:
            reason = unknown_reason(self.solver, self.budget)
            kind = reason if reason == "timeout" else "interrupted" if reason.startswith("interrupted") else "solver unknown"
            raise _Stop(kind, f"the solver gave up on {what}: {reason}")
        if r == z3.sat:
            return self.solver.model()
        return None

    def exhausted(self, k: int, fresh: z3.BoolRef) -> bool:
        """Is there no loop-free path of k steps (so every reachable state was checked)?

        This question is a bonus (it turns a bounded result into a proof) and can be much
        harder than the property questions (a pigeonhole argument over paths). With a
        `completeness_cap`, it gets at most as long as the property questions took so far, or
        the cap if that is longer; if that is not enough, it is not asked again and the run
        stays bounded (a warning says so). Without one, only the run's timeout bounds it."""
        if self.completeness_cap is None:
            return self.ask(f"whether a loop-free path of {_steps(k)} exists", fresh) is None
        if not self.try_complete:
            return False
        cap = max(self.completeness_cap, self.asking)
        if self.budget.deadline is not None:
            cap = min(cap, self.budget.deadline - time.perf_counter())
            if cap <= 0:
                raise _Stop("timeout", f"the solver gave up on whether a loop-free path of {_steps(k)} exists: timeout")
        self.solver.set("timeout", max(1, int(cap * 1000)))
        try:
            r = self.solver.check(fresh)
        finally:
            self.solver.set("timeout", _NO_TIMEOUT)
        if r == z3.unknown:
            if self.budget.expired():
                raise _Stop("timeout", f"the solver gave up on whether a loop-free path of {_steps(k)} exists: timeout")
            self.try_complete = False
            self.result.warnings.append(
                f"could not decide within {cap:.1f}s whether a loop-free path of {_steps(k)} exists, so "
                "the result stays bounded (no claim that the state space is exhausted)")
            return False
        return r == z3.unsat

    def trace(self, model: z3.ModelRef, k: int) -> Trace:
        return replay_path(self.u, self.u.decode_path(model, list(range(k + 1)))).trace

    # -- the run ----------------------------------------------------------------------------

    def go(self, depth: int) -> None:
        stats = self.result.stats
        try:
            self.u = Unrolling(self.program)
        except ModelRuntimeError as err:
            self.fatal = Verdict("model error", "error", VIOLATED, f"computing the initial states raises: {err}")
            self.finish(depth, complete=False, reason="violation", note="stopped: the initial states raise an error")
            return
        u = self.u
        stats.initial_states = len(u.init_states)
        self.solver.add(u.init(0))
        fresh: dict[int, z3.BoolRef] = {0: z3.BoolVal(True)}
        try:
            for k in range(depth + 2):
                if k > 0:
                    # only a state inside the @constraint is explored (TLC's CONSTRAINT)
                    self.solver.add(fresh[k - 1], u.domain(k - 1), u.constraint(k - 1),
                                    z3.Not(u.action_errors(k - 1)))
                    self.solver.add(u.trans(k - 1, k))
                    if k <= depth:
                        self.check_steps(k)
                    fresh[k] = z3.Bool(f"fresh_{k}")
                    self.solver.add(z3.Implies(fresh[k], conj([u.differ(i, k) for i in range(k)])))
                    can_claim = k <= depth or not self.pending(self.step_props)
                    if can_claim and self.exhausted(k, fresh[k]):
                        self.finish(depth, complete=True, reason="exhausted",
                                    note=f"no loop-free path is longer than {_steps(k - 1)}")
                        return
                    if k == depth + 1:
                        break
                self.check_state(k, fresh[k])
                self.checked = k
                stats.depth = k + 1
                if self.order and all(name in self.decided for name in self.order):
                    self.finish(depth, complete=False, reason="all properties decided", note="")
                    return
        except _Stop as stop:
            self.finish(depth, complete=False, reason=stop.reason, note=stop.message)
            return
        self.finish(depth, complete=False, reason="bounded", note="")

    def check_steps(self, k: int) -> None:
        """Action properties on the step s_(k-1) -> s_k (s_k may revisit an earlier state)."""
        for p in self.pending(self.step_props):
            val, ok = self.u.step_property(p.expr, k - 1, k)
            lit = z3.Bool(f"step_{p.name}_{k}")
            self.solver.add(z3.Implies(lit, z3.Not(z3.And(ok, val))))
            m = self.ask(f"{p.name} at step {k}", lit)
            if m is None:
                continue
            t = self.trace(m, k)
            pre, post = t.steps[-2].state, t.steps[-1].state
            try:
                good = bool(evaluate(p.expr, pre, post))
            except ModelRuntimeError as err:
                self.stop_fatal(Verdict("model error", "error", VIOLATED,
                                        f"evaluating {p.name} raises after {_steps(k)}: {err}", t))
            if good:
                raise SolverDisagreement(
                    f"internal error: Z3 says {p.name} is violated on the last step of this trace, "
                    f"the reference evaluator says it holds:\n{_describe(t)}"
                )
            self.decided[p.name] = Verdict(p.name, "action", VIOLATED, f"violated at step {k}", t)

    def check_state(self, k: int, fresh: z3.BoolRef) -> None:
        u = self.u
        m = self.ask(f"the domains at depth {k}", fresh, z3.Not(u.domain(k)))
        if m is not None:
            t = self.trace(m, k)
            bad = list(self.program.out_of_domain(t.steps[-1].state))
            if not bad:
                raise SolverDisagreement(
                    f"internal error: Z3 says a slot leaves its domain in the last state, the "
                    f"reference evaluator says none does:\n{_describe(t)}"
                )
            last = t.steps[-1].state
            where = ", ".join(f"{s.name} = {last[s.index]} (domain {s.domain.describe()})" for s in bad)
            self.stop_fatal(Verdict("domain", "domain", VIOLATED, f"after {_steps(k)}: {where}", t))
        target_errors = [z3.Not(u.invariant(p.expr, k)[1]) for p in self.pending(self.targets)]
        firing = z3.And(u.constraint(k), u.action_errors(k))  # a state outside is never fired from
        m = self.ask(f"run-time errors at depth {k}", fresh, disj([firing, *target_errors]))
        if m is not None:
            t = self.trace(m, k)
            errors = model_errors_at(self.program, t.steps[-1].state, self.pending(self.targets))
            if not errors:
                raise SolverDisagreement(
                    f"internal error: Z3 says a run-time error happens in the last state, the "
                    f"reference evaluator finds none:\n{_describe(t)}"
                )
            self.stop_fatal(Verdict("model error", "error", VIOLATED,
                                    f"after {_steps(k)}: " + "; ".join(errors), t))
        for p in self.pending(self.state_props):
            val, ok = u.invariant(p.expr, k)
            lit = z3.Bool(f"inv_{p.name}_{k}")
            self.solver.add(z3.Implies(lit, z3.Not(z3.And(ok, val))))
            m = self.ask(f"{p.name} at depth {k}", fresh, lit)
            if m is None:
                continue
            t = self.trace(m, k)
            verdict = holds_at(p, t.steps[-1].state)
            if verdict is None:
                errs = model_errors_at(self.program, t.steps[-1].state, [p])
                self.stop_fatal(Verdict("model error", "error", VIOLATED,
                                        f"after {_steps(k)}: " + "; ".join(errs), t))
            if verdict:
                raise SolverDisagreement(
                    f"internal error: Z3 says {p.name} is violated in the last state of this trace, "
                    f"the reference evaluator says it holds:\n{_describe(t)}"
                )
            self.decided[p.name] = Verdict(p.name, "invariant", VIOLATED, f"violated after {_steps(k)}", t)
        for p in self.pending(self.targets):
            val, ok = u.invariant(p.expr, k)
            lit = z3.Bool(f"reach_{p.name}_{k}")
            self.solver.add(z3.Implies(lit, z3.And(ok, val)))
            m = self.ask(f"{p.name} at depth {k}", fresh, lit)
            if m is None:
                continue
            t = self.trace(m, k)
            if holds_at(p, t.steps[-1].state) is not True:
                raise SolverDisagreement(
                    f"internal error: Z3 says {p.name} is reached in the last state of this trace, "
                    f"the reference evaluator disagrees:\n{_describe(t)}"
                )
            self.decided[p.name] = Verdict(p.name, "reachable", HOLDS, f"reached after {_steps(k)}", t)

    def stop_fatal(self, verdict: Verdict) -> None:
        self.fatal = verdict
        raise _Stop("violation", f"stopped at the {verdict.property} violation")

    def finish(self, depth: int, complete: bool, reason: str, note: str) -> None:
        stats = self.result.stats
        stats.complete = complete
        stats.stop_reason = reason
        kinds = {p.name: p.kind for p in self.state_props + self.step_props + self.targets}
        within = self.checked if reason != "bounded" else depth
        extra = "bounded model checking, not a proof" if reason in ("bounded", "all properties decided") else note

        def undecided(name: str, kind: str) -> Verdict:
            if within < 0:
                bound = "nothing was checked"
            elif kind == "reachable":
                bound = f"not reached within {_steps(within)}"
            else:
                bound = f"no violation within {_steps(within)}"
            return settled(name, kind, complete, f"{bound} ({extra})", holds=f"holds in every reachable state ({note})",
                           vacuous=f"never reached: {note}, and none reaches it")

        decided = dict(self.decided)
        if self.fatal is not None:
            decided[self.fatal.property] = self.fatal
        self.result.verdicts = write_verdicts([(name, kinds[name]) for name in self.order], decided, undecided)


def _describe(trace: Trace) -> str:
    program = trace.program
    lines = []
    for i, step in enumerate(trace.steps):
        values = ", ".join(f"{v.name}={program.show_var(v, step.state)}" for v in program.vars)
        lines.append(f"  {i}: {step.label}: {values}")
    return "\n".join(lines)
