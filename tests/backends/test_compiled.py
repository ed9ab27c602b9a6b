"""The compiled scalar backend agrees with the reference evaluator, op by op and model by model."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, given, settings

from replicheck.backends import reference as R
from replicheck.backends.compiled import NODE_RULES, RULES, compile_program
from replicheck.ir import NODE_KINDS, OPS, Program, State
from replicheck.lang import (
    Bool,
    If,
    Map,
    Model,
    Range,
    Sort,
    Var,
    action,
    action_property,
    invariant,
    require,
)
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.classic.tcommit import TCommit
from replicheck.models.classic.two_phase import TwoPhase
from tests.explore.fixtures import NoneRead, Overflow
from tests.ir_strategies import program_and_states


def outcome(f: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", f())
    except R.ModelRuntimeError as err:
        return ("error", str(err), err.source)


def ref_successors(program: Program, state: State) -> list[tuple[int, State]]:
    out = []
    for i, a in enumerate(program.actions):
        t = R.fire(a, state)
        if t is not None:
            out.append((i, t))
    return out


def reachable(program: Program) -> list[State]:
    seen = dict.fromkeys(s for _, s in R.initial_states(program))
    todo = list(seen)
    while todo:
        s = todo.pop()
        for _, t in R.successors(program, s):
            if t not in seen and next(program.out_of_domain(t), None) is None:
                seen[t] = None
                todo.append(t)
    return list(seen)


def test_every_operator_and_node_kind_has_a_code_generation_rule():
    assert set(RULES) == set(OPS)
    assert set(NODE_RULES) == set(NODE_KINDS)


def test_compiled_and_reference_successors_agree_on_every_reachable_state_of_the_classic_models():
    for model in (DieHard(), TCommit(), TwoPhase(), TwoPhase(RM=4)):
        program = model.compile()
        c = compile_program(program)
        states = reachable(program)
        assert len(states) == {"classic.die_hard": 16, "classic.tcommit": 34}.get(
            program.name, 288 if len(program.slots) == 12 else 1568
        )
        for s in states:
            ref = ref_successors(program, s)
            assert c.successors_with_actions(s) == ref
            assert c.successors(s) == [t for _, t in ref]
            assert all(type(v) is int for t in c.successors(s) for v in t)
            expected_inv = next(
                (k for k, p in enumerate(program.invariants()) if not R.holds(p.expr, s)), -1
            )
            assert c.violated_invariant(s) == expected_inv
            assert c.unpack(c.pack(s)) == s


def test_initial_states_are_deduplicated_keeping_the_first():
    class TwoInits(Model):
        name = "test.two_inits"
        x = Range(0, 3)

        def init(self, s, k: Range(0, 3)):
            s.x = k // 2

    program = TwoInits().compile()
    assert compile_program(program).initial_states() == [(0,), (1,)]


def test_untaken_branches_are_never_evaluated():
    class Lazy(Model):
        name = "test.lazy"
        Node = Sort("Node", default=2)
        leader = Var(Node.or_none)
        role = Map(Node, Bool, init=False)
        d = Range(0, 2, init=0)

        def init(self, s):
            s.leader = None

        @action
        def guarded_read(self, s):
            require((s.leader != None) & s.role[s.leader])  # noqa: E711
            s.d = 1

        @action
        def conditional_read(self, s):
            s.role[self.Node[0]] = If(s.leader == None, True, s.role[s.leader])  # noqa: E711

        @action
        def guarded_division(self, s):
            require((s.d == 0) | (6 // s.d == 6))
            s.d = 2

    program = Lazy().compile()
    c = compile_program(program)
    for s in [(-1, 0, 0, 0), (-1, 1, 1, 1), (0, 1, 0, 1), (1, 0, 1, 2)]:
        assert c.successors_with_actions(s) == ref_successors(program, s)


def test_run_time_errors_carry_the_reference_message_and_source():
    program = NoneRead().compile()
    c = compile_program(program)
    state = next(iter(c.initial_states()))
    crown = [a.family for a in program.actions].index("crown")
    ref = outcome(lambda: R.fire(program.actions[crown], state))
    assert ref[0] == "error" and "at key none" in ref[1]
    assert outcome(lambda: c.fire(crown, state)) == ref
    assert outcome(lambda: c.successors(state)) == ref


def test_division_and_modulo_follow_python_floor_semantics_and_refuse_zero():
    class Arith(Model):
        name = "test.arith"
        x = Range(-3, 3, init=0)
        y = Range(-2, 2, init=0)
        q = Range(-9, 9, init=0)

        @action
        def div(self, s):
            s.q = s.x // s.y

        @action
        def mod(self, s):
            s.q = s.x % s.y

        @action
        def safe_div(self, s):
            s.q = s.x // 2 + (-s.x) % 3

    program = Arith().compile()
    c = compile_program(program)
    errors = 0
    for x in range(-3, 4):
        for y in range(-2, 3):
            s = (x, y, 0)
            ref = outcome(lambda s=s: ref_successors(program, s))
            assert outcome(lambda s=s: c.successors_with_actions(s)) == ref
            for i, a in enumerate(program.actions):
                assert outcome(lambda i=i, s=s: c.fire(i, s)) == outcome(lambda a=a, s=s: R.fire(a, s))
            errors += ref[0] == "error"
    assert errors == 7  # every state with y == 0


def test_bool_updates_are_stored_as_exact_ints():
    class Flags(Model):
        name = "test.flags"
        x = Range(0, 3, init=0)
        f = Var(Bool, init=False)
        g = Var(Bool, init=False)

        @action
        def step(self, s):
            s.f = s.x == 2
            s.g = (s.x > 0) & (s.x < 3)

    program = Flags().compile()
    c = compile_program(program)
    for t in c.successors((2, 0, 0)):
        assert t == (2, 1, 1) and all(type(v) is int for v in t)


def test_may_leave_domain_is_set_only_where_the_range_analysis_cannot_prove_safety():
    assert compile_program(Overflow().compile()).may_leave_domain == [True]
    c = compile_program(TwoPhase().compile())
    assert not any(c.may_leave_domain)


def test_action_properties_agree_with_the_reference():
    class Steps(Model):
        name = "test.steps_ap"
        x = Range(0, 4, init=0)

        @action
        def inc(self, s):
            s.x = s.x + 1

        @action_property
        def small_steps(self, s, t):
            return t.x <= s.x + 1

        @action_property
        def never_back_to_zero(self, s, t):
            return t.x != 0

        @invariant
        def below_3(self, s):
            return s.x < 3

    program = Steps().compile()
    c = compile_program(program)
    for pre in range(5):
        for post in range(5):
            expected = next(
                (k for k, p in enumerate(program.action_properties())
                 if not R.holds(p.expr, (pre,), (post,))), -1
            )
            assert c.violated_action_property((pre,), (post,)) == expected
        assert c.violated_invariant((pre,)) == (-1 if pre < 3 else 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program_and_states(n=2))
def test_random_programs_behave_identically_under_both_backends(ps):
    program, (s, t) = ps
    c = compile_program(program)
    assert outcome(lambda: c.successors_with_actions(s)) == outcome(lambda: ref_successors(program, s))
    assert outcome(lambda: c.successors(s)) == outcome(lambda: [x for _, x in ref_successors(program, s)])
    for i, a in enumerate(program.actions):
        assert outcome(lambda i=i: c.fire(i, s)) == outcome(lambda a=a: R.fire(a, s))

    def first_false(props: Any, *states: State) -> int:
        for k, p in enumerate(props):
            if not R.holds(p.expr, *states):
                return k
        return -1

    assert outcome(lambda: c.violated_invariant(s)) == outcome(lambda: first_false(program.invariants(), s))
    assert outcome(lambda: c.violated_action_property(s, t)) == outcome(
        lambda: first_false(program.action_properties(), s, t)
    )
    assert c.initial_states() == list(dict.fromkeys(x for _, x in R.initial_states(program)))
    assert c.unpack(c.pack(s)) == s
