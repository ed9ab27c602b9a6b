"""ebs.remirror: the protections, the fault assumptions, data loss, reuse, recovery, measures.

Every pinned verdict says why it is right (the post-mortem, or a trace reasoned by hand). The
fast tests run at 3 nodes x 2 volumes (under a few seconds each); the protection matrix's
headline claims run at the default 4 nodes x 3 volumes with the batch engine (slow: 10-40 s
each). No state count is pinned: none has an independent reason.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import replicheck
from replicheck.backends.reference import evaluate, fire, initial_states, successors
from replicheck.explore.symmetry import Symmetry
from replicheck.lang import ModelError
from replicheck.models.ebs.remirror import Remirror

from .helpers import actions, reference_states, replay_ends_in_violation, run, verdict

SAFETY, STORM, ONLINE = "no_data_loss", "no_stuck_forever", "data_back_online"
SMALL = {"Node": 3, "Volume": 2, "spare": 0}


def status(result, prop: str) -> str:
    """A property's verdict, from a CheckResult (helpers.run) or an api Result (big)."""
    if isinstance(result, replicheck.Result):
        return str(result.verdicts[prop])
    return verdict(result, prop).status


def big(**settings):
    """A default-size run (4 x 3) with the batch engine, every property to its first violation;
    made once per settings (a setting given at its default is the same run: the spare-capacity
    threshold's spare=1 with the race fixed is the matrix's race_fix row)."""
    return _big(frozenset((k, v) for k, v in settings.items() if getattr(Remirror, k) != v))


@functools.cache
def _big(settings: frozenset[tuple[str, object]]) -> replicheck.Result:
    return replicheck.check(Remirror(**dict(settings)), engine="batch", store="fingerprint", stop_at_first=False)


def maximum(result, name: str) -> int:
    return next(m.maximum for m in result.details.measurements if m.name == name)


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, named, allowed",
    [
        ({"race_trigger": "wide"}, "race_trigger", "narrow or broad"),
        ({"reuse_failed": "sometimes"}, "reuse_failed", "never, after_remirror or immediately"),
        ({"hardware_crashes": 2}, "hardware_crashes", "0 or 1"),
        ({"fault_budget": 0}, "fault_budget", "1 or 2"),
        ({"spare": -1}, "spare", "0..9"),
        ({"capacity_buffer": True, "buffer_spare": 1}, "buffer_spare", "more than spare"),
        ({"capacity_budget": 1}, "capacity_budget", "recovery=true"),
        ({"fine_throttles": False}, "fine_throttles", "recovery=true"),
        ({"Node": 2}, "Node=2", "Node=3 or more"),
        ({"max_retries": 0}, "max_retries", "at least 1"),
    ],
)
def test_meaningless_settings_are_refused_naming_the_setting(settings, named: str, allowed: str) -> None:
    with pytest.raises(ModelError) as err:
        Remirror(**settings)
    assert named in str(err.value) and allowed in str(err.value)


def test_a_refused_setting_is_one_message_and_exit_2_on_the_command_line() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "replicheck", "check", "ebs.remirror", "--set", "race_trigger=wide"],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 2
    assert "race_trigger" in p.stderr and "narrow or broad" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_the_model_really_is_symmetric_in_nodes_and_volumes() -> None:
    # Node and Volume are declared symmetric; the static check must agree in every variant
    # (counts over volumes use symmetric_count for that reason).
    for v in Remirror.variants:
        assert Symmetry(Remirror(variant=v, Node=3, Volume=2).compile()).asymmetries() == [], v


# -- data loss: a software crash is not one -----------------------------------------------------


def both_holders_failed(program, state) -> bool:
    d = program.decode_state(state)
    return any(
        str(d["node"][d["prim"][v]]) == "failed" and str(d["node"][d["mate"][v]]) == "failed"
        and d["pcopy"][v] and d["mcopy"][v]
        for v in d["st"]
    )


def test_the_race_failing_both_holders_is_not_data_loss() -> None:
    # With no spare slot the race fails both holders of a volume (the old model's 16-step
    # "data loss": isolate, both volumes of (n1, n2) loop, race_crash n1, n2 takes over, loops,
    # race_crash n2). The disks keep the data ("we can recover data if a cluster fails to
    # behave as designed"), so no_data_loss holds, and the state is really reached.
    m = Remirror(variant="as_2011", **SMALL)
    r = run(m)
    assert status(r, SAFETY) == "holds"
    program = m.compile()
    assert any(both_holders_failed(program, st) for st in reference_states(program))


def test_reusing_a_failed_node_at_once_loses_the_data_it_kept() -> None:
    # The same two race crashes, then the failed nodes are wiped and reused before their
    # volumes are re-mirrored: the only copies are destroyed. So the post-mortem's rule ("does
    # not reuse the failed node until every data replica is successfully re-mirrored") is
    # what keeps the data; with the rule, the same size holds.
    r = run(Remirror(variant="reuse_immediately", **SMALL))
    v = verdict(r, SAFETY)
    assert v.status == "violated" and replay_ends_in_violation(v.trace, SAFETY)
    labels = actions(v.trace)
    assert sum(a.startswith("race_crash") for a in labels) == 2
    assert labels[-1].startswith("reuse")
    assert status(run(Remirror(variant="reuse_after_remirror", **SMALL)), SAFETY) == "holds"


def test_one_hardware_crash_loses_one_copy_not_the_volume() -> None:
    # Two copies per volume and at most one machine failure: no volume can lose both, in the
    # buggy model and the fixed one alike (a released copy is only released after its
    # replacement owns the data).
    for variant in ("as_2011", "all_protections"):
        r = run(Remirror(variant=variant, hardware_crashes=1, **SMALL))
        assert status(r, SAFETY) == "holds", variant


# -- the recovery phase ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, want",
    [
        # two race crashes leave one running node of three: the stuck volumes need their
        # failed nodes back (reuse once re-mirrored) and new capacity; two rounds are enough
        ({"capacity_budget": 2}, "holds"),
        # the coarse throttle (no searches at all) never refined: the new capacity cannot be
        # found ("the team had difficulty incorporating the new capacity into the cluster")
        ({"capacity_budget": 2, "fine_throttles": False}, "violated"),
        # one round: the restored primary and its new mirror need two new slots
        ({"capacity_budget": 1}, "violated"),
    ],
)
def test_the_backlog_drains_only_with_fine_throttles_and_enough_capacity(settings, want: str) -> None:
    m = Remirror(recovery=True, reuse_failed="after_remirror", **SMALL, **settings)
    r = run(m)
    assert status(r, SAFETY) == "holds"
    assert status(r, STORM) == want
    if want == "violated" and not settings.get("fine_throttles", True):
        trace = verdict(r, STORM).trace
        program = trace.program
        cycle = [program.decode_state(st.state) for st in trace.steps[trace.loop_start:]]
        assert all(str(d["throttle"]) == "coarse" for d in cycle)


# -- the measures ----------------------------------------------------------------------------------


def stuck(program, state) -> int:
    d = program.decode_state(state)
    return sum(
        not (str(d["st"][v]) == "healthy" and d["pcopy"][v] and str(d["node"][d["prim"][v]]) == "running")
        for v in d["st"]
    )


@pytest.mark.parametrize("settings", [SMALL, {"Node": 3, "Volume": 2, "spare": 1}])
def test_stuck_at_end_means_stuck_for_good(settings) -> None:
    # The measure's witness ends in a state with that many stuck volumes, and from there no
    # behaviour (fair or not, race crashes included) ever has fewer stuck: "settled" really
    # is the end of the storm. Checked by a plain search over the reference evaluator.
    m = Remirror(variant="as_2011", **settings)
    r = replicheck.check(m)
    meas = next(x for x in r.details.measurements if x.name == "stuck_at_end")
    program = m.compile()
    last = meas.max_trace.steps[-1].state
    expr = next(p for p in program.of_kind("measure") if p.name == "stuck_at_end").expr
    assert meas.maximum >= 1 and evaluate(expr, last) == meas.maximum == stuck(program, last)
    seen, frontier = {last}, [last]
    while frontier:
        nxt = []
        for st in frontier:
            assert stuck(program, st) >= meas.maximum
            for _, t in successors(program, st):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt


# The buffer alone, with a hardware crash *and* the network event (fault_budget=2), found with
# --symmetry at 4 x 3 (3,256,976 orbits; docs/models/ebs.remirror.md): the witness of
# stuck_at_end = 1, replayed here from every initial placement it fits.
BOTH_FAULTS_WITNESS = (
    "isolate(group=3)", "detect_loss(v=v2)", "detect_loss(v=v1)", "detect_loss(v=v3)", "start_search(v=v2)",
    "start_search(v=v1)", "hardware_crash(n=n4)", "stop_faults", "search_fails(v=v2)", "search_fails(v=v1)",
    "rollback", "race_crash(n=n3)", "take_over(v=v1)", "take_over(v=v2)", "start_search(v=v2)",
    "start_search(v=v1)", "search(v=v2, t=n2)", "search(v=v1, t=n2)", "copy_complete(v=v1)", "copy_complete(v=v2)",
)


def label(action) -> str:
    values = action.param_values()
    return action.family + (f"({', '.join(f'{k}={v}' for k, v in values.items())})" if values else "")


def test_the_buffer_alone_does_not_survive_a_hardware_crash_on_top_of_the_network_event() -> None:
    # The hardware-crash tables spend the network event's one fault unit, so there the buffer
    # alone holds. With both faults the hardware crash kills n4 and the race fails n3: with two
    # of four nodes down, the volume whose holders are n1 and n2 has no third node, and no
    # behaviour from there (fair or not) ever unsticks it (the witness fits some placements
    # without that ending: those are not the story).
    program = Remirror(variant="capacity_buffer", hardware_crashes=1, fault_budget=2).compile()
    by_label = {label(a): a for a in program.actions}
    ends = []
    for _, state in initial_states(program):
        for step in BOTH_FAULTS_WITNESS:
            state = fire(by_label[step], state)
            if state is None:
                break
        else:
            ends.append(state)
    expr = next(p for p in program.of_kind("measure") if p.name == "stuck_at_end").expr
    ends = [last for last in ends if evaluate(expr, last) == 1]
    assert ends, "the witness leaves no volume stuck from any initial placement"
    for last in ends:
        assert stuck(program, last) == 1
        seen, frontier = {last}, [last]
        while frontier:
            nxt = []
            for st in frontier:
                assert stuck(program, st) >= 1
                for _, t in successors(program, st):
                    if t not in seen:
                        seen.add(t)
                        nxt.append(t)
            frontier = nxt


def test_no_spare_leaves_every_volume_stuck() -> None:
    # With no spare slot no search can succeed and nothing is ever released: both volumes
    # that lose their mirror stay stuck.
    r = replicheck.check(Remirror(variant="as_2011", **SMALL))
    assert next(x.maximum for x in r.details.measurements if x.name == "stuck_at_end") == 2


# -- slow: the protection matrix's headline claims at 4 nodes x 3 volumes ------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings, storm_ends, why",
    [
        ({}, False, "as_2011: the storm"),
        ({"capacity_buffer": True}, True, "the review: the buffer alone ends the storm at 4x3"),
        ({"retry_fix": True}, True, "the review: the retry fix alone suffices at 4x3"),
        ({"race_fix": True}, False, "without the race a volume still finds no third node with space"),
        ({"retry_fix": True, "race_fix": True, "hardware_crashes": 1}, False, "the review: one hardware crash makes the buffer necessary"),
        ({"capacity_buffer": True, "retry_fix": True, "race_fix": True, "hardware_crashes": 1}, True, "all three protections hold with a node really failing"),
        ({"retry_fix": True, "race_trigger": "broad", "race_crashes": 1}, False, "a broad trigger fails a node with two first searches open: the retry fix alone no longer suffices"),
        ({"retry_fix": True, "race_fix": True, "race_trigger": "broad", "race_crashes": 1}, True, "with the race fixed the trigger does not matter"),
    ],
)
def test_the_protection_matrix_headlines(settings, storm_ends: bool, why: str) -> None:
    r = big(**settings)
    assert status(r, STORM) == ("holds" if storm_ends else "violated"), why
    assert status(r, SAFETY) == "holds", why
    if settings.get("hardware_crashes"):
        assert maximum(r, "failed_nodes") >= 1  # the fixed variant does see a node fail


@pytest.mark.slow
@pytest.mark.parametrize("race_fix, threshold", [(True, 2), (False, 3)])
def test_spare_capacity_threshold_for_the_storm_to_end(race_fix: bool, threshold: int) -> None:
    # Found by hand in the review: at 4 nodes x 3 volumes, no volume stays stuck at spare >= 2
    # per node without race crashes, and at >= 3 with them.
    below = big(spare=threshold - 1, race_fix=race_fix)
    at = big(spare=threshold, race_fix=race_fix)
    assert maximum(below, "stuck_at_end") >= 1 and status(below, STORM) == "violated"
    assert maximum(at, "stuck_at_end") == 0 and status(at, STORM) == "holds"


def test_every_variant_has_an_expectation_and_a_reason() -> None:
    assert set(Remirror.variants) == set(Remirror.expected) == set(Remirror.reasons)
    for variant, why in Remirror.reasons.items():
        assert why.strip().endswith(")") or why.strip().endswith("."), variant


@pytest.mark.parametrize("variant", ["recovery", "recovery_coarse_throttles"])
def test_the_recovery_variants_give_their_expected_verdicts(variant: str) -> None:
    # These two set their own size (3 x 2, no spare); the reasons are in Remirror.reasons
    # and the recovery test above.
    r = run(Remirror(variant=variant))
    for prop, want in Remirror.expected[variant].items():
        assert status(r, prop) == want, (variant, prop)


def test_the_docs_variant_table_lists_the_models_settings() -> None:
    # docs/models/ebs.remirror.md's Variants table is typed by hand: it must name every
    # variant, with exactly the settings the model declares for it.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "models" / "ebs.remirror.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Variants\n"):doc.index("## The verdict matrix")]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", section, flags=re.M))

    def written(value: object) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    assert rows == {
        name: ", ".join(f"{k}={written(v)}" for k, v in settings.items()) or "(defaults)"
        for name, settings in Remirror.variants.items()
    }
