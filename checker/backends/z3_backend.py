"""The Z3 backend: IR expressions and programs lowered to Z3 terms.

Owns: `RULES` (one lowering rule per IR operator in `replicheck.ir.OPS`) and `NODE_RULES` (one
per node kind in `replicheck.ir.NODE_KINDS`); `Lowering` (the value of an expression, and its
well-definedness side condition, over given Z3 terms for the pre- and post-state);
`Unrolling` (state constants per time step, domain constraints, initial states, the
transition relation with an action-choice variable per step, run-time-error conditions) and
`decode_path` (a Z3 model back to concrete states and the actions that were chosen).

Conventions:

- Every slot value is a Z3 `Int`; an IR expression of type Bool lowers to a Z3 `Bool`, every
  other type (Int, Enum, sort element) to a Z3 `Int` holding the IR's integer encoding. A
  Bool slot is read as `slot != 0` and written as `If(b, 1, 0)`; domain constraints keep Bool
  slots at 0/1, where this agrees exactly with the reference evaluator.
- floordiv and mod follow Python (round toward negative infinity), not Z3's Euclidean `div`:
  `a // b` is `If(b > 0, a div b, (-a) div (-b))`, `a % b` is `If(b > 0, a mod b, -((-a) mod
  (-b)))`.
- Run-time errors of the model (division or modulo by zero, an `Index` outside its choices)
  are not part of a value: `Lowering.defined(e)` is a separate Bool that is true exactly when
  the reference evaluator evaluates `e` without raising `ModelRuntimeError`, following its
  lazy `and`/`or`/`implies`/`ite` (an untaken branch may be undefined). Where an expression
  is undefined its value term is unconstrained. Engines decide what an undefined evaluation
  means; `replicheck.symbolic` reports it as a violation ("model error"), like the explicit
  checker, and assumes its absence only on states it has already checked.
- Initial states come from the reference evaluator (init instances read no state, so each is
  one concrete state); the symbolic initial condition picks one of them with a choice
  variable so that a decoded trace names the init instance that produced it.

This module builds terms and decodes models; it does not build `Trace`s (backends must not
import `replicheck.report`): `replicheck.symbolic` replays decoded paths through the reference
evaluator and builds the traces.

Must not import: `replicheck.explore`, `replicheck.report`, `replicheck.cli`, `replicheck.lang`, numpy,
hypothesis. Only this module and `replicheck.symbolic` import z3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence, TypeAlias

import z3

from replicheck.backends.reference import ModelRuntimeError, fire
from replicheck.ir import NODE_KINDS, OPS, Action, BoolType, Const, Expr, Index, Op, Post, Program, State, Var

Term: TypeAlias = z3.ExprRef  # a z3.BoolRef for Bool-typed IR expressions, else a z3.ArithRef


class Z3BackendError(Exception):
    """Internal error of the Z3 backend (a bug, not a property of the model)."""


# ---------------------------------------------------------------------------------------------
# Small helpers that keep terms small: trivially true conjuncts are dropped.


def _true() -> z3.BoolRef:
    return z3.BoolVal(True)


def conj(parts: Sequence[z3.BoolRef]) -> z3.BoolRef:
    kept = [p for p in parts if not z3.is_true(p)]
    if any(z3.is_false(p) for p in kept):
        return z3.BoolVal(False)
    if not kept:
        return _true()
    if len(kept) == 1:
        return kept[0]
    return z3.And(*kept)


def disj(parts: Sequence[z3.BoolRef]) -> z3.BoolRef:
    kept = [p for p in parts if not z3.is_false(p)]
    if any(z3.is_true(p) for p in kept):
        return _true()
    if not kept:
        return z3.BoolVal(False)
    if len(kept) == 1:
        return kept[0]
    return z3.Or(*kept)


def _implies(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    if z3.is_true(b) or z3.is_false(a):
        return _true()
    if z3.is_true(a):
        return b
    return z3.Implies(a, b)


def as_int(t: Term) -> z3.ArithRef:
    """A lowered term as an Int (Bools become 0/1), for storing into a slot."""
    if z3.is_bool(t):
        return z3.If(t, z3.IntVal(1), z3.IntVal(0))
    assert isinstance(t, z3.ArithRef)
    return t


def as_bool(t: Term) -> z3.BoolRef:
    """A lowered term as a Bool (Python truthiness for Ints), for conditions."""
    if z3.is_bool(t):
        assert isinstance(t, z3.BoolRef)
        return t
    return t != 0


# ---------------------------------------------------------------------------------------------
# Operator rules. `value` builds the term from the operands' terms; `defined` builds the
# well-definedness condition from the operands' terms and their own definedness conditions.


def py_floordiv(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's `a // b` for b != 0 (Z3's `/` on Ints is Euclidean: it differs for b < 0)."""
    return z3.If(b > 0, a / b, (-a) / (-b))


def py_mod(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's `a % b` for b != 0: the result has the sign of b."""
    return z3.If(b > 0, a % b, -((-a) % (-b)))


def _strict_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    return conj(list(defs))


def _nonzero_divisor_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    divisor = args[1]
    assert isinstance(divisor, z3.ArithRef)
    return conj([*defs, divisor != 0])


def _and_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    # all(...) stops at the first false operand: operand i is evaluated iff 0..i-1 are true
    parts = []
    for i, d in enumerate(defs):
        parts.append(_implies(conj([as_bool(a) for a in args[:i]]), d))
    return conj(parts)


def _or_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    # any(...) stops at the first true operand
    parts = []
    for i, d in enumerate(defs):
        parts.append(_implies(conj([z3.Not(as_bool(a)) for a in args[:i]]), d))
    return conj(parts)


def _implies_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    return conj([defs[0], _implies(as_bool(args[0]), defs[1])])


def _ite_defined(args: Sequence[Term], defs: Sequence[z3.BoolRef]) -> z3.BoolRef:
    if z3.is_true(defs[1]) and z3.is_true(defs[2]):
        return defs[0]
    return conj([defs[0], z3.If(as_bool(args[0]), defs[1], defs[2])])


def _ints(args: Sequence[Term]) -> list[z3.ArithRef]:
    out = []
    for a in args:
        assert isinstance(a, z3.ArithRef), f"expected an Int term, got {a.sort()}"
        out.append(a)
    return out


def _ite_value(args: Sequence[Term]) -> Term:
    c, a, b = args
    if z3.is_bool(a) != z3.is_bool(b):
        a, b = as_int(a), as_int(b)
    return z3.If(as_bool(c), a, b)


def _eq(args: Sequence[Term]) -> z3.BoolRef:
    a, b = args
    if z3.is_bool(a) != z3.is_bool(b):
        a, b = as_int(a), as_int(b)
    r = a == b
    assert isinstance(r, z3.BoolRef)
    return r


class Rule(NamedTuple):
    value: Callable[[Sequence[Term]], Term]
    defined: Callable[[Sequence[Term], Sequence[z3.BoolRef]], z3.BoolRef]


RULES: dict[str, Rule] = {
    "and": Rule(lambda xs: z3.And(*[as_bool(x) for x in xs]), _and_defined),
    "or": Rule(lambda xs: z3.Or(*[as_bool(x) for x in xs]), _or_defined),
    "not": Rule(lambda xs: z3.Not(as_bool(xs[0])), _strict_defined),
    "implies": Rule(lambda xs: z3.Implies(as_bool(xs[0]), as_bool(xs[1])), _implies_defined),
    "add": Rule(lambda xs: _ints(xs)[0] + _ints(xs)[1], _strict_defined),
    "sub": Rule(lambda xs: _ints(xs)[0] - _ints(xs)[1], _strict_defined),
    "mul": Rule(lambda xs: _ints(xs)[0] * _ints(xs)[1], _strict_defined),
    "neg": Rule(lambda xs: -_ints(xs)[0], _strict_defined),
    "floordiv": Rule(lambda xs: py_floordiv(*_ints(xs)), _nonzero_divisor_defined),
    "mod": Rule(lambda xs: py_mod(*_ints(xs)), _nonzero_divisor_defined),
    "min": Rule(lambda xs: z3.If(_ints(xs)[0] <= _ints(xs)[1], xs[0], xs[1]), _strict_defined),
    "max": Rule(lambda xs: z3.If(_ints(xs)[0] >= _ints(xs)[1], xs[0], xs[1]), _strict_defined),
    "eq": Rule(_eq, _strict_defined),
    "ne": Rule(lambda xs: z3.Not(_eq(xs)), _strict_defined),
    "lt": Rule(lambda xs: _ints(xs)[0] < _ints(xs)[1], _strict_defined),
    "le": Rule(lambda xs: _ints(xs)[0] <= _ints(xs)[1], _strict_defined),
    "gt": Rule(lambda xs: _ints(xs)[0] > _ints(xs)[1], _strict_defined),
    "ge": Rule(lambda xs: _ints(xs)[0] >= _ints(xs)[1], _strict_defined),
    "ite": Rule(_ite_value, _ite_defined),
}
assert set(RULES) == set(OPS), "the Z3 backend needs exactly one rule per IR operator"


# ---------------------------------------------------------------------------------------------
# Lowering of expressions over given state terms.


class Lowering:
    """Lowers IR expressions read over `pre` (and `post`, for action properties) to Z3.

    `pre` and `post` hold one Z3 Int term per slot: constants of an unrolling, or `IntVal`s
    for a concrete state (then `z3.simplify` evaluates the result). Results are memoised by
    node identity, so shared sub-expressions are lowered once.
    """

    def __init__(self, pre: Sequence[z3.ArithRef], post: Sequence[z3.ArithRef] | None = None) -> None:
        self.pre = list(pre)
        self.post = None if post is None else list(post)
        self._memo: dict[int, tuple[Term, z3.BoolRef]] = {}

    def value(self, e: Expr) -> Term:
        return self.lower(e)[0]

    def defined(self, e: Expr) -> z3.BoolRef:
        return self.lower(e)[1]

    def cond(self, e: Expr) -> z3.BoolRef:
        """A Bool-typed expression as a Z3 Bool."""
        return as_bool(self.value(e))

    def lower(self, root: Expr) -> tuple[Term, z3.BoolRef]:
        # iterative post-order walk: traced expressions can be deep
        stack: list[tuple[Expr, bool]] = [(root, False)]
        memo = self._memo
        while stack:
            node, expanded = stack.pop()
            if id(node) in memo:
                continue
            kids = _children(node)
            if not expanded and any(id(k) not in memo for k in kids):
                stack.append((node, True))
                stack.extend((k, False) for k in kids if id(k) not in memo)
                continue
            rule = NODE_RULES.get(type(node))
            if rule is None:
                raise Z3BackendError(f"no Z3 rule for IR node {type(node).__name__}")
            memo[id(node)] = rule(self, node)
        return memo[id(root)]

    def _slot(self, terms: Sequence[z3.ArithRef] | None, e: Var | Post) -> tuple[Term, z3.BoolRef]:
        if terms is None:
            raise Z3BackendError("next-state value read outside an action property")
        t = terms[e.slot]
        return (t != 0 if isinstance(e.type, BoolType) else t), _true()

    def _const(self, e: Const) -> tuple[Term, z3.BoolRef]:
        if isinstance(e.type, BoolType):
            return z3.BoolVal(e.value != 0), _true()
        return z3.IntVal(e.value), _true()

    def _var(self, e: Var) -> tuple[Term, z3.BoolRef]:
        return self._slot(self.pre, e)

    def _post(self, e: Post) -> tuple[Term, z3.BoolRef]:
        return self._slot(self.post, e)

    def _op(self, e: Op) -> tuple[Term, z3.BoolRef]:
        rule = RULES.get(e.op)
        if rule is None:
            raise Z3BackendError(f"no Z3 rule for operator {e.op}")
        pairs = [self._memo[id(a)] for a in e.args]
        args = [p[0] for p in pairs]
        defs = [p[1] for p in pairs]
        return rule.value(args), rule.defined(args, defs)

    def _index(self, e: Index) -> tuple[Term, z3.BoolRef]:
        idx_t, idx_def = self._memo[id(e.index)]
        idx = as_int(idx_t)
        choices = [self._memo[id(c)] for c in e.choices]
        values = [c[0] for c in choices]
        if any(z3.is_bool(v) for v in values) and not all(z3.is_bool(v) for v in values):
            values = [as_int(v) for v in values]
        n = len(values)
        value = values[n - 1]
        for i in range(n - 2, -1, -1):
            value = z3.If(idx == e.offset + i, values[i], value)
        in_range = z3.And(idx >= e.offset, idx <= e.offset + n - 1)
        branch_defs = [_implies(idx == e.offset + i, c[1]) for i, c in enumerate(choices)]
        return value, conj([idx_def, in_range, *branch_defs])


def _children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Op):
        return e.args
    if isinstance(e, Index):
        return e.choices + (e.index,)
    return ()


NODE_RULES: dict[type, Callable[[Lowering, Expr], tuple[Term, z3.BoolRef]]] = {
    Const: Lowering._const,  # type: ignore[dict-item]
    Var: Lowering._var,  # type: ignore[dict-item]
    Post: Lowering._post,  # type: ignore[dict-item]
    Op: Lowering._op,  # type: ignore[dict-item]
    Index: Lowering._index,  # type: ignore[dict-item]
}
assert set(NODE_RULES) == set(NODE_KINDS), "the Z3 backend needs one rule per IR node kind"


def concrete(state: Sequence[int]) -> list[z3.ArithRef]:
    """A concrete state as Z3 terms (for evaluating a lowering on it)."""
    return [z3.IntVal(v) for v in state]


def action_error(low: Lowering, action: Action) -> z3.BoolRef:
    """True when firing `action` on the lowering's pre-state raises a model run-time error:
    evaluating its guard raises, or the guard holds and evaluating some update raises."""
    g_def = low.defined(action.guard)
    upd_defs = conj([low.defined(e) for _, e in action.updates])
    if z3.is_true(g_def) and z3.is_true(upd_defs):
        return z3.BoolVal(False)
    return z3.Or(z3.Not(g_def), z3.And(low.cond(action.guard), z3.Not(upd_defs)))


# ---------------------------------------------------------------------------------------------
# Unrolling: state constants per time step and the constraints over them.


@dataclass(frozen=True)
class DecodedPath:
    """A path read back from a Z3 model: concrete states and the action taken before each.

    `init` indexes `Unrolling.init_actions` (None when the path does not start at an initial
    state, e.g. a counterexample to induction); `actions[i]` indexes `program.actions`, the
    action instance that leads from `states[i]` to `states[i + 1]`.
    """

    states: tuple[State, ...]
    actions: tuple[int, ...]
    init: int | None


class Unrolling:
    """Z3 constants for the states of a path (`s{j}_{slot}`) and constraints over them.

    Steps are identified by an integer index `j`; `trans(i, j)` relates state i to state j
    (usually j = i + 1; k-induction unrolls backwards) with an action-choice constant
    `act_{i}_{j}` whose value is the index of the action instance that fired.
    """

    def __init__(self, program: Program, prefix: str = "") -> None:
        self.program = program
        self.prefix = prefix
        self._states: dict[int, list[z3.ArithRef]] = {}
        self._lowerings: dict[int, Lowering] = {}
        self._pair_lowerings: dict[tuple[int, int], Lowering] = {}
        self._choices: dict[tuple[int, int], z3.ArithRef] = {}
        self.init_choice = z3.Int(f"{prefix}init")
        # the initial states, from the reference evaluator (ModelRuntimeError propagates)
        blank: State = tuple(0 for _ in program.slots)
        self.init_actions: list[Action] = []
        self.init_states: list[State] = []
        for a in program.inits:
            s = fire(a, blank)
            if s is not None:
                self.init_actions.append(a)
                self.init_states.append(s)

    def state(self, j: int) -> list[z3.ArithRef]:
        if j not in self._states:
            self._states[j] = [
                z3.Int(f"{self.prefix}s{j}_{slot.index}") for slot in self.program.slots
            ]
        return self._states[j]

    def lowering(self, j: int) -> Lowering:
        if j not in self._lowerings:
            self._lowerings[j] = Lowering(self.state(j))
        return self._lowerings[j]

    def pair_lowering(self, i: int, j: int) -> Lowering:
        if (i, j) not in self._pair_lowerings:
            self._pair_lowerings[(i, j)] = Lowering(self.state(i), self.state(j))
        return self._pair_lowerings[(i, j)]

    def choice(self, i: int, j: int) -> z3.ArithRef:
        if (i, j) not in self._choices:
            self._choices[(i, j)] = z3.Int(f"{self.prefix}act_{i}_{j}")
        return self._choices[(i, j)]

    # -- constraints ------------------------------------------------------------------------

    def init(self, j: int = 0) -> z3.BoolRef:
        """State j is one of the initial states; `init_choice` says which init instance."""
        s = self.state(j)
        options = []
        for k, init_state in enumerate(self.init_states):
            options.append(
                z3.And(self.init_choice == k, *[x == v for x, v in zip(s, init_state)])
            )
        return disj(options)

    def domain(self, j: int) -> z3.BoolRef:
        s = self.state(j)
        return conj(
            [z3.And(x >= slot.domain.lo, x <= slot.domain.hi) for x, slot in zip(s, self.program.slots)]
        )

    def constraint(self, j: int) -> z3.BoolRef:
        """State j is inside every @constraint, so it is explored (TLC's CONSTRAINT: a state
        outside is checked but has no successors). True when the model has none."""
        low = self.lowering(j)
        return conj([z3.And(low.defined(c.expr), low.cond(c.expr)) for c in self.program.of_kind("constraint")])

    def trans(self, i: int, j: int) -> z3.BoolRef:
        """State j is a successor of state i under some enabled action instance that does not
        raise a run-time error. The next value of each slot is an If-chain over the actions
        that write it (cheaper than one frame condition per action and slot)."""
        actions = self.program.actions
        if not actions:
            return z3.BoolVal(False)
        low = self.lowering(i)
        pre, post = self.state(i), self.state(j)
        c = self.choice(i, j)
        parts: list[z3.BoolRef] = [c >= 0, c < len(actions)]
        for k, a in enumerate(actions):
            enabled = conj([low.defined(a.guard), low.cond(a.guard)] + [low.defined(e) for _, e in a.updates])
            parts.append(_implies(c == k, enabled))
        writers: dict[int, list[tuple[int, z3.ArithRef]]] = {}
        for k, a in enumerate(actions):
            for slot, e in a.updates:
                writers.setdefault(slot, []).append((k, as_int(low.value(e))))
        for slot in range(len(pre)):
            nxt: z3.ArithRef = pre[slot]
            for k, v in reversed(writers.get(slot, [])):
                nxt = z3.If(c == k, v, nxt)
            parts.append(post[slot] == nxt)
        return conj(parts)

    def fires(self, action: Action, i: int, j: int) -> z3.BoolRef:
        """State j is the successor of state i under this one action instance (enabled, no
        run-time error, every slot equal to its update or its old value)."""
        low = self.lowering(i)
        pre, post = self.state(i), self.state(j)
        updates = dict(action.updates)
        parts = [low.defined(action.guard), low.cond(action.guard)]
        parts += [low.defined(e) for e in updates.values()]
        for slot in range(len(pre)):
            e = updates.get(slot)
            parts.append(post[slot] == (pre[slot] if e is None else as_int(low.value(e))))
        return conj(parts)

    def action_errors(self, j: int) -> z3.BoolRef:
        """Some action instance raises a run-time error when fired in state j."""
        low = self.lowering(j)
        return disj([action_error(low, a) for a in self.program.actions])

    def invariant(self, e: Expr, j: int) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(value, defined) of a state predicate in state j."""
        low = self.lowering(j)
        return low.cond(e), low.defined(e)

    def step_property(self, e: Expr, i: int, j: int) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(value, defined) of an action property over the step from state i to state j."""
        low = self.pair_lowering(i, j)
        return low.cond(e), low.defined(e)

    def differ(self, i: int, j: int) -> z3.BoolRef:
        return disj([x != y for x, y in zip(self.state(i), self.state(j))])

    # -- decoding ---------------------------------------------------------------------------

    def read_state(self, model: z3.ModelRef, j: int) -> State:
        out = []
        for x in self.state(j):
            v = model.eval(x, model_completion=True)
            assert isinstance(v, z3.IntNumRef), f"no integer value for {x}: {v}"
            out.append(v.as_long())
        return tuple(out)

    def read_int(self, model: z3.ModelRef, x: z3.ArithRef) -> int:
        v = model.eval(x, model_completion=True)
        assert isinstance(v, z3.IntNumRef), f"no integer value for {x}: {v}"
        return v.as_long()

    def decode_path(self, model: z3.ModelRef, order: Sequence[int], from_init: bool = True) -> DecodedPath:
        """The states `order[0], order[1], ...` of a path (consecutive ones related by
        `trans(order[t], order[t + 1])`) and the actions chosen between them."""
        states = tuple(self.read_state(model, j) for j in order)
        actions = tuple(self.read_int(model, self.choice(i, j)) for i, j in zip(order, order[1:]))
        init = self.read_int(model, self.init_choice) if from_init else None
        return DecodedPath(states, actions, init)


def evaluate_concrete(e: Expr, pre: Sequence[int], post: Sequence[int] | None = None) -> int | None:
    """The value of `e` on concrete states computed through Z3 (`z3.simplify` of the lowered
    term), or None when the side condition says evaluating it raises a run-time error.
    Bools come back as 0/1. Used by the differential tests against the reference evaluator."""
    low = Lowering(concrete(pre), None if post is None else concrete(post))
    value, defined = low.lower(e)
    d = z3.simplify(defined)
    if z3.is_false(d):
        return None
    if not z3.is_true(d):
        raise Z3BackendError(f"side condition did not simplify to a constant: {d}")
    v = z3.simplify(as_int(value))
    if not isinstance(v, z3.IntNumRef):
        raise Z3BackendError(f"value did not simplify to a constant: {v}")
    return v.as_long()


def fire_concrete(action: Action, state: Sequence[int]) -> State | None:
    """`reference.fire` computed through Z3: the successor, None when disabled; raises
    `ModelRuntimeError` where the side conditions say the reference evaluator would."""
    low = Lowering(concrete(state))
    err = z3.simplify(action_error(low, action))
    if z3.is_true(err):
        raise ModelRuntimeError(f"{action.label} raises a run-time error (Z3 side condition)")
    if not z3.is_false(err):
        raise Z3BackendError(f"error condition did not simplify to a constant: {err}")
    g = z3.simplify(low.cond(action.guard))
    if z3.is_false(g):
        return None
    if not z3.is_true(g):
        raise Z3BackendError(f"guard did not simplify to a constant: {g}")
    new = list(state)
    for slot, e in action.updates:
        v = z3.simplify(as_int(low.value(e)))
        if not isinstance(v, z3.IntNumRef):
            raise Z3BackendError(f"update did not simplify to a constant: {v}")
        new[slot] = v.as_long()
    return tuple(new)


__all__ = [
    "RULES",
    "NODE_RULES",
    "Rule",
    "Lowering",
    "Unrolling",
    "DecodedPath",
    "Z3BackendError",
    "action_error",
    "evaluate_concrete",
    "fire_concrete",
    "concrete",
    "conj",
    "disj",
    "py_floordiv",
    "py_mod",
]
