"""rds.multi_az: every verdict, trace length and state count pinned, each with its reason."""

from __future__ import annotations

import pytest

from replicheck.models.rds.multi_az import MultiAZ

from .helpers import actions, reference_state_count, replay_ends_in_violation, run, verdict

VARIANTS = ["naive_failover", "as_2011", "fixed"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_verdict_matches_the_incident_analysis(variant: str) -> None:
    result = run(MultiAZ(variant=variant))
    for prop, want in MultiAZ.expected[variant].items():
        assert verdict(result, prop).status == want, (variant, prop)


def test_naive_failover_loses_a_commit_exactly_as_in_the_incident() -> None:
    # The shortest loss needs: a commit acknowledged without the standby (so the link must be
    # cut first, and the primary commit alone), then the primary unusable (stuck I/O), then a
    # failover to the standby that lacks the commit: 4 steps, and no shorter story exists.
    v = verdict(run(MultiAZ(variant="naive_failover")), "no_committed_loss")
    assert v.trace is not None
    assert actions(v.trace) == ["partition(a=db1, b=db2)", "commit(p=db1)", "stick(n=db1)", "failover(p=db1, q=db2)"]
    assert replay_ends_in_violation(v.trace, "no_committed_loss")


def test_as_2011_stays_unavailable_until_someone_intervenes() -> None:
    # Partition, commit alone, stuck I/O: the monitor knows replication broke and will not fail
    # over; once faults stop the link heals, but a stuck primary cannot catch the standby up,
    # and manual intervention is not fair: a lasso of 6 steps (stop_faults, heal, stutter).
    v = verdict(run(MultiAZ(variant="as_2011")), "eventually_available")
    assert v.trace is not None and v.trace.loop_start is not None
    assert actions(v.trace)[:3] == ["partition(a=db1, b=db2)", "commit(p=db1)", "stick(n=db1)"]
    assert len(v.trace) == 6


def test_the_fix_keeps_every_commit_and_stays_available() -> None:
    result = run(MultiAZ(variant="fixed"))
    assert all(v.status == "holds" for v in result.verdicts), [(v.property, v.status) for v in result.verdicts]


@pytest.mark.parametrize("variant, states", [("naive_failover", 288), ("as_2011", 256), ("fixed", 324)])
def test_state_counts_agree_with_a_plain_reference_search(variant: str, states: int) -> None:
    # The pinned figures are the explicit checker's; a BFS over the reference evaluator (no
    # compiled code) must find the same number.
    model = MultiAZ(variant=variant)
    assert run(model).stats.distinct_states == states
    assert reference_state_count(model.compile()) == states
