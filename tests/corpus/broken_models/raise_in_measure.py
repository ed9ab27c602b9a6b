"""A measure raises a Python error."""

from replicheck.lang import Model, Range, action, measure


class RaiseInMeasure(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0

    @measure
    def size(self, s):
        return s.x + int("three")  # BROKEN: ValueError
