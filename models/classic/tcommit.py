"""Transaction commit (TLA+ example `TCommit`, from Lamport's "Specifying Systems").

Each resource manager goes from working to prepared, then all commit or all abort; the
invariant `consistent` says no manager has committed while another aborted.
TLC with 3 resource managers: 34 distinct states, depth 7 (the initial state is depth 1).
"""

from replicheck.lang import Enum, Map, Model, Sort, action, exists, forall, invariant, require

RMState = Enum("RMState", "working", "prepared", "committed", "aborted")


class TCommit(Model):
    name = "classic.tcommit"
    # pinned to TLC, as tests/models/test_tla_examples.py and docs/models/classic.tla_examples.md say
    expected = {"": {"consistent": "holds"}}
    reasons = {"": "TLC 2.15 on TCommit with 3 RMs: TCConsistent holds in all 34 states."}

    RM = Sort("RM", default=3, symmetric=True, prefix="r")
    check_deadlock = False  # every run ends with all managers committed or aborted

    rm_state = Map(RM, RMState, init=RMState.working)

    def can_commit(self, s):
        return forall(self.RM, lambda r: (s.rm_state[r] == RMState.prepared) | (s.rm_state[r] == RMState.committed))

    def not_committed(self, s):
        return forall(self.RM, lambda r: s.rm_state[r] != RMState.committed)

    @action
    def prepare(self, s, r: RM):
        require(s.rm_state[r] == RMState.working)
        s.rm_state[r] = RMState.prepared

    @action
    def decide_commit(self, s, r: RM):
        require((s.rm_state[r] == RMState.prepared) & self.can_commit(s))
        s.rm_state[r] = RMState.committed

    @action
    def decide_abort(self, s, r: RM):
        require(((s.rm_state[r] == RMState.working) | (s.rm_state[r] == RMState.prepared)) & self.not_committed(s))
        s.rm_state[r] = RMState.aborted

    @invariant
    def consistent(self, s):
        """No resource manager has aborted while another has committed."""
        return ~(exists(self.RM, lambda r: s.rm_state[r] == RMState.aborted)
                 & exists(self.RM, lambda r: s.rm_state[r] == RMState.committed))
