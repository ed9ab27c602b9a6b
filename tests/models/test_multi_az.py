"""rds.multi_az: every verdict and trace pinned, each with its reason; the witness can fail;
the monitor's view is state; sizes the model cannot mean are refused."""

from __future__ import annotations

import pytest

from replicheck.lang import ModelError
from replicheck.models.rds.multi_az import MultiAZ

from ..cli.helpers import assert_one_line_error
from ..cli.helpers import run as cli
from .helpers import actions, reference_state_count, replay_ends_in_violation, run, verdict

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
