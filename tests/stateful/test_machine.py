"""replicheck.stateful.as_state_machine: a model as a Hypothesis RuleBasedStateMachine."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from replicheck.backends import reference as R
from replicheck.explore.traces import replay_path
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.ebs.election import Election
from replicheck.stateful import ModelViolation, as_state_machine

FAST = settings(max_examples=60, stateful_step_count=30, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

# The documented use: the fixed protocol as a pytest test class that Hypothesis drives.
TestAuthorityMachine = as_state_machine(Election(variant="authority")).TestCase
# Most action instances are disabled in most states, so Hypothesis rejects many rule draws on
# their preconditions; its filter_too_much health check would fail the run now and then.
TestAuthorityMachine.settings = settings(max_examples=15, stateful_step_count=20, deadline=None, database=None,
                                         suppress_health_check=[HealthCheck.filter_too_much])


def test_rules_are_the_action_instances() -> None:
    program = Election(variant="no_fencing").compile()
    machine = as_state_machine(program)
    names = {n for n, v in vars(machine).items() if hasattr(v, "hypothesis_stateful_rule")}
    assert len(names) == len(program.actions) + 1  # plus the idle rule for quiet states
    assert "promote_v_v1_n_n2__{}".format(
        next(i for i, a in enumerate(program.actions) if a.label == "promote(v=v1, n=n2)")
    ) in names


def _find_no_fencing_violation(nodes: int, examples: int) -> None:
    program = Election(variant="no_fencing", Node=nodes).compile()
    machine = as_state_machine(program, helpers=True)
    with pytest.raises(ModelViolation) as caught:
        run_state_machine_as_test(machine, settings=settings(FAST, max_examples=examples))
    err = caught.value
    trace, verdict = err.trace, err.verdict
    # replicheck's own trace format, replayed through the reference evaluator
    assert "Step 0: init (initial state)" in str(err)
    assert f"Violated: {verdict.property} (invariant)" in str(err)
    replay_path(program, [s.state for s in trace.steps])
    prop = next(p for p in program.properties if p.name == verdict.property)
    assert not R.holds(prop.expr, trace.steps[-1].state)
    # shrunk: BFS's shortest violation of a helper invariant here has 4 steps
    assert len(trace) <= 8, [s.label for s in trace.steps]


@pytest.mark.slow  # ~30 s
def test_finds_the_no_fencing_violation_and_shrinks_it() -> None:
    _find_no_fencing_violation(nodes=3, examples=200)


@pytest.mark.slow  # ~20 s: uniform rule choice needs many examples for this 6-step puzzle
def test_die_hard_machine_finds_the_puzzle_solution() -> None:
    machine = as_state_machine(DieHard(), only=["big_is_not_4"])
    with pytest.raises(ModelViolation) as caught:
        run_state_machine_as_test(machine, settings=settings(FAST, max_examples=1000))
    trace = caught.value.trace
    assert trace.program.decode_state(trace.steps[-1].state)["big"] == 4
    assert 6 <= len(trace) <= 10  # TLC's shortest solution has 6 steps


def test_fixed_model_passes() -> None:
    machine = as_state_machine(DieHard(), only=["type_ok"])
    run_state_machine_as_test(machine, settings=settings(FAST, max_examples=30))
