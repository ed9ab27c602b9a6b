"""A model class whose own __init__ raises (replicheck instantiates it outside any trace)."""

from replicheck.lang import Model, Range, action


class RaiseInInitMethod(Model):
    x = Range(0, 3, init=0)

    def __init__(self, **settings):
        super().__init__(**settings)
        raise ValueError("not configured")  # BROKEN: ValueError in __init__

    @action
    def step(self, s):
        s.x = 0
