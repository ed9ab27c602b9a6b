"""The reference evaluator: the simple, obviously right meaning of the IR.

Owns: `evaluate` (an expression on a pre-state, and for action properties a post-state),
`fire` (an action instance on a state: None if disabled, else the successor), `initial_states`
and `successors`. It favours clarity over speed: every trace any engine reports is replayed
through it before it is shown, and every other backend is tested against it.

A model's run-time error (reading `role[none]`, dividing by zero) raises `ModelRuntimeError`.
Values outside a slot's domain are NOT rejected here; `Program.out_of_domain` finds them, so
that engines can report them as violations with a trace.

Must not import: z3, numpy, hypothesis; nothing of checker but `replicheck.ir`.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from replicheck.ir import Action, Const, Expr, Index, Op, Post, Program, SourceInfo, State, Var
from replicheck.ir.types import ElemType, EnumType, Type, show


class ModelRuntimeError(Exception):
    """The model did something undefined while evaluating, e.g. read `role[none]`."""

    def __init__(self, message: str, source: SourceInfo | None = None) -> None:
        super().__init__(message)
        self.source = source


def index_message(t: Type, key: int, offset: int, count: int) -> str:
    """A map read or written at a key outside its keys, in the model's terms (`none`, not
    -1). Every backend reports this run-time error with this text."""
    shown = show(t, key)
    if isinstance(t, ElemType):
        keys = ", ".join(t.names[max(offset, 0) : offset + count])
    elif isinstance(t, EnumType):
        keys = ", ".join(t.values[max(offset, 0) : offset + count])
    else:
        keys = f"{offset}..{offset + count - 1}"
    return f"a map was read or written at key {shown}, which is not one of its keys ({keys})"


def _floordiv(x: int, y: int) -> int:
    if y == 0:
        raise ModelRuntimeError("division by zero")
    return x // y


def _mod(x: int, y: int) -> int:
    if y == 0:
        raise ModelRuntimeError("modulo by zero")
    return x % y


# One rule per operator over already-evaluated operands, except the lazy ones (and, or,
# implies, ite), which receive thunks so that an untaken branch is never evaluated.
STRICT_RULES: dict[str, Callable[..., int]] = {
    "not": lambda a: 1 - a,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "neg": lambda a: -a,
    "floordiv": _floordiv,
    "mod": _mod,
    "min": min,
    "max": max,
    "eq": lambda a, b: int(a == b),
    "ne": lambda a, b: int(a != b),
    "lt": lambda a, b: int(a < b),
    "le": lambda a, b: int(a <= b),
    "gt": lambda a, b: int(a > b),
    "ge": lambda a, b: int(a >= b),
}
LAZY_RULES: dict[str, Callable[[Sequence[Callable[[], int]]], int]] = {
    "and": lambda xs: int(all(x() for x in xs)),
    "or": lambda xs: int(any(x() for x in xs)),
    "implies": lambda xs: int((not xs[0]()) or bool(xs[1]())),
    "ite": lambda xs: xs[1]() if xs[0]() else xs[2](),
}
RULES: frozenset[str] = frozenset(STRICT_RULES) | frozenset(LAZY_RULES)
NODE_RULES: frozenset[type] = frozenset({Const, Var, Post, Op, Index})


def evaluate(e: Expr, pre: State, post: State | None = None) -> int:
    """The value of `e` in state `pre` (and `post` for `Post` nodes)."""
    memo: dict[int, int] = {}

    def thunk(a: Expr) -> Callable[[], int]:
        return lambda: ev(a)

    def ev(n: Expr) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        if isinstance(n, Const):
            v = n.value
        elif isinstance(n, Var):
            v = pre[n.slot]
        elif isinstance(n, Post):
            if post is None:
                raise ModelRuntimeError("next-state value read outside an action property")
            v = post[n.slot]
        elif isinstance(n, Index):
            i = ev(n.index) - n.offset
            if not 0 <= i < len(n.choices):
                raise ModelRuntimeError(index_message(n.index.type, i + n.offset, n.offset, len(n.choices)), n.source)
            v = ev(n.choices[i])
        elif isinstance(n, Op):
            if n.op in LAZY_RULES:
                v = LAZY_RULES[n.op]([thunk(a) for a in n.args])
            else:
                v = STRICT_RULES[n.op](*[ev(a) for a in n.args])
        else:  # pragma: no cover - guarded by the coverage test
            raise TypeError(f"no rule for {type(n).__name__}")
        memo[key] = v
        return v

    return ev(e)


def holds(e: Expr, pre: State, post: State | None = None) -> bool:
    return bool(evaluate(e, pre, post))


def fire(action: Action, state: State) -> State | None:
    """The successor of `state` under `action`, or None when its guard is false."""
    if not evaluate(action.guard, state):
        return None
    new = list(state)
    for slot, e in action.updates:
        new[slot] = evaluate(e, state)
    return tuple(new)


def initial_states(program: Program) -> Iterator[tuple[Action, State]]:
    """Each enabled init instance with the initial state it produces (duplicates included)."""
    blank: State = tuple(0 for _ in program.slots)
    for a in program.inits:
        s = fire(a, blank)
        if s is not None:
            yield a, s


def successors(program: Program, state: State) -> Iterator[tuple[Action, State]]:
    for a in program.actions:
        s = fire(a, state)
        if s is not None:
            yield a, s
