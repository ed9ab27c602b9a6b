"""An invariant whose expression is deeper than Python's recursion limit."""

from replicheck.lang import Model, Range, action, invariant


class DeepExpression(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0

    @invariant
    def deep(self, s):  # BROKEN: reported at the def line
        e = s.x
        for _ in range(5000):
            e = e + s.x  # a chain 5000 deep
        return e >= 0
