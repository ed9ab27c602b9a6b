"""The compiled scalar backend: IR -> straight-line Python source, `exec`'d once per program.

Owns: `compile_program` and `CompiledProgram` (successor generation, firing one action,
initial states, invariant and action-property checks on single states), the exploration
kernel `CompiledProgram.expander` that the explicit-state engines drive, and `RULES`, the
table of code-generation rules (one per operator in `replicheck.ir.nodes.OPS`, one per node
kind in `NODE_KINDS`; a test checks it is complete).

Must not import: z3, numpy, hypothesis; nothing of checker but `replicheck.ir` and
`replicheck.backends.reference` (for `ModelRuntimeError`).

Semantics equal `replicheck.backends.reference` exactly on states whose slots are within their
domains: `and`/`or`/`implies`/`ite` and the choices of `Index` are lazy (Python's own `and`,
`or` and conditional expressions), an out-of-range `Index` and division or modulo by zero
raise `ModelRuntimeError` with the reference's message, and `//`/`%` are Python's. The
range analysis `replicheck.ir.check.bounds` assumes every slot holds a value of its domain;
range checks it proves unnecessary are not generated. Its bounds are exact or unknown
(`CNode.lo`/`hi` None), and unknown bounds prove nothing: the check stays. So only call this backend on states
within their domains (explorers never expand a state that is not: it is a violation).

How the generated code looks:

* Subexpressions are hash-consed (structurally equal nodes become one), so a test shared by
  several action instances, e.g. `rm_state[r1] == working` in `rm_prepare(r1)` and
  `rm_choose_to_abort(r1)`, is one node. A node that cannot raise, is evaluated for every
  state anyway (it is in the strict part of an invariant or of a guard), and is used more than
  once, is computed once into a temporary at the top of the function; a node that cannot
  raise and is used more than once by one action's updates is computed once inside that
  action's block. Everything else is inlined, so laziness and the order in which run-time
  errors surface are the reference's.
* One function per program unpacks the state once (`s0, s1, ... = st`), tests each action
  instance's guard inline, in `program.actions` order, and builds the successor as a tuple
  literal. Bool values are exact 0/1 ints in every state tuple.

Out-of-domain successors: `may_leave_domain[a]` says whether action `a` can assign a value
outside a slot's domain (the range analysis could not prove it cannot) and
`risky_slots[a]` lists those slots; an engine need only check successors of those actions.
The kernel returned by `expander` generates exactly those checks inline and reports a bad
successor as an event instead of storing it.

The exploration kernel (`CompiledProgram.expander`) works on *packed* states: one int per
state, slot k holding `value - lo` in a fixed bit field (`pack`/`unpack` convert; every
in-domain state packs, and out-of-domain successors are caught before packing). Hashing and
comparing one int is far cheaper than a 20-slot tuple (measured: a 27-slot tuple's hash and
dict lookup cost ~0.5us each), and a successor is `p + ((new - old) << offset)` per updated
slot, so no tuple is built in the hot loop. `expand(p, i) -> int` unpacks `p` (the state
with store index `i`) into locals, checks the chosen invariants and pending reachability
targets, then for each enabled action instance checks the successor's domain (only slots
the range analysis could not prove in range) and the chosen action properties, packs it
into `t`, and if `t not in seen` does `seen[t] = i; push(t)` — the store's seen-check and
parent link, inline. It returns the number of enabled action instances (0 means deadlock).
Anything unusual is appended to `events` as `(kind, code, state)` (`state` a tuple):
  ("invariant", property index, None)  an invariant is false in `p`
  ("reachable", property index, None)  a reachability target holds in `p` (only while
                                       `reach_pending[k]` is true for its position k)
  ("domain", action index, t)          successor `t` has a slot outside its domain (not
                                       stored)
  ("action", (property index, action index), t)   an action property fails on (p, t)
Property indices are positions in `program.properties`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from replicheck.ir import (
    NODE_KINDS,
    OPS,
    BoolType,
    Const,
    Expr,
    Index,
    Op,
    Post,
    Program,
    SourceInfo,
    State,
    Type,
    Var,
    bounds,
)
from replicheck.ir.nodes import walk

from .reference import ModelRuntimeError, index_message

Expander = Callable[[int, int], int]  # expand(packed state, its index) -> enabled count


# -- run-time helpers the generated code calls (only where a check is needed) ------------


def _index_error(k: int, site: tuple[Type, int, int, SourceInfo | None]) -> int:
    t, offset, n, source = site
    # int(): a Bool index may be a Python bool here
    raise ModelRuntimeError(index_message(t, int(k), offset, n), source)


def _fdiv(x: int, y: int) -> int:
    if y == 0:
        raise ModelRuntimeError("division by zero")
    return x // y


def _fmod(x: int, y: int) -> int:
    if y == 0:
        raise ModelRuntimeError("modulo by zero")
    return x % y


# -- hash-consed nodes --------------------------------------------------------------------


@dataclass
class CNode:
    """A hash-consed IR node: children are ids of other CNodes."""

    kind: type[Expr]
    op: str
    type: Type
    value: int  # Const value, Var/Post slot, Index offset
    args: tuple[int, ...]  # Op operands; Index: choices then the index
    source: SourceInfo | None
    lo: int | None  # the range analysis's exact bounds; both None when they are unknown
    hi: int | None
    safe: bool  # evaluating it (and everything below it) can never raise
    exact: bool  # its generated code yields an exact int (not a Python bool)

    @property
    def trivial(self) -> bool:
        return self.kind in (Const, Var, Post)

    @property
    def known(self) -> bool:
        return self.lo is not None and self.hi is not None

    def within(self, lo: int, hi: int) -> bool:
        """Proved (by exact bounds) to take only values in lo..hi."""
        return self.lo is not None and self.hi is not None and lo <= self.lo and self.hi <= hi

    @property
    def nonzero(self) -> bool:
        """Proved never to be 0 (a divisor that needs no run-time check)."""
        return self.lo is not None and self.hi is not None and (self.lo > 0 or self.hi < 0)


_LAZY = ("and", "or", "implies", "ite")


class _Sources:
    """Index sites (key type, offset, number of keys, source) referenced by generated code
    for its error messages, as module-level constants."""

    def __init__(self) -> None:
        self.names: dict[tuple[Type, int, int, SourceInfo | None], str] = {}

    def name(self, site: tuple[Type, int, int, SourceInfo | None]) -> str:
        if site not in self.names:
            self.names[site] = f"_site{len(self.names)}"
        return self.names[site]


class Graph:
    """Hash-consing of IR expressions into CNodes, with bounds and safety."""

    def __init__(self, program: Program, trust_bounds: bool = True) -> None:
        self.program = program
        self.trust = trust_bounds
        self.nodes: list[CNode] = []
        self.keys: dict[tuple[Any, ...], int] = {}
        self.by_id: dict[int, int] = {}
        self.bounds_memo: dict[int, tuple[int, int] | None] = {}
        self._keep: list[Expr] = []  # keep originals alive so that id() stays unique
        self.sources = _Sources()

    def add(self, e: Expr) -> int:
        if id(e) in self.by_id:
            return self.by_id[id(e)]
        for n in walk([e]):
            if id(n) in self.by_id:
                continue
            self._keep.append(n)
            self.by_id[id(n)] = self._add_one(n)
        return self.by_id[id(e)]

    def _add_one(self, n: Expr) -> int:
        lo: int | None = None
        hi: int | None = None
        if self.trust:
            b = bounds(n, self.program.slots, self.bounds_memo)
            if b is not None:
                lo, hi = b
        if isinstance(n, Const):
            key: tuple[Any, ...] = ("c", n.type, n.value)
            node = CNode(Const, "", n.type, n.value, (), None, n.value, n.value, True, True)
        elif isinstance(n, (Var, Post)):
            key = ("v" if isinstance(n, Var) else "p", n.slot)
            node = CNode(type(n), "", n.type, n.slot, (), None, lo, hi, True, True)
        elif isinstance(n, Op):
            args = tuple(self.by_id[id(a)] for a in n.args)
            key = ("o", n.op, n.type, args)
            kids = [self.nodes[a] for a in args]
            safe = all(k.safe for k in kids)
            if n.op in ("floordiv", "mod"):
                safe = safe and kids[1].nonzero
            if not isinstance(n.type, BoolType):
                exact = True
            elif n.op in ("and", "or"):
                exact = all(k.exact for k in kids)
            elif n.op == "ite":
                exact = kids[1].exact and kids[2].exact
            else:
                exact = False
            node = CNode(Op, n.op, n.type, 0, args, None, lo, hi, safe, exact)
        elif isinstance(n, Index):
            args = tuple(self.by_id[id(a)] for a in n.choices) + (self.by_id[id(n.index)],)
            key = ("i", n.type, n.offset, args, n.source)
            kids = [self.nodes[a] for a in args]
            k = kids[-1]
            in_range = self.trust and k.within(n.offset, n.offset + len(n.choices) - 1)
            safe = in_range and all(c.safe for c in kids)
            exact = all(c.exact for c in kids[:-1])
            node = CNode(Index, "", n.type, n.offset, args, n.source, lo, hi, safe, exact)
        else:  # pragma: no cover - guarded by the coverage test
            raise TypeError(f"no rule for {type(n).__name__}")
        found = self.keys.get(key)
        if found is not None:
            return found
        self.nodes.append(node)
        self.keys[key] = len(self.nodes) - 1
        return len(self.nodes) - 1

    def in_range(self, cid: int) -> bool:
        n = self.nodes[cid]
        k = self.nodes[n.args[-1]]
        return self.trust and k.within(n.value, n.value + len(n.args) - 2)

    def strict_closure(self, roots: Iterable[int]) -> set[int]:
        """Nodes evaluated whenever the roots are (first operand of a lazy operator only)."""
        out: set[int] = set()
        stack = list(roots)
        while stack:
            c = stack.pop()
            if c in out:
                continue
            out.add(c)
            n = self.nodes[c]
            if n.kind is Op:
                stack.extend(n.args[:1] if n.op in _LAZY else n.args)
            elif n.kind is Index:
                stack.append(n.args[-1])
        return out

    def refcounts(self, roots: Sequence[int], stop: set[int] | frozenset[int] = frozenset()) -> dict[int, int]:
        """How often each node is used: by root positions and by distinct parents (not
        descending below the nodes in `stop`, which are already computed)."""
        counts: dict[int, int] = {}
        visited: set[int] = set()
        stack: list[int] = []
        for r in roots:
            counts[r] = counts.get(r, 0) + 1
            stack.append(r)
        while stack:
            c = stack.pop()
            if c in visited or c in stop:
                continue
            visited.add(c)
            for a in self.nodes[c].args:
                counts[a] = counts.get(a, 0) + 1
                stack.append(a)
        return counts


# -- code generation rules -----------------------------------------------------------------


# The generated text of one expression nests at most this many IR levels (each a few
# parentheses: Python's parser stops at 200); a deeper expression's inner part becomes a
# local function, `def _d7(): return ...`, called where the text would have been. It is
# called exactly when and where the text would have been evaluated, so laziness and the
# order in which run-time errors surface are unchanged.
NEST_LEVELS = 12


class Emitter:
    """Turns CNodes into Python expression text in one scope (names of temporaries,
    of pre-state slots and of post-state slots)."""

    def __init__(self, graph: Graph, temps: dict[int, str], post: dict[int, str] | None = None) -> None:
        self.g = graph
        self.temps = temps
        self.post = post
        self.counter = [0]
        self.facts: dict[int, int] = {}  # slot -> value known in this scope
        self.helpers: list[str] = []  # `def _dN(): return ...` lines for deep expressions
        self.levels: dict[int, int] = {}  # cid -> IR levels its text nests (see NEST_LEVELS)

    def fresh(self) -> str:
        self.counter[0] += 1
        return f"_w{self.counter[0]}"

    def child(self, temps: dict[int, str]) -> "Emitter":
        e = Emitter(self.g, temps, self.post)
        e.counter = self.counter
        return e

    def expr(self, cid: int) -> str:
        name = self.temps.get(cid)
        if name is not None:
            return name
        n = self.g.nodes[cid]
        text = NODE_RULES[n.kind](self, cid, n)
        level = 1 + max((self.levels.get(a, 0) for a in n.args), default=0)
        if level >= NEST_LEVELS:
            self.counter[0] += 1
            fn = f"_d{self.counter[0]}"
            self.helpers.append(f"def {fn}(): return {text}")
            text, level = f"{fn}()", 1
        self.levels[cid] = level
        return text

    def int_expr(self, cid: int) -> str:
        """Text whose value is an exact int (Bool values as 0/1, never True/False)."""
        n = self.g.nodes[cid]
        text = self.expr(cid)
        if n.exact:
            return text
        return f"(1 if {text} else 0)"

    @staticmethod
    def simple(text: str) -> bool:
        return text.isidentifier() or text.lstrip("-").isdigit()

    def bind(self, text: str) -> tuple[str, str]:
        """(first use, later uses) of a value used more than once in one expression."""
        if self.simple(text):
            return text, text
        w = self.fresh()
        return f"({w} := {text})", w


def _const(em: Emitter, cid: int, n: CNode) -> str:
    return str(n.value) if n.value >= 0 else f"({n.value})"


def _var(em: Emitter, cid: int, n: CNode) -> str:
    known = em.facts.get(n.value)
    if known is not None:
        return str(known) if known >= 0 else f"({known})"
    return f"s{n.value}"


def _post(em: Emitter, cid: int, n: CNode) -> str:
    if em.post is None:
        raise ValueError("next-state value read outside an action property")
    return em.post.get(n.value, f"s{n.value}")


def _op(em: Emitter, cid: int, n: CNode) -> str:
    return RULES[n.op](em, [em.expr(a) for a in n.args] if n.op not in _LAZY else n.args, n)


def _index(em: Emitter, cid: int, n: CNode) -> str:
    choices = n.args[:-1]
    k_node = em.g.nodes[n.args[-1]]
    offset = n.value
    first, later = em.bind(em.expr(n.args[-1]))
    in_range = em.g.in_range(cid)
    lo_i, hi_i = 0, len(choices) - 1
    if in_range:  # only the keys the index can take
        assert k_node.lo is not None and k_node.hi is not None
        lo_i, hi_i = max(0, k_node.lo - offset), min(len(choices) - 1, k_node.hi - offset)
        if lo_i == hi_i:
            if k_node.safe:
                return em.expr(choices[lo_i])
            return f"({first}, {em.expr(choices[lo_i])})[1]"

    def tree(a: int, b: int, head: str) -> str:
        if a == b:
            return em.expr(choices[a])
        mid = (a + b) // 2
        return f"({tree(a, mid, later)} if {head} <= {mid + offset} else {tree(mid + 1, b, later)})"

    if in_range:
        return tree(lo_i, hi_i, first)
    site = em.g.sources.name((k_node.type, offset, len(choices), n.source))
    return (
        f"({tree(lo_i, hi_i, later)} if {offset} <= {first} <= {offset + len(choices) - 1} "
        f"else _index_error({later}, {site}))"
    )


def _and(em: Emitter, args: Sequence[Any], n: CNode) -> str:
    return "(" + " and ".join(em.expr(a) for a in args) + ")"


def _or(em: Emitter, args: Sequence[Any], n: CNode) -> str:
    return "(" + " or ".join(em.expr(a) for a in args) + ")"


def _implies(em: Emitter, args: Sequence[Any], n: CNode) -> str:
    return f"((not {em.expr(args[0])}) or {em.expr(args[1])})"


def _ite(em: Emitter, args: Sequence[Any], n: CNode) -> str:
    return f"({em.expr(args[1])} if {em.expr(args[0])} else {em.expr(args[2])})"


def _binary(symbol: str) -> Callable[[Emitter, Sequence[Any], CNode], str]:
    def rule(em: Emitter, args: Sequence[Any], n: CNode) -> str:
        return f"({args[0]} {symbol} {args[1]})"

    return rule


def _divlike(symbol: str, helper: str) -> Callable[[Emitter, Sequence[Any], CNode], str]:
    def rule(em: Emitter, args: Sequence[Any], n: CNode) -> str:
        if em.g.nodes[n.args[1]].nonzero:
            return f"({args[0]} {symbol} {args[1]})"
        return f"{helper}({args[0]}, {args[1]})"

    return rule


def _minmax(cmp: str) -> Callable[[Emitter, Sequence[Any], CNode], str]:
    def rule(em: Emitter, args: Sequence[Any], n: CNode) -> str:
        a1, a2 = em.bind(args[0])
        b1, b2 = em.bind(args[1])
        return f"({a2} if {a1} {cmp} {b1} else {b2})"

    return rule


# One rule per operator. Strict rules receive their operands' text; the lazy ones (and, or,
# implies, ite) receive the operand node ids so that they control evaluation.
RULES: dict[str, Callable[[Emitter, Sequence[Any], CNode], str]] = {
    "and": _and,
    "or": _or,
    "not": lambda em, a, n: f"(not {a[0]})",
    "implies": _implies,
    "add": _binary("+"),
    "sub": _binary("-"),
    "mul": _binary("*"),
    "neg": lambda em, a, n: f"(-{a[0]})",
    "floordiv": _divlike("//", "_fdiv"),
    "mod": _divlike("%", "_fmod"),
    "min": _minmax("<="),
    "max": _minmax(">="),
    "eq": _binary("=="),
    "ne": _binary("!="),
    "lt": _binary("<"),
    "le": _binary("<="),
    "gt": _binary(">"),
    "ge": _binary(">="),
    "ite": _ite,
}
NODE_RULES: dict[type[Expr], Callable[[Emitter, int, CNode], str]] = {
    Const: _const,
    Var: _var,
    Post: _post,
    Op: _op,
    Index: _index,
}
assert set(RULES) == set(OPS) and set(NODE_RULES) == set(NODE_KINDS)


# -- whole functions -----------------------------------------------------------------------


def risky_slots(
    program: Program, g: Graph, updates: Sequence[Sequence[tuple[int, int]]], trust: bool = True
) -> list[tuple[int, ...]]:
    """For each action, the slots whose new value the range analysis cannot prove inside the
    slot's domain: only those need a run-time domain check. A slot is exempt only when its
    update has exact, known bounds within the domain; unknown bounds prove nothing."""
    risky: list[tuple[int, ...]] = []
    for ups in updates:
        bad = []
        for slot, cid in ups:
            d = program.slots[slot].domain
            if not (trust and g.nodes[cid].within(d.lo, d.hi)):
                bad.append(slot)
        risky.append(tuple(bad))
    return risky


class _Codegen:
    def __init__(self, program: Program, trust_bounds: bool = True) -> None:
        self.program = program
        self.g = Graph(program, trust_bounds)
        self.sources = self.g.sources
        self.lines: list[str] = []
        self.width = program.width
        self.actions = program.actions
        self.guards = [self.g.add(a.guard) for a in program.actions]
        self.updates = [[(slot, self.g.add(e)) for slot, e in a.updates] for a in program.actions]
        self.props = [self.g.add(p.expr) for p in program.properties]
        self.risky = risky_slots(program, self.g, self.updates, self.g.trust)
        self.counter = [0]
        self.helpers: list[str] = []  # the current function's helpers for deep expressions
        self.canonical = False  # kernel: map each successor to its orbit's representative
        self.track: set[int] = set()  # kernel: actions whose first enabling is recorded
        # the packed layout: slot k holds (value - lo) in `bits[k]` bits from `offsets[k]`
        self.bits = [max(1, (sl.domain.hi - sl.domain.lo).bit_length()) for sl in program.slots]
        self.offsets = [sum(self.bits[:k]) for k in range(self.width)]

    def with_helpers(self, lines: list[str], at: int) -> list[str]:
        """A function's lines with the helpers its expressions made (see NEST_LEVELS)
        defined at position `at` (after the unpacking of the state), and the list emptied."""
        helpers = [f"    {h}" for h in self.helpers]
        self.helpers.clear()
        return lines[:at] + helpers + lines[at:]

    def unpack(self, var: str = "st", prefix: str = "s") -> str:
        if self.width == 0:
            return "pass"
        names = ", ".join(f"{prefix}{i}" for i in range(self.width))
        return f"{names}, = {var}" if self.width == 1 else f"{names} = {var}"

    def hoist_global(self, always: Sequence[int], everything: Sequence[int]) -> tuple[list[str], dict[int, str]]:
        """Temporaries computed at the top of a function: see the module docstring."""
        strict = self.g.strict_closure(always)
        counts = self.g.refcounts(everything)
        chosen = [
            c for c in sorted(strict)
            if counts.get(c, 0) >= 2 and self.g.nodes[c].safe and not self.g.nodes[c].trivial
            and not self._reads_post(c)
        ]
        temps: dict[int, str] = {}
        lines: list[str] = []
        em = Emitter(self.g, temps)
        em.counter = self.counter
        em.helpers = self.helpers
        for c in chosen:  # ids are topological: children were added first
            text = em.expr(c)
            name = f"g{c}"
            lines.append(f"{name} = {text}")
            temps[c] = name
        return lines, temps

    def _reads_post(self, cid: int) -> bool:
        stack, seen = [cid], set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            n = self.g.nodes[c]
            if n.kind is Post:
                return True
            stack.extend(n.args)
        return False

    def action_block(self, ai: int, temps: dict[int, str], indent: str) -> tuple[list[str], dict[int, str], dict[int, str]]:
        """Lines computing an enabled action's local temporaries and updated values.
        Returns (lines, temps in scope, slot -> text of its new value)."""
        ups = self.updates[ai]
        roots = [c for _, c in ups]
        counts = self.g.refcounts(roots, stop=set(temps))
        strict = self.g.strict_closure(roots) - set(temps)
        local = dict(temps)
        lines: list[str] = []
        em = Emitter(self.g, local)
        em.facts = self.guard_facts(self.guards[ai])
        em.counter = self.counter
        em.helpers = self.helpers
        for c in sorted(strict):
            n = self.g.nodes[c]
            if counts.get(c, 0) >= 2 and n.safe and not n.trivial:
                name = f"a{c}"
                lines.append(f"{indent}{name} = {em.expr(c)}")
                local[c] = name
        values: dict[int, str] = {}
        for slot, c in ups:
            values[slot] = em.int_expr(c)
        return lines, local, values

    def guard_facts(self, guard: int) -> dict[int, int]:
        """Slot values a guard pins down in its top-level conjuncts (`x == 2`, `b`, `~b`);
        inside the action's block they are constants."""
        n = self.g.nodes[guard]
        conjuncts = n.args if n.kind is Op and n.op == "and" else (guard,)
        facts: dict[int, int] = {}
        for c in conjuncts:
            m = self.g.nodes[c]
            if m.kind is Var and isinstance(m.type, BoolType):
                facts[m.value] = 1
            elif m.kind is Op and m.op == "not" and self.g.nodes[m.args[0]].kind is Var:
                facts[self.g.nodes[m.args[0]].value] = 0
            elif m.kind is Op and m.op == "eq":
                a, b = (self.g.nodes[x] for x in m.args)
                if a.kind is Var and b.kind is Const:
                    facts[a.value] = b.value
                elif b.kind is Var and a.kind is Const:
                    facts[b.value] = a.value
        return facts

    def tuple_text(self, values: dict[int, str]) -> str:
        parts = [values.get(i, f"s{i}") for i in range(self.width)]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    # The successor function: sink is "list", "pairs" or "kernel".
    def successors_fn(
        self,
        name: str,
        sink: str,
        invariants: Sequence[int] = (),
        reachables: Sequence[int] = (),
        action_props: Sequence[int] = (),
        expand: bool = True,
    ) -> list[str]:
        inv_roots = [self.props[k] for k in invariants] + [self.props[k] for k in reachables]
        guards = self.guards if expand else []
        everything = inv_roots + list(guards)
        if expand:
            for ups in self.updates:
                everything += [c for _, c in ups]
        self.helpers.clear()
        hoist_lines, temps = self.hoist_global(inv_roots + list(guards), everything)
        em = Emitter(self.g, temps)
        em.counter = self.counter
        em.helpers = self.helpers
        if sink == "kernel":
            out = [f"def {name}(p, i):"] + [f"    {line}" for line in self.unpack_packed()]
        else:
            out = [f"def {name}(st):", f"    {self.unpack()}"]
        at = len(out)
        out += [f"    {line}" for line in hoist_lines]
        for k in invariants:
            out.append(f"    if not {em.expr(self.props[k])}:")
            out.append(f"        events.append(('invariant', {k}, None))")
        for pos, k in enumerate(reachables):
            out.append(f"    if reach_pending[{pos}] and {em.expr(self.props[k])}:")
            out.append(f"        events.append(('reachable', {k}, None))")
        if not expand:
            out.append("    return 0")
            return self.with_helpers(out, at)
        if sink == "kernel":
            out.append("    n = 0")
        else:
            out.append("    out = []")
            out.append("    app = out.append")
        groups: list[tuple[str, list[int]]] = []  # consecutive actions with the same guard
        for ai in range(len(self.actions)):
            gtext = em.expr(self.guards[ai])
            if gtext in ("0", "False"):
                continue
            if groups and groups[-1][0] == gtext:
                groups[-1][1].append(ai)
            else:
                groups.append((gtext, [ai]))
        for gtext, members in groups:
            ind = "        "
            if gtext in ("1", "True"):
                ind = "    "
            else:
                out.append(f"    if {gtext}:")
            if sink == "kernel":
                out.append(f"{ind}n += {len(members)}")
                out += [f"{ind}enabled[{ai}] = True" for ai in members if ai in self.track]
            for ai in members:
                lines, local, values = self.action_block(ai, temps, ind)
                out += lines
                if sink == "list":
                    out.append(f"{ind}app({self.tuple_text(values)})")
                elif sink == "pairs":
                    out.append(f"{ind}app(({ai}, {self.tuple_text(values)}))")
                else:
                    out += self.kernel_step(ai, ind, values, local, action_props)
        out.append("    return n" if sink == "kernel" else "    return out")
        return self.with_helpers(out, at)

    def kernel_step(
        self, ai: int, ind: str, values: dict[int, str], local: dict[int, str], action_props: Sequence[int]
    ) -> list[str]:
        """The kernel's handling of one enabled action: domain check, action properties,
        then the packed successor `t` and the inline seen-check."""
        out: list[str] = []
        risky = self.risky[ai]
        named: dict[int, str] = {}
        for slot, text in values.items():
            if Emitter.simple(text) or not (risky or action_props):
                named[slot] = text
            else:
                named[slot] = f"u{slot}"
                out.append(f"{ind}u{slot} = {text}")
        inner = ind
        if risky:
            conds = []
            for slot in risky:
                d = self.program.slots[slot].domain
                conds.append(f"{d.lo} <= {named[slot]} <= {d.hi}")
            out.append(f"{ind}if not ({' and '.join(conds)}):")
            out.append(f"{ind}    events.append(('domain', {ai}, {self.tuple_text(named)}))")
            out.append(f"{ind}else:")
            inner = ind + "    "
        if action_props:
            pem = Emitter(self.g, dict(local), post=named)
            pem.counter = self.counter
            pem.helpers = self.helpers
            for k in action_props:
                out.append(f"{inner}if not {pem.expr(self.props[k])}:")
                out.append(f"{inner}    events.append(('action', ({k}, {ai}), {self.tuple_text(named)}))")
        facts = self.guard_facts(self.guards[ai])
        deltas = []
        const_delta = 0
        for slot, text in named.items():
            if text == f"s{slot}":
                continue
            shift = self.offsets[slot]
            if Emitter.simple(text) and not text.isidentifier() and slot in facts:
                const_delta += (int(text) - facts[slot]) << shift
                continue
            delta = f"({text} - s{slot})"
            deltas.append(f"({delta} << {shift})" if shift else delta)
        if const_delta:
            deltas.append(str(const_delta) if const_delta > 0 else f"({const_delta})")
        if not deltas:  # a self-loop: the successor is this state, already seen
            return out
        out.append(f"{inner}t = p" + "".join(f" + {d}" for d in deltas))
        if self.canonical:  # symmetry reduction: store one representative per orbit
            out.append(f"{inner}t = canon(t)")
        if not const_delta:  # may be a self-loop: it is seen, skip the lookup
            out.append(f"{inner}if t != p and t not in seen:")
            out.append(f"{inner}    seen[t] = i")
            out.append(f"{inner}    push(t)")
            return out
        out.append(f"{inner}if t not in seen:")
        out.append(f"{inner}    seen[t] = i")
        out.append(f"{inner}    push(t)")
        return out

    def unpack_packed(self, var: str = "p") -> list[str]:
        """Lines binding s0, s1, ... from a packed state (see `CompiledProgram.pack`)."""
        lines = []
        for k, slot in enumerate(self.program.slots):
            off, bits, lo = self.offsets[k], self.bits[k], slot.domain.lo
            text = f"({var} >> {off})" if off else var
            if k != self.width - 1:
                text = f"({text} & {(1 << bits) - 1})"
            if lo:
                text = f"{text} + {lo}" if lo > 0 else f"{text} - {-lo}"
            lines.append(f"s{k} = {text}")
        return lines

    def pack_fns(self) -> list[str]:
        out = ["def pack(st):", f"    {self.unpack()}"]
        parts = []
        for k, slot in enumerate(self.program.slots):
            lo = slot.domain.lo
            v = f"(s{k} - {lo})" if lo > 0 else f"(s{k} + {-lo})" if lo < 0 else f"s{k}"
            parts.append(f"({v} << {self.offsets[k]})" if self.offsets[k] else v)
        out.append("    return " + (" | ".join(parts) if parts else "0"))
        out.append("def unpack(p):")
        out += [f"    {line}" for line in self.unpack_packed()]
        out.append(f"    return {self.tuple_text({})}")
        return out

    def fire_fn(self, name: str, ai: int) -> list[str]:
        em = Emitter(self.g, {})
        em.counter = self.counter
        em.helpers = self.helpers
        out = [f"def {name}(st):", f"    {self.unpack()}"]
        out.append(f"    if not {em.expr(self.guards[ai])}:")
        out.append("        return None")
        lines, _, values = self.action_block(ai, {}, "    ")
        out += lines
        out.append(f"    return {self.tuple_text(values)}")
        return self.with_helpers(out, 2)

    def first_false_fn(self, name: str, exprs: Sequence[int], post: bool) -> list[str]:
        """Index (within exprs) of the first false predicate, or -1."""
        em = Emitter(self.g, {}, post={i: f"p{i}" for i in range(self.width)} if post else None)
        em.counter = self.counter
        em.helpers = self.helpers
        out = [f"def {name}(st{', pt' if post else ''}):", f"    {self.unpack()}"]
        if post:
            out.append(f"    {self.unpack('pt', 'p')}")
        at = len(out)
        for j, c in enumerate(exprs):
            out.append(f"    if not {em.expr(c)}:")
            out.append(f"        return {j}")
        out.append("    return -1")
        return self.with_helpers(out, at)


def _exec(source: str, namespace: dict[str, Any], filename: str) -> dict[str, Any]:
    code = compile(source, filename, "exec")
    exec(code, namespace)  # noqa: S102 - our own generated code
    return namespace


class CompiledProgram:
    """A program compiled to Python functions. See the module docstring."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.kernel_source = ""  # the source of the last kernel made by `expander`
        cg = _Codegen(program)
        self._cg = cg
        self.may_leave_domain: list[bool] = [bool(r) for r in cg.risky]
        self.risky_slots: list[tuple[int, ...]] = list(cg.risky)
        invs = [k for k, p in enumerate(program.properties) if p.kind == "invariant"]
        acts = [k for k, p in enumerate(program.properties) if p.kind == "action"]
        lines: list[str] = []
        lines += cg.successors_fn("successors", "list")
        lines += cg.successors_fn("successors_with_actions", "pairs")
        for ai in range(len(program.actions)):
            lines += cg.fire_fn(f"fire_{ai}", ai)
        lines += cg.first_false_fn("violated_invariant", [cg.props[k] for k in invs], post=False)
        lines += cg.first_false_fn("violated_action_property", [cg.props[k] for k in acts], post=True)
        lines += cg.pack_fns()
        lines.append("fire_table = [" + ", ".join(f"fire_{ai}" for ai in range(len(program.actions))) + "]")
        self.source = self._module_source(cg, lines)
        ns = _exec(self.source, self._namespace(cg), f"<compiled {program.name}>")
        self.successors: Callable[[State], list[State]] = ns["successors"]
        self.successors_with_actions: Callable[[State], list[tuple[int, State]]] = ns[
            "successors_with_actions"
        ]
        self._fire: list[Callable[[State], State | None]] = ns["fire_table"]
        self.violated_invariant: Callable[[State], int] = ns["violated_invariant"]
        self.violated_action_property: Callable[[State, State], int] = ns["violated_action_property"]
        self.pack: Callable[[State], int] = ns["pack"]
        self.unpack: Callable[[int], State] = ns["unpack"]
        # initial states: no range analysis (init expressions are evaluated on a blank state)
        icg = _Codegen(
            Program(program.name, program.sorts, program.vars, program.slots, (), program.inits, ()),
            trust_bounds=False,
        )
        ilines: list[str] = []
        for ai in range(len(program.inits)):
            ilines += icg.fire_fn(f"init_{ai}", ai)
        ilines.append("init_table = [" + ", ".join(f"init_{ai}" for ai in range(len(program.inits))) + "]")
        self.init_source = self._module_source(icg, ilines)
        ins = _exec(self.init_source, self._namespace(icg), f"<compiled {program.name} init>")
        self._inits: list[Callable[[State], State | None]] = ins["init_table"]

    @staticmethod
    def _module_source(cg: _Codegen, lines: list[str]) -> str:
        header = [f"# generated by replicheck.backends.compiled for {cg.program.name}"]
        return "\n".join(header + lines) + "\n"

    @staticmethod
    def _namespace(cg: _Codegen) -> dict[str, Any]:
        ns: dict[str, Any] = {"_index_error": _index_error, "_fdiv": _fdiv, "_fmod": _fmod}
        for src, name in cg.sources.names.items():
            ns[name] = src
        return ns

    def first_false(self, property_indices: Sequence[int]) -> Callable[..., int]:
        """A function of `(state)`, or `(pre, post)` if any of the properties is an action
        property, giving the position in `property_indices` (indices into
        `program.properties`) of the first property that is false, or -1."""
        props = self.program.properties
        post = any(props[k].kind == "action" for k in property_indices)
        lines = self._cg.first_false_fn("first_false", [self._cg.props[k] for k in property_indices], post)
        ns = _exec(self._module_source(self._cg, lines), self._namespace(self._cg), "<predicates>")
        fn: Callable[..., int] = ns["first_false"]
        return fn

    def fire(self, action_index: int, state: State) -> State | None:
        return self._fire[action_index](state)

    def initial_states(self) -> list[State]:
        blank: State = tuple(0 for _ in range(self.program.width))
        out: dict[State, None] = {}
        for f in self._inits:
            s = f(blank)
            if s is not None and s not in out:
                out[s] = None
        return list(out)

    def expander(
        self,
        seen: dict[int, int],
        push: Callable[[int], None],
        events: list[tuple[str, Any, State | None]],
        invariants: Sequence[int] = (),
        action_properties: Sequence[int] = (),
        reachables: Sequence[int] = (),
        reach_pending: list[bool] | None = None,
        expand: bool = True,
        canonical: Callable[[int], int] | None = None,
        enabled: list[bool] | None = None,
        track: Sequence[int] = (),
    ) -> Expander:
        """The exploration kernel `expand(p, i) -> int` (see the module docstring).

        `invariants`, `action_properties` and `reachables` are indices into
        `program.properties` (of the right kinds); `reach_pending[k]` switches the check of
        `reachables[k]` off once it is set False. With `expand=False` the kernel only checks
        the state (for states at a depth bound) and returns 0. `canonical`, for symmetry
        reduction, maps a packed successor to its orbit's packed representative before the
        seen-check. `enabled[ai]` is set True when action `ai` (one of `track`) is enabled in
        an expanded state (for vacuity warnings; track only what is not yet known).
        """
        props = self.program.properties
        for ks, kind in ((invariants, "invariant"), (action_properties, "action"), (reachables, "reachable")):
            for k in ks:
                if props[k].kind != kind:
                    raise ValueError(f"property {props[k].name} is not of kind {kind}")
        cg = self._cg
        lines = ["def make(seen, push, events, reach_pending, canon, enabled):"]
        cg.canonical = canonical is not None
        cg.track = set(track) if enabled is not None else set()
        try:
            body = cg.successors_fn(
                "expand", "kernel", list(invariants), list(reachables), list(action_properties), expand
            )
        finally:
            cg.canonical = False
            cg.track = set()
        lines += [f"    {line}" for line in body]
        lines.append("    return expand")
        source = self._module_source(cg, lines)
        self.kernel_source = source
        ns = _exec(source, self._namespace(cg), f"<kernel {self.program.name}>")
        pending = reach_pending if reach_pending is not None else [True] * len(reachables)
        fn: Expander = ns["make"](seen, push, events, pending, canonical, enabled)
        return fn


def compile_program(program: Program) -> CompiledProgram:
    return CompiledProgram(program)


__all__ = ["CompiledProgram", "compile_program", "RULES", "NODE_RULES", "Expander"]
