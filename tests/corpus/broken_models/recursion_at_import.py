"""A model file whose module-level code recurses without end."""

from replicheck.lang import Model, Range, action


def depth(k):
    return depth(k + 1)  # BROKEN: RecursionError at import


LIMIT = depth(0)


class Never(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0
