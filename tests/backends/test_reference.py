"""Hand-checked evaluations of the reference evaluator: the meaning of the IR."""

from __future__ import annotations

import pytest

from replicheck.backends.reference import (
    ModelRuntimeError,
    evaluate,
    fire,
    holds,
    initial_states,
    successors,
)
from replicheck.ir import BOOL, INT, Action, Const, Domain, Index, Op, Post, Program, Slot, StateVar, Var
from replicheck.ir import nodes as N
from replicheck.ir.nodes import SourceInfo

B0, B1 = Const(BOOL, 0), Const(BOOL, 1)


def c(v: int) -> Const:
    return Const(INT, v)


def x(slot: int = 0) -> Var:
    return Var(INT, slot)


def bad_index() -> Index:
    """An Index whose index (5) is always outside its one choice: raises when evaluated."""
    return Index(BOOL, (B1,), c(5), 0, SourceInfo("m.py", 7, "s.f[s.k]"))


# -- operators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "a", "b", "want"),
    [
        ("add", 3, 4, 7),
        ("sub", 3, 4, -1),
        ("mul", -3, 4, -12),
        ("min", 3, -4, -4),
        ("max", 3, -4, 3),
        ("floordiv", 7, 2, 3),
        ("floordiv", -7, 2, -4),  # Python rounds toward negative infinity
        ("floordiv", 7, -2, -4),
        ("floordiv", -7, -2, 3),
        ("mod", 7, 3, 1),
        ("mod", -7, 3, 2),  # Python: the sign of the divisor
        ("mod", 7, -3, -2),
        ("mod", -7, -3, -1),
        ("eq", 2, 2, 1),
        ("ne", 2, 2, 0),
        ("lt", 1, 2, 1),
        ("le", 2, 2, 1),
        ("gt", 2, 2, 0),
        ("ge", 1, 2, 0),
    ],
)
def test_binary_operators(op: str, a: int, b: int, want: int) -> None:
    t = BOOL if op in ("eq", "ne", "lt", "le", "gt", "ge") else INT
    assert evaluate(Op(t, op, (c(a), c(b))), ()) == want


def test_unary_operators() -> None:
    assert evaluate(Op(INT, "neg", (x(),)), (5,)) == -5
    assert evaluate(Op(BOOL, "not", (Var(BOOL, 0),)), (0,)) == 1
    assert evaluate(Op(BOOL, "not", (Var(BOOL, 0),)), (1,)) == 0


def test_nary_and_or_implies() -> None:
    v = [Var(BOOL, i) for i in range(3)]
    assert evaluate(Op(BOOL, "and", tuple(v)), (1, 1, 1)) == 1
    assert evaluate(Op(BOOL, "and", tuple(v)), (1, 0, 1)) == 0
    assert evaluate(Op(BOOL, "or", tuple(v)), (0, 0, 1)) == 1
    assert evaluate(Op(BOOL, "or", tuple(v)), (0, 0, 0)) == 0
    imp = Op(BOOL, "implies", (v[0], v[1]))
    assert [evaluate(imp, (a, b, 0)) for a in (0, 1) for b in (0, 1)] == [1, 1, 0, 1]


def test_ite_chooses_a_branch() -> None:
    e = Op(INT, "ite", (Var(BOOL, 0), c(10), c(20)))
    assert evaluate(e, (1,)) == 10
    assert evaluate(e, (0,)) == 20


@pytest.mark.parametrize("op", ["floordiv", "mod"])
def test_division_by_zero_is_a_model_runtime_error(op: str) -> None:
    with pytest.raises(ModelRuntimeError, match="by zero"):
        evaluate(Op(INT, op, (c(1), x())), (0,))


# -- laziness: the untaken branch is never evaluated ---------------------------------------


def test_bad_index_raises_when_evaluated() -> None:
    with pytest.raises(ModelRuntimeError, match=r"at key 5, which is not one of its keys \(0\.\.0\)") as info:
        evaluate(bad_index(), ())
    assert info.value.source == SourceInfo("m.py", 7, "s.f[s.k]")


def test_and_stops_at_the_first_false() -> None:
    assert evaluate(Op(BOOL, "and", (Var(BOOL, 0), bad_index())), (0,)) == 0
    with pytest.raises(ModelRuntimeError):
        evaluate(Op(BOOL, "and", (Var(BOOL, 0), bad_index())), (1,))


def test_or_stops_at_the_first_true() -> None:
    assert evaluate(Op(BOOL, "or", (Var(BOOL, 0), bad_index())), (1,)) == 1
    with pytest.raises(ModelRuntimeError):
        evaluate(Op(BOOL, "or", (Var(BOOL, 0), bad_index())), (0,))


def test_implies_skips_its_conclusion_when_the_premise_is_false() -> None:
    assert evaluate(Op(BOOL, "implies", (Var(BOOL, 0), bad_index())), (0,)) == 1
    with pytest.raises(ModelRuntimeError):
        evaluate(Op(BOOL, "implies", (Var(BOOL, 0), bad_index())), (1,))


def test_ite_evaluates_only_the_taken_branch() -> None:
    div0 = Op(INT, "floordiv", (c(1), c(0)))
    assert evaluate(Op(INT, "ite", (Var(BOOL, 0), c(3), div0)), (1,)) == 3
    assert evaluate(Op(INT, "ite", (Var(BOOL, 0), div0, c(4))), (0,)) == 4
    with pytest.raises(ModelRuntimeError):
        evaluate(Op(INT, "ite", (Var(BOOL, 0), div0, c(4))), (1,))


def test_index_evaluates_only_the_chosen_choice() -> None:
    div0 = Op(INT, "floordiv", (c(1), c(0)))
    e = Index(INT, (div0, c(8)), x(), 1, SourceInfo())
    assert evaluate(e, (2,)) == 8  # choice 2 - 1 = 1
    with pytest.raises(ModelRuntimeError):
        evaluate(e, (1,))


@pytest.mark.parametrize(("k", "want"), [(-1, 10), (0, 11), (1, 12)])
def test_index_with_offset(k: int, want: int) -> None:
    e = Index(INT, (c(10), c(11), c(12)), x(), -1, SourceInfo())
    assert evaluate(e, (k,)) == want


@pytest.mark.parametrize("k", [-2, 2, 100])
def test_index_out_of_range_raises(k: int) -> None:
    e = Index(INT, (c(10), c(11), c(12)), x(), -1, SourceInfo())
    with pytest.raises(ModelRuntimeError, match=rf"at key {k}, which is not one of its keys \(-1\.\.1\)"):
        evaluate(e, (k,))


def test_shared_subexpression_is_evaluated_consistently() -> None:
    shared = Op(INT, "add", (x(0), c(1)))
    e = Op(INT, "mul", (shared, shared))
    assert evaluate(e, (2,)) == 9


def test_post_reads_the_next_state() -> None:
    e = Op(BOOL, "lt", (x(0), Post(INT, 0)))
    assert holds(e, (1,), (2,))
    assert not holds(e, (2,), (2,))
    with pytest.raises(ModelRuntimeError, match="next-state"):
        evaluate(e, (1,))


# -- fire, successors, initial states on a tiny program ------------------------------------


def tiny() -> Program:
    """x in 0..2 and a flag; `inc` adds 1 to x while x < 2, `flip` toggles the flag.

    Updates are parallel: `swap` sets x := flag and flag := (x == 0), both over the pre-state.
    """
    dx, db = Domain(INT, 0, 2), Domain(BOOL, 0, 1)
    slots = (Slot(0, "x", (), (), dx), Slot(1, "flag", (), (), db))
    vars_ = (StateVar("x", (), dx, 0), StateVar("flag", (), db, 1))
    X, F = Var(INT, 0), Var(BOOL, 1)
    inc = Action("inc", (), N.mk_compare("lt", X, c(2)), ((0, N.mk_arith("add", X, c(1))),))
    flip = Action("flip", (), N.TRUE, ((1, N.mk_not(F)),))
    swap = Action(
        "swap", (), N.TRUE, ((0, Op(INT, "ite", (F, c(1), c(0)))), (1, N.mk_eq(X, c(0))))
    )
    inits = (
        Action("init", (), N.TRUE, ((0, c(0)), (1, B0))),
        Action("init", (), N.FALSE, ((0, c(1)), (1, B0))),  # disabled
        Action("init", (), N.TRUE, ((0, c(2)), (1, B1))),
    )
    return Program("tiny", (), vars_, slots, inits, (inc, flip, swap), ())


def test_fire_enabled_and_disabled() -> None:
    p = tiny()
    inc = p.actions[0]
    assert fire(inc, (0, 0)) == (1, 0)
    assert fire(inc, (1, 1)) == (2, 1)
    assert fire(inc, (2, 0)) is None


def test_fire_updates_are_parallel_over_the_pre_state() -> None:
    swap = tiny().actions[2]
    assert fire(swap, (0, 1)) == (1, 1)
    assert fire(swap, (2, 1)) == (1, 0)
    assert fire(swap, (0, 0)) == (0, 1)


def test_successors_in_action_order() -> None:
    p = tiny()
    got = [(a.family, s) for a, s in successors(p, (1, 0))]
    assert got == [("inc", (2, 0)), ("flip", (1, 1)), ("swap", (0, 0))]
    got = [(a.family, s) for a, s in successors(p, (2, 1))]
    assert got == [("flip", (2, 0)), ("swap", (1, 0))]


def test_initial_states_skip_disabled_inits() -> None:
    assert [s for _, s in initial_states(tiny())] == [(0, 0), (2, 1)]


def test_fire_does_not_clamp_to_the_domain() -> None:
    p = tiny()
    bump = Action("bump", (), N.TRUE, ((0, Op(INT, "add", (Var(INT, 0), c(5)))),))
    s = fire(bump, (2, 0))
    assert s == (7, 0)
    assert [slot.name for slot in p.out_of_domain(s)] == ["x"]


def test_fire_raises_model_runtime_error_from_an_update() -> None:
    a = Action("div", (), N.TRUE, ((0, Op(INT, "mod", (c(3), Var(INT, 0)))),))
    assert fire(a, (2, 0)) == (1, 0)
    with pytest.raises(ModelRuntimeError):
        fire(a, (0, 0))


def test_fire_does_not_evaluate_updates_of_a_disabled_action() -> None:
    a = Action("div", (), Op(BOOL, "ne", (Var(INT, 0), c(0))), ((0, Op(INT, "floordiv", (c(3), Var(INT, 0)))),))
    assert fire(a, (0, 0)) is None
    assert fire(a, (2, 0)) == (1, 0)


def test_reading_a_map_at_none_is_reported_in_the_models_terms() -> None:
    from replicheck.backends.reference import index_message
    from replicheck.ir.types import ElemType

    node = ElemType("Node", ("n1", "n2", "n3"), has_none=True)
    assert index_message(node, -1, 0, 3) == (
        "a map was read or written at key none, which is not one of its keys (n1, n2, n3)"
    )
