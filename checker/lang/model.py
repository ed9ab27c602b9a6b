"""The `Model` base class and the decorators that mark its actions and properties.

Owns: collecting a model class's declarations (sorts, enums, settings, state variables,
actions, properties, variants), instantiating it with settings (`Election(Node=3,
variant="no_fencing")`), and compiling it to an `ir.Program` by tracing every action once per
binding of its parameters.

Must not import: anything of checker but `replicheck.ir` and `replicheck.lang`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, Callable, Mapping, TypeVar

from replicheck.errors import InternalError, ReplicheckError
from replicheck.ir import IRCheckError, SourceInfo, check_program
from replicheck.ir import nodes as N
from replicheck.ir.program import Action, Param, Program, Property, Slot, SortInfo, StateVar
from replicheck.ir.types import BOOL, INT, Domain

from . import budget
from .declarations import (
    UNSET,
    Map,
    Range,
    SetOf,
    SizedSort,
    Sort,
    StateDecl,
    TypeDecl,
    Var,
    _BoolDecl,
    as_type_decl,
    concrete_values,
)
from .errors import ModelError, TraceSite, _inside_checker, _short_path, from_exception, traceback_location
from .terms import Term, to_expr
from .tracing import Layout, StateView, Temporal, Tracer

F = TypeVar("F", bound=Callable[..., Any])

FAIRNESS = (None, "weak", "strong")


@dataclass(frozen=True)
class MemberInfo:
    kind: str  # "action", "invariant", "action_property", "reachable", "liveness", ...
    fair: str | None = None
    strengthening: bool = False
    when: str | None = None  # a boolean setting: the property is part of the model only while it is true


def _mark(fn: Any, info: MemberInfo) -> Any:
    if hasattr(fn, "__replicheck__"):
        # re-marking an inherited member (`enter = action(Base.enter, fair="strong")`):
        # wrap it, so that the base class keeps its own marking
        original = fn

        @functools.wraps(original)
        def fn(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **kwargs)

    fn.__replicheck__ = info
    return fn


def action(fn: Any = None, *, fair: str | None = None) -> Any:
    """Mark a method `def name(self, s, p: Sort, ...)` as an action.

    `fair="weak"` or `"strong"` declares fairness for each instance (each binding of the
    parameters) separately.
    """
    if fair not in FAIRNESS:
        raise ModelError(f"fair= must be 'weak', 'strong' or omitted, not {fair!r}")
    if fn is None:
        return lambda f: _mark(f, MemberInfo("action", fair))
    return _mark(fn, MemberInfo("action", fair))


def invariant(fn: Any = None, *, strengthening: bool = False) -> Any:
    """Mark `def name(self, s)` returning a condition that must hold in every reachable state.

    `@invariant(strengthening=True)` marks a helper invariant: it is checked like any other,
    and `replicheck prove --inductive` uses it to make the model's real properties inductive.
    """
    if fn is None:
        return lambda f: _mark(f, MemberInfo("invariant", strengthening=strengthening))
    return _mark(fn, MemberInfo("invariant"))


def action_property(fn: F) -> F:
    """Mark `def name(self, s, t)`: a condition over every step from state s to state t."""
    return _mark(fn, MemberInfo("action_property"))  # type: ignore[no-any-return]


def reachable(fn: Any = None, *, when: str | None = None) -> Any:
    """Mark `def name(self, s)`: some reachable state must satisfy it (else it is vacuous).

    `@reachable(when="setting")` declares a goal that only makes sense under one boolean
    setting (a feature the variants turn on and off): where that setting is false the goal is
    not part of the model, so no run checks it and naming it says why.
    """
    if when is not None and not isinstance(when, str):
        raise ModelError(f"when= names a boolean setting, as a string, not {when!r}", 'Write @reachable(when="operators").')
    if fn is None:
        return lambda f: _mark(f, MemberInfo("reachable", when=when))
    return _mark(fn, MemberInfo("reachable"))


def liveness(fn: F) -> F:
    """Mark `def name(self, s)` returning `eventually(P)`, `always_eventually(P)`,
    `eventually_always(P)` or `leads_to(P, Q)`: checked over every fair behaviour."""
    return _mark(fn, MemberInfo("liveness"))  # type: ignore[no-any-return]


def measure(fn: F) -> F:
    """Mark `def name(self, s)` returning an int expression: the run reports its minimum and
    maximum over the reachable states, with a shortest trace to each."""
    return _mark(fn, MemberInfo("measure"))  # type: ignore[no-any-return]


def constraint(fn: F) -> F:
    """Mark `def name(self, s)` returning a condition: states where it is false are checked
    against the invariants but not explored further (like TLC's CONSTRAINT)."""
    return _mark(fn, MemberInfo("constraint"))  # type: ignore[no-any-return]


class TracerBug(InternalError):
    """The tracer produced a program the IR's sort checker rejects: a bug in replicheck."""


SETTING_TYPES = (bool, int, str)


@dataclass
class ModelShape:
    """A model class's declarations, in declaration order."""

    sorts: dict[str, Sort]
    settings: dict[str, Any]  # name -> default
    state: dict[str, StateDecl]
    members: dict[str, tuple[MemberInfo, Callable[..., Any]]]


def model_shape(cls: type) -> ModelShape:
    sorts: dict[str, Sort] = {}
    settings: dict[str, Any] = {}
    state: dict[str, StateDecl] = {}
    members: dict[str, tuple[MemberInfo, Callable[..., Any]]] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass is Model:
            continue
        annotations = klass.__dict__.get("__annotations__", {})
        for name, value in klass.__dict__.items():
            if name.startswith("_") or name in ("variants", "name", "description", "expected", "reasons", "check_deadlock"):
                continue
            if isinstance(value, Sort):
                sorts[value.name] = value
            elif isinstance(value, StateDecl):
                state[name] = value
            elif isinstance(value, _BoolDecl):
                v = Var(value)
                v.name = name
                state[name] = v
            elif isinstance(value, TypeDecl) and getattr(value, "name", None) != name:
                init = getattr(value, "init", None)
                v = Var(value, init=UNSET if init is None else init)  # `mode = Mode`: a scalar of an enum/sort declared elsewhere
                v.name = name
                state[name] = v
            elif callable(value) and hasattr(value, "__replicheck__"):
                members[name] = (value.__replicheck__, value)
            elif value is None and name in members:
                del members[name]  # `promote = None`: the subclass removes an inherited member
            elif name in members:
                _overridden_member(klass, name, members[name][0].kind, value)
            elif name in annotations and isinstance(value, SETTING_TYPES):
                settings[name] = value
    return ModelShape(sorts, settings, state, members)


def _overridden_member(klass: type, name: str, kind: str, value: Any) -> None:
    """A subclass redefines an inherited action or property without its decorator: it would
    silently stay what it was (or silently vanish); say what to write instead."""
    decorator = {"action": "@action", "action_property": "@action_property"}.get(kind, f"@{kind}")
    location = None
    fn = getattr(value, "__code__", None)
    if fn is not None:
        line = linecache.getline(fn.co_filename, fn.co_firstlineno).strip()
        location = SourceInfo(_short_path(fn.co_filename), fn.co_firstlineno, line)
    raise ModelError(
        f"{klass.__name__}.{name} replaces the inherited {decorator} {name} with something that is not one",
        f"Decorate it with {decorator} to redefine it, or write `{name} = None` in the class body to remove it.",
        location,
    )


class Model:
    """Base class of every replicheck model.

    A subclass declares sorts (`Node = Sort("Node", default=3)`), settings (annotated class
    attributes: `fencing: bool = True`), state variables (`role = Map(Node, Role)`), an
    `init(self, s)` method, `@action` methods and properties. `variants` maps a variant name
    to the settings it changes.
    """

    name: str = ""
    description: str = ""
    variants: Mapping[str, Mapping[str, Any]] = {}
    # The verdicts this model is expected to give: {variant: {property: "holds"|"violated"}}.
    # `replicheck sweep` flags any verdict that differs.
    expected: Mapping[str, Mapping[str, str]] = {}
    # Why each variant gives the verdicts `expected` declares, one sentence per variant:
    # {variant: "sentence"} (`sweep --format md` and docs/models show it).
    reasons: Mapping[str, str] = {}
    # False for models whose runs legitimately end (e.g. a commit protocol that terminates):
    # a state with no enabled action is then not reported as a deadlock.
    check_deadlock: bool = True

    # set once by __init__ (through object.__setattr__: instances are otherwise read-only)
    _sort_sizes: dict[str, int]
    _settings: dict[str, Any]
    _sized_sorts: dict[str, SizedSort]
    _variant: str | None

    def __init__(self, variant: str | None = None, **settings: Any) -> None:
        cls = type(self)
        here = _instantiation_site(self)
        shape = model_shape(cls)
        object.__setattr__(self, "_shape", shape)
        chosen: dict[str, Any] = {}
        if variant is not None:
            key = variant.replace("-", "_")
            variants = {k.replace("-", "_"): v for k, v in cls.variants.items()}
            if key not in variants:
                raise ModelError(
                    f"{self.model_name} has no variant {variant!r}",
                    "Its variants are: " + (", ".join(cls.variants) or "(none)") + ".",
                    here,
                )
            chosen.update(variants[key])
            variant = key
        chosen.update({k.replace("-", "_"): v for k, v in settings.items()})
        sizes: dict[str, int] = {}
        values: dict[str, Any] = dict(shape.settings)
        for key, value in chosen.items():
            if key in shape.sorts:
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= budget.MAX_SORT_SIZE:
                    raise ModelError(
                        f"the size of sort {key} of {self.model_name} must be a whole number from 1 to "
                        f"{budget.MAX_SORT_SIZE:,}, not {value!r}",
                        f"Write {key}=3.",
                        here,
                    )
                sizes[key] = value
            elif key in shape.settings:
                default = shape.settings[key]
                if type(value) is not type(default):
                    kind = type(default).__name__
                    raise ModelError(
                        f"setting {key} of {self.model_name} is {'an' if kind == 'int' else 'a'} "
                        f"{kind}, not {value!r}",
                        f"Write {key}={default!r} (a {kind}).",
                        here,
                    )
                values[key] = value
            else:
                known = list(shape.sorts) + list(shape.settings)
                raise ModelError(
                    f"{self.model_name} has no setting {key!r}",
                    "Its settings are: " + (", ".join(known) or "(none)") + ".",
                    here,
                )
        for sname, sort in shape.sorts.items():
            if sname not in sizes:
                if sort.default is None:
                    raise ModelError(
                        f"{self.model_name} needs the size of sort {sname}",
                        f"Give it: {cls.__name__}({sname}=3), or --set {sname}=3.",
                        here,
                    )
                sizes[sname] = sort.default
        object.__setattr__(self, "_sort_sizes", sizes)
        object.__setattr__(self, "_settings", values)
        object.__setattr__(self, "_variant", variant)
        object.__setattr__(
            self, "_sized_sorts", {n: SizedSort(s, sizes[n]) for n, s in shape.sorts.items()}
        )
        for key, value in values.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_program", None)

    @property
    def model_name(self) -> str:
        return type(self).name or type(self).__name__

    @property
    def variant(self) -> str | None:
        return self._variant  # type: ignore[attr-defined,no-any-return]

    def settings(self) -> dict[str, Any]:
        """Every sort size and setting in force."""
        return {**self._sort_sizes, **self._settings}  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        from .errors import user_location
        from .tracing import current_site

        raise ModelError(
            f"a model must not assign its own attributes (self.{name} = ...)",
            f"State lives in s: declare `{name} = Range(...)` (or Map, SetOf, Var) in the class "
            f"body and write s.{name} = ...; settings are given at instantiation.",
            user_location(),
            current_site(),
        )

    def compile(self, max_seconds: float | None = None) -> Program:
        """The traced program (cached). `max_seconds` stops a trace that takes longer
        (`replicheck.errors.TracingIncomplete`, exit 3).

        Every error of the model's own code (a Python exception in init, an action, a property,
        a computed Range bound, ...) is raised as a `ModelError` at the user's line; a model
        instance too large to trace is refused before tracing (`replicheck.lang.budget`)."""
        program = self._program  # type: ignore[attr-defined]
        if program is None:
            compiler = _Compiler(self, max_seconds)
            try:
                program = compiler.compile()
            except (ReplicheckError, KeyboardInterrupt):
                raise
            except BaseException as err:  # the model's code, outside any traced function
                if not traceback_location(err.__traceback__).line:
                    raise  # no frame of the user's: replicheck's own bug, not the model's
                raise from_exception(err, "the model's code", TraceSite(compiler.name, compiler.member)) from err
            object.__setattr__(self, "_program", program)
        return program  # type: ignore[no-any-return]


class _Compiler:
    def __init__(self, model: Model, max_seconds: float | None = None) -> None:
        self.model = model
        self.shape: ModelShape = model._shape  # type: ignore[attr-defined]
        self.name = model.model_name
        self._pre: list[N.Expr | None] | None = None
        self.member = ""  # what is being compiled, for errors of the model's code
        self.max_seconds = max_seconds
        self.clock = budget.TraceClock(self.name, 0, 0, max_seconds)
        self.depths: dict[int, int] = {}  # expression depths, by id, for budget.check_depth

    def estimate(self) -> budget.Estimate:
        """The state's slots and each action's instances, from the declarations alone."""
        est = budget.Estimate(self.name)
        for name, decl in self.shape.state.items():
            self.member = f"state variable {name}"
            if isinstance(decl, Map):
                keys = [self.domain(k, f"key of {name}") for k in decl.keys]
            elif isinstance(decl, SetOf):
                keys = [self.domain(decl.element, f"element of {name}")]
            else:
                keys = []
            n = budget.var_slots(keys)
            est.slots += n
            if n > est.biggest_var[1]:
                est.biggest_var = (name, n, keys)
        for name, (info, fn) in self.shape.members.items():
            if info.kind == "action":
                self.member = f"action {name}"
                params = self.param_domains(fn, 2, f"action {name}")
                label = name + (f"({', '.join(p for p, _ in params)})" if params else "")
                est.actions.append(budget.ActionCost(label, budget.action_instances(params), params, _fn_source(fn)))
        init = getattr(type(self.model), "init", None)
        if init is not None:
            self.member = "init"
            params = self.param_domains(init, 2, "init")
            label = "init" + (f"({', '.join(p for p, _ in params)})" if params else "")
            est.actions.append(budget.ActionCost(label, budget.action_instances(params), params, _fn_source(init)))
        self.member = ""
        return est

    def domain(self, decl: Any, what: str) -> Domain:
        try:
            return as_type_decl(decl, what).resolve(self.model)
        except ModelError as err:
            if err.site is None:  # e.g. an empty Range: say where it is used
                err.site = TraceSite(self.name, what)
                err.args = (err.render(),)
            raise

    def layout(self) -> tuple[Layout, dict[str, Any]]:
        vars_: dict[str, StateVar] = {}
        slots: list[Slot] = []
        inits: dict[str, Any] = {}
        for name, decl in self.shape.state.items():
            self.member = f"state variable {name}"
            if isinstance(decl, Var):
                keys: tuple[Domain, ...] = ()
                value = self.domain(decl.type, f"state variable {name}")
                kind = "scalar"
            elif isinstance(decl, Range):
                keys, value, kind = (), decl.resolve(self.model), "scalar"
            elif isinstance(decl, Map):
                keys = tuple(self.domain(k, f"key of {name}") for k in decl.keys)
                value, kind = self.domain(decl.value, f"value of {name}"), "map"
            elif isinstance(decl, SetOf):
                keys = (self.domain(decl.element, f"element of {name}"),)
                value, kind = Domain(BOOL, 0, 1), "set"
            else:  # pragma: no cover
                raise ModelError(f"unknown declaration for {name}")
            var = StateVar(name, keys, value, len(slots), kind)
            vars_[name] = var
            for combo in itertools.product(*[k.values() for k in keys]):
                slots.append(Slot(len(slots), name, tuple(combo), tuple(k.type for k in keys), value))
            init = getattr(decl, "init", UNSET)
            if init is not UNSET:
                inits[name] = init
        self.member = ""
        return Layout(self.name, vars_, tuple(slots)), inits

    def param_domains(self, fn: Callable[..., Any], skip: int, what: str) -> list[tuple[str, Domain]]:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[skip:]
        out = []
        for p in params:
            ann = p.annotation
            if ann is inspect.Parameter.empty:
                raise ModelError(
                    f"parameter `{p.name}` of {what} needs a type annotation",
                    f"Write `{p.name}: Node` (a Sort), an Enum, Bool or Range(lo, hi): replicheck "
                    "traces the action once for each value.",
                    _fn_source(fn),
                    TraceSite(self.name, what),
                )
            if isinstance(ann, str):
                ann = self.resolve_annotation(ann, fn, p.name, what)
            out.append((p.name, self.domain(ann, f"parameter {p.name} of {what}")))
        return out

    def resolve_annotation(self, text: str, fn: Callable[..., Any], pname: str, what: str) -> Any:
        scope = dict(getattr(fn, "__globals__", {}))
        for klass in reversed(type(self.model).__mro__):
            scope.update(vars(klass))
        try:
            return eval(text, scope)  # annotations are the model author's own code
        except Exception as err:
            raise ModelError(
                f"cannot resolve the annotation {text!r} of parameter {pname} of {what}: {err}",
                location=_fn_source(fn),
                site=TraceSite(self.name, what),
            ) from None

    def trace(
        self, layout: Layout, mode: str, member: str, fn: Callable[..., Any],
        env: list[N.Expr | None], args: list[Any], views: int = 1,
    ) -> Tracer:
        self.check_arity(fn, member, views, len(args))
        self.member = member
        if mode in ("action", "init"):
            self.clock.tick(member)
        tracer = Tracer(layout, TraceSite(self.name, member), mode, env)
        with tracer:
            states = [StateView(tracer, post=(i == 1)) for i in range(views)]
            try:
                result = fn(self.model, *states, *args)
            except ModelError as err:
                if err.site is None:  # raised by code that does not know what is being traced
                    err.site = tracer.site
                    err.args = (err.render(),)
                raise
            except (ReplicheckError, KeyboardInterrupt):
                raise
            except BaseException as err:  # a Python error in the model's own code
                raise from_exception(err, "the model's code", tracer.site) from err
        tracer.result = result  # type: ignore[attr-defined]
        return tracer

    def check_arity(self, fn: Callable[..., Any], member: str, views: int, nargs: int) -> None:
        """A function the model declares must take the model, its state view(s) and its
        parameters; say so in the model's terms rather than fail inside the call."""
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return
        try:
            sig.bind(*([None] * (1 + views + nargs)))
        except TypeError:
            states = "s, t" if views == 2 else "s"
            name = getattr(fn, "__name__", "f")
            raise ModelError(
                f"`{name}` takes the wrong number of arguments: replicheck calls it with the "
                f"model, {'the state before and after' if views == 2 else 'the state'}"
                + (f" and {nargs} parameter value(s)" if nargs else ""),
                f"Write `def {name}(self, {states}{', ...' if nargs else ''}):` (the first parameter is the model "
                "itself, as in any method).",
                _fn_source(fn),
                TraceSite(self.name, member),
            ) from None

    def bindings(self, domains: list[tuple[str, Domain]]) -> list[tuple[list[Param], list[Any]]]:
        out = []
        for combo in itertools.product(*[d.values() for _, d in domains]):
            params = [Param(n, v, d.type) for (n, d), v in zip(domains, combo)]
            args = [concrete_values(Domain(d.type, v, v))[0] for (_, d), v in zip(domains, combo)]
            out.append((params, args))
        return out

    def compile(self) -> Program:
        est = self.estimate()
        budget.check_estimate(est)
        self.clock = budget.TraceClock(self.name, est.instances, est.work, self.max_seconds)
        layout, defaults = self.layout()
        inits = self.compile_inits(layout, defaults)
        actions: list[Action] = []
        families: list[str] = []
        properties: list[Property] = []
        omitted: list[tuple[str, str]] = []
        for name, (info, fn) in self.shape.members.items():
            if info.kind == "action":
                families.append(name)
                actions.extend(self.compile_action(layout, name, info, fn))
            elif info.when is not None and not self.setting_is_on(name, info.when, fn):
                omitted.append((name, info.when))
            else:
                prop = self.compile_property(layout, name, info, fn)
                exprs = [prop.expr] + ([prop.expr2] if prop.expr2 is not None else [])
                budget.check_depth(exprs, self.depths, self.name, f"{info.kind.replace('_', ' ')} {name}", prop.source)
                properties.append(prop)
        program = Program(
            name=self.name,
            sorts=tuple(
                SortInfo(n, self.model._sized_sorts[n].type, s.symmetric)  # type: ignore[attr-defined]
                for n, s in self.shape.sorts.items()
            ),
            vars=tuple(layout.vars.values()),
            slots=layout.slots,
            inits=tuple(inits),
            actions=tuple(actions),
            properties=tuple(properties),
            settings=self.model.settings(),
            variant=self.model.variant,
            families=tuple(families),
            omitted=tuple(omitted),
        )
        try:  # the sort checker runs on every traced program, not only in tests
            check_program(program)
        except IRCheckError as err:
            raise TracerBug(f"tracing {self.name} produced an ill-sorted program: {err}") from None
        return program

    def setting_is_on(self, name: str, setting: str, fn: Callable[..., Any]) -> bool:
        """The value of the boolean setting a `@reachable(when=...)` goal names."""
        value = self.shape.settings.get(setting)
        if not isinstance(value, bool):
            known = ", ".join(k for k, v in self.shape.settings.items() if isinstance(v, bool)) or "(none)"
            raise ModelError(
                f"the goal {name} is declared with when={setting!r}, which names no boolean setting of {self.name}",
                f"Name one of its boolean settings ({known}), or declare `{setting}: bool = False` in the class.",
                _fn_source(fn),
                TraceSite(self.name, name),
            )
        return bool(getattr(self.model, setting))

    def compile_inits(self, layout: Layout, defaults: dict[str, Any]) -> list[Action]:
        fn = getattr(type(self.model), "init", None)
        base: list[N.Expr | None] = [None] * len(layout.slots)
        for name, value in defaults.items():
            var = layout.vars[name]
            with Tracer(layout, TraceSite(self.name, f"the init= of {name}"), "init", base):
                e = to_expr(value, var.value.type, f"init= of {name}")
            for slot in var.slot_range():
                base[slot] = e
        results: list[Action] = []
        bindings = self.bindings(self.param_domains(fn, 2, "init")) if fn else [([], [])]
        for params, args in bindings:
            label = "init" + (f"({', '.join(f'{p.name}={p.shown()}' for p in params)})" if params else "")
            if fn is not None:
                t = self.trace(layout, "init", label, fn, list(base), args)
                env, guards = t.env, t.guards
                self.no_result(t, label, fn)
            else:
                env, guards = list(base), []
            missing = [layout.slots[i].name for i, e in enumerate(env) if e is None]
            if missing:
                raise ModelError(
                    "the initial state leaves " + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
                    + " without a value",
                    "Assign every state variable in init(self, s), or give its declaration an init= value.",
                    _fn_source(fn) if fn else None,
                    TraceSite(self.name, label),
                )
            updates = tuple((i, e) for i, e in enumerate(env) if e is not None)
            budget.check_depth([N.mk_and(guards), *(e for _, e in updates)], self.depths, self.name, label,
                               _fn_source(fn) if fn else None)
            results.append(Action("init", tuple(params), N.mk_and(guards), updates, None, _fn_source(fn) if fn else N.NO_SOURCE))
        return results

    def no_result(self, t: Tracer, label: str, fn: Callable[..., Any]) -> None:
        result = getattr(t, "result", None)
        if result is not None:
            raise ModelError(
                f"{label} returned a value; actions and init change the state and return nothing",
                "Guard with require(cond) instead of returning a condition.",
                _fn_source(fn),
                TraceSite(self.name, label),
            )

    def compile_action(self, layout: Layout, name: str, info: MemberInfo, fn: Callable[..., Any]) -> list[Action]:
        out = []
        start = self.pre_state(layout)
        for params, args in self.bindings(self.param_domains(fn, 2, f"action {name}")):
            label = name + (f"({', '.join(f'{p.name}={p.shown()}' for p in params)})" if params else "")
            t = self.trace(layout, "action", f"action {label}", fn, list(start), args)
            self.no_result(t, f"action {label}", fn)
            # only assigned slots can differ from the pre-state (every write goes through
            # Tracer.write): the instance costs its assignments, not the width of the state
            updates = tuple(
                (i, e) for i in sorted(t.assigned) if (e := t.env[i]) is not start[i] and e is not None
            )
            guard = N.mk_and(t.guards)
            if N.is_const(guard, 0):
                continue  # never enabled (e.g. require(a != b) for a == b): not an action
            budget.check_depth([guard, *(e for _, e in updates)], self.depths, self.name, f"action {label}",
                               _fn_source(fn))
            out.append(Action(name, tuple(params), guard, updates, info.fair, _fn_source(fn)))
        return out

    def pre_state(self, layout: Layout) -> list[N.Expr | None]:
        """One `Var` per slot, made once per compile and shared by every action instance and
        property (IR nodes are immutable; sharing them is what the backends memoise on)."""
        if self._pre is None:
            self._pre = [N.Var(s.domain.type, s.index) for s in layout.slots]
        return self._pre

    def compile_property(self, layout: Layout, name: str, info: MemberInfo, fn: Callable[..., Any]) -> Property:
        env = list(self.pre_state(layout))
        mode = "action_property" if info.kind == "action_property" else "invariant"
        views = 2 if info.kind == "action_property" else 1
        t = self.trace(layout, mode, f"{info.kind.replace('_', ' ')} {name}", fn, env, [], views)
        result = getattr(t, "result", None)
        if result is None:
            raise ModelError(
                f"the property {name} returned nothing",
                "A property returns its condition: `return count(...) <= 1`.",
                _fn_source(fn),
                TraceSite(self.name, name),
            )
        src, doc = _fn_source(fn), inspect.getdoc(fn) or ""
        with Tracer(layout, TraceSite(self.name, name), mode, env):
            if info.kind == "liveness":
                if not isinstance(result, Temporal):
                    raise ModelError(
                        f"the liveness property {name} must return eventually(P), "
                        "always_eventually(P), eventually_always(P) or leads_to(P, Q)",
                        f"It returned {type(result).__name__}; for a state predicate use @invariant.",
                        src,
                        TraceSite(self.name, name),
                    )
                p = to_expr(result.p, BOOL, f"the condition of {result.form} in {name}")
                q = None if result.q is None else to_expr(result.q, BOOL, f"the second condition of leads_to in {name}")
                return Property(name, "liveness", p, src, doc, result.form, q)
            if info.kind == "measure":
                return Property(name, "measure", to_expr(result, INT, f"the measure {name}"), src, doc)
            expr = to_expr(result, BOOL, f"the result of property {name}")
        kind = {"invariant": "invariant", "action_property": "action", "reachable": "reachable", "constraint": "constraint"}[info.kind]
        return Property(name, kind, expr, src, doc, strengthening=info.strengthening)


def _instantiation_site(model: Model) -> N.SourceInfo | None:
    """Where user code instantiated `model` (for mistakes in its settings or variant), or None
    when replicheck itself did (the CLI reports those as usage errors, without a line)."""
    frame: FrameType | None = sys._getframe(2)  # 0: here, 1: Model.__init__, 2: its caller
    while frame is not None and frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is model:
        frame = frame.f_back  # a subclass's __init__ calling super().__init__
    if frame is None:
        return None
    fn = frame.f_code.co_filename
    if fn.startswith("<") or _inside_checker(fn):
        return None
    return N.SourceInfo(_short_path(fn), frame.f_lineno, linecache.getline(fn, frame.f_lineno).strip())


@functools.cache
def _fn_source_cached(fn: Any) -> N.SourceInfo:
    try:
        file = inspect.getsourcefile(fn) or "<unknown>"
        lines, line = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return N.NO_SOURCE
    import os

    # getsourcelines starts at the first decorator; point at the `def` line itself
    for k, text in enumerate(lines):
        if text.lstrip().startswith(("def ", "async def ")):
            line += k
            break
    rel = os.path.relpath(file)
    return N.SourceInfo(rel if not rel.startswith("..") else file, line, "")


def _fn_source(fn: Any) -> N.SourceInfo:
    return _fn_source_cached(fn)


_ = Term
