"""Smart constructors fold constants and reject ill-typed operands; the sort checker rejects
ill-typed programs; `bounds` is sound; types encode and decode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.ir import (
    BOOL,
    INT,
    Action,
    Const,
    Domain,
    ElemType,
    EnumType,
    Expr,
    Index,
    IRCheckError,
    IRTypeError,
    Op,
    Post,
    Program,
    Property,
    Slot,
    SourceInfo,
    StateVar,
    Var,
    bounds,
    check_program,
    pretty,
)
from replicheck.ir import nodes as N
from replicheck.ir.types import decode, encode, show
from tests.ir_strategies import exprs, programs, states

NODE = ElemType("Node", ("n1", "n2"), False)
NODE_OR_NONE = ElemType("Node", ("n1", "n2"), True)
COLOR = EnumType("Color", ("red", "green"))


def c(v: int) -> Const:
    return Const(INT, v)


# -- folding -------------------------------------------------------------------------------


def test_and_or_fold_and_flatten() -> None:
    a, b = Var(BOOL, 0), Var(BOOL, 1)
    assert N.mk_and([N.TRUE, a]) is a
    assert N.mk_and([a, N.FALSE]) is N.FALSE
    assert N.mk_and([]) is N.TRUE
    assert N.mk_or([]) is N.FALSE
    assert N.mk_or([a, N.TRUE]) is N.TRUE
    nested = N.mk_and([a, N.mk_and([b, a])])
    assert isinstance(nested, Op) and nested.op == "and" and nested.args == (a, b, a)


def test_not_and_implies_fold() -> None:
    a = Var(BOOL, 0)
    assert N.mk_not(N.mk_not(a)) is a
    assert N.mk_not(N.TRUE) is N.FALSE
    assert N.mk_implies(N.FALSE, a) is N.TRUE
    assert N.mk_implies(N.TRUE, a) is a


def test_arith_folds_constants_but_not_division_by_zero() -> None:
    assert N.is_const(N.mk_arith("add", c(2), c(3)), 5)
    assert N.is_const(N.mk_arith("floordiv", c(-7), c(2)), -4)
    assert N.is_const(N.mk_arith("mod", c(-7), c(2)), 1)
    div0 = N.mk_arith("floordiv", c(1), c(0))
    assert isinstance(div0, Op) and div0.op == "floordiv"  # left for run time to report
    x = Var(INT, 0)
    assert N.mk_arith("add", x, c(0)) is x
    folded = N.mk_arith("add", N.mk_arith("add", x, c(2)), c(3))
    assert pretty(folded) == "$0 + 5"


def test_compare_and_ite_fold() -> None:
    x = Var(INT, 0)
    assert N.mk_compare("lt", c(1), c(2)) is N.TRUE
    assert N.mk_compare("le", x, x) is N.TRUE
    assert N.mk_compare("ne", x, x) is N.FALSE
    assert N.mk_ite(N.TRUE, x, c(3)) is x
    assert N.mk_ite(Var(BOOL, 1), N.TRUE, N.FALSE).__class__ is Var


def test_ite_joins_element_types_to_the_one_with_none() -> None:
    e = N.mk_ite(Var(BOOL, 0), Const(NODE, 1), Const(NODE_OR_NONE, -1))
    assert e.type == NODE_OR_NONE


def test_index_folds_a_constant_index_in_range_only() -> None:
    choices = [c(10), c(11)]
    assert N.mk_index(choices, c(2), 1, SourceInfo()) is choices[1]
    kept = N.mk_index(choices, c(5), 1, SourceInfo())
    assert isinstance(kept, Index)  # out of range: a run-time error, not folded away
    with pytest.raises(ModelRuntimeError):
        evaluate(kept, ())


@pytest.mark.parametrize(
    "build",
    [
        lambda: N.mk_and([Var(INT, 0)]),
        lambda: N.mk_not(c(1)),
        lambda: N.mk_arith("add", Var(BOOL, 0), c(1)),
        lambda: N.mk_neg(Var(BOOL, 0)),
        lambda: N.mk_compare("lt", Const(COLOR, 0), Const(COLOR, 1)),
        lambda: N.mk_compare("eq", Const(COLOR, 0), c(0)),
        lambda: N.mk_ite(c(1), c(2), c(3)),
        lambda: N.mk_ite(Var(BOOL, 0), c(2), Const(COLOR, 0)),
        lambda: N.mk_arith("pow", Var(INT, 0), Var(INT, 1)),
    ],
)
def test_constructors_reject_ill_typed_operands(build: object) -> None:
    with pytest.raises(IRTypeError):
        build()  # type: ignore[operator]


# -- the sort checker ----------------------------------------------------------------------


def one_slot_program(update: Expr | None = None, prop: Property | None = None, guard: Expr = N.TRUE) -> Program:
    d = Domain(INT, 0, 3)
    slots = (Slot(0, "x", (), (), d),)
    actions = (Action("a", (), guard, ((0, update),) if update is not None else ()),)
    props = (prop,) if prop is not None else ()
    return Program("p", (), (StateVar("x", (), d, 0),), slots, (), actions, props)


def test_check_program_accepts_a_good_program() -> None:
    check_program(one_slot_program(N.mk_arith("add", Var(INT, 0), c(1))))


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        (one_slot_program(guard=c(1)), "expected Bool"),
        (one_slot_program(Const(COLOR, 0)), "assigned a Color"),
        (one_slot_program(Var(INT, 7)), "slot 7 out of range"),
        (one_slot_program(Op(INT, "add", (Var(INT, 0), N.TRUE))), "bad operands for add"),
        (one_slot_program(Op(INT, "neg", (c(1), c(2)))), "bad operands for neg"),
        (one_slot_program(Op(INT, "pow", (c(1), c(2)))), "unknown operator pow"),
        (one_slot_program(prop=Property("inv", "invariant", Op(BOOL, "eq", (Post(INT, 0), c(1))))), "next-state"),
        (one_slot_program(prop=Property("inv", "invariant", c(1))), "expected Bool"),
        (one_slot_program(Index(INT, (c(1), N.TRUE), Var(INT, 0), 0, SourceInfo())), "Index choices"),
    ],
)
def test_check_program_rejects(program: Program, fragment: str) -> None:
    with pytest.raises(IRCheckError, match=fragment):
        check_program(program)


def test_post_is_allowed_in_action_properties() -> None:
    check_program(one_slot_program(prop=Property("step", "action", Op(BOOL, "eq", (Post(INT, 0), c(1))))))


# -- bounds is sound ------------------------------------------------------------------------


@st.composite
def expr_and_state(draw: st.DrawFn) -> tuple[Program, Expr, tuple[int, ...]]:
    p = draw(programs(max_actions=0, wide=draw(st.booleans())))
    t = draw(st.sampled_from([BOOL, INT]))
    return p, draw(exprs(p, t, 4)), draw(states(p))


@settings(max_examples=300, deadline=None)
@given(expr_and_state())
def test_bounds_contain_every_value(pes: tuple[Program, Expr, tuple[int, ...]]) -> None:
    p, e, s = pes
    b = bounds(e, p.slots)
    try:
        v = evaluate(e, s)
    except ModelRuntimeError:
        return
    if b is None:  # unknown: nothing is claimed
        return
    lo, hi = b
    assert lo <= v <= hi, f"{pretty(e, p)} = {v} on {s}, outside bounds {lo}..{hi}"


@pytest.mark.parametrize("op", ["floordiv", "mod"])
def test_division_bounds_are_exact_on_every_small_box(op: str) -> None:
    """Over every pair of small intervals (divisors of both signs, with and without 0), the
    bounds are the exact minimum and maximum of the defined values."""
    r = range(-4, 5)
    for alo in r:
        for ahi in range(alo, 5):
            for blo in r:
                for bhi in range(blo, 5):
                    slots = (
                        Slot(0, "a", (), (), Domain(INT, alo, ahi)),
                        Slot(1, "b", (), (), Domain(INT, blo, bhi)),
                    )
                    e = Op(INT, op, (Var(INT, 0), Var(INT, 1)))
                    got = bounds(e, slots)
                    assert got is not None
                    vals = [x // y if op == "floordiv" else x % y
                            for x in range(alo, ahi + 1) for y in range(blo, bhi + 1) if y]
                    if not vals:
                        continue  # always a division by zero: any interval is sound
                    lo, hi = got
                    assert lo <= min(vals) and max(vals) <= hi, (alo, ahi, blo, bhi)
                    if op == "floordiv":
                        assert (lo, hi) == (min(vals), max(vals)), (alo, ahi, blo, bhi)


def test_bounds_are_never_clamped_and_give_up_only_when_astronomical() -> None:
    big = Slot(0, "x", (), (), Domain(INT, -(2**62), 2**62))
    x = Var(INT, 0)
    assert bounds(Op(INT, "floordiv", (Op(INT, "sub", (x, c(1))), c(-1))), [big]) == (1 - 2**62, 1 + 2**62)
    assert bounds(Op(INT, "mul", (x, x)), [big]) == (-(2**124), 2**124)
    e: Expr = x
    for _ in range(12):  # (2**62)**(2**12): far beyond any domain
        e = Op(INT, "mul", (e, e))
    assert bounds(e, [big]) is None
    assert bounds(Op(BOOL, "lt", (e, c(0))), [big]) == (0, 1)


# -- types and pretty-printing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "value", "shown"),
    [
        (BOOL, True, "true"),
        (BOOL, False, "false"),
        (INT, -3, "-3"),
        (COLOR, "green", "green"),
        (NODE, "n2", "n2"),
        (NODE_OR_NONE, None, "none"),
    ],
)
def test_encode_decode_show(t: object, value: object, shown: str) -> None:
    code = encode(t, value)  # type: ignore[arg-type]
    assert decode(t, code) == value  # type: ignore[arg-type]
    assert show(t, code) == shown  # type: ignore[arg-type]


@pytest.mark.parametrize(("t", "value"), [(BOOL, 1), (COLOR, "blue"), (NODE, None), (INT, True), (NODE, "n3")])
def test_encode_rejects_values_of_other_types(t: object, value: object) -> None:
    with pytest.raises(ValueError):
        encode(t, value)  # type: ignore[arg-type]


def test_pretty_names_slots_and_values() -> None:
    d = Domain(NODE_OR_NONE, -1, 1)
    p = Program("p", (), (StateVar("leader", (), d, 0),), (Slot(0, "leader", (), (), d),), (), (), ())
    e = N.mk_and([N.mk_eq(Var(NODE_OR_NONE, 0), Const(NODE_OR_NONE, -1)), N.mk_not(Var(BOOL, 0))])
    assert pretty(e, p) == "(leader == none) & ~leader"
