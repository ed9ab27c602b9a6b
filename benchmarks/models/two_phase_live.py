"""Two-phase commit with fairness and a liveness property, for the liveness benchmark
(benchmarks/bench_liveness_batch.py): the TLA+ example `TwoPhase` of models/classic/two_phase.py
(same variables, actions and invariant, so the same state counts: 10,340,352 states with 9
resource managers), every action weakly fair, and `every_rm_decides`: eventually every RM
has committed or aborted (the TM aborts or commits, since TMAbort stays enabled until it
decides; every RM then receives the decision). Holds. Not a shipped model: a fixture of the
benchmark, kept beside it.
"""

from replicheck.lang import (
    Bool,
    Enum,
    Map,
    Model,
    SetOf,
    Sort,
    Var,
    action,
    eventually,
    exists,
    forall,
    invariant,
    liveness,
    require,
)

RMState = Enum("RMState", "working", "prepared", "committed", "aborted")
TMState = Enum("TMState", "init", "committed", "aborted")


class TwoPhaseLive(Model):
    name = "two_phase_live"

    RM = Sort("RM", default=3, symmetric=True, prefix="r")

    rm_state = Map(RM, RMState, init=RMState.working)
    tm_state = Var(TMState, init=TMState.init)
    tm_prepared = SetOf(RM, init=False)
    prepared_msg = SetOf(RM, init=False)  # [type |-> "Prepared", rm |-> rm] \in msgs
    commit_msg = Var(Bool, init=False)  # [type |-> "Commit"] \in msgs
    abort_msg = Var(Bool, init=False)  # [type |-> "Abort"] \in msgs

    @action(fair="weak")
    def tm_rcv_prepared(self, s, rm: RM):
        """TMRcvPrepared(rm): the TM receives a Prepared message from rm."""
        require((s.tm_state == TMState.init) & s.prepared_msg.contains(rm))
        s.tm_prepared.add(rm)

    @action(fair="weak")
    def tm_commit(self, s):
        """TMCommit: every RM has prepared, so the TM commits and tells them."""
        require((s.tm_state == TMState.init) & forall(self.RM, lambda r: s.tm_prepared.contains(r)))
        s.tm_state = TMState.committed
        s.commit_msg = True

    @action(fair="weak")
    def tm_abort(self, s):
        """TMAbort: the TM spontaneously aborts and tells the RMs."""
        require(s.tm_state == TMState.init)
        s.tm_state = TMState.aborted
        s.abort_msg = True

    @action(fair="weak")
    def rm_prepare(self, s, rm: RM):
        """RMPrepare(rm): a working RM prepares and sends Prepared to the TM."""
        require(s.rm_state[rm] == RMState.working)
        s.rm_state[rm] = RMState.prepared
        s.prepared_msg.add(rm)

    @action(fair="weak")
    def rm_choose_to_abort(self, s, rm: RM):
        """RMChooseToAbort(rm): a working RM spontaneously aborts."""
        require(s.rm_state[rm] == RMState.working)
        s.rm_state[rm] = RMState.aborted

    @action(fair="weak")
    def rm_rcv_commit_msg(self, s, rm: RM):
        """RMRcvCommitMsg(rm): rm receives the TM's Commit message."""
        require(s.commit_msg)
        s.rm_state[rm] = RMState.committed

    @action(fair="weak")
    def rm_rcv_abort_msg(self, s, rm: RM):
        """RMRcvAbortMsg(rm): rm receives the TM's Abort message."""
        require(s.abort_msg)
        s.rm_state[rm] = RMState.aborted

    @invariant
    def tc_consistent(self, s):
        """TCConsistent: no RM has aborted while another has committed."""
        return ~(exists(self.RM, lambda r: s.rm_state[r] == RMState.aborted)
                 & exists(self.RM, lambda r: s.rm_state[r] == RMState.committed))

    @liveness
    def every_rm_decides(self, s):
        """Every RM ends committed or aborted."""
        return eventually(forall(self.RM, lambda r: (s.rm_state[r] == RMState.committed) | (s.rm_state[r] == RMState.aborted)))
