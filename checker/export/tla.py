"""The TLA+ exporter: a traced `Program` as a TLA+ module and a TLC configuration.

Owns: `export_tla` and `TlaExport`. The module has one TLA+ variable per replicheck state
variable (a scalar as a value, a map or set as a function from its keys, a map over several
sorts as a function over tuples), the sort elements as model values (`none` as one more
model value per sort), `Init`, one operator per action instance, `Next`, `Spec` with the
declared fairness, the invariants (plus `Domains`, the slot domains, which replicheck checks
as it explores), the action properties as `[][P]_vars`, the liveness properties as temporal
formulas and the reachability targets and measures as plain operators. The .cfg checks the
invariants and action properties with INIT/NEXT, so TLC counts exactly the states replicheck
counts; a comment in it says how to check the liveness properties with `SPECIFICATION Spec`.

Semantics carried over: `floordiv`/`mod` are Python's floor division (`FloorDiv`/`FloorMod`
below; TLC reports division by zero as an error, as replicheck does); `and`/`or`/`=>` and
IF are lazy in TLC as in the reference evaluator; a state-dependent index (`Index`) is a
CASE with no OTHER, so an index outside the map's keys is an error in TLC too.

Must not import: anything of checker but `replicheck.ir` and `replicheck.export.common`; no z3,
numpy or hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from replicheck.ir import (
    Action,
    BoolType,
    Const,
    Domain,
    ElemType,
    EnumType,
    Expr,
    Index,
    Op,
    Post,
    Program,
    Property,
    StateVar,
    Type,
    Var,
)
from replicheck.ir.nodes import walk

from .common import ExportError, Namer, checked_properties, unknown_skips

TLA_RESERVED: tuple[str, ...] = tuple((
    "ASSUME ASSUMPTION AXIOM BOOLEAN CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED EXCEPT "
    "EXTENDS FALSE IF IN INSTANCE LAMBDA LET LOCAL MODULE OTHER STRING SUBSET THEN THEOREM TRUE "
    "UNCHANGED UNION VARIABLE VARIABLES WITH LEMMA PROPOSITION COROLLARY BY OBVIOUS OMITTED QED "
    "PROOF USE HIDE DEFINE DEFS HAVE TAKE WITNESS PICK SUFFICES NEW STATE ACTION TEMPORAL ONLY "
    "RECURSIVE INSTANCE Nat Int Real Infinity Seq Len Head Tail Append SubSeq SelectSeq Print "
    "PrintT Assert JavaTime TLCGet TLCSet Permutations SortSeq RandomElement Any ToString "
    "TLCEval vars Init Next Spec Domains FloorDiv FloorMod Min2 Max2"
).split())

_BINARY = {"add": "+", "sub": "-", "mul": "*", "eq": "=", "ne": "#", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_CALL = {"floordiv": "FloorDiv", "mod": "FloorMod", "min": "Min2", "max": "Max2"}
_TEMPORAL = {"eventually": "<>({p})", "always_eventually": "[]<>({p})", "eventually_always": "<>[]({p})",
             "leads_to": "({p}) ~> ({q})"}


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


class _Tla:
    def __init__(self, program: Program, module: str, deadlock: bool, skip: tuple[str, ...]) -> None:
        self.p = program
        self.module = module
        self.deadlock = deadlock
        self.skip = skip
        self.names = Namer(TLA_RESERVED + (module,))
        self.sort_set: dict[str, str] = {}
        self.elem: dict[tuple[str, int], str] = {}
        self.none: dict[str, str] = {}
        for s in program.sorts:
            self.sort_set[s.name] = self.names.fresh(s.name)
        for s in program.sorts:
            for i, n in enumerate(s.type.names):
                self.elem[(s.name, i)] = self.names.fresh(n)
        for s in program.sorts:
            self.none[s.name] = self.names.fresh(f"none_{s.name}")
        self.used_none: set[str] = set()
        self.var_name: dict[str, str] = {v.name: self.names.fresh(v.name) for v in program.vars}
        self.slot_var: list[StateVar] = []
        by_name = {v.name: v for v in program.vars}
        for slot in program.slots:
            self.slot_var.append(by_name[slot.var])
        self.let_counter = 0

    # -- values -----------------------------------------------------------------------------

    def _sort_of(self, t: ElemType) -> str:
        if t.sort not in self.sort_set:  # a sort the program does not list: declare it
            self.sort_set[t.sort] = self.names.fresh(t.sort)
            for i, n in enumerate(t.names):
                self.elem[(t.sort, i)] = self.names.fresh(n)
            self.none[t.sort] = self.names.fresh(f"none_{t.sort}")
        return t.sort

    def value(self, t: Type, v: int) -> str:
        if isinstance(t, BoolType):
            return "TRUE" if v else "FALSE"
        if isinstance(t, EnumType):
            if not 0 <= v < len(t.values):
                raise ExportError(f"value {v} is not one of the values of enum {t.name}")
            return f'"{t.values[v]}"'
        if isinstance(t, ElemType):
            sort = self._sort_of(t)
            if v == -1:
                self.used_none.add(sort)
                return self.none[sort]
            if not 0 <= v < t.size:
                raise ExportError(f"element #{v} is not an element of sort {t.sort}")
            return self.elem[(sort, v)]
        return f"({v})" if v < 0 else str(v)

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
        if isinstance(t, (BoolType, EnumType, ElemType)):
            return "{" + ", ".join(self.value(t, v) for v in d.values()) + "}"
        return f"({self.value(t, d.lo)}..{self.value(t, d.hi)})"

    def key_domain(self, var: StateVar) -> str:
        sets = [self.value_set(k) for k in var.keys]
        return sets[0] if len(sets) == 1 else " \\X ".join(sets)

    def key_literal(self, slot: int) -> str | None:
        s = self.p.slots[slot]
        if not s.key:
            return None
        parts = [self.value(t, k) for t, k in zip(s.key_types, s.key)]
        return parts[0] if len(parts) == 1 else "<<" + ", ".join(parts) + ">>"

    def slot_ref(self, slot: int, primed: bool = False) -> str:
        name = self.var_name[self.p.slots[slot].var] + ("'" if primed else "")
        key = self.key_literal(slot)
        return name if key is None else f"{name}[{key}]"

    # -- expressions ------------------------------------------------------------------------

    def expr(self, e: Expr) -> str:
        if isinstance(e, Const):
            return self.value(e.type, e.value)
        if isinstance(e, Var):
            return self.slot_ref(e.slot)
        if isinstance(e, Post):
            return self.slot_ref(e.slot, primed=True)
        if isinstance(e, Index):
            return self.index(e)
        if isinstance(e, Op):
            return self.op(e)
        raise ExportError(f"no TLA+ rule for IR node {type(e).__name__}")

    def op(self, e: Op) -> str:
        a = [self.expr(x) for x in e.args]
        op = e.op
        if op == "and":
            return "(" + " /\\ ".join(a) + ")"
        if op == "or":
            return "(" + " \\/ ".join(a) + ")"
        if op == "not":
            return f"(~{a[0]})"
        if op == "implies":
            return f"({a[0]} => {a[1]})"
        if op == "neg":
            return f"(-{a[0]})"
        if op == "ite":
            return f"(IF {a[0]} THEN {a[1]} ELSE {a[2]})"
        if op in _BINARY:
            return f"({a[0]} {_BINARY[op]} {a[1]})"
        if op in _CALL:
            return f"{_CALL[op]}({a[0]}, {a[1]})"
        raise ExportError(f"no TLA+ rule for operator {op!r}")

    def index(self, e: Index) -> str:
        self.let_counter += 1
        i = f"pc_i{self.let_counter}"
        t = e.index.type
        # an arm for a key the index's type cannot take could never be chosen: leave it out
        arms = [f"{i} = {self.value(t, k + e.offset)} -> {self.expr(c)}"
                for k, c in enumerate(e.choices) if _representable(t, k + e.offset)]
        if not arms:  # no key can match: TLC reports the CASE with no true arm, as replicheck does
            arms = [f"FALSE -> {self.expr(e.choices[0])}"]
        return f"(LET {i} == {self.expr(e.index)} IN CASE " + " [] ".join(arms) + ")"

    # -- the module -------------------------------------------------------------------------

    def assignment(self, var: StateVar, updates: dict[int, Expr], primed: bool) -> str:
        """`var' = ...` for an action (EXCEPT over the old function) or `var = ...` for Init."""
        name = self.var_name[var.name]
        lhs = name + ("'" if primed else "")
        if var.kind == "scalar":
            return f"{lhs} = {self.expr(updates[var.first_slot])}"
        if primed:
            parts = [f"![{self.key_literal(s)}] = {self.expr(updates[s])}" for s in var.slot_range() if s in updates]
            return f"{lhs} = [{name} EXCEPT " + ", ".join(parts) + "]"
        texts = [self.expr(updates[s]) for s in var.slot_range()]
        if all(t == texts[0] for t in texts):
            return f"{lhs} = [k \\in {self.key_domain(var)} |-> {texts[0]}]"
        pairs = [f"{self.key_literal(s)} :> {t}" for s, t in zip(var.slot_range(), texts)]
        return f"{lhs} = (" + " @@ ".join(pairs) + ")"

    def action_body(self, a: Action) -> list[str]:
        lines = [f"    /\\ {self.expr(a.guard)}"]
        ups = dict(a.updates)
        unchanged = []
        for v in self.p.vars:
            if any(s in ups for s in v.slot_range()):
                lines.append(f"    /\\ {self.assignment(v, ups, primed=True)}")
            else:
                unchanged.append(self.var_name[v.name])
        if unchanged:
            lines.append(f"    /\\ UNCHANGED <<{', '.join(unchanged)}>>")
        return lines

    def init_body(self, a: Action) -> list[str]:
        ups = dict(a.updates)
        for s in self.p.slots:  # slots an init leaves alone start at 0
            if s.index not in ups:
                ups[s.index] = Const(s.domain.type, 0)
        lines = [f"    /\\ {self.expr(a.guard)}"] if not (isinstance(a.guard, Const) and a.guard.value) else []
        lines += [f"    /\\ {self.assignment(v, ups, primed=False)}" for v in self.p.vars]
        return lines

    def build(self) -> TlaExport:
        p = self.p
        if not p.vars:
            raise ExportError(f"{p.name} has no state variables; there is nothing to export")
        body: list[str] = []
        # Init
        if len(p.inits) == 1:
            body.append("Init ==")
            body += self.init_body(p.inits[0])
        else:
            init_names = []
            for k, a in enumerate(p.inits, 1):
                nm = self.names.fresh(f"Init_{k}")
                init_names.append(nm)
                body.append(f"{nm} ==")
                body += self.init_body(a)
                body.append("")
            body.append("Init ==")
            body += [f"    \\/ {nm}" for nm in init_names] or ["    FALSE"]
        body.append("")
        # actions
        act_names: list[tuple[Action, str]] = []
        for a in p.actions:
            nm = self.names.fresh(_action_ident(a))
            act_names.append((a, nm))
            body.append(f"\\* {a.label}" + (f"  ({a.source})" if a.source.line else ""))
            body.append(f"{nm} ==")
            body += self.action_body(a)
            body.append("")
        constraints = checked_properties(p, "constraint", self.skip)
        cons_names = []
        for c in constraints:
            nm = self.names.fresh(c.name)
            cons_names.append(nm)
            body.append("\\* @constraint: states where it is false are checked but not explored")
            body.append(f"{nm} == {self.expr(c.expr)}")
            body.append("")
        body.append("Next ==")
        disj = [f"    \\/ {nm}" for _, nm in act_names] or ["    FALSE"]
        if cons_names:
            body.append("    /\\ " + " /\\ ".join(cons_names))
            body.append("    /\\ " + disj[0].strip())
            body += ["       " + d.strip() for d in disj[1:]]
        else:
            body += disj
        body.append("")
        fair = [
            f"{'WF' if a.fairness == 'weak' else 'SF'}_vars({nm})" for a, nm in act_names if a.fairness in ("weak", "strong")
        ]
        body.append("Spec == Init /\\ [][Next]_vars" + "".join(f"\n        /\\ {f}" for f in fair))
        body.append("")
        # properties
        body.append("\\* The slot domains: replicheck reports a value outside them as a violation.")
        dom = [f"    /\\ {self.domain_check(v)}" for v in p.vars]
        body.append("Domains ==")
        body += dom
        body.append("")
        invariants = ["Domains"]
        properties = []
        for prop in checked_properties(p, "invariant", self.skip):
            nm = self.names.fresh(prop.name)
            invariants.append(nm)
            body += self.prop_def(prop, nm, self.expr(prop.expr))
        for prop in checked_properties(p, "action", self.skip):
            nm = self.names.fresh(prop.name)
            step = self.names.fresh(prop.name + "_step")
            body += self.prop_def(prop, step, self.expr(prop.expr))
            body.append(f"{nm} == [][{step}]_vars")
            body.append("")
            properties.append(nm)
        liveness = []
        for prop in checked_properties(p, "liveness", self.skip):
            nm = self.names.fresh(prop.name)
            q = self.expr(prop.expr2) if prop.expr2 is not None else ""
            form = _TEMPORAL.get(prop.temporal)
            if form is None:
                raise ExportError(f"no TLA+ form for the temporal operator {prop.temporal!r} of {prop.name}")
            body += self.prop_def(prop, nm, form.format(p=self.expr(prop.expr), q=q))
            liveness.append(nm)
        for kind, note in (("reachable", "a reachability target: check with INVARIANT ~{n} to find a witness"),
                           ("measure", "a measure: replicheck reports its range over the reachable states")):
            for prop in checked_properties(p, kind, self.skip):
                nm = self.names.fresh(prop.name)
                body.append(f"\\* {note.format(n=nm)}")
                body += self.prop_def(prop, nm, self.expr(prop.expr))
        header = self.header()
        tla = "\n".join(header + body + ["=" * 78, ""])
        cfg = self.cfg(invariants, properties, liveness)
        return TlaExport(self.module, tla, cfg)

    def domain_check(self, v: StateVar) -> str:
        name = self.var_name[v.name]
        if v.kind == "scalar":
            return f"{name} \\in {self.value_set(v.value)}"
        return f"{name} \\in [{self.key_domain(v)} -> {self.value_set(v.value)}]"

    def prop_def(self, prop: Property, name: str, text: str) -> list[str]:
        doc = prop.doc.strip().splitlines()[0] if prop.doc.strip() else ""
        out = [f"\\* {prop.name}: {doc}"] if doc else []
        return out + [f"{name} ==", f"    {text}", ""]

    def header(self) -> list[str]:
        p = self.p
        settings = ", ".join(f"{k}={v}" for k, v in sorted(p.settings.items()))
        lines = [
            f"{'-' * 20} MODULE {self.module} {'-' * 20}",
            f"(* Generated by `replicheck export` from model {p.name}"
            + (f", variant {p.variant}" if p.variant else "")
            + (f" ({settings})" if settings else "")
            + ".",
            "   One TLA+ variable per replicheck state variable; maps are functions from their keys.",
            "   Regenerate rather than edit. *)",
            "EXTENDS Integers, TLC",
            "",
        ]
        consts = []
        for s in self.sort_set:
            consts += [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            if s in self.used_none:
                consts.append(self.none[s])
        if consts:
            lines.append("CONSTANTS " + ", ".join(consts))
            lines.append("")
        for s, nm in self.sort_set.items():
            elems = [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            lines.append(f"{nm} == {{{', '.join(elems)}}}")
        lines.append("")
        vs = [self.var_name[v.name] for v in p.vars]
        lines.append("VARIABLES " + ", ".join(vs))
        lines.append("vars == <<" + ", ".join(vs) + ">>")
        lines.append("")
        lines += [
            "\\* Python's floor division and modulo (replicheck's semantics); b = 0 is an error.",
            "FloorDiv(a, b) == IF b > 0 THEN a \\div b ELSE (-a) \\div (-b)",
            "FloorMod(a, b) == a - b * FloorDiv(a, b)",
            "Min2(a, b) == IF a <= b THEN a ELSE b",
            "Max2(a, b) == IF a >= b THEN a ELSE b",
            "",
        ]
        return lines

    def cfg(self, invariants: list[str], properties: list[str], liveness: list[str]) -> str:
        lines = [f"\\* TLC configuration for {self.module}.tla, generated by `replicheck export`."]
        consts = []
        for s in self.sort_set:
            consts += [self.elem[k] for k in sorted(self.elem) if k[0] == s]
            if s in self.used_none:
                consts.append(self.none[s])
        if consts:
            lines.append("CONSTANTS")
            lines += [f"    {c} = {c}" for c in consts]
        lines += ["INIT Init", "NEXT Next"]
        if invariants:
            lines.append("INVARIANT")
            lines += [f"    {i}" for i in invariants]
        if properties:
            lines.append("PROPERTY")
            lines += [f"    {i}" for i in properties]
        if not self.deadlock:
            lines.append("CHECK_DEADLOCK FALSE")
        if liveness:
            lines.append("\\* Liveness (needs the fairness of Spec): replace INIT/NEXT by SPECIFICATION Spec and add")
            lines.append("\\* PROPERTY " + " ".join(liveness))
        return "\n".join(lines) + "\n"


class TlaExpressions:
    """The expression translation on its own, and the values its names denote in a state:
    for testing the translation against the reference evaluator without TLC. Values are
    replicheck's encoded ints: a model value is its element index (`none` is -1), a string is
    its enum index, a function is a dict from encoded keys (a tuple for several keys)."""

    def __init__(self, program: Program) -> None:
        self._w = _Tla(program, "M", False, ())
        self._program = program

    def text(self, e: Expr) -> str:
        return self._w.expr(e)

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


def _representable(t: Type, v: int) -> bool:
    if isinstance(t, BoolType):
        return v in (0, 1)
    if isinstance(t, EnumType):
        return 0 <= v < len(t.values)
    if isinstance(t, ElemType):
        return (-1 if t.has_none else 0) <= v < t.size
    return True


def _action_ident(a: Action) -> str:
    parts = [a.family] + [p.shown() for p in a.params]
    return "_".join(x.replace("-", "m") for x in parts)
