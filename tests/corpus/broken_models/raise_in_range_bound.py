"""A computed Range bound raises a Python error."""

from replicheck.lang import Model, Range, action


class RaiseInRangeBound(Model):
    x = Range(0, lambda m: m.missing_setting, init=0)  # BROKEN: AttributeError

    @action
    def step(self, s):
        s.x = 0
