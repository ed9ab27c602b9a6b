"""Symbolic values during tracing, and conversion of Python values into IR.

Owns: `Term` (an IR expression with Python operators: `==`, `<`, `+`, `&`, `|`, `~`, ...),
`to_expr` (Python value or Term -> IR expression of an expected type), and the refusals that
teach: a Term used as a Python bool, int, iterable or dict key raises a `ModelError` that
names the offending line and says what to write instead.

Must not import: anything of checker but `replicheck.ir` and `replicheck.lang` (errors, declarations).
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from replicheck.ir import nodes as N
from replicheck.ir.types import BOOL, INT, BoolType, ElemType, EnumType, IntType, Type, compatible

from .declarations import Elem, EnumValue
from .errors import ModelError, explain_bool_use, user_location


def current_site() -> Any:
    from .tracing import current_site as site

    return site()


def fail(problem: str, hint: str = "") -> NoReturn:
    raise ModelError(problem, hint, user_location(), current_site())


def type_phrase(t: Type) -> str:
    if isinstance(t, BoolType):
        return "a Bool"
    if isinstance(t, IntType):
        return "an int"
    if isinstance(t, EnumType):
        return f"a {t.name} (one of {', '.join(f'{t.name}.{v}' for v in t.values)})"
    return f"a {t.sort}" + (" or none" if t.has_none else "")


def describe_value(x: Any) -> str:
    if isinstance(x, Term):
        return f"a symbolic {type_phrase(x.expr.type)[2:] if x.expr.type != INT else 'int'}"
    if isinstance(x, bool):
        return f"the bool {x}"
    if isinstance(x, int):
        return f"the int {x}"
    if isinstance(x, EnumValue):
        return f"{x!r}"
    if isinstance(x, Elem):
        return f"the {x.type.sort} {x.name}"
    if x is None:
        return "None"
    return f"{x!r} (a Python {type(x).__name__})"


def literal(x: Any) -> N.Expr | None:
    """The IR constant for a plain Python value, or None if x is not one."""
    if isinstance(x, Term):
        return x.expr
    if isinstance(x, bool):
        return N.const(BOOL, int(x))
    if isinstance(x, int):
        return N.int_const(x)
    if isinstance(x, EnumValue):
        return N.Const(x.enum.type, x.index)
    if isinstance(x, Elem):
        return N.Const(x.type, x.index)
    return None


def to_expr(x: Any, expected: Type | None, what: str) -> N.Expr:
    """x as an IR expression of a type compatible with `expected` (any type if None)."""
    if x is None and isinstance(expected, ElemType) and expected.has_none:
        return N.Const(ElemType(expected.sort, expected.names, True), -1)
    e = literal(x)
    if e is None:
        hint = ""
        if isinstance(x, (set, frozenset, list, tuple, dict)):
            hint = "Collections are not state values: assign map entries and set members one by one."
        fail(f"{what}: {describe_value(x)} is not a value replicheck can trace", hint)
    if expected is not None and not compatible(e.type, expected):
        hint = ""
        if isinstance(expected, BoolType) and isinstance(x, int):
            hint = "Write True or False, not 1 or 0."
        elif isinstance(expected, EnumType):
            hint = f"Write one of {', '.join(f'{expected.name}.{v}' for v in expected.values)}."
        elif isinstance(expected, ElemType):
            hint = f"Write an element of {expected.sort} (a parameter, or self.{expected.sort}[i])" + (
                f", or self.{expected.sort}.none" if expected.has_none else ""
            ) + "."
        fail(f"{what} expects {type_phrase(expected)}, but got {describe_value(x)}", hint)
    if (
        isinstance(expected, ElemType)
        and isinstance(e.type, ElemType)
        and e.type.has_none
        and not expected.has_none
    ):
        if isinstance(e, N.Const) and e.value < 0:
            fail(
                f"{what} expects {type_phrase(expected)}, which cannot be none",
                f"Declare it with {expected.sort}.or_none if none is a legal value.",
            )
    return e


def _ir(build: Any, *args: Any) -> N.Expr:
    try:
        result: N.Expr = build(*args)
        return result
    except N.IRTypeError as err:
        fail(str(err))


class Term:
    """A symbolic value while an action or property is traced."""

    __slots__ = ("expr",)

    def __init__(self, expr: N.Expr) -> None:
        self.expr = expr

    # comparisons -------------------------------------------------------------------------
    def _cmp(self, op: str, other: Any) -> "Term":
        want: Type | None = self.expr.type if op in ("eq", "ne") else INT
        if op not in ("eq", "ne") and not isinstance(self.expr.type, IntType):
            fail(
                f"`{_SYMBOL[op]}` compares ints, but this is {type_phrase(self.expr.type)}",
                "Only == and != apply to Bool, enum and sort values.",
            )
        if other is None and isinstance(self.expr.type, ElemType):
            other_e: N.Expr = N.Const(ElemType(self.expr.type.sort, self.expr.type.names, True), -1)
        else:
            other_e = to_expr(other, want, f"`{_SYMBOL[op]}`")
        return Term(_ir(N.mk_compare, op, self.expr, other_e))

    def __eq__(self, other: object) -> "Term":  # type: ignore[override]
        return self._cmp("eq", other)

    def __ne__(self, other: object) -> "Term":  # type: ignore[override]
        return self._cmp("ne", other)

    def __lt__(self, other: Any) -> "Term":
        return self._cmp("lt", other)

    def __le__(self, other: Any) -> "Term":
        return self._cmp("le", other)

    def __gt__(self, other: Any) -> "Term":
        return self._cmp("gt", other)

    def __ge__(self, other: Any) -> "Term":
        return self._cmp("ge", other)

    # arithmetic --------------------------------------------------------------------------
    def _arith(self, op: str, other: Any, swap: bool = False) -> "Term":
        if not isinstance(self.expr.type, IntType):
            fail(f"`{_SYMBOL[op]}` needs ints, but this is {type_phrase(self.expr.type)}")
        o = to_expr(other, INT, f"`{_SYMBOL[op]}`")
        a, b = (o, self.expr) if swap else (self.expr, o)
        return Term(_ir(N.mk_arith, op, a, b))

    def __add__(self, o: Any) -> "Term":
        return self._arith("add", o)

    def __radd__(self, o: Any) -> "Term":
        return self._arith("add", o, True)

    def __sub__(self, o: Any) -> "Term":
        return self._arith("sub", o)

    def __rsub__(self, o: Any) -> "Term":
        return self._arith("sub", o, True)

    def __mul__(self, o: Any) -> "Term":
        return self._arith("mul", o)

    def __rmul__(self, o: Any) -> "Term":
        return self._arith("mul", o, True)

    def __floordiv__(self, o: Any) -> "Term":
        return self._arith("floordiv", o)

    def __rfloordiv__(self, o: Any) -> "Term":
        return self._arith("floordiv", o, True)

    def __mod__(self, o: Any) -> "Term":
        return self._arith("mod", o)

    def __rmod__(self, o: Any) -> "Term":
        return self._arith("mod", o, True)

    def __neg__(self) -> "Term":
        if not isinstance(self.expr.type, IntType):
            fail(f"unary `-` needs an int, but this is {type_phrase(self.expr.type)}")
        return Term(N.mk_neg(self.expr))

    def __truediv__(self, o: Any) -> NoReturn:
        fail("`/` is real division; state values are integers", "Write `//` for integer division.")

    __rtruediv__ = __truediv__

    # boolean -----------------------------------------------------------------------------
    def _bool_operand(self, what: str) -> N.Expr:
        if not isinstance(self.expr.type, BoolType):
            fail(f"`{what}` combines Bools, but this is {type_phrase(self.expr.type)}")
        return self.expr

    def _logic_operands(self, symbol: str, other: Any) -> tuple[N.Expr, N.Expr]:
        """(self, other) as Bool operands of `&`, `|` or `^`. A non-Bool operand on a line that
        also compares is nearly always `a == 1 & b == 2`, which Python reads as
        `a == (1 & b) == 2`: say so."""
        try:
            return self._bool_operand(symbol), to_expr(other, BOOL, f"`{symbol}`")
        except ModelError as err:
            text = err.location.text if err.location is not None else ""
            if re.search(r"[&|^]", text) and re.search(r"==|!=|<=|>=|<|>", text):
                err.hint = (
                    f"`{symbol}` binds tighter than comparisons: `a == 1 & b == 2` means "
                    "`a == (1 & b) == 2`. Parenthesise each comparison, `(a == b) & (c < d)`."
                )
                err.args = (err.render(),)
            raise

    def __and__(self, o: Any) -> "Term":
        a, b = self._logic_operands("&", o)
        return Term(_ir(N.mk_and, [a, b]))

    def __rand__(self, o: Any) -> "Term":
        a, b = self._logic_operands("&", o)
        return Term(_ir(N.mk_and, [b, a]))

    def __or__(self, o: Any) -> "Term":
        a, b = self._logic_operands("|", o)
        return Term(_ir(N.mk_or, [a, b]))

    def __ror__(self, o: Any) -> "Term":
        a, b = self._logic_operands("|", o)
        return Term(_ir(N.mk_or, [b, a]))

    def __invert__(self) -> "Term":
        return Term(N.mk_not(self._bool_operand("~")))

    def __xor__(self, o: Any) -> "Term":
        a, b = self._logic_operands("^", o)
        return Term(_ir(N.mk_compare, "ne", a, b))

    # refusals that teach -----------------------------------------------------------------
    def __bool__(self) -> NoReturn:
        loc = user_location()
        problem, hint = explain_bool_use(loc.text)
        raise ModelError(problem, hint, loc, current_site())

    def __index__(self) -> NoReturn:
        fail(
            "a state value was used where Python needs a real int (a list index, range(), ...)",
            "Index maps with state values directly (s.role[s.primary]); loop over a sort "
            "(for n in self.Node) and use If/require for state-dependent choices.",
        )

    __int__ = __index__

    def __iter__(self) -> NoReturn:
        fail("a state value cannot be iterated", "Loop over a sort instead: for n in self.Node.")

    def __len__(self) -> NoReturn:
        fail("len() of a state value is not a Python int", "Use count(self.Node, lambda n: ...).")

    def __hash__(self) -> NoReturn:  # type: ignore[override]
        fail(
            "a state value cannot be a dict key or set member while tracing",
            "Use a Map state variable indexed by the state value instead.",
        )

    def __repr__(self) -> str:
        return f"<symbolic {self.expr.type}>"


_SYMBOL = {
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%",
}
