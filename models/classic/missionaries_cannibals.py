"""Missionaries and cannibals crossing a river (TLA+ example `MissionariesAndCannibals`, Lamport).

`specifications/MissionariesAndCannibals/MissionariesAndCannibals.tla` and its `.cfg` in
tlaplus/Examples. Three missionaries and three cannibals must cross a river in a boat that
carries one or two people; on neither bank may missionaries be outnumbered by cannibals. The
invariant `solution` says someone is always left on the east bank: TLC finds it violated, and
its shortest counterexample is the puzzle's solution (11 crossings).

Modelled one to one: `bank_of_boat` and `who_is_on_bank`, a function from the banks to sets
of people, written as the two-key map `who_is_on_bank[bank, person]` (a set as its
characteristic function); the cfg's model values m1..m3 and c1..c3 are the enum Person. Next,
`\\E S \\in SUBSET who_is_on_bank[bank_of_boat] : Move(S, bank_of_boat)` with
`Cardinality(S) \\in {1, 2}`, is the action `move(b, load)`: b is the boat's bank and load one
of the 21 sets of one or two people (LOADS). TypeOK holds by the declarations; it is kept, as
`True`, for the verdict.

TLC 2.15 (rev d5b5a7f), `java -cp tla2tools.jar tlc2.TLC -workers 1 -continue -config
MissionariesAndCannibals.cfg MissionariesAndCannibals.tla`: 1 initial state, 283 states
generated, 64 distinct states, depth 13; TypeOK holds, Solution is violated and the trace
TLC prints has 12 states (without `-continue` TLC stops at the violation, having found 61
distinct states, depth 12).
"""

from itertools import combinations

from replicheck.lang import (
    Bool,
    Enum,
    Map,
    Model,
    Range,
    Var,
    action,
    count,
    exists,
    forall,
    invariant,
    require,
)

Bank = Enum("Bank", "E", "W")
Person = Enum("Person", "m1", "m2", "m3", "c1", "c2", "c3")
MISSIONARIES = (Person.m1, Person.m2, Person.m3)
CANNIBALS = (Person.c1, Person.c2, Person.c3)

# The sets S of people with Cardinality(S) \in {1, 2}: what the boat can carry.
LOADS = tuple(frozenset(c) for k in (1, 2) for c in combinations(Person, k))
Load = Range(0, len(LOADS) - 1)


def other_bank(b):
    return Bank.W if b == Bank.E else Bank.E


class MissionariesAndCannibals(Model):
    name = "classic.missionaries_cannibals"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"type_ok": "holds", "solution": "violated"}}
    reasons = {"": "TLC 2.15 on MissionariesAndCannibals: TypeOK holds and Solution is violated in 11 crossings: the trace is the crossing."}

    bank_of_boat = Var(Bank, init=Bank.E)
    who_is_on_bank = Map(Bank, Person, Bool, doc="who_is_on_bank[b, p]: person p is on bank b")

    def init(self, s):
        for p in Person:
            s.who_is_on_bank[Bank.E, p] = True
            s.who_is_on_bank[Bank.W, p] = False

    def is_safe(self, on):
        """IsSafe(S), for the set `on(p)`: no missionary there, or they are not outnumbered."""
        no_missionaries = forall(MISSIONARIES, lambda p: ~on(p))
        return no_missionaries | (count(CANNIBALS, on) <= count(MISSIONARIES, on))

    @action
    def move(self, s, b: Bank, load: Load):
        """Move(S, b): the people S cross with the boat from bank b, leaving both banks safe."""
        people = LOADS[load]
        require(s.bank_of_boat == b)
        require(forall(people, lambda p: s.who_is_on_bank[b, p]))  # S \subseteq who_is_on_bank[b]
        this, other = b, other_bank(b)
        new_this = {p: s.who_is_on_bank[this, p] & (p not in people) for p in Person}
        new_other = {p: s.who_is_on_bank[other, p] | (p in people) for p in Person}
        require(self.is_safe(lambda p: new_this[p]))
        require(self.is_safe(lambda p: new_other[p]))
        s.bank_of_boat = other
        for p in Person:
            s.who_is_on_bank[this, p] = new_this[p]
            s.who_is_on_bank[other, p] = new_other[p]

    @invariant
    def type_ok(self, s):
        """TypeOK (holds by the declarations)."""
        return True

    @invariant
    def solution(self, s):
        """Solution: someone is still on the east bank (TLC finds the crossing that empties it)."""
        return exists(Person, lambda p: s.who_is_on_bank[Bank.E, p])
