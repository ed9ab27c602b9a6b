"""Termination detection in a ring with asynchronous messages (TLA+ example `AsyncTerminationDetection`).

The abstract specification behind Dijkstra's EWD 998, by Stephan Merz and Markus Kuppe:
`specifications/ewd998/AsyncTerminationDetection.tla` and its `.cfg` in tlaplus/Examples.
Nodes `0..N-1` are active or not and have `pending[n]` messages in flight to them; an active
node sends messages and may terminate, a node that receives a message is activated, and
termination may be detected once no node is active and no message is pending. The state
space is infinite (`pending` is unbounded), so the spec's `StateConstraint`
(`pending[n] <= 3` for every node) is the `@constraint` that makes it finite for TLC.

Modelled one to one: the same three variables, the 17 initial states (`active` any function,
`pending` zero, `terminationDetected` FALSE or `terminated`), the actions Terminate(i) (its
choice `terminationDetected' \\in {terminationDetected, terminated'}` is the parameter
`detect`, which gives the second element only when it differs from the first, so that the
steps are TLC's one for one), SendMsg(i, j), RcvMsg(i) and DetectTermination with `WF_vars(DetectTermination)`
(one instance, so per-instance fairness is the spec's), the invariants TypeOK and Safe and the
property Live. Two points where the language differs:

- `pending` needs a finite domain: `0..max_pending + 1`, one more than the constraint allows,
  because a successor outside the constraint (a fourth message) is still a state that is
  checked against the invariants (TypeOK's `pending \\in [Node -> Nat]` is `pending[n] >= 0`).
- Quiescence, `[](terminated => []terminated)`, is not one of the liveness forms; it is checked
  as the action property `terminated => terminated'`, which is equivalent for stuttering-closed
  behaviours (the spec's own QuiescenceAsActionInv / StableActionInvariant).

TLC 2.15 (rev d5b5a7f), `java -cp tla2tools.jar tlc2.TLC -workers 1 -config
AsyncTerminationDetection.cfg AsyncTerminationDetection.tla` (N = 4, deadlock checked): 17
initial states, 53,271 states generated, 4,097 distinct states, depth 14; TypeOK, Safe,
Quiescence and Live hold (no deadlock). The tlaplus/Examples manifest records the same
4,097 / 53,271 / 14. (The 4,097: every `active` and `pending <= 3` with detection not yet
signalled, 16 * 256, plus the one terminated state with it signalled.)
"""

from replicheck.lang import (
    Bool,
    Map,
    Model,
    Range,
    Var,
    action,
    action_property,
    constraint,
    forall,
    implies,
    invariant,
    leads_to,
    liveness,
    require,
)

# Parameter types, named at module level so that mypy (with replicheck.mypy_plugin) reads them
# as types.
Node = Range(0, lambda m: m.N - 1)
ActiveSet = Range(0, lambda m: 2 ** m.N - 1)  # an initial `active`, as a bit mask over the nodes


class AsyncTerminationDetection(Model):
    name = "classic.async_termination"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"type_ok": "holds", "safe": "holds", "quiescence": "holds", "live": "holds"}}
    reasons = {"": "TLC 2.15 on AsyncTerminationDetection (N = 4, pending[n] <= 3): TypeOK, Safe, Quiescence and Live (under WF(DetectTermination)) hold."}

    N: int = 4
    max_pending: int = 3  # StateConstraint: pending[n] <= max_pending

    active = Map(Node, Bool, doc="activation status of nodes")
    pending = Map(Node, Range(0, lambda m: m.max_pending + 1), doc="number of messages pending at a node")
    termination_detected = Var(Bool, doc="has termination been detected?")

    def nodes(self):
        return range(self.N)

    def terminated(self, s):
        return forall(self.nodes(), lambda n: ~s.active[n] & (s.pending[n] == 0))

    def init(self, s, initially_active: ActiveSet, detected: Bool):
        for n in self.nodes():
            s.active[n] = bool((initially_active >> n) & 1)
            s.pending[n] = 0
        # terminationDetected \in {FALSE, terminated}
        if detected:
            require(self.terminated(s))
        s.termination_detected = detected

    @action
    def terminate(self, s, i: Node, detect: Bool):
        """Node i terminates; termination may (but need not) be detected if all are inactive."""
        require(s.active[i])
        s.active[i] = False
        if detect:
            # the second element of {terminationDetected, terminated'} (active is already
            # updated), a step of its own only when it differs from the first, as TLC
            # enumerates the set
            require(self.terminated(s) != s.termination_detected)
            s.termination_detected = self.terminated(s)

    @action
    def send_msg(self, s, i: Node, j: Node):
        """Node i sends a message to node j."""
        require(s.active[i])
        s.pending[j] += 1

    @action
    def rcv_msg(self, s, i: Node):
        """Node i receives a pending message."""
        require(s.pending[i] > 0)
        s.active[i] = True
        s.pending[i] -= 1

    @action(fair="weak")
    def detect_termination(self, s):
        require(self.terminated(s))
        s.termination_detected = True

    @constraint
    def state_constraint(self, s):
        """StateConstraint: at most max_pending messages pending at every node."""
        return forall(self.nodes(), lambda n: s.pending[n] <= self.max_pending)

    @invariant
    def type_ok(self, s):
        """TypeOK: pending[n] is a natural number (the other conjuncts hold by the declarations)."""
        return forall(self.nodes(), lambda n: s.pending[n] >= 0)

    @invariant
    def safe(self, s):
        """Safe: termination is detected only when the nodes have terminated."""
        return implies(s.termination_detected, self.terminated(s))

    @action_property
    def quiescence(self, s, t):
        """Quiescence, as the action invariant `terminated => terminated'`."""
        return implies(self.terminated(s), self.terminated(t))

    @liveness
    def live(self, s):
        """Live: terminated ~> terminationDetected."""
        return leads_to(self.terminated(s), s.termination_detected)
