"""The default ("reactive") schedule's choice rules, one at a time, on small models:
fresh vs. already-enabled candidates, the undo rule, rarity, locality and variety weights.

Each test draws many choices from `_Weights.choose` and checks what can and cannot be chosen
(or, for the weights, the ratio of two choices' frequencies against the formula in the
docstring of `replicheck.simulation._Weights`).
"""

from __future__ import annotations

import random
from collections import Counter

from replicheck.backends.compiled import compile_program
from replicheck.ir import Program, State
from replicheck.lang import Bool, Model, Range, Sort, Var, action, invariant, require
from replicheck.simulation import LOCALITY, _Weights


class Breaks(Model):
    """A link that breaks (spending a budget) and is repaired, and an unrelated tick."""

    check_deadlock = False
    broken = Var(Bool, init=False)
    spent = Range(0, 2, init=0)
    noise = Range(0, 5, init=0)

    @action
    def fault(self, s):
        require(~s.broken & (s.spent < 2))
        s.broken = True
        s.spent = s.spent + 1

    @action
    def repair(self, s):
        require(s.broken)
        s.broken = False

    @action
    def tick(self, s):
        require(s.noise < 5)
        s.noise = s.noise + 1

    @invariant
    def fine(self, s):
        return s.noise < 9


N = Sort("N", default=3, prefix="n")


class PerNode(Model):
    """One action family per node: `poke(n)`; each is always enabled."""

    check_deadlock = False
    N = N
    count = Range(0, 9, init=0)

    @action
    def poke(self, s, n: N):
        require(s.count < 9)
        s.count = s.count + 1

    @action
    def other(self, s):
        require(s.count < 9)
        s.count = s.count + 1


def index(program: Program, label: str) -> int:
    return next(i for i, a in enumerate(program.actions) if a.label == label)


def draws(weights: _Weights, succ: list[tuple[int, State]], fresh: list[bool], bias: float, state: State,
          prev: State | None, last: int, fired: dict[int, int] | None = None, n: int = 3000) -> Counter[int]:
    rng = random.Random(1)
    return Counter(weights.choose(rng, succ, fresh, bias, state, prev, last, fired or {})[0] for _ in range(n))


def after_fault() -> tuple[Program, _Weights, State, State, list[tuple[int, State]], int]:
    program = Breaks().compile()
    compiled = compile_program(program)
    init = compiled.initial_states()[0]
    fault = index(program, "fault")
    state = compiled.fire(fault, init)
    assert state is not None
    return program, _Weights(program), init, state, compiled.successors_with_actions(state), fault


def test_a_step_that_undoes_the_last_one_is_not_taken_while_another_is_enabled() -> None:
    program, weights, init, state, succ, fault = after_fault()
    repair, tick = index(program, "repair"), index(program, "tick")
    assert {a for a, _ in succ} == {repair, tick}
    for bias in (0.0, 0.5, 1.0):
        for fresh in ([True, True], [False, False], [a == repair for a, _ in succ]):
            got = draws(weights, succ, fresh, bias, state, init, fault)
            assert set(got) == {tick}, (bias, fresh, got)


def test_an_undo_is_taken_when_it_is_the_only_step() -> None:
    program, weights, init, state, succ, fault = after_fault()
    repair = index(program, "repair")
    only_repair = [x for x in succ if x[0] == repair]
    assert set(draws(weights, only_repair, [True], 0.7, state, init, fault, n=50)) == {repair}


def test_the_same_step_is_no_undo_after_another_step() -> None:
    program, weights, init, state, succ, fault = after_fault()
    repair, tick = index(program, "repair"), index(program, "tick")
    compiled = compile_program(program)
    later = compiled.fire(tick, state)
    assert later is not None
    succ2 = compiled.successors_with_actions(later)
    got = draws(weights, succ2, [False] * len(succ2), 0.0, later, state, tick)
    assert got[repair] > 0 and got[tick] > 0


def test_bias_one_takes_a_fresh_instance_and_bias_zero_an_older_one() -> None:
    program = PerNode().compile()
    compiled = compile_program(program)
    init = compiled.initial_states()[0]
    weights = _Weights(program)
    succ = compiled.successors_with_actions(init)
    other = index(program, "other")
    fresh = [a == other for a, _ in succ]
    assert set(draws(weights, succ, fresh, 1.0, init, None, -1)) == {other}
    assert other not in draws(weights, succ, fresh, 0.0, init, None, -1)
    # with no fresh instance the bias does not matter: every instance can be drawn
    assert len(draws(weights, succ, [False] * len(succ), 1.0, init, None, -1)) == len(succ)


def ratio(got: Counter[int], a: int, b: int) -> float:
    return got[a] / got[b]


def test_rarity_locality_and_variety_weights() -> None:
    program = PerNode().compile()
    compiled = compile_program(program)
    init = compiled.initial_states()[0]
    succ = compiled.successors_with_actions(init)
    n1, n2, other = index(program, "poke(n=n1)"), index(program, "poke(n=n2)"), index(program, "other")
    none = [False] * len(succ)

    weights = _Weights(program)  # rarity: n2 counted as enabled in 3 more states than n1
    weights.count([x for x in succ if x[0] == n2] * 3)
    got = draws(weights, succ, none, 0.0, init, None, -1, n=20000)
    assert abs(ratio(got, n1, n2) - 4.0) < 0.6  # (1 + 3) / (1 + 0)

    weights = _Weights(program)  # locality: the last step was poke(n1)
    got = draws(weights, succ, none, 0.0, init, init, n1, n=20000)
    assert abs(ratio(got, n1, n2) - (1 + LOCALITY)) < 1.0
    assert abs(ratio(got, n2, other) - 1.0) < 0.25

    weights = _Weights(program)  # variety: this run took poke(n2) twice already (and last `other`)
    got = draws(weights, succ, none, 0.0, init, init, other, fired={n2: 2}, n=20000)
    assert abs(ratio(got, n1, n2) - 3.0) < 0.5
