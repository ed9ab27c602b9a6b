"""The exporters' expression translation, checked without TLC or Spin: every IR operator has a
rule, and on random programs and states the emitted TLA+ and Promela expressions (run by the
small evaluators in `mini_eval`, with C's truncating division for Promela) agree with the
reference evaluator, run-time errors included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.export import ExportError, export_promela, export_tla
from replicheck.export.promela import PromelaExpressions
from replicheck.export.tla import TlaExpressions
from replicheck.ir import BOOL, INT, OPS, Const, Expr, Op, Program
from replicheck.ir import nodes as N
from tests.export.mini_eval import Bad, eval_promela, eval_tla
from tests.ir_strategies import program_and_states

from .helpers import load_program


def _expressions(program: Program) -> list[tuple[Expr, bool]]:
    """Every expression of a program, with whether it may read the post-state."""
    out: list[tuple[Expr, bool]] = []
    for a in program.actions:
        out.append((a.guard, False))
        out += [(e, False) for _, e in a.updates]
    for p in program.properties:
        out.append((p.expr, p.kind == "action"))
    return out


def _reference(e: Expr, pre: tuple[int, ...], post: tuple[int, ...]) -> int | str:
    try:
        return evaluate(e, pre, post)
    except ModelRuntimeError:
        return "error"


def _run(fn: Any, text: str, names: dict[str, Any]) -> int | str:
    try:
        return int(fn(text, names))
    except Bad:
        return "error"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(n=2))
def test_promela_expressions_agree_with_the_reference(ps: tuple[Program, list[tuple[int, ...]]]) -> None:
    program, (pre, post) = ps
    tr = PromelaExpressions(program)
    texts = [(e, tr.text(e, with_post=with_post)) for e, with_post in _expressions(program)]
    names = tr.names(pre, post)  # after the texts: constants are named as they are met
    for e, text in texts:
        assert _run(eval_promela, text, names) == _reference(e, pre, post), text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(n=2))
def test_tla_expressions_agree_with_the_reference(ps: tuple[Program, list[tuple[int, ...]]]) -> None:
    program, (pre, post) = ps
    tr = TlaExpressions(program)
    texts = [(e, tr.text(e)) for e, _ in _expressions(program)]
    names = tr.names(pre, post)
    for e, text in texts:
        assert _run(eval_tla, text, names) == _reference(e, pre, post), text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(n=1))
def test_random_programs_export_whole(ps: tuple[Program, list[tuple[int, ...]]]) -> None:
    program, _ = ps
    tla = export_tla(program)
    assert f"MODULE {tla.module}" in tla.tla and "INIT Init" in tla.cfg
    pml = export_promela(program)
    assert pml.pml.count("d_step") >= len(program.actions)



@pytest.mark.parametrize("a", range(-7, 8))
@pytest.mark.parametrize("b", [-3, -2, -1, 1, 2, 3])
def test_promela_floor_division_and_modulo(a: int, b: int) -> None:
    """Python's floor semantics from C's truncation, for every sign combination."""
    program = load_program("classic.die_hard")
    tr = PromelaExpressions(program)
    for op, want in (("floordiv", a // b), ("mod", a % b)):
        x = Op(INT, "sub", (N.Var(INT, 0), Const(INT, 10 - a)))  # small - (10 - a): a when small = 10
        e = Op(INT, op, (x, Const(INT, b)))
        text = tr.text(e)
        assert eval_promela(text, tr.names((10, 0))) == want


def test_every_operator_has_a_rule() -> None:
    program = load_program("classic.die_hard")
    tla, pml = TlaExpressions(program), PromelaExpressions(program)
    x, y = N.Var(INT, 0), N.Var(INT, 1)
    p, q = Op(BOOL, "lt", (x, y)), Op(BOOL, "gt", (x, y))
    for op in OPS:
        if op in ("and", "or", "implies"):
            e = Op(BOOL, op, (p, q))
        elif op == "not":
            e = Op(BOOL, op, (p,))
        elif op == "neg":
            e = Op(INT, op, (x,))
        elif op == "ite":
            e = Op(INT, op, (p, x, y))
        elif op in ("eq", "ne", "lt", "le", "gt", "ge"):
            e = Op(BOOL, op, (x, y))
        else:
            e = Op(INT, op, (x, y))
        assert tla.text(e) and pml.text(e), op


def test_division_by_a_possible_zero_is_guarded_in_promela() -> None:
    program = load_program("classic.die_hard")
    tr = PromelaExpressions(program)
    e = Op(INT, "floordiv", (N.Var(INT, 1), N.Var(INT, 0)))  # big // small, small may be 0
    text = tr.text(e)
    assert "_bad[" in text
    with pytest.raises(Bad):
        eval_promela(text, tr.names((0, 5)))
    assert eval_promela(text, tr.names((2, 5))) == 2


def test_unknown_skipped_property_is_refused() -> None:
    program = load_program("classic.die_hard")
    with pytest.raises(ExportError, match="no property"):
        export_tla(program, skip=["nope"])
    with pytest.raises(ExportError, match="no property"):
        export_promela(program, skip=["nope"])
