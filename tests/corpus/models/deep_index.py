"""An invariant nesting 100 map reads (s.m[s.m[...]]): under replicheck's depth limit, and
deeper than the compiled backend can write as one Python expression (it splits it)."""

from replicheck.lang import Map, Model, Range, action, invariant, require

DEPTH = 100


class DeepIndex(Model):
    name = "corpus.deep_index"
    check_deadlock = False
    x = Range(0, 3, init=0)
    m = Map(Range(0, 3), Range(0, 3), init=1)

    @action
    def bump(self, s, k: Range(0, 3)):
        require(s.m[k] < 3)
        s.m[k] = s.m[k] + 1

    @invariant
    def chain_not_three(self, s):
        """Following m from x 100 times does not end at 3. Every entry starts at 1, so the
        chain from x = 0 is 0 -> 1 -> 1 -> ...; after bump(1) twice, m[1] = 3 and the chain
        goes 0 -> 1 -> 3 -> 1 -> 3 ..., at 3 after every even number of steps: violated in
        2 steps (one bump reaches no 3 at step 100)."""
        e = s.x
        for _ in range(DEPTH):
            e = s.m[e]
        return e != 3
