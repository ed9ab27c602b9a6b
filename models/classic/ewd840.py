"""Dijkstra's termination detection on a ring, EWD 840 (TLA+ example `EWD840`, Stephan Merz).

`specifications/ewd840/EWD840.tla` and `EWD840.cfg` in tlaplus/Examples. Nodes `0..N-1` are
active or passive and white or black; a token travels from node N-1 down to node 0, which
starts a probe by sending a white token round the ring. An active node may activate another
(and turns black if that one is above it, against the token's direction) or turn passive. The
token comes back white to a white, passive node 0 only if every node is passive.

Modelled one to one: the same variables, the 192 initial states for N = 3 (`active`, `color`
and `tpos` any, `tcolor` black), the actions InitiateProbe, PassToken(i) for i in 1..N-1,
SendMsg(i) (its `\\E j \\in Node \\ {i}` is the parameter j), Deactivate(i), the invariants
TypeOK, TerminationDetection and Inv, and the properties Liveness and TDSpec. Where the
language differs:

- Fairness: the spec has `WF_vars(System)`, weak fairness of the disjunction InitiateProbe \\/
  \\E i : PassToken(i); replicheck's fairness is per action instance, so here it is weak
  fairness of InitiateProbe and of each PassToken(i). The two are equivalent in this spec: only
  System moves the token, so while System is enabled and not taken `tpos` stays put, and the
  one disjunct that can be enabled (the one of node tpos) stays enabled.
- TDSpec (EWD840 refines SyncTerminationDetection, with `terminationDetected` the predicate
  of that name) is three properties: its `[][Next]_vars` is the action property
  `refines_sync_next`; its `WF_vars(DetectTermination)` is the liveness property
  `refines_sync_fairness`, `[]<>(~terminated \\/ terminationDetected)`, which is what that
  weak fairness comes to here (a DetectTermination step makes terminationDetected true, and
  ENABLED <DetectTermination>_vars is `terminated /\\ ~terminationDetected`); its Init is
  `terminationDetected \\in {FALSE, terminated}` (and a type), implied in every state by the
  invariant TerminationDetection, so it is not repeated.
- TypeOK holds by the declarations; it is kept as `tpos \\in Node` for the verdict.

TLC 2.15 (rev d5b5a7f), `java -cp tla2tools.jar tlc2.TLC -workers 1 -deadlock -config
EWD840.cfg EWD840.tla` (N = 3; the cfg's `CHECK_DEADLOCK FALSE` line taken out, as TLC 2.15
rejects it, and `-deadlock` given instead): 192 initial states, 2,001 states generated, 302
distinct states, depth 9; TypeOK, TerminationDetection, Inv, Liveness and TDSpec hold. (The
tlaplus/Examples manifest records 302 / 2,001 and a depth of 10.)
"""

from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Model,
    Or,
    Range,
    Var,
    action,
    action_property,
    always_eventually,
    exists,
    forall,
    implies,
    invariant,
    leads_to,
    liveness,
    require,
)

Color = Enum("Color", "white", "black")

# Parameter types, named at module level so that mypy (with replicheck.mypy_plugin) reads them
# as types.
Node = Range(0, lambda m: m.N - 1)
Passer = Range(1, lambda m: m.N - 1)  # Node \ {0}: the nodes that pass the token on
NodeSet = Range(0, lambda m: 2 ** m.N - 1)  # an initial function Node -> {0, 1}, as a bit mask


class EWD840(Model):
    name = "classic.ewd840"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"type_ok": "holds", "termination_detection": "holds", "inv": "holds", "refines_sync_next": "holds", "termination_eventually_detected": "holds", "refines_sync_fairness": "holds"}}
    reasons = {"": "TLC 2.15 on EWD840 (N = 3): TypeOK, TerminationDetection, Inv, Liveness and the refinement of SyncTerminationDetection hold."}

    N: int = 3
    check_deadlock = False  # the cfg's CHECK_DEADLOCK FALSE: a terminated ring stops

    active = Map(Node, Bool, doc="status of nodes (active or passive)")
    color = Map(Node, Color, doc="color of nodes")
    tpos = Var(Node, doc="token position")
    tcolor = Var(Color, doc="token color")

    def nodes(self):
        return range(self.N)

    def init(self, s, active: NodeSet, black: NodeSet, tpos: Node):
        for n in self.nodes():
            s.active[n] = bool((active >> n) & 1)
            s.color[n] = Color.black if (black >> n) & 1 else Color.white
        s.tpos = tpos
        s.tcolor = Color.black

    # -- System: the token, controlled by the termination detection algorithm -------------

    @action(fair="weak")
    def initiate_probe(self, s):
        """Node 0, holding the token, black or with a black token, sends a white token to N-1."""
        require((s.tpos == 0) & ((s.tcolor == Color.black) | (s.color[0] == Color.black)))
        s.tpos = self.N - 1
        s.tcolor = Color.white
        s.color[0] = Color.white

    @action(fair="weak")
    def pass_token(self, s, i: Passer):
        """Node i passes the token to i-1 if it is passive, or it or the token is black."""
        require((s.tpos == i) & (~s.active[i] | (s.color[i] == Color.black) | (s.tcolor == Color.black)))
        s.tpos = i - 1
        s.tcolor = If(s.color[i] == Color.black, Color.black, s.tcolor)
        s.color[i] = Color.white

    # -- Environment: the underlying computation ---------------------------------------------

    @action
    def send_msg(self, s, i: Node, j: Node):
        """Active node i activates node j != i; i turns black if j is above it."""
        require(i != j)
        require(s.active[i])
        s.active[j] = True
        if j > i:
            s.color[i] = Color.black

    @action
    def deactivate(self, s, i: Node):
        """An active node becomes passive."""
        require(s.active[i])
        s.active[i] = False

    # -- properties ---------------------------------------------------------------------------

    def terminated(self, s):
        return forall(self.nodes(), lambda i: ~s.active[i])

    def termination_detected(self, s):
        return (s.tpos == 0) & (s.tcolor == Color.white) & (s.color[0] == Color.white) & ~s.active[0]

    @invariant
    def type_ok(self, s):
        """TypeOK (the other conjuncts hold by the declarations)."""
        return (s.tpos >= 0) & (s.tpos <= self.N - 1)

    @invariant
    def termination_detection(self, s):
        """TerminationDetection: a white token at a white, passive node 0 means all are passive."""
        return implies(self.termination_detected(s), self.terminated(s))

    @invariant
    def inv(self, s):
        """Inv, Dijkstra's inductive invariant: P0 \\/ P1 \\/ P2."""
        p0 = forall(self.nodes(), lambda i: implies(s.tpos < i, ~s.active[i]))
        p1 = exists(self.nodes(), lambda j: (j <= s.tpos) & (s.color[j] == Color.black))
        p2 = s.tcolor == Color.black
        return p0 | p1 | p2

    @liveness
    def termination_eventually_detected(self, s):
        """Liveness: terminated ~> terminationDetected."""
        return leads_to(self.terminated(s), self.termination_detected(s))

    @action_property
    def refines_sync_next(self, s, t):
        """TDSpec's [][Next]_vars: every step is a step of SyncTerminationDetection."""
        td, td2 = self.termination_detected(s), self.termination_detected(t)
        nodes = list(self.nodes())

        def same_active_except(k, value):
            return forall(nodes, lambda n: t.active[n] == (value if n == k else s.active[n]))

        terminate = exists(
            nodes,
            lambda i: s.active[i] & same_active_except(i, False) & ((td2 == td) | (td2 == self.terminated(t))),
        )
        wakeup = exists(
            nodes,
            lambda i: exists(nodes, lambda j: s.active[i] & same_active_except(j, True) & (td2 == td)),
        )
        unchanged_active = forall(nodes, lambda n: t.active[n] == s.active[n])
        detect = self.terminated(s) & td2 & unchanged_active
        stutter = unchanged_active & (td2 == td)
        return Or(terminate, wakeup, detect, stutter)

    @liveness
    def refines_sync_fairness(self, s):
        """TDSpec's WF_vars(DetectTermination): []<>(~terminated \\/ terminationDetected)."""
        return always_eventually(~self.terminated(s) | self.termination_detected(s))
