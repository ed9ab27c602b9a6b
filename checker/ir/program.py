"""The traced model: state layout, actions, initial states and properties.

Owns: `StateVar` and `Slot` (how variables flatten into a vector of int slots), `Action` (one
instance of an action family: guard and parallel updates over the pre-state), `Property`, and
`Program`, the one object every engine reads. A state is a tuple of ints, one per slot.

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from .nodes import NO_SOURCE, Expr, SourceInfo
from .types import Domain, ElemType, Type, decode, show

State = tuple[int, ...]


@dataclass(frozen=True)
class StateVar:
    """A declared state variable: a scalar (no keys) or a map over one or more key domains."""

    name: str
    keys: tuple[Domain, ...]
    value: Domain
    first_slot: int
    kind: str = "scalar"  # "scalar", "map" or "set" (a map to Bool shown as a set)

    @property
    def slot_count(self) -> int:
        n = 1
        for k in self.keys:
            n *= k.size
        return n

    def slot_range(self) -> range:
        return range(self.first_slot, self.first_slot + self.slot_count)


@dataclass(frozen=True)
class Slot:
    index: int
    var: str
    key: tuple[int, ...]
    key_types: tuple[Type, ...]
    domain: Domain

    @property
    def name(self) -> str:
        """Like `role[n1]` or `link[n1, n2]` or `cp_epoch`."""
        if not self.key:
            return self.var
        parts = ", ".join(show(t, k) for t, k in zip(self.key_types, self.key))
        return f"{self.var}[{parts}]"


@dataclass(frozen=True)
class Param:
    name: str
    value: int
    type: Type

    def shown(self) -> str:
        return show(self.type, self.value)


@dataclass(frozen=True)
class Action:
    """One action instance: `family(params)`, enabled when `guard`, then all `updates` at once.

    `updates` maps slots to expressions over the pre-state; slots not listed keep their value.
    For initial-state "actions" the expressions read no state at all.
    """

    family: str
    params: tuple[Param, ...]
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]
    fairness: str | None = None  # None, "weak" or "strong"
    source: SourceInfo = NO_SOURCE

    @property
    def label(self) -> str:
        if not self.params:
            return self.family
        return f"{self.family}({', '.join(f'{p.name}={p.shown()}' for p in self.params)})"

    def param_values(self) -> dict[str, Any]:
        return {p.name: decode(p.type, p.value) for p in self.params}


TEMPORAL_FORMS = ("eventually", "always_eventually", "eventually_always", "leads_to")


@dataclass(frozen=True)
class Property:
    """A named property. kind: "invariant" (state predicate), "action" (over pre and post
    state: reads `Var` and `Post`), "reachable" (some reachable state satisfies it),
    "liveness" (a temporal formula `temporal` over the state predicates `expr` and, for
    leads_to, `expr2`: eventually P, always eventually P, eventually always P, P leads to Q),
    "measure" (`expr` is an Int whose range over the reachable states is reported),
    "constraint" (states where `expr` is false are checked but not explored)."""

    name: str
    kind: str
    expr: Expr
    source: SourceInfo = NO_SOURCE
    doc: str = ""
    temporal: str = ""
    expr2: Expr | None = None
    strengthening: bool = False  # a helper invariant, there to make others inductive


@dataclass(frozen=True)
class SortInfo:
    name: str
    type: ElemType
    symmetric: bool = False


@dataclass(frozen=True)
class Program:
    name: str
    sorts: tuple[SortInfo, ...]
    vars: tuple[StateVar, ...]
    slots: tuple[Slot, ...]
    inits: tuple[Action, ...]
    actions: tuple[Action, ...]
    properties: tuple[Property, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    variant: str | None = None
    families: tuple[str, ...] = ()
    # properties the model declares for other settings only: (name, the boolean setting that
    # must be true for it to be part of the model), so a run that names one can say why
    omitted: tuple[tuple[str, str], ...] = ()

    @property
    def width(self) -> int:
        return len(self.slots)

    def invariants(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "invariant")

    def action_properties(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "action")

    def reachables(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "reachable")

    def liveness(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "liveness")

    def of_kind(self, kind: str) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == kind)

    def var(self, name: str) -> StateVar:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)

    def out_of_domain(self, state: State) -> Iterator[Slot]:
        for slot, value in zip(self.slots, state):
            if not slot.domain.contains(value):
                yield slot

    def decode_state(self, state: State) -> dict[str, Any]:
        """A state as plain Python values: scalars, and dicts keyed by decoded keys for maps."""
        out: dict[str, Any] = {}
        for v in self.vars:
            if v.kind == "scalar":
                out[v.name] = decode(v.value.type, state[v.first_slot])
                continue
            table: dict[Any, Any] = {}
            for i in v.slot_range():
                slot = self.slots[i]
                key = tuple(decode(t, k) for t, k in zip(slot.key_types, slot.key))
                table[key[0] if len(key) == 1 else key] = decode(v.value.type, state[i])
            if v.kind == "set":
                out[v.name] = sorted(k for k, present in table.items() if present)
            else:
                out[v.name] = table
        return out

    def show_var(self, var: StateVar, state: State) -> str:
        """One variable of a state as text, like `[n1 -> primary, n2 -> secondary]`."""
        if var.kind == "scalar":
            return show(var.value.type, state[var.first_slot])
        parts = []
        for i in var.slot_range():
            slot = self.slots[i]
            key = ", ".join(show(t, k) for t, k in zip(slot.key_types, slot.key))
            if var.kind == "set":
                if state[i]:
                    parts.append(key)
            else:
                parts.append(f"{key} -> {show(var.value.type, state[i])}")
        return ("{" + ", ".join(parts) + "}") if var.kind == "set" else ("[" + ", ".join(parts) + "]")


def as_program(model: Any) -> Program:
    """A `Program`, or a model instance (anything with `.compile()`) compiled into one."""
    if isinstance(model, Program):
        return model
    compile_ = getattr(model, "compile", None)
    if compile_ is None:
        raise TypeError(f"expected a Program or a model instance, got {type(model).__name__}")
    program = compile_()
    if not isinstance(program, Program):
        raise TypeError(f"{type(model).__name__}.compile() did not return a Program")
    return program
