"""count and sum_of over a 500-element sort. Each term reads its own slot, so the sums have
500 operands; they were chains 500 additions deep, which the compiled backend could not
compile (Python's parser stops at 200 nested parentheses)."""

from replicheck.lang import Bool, If, Map, Model, Sort, action, count, invariant, require, sum_of


class Count500(Model):
    name = "corpus.count_500"
    check_deadlock = False
    Node = Sort("Node", default=500)
    up = Map(Node, Bool, init=False)

    @action
    def raise_first(self, s):
        require(count(self.Node, lambda n: s.up[n]) == 0)
        s.up[self.Node[0]] = True

    @action
    def raise_last(self, s):
        require(count(self.Node, lambda n: s.up[n]) == 1)
        s.up[self.Node[len(self.Node) - 1]] = True

    @invariant
    def at_most_two_up(self, s):
        return count(self.Node, lambda n: s.up[n]) <= 2

    @invariant
    def weighted_sum_small(self, s):
        return sum_of(range(len(self.Node)), lambda i: If(s.up[self.Node[i]], i, 0)) <= 499

    @invariant
    def at_most_one_up(self, s):
        return count(self.Node, lambda n: s.up[n]) <= 1
