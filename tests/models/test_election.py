"""ebs.election: every verdict, trace length and state count pinned, each with its reason."""

from __future__ import annotations

import pytest

from replicheck.explore.symmetry import Symmetry
from replicheck.models.ebs.election import Election

from .helpers import actions, reference_state_count, replay_ends_in_violation, run, verdict

VARIANTS = list(Election.variants)


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {v: run(Election(variant=v)) for v in VARIANTS if v != "self_promote"}


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "self_promote"])
def test_every_verdict_matches_the_incident_analysis(results: dict, variant: str) -> None:
    for prop, want in Election.expected[variant].items():
        assert verdict(results[variant], prop).status == want, (variant, prop)


@pytest.mark.slow
def test_self_promotion_splits_the_brain_and_loses_writes() -> None:
    result = run(Election(variant="self_promote"))
    for prop, want in Election.expected["self_promote"].items():
        assert verdict(result, prop).status == want, prop


def test_a_self_promoted_secondary_meets_a_renewed_primary_in_the_same_epoch() -> None:
    # Shortest split brain, 5 steps: create; the primary crashes (the one fault); the
    # secondary, seeing its primary gone, promotes itself to epoch 2 on its own; the primary
    # restarts, blocked, and renews its epoch (1 -> 2) with the control plane, which still
    # names it: two primaries in epoch 2.
    result = run(Election(variant="self_promote", fault_budget=1))
    v = verdict(result, "single_primary")
    assert v.trace is not None and len(v.trace) == 5
    names = [a.split("(")[0] for a in actions(v.trace)]
    assert names[0] == "create_volume" and "secondary_promotes_itself" in names and "keep_primary" in names
    assert replay_ends_in_violation(v.trace, "single_primary")


def test_stale_promotion_loses_an_acknowledged_write(results: dict) -> None:
    # 9 steps: create; the pair is cut (fault 1); the primary blocks, renews its epoch, and
    # re-mirrors to the third node; a write is acknowledged on those two; the primary loses the
    # control plane (fault 2); the control plane promotes the old, stale secondary (and fences
    # the registered mirror); the instance follows it: the acknowledged write is gone.
    v = verdict(results["stale_promotion"], "no_acked_write_lost")
    assert v.trace is not None and len(v.trace) == 9
    names = [a.split("(")[0] for a in actions(v.trace)]
    # cut_authority is independent of the re-mirror and the write, so several orders are
    # equally short; the steps themselves are fixed
    assert sorted(names) == sorted([
        "create_volume", "partition", "mirror_lost", "keep_primary", "remirror", "write",
        "cut_authority", "promote", "retarget",
    ])
    assert names[-2:] == ["promote", "retarget"]
    assert replay_ends_in_violation(v.trace, "no_acked_write_lost")


def test_without_fencing_a_deposed_primary_gets_a_write_acknowledged(results: dict) -> None:
    # 8 steps: the deposed primary (cut off from the control plane) re-mirrors to a fresh node
    # that does not check epochs, and a write is acknowledged by a superseded primary.
    v = verdict(results["no_fencing"], "single_primary")
    assert v.trace is not None and len(v.trace) == 8
    assert actions(v.trace)[-1].startswith("write(")
    assert replay_ends_in_violation(v.trace, "single_primary")


def test_an_unreachable_control_plane_leaves_the_volume_stuck(results: dict) -> None:
    # Two nodes lose the control plane (both faults), the volume is created on one of them,
    # the control plane promotes the third, which can never register a mirror: a lasso.
    v = verdict(results["cp_unreachable"], "eventually_writable")
    assert v.trace is not None and v.trace.loop_start is not None
    names = [a.split("(")[0] for a in actions(v.trace)]
    assert names.count("cut_authority") == 2 and "promote" in names


def test_the_design_holds_everything(results: dict) -> None:
    headline = ("single_primary", "no_acked_write_lost", "epochs_monotonic", "eventually_writable")
    for prop in headline:
        assert verdict(results["authority"], prop).status == "holds", prop


def test_the_model_is_symmetric_in_nodes_and_volumes() -> None:
    assert Symmetry(Election(Volume=2).compile()).asymmetries() == []


def test_state_count_at_a_small_budget_agrees_with_a_plain_reference_search() -> None:
    model = Election(fault_budget=1)
    assert run(model).stats.distinct_states == reference_state_count(model.compile())


@pytest.mark.slow
def test_state_count_at_the_default_size_agrees_with_a_plain_reference_search(results: dict) -> None:
    # 24,303 distinct states for 3 nodes, 1 volume, 2 faults: pinned, and recounted by a BFS
    # over the reference evaluator (about 15 s).
    assert results["authority"].stats.distinct_states == 24_303
    assert reference_state_count(Election().compile()) == 24_303
