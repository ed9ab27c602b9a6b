"""rds.multi_az: every verdict and trace pinned, each with its reason; the witness can fail;
the monitor's view is state; detection by health checks fails over a live primary; sizes the
model cannot mean are refused."""

from __future__ import annotations

import pytest

from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.lang import ModelError
from replicheck.models.rds.multi_az import MultiAZ

from ..cli.helpers import assert_one_line_error
from ..cli.helpers import run as cli
from .helpers import actions, reference_state_count, reference_states, replay_ends_in_violation, run, verdict

VARIANTS = list(MultiAZ.variants)


@pytest.fixture(scope="module")
def results():
    return {v: run(MultiAZ(variant=v)) for v in VARIANTS}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_verdict_matches_the_incident_analysis(results, variant: str) -> None:
    # the reason for each is MultiAZ.reasons[variant], shown by the traces below
    for prop, want in MultiAZ.expected[variant].items():
        assert verdict(results[variant], prop).status == want, (variant, prop)


def test_every_expectation_has_a_reason() -> None:
    assert set(MultiAZ.reasons) == set(MultiAZ.expected) == set(MultiAZ.variants)


@pytest.mark.parametrize("variant", ["naive_failover", "stale_view"])
def test_a_commit_is_lost_exactly_as_in_the_incident(results, variant: str) -> None:
    # The shortest loss needs: a commit acknowledged without the standby (so the link must be
    # cut first, and the primary commit alone), then the primary unusable (stuck I/O), then a
    # failover to the standby that lacks the commit: 4 steps, and no shorter story exists. In
    # stale_view the monitor did consult its view, which still said "sync": the stuck primary
    # never sent its report.
    v = verdict(results[variant], "no_committed_loss")
    assert v.trace is not None
    assert actions(v.trace) == ["partition(a=db1, b=db2)", "commit(p=db1)", "stick(n=db1)", "failover(p=db1, q=db2)"]
    assert replay_ends_in_violation(v.trace, "no_committed_loss")
    if variant == "stale_view":
        assert v.trace.program.decode_state(v.trace.steps[3].state)["view"] == "sync"


def test_as_2011_stays_unavailable_until_someone_intervenes(results) -> None:
    # Partition, commit alone (the monitor is told "alone" before the client is told), stuck
    # I/O: the monitor will not fail over; once faults stop the link heals, but a stuck primary
    # cannot catch the standby up, and manual intervention is not fair: a lasso of 6 steps.
    v = verdict(results["as_2011"], "eventually_available")
    assert v.trace is not None and v.trace.loop_start is not None
    assert actions(v.trace)[:3] == ["partition(a=db1, b=db2)", "commit(p=db1)", "stick(n=db1)"]
    assert len(v.trace) == 6


def test_a_witness_that_can_be_cut_off_loses_a_commit_in_five_steps(results) -> None:
    # The review's finding: with the witness cut off the primary commits alone without it,
    # and failover copies a witness that lacks the commit: partition and cut in either order,
    # commit, stick, failover.
    v = verdict(results["witness_unchecked"], "no_committed_loss")
    assert v.trace is not None and len(v.trace) == 5
    assert sorted(actions(v.trace)[:2]) == ["cut_witness", "partition(a=db1, b=db2)"]
    assert actions(v.trace)[2:] == ["commit(p=db1)", "stick(n=db1)", "failover(p=db1, q=db2)"]
    assert replay_ends_in_violation(v.trace, "no_committed_loss")


def test_the_old_fix_held_only_because_its_witness_could_not_fail() -> None:
    # witness_unchecked with witness_faults=False is the earlier `fixed`: it holds; and the
    # loss needs all three faults (witness cut, partition, stuck I/O)
    assert verdict(run(MultiAZ(variant="witness_unchecked", witness_faults=False)), "no_committed_loss").status == "holds"
    assert verdict(run(MultiAZ(variant="witness_unchecked", fault_budget=2)), "no_committed_loss").status == "holds"


def test_the_fix_keeps_every_commit_and_stays_available(results) -> None:
    result = results["fixed"]
    assert all(v.status == "holds" for v in result.verdicts), [(v.property, v.status) for v in result.verdicts]
    # commits really are refused while neither the standby nor the witness is reachable: the
    # rule acts (without it, the loss above)
    assert verdict(run(MultiAZ(variant="fixed", commit_needs_quorum=False)), "no_committed_loss").status == "violated"


def test_false_detection_fails_over_a_live_primary_and_two_replicas_accept_commits(results) -> None:
    # The monitor hears no health check, and cannot tell why. Hand count: step 1 cuts the
    # primary's link to the monitor's (and witness's) zone, the one fault needed; step 2 the
    # monitor fails over, and cannot fence db1 across the cut link, so db1 is deposed but alive
    # (not stuck) and still commits alone, while db2 is the new primary: two writers. No
    # shorter story exists: in the initial state only db1 accepts commits, and failover needs a
    # fault first (stuck I/O or the cut link).
    v = verdict(results["false_detection"], "single_writer")
    assert v.trace is not None and len(v.trace) == 2
    assert actions(v.trace) == ["cut_witness", "failover(p=db1, q=db2)"]
    assert replay_ends_in_violation(v.trace, "single_writer")
    last = v.trace.program.decode_state(v.trace.steps[-1].state)
    assert last["role"] == {"db1": "deposed", "db2": "primary"}
    assert last["stuck"] == {"db1": False, "db2": False}


def test_the_deposed_primary_acknowledges_a_commit_the_new_primary_never_gets(results) -> None:
    # The same two steps, then a client in db1's zone commits on the deposed primary (alone:
    # its standby was promoted, and the witness takes nothing from a deposed primary): 3 steps,
    # one fewer than the oracle's partition, lone commit, stuck I/O, failover.
    v = verdict(results["false_detection"], "no_committed_loss")
    assert v.trace is not None and len(v.trace) == 3
    assert actions(v.trace) == ["cut_witness", "failover(p=db1, q=db2)", "commit(p=db1)"]
    assert replay_ends_in_violation(v.trace, "no_committed_loss")


def test_the_quorum_rule_keeps_a_deposed_primary_from_committing(results) -> None:
    result = results["false_detection_fixed"]
    assert all(v.status == "holds" for v in result.verdicts), [(v.property, v.status) for v in result.verdicts]
    # not vacuous: live deposed primaries are reached, some behind a new primary that went on
    # committing (through the witness)
    program = MultiAZ(variant="false_detection_fixed").compile()
    states = [program.decode_state(st) for st in reference_states(program)]
    deposed = [(st, r) for st in states for r, role in st["role"].items() if role == "deposed" and not st["stuck"][r]]
    assert deposed
    assert any(max(st["log"].values()) > st["log"][r] for st, r in deposed)
    # the rule is what makes it hold: without it, this is false_detection
    assert verdict(run(MultiAZ(variant="false_detection_fixed", commit_needs_quorum=False)), "single_writer").status == "violated"
    # and the oracle hid the danger: with detection=oracle, false_detection's settings are
    # witness_unchecked, whose single writer holds
    assert verdict(run(MultiAZ(variant="false_detection", detection="oracle")), "single_writer").status == "holds"


@pytest.mark.parametrize("variant", ["false_detection", "false_detection_fixed"])
def test_the_batch_engine_agrees_with_the_scalar_engine(results, variant: str) -> None:
    # same distinct states, same verdicts, same (shortest) counterexample lengths
    batch = check_model(MultiAZ(variant=variant).compile(), CheckOptions(stop_at_first=False, deadlock=False, engine="batch"))
    scalar = results[variant]
    assert batch.stats.distinct_states == scalar.stats.distinct_states
    assert {v.property: v.status for v in batch.verdicts} == {v.property: v.status for v in scalar.verdicts}
    assert {v.property: len(v.trace) for v in batch.verdicts if v.trace is not None} == {
        v.property: len(v.trace) for v in scalar.verdicts if v.trace is not None
    }


@pytest.mark.parametrize("fault_budget, max_commits", [(4, 2), (3, 3)])
def test_the_verdicts_do_not_change_one_size_up(fault_budget: int, max_commits: int) -> None:
    for variant in VARIANTS:
        result = run(MultiAZ(variant=variant, fault_budget=fault_budget, max_commits=max_commits))
        for prop, want in MultiAZ.expected[variant].items():
            assert verdict(result, prop).status == want, (variant, prop, fault_budget, max_commits)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"Replica": 3}, "Replica=3 is not modelled"),
        ({"Replica": 1}, "Replica=1 is not modelled"),
        ({"failover_check": "oracle"}, "failover_check='oracle' is not one of none, view, witness"),
        ({"commit_needs_quorum": True}, "commit_needs_quorum means something only with failover_check=witness"),
        ({"report_before_alone": True}, "report_before_alone means something only with failover_check=view"),
        ({"max_commits": 0}, "max_commits=0"),
        ({"failover_check": "witness", "detection": "timeout"}, "detection='timeout' is not one of oracle, health_checks"),
        ({"detection": "health_checks"}, "detection=health_checks means something only with failover_check=witness"),
    ],
)
def test_meaningless_settings_are_refused(settings: dict, words: str) -> None:
    with pytest.raises(ModelError, match=words):
        MultiAZ(**settings)


def test_replica_3_is_refused_on_one_line_with_exit_2(capsys) -> None:
    code, out, err = cli(capsys, "check", "rds.multi_az", "--set", "Replica=3")
    assert code == 2 and out == ""
    assert_one_line_error(err)
    assert "Replica=3" in err and "two database replicas" in err


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_counts_agree_with_a_plain_reference_search(results, variant: str) -> None:
    # No pinned figure: the compiled BFS and a plain BFS over the reference evaluator must agree.
    assert reference_state_count(MultiAZ(variant=variant).compile()) == results[variant].stats.distinct_states
