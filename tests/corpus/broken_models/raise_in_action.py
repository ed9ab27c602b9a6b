"""An action whose code raises a Python error while it is traced."""

from replicheck.lang import Model, Range, Sort, action, invariant


class RaiseInAction(Model):
    Node = Sort("Node", default=2)
    x = Range(0, 3, init=0)

    @action
    def step(self, s, n: Node):
        table = {}
        s.x = table[n.name]  # BROKEN: KeyError

    @invariant
    def small(self, s):
        return s.x <= 3
