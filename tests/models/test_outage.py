"""ebs.outage: the composed model's verdicts, its shortest counterexamples and its settings.

Default size: 3 nodes, 2 volumes (every placement of each volume on an ordered pair of distinct
nodes: 6^2 = 36 initial states), one network event, one spare slot per node (two with the
buffer), a regional pool of two threads. Every verdict pinned here has its reason in
`Outage.reasons` (and docs/models/ebs.outage.md); every trace length pinned here is counted by
hand in the comment beside it. The runs use the batch engine (the largest default-size
variant, all_but_buffer_hw_crash, is 553,440 states: a few seconds).
"""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations
from typing import Any

import pytest

from replicheck.backends.reference import successors
from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.explore.symmetry import Symmetry
from replicheck.lang import ModelError, forall, implies, invariant
from replicheck.models.ebs.outage import PROPERTIES, PROTECTIONS, Outage
from replicheck.report.results import CheckResult

from .helpers import actions, replay, replay_ends_in_violation, replay_reaches, verdict

VARIANTS = list(Outage.variants)


def run(model: Outage, **options: object) -> CheckResult:
    """Every property, the first violation of each, with the batch engine."""
    opts = CheckOptions(**{"stop_at_first": False, "deadlock": False, "engine": "batch", **options})  # type: ignore[arg-type]
    return check_model(model.compile(), opts)


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    return {v: run(Outage(variant=v)) for v in VARIANTS}


# -- the declarations ------------------------------------------------------------------------------


def test_every_variant_has_an_expectation_and_a_reason() -> None:
    assert set(Outage.expected) == set(Outage.variants) == set(Outage.reasons)
    for variant, want in Outage.expected.items():
        assert set(want) == set(PROPERTIES), variant
        assert Outage.reasons[variant].endswith("."), variant


def test_the_protection_variants_differ_from_all_protections_in_one_setting() -> None:
    base = Outage.variants["all_protections"]
    assert all(base[p] is True for p in PROTECTIONS) and base["operators"] is False
    for p in PROTECTIONS:
        one_out = dict(Outage.variants[f"all_but_{p}"])
        assert one_out.pop(p) is False
        assert one_out == {k: v for k, v in base.items() if k != p}, p


def test_the_model_really_is_symmetric_in_nodes_and_volumes() -> None:
    # Node and Volume are declared symmetric; the static check must agree (the pool's count of
    # negotiating volumes is written with symmetric_count for that reason), at 3 volumes too.
    for v in ("as_2011", "all_protections", "timeout_only", "release_early"):
        assert Symmetry(Outage(variant=v).compile()).asymmetries() == [], v
    assert Symmetry(Outage(variant="as_2011", Volume=3).compile()).asymmetries() == []


# -- the verdicts ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_verdict_is_the_expected_one(results: dict[str, CheckResult], variant: str) -> None:
    # The reason for each is Outage.reasons[variant]; the traces below check the mechanisms.
    for prop, want in Outage.expected[variant].items():
        assert verdict(results[variant], prop).status == want, (variant, prop)


@pytest.mark.slow
def test_symmetry_gives_the_same_safety_verdicts() -> None:
    # A second engine (the scalar one, reduced by symmetry) agrees on the safety verdicts.
    for variant in ("as_2011", "all_protections", "no_authority"):
        reduced = check_model(
            Outage(variant=variant).compile(),
            CheckOptions(stop_at_first=False, deadlock=False, symmetry=True),
            liveness=False,
        )
        for prop in ("no_data_loss", "single_writable_primary", "healthy_zone_served"):
            want = Outage.expected[variant][prop]
            assert verdict(reduced, prop).status == want, (variant, prop)


# -- the shortest counterexamples, counted by hand -------------------------------------------------


@pytest.mark.slow
def test_as_2011_reads_like_the_first_hours(results: dict[str, CheckResult]) -> None:
    # The 12:50 AM impact in 11 steps, the fewest possible: create volume hangs only once fewer
    # than two nodes have a free slot, and with one spare slot on each of three nodes that
    # takes two reservations, each after a loss is detected and a search started (isolate +
    # 3 x 2 = 7); the two threads are taken by two hung creates (2); the healthy zone calls (1)
    # and its call fails (1).
    v = verdict(results["as_2011"], "healthy_zone_served")
    assert v.status == "violated" and v.trace is not None and len(v.trace) == 11
    labels = actions(v.trace)
    assert labels[0].startswith("isolate")
    assert sorted(a.split("(")[0] for a in labels[1:7]) == sorted(["detect_loss", "start_search", "search"] * 2)
    assert labels[7:] == ["create_hangs", "create_hangs", "healthy_zone_calls", "api_error"]
    assert replay_ends_in_violation(v.trace, "healthy_zone_served")


@pytest.mark.slow
def test_the_second_impact_is_the_negotiation_load(results: dict[str, CheckResult]) -> None:
    # timeout_only: hung creates no longer cause it (they time out before the deadline), so the
    # failure needs the pool full of the degraded zone with a negotiation among its holders and
    # another volume waiting to negotiate. Two volumes cannot do it alone (two negotiations
    # leave none waiting), so a create call must hang, which takes capacity exhausted: isolate +
    # detect, start, search for each volume (7). One volume negotiates while it is stuck (1;
    # before its reservation, as a copying volume has no call to make), the create hangs (1;
    # with a short time-out it may not while a negotiation waits, so it comes before the other
    # volume needs the control plane), the other volume's copy completes and it waits for its
    # election (1); the healthy zone calls and its call fails (2): 12.
    v = verdict(results["timeout_only"], "healthy_zone_served")
    assert v.status == "violated" and v.trace is not None and len(v.trace) == 12
    labels = actions(v.trace)
    assert labels.count("create_hangs") == 1 and labels[-1] == "api_error"
    assert [a.split("(")[0] for a in labels].count("negotiate") == 1
    assert [a.split("(")[0] for a in labels].count("copy_complete") == 1
    assert replay_ends_in_violation(v.trace, "healthy_zone_served")


@pytest.mark.slow
def test_without_the_authority_a_mirror_promotes_itself(results: dict[str, CheckResult]) -> None:
    # Three steps, the fewest: two writers need the rogue mirror (one promotion, which needs the
    # pair cut apart: the traffic shift) and both nodes reachable again (the rollback): a node
    # cut off serves no one, so the shift alone is not enough.
    v = verdict(results["no_authority"], "single_writable_primary")
    assert v.trace is not None and len(v.trace) == 3
    assert [a.split("(")[0] for a in actions(v.trace)] == ["isolate", "mirror_promotes_itself", "rollback"]
    assert replay_ends_in_violation(v.trace, "single_writable_primary")


@pytest.mark.slow
def test_releasing_before_ownership_loses_data(results: dict[str, CheckResult]) -> None:
    # Five steps: isolate the mirror, detect, start, search (the mirror lets go of its copy as
    # the slot is reserved), the primary's hardware fails before the copy completes.
    v = verdict(results["release_early"], "no_data_loss")
    assert v.trace is not None and len(v.trace) == 5
    labels = actions(v.trace)
    assert [a.split("(")[0] for a in labels] == ["isolate", "detect_loss", "start_search", "search", "hw_fail"]
    assert replay_ends_in_violation(v.trace, "no_data_loss")


@pytest.mark.slow
def test_the_storm_never_ends_without_the_cluster_protections(results: dict[str, CheckResult]) -> None:
    # control_plane_protections_only: two volumes on the same pair, the network event cuts the
    # primary off; after the rollback one takes the third node's only slot and the other
    # searches for ever (the lasso's cycle is the failed search, shown as a stutter because
    # it changes nothing).
    v = verdict(results["control_plane_protections_only"], "volumes_served_again")
    assert v.status == "violated" and v.trace is not None
    labels = actions(v.trace)
    assert "search_fails(v=v1)" in labels or "search_fails(v=v2)" in labels
    assert "rollback" in labels


# -- the measures -------------------------------------------------------------------------------------


def not_served(program, state) -> int:
    """Volumes not served, counted from the decoded state (not from the model's formula): not
    healthy, or with both holders down."""
    d = program.decode_state(state)
    return sum(
        str(d["st"][v]) != "healthy" or (not d["up"][d["prim"][v]] and (d["mate"][v] is None or not d["up"][d["mate"][v]]))
        for v in d["st"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("variant, most", [
    # one volume loops for ever once the other took the third node's only slot (the storm)
    ("as_2011", 1),
    ("control_plane_protections_only", 1),
    # the hardware failure leaves two volumes on one survivor, and the third node takes one
    ("all_but_buffer_hw_crash", 1),
    # the old mirror let go and the primary's disk failed: that volume, and the other volume
    # the failed node held, whose surviving holder finds no slot (both nodes' slots are gone)
    ("release_early", 2),
    # every storm ends with every volume served
    ("all_protections", 0),
    ("all_protections_hw_crash", 0),
    # a livelock (shedding fails the same elections for ever) is not "for good": a fair
    # behaviour that elects them exists
    ("all_but_per_cluster_cp", 0),
])
def test_stuck_at_end_means_never_served_again(results: dict[str, CheckResult], variant: str, most: int) -> None:
    # The measure's maximum, and from its witness's last state no step of any behaviour (fair
    # or not, race crashes included) serves one of those volumes again: a plain search over
    # the reference evaluator.
    meas = next(m for m in results[variant].measurements if m.name == "stuck_at_end")
    assert meas.maximum == most
    if most == 0:
        return
    assert meas.max_trace is not None
    program = meas.max_trace.program
    last = replay(meas.max_trace)
    assert not_served(program, last) == most
    seen, frontier = {last}, [last]
    while frontier:
        nxt = []
        for st in frontier:
            assert not_served(program, st) >= most
            for _, t in successors(program, st):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt


class HealthyMeansHeld(Outage):
    """The outage with one more invariant: a healthy volume has a running holder."""

    name = "test.outage_healthy_means_held"

    @invariant
    def a_healthy_volume_has_a_running_holder(self, s: Any) -> Any:
        return forall(self.Volume, lambda v: implies(self.healthy(s, v), self.prim_up(s, v) | self.mate_up(s, v)))


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_healthy_volume_always_has_a_running_holder(variant: str) -> None:
    # volumes_served_again and stuck_volumes read "served" as st == healthy, which says nothing
    # of the nodes. That reading is honest only if no volume is healthy while both its holders
    # are down (a race crash of each, or a crash and a hardware failure, before either loss is
    # detected). Nothing in the model makes that impossible by construction (no variant has
    # both the race bug and hardware failures, but two race crashes remain); this search is
    # what shows it unreachable, in every variant at the default size (symmetry: one state per
    # orbit, every orbit).
    r = check_model(HealthyMeansHeld(variant=variant).compile(),
                    CheckOptions(only=frozenset({"a_healthy_volume_has_a_running_holder"}), deadlock=False,
                                 engine="batch", symmetry=True))
    assert verdict(r, "a_healthy_volume_has_a_running_holder").status == "holds"


# -- the control-plane protections behind the 2011 cluster ------------------------------------------

CONTROL_PLANE = ("short_timeout", "shedding", "per_cluster_cp")


@pytest.mark.slow
@pytest.mark.parametrize("on", [frozenset(c) for k in range(4) for c in combinations(CONTROL_PLANE, k)], ids=lambda on: "+".join(sorted(on)) or "none")
def test_each_control_plane_protection_acts_behind_the_storming_cluster(on: frozenset[str]) -> None:
    # Behind the 2011 cluster (the storm exhausts capacity, so create calls hang, and volumes
    # negotiate) the healthy zone has two causes of failure: hung creates under the long
    # time-out (the first impact; the short time-out removes it) and the negotiations' load
    # served before it (the second; per-cluster services remove it). Zone-aware shedding fails
    # the degraded zone's calls whenever another zone waits on a full pool, so it removes both.
    # So the healthy zone is served exactly with shedding, or with the short time-out and
    # per-cluster services together; and removing any protection from a subset changes the
    # state graph (its states or its steps): each one acts, but for one case. With shedding
    # and per-cluster services the short time-out changes nothing: its rule that a waiting
    # call keeps its place is shedding's too, and its other rule (a create does not overtake
    # a waiting negotiation) has no regional negotiation to apply to.
    r = behind_the_2011_cluster(on)
    served = "shedding" in on or {"short_timeout", "per_cluster_cp"} <= on
    assert verdict(r, "healthy_zone_served").status == ("holds" if served else "violated")
    for p in on:
        fewer = behind_the_2011_cluster(on - {p}).stats
        same = (fewer.distinct_states, fewer.transitions) == (r.stats.distinct_states, r.stats.transitions)
        inert = p == "short_timeout" and {"shedding", "per_cluster_cp"} <= on
        assert same == inert, p


_BEHIND: dict[frozenset[str], CheckResult] = {}


def behind_the_2011_cluster(on: frozenset[str]) -> CheckResult:
    """as_2011 without the operators, with the control-plane protections `on` (each run once)."""
    if on not in _BEHIND:
        settings = {p: p in on for p in CONTROL_PLANE}
        _BEHIND[on] = run(Outage(variant="as_2011", operators=False, **settings), only=frozenset({"healthy_zone_served"}))  # type: ignore[arg-type]
    return _BEHIND[on]


@pytest.mark.slow
@pytest.mark.parametrize("volumes, threads", [(2, 1), (2, 2), (2, 3), (2, 4), (3, 1), (3, 2), (3, 3), (3, 4)])
def test_per_cluster_services_are_needed_exactly_when_the_elections_can_fill_the_pool(
    volumes: int, threads: int
) -> None:
    # all_but_per_cluster_cp: the elections run in the regional pool, one thread each, and no
    # create call hangs (the cluster protections), so the degraded zone holds at most `Volume`
    # threads. With threads <= Volume the elections can fill the pool, the healthy zone waits,
    # and shedding fails the elections, again and again: a lasso. With threads > Volume the
    # pool is never full while the healthy zone waits, shedding fails nothing, and every
    # volume is elected.
    r = run(Outage(variant="all_but_per_cluster_cp", Volume=volumes, threads=threads),
            only=frozenset({"volumes_served_again"}))
    assert verdict(r, "volumes_served_again").status == ("holds" if threads > volumes else "violated")


# -- under one hardware failure: the protections in pairs ----------------------------------------------

CLUSTER = ("buffer", "retry_logic", "race_fix")


@pytest.mark.slow
@pytest.mark.parametrize("on", [frozenset(c) for k in range(4) for c in combinations(CONTROL_PLANE, k)], ids=lambda on: "+".join(sorted(on)) or "none")
def test_under_a_hardware_failure_the_control_plane_protections_act_in_pairs(on: frozenset[str]) -> None:
    # all_protections_hw_crash: the cluster protections on, one hardware failure, so capacity
    # is lost, create calls hang and the volumes that lost a copy negotiate. The healthy zone:
    # the rule behind the 2011 cluster (see above), for the same two causes. The elections:
    # with per-cluster services they never enter the regional pool; in it, under the long
    # time-out, hung creates can take both threads again and again before an election gets
    # one (negotiate is only weakly fair, and the full pool disables it), and shedding fails
    # the elections whenever the healthy zone waits; the short time-out without shedding
    # lets a waiting negotiation keep its place. So they are served again exactly with
    # per-cluster services, or with the short time-out and no shedding.
    settings = {p: p in on for p in CONTROL_PLANE}
    r = run(Outage(variant="all_protections_hw_crash", **settings),  # type: ignore[arg-type]
            only=frozenset({"healthy_zone_served", "volumes_served_again"}))
    hz = "shedding" in on or {"short_timeout", "per_cluster_cp"} <= on
    elected = "per_cluster_cp" in on or ("short_timeout" in on and "shedding" not in on)
    assert verdict(r, "healthy_zone_served").status == ("holds" if hz else "violated")
    assert verdict(r, "volumes_served_again").status == ("holds" if elected else "violated")


@pytest.mark.slow
@pytest.mark.parametrize("on", [frozenset(c) for k in range(4) for c in combinations(CLUSTER, k)], ids=lambda on: "+".join(sorted(on)) or "none")
def test_under_a_hardware_failure_at_three_nodes_the_buffer_and_the_retry_logic_are_both_needed(
    on: frozenset[str],
) -> None:
    # The control-plane protections on. With one node's disk gone, the only node besides a
    # volume's surviving holder is, at 3 nodes, its previous replica: without the retry logic
    # (reconnect) the search finds no slot for ever. Without the buffer two volumes left on one
    # survivor need the third node's one slot. The race fix is not needed beside them (no
    # volume loops), and with both it changes nothing at all.
    settings = {p: p in on for p in CLUSTER}
    r = run(Outage(variant="all_protections_hw_crash", **settings),  # type: ignore[arg-type]
            only=frozenset({"volumes_served_again"}))
    served = {"buffer", "retry_logic"} <= on
    assert verdict(r, "volumes_served_again").status == ("holds" if served else "violated")
    if served and "race_fix" in on:
        without = run(Outage(variant="all_protections_hw_crash", race_fix=False), only=frozenset({"volumes_served_again"}))
        assert (without.stats.distinct_states, without.stats.transitions) == (r.stats.distinct_states, r.stats.transitions)


# -- the whole timeline: the goal the_outage_runs_its_course ------------------------------------------

TIMELINE_SETTINGS = {"variant": "as_2011", "threads": 1, "capacity_budget": 1, "timeline": True}


@pytest.fixture(scope="module")
def timeline_witnesses() -> dict[str, CheckResult]:
    model = Outage(**TIMELINE_SETTINGS)  # type: ignore[arg-type]
    only = frozenset({"the_outage_runs_its_course"})
    return {engine: run(model, only=only, engine=engine) for engine in ("scalar", "batch")}


def test_the_timeline_goal_is_part_of_the_model_only_with_timeline_true() -> None:
    names = [p.name for p in Outage(variant="as_2011").compile().properties]
    assert "the_outage_runs_its_course" not in names
    assert "the_outage_runs_its_course" in [p.name for p in Outage(**TIMELINE_SETTINGS).compile().properties]  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_whole_timeline_happens_in_its_order(timeline_witnesses: dict[str, CheckResult]) -> None:
    # Both engines find a witness of the same (shortest) length, and it passes the post-mortem's
    # milestones in their order: the storm (failed searches), a race crash and the take-over,
    # the first impact (a healthy-zone call fails while a create call hangs), create volume
    # disabled, the second impact (a call fails with no create call hung), the control plane cut
    # off, futile searches stopped, capacity installed, a volume re-mirrored while the control
    # plane is unreachable, the control plane restored and that volume's election.
    lengths = set()
    for engine, result in timeline_witnesses.items():
        v = verdict(result, "the_outage_runs_its_course")
        assert v.status == "holds" and v.trace is not None, engine
        lengths.add(len(v.trace))
        labels = [a.split("(")[0] for a in actions(v.trace)]
        milestones = ["search_fails", "race_crash", "take_over", "create_hangs", "api_error", "disable_create_volume",
                      "api_error", "disable_cp_communication", "stop_futile_searches", "add_capacity", "copy_complete",
                      "restore_cp_communication", "elected"]
        at = 0
        for name in milestones:  # each milestone after the one before it
            at = labels.index(name, at) + 1
        second_error = [i for i, a in enumerate(labels) if a == "api_error"][-1]
        hung = v.trace.steps[second_error + 1].state  # the state the second impact left
        assert v.trace.program.decode_state(hung)["hung"] == 0, engine
        replay_reaches(v.trace, "the_outage_runs_its_course")
    assert len(lengths) == 1


# -- the next size up ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_all_protections_hold_at_three_volumes() -> None:
    # The next size up in volumes (352,848 states, ~5 s): the same verdicts as at two.
    r = run(Outage(variant="all_protections", Volume=3), store="fingerprint")
    for prop in PROPERTIES:
        assert verdict(r, prop).status == "holds", prop


# -- settings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"spare": 3}, "spare"),
        ({"spare": -1}, "spare"),
        ({"threads": 0}, "threads"),
        ({"fault_budget": 0}, "fault_budget"),
        ({"capacity_budget": 5}, "capacity_budget"),
        ({"hw_crashes": True}, "hw_crashes"),
        ({"Node": 2}, "Node"),
        ({"variant": "all_protections", "spare": 0}, "spare"),
        ({"buffer": True, "spare": 2}, "spare"),
        ({"timeline": True}, "timeline"),  # two volumes cannot fill two threads with negotiations alone
        ({"variant": "all_protections", "threads": 1, "timeline": True}, "timeline"),  # no operators
    ],
)
def test_meaningless_settings_are_refused(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ModelError, match=f"setting {named} of ebs.outage"):
        Outage(**settings)


def test_a_meaningless_setting_is_one_line_and_exit_2() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "replicheck", "check", "ebs.outage", "--set", "threads=0"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "setting threads of ebs.outage must be from 1 to 4, not 0" in out.stderr
    assert "Traceback" not in out.stderr
