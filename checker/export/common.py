"""What the TLA+ and Promela exporters share: identifier mangling and the selection of what
an export checks.

Owns: `Namer` (unique identifiers that avoid a target language's reserved words),
`ExportError` (a program the exporters cannot translate faithfully, with the reason),
`checked_properties` (which properties an export checks, after `skip`).

Must not import: anything of checker but `replicheck.ir`; no z3, numpy or hypothesis.
"""

from __future__ import annotations

import re
from typing import Iterable

from replicheck.errors import UsageProblem
from replicheck.ir import Program, Property


class ExportError(UsageProblem):
    """The program cannot be exported faithfully; the message says why and what to do."""


_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


class Namer:
    """Hands out identifiers that are unique, valid and not reserved in the target language."""

    def __init__(self, reserved: Iterable[str], case_insensitive: bool = False) -> None:
        self._fold = case_insensitive
        self._taken: set[str] = {self._key(r) for r in reserved}

    def _key(self, name: str) -> str:
        return name.lower() if self._fold else name

    def reserve(self, name: str) -> None:
        self._taken.add(self._key(name))

    def taken(self, name: str) -> bool:
        return self._key(name) in self._taken

    def copy(self) -> "Namer":
        """A namer that starts from every name this one has handed out or reserved."""
        other = Namer((), self._fold)
        other._taken = set(self._taken)
        return other

    def fresh(self, wanted: str) -> str:
        base = _NOT_IDENT.sub("_", wanted) or "x"
        if base[0].isdigit():
            base = "x" + base
        name = base
        n = 1
        while self._key(name) in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._taken.add(self._key(name))
        return name


def checked_properties(program: Program, kind: str, skip: Iterable[str] = ()) -> list[Property]:
    skipped = set(skip)
    return [p for p in program.properties if p.kind == kind and p.name not in skipped]


def unknown_skips(program: Program, skip: Iterable[str]) -> list[str]:
    names = {p.name for p in program.properties}
    return sorted(s for s in skip if s not in names)
