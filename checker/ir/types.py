"""Value types and slot domains of the IR.

Owns: the four value types (Bool, Int, Enum, Elem), the `Domain` of a state slot (a type plus
the inclusive integer range its encoded values may take), and the encoding of values as ints.
Every value in the IR is an int: Bool is 0/1, an Enum value is its index, a sort element is
its index (0-based) with `none` encoded as -1, an Int is itself.

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

NONE_INDEX = -1


@dataclass(frozen=True)
class BoolType:
    def __str__(self) -> str:
        return "Bool"


@dataclass(frozen=True)
class IntType:
    def __str__(self) -> str:
        return "Int"


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ElemType:
    """An element of a finite sort (e.g. one of the nodes), optionally `none`."""

    sort: str
    names: tuple[str, ...]
    has_none: bool = False

    @property
    def size(self) -> int:
        return len(self.names)

    def __str__(self) -> str:
        return f"{self.sort}" + ("?" if self.has_none else "")

    def same_sort(self, other: object) -> bool:
        return isinstance(other, ElemType) and other.sort == self.sort


Type = Union[BoolType, IntType, EnumType, ElemType]

BOOL = BoolType()
INT = IntType()


def compatible(a: Type, b: Type) -> bool:
    """Whether values of types a and b may be compared or assigned to each other."""
    if isinstance(a, ElemType) and isinstance(b, ElemType):
        return a.sort == b.sort
    return a == b


@dataclass(frozen=True)
class Domain:
    """The values a state slot (or a parameter) may hold: a type and an inclusive range."""

    type: Type
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"empty domain {self.lo}..{self.hi}")

    @property
    def size(self) -> int:
        return self.hi - self.lo + 1

    def values(self) -> range:
        return range(self.lo, self.hi + 1)

    def contains(self, value: int) -> bool:
        return self.lo <= value <= self.hi

    def describe(self) -> str:
        t = self.type
        if isinstance(t, BoolType):
            return "Bool"
        if isinstance(t, EnumType):
            return f"{t.name} {{{', '.join(t.values)}}}"
        if isinstance(t, ElemType):
            return f"{t.sort}" + (" or none" if t.has_none else "")
        return f"{self.lo}..{self.hi}"


def bool_domain() -> Domain:
    return Domain(BOOL, 0, 1)


def enum_domain(t: EnumType) -> Domain:
    return Domain(t, 0, len(t.values) - 1)


def elem_domain(t: ElemType) -> Domain:
    return Domain(t, NONE_INDEX if t.has_none else 0, t.size - 1)


def range_domain(lo: int, hi: int) -> Domain:
    return Domain(INT, lo, hi)


def domain_of_type(t: Type) -> Domain:
    """The natural domain of a finite type (not defined for Int)."""
    if isinstance(t, BoolType):
        return bool_domain()
    if isinstance(t, EnumType):
        return enum_domain(t)
    if isinstance(t, ElemType):
        return elem_domain(t)
    raise ValueError("Int has no natural finite domain; give a Range")


def decode(t: Type, value: int) -> bool | int | str | None:
    """An encoded int as the Python value users see: True, 3, 'primary', 'n1', None (none)."""
    if isinstance(t, BoolType):
        return bool(value)
    if isinstance(t, EnumType):
        if 0 <= value < len(t.values):
            return t.values[value]
        return f"<{t.name} #{value}>"
    if isinstance(t, ElemType):
        if value == NONE_INDEX and t.has_none:
            return None
        if 0 <= value < t.size:
            return t.names[value]
        return f"<{t.sort} #{value}>"
    return value


def encode(t: Type, value: object) -> int:
    """The inverse of `decode`; raises ValueError for a value not of the type."""
    if isinstance(t, BoolType):
        if isinstance(value, bool):
            return int(value)
    elif isinstance(t, EnumType):
        if isinstance(value, str) and value in t.values:
            return t.values.index(value)
    elif isinstance(t, ElemType):
        if value is None and t.has_none:
            return NONE_INDEX
        if isinstance(value, str) and value in t.names:
            return t.names.index(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not a value of {t}")


def show(t: Type, value: int) -> str:
    """An encoded int as text: true, 3, primary, n1, none."""
    v = decode(t, value)
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
