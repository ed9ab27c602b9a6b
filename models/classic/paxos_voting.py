"""The voting algorithm behind Paxos (TLA+ example `Paxos/Voting`, Lamport).

Acceptors cast votes in numbered ballots; a value is chosen when a quorum votes for it in the
same ballot. An acceptor only votes for a value that a quorum shows to be safe at the ballot.
The invariant `inv` (TypeOK, VotesSafe and OneValuePerBallot) is what makes at most one value
chosen.

TLC (`MCVoting`: 3 acceptors, 2 values, majority quorums, ballots 0..1, symmetry over
acceptors and values): 77 distinct states, depth 11.
"""

from itertools import combinations

from replicheck.lang import (
    And,
    Bool,
    Map,
    Model,
    Range,
    Sort,
    action,
    exists,
    forall,
    implies,
    invariant,
    require,
)

# A parameter type: named, not written as `b: Range(...)`, so that mypy (with
# replicheck.mypy_plugin) can read it as a type.
Ballot = Range(0, "max_ballot")


class Voting(Model):
    name = "classic.paxos_voting"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"inv": "holds"}}
    reasons = {"": "TLC 2.15 on Paxos/MCVoting: Inv (TypeOK, VotesSafe and OneValuePerBallot, what makes at most one value chosen) holds in all 599 states."}

    Acceptor = Sort("Acceptor", default=3, symmetric=True, prefix="a")
    Value = Sort("Value", default=2, symmetric=True, prefix="v")
    max_ballot: int = 1
    check_deadlock = False

    votes = Map(Acceptor, Range(0, "max_ballot"), Value, Bool, init=False, doc="votes[a, b, v]: a voted for v in b")
    max_bal = Map(Acceptor, Range(-1, "max_ballot"), init=-1, doc="a votes only in ballots >= max_bal[a]")

    # -- definitions of the spec -----------------------------------------------------------

    def ballots(self):
        return range(0, self.max_ballot + 1)

    def quorums(self):
        """Majority quorums: every set of more than half of the acceptors."""
        acceptors = list(self.Acceptor)
        size = len(acceptors) // 2 + 1
        return [q for k in range(size, len(acceptors) + 1) for q in combinations(acceptors, k)]

    def did_not_vote_at(self, s, a, b):
        return forall(self.Value, lambda v: ~s.votes[a, b, v])

    def cannot_vote_at(self, s, a, b):
        return (s.max_bal[a] > b) & self.did_not_vote_at(s, a, b)

    def none_other_choosable_at(self, s, b, v):
        return exists(
            self.quorums(),
            lambda q: forall(q, lambda a: s.votes[a, b, v] | self.cannot_vote_at(s, a, b)),
        )

    def safe_at(self, s, b, v):
        return forall(range(0, b), lambda c: self.none_other_choosable_at(s, c, v))

    def shows_safe_at(self, s, q, b, v):
        def witness(c):
            voted = True if c == -1 else exists(q, lambda a: s.votes[a, c, v])
            silent = forall(range(c + 1, b), lambda d: forall(q, lambda a: self.did_not_vote_at(s, a, d)))
            return And(voted, silent)

        return forall(q, lambda a: s.max_bal[a] >= b) & exists(range(-1, b), witness)

    # -- actions -------------------------------------------------------------------------

    @action
    def increase_max_bal(self, s, a: Acceptor, b: Ballot):
        require(b > s.max_bal[a])
        s.max_bal[a] = b

    @action
    def vote_for(self, s, a: Acceptor, b: Ballot, v: Value):
        require(s.max_bal[a] <= b)
        require(self.did_not_vote_at(s, a, b))
        for c in self.Acceptor:
            if c != a:
                require(forall(self.Value, lambda w: implies(s.votes[c, b, w], w == v)))  # noqa: B023 (called at once)
        require(exists(self.quorums(), lambda q: self.shows_safe_at(s, q, b, v)))
        s.votes[a, b, v] = True
        s.max_bal[a] = b

    # -- properties ------------------------------------------------------------------------

    @invariant
    def inv(self, s):
        """VotesSafe and OneValuePerBallot (TypeOK holds by construction of the domains)."""
        votes_safe = forall(
            self.Acceptor,
            lambda a: forall(
                self.ballots(), lambda b: forall(self.Value, lambda v: implies(s.votes[a, b, v], self.safe_at(s, b, v)))
            ),
        )
        one_value_per_ballot = forall(
            self.ballots(),
            lambda b: forall(
                self.Value,
                lambda v1: forall(
                    self.Value,
                    lambda v2: implies(
                        exists(self.Acceptor, lambda a: s.votes[a, b, v1])
                        & exists(self.Acceptor, lambda a: s.votes[a, b, v2]),
                        v1 == v2,
                    ),
                ),
            ),
        )
        return votes_safe & one_value_per_ballot
