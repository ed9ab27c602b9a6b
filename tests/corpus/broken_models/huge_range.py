"""An action parameter ranging over a billion values."""

from replicheck.lang import Model, Range, action, invariant


class HugeRange(Model):
    x = Range(0, 10**9, init=0)

    @action
    def set_to(self, s, v: Range(0, 10**9)):  # BROKEN: 10**9 bindings
        s.x = v

    @invariant
    def small(self, s):
        return s.x >= 0
