"""Traces for the report tests: real paths of real models, fired through the reference evaluator."""

from __future__ import annotations

from collections import deque
from typing import Callable

from replicheck.backends.reference import fire, initial_states, successors
from replicheck.ir import Program, State
from replicheck.lang import Bool, Enum, Map, Model, Range, SetOf, Sort, Var, action, invariant, require
from replicheck.models.classic.die_hard import DieHard
from replicheck.report.results import VIOLATED, Step, Trace, Verdict

# The known solution of the Die Hard puzzle: it ends with 4 gallons in the big jug.
DIE_HARD_SOLUTION = ["fill_big", "big_to_small", "empty_small", "big_to_small", "fill_big", "big_to_small"]

Role = Enum("Role", "secondary", "primary")


class Tiny(Model):
    """A map to an enum, a two-key map, a set, an element-or-none and a range, in one model."""

    name = "test.tiny"

    Node = Sort("Node", default=3)

    role = Map(Node, Role, init=Role.secondary)
    leader = Var(Node.or_none)
    voters = SetOf(Node, init=False)
    link = Map(Node, Node, Bool, init=False)
    epoch = Range(0, 2, init=0)

    def init(self, s):
        s.leader = None

    @action
    def elect(self, s, n: Node):
        require(s.leader == self.Node.none)
        s.leader = n
        s.role[n] = Role.primary
        s.voters.add(n)

    @action
    def resign(self, s, n: Node):
        require(s.leader == n)
        s.leader = None
        s.role[n] = Role.secondary
        s.voters.remove(n)

    @action
    def connect(self, s, a: Node, b: Node):
        require(~s.link[a, b])
        s.link[a, b] = True

    @action
    def bump(self, s):
        s.epoch = s.epoch + 1  # unguarded: the third bump leaves 0..2

    @invariant
    def no_leader(self, s):
        return s.leader == self.Node.none


def die_hard() -> Program:
    return DieHard().compile()


def tiny() -> Program:
    return Tiny().compile()


def path_trace(program: Program, labels: list[str], loop_start: int | None = None) -> Trace:
    """The trace that fires the action instances with these labels (`elect(n=n2)`) in turn."""
    init_action, state = next(initial_states(program))
    steps = [Step("init", tuple(init_action.param_values().items()), state)]
    by_label = {a.label: a for a in program.actions}
    for label in labels:
        a = by_label[label]
        nxt = fire(a, state)
        assert nxt is not None, f"{label} is not enabled in {program.decode_state(state)}"
        state = nxt
        steps.append(Step(a.family, tuple(a.param_values().items()), state))
    return Trace(program, tuple(steps), loop_start)


def shortest_path(program: Program, target: Callable[[dict], bool]) -> list[str]:
    """Breadth-first search for the shortest list of action labels reaching a target state."""
    start = [s for _, s in initial_states(program)]
    parent: dict[State, tuple[State, str] | None] = {s: None for s in start}
    queue = deque(start)
    while queue:
        s = queue.popleft()
        if target(program.decode_state(s)):
            labels: list[str] = []
            link = parent[s]
            while link is not None:
                s, label = link[0], link[1]
                labels.append(label)
                link = parent[s]
            return labels[::-1]
        for a, t in successors(program, s):
            if t not in parent:
                parent[t] = (s, a.label)
                queue.append(t)
    raise AssertionError("target unreachable")


def die_hard_solution() -> tuple[Trace, Verdict]:
    trace = path_trace(die_hard(), DIE_HARD_SOLUTION)
    return trace, Verdict("big_is_not_4", "invariant", VIOLATED, "the big jug holds 4 gallons", trace)
