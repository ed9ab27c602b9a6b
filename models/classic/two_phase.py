"""Two-phase commit (TLA+ example `TwoPhase`, from the tlaplus Examples repository).

A transaction manager (TM) and resource managers (RMs). Each RM prepares (telling the TM with
a Prepared message) or spontaneously aborts; once every RM has prepared the TM may commit, and
it may abort at any time before deciding; RMs then follow the TM's Commit or Abort message.
The message set `msgs` of the TLA+ spec is modelled as `prepared_msg` (the RMs whose Prepared
message was sent) and the two flags `commit_msg` and `abort_msg` (messages are never lost,
so a set of sent messages is all the spec needs).

Invariant `tc_consistent` (TLA+ `TCConsistent`): no RM has committed while another aborted.
TLC with 3 resource managers: 288 distinct states, depth 11 (the initial state is depth 1).
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
    exists,
    forall,
    invariant,
    require,
)

RMState = Enum("RMState", "working", "prepared", "committed", "aborted")
TMState = Enum("TMState", "init", "committed", "aborted")


class TwoPhase(Model):
    name = "classic.two_phase"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"tc_consistent": "holds"}}
    reasons = {"": "TLC 2.15 on TwoPhase with 3 RMs: TCConsistent holds in all 288 states."}

    RM = Sort("RM", default=3, symmetric=True, prefix="r")

    rm_state = Map(RM, RMState, init=RMState.working)
    tm_state = Var(TMState, init=TMState.init)
    tm_prepared = SetOf(RM, init=False)
    prepared_msg = SetOf(RM, init=False)  # [type |-> "Prepared", rm |-> rm] \in msgs
    commit_msg = Var(Bool, init=False)  # [type |-> "Commit"] \in msgs
    abort_msg = Var(Bool, init=False)  # [type |-> "Abort"] \in msgs

    @action
    def tm_rcv_prepared(self, s, rm: RM):
        """TMRcvPrepared(rm): the TM receives a Prepared message from rm."""
        require((s.tm_state == TMState.init) & s.prepared_msg.contains(rm))
        s.tm_prepared.add(rm)

    @action
    def tm_commit(self, s):
        """TMCommit: every RM has prepared, so the TM commits and tells them."""
        require((s.tm_state == TMState.init) & forall(self.RM, lambda r: s.tm_prepared.contains(r)))
        s.tm_state = TMState.committed
        s.commit_msg = True

    @action
    def tm_abort(self, s):
        """TMAbort: the TM spontaneously aborts and tells the RMs."""
        require(s.tm_state == TMState.init)
        s.tm_state = TMState.aborted
        s.abort_msg = True

    @action
    def rm_prepare(self, s, rm: RM):
        """RMPrepare(rm): a working RM prepares and sends Prepared to the TM."""
        require(s.rm_state[rm] == RMState.working)
        s.rm_state[rm] = RMState.prepared
        s.prepared_msg.add(rm)

    @action
    def rm_choose_to_abort(self, s, rm: RM):
        """RMChooseToAbort(rm): a working RM spontaneously aborts."""
        require(s.rm_state[rm] == RMState.working)
        s.rm_state[rm] = RMState.aborted

    @action
    def rm_rcv_commit_msg(self, s, rm: RM):
        """RMRcvCommitMsg(rm): rm receives the TM's Commit message."""
        require(s.commit_msg)
        s.rm_state[rm] = RMState.committed

    @action
    def rm_rcv_abort_msg(self, s, rm: RM):
        """RMRcvAbortMsg(rm): rm receives the TM's Abort message."""
        require(s.abort_msg)
        s.rm_state[rm] = RMState.aborted

    @invariant
    def tc_consistent(self, s):
        """TCConsistent: no RM has aborted while another has committed."""
        return ~(exists(self.RM, lambda r: s.rm_state[r] == RMState.aborted)
                 & exists(self.RM, lambda r: s.rm_state[r] == RMState.committed))
