"""Symmetry reduction in the batch engine (`--engine batch --symmetry`) against the scalar
engine's and against an independent count: the same representative for every state, the
same orbits in the same order, the same traces step by step, on every symmetric shipped model
and variant (at the test sizes), with one and two processes and both stores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck import api
from replicheck.backends.numpy_batch import Layout
from replicheck.errors import OptionError
from replicheck.explore import CheckOptions, check
from replicheck.explore.batch_symmetry import BatchCanonical
from replicheck.explore.symmetry import Symmetry, SymmetryRefused, symmetry_for
from replicheck.ir import Program, State
from replicheck.models.classic.paxos_voting import Voting
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.classic.two_phase import TwoPhase
from replicheck.models.ebs.remirror import Remirror
from replicheck.models.rds.multi_az import MultiAZ
from replicheck.registry import discover
from replicheck.report.results import CheckResult
from replicheck.sweep import variants_of
from tests.models.helpers import reference_states
from tests.sizes import at_test_size

SLOW = {"ebs.remirror", "ebs.control_plane", "ebs.outage", "ebs.election"}


def full_summary(r: CheckResult) -> dict[str, object]:
    """Everything a run reports that must not depend on the engine, traces state by state."""
    st_ = r.stats
    return {
        "status": r.status,
        "distinct": st_.distinct_states,
        "unreduced": st_.unreduced_states,
        "depth": st_.depth,
        "transitions": st_.transitions,
        "complete": st_.complete,
        "initial": st_.initial_states,
        "symmetry": st_.symmetry,
        "verdicts": [
            (v.property, v.status, v.message,
             None if v.trace is None else [(s.action, s.state) for s in v.trace.steps])
            for v in r.verdicts
        ],
        "warnings": r.warnings,
    }


def symmetric_cases() -> list[Any]:
    cases: list[Any] = []
    for name, info in discover().items():
        for variant in variants_of(info.cls):
            program = at_test_size(name, info.cls, variant).compile()
            if not any(s.symmetric for s in program.sorts):
                continue
            marks = [pytest.mark.slow] if name in SLOW else []
            cases.append(pytest.param(name, variant, marks=marks, id=f"{name}[{variant}]"))
    return cases


@pytest.mark.parametrize("name,variant", symmetric_cases())
def test_every_symmetric_model_and_variant_gives_the_same_orbits_and_traces_in_both_engines(
    name: str, variant: str | None
) -> None:
    info = discover()[name]
    program = at_test_size(name, info.cls, variant).compile()
    try:
        symmetry_for(program)
    except SymmetryRefused as refused:  # both engines refuse it, for the same reason
        with pytest.raises(SymmetryRefused, match=str(refused)[:40]):
            check(program, CheckOptions(engine="batch", symmetry=True))
        return
    deadlock = bool(info.cls.check_deadlock)
    # the larger models once, in continue mode (every property's first violation, so every
    # trace); two processes on the small ones (the worker's canonical keys are its own)
    for keep_going in ((True,) if name in SLOW else (False, True)):
        common = dict(deadlock=deadlock, stop_at_first=not keep_going, max_seconds=300, symmetry=True,
                      unreduced=True)
        scalar = full_summary(check(program, CheckOptions(engine="scalar", **common)))  # type: ignore[arg-type]
        batch = check(program, CheckOptions(engine="batch", **common))  # type: ignore[arg-type]
        assert batch.stats.engine == "batch"
        assert full_summary(batch) == scalar
        if name in SLOW:
            continue
        two = check(program, CheckOptions(engine="batch", workers=2, chunk_rows=777, store="fingerprint",
                                          **common))  # type: ignore[arg-type]
        assert full_summary(two) == scalar


@pytest.mark.parametrize("model", [TCommit(RM=3), TCommit(RM=4), TwoPhase(RM=3), Voting(),
                                   MultiAZ(variant="as_2011"), MultiAZ(variant="fixed")],
                         ids=lambda m: f"{m.name}")
def test_the_orbit_count_equals_the_representatives_of_every_reachable_state(model: Any) -> None:
    # independent of either search: every reachable state (the reference evaluator's
    # exhaustive enumeration), then one representative each
    program = model.compile()
    states = reference_states(program)
    sym = Symmetry(program)
    orbits = {sym.canonical(s) for s in states}
    r = check(program, CheckOptions(engine="batch", symmetry=True, unreduced=True,
                                    deadlock=bool(type(model).check_deadlock), stop_at_first=False))
    assert r.stats.distinct_states == len(orbits)
    assert r.stats.unreduced_states == len(states)


def test_tcommit_with_three_managers_has_thirteen_orbits_in_the_batch_engine() -> None:
    # the hand count of tests/explore/test_symmetry.py: multisets of three manager states
    r = check(TCommit(RM=3).compile(), CheckOptions(engine="batch", symmetry=True, deadlock=False))
    assert r.stats.distinct_states == 13


def states_of(program: Program) -> st.SearchStrategy[State]:
    """States within every slot's domain, most slots drawn from a few values so that many
    states have images equal in long prefixes (the hard case for the column-by-column search)."""
    def slot(lo: int, hi: int) -> st.SearchStrategy[int]:
        return st.one_of(st.integers(lo, min(hi, lo + 1)), st.integers(lo, hi))
    return st.tuples(*[slot(sl.domain.lo, sl.domain.hi) for sl in program.slots])


CANON_MODELS = [TwoPhase(RM=4), Voting(), Remirror(Node=4, Volume=3), MultiAZ(variant="as_2011")]


@pytest.mark.parametrize("model", CANON_MODELS, ids=lambda m: m.name)
def test_the_vectorised_representative_is_the_scalar_one(model: Any) -> None:
    program = model.compile()
    sym = Symmetry(program)
    canon = BatchCanonical(sym, Layout(program))
    layout = Layout(program)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(states_of(program), min_size=1, max_size=40))
    def agree(states: list[State]) -> None:
        # images of the first state too: one orbit, so one representative
        states = states + [sym.apply(k, states[0]) for k in range(0, sym.group_size, max(1, sym.group_size // 7))]
        reps, stab = canon.canonical(layout.pack_tuples(states))
        assert [layout.unpack_tuple(list(k)) for k in reps] == [sym.canonical(s) for s in states]
        assert [sym.group_size // int(x) for x in stab] == [sym.orbit_size(s) for s in states]

    agree()


def test_checkpoints_and_liveness_with_symmetry_are_refused_by_name() -> None:
    with pytest.raises(OptionError, match="--checkpoint with --symmetry"):
        api.check(TwoPhase(RM=3), engine="batch", symmetry=True, checkpoint="/tmp/never-written", liveness=False)
    with pytest.raises(SymmetryRefused, match="not used for liveness"):
        api.check(MultiAZ(variant="fixed"), engine="batch", symmetry=True)


def test_an_asymmetric_model_is_refused_by_the_batch_engine_as_by_the_scalar_one() -> None:
    from tests.explore.test_symmetry import Favourite  # a sort declared symmetric, one element special

    program = Favourite().compile()
    with pytest.raises(SymmetryRefused, match="not symmetric"):
        check(program, CheckOptions(engine="batch", symmetry=True))


@pytest.mark.parametrize("keep_going", [True, False], ids=["continue", "stop-at-first"])
@pytest.mark.parametrize("name,settings_", [("ebs.remirror", {"Node": 3, "Volume": 2}),
                                            ("ebs.outage", {}), ("ebs.control_plane", {})])
def test_measures_over_the_orbits_have_the_ranges_and_witness_lengths_of_every_state(
    name: str, settings_: dict[str, int], keep_going: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scalar engine computes measures on the unreduced graph; the batch engine records the
    # graph of orbits while it searches (and searches again, not stopping, after a run that
    # stopped at a violation) and builds no scalar graph
    import replicheck.explore.full as full

    cls = discover()[name].cls
    scalar = api.check(cls(**settings_), symmetry=True, liveness=False, stop_at_first=not keep_going)
    monkeypatch.setattr(full, "build_graph", lambda *a, **k: pytest.fail("the batch engine built a second graph"))
    batch = api.check(cls(**settings_), symmetry=True, liveness=False, stop_at_first=not keep_going,
                      engine="batch")

    def ranges(r: api.Result) -> list[tuple[object, ...]]:
        return [(m.name, m.minimum, m.maximum, len(m.min_trace), len(m.max_trace), m.complete)
                for m in r.details.measurements]

    assert ranges(batch) == ranges(scalar) and ranges(scalar)


def test_successors_sharing_a_fingerprint_still_get_their_own_representatives() -> None:
    # the batch engine canonicalises each distinct fingerprint once; two different states with
    # one fingerprint (forced here: every fingerprint 0) must not share a representative
    from replicheck.explore.batch import BatchSearch

    program = TwoPhase(RM=3).compile()
    search = BatchSearch(program, CheckOptions(engine="batch", symmetry=True))
    sym = Symmetry(program)
    states = sorted(reference_states(program))[:50]
    keys = search.layout.pack_tuples(states)
    reps, _ = search.representatives(keys, np.zeros(len(states), dtype=np.int64))
    assert [search.layout.unpack_tuple(list(k)) for k in reps] == [sym.canonical(s) for s in states]


def test_a_slot_wider_than_63_bits_is_refused_with_symmetry_by_the_batch_engine_only() -> None:
    from replicheck.explore.batch_symmetry import BatchSymmetryRefused
    from replicheck.lang import Map, Model, Range, Sort, action

    class Wide(Model):
        Node = Sort("Node", default=2, symmetric=True)
        big = Map(Node, Range(0, 2**70), init=0)

        @action
        def grow(self, s, n: Node):  # type: ignore[no-untyped-def]
            s.big[n] = 2**70

    program = Wide().compile()
    with pytest.raises(BatchSymmetryRefused, match="use --symmetry without --engine batch"):
        check(program, CheckOptions(engine="batch", symmetry=True))
    r = check(program, CheckOptions(symmetry=True, deadlock=False))
    assert r.stats.distinct_states == 3  # both 0; one grown (one orbit of two); both grown
