"""The water jugs of Die Hard 3 (TLA+ example `DieHard`).

A 3-gallon and a 5-gallon jug, a fountain and no markings: can you measure exactly 4 gallons?
The invariant `big_is_not_4` says you cannot; its counterexample is the puzzle's solution.
TLC: 16 distinct states; the shortest violation has 6 steps.
"""

from replicheck.lang import Min, Model, Range, action, invariant


class DieHard(Model):
    name = "classic.die_hard"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"type_ok": "holds", "big_is_not_4": "violated"}}
    reasons = {"": "TLC 2.15 on DieHard: TypeOK holds and the invariant that the big jug never holds 4 gallons is violated in 6 steps: the puzzle's solution."}

    small = Range(0, 3, init=0)
    big = Range(0, 5, init=0)

    @action
    def fill_small(self, s):
        s.small = 3

    @action
    def fill_big(self, s):
        s.big = 5

    @action
    def empty_small(self, s):
        s.small = 0

    @action
    def empty_big(self, s):
        s.big = 0

    @action
    def small_to_big(self, s):
        poured = Min(s.small, 5 - s.big)
        s.big = s.big + poured
        s.small = s.small - poured

    @action
    def big_to_small(self, s):
        poured = Min(s.big, 3 - s.small)
        s.small = s.small + poured
        s.big = s.big - poured

    @invariant
    def type_ok(self, s):
        return (s.small >= 0) & (s.small <= 3) & (s.big >= 0) & (s.big <= 5)

    @invariant
    def big_is_not_4(self, s):
        """The puzzle: the big jug never holds exactly 4 gallons (TLC finds it does)."""
        return s.big != 4
