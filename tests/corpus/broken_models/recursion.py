"""An action that recurses without end."""

from replicheck.lang import Model, Range, action, invariant


def helper(s, k):
    return helper(s, k + 1)  # BROKEN: RecursionError


class Recursion(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = helper(s, 0)

    @invariant
    def small(self, s):
        return s.x <= 3
