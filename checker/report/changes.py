"""What changed between two consecutive states of a trace, as text: shared by the renderers.

Owns: `Change` (one changed scalar, map entry or set, with its old and new value as text),
`step_changes` (the changes of step i of a trace), `initial_lines` (every variable of a state,
one `name = value` pair each), and `format_settings`.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir` and `replicheck.report.results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from replicheck.ir import Program, State, StateVar
from replicheck.ir.types import show

from .results import Trace


@dataclass(frozen=True)
class Change:
    """`name` is a scalar (`big`), one map entry (`role[n2]`, `link[n1, n2]`) or a set."""

    name: str
    old: str
    new: str


def state_changes(program: Program, before: State, after: State) -> list[Change]:
    """Every changed scalar, every changed map entry, and every changed set, in declaration order."""
    out: list[Change] = []
    for var in program.vars:
        rng = var.slot_range()
        if all(before[i] == after[i] for i in rng):
            continue
        if var.kind == "scalar":
            t = var.value.type
            out.append(Change(var.name, show(t, before[var.first_slot]), show(t, after[var.first_slot])))
        elif var.kind == "set":
            out.append(Change(var.name, program.show_var(var, before), program.show_var(var, after)))
        else:
            t = var.value.type
            for i in rng:
                if before[i] != after[i]:
                    out.append(Change(program.slots[i].name, show(t, before[i]), show(t, after[i])))
    return out


def step_changes(trace: Trace, i: int) -> list[Change]:
    """The changes step i (>= 1) of `trace` made to the state of step i-1."""
    if i < 1:
        raise ValueError("step 0 is the initial state; it has no changes")
    return state_changes(trace.program, trace.steps[i - 1].state, trace.steps[i].state)


def show_var(program: Program, var: StateVar, state: State) -> str:
    """`Program.show_var`, except that a map with several keys shows each key as a tuple:
    `[(n1, n2) -> true, ...]` rather than the ambiguous `[n1, n2 -> true, ...]`."""
    if var.kind != "map" or len(var.keys) < 2:
        return program.show_var(var, state)
    parts = []
    for i in var.slot_range():
        slot = program.slots[i]
        key = ", ".join(show(t, k) for t, k in zip(slot.key_types, slot.key, strict=True))
        parts.append(f"({key}) -> {show(var.value.type, state[i])}")
    return "[" + ", ".join(parts) + "]"


def initial_lines(program: Program, state: State) -> list[tuple[str, str]]:
    """(name, value) for every variable, values shown as `show_var` does."""
    return [(v.name, show_var(program, v, state)) for v in program.vars]


def show_value(v: Any) -> str:
    """A setting or parameter value as text: true, 3, none, n1."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def format_settings(settings: Mapping[str, Any]) -> str:
    if not settings:
        return "(none)"
    return ", ".join(f"{k}={show_value(v)}" for k, v in settings.items())
