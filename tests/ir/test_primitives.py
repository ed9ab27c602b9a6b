"""The primitives table is the one place an operator's meaning is declared; every backend
registers exactly one rule per primitive, and the declarations match what the reference
evaluator (the meaning of the IR) does."""

from __future__ import annotations

import itertools

import pytest

from replicheck.backends import compiled, numpy_batch, reference, z3_backend
from replicheck.backends.reference import ModelRuntimeError
from replicheck.ir import Const, IRCheckError, Op, check_program
from replicheck.ir.nodes import OPS
from replicheck.ir.primitives import PRIMITIVES
from replicheck.ir.types import BOOL, INT

BACKENDS = {
    "reference": set(reference.STRICT_RULES) | set(reference.LAZY_RULES),
    "compiled": set(compiled.RULES),
    "numpy_batch": set(numpy_batch.RULES),
    "z3_backend": set(z3_backend.RULES),
}


def test_the_operators_are_the_primitives() -> None:
    assert OPS == tuple(PRIMITIVES)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_backend_has_exactly_one_rule_per_primitive(backend: str) -> None:
    rules = BACKENDS[backend]
    missing, extra = set(PRIMITIVES) - rules, rules - set(PRIMITIVES)
    assert not missing, f"{backend} has no rule for {', '.join(sorted(missing))}"
    assert not extra, f"{backend} has rules for operators that are not primitives: {', '.join(sorted(extra))}"


def test_lazy_primitives_are_the_reference_evaluators_lazy_rules() -> None:
    assert {n for n, p in PRIMITIVES.items() if p.lazy} == set(reference.LAZY_RULES)


def operands(p: object, arity: int) -> list[Const]:
    kind = p.operands  # type: ignore[attr-defined]
    if kind == "cond":
        return [Const(BOOL, 1), Const(INT, 2), Const(INT, 3)]
    t = BOOL if kind == "bool" else INT
    return [Const(t, 1)] * arity


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_declared_arity_and_sorts_pass_the_sort_checker(name: str) -> None:
    from dataclasses import replace

    from replicheck.ir import Program, Property

    p = PRIMITIVES[name]
    arity = p.arity or 2
    args = operands(p, arity)
    result = BOOL if p.result == "bool" else INT
    expr = Op(result, name, tuple(args))
    wrap = expr if result is BOOL else Op(BOOL, "eq", (expr, Const(INT, 0)))
    program = Program(name="probe", sorts=(), vars=(), slots=(), inits=(), actions=(),
                      properties=(Property("p", "invariant", wrap),), settings={}, variant=None, families=())
    check_program(program)  # raises on a declaration that does not type
    if p.arity == 0:  # n-ary: any number of operands is right
        return
    with pytest.raises(IRCheckError):  # and a wrong arity is caught
        check_program(replace(program, properties=(Property("p", "invariant", Op(BOOL, "eq", (
            Op(result, name, tuple(args) + (args[-1],) * 2), Const(result, 0)))),)))


@pytest.mark.parametrize("name", [n for n, p in PRIMITIVES.items() if p.operands == "int" and p.arity == 2])
def test_declared_partiality_is_where_the_reference_evaluator_raises(name: str) -> None:
    rule = reference.STRICT_RULES[name]
    raises = set()
    for a, b in itertools.product(range(-3, 4), repeat=2):
        try:
            rule(a, b)
        except ModelRuntimeError:
            raises.add((a, b))
    declared = PRIMITIVES[name].partial
    if declared is None:
        assert not raises
    else:
        assert raises == {(a, 0) for a in range(-3, 4)}  # "by zero": exactly the zero divisors
        assert "zero" in declared
