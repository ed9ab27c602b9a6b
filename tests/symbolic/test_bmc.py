"""Bounded model checking: shortest counterexamples, bounded vs exhausted results, domain
and run-time errors, timeouts, and the replay guard against solver/evaluator disagreement."""

from __future__ import annotations

import pytest

import replicheck.symbolic.common as common
from replicheck.backends.reference import evaluate, fire
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.classic.two_phase import TwoPhase
from replicheck.report.results import HOLDS, INCOMPLETE, VIOLATED, CheckResult, Verdict
from replicheck.symbolic import SolverDisagreement, bmc
from tests.symbolic.bfs import bfs
from tests.symbolic.fixtures import DivByZero, Overflow


def _verdict(result: CheckResult, name: str) -> Verdict:
    return next(v for v in result.verdicts if v.property == name)


def _assert_replays(v: Verdict) -> None:
    """The trace starts in an initial state and every step fires in the reference evaluator."""
    assert v.trace is not None
    program = v.trace.program
    states = [s.state for s in v.trace.steps]
    assert v.trace.steps[0].action == "init"
    assert states[0] in [fire(a, tuple(0 for _ in program.slots)) for a in program.inits]
    for before, step in zip(states, v.trace.steps[1:]):
        candidates = [a for a in program.actions if a.family == step.action
                      and tuple(a.param_values().items()) == step.params]
        assert len(candidates) == 1
        assert fire(candidates[0], before) == step.state


def test_die_hard_shortest_counterexample_has_six_steps() -> None:
    result = bmc(DieHard(), 10)
    v = _verdict(result, "big_is_not_4")
    assert v.status == VIOLATED
    assert v.trace is not None and len(v.trace) == 6  # the published shortest solution
    assert v.trace.decoded(6)["big"] == 4
    _assert_replays(v)
    assert result.status == VIOLATED and result.exit_code == 1
    # type_ok is not violated; the run is bounded (die_hard has 16 states, but a loop-free
    # path can be longer than 10 steps), so it is not claimed to hold
    assert _verdict(result, "type_ok").status == INCOMPLETE


def test_die_hard_depth_five_finds_nothing_and_claims_no_proof() -> None:
    result = bmc(DieHard(), 5)
    assert _verdict(result, "big_is_not_4").status == INCOMPLETE
    assert "within 5 steps" in _verdict(result, "big_is_not_4").message
    assert result.stats.complete is False and result.stats.stop_reason == "bounded"
    assert result.status == INCOMPLETE and result.exit_code == 3


def test_die_hard_agrees_with_bfs() -> None:
    program = DieHard().compile()
    expected = bfs(program)
    assert expected.distinct == 16  # TLC
    assert expected.first_violation["big_is_not_4"] == 6
    v = _verdict(bmc(program, 8), "big_is_not_4")
    assert v.trace is not None and len(v.trace) == expected.first_violation["big_is_not_4"]


def test_tcommit_has_no_violation_within_its_full_depth() -> None:
    program = TCommit().compile()
    expected = bfs(program)
    assert (expected.distinct, expected.diameter) == (34, 6)  # TLC: 34 states, depth 7
    bounded = bmc(program, expected.diameter - 1)
    assert _verdict(bounded, "consistent").status == INCOMPLETE
    full = bmc(program, expected.diameter)
    # no loop-free path is longer than 6 steps, so depth 6 exhausts the state space: a proof
    assert _verdict(full, "consistent").status == HOLDS
    assert full.stats.complete and full.stats.stop_reason == "exhausted"
    assert full.status == HOLDS and full.exit_code == 0


@pytest.mark.parametrize("rm", [2, 3])
def test_two_phase_exhausted_at_its_diameter(rm: int) -> None:
    program = TwoPhase(RM=rm).compile()
    expected = bfs(program)
    if rm == 3:
        assert (expected.distinct, expected.diameter) == (288, 10)  # TLC: 288 states, depth 11
    result = bmc(program, expected.diameter + 2)
    assert _verdict(result, "tc_consistent").status == HOLDS
    assert result.stats.complete
    # the longest loop-free path is exactly the BFS diameter in this monotone protocol
    assert result.stats.depth == expected.diameter + 1


def test_domain_violation_is_reported_with_its_trace() -> None:
    result = bmc(Overflow(), 6)
    v = _verdict(result, "domain")
    assert v.status == VIOLATED and v.kind == "domain"
    assert v.trace is not None and len(v.trace) == 3
    assert v.trace.decoded(3)["x"] == 3
    assert "x = 3" in v.message
    _assert_replays(v)
    assert result.stats.stop_reason == "violation"
    assert _verdict(result, "small").status == INCOMPLETE


def test_run_time_error_is_reported_as_a_model_error() -> None:
    result = bmc(DivByZero(), 6)
    v = _verdict(result, "model error")
    assert v.status == VIOLATED and v.kind == "error"
    assert v.trace is not None and len(v.trace) == 2  # inc, inc: then div divides by zero
    assert v.trace.decoded(2)["x"] == 2
    assert "div" in v.message and "zero" in v.message
    _assert_replays(v)


def test_selecting_properties_and_unknown_names() -> None:
    result = bmc(DieHard(), 3, invariants=["type_ok"])
    assert [v.property for v in result.verdicts] == ["type_ok"]
    with pytest.raises(ValueError, match="no_such"):
        bmc(DieHard(), 3, invariants=["no_such"])


def test_timeout_gives_an_incomplete_result_not_a_crash() -> None:
    result = bmc(TwoPhase(RM=3), 20, timeout=1e-9)
    assert result.status == INCOMPLETE
    assert result.stats.stop_reason == "timeout"
    assert all(v.status == INCOMPLETE for v in result.verdicts)


def test_disagreement_with_the_reference_evaluator_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A counterexample is never reported unless the reference evaluator replays it."""
    def sabotaged(action, state):  # type: ignore[no-untyped-def]
        s = fire(action, state)
        return None if s is None else tuple(v + 1 for v in s)

    monkeypatch.setattr(common, "fire", sabotaged)
    with pytest.raises(SolverDisagreement, match="disagree"):
        bmc(DieHard(), 8)


def test_action_properties_are_checked() -> None:
    from replicheck.ir import Post, Property, Var
    from replicheck.ir import nodes as N

    program = DieHard().compile()
    big = program.var("big").first_slot
    # "the big jug never loses water": violated by empty_big / big_to_small after 2 steps
    never_less = Property("big_never_decreases", "action",
                          N.mk_compare("ge", Post(program.slots[big].domain.type, big),
                                       Var(program.slots[big].domain.type, big)))
    program = type(program)(**{**program.__dict__, "properties": (never_less,)})
    result = bmc(program, 5)
    v = _verdict(result, "big_never_decreases")
    assert v.status == VIOLATED and v.trace is not None and len(v.trace) == 2
    pre, post = v.trace.steps[-2].state, v.trace.steps[-1].state
    assert not evaluate(never_less.expr, pre, post)
