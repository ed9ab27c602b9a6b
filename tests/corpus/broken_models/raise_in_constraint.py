"""A constraint raises a Python error."""

from replicheck.lang import Model, Range, action, constraint


class RaiseInConstraint(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0

    @constraint
    def bounded(self, s):
        return s.x < [1, 2][5]  # BROKEN: IndexError
