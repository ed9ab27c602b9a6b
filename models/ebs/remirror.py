"""EBS re-mirroring: nodes that lose their mirror search the cluster for free space.

Owns: the re-mirroring storm of April 2011 and AWS's three protections against it, as one
model whose protections and fault assumptions are settings (so that a sweep over a grid
enumerates every subset under every assumption), the recovery phase (failed nodes kept or
reused, new capacity joining under the operators' throttles) and the measures that answer
the post-mortem's quantitative questions.

Must not import: anything of replicheck but `replicheck.lang` (models never import the engine).

Post-mortem ("Overview of EBS System"): "When a node loses connectivity to a node to which it
is replicating data to, it assumes the other node failed. To preserve durability, it must find
a new node to which it can replicate its data (this is called re-mirroring). As part of the
re-mirroring process, the EBS node searches its EBS cluster for another node with enough
available server space, establishes connectivity with the server, and propagates the volume
data. [...] While data is being re-mirrored, all nodes that have copies of the data hold onto
the data until they can confirm that another node has taken ownership of their portion. [...]
when data on a customer's volume is being re-mirrored, access to that data is blocked [...]
the volume will appear 'stuck'."

The protocol. Every volume has two holders of its data: the primary (`prim`), which serves the
instance and re-mirrors, and its mirror (`mate`). Each copy occupies a replica slot on its
node; every node starts with `spare` free slots beyond the copies it holds (`buffer_spare`
with the capacity buffer). A primary that can no longer reach its mirror detects the loss
(the volume is stuck from then on) and, once it can reach the cluster, searches for a node
that is running, reachable, not a holder, with a free slot. A successful search reserves the
slot; the copy completes when primary and target can talk, and only then does the old mirror
release its copy (one still cut off keeps it until it can confirm the new owner). A search
that finds nothing fails; without the retry fix the node searches again at once.

Node failures. The race bug makes a node *fail*: it stops serving, but its disks keep the
data (a software crash); the volumes it held must re-mirror, and its copies stay on its disks
for recovery (`recover`). A hardware crash (`hardware_crashes`, at most one) makes a node
*dead*: its copies are gone. `no_data_loss` fails only when no copy of a volume is left
anywhere: a software crash is not data loss. A failed node is never reused (`reuse_failed =
"never"`), reused once no volume needs its copies ("after_remirror": the post-mortem's rule),
or reused at once, wiping its copies ("immediately": the rule broken, to show what it buys).

Settings, each with the assumption it encodes (docs/models/ebs.remirror.md has the tables):
- the three protections, as AWS grouped them ("Preventing the Event"): `capacity_buffer`
  (spare capacity reserved: `buffer_spare` free slots per node instead of `spare`),
  `retry_fix` ("back off more aggressively and focus on re-establishing connectivity with
  previous replicas": backoff AND reconnect, one setting), `race_fix` (the race removed);
- fault assumptions: `hardware_crashes` (0 or 1 real node crash; it spends the fault budget
  the network event spends, so at `fault_budget=1` a behaviour has one fault of either kind),
  `race_trigger` ("narrow": the race needs two or more of a node's volumes in the failing
  search loop at once; "broad": any two replication requests open at a node at once, first
  searches and copies included), `race_crashes` (at most this many nodes failed by the race
  at once: a bound on the search), `fault_budget` (faults: network events, hardware crashes);
- the recovery phase: `reuse_failed`, `recovery` (operators stop the futile searches and
  install `capacity_budget` new slots), `fine_throttles` (whether the throttles were made
  fine enough to let searches reach the new capacity).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from replicheck.lang import (
    And,
    Bool,
    Enum,
    If,
    Map,
    Min,
    Model,
    ModelError,
    Or,
    Range,
    Sort,
    Var,
    action,
    exists,
    forall,
    invariant,
    leads_to,
    liveness,
    measure,
    require,
)
from replicheck.lang.faults import FaultsStop, Isolation

St = Enum("St", "healthy", "lost", "searching", "backoff", "copying")
NodeSt = Enum("NodeSt", "running", "failed", "dead")
Throttle = Enum("Throttle", "open", "coarse", "fine")

Node = Sort("Node", default=4, symmetric=True, prefix="n")
Volume = Sort("Volume", default=3, symmetric=True, prefix="v")

RACE_TRIGGERS = ("narrow", "broad")
REUSE_RULES = ("never", "after_remirror", "immediately")


def symmetric_count(domain: Any, pred: Any) -> Any:
    """How many elements satisfy pred, written so that permuting the elements gives the same
    expression (`count` builds a chain of additions, which the static symmetry check of the
    checker does not recognise as symmetric for three or more elements): "at least k" is an
    Or over the k-subsets, and the count is the largest k that holds."""
    xs = [pred(x) for x in domain]
    total: Any = 0
    for k in range(1, len(xs) + 1):
        at_least_k = Or(*[And(*c) for c in combinations(xs, k)])
        total = If(at_least_k, k, total)
    return total


def at_least_two(conds: list[Any]) -> Any:
    """Two or more of the conditions hold (symmetric in their order)."""
    return Or(*[a & b for a, b in combinations(conds, 2)])


def _placement_count(m: Any) -> int:
    pairs = len(m.Node) * (len(m.Node) - 1)
    return int(pairs ** len(m.Volume) - 1)


Placement = Range(0, _placement_count)  # init's parameter type (named, so that mypy reads it as one)


class Remirror(Isolation(Node), FaultsStop, Model):  # type: ignore[misc]
    name = "ebs.remirror"

    Node = Node
    Volume = Volume

    # -- settings ------------------------------------------------------------------------------
    # "a network change [...] was executed incorrectly": one misrouted traffic shift (a
    # hardware crash spends this budget too)
    fault_budget: int = 1
    # "the free capacity of the EBS cluster was quickly exhausted": little spare per node
    spare: int = 1
    # "We have already increased our capacity buffer significantly"
    capacity_buffer: bool = False
    buffer_spare: int = 3  # free slots per node with the buffer: one per volume at 3 volumes
    # "our retry logic will back off more aggressively and focus on re-establishing
    # connectivity with previous replicas": both halves, as AWS grouped them
    retry_fix: bool = False
    # "we have identified the source of the race condition [...] We have a fix"
    race_fix: bool = False
    # "caused them to fail when they were concurrently closing a large number of requests"
    race_trigger: str = "narrow"
    # at most this many nodes failed by the race at once (a bound on the search, stated in the
    # docs: the narrow trigger never fails more than 2 of 4 nodes at 3 volumes anyway)
    race_crashes: int = 4
    # a real machine failure ("volumes which had suffered machine failure"), besides the race;
    # it spends the fault budget, as the network event does
    hardware_crashes: int = 0
    # "the EBS cluster does not reuse the failed node until every data replica is
    # successfully re-mirrored"
    reuse_failed: str = "never"
    # "Recovering EBS in the Affected Availability Zone": operators' throttles, new capacity
    recovery: bool = False
    capacity_budget: int = 0  # rounds of new capacity (one slot on every running node each)
    fine_throttles: bool = True
    max_retries: int = 1  # failed searches counted (saturating); the model reads only ">= 1"

    variants = {
        "as_2011": {},
        "capacity_buffer": {"capacity_buffer": True},
        "retry_fix": {"retry_fix": True},
        "race_fix": {"race_fix": True},
        "all_protections": {"capacity_buffer": True, "retry_fix": True, "race_fix": True},
        "all_protections_hardware_crash": {
            "capacity_buffer": True, "retry_fix": True, "race_fix": True, "hardware_crashes": 1,
        },
        "retry_and_race_fix_hardware_crash": {"retry_fix": True, "race_fix": True, "hardware_crashes": 1},
        "retry_fix_broad_race": {"retry_fix": True, "race_trigger": "broad", "race_crashes": 1},
        "reuse_after_remirror": {"reuse_failed": "after_remirror"},
        "reuse_immediately": {"reuse_failed": "immediately"},
        # the recovery phase at 3 nodes x 2 volumes, no spare: at 4 x 3 it passes 54 million
        # states and its liveness does not fit (docs); here two race crashes leave one node
        # running, so the failed nodes' reuse and the new capacity are both needed
        "recovery": {
            "recovery": True, "capacity_budget": 2, "reuse_failed": "after_remirror",
            "Node": 3, "Volume": 2, "spare": 0,
        },
        "recovery_coarse_throttles": {
            "recovery": True, "capacity_budget": 2, "reuse_failed": "after_remirror", "fine_throttles": False,
            "Node": 3, "Volume": 2, "spare": 0,
        },
    }
    # Verdicts at the default size (4 nodes x 3 volumes; the recovery variants set their own), from the runs in the docs; each
    # with its reason (docs/models/ebs.remirror.md tells the traces).
    expected = {
        "as_2011": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "violated"},
        "capacity_buffer": {"no_data_loss": "holds", "no_stuck_forever": "holds", "data_back_online": "holds"},
        "retry_fix": {"no_data_loss": "holds", "no_stuck_forever": "holds", "data_back_online": "holds"},
        "race_fix": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "holds"},
        "all_protections": {"no_data_loss": "holds", "no_stuck_forever": "holds", "data_back_online": "holds"},
        "all_protections_hardware_crash": {"no_data_loss": "holds", "no_stuck_forever": "holds", "data_back_online": "holds"},
        "retry_and_race_fix_hardware_crash": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "holds"},
        "retry_fix_broad_race": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "holds"},
        "reuse_after_remirror": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "violated"},
        "reuse_immediately": {"no_data_loss": "violated", "no_stuck_forever": "violated", "data_back_online": "violated"},
        "recovery": {"no_data_loss": "holds", "no_stuck_forever": "holds", "data_back_online": "holds"},
        "recovery_coarse_throttles": {"no_data_loss": "holds", "no_stuck_forever": "violated", "data_back_online": "holds"},
    }
    reasons = {
        "as_2011": (
            "All three volumes of n1 lose their mirror n2 together; after the rollback n3 and n4 take "
            "one each and the third loops for ever, the free slots of n2 unusable because n2 holds it; "
            "two volumes whose holders the race failed wait on failed disks with no free slot to "
            "restore them to, but a software crash keeps the data."
        ),
        "capacity_buffer": "Three spare slots per node fit all three volumes on any third node, whatever the race fails (at most two nodes).",
        "retry_fix": (
            "Every volume whose mirror comes back reconnects to it, and backing off removes the "
            "search loop the narrow race needs, so no node ever fails: true, but it never sees one."
        ),
        "race_fix": "The storm of as_2011 needs no race crash: one volume still finds no third node with a free slot.",
        "all_protections": "The buffer alone and the retry fix alone already end the storm at this size; no node ever fails here.",
        "all_protections_hardware_crash": "With a node really lost, the buffer gives the survivors' three new mirrors room on the other nodes.",
        "retry_and_race_fix_hardware_crash": (
            "A dead node cannot be reconnected to: its three volumes need three new mirrors on two "
            "nodes with one spare slot each, so at 4 nodes the buffer is necessary once a node really "
            "fails (at 5 nodes the three other nodes' spare slots are enough)."
        ),
        "retry_fix_broad_race": (
            "A broad trigger fails a node with two first searches open, which backing off does not "
            "prevent; its volumes cannot reconnect to a failed node, and one finds no slot: the race "
            "fix becomes necessary for the retry fix."
        ),
        "reuse_after_remirror": (
            "The post-mortem's rule never wipes a needed copy, but the two failed nodes hold the only "
            "copies of two volumes, which cannot leave them without a free slot elsewhere: the rule "
            "alone frees nothing, so new capacity is needed."
        ),
        "reuse_immediately": (
            "The as_2011 storm fails n1 and then n2, the two holders of two volumes; reusing them "
            "before those volumes are re-mirrored wipes the only copies (25 steps)."
        ),
        "recovery": (
            "Two race crashes leave one node of three running; with fine throttles, two rounds of new "
            "capacity and the failed nodes reused once emptied, every volume is restored and re-mirrored."
        ),
        "recovery_coarse_throttles": (
            "The coarse throttle that stopped the futile searches also stops every search, so the new "
            "capacity is never found: the data is back on running nodes, but volumes stay stuck."
        ),
    }
    check_deadlock = False  # once every volume is healthy and faults are spent, runs may end

    # -- state ---------------------------------------------------------------------------------
    node = Map(Node, NodeSt, init=NodeSt.running, doc="running; failed (race bug: out of service, disks kept); dead (hardware: copies gone)")
    st = Map(Volume, St, init=St.healthy, doc="the volume's re-mirroring state (healthy: mirrored, I/O flows)")
    prim = Map(Volume, Node, doc="the holder that serves the volume and re-mirrors it")
    mate = Map(Volume, Node, doc="the other holder: the mirror, or the previous peer after a loss")
    pcopy = Map(Volume, Bool, init=True, doc="the primary still holds the volume's data")
    mcopy = Map(Volume, Bool, init=True, doc="the mirror (or previous peer) still holds the volume's data")
    target = Map(Volume, Node.or_none, init=None, doc="the node whose slot the search reserved")
    retries = Map(Volume, Range(0, "max_retries"), init=0, doc="failed searches in a row (saturating)")
    free = Map(
        Node,
        Range(0, lambda m: m.initial_spare() + len(m.Volume) + m.capacity_budget),
        doc="free replica slots",
    )
    held = Map(Node, Range(0, lambda m: m.initial_spare() + len(m.Volume) + m.capacity_budget), init=0, doc="released copies whose slot is not yet free (the node cut off or failed)")
    hw = Range(0, "hardware_crashes", init=0, doc="hardware crashes so far")
    throttle = Var(Throttle, init=Throttle.open, doc="the operators' throttle on node-to-node searches")
    added = Range(0, "capacity_budget", init=0, doc="new slots operators have installed")

    # -- settings checked once, when the model is made ------------------------------------------

    def __init__(self, variant: str | None = None, **settings: Any) -> None:
        super().__init__(variant, **settings)
        for problem, hint in self._setting_problems():
            raise ModelError(f"{self.model_name}: {problem}", hint)

    def _setting_problems(self) -> list[tuple[str, str]]:
        """Every setting that is out of range or meaningless here, with what is allowed."""
        out = []
        if len(self.Node) < 3:
            out.append((f"Node={len(self.Node)} leaves no node to re-mirror to", "Give Node=3 or more (two holders and a third node to re-mirror to)."))
        if self.race_trigger not in RACE_TRIGGERS:
            out.append((f"race_trigger={self.race_trigger!r} is not a trigger", "race_trigger is narrow or broad."))
        if self.reuse_failed not in REUSE_RULES:
            out.append((f"reuse_failed={self.reuse_failed!r} is not a rule", "reuse_failed is never, after_remirror or immediately."))
        if self.hardware_crashes not in (0, 1):
            out.append(
                (f"hardware_crashes={self.hardware_crashes} is out of range",
                 "hardware_crashes is 0 or 1 (two crashes of a volume's two holders lose its data whatever the protocol)."))
        if self.fault_budget not in (1, 2):
            out.append((f"fault_budget={self.fault_budget} is out of range", "fault_budget (network events) is 1 or 2."))
        if not 0 <= self.spare <= 9:
            out.append((f"spare={self.spare} is out of range", "spare (free slots per node) is 0..9."))
        if self.capacity_buffer and not self.spare < self.buffer_spare <= 9:
            out.append(
                (f"buffer_spare={self.buffer_spare} is no buffer over spare={self.spare}",
                 "With capacity_buffer, buffer_spare must be more than spare and at most 9."))
        if not 0 <= self.capacity_budget <= 3:
            out.append((f"capacity_budget={self.capacity_budget} is out of range", "capacity_budget (rounds of new capacity) is 0..3."))
        if self.capacity_budget and not self.recovery:
            out.append(("capacity_budget needs recovery=true", "New capacity is installed in the recovery phase: also set recovery=true."))
        if not self.fine_throttles and not self.recovery:
            out.append(("fine_throttles=false means nothing without recovery=true", "The throttles exist only in the recovery phase: set recovery=true."))
        if not 1 <= self.race_crashes <= 9:
            out.append((f"race_crashes={self.race_crashes} is out of range", "race_crashes (nodes failed by the race at once, at most) is 1..9."))
        if self.max_retries < 1:
            out.append((f"max_retries={self.max_retries} is out of range", "max_retries is at least 1."))
        return out

    def counts_retries(self) -> bool:
        """Only the narrow race reads the failed-search counter; elsewhere it is not kept (it
        would only multiply states that differ in nothing the model looks at)."""
        return self.race_trigger == "narrow" and not self.race_fix

    def initial_spare(self) -> int:
        """Free slots per node at the start: the buffer's if reserved, else the little spare."""
        return self.buffer_spare if self.capacity_buffer else self.spare

    def init(self, s: Any, placement: Placement) -> None:
        """Every volume on an ordered pair (primary, mirror) of distinct nodes; all placements."""
        nodes = list(self.Node)
        pairs = [(a, b) for a in nodes for b in nodes if a != b]
        for i, v in enumerate(self.Volume):
            a, b = pairs[(placement // len(pairs) ** i) % len(pairs)]
            s.prim[v] = a
            s.mate[v] = b
        for n in self.Node:
            s.free[n] = self.initial_spare()

    # -- definitions -------------------------------------------------------------------------

    def running(self, s: Any, n: Any) -> Any:
        return s.node[n] == NodeSt.running

    def reaches_cluster(self, s: Any, n: Any) -> Any:
        return self.running(s, n) & ~s.isolated[n]

    def linked(self, s: Any, a: Any, b: Any) -> Any:
        """Can a and b talk? (Both running, neither cut off by the network event.)"""
        return self.reaches_cluster(s, a) & self.reaches_cluster(s, b)

    def linked_to(self, s: Any, a_value: Any, b_value: Any) -> Any:
        """linked(a, b) for nodes given as state values (prim, mate, target)."""
        return exists(
            self.Node,
            lambda a: exists(self.Node, lambda b: (a_value == a) & (b_value == b) & self.linked(s, a, b) if a != b else False),
        )

    def holds_at(self, s: Any, v: Any, n: Any, status: Any) -> Any:
        """n holds a copy of v and has the given status."""
        return ((s.prim[v] == n) & s.pcopy[v] | (s.mate[v] == n) & s.mcopy[v]) & (s.node[n] == status)

    def online(self, s: Any, v: Any) -> Any:
        """Some running node holds v's data."""
        return exists(self.Node, lambda n: self.holds_at(s, v, n, NodeSt.running))

    def place_for(self, s: Any, v: Any, t: Any) -> Any:
        """Could v's primary re-mirror to t? t runs, is reachable, holds no copy of v, has a slot."""
        return self.reaches_cluster(s, t) & (s.prim[v] != t) & (s.mate[v] != t) & (s.free[t] >= 1)

    def has_place(self, s: Any, v: Any) -> Any:
        return exists(self.Node, lambda t: self.place_for(s, v, t))

    def peer_linked(self, s: Any, v: Any) -> Any:
        """The primary can talk to its mirror (or previous peer), which still has the data."""
        return s.mcopy[v] & self.linked_to(s, s.prim[v], s.mate[v])

    def searches_allowed(self, s: Any) -> Any:
        """The operators' coarse throttle stops node-to-node searches altogether."""
        return s.throttle != Throttle.coarse

    def may_search(self, s: Any, v: Any) -> Any:
        """The primary has the data, can reach the cluster, and searches are not throttled; with the retry fix
        it does not search while its previous peer is reachable (it reconnects instead)."""
        ok = s.pcopy[v] & exists(self.Node, lambda p: (s.prim[v] == p) & self.reaches_cluster(s, p)) & self.searches_allowed(s)
        if self.retry_fix:
            ok = ok & ~self.peer_linked(s, v)
        return ok

    def in_search_loop(self, s: Any, n: Any, v: Any) -> Any:
        """n is v's primary and searches again after a failed search, unthrottled."""
        return (s.prim[v] == n) & (s.st[v] == St.searching) & (s.retries[v] >= 1) & (s.throttle == Throttle.open)

    def open_request(self, s: Any, n: Any, v: Any) -> Any:
        """n has a replication request of v open: it searches or copies as v's primary, or
        it is the target of v's copy."""
        as_primary = (s.prim[v] == n) & (
            (s.st[v] == St.searching) & self.searches_allowed(s) | (s.st[v] == St.copying)
        )
        return as_primary | (s.target[v] == n)

    def race_triggered(self, s: Any, n: Any) -> Any:
        if self.race_trigger == "narrow":
            return at_least_two([self.in_search_loop(s, n, v) for v in self.Volume])
        return at_least_two([self.open_request(s, n, v) for v in self.Volume])

    def unreserve(self, s: Any, v: Any) -> None:
        for n in self.Node:
            here = s.target[v] == n
            s.free[n] = If(here & self.running(s, n), s.free[n] + 1, s.free[n])
            s.held[n] = If(here & (s.node[n] == NodeSt.failed), s.held[n] + 1, s.held[n])
        s.target[v] = None

    def takeover_ready(self, s: Any, v: Any) -> Any:
        """The primary failed or lost its copy, and the mirror runs with the data."""
        prim_gone = exists(self.Node, lambda p: (s.prim[v] == p) & ~self.running(s, p)) | ~s.pcopy[v]
        mate_ok = s.mcopy[v] & exists(self.Node, lambda q: (s.mate[v] == q) & self.running(s, q))
        return prim_gone & mate_ok

    def recover_ready(self, s: Any, v: Any) -> Any:
        """No running node has v's data, but a failed node's disk does."""
        return ~self.online(s, v) & exists(self.Node, lambda n: self.holds_at(s, v, n, NodeSt.failed))

    def reuse_ready(self, s: Any, n: Any) -> Any:
        if self.reuse_failed == "never":
            return False
        ok = s.node[n] == NodeSt.failed
        if self.reuse_failed == "after_remirror":
            ok = ok & forall(
                self.Volume,
                lambda v: ~((s.prim[v] == n) & s.pcopy[v] | (s.mate[v] == n) & s.mcopy[v] | (s.target[v] == n)),
            )
        return ok

    def quiet(self, s: Any) -> Any:
        """Faults are over and the network event is rolled back."""
        return s.faults_over & s.isolated.is_empty()

    # -- the re-mirroring protocol -------------------------------------------------------------

    @action(fair="weak")
    def detect_loss(self, s: Any, v: Volume) -> None:
        """"When a node loses connectivity to a node to which it is replicating data to, it
        assumes the other node failed": the volume's I/O blocks."""
        require((s.st[v] == St.healthy) & s.pcopy[v] & exists(self.Node, lambda p: (s.prim[v] == p) & self.running(s, p)))
        require(~self.peer_linked(s, v))
        s.st[v] = St.lost

    @action(fair="weak")
    def take_over(self, s: Any, v: Volume) -> None:
        """"Nodes began to fail [...] resulting in more volumes left needing to re-mirror": the
        surviving holder becomes primary and must re-mirror; the failed one stays the previous
        peer, its disk still holding its copy (a software crash) or not (hardware)."""
        require(self.takeover_ready(s, v))
        old, old_copy = s.prim[v], s.pcopy[v]
        s.prim[v] = s.mate[v]
        s.pcopy[v] = s.mcopy[v]
        s.mate[v] = old
        s.mcopy[v] = old_copy
        self.unreserve(s, v)
        s.st[v] = St.lost
        s.retries[v] = 0

    @action(fair="weak")
    def start_search(self, s: Any, v: Volume) -> None:
        """"To preserve durability, it must find a new node to which it can replicate its data"."""
        require((s.st[v] == St.lost) & self.may_search(s, v))
        s.st[v] = St.searching

    @action(fair="weak")
    def search(self, s: Any, v: Volume, t: Node) -> None:
        """"the EBS node searches its EBS cluster for another node with enough available server
        space": t has a free slot, and the search reserves it."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & self.place_for(s, v, t))
        s.free[t] -= 1
        s.target[v] = t
        s.st[v] = St.copying
        s.retries[v] = 0

    @action(fair="weak")
    def search_fails(self, s: Any, v: Volume) -> None:
        """No node has space. "[T]he nodes failing to find new nodes did not back off
        aggressively enough [...] but instead, continued to search repeatedly": without the
        retry fix the node searches again at once (the loop); with it, it backs off until the
        cluster has a place for the volume. A fine throttle lets no futile search through."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & ~self.has_place(s, v))
        require(s.throttle == Throttle.open)
        if self.counts_retries():
            s.retries[v] = Min(s.retries[v] + 1, self.max_retries)
        if self.retry_fix:
            s.st[v] = St.backoff

    @action(fair="weak")
    def wake_up(self, s: Any, v: Volume) -> None:
        """(retry fix) "our retry logic will back off more aggressively": a backed-off node
        searches again once a place exists; a paced attempt, not part of the loop."""
        require((s.st[v] == St.backoff) & self.may_search(s, v) & self.has_place(s, v))
        s.st[v] = St.searching
        s.retries[v] = 0

    @action(fair="weak")
    def copy_complete(self, s: Any, v: Volume) -> None:
        """"all nodes that have copies of the data hold onto the data until they can confirm
        that another node has taken ownership of their portion": the target now owns the data,
        and only now does the old holder give its slot back."""
        require((s.st[v] == St.copying) & s.pcopy[v] & self.linked_to(s, s.prim[v], s.target[v]))
        old = s.mate[v]
        old_copy = s.mcopy[v]
        for n in self.Node:
            here = (old == n) & old_copy
            s.free[n] = If(here & self.reaches_cluster(s, n), s.free[n] + 1, s.free[n])
            s.held[n] = If(here & ~self.reaches_cluster(s, n) & (s.node[n] != NodeSt.dead), s.held[n] + 1, s.held[n])
        s.mate[v] = s.target[v]
        s.mcopy[v] = True
        s.target[v] = None
        s.st[v] = St.healthy

    @action(fair="weak")
    def copy_fails(self, s: Any, v: Volume) -> None:
        """The primary and the target can no longer talk: the reservation is dropped."""
        require((s.st[v] == St.copying) & ~self.linked_to(s, s.prim[v], s.target[v]))
        require(s.pcopy[v] & exists(self.Node, lambda p: (s.prim[v] == p) & self.running(s, p)))
        self.unreserve(s, v)
        s.st[v] = St.searching

    @action(fair="weak")
    def confirm_release(self, s: Any, n: Node) -> None:
        """A node that was cut off learns the new owners and frees the copies it kept."""
        require((s.held[n] >= 1) & self.reaches_cluster(s, n))
        s.free[n] += s.held[n]
        s.held[n] = 0

    @action(fair="weak")
    def reconnect_peer(self, s: Any, v: Volume) -> None:
        """(retry fix) "focus on re-establishing connectivity with previous replicas rather than
        futilely searching for new nodes": the previous peer is reachable again and still has
        the data; the mirror is re-established with it, no new slot needed."""
        require(self.retry_fix)
        require((s.st[v] == St.lost) | (s.st[v] == St.searching) | (s.st[v] == St.backoff))
        require(s.pcopy[v] & self.peer_linked(s, v))
        s.st[v] = St.healthy
        s.retries[v] = 0

    # -- node failures ---------------------------------------------------------------------------

    @action
    def race_crash(self, s: Any, n: Node) -> None:
        """(race bug) "a race condition in the code on the EBS nodes that, with a very low
        probability, caused them to fail when they were concurrently closing a large number of
        requests for replication": the node fails (a software crash: its disks keep the
        data). A bug, not a fault: no budget, and not fair (it may or may not happen)."""
        require(not self.race_fix)
        require(self.running(s, n) & self.race_triggered(s, n))
        require(symmetric_count(self.Node, lambda m: s.node[m] == NodeSt.failed) < self.race_crashes)
        s.node[n] = NodeSt.failed

    @action
    def hardware_crash(self, s: Any, n: Node) -> None:
        """(hardware_crashes) A machine failure: the node and the copies on it are gone."""
        require((s.hw < self.hardware_crashes) & self.running(s, n))
        self.spend_fault(s)  # one unit of the budget the network event also spends
        s.hw += 1
        s.node[n] = NodeSt.dead
        for v in self.Volume:
            s.pcopy[v] = s.pcopy[v] & (s.prim[v] != n)
            s.mcopy[v] = s.mcopy[v] & (s.mate[v] != n)

    # -- recovery: the operators ---------------------------------------------------------------

    @action(fair="weak")
    def recover(self, s: Any, v: Volume, t: Node) -> None:
        """"we can recover data if a cluster fails to behave as designed": every copy of v is
        on failed nodes; operators restore one onto t, which becomes the primary; the failed
        holder stays the previous peer, and v re-mirrors from t."""
        require(self.recover_ready(s, v) & self.place_for(s, v, t))
        prim_kept = s.pcopy[v] & (s.node[s.prim[v]] == NodeSt.failed)
        other, other_copy = s.mate[v], s.mcopy[v]
        self.unreserve(s, v)
        # the failed copy kept as the previous peer: the primary's if it has one, else the mate's
        s.mate[v] = If(prim_kept, s.prim[v], s.mate[v])
        s.mcopy[v] = True
        # a second failed copy (the mate's, when the primary's is kept) is released
        for n in self.Node:
            here = prim_kept & other_copy & (other == n)
            s.held[n] = If(here & (s.node[n] == NodeSt.failed), s.held[n] + 1, s.held[n])
        s.prim[v] = t
        s.pcopy[v] = True
        s.free[t] -= 1
        s.st[v] = St.lost
        s.retries[v] = 0

    @action(fair="weak")
    def reuse(self, s: Any, n: Node) -> None:
        """(reuse_failed) A failed node is wiped and put back into service with all its slots
        free: "after_remirror" only once no volume needs a copy on it (the post-mortem's rule),
        "immediately" at once, destroying the copies it kept."""
        require(self.reuse_ready(s, n))
        wiped = 0
        for v in self.Volume:
            p = (s.prim[v] == n) & s.pcopy[v]
            m = (s.mate[v] == n) & s.mcopy[v]
            wiped = wiped + If(p, 1, 0) + If(m, 1, 0)
            s.pcopy[v] = s.pcopy[v] & ~p
            s.mcopy[v] = s.mcopy[v] & ~m
        s.free[n] += s.held[n] + wiped
        s.held[n] = 0
        s.node[n] = NodeSt.running

    @action(fair="weak")
    def stop_futile_searches(self, s: Any) -> None:
        """(recovery) 11:30 AM: "the team developed a way to prevent EBS servers in the degraded
        EBS cluster from futilely contacting other servers": a coarse throttle on searches."""
        require(self.recovery)
        require((s.throttle == Throttle.open) & s.isolated.is_empty())
        require(exists(self.Volume, lambda v: s.st[v] != St.healthy))
        s.throttle = Throttle.coarse

    @action(fair="weak")
    def refine_throttles(self, s: Any) -> None:
        """(recovery, fine_throttles) "The team had to carefully make changes to their
        negotiation throttles to allow negotiation to occur with the newly-built servers
        without again inundating the old servers": searches go only where there is space."""
        require(self.recovery & self.fine_throttles)
        require(s.throttle == Throttle.coarse)
        s.throttle = Throttle.fine

    @action(fair="weak")
    def add_capacity(self, s: Any) -> None:
        """(recovery) "The key priority became bringing additional storage capacity online
        [...] the team had to install a large amount of additional new capacity": one round of
        new servers, spread over the cluster: one more slot on every running node, up to
        capacity_budget rounds (spread, so that no volume's new space is all on its own
        holders)."""
        require(self.recovery)
        require(s.added < self.capacity_budget)
        for n in self.Node:
            s.free[n] = If(self.running(s, n), s.free[n] + 1, s.free[n])
        s.added += 1

    # -- properties -------------------------------------------------------------------------

    def healthy(self, s: Any, v: Any) -> Any:
        """Mirrored and serving: its state says so and its primary runs with the data (a
        volume whose holders failed before it noticed is not healthy)."""
        return (s.st[v] == St.healthy) & s.pcopy[v] & self.running(s, s.prim[v])

    @invariant
    def no_data_loss(self, s: Any) -> Any:
        """Every volume always has a copy of its latest data somewhere: on a running node or on
        a failed node's disk (I/O is blocked while a volume is not healthy, so every copy is
        the latest). Only a hardware crash or the reuse of a failed node destroys a copy."""
        return forall(self.Volume, lambda v: s.pcopy[v] | s.mcopy[v])

    @liveness
    def no_stuck_forever(self, s: Any) -> Any:
        """Once the network event is rolled back and faults have stopped, every volume that
        lost its mirror is eventually healthy again (all volumes at once), under weak
        fairness of the protocol's and the operators' actions."""
        some_stuck = exists(self.Volume, lambda v: ~self.healthy(s, v))
        return leads_to(some_stuck & self.quiet(s), forall(self.Volume, lambda v: self.healthy(s, v)))

    @liveness
    def data_back_online(self, s: Any) -> Any:
        """Recoverability: once quiet, every volume's data is eventually on a running node
        again (a failed node's kept copy is used for recovery)."""
        some_offline = exists(self.Volume, lambda v: ~self.online(s, v))
        return leads_to(some_offline & self.quiet(s), forall(self.Volume, lambda v: self.online(s, v)))

    # -- measures: the storm's end ---------------------------------------------------------

    def pending(self, s: Any, v: Any) -> Any:
        """Something can still change for v without a new fault or race crash: a loss to
        detect, a take-over, a copy in flight, a place it may search for, a previous peer to
        reconnect to, a recovery from a failed disk."""
        searchable = self.has_place(s, v) & s.pcopy[v] & exists(self.Node, lambda p: (s.prim[v] == p) & self.reaches_cluster(s, p))
        p = (
            (s.st[v] == St.healthy) & s.pcopy[v] & exists(self.Node, lambda q: (s.prim[v] == q) & self.running(s, q)) & ~self.peer_linked(s, v)
            | self.takeover_ready(s, v)
            | (s.st[v] == St.copying) & s.pcopy[v]
            | ~self.healthy(s, v) & searchable & self.searches_allowed(s)
            | self.recover_ready(s, v) & exists(self.Node, lambda t: self.place_for(s, v, t))
        )
        if self.retry_fix:
            p = p | ~self.healthy(s, v) & s.pcopy[v] & self.peer_linked(s, v)
        return p

    def settled(self, s: Any) -> Any:
        """The storm is over: quiet, and nothing but futile searches (and race crashes) can
        happen: no volume has anything pending, no kept copy waits to be confirmed, no failed
        node is ready for reuse, and the operators have nothing left to do."""
        ok = self.quiet(s) & forall(self.Volume, lambda v: ~self.pending(s, v))
        ok = ok & forall(self.Node, lambda n: ~((s.held[n] >= 1) & self.reaches_cluster(s, n)))
        if self.reuse_failed != "never":
            ok = ok & forall(self.Node, lambda n: ~self.reuse_ready(s, n))
        if self.recovery:
            some_stuck = exists(self.Volume, lambda v: ~self.healthy(s, v))
            ok = ok & ~(s.added < self.capacity_budget)
            ok = ok & ~((s.throttle == Throttle.open) & some_stuck)
            if self.fine_throttles:
                ok = ok & (s.throttle != Throttle.coarse)
        return ok

    @measure
    def stuck_at_end(self, s: Any) -> Any:
        """Volumes stuck in a state where the storm is over (`settled`): stuck for good. Its
        maximum is the worst number of volumes the storm leaves stuck; 0 when every storm
        ends with every volume healthy."""
        return If(self.settled(s), symmetric_count(self.Volume, lambda v: ~self.healthy(s, v)), 0)

    @measure
    def searching_at_end(self, s: Any) -> Any:
        """Volumes that search futilely for ever once the storm is over (`settled`): stuck,
        their primary reaching the cluster, unthrottled, and no backoff. The storm's load that
        never ends; 0 with the retry fix (stuck volumes then wait quietly) or a throttle."""
        if self.retry_fix:
            return 0
        return If(
            self.settled(s) & (s.throttle == Throttle.open),
            symmetric_count(
                self.Volume,
                lambda v: ((s.st[v] == St.lost) | (s.st[v] == St.searching)) & self.may_search(s, v),
            ),
            0,
        )

    @measure
    def failed_nodes(self, s: Any) -> Any:
        """Nodes out of service (failed by the race, or dead): 0 in a run means the variant
        never saw a node fail."""
        return symmetric_count(self.Node, lambda n: ~self.running(s, n))
