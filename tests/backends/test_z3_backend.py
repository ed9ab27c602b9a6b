"""The Z3 backend agrees with the reference evaluator, rule for rule and on random programs."""

from __future__ import annotations

import itertools

import pytest
import z3
from hypothesis import HealthCheck, given, settings

from replicheck.backends import z3_backend as zb
from replicheck.backends.reference import ModelRuntimeError, evaluate, fire
from replicheck.ir import BOOL, INT, NODE_KINDS, OPS, Const, Expr, Index, Op, Program, SourceInfo, State
from tests.ir_strategies import program_and_state, program_and_states


def test_every_operator_has_a_rule() -> None:
    assert set(zb.RULES) == set(OPS)
    assert set(zb.NODE_RULES) == set(NODE_KINDS)


@pytest.mark.parametrize("a", range(-7, 8))
@pytest.mark.parametrize("b", [-3, -2, -1, 1, 2, 3])
def test_floordiv_and_mod_are_pythons(a: int, b: int) -> None:
    for op, want in (("floordiv", a // b), ("mod", a % b)):
        e = Op(INT, op, (Const(INT, a), Const(INT, b)))
        assert zb.evaluate_concrete(e, ()) == want, (op, a, b)


def test_division_by_zero_is_a_side_condition_not_a_value() -> None:
    e = Op(INT, "floordiv", (Const(INT, 3), Const(INT, 0)))
    assert zb.evaluate_concrete(e, ()) is None
    # untaken branches of lazy operators may be undefined, as in the reference evaluator
    lazy = Op(INT, "ite", (Const(BOOL, 0), e, Const(INT, 5)))
    assert zb.evaluate_concrete(lazy, ()) == 5
    guarded = Op(BOOL, "and", (Const(BOOL, 0), Op(BOOL, "eq", (e, Const(INT, 1)))))
    assert zb.evaluate_concrete(guarded, ()) == 0
    taken = Op(BOOL, "or", (Const(BOOL, 0), Op(BOOL, "eq", (e, Const(INT, 1)))))
    assert zb.evaluate_concrete(taken, ()) is None


def test_index_out_of_range_is_a_side_condition() -> None:
    src = SourceInfo("<test>", 1)
    choices = (Const(INT, 10), Const(INT, 20))
    for i, want in ((-1, None), (0, 10), (1, 20), (2, None)):
        e = Index(INT, choices, Const(INT, i), 0, src)
        assert zb.evaluate_concrete(e, ()) == want


def _reference(e: Expr, pre: State, post: State | None = None) -> int | None:
    try:
        return evaluate(e, pre, post)
    except ModelRuntimeError:
        return None


def _reference_fire(program: Program, k: int, state: State) -> State | None | str:
    try:
        return fire(program.actions[k], state)
    except ModelRuntimeError:
        return "error"


def _z3_fire(program: Program, k: int, state: State) -> State | None | str:
    try:
        return zb.fire_concrete(program.actions[k], state)
    except ModelRuntimeError:
        return "error"


def _norm(e: Expr, v: int | None) -> int | None:
    """Bool results compared by truth (the reference evaluator may give any truthy int)."""
    if v is None or e.type != BOOL:
        return v
    return int(bool(v))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(2))
def test_agrees_with_reference_on_random_programs(case: tuple[Program, list[State]]) -> None:
    """Guard truth, successor values, run-time errors and property values all agree."""
    program, (pre, post) = case
    for k, a in enumerate(program.actions):
        assert _z3_fire(program, k, pre) == _reference_fire(program, k, pre), a.label
        for e in [a.guard] + [u for _, u in a.updates]:
            assert zb.evaluate_concrete(e, pre) == _norm(e, _reference(e, pre)), a.label
    for p in program.properties:
        if p.kind == "action":
            assert zb.evaluate_concrete(p.expr, pre, post) == _norm(p.expr, _reference(p.expr, pre, post)), p.name
        else:
            assert zb.evaluate_concrete(p.expr, pre) == _norm(p.expr, _reference(p.expr, pre)), p.name


def _other_than(u: zb.Unrolling, j: int, state: State) -> z3.BoolRef:
    """State j of the unrolling is not `state` (blocks a model found already)."""
    return zb.disj([x != v for x, v in zip(u.state(j), state)])


def _solver_successors(program: Program, state: State) -> tuple[set[tuple[int, State]], bool]:
    """All (action index, successor) pairs the transition relation allows from `state`, and
    whether the error condition is satisfiable there, found by enumerating models."""
    u = zb.Unrolling(program)
    s = z3.Solver()
    s.add(*[x == v for x, v in zip(u.state(0), state)])
    s.add(u.trans(0, 1))
    found: set[tuple[int, State]] = set()
    while s.check() == z3.sat:
        m = s.model()
        path = u.decode_path(m, [0, 1], from_init=False)
        found.add((path.actions[0], path.states[1]))
        assert len(found) <= len(program.actions), "the transition relation is not functional"
        s.add(z3.Or(u.choice(0, 1) != path.actions[0], _other_than(u, 1, path.states[1])))
    e = z3.Solver()
    e.add(*[x == v for x, v in zip(u.state(0), state)])
    e.add(u.action_errors(0))
    return found, e.check() == z3.sat


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_state())
def test_transition_relation_matches_reference_successors(case: tuple[Program, State]) -> None:
    """Solving the unrolled transition relation from a concrete state gives exactly the
    reference evaluator's successors, each under the action that produced it, and the error
    condition is satisfiable exactly when some action raises there."""
    program, state = case
    want: set[tuple[int, State]] = set()
    raises = False
    for k, a in enumerate(program.actions):
        try:
            nxt = fire(a, state)
        except ModelRuntimeError:
            raises = True
            continue
        if nxt is not None:
            want.add((k, nxt))
    got, got_raises = _solver_successors(program, state)
    assert got_raises == raises
    assert got == want


def test_unrolling_domain_and_init_on_a_concrete_program() -> None:
    from replicheck.models.classic.die_hard import DieHard

    program = DieHard().compile()
    u = zb.Unrolling(program)
    assert u.init_states == [(0, 0)]
    s = z3.Solver()
    s.add(u.init(0), u.domain(0), u.trans(0, 1), u.domain(1))
    succ: set[State] = set()
    while s.check() == z3.sat:
        path = u.decode_path(s.model(), [0, 1])
        succ.add(path.states[1])
        s.add(_other_than(u, 1, path.states[1]))
    assert succ == {(3, 0), (0, 5), (0, 0)}
    # the domain constraint admits exactly the declared ranges
    d = z3.Solver()
    d.add(u.domain(2))
    count = 0
    while d.check() == z3.sat:
        st = u.read_state(d.model(), 2)
        d.add(_other_than(u, 2, st))
        count += 1
    assert count == len(list(itertools.product(range(4), range(6))))
