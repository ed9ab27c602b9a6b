"""A mypy plugin that makes a model's declarations usable as types: `def promote(self, s, n: Node)`.

Owns: `plugin`, the entry point mypy calls when a configuration names this module
(`plugins = ["replicheck.mypy_plugin"]`). Without it mypy rejects `n: Node` ("Variable ... is
not valid as a type"), because `Node = Sort("Node")` is an object, not a class. With it, mypy
sees each assignment of a declaration as a class definition (the hook mypy offers for
functions that make classes, as SQLAlchemy's `declarative_base()` does):

- `Node = Sort("Node", ...)`, in a class body or at module level: a class `Node` whose
  instances are `Elem`s (what an action's `n: Node` receives), with metaclass
  `declarations.SortClass`, so that `Node.or_none` and `Partitions(Node)` still see the
  declaration and `self.Node` the sized sort (`for m in self.Node`, `self.Node.none`);
- `Role = Enum("Role", "idle", "primary")`: a class of `EnumValue`s whose only values are
  `Role.idle` and `Role.primary` (a misspelt value is an error; values that are not string
  literals make every attribute `Any`), iterable through `declarations.EnumClass`;
- `Ballot = Range(0, "max_ballot")` at module level: a subclass of `int` (in a class body,
  `x = Range(...)` declares a state variable, and stays a variable);
- `Bool` in an annotation: `bool`;
- in the body of a `Model` subclass, `Node = Node` (a sort, enum or range declared elsewhere,
  re-declared because the model needs it in its own namespace): the same class, where mypy
  would make a class-level `X = SomeClass` a variable (see `_class_alias_hook`).

An annotation that is a call, `b: Range(0, 3)`, cannot be a type for any plugin (mypy rejects
it while parsing); name the range at module level instead. Nor can a base class that is a
call (`class M(Partitions(Node), Model)`): mypy reports it ("Unsupported dynamic base class",
code `misc`) and then treats the class's unknown attributes as `Any`; see docs/guide.md.

The classes named here are strings: this module runs inside mypy and imports nothing of
replicheck. Its TypeInfos are ordinary classes to mypy, so they survive mypy's cache.

Must not import: anything of replicheck (and no other module of replicheck may import mypy).
"""

from __future__ import annotations

from typing import Callable

from mypy.mro import MroError, calculate_mro
from mypy.nodes import (
    ARG_POS,
    GDEF,
    MDEF,
    AssignmentStmt,
    Block,
    ClassDef,
    NameExpr,
    RefExpr,
    StrExpr,
    SymbolTable,
    SymbolTableNode,
    TypeInfo,
    Var,
)
from mypy.plugin import AnalyzeTypeContext, ClassDefContext, DynamicClassDefContext, Plugin
from mypy.types import Instance, Type

_DECL = "replicheck.lang.declarations"
SORT, ENUM, RANGE, BOOL = (f"{_DECL}.{name}" for name in ("Sort", "Enum", "Range", "Bool"))
MODEL = "replicheck.lang.model.Model"
_METADATA = "replicheck"  # key of TypeInfo.metadata marking the classes this plugin made


def _lookup_class(ctx: DynamicClassDefContext, fullname: str) -> TypeInfo | None:
    sym = ctx.api.lookup_fully_qualified_or_none(fullname)
    return sym.node if sym is not None and isinstance(sym.node, TypeInfo) else None


def _declare(
    ctx: DynamicClassDefContext, kind: str, base: str, metaclass: str, module_only: bool = False
) -> TypeInfo | None:
    """Define `ctx.name` as a class with the given base and metaclass in the current scope
    (a module or a class body; inside a function the name stays a variable). Returns the
    class, or None if it was not (or not yet) defined."""
    api = ctx.api
    fullname = api.qualified_name(ctx.name)
    if fullname == ctx.name:  # a function scope: qualified_name adds no prefix there
        return None
    at_module = fullname == f"{api.cur_mod_id}.{ctx.name}"
    if module_only and not at_module:
        return None
    existing = api.lookup_qualified(ctx.name, ctx.call, suppress_errors=True)
    if (
        existing is not None
        and isinstance(existing.node, TypeInfo)
        and existing.node.fullname == fullname
        and _METADATA in existing.node.metadata
    ):
        return None  # made on an earlier pass of the semantic analyser
    base_info, meta_info = _lookup_class(ctx, base), _lookup_class(ctx, metaclass)
    if base_info is None or meta_info is None:
        if not api.final_iteration:
            api.defer()
        return None
    defn = ClassDef(ctx.name, Block([]))
    defn.fullname = fullname
    defn.line, defn.column = ctx.call.line, ctx.call.column
    info = TypeInfo(SymbolTable(), defn, api.cur_mod_id)
    defn.info = info
    info.line, info.column = defn.line, defn.column
    info.bases = [Instance(base_info, [])]
    info.declared_metaclass = Instance(meta_info, [])
    try:
        calculate_mro(info)
    except MroError:  # pragma: no cover - the bases above are fixed and linear
        api.fail(f"replicheck.mypy_plugin: cannot make a class of {ctx.name}", ctx.call)
        return None
    info.metaclass_type = info.calculate_metaclass_type()
    info.metadata[_METADATA] = {"kind": kind}
    api.add_symbol_table_node(ctx.name, SymbolTableNode(GDEF if at_module else MDEF, info, plugin_generated=True))
    return info


def _sort_hook(ctx: DynamicClassDefContext) -> None:
    _declare(ctx, "sort", f"{_DECL}.Elem", f"{_DECL}.SortClass")


def _enum_values(ctx: DynamicClassDefContext) -> list[str] | None:
    """The value names of `Enum("Role", "a", "b")` or `Enum("Role", "a b")`; None unless
    they are all string literals given by position."""
    call = ctx.call
    if not call.args or any(kind != ARG_POS for kind in call.arg_kinds):
        return None
    values: list[str] = []
    for arg in call.args[1:]:
        if not isinstance(arg, StrExpr):
            return None
        values.append(arg.value)
    if len(values) == 1 and " " in values[0]:
        values = values[0].split()
    return values


def _enum_hook(ctx: DynamicClassDefContext) -> None:
    info = _declare(ctx, "enum", f"{_DECL}.EnumValue", f"{_DECL}.EnumClass")
    if info is None:
        return
    values = _enum_values(ctx)
    if values is None:
        info.fallback_to_any = True
        return
    for value in values:
        var = Var(value, Instance(info, []))
        var.info = info
        var._fullname = f"{info.fullname}.{value}"
        var.is_initialized_in_class = True
        info.names[value] = SymbolTableNode(MDEF, var, plugin_generated=True)


def _range_hook(ctx: DynamicClassDefContext) -> None:
    _declare(ctx, "range", "builtins.int", f"{_DECL}.RangeClass", module_only=True)


def _bool_hook(ctx: AnalyzeTypeContext) -> Type:
    return ctx.api.named_type("builtins.bool", [])


def _class_alias_hook(ctx: ClassDefContext) -> None:
    """In a model's class body, `Node = Node` (or `Peer = Node`) re-declares a sort, enum or
    range defined elsewhere (the model needs it in its own namespace at run time). mypy makes
    a class-level `X = SomeClass` a variable, which is not valid as a type in the methods
    below it; make it name the class instead, and analyse the class body again so that the
    annotations see it (mypy drops the errors of a deferred pass)."""
    info = ctx.cls.info
    changed = False
    for stmt in ctx.cls.defs.body:
        if not (isinstance(stmt, AssignmentStmt) and len(stmt.lvalues) == 1 and stmt.type is None):
            continue
        lvalue, rvalue = stmt.lvalues[0], stmt.rvalue
        if not (isinstance(lvalue, NameExpr) and isinstance(rvalue, RefExpr)):
            continue
        target = rvalue.node
        if not (isinstance(target, TypeInfo) and _METADATA in target.metadata):
            continue
        sym = info.names.get(lvalue.name)
        if sym is None or sym.node is target or not isinstance(sym.node, Var):
            continue
        # through the analyser (the class body is the current scope), so that it counts as
        # progress and the deferred pass below is not mistaken for a final one
        ctx.api.add_symbol_table_node(lvalue.name, SymbolTableNode(MDEF, target, plugin_generated=True))
        changed = True
    if changed and not ctx.api.final_iteration:
        ctx.api.defer()


class ReplicheckPlugin(Plugin):
    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        sym = self.lookup_fully_qualified(fullname)
        if sym is not None and isinstance(sym.node, TypeInfo) and sym.node.has_base(MODEL):
            return _class_alias_hook
        return None

    def get_dynamic_class_hook(self, fullname: str) -> Callable[[DynamicClassDefContext], None] | None:
        return {SORT: _sort_hook, ENUM: _enum_hook, RANGE: _range_hook}.get(fullname)

    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        return _bool_hook if fullname == BOOL else None


def plugin(version: str) -> type[Plugin]:
    """The entry point mypy calls with its version."""
    return ReplicheckPlugin
