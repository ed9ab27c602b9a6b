"""Symmetry reduction: orbits, representatives, and refusing models that are not symmetric."""

from __future__ import annotations

from replicheck.explore.symmetry import Symmetry
from replicheck.ir import Program, State
from replicheck.lang import Enum, Map, Model, Range, Sort, action, constraint, invariant, require, sum_of
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.rds.multi_az import MultiAZ
from tests.models.helpers import reference_states


def reachable(program: Program) -> set[State]:
    return reference_states(program)


def apply(sym: Symmetry, k: int, state: State) -> State:
    out = [0] * len(state)
    perm = sym.perms[k]
    for i, v in enumerate(state):
        out[sym._moves[k][i]] = sym._map_value(perm, sym.program.slots[i].domain.type, v)
    return tuple(out)


def test_orbit_sizes_add_up_to_the_unreduced_state_count() -> None:
    for model in (TCommit(RM=3), TCommit(RM=4), MultiAZ(variant="as_2011")):
        program = model.compile()
        sym = Symmetry(program)
        states = reachable(program)
        reps = {sym.canonical(s) for s in states}
        assert len(reps) < len(states)
        assert sum(sym.orbit_size(r) for r in reps) == len(states)


def test_every_image_of_a_state_has_the_same_representative() -> None:
    program = TCommit(RM=3).compile()
    sym = Symmetry(program)
    for s in reachable(program):
        rep = sym.canonical(s)
        assert sym.canonical(rep) == rep
        for k in range(sym.group_size):
            assert sym.canonical(apply(sym, k, s)) == rep


def test_tcommit_with_three_managers_has_thirteen_orbits() -> None:
    # By hand: an orbit is a multiset of three manager states. Reachable multisets never mix
    # committed with aborted, and never mix committed with working (commit needs all prepared):
    # {w,p,a} multisets of size 3: C(5,3) = 10; plus {p,c} multisets containing a c: 3; total 13.
    program = TCommit(RM=3).compile()
    sym = Symmetry(program)
    assert len({sym.canonical(s) for s in reachable(program)}) == 13


def test_the_shipped_symmetric_models_really_are_symmetric() -> None:
    for model in (TCommit(), MultiAZ(variant="naive_failover"), MultiAZ(variant="fixed")):
        assert Symmetry(model.compile()).asymmetries() == []


Light = Enum("Light", "off", "on")


class Favourite(Model):
    """Declares Node symmetric but lets only the first node switch off: not symmetric."""

    Node = Sort("Node", default=3, symmetric=True)
    light = Map(Node, Light, init=Light.off)

    @action
    def switch_on(self, s, n: Node):
        require(s.light[n] == Light.off)
        s.light[n] = Light.on

    @action
    def switch_off(self, s, n: Node):
        require((s.light[n] == Light.on) & (n == self.Node[0]))
        s.light[n] = Light.off


class Watched(Model):
    """Symmetric actions, but an invariant that singles out one node."""

    Node = Sort("Node", default=2, symmetric=True)
    light = Map(Node, Light, init=Light.off)

    @action
    def switch_on(self, s, n: Node):
        s.light[n] = Light.on

    @invariant
    def first_stays_off(self, s):
        return s.light[self.Node[0]] == Light.off


def test_an_action_that_favours_an_element_is_reported() -> None:
    problems = Symmetry(Favourite().compile()).asymmetries()
    assert problems and "switch_off" in problems[0]


def test_a_property_that_names_an_element_is_reported() -> None:
    problems = Symmetry(Watched().compile()).asymmetries()
    assert problems == ["property first_stays_off treats some element of Node specially"]


class Counted(Model):
    """A count over a symmetric sort of three: a nested sum that must still be symmetric."""

    Node = Sort("Node", default=3, symmetric=True)
    light = Map(Node, Light, init=Light.off)

    @action
    def switch_on(self, s, n: Node):
        s.light[n] = Light.on

    @invariant
    def at_most_two_on(self, s):
        from replicheck.lang import count

        return count(self.Node, lambda n: s.light[n] == Light.on) <= 3


def test_a_count_over_three_elements_is_seen_as_symmetric() -> None:
    assert Symmetry(Counted().compile()).asymmetries() == []


# -- symmetry in the explicit checker ----------------------------------------------------

import pytest  # noqa: E402

from replicheck.backends.reference import evaluate, fire  # noqa: E402
from replicheck.explore import CheckOptions, check  # noqa: E402
from replicheck.explore.full import check_model  # noqa: E402
from replicheck.explore.symmetry import SymmetryRefused  # noqa: E402
from replicheck.models.classic.paxos_voting import Voting  # noqa: E402
from replicheck.models.ebs.election import Election  # noqa: E402


def test_paxos_voting_has_tlcs_77_orbits_at_depth_11() -> None:
    # TLC on MCVoting (3 acceptors, 2 values, majority quorums, ballots 0..1, SYMMETRY over
    # acceptors and values): 77 distinct states, depth 11 (the tlaplus Examples manifest).
    r = check(Voting().compile(), CheckOptions(symmetry=True, unreduced=True, deadlock=False))
    assert r.status == "holds"
    assert (r.stats.distinct_states, r.stats.depth) == (77, 11)
    # the orbits stand for every state an unreduced run finds
    plain = check(Voting().compile(), CheckOptions(deadlock=False))
    assert r.stats.unreduced_states == plain.stats.distinct_states == 599


@pytest.mark.slow
def test_paxos_voting_with_three_ballots_has_6752_states_without_symmetry() -> None:
    # The published figure for ballots 0..2 without symmetry.
    r = check(Voting(max_ballot=2).compile(), CheckOptions(deadlock=False))
    assert r.stats.distinct_states == 6752


def test_reduced_counterexamples_are_real_and_as_short() -> None:
    # Orbits cannot make a counterexample shorter or longer: the shortest violation of each
    # property has the same length with and without reduction, and the reduced run's trace,
    # rebuilt from representatives, replays step by step.
    model = Election(variant="no_fencing")
    plain = check(model.compile(), CheckOptions(stop_at_first=False, deadlock=False))
    reduced = check(model.compile(), CheckOptions(stop_at_first=False, deadlock=False, symmetry=True))
    lengths = {v.property: len(v.trace) for v in plain.verdicts if v.trace is not None and v.status == "violated"}
    for v in reduced.verdicts:
        if v.status == "violated":
            assert v.trace is not None and len(v.trace) == lengths[v.property], v.property
            program = v.trace.program
            state = v.trace.steps[0].state
            for step in v.trace.steps[1:]:
                act = next(a for a in program.actions if a.family == step.action and tuple(a.param_values().items()) == step.params)
                state = fire(act, state)
                assert state == step.state
            prop = next(p for p in program.properties if p.name == v.property)
            if prop.kind == "invariant":
                assert not evaluate(prop.expr, state)


def test_symmetry_is_refused_for_a_model_that_favours_an_element() -> None:
    with pytest.raises(SymmetryRefused, match="not symmetric in Node"):
        check(Favourite().compile(), CheckOptions(symmetry=True, deadlock=False))


def test_symmetry_is_refused_together_with_liveness() -> None:
    with pytest.raises(SymmetryRefused, match="liveness"):
        check_model(Election().compile(), CheckOptions(symmetry=True, deadlock=False))
    # without liveness it runs: the orbits of the 24,303 states
    r = check_model(Election().compile(), CheckOptions(symmetry=True, unreduced=True, deadlock=False), liveness=False)
    assert r.stats.unreduced_states == 24_303 and r.stats.distinct_states < 24_303


class CappedCounters(Model):
    """Three symmetric counters, a @constraint on their sum: 35 states inside it and 21 reached
    just outside (checked, not explored), counted by hand: the vectors of sum k number
    C(k + 2, 2), so 1 + 3 + 6 + 10 + 15 = 35 of sum <= 4, and the 21 of sum 5 are each one
    increment from one of them."""

    P = Sort("P", default=3, symmetric=True)
    n = Map(P, Range(0, 5), init=0)

    @action
    def inc(self, s, p: P):  # type: ignore[valid-type]
        require(s.n[p] < 5)
        s.n[p] += 1

    @constraint
    def small(self, s):
        return sum_of(self.P, lambda q: s.n[q]) <= 4


@pytest.mark.parametrize("engine, store, workers", [("scalar", "exact", 1), ("batch", "exact", 1),
                                                    ("batch", "fingerprint", 1), ("batch", "exact", 2)])
def test_unreduced_counts_leave_out_the_states_outside_the_constraint(engine: str, store: str, workers: int) -> None:
    program = CappedCounters().compile()
    plain = check(program, CheckOptions(deadlock=False))
    assert (plain.stats.distinct_states, plain.stats.constrained_states) == (35, 21)
    r = check(program, CheckOptions(symmetry=True, unreduced=True, deadlock=False, engine=engine, store=store,
                                    workers=workers))
    assert r.stats.unreduced_states == 35
