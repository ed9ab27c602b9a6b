"""A model file that raises an ordinary exception at import."""

from replicheck.lang import Model, Range, action

SIZES = {"a": 1}
LIMIT = SIZES["b"]  # BROKEN: KeyError at import


class Never(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0
