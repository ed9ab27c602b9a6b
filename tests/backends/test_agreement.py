"""Every backend has a rule for every IR operator and node kind, and the compiled backend agrees
with the reference evaluator on random programs and states."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, note, settings

import replicheck.backends
from replicheck.backends import compiled, reference
from replicheck.backends.reference import ModelRuntimeError
from replicheck.ir import NODE_KINDS, OPS, Program, State
from tests.ir_strategies import program_and_state, program_and_states

T = TypeVar("T")

AGREEMENT = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- rule tables ---------------------------------------------------------------------------


def _backend_modules() -> list[str]:
    """Every module in replicheck.backends that declares a rule table."""
    names = []
    for info in pkgutil.iter_modules(replicheck.backends.__path__):
        path = Path(replicheck.backends.__path__[0]) / f"{info.name}.py"
        if not info.ispkg and "RULES" in path.read_text(encoding="utf-8"):
            names.append(f"replicheck.backends.{info.name}")
    return names


def _op_rules(module: Any) -> set[str]:
    if module is reference:
        return set(reference.STRICT_RULES) | set(reference.LAZY_RULES)
    return set(module.RULES)


def test_reference_and_compiled_backends_declare_rule_tables() -> None:
    mods = _backend_modules()
    assert "replicheck.backends.reference" in mods
    assert "replicheck.backends.compiled" in mods


@pytest.mark.parametrize("name", _backend_modules())
def test_every_operator_has_a_rule(name: str) -> None:
    module = importlib.import_module(name)
    rules = _op_rules(module)
    missing = [op for op in OPS if op not in rules]
    assert not missing, f"{name} has no rule for operators {missing}"
    unknown = sorted(rules - set(OPS))
    assert not unknown, f"{name} has rules for operators that are not in OPS: {unknown}"


@pytest.mark.parametrize("name", _backend_modules())
def test_every_node_kind_has_a_rule(name: str) -> None:
    module = importlib.import_module(name)
    rules = set(module.NODE_RULES)
    missing = [k.__name__ for k in NODE_KINDS if k not in rules]
    assert not missing, f"{name} has no rule for node kinds {missing}"


def test_reference_strict_and_lazy_rules_are_disjoint() -> None:
    assert not set(reference.STRICT_RULES) & set(reference.LAZY_RULES)
    assert set(reference.LAZY_RULES) == {"and", "or", "implies", "ite"}


def test_compiled_rule_table_is_exactly_ops() -> None:
    assert set(compiled.RULES) == set(OPS)
    assert set(compiled.NODE_RULES) == set(NODE_KINDS)


# -- differential testing ------------------------------------------------------------------


def _outcome(fn: Callable[[], T], messages: bool = False) -> tuple[str, Any]:
    """("ok", value) or ("error", message or None) for a ModelRuntimeError."""
    try:
        return ("ok", fn())
    except ModelRuntimeError as err:
        return ("error", str(err) if messages else None)


def _ref_first_false(program: Program, kind: str, pre: State, post: State | None = None) -> int:
    props = [p for p in program.properties if p.kind == kind]
    for i, p in enumerate(props):
        if not reference.holds(p.expr, pre, post):
            return i
    return -1


def _ref_successors(program: Program, state: State) -> list[tuple[int, State]]:
    out = []
    for i, a in enumerate(program.actions):
        s = reference.fire(a, state)
        if s is not None:
            out.append((i, s))
    return out


def _assert_same(what: str, ref: tuple[str, Any], comp: tuple[str, Any]) -> None:
    assert ref == comp, f"{what}: reference gives {ref}, compiled gives {comp}"


@AGREEMENT
@given(program_and_state())
def test_compiled_fire_agrees_with_reference(ps: tuple[Program, State]) -> None:
    program, state = ps
    note(f"state: {state}")
    cp = compiled.compile_program(program)
    for i, a in enumerate(program.actions):
        ref = _outcome(lambda a=a: reference.fire(a, state))
        comp = _outcome(lambda i=i: cp.fire(i, state))
        _assert_same(f"fire {a.label}", ref, comp)
        guard = _outcome(lambda a=a: reference.holds(a.guard, state))
        if ref[0] == "ok":
            # the guard's truth is what decides None vs a successor
            assert guard == ("ok", ref[1] is not None)


@AGREEMENT
@given(program_and_state())
def test_compiled_successors_agree_with_reference(ps: tuple[Program, State]) -> None:
    program, state = ps
    note(f"state: {state}")
    cp = compiled.compile_program(program)
    ref = _outcome(lambda: _ref_successors(program, state))
    _assert_same("successors_with_actions", ref, _outcome(lambda: list(cp.successors_with_actions(state))))
    ref_states = (ref[0], [s for _, s in ref[1]]) if ref[0] == "ok" else ref
    _assert_same("successors", ref_states, _outcome(lambda: list(cp.successors(state))))


@AGREEMENT
@given(program_and_state())
def test_compiled_invariants_agree_with_reference(ps: tuple[Program, State]) -> None:
    program, state = ps
    note(f"state: {state}")
    cp = compiled.compile_program(program)
    _assert_same(
        "first violated invariant",
        _outcome(lambda: _ref_first_false(program, "invariant", state)),
        _outcome(lambda: cp.violated_invariant(state)),
    )


@AGREEMENT
@given(program_and_states(2))
def test_compiled_action_properties_agree_with_reference(ps: tuple[Program, list[State]]) -> None:
    program, (pre, other) = ps
    cp = compiled.compile_program(program)
    # on an arbitrary pair of states, and on every successor that stays inside the domains
    # (the compiled backend is only defined on in-domain states: out-of-domain successors
    # are violations that engines report before they check action properties)
    posts = [other]
    succ = _outcome(lambda: _ref_successors(program, pre))
    if succ[0] == "ok":
        posts += [s for _, s in succ[1] if not list(program.out_of_domain(s))]
    for post in posts:
        note(f"pre {pre} post {post}")
        _assert_same(
            "first violated action property",
            _outcome(lambda post=post: _ref_first_false(program, "action", pre, post)),
            _outcome(lambda post=post: cp.violated_action_property(pre, post)),
        )


@AGREEMENT
@given(program_and_state())
def test_compiled_initial_states_agree_with_reference(ps: tuple[Program, State]) -> None:
    program, _ = ps
    cp = compiled.compile_program(program)
    ref = list(dict.fromkeys(s for _, s in reference.initial_states(program)))
    assert list(cp.initial_states()) == ref


@AGREEMENT
@given(program_and_state())
def test_compiled_run_time_errors_carry_the_reference_message(ps: tuple[Program, State]) -> None:
    """The compiled backend promises the reference's message for run-time errors."""
    program, state = ps
    cp = compiled.compile_program(program)
    for i, a in enumerate(program.actions):
        ref = _outcome(lambda a=a: reference.fire(a, state), messages=True)
        comp = _outcome(lambda i=i: cp.fire(i, state), messages=True)
        _assert_same(f"fire {a.label}", ref, comp)


@AGREEMENT
@given(program_and_state())
def test_compiled_successor_values_are_plain_ints(ps: tuple[Program, State]) -> None:
    """States are tuples of ints: Bool slots hold 0/1, never Python's True/False."""
    program, state = ps
    cp = compiled.compile_program(program)
    succ = _outcome(lambda: cp.successors(state))
    if succ[0] == "ok":
        for s in succ[1]:
            assert all(type(v) is int for v in s), f"successor {s!r} holds a non-int"
    assert all(type(v) is int for s in cp.initial_states() for v in s)
