"""The explicit-state explorer: pinned counts, violations of every kind, limits, traces."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.backends import reference as R
from replicheck.explore import CheckOptions, InternalCheckerError, check, replay_path
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.classic.two_phase import TwoPhase
from replicheck.report.results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, RunStats
from tests.ir_strategies import programs

from .fixtures import Counter, NoneRead, Overflow, Steps


def verdict(result, name):
    return next(v for v in result.verdicts if v.property == name)


def assert_real_trace(program, trace):
    """Independent of the engine: each step is a reference transition, the first an init."""
    states = [s.state for s in trace.steps]
    assert states[0] in [s for _, s in R.initial_states(program)]
    for pre, post, step in zip(states, states[1:], trace.steps[1:]):
        fired = [a for a in program.actions if R.fire(a, pre) == post]
        assert fired and step.action == fired[0].family


# -- pinned counts (TLC's published numbers) ----------------------------------------------


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_die_hard_has_16_states_when_its_puzzle_invariant_is_skipped(strategy):
    r = check(DieHard().compile(), CheckOptions(strategy=strategy, skip=frozenset({"big_is_not_4"})))
    assert (r.status, r.stats.distinct_states, r.exit_code) == (HOLDS, 16, 0)


def test_die_hard_shortest_violation_takes_six_steps_and_ends_with_4_gallons():
    program = DieHard().compile()
    r = check(program)
    v = r.first_violation()
    assert v is not None and v.property == "big_is_not_4" and v.kind == "invariant"
    assert len(v.trace) == 6
    assert program.decode_state(v.trace.steps[-1].state)["big"] == 4
    assert all(program.decode_state(s.state)["big"] != 4 for s in v.trace.steps[:-1])
    assert_real_trace(program, v.trace)
    assert r.exit_code == 1


def test_tcommit_with_three_rms_has_34_states_and_depth_7():
    r = check(TCommit().compile(), CheckOptions(deadlock=False))
    assert (r.status, r.stats.distinct_states, r.stats.depth, r.stats.initial_states) == (HOLDS, 34, 7, 1)


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_two_phase_with_three_rms_has_288_states_and_depth_11(strategy):
    r = check(TwoPhase().compile(), CheckOptions(strategy=strategy))
    assert (r.status, r.stats.distinct_states) == (HOLDS, 288)
    if strategy == "bfs":
        assert r.stats.depth == 11
    assert [(v.property, v.status) for v in r.verdicts] == [("tc_consistent", HOLDS), ("deadlock", HOLDS)]


def test_two_phase_counts_grow_as_a_plain_reference_bfs_says():
    program = TwoPhase(RM=4).compile()
    seen = {s for _, s in R.initial_states(program)}
    frontier = list(seen)
    transitions = 0
    while frontier:
        nxt = []
        for s in frontier:
            for _, t in R.successors(program, s):
                transitions += 1
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    r = check(program)
    assert (r.stats.distinct_states, r.stats.transitions) == (len(seen), transitions)


# -- deadlock ----------------------------------------------------------------------------


def test_a_state_with_no_enabled_action_is_a_deadlock_with_its_trace():
    program = Counter().compile()
    r = check(program)
    v = verdict(r, "deadlock")
    assert (v.status, v.kind, r.exit_code) == (VIOLATED, "deadlock", 1)
    assert [s.state for s in v.trace.steps] == [(0,), (1,), (2,), (3,)]


def test_deadlock_checking_can_be_switched_off():
    r = check(Counter().compile(), CheckOptions(deadlock=False))
    assert (r.status, r.stats.distinct_states) == (HOLDS, 4)
    assert all(v.property != "deadlock" for v in r.verdicts)


def test_deadlock_is_found_by_dfs_too():
    r = check(Counter().compile(), CheckOptions(strategy="dfs"))
    assert verdict(r, "deadlock").status == VIOLATED


# -- domain and run-time errors ------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_a_value_outside_its_domain_is_reported_like_tlc(strategy):
    program = Overflow().compile()
    r = check(program, CheckOptions(strategy=strategy))
    v = verdict(r, "domain")
    assert (v.status, v.kind) == (VIOLATED, "domain")
    assert v.message == "epoch[n1] = 4 is outside 0..3 (after promote(n=n1))"
    assert [s.state for s in v.trace.steps] == [(0,), (1,), (2,), (3,), (4,)]
    assert v.trace.steps[-1].label == "promote(n=n1)"


def test_the_domain_message_names_the_slot_and_action_of_the_last_step():
    program = Overflow(Node=2).compile()
    v = verdict(check(program), "domain")
    last = v.trace.steps[-1]
    node = dict(last.params)["n"]
    assert v.message == f"epoch[{node}] = 4 is outside 0..3 (after promote(n={node}))"
    assert len(v.trace) == 4 and 4 in last.state
    assert_real_trace(program, v.trace)


def test_reading_a_map_through_none_is_a_model_error_with_source_and_trace():
    program = NoneRead().compile()
    r = check(program)
    v = verdict(r, "model error")
    assert (v.status, v.kind, r.exit_code) == (VIOLATED, "error", 1)
    assert "a map was read or written at key none, which is not one of its keys (n1, n2)" in v.message
    assert "action crown" in v.message
    assert re.search(r"fixtures\.py:\d+: require\(~s\.role\[s\.leader\]\)", v.message)
    assert len(v.trace) == 0  # the initial state already enables the faulty read
    with pytest.raises(R.ModelRuntimeError):
        R.fire(program.actions[-1], v.trace.steps[-1].state)


# -- action properties, reachability, several invariants -----------------------------------


def test_action_properties_are_checked_on_transitions_to_already_seen_states():
    program = Steps().compile()
    r = check(program, CheckOptions(only=frozenset({"never_reset_from_2"})))
    v = verdict(r, "never_reset_from_2")
    assert (v.status, v.kind) == (VIOLATED, "action")
    assert [s.label for s in v.trace.steps] == ["init", "jump", "reset"]
    assert v.trace.steps[-1].state == (0, 0)  # the initial state, seen long before


def test_an_action_property_that_holds_is_reported_as_holding():
    r = check(Steps().compile(), CheckOptions(only=frozenset({"by_at_most_two"})))
    assert r.status == HOLDS and verdict(r, "by_at_most_two").status == HOLDS


def test_a_reachable_target_never_reached_is_vacuous_and_a_reached_one_holds_with_a_witness():
    program = Steps().compile()
    r = check(program, CheckOptions(only=frozenset({"can_reach_5", "flag_with_5"})))
    reached, never = verdict(r, "can_reach_5"), verdict(r, "flag_with_5")
    assert never.status == VACUOUS and "flag_with_5" in never.message
    assert reached.status == HOLDS
    assert program.decode_state(reached.trace.steps[-1].state)["x"] == 5
    assert len(reached.trace) == 3  # 0 -> 2 -> 4 -> 5, found breadth-first
    assert_real_trace(program, reached.trace)


def test_continue_mode_reports_the_first_violation_of_each_property():
    r = check(Steps().compile(), CheckOptions(stop_at_first=False, only=frozenset({"below_4", "below_5"})))
    assert verdict(r, "below_4").status == VIOLATED and verdict(r, "below_5").status == VIOLATED
    assert len(verdict(r, "below_4").trace) == 2 and len(verdict(r, "below_5").trace) == 3
    assert r.stats.complete and r.stats.distinct_states == 6


def test_stopping_at_the_first_violation_leaves_the_other_properties_incomplete():
    r = check(Steps().compile(), CheckOptions(only=frozenset({"below_4", "below_5"})))
    assert verdict(r, "below_4").status == VIOLATED
    assert verdict(r, "below_5").status == INCOMPLETE


def test_unknown_property_names_are_refused():
    with pytest.raises(ValueError, match="no property 'nope'"):
        check(Steps().compile(), CheckOptions(skip=frozenset({"nope"})))


# -- limits, interruption, progress --------------------------------------------------------


@pytest.mark.parametrize(
    "options, reason",
    [
        (CheckOptions(max_states=100), "max_states"),
        (CheckOptions(max_depth=3), "max_depth"),
        (CheckOptions(max_seconds=1e-9), "max_seconds"),
        (CheckOptions(strategy="dfs", max_depth=3), "max_depth"),
        (CheckOptions(strategy="dfs", max_states=100), "max_states"),
        (CheckOptions(max_memory=1 << 20), "max_memory"),  # far below what Python itself holds
        (CheckOptions(strategy="dfs", max_memory=1 << 20), "max_memory"),
    ],
)
def test_each_limit_stops_cleanly_with_an_incomplete_result(options, reason):
    r = check(TwoPhase(RM=4).compile(), options)
    assert (r.status, r.exit_code, r.stats.complete, r.stats.stop_reason) == (INCOMPLETE, 3, False, reason)
    assert 0 < r.stats.distinct_states < 1568
    assert all(v.status == INCOMPLETE for v in r.verdicts)


def test_max_depth_counts_steps_as_bmc_does():
    r = check(TwoPhase().compile(), CheckOptions(max_depth=1))
    # one step: the initial state and its successors (tm_abort, 3 x rm_prepare,
    # 3 x rm_choose_to_abort); TLC's depth counts them as 2 levels
    assert (r.stats.distinct_states, r.stats.depth) == (8, 2)


def test_a_violation_n_steps_away_is_found_with_max_depth_n() -> None:
    program = DieHard().compile()  # the shortest violation is 6 steps long
    assert check(program, CheckOptions(max_depth=5)).first_violation() is None
    found = check(program, CheckOptions(max_depth=6)).first_violation()
    assert found is not None and found.trace is not None and len(found.trace) == 6
    from replicheck.symbolic import bmc  # the same bound means the same thing to BMC

    assert bmc(program, 5).first_violation() is None
    assert bmc(program, 6).first_violation() is not None
    for engine in ({"strategy": "dfs"}, {"engine": "batch"}):
        assert check(program, CheckOptions(max_depth=5, **engine)).first_violation() is None  # type: ignore[arg-type]
        assert check(program, CheckOptions(max_depth=6, **engine)).first_violation() is not None  # type: ignore[arg-type]


def test_ctrl_c_returns_the_partial_result():
    def interrupt(stats: RunStats) -> None:
        raise KeyboardInterrupt

    r = check(TwoPhase(RM=4).compile(), CheckOptions(progress=interrupt, progress_interval=0.0))
    assert (r.status, r.stats.stop_reason) == (INCOMPLETE, "interrupted")
    assert r.stats.distinct_states > 0


def test_progress_is_reported_with_the_running_statistics():
    seen: list[tuple[int, str]] = []
    r = check(TwoPhase(RM=4).compile(),
              CheckOptions(progress=lambda s: seen.append((s.distinct_states, s.engine)), progress_interval=0.0))
    assert r.status == HOLDS and seen
    assert all(0 < n <= 1568 and engine == "bfs" for n, engine in seen)


# -- DFS ---------------------------------------------------------------------------------


def test_dfs_finds_the_die_hard_violation_too():
    program = DieHard().compile()
    r = check(program, CheckOptions(strategy="dfs"))
    v = r.first_violation()
    assert v is not None and v.property == "big_is_not_4" and r.stats.engine == "dfs"
    assert program.decode_state(v.trace.steps[-1].state)["big"] == 4
    assert_real_trace(program, v.trace)


def test_dfs_respects_the_depth_bound():
    program = DieHard().compile()
    # the shortest violation has 6 steps: a bound of 5 steps cannot reach it
    short = check(program, CheckOptions(strategy="dfs", max_depth=5))
    assert short.status == INCOMPLETE and short.stats.depth <= 6
    within = check(program, CheckOptions(strategy="dfs", max_depth=6))
    v = within.first_violation()
    assert v is not None and len(v.trace) <= 6


def test_dfs_with_a_bound_explores_exactly_the_states_bfs_finds_within_it():
    program = TwoPhase().compile()
    for bound in (3, 6, 9):
        d = check(program, CheckOptions(strategy="dfs", max_depth=bound))
        b = check(program, CheckOptions(max_depth=bound))
        assert d.stats.distinct_states == b.stats.distinct_states


# -- determinism and trace replay ----------------------------------------------------------


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_two_runs_give_identical_counts_and_traces(strategy):
    a = check(DieHard().compile(), CheckOptions(strategy=strategy))
    b = check(DieHard().compile(), CheckOptions(strategy=strategy))
    va, vb = a.first_violation(), b.first_violation()
    assert va is not None and vb is not None
    assert va.trace.steps == vb.trace.steps
    assert (a.stats.distinct_states, a.stats.transitions) == (b.stats.distinct_states, b.stats.transitions)


def test_replay_names_the_first_action_that_explains_each_step():
    program = DieHard().compile()
    trace = replay_path(program, [(0, 0), (0, 5), (3, 2)])
    assert [s.label for s in trace.steps] == ["init", "fill_big", "big_to_small"]


def test_replay_refuses_a_step_the_reference_evaluator_cannot_take():
    program = DieHard().compile()
    with pytest.raises(InternalCheckerError, match="not a transition"):
        replay_path(program, [(0, 0), (2, 2)])
    with pytest.raises(InternalCheckerError, match="not an initial state"):
        replay_path(program, [(1, 1)])


# -- random programs ---------------------------------------------------------------------


def reference_exploration(program):
    """(distinct states, whether anything is wrong) by a plain BFS over the reference
    evaluator: a false invariant or action property, a value outside its domain, or a
    model run-time error anywhere (a reachability target is evaluated until it holds)."""
    seen = dict.fromkeys(s for _, s in R.initial_states(program))
    todo = list(seen)
    bad = False
    pending = {p.name for p in program.reachables()}
    try:
        while todo:
            s = todo.pop(0)
            for p in program.properties:
                if p.kind == "invariant" and not R.holds(p.expr, s):
                    bad = True
                if p.kind == "reachable" and p.name in pending and R.holds(p.expr, s):
                    pending.discard(p.name)
            for _, t in R.successors(program, s):
                if next(program.out_of_domain(t), None) is not None:
                    bad = True
                    continue
                for p in program.action_properties():
                    if not R.holds(p.expr, s, t):
                        bad = True
                if t not in seen:
                    seen[t] = None
                    todo.append(t)
    except R.ModelRuntimeError:
        return len(seen), True
    # a @reachable target no reachable state satisfies is vacuous, which fails the run
    return len(seen), bad or bool(pending)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.sampled_from(["bfs", "dfs"]))
def test_random_programs_are_explored_like_a_plain_reference_bfs(program, strategy):
    distinct, bad = reference_exploration(program)
    r = check(program, CheckOptions(strategy=strategy, deadlock=False, stop_at_first=False))
    assert (r.status == VIOLATED) == bad
    if not bad:
        assert r.stats.distinct_states == distinct and r.stats.complete
