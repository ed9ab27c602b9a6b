"""Readable counterexamples to induction: which parts of the invariants break, and which state
entries matter.

Owns: `false_conjuncts` (the smallest conjuncts of an invariant that are false in a state,
with the slots they read), `relevant_slots` (the slots an `InductionFailure` depends on: what
the action reads and writes, and what the broken conjuncts read) and `explain_failure` (the
failure as text: the action, what breaks, the relevant entries of the pre-state and what the
action changed). A model with five nodes and three volumes has hundreds of slots; a user who
strengthens an invariant needs the dozen that the failing step touches.

Must not import: `replicheck.explore`, `replicheck.cli`, `replicheck.lang`, z3, numpy, hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.ir import Expr, Op, Program, State, pretty
from replicheck.ir.nodes import slots_read
from replicheck.ir.types import show

if TYPE_CHECKING:  # pragma: no cover
    from .induction import InductionFailure


@dataclass(frozen=True)
class Culprit:
    """A false part of an invariant: `expr` is false in the state; `slots` are the slots
    whose values make it so (for `a => b`, those of `a` and of the false parts of `b`)."""

    expr: Expr
    slots: frozenset[int]


def _value(e: Expr, state: State) -> bool | None:
    try:
        return bool(evaluate(e, state))
    except ModelRuntimeError:
        return None


def false_conjuncts(e: Expr, state: State) -> list[Culprit]:
    """The smallest parts of the boolean `e` that are false (or raise) in `state`: descend
    into conjunctions, and into the conclusion of an implication whose premise holds."""
    if isinstance(e, Op) and e.op == "and":
        out: list[Culprit] = []
        for a in e.args:
            if _value(a, state) is not True:
                out += false_conjuncts(a, state)
        return out or [Culprit(e, frozenset(slots_read([e])))]
    if isinstance(e, Op) and e.op == "implies" and len(e.args) == 2:
        premise, conclusion = e.args
        if _value(premise, state) is True:
            inner = false_conjuncts(conclusion, state)
            premise_slots = slots_read([premise])
            return [Culprit(e, frozenset(premise_slots | c.slots)) for c in inner]
    return [Culprit(e, frozenset(slots_read([e])))]


def broken_culprits(failure: InductionFailure) -> list[tuple[str, Culprit]]:
    """(invariant name, false part) for every broken invariant of the failure's post-state."""
    if failure.post is None:
        return []
    by_name = {p.name: p for p in failure.program.properties if p.kind == "invariant"}
    out: list[tuple[str, Culprit]] = []
    for name in failure.broken:
        prop = by_name.get(name)
        if prop is None:
            continue
        out += [(name, c) for c in false_conjuncts(prop.expr, failure.post)]
    return out


def relevant_slots(failure: InductionFailure) -> list[int]:
    """The slots the failure depends on, in slot order: read by the action's guard and
    updates, written by it, and read by the broken parts of the invariants."""
    program = failure.program
    slots: set[int] = set()
    action = next((a for a in program.actions if a.label == failure.action), None)
    if action is not None and failure.pre is not None:
        slots |= slots_read([action.guard, *(e for _, e in action.updates)])
        slots |= {i for i, _ in action.updates}
    for _, c in broken_culprits(failure):
        slots |= c.slots
    return sorted(slots)


def _entries(program: Program, state: State, slots: list[int]) -> list[str]:
    """One line per variable: `role = [v1, n1 -> blocked, v1, n3 -> secondary]`."""
    lines: list[str] = []
    wanted = set(slots)
    for var in program.vars:
        picked = [i for i in var.slot_range() if i in wanted]
        if not picked:
            continue
        t = var.value.type
        if var.kind == "scalar":
            lines.append(f"{var.name} = {show(t, state[var.first_slot])}")
            continue
        parts = []
        for i in picked:
            slot = program.slots[i]
            key = ", ".join(show(kt, k) for kt, k in zip(slot.key_types, slot.key))
            parts.append(f"{key} -> {show(t, state[i])}")
        lines.append(f"{var.name} = [{', '.join(parts)}]")
    return lines


def _changes(program: Program, pre: State, post: State) -> list[str]:
    return [
        f"{program.slots[i].name}: {show(program.slots[i].domain.type, pre[i])} -> "
        f"{show(program.slots[i].domain.type, post[i])}"
        for i in range(len(pre))
        if pre[i] != post[i]
    ]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def explain_failure(failure: InductionFailure, indent: str = "  ", max_expr: int = 240) -> str:
    """The failure as text for a user strengthening the invariant."""
    p = failure.program
    lines = [f"{failure.action} breaks {', '.join(failure.broken)}"]
    seen: set[tuple[str, str]] = set()
    for name, c in broken_culprits(failure):
        text = _clip(pretty(c.expr, p), max_expr)
        if (name, text) in seen:
            continue
        seen.add((name, text))
        lines.append(f"{indent}false in the post-state ({name}): {text}")
    slots = relevant_slots(failure)
    if failure.pre is None:
        lines.append(f"{indent}(an initial state)")
        if failure.post is not None:
            lines.append(f"{indent}state:")
            lines += [f"{indent}  {e}" for e in _entries(p, failure.post, slots or list(range(p.width)))]
        return "\n".join(lines)
    lines.append(f"{indent}pre-state (the entries the action and the broken parts read):")
    lines += [f"{indent}  {e}" for e in _entries(p, failure.pre, slots)]
    if failure.post is None:
        lines.append(f"{indent}post-state: none (the action raises a run-time error)")
    else:
        changes = _changes(p, failure.pre, failure.post)
        lines.append(f"{indent}post-state (what the action changed):")
        lines += [f"{indent}  {c}" for c in changes] or [f"{indent}  (nothing)"]
    return "\n".join(lines)
