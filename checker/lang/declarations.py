"""What a model declares: sorts, enums, ranges, state variables, and concrete values.

Owns: the declaration objects a model class holds (`Sort`, `Enum`, `Range`, `Bool`, `Var`,
`Map`, `SetOf`), their resolution into IR domains once sizes and constants are known
(`resolve_type`), and the concrete values tracing hands to user code (`Elem`, `EnumValue`,
`SizedSort`). Comparing two concrete values gives a Python bool, so ordinary Python control
flow over parameters and constants (`if m != n:`) just works.

Must not import: anything of checker but `replicheck.ir` and `replicheck.lang` (errors, budget).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from replicheck.ir.types import (
    BOOL,
    INT,
    Domain,
    ElemType,
    EnumType,
    Type,
    bool_domain,
    elem_domain,
    enum_domain,
    range_domain,
)

from .budget import MAX_SORT_SIZE
from .errors import ModelError, user_location

if TYPE_CHECKING:
    from .model import Model


class TypeDecl:
    """Something that names a finite set of values: usable as a parameter, key or value type."""

    def resolve(self, model: "Model") -> Domain:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


class Sort(TypeDecl):
    """A finite set of interchangeable things (nodes, volumes) whose size is a setting.

    `Node = Sort("Node", default=3, symmetric=True)`; elements are shown as n1, n2, n3 (the
    prefix defaults to the first letter of the name, lower-cased). `Node.or_none` is the type
    of a value that is an element or `none`.
    """

    def __init__(
        self,
        name: str,
        default: int | None = None,
        symmetric: bool = False,
        prefix: str | None = None,
        doc: str = "",
    ) -> None:
        if default is not None and (
            not isinstance(default, int) or isinstance(default, bool) or not 1 <= default <= MAX_SORT_SIZE
        ):
            raise ModelError(
                f"the default size of sort {name} must be a whole number from 1 to {MAX_SORT_SIZE:,} "
                f"(or omitted), not {default!r}",
                f"Write Sort({name!r}, default=3); a sort's size can also be given with --set {name}=3.",
                user_location(),
            )
        self.name = name
        self.default = default
        self.symmetric = symmetric
        self.prefix = prefix if prefix is not None else name[0].lower()
        self.doc = doc

    @property
    def or_none(self) -> "SortOrNone":
        return SortOrNone(self)

    def names(self, size: int) -> tuple[str, ...]:
        return tuple(f"{self.prefix}{i + 1}" for i in range(size))

    def elem_type(self, model: "Model", has_none: bool = False) -> ElemType:
        size = model._sort_sizes.get(self.name)
        if size is None:
            raise ModelError(
                f"the sort {self.name} is not declared on {type(model).__name__} "
                f"(declare `{self.name} = Sort(\"{self.name}\")` in the class body)"
            )
        return ElemType(self.name, self.names(size), has_none)

    def resolve(self, model: "Model") -> Domain:
        return elem_domain(self.elem_type(model))

    def describe(self) -> str:
        return self.name

    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return self
        return instance._sized_sorts[self.name]

    def __repr__(self) -> str:
        return f"Sort({self.name!r})"


class SortOrNone(TypeDecl):
    def __init__(self, sort: Sort) -> None:
        self.sort = sort

    def resolve(self, model: "Model") -> Domain:
        return elem_domain(self.sort.elem_type(model, has_none=True))

    def describe(self) -> str:
        return f"{self.sort.name}.or_none"


def _negated_eq(self: Any, other: object) -> Any:
    """`!=` for concrete values: a Python bool against concrete values, a symbolic
    condition against a state value."""
    result = self.__eq__(other)
    if result is NotImplemented:
        return result
    return ~result if not isinstance(result, bool) else not result


class EnumValue:
    """A concrete value of an Enum, e.g. `Role.primary`."""

    __slots__ = ("enum", "index", "name")

    def __init__(self, enum: "Enum", index: int, name: str) -> None:
        self.enum = enum
        self.index = index
        self.name = name

    def __eq__(self, other: object) -> Any:
        if isinstance(other, EnumValue):
            return self.enum.type == other.enum.type and self.index == other.index
        from .terms import Term

        if isinstance(other, Term):
            return other == self
        return NotImplemented

    __ne__ = _negated_eq

    def __hash__(self) -> int:
        return hash((self.enum.name, self.index))

    def __repr__(self) -> str:
        return f"{self.enum.name}.{self.name}"


class Enum(TypeDecl):
    """A named finite set of values: `Role = Enum("Role", "secondary", "primary")`."""

    def __init__(self, name: str, *values: str) -> None:
        if len(values) == 1 and " " in values[0]:
            values = tuple(values[0].split())
        if not values:
            raise ModelError(f"Enum {name} needs at least one value")
        if len(set(values)) != len(values):
            raise ModelError(f"Enum {name} repeats a value: {', '.join(values)}")
        self.name = name
        self.type = EnumType(name, tuple(values))
        self.members = tuple(EnumValue(self, i, v) for i, v in enumerate(values))
        for m in self.members:
            if m.name.startswith("_") or m.name in ("name", "type", "members", "resolve"):
                raise ModelError(f"Enum {name}: {m.name!r} cannot be a value name")
            setattr(self, m.name, m)
        _ENUMS_BY_TYPE.setdefault(self.type, self)

    def __iter__(self) -> Iterator[EnumValue]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            # Python's own probes (copy, pickle, pretty-printers) must see a plain AttributeError
            raise AttributeError(item)
        values = self.__dict__.get("type", EnumType("", ())).values
        name = self.__dict__.get("name", "?")
        close = difflib.get_close_matches(item, values, n=1)
        raise ModelError(
            f"the enum {name} has no value {item!r}",
            (f"Did you mean {name}.{close[0]}? " if close else "")
            + f"Its values are {', '.join(values)}.",
            user_location(),
        )

    def resolve(self, model: "Model") -> Domain:
        return enum_domain(self.type)

    def describe(self) -> str:
        return self.name


class _BoolDecl(TypeDecl):
    def resolve(self, model: "Model") -> Domain:
        return bool_domain()

    def describe(self) -> str:
        return "Bool"

    def __iter__(self) -> Iterator[bool]:
        return iter((False, True))

    def __repr__(self) -> str:
        return "Bool"


Bool = _BoolDecl()


class Range(TypeDecl):
    """Integers lo..hi inclusive; a bound may name a setting: `Range(0, "max_epoch")`, or be
    computed from the model instance: `Range(1, lambda m: 2 ** len(m.Node) - 1)`.

    In a class body, `x = Range(0, 3)` declares a state variable; as an annotation or a map's
    key or value, it is a type.
    """

    def __init__(
        self,
        # a computed bound gets the model instance: Any, so that `lambda m: m.queue - 1` may
        # read the settings of the model's own class
        lo: int | str | Callable[[Any], int],
        hi: int | str | Callable[[Any], int],
        init: int | None = None,
        doc: str = "",
    ) -> None:
        self.lo = lo
        self.hi = hi
        self.init = init
        self.doc = doc

    def bound(self, model: "Model", b: int | str | Callable[[Any], int]) -> int:
        if callable(b):
            value = b(model)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ModelError(f"a computed Range bound must give an int, not {value!r}")
            return value
        if isinstance(b, str):
            setting = model._settings.get(b)
            if not isinstance(setting, int) or isinstance(setting, bool):
                raise ModelError(
                    f"Range bound {b!r} must name an int setting of {type(model).__name__}"
                )
            return setting
        return b

    def resolve(self, model: "Model") -> Domain:
        lo, hi = self.bound(model, self.lo), self.bound(model, self.hi)
        if lo > hi:
            raise ModelError(f"Range({self.lo!r}, {self.hi!r}) is empty: {lo} > {hi}")
        return range_domain(lo, hi)

    def describe(self) -> str:
        return f"Range({self.lo!r}, {self.hi!r})"


def as_type_decl(x: Any, what: str) -> TypeDecl:
    if isinstance(x, TypeDecl):
        return x
    if x is bool:
        return Bool
    raise ModelError(
        f"{what}: {x!r} is not a type; use a Sort, an Enum, Bool, Range(lo, hi) or Sort.or_none"
    )


class _Unset:
    """The default of `init=`: no initial value given (init() must assign the variable)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class StateDecl:
    """A state variable declaration in a class body."""

    name: str = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class Var(StateDecl):
    """A scalar state variable of any type: `mode = Var(Mode, init=Mode.sync)`."""

    def __init__(self, type: Any, init: Any = UNSET, doc: str = "") -> None:  # noqa: A002
        self.type = as_type_decl(type, "Var")
        self.init = init
        self.doc = doc


class Map(StateDecl):
    """A total function from one or more finite key types to values: `Map(Node, Role)`,
    `Map(Node, Node, Bool)` for a two-key map (the last argument is the value type)."""

    def __init__(self, *types: Any, init: Any = UNSET, doc: str = "") -> None:
        if len(types) < 2:
            raise ModelError("Map needs key type(s) and a value type: Map(Node, Role)")
        self.keys = tuple(as_type_decl(t, "Map key") for t in types[:-1])
        self.value = as_type_decl(types[-1], "Map value")
        self.init = init
        self.doc = doc


class SetOf(StateDecl):
    """A subset of a finite type: `SetOf(Node)`; stored as one Bool per element. It starts
    empty (`init=True` starts it full)."""

    def __init__(self, element: Any, init: bool = False, doc: str = "") -> None:
        self.element = as_type_decl(element, "SetOf")
        if not isinstance(init, bool):
            raise ModelError("SetOf(..., init=) takes False (empty, the default) or True (full)")
        self.init = init
        self.doc = doc


class Elem:
    """A concrete element of a sized sort, e.g. n2; `none` has index -1."""

    __slots__ = ("type", "index")

    def __init__(self, type: ElemType, index: int) -> None:
        self.type = type
        self.index = index

    @property
    def name(self) -> str:
        return "none" if self.index < 0 else self.type.names[self.index]

    def __eq__(self, other: object) -> Any:
        if isinstance(other, Elem):
            return self.type.sort == other.type.sort and self.index == other.index
        if other is None:
            return self.index < 0
        from .terms import Term

        if isinstance(other, Term):
            return other == self
        return NotImplemented

    __ne__ = _negated_eq

    def __hash__(self) -> int:
        return hash((self.type.sort, self.index))

    def __lt__(self, other: object) -> Any:
        raise ModelError(
            f"elements of the sort {self.type.sort} are unordered; compare them with == and !="
        )

    __le__ = __gt__ = __ge__ = __lt__

    def __repr__(self) -> str:
        return self.name


class SizedSort:
    """A sort with its size fixed by the settings: iterate it to get its elements."""

    def __init__(self, decl: Sort, size: int) -> None:
        self.decl = decl
        self.name = decl.name
        self.type = ElemType(decl.name, decl.names(size), False)
        self.elems = tuple(Elem(self.type, i) for i in range(size))
        self.none = Elem(ElemType(decl.name, self.type.names, True), -1)

    def __iter__(self) -> Iterator[Elem]:
        return iter(self.elems)

    def __len__(self) -> int:
        return len(self.elems)

    def __getitem__(self, i: int) -> Elem:
        return self.elems[i]

    def __repr__(self) -> str:
        return f"{self.name}{{{', '.join(e.name for e in self.elems)}}}"


def concrete_values(domain: Domain) -> Sequence[Any]:
    """The Python values user code receives for each value of a parameter domain."""
    t: Type = domain.type
    if t == BOOL:
        return tuple(bool(i) for i in domain.values())
    if isinstance(t, EnumType):
        return tuple(_enum_value(t, i) for i in domain.values())
    if isinstance(t, ElemType):
        return tuple(Elem(t if i >= 0 else ElemType(t.sort, t.names, True), i) for i in domain.values())
    assert t == INT
    return tuple(domain.values())


_ENUMS_BY_TYPE: dict[EnumType, Enum] = {}


def _enum_value(t: EnumType, i: int) -> EnumValue:
    enum = _ENUMS_BY_TYPE.get(t)
    if enum is None:
        enum = Enum(t.name, *t.values)
        _ENUMS_BY_TYPE[t] = enum
    return enum.members[i]


if TYPE_CHECKING:
    # What mypy sees, with `replicheck.mypy_plugin`, for the names a model declares. The plugin
    # turns `Node = Sort("Node")` into a class `Node` whose instances are `Elem`s (the values
    # an action's `n: Node` receives) and whose metaclass is `SortClass`, so that the name
    # still works as the declaration (`Node.or_none`, `Partitions(Node)`) and, read through
    # the model (`self.Node`), as the sized sort (`for m in self.Node`, `self.Node.none`).
    # Likewise `Role = Enum("Role", "a", "b")` becomes a class of `EnumValue`s with class
    # attributes `Role.a`, `Role.b` (and no others), and, at module level, `Ballot = Range(0,
    # 3)` a subclass of int. Nothing here exists at run time.
    from typing import TypeVar

    _T = TypeVar("_T")

    class SortClass(type, Sort):
        none: Elem

        def __iter__(cls: type[_T]) -> Iterator[_T]: ...
        def __len__(cls) -> int: ...
        def __getitem__(cls: type[_T], i: int) -> _T: ...

    class EnumClass(type, TypeDecl):
        name: str
        members: tuple[EnumValue, ...]

        def __iter__(cls: type[_T]) -> Iterator[_T]: ...
        def __len__(cls) -> int: ...

    class RangeClass(type, Range):
        pass
