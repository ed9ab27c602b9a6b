"""How much tracing a model instance asks for, and the limits that refuse a blowup early.

Owns: the named limits (`MAX_SORT_SIZE`, `MAX_SLOTS`, `MAX_INSTANCES`, `MAX_WORK`,
`MAX_EXPR_DEPTH`, and `PROGRESS_WORK`, above which a slow trace prints progress); the
estimate made before anything is traced (`Estimate`: the state's slots, and per action the
number of instances, the product of its parameters' domain sizes); the refusal that names
the action or variable causing it and the setting to make smaller; `expr_depth`, the depth of
a traced expression (measured without recursion); and `TraceClock`, which checks the deadline
(`--max-seconds`) between traced instances and prints a progress line on stderr when a large
trace takes more than a few seconds.

The cost of a model instance, for tracing and for the compiled backend (which writes each
action instance's successor as a tuple of every slot), grows with instances x slots: that
product is `work`. Measured on classic.two_phase (4 actions per RM, 3 slots per RM): RM=100
is 152,000 instance-slots and compiles in 3.5 s using 0.5 GB, RM=200 is 604,000 and takes
30 s and 2.1 GB; so `MAX_WORK` is 500,000.

Must not import: anything of checker but `replicheck.ir`, `replicheck.errors` and
`replicheck.lang` (errors).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass, field

from replicheck.errors import TracingIncomplete
from replicheck.ir import nodes as N
from replicheck.ir.types import Domain, ElemType

from .errors import ModelError, TraceSite

MAX_SORT_SIZE = 1_000_000  # a sort's size (its elements are built when the model is instantiated)
MAX_SLOTS = 100_000  # state slots: every state is a tuple of this many ints
MAX_INSTANCES = 50_000  # instances of one action (bindings of its parameters)
MAX_WORK = 500_000  # action instances x state slots (see the module docstring)
PROGRESS_WORK = 50_000  # above this, a trace slower than PROGRESS_SECONDS prints progress
PROGRESS_SECONDS = 3.0
# Expressions deeper than this are refused: the compiled backend writes an expression as
# nested Python text, and Python's parser stops at 200 nested parentheses (sum_of, count,
# forall and exists build balanced or flat expressions, so they stay shallow).
MAX_EXPR_DEPTH = 120


@dataclass
class ActionCost:
    name: str  # "commit(rm)"
    instances: int
    params: list[tuple[str, Domain]]
    source: N.SourceInfo | None = None  # its def line


@dataclass
class Estimate:
    """What tracing a model instance will do, computed from its declarations alone."""

    model: str
    slots: int = 0
    biggest_var: tuple[str, int, list[Domain]] = ("", 0, field(default_factory=list))  # type: ignore[assignment]
    actions: list[ActionCost] = field(default_factory=list)

    @property
    def instances(self) -> int:
        return sum(a.instances for a in self.actions)

    @property
    def work(self) -> int:
        return self.instances * max(1, self.slots)


def _prod(sizes: list[int]) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


def var_slots(keys: list[Domain]) -> int:
    return _prod([k.size for k in keys])


def action_instances(params: list[tuple[str, Domain]]) -> int:
    return _prod([d.size for _, d in params])


def _smaller(domains: list[Domain], what: str) -> str:
    """What to make smaller: `--set RM=` for a sort, the Range itself for an int."""
    sorts = sorted({d.type.sort for d in domains if isinstance(d.type, ElemType)})
    ranges = [d for d in domains if not isinstance(d.type, ElemType) and d.size > 2]
    out = [f"use a smaller --set {s}=" for s in sorts]
    if ranges:
        out.append(f"give {what} a narrower Range than {ranges[0].lo:,}..{ranges[0].hi:,}")
    return " or ".join(out) if out else f"make {what} smaller"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _line(source: N.SourceInfo | None) -> N.SourceInfo | None:
    return source if source is not None and source.line else None


def check_estimate(est: Estimate) -> None:
    """Refuse, before tracing, a model instance that would blow up (see the limits above)."""
    name, nslots, keys = est.biggest_var
    if est.slots > MAX_SLOTS:
        raise ModelError(
            f"{est.model} has {est.slots:,} state slots (the limit is {MAX_SLOTS:,}): "
            f"`{name}` alone has {nslots:,}",
            _cap(_smaller(keys, f"the keys of {name}")) + ".",
        )
    for a in est.actions:
        if a.instances > MAX_INSTANCES:
            raise ModelError(
                f"action `{a.name}` of {est.model} would be traced {a.instances:,} times, once per "
                f"binding of its parameters (the limit is {MAX_INSTANCES:,})",
                _cap(_smaller([d for _, d in a.params], "its parameters")) + ".",
                _line(a.source),
            )
    if est.work > MAX_WORK:
        worst = max(est.actions, key=lambda a: a.instances)
        domains = [d for _, d in worst.params] + keys
        raise ModelError(
            f"{est.model} would trace {est.instances:,} action instances over {est.slots:,} state slots "
            f"({est.work:,} instance-slots; the limit is {MAX_WORK:,}): action `{worst.name}` is "
            f"traced {worst.instances:,} times and `{name}` has {nslots:,} slots",
            _cap(_smaller(domains, f"`{worst.name}`")) + ".",
            _line(worst.source),
        )


def expr_depth(e: N.Expr, memo: dict[int, int]) -> int:
    """The depth of an expression DAG (a leaf is 1), without recursion; `memo` (by id) is
    shared across the expressions of one model."""
    if id(e) in memo:
        return memo[id(e)]
    stack: deque[tuple[N.Expr, bool]] = deque([(e, False)])
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        kids = N.children(node)
        if done:
            memo[id(node)] = 1 + max((memo[id(k)] for k in kids), default=0)
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in memo)
    return memo[id(e)]


def check_depth(exprs: list[N.Expr], memo: dict[int, int], model: str, member: str, source: N.SourceInfo | None) -> None:
    """Refuse an action or property whose expressions are deeper than `MAX_EXPR_DEPTH`."""
    deepest = max((expr_depth(e, memo) for e in exprs), default=0)
    if deepest > MAX_EXPR_DEPTH:
        raise ModelError(
            f"its expression is {deepest:,} operators deep (the limit is {MAX_EXPR_DEPTH})",
            "A long chain such as `e = e + x` in a loop nests one operator per step: add up many "
            "terms with sum_of(...) or count(...), combine conditions with forall/exists (or "
            "And/Or of a list), which replicheck builds shallow.",
            source if source is not None and source.line else None,
            TraceSite(model, member),
        )


class TraceClock:
    """The deadline and progress of one model's trace: `tick` once per traced instance."""

    def __init__(self, model: str, total: int, work: int, max_seconds: float | None) -> None:
        self.model = model
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self.deadline = None if max_seconds is None else self.start + max_seconds
        self.max_seconds = max_seconds
        self.report = work >= PROGRESS_WORK
        self.last = self.start

    def tick(self, label: str) -> None:
        self.done += 1
        if self.deadline is None and not self.report:
            return
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            raise TracingIncomplete(
                f"the time limit ({self.max_seconds:g} s: --max-seconds, or prove --timeout) ran out while tracing {self.model}, at {label} "
                f"({self.done:,} of {self.total:,} action instances traced); nothing was checked"
            )
        if self.report and now - self.last >= PROGRESS_SECONDS:
            self.last = now
            print(
                f"[replicheck] tracing {self.model}: {self.done:,} of {self.total:,} action instances, "
                f"{now - self.start:.0f}s ({label})",
                file=sys.stderr,
                flush=True,
            )
