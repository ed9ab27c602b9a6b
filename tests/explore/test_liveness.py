"""Liveness under fairness on fixture models whose answers can be argued on paper."""

from __future__ import annotations

import numpy as np
import pytest

from replicheck.backends.reference import evaluate, initial_states, successors
from replicheck.explore.liveness import STUTTER, StateGraph, find_violation, verify_lasso
from replicheck.ir import Program, State
from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Model,
    Range,
    Sort,
    Var,
    action,
    always_eventually,
    eventually,
    eventually_always,
    leads_to,
    liveness,
    require,
)


def reference_graph(program: Program) -> tuple[StateGraph, list[State]]:
    """The reachable graph built with the reference evaluator only (a second opinion)."""
    index: dict[State, int] = {}
    states: list[State] = []
    for _, s in initial_states(program):
        if s not in index:
            index[s] = len(states)
            states.append(s)
    initial = list(range(len(states)))
    src, dst, act = [], [], []
    i = 0
    while i < len(states):
        for a, t in successors(program, states[i]):
            if t not in index:
                index[t] = len(states)
                states.append(t)
            src.append(i)
            dst.append(index[t])
            act.append(program.actions.index(a))
        i += 1
    arr = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    return StateGraph(len(states), arr(initial), arr(src), arr(dst), arr(act)), states


def check_liveness(model: Model, name: str) -> tuple[bool, str]:
    """(holds, description of the lasso). Every lasso is verified independently."""
    program = model.compile()
    prop = next(p for p in program.properties if p.name == name)
    graph, states = reference_graph(program)
    p_true = np.array([bool(evaluate(prop.expr, s)) for s in states])
    q_true = None if prop.expr2 is None else np.array([bool(evaluate(prop.expr2, s)) for s in states])
    lasso = find_violation(program, graph, prop, p_true, q_true)
    if lasso is None:
        return True, ""
    lasso_states = [states[i] for i in lasso.states]
    problem = verify_lasso(program, lasso_states, lasso.actions, lasso.loop_start, prop)
    assert problem is None, problem
    labels = ["stutter" if a == STUTTER else program.actions[a].label for a in lasso.actions]
    return False, " ".join(labels[: lasso.loop_start]) + " | " + " ".join(labels[lasso.loop_start :])


Phase = Enum("Phase", "idle", "waiting", "critical")


class MutexNoFairness(Model):
    """Two processes and a lock; nothing forces anyone to move."""

    Proc = Sort("Proc", default=2)
    phase = Map(Proc, Phase, init=Phase.idle)
    locked = Var(Bool, init=False)

    @action
    def request(self, s, p: Proc):
        require(s.phase[p] == Phase.idle)
        s.phase[p] = Phase.waiting

    @action
    def enter(self, s, p: Proc):
        require((s.phase[p] == Phase.waiting) & ~s.locked)
        s.phase[p] = Phase.critical
        s.locked = True

    @action
    def leave(self, s, p: Proc):
        require(s.phase[p] == Phase.critical)
        s.phase[p] = Phase.idle
        s.locked = False

    @liveness
    def first_gets_in(self, s):
        p1 = self.Proc[0]
        return leads_to(s.phase[p1] == Phase.waiting, s.phase[p1] == Phase.critical)


class MutexWeak(MutexNoFairness):
    """Every action weakly fair: p1's `enter` is disabled whenever p2 holds the lock."""

    request = action(MutexNoFairness.request, fair="weak")
    enter = action(MutexNoFairness.enter, fair="weak")
    leave = action(MutexNoFairness.leave, fair="weak")


class MutexStrong(MutexNoFairness):
    """`enter` strongly fair: enabled infinitely often means taken."""

    request = action(MutexNoFairness.request, fair="weak")
    enter = action(MutexNoFairness.enter, fair="strong")
    leave = action(MutexNoFairness.leave, fair="weak")


def test_without_fairness_a_waiting_process_may_wait_forever() -> None:
    holds, lasso = check_liveness(MutexNoFairness(), "first_gets_in")
    # The shortest story: p1 asks, then the system stutters forever.
    assert not holds
    assert lasso == "request(p=p1) | stutter"


def test_weak_fairness_does_not_save_a_process_whose_entry_is_disabled_infinitely_often() -> None:
    holds, lasso = check_liveness(MutexWeak(), "first_gets_in")
    assert not holds
    cycle = lasso.split(" | ")[1]
    # p2 keeps cycling through the critical section; p1's enter is never taken.
    assert "enter(p=p2)" in cycle and "enter(p=p1)" not in cycle


def test_strong_fairness_guarantees_entry() -> None:
    holds, _ = check_liveness(MutexStrong(), "first_gets_in")
    assert holds


class Counter(Model):
    """x cycles 0 -> 1 -> 2 -> 0; `finish` is possible only at x = 0."""

    x = Range(0, 2, init=0)
    done = Var(Bool, init=False)

    @action(fair="weak")
    def tick(self, s):
        require(~s.done)
        s.x = (s.x + 1) % 3

    @action(fair="weak")
    def finish(self, s):
        require(~s.done & (s.x == 0))
        s.done = True

    @liveness
    def finishes(self, s):
        return eventually(s.done)

    @liveness
    def zero_again_and_again(self, s):
        return always_eventually(s.x == 0)

    @liveness
    def settles_at_zero(self, s):
        return eventually_always(s.x == 0)


class CounterStrong(Counter):
    finish = action(Counter.finish, fair="strong")


def test_weak_fairness_lets_the_counter_cycle_past_finish_forever() -> None:
    holds, lasso = check_liveness(Counter(), "finishes")
    assert not holds
    assert lasso.split(" | ")[1].split() == ["tick", "tick", "tick"]


def test_strong_fairness_makes_the_counter_finish() -> None:
    holds, _ = check_liveness(CounterStrong(), "finishes")
    assert holds


def test_the_counter_returns_to_zero_infinitely_often() -> None:
    # Either it cycles through 0, or it finishes at 0 and stutters there.
    assert check_liveness(Counter(), "zero_again_and_again")[0]


def test_the_counter_need_not_settle_at_zero() -> None:
    holds, lasso = check_liveness(Counter(), "settles_at_zero")
    assert not holds
    assert "tick" in lasso.split(" | ")[1]


class Stuck(Model):
    """No actions at all: the only behaviour stutters in the initial state forever."""

    x = Range(0, 1, init=0)

    @action
    def never(self, s):
        require(s.x == 1)

    @liveness
    def reaches_one(self, s):
        return eventually(s.x == 1)


def test_a_behaviour_may_stutter_forever_where_nothing_fair_is_enabled() -> None:
    holds, lasso = check_liveness(Stuck(), "reaches_one")
    assert not holds and lasso == " | stutter"


class StutteringStrongStep(Model):
    """`a` is strongly fair, but at x = 0 its step leaves x as it is; `b` (weakly fair) toggles
    x between 0 and 1. TLA+'s SF_vars(a) speaks of <<a>>_vars steps, which change the state:
    the self-loop at 0 is a stuttering step, neither taking `a` nor enabling it. On the cycle
    0 -> 1 -> 0, <<a>> is enabled at 1 infinitely often and never taken, so that cycle is
    unfair, and every fair behaviour reaches x = 2 (TLC agrees on the TLA+ export)."""

    check_deadlock = False
    x = Range(0, 2, init=0)

    @action(fair="strong")
    def a(self, s):
        require(s.x < 2)
        s.x = If(s.x == 1, 2, s.x)

    @action(fair="weak")
    def b(self, s):
        require(s.x < 2)
        s.x = 1 - s.x

    @liveness
    def reaches_two(self, s):
        return eventually(s.x == 2)


class StutteringStrongStepAlone(StutteringStrongStep):
    """As above with `b` unfair: at x = 0 nothing fair is <<enabled>> (a's step changes
    nothing), so the behaviour may stay at 0 forever and never reach 2."""

    b = action(StutteringStrongStep.b)


class WeakSelfLoopOnly(Model):
    """`spin` is weakly fair and always enabled, but its step never changes the state; `go`
    (unfair) would reach done. A step that changes nothing is not <<spin>>_vars, so weak
    fairness asks nothing of `spin`, and staying put forever is fair."""

    check_deadlock = False
    done = Var(Bool, init=False)

    @action(fair="weak")
    def spin(self, s):
        s.done = s.done

    @action
    def go(self, s):
        s.done = True

    @liveness
    def finishes(self, s):
        return eventually(s.done)


def test_a_strongly_fair_action_is_not_taken_by_a_step_that_changes_nothing() -> None:
    holds, lasso = check_liveness(StutteringStrongStep(), "reaches_two")
    assert holds, lasso


def test_a_step_that_changes_nothing_does_not_enable_a_strongly_fair_action() -> None:
    holds, lasso = check_liveness(StutteringStrongStepAlone(), "reaches_two")
    assert not holds and lasso == " | a"  # a's step at 0, which changes nothing, forever


def test_weak_fairness_asks_nothing_of_an_action_whose_steps_change_nothing() -> None:
    holds, lasso = check_liveness(WeakSelfLoopOnly(), "finishes")
    assert not holds and lasso == " | spin"  # spin, which changes nothing, forever


def test_the_lasso_verifier_does_not_count_a_self_loop_as_taking_a_fair_action() -> None:
    program = StutteringStrongStep().compile()
    prop = next(p for p in program.properties if p.name == "reaches_two")
    a = next(i for i, act in enumerate(program.actions) if act.family == "a")
    b = next(i for i, act in enumerate(program.actions) if act.family == "b")
    # 0 -a-> 0 (a self-loop) -b-> 1 -b-> back to 0: the old reading called this fair
    assert verify_lasso(program, [(0,), (0,), (1,)], [a, b, b], 0, prop) is not None


def test_a_forged_lasso_is_rejected_by_the_verifier() -> None:
    program = Counter().compile()
    prop = next(p for p in program.properties if p.name == "finishes")
    s0 = (0, 0)
    # "tick" from x=0 does not lead back to x=0: not a real step
    assert verify_lasso(program, [s0], [0], 0, prop) is not None
    # stuttering at x=0 starves the weakly fair `finish`: not a fair behaviour
    assert "unfair" in (verify_lasso(program, [s0], [STUTTER], 0, prop) or "")


@pytest.mark.parametrize("model", [MutexWeak(), MutexStrong(), Counter(), CounterStrong()])
def test_verdicts_do_not_depend_on_state_numbering(model: Model) -> None:
    """Shuffle the state indices: the verdict must stay the same."""
    program = model.compile()
    graph, states = reference_graph(program)
    rng = np.random.default_rng(7)
    perm = rng.permutation(graph.n)
    shuffled = StateGraph(graph.n, perm[graph.initial], perm[graph.src], perm[graph.dst], graph.act)
    inv = np.argsort(perm)
    for prop in program.liveness():
        p = np.array([bool(evaluate(prop.expr, s)) for s in states])
        q = None if prop.expr2 is None else np.array([bool(evaluate(prop.expr2, s)) for s in states])
        a = find_violation(program, graph, prop, p, q) is None
        b = find_violation(program, shuffled, prop, p[inv], None if q is None else q[inv]) is None
        assert a == b, prop.name


def test_a_lasso_says_how_fairness_is_met_along_its_cycle() -> None:
    from replicheck.explore import CheckOptions
    from replicheck.explore.full import check_model

    result = check_model(MutexWeak().compile(), CheckOptions(deadlock=False, stop_at_first=False))
    v = next(v for v in result.verdicts if v.property == "first_gets_in")
    assert v.trace is not None
    notes = " ".join(v.trace.notes)
    # p2 keeps entering; p1's entry is enabled at times but disabled whenever p2 holds the lock
    assert "fair actions taken in the cycle: " in notes and "enter(p=p2)" in notes
    assert "enter(p=p1) (disabled at step" in notes


def test_the_liveness_graph_reports_progress_and_stops_cleanly_at_a_memory_limit() -> None:
    from replicheck.explore import CheckOptions
    from replicheck.explore.full import check_model
    from replicheck.explore.live import check_liveness
    from replicheck.models.ebs.election import Election
    from replicheck.report.results import INCOMPLETE, RunStats

    program = Election(variant="authority").compile()  # 24,303 states, one liveness property
    seen: list[RunStats] = []
    r = check_model(program, CheckOptions(deadlock=False, progress=seen.append, progress_interval=0.0))
    graph = [st for st in seen if st.engine == "graph for liveness"]
    assert graph and graph[0].distinct_states == 0  # the phase is announced before it starts
    counts = [st.distinct_states for st in graph[1:]]
    assert counts and counts == sorted(counts) and counts[-1] <= r.stats.distinct_states
    assert next(v for v in r.verdicts if v.property == "eventually_writable").status == "holds"

    (verdict,) = check_liveness(program, max_memory=1 << 20)  # far below what Python itself holds
    assert verdict.status == INCOMPLETE and "max_memory limit" in verdict.message


class Retrying(Model):
    """`retry` is weakly fair and always possible once `x == 1`, but changes nothing: a
    behaviour that stops there never reaches `x == 2` (`advance` is not fair), and the note
    says `retry` is possible but idle rather than that no fair action is enabled."""

    check_deadlock = False
    x = Range(0, 2, init=0)

    @action
    def start(self, s):
        require(s.x == 0)
        s.x = 1

    @action(fair="weak")
    def retry(self, s):
        require(s.x == 1)
        s.x = 1

    @action
    def advance(self, s):
        require(s.x == 1)
        s.x = 2

    @liveness
    def finishes(self, s):
        return leads_to(s.x == 1, s.x == 2)


@pytest.mark.parametrize("engine", ["scalar", "batch"])
def test_a_cycle_on_a_fair_action_that_changes_nothing_is_said_so(engine: str) -> None:
    from replicheck import api

    res = api.check(Retrying(), engine=engine)
    assert res.verdicts["finishes"] == "violated"
    (note,) = res.traces["finishes"].notes
    assert note.startswith("no fair action can change the state anywhere in the cycle (retry is possible there")
    message = next(v.message for v in res.details.verdicts if v.property == "finishes")
    assert "no fair action is enabled" not in message and "changes nothing" in message
    # the batch engine's graph records no step that changes nothing; its lasso still ends with
    # the idle step, as the scalar graph's does: one story
    assert [s.action for s in res.traces["finishes"].steps] == ["init", "start", "retry"]
