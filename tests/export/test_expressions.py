"""The exporters' expression translation, checked without TLC or Spin: every IR operator has a
rule, and on random programs and states the emitted TLA+ and Promela expressions (run by the
small evaluators in `mini_eval`, with C's truncating division for Promela) agree with the
reference evaluator, run-time errors included."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from replicheck.backends.reference import ModelRuntimeError, evaluate, initial_states, successors
from replicheck.export import ExportError, export_promela, export_tla
from replicheck.export import tla as tla_module
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(n=2))
def test_tla_expressions_laid_out_over_lines_mean_the_same(ps: tuple[Program, list[tuple[int, ...]]]) -> None:
    """With a narrow page every junction becomes a bullet list, every CASE and IF spreads over
    lines; read the way TLA+ reads layout, the text means what the one-line text means."""
    program, (pre, post) = ps
    tr = TlaExpressions(program)
    with _page(16):
        texts = [(e, "\n".join(tr.lines(e))) for e, _ in _expressions(program)]
    names = tr.names(pre, post)
    for e, text in texts:
        assert _run(eval_tla, text, names) == _reference(e, pre, post), text


@pytest.mark.parametrize("model,settings,variant", [
    ("rds.multi_az", (), "fixed"),
    ("ebs.election", ("fault_budget=1",), "self_promote"),
    ("ebs.control_plane", (), "short_timeout"),
    ("classic.paxos_voting", (), None),
])
def test_family_guards_hold_where_the_instances_do(model: str, settings: tuple[str, ...], variant: str | None) -> None:
    """Each family's generalised guard (parameters, quantifiers, IF and CASE over parameter
    values, laid out on a narrow page), with an instance's parameter values, is true in a
    reachable state exactly when that instance's guard is."""
    program = load_program(model, *settings, variant=variant)
    tr = TlaExpressions(program)
    states = _reachable(program, 400)
    with _page(40):
        guards = tr.guards()
    assert any("\n" in text for _, _, text in guards)
    for insts, params, text in guards:
        for a in insts:
            bound = {name: p.value for name, p in zip(params, a.params)}
            for s in states:
                names = {**tr.names(s), **bound}
                assert _run(eval_tla, text, names) == _reference(a.guard, s, s), (a.label, text)


@contextlib.contextmanager
def _page(width: int) -> Iterator[None]:
    """Lay TLA+ out on a page `width` characters wide."""
    saved = tla_module.WIDTH
    tla_module.WIDTH = width
    try:
        yield
    finally:
        tla_module.WIDTH = saved


def _reachable(program: Program, limit: int) -> list[tuple[int, ...]]:
    seen = dict.fromkeys(s for _, s in initial_states(program))
    frontier = list(seen)
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            for _, t in successors(program, s):
                if t not in seen:
                    seen[t] = None
                    nxt.append(t)
        frontier = nxt
    return list(seen)[:limit]


def test_layout_keeps_the_meaning_of_every_shape() -> None:
    """Implications, negations, IF and nested junctions broken over lines (a page 10 wide):
    a bullet list never takes in the operator that follows it."""
    program = load_program("classic.die_hard")
    x, y = N.Var(INT, 0), N.Var(INT, 1)
    p, q, r = Op(BOOL, "lt", (x, Const(INT, 2))), Op(BOOL, "gt", (y, Const(INT, 3))), Op(BOOL, "eq", (x, y))
    shapes = [
        Op(BOOL, "implies", (Op(BOOL, "and", (p, q)), r)),
        Op(BOOL, "implies", (Op(BOOL, "or", (p, q)), Op(BOOL, "and", (q, r)))),
        Op(BOOL, "implies", (Op(BOOL, "implies", (p, q)), r)),
        Op(BOOL, "and", (Op(BOOL, "or", (p, q)), Op(BOOL, "or", (r, p)), q)),
        Op(BOOL, "not", (Op(BOOL, "and", (p, Op(BOOL, "or", (q, r)))),)),
        Op(BOOL, "eq", (Op(INT, "ite", (Op(BOOL, "and", (p, q)), x, y)), Const(INT, 2))),
        Op(BOOL, "or", (Op(BOOL, "ite", (Op(BOOL, "or", (p, r)), Op(BOOL, "and", (q, r)), p)), q)),
    ]
    tr = TlaExpressions(program)
    broken = 0
    for e in shapes:
        with _page(10):
            text = "\n".join(tr.lines(e))
        broken += "\n" in text
        for state in [(a, b) for a in range(4) for b in range(6)]:
            assert _run(eval_tla, text, tr.names(state)) == _reference(e, state, state), text
    assert broken >= len(shapes) - 1
