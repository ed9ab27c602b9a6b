"""A sort whose default size is 0."""

from replicheck.lang import Map, Model, Range, Sort, action, invariant


class SizeZero(Model):
    Node = Sort("Node", default=0)  # BROKEN: size 0
    x = Map(Node, Range(0, 3), init=0)

    @action
    def step(self, s, n: Node):
        s.x[n] = 1

    @invariant
    def small(self, s):
        return s.x[self.Node[0]] <= 3
