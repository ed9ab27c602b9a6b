"""Small models used only by the symbolic-engine tests."""

from __future__ import annotations

from replicheck.lang import If, Model, Range, action, forall, implies, invariant
from replicheck.models.classic.two_phase import RMState, TMState, TwoPhase


class TwoStepInductive(Model):
    """x cycles 0 -> 1 -> 0; from 2 (unreachable) it jumps to 3. `not_three` is not
    1-inductive (x = 2 satisfies it and steps to 3) but is 2-inductive: no state steps to 2,
    so no two consecutive states can end in x = 2."""

    name = "fixture.two_step"

    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = If(s.x == 0, 1, If(s.x == 1, 0, 3))

    @invariant
    def not_three(self, s):
        return s.x != 3


class TwoPhaseStrengthened(TwoPhase):
    """TwoPhase with the helper invariants that make `tc_consistent` inductive (in the style
    of the Ivy/mypyvy proofs of two-phase commit)."""

    name = "fixture.two_phase_strengthened"

    @invariant
    def msgs_match_tm(self, s):
        """A Commit (Abort) message exists exactly when the TM has committed (aborted)."""
        return ((s.commit_msg == (s.tm_state == TMState.committed))
                & (s.abort_msg == (s.tm_state == TMState.aborted)))

    @invariant
    def tm_prepared_was_sent(self, s):
        return forall(self.RM, lambda r: implies(s.tm_prepared.contains(r), s.prepared_msg.contains(r)))

    @invariant
    def sent_means_not_working(self, s):
        return forall(self.RM, lambda r: implies(s.prepared_msg.contains(r), s.rm_state[r] != RMState.working))

    @invariant
    def commit_means_all_prepared(self, s):
        return implies(s.commit_msg, forall(self.RM, lambda r: s.tm_prepared.contains(r)))

    @invariant
    def committed_means_commit_msg(self, s):
        return forall(self.RM, lambda r: implies(s.rm_state[r] == RMState.committed, s.commit_msg))

    @invariant
    def aborted_after_prepare_means_abort_msg(self, s):
        return forall(self.RM, lambda r: implies(
            (s.rm_state[r] == RMState.aborted) & s.prepared_msg.contains(r), s.abort_msg))



class Overflow(Model):
    """A counter that leaves its declared range after 3 increments (a domain violation)."""

    name = "fixture.overflow"

    x = Range(0, 2, init=0)

    @action
    def inc(self, s):
        s.x = s.x + 1

    @invariant
    def small(self, s):
        return s.x <= 5


class DivByZero(Model):
    """`div` divides by 2 - x: a run-time error once x = 2 (reachable after 2 steps)."""

    name = "fixture.div_by_zero"

    x = Range(0, 3, init=0)
    y = Range(-10, 10, init=0)

    @action
    def inc(self, s):
        s.x = If(s.x < 3, s.x + 1, s.x)

    @action
    def div(self, s):
        s.y = 6 // (2 - s.x)


class BadInit(Model):
    """An invariant that is false in the initial state."""

    name = "fixture.bad_init"

    x = Range(0, 3, init=0)

    @action
    def inc(self, s):
        s.x = If(s.x < 3, s.x + 1, 0)

    @invariant
    def positive(self, s):
        return s.x > 0
