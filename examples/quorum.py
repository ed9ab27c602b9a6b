"""Leader election by vote counting: a candidate with `quorum` votes becomes leader.

Each node votes once, for any candidate. Two leaders are possible exactly when two disjoint
sets of `quorum` voters exist, that is when 2 * quorum <= Node: `docs/sweep.md` finds that
boundary with `replicheck sweep examples/quorum.py --grid Node=1..5 --grid quorum=3,2,1
--boundary one_leader`.
"""

from replicheck.lang import Bool, Map, Model, Sort, action, count, invariant, require

Node = Sort("Node", default=3, symmetric=True)


class QuorumElection(Model):
    name = "examples.quorum"
    check_deadlock = False  # once everyone has voted, nothing more happens
    quorum: int = 2
    Node = Node
    vote = Map(Node, Node.or_none, init=None, doc="whom each node voted for")
    leader = Map(Node, Bool, init=False, doc="the candidates that won")

    @action
    def cast(self, s, voter: Node, candidate: Node):
        require(s.vote[voter] == None)  # noqa: E711 (a model term, not a Python value)
        s.vote[voter] = candidate

    @action
    def win(self, s, candidate: Node):
        require(count(self.Node, lambda v: s.vote[v] == candidate) >= self.quorum)
        s.leader[candidate] = True

    @invariant
    def one_leader(self, s):
        return count(self.Node, lambda n: s.leader[n]) <= 1
