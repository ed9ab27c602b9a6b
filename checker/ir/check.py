"""The IR sort checker and a conservative value-range analysis.

Owns: `check_program` (every operator applied to operands of the right types, guards and
properties Bool, updates of the slot's type, slots in range, `Post` only in action
properties) and `bounds` (an interval that contains every value an expression can take, or
None when none is known, used by backends to skip run-time domain and index checks they can
prove unnecessary, and by the batch backend to prove that machine integers cannot overflow).
Intervals are exact Python ints; "unknown" is never stood in for by a large number.
The modelling language already reports type mistakes in the user's terms; this checker is
the backstop for programs built any other way (tests, generators, future front ends).

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from typing import Sequence

from .nodes import ARITH_OPS, BOOL_OPS, COMPARE_OPS, Const, Expr, Index, Op, Post, Var, walk
from .program import Program, Slot
from .types import BoolType, IntType, Type, compatible


class IRCheckError(Exception):
    pass


def _check_node(n: Expr, width: int, allow_post: bool) -> str | None:
    if isinstance(n, (Var, Post)):
        if not 0 <= n.slot < width:
            return f"slot {n.slot} out of range"
        if isinstance(n, Post) and not allow_post:
            return "next-state value outside an action property"
        return None
    if isinstance(n, Const):
        return None
    if isinstance(n, Index):
        if not all(compatible(c.type, n.type) for c in n.choices):
            return "Index choices of different types"
        return None
    assert isinstance(n, Op)
    ts: list[Type] = [a.type for a in n.args]
    if n.op in BOOL_OPS:
        ok = all(isinstance(t, BoolType) for t in ts) and isinstance(n.type, BoolType)
        arity_ok = len(ts) == 1 if n.op == "not" else len(ts) == 2 if n.op == "implies" else len(ts) >= 1
        return None if ok and arity_ok else f"bad operands for {n.op}: {', '.join(map(str, ts))}"
    if n.op in ARITH_OPS:
        ok = all(isinstance(t, IntType) for t in ts) and isinstance(n.type, IntType)
        arity_ok = len(ts) == (1 if n.op == "neg" else 2)
        return None if ok and arity_ok else f"bad operands for {n.op}: {', '.join(map(str, ts))}"
    if n.op in COMPARE_OPS:
        if len(ts) != 2 or not isinstance(n.type, BoolType):
            return f"bad arity for {n.op}"
        if n.op in ("eq", "ne"):
            return None if compatible(ts[0], ts[1]) else f"cannot compare {ts[0]} with {ts[1]}"
        ok = all(isinstance(t, IntType) for t in ts)
        return None if ok else f"bad operands for {n.op}: {', '.join(map(str, ts))}"
    if n.op == "ite":
        if len(ts) != 3 or not isinstance(ts[0], BoolType):
            return "ite needs (Bool, a, b)"
        return None if compatible(ts[1], ts[2]) else f"ite branches differ: {ts[1]} and {ts[2]}"
    return f"unknown operator {n.op}"


def check_program(program: Program) -> None:
    """Raise IRCheckError naming every ill-typed element of the program."""
    problems: list[str] = []
    width = program.width

    def check_expr(e: Expr, where: str, want_bool: bool, allow_post: bool = False) -> None:
        if want_bool and not isinstance(e.type, BoolType):
            problems.append(f"{where}: expected Bool, got {e.type}")
        for n in walk([e]):
            msg = _check_node(n, width, allow_post)
            if msg:
                problems.append(f"{where}: {msg}")

    for a in program.inits + program.actions:
        check_expr(a.guard, f"{a.label} guard", True)
        for slot, e in a.updates:
            if not 0 <= slot < width:
                problems.append(f"{a.label}: update of slot {slot} out of range")
                continue
            if not compatible(program.slots[slot].domain.type, e.type):
                problems.append(
                    f"{a.label}: {program.slots[slot].name} of type "
                    f"{program.slots[slot].domain.type} assigned a {e.type}"
                )
            check_expr(e, f"{a.label} update of {program.slots[slot].name}", False)
    for p in program.properties:
        # a measure is an Int; every other property is a condition
        check_expr(p.expr, f"property {p.name}", p.kind != "measure", allow_post=p.kind == "action")
        if p.kind == "measure" and not isinstance(p.expr.type, IntType):
            problems.append(f"measure {p.name}: expected Int, got {p.expr.type}")
        if p.expr2 is not None:
            check_expr(p.expr2, f"property {p.name} (second condition)", True)
    if problems:
        raise IRCheckError("; ".join(problems))


Interval = tuple[int, int]
"""An inclusive range of values, exact Python ints (never clamped)."""

BOUND_BITS = 1024
"""Computed intervals whose endpoints reach 2**BOUND_BITS in magnitude are given up on
(unknown): they would prove nothing a backend needs, and repeated squaring in a shared DAG
would otherwise make the analysis itself build astronomically large ints."""


def bounds(e: Expr, slots: Sequence[Slot], memo: dict[int, Interval | None] | None = None) -> Interval | None:
    """An inclusive interval containing every value `e` takes on states within their
    domains, or None when the analysis does not know one (nothing may be concluded then).

    The interval is exact interval arithmetic over Python ints: bounds of any size are
    reported as they are, never clamped to a machine word, so that "bounded by (lo, hi)"
    always means exactly that. Division and modulo are bounded over the divisor's non-zero
    values (at zero the model raises; no value is taken). Unknown (None) propagates to every
    expression with an unknown operand (except Bool-valued ones, always within 0..1)."""
    memo = {} if memo is None else memo
    for n in walk([e]):
        if id(n) in memo:
            continue
        memo[id(n)] = _bounds_of(n, slots, memo)
    return memo[id(e)]


def _tame(lo: int, hi: int) -> Interval | None:
    limit = 1 << BOUND_BITS
    if -limit < lo and hi < limit:
        return (lo, hi)
    return None


def _nonzero_parts(lo: int, hi: int) -> list[Interval]:
    """The divisor's non-zero values as at most two intervals of one sign each; a divisor that
    is always 0 (the model always raises) is treated as 1, the value engines substitute."""
    parts = [(p, q) for p, q in ((lo, min(hi, -1)), (max(lo, 1), hi)) if p <= q]
    return parts or [(1, 1)]


def division_substitute(lo: int | None, hi: int | None) -> int:
    """The divisor an engine that evaluates both branches may use where the real one is 0:
    a non-zero value of the divisor's interval (so that the result stays within the
    bounds `bounds` reports), 1 when the interval is unknown or allows no other value."""
    if lo is None or hi is None or hi >= 1 or lo > -1:
        return 1
    return -1


def _bounds_of(n: Expr, slots: Sequence[Slot], memo: dict[int, Interval | None]) -> Interval | None:
    if isinstance(n, Const):
        return (n.value, n.value)
    if isinstance(n, (Var, Post)):
        d = slots[n.slot].domain
        return (d.lo, d.hi)
    if isinstance(n.type, BoolType):
        return (0, 1)
    if isinstance(n, Index):
        cs = [memo[id(c)] for c in n.choices]
        if any(c is None for c in cs):
            return None
        known = [c for c in cs if c is not None]
        return (min(b[0] for b in known), max(b[1] for b in known))
    assert isinstance(n, Op)
    bs = [memo[id(a)] for a in n.args]
    if n.op == "ite":
        x, y = bs[1], bs[2]
        if x is None or y is None:
            return None
        return (min(x[0], y[0]), max(x[1], y[1]))
    if any(b is None for b in bs):
        return None
    if n.op == "neg":
        a = bs[0]
        assert a is not None
        return (-a[1], -a[0])
    a, b = bs[0], bs[1]
    assert a is not None and b is not None
    (alo, ahi), (blo, bhi) = a, b
    if n.op == "add":
        return _tame(alo + blo, ahi + bhi)
    if n.op == "sub":
        return _tame(alo - bhi, ahi - blo)
    if n.op == "mul":
        products = [alo * blo, alo * bhi, ahi * blo, ahi * bhi]
        return _tame(min(products), max(products))
    if n.op == "min":
        return (min(alo, blo), min(ahi, bhi))
    if n.op == "max":
        return (max(alo, blo), max(ahi, bhi))
    if n.op == "floordiv":
        # a // d is monotone in a for a fixed d, and in d on each side of 0 for a fixed a:
        # the extremes over a box of one divisor sign are at its corners
        cands = [x // d for p, q in _nonzero_parts(blo, bhi) for x in (alo, ahi) for d in (p, q)]
        return _tame(min(cands), max(cands))
    if n.op == "mod":
        # a % d lies in 0..d-1 for d > 0 and d+1..0 for d < 0
        parts = _nonzero_parts(blo, bhi)
        if len(parts) == 1 and parts[0][0] > 0:
            return (0, parts[0][1] - 1)
        return (min(0, parts[0][0] + 1), max(0, parts[-1][1] - 1))
    return None  # an operator without a range rule: nothing is known
