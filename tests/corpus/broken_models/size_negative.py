"""A sort whose default size is negative."""

from replicheck.lang import Map, Model, Range, Sort, action, invariant


class SizeNegative(Model):
    Node = Sort("Node", default=-2)  # BROKEN: negative size
    x = Map(Node, Range(0, 3), init=0)

    @action
    def step(self, s, n: Node):
        s.x[n] = 1

    @invariant
    def small(self, s):
        return s.x[self.Node[0]] <= 3
