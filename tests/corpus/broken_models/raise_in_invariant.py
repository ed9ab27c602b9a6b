"""An invariant raises a Python error."""

from replicheck.lang import Model, Range, action, invariant


class RaiseInInvariant(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0

    @invariant
    def small(self, s):
        return s.x <= self.limit  # BROKEN: AttributeError
