"""RDS multi-AZ failover: a primary database replicates synchronously to a standby in another
Availability Zone, and a monitoring agent fails over when the primary's I/O is stuck.

Post-mortem: "RDS multi-AZ deployments provide redundancy by synchronously replicating data
between two database replicas in different Availability Zones. In the event of a failure on
the primary replica, RDS is designed to automatically detect the disruption and fail over to
the secondary replica. [...] 2.5% did not automatically failover after experiencing 'stuck'
I/O. [...] the rapid succession of network interruption (which partitioned the primary from
the secondary) and 'stuck' I/O on the primary replica triggered a previously un-encountered
bug. This bug left the primary replica in an isolated state where it was not safe for our
monitoring agent to automatically fail over to the secondary replica without risking data
loss, and manual intervention was required."

Three zones: the two database replicas, and the monitoring agent (with, in the `fixed`
variant, a witness that keeps the log position of commits the primary made alone).

Variants:
- `naive_failover`: the primary keeps committing alone when the standby is unreachable, and
  the monitor fails over whenever the primary is stuck: an acknowledged commit can be lost.
- `as_2011`: the monitor refuses to fail over once replication was broken (it cannot know
  whether the standby has every commit), so the database stays unavailable until a human
  intervenes.
- `fixed`: a commit made without the standby must also reach the witness, and the monitor
  knows the replication state: it fails over to a standby that is in sync, or first catches
  the standby up from the witness.
"""

from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Max,
    Model,
    Range,
    Sort,
    Var,
    action,
    count,
    exists,
    forall,
    implies,
    invariant,
    leads_to,
    liveness,
    require,
)
from replicheck.lang.faults import FaultsStop, Partitions, StuckIO
from replicheck.properties import at_most_one, serving_copy_is_complete

Role = Enum("Role", "standby", "primary", "demoted")
Mode = Enum("Mode", "sync", "alone")
Replica = Sort("Replica", default=2, symmetric=True, prefix="db")


class MultiAZ(Partitions(Replica), StuckIO(Replica), FaultsStop, Model):  # type: ignore[misc]
    name = "rds.multi_az"

    Replica = Replica

    max_commits: int = 2
    fault_budget: int = 2
    alone_commits: bool = True  # the primary commits by itself when the standby is cut off
    failover_needs_sync: bool = False  # the monitor refuses failover once replication broke
    witness: bool = False  # commits made alone must reach the witness zone too

    variants = {
        "naive_failover": {},
        "as_2011": {"failover_needs_sync": True},
        "fixed": {"failover_needs_sync": True, "witness": True},
    }
    expected = {
        "naive_failover": {"no_committed_loss": "violated", "single_writer": "holds", "eventually_available": "holds"},
        "as_2011": {"no_committed_loss": "holds", "single_writer": "holds", "eventually_available": "violated"},
        "fixed": {"no_committed_loss": "holds", "single_writer": "holds", "eventually_available": "holds"},
    }
    check_deadlock = False  # once the fault budget and commits are spent, runs may end

    role = Map(Replica, Role, doc="each replica's role")
    log = Map(Replica, Range(0, "max_commits"), init=0, doc="commits durably written by each replica")
    acked = Range(0, "max_commits", init=0, doc="commits acknowledged to the client")
    mode = Var(Mode, init=Mode.sync, doc="does the primary replicate, or run alone?")
    in_sync = Var(Bool, init=True, doc="what the monitor knows: the standby has every commit")
    witness_log = Range(0, "max_commits", init=0, doc="commits recorded by the witness")
    affected_zone = Var(Replica, doc="the replica in the zone whose EBS gets stuck (the first primary's)")

    def init(self, s, first: Replica):
        s.affected_zone = first
        for r in self.Replica:
            s.role[r] = Role.primary if r == first else Role.standby

    def may_stick(self, s, n):
        """Storage gets stuck in the affected zone only: the one that held the primary."""
        return s.affected_zone == n

    def others(self, p):
        return [q for q in self.Replica if q != p]

    @action(fair="weak")
    def commit(self, s, p: Replica):
        """A client commit on the primary: synchronous while the standby is reachable."""
        require((s.role[p] == Role.primary) & ~s.stuck[p] & (s.log[p] < self.max_commits))
        reachable = [self.connected(s, p, q) & (s.role[q] == Role.standby) & ~s.stuck[q] for q in self.others(p)]
        with_standby = reachable[0]
        if not self.alone_commits:
            require(with_standby)
        next_pos = s.log[p] + 1
        for q, ok in zip(self.others(p), reachable):
            s.log[q] = If(ok, next_pos, s.log[q])
        if self.witness:
            s.witness_log = If(with_standby, s.witness_log, next_pos)
        s.mode = If(with_standby, Mode.sync, Mode.alone)
        s.in_sync = s.in_sync & with_standby
        s.log[p] = next_pos
        s.acked = next_pos

    @action(fair="weak")
    def catch_up(self, s, p: Replica, q: Replica):
        """After the link heals, the standby copies what the primary committed alone."""
        require((p != q) & (s.role[p] == Role.primary) & (s.role[q] == Role.standby))
        require(self.connected(s, p, q) & ~s.stuck[p] & ~s.stuck[q] & (s.log[q] < s.log[p]))
        s.log[q] = s.log[p]
        s.mode = Mode.sync
        s.in_sync = True

    @action(fair="weak")
    def failover(self, s, p: Replica, q: Replica):
        """The monitoring agent promotes the standby q and fences the stuck primary p."""
        require((p != q) & (s.role[p] == Role.primary) & s.stuck[p])
        require((s.role[q] == Role.standby) & ~s.stuck[q])
        if self.failover_needs_sync and not self.witness:
            require(s.in_sync)
        if self.witness:
            s.log[q] = Max(s.log[q], s.witness_log)
        s.role[p] = Role.demoted
        s.role[q] = Role.primary
        s.mode = Mode.alone
        s.in_sync = False

    @action
    def manual_intervention(self, s, p: Replica):
        """An operator repairs the stuck primary by hand. Not fair: nothing guarantees it
        happens, which is what "manual intervention was required" means."""
        require((s.role[p] == Role.primary) & s.stuck[p])
        s.stuck[p] = False

    def available(self, s):
        return exists(self.Replica, lambda r: (s.role[r] == Role.primary) & ~s.stuck[r])

    @liveness
    def eventually_available(self, s):
        """Once the primary's I/O is stuck and no further faults happen, some primary
        eventually accepts commits again (repairs and failover are fair)."""
        stuck_primary = exists(self.Replica, lambda r: (s.role[r] == Role.primary) & s.stuck[r])
        return leads_to(stuck_primary & s.faults_over, self.available(s))

    @invariant
    def no_committed_loss(self, s):
        """Every primary holds every commit acknowledged to the client."""
        return serving_copy_is_complete(
            self.Replica, serving=lambda r: s.role[r] == Role.primary, holds=lambda r: s.log[r], acknowledged=s.acked
        )

    @invariant
    def single_writer(self, s):
        """At most one replica accepts commits (is primary and not stuck)."""
        return at_most_one(self.Replica, lambda r: (s.role[r] == Role.primary) & ~s.stuck[r])

    @invariant(strengthening=True)
    def exactly_one_primary(self, s):
        """Failover demotes the old primary as it promotes the standby."""
        return count(self.Replica, lambda r: s.role[r] == Role.primary) == 1

    @invariant(strengthening=True)
    def nothing_beyond_the_acked_commits(self, s):
        """No replica, and not the witness, holds a commit the client was not told about."""
        return (s.witness_log <= s.acked) & forall(self.Replica, lambda r: s.log[r] <= s.acked)

    @invariant(strengthening=True)
    def in_sync_standby_has_every_commit(self, s):
        """(as_2011) What the monitor relies on is true: when it thinks the standby is in
        sync, it is. (Not claimed where failover does not consult `in_sync`: with a witness
        and three replicas, catching up one standby sets it while another lags.)"""
        if self.witness or not self.failover_needs_sync:
            return True
        return forall(
            self.Replica, lambda r: implies(s.in_sync & (s.role[r] == Role.standby), s.log[r] >= s.acked)
        )

    @invariant(strengthening=True)
    def standby_or_witness_has_every_commit(self, s):
        """(witness only) Every commit is on the standby, or on the witness."""
        if not self.witness:
            return True
        return forall(
            self.Replica,
            lambda r: implies(s.role[r] == Role.standby, (s.log[r] >= s.acked) | (s.witness_log >= s.acked)),
        )
