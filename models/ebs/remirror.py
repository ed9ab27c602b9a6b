"""EBS re-mirroring: nodes that lose their mirror search the cluster for free space.

Post-mortem: "When a node loses connectivity to a node to which it is replicating data to, it
assumes the other node failed. To preserve durability, it must find a new node to which it
can replicate its data (this is called re-mirroring). As part of the re-mirroring process,
the EBS node searches its EBS cluster for another node with enough available server space,
establishes connectivity with the server, and propagates the volume data. [...] While data is
being re-mirrored, all nodes that have copies of the data hold onto the data until they can
confirm that another node has taken ownership of their portion. [...] when data on a
customer's volume is being re-mirrored, access to that data is blocked [...] the volume will
appear 'stuck'."

"When the incorrect traffic shift was rolled back and network connectivity was restored,
these nodes rapidly began searching the EBS cluster for available server space where they
could re-mirror data. [...] the free capacity of the EBS cluster was quickly exhausted,
leaving many of the nodes 'stuck' in a loop, continuously searching the cluster for free
space." "[T]he nodes failing to find new nodes did not back off aggressively enough [...].
There was also a race condition in the code on the EBS nodes that, with a very low
probability, caused them to fail when they were concurrently closing a large number of
requests for replication. [...] Nodes began to fail as a result of the bug, resulting in more
volumes left needing to re-mirror." "[W]hen a node fails, the EBS cluster does not reuse the
failed node until every data replica is successfully re-mirrored."

The protocol. Every volume has two holders of its data: the primary, which serves the
instance and re-mirrors, and its mirror. Each holder occupies a replica slot on its node;
every node starts with `spare` free slots beyond the copies it holds. When the primary can no
longer reach its mirror it detects the loss (the volume is stuck from then on), and, once it
can reach the cluster, searches for a node that is up, reachable, not already a holder, with
a free slot. A successful search reserves the slot; the copy completes when the primary and
the target can talk, and only then does the target own the data and the old mirror release
its copy (an old mirror that is still cut off keeps its copy until it can confirm the new
owner). A search that finds nothing fails; without backoff the node searches again at once.
A primary that crashes is replaced by its mirror (the control-plane negotiation is modelled
in `ebs.election`); the crashed node's slots are never reused.

Faults: the network event (`Isolation`: an arbitrary set of nodes cut off at once, rolled
back by a weakly fair action) spends the fault budget; optional hardware crashes
(`crash_faults`) spend it too. The race condition is not a fault but a bug of the buggy
variants: a node whose primaries are stuck in the search loop for two or more volumes at once
may crash (an unfair action: it may or may not happen), any number of times, whatever the
budget. Operators may add capacity, one slot at a time, up to `capacity_budget` (unfair:
nothing promises they come).

Variants, each protection on and off (the post-mortem's "three separate protections" plus
the race fix):
- `as_2011`: no backoff, no reconnect, the race bug, one spare slot per node.
- `backoff`: after a failed search the node backs off: it does not search again while the
  cluster has no place for the volume.
- `reconnect`: a node that lost its mirror reconnects to it once it is reachable again, and
  does not search while it is.
- `buffer`: three spare slots per node (as many as there are volumes: enough for every
  volume to re-mirror onto any node at once).
- `race_fixed`: the race condition is fixed.
- `all_fixes`: all four.
- `all_but_backoff`, `all_but_reconnect`, `all_but_buffer`, `all_but_race_fix`: all fixes but
  one, to show which protection is necessary.

docs/models/ebs.remirror.md has the verdict matrix, the counterexamples and the bounds.
"""

from itertools import combinations

from replicheck.lang import (
    And,
    Enum,
    If,
    Map,
    Min,
    Model,
    Or,
    Range,
    Sort,
    action,
    exists,
    forall,
    invariant,
    leads_to,
    liveness,
    measure,
    require,
)
from replicheck.lang.faults import Crashes, FaultsStop, Isolation

St = Enum("St", "healthy", "lost", "searching", "backoff", "copying")

Node = Sort("Node", default=3, symmetric=True, prefix="n")
Volume = Sort("Volume", default=3, symmetric=True, prefix="v")


def symmetric_count(domain, pred):
    """How many elements satisfy pred, written so that permuting the elements gives the same
    expression (`count` builds a chain of additions, which the static symmetry check of the
    checker does not recognise as symmetric for three or more elements): "at least k" is an
    Or over the k-subsets, and the count is the largest k that holds."""
    xs = [pred(x) for x in domain]
    total = 0
    for k in range(1, len(xs) + 1):
        at_least_k = Or(*[And(*c) for c in combinations(xs, k)])
        total = If(at_least_k, k, total)
    return total


def _placement_count(m):
    pairs = len(m.Node) * (len(m.Node) - 1)
    return pairs ** len(m.Volume) - 1


Placement = Range(0, _placement_count)  # init's parameter type (named, so that mypy reads it as one)


class Remirror(Isolation(Node), Crashes(Node, restart=False), FaultsStop, Model):  # type: ignore[misc]
    name = "ebs.remirror"

    Node = Node
    Volume = Volume

    fault_budget: int = 1
    spare: int = 1  # free replica slots per node at the start, beyond the copies it holds
    capacity_budget: int = 0  # slots operators may add in all (see the docs: 1 changes no verdict)
    max_retries: int = 1  # failed searches counted (saturating); see the docs on this bound
    backoff: bool = False  # after a failed search, wait until the cluster has a place
    reconnect: bool = False  # re-establish the mirror with the previous peer when reachable
    race_bug: bool = True  # nodes in the search loop for 2+ volumes may crash
    crash_faults: bool = False  # hardware crashes, as faults that spend the budget

    variants = {
        "as_2011": {},
        "backoff": {"backoff": True},
        "reconnect": {"reconnect": True},
        "buffer": {"spare": 3},
        "race_fixed": {"race_bug": False},
        "all_fixes": {"backoff": True, "reconnect": True, "spare": 3, "race_bug": False},
        # all fixes but one: which protections are necessary
        "all_but_backoff": {"reconnect": True, "spare": 3, "race_bug": False},
        "all_but_reconnect": {"backoff": True, "spare": 3, "race_bug": False},
        "all_but_buffer": {"backoff": True, "reconnect": True, "race_bug": False},
        "all_but_race_fix": {"backoff": True, "reconnect": True, "spare": 3},
    }
    expected = {
        "as_2011": {"no_data_loss": "violated", "no_stuck_forever": "violated"},
        "backoff": {"no_data_loss": "holds", "no_stuck_forever": "violated"},
        "reconnect": {"no_data_loss": "violated", "no_stuck_forever": "violated"},
        "buffer": {"no_data_loss": "holds", "no_stuck_forever": "violated"},
        "race_fixed": {"no_data_loss": "holds", "no_stuck_forever": "violated"},
        "all_fixes": {"no_data_loss": "holds", "no_stuck_forever": "holds"},
        "all_but_backoff": {"no_data_loss": "holds", "no_stuck_forever": "holds"},
        "all_but_reconnect": {"no_data_loss": "holds", "no_stuck_forever": "holds"},
        "all_but_buffer": {"no_data_loss": "holds", "no_stuck_forever": "holds"},
        "all_but_race_fix": {"no_data_loss": "holds", "no_stuck_forever": "holds"},
    }
    check_deadlock = False  # once every volume is healthy and faults are spent, runs may end

    st = Map(Volume, St, init=St.healthy, doc="the volume's re-mirroring state (healthy: mirrored, I/O flows)")
    prim = Map(Volume, Node, doc="the holder that serves the volume and re-mirrors it")
    mate = Map(Volume, Node, doc="the other holder: the mirror, or the previous peer after a loss")
    target = Map(Volume, Node.or_none, init=None, doc="the node whose slot the search reserved")
    retries = Map(Volume, Range(0, "max_retries"), init=0, doc="failed searches in a row (saturating)")
    free = Map(Node, Range(0, lambda m: m.spare + len(m.Volume) + m.capacity_budget), doc="free replica slots")
    held = Map(Node, Range(0, lambda m: len(m.Volume)), init=0, doc="old copies kept until the new owner is confirmed")
    added = Range(0, "capacity_budget", init=0, doc="slots operators have added")

    def init(self, s, placement: Placement):
        """Every volume on an ordered pair (primary, mirror) of distinct nodes; all placements."""
        nodes = list(self.Node)
        pairs = [(a, b) for a in nodes for b in nodes if a != b]
        for i, v in enumerate(self.Volume):
            a, b = pairs[(placement // len(pairs) ** i) % len(pairs)]
            s.prim[v] = a
            s.mate[v] = b
        for n in self.Node:
            s.free[n] = self.spare

    # -- definitions -------------------------------------------------------------------------

    def reaches_cluster(self, s, n):
        return s.up[n] & ~s.isolated[n]

    def linked(self, s, a, b):
        """Can holders a and b talk? (Both up, neither cut off by the network event.)"""
        return self.reaches_cluster(s, a) & self.reaches_cluster(s, b)

    def linked_to(self, s, a, b_value):
        """linked(a, b) for a node b given as a state value (mate or target)."""
        return exists(self.Node, lambda b: (b_value == b) & self.linked(s, a, b))

    def place_for(self, s, v, t):
        """Could v's primary re-mirror to t? t is up, reachable, not a holder, has a free slot."""
        return (
            self.reaches_cluster(s, t) & (s.prim[v] != t) & (s.mate[v] != t) & (s.free[t] >= 1)
        )

    def has_place(self, s, v):
        return exists(self.Node, lambda t: self.place_for(s, v, t))

    def _peer_linked(self, s, v):
        return exists(
            self.Node,
            lambda p: exists(
                self.Node,
                lambda q: (s.prim[v] == p) & (s.mate[v] == q) & self.linked(s, p, q) if p != q else False,
            ),
        )

    def may_search(self, s, v):
        """The primary can reach the cluster; with `reconnect`, it only searches while its
        previous peer is unreachable."""
        ok = exists(self.Node, lambda p: (s.prim[v] == p) & self.reaches_cluster(s, p))
        if self.reconnect:
            ok = ok & ~self._peer_linked(s, v)
        return ok

    def in_search_loop(self, s, n, v):
        """n is v's primary and is searching again after a failed search."""
        return (s.prim[v] == n) & (s.st[v] == St.searching) & (s.retries[v] >= 1)

    def release(self, s, n_value):
        """The old holder gives its slot back once it can confirm the new owner; a node still
        cut off keeps the copy (held) until it can; a failed node's slots are never reused."""
        for n in self.Node:
            here = n_value == n
            s.free[n] = If(here & self.reaches_cluster(s, n), s.free[n] + 1, s.free[n])
            s.held[n] = If(here & s.up[n] & s.isolated[n], s.held[n] + 1, s.held[n])

    def unreserve(self, s, v):
        for n in self.Node:
            s.free[n] = If((s.target[v] == n) & s.up[n], s.free[n] + 1, s.free[n])
        s.target[v] = None

    # -- the re-mirroring protocol -------------------------------------------------------------

    @action(fair="weak")
    def detect_loss(self, s, v: Volume):
        """The primary cannot reach its mirror: it assumes the mirror failed; I/O blocks."""
        require((s.st[v] == St.healthy) & exists(self.Node, lambda p: (s.prim[v] == p) & s.up[p]))
        require(~self._peer_linked(s, v))
        s.st[v] = St.lost

    @action(fair="weak")
    def take_over(self, s, v: Volume):
        """The primary failed: the surviving holder becomes primary and must re-mirror."""
        require(exists(self.Node, lambda p: (s.prim[v] == p) & ~s.up[p]))
        require(exists(self.Node, lambda q: (s.mate[v] == q) & s.up[q]))
        old = s.prim[v]
        s.prim[v] = s.mate[v]
        s.mate[v] = old
        self.unreserve(s, v)
        s.st[v] = St.lost
        s.retries[v] = 0

    @action(fair="weak")
    def start_search(self, s, v: Volume):
        """A primary that lost its mirror and can reach the cluster starts re-mirroring."""
        require((s.st[v] == St.lost) & self.may_search(s, v))
        s.st[v] = St.searching

    @action(fair="weak")
    def search(self, s, v: Volume, t: Node):
        """The search finds t with a free slot and reserves it."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & self.place_for(s, v, t))
        s.free[t] -= 1
        s.target[v] = t
        s.st[v] = St.copying
        s.retries[v] = 0

    @action(fair="weak")
    def search_fails(self, s, v: Volume):
        """No node has space: without backoff the node searches again at once (the loop);
        with backoff it waits until the cluster has a place for the volume."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & ~self.has_place(s, v))
        s.retries[v] = Min(s.retries[v] + 1, self.max_retries)
        if self.backoff:
            s.st[v] = St.backoff

    @action(fair="weak")
    def wake_up(self, s, v: Volume):
        """(backoff) A backed-off node searches again once a place exists; a paced attempt,
        not part of the loop."""
        require((s.st[v] == St.backoff) & self.may_search(s, v) & self.has_place(s, v))
        s.st[v] = St.searching
        s.retries[v] = 0

    @action(fair="weak")
    def copy_complete(self, s, v: Volume):
        """The data reaches the target, which confirms ownership: it becomes the mirror, and
        only now may the old holder release its copy."""
        require((s.st[v] == St.copying) & self.linked_to(s, s.prim[v], s.target[v]))
        self.release(s, s.mate[v])
        s.mate[v] = s.target[v]
        s.target[v] = None
        s.st[v] = St.healthy

    @action(fair="weak")
    def copy_fails(self, s, v: Volume):
        """The primary and the target can no longer talk: the reservation is dropped."""
        require((s.st[v] == St.copying) & ~self.linked_to(s, s.prim[v], s.target[v]))
        require(exists(self.Node, lambda p: (s.prim[v] == p) & s.up[p]))
        self.unreserve(s, v)
        s.st[v] = St.searching

    @action(fair="weak")
    def confirm_release(self, s, n: Node):
        """A node that was cut off learns the new owners and frees the copies it kept."""
        require((s.held[n] >= 1) & self.reaches_cluster(s, n))
        s.free[n] += s.held[n]
        s.held[n] = 0

    @action(fair="weak")
    def reconnect_peer(self, s, v: Volume):
        """(reconnect) The previous peer is reachable again: re-establish the mirror with it
        instead of searching for a new node; no new slot is needed."""
        require(self.reconnect)
        require((s.st[v] == St.lost) | (s.st[v] == St.searching) | (s.st[v] == St.backoff))
        require(self._peer_linked(s, v))
        s.st[v] = St.healthy
        s.retries[v] = 0

    @action
    def race_crash(self, s, n: Node):
        """(race bug) A node closing the failed replication requests of two or more volumes
        at once may crash. Not a fault of the environment: it needs no budget."""
        require(self.race_bug)
        loops = [self.in_search_loop(s, n, v) for v in self.Volume]
        require(s.up[n] & Or(*[a & b for a, b in combinations(loops, 2)]))
        s.up[n] = False

    @action
    def crash(self, s, n: Node):
        """(crash_faults) A hardware crash: a fault that spends the budget."""
        require(self.crash_faults)
        super().crash(s, n)

    @action
    def add_capacity(self, s, n: Node):
        """Operators install one more replica slot on a running node (bounded, not fair)."""
        require((s.added < self.capacity_budget) & s.up[n])
        s.free[n] += 1
        s.added += 1

    # -- properties -------------------------------------------------------------------------

    def healthy(self, s, v):
        return s.st[v] == St.healthy

    @invariant
    def no_data_loss(self, s):
        """Every volume always has a running holder of its latest data (its primary or its
        mirror; I/O is blocked while a volume is not healthy, so both hold the latest data)."""
        return forall(
            self.Volume,
            lambda v: exists(self.Node, lambda n: ((s.prim[v] == n) | (s.mate[v] == n)) & s.up[n]),
        )

    @liveness
    def no_stuck_forever(self, s):
        """Once the network event is rolled back and faults have stopped, every volume that
        lost its mirror is eventually healthy again (all volumes at once), under weak
        fairness of the protocol's actions."""
        quiet = s.faults_over & s.isolated.is_empty()
        some_stuck = exists(self.Volume, lambda v: ~self.healthy(s, v))
        return leads_to(some_stuck & quiet, forall(self.Volume, lambda v: self.healthy(s, v)))

    @measure
    def stuck_volumes(self, s):
        """Volumes whose I/O is blocked (not healthy)."""
        return symmetric_count(self.Volume, lambda v: ~self.healthy(s, v))

    @measure
    def searches_in_flight(self, s):
        """Volumes whose primary is searching the cluster for space (the storm's load)."""
        return symmetric_count(self.Volume, lambda v: s.st[v] == St.searching)
