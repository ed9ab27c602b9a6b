"""Expression nodes of the IR and the smart constructors that build them.

Owns: the node classes (`Const`, `Var`, `Post`, `Op`, `Index`), the closed list of operators
(`OPS`), `SourceInfo`, and constructors (`mk_*`) that fold constants and check operand types.
Expressions are quantifier-free and parameter-free: tracing has already expanded quantifiers
over finite sorts and substituted concrete parameters, so every engine sees plain terms over
state slots. Nodes compare by identity (expressions are DAGs with sharing; backends memoise by
`id`); use `replicheck.ir.pretty` to compare them structurally.

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from .primitives import PRIMITIVES
from .primitives import names as primitive_names
from .types import BOOL, INT, BoolType, ElemType, EnumType, IntType, Type, compatible


class IRTypeError(TypeError):
    """An IR expression was built from operands of the wrong types."""


@dataclass(frozen=True)
class SourceInfo:
    """Where in the user's model an IR element came from."""

    file: str = "<unknown>"
    line: int = 0
    text: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


NO_SOURCE = SourceInfo()


@dataclass(frozen=True, eq=False)
class Expr:
    type: Type


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: int


@dataclass(frozen=True, eq=False)
class Var(Expr):
    """The value of a state slot in the current (pre) state."""

    slot: int


@dataclass(frozen=True, eq=False)
class Post(Expr):
    """The value of a state slot in the next state (only in action properties)."""

    slot: int


@dataclass(frozen=True, eq=False)
class Op(Expr):
    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Index(Expr):
    """`choices[index - offset]`: state-dependent selection, e.g. `role[primary]`.

    Evaluating it with `index - offset` outside `0..len(choices)-1` is a run-time error of the
    model (for example reading `role[none]`), reported with `source`.
    """

    choices: tuple[Expr, ...]
    index: Expr
    offset: int
    source: SourceInfo = field(default=NO_SOURCE)


# The closed set of operators, declared (arity, sorts, laziness, partiality, printing, range
# rule) in `replicheck.ir.primitives`; every backend has a rule for each (a test checks this).
BOOL_OPS = primitive_names("bool")
ARITH_OPS = primitive_names("arith")
COMPARE_OPS = primitive_names("compare")
OPS: tuple[str, ...] = tuple(PRIMITIVES)
NODE_KINDS: tuple[type[Expr], ...] = (Const, Var, Post, Op, Index)

TRUE = Const(BOOL, 1)
FALSE = Const(BOOL, 0)


def const(t: Type, value: int) -> Const:
    if isinstance(t, BoolType):
        return TRUE if value else FALSE
    return Const(t, value)


def int_const(value: int) -> Const:
    return Const(INT, value)


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise IRTypeError(message)


def _is_bool(e: Expr) -> bool:
    return isinstance(e.type, BoolType)


def _is_int(e: Expr) -> bool:
    return isinstance(e.type, IntType)


def is_const(e: Expr, value: int | None = None) -> bool:
    return isinstance(e, Const) and (value is None or e.value == value)


def _mk_junction(op: str, args: Iterable[Expr]) -> Expr:
    """n-ary and/or: flattened, with units dropped and absorbing constants folded."""
    unit, absorbing = (1, 0) if op == "and" else (0, 1)
    flat: list[Expr] = []
    for a in args:
        _need(_is_bool(a), f"'{op}' needs Bool operands, got {a.type}")
        if is_const(a, unit):
            continue
        if is_const(a, absorbing):
            return const(BOOL, absorbing)
        if isinstance(a, Op) and a.op == op:
            flat.extend(a.args)
        else:
            flat.append(a)
    if not flat:
        return const(BOOL, unit)
    if len(flat) == 1:
        return flat[0]
    return Op(BOOL, op, tuple(flat))


def mk_and(args: Iterable[Expr]) -> Expr:
    return _mk_junction("and", args)


def mk_or(args: Iterable[Expr]) -> Expr:
    return _mk_junction("or", args)


def mk_not(a: Expr) -> Expr:
    _need(_is_bool(a), f"'not' needs a Bool operand, got {a.type}")
    if isinstance(a, Const):
        return const(BOOL, 1 - a.value)
    if isinstance(a, Op) and a.op == "not":
        return a.args[0]
    return Op(BOOL, "not", (a,))


def mk_implies(a: Expr, b: Expr) -> Expr:
    _need(_is_bool(a) and _is_bool(b), "'implies' needs Bool operands")
    if isinstance(a, Const):
        return b if a.value else TRUE
    if is_const(b, 1):
        return TRUE
    return Op(BOOL, "implies", (a, b))


_PY_ARITH: dict[str, Callable[[int, int], int]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "min": min,
    "max": max,
}


def mk_arith(op: str, a: Expr, b: Expr) -> Expr:
    """Binary arithmetic: add, sub, mul, floordiv, mod, min, max over Int."""
    _need(_is_int(a) and _is_int(b), f"'{op}' needs Int operands, got {a.type} and {b.type}")
    if isinstance(a, Const) and isinstance(b, Const) and op in _PY_ARITH:
        return int_const(_PY_ARITH[op](a.value, b.value))
    if isinstance(a, Const) and isinstance(b, Const) and b.value != 0:
        return int_const(a.value // b.value if op == "floordiv" else a.value % b.value)
    if op == "add" and is_const(b, 0) or op == "sub" and is_const(b, 0):
        return a
    if op == "add" and is_const(a, 0):
        return b
    if op == "add" and isinstance(a, Op) and a.op == "add" and isinstance(b, Const):
        # fold (x + c1) + c2 into x + (c1 + c2): keeps counters from growing chains
        inner = a.args[1]
        if isinstance(inner, Const):
            return mk_arith("add", a.args[0], int_const(inner.value + b.value))
    _need(op in ARITH_OPS and op != "neg", f"unknown arithmetic operator {op}")
    return Op(INT, op, (a, b))


def mk_neg(a: Expr) -> Expr:
    _need(_is_int(a), f"'neg' needs an Int operand, got {a.type}")
    if isinstance(a, Const):
        return int_const(-a.value)
    return Op(INT, "neg", (a,))


_PY_CMP: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y,
    "ge": lambda x, y: x >= y,
}


def mk_compare(op: str, a: Expr, b: Expr) -> Expr:
    _need(op in COMPARE_OPS, f"unknown comparison {op}")
    if op in ("eq", "ne"):
        _need(compatible(a.type, b.type), f"cannot compare {a.type} with {b.type}")
    else:
        _need(_is_int(a) and _is_int(b), f"'{op}' needs Int operands, got {a.type} and {b.type}")
    if isinstance(a, Const) and isinstance(b, Const):
        return const(BOOL, int(_PY_CMP[op](a.value, b.value)))
    if a is b:
        return const(BOOL, int(op in ("eq", "le", "ge")))
    return Op(BOOL, op, (a, b))


def mk_eq(a: Expr, b: Expr) -> Expr:
    return mk_compare("eq", a, b)


def join_types(a: Type, b: Type) -> Type:
    """The type of `ite(c, a, b)`: sorts join to the variant that admits none."""
    _need(compatible(a, b), f"the branches of If have different types: {a} and {b}")
    if isinstance(a, ElemType) and isinstance(b, ElemType) and a.has_none != b.has_none:
        return a if a.has_none else b
    return a


def mk_ite(c: Expr, a: Expr, b: Expr) -> Expr:
    _need(_is_bool(c), f"the condition of If must be Bool, got {c.type}")
    t = join_types(a.type, b.type)
    if isinstance(c, Const):
        return a if c.value else b
    if a is b:
        return a
    if isinstance(a, Const) and isinstance(b, Const) and a.value == b.value:
        return a
    if _is_bool(a) and is_const(a, 1) and is_const(b, 0):
        return c
    return Op(t, "ite", (c, a, b))


def mk_index(choices: Sequence[Expr], index: Expr, offset: int, source: SourceInfo) -> Expr:
    _need(len(choices) > 0, "Index needs at least one choice")
    t = choices[0].type
    for ch in choices[1:]:
        t = join_types(t, ch.type)
    if isinstance(index, Const):
        i = index.value - offset
        if 0 <= i < len(choices):
            return choices[i]
    if all(ch is choices[0] for ch in choices):
        pass  # still need the range check on the index; keep the node
    return Index(t, tuple(choices), index, offset, source)


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Op):
        return e.args
    if isinstance(e, Index):
        return e.choices + (e.index,)
    return ()


def walk(roots: Iterable[Expr]) -> list[Expr]:
    """Every node reachable from roots, each once, children before parents."""
    seen: set[int] = set()
    order: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for ch in reversed(children(node)):
            if id(ch) not in seen:
                stack.append((ch, False))
    return order


def slots_read(roots: Iterable[Expr]) -> set[int]:
    return {n.slot for n in walk(roots) if isinstance(n, Var)}


__all__ = [
    "BOOL",
    "INT",
    "EnumType",
    "Expr",
    "Const",
    "Var",
    "Post",
    "Op",
    "Index",
    "SourceInfo",
    "OPS",
    "NODE_KINDS",
]
