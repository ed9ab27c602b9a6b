"""replicheck.stateful strategies: every drawn trace is a real execution of the model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.backends import reference as R
from replicheck.explore import CheckOptions, check
from replicheck.explore.traces import replay_path
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.ebs.election import Election
from replicheck.report.results import Trace
from replicheck.stateful import reachable_states, traces

ELECTION = Election(variant="no_fencing").compile()
DIE_HARD = DieHard().compile()


def _assert_valid(trace: Trace) -> None:
    program = trace.program
    states = [s.state for s in trace.steps]
    assert states[0] in {s for _, s in R.initial_states(program)}
    by_label = {a.label: a for a in program.actions}
    for prev, step in zip(trace.steps, trace.steps[1:]):
        action = by_label[step.label]  # the step names an action instance with its parameters
        assert R.fire(action, prev.state) == step.state, step.label
        assert next(program.out_of_domain(step.state), None) is None
    replay_path(program, states)  # the reference evaluator justifies every step


@settings(max_examples=60, deadline=None)
@given(traces(ELECTION, max_steps=15))
def test_election_traces_are_executions(trace: Trace) -> None:
    assert len(trace) <= 15
    _assert_valid(trace)


@settings(max_examples=40, deadline=None)
@given(traces(Election(variant="authority"), max_steps=10, min_steps=3))
def test_traces_accept_a_model_instance_and_respect_min_steps(trace: Trace) -> None:
    # the election model always has an enabled action in its first steps
    assert len(trace) >= 3
    _assert_valid(trace)


def test_traces_reach_beyond_the_initial_state() -> None:
    lengths: list[int] = []

    @settings(max_examples=30, deadline=None, database=None)
    @given(traces(DIE_HARD, max_steps=6))
    def collect(trace: Trace) -> None:
        lengths.append(len(trace))

    collect()
    assert max(lengths) >= 3


REACHABLE = set()


def _reachable_die_hard() -> set[tuple[int, ...]]:
    if not REACHABLE:
        from replicheck.backends.compiled import compile_program

        compiled = compile_program(DIE_HARD)
        frontier = list(compiled.initial_states())
        REACHABLE.update(frontier)
        while frontier:
            nxt = []
            for s in frontier:
                for t in compiled.successors(s):
                    if t not in REACHABLE:
                        REACHABLE.add(t)
                        nxt.append(t)
            frontier = nxt
    return REACHABLE


@settings(max_examples=50, deadline=None)
@given(reachable_states(DIE_HARD, max_steps=8))
def test_reachable_states_are_reachable(state: tuple[int, ...]) -> None:
    assert state in _reachable_die_hard()
    assert len(_reachable_die_hard()) == 16  # TLC's count for DieHard


def test_check_agrees_die_hard_has_16_states() -> None:
    assert check(DIE_HARD, CheckOptions(stop_at_first=False)).stats.distinct_states == 16


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_traces_draw_inside_other_tests(data: st.DataObject) -> None:
    trace = data.draw(traces(DIE_HARD, max_steps=4))
    _assert_valid(trace)
