"""The Promela exporter: a traced `Program` as a Spin model with one `d_step` per action.

Owns: `export_promela`, `PromelaExport` and `RULES`, each IR primitive's Promela form: every
operator is written through it, and an entry `Unsupported(reason)` refuses the export of a
model that uses the operator, naming it, where it is used and why (`replicheck.export.rules`).

The layout is chosen so that Spin stores exactly the states replicheck counts: one global
variable per slot (`bit`, `byte`, `short` or `int`, the narrowest that holds the slot's
domain; a domain with negative values, such as a sort element that may be `none` (-1), is
stored biased into a byte), initialised in its declaration; a single active process whose body
is one `do` loop, so the process adds one constant control state; each action instance is one
loop option `d_step { guard -> ... }` (the guard is its first statement); each invariant is
one more option that is enabled only where the invariant is false and then fails an `assert`,
so it is checked in every state without creating any. Updates are a parallel assignment over
the pre-state: values that other updates (or action properties) still read go through `hidden`
temporaries, which are not part of the state vector. Values outside a slot's domain fail an
`assert` before they are stored. A model that is not allowed to deadlock has no `end` label,
so Spin reports a state without successors as an invalid end state.

Semantics carried over: Python's floor `//` and `%` (C truncates: the exporter emits the floor
correction unless range analysis proves both operands non-negative); division by zero and a
state-dependent index outside a map's keys read `_bad[...]` out of bounds, which Spin reports
as an error ("invalid array index"); `&&`, `||` and `(c -> a : b)` are lazy in the C that
Spin generates. When the initial states are not plain constants, an `if` of `d_step`s
initialises them before the loop, and Spin stores one more state (the one before
initialisation): `PromelaExport.extra_states` says so, and so does a comment in the file.

Compile and run: `spin -a M.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m1000000`
and compare `states, stored`.

Must not import: anything of checker but `replicheck.ir`, `replicheck.export.common` and
`replicheck.export.rules`; no z3, numpy or hypothesis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from replicheck.ir import (
    Action,
    BoolType,
    Const,
    ElemType,
    EnumType,
    Expr,
    Index,
    Op,
    Post,
    Program,
    Slot,
    Var,
    bounds,
)
from replicheck.ir.nodes import slots_read, walk
from replicheck.ir.primitives import PRIMITIVES

from .common import ExportError, Namer, checked_properties, unknown_skips
from .rules import Unsupported, action_roots, refuse_unsupported, rule_for, where_action, where_property

PROMELA_RESERVED: tuple[str, ...] = tuple((
    "active assert atomic bit bool break byte c_code c_decl c_expr c_state c_track chan d_step "
    "do else empty enabled eval false fi full goto hidden if init inline int len local mtype "
    "nempty never nfull notrace np_ od of pc_value pid print printf printm priority proctype "
    "provided run short skip timeout true typedef unless unsigned xr xs main end accept progress "
    "select for in get_priority set_priority ltl trace show _ _pid _nr_pr _last _priority "
    "_bad _p _t _a_t _p_t remoterefs"
).split())

PAN_FLAGS = ("-O2", "-DSAFETY", "-DNOREDUCE")


@dataclass(frozen=True)
class PromelaExport:
    name: str
    pml: str
    extra_states: int  # states Spin stores beyond replicheck's (the state before initialisation)

    def files(self) -> dict[str, str]:
        return {f"{self.name}.pml": self.pml}


def model_file_name(program: Program) -> str:
    base = program.name.replace(".", "_")
    if program.variant:
        base += "_" + program.variant
    return re.sub(r"[^A-Za-z0-9_]", "_", base)


def export_promela(program: Program, *, deadlock: bool = False, skip: Iterable[str] = ()) -> PromelaExport:
    """The Promela model of `program`.

    deadlock: whether Spin should report states without successors (the model's own
    `check_deadlock`); skip: property names to leave out."""
    skip = tuple(skip)
    bad = unknown_skips(program, skip)
    if bad:
        raise ExportError(f"{program.name} has no property {', '.join(map(repr, bad))}")
    _refuse_beyond_int32(program)
    return _Promela(program, deadlock, skip).build()


INT32 = (-(2**31), 2**31 - 1)


def _refuse_beyond_int32(program: Program) -> None:
    """Promela computes in C's 32-bit int, which wraps where replicheck's integers do not:
    refuse the export unless the range analysis proves every value of every expression
    (intermediates included) fits in 32 bits. An unknown bound proves nothing."""
    from replicheck.ir import bounds
    from replicheck.ir.nodes import walk
    from replicheck.ir.pretty import pretty

    roots: list[Expr] = []
    for a in (*program.inits, *program.actions):
        roots.append(a.guard)
        roots += [e for _, e in a.updates]
    roots += [p.expr for p in program.properties] + [p.expr2 for p in program.properties if p.expr2 is not None]
    memo: dict[int, tuple[int, int] | None] = {}
    for n in walk(roots):
        b = bounds(n, program.slots, memo)
        if b is None or b[0] < INT32[0] or b[1] > INT32[1]:
            where = "may take values the range analysis cannot bound" if b is None else f"may reach {b[0]}..{b[1]}"
            raise ExportError(
                f"{pretty(n, program)} {where}, beyond Promela's 32-bit int, where Spin would wrap "
                "silently; export refuses rather than change the model's meaning (use `replicheck check`, "
                "or narrow the domains)"
            )


@dataclass(frozen=True)
class _Storage:
    ctype: str
    bias: int  # stored value = value + bias


def _storage(slot: Slot) -> _Storage:
    lo, hi = slot.domain.lo, slot.domain.hi
    if lo >= 0 and hi <= 1:
        return _Storage("bit", 0)
    if lo >= 0 and hi <= 255:
        return _Storage("byte", 0)
    if lo < 0 and hi - lo <= 255:
        return _Storage("byte", -lo)
    if -32768 <= lo and hi <= 32767:
        return _Storage("short", 0)
    if -(2**31) <= lo and hi < 2**31:
        return _Storage("int", 0)
    raise ExportError(f"slot {slot.name} has domain {lo}..{hi}, wider than Promela's int")


class _Promela:
    def __init__(self, program: Program, deadlock: bool, skip: tuple[str, ...]) -> None:
        self.p = program
        self.deadlock = deadlock
        self.skip = skip
        self.names = Namer(PROMELA_RESERVED)
        self.memo: dict[int, tuple[int, int] | None] = {}
        self.slot_name = [self.names.fresh(self._slot_ident(s)) for s in program.slots]
        self.storage = [_storage(s) for s in program.slots]
        self.consts: dict[tuple[str, int], str] = {}  # (type name, value) -> #define name
        self.defines: list[str] = []
        self.temps = 0
        self.where = "an expression"  # what is being written, for a refusal (see `at`)

    @staticmethod
    def _slot_ident(s: Slot) -> str:
        parts = [s.var]
        for t, k in zip(s.key_types, s.key):
            if isinstance(t, ElemType):
                parts.append(t.names[k] if 0 <= k < t.size else "none")
            elif isinstance(t, EnumType):
                parts.append(t.values[k])
            else:
                parts.append(str(k).replace("-", "m"))
        return "_".join(parts)

    def bounds(self, e: Expr) -> tuple[int, int] | None:
        """The range analysis's exact bounds of `e`, None when unknown (nothing is proved)."""
        return bounds(e, self.p.slots, self.memo)

    # -- expressions ------------------------------------------------------------------------

    def const(self, e: Const) -> str:
        t = e.type
        if isinstance(t, (EnumType, ElemType)):
            key = (str(t) if isinstance(t, EnumType) else t.sort, e.value)
            if key not in self.consts:
                if isinstance(t, EnumType):
                    shown = t.values[e.value] if 0 <= e.value < len(t.values) else str(e.value)
                    nm = self.names.fresh(f"{t.name}_{shown}")
                else:
                    shown = "none" if e.value == -1 else (t.names[e.value] if 0 <= e.value < t.size else str(e.value))
                    nm = self.names.fresh(f"{t.sort}_{shown}")
                self.consts[key] = nm
                self.defines.append(f"#define {nm} {_int(e.value)}")
            return self.consts[key]
        if isinstance(t, BoolType):
            return "true" if e.value else "false"
        return _int(e.value)

    def read(self, slot: int) -> str:
        st = self.storage[slot]
        return self.slot_name[slot] if st.bias == 0 else f"({self.slot_name[slot]} - {st.bias})"

    def expr(self, e: Expr, post: Mapping[int, str] | None = None) -> str:
        if isinstance(e, Const):
            return self.const(e)
        if isinstance(e, Var):
            return self.read(e.slot)
        if isinstance(e, Post):
            if post is None:
                raise ExportError("a next-state value outside an action property")
            return post.get(e.slot, self.read(e.slot))
        if isinstance(e, Index):
            return self.index(e, post)
        if isinstance(e, Op):
            return self.op(e, post)
        raise ExportError(f"no Promela rule for IR node {type(e).__name__}")

    def op(self, e: Op, post: Mapping[int, str] | None) -> str:
        a = [self.expr(x, post) for x in e.args]
        return rule_for(RULES, e.op, EXPORTER, self.where)(self, e, a)

    def at(self, where: str, roots: Iterable[Expr]) -> None:
        """What is written next, for a refusal: `where`, from the expressions `roots`; an
        operator of theirs that RULES marks Unsupported is refused now, before any text."""
        self.where = where
        refuse_unsupported(RULES, EXPORTER, where, roots)

    def division(self, e: Op, a: str, b: str) -> str:
        op, x, y = e.op, e.args[0], e.args[1]
        bx, by = self.bounds(x), self.bounds(y)
        c = "/" if op == "floordiv" else "%"
        if bx is not None and by is not None and bx[0] >= 0 and by[0] > 0:  # C's truncation is the floor here
            return f"({a} {c} {b})"
        if op == "floordiv":
            text = f"(({a} / {b}) - ((({a} % {b}) != 0 && (({a} < 0) != ({b} < 0))) -> 1 : 0))"
        else:
            text = f"(({a} % {b}) + ((({a} % {b}) != 0 && ((({a} % {b}) < 0) != ({b} < 0))) -> {b} : 0))"
        if by is None or by[0] <= 0 <= by[1]:  # division by zero is an error: read _bad out of bounds
            text = f"(({b} == 0) -> _bad[{b} + 1] : {text})"
        return text

    def index(self, e: Index, post: Mapping[int, str] | None) -> str:
        i = self.expr(e.index, post)
        n = len(e.choices)
        bk = self.bounds(e.index)
        in_range = bk is not None and e.offset <= bk[0] and bk[1] <= e.offset + n - 1
        choices = [self.expr(c, post) for c in e.choices]
        if in_range:
            text = choices[-1]
            arms = list(enumerate(choices))[:-1]
            if not arms and _may_fail(e.index):  # still evaluate the index, for its errors
                # (the key is proved to be the offset: the other branch is never taken, and
                # a 0 there keeps nested one-key maps from doubling the text at each level)
                return f"(({i} == {_int(e.offset)}) -> {text} : 0)"
        else:
            text = f"_bad[{i} - {_int(e.offset)}]"  # out of range: an invalid array index
            arms = list(enumerate(choices))
        for k, c in reversed(arms):
            text = f"(({i} == {_int(k + e.offset)}) -> {c} : {text})"
        return text

    # -- the model --------------------------------------------------------------------------

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps - 1}"

    def body(self, a: Action, guard_extra: list[str], action_props: list[tuple[str, Expr]], init: bool) -> list[str]:
        """The statements of one d_step: guard, updates via temporaries, checks, commit."""
        self.at(where_action(a, initial=init), action_roots(a))
        ups = list(a.updates)
        updated = {s for s, _ in ups}
        reads = [slots_read([e]) for _, e in ups]
        read_by_props = slots_read([e for _, e in action_props])
        stmts = []
        guard = [self.expr(a.guard)] + guard_extra
        stmts.append(("(" + " && ".join(guard) + ")") if len(guard) > 1 else guard[0])
        temps: dict[int, str] = {}
        direct: list[tuple[int, Expr]] = []
        checks: list[str] = []
        self.temps = 0
        for k, (slot, e) in enumerate(ups):
            read_by_others = any(slot in r for j, r in enumerate(reads) if j != k)
            d = self.p.slots[slot].domain
            be = self.bounds(e)
            needs_check = be is None or not (d.lo <= be[0] and be[1] <= d.hi)
            if read_by_others or slot in read_by_props or needs_check:
                t = self.temp()
                temps[slot] = t
                stmts.append(f"{t} = {self.expr(e)}")
                if needs_check:
                    checks.append(f"assert({t} >= {_int(d.lo)} && {t} <= {_int(d.hi)})  /* {self.p.slots[slot].name} in {d.describe()} */")
            else:
                direct.append((slot, e))
        stmts += checks
        for slot, e in direct:
            stmts.append(self.store(slot, self.expr(e)))
        post = dict(temps)
        for name, e in action_props:
            stmts.append(f"assert({self.expr(e, post)})  /* action property {name} */")
        for slot, t in temps.items():
            stmts.append(self.store(slot, t))
        if init:
            missing = [s.index for s in self.p.slots if s.index not in updated]
            for slot in missing:  # an init that leaves a slot alone starts it at 0
                stmts.append(self.store(slot, "0"))
        return stmts

    def store(self, slot: int, value: str) -> str:
        st = self.storage[slot]
        return f"{self.slot_name[slot]} = {value}" if st.bias == 0 else f"{self.slot_name[slot]} = {value} + {st.bias}"

    def build(self) -> PromelaExport:
        p = self.p
        if not p.slots:
            raise ExportError(f"{p.name} has no state variables; there is nothing to export")
        constraints = []
        for c in checked_properties(p, "constraint", self.skip):
            self.at(where_property(c), [c.expr])
            constraints.append(self.expr(c.expr))
        action_props = []
        for c in checked_properties(p, "action", self.skip):
            self.at(where_property(c), [c.expr])  # written into every action's d_step
            action_props.append((c.name, c.expr))
        # initial values in declarations when there is one constant initial state
        init_values: dict[int, int] | None = None
        if len(p.inits) == 1 and isinstance(p.inits[0].guard, Const) and p.inits[0].guard.value:
            ups = dict(p.inits[0].updates)
            if all(isinstance(e, Const) for e in ups.values()):
                init_values = {s.index: 0 for s in p.slots}
                for s, e in ups.items():
                    assert isinstance(e, Const)
                    init_values[s] = e.value
                if any(not p.slots[s].domain.contains(v) for s, v in init_values.items()):
                    init_values = None  # let the init d_step's domain assert report it
        max_temps = 0
        options: list[str] = []
        for a in p.actions:
            stmts = self.body(a, constraints, action_props, init=False)
            max_temps = max(max_temps, self.temps)
            options.append(self.option(a.label, stmts))
        init_block: list[str] = []
        if init_values is None:
            init_opts = []
            for a in p.inits:
                stmts = self.body(a, [], [], init=True)
                max_temps = max(max_temps, self.temps)
                init_opts.append(self.option(f"initial state: {a.label}", stmts))
            init_block = ["  if"] + init_opts + ["  fi;"]
        for inv in checked_properties(p, "invariant", self.skip):
            self.at(where_property(inv), [inv.expr])
            text = self.expr(inv.expr)
            options.append(f"  :: d_step {{ /* invariant {inv.name} */\n       !{text} -> assert({text})\n     }}")
        # declarations
        decls = []
        for slot, nm, st in zip(p.slots, self.slot_name, self.storage):
            v = 0 if init_values is None else init_values[slot.index]
            bias = f", stored + {st.bias}" if st.bias else ""
            decls.append(f"{st.ctype} {nm} = {v + st.bias};  /* {slot.name}: {slot.domain.describe()}{bias} */")
        hidden = [f"hidden int {', '.join(f'_t{k}' for k in range(max_temps))};"] if max_temps else []
        hidden.append("hidden byte _bad[1];  /* read out of bounds on division by zero or a bad map key */")
        extra = 1 if init_values is None else 0
        settings = ", ".join(f"{k}={v}" for k, v in sorted(p.settings.items()))
        head = [
            f"/* Generated by `replicheck export` from model {p.name}"
            + (f", variant {p.variant}" if p.variant else "")
            + (f" ({settings})" if settings else "")
            + ". Regenerate rather than edit.",
            f"   spin -a {model_file_name(p)}.pml && gcc {' '.join(PAN_FLAGS)} -o pan pan.c && ./pan -m1000000",
            f"   replicheck_extra_states: {extra}"
            + ("  (Spin also stores the state before initialisation)" if extra else "")
            + " */",
            "",
        ]
        not_exported = [f"{q.kind} {q.name}" for q in p.properties
                        if q.kind in ("liveness", "reachable", "measure") and q.name not in self.skip]
        if not_exported:
            head.append("/* Not exported (check them with replicheck): " + ", ".join(not_exported) + " */")
            head.append("")
        proc = ["active proctype main() {"] + init_block
        proc.append("end:" if not self.deadlock else "  /* no end label: a state without successors is a deadlock */")
        proc += ["  do"] + options + ["  od", "}"]
        text = "\n".join(head + self.defines + ([""] if self.defines else []) + decls + hidden + [""] + proc) + "\n"
        return PromelaExport(model_file_name(p), text, extra)

    def option(self, label: str, stmts: list[str]) -> str:
        first, rest = stmts[0], stmts[1:]
        lines = [f"  :: d_step {{ /* {label} */", f"       {first} ->"]
        lines += [f"       {s};" for s in rest[:-1]] + ([f"       {rest[-1]}"] if rest else ["       skip"])
        lines.append("     }")
        return "\n".join(lines)


def _may_fail(e: Expr) -> bool:
    """Whether e may raise a run-time error: an index, or a partial primitive (division)."""
    return any(isinstance(n, Index) or (isinstance(n, Op) and PRIMITIVES[n.op].partial is not None) for n in walk([e]))


# -- the operators: one rule per IR primitive ------------------------------------------------

PromelaRule = Callable[[_Promela, Op, Sequence[str]], str]
"""A primitive's Promela form: the writer, the node and its operands' texts -> the text."""


def _infix(sym: str) -> PromelaRule:
    def rule(w: _Promela, e: Op, a: Sequence[str]) -> str:
        return f"({a[0]} {sym} {a[1]})"
    return rule


RULES: dict[str, PromelaRule | Unsupported] = {
    "and": lambda w, e, a: "(" + " && ".join(a) + ")",
    "or": lambda w, e, a: "(" + " || ".join(a) + ")",
    "not": lambda w, e, a: f"(!{a[0]})",
    "implies": lambda w, e, a: f"(!{a[0]} || {a[1]})",
    "add": _infix("+"),
    "sub": _infix("-"),
    "mul": _infix("*"),
    "neg": lambda w, e, a: f"(-{a[0]})",
    "floordiv": lambda w, e, a: w.division(e, a[0], a[1]),
    "mod": lambda w, e, a: w.division(e, a[0], a[1]),
    "min": lambda w, e, a: f"(({a[0]} <= {a[1]}) -> {a[0]} : {a[1]})",
    "max": lambda w, e, a: f"(({a[0]} >= {a[1]}) -> {a[0]} : {a[1]})",
    "eq": _infix("=="),
    "ne": _infix("!="),
    "lt": _infix("<"),
    "le": _infix("<="),
    "gt": _infix(">"),
    "ge": _infix(">="),
    "ite": lambda w, e, a: f"({a[0]} -> {a[1]} : {a[2]})",
}
"""Every IR primitive's Promela form (or why there is none); `tests/ir/test_primitives.py`
checks that the keys are exactly `PRIMITIVES`. `&&`, `||` and `(c -> a : b)` are lazy in
the C that Spin generates, as the reference evaluator's `and`, `or` and `ite` are."""
EXPORTER = "Promela"


def _int(v: int) -> str:
    return f"({v})" if v < 0 else str(v)




class PromelaExpressions:
    """The expression translation on its own, and the values its names take in a state: for
    testing the translation against the reference evaluator without Spin."""

    def __init__(self, program: Program) -> None:
        self._w = _Promela(program, False, ())
        self._program = program

    def text(self, e: Expr, with_post: bool = False) -> str:
        post = {s.index: f"_post{s.index}" for s in self._program.slots} if with_post else None
        return self._w.expr(e, post)

    def names(self, pre: tuple[int, ...], post: tuple[int, ...] | None = None) -> dict[str, int]:
        """Every name the texts may use: slots (as stored), constants, `_post<slot>` values."""
        env = {nm: v + st.bias for nm, st, v in zip(self._w.slot_name, self._w.storage, pre)}
        env.update({nm: key[1] for key, nm in self._w.consts.items()})
        if post is not None:
            env.update({f"_post{i}": v for i, v in enumerate(post)})
        return env


__all__ = ["PAN_FLAGS", "PromelaExport", "PromelaExpressions", "export_promela"]
