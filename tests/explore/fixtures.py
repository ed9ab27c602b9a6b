"""Tiny models for the explorer tests, written in the modelling language."""

from replicheck.lang import (
    Bool,
    Map,
    Model,
    Range,
    Sort,
    Var,
    action,
    action_property,
    invariant,
    reachable,
    require,
)


class Counter(Model):
    """x counts up to 3 and then nothing is enabled: a deadlock at x == 3."""

    name = "test.counter"
    x = Range(0, 3, init=0)

    @action
    def inc(self, s):
        require(s.x < 3)
        s.x = s.x + 1


class Overflow(Model):
    """promote(n) increments epoch[n] with no bound: leaves 0..3 after four steps."""

    name = "test.overflow"
    Node = Sort("Node", default=1)
    epoch = Map(Node, Range(0, 3), init=0)

    @action
    def promote(self, s, n: Node):
        s.epoch[n] = s.epoch[n] + 1


class NoneRead(Model):
    """`crown` reads role[leader] while leader may be none: a model run-time error."""

    name = "test.none_read"
    Node = Sort("Node", default=2)
    leader = Var(Node.or_none)
    role = Map(Node, Bool, init=False)

    def init(self, s):
        s.leader = None

    @action
    def elect(self, s, n: Node):
        require(s.leader == None)  # noqa: E711 - a symbolic comparison
        s.leader = n

    @action
    def crown(self, s):
        require(~s.role[s.leader])
        s.role[s.leader] = True


class Steps(Model):
    """x moves by inc (+1), jump (+2 from below 3) and reset (to 0)."""

    name = "test.steps"
    x = Range(0, 5, init=0)
    flag = Var(Bool, init=False)

    @action
    def inc(self, s):
        require(s.x < 5)
        s.x = s.x + 1

    @action
    def jump(self, s):
        require(s.x < 3)
        s.x = s.x + 2

    @action
    def reset(self, s):
        s.x = 0

    @action_property
    def never_reset_from_2(self, s, t):
        """Reset leads back to the (already seen) initial state: checked anyway."""
        return ~((s.x == 2) & (t.x == 0))

    @action_property
    def by_at_most_two(self, s, t):
        return t.x <= s.x + 2

    @reachable
    def can_reach_5(self, s):
        return s.x == 5

    @reachable
    def flag_with_5(self, s):
        return (s.x == 5) & s.flag

    @invariant
    def below_4(self, s):
        return s.x < 4

    @invariant
    def below_5(self, s):
        return s.x < 5
