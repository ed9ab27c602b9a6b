"""k-induction and inductive-invariant checks on the classic models and small fixtures."""

from __future__ import annotations

import pytest

from replicheck.backends.reference import evaluate, fire
from replicheck.ir import Program
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.classic.two_phase import TwoPhase
from replicheck.report.results import HOLDS, INCOMPLETE, VIOLATED
from replicheck.symbolic import CTI_START, PROVED, REFUTED, UNKNOWN, check_inductive, k_induction
from tests.symbolic.fixtures import BadInit, TwoPhaseStrengthened, TwoStepInductive


def _action(program: Program, label: str):  # type: ignore[no-untyped-def]
    return next(a for a in program.actions if a.label == label)


def test_die_hard_type_ok_is_1_inductive() -> None:
    r = k_induction(DieHard(), 1, invariants=["type_ok"])
    assert r.status == PROVED and r.k == 1
    assert r.to_check_result().status == HOLDS


def test_die_hard_big_is_not_4_is_refuted_by_the_base_case() -> None:
    r = k_induction(DieHard(), 8)
    assert r.status == REFUTED and r.violated == "big_is_not_4"
    assert r.counterexample is not None and len(r.counterexample) == 6
    assert r.counterexample.steps[0].action == "init"
    cr = r.to_check_result()
    assert cr.status == VIOLATED and cr.first_violation() is not None


def test_die_hard_cti_is_marked_and_replays() -> None:
    """With k too small for the base case to reach the violation, the result is unknown and
    the counterexample to induction starts in an assumed (not initial) state."""
    program = DieHard().compile()
    r = k_induction(program, 3, invariants=["big_is_not_4"])
    assert r.status == UNKNOWN and r.reason == "not inductive"
    assert r.counterexample is None and r.cti is not None
    assert r.cti.steps[0].action == CTI_START
    states = [s.state for s in r.cti.steps]
    for before, step in zip(states, r.cti.steps[1:]):
        assert fire(_action(program, step.label), before) == step.state
    inv = program.properties[1]
    assert all(evaluate(inv.expr, s) for s in states[:-1]) and not evaluate(inv.expr, states[-1])
    assert r.to_check_result().status == INCOMPLETE


def test_two_step_fixture_needs_k_2() -> None:
    one = k_induction(TwoStepInductive(), 1)
    assert one.status == UNKNOWN and one.cti is not None
    assert [s.state for s in one.cti.steps] == [(2,), (3,)]  # the only CTI: x = 2 -> 3
    two = k_induction(TwoStepInductive(), 2)
    assert two.status == PROVED and two.k == 2
    # the one-step check agrees with 1-induction, and names the action and both states
    ind = check_inductive(TwoStepInductive())
    assert ind.status == UNKNOWN
    assert [(f.action, f.pre, f.post, f.broken) for f in ind.failures] == [("step", (2,), (3,), ("not_three",))]


def test_simple_path_option() -> None:
    # loop-free paths do not help here (x = 2 -> 3 is loop-free) but must stay sound
    assert k_induction(TwoStepInductive(), 1, simple_path=True).status == UNKNOWN
    assert k_induction(TwoStepInductive(), 2, simple_path=True).status == PROVED
    assert k_induction(DieHard(), 8, simple_path=True).status == REFUTED


def test_tcommit_consistent_is_inductive_on_its_own() -> None:
    """Contrary to the first expectation, TCommit's `consistent` IS inductive by itself
    (with the enum domains): decide_commit(r) requires every RM prepared or committed, so
    nobody is aborted before or after it; decide_abort(r) requires nobody committed, and
    it commits nobody; prepare changes working to prepared, which neither conjunct reads.
    No helper invariant is needed; the non-inductive case is TwoPhase below, where the
    decision travels through messages."""
    r = check_inductive(TCommit(), ["consistent"])
    assert r.status == PROVED and not r.failures
    assert k_induction(TCommit(), 1).status == PROVED


def test_two_phase_tc_consistent_alone_is_not_inductive() -> None:
    """The solver's counterexamples to induction are states no run reaches, e.g. r1
    working while r2 has committed (a commit needs every RM prepared, so r1 cannot still be
    working), where rm_choose_to_abort(r1) then breaks tc_consistent; or a Commit message
    present while an RM has aborted. tc_consistent says nothing about messages or
    tm_prepared, so it cannot exclude them: it needs helper invariants."""
    program = TwoPhase(RM=2).compile()
    r = check_inductive(program, ["tc_consistent"])
    assert r.status == UNKNOWN and r.reason == "not inductive"
    labels = {f.action for f in r.failures}
    assert {"rm_choose_to_abort(rm=r1)", "rm_rcv_commit_msg(rm=r1)", "rm_rcv_abort_msg(rm=r1)"} <= labels
    inv = program.properties[0]
    for f in r.failures:
        assert f.pre is not None and f.post is not None
        assert fire(_action(program, f.action), f.pre) == f.post
        assert evaluate(inv.expr, f.pre) and not evaluate(inv.expr, f.post)
        assert f.broken == ("tc_consistent",)
        assert f.pre_values() is not None and f.changed() == ["rm_state"]
    assert "pre-state" in r.describe()


@pytest.mark.parametrize("rm", [2, 3, 4])
def test_two_phase_with_strengthening_is_inductive(rm: int) -> None:
    r = check_inductive(TwoPhaseStrengthened(RM=rm))
    assert r.status == PROVED, r.describe()
    assert r.to_check_result().status == HOLDS
    # each helper is needed: dropping any one of them breaks inductiveness
    all_names = list(r.invariants)
    for dropped in all_names[1:]:
        weaker = check_inductive(TwoPhaseStrengthened(RM=rm), [n for n in all_names if n != dropped])
        assert weaker.status == UNKNOWN, dropped


def test_invariant_false_initially_is_refuted() -> None:
    r = check_inductive(BadInit())
    assert r.status == REFUTED and r.violated == "positive"
    assert r.counterexample is not None and len(r.counterexample) == 0
    assert r.failures and r.failures[0].pre is None
    assert r.to_check_result().exit_code == 1
    assert k_induction(BadInit(), 1).status == REFUTED


def test_timeouts_are_unknown_not_crashes() -> None:
    r = check_inductive(TwoPhaseStrengthened(RM=3), timeout=1e-9)
    assert r.status == UNKNOWN and r.reason == "timeout"
    k = k_induction(TwoPhase(RM=3), 3, timeout=1e-9)
    assert k.status == UNKNOWN and k.reason == "timeout"
