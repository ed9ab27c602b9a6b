"""RDS multi-AZ failover: a primary database replicates synchronously to a standby in another
Availability Zone, and a monitoring agent fails over when the primary's I/O is stuck.

Post-mortem (Impact on Amazon Relational Database Service): "RDS multi-AZ deployments provide
redundancy by synchronously replicating data between two database replicas in different
Availability Zones. In the event of a failure on the primary replica, RDS is designed to
automatically detect the disruption and fail over to the secondary replica. [...] 2.5% did
not automatically failover after experiencing 'stuck' I/O. The primary cause was that the
rapid succession of network interruption (which partitioned the primary from the secondary)
and 'stuck' I/O on the primary replica triggered a previously un-encountered bug. This bug
left the primary replica in an isolated state where it was not safe for our monitoring agent
to automatically fail over to the secondary replica without risking data loss, and manual
intervention was required."

Three zones: the two database replicas ("two database replicas in different Availability
Zones": the sort `Replica` is exactly 2, any other size is refused), and the monitoring agent's
zone, which in the witness variants also holds a witness: a log of the commits the primary
made without the standby.

What the monitor knows of the replication mode is state, not an oracle: `view` is the mode
the monitor was last told by the primary ("sync" or "alone"). How it is told is what the first
five variants differ in.

Variants (the assumption each encodes):
- `naive_failover`: the monitor fails over whenever the primary is stuck, without asking
  whether the standby has every commit; the primary keeps committing alone when the standby
  is cut off.
- `stale_view`: the monitor fails over only when its view says "sync", but the primary tells
  it about running alone asynchronously, after committing (`report`); in the post-mortem's
  "rapid succession" the report never leaves the stuck primary, and the view is stale.
- `as_2011`: the primary records "alone" with the monitor before it acknowledges its first
  commit without the standby, so the view is never stale in the unsafe direction; the monitor
  refuses to fail over while its view says "alone": "not safe [...] to automatically fail over
  [...] without risking data loss, and manual intervention was required".
- `witness_unchecked`: a commit made without the standby is also written to the witness when
  the witness is reachable, and committed anyway when it is not (the witness can be cut off:
  `witness_faults`); failover first catches the standby up from the witness.
- `fixed`: as `witness_unchecked`, with the rule "no commit without the standby or the
  witness".

How the monitor detects the failure (`detection`) is the second axis. In the variants above it
is an oracle (`detection="oracle"`): the monitor fails over exactly a primary whose I/O is
stuck, and fences it, so there is never a second writer and `single_writer` holds trivially.
What a monitor can observe is missed health checks (`detection="health_checks"`, witness
variants only): the health checks travel the link the witness variants already model, the
primary's link to the monitor's (and witness's) zone, so the monitor cannot tell a stuck
primary from one that is cut off from its zone (or too slow for its timeout: the same missed
checks), alive and still accepting commits from clients in its own zone. A cut-off primary
cannot be fenced either (the fence would travel the same link): it is `deposed`, promoted
over without being told.
- `false_detection`: `witness_unchecked` with health-check detection: the monitor fails over a
  primary it merely cannot hear, and two replicas accept commits.
- `false_detection_fixed`: `fixed` with health-check detection: the rule "no commit without
  the standby or the witness" is a lease without a clock: a primary the monitor cannot hear
  cannot reach the witness either, and the failover takes its standby away, so a deposed
  primary commits nothing.
"""

from typing import Any

from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Max,
    Model,
    ModelError,
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

# deposed: failed over without being fenced (the monitor could not reach it); it still acts
# as the primary ("health_checks" detection only)
Role = Enum("Role", "standby", "primary", "demoted", "deposed")
Mode = Enum("Mode", "sync", "alone")
Replica = Sort("Replica", default=2, symmetric=True, prefix="db")

FAILOVER_CHECKS = ("none", "view", "witness")
DETECTIONS = ("oracle", "health_checks")


class MultiAZ(Partitions(Replica), StuckIO(Replica), FaultsStop, Model):  # type: ignore[misc]
    name = "rds.multi_az"

    Replica = Replica

    max_commits: int = 2
    # three faults: the witness variants need the witness cut off, the partition and the stuck
    # I/O in one behaviour (the other variants' failures need two of them)
    fault_budget: int = 3
    alone_commits: bool = True  # the primary commits by itself when the standby is cut off
    # what the monitor checks before it fails over: "none" (nothing), "view" (its view says
    # the standby is in sync), "witness" (it catches the standby up from the witness first)
    failover_check: str = "none"
    report_before_alone: bool = False  # ("view") the monitor is told "alone" before the first lone commit is acked
    commit_needs_quorum: bool = False  # ("witness") no commit without the standby or the witness
    witness_faults: bool = True  # ("witness") the primary's link to the witness's zone can be cut
    # how the monitor detects a failed primary: "oracle" (it fails over exactly a primary whose
    # I/O is stuck, and fences it), "health_checks" (("witness") it fails over a primary whose
    # health checks stop arriving: stuck, or cut off from the monitor's zone, where it cannot
    # fence it)
    detection: str = "oracle"

    variants = {
        "naive_failover": {},
        "stale_view": {"failover_check": "view"},
        "as_2011": {"failover_check": "view", "report_before_alone": True},
        "witness_unchecked": {"failover_check": "witness"},
        "fixed": {"failover_check": "witness", "commit_needs_quorum": True},
        "false_detection": {"failover_check": "witness", "detection": "health_checks"},
        "false_detection_fixed": {"failover_check": "witness", "commit_needs_quorum": True, "detection": "health_checks"},
    }
    expected = {
        "naive_failover": {"no_committed_loss": "violated", "single_writer": "holds", "eventually_available": "holds"},
        "stale_view": {"no_committed_loss": "violated", "single_writer": "holds", "eventually_available": "violated"},
        "as_2011": {"no_committed_loss": "holds", "single_writer": "holds", "eventually_available": "violated"},
        "witness_unchecked": {"no_committed_loss": "violated", "single_writer": "holds", "eventually_available": "holds"},
        "fixed": {"no_committed_loss": "holds", "single_writer": "holds", "eventually_available": "holds"},
        "false_detection": {"no_committed_loss": "violated", "single_writer": "violated", "eventually_available": "holds"},
        "false_detection_fixed": {"no_committed_loss": "holds", "single_writer": "holds", "eventually_available": "holds"},
    }
    reasons = {
        "naive_failover": "Partition, a commit on the lone primary, stuck I/O, failover: the new primary never "
        "received the acknowledged commit (4 steps); failover is always possible, so availability holds.",
        "stale_view": "The monitor trusts a view the stuck primary never updated: the same 4-step loss; and a primary "
        "that did report 'alone' before sticking is never failed over, so availability fails too.",
        "as_2011": "The monitor is told 'alone' before a lone commit is acknowledged and then refuses to fail over, so "
        "no commit is lost, but after partition, lone commit and stuck I/O only a human can help (the 2.5%).",
        "witness_unchecked": "With the witness cut off first, the primary commits alone without it and the failover "
        "catches the standby up from a witness that lacks the commit (5 steps).",
        "fixed": "Every acknowledged commit is on the standby or the witness, and failover copies the witness to the "
        "standby before promoting it; failover is always possible, so availability holds.",
        "false_detection": "The primary's link to the monitor's zone is cut, so its health checks stop, and the monitor "
        "fails over to the standby without fencing the live primary: two writers (2 steps); the deposed primary's next "
        "commit is one the new primary never gets (3 steps).",
        "false_detection_fixed": "A primary the monitor cannot hear cannot reach the witness either, and once its standby "
        "is promoted it has neither, so under 'no commit without the standby or the witness' the deposed primary "
        "commits nothing: one writer, no loss; failover stays possible, so availability holds.",
    }
    check_deadlock = False  # once the fault budget and commits are spent, runs may end

    role = Map(Replica, Role, doc="each replica's role")
    log = Map(Replica, Range(0, "max_commits"), init=0, doc="commits durably written by each replica")
    acked = Range(0, "max_commits", init=0, doc="commits acknowledged to the client")
    mode = Var(Mode, init=Mode.sync, doc="does the primary replicate, or run alone?")
    view = Var(Mode, init=Mode.sync, doc="what the monitor was last told of the mode (its view may be stale)")
    witness_log = Range(0, "max_commits", init=0, doc="commits recorded by the witness")
    witness_link = Var(Bool, init=True, doc="can the primary reach the witness's zone (the monitor's)?")
    affected_zone = Var(Replica, doc="the replica in the zone whose EBS gets stuck (the first primary's)")

    def __init__(self, variant: str | None = None, **settings: Any) -> None:
        super().__init__(variant, **settings)
        self._refuse_meaningless_settings()

    def _refuse_meaningless_settings(self) -> None:
        """Settings this model cannot give a meaning to are refused when it is made (exit 2 at
        `--set` time), never run."""
        size = self.settings()["Replica"]
        if size != 2:
            raise ModelError(
                f"rds.multi_az: Replica={size} is not modelled: a multi-AZ deployment has exactly two database "
                "replicas (a primary and its standby; the witness lives in the monitor's zone)",
                "Write Replica=2 (the default).",
            )
        if self.failover_check not in FAILOVER_CHECKS:
            raise ModelError(
                f"rds.multi_az: failover_check={self.failover_check!r} is not one of " + ", ".join(FAILOVER_CHECKS),
                "Write failover_check=none, view or witness.",
            )
        if self.report_before_alone and self.failover_check != "view":
            raise ModelError(
                "rds.multi_az: report_before_alone means something only with failover_check=view (the monitor's view)",
                "Write failover_check=view, or leave report_before_alone false.",
            )
        if self.failover_check != "witness":
            for key in ("commit_needs_quorum",):
                if getattr(self, key):
                    raise ModelError(
                        f"rds.multi_az: {key} means something only with failover_check=witness (there is no witness)",
                        f"Write failover_check=witness, or leave {key} false.",
                    )
        if self.detection not in DETECTIONS:
            raise ModelError(
                f"rds.multi_az: detection={self.detection!r} is not one of " + ", ".join(DETECTIONS),
                "Write detection=oracle or health_checks.",
            )
        if self.detection == "health_checks" and not self.has_witness:
            raise ModelError(
                "rds.multi_az: detection=health_checks means something only with failover_check=witness (the primary's "
                "link to the monitor's zone is modelled there)",
                "Write failover_check=witness, or leave detection=oracle.",
            )
        if self.max_commits < 1:
            raise ModelError(
                f"rds.multi_az: max_commits={self.max_commits}: no commit could be lost or kept",
                "Write max_commits=1 or more (2 is the default).",
            )

    @property
    def has_witness(self) -> bool:
        return self.failover_check == "witness"

    def init(self, s, first: Replica):
        s.affected_zone = first
        for r in self.Replica:
            s.role[r] = Role.primary if r == first else Role.standby

    def may_stick(self, s, n):
        """Storage gets stuck in the affected zone only: "a portion of the RDS databases
        hosted in the primary affected Availability Zone became inaccessible"."""
        return s.affected_zone == n

    def others(self, p):
        return [q for q in self.Replica if q != p]

    def acts_as_primary(self, s, p):
        """Does p take client commits as the primary? A deposed replica still does: nobody could
        tell it that it was failed over."""
        if self.detection == "health_checks":
            return (s.role[p] == Role.primary) | (s.role[p] == Role.deposed)
        return s.role[p] == Role.primary

    def with_standby(self, s, p):
        """Can p replicate a commit synchronously (its standby reachable, and a standby)?"""
        (q,) = self.others(p)
        return self.connected(s, p, q) & (s.role[q] == Role.standby) & ~s.stuck[q]

    def witness_takes(self, s, p):
        """("witness") Does the witness record p's commits? It must be reachable, and it takes
        none from a deposed primary (it lives with the monitor, which promoted another)."""
        return s.witness_link & (s.role[p] == Role.primary)

    def accepts_commits(self, s, p):
        """Would p accept a client commit (bar the `max_commits` bound)? `commit`'s guard."""
        ok = self.acts_as_primary(s, p) & ~s.stuck[p]
        if not self.alone_commits:
            ok = ok & self.with_standby(s, p)
        if self.has_witness and self.commit_needs_quorum:
            ok = ok & (self.with_standby(s, p) | self.witness_takes(s, p))
        return ok

    # -- the database --------------------------------------------------------------------

    @action(fair="weak")
    def commit(self, s, p: Replica):
        """A client commit on the primary: "synchronously replicating data" while the standby
        is reachable; without it, the primary commits alone (how alone is each variant's). A
        deposed primary has no standby (it was promoted) and the witness refuses it, so it
        commits alone or, with `commit_needs_quorum`, not at all."""
        require(self.accepts_commits(s, p) & (s.log[p] < self.max_commits))
        (q,) = self.others(p)
        with_standby = self.with_standby(s, p)
        next_pos = s.log[p] + 1
        s.log[q] = If(with_standby, next_pos, s.log[q])
        if self.has_witness:
            s.witness_log = If(~with_standby & self.witness_takes(s, p), next_pos, s.witness_log)
        if self.report_before_alone:
            s.view = If(with_standby, s.view, Mode.alone)  # told before the client is
        s.mode = If(with_standby, Mode.sync, Mode.alone)
        s.log[p] = next_pos
        s.acked = next_pos

    @action(fair="weak")
    def report(self, s, p: Replica):
        """("view") The primary tells the monitor its replication mode; a stuck primary cannot
        (its I/O is stuck), which is how the view goes stale."""
        require(self.failover_check == "view")
        require((s.role[p] == Role.primary) & ~s.stuck[p] & (s.view != s.mode))
        s.view = s.mode

    @action(fair="weak")
    def catch_up(self, s, p: Replica, q: Replica):
        """After the link heals, the standby copies what the primary committed alone."""
        require((p != q) & (s.role[p] == Role.primary) & (s.role[q] == Role.standby))
        require(self.connected(s, p, q) & ~s.stuck[p] & ~s.stuck[q] & (s.log[q] < s.log[p]))
        s.log[q] = s.log[p]
        s.mode = Mode.sync

    # -- the witness's zone ----------------------------------------------------------------

    @action
    def cut_witness(self, s):
        """("witness", `witness_faults`) The primary loses its link to the witness's zone, which
        is the monitor's (a fault: the network interruption may cut any link). With
        "health_checks" detection its health checks stop arriving too."""
        require(self.has_witness & self.witness_faults)
        require(s.witness_link)
        self.spend_fault(s)
        s.witness_link = False

    @action(fair="weak")
    def heal_witness(self, s):
        require(~s.witness_link)
        s.witness_link = True

    # -- the monitoring agent --------------------------------------------------------------

    @action(fair="weak")
    def failover(self, s, p: Replica, q: Replica):
        """The monitoring agent "automatically detect[s] the disruption and fail[s] over to the
        secondary replica": it promotes the standby q and fences the old primary p. The
        oracle detects exactly stuck I/O; health checks stop arriving from a stuck primary and
        from one cut off from the monitor's zone alike, and a cut-off primary cannot be fenced:
        it is deposed, and goes on acting as the primary."""
        require((p != q) & (s.role[p] == Role.primary))
        if self.detection == "health_checks":
            require(s.stuck[p] | ~s.witness_link)  # no health check arrives
        else:
            require(s.stuck[p])
        require((s.role[q] == Role.standby) & ~s.stuck[q])
        if self.failover_check == "view":
            require(s.view == Mode.sync)
        if self.has_witness:
            s.log[q] = Max(s.log[q], s.witness_log)
        if self.detection == "health_checks":
            s.role[p] = If(s.witness_link, Role.demoted, Role.deposed)  # a fence needs the link
        else:
            s.role[p] = Role.demoted
        s.role[q] = Role.primary
        s.mode = Mode.alone  # its standby is fenced: the new primary runs alone
        s.view = Mode.alone

    @action
    def manual_intervention(self, s, p: Replica):
        """An operator repairs the stuck primary by hand. Not fair: nothing guarantees it
        happens, which is what "manual intervention was required" means."""
        require((s.role[p] == Role.primary) & s.stuck[p])
        s.stuck[p] = False

    # -- properties ------------------------------------------------------------------------

    def available(self, s):
        """Some primary accepts client commits (`commit`'s guard: not stuck, and the variant's
        commit rule met; bar the `max_commits` bound), not merely "a primary that is not stuck"."""
        return exists(self.Replica, lambda r: (s.role[r] == Role.primary) & self.accepts_commits(s, r))

    @liveness
    def eventually_available(self, s):
        """Once the primary's I/O is stuck and no further faults happen, some primary
        eventually accepts commits again (repairs and failover are fair)."""
        stuck_primary = exists(self.Replica, lambda r: (s.role[r] == Role.primary) & s.stuck[r])
        return leads_to(stuck_primary & s.faults_over, self.available(s))

    @invariant
    def no_committed_loss(self, s):
        """Every primary holds every commit acknowledged to the client. (A deposed replica is
        not the primary: what it acknowledges alone is lost when the primary lacks it.)"""
        return serving_copy_is_complete(
            self.Replica, serving=lambda r: s.role[r] == Role.primary, holds=lambda r: s.log[r], acknowledged=s.acked
        )

    @invariant
    def single_writer(self, s):
        """At most one replica accepts commits (`commit`'s guard bar the bound: it acts as the
        primary, is not stuck, and the variant's commit rule lets it commit)."""
        return at_most_one(self.Replica, lambda r: self.accepts_commits(s, r))

    @invariant(strengthening=True)
    def exactly_one_primary(self, s):
        """Failover demotes (or deposes) the old primary as it promotes the standby."""
        return count(self.Replica, lambda r: s.role[r] == Role.primary) == 1

    @invariant(strengthening=True)
    def nothing_beyond_the_acked_commits(self, s):
        """No replica, and not the witness, holds a commit the client was not told about."""
        return (s.witness_log <= s.acked) & forall(self.Replica, lambda r: s.log[r] <= s.acked)

    @invariant(strengthening=True)
    def sync_mode_is_true(self, s):
        """While the primary replicates ("sync"), the standby has every commit."""
        return forall(self.Replica, lambda r: implies((s.mode == Mode.sync) & (s.role[r] == Role.standby), s.log[r] >= s.acked))

    @invariant(strengthening=True)
    def a_sync_view_is_true(self, s):
        """(as_2011) What the monitor relies on is true: when its view says "sync", the
        standby has every commit. (Not claimed in `stale_view`, where it is the bug.)"""
        if not self.report_before_alone:
            return True
        return forall(self.Replica, lambda r: implies((s.view == Mode.sync) & (s.role[r] == Role.standby), s.log[r] >= s.acked))

    @invariant(strengthening=True)
    def standby_or_witness_has_every_commit(self, s):
        """(fixed) Every commit is on the standby, or on the witness."""
        if not (self.has_witness and self.commit_needs_quorum):
            return True
        return forall(
            self.Replica,
            lambda r: implies(s.role[r] == Role.standby, (s.log[r] >= s.acked) | (s.witness_log >= s.acked)),
        )
