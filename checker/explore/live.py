"""Checking a program's liveness properties: graph, fair-SCC analysis, verified lassos.

Owns: `check_liveness(program, ...) -> list[Verdict]`: builds the reachable graph (or takes
one), runs `liveness.find_violation` for each temporal property, and turns every lasso into a
`Trace` whose steps are replayed through the reference evaluator and whose fairness and
violation are confirmed by `liveness.verify_lasso` before it is reported. A disagreement is an
internal error, never a reported counterexample.

Must not import: z3, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

from typing import Sequence

from replicheck.backends.compiled import CompiledProgram, compile_program
from replicheck.backends.reference import ModelRuntimeError, evaluate, fire, initial_states
from replicheck.ir import Expr, Program, Property
from replicheck.report.results import HOLDS, INCOMPLETE, VIOLATED, Step, Trace, Verdict

from .graph import LabelledGraph, Progress, build_graph
from .liveness import STUTTER, AnalysisMemoryLimit, find_violation, step_enabled, taken_in_cycle, verify_lasso
from .memory import resident_bytes
from .traces import InternalCheckerError, replay_path, source_suffix


def check_liveness(
    program: Program,
    properties: Sequence[Property] | None = None,
    compiled: CompiledProgram | None = None,
    built: LabelledGraph | None = None,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
    progress: Progress | None = None,
) -> list[Verdict]:
    props = list(program.liveness() if properties is None else properties)
    if not props:
        return []
    if built is None:
        built = build_graph(compiled or compile_program(program), max_states, max_seconds, max_memory, progress)
    if not built.complete:
        why = f"the {built.stop_reason} limit was hit" if built.stop_reason else "a limit was hit"
        return [
            Verdict(p.name, "liveness", INCOMPLETE, f"the state graph was not fully explored: {why}")
            for p in props
        ]
    need = analysis_bytes(built.graph.n, built.graph.edges)
    if max_memory is not None and resident_bytes() + need > max_memory:
        why = (f"the fair-cycle analysis of {built.graph.n:,} states and {built.graph.edges:,} steps needs "
               f"about {need / 2**20:,.0f} MiB more, past --max-memory {max_memory / 2**20:,.0f} MiB")
        return [Verdict(p.name, "liveness", INCOMPLETE, f"not checked: {why}") for p in props]
    verdicts = []
    failed = False
    for prop in props:
        if failed:
            verdicts.append(Verdict(prop.name, "liveness", INCOMPLETE, "not checked: the model raised a run-time error"))
            continue
        try:
            p_true = built.mask(prop, 1)
            q_true = None if prop.expr2 is None else built.mask(prop, 2)
        except ModelRuntimeError:
            verdicts.append(evaluation_error(program, built, f"liveness property {prop.name}",
                                             [e for e in (prop.expr, prop.expr2) if e is not None]))
            verdicts.append(Verdict(prop.name, "liveness", INCOMPLETE, "not checked: the model raised a run-time error"))
            failed = True  # a model error stops the run, as in the search
            continue
        if prop.temporal == "leads_to" and not p_true.any():
            verdicts.append(
                Verdict(
                    prop.name, "liveness", HOLDS,
                    "holds vacuously: its trigger is true in no reachable state (is the model too weak?)",
                )
            )
            continue
        try:
            lasso = find_violation(program, built.graph, prop, p_true, q_true, max_memory)
        except AnalysisMemoryLimit as limit:
            verdicts.append(Verdict(prop.name, "liveness", INCOMPLETE, f"not checked: {limit}"))
            continue
        if lasso is None:
            verdicts.append(Verdict(prop.name, "liveness", HOLDS, _holds_message(prop)))
            continue
        states = [built.state(i) for i in lasso.states]
        actions = _name_the_idle_step(program, states, list(lasso.actions))
        problem = verify_lasso(program, states, actions, lasso.loop_start, prop)
        if problem is not None:
            raise InternalCheckerError(
                f"the liveness analysis produced a lasso for {prop.name} that does not check out: {problem}"
            )
        verdicts.append(Verdict(prop.name, "liveness", VIOLATED,
                                _violation_message(prop, states, actions, lasso.loop_start),
                                _trace(program, states, actions, lasso.loop_start)))
    return verdicts


# What the fair-cycle analysis allocates beyond the graph itself, per step and per state (edge
# selections, the peeling's counts, fairness tables), before any strongly-connected-components
# search (which checks its own need, liveness.SCC_BYTES_PER_STATE): measured on ebs.election
# Node=3 Volume=2 (11,033,391 states, 47,886,456 steps before create_volume consulted the control
# plane's links; 11,030,151 states since: about 530 MiB above the graph), with a
# margin.
ANALYSIS_BYTES_PER_STEP = 9
ANALYSIS_BYTES_PER_STATE = 16


def analysis_bytes(states: int, steps: int) -> int:
    """About how much memory the liveness analysis needs beyond the graph it reads."""
    return steps * ANALYSIS_BYTES_PER_STEP + states * ANALYSIS_BYTES_PER_STATE


def evaluation_error(program: Program, built: LabelledGraph, where: str, exprs: Sequence[Expr]) -> Verdict:
    """The "model error" verdict of a predicate or measure that raised on a state of the graph:
    the first such state (in breadth-first order, so a shortest trace), found and reported
    through the reference evaluator, with the model's source line."""
    for i in range(built.graph.n):
        state = built.state(i)
        for expr in exprs:
            try:
                evaluate(expr, state)
            except ModelRuntimeError as err:
                trace = replay_path(program, built.path_to(i))
                return Verdict("model error", "error", VIOLATED, f"model error in {where}: {err}{source_suffix(err.source)}",
                               trace)
    raise InternalCheckerError(f"{where} raised a run-time error the reference evaluator does not raise")


def fairness_notes(program: Program, states: list[tuple[int, ...]], actions: list[int], loop_start: int) -> tuple[str, ...]:
    """How the cycle of a lasso treats the fair actions: which it takes, and for those it
    does not take although they are enabled somewhere on it, where they are disabled (weak
    fairness asks no more). Steps are numbered as in the rendered trace."""
    cycle = list(range(loop_start, len(states)))
    taken = taken_in_cycle(states, actions, loop_start)
    taken_fair = [program.actions[a].label for a in sorted(taken) if program.actions[a].fairness]
    notes = []
    if taken_fair:
        notes.append("fair actions taken in the cycle: " + ", ".join(taken_fair))
    disabled_notes = []
    for k, act in enumerate(program.actions):
        if not act.fairness or k in taken:
            continue
        en = [step_enabled(program, k, states[i]) for i in cycle]
        if any(en):
            off = next(i for i, e in zip(cycle, en) if not e)
            disabled_notes.append(f"{act.label} (disabled at step {off})")
    if disabled_notes:
        notes.append("weakly fair, enabled in the cycle but never taken, so disabled somewhere in it: " + ", ".join(disabled_notes))
    if not taken_fair and not disabled_notes:
        idle = _idle_fair_actions(program, [states[i] for i in cycle])
        if idle:  # their guards hold, but a step that changes nothing is not <<A>>_vars
            shown = ", ".join(idle[:3]) + (f" and {len(idle) - 3} more" if len(idle) > 3 else "")
            verb, change = ("is", "changes") if len(idle) == 1 else ("are", "change")
            notes.append(f"no fair action can change the state anywhere in the cycle ({shown} {verb} possible "
                         f"there but {change} nothing), so it may repeat forever")
        else:
            notes.append("no fair action is enabled anywhere in the cycle, so it may repeat forever")
    return tuple(notes)


def _name_the_idle_step(program: Program, states: list[tuple[int, ...]], actions: list[int]) -> list[int]:
    """A lasso that ends in a stutter at a state where some action is possible but changes
    nothing ends with that action instead (the first in the model's order), as the scalar
    graph's lassos do: the batch engine's graph does not record steps that change nothing, and
    both engines must show the same story ("search_fails, forever", not a bare stutter)."""
    if not actions or actions[-1] != STUTTER:
        return actions
    entry = states[-1]
    idle = next((k for k, act in enumerate(program.actions) if evaluate(act.guard, entry) and fire(act, entry) == entry),
                None)
    return actions if idle is None else actions[:-1] + [idle]


def _idle_fair_actions(program: Program, states: Sequence[tuple[int, ...]]) -> list[str]:
    """The fair actions whose guard holds in one of `states` but whose step leaves it as it
    is (weak fairness does not ask for them: TLA+'s ENABLED <<A>>_vars is false there)."""
    out = []
    for act in program.actions:
        if act.fairness and any(evaluate(act.guard, s) and fire(act, s) == s for s in states):
            out.append(act.label)
    return out


def _trace(program: Program, states: list[tuple[int, ...]], actions: list[int], loop_start: int) -> Trace:
    """Steps: the initial state, then each state reached; the closing step goes back to
    states[loop_start] and is shown as a final step (a stutter repeats the state)."""
    init = next((a for a, s0 in initial_states(program) if s0 == states[0]), None)
    steps = [Step("init", tuple(init.param_values().items()) if init is not None else (), states[0])]
    for i, a in enumerate(actions):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if a == STUTTER:
            steps.append(Step("stutter", (), nxt))
        else:
            act = program.actions[a]
            steps.append(Step(act.family, tuple(act.param_values().items()), nxt))
    return Trace(program, tuple(steps), loop_start, fairness_notes(program, states, actions, loop_start))


def _holds_message(prop: Property) -> str:
    return f"{prop.temporal.replace('_', ' ')} holds in every fair behaviour"


def _violation_message(prop: Property, states: list[tuple[int, ...]], actions: list[int], loop_start: int) -> str:
    form = {
        "eventually": "a fair behaviour never reaches the condition",
        "always_eventually": "a fair behaviour ends in a cycle where the condition never holds",
        "eventually_always": "a fair behaviour keeps leaving the condition forever",
        "leads_to": "after the trigger, a fair behaviour never reaches the response",
    }[prop.temporal]
    if not taken_in_cycle(states, actions, loop_start):
        if actions and actions[-1] == STUTTER:
            form += " (it stops in a state where no fair action is enabled)"
        else:
            form += " (it ends repeating a step that changes nothing, and no fair action can change the state)"
    return form
