"""Why a violated invariant is false: the smallest false sub-condition, in the model's terms.

Owns: `explain` (an invariant's expression on a state, and for an action property on a
pre- and post-state: which conjunct, which element of an expanded quantifier, which side of
an implication made it false, with the values of the slots it reads) and `explain_verdict`
(the same for the last state of a violation's trace). Quantifiers were expanded at trace
time, so `forall(Replica, ...)` is an `and` over the replicas: the element a false conjunct
is about is the one whose slots it reads and its siblings do not
("no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1").

Works on the IR with the reference evaluator only; explains invariants whose top is a Boolean
connective (and, or, not, implies), and a count compared with a constant (`at_most_one`,
`count(...) == 1`: the elements that make it wrong, those whose condition holds when too many
do, those whose condition does not when too few, and why); any other lone comparison already
says everything in its name.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir`, `replicheck.backends.reference` and `replicheck.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.ir import Const, Expr, Op, Post, Program, State, Var
from replicheck.ir.nodes import BOOL_OPS, walk
from replicheck.ir.pretty import pretty
from replicheck.ir.types import ElemType, IntType, show

from .results import VIOLATED, Trace, Verdict

_NEGATED = {"eq": "!=", "ne": "=", "lt": ">=", "le": ">", "gt": "<=", "ge": "<"}
_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# How many false conjuncts an explanation lists before it only counts the rest.
MAX_LISTED = 3


@dataclass(frozen=True)
class Explanation:
    """One false conjunct of a property (or the whole property when it is not a conjunction).

    `elements`: the sort elements this conjunct is about (those of an expanded quantifier);
    `premises`: conditions that hold and make the culprit matter (an implication's left side);
    `culprit`: the smallest false sub-condition, with values inline (`log[db2] = 0 < acked = 1`),
    or for a count, how many hold and the elements that make it wrong;
    `slots`: every slot the premises and the culprit read (for highlighting);
    `values`: those slots' names and values.
    """

    property: str
    conjunct: str  # the false conjunct, pretty-printed
    elements: tuple[str, ...]
    premises: tuple[str, ...]
    culprit: str
    slots: tuple[int, ...]
    values: tuple[tuple[str, str], ...]
    post_slots: tuple[int, ...] = field(default=())  # next-state slots read (action properties)

    def sentence(self) -> str:
        who = f" for {', '.join(self.elements)}" if self.elements else ""
        if self.premises:
            return f"{self.property} fails{who}: {' and '.join(self.premises)}, but {self.culprit}"
        return f"{self.property} fails{who}: {self.culprit}"


class _Ctx:
    def __init__(self, program: Program, pre: State, post: State | None) -> None:
        self.program = program
        self.pre = pre
        self.post = post
        self.memo: dict[int, int] = {}

    def val(self, e: Expr) -> int:
        key = id(e)
        if key not in self.memo:
            self.memo[key] = evaluate(e, self.pre, self.post)
        return self.memo[key]

    def name(self, e: Var | Post) -> str:
        base = self.program.slots[e.slot].name
        return base + "'" if isinstance(e, Post) else base

    def shown(self, e: Expr) -> str:
        if isinstance(e, (Var, Post)):
            return show(self.program.slots[e.slot].domain.type, self.val(e))
        return show(e.type, self.val(e))

    def operand(self, e: Expr) -> str:
        """An operand with its value: `log[db2] = 0`, `primary`, `(a + b) = 3`."""
        if isinstance(e, Const):
            return show(e.type, e.value)
        if isinstance(e, (Var, Post)):
            return f"{self.name(e)} = {self.shown(e)}"
        return f"{pretty(e, self.program)} = {self.shown(e)}"

    def text(self, e: Expr) -> str:
        return pretty(e, self.program)


def _is_compare(e: Expr) -> bool:
    return isinstance(e, Op) and e.op in _SYMBOL


def _compare(ctx: _Ctx, e: Op, holds: bool) -> str:
    """A comparison as it actually turned out, values inline."""
    a, b = e.args
    if e.op in ("eq", "ne") and ctx.val(a) == ctx.val(b) and not isinstance(b, Const) and not isinstance(a, Const):
        # `epoch[n1] = epoch[n2] = 1` reads better than `epoch[n1] = 1 = epoch[n2] = 1`
        return f"{_label(ctx, a)} = {_label(ctx, b)} = {ctx.shown(a)}"
    if e.op == "eq" and holds and isinstance(b, Const) and isinstance(a, (Var, Post)):
        return f"{ctx.name(a)} = {show(b.type, b.value)}"
    if e.op == "ne" and not holds and isinstance(b, Const) and isinstance(a, (Var, Post)):
        return f"{ctx.name(a)} = {show(b.type, b.value)}"
    symbol = _SYMBOL[e.op] if holds else _NEGATED[e.op]
    return f"{ctx.operand(a)} {symbol} {ctx.operand(b)}"


def _label(ctx: _Ctx, e: Expr) -> str:
    if isinstance(e, (Var, Post)):
        return ctx.name(e)
    if isinstance(e, Const):
        return show(e.type, e.value)
    return ctx.text(e)


def _atom(ctx: _Ctx, e: Expr, holds: bool) -> str:
    """A condition that is not split further, as it turned out."""
    if _is_compare(e):
        assert isinstance(e, Op)
        return _compare(ctx, e, holds)
    if isinstance(e, (Var, Post)):
        return f"{ctx.name(e)} = {ctx.shown(e)}"
    reads = _reads(ctx, e)
    where = f" ({', '.join(reads)})" if reads else ""
    return f"{ctx.text(e)} is {'true' if holds else 'false'}{where}"


def _reads(ctx: _Ctx, e: Expr) -> list[str]:
    out: list[str] = []
    for n in walk([e]):
        if isinstance(n, (Var, Post)):
            out.append(f"{ctx.name(n)} = {ctx.shown(n)}")
    return sorted(set(out))


def _why_false(ctx: _Ctx, e: Expr) -> tuple[list[str], str]:
    """(premises that hold, the smallest false condition) for an `e` that is false."""
    if isinstance(e, Op):
        if e.op == "and":
            for c in e.args:
                if not ctx.val(c):
                    return _why_false(ctx, c)
        if e.op == "implies":
            premise, conclusion = e.args
            premises, culprit = _why_false(ctx, conclusion)
            return _why_true(ctx, premise) + premises, culprit
        if e.op == "not":
            facts = _why_true(ctx, e.args[0])
            if facts:
                return facts[:-1], facts[-1]
        if e.op == "or":
            parts = [_atom(ctx, d, False) for d in e.args]
            if all(_is_compare(d) or isinstance(d, (Var, Post)) for d in e.args):
                return [], "none of these holds: " + "; ".join(parts)
    return [], _atom(ctx, e, False)


def _why_true(ctx: _Ctx, e: Expr) -> list[str]:
    """The conditions that make a true `e` true (for premises), smallest first."""
    if isinstance(e, Op):
        if e.op == "and":
            out: list[str] = []
            for c in e.args:
                out += _why_true(ctx, c)
            return out
        if e.op == "or":
            for d in e.args:
                if ctx.val(d):
                    return _why_true(ctx, d)
        if e.op == "not":
            premises, culprit = _why_false(ctx, e.args[0])
            return premises + [culprit]
        if e.op == "implies" and ctx.val(e.args[1]):
            return _why_true(ctx, e.args[1])
    return [_atom(ctx, e, True)]


def _slots(e: Expr) -> tuple[set[int], set[int]]:
    pre: set[int] = set()
    post: set[int] = set()
    for n in walk([e]):
        if isinstance(n, Var):
            pre.add(n.slot)
        elif isinstance(n, Post):
            post.add(n.slot)
    return pre, post


def _elements(program: Program, slots: set[int]) -> set[tuple[str, str]]:
    """(sort, element) of every sort-typed key of the given slots."""
    out: set[tuple[str, str]] = set()
    for i in slots:
        slot = program.slots[i]
        for t, k in zip(slot.key_types, slot.key):
            if isinstance(t, ElemType) and 0 <= k < t.size:
                out.add((t.sort, t.names[k]))
    return out


def _values(
    program: Program, state: State, post: State | None, pre_slots: set[int], post_slots: set[int]
) -> tuple[tuple[str, str], ...]:
    """The read slots' names and values (next-state slots primed)."""
    values = tuple((program.slots[i].name, show(program.slots[i].domain.type, state[i])) for i in sorted(pre_slots))
    if post is not None:
        values += tuple(
            (program.slots[i].name + "'", show(program.slots[i].domain.type, post[i])) for i in sorted(post_slots)
        )
    return values


def _read_sets(e: Expr) -> set[int]:
    pre, post = _slots(e)
    return pre | post


def explain(
    program: Program, name: str, expr: Expr, state: State, post: State | None = None
) -> list[Explanation]:
    """Why `expr` (the property `name`) is false in `state` (with `post` for an action
    property): one explanation per false top-level conjunct, or one for a top-level count
    compared with a constant; [] when `expr` holds or is any other lone comparison (it
    explains itself)."""
    conditions = _counted(expr)
    if conditions is not None:
        assert isinstance(expr, Op)
        return _explain_count(program, name, expr, conditions, state, post)
    if not (isinstance(expr, Op) and expr.op in BOOL_OPS):
        return []
    ctx = _Ctx(program, state, post)
    try:
        if ctx.val(expr):
            return []
    except ModelRuntimeError:
        return []
    conjuncts = list(expr.args) if expr.op == "and" else [expr]
    element_sets = [_elements(program, _read_sets(c)) for c in conjuncts]
    common = set.intersection(*element_sets) if len(conjuncts) > 1 else set()
    out: list[Explanation] = []
    for c, elems in zip(conjuncts, element_sets):
        try:
            if ctx.val(c):
                continue
            premises, culprit = _why_false(ctx, c)
        except ModelRuntimeError:
            continue
        own = elems - common if len(conjuncts) > 1 else set()
        pre_slots, post_slots = _slots(c)
        values = _values(program, state, post, pre_slots, post_slots)
        out.append(
            Explanation(
                property=name,
                conjunct=pretty(c, program),
                elements=tuple(sorted(e for _, e in own)),
                premises=tuple(dict.fromkeys(premises)),
                culprit=culprit,
                slots=tuple(sorted(pre_slots)),
                values=values,
                post_slots=tuple(sorted(post_slots)),
            )
        )
    return out


# How a false count comparison says what was required: `count <= 1` fails with "at most 1 may".
_REQUIRED = {"le": "at most {k} may", "lt": "fewer than {k} may", "eq": "exactly {k} must",
             "ge": "at least {k} must", "gt": "more than {k} must", "ne": "any number but {k} may"}


def _terms(e: Expr) -> list[Expr]:
    if isinstance(e, Op) and e.op == "add":
        return [t for a in e.args for t in _terms(a)]
    return [e]


def _counted(e: Expr) -> list[Expr] | None:
    """The conditions of `count(...) OP k` (a sum of integer `If(c, 1, 0)` against a constant),
    or None. `count` folds constant-false elements away, so there may be fewer conditions
    than elements."""
    if not (isinstance(e, Op) and e.op in _REQUIRED and isinstance(e.args[1], Const)):
        return None
    conditions = []
    for t in _terms(e.args[0]):
        if not (isinstance(t, Op) and t.op == "ite" and isinstance(t.type, IntType)
                and isinstance(t.args[1], Const) and isinstance(t.args[2], Const)
                and (t.args[1].value, t.args[2].value) == (1, 0)):
            return None
        conditions.append(t.args[0])
    return conditions if len(conditions) > 1 else None


def _explain_count(
    program: Program, name: str, expr: Op, conditions: list[Expr], state: State, post: State | None
) -> list[Explanation]:
    """`single_writer fails: 2 hold where at most 1 may: for db1, role[db1] = deposed and ...`;
    when too few hold, the conditions that do not and why (`... where at least 2 must: not for
    n2: leader[n2] = false`)."""
    bound = expr.args[1]
    assert isinstance(bound, Const)
    ctx = _Ctx(program, state, post)
    element_sets = [_elements(program, _read_sets(c)) for c in conditions]
    common = set.intersection(*element_sets)
    try:
        if ctx.val(expr):
            return []
        holding = sum(1 for c in conditions if ctx.val(c))
        too_few = expr.op in ("ge", "gt") or (expr.op == "eq" and holding < bound.value)
        # too many: the conditions that hold; too few: those that do not
        listed = [(c, elems) for c, elems in zip(conditions, element_sets) if bool(ctx.val(c)) != too_few]
        reasons = []
        for c, elems in listed:
            who = ", ".join(sorted(e for _, e in elems - common))
            if too_few:
                premises, culprit = _why_false(ctx, c)
                why = f"{' and '.join(dict.fromkeys(premises))}, but {culprit}" if premises else culprit
                reasons.append(f"not for {who}: {why}" if who else f"not: {why}")
            else:
                why = " and ".join(dict.fromkeys(_why_true(ctx, c)))
                reasons.append(f"for {who}, {why}" if who else why)
    except ModelRuntimeError:
        return []
    required = _REQUIRED[expr.op].format(k=bound.value)
    culprit = f"{holding} {'holds' if holding == 1 else 'hold'} where {required}"
    culprit += ": " + "; ".join(reasons) if reasons else ""
    # the slots to highlight: those of the conditions listed (all of them when none is)
    pre_slots: set[int] = set()
    post_slots: set[int] = set()
    for c in [c for c, _ in listed] or [expr]:
        pre, nxt = _slots(c)
        pre_slots |= pre
        post_slots |= nxt
    return [Explanation(property=name, conjunct=pretty(expr, program), elements=(), premises=(), culprit=culprit,
                        slots=tuple(sorted(pre_slots)), values=_values(program, state, post, pre_slots, post_slots),
                        post_slots=tuple(sorted(post_slots)))]


def explain_verdict(trace: Trace | None, verdict: Verdict | None) -> list[Explanation]:
    """The explanations of a violated invariant (on the trace's last state) or action
    property (on its last step); [] for other verdicts."""
    if trace is None or verdict is None or verdict.status != VIOLATED or verdict.kind not in ("invariant", "action"):
        return []
    program = trace.program
    prop = next((p for p in program.properties if p.name == verdict.property and p.kind == verdict.kind), None)
    if prop is None:
        return []
    last = trace.steps[-1].state
    if prop.kind == "action":
        if len(trace.steps) < 2:
            return []
        return explain(program, prop.name, prop.expr, trace.steps[-2].state, last)
    return explain(program, prop.name, prop.expr, last)


def explanation_lines(explanations: list[Explanation]) -> list[str]:
    """One sentence per false conjunct, at most MAX_LISTED, then how many more."""
    lines = [e.sentence() for e in explanations[:MAX_LISTED]]
    rest = len(explanations) - MAX_LISTED
    if rest > 0:
        lines.append(f"... and {rest} more false conjunct{'s' if rest > 1 else ''} of {explanations[0].property}")
    return lines


__all__ = ["Explanation", "explain", "explain_verdict", "explanation_lines"]
