"""A tiny model with a goal declared under a setting (`@reachable(when=...)`): a counter from 0
that counts up by one to 3; the goal `reaches_three` is part of the model only with
`feature=true`. Hand-counted: the goal is reached after 3 steps (inc, inc, inc)."""

from typing import Any

from replicheck.lang import Model, Range, action, invariant, reachable, require


class Counter(Model):
    name = "goal_under_a_setting"
    feature: bool = False
    limit: int = 3
    check_deadlock = False  # the counter stops at its limit

    x = Range(0, 3, init=0)

    @action
    def inc(self, s: Any) -> None:
        require(s.x < self.limit)
        s.x += 1

    @invariant
    def in_range(self, s: Any) -> Any:
        return s.x <= 3

    @reachable(when="feature")
    def reaches_three(self, s: Any) -> Any:
        return s.x == 3
