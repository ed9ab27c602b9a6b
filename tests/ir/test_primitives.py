"""The primitives table is the one place an operator's meaning is declared; every backend
registers exactly one rule per primitive, every exporter one rule or an explicit
`Unsupported` refusal per primitive, and the declarations match what the reference
evaluator (the meaning of the IR) does."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import pytest

from replicheck.backends import compiled, numpy_batch, reference, z3_backend
from replicheck.backends.reference import ModelRuntimeError
from replicheck.export import promela, tla
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
# an exporter's entry is a rule or an explicit Unsupported("reason"): both count as covered
EXPORTERS = {
    "export.tla": set(tla.RULES),
    "export.promela": set(promela.RULES),
}


def coverage_problems(tables: Mapping[str, Iterable[str]], primitives: Iterable[str]) -> list[str]:
    """One line per table that lacks a primitive or has an entry for a non-primitive."""
    wanted = set(primitives)
    out = []
    for name, keys in tables.items():
        missing, extra = wanted - set(keys), set(keys) - wanted
        if missing:
            out.append(f"{name} has no rule for {', '.join(sorted(missing))}")
        if extra:
            out.append(f"{name} has rules for operators that are not primitives: {', '.join(sorted(extra))}")
    return out


def test_the_operators_are_the_primitives() -> None:
    assert OPS == tuple(PRIMITIVES)


def test_every_backend_and_exporter_has_exactly_one_rule_per_primitive() -> None:
    problems = coverage_problems({**BACKENDS, **EXPORTERS}, PRIMITIVES)
    assert not problems, "\n".join(problems)


def test_the_coverage_check_lists_what_is_missing_and_what_is_extra() -> None:
    tables = {"a": {"add", "sub"}, "b": {"add", "sub", "xor"}, "c": {"add"}}
    assert coverage_problems(tables, ["add", "sub"]) == [
        "b has rules for operators that are not primitives: xor",
        "c has no rule for sub",
    ]
    # a primitive added to the table is missing from every backend and exporter at once
    with_new = coverage_problems({**BACKENDS, **EXPORTERS}, [*PRIMITIVES, "xor"])
    assert with_new == [f"{name} has no rule for xor" for name in [*BACKENDS, *EXPORTERS]]


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
