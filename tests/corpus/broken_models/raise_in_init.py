"""init() raises a Python error."""

from replicheck.lang import Model, Range, action, invariant


class RaiseInInit(Model):
    x = Range(0, 3)

    def init(self, s):
        s.x = 1 // 0  # BROKEN: ZeroDivisionError

    @action
    def step(self, s):
        s.x = 0

    @invariant
    def small(self, s):
        return s.x <= 3
