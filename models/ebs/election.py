"""EBS primary election: one writable replica per volume, with the control plane as authority.

Post-mortem: "EBS volume data is replicated to multiple EBS nodes for durability and
availability." "When a node loses connectivity to a node to which it is replicating data to,
it assumes the other node failed. To preserve durability, it must find a new node to which it
can replicate its data (this is called re-mirroring)." "These control plane services also act
as the authority to the EBS clusters when they elect primary replicas for each volume in the
cluster (for consistency, there must only be a single primary replica for each volume at any
time)." "When data for a volume needs to be re-mirrored, a negotiation must take place between
the EC2 instance, the EBS nodes with the volume data, and the EBS control plane (which acts as
an authority in this process) so that only one copy of the data is designated as the primary
replica and recognized by the EC2 instance as the place where all accesses should be sent."

Each volume has a primary and a secondary (its mirror). A write is acknowledged to the
instance only after the mirror has it. A primary that loses its mirror blocks I/O until it
has negotiated with the control plane, which either lets it keep the volume under a new epoch,
or promotes the mirror registered with it (which holds every acknowledged write); a node the
control plane has replaced steps down. Fencing: a node becoming a mirror checks with the
control plane that its primary's epoch is current, and secondaries accept replication only
from their own primary at an epoch at least their own. The instance sends I/O to the primary
the control plane names.

Variants:
- `authority` (the design): epochs, fencing, promotion of in-sync replicas only.
- `self_promote`: a secondary that loses its primary promotes itself and tells the instance,
  and re-mirrors, without asking the control plane.
- `stale_promotion`: the control plane promotes any replica, not only its registered mirror,
  so the new primary may lack the last acknowledged write.
- `no_fencing`: nodes accept mirroring and replication from any primary at any epoch.
- `cp_unreachable`: links to the control plane, once cut, never come back.
"""

from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Model,
    Range,
    Sort,
    action,
    action_property,
    exists,
    forall,
    implies,
    invariant,
    liveness,
    reachable,
    require,
)
from replicheck.lang.faults import AuthorityLinks, Crashes, Partitions
from replicheck.properties import (
    distinct_when,
    eventually_everywhere,
    never_decreases,
    serving_copy_is_complete,
)

Role = Enum("Role", "empty", "secondary", "primary", "blocked")

Node = Sort("Node", default=3, symmetric=True, prefix="n")
Volume = Sort("Volume", default=1, symmetric=True, prefix="v")


class Election(Partitions(Node), AuthorityLinks(Node), Crashes(Node), Model):  # type: ignore[misc]
    name = "ebs.election"

    Node = Node
    Volume = Volume

    fault_budget: int = 2
    max_epoch: int = 4
    max_writes: int = 2
    fencing: bool = True  # secondaries accept only their primary, at an epoch >= their own
    self_promote: bool = False  # a secondary that loses its primary promotes itself
    promote_in_sync_only: bool = True  # the control plane promotes only up-to-date replicas

    variants = {
        "authority": {},
        "self_promote": {"self_promote": True},
        "stale_promotion": {"promote_in_sync_only": False},
        "no_fencing": {"fencing": False},
        "cp_unreachable": {"authority_heals": False},
    }
    expected = {
        "authority": {"single_primary": "holds", "no_acked_write_lost": "holds", "eventually_writable": "holds"},
        "self_promote": {"single_primary": "violated", "no_acked_write_lost": "violated"},
        "stale_promotion": {"single_primary": "holds", "no_acked_write_lost": "violated"},
        "no_fencing": {"single_primary": "violated", "no_acked_write_lost": "violated"},
        "cp_unreachable": {"single_primary": "holds", "no_acked_write_lost": "holds", "eventually_writable": "violated"},
    }
    reasons = {
        "authority": "Only the control plane names a primary, with a new epoch, and only an up-to-date replica; "
                     "fenced old primaries refuse writes, so one primary at a time and no acknowledged write lost.",
        "self_promote": "A mirror cut off from its primary promotes itself without the control plane, so two "
                        "primaries take writes at once and one side's acknowledged writes are lost.",
        "stale_promotion": "The control plane may promote a replica that missed the last write: there is still one "
                           "primary, but an acknowledged write is gone.",
        "no_fencing": "Replicas do not compare epochs, so a superseded primary keeps serving and acknowledging "
                      "writes next to the new one.",
        "cp_unreachable": "Safe, but with the control plane cut off for good, a primary that loses its mirror blocks "
                          "waiting for it and a promoted mirror can register no new one, so the volume is never "
                          "writable again: the post-mortem's volumes blocked waiting for the control plane.",
    }
    check_deadlock = False  # writes are bounded, so quiet end states are expected

    role = Map(Volume, Node, Role, init=Role.empty, doc="each node's role for each volume")
    ver = Map(Volume, Node, Range(0, "max_writes"), init=0, doc="the last write each replica holds")
    epoch = Map(Volume, Node, Range(0, "max_epoch"), init=0, doc="the epoch each replica believes")
    peer = Map(Volume, Node, Node.or_none, init=None, doc="a primary's mirror, a secondary's primary")
    cp_epoch = Map(Volume, Range(0, "max_epoch"), init=0, doc="the control plane's epoch")
    cp_primary = Map(Volume, Node.or_none, init=None, doc="the primary the control plane names")
    cp_mirror = Map(Volume, Node.or_none, init=None, doc="the mirror registered with the control plane")
    target = Map(Volume, Node.or_none, init=None, doc="where the instance sends its I/O")
    acked = Map(Volume, Range(0, "max_writes"), init=0, doc="the last write acknowledged to the instance")
    stale_ack = Map(Volume, Bool, init=False, doc="ghost: a write was acknowledged by a superseded primary")

    # -- definitions ---------------------------------------------------------------------

    def accepts(self, s, v, q, p):
        """Does q, as a secondary, accept replication from p?"""
        ok = (s.role[v, q] == Role.secondary) & s.up[q]
        if self.fencing:
            ok = ok & (s.peer[v, q] == p) & (s.epoch[v, q] <= s.epoch[v, p])
        return ok

    def can_write(self, s, v, p, q):
        return (
            (s.role[v, p] == Role.primary)
            & s.up[p]
            & (s.target[v] == p)
            & (s.peer[v, p] == q)
            & self.connected(s, p, q)
            & self.accepts(s, v, q, p)
        )

    def writable(self, s, v):
        return exists(self.Node, lambda p: exists(self.Node, lambda q: self.can_write(s, v, p, q) if p != q else False))

    def created(self, s, v):
        return s.cp_epoch[v] > 0

    def cp_primary_unreachable(self, s, v):
        return forall(
            self.Node,
            lambda m: implies(s.cp_primary[v] == m, ~self.reaches_authority(s, m) | ~s.up[m]),
        )

    # -- the volume's life -------------------------------------------------------------------

    @action(fair="weak")
    def create_volume(self, s, v: Volume, p: Node, q: Node):
        """The Create Volume API: the control plane places a primary and its mirror, on two
        nodes it can reach (it registers both) that can reach each other."""
        require((p != q) & (s.cp_epoch[v] == 0) & s.up[p] & s.up[q] & self.connected(s, p, q))
        require(self.reaches_authority(s, p) & self.reaches_authority(s, q))
        s.cp_epoch[v] = 1
        s.cp_primary[v] = p
        s.cp_mirror[v] = q
        s.target[v] = p
        for n, role, mate in ((p, Role.primary, q), (q, Role.secondary, p)):
            s.role[v, n] = role
            s.epoch[v, n] = 1
            s.peer[v, n] = mate

    @action
    def write(self, s, v: Volume, p: Node, q: Node):
        """The instance writes to p; acknowledged only once the mirror q has it."""
        require((p != q) & self.can_write(s, v, p, q) & (s.ver[v, p] < self.max_writes))
        s.stale_ack[v] = s.stale_ack[v] | (s.epoch[v, p] < s.cp_epoch[v])
        s.ver[v, p] += 1
        s.ver[v, q] = s.ver[v, p]
        s.acked[v] = s.ver[v, p]

    @action(fair="weak")
    def mirror_lost(self, s, v: Volume, p: Node, q: Node):
        """A primary that cannot replicate to its mirror stops I/O until it has negotiated."""
        require((p != q) & (s.role[v, p] == Role.primary) & s.up[p] & (s.peer[v, p] == q))
        require(~(self.connected(s, p, q) & self.accepts(s, v, q, p)))
        s.role[v, p] = Role.blocked
        s.peer[v, p] = None

    @action(fair="weak")
    def secondary_promotes_itself(self, s, v: Volume, q: Node, p: Node):
        """(self_promote only) A secondary that lost its primary takes over on its own."""
        require(p != q)
        require(self.self_promote)
        require((s.role[v, q] == Role.secondary) & s.up[q] & (s.peer[v, q] == p))
        require(~self.connected(s, q, p) | ~s.up[p])
        require(s.epoch[v, q] < self.max_epoch)
        s.epoch[v, q] += 1
        s.role[v, q] = Role.primary
        s.peer[v, q] = None
        s.target[v] = q

    @action(fair="weak")
    def keep_primary(self, s, v: Volume, p: Node):
        """A blocked primary negotiates and the control plane lets it keep the volume."""
        require((s.role[v, p] == Role.blocked) & s.up[p] & self.reaches_authority(s, p))
        require((s.cp_primary[v] == p) & (s.cp_epoch[v] < self.max_epoch))
        s.cp_epoch[v] += 1
        s.epoch[v, p] = s.cp_epoch[v]
        s.role[v, p] = Role.primary

    @action(fair="weak")
    def promote(self, s, v: Volume, n: Node):
        """The control plane, unable to reach its primary, promotes replica n.

        With `promote_in_sync_only` it promotes only the mirror registered with it, which holds
        every acknowledged write. Otherwise it may pick any replica, and fences the registered
        mirror by telling it the new epoch (which, with fencing, stops the old primary)."""
        require(((s.role[v, n] == Role.secondary) | (s.role[v, n] == Role.blocked)) & s.up[n])
        require(self.reaches_authority(s, n) & (s.cp_primary[v] != n) & self.created(s, v))
        require(self.cp_primary_unreachable(s, v) & (s.cp_epoch[v] < self.max_epoch))
        if self.promote_in_sync_only:
            require(s.cp_mirror[v] == n)
        s.cp_epoch[v] += 1
        for m in self.Node:
            if m != n:
                fence = (s.cp_mirror[v] == m) & self.reaches_authority(s, m) & s.up[m]
                s.epoch[v, m] = If(fence, s.cp_epoch[v], s.epoch[v, m])
        s.cp_primary[v] = n
        s.cp_mirror[v] = None
        s.epoch[v, n] = s.cp_epoch[v]
        s.role[v, n] = Role.primary
        s.peer[v, n] = None

    @action(fair="weak")
    def step_down(self, s, v: Volume, n: Node):
        """A primary the control plane has replaced learns so and becomes a secondary."""
        require(((s.role[v, n] == Role.primary) | (s.role[v, n] == Role.blocked)) & s.up[n])
        require(self.reaches_authority(s, n) & (s.cp_primary[v] != n))
        s.role[v, n] = Role.secondary
        s.peer[v, n] = None

    @action(fair="weak")
    def remirror(self, s, v: Volume, p: Node, q: Node):
        """A primary without a mirror copies the volume to q, which becomes its secondary.

        With fencing, q first checks with the control plane that p's epoch is current, and
        registers as the volume's mirror."""
        require((p != q) & (s.role[v, p] == Role.primary) & s.up[p] & (s.peer[v, p] == None))  # noqa: E711
        require(s.up[q] & self.connected(s, p, q))
        require((s.role[v, q] == Role.empty) | (s.role[v, q] == Role.secondary))
        if self.fencing:
            require(self.reaches_authority(s, q) & (s.epoch[v, p] == s.cp_epoch[v]))
            require(s.epoch[v, q] <= s.epoch[v, p])
            s.cp_mirror[v] = q
        s.ver[v, q] = s.ver[v, p]
        s.epoch[v, q] = s.epoch[v, p]
        s.role[v, q] = Role.secondary
        s.peer[v, q] = p
        s.peer[v, p] = q

    @action(fair="weak")
    def retarget(self, s, v: Volume):
        """The instance asks the control plane where the writable copy is."""
        require(s.target[v] != s.cp_primary[v])
        s.target[v] = s.cp_primary[v]

    def on_restart(self, s, n):
        """A restarted primary does not know whether it still is one: it must negotiate."""
        for v in self.Volume:
            s.role[v, n] = If(s.role[v, n] == Role.primary, Role.blocked, s.role[v, n])

    # -- properties ------------------------------------------------------------------------

    @invariant
    def single_primary(self, s):
        """No two primaries of a volume in the same epoch, and no write acknowledged by a
        primary the control plane had already replaced."""
        return forall(
            self.Volume,
            lambda v: ~s.stale_ack[v]
            & distinct_when(self.Node, lambda n: s.role[v, n] == Role.primary, lambda n: s.epoch[v, n]),
        )

    @invariant
    def no_acked_write_lost(self, s):
        """The primary the instance sends I/O to holds every write acknowledged to it."""
        return forall(
            self.Volume,
            lambda v: serving_copy_is_complete(
                self.Node,
                serving=lambda n: (s.target[v] == n) & (s.role[v, n] == Role.primary),
                holds=lambda n: s.ver[v, n],
                acknowledged=s.acked[v],
            ),
        )

    @action_property
    def epochs_monotonic(self, s, t):
        """No replica's epoch, and no control-plane epoch, ever goes back."""
        return never_decreases(
            [(s.cp_epoch[v], t.cp_epoch[v]) for v in self.Volume]
            + [(s.epoch[v, n], t.epoch[v, n]) for v in self.Volume for n in self.Node]
        )

    @liveness
    def eventually_writable(self, s):
        """Every created volume is writable again and again (faults are finite, repairs fair)."""
        return eventually_everywhere(self.Volume, lambda v: ~self.created(s, v) | self.writable(s, v))

    @reachable
    def a_write_is_acknowledged(self, s):
        return exists(self.Volume, lambda v: s.acked[v] > 0)

    # -- helper invariants (for `replicheck prove --inductive`) ------------------------------
    # Together with the two safety properties above they form an inductive invariant of the
    # `authority` variant: each holds in every reachable state, and their conjunction is
    # preserved by every action. See docs/proving.md for how they were found.

    def _is_primary_or_blocked(self, s, v, n):
        return (s.role[v, n] == Role.primary) | (s.role[v, n] == Role.blocked)

    @invariant(strengthening=True)
    def uncreated_volume_is_pristine(self, s):
        """Before Create Volume, nothing about the volume has happened."""
        return forall(
            self.Volume,
            lambda v: implies(
                s.cp_epoch[v] == 0,
                (s.cp_primary[v] == None)  # noqa: E711
                & (s.cp_mirror[v] == None)  # noqa: E711
                & (s.target[v] == None)  # noqa: E711
                & (s.acked[v] == 0)
                & ~s.stale_ack[v]
                & forall(
                    self.Node,
                    lambda n: (s.role[v, n] == Role.empty)
                    & (s.ver[v, n] == 0)
                    & (s.epoch[v, n] == 0)
                    & (s.peer[v, n] == None),  # noqa: E711
                ),
            ),
        )

    @invariant(strengthening=True)
    def created_volume_has_a_named_primary(self, s):
        """Once created, the control plane names a primary: it is primary or blocked, at the
        control plane's epoch."""
        return forall(
            self.Volume,
            lambda v: implies(
                s.cp_epoch[v] > 0,
                exists(
                    self.Node,
                    lambda n: (s.cp_primary[v] == n)
                    & self._is_primary_or_blocked(s, v, n)
                    & (s.epoch[v, n] == s.cp_epoch[v]),
                ),
            ),
        )

    @invariant(strengthening=True)
    def registered_mirror_is_a_secondary(self, s):
        return forall(
            self.Volume,
            lambda v: forall(
                self.Node, lambda n: implies(s.cp_mirror[v] == n, s.role[v, n] == Role.secondary)
            ),
        )

    @invariant(strengthening=True)
    def no_replica_is_ahead_of_the_control_plane(self, s):
        return forall(self.Volume, lambda v: forall(self.Node, lambda n: s.epoch[v, n] <= s.cp_epoch[v]))

    @invariant(strengthening=True)
    def current_epoch_primary_is_the_named_one(self, s):
        """A primary (or blocked primary) at the control plane's epoch is the one it names."""
        return forall(
            self.Volume,
            lambda v: forall(
                self.Node,
                lambda n: implies(
                    self._is_primary_or_blocked(s, v, n) & (s.epoch[v, n] == s.cp_epoch[v]),
                    s.cp_primary[v] == n,
                ),
            ),
        )

    @invariant(strengthening=True)
    def primaries_have_distinct_epochs(self, s):
        """Every epoch belongs to at most one primary, blocked or not."""
        return forall(
            self.Volume,
            lambda v: forall(
                self.Node,
                lambda n: forall(
                    self.Node,
                    lambda m: implies(
                        self._is_primary_or_blocked(s, v, n) & self._is_primary_or_blocked(s, v, m),
                        s.epoch[v, n] != s.epoch[v, m],
                    )
                    if n != m
                    else True,
                ),
            ),
        )

    @invariant(strengthening=True)
    def replicating_pair_is_current(self, s):
        """A primary (possibly blocked by a restart) and a secondary that name each other,
        at epochs fencing permits, are the named primary at the current epoch and the
        registered mirror."""
        return forall(
            self.Volume,
            lambda v: forall(
                self.Node,
                lambda p: forall(
                    self.Node,
                    lambda q: implies(
                        self._is_primary_or_blocked(s, v, p)
                        & (s.peer[v, p] == q)
                        & (s.role[v, q] == Role.secondary)
                        & (s.peer[v, q] == p)
                        & (s.epoch[v, q] <= s.epoch[v, p]),
                        (s.cp_primary[v] == p) & (s.epoch[v, p] == s.cp_epoch[v]) & (s.cp_mirror[v] == q),
                    )
                    if p != q
                    else True,
                ),
            ),
        )

    @invariant(strengthening=True)
    def named_primary_and_mirror_hold_every_ack(self, s):
        return forall(
            self.Volume,
            lambda v: forall(
                self.Node,
                lambda n: implies(
                    (s.cp_primary[v] == n) | (s.cp_mirror[v] == n) | (s.target[v] == n),
                    s.ver[v, n] >= s.acked[v],
                ),
            ),
        )
