"""The shared IR generator produces well-typed programs that reach every operator and node."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import HypothesisWarning, NoSuchExample

from replicheck.ir import NODE_KINDS, OPS, Expr, Op, Post, Program, check_program
from replicheck.ir import nodes as N
from tests.ir_strategies import program_and_state, program_and_states, programs


def _roots(p: Program, with_properties: bool = True) -> list[Expr]:
    roots: list[Expr] = []
    for a in p.inits + p.actions:
        roots.append(a.guard)
        roots.extend(e for _, e in a.updates)
    if with_properties:
        roots.extend(q.expr for q in p.properties)
    return roots


def _nodes(p: Program) -> list[Expr]:
    return N.walk(_roots(p))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_generated_programs_are_well_typed(p: Program) -> None:
    check_program(p)  # raises IRCheckError on any ill-typed element


@settings(max_examples=100, deadline=None)
@given(programs())
def test_post_only_in_action_properties(p: Program) -> None:
    outside = [q.expr for q in p.properties if q.kind != "action"] + _roots(p, with_properties=False)
    assert not any(isinstance(n, Post) for n in N.walk(outside))


@settings(max_examples=100, deadline=None)
@given(program_and_state())
def test_states_are_inside_their_domains(ps: tuple[Program, tuple[int, ...]]) -> None:
    p, s = ps
    assert len(s) == p.width
    assert list(p.out_of_domain(s)) == []


@settings(max_examples=50, deadline=None)
@given(program_and_states(3))
def test_program_and_states_gives_n_states(ps: tuple[Program, list[tuple[int, ...]]]) -> None:
    p, ss = ps
    assert len(ss) == 3
    assert all(len(s) == p.width for s in ss)


def _find(pred: Callable[[Program], bool]) -> Program:
    return find(
        programs(),
        pred,
        settings=settings(max_examples=3000, database=None, deadline=None, phases=[Phase.generate]),
    )


def test_generator_reaches_every_operator_and_node_kind() -> None:
    wanted = {f"op {op}" for op in OPS} | {f"node {k.__name__}" for k in NODE_KINDS}
    wanted |= {"unfolded add of constants", "division by constant zero", "shared sub-expression"}
    seen: set[str] = set()

    def observe(p: Program) -> bool:
        counts: dict[int, int] = {}
        for n in _nodes(p):
            seen.add(f"node {type(n).__name__}")
            if isinstance(n, Op):
                seen.add(f"op {n.op}")
                if n.op == "add" and all(isinstance(a, N.Const) for a in n.args):
                    seen.add("unfolded add of constants")
                if n.op in ("floordiv", "mod") and N.is_const(n.args[1], 0):
                    seen.add("division by constant zero")
            for c in N.children(n):
                if isinstance(c, Op):
                    counts[id(c)] = counts.get(id(c), 0) + 1
        if any(v > 1 for v in counts.values()):
            seen.add("shared sub-expression")
        return wanted <= seen

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HypothesisWarning)  # the repr of the last example
            _find(observe)
    except NoSuchExample:
        pytest.fail(f"the generator never produced: {sorted(wanted - seen)}")
