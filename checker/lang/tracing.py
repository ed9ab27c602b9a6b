"""Tracing: running a model's Python methods on symbolic state to produce IR.

Owns: the tracing context (`Tracer`, one per action instance, init binding or property), the
state proxy `s` that user code reads and assigns (sequential semantics: a read after an
assignment sees the new value; `s.x += 1` works; assignment through a state-dependent index
updates every entry it may name), and the functions models call: `require`, `If`, `forall`,
`exists`, `count`, `sum_of`, `Not`, `And`, `Or`, `implies`, `Min`, `Max`.

Must not import: anything of checker but `replicheck.ir` and `replicheck.lang` (errors,
declarations, terms).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from replicheck.ir import nodes as N
from replicheck.ir.check import bounds
from replicheck.ir.program import Slot, StateVar
from replicheck.ir.types import BOOL, INT, BoolType, ElemType, IntType

from .errors import ModelError, TraceSite, user_location
from .terms import Term, fail, literal, to_expr, type_phrase

_STACK: list["Tracer"] = []


def current_site() -> TraceSite | None:
    return _STACK[-1].site if _STACK else None


@dataclass
class Layout:
    """The state variables of a model instance and their slots."""

    model_name: str
    vars: dict[str, StateVar]
    slots: tuple[Slot, ...]


@dataclass
class Tracer:
    layout: Layout
    site: TraceSite
    mode: str  # "action", "init", "invariant", "action_property"
    env: list[N.Expr | None]
    guards: list[N.Expr] = field(default_factory=list)
    assigned: set[int] = field(default_factory=set)

    def __enter__(self) -> "Tracer":
        _STACK.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _STACK.pop()

    def read(self, slot: int) -> N.Expr:
        e = self.env[slot]
        if e is None:
            fail(
                f"init reads {self.layout.slots[slot].name} before giving it a value",
                "Assign it first, or give its declaration an init= value.",
            )
        return e

    def write(self, slot: int, e: N.Expr) -> None:
        if self.mode not in ("action", "init"):
            kind = "an invariant" if self.mode == "invariant" else "an action property"
            fail(
                f"{kind} must not assign state ({self.layout.slots[slot].name})",
                "Properties only read the state; move the assignment into an action.",
            )
        self.env[slot] = e
        self.assigned.add(slot)


def _tracer(fn: str) -> Tracer:
    if not _STACK:
        raise ModelError(
            f"{fn}() is only meaningful while replicheck traces a model",
            "Call it inside an action, init or property method of a Model.",
            user_location(),
        )
    return _STACK[-1]


# -- the state proxy ---------------------------------------------------------------------


class StateView:
    """The `s` of `def promote(self, s, n)`: state variables as attributes."""

    def __init__(self, tracer: Tracer, post: bool = False) -> None:
        object.__setattr__(self, "_tracer", tracer)
        object.__setattr__(self, "_post", post)

    def _var(self, name: str) -> StateVar:
        t: Tracer = object.__getattribute__(self, "_tracer")
        var = t.layout.vars.get(name)
        if var is None:
            known = list(t.layout.vars)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"Did you mean `{close[0]}`? " if close else ""
            fail(
                f"{t.layout.model_name} has no state variable `{name}`",
                hint + "Its state variables are: " + ", ".join(known) + ". "
                "Declare new ones in the class body, e.g. `" + name + " = Range(0, 3)`.",
            )
        return var

    def _read_slot(self, slot: int) -> N.Expr:
        t: Tracer = object.__getattribute__(self, "_tracer")
        if object.__getattribute__(self, "_post"):
            return N.Post(t.layout.slots[slot].domain.type, slot)
        return t.read(slot)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        var = self._var(name)
        if var.kind == "scalar":
            return Term(self._read_slot(var.first_slot))
        if var.kind == "set":
            return SetView(self, var)
        return MapView(self, var)

    def __setattr__(self, name: str, value: Any) -> None:
        var = self._var(name)
        t: Tracer = object.__getattribute__(self, "_tracer")
        if object.__getattribute__(self, "_post"):
            fail("the next state in an action property is read-only")
        if var.kind != "scalar":
            if isinstance(value, (MapView, SetView)) and value.var is var:
                return  # `s.m[k] += 1` ends with `s.m = s.m`: nothing to do
            fail(
                f"`{name}` is a {'set' if var.kind == 'set' else 'map'}; assign its entries, "
                f"not the whole variable",
                f"Write s.{name}[key] = value" + (f", s.{name}.add(x) or s.{name}.remove(x)" if var.kind == "set" else "") + ".",
            )
        e = to_expr(value, var.value.type, f"`{name}`")
        t.write(var.first_slot, e)

    def __repr__(self) -> str:
        return "<state>"


def _key_expr(var: StateVar, i: int, key: Any) -> N.Expr:
    return to_expr(key, var.keys[i].type, f"key {i + 1} of `{var.name}`")


class MapView:
    def __init__(self, state: StateView, var: StateVar) -> None:
        self.state = state
        self.var = var

    def _keys(self, key: Any) -> list[N.Expr]:
        keys = list(key) if isinstance(key, tuple) else [key]
        if len(keys) != len(self.var.keys):
            fail(
                f"`{self.var.name}` takes {len(self.var.keys)} key(s), got {len(keys)}",
                f"Write s.{self.var.name}[" + ", ".join(k.describe().split()[0].lower() for k in self.var.keys) + "].",
            )
        return [_key_expr(self.var, i, k) for i, k in enumerate(keys)]

    def _strides(self) -> list[int]:
        strides, acc = [], 1
        for k in reversed(self.var.keys):
            strides.append(acc)
            acc *= k.size
        return list(reversed(strides))

    def _slot_of(self, consts: Sequence[int]) -> int:
        off = sum((c - k.lo) * st for c, k, st in zip(consts, self.var.keys, self._strides()))
        return self.var.first_slot + off

    def _check_const_key(self, i: int, e: N.Expr) -> int:
        assert isinstance(e, N.Const)
        d = self.var.keys[i]
        if not d.contains(e.value):
            fail(
                f"`{self.var.name}` has no entry for key {literal_text(e)}",
                f"Its keys are {d.describe()}.",
            )
        return e.value

    def _read(self, keys: list[N.Expr], dim: int, prefix: list[int]) -> N.Expr:
        if dim == len(keys):
            return self.state._read_slot(self._slot_of(prefix))
        k = keys[dim]
        if isinstance(k, N.Const):
            return self._read(keys, dim + 1, prefix + [self._check_const_key(dim, k)])
        d = self.var.keys[dim]
        choices = [self._read(keys, dim + 1, prefix + [v]) for v in d.values()]
        return N.mk_index(choices, k, d.lo, user_location())

    def __getitem__(self, key: Any) -> Term:
        return Term(self._read(self._keys(key), 0, []))

    def __setitem__(self, key: Any, value: Any) -> None:
        keys = self._keys(key)
        t: Tracer = object.__getattribute__(self.state, "_tracer")
        if object.__getattribute__(self.state, "_post"):
            fail("the next state in an action property is read-only")
        v = to_expr(value, self.var.value.type, f"`{self.var.name}[...]`")
        if all(isinstance(k, N.Const) for k in keys):
            slot = self._slot_of([self._check_const_key(i, k) for i, k in enumerate(keys)])
            t.write(slot, v)
            return
        # A write through a state-dependent key: each entry it may name becomes
        # If(key == entry, value, old). An out-of-range key (e.g. none) is a run-time error:
        # the first update is wrapped in an Index over the key so that it is range-checked.
        src = user_location()
        candidates: list[list[int]] = [[]]
        for i, k in enumerate(keys):
            if isinstance(k, N.Const):
                candidates = [c + [self._check_const_key(i, k)] for c in candidates]
            else:
                candidates = [c + [v_] for c in candidates for v_ in self.var.keys[i].values()]
        new_values: list[tuple[int, N.Expr]] = []
        for combo in candidates:
            slot = self._slot_of(combo)
            hit = N.mk_and(
                [N.mk_eq(k, N.const(k.type, c)) for k, c in zip(keys, combo) if not isinstance(k, N.Const)]
            )
            new_values.append((slot, N.mk_ite(hit, v, t.read(slot))))
        for i, k in enumerate(keys):
            if isinstance(k, N.Const):
                continue
            d = self.var.keys[i]
            bk = bounds(k, t.layout.slots)
            if bk is None or bk[0] < d.lo or bk[1] > d.hi:
                slot0, e0 = new_values[0]
                new_values[0] = (slot0, N.Index(e0.type, (e0,) * d.size, k, d.lo, src))
        for slot, e in new_values:
            t.write(slot, e)

    def __contains__(self, item: Any) -> bool:
        fail(
            "`x in s.map` cannot be symbolic (Python forces `in` to a real bool)",
            f"Write s.{self.var.name}[x] to read an entry.",
        )

    def __iter__(self) -> Any:
        fail(
            f"iterate over the key sort, not the map `{self.var.name}`",
            f"Write: for k in self.{self.var.keys[0].describe()}: ... s.{self.var.name}[k] ...",
        )


def literal_text(e: N.Expr) -> str:
    from replicheck.ir.types import show

    if isinstance(e, N.Const):
        return show(e.type, e.value)
    return "?"


class SetView(MapView):
    """A `SetOf(T)` variable: one Bool per element of T."""

    def contains(self, x: Any) -> Term:
        return self[x]

    def add(self, x: Any) -> None:
        self[x] = True

    def remove(self, x: Any) -> None:
        self[x] = False

    discard = remove

    def size(self) -> Term:
        d = self.var.keys[0]
        return sum_of(d.values(), lambda i: If(self._entry(i), 1, 0))

    def _entry(self, i: int) -> Term:
        return Term(self.state._read_slot(self.var.first_slot + i - self.var.keys[0].lo))

    def is_empty(self) -> Term:
        d = self.var.keys[0]
        return Term(N.mk_not(N.mk_or([self._entry(i).expr for i in d.values()])))

    def clear(self) -> None:
        t: Tracer = object.__getattribute__(self.state, "_tracer")
        for slot in self.var.slot_range():
            t.write(slot, N.FALSE)

    def __contains__(self, item: Any) -> bool:
        fail(
            "`x in s.set` cannot be symbolic (Python forces `in` to a real bool)",
            f"Write s.{self.var.name}.contains(x) (or s.{self.var.name}[x]).",
        )

    def __len__(self) -> int:
        fail(
            "len() of a state set is symbolic, not a Python int",
            f"Write s.{self.var.name}.size().",
        )


# -- temporal formulas (returned by @liveness methods) -------------------------------------


@dataclass(frozen=True)
class Temporal:
    form: str  # one of replicheck.ir.program.TEMPORAL_FORMS
    p: Any
    q: Any = None


def eventually(p: Any) -> Temporal:
    """<>P: every fair behaviour reaches a state where P holds."""
    return Temporal("eventually", p)


def always_eventually(p: Any) -> Temporal:
    """[]<>P: every fair behaviour is in a P state infinitely often."""
    return Temporal("always_eventually", p)


def eventually_always(p: Any) -> Temporal:
    """<>[]P: every fair behaviour ends up in P for good."""
    return Temporal("eventually_always", p)


def leads_to(p: Any, q: Any) -> Temporal:
    """P ~> Q: whenever P holds, Q holds then or later, in every fair behaviour."""
    return Temporal("leads_to", p, q)


# -- functions models call ---------------------------------------------------------------


def _bool(x: Any, what: str) -> N.Expr:
    return to_expr(x, BOOL, what)


def require(cond: Any) -> None:
    """Guard the current action: it is enabled only in states where cond holds."""
    t = _tracer("require")
    if t.mode not in ("action", "init"):
        fail("require() guards actions; a property returns its condition instead")
    t.guards.append(_bool(cond, "require()"))


def _wrap(e: N.Expr) -> Any:
    return Term(e)


def If(cond: Any, then: Any, otherwise: Any) -> Any:
    """`then` where cond holds, else `otherwise` (a value, not a statement)."""
    if isinstance(cond, bool):
        return then if cond else otherwise
    c = _bool(cond, "If(cond, ...)")
    a = literal(then)
    b = literal(otherwise)
    if a is None and then is None and b is not None and isinstance(b.type, ElemType):
        a = to_expr(None, ElemType(b.type.sort, b.type.names, True), "If")
    if b is None and otherwise is None and a is not None and isinstance(a.type, ElemType):
        b = to_expr(None, ElemType(a.type.sort, a.type.names, True), "If")
    if a is None or b is None:
        fail("If(cond, a, b) needs values for a and b", "Both branches must be state values or constants.")
    try:
        return _wrap(N.mk_ite(c, a, b))
    except N.IRTypeError:
        fail(f"the branches of If have different types: {type_phrase(a.type)} and {type_phrase(b.type)}")


def Not(x: Any) -> Any:
    if isinstance(x, bool):
        return not x
    return Term(N.mk_not(_bool(x, "Not()")))


def And(*xs: Any) -> Any:
    if all(isinstance(x, bool) for x in xs):
        return all(xs)
    return Term(N.mk_and([_bool(x, "And()") for x in xs]))


def Or(*xs: Any) -> Any:
    if all(isinstance(x, bool) for x in xs):
        return any(xs)
    return Term(N.mk_or([_bool(x, "Or()") for x in xs]))


def implies(a: Any, b: Any) -> Any:
    if isinstance(a, bool) and isinstance(b, bool):
        return (not a) or b
    return Term(N.mk_implies(_bool(a, "implies()"), _bool(b, "implies()")))


def forall(domain: Iterable[Any], pred: Callable[[Any], Any]) -> Any:
    """pred holds for every element of a finite domain (a sort, an enum, a range...)."""
    return And(*[pred(x) for x in domain])


def exists(domain: Iterable[Any], pred: Callable[[Any], Any]) -> Any:
    return Or(*[pred(x) for x in domain])


SUM_CHUNK = 16  # sum_of adds up to this many terms as a left-nested chain


def _balanced_sum(terms: list[N.Expr]) -> N.Expr:
    """terms[0] + terms[1] + ...: a left-nested chain of at most `SUM_CHUNK` terms (so a sum
    over a small sort reads as it is written), and the chains' sums added as a balanced tree,
    so that a sum over 500 elements is about 25 operators deep, not 500 (every backend, and
    Python's parser, copes with that)."""
    if not terms:
        return N.int_const(0)
    level: list[N.Expr] = []
    for k in range(0, len(terms), SUM_CHUNK):
        total = terms[k]
        for e in terms[k + 1:k + SUM_CHUNK]:
            total = N.mk_arith("add", total, e)
        level.append(total)
    while len(level) > 1:
        level = [
            N.mk_arith("add", level[k], level[k + 1]) if k + 1 < len(level) else level[k]
            for k in range(0, len(level), 2)
        ]
    return level[0]


def sum_of(domain: Iterable[Any], fn: Callable[[Any], Any]) -> Any:
    """The sum of fn(x) over a finite domain."""
    total = _balanced_sum([to_expr(fn(x), INT, "sum_of()") for x in domain])
    return Term(total) if not isinstance(total, N.Const) else total.value


def count(domain: Iterable[Any], pred: Callable[[Any], Any]) -> Any:
    """How many elements of the domain satisfy pred."""
    return sum_of(domain, lambda x: If(pred(x), 1, 0))


def Min(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return Term(N.mk_arith("min", to_expr(a, INT, "Min()"), to_expr(b, INT, "Min()")))


def Max(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return Term(N.mk_arith("max", to_expr(a, INT, "Max()"), to_expr(b, INT, "Max()")))


__all__ = [
    "require", "If", "Not", "And", "Or", "implies", "forall", "exists", "count", "sum_of",
    "Min", "Max", "StateView", "Tracer", "Layout", "current_site", "Temporal", "eventually",
    "always_eventually", "eventually_always", "leads_to",
]
_ = (BoolType, IntType)
