"""Which properties a run checks: one selection, shared by every engine.

Owns: `select(program, only, skip, kinds=..., deadlock=..., helpers=...)` and `Selection`.
`only` names the properties to check (None or empty: all of the engine's kinds), `skip` those
to leave out; the name "deadlock" selects or skips deadlock checking. A name the model does
not have is an `UnknownProperty` (a usage error, exit 2) listing the model's properties, the
same words from `check`, `prove`, `simulate`, the liveness graph and the Python API.
`helpers=False` leaves out the strengthening invariants (the helpers `prove --inductive`
needs) unless `only` names them: `simulate` does so by default.

Must not import: anything of replicheck outside `replicheck.ir` but `replicheck.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from replicheck.errors import UnknownProperty

from .program import Program, Property

DEADLOCK = "deadlock"
ALL_KINDS = ("invariant", "action", "reachable", "liveness", "measure")


@dataclass(frozen=True)
class Selection:
    """The properties chosen (in the program's order, with their indices into
    `program.properties`) and whether deadlock is checked."""

    program: Program
    indices: tuple[int, ...]
    deadlock: bool

    @property
    def properties(self) -> list[Property]:
        return [self.program.properties[k] for k in self.indices]

    def of_kind(self, *kinds: str) -> list[int]:
        """The chosen indices of these kinds, in order."""
        return [k for k in self.indices if self.program.properties[k].kind in kinds]

    def named(self, *kinds: str) -> list[Property]:
        return [self.program.properties[k] for k in self.of_kind(*kinds)]

    @property
    def names(self) -> list[str]:
        return [self.program.properties[k].name for k in self.indices]


def check_names(program: Program, names: Iterable[str], deadlock_is_a_name: bool = True) -> None:
    """Raise `UnknownProperty` for the first name the model does not have."""
    known = {p.name for p in program.properties} | ({DEADLOCK} if deadlock_is_a_name else set())
    unknown = [n for n in dict.fromkeys(names) if n not in known]
    omitted = dict(program.omitted)
    for n in unknown:
        if n in omitted:
            raise UnknownProperty(
                f"{program.name}'s property {n!r} is part of the model only when its setting "
                f"{omitted[n]} is true, and here it is false. Write --set {omitted[n]}=true, or "
                "choose a variant that sets it."
            )
    if unknown:
        which = ", ".join(repr(n) for n in unknown)
        raise UnknownProperty(
            f"{program.name} has no property {which}; its properties are: {', '.join(sorted(known)) or '(none)'}"
        )


def select(
    program: Program,
    only: Iterable[str] | None = None,
    skip: Iterable[str] = (),
    *,
    kinds: Iterable[str] = ALL_KINDS,
    deadlock: bool = False,
    helpers: bool = True,
) -> Selection:
    """The properties of `kinds` a run checks (see the module docstring); `deadlock`: whether
    the run checks deadlock at all (the model's `check_deadlock`, or the caller's choice)."""
    only_set = frozenset(only or ())
    skip_set = frozenset(skip)
    check_names(program, list(only_set) + list(skip_set))
    kind_set = frozenset(kinds)

    def chosen(p: Property) -> bool:
        if p.kind not in kind_set or p.name in skip_set:
            return False
        if only_set:
            return p.name in only_set
        return helpers or not p.strengthening

    indices = tuple(k for k, p in enumerate(program.properties) if chosen(p))
    wants_deadlock = deadlock and (not only_set or DEADLOCK in only_set) and DEADLOCK not in skip_set
    return Selection(program, indices, wants_deadlock)


__all__ = ["ALL_KINDS", "DEADLOCK", "Selection", "check_names", "select"]
