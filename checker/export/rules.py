"""What the exporters' operator tables share: every exporter registers, for each IR primitive
(`replicheck.ir.primitives.PRIMITIVES`), either a rule (how it writes that operator) or an
explicit `Unsupported(reason)`, and a model that uses an unsupported operator is refused with
the reason rather than exported wrongly.

Owns: `Unsupported`; `rule_for` (a table's entry for one operator, or the refusal);
`refuse_unsupported` (the refusal of the first unsupported operator in some expressions,
before any text is written for them); `where_action` and `where_property` (how a refusal
names where the operator occurs). The refusal is an `ExportError` (a usage problem, exit 2)
naming the operator, the exporter, where it occurs and why. An operator missing from a table
altogether is a bug of replicheck (`InternalError`, exit 4); `tests/ir/test_primitives.py`
lists, per backend and exporter, the primitives that have no entry.

Must not import: anything of checker but `replicheck.ir`, `replicheck.errors` and
`replicheck.export.common`; no z3, numpy or hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, TypeVar

from replicheck.errors import InternalError
from replicheck.ir import Action, Expr, Op, Property
from replicheck.ir.nodes import walk
from replicheck.ir.primitives import PRIMITIVES

from .common import ExportError


@dataclass(frozen=True)
class Unsupported:
    """A primitive an exporter cannot express faithfully. `reason` completes the sentence
    "... is not supported because ..." (so it does not start with "because")."""

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip() or self.reason.lstrip().lower().startswith("because"):
            raise ValueError(f"Unsupported needs a reason that completes 'because ...', not {self.reason!r}")


R = TypeVar("R")


def shown(op: str) -> str:
    """The operator as the pretty-printer writes it, over operands a, b, c: `a // b`."""
    p = PRIMITIVES[op]
    if p.arity == 0:
        return p.text.replace("{all}", "").strip().join(("a ", " b"))
    return p.text.format("a", "b", "c")


def rule_for(table: Mapping[str, R | Unsupported], op: str, exporter: str, where: str) -> R:
    """`table`'s rule for operator `op`; an `Unsupported` entry refuses the export (the
    `ExportError` says which operator, which exporter, where and why)."""
    entry = table.get(op)
    if entry is None:
        raise InternalError(f"the {exporter} exporter has no rule for the IR operator {op!r}; every primitive "
                            "needs a rule or an Unsupported entry (tests/ir/test_primitives.py lists what is missing)")
    if isinstance(entry, Unsupported):
        raise ExportError(
            f"the {exporter} exporter cannot express the operator {op!r} ({shown(op)}), used in {where}: "
            f"it is not supported because {entry.reason}; `replicheck check` checks the model as it is"
        )
    return entry


def refuse_unsupported(table: Mapping[str, object], exporter: str, where: str, roots: Iterable[Expr]) -> None:
    """Refuse the export if an expression of `roots` (which are exported as `where`) uses an
    operator that `table` marks `Unsupported`; done before their text is written, so that no
    path through the exporter (a recovered quantifier, a CASE over instances) can write it."""
    if not any(isinstance(entry, Unsupported) for entry in table.values()):
        return  # nothing to refuse: no need to walk the expressions
    for n in walk(list(roots)):
        if isinstance(n, Op) and isinstance(table.get(n.op), Unsupported):
            rule_for(table, n.op, exporter, where)


def action_roots(a: Action) -> list[Expr]:
    """The expressions an action (or an initial-state action) is exported from."""
    return [a.guard, *(e for _, e in a.updates)]


def where_action(a: Action, label: str | None = None, initial: bool = False) -> str:
    """`action crash(n=n1) (models/x.py:12)`: how a refusal names an action (or an initial
    state); `label` replaces the instance's own (an action family's name, say)."""
    src = f" ({a.source})" if a.source.line else ""
    return f"{'the initial state' if initial else 'action'} {label or a.label}{src}"


_KIND_NAMES = {"invariant": "invariant", "action": "action property", "liveness": "liveness property",
               "reachable": "reachability target", "measure": "measure", "constraint": "constraint"}


def where_property(p: Property) -> str:
    """`invariant single_primary (models/x.py:40)`: how a refusal names a property."""
    src = f" ({p.source})" if p.source.line else ""
    return f"{_KIND_NAMES.get(p.kind, p.kind)} {p.name}{src}"


__all__ = ["Unsupported", "action_roots", "refuse_unsupported", "rule_for", "shown", "where_action", "where_property"]
