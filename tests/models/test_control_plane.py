"""ebs.control_plane: every verdict and trace length pinned, each with its reason; load
shedding shown to act; settings refused when meaningless.

Default sizes: 2 zones (one to degrade, one healthy: the least a brown-out needs), a regional
pool of 2 threads, per-zone queues of 2 (the negotiation load: MODELS.md asks every protection
to hold above one call per zone), bound L = 3 ticks, healthy calls take 1 tick, one zone may
degrade; the 2011 time-out is 4 ticks, the short one 2.
"""

from __future__ import annotations

import pytest

from replicheck.backends.reference import evaluate, fire, initial_states
from replicheck.lang import ModelError
from replicheck.models.ebs.control_plane import ControlPlane

from ..cli.helpers import assert_one_line_error
from ..cli.helpers import run as cli
from .helpers import actions, reference_state_count, replay_ends_in_violation, run, verdict

VARIANTS = list(ControlPlane.variants)
SAFETY, LIVENESS = "healthy_zone_served", "healthy_zone_eventually_served"


@pytest.fixture(scope="module")
def results():
    return {v: run(ControlPlane(variant=v)) for v in VARIANTS}


# -- verdicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_verdict_is_the_expected_one(results, variant: str) -> None:
    # Each verdict's reason is the model's `reasons[variant]` sentence, argued in
    # docs/models/ebs.control_plane.md with the traces below.
    result = results[variant]
    for prop, want in ControlPlane.expected[variant].items():
        assert verdict(result, prop).status == want, (variant, prop)
    assert verdict(result, "a_healthy_call_waits").status == "holds", variant  # not vacuous
    if ControlPlane(variant=variant).fault_budget:
        assert verdict(result, "a_zone_degrades_with_calls_in_flight").status == "holds", variant
    assert verdict(result, "only_degraded_zones_are_known_slow").status == "holds", variant


def test_every_expectation_has_a_reason() -> None:
    assert set(ControlPlane.reasons) == set(ControlPlane.expected) == set(ControlPlane.variants)


def test_the_model_really_is_symmetric_in_its_zones() -> None:
    from replicheck.explore.symmetry import Symmetry

    for v in VARIANTS:
        assert Symmetry(ControlPlane(variant=v).compile()).asymmetries() == [], v


# -- the safety counterexamples --------------------------------------------------------------


@pytest.mark.parametrize("variant", ["regional_pool_long_timeout", "disable_degraded_zone"])
def test_thread_starvation_in_ten_steps(results, variant: str) -> None:
    # A healthy call must wait L + 1 = 4 ticks with no thread freed meanwhile: healthy calls
    # hold a thread 1 tick, so both threads must hold calls to the degraded zone (2 arrivals,
    # the degrade, 2 dispatches), plus the healthy call's arrival: 6 + 4 ticks = 10, nothing
    # shorter. The operator is fair but has no deadline: the same 10 steps.
    v = verdict(results[variant], SAFETY)
    assert v.trace is not None and len(v.trace) == 10
    labels = actions(v.trace)
    assert labels[-4:] == ["tick"] * 4
    assert sorted(labels[:6]) == sorted(
        ["arrive(z=z1, watched=0)", "arrive(z=z1, watched=0)", "arrive(z=z2, watched=0)", "degrade(z=z1)",
         "dispatch(z=z1)", "dispatch(z=z1)"]
    )
    assert replay_ends_in_violation(v.trace, SAFETY)


def test_the_short_timeout_fails_with_two_calls_per_zone(results) -> None:
    # The brown-out with the first fix in place: after each 2-tick hold both threads time out
    # and the degraded zone's next two calls (as old as the healthy call: a tie the FIFO may
    # break either way) take them again; the healthy call passes its deadline after 4 ticks.
    # Needs 4 calls of z1 through the threads (4 arrivals, 4 dispatches, 2 time-outs), z2's
    # arrival, the degrade and 4 ticks: 16 steps.
    v = verdict(results["short_timeout"], SAFETY)
    assert v.trace is not None and len(v.trace) == 16
    labels = actions(v.trace)
    assert labels.count("tick") == 4 and labels.count("time_out(z=z1)") == 2 and labels.count("dispatch(z=z1)") == 4
    assert replay_ends_in_violation(v.trace, SAFETY)
    assert verdict(results["short_timeout_one_call"], SAFETY).status == "holds"


def test_a_fixed_zone_cap_starves_a_healthy_zone_with_no_zone_degraded(results) -> None:
    # zone_cap has no fault at all (fault_budget 0): the violation is the cap's own: a zone at
    # its cap of 1 thread waits with its second call while the other thread is idle or taken.
    v = verdict(results["zone_cap"], SAFETY)
    assert v.trace is not None and "degrade" not in " ".join(actions(v.trace))
    assert replay_ends_in_violation(v.trace, SAFETY)
    # the same load with zone-aware shedding instead of the cap holds
    assert verdict(run(ControlPlane(variant="load_shedding", Zone=3, fault_budget=0)), SAFETY).status == "holds"


# -- load shedding acts --------------------------------------------------------------------


class WithoutShed(ControlPlane):
    """load_shedding with its `shed` action removed (and so never due), the rest unchanged."""

    shed = None

    def can_shed(self, s, z, h):
        return False


def test_removing_shed_changes_the_state_space_and_the_verdict() -> None:
    # With shed, a degraded zone's in-flight calls are failed once it is seen slow (2 ticks),
    # so a healthy call waits at most 2 ticks; without it those threads are held for the full
    # 4-tick time-out and the bound fails (the 2011 trace). Liveness holds either way: the
    # zone-aware dispatch (no thread for a slow zone while another waits) is what ends the
    # starvation for ever.
    with_shed, without = run(ControlPlane(variant="load_shedding")), run(WithoutShed(variant="load_shedding"))
    assert with_shed.stats.distinct_states != without.stats.distinct_states
    assert verdict(with_shed, SAFETY).status == "holds"
    assert verdict(without, SAFETY).status == "violated"
    assert verdict(without, LIVENESS).status == "holds"
    trace = verdict(without, SAFETY).trace
    assert trace is not None and len(trace) == 10


def test_shedding_off_is_the_2011_pool() -> None:
    # shedding=False on the load_shedding variant is the regional_pool_long_timeout model
    plain = run(ControlPlane(variant="load_shedding", shedding=False))
    assert plain.stats.distinct_states == run(ControlPlane(variant="regional_pool_long_timeout")).stats.distinct_states
    assert verdict(plain, SAFETY).status == "violated"


# -- the liveness counterexample ---------------------------------------------------------------


def _replay_lasso(trace) -> None:
    """Fire every step with the reference evaluator; the last state is the loop state again, and
    on the cycle a healthy zone's watched call waits and is never served."""
    program = trace.program
    state = trace.steps[0].state
    assert state in {s for _, s in initial_states(program)}
    for step in trace.steps[1:]:
        (a,) = [a for a in program.actions if a.family == step.action and tuple(a.param_values().items()) == step.params]
        state = fire(a, state)
        assert state == step.state, step.label
    assert trace.loop_start is not None and state == trace.steps[trace.loop_start].state
    prop = next(p for p in program.properties if p.name == LIVENESS)
    for step in trace.steps[trace.loop_start:]:
        assert evaluate(prop.expr, step.state) and not evaluate(prop.expr2, step.state)


def test_the_checkers_lasso_starves_the_healthy_zone_for_ever(results) -> None:
    # 13 steps: z1's watched call arrives, z2 degrades (the trigger needs both), then a cycle
    # of 2 z2 arrivals and 2 dispatches that take both threads (winning the tie against z1's
    # call of the same age), 4 ticks, z1's late call retried (age 0 again), both z2 calls
    # timing out. tests/explore/test_minimal_lassos.py compares lassos with a brute force.
    v = verdict(results["regional_pool_long_timeout"], LIVENESS)
    assert v.trace is not None and len(v.trace) == 13 and v.trace.loop_start == 2
    assert actions(v.trace)[:2] == ["arrive(z=z1, watched=1)", "degrade(z=z2)"]
    cycle = actions(v.trace)[2:]
    assert sorted(cycle) == sorted(
        ["arrive(z=z2, watched=0)", "dispatch(z=z2)"] * 2 + ["tick"] * 4 + ["retry(z=z1)"] + ["time_out(z=z2)"] * 2
    )
    _replay_lasso(v.trace)


# -- the bounds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant, settings, served, eventually",
    [
        # two zones, one call each: the regional pool holds the bound exactly when L >= timeout
        # (a healthy call waits out one full hold of both threads; there is no third zone's
        # call to lose a tie to); docs/models/ebs.control_plane.md, "Queue depth against time-out"
        ("regional_pool_long_timeout", {"queue": 1}, "violated", "violated"),
        ("regional_pool_long_timeout", {"queue": 1, "bound": 4}, "holds", "holds"),
        ("regional_pool_long_timeout", {"queue": 1, "timeout": 3}, "holds", "holds"),
        # a time-out of L + 2 fails the bound, but the retried call is a tick older than any new
        # call when the threads free up, so it is served (at L + 1 the two tie: violated above)
        ("regional_pool_long_timeout", {"queue": 1, "timeout": 5}, "violated", "holds"),
        # two calls per zone: no time-out of at most L protects (the queued calls retake the threads)
        ("regional_pool_long_timeout", {"timeout": 3}, "violated", "violated"),
        ("short_timeout_one_call", {"bound": 1}, "violated", "violated"),
        # two calls per zone: the short time-out needs L >= 2 x timeout (two rounds of the
        # degraded zone's calls through both threads)
        ("short_timeout", {"bound": 4}, "holds", "holds"),
        # per-zone pools: the degraded zone exhausts only its own
        ("zone_bulkhead", {"fault_budget": 2}, "holds", "holds"),
        ("load_shedding", {"queue": 1}, "holds", "holds"),
    ],
)
def test_the_bounds_of_each_fix(variant: str, settings: dict, served: str, eventually: str) -> None:
    result = run(ControlPlane(variant=variant, **settings))
    assert (verdict(result, SAFETY).status, verdict(result, LIVENESS).status) == (served, eventually)


# -- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"timeout": 1}, "timeout=1 must be longer than service=1"),
        ({"threads": 0}, "threads=0 is out of range"),
        ({"queue": 0}, "queue=0 is out of range"),
        ({"fault_budget": 3}, "fault_budget=3: at most the Zone=2 zones"),
        ({"zone_threads": 2}, "zone_threads=2 means something only with bulkhead"),
        ({"zone_cap": 3}, "zone_cap=3 is not 0 (no cap) to threads=2"),
        ({"shedding": True, "zone_cap": 1}, "two load-shedding rules"),
        ({"bulkhead": True, "shedding": True}, "with bulkhead there is none"),
    ],
)
def test_meaningless_settings_are_refused(settings: dict, words: str) -> None:
    with pytest.raises(ModelError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ControlPlane(**settings)


def test_a_refused_setting_is_one_line_and_exit_2(capsys) -> None:
    code, out, err = cli(capsys, "check", "ebs.control_plane", "--set", "timeout=1")
    assert code == 2 and out == ""
    assert_one_line_error(err)
    assert "timeout=1" in err


# -- state counts ----------------------------------------------------------------------------


def test_a_tiny_configuration_counted_by_hand() -> None:
    # One healthy zone, one thread, queue 1, no fault. States (queue, thread, watched?):
    # empty/idle; call waiting age 0 (watched or not: 2); thread busy 0 ticks, queue empty;
    # busy 0 + call age 0 (x2); busy 1 tick, queue empty; busy 1 + call age 0 (x2);
    # busy 1 + call age 1 (x2); idle + call age 1 (x2, after the completion): 1+2+1+2+1+2+2+2=13.
    model = ControlPlane(Zone=1, threads=1, queue=1, fault_budget=0)
    assert run(model).stats.distinct_states == 13
    assert reference_state_count(model.compile()) == 13


def test_the_derived_counters_are_the_sums_they_stand_for() -> None:
    # `used` and `stuck` are kept as state (see take_thread); in every reachable state of a
    # small instance they equal the sums over busy, in each kind of pool.
    from .helpers import reference_states

    for variant in ("regional_pool_long_timeout", "zone_bulkhead", "load_shedding", "zone_cap"):
        program = ControlPlane(variant=variant, Zone=2, timeout=2, queue=1, fault_budget=1).compile()
        seen = reference_states(program)
        assert len(seen) > 100
        for st in seen:
            d = program.decode_state(st)
            held = {z: sum(n for (y, _), n in d["busy"].items() if y == z) for z in d["qlen"]}
            if variant != "zone_bulkhead":
                assert d["used"] == sum(held.values()), d
            assert d["stuck"] == sum(n for z, n in held.items() if z in d["degraded"]), d


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["regional_pool_long_timeout", "short_timeout", "load_shedding"])
def test_state_counts_agree_with_a_plain_reference_search(results, variant: str) -> None:
    # No pinned figure: the compiled BFS and a plain BFS over the reference evaluator must agree.
    assert reference_state_count(ControlPlane(variant=variant).compile()) == results[variant].stats.distinct_states
