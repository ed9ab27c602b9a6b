"""The April 2011 outage as one system: the degraded zone's EBS cluster and the
regional EBS control plane together.

Owns: the composed model `Outage` (class attributes `variants`, `expected`, `reasons`). It
stands on its own: it imports only the modelling language and its fault library, never the
other incident models (`ebs.remirror`, `ebs.control_plane`, `ebs.election`), whose ideas it
restates here.

Must not import: anything of checker but `replicheck.lang` (and its fault library); no other
model.

The post-mortem is `../shared/incident/ebs-rds-outage-2011-04.txt`; every element below quotes
its sentence. docs/models/ebs.outage.md has the element-to-sentence table, the annotated
`as_2011` counterexample and the verdict table.

The system, in two zones. The degraded zone's EBS cluster has `Node` nodes (symmetric) and
`Volume` volumes (symmetric); each volume has two holders of its data (the primary and its
mirror), each holding a replica slot. The healthy zone is one customer whose EBS API calls go
through the same regional control plane (its cluster is not modelled: it is healthy). The
regional control plane has a pool of `threads` threads; three kinds of call hold them: create
volume calls to the degraded zone (which hang when its cluster has no capacity), negotiations
of the degraded cluster's volumes, and the healthy zone's calls. A volume whose mirror is lost
negotiates with the control plane (the authority on which copy is primary), and again after
every answer for as long as it is not re-mirrored; once re-mirrored, its negotiation elects the
writable copy. So the load grows with the volumes that are *not* re-mirrored, as race crashes
add to them ("Because data was not being successfully re-mirrored, the number of these calls
increased as the system retried").

Time is not modelled; the control plane's time-out is encoded as an order between events (one
rule, used for every waiting call): with the 2011 *long* time-out a hung call keeps its thread
past a waiting call's client deadline, so the waiting call fails (an API error) and is retried
behind newer calls; with a *short* time-out the hung call is released first and a waiting call
keeps its place (first come, first served). See `api_error` and `degraded_call_may_start`.
"""

from itertools import combinations
from typing import Any

from replicheck.lang import (
    And,
    Bool,
    Enum,
    If,
    Map,
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
    reachable,
    require,
)
from replicheck.lang.faults import FaultsStop, Isolation

# A volume's state, as its primary sees it. healthy: mirrored and writable; lost: the mirror
# is gone, I/O blocked; searching / backoff / copying: re-mirroring; electing: two copies
# again, waiting for the control plane to elect the writable copy. (Whether the volume's
# negotiation with the control plane holds a regional thread is `calling`, beside it: a
# volume negotiates while it is stuck as well as once it is re-mirrored.)
St = Enum("St", "healthy", "lost", "searching", "backoff", "copying", "electing")
# The degraded cluster's communication with the regional control plane (operators, 8:20 AM
# and 3:35 PM April 23).
CpLink = Enum("CpLink", "on", "off", "restored")

Node = Sort("Node", default=3, symmetric=True, prefix="n")
Volume = Sort("Volume", default=2, symmetric=True, prefix="v")


def _placement_count(m: Any) -> int:
    pairs = len(m.Node) * (len(m.Node) - 1)
    return int(pairs ** len(m.Volume) - 1)


Placement = Range(0, _placement_count)  # init's parameter (named, so that mypy reads it as a type)


def symmetric_count(domain: Any, pred: Any) -> Any:
    """How many elements satisfy pred, written so that permuting the elements gives the same
    expression (a chain of additions is not recognised as symmetric by the static symmetry
    check for three or more elements): the largest k such that some k-subset satisfies pred."""
    xs = [pred(x) for x in domain]
    total: Any = 0
    for k in range(1, len(xs) + 1):
        total = If(Or(*[And(*c) for c in combinations(xs, k)]), k, total)
    return total


PROTECTIONS = ("buffer", "retry_logic", "race_fix", "short_timeout", "shedding", "per_cluster_cp")
ALL = {**{p: True for p in PROTECTIONS}, "operators": False}


def _all_but(name: str) -> dict[str, bool]:
    return {**ALL, name: False}


# The 2011 timeline's events in their order, as the observer `phase` follows them (timeline=true):
# phase k means the first k happened in this order. docs/models/ebs.outage.md annotates each.
TIMELINE = (
    "first_impact",  # 12:50 AM: a healthy zone's call fails while hung creates hold the threads
    "create_disabled",  # 2:40 AM: the operators disable create volume
    "second_impact",  # 5:30 AM: a call fails under the negotiations' load alone, a node crashed
    "cp_disabled",  # 8:20 AM: the cluster's communication with the control plane is cut
    "futile_stopped",  # 11:30 AM: no more futile searches
    "capacity_added",  # 02:00 AM April 22: new capacity
    "replicated_waiting",  # a volume fully re-mirrored while the control plane is unreachable
    "cp_restored",  # 3:35 PM April 23
)

OK, BAD = "holds", "violated"
PROPERTIES = ("no_data_loss", "single_writable_primary", "healthy_zone_served", "volumes_served_again",
              "healthy_zone_eventually_served")


def _verdicts(*verdicts: str) -> dict[str, str]:
    """The expected verdict of each property, in PROPERTIES' order."""
    return dict(zip(PROPERTIES, verdicts, strict=True))


class Outage(Isolation(Node), FaultsStop, Model):  # type: ignore[misc]
    name = "ebs.outage"

    Node = Node
    Volume = Volume

    # -- settings: sizes and the 2011 amounts -------------------------------------------------
    fault_budget: int = 1  # the network event (and, with hw_crashes, hardware failures)
    spare: int = 1  # free replica slots per node at the start (2011: little spare)
    threads: int = 2  # the regional control plane's pool
    capacity_budget: int = 0  # slots operators may install (02:00 AM April 22); unfair
    # -- the three re-mirroring protections ("Preventing the Event") --------------------------
    buffer: bool = False  # "increased our capacity buffer": Volume spare slots per node
    retry_logic: bool = False  # "back off more aggressively" + "re-establishing connectivity with previous replicas"
    race_fix: bool = False  # "we have identified the source of the race condition [...] We have a fix"
    # -- the three control-plane protections ("Impact to Multiple Availability Zones") -------
    short_timeout: bool = False  # "improve our timeout logic to prevent thread exhaustion"
    shedding: bool = False  # "more Availability Zone aware and shed load intelligently"
    per_cluster_cp: bool = False  # "per-EBS cluster deployments of these services"
    # -- design assumptions, kept on in every protection variant -----------------------------
    authority: bool = True  # the control plane elects the writable copy (I/O blocked until then)
    hold_until_owned: bool = True  # holders keep their copy until the new owner is confirmed
    hw_crashes: bool = False  # hardware failures (disk lost) as faults spending the budget
    # the operators' 2011 interventions (2:40 AM, 8:20 AM, 11:30 AM, 3:35 PM April 23) as
    # actions, in that order; off in the protection variants, which must hold without them
    operators: bool = True
    # declare the goal the_outage_runs_its_course (the whole 2011 timeline in one behaviour);
    # it needs the operators and more volumes than threads (for the second impact)
    timeline: bool = False

    variants = {
        # the 2011 system: little spare, no back-off or reconnect, the race bug, the long
        # time-out, a regional pool that is not zone-aware; the operators act
        "as_2011": {},
        # the six protections the post-mortem promised, without the operators
        "all_protections": dict(ALL),
        # each protection removed alone: is it necessary once the other five are in?
        **{f"all_but_{p}": _all_but(p) for p in PROTECTIONS},
        # one layer fixed, the other as in 2011
        "cluster_protections_only": {"buffer": True, "retry_logic": True, "race_fix": True, "operators": False},
        "control_plane_protections_only": {
            "short_timeout": True, "shedding": True, "per_cluster_cp": True, "operators": False,
        },
        # the control-plane fix deployed "immediately", alone
        "timeout_only": {"short_timeout": True, "operators": False},
        # design assumptions removed: volumes unblocked without the control plane's election;
        # copies released before the new owner has the data (with one hardware failure)
        "no_authority": {**ALL, "authority": False},
        "release_early": {**ALL, "hold_until_owned": False, "hw_crashes": True, "fault_budget": 2},
        # one real hardware failure besides the network event, with and without the buffer
        "all_protections_hw_crash": {**ALL, "hw_crashes": True, "fault_budget": 2},
        "all_but_buffer_hw_crash": {**_all_but("buffer"), "hw_crashes": True, "fault_budget": 2},
    }
    expected = {
        "as_2011": _verdicts(OK, OK, BAD, BAD, BAD),
        "all_protections": _verdicts(OK, OK, OK, OK, OK),
        "all_but_buffer": _verdicts(OK, OK, OK, OK, OK),
        "all_but_retry_logic": _verdicts(OK, OK, OK, OK, OK),
        "all_but_race_fix": _verdicts(OK, OK, OK, OK, OK),
        "all_but_short_timeout": _verdicts(OK, OK, OK, OK, OK),
        "all_but_shedding": _verdicts(OK, OK, OK, OK, OK),
        "all_but_per_cluster_cp": _verdicts(OK, OK, OK, BAD, OK),
        "cluster_protections_only": _verdicts(OK, OK, OK, OK, OK),
        "control_plane_protections_only": _verdicts(OK, OK, OK, BAD, OK),
        "timeout_only": _verdicts(OK, OK, BAD, BAD, OK),
        "no_authority": _verdicts(OK, BAD, OK, OK, OK),
        "release_early": _verdicts(BAD, OK, OK, BAD, OK),
        "all_protections_hw_crash": _verdicts(OK, OK, OK, OK, OK),
        "all_but_buffer_hw_crash": _verdicts(OK, OK, OK, BAD, OK),
    }
    reasons = {
        "as_2011": "The storm takes the last free slots, so create volume hangs and its long time-out fills the regional pool (the healthy zone's call fails, 12:50 AM), a volume that shares its pair with another loops for ever (the storm), and the retried healthy call loses its place to new create calls; race crashes are software crashes, so no data is lost.",
        "all_protections": "No volume loops (the buffer and the retry logic), so no race crash, no capacity exhaustion and no hung create; negotiations run in the zone, so the regional pool serves only the healthy zone.",
        "all_but_buffer": "Without hardware failures every lost peer comes back at the rollback and the retry logic reconnects to it, so no new slot is needed.",
        "all_but_retry_logic": "One spare slot per volume on every node lets every search succeed at once, so no volume loops, without backoff or reconnect.",
        "all_but_race_fix": "The race needs a node looping for two volumes, and with the buffer and the retry logic no search fails.",
        "all_but_short_timeout": "With the buffer the cluster never runs out of capacity, so no create volume call hangs and the long time-out never holds a thread.",
        "all_but_shedding": "No create call hangs and the negotiations run in the zone, so the regional pool is never over capacity.",
        "all_but_per_cluster_cp": "The elections fill the regional pool and shedding keeps the healthy zone served, but at a price: while the healthy zone keeps calling, shedding can fail the same elections for ever (an 18-step lasso), so a volume is never served again; with per-cluster services the elections never compete with other zones.",
        "cluster_protections_only": "With the cluster protections no create call hangs, and two volumes' negotiations fill the two-thread pool only with none left waiting, so the 2011 control plane is never overloaded at this size (see the doc for three volumes).",
        "control_plane_protections_only": "The storm is in the cluster: two volumes on the same pair need the third node's one spare slot and one of them searches for ever, whatever the control plane does; the healthy zone is protected.",
        "timeout_only": "The short time-out stops the first impact but not the second: a stuck volume's negotiation holds a thread, a create call the other until it times out, a re-mirrored volume waits for its election, and the pool, full and not zone-aware, lets the healthy zone's call miss its deadline (5:30 AM); the storm still never ends.",
        "no_authority": "Three steps: the traffic shift cuts the primary off, the mirror, with no authority to ask, promotes itself, and once the shift is rolled back both serve the volume (the primary never noticed).",
        "release_early": "The old mirror gives up its copy when the search reserves the new slot; the primary's hardware fails before the copy completes, and no disk holds the volume.",
        "all_protections_hw_crash": "One hardware failure takes one copy of each volume it holds; the other holder keeps its copy (the hold rule) and the buffer gives every survivor a slot to re-mirror to.",
        "all_but_buffer_hw_crash": "A hardware failure leaves two volumes on the same surviving node; both must re-mirror to the third node, whose one spare slot takes only one (reconnect cannot help: the peer is gone).",
    }
    check_deadlock = False  # once every volume is healthy and the faults are spent, runs may end

    # -- state: the degraded zone's cluster ---------------------------------------------------
    up = Map(Node, Bool, init=True, doc="is the node running? (a race crash or a hardware failure stops it)")
    disk_ok = Map(Node, Bool, init=True, doc="does the node's disk still hold its data? (false only after a hardware failure)")
    free = Map(Node, Range(0, lambda m: m.slots() + len(m.Volume) + m.capacity_budget), doc="free replica slots")
    held = Map(Node, Range(0, lambda m: len(m.Volume)), init=0, doc="old copies kept until the new owner is confirmed")
    st = Map(Volume, St, init=St.healthy, doc="the volume's state")
    prim = Map(Volume, Node, doc="the holder that serves the volume and re-mirrors it")
    mate = Map(Volume, Node.or_none, doc="the other holder: the mirror, or the previous peer after a loss")
    target = Map(Volume, Node.or_none, init=None, doc="the node whose slot the search reserved")
    looping = Map(Volume, Bool, init=False, doc="the primary is searching again after a failed search")
    rogue = Map(Volume, Bool, init=False, doc="(no_authority) the mirror promoted itself and serves I/O")
    calling = Map(Volume, Bool, init=False, doc="the volume's negotiation with the control plane holds a regional thread")
    added = Range(0, "capacity_budget", init=0, doc="slots operators have installed")
    # -- state: the regional control plane and the healthy zone --------------------------------
    hung = Range(0, "threads", init=0, doc="regional threads held by create volume calls to the degraded zone")
    hz_waiting = Var(Bool, init=False, doc="a healthy zone's API call waits for a regional thread")
    hz_failed = Var(Bool, init=False, doc="a healthy zone's API call has failed (error or time-out): the brown-out")
    # -- state: the operators' actions ---------------------------------------------------------
    create_disabled = Var(Bool, init=False, doc="create volume disabled in the degraded zone (2:40 AM)")
    cp_link = Var(CpLink, init=CpLink.on, doc="the degraded cluster's communication with the control plane")
    futile_stopped = Var(Bool, init=False, doc="nodes no longer contact servers without free space (11:30 AM)")
    # -- state: an observer of the 2011 timeline (timeline=true only; read by no action) ----------
    phase = Range(0, lambda m: len(TIMELINE) if m.timeline else 0, init=0,
                  doc="how far the behaviour has followed the 2011 timeline, in order (TIMELINE)")

    def __init__(self, variant: str | None = None, **settings: Any) -> None:
        super().__init__(variant, **settings)
        self._validate()

    def _validate(self) -> None:
        """Settings given with --set must mean something: one clear message naming it."""
        volumes = len(self.Volume)
        if len(self.Node) < 3:
            raise ModelError(
                f"setting Node of ebs.outage must be at least 3, not {len(self.Node)} (two holders and a third "
                "node to re-mirror to)",
                "Write --set Node=3.",
            )
        if self.buffer and self.spare != type(self).spare:  # the default passes: a trace's settings list it
            raise ModelError(
                "setting spare of ebs.outage is not used with buffer=true (the buffer gives every node one "
                "free slot per volume)",
                "Leave spare out, or write --set buffer=false.",
            )
        rules = [
            ("fault_budget", 1, 3, "the network event needs one unit; at most 3 keep runs small"),
            ("spare", 0, volumes, f"free slots per node, at most Volume={volumes} (the buffer)"),
            ("threads", 1, 4, "the regional pool must have a thread; at most 4 keep runs small"),
            ("capacity_budget", 0, 2, "slots operators may install in all"),
        ]
        for key, lo, hi, what in rules:
            value = getattr(self, key)
            if not lo <= value <= hi:
                raise ModelError(
                    f"setting {key} of ebs.outage must be from {lo} to {hi}, not {value} ({what})",
                    f"Write --set {key}={min(max(value, lo), hi)}.",
                )
        if self.timeline and not (self.operators and volumes > self.threads):
            raise ModelError(
                f"setting timeline of ebs.outage needs the operators and more volumes than threads, not "
                f"Volume={volumes} with threads={self.threads} (the second impact is the negotiations "
                "alone filling the pool while another volume waits)",
                "Write --variant as_2011 --set threads=1 --set timeline=true.",
            )
        if self.hw_crashes and self.fault_budget < 2:
            raise ModelError(
                "setting hw_crashes of ebs.outage needs fault_budget >= 2 (one unit is the network event)",
                "Write --set fault_budget=2.",
            )

    def reached(self, s: Any, event: str, happened: Any = True) -> None:
        """The timeline observer: if `happened` and `event` is the next one in TIMELINE, the
        behaviour has followed the timeline one event further (nothing without timeline=true)."""
        if not self.timeline:
            return
        k = TIMELINE.index(event) + 1
        s.phase = If((s.phase == k - 1) & happened, k, s.phase)

    def slots(self) -> int:
        """Free slots per node at the start: the buffer is one per volume, enough for every
        volume to re-mirror onto any one node at once."""
        return len(self.Volume) if self.buffer else self.spare

    def init(self, s: Any, placement: Placement) -> None:
        """Every volume on an ordered pair (primary, mirror) of distinct nodes; all placements.
        "EBS volume data is replicated to multiple EBS nodes for durability and availability." """
        nodes = list(self.Node)
        pairs = [(a, b) for a in nodes for b in nodes if a != b]
        for i, v in enumerate(self.Volume):
            a, b = pairs[(placement // len(pairs) ** i) % len(pairs)]
            s.prim[v] = a
            s.mate[v] = b
        for n in self.Node:
            s.free[n] = self.slots()

    # -- definitions: the cluster ---------------------------------------------------------------

    def reaches(self, s: Any, n: Any) -> Any:
        """n is running and not cut off by the network event."""
        return s.up[n] & ~s.isolated[n]

    def linked(self, s: Any, a: Any, b: Any) -> Any:
        return self.reaches(s, a) & self.reaches(s, b)

    def linked_to(self, s: Any, a_value: Any, b_value: Any) -> Any:
        """linked(a, b) for nodes given as state values (prim, mate, target)."""
        return exists(
            self.Node,
            lambda a: exists(self.Node, lambda b: (a_value == a) & (b_value == b) & self.linked(s, a, b) if a != b else False),
        )

    def peer_linked(self, s: Any, v: Any) -> Any:
        return self.linked_to(s, s.prim[v], s.mate[v])

    def prim_up(self, s: Any, v: Any) -> Any:
        return exists(self.Node, lambda p: (s.prim[v] == p) & s.up[p])

    def mate_up(self, s: Any, v: Any) -> Any:
        return exists(self.Node, lambda q: (s.mate[v] == q) & s.up[q])

    def some_node_down(self, s: Any) -> Any:
        """A race crash or a hardware failure has stopped a node ("As more EBS nodes continued
        to fail [...]")."""
        return exists(self.Node, lambda n: ~s.up[n])

    def place_for(self, s: Any, v: Any, t: Any) -> Any:
        """"searches its EBS cluster for another node with enough available server space"."""
        return self.reaches(s, t) & (s.prim[v] != t) & (s.mate[v] != t) & (s.free[t] >= 1)

    def has_place(self, s: Any, v: Any) -> Any:
        return exists(self.Node, lambda t: self.place_for(s, v, t))

    def may_search(self, s: Any, v: Any) -> Any:
        """The primary can reach the cluster; with the retry logic it searches only while its
        previous peer is unreachable ("focus on re-establishing connectivity with previous
        replicas rather than futilely searching for new nodes")."""
        ok = exists(self.Node, lambda p: (s.prim[v] == p) & self.reaches(s, p))
        if self.retry_logic:
            ok = ok & ~self.peer_linked(s, v)
        return ok

    def backs_off(self, s: Any) -> Any:
        """After a failed search the node waits for a place: the retry logic's back-off, or the
        operators' 11:30 AM change ("prevent EBS servers [...] from futilely contacting other
        servers (who didn't have free space at this point anyway)")."""
        return s.futile_stopped | self.retry_logic

    def can_create(self, s: Any) -> Any:
        """The cluster can serve create volume: two running nodes with a free slot (a new
        volume needs a primary and a mirror). "When the EBS cluster [...] exhausted its
        available capacity, the cluster became unable to service 'create volume' API
        requests." (Capacity, not the network event, is what this tests.)"""
        return exists(
            self.Node,
            lambda a: exists(
                self.Node, lambda b: s.up[a] & s.up[b] & (s.free[a] >= 1) & (s.free[b] >= 1) if a != b else False
            ),
        )

    def release(self, s: Any, n_value: Any) -> None:
        """The old holder gives its slot back once it can confirm the new owner; a node still
        cut off keeps the copy (held) until it can; a failed node's slots are never reused
        ("the EBS cluster does not reuse the failed node until every data replica is
        successfully re-mirrored")."""
        for n in self.Node:
            here = n_value == n
            s.free[n] = If(here & self.reaches(s, n), s.free[n] + 1, s.free[n])
            s.held[n] = If(here & s.up[n] & s.isolated[n], s.held[n] + 1, s.held[n])

    def unreserve(self, s: Any, v: Any) -> None:
        for n in self.Node:
            s.free[n] = If((s.target[v] == n) & s.up[n], s.free[n] + 1, s.free[n])
        s.target[v] = None

    # -- definitions: the control plane ----------------------------------------------------------

    def regional_negotiations(self, s: Any) -> Any:
        """Regional threads held by the degraded cluster's negotiations (none with per-cluster
        services, which run in the cluster's own zone)."""
        if self.per_cluster_cp:
            return 0
        return symmetric_count(self.Volume, lambda v: s.calling[v])

    def pool_free(self, s: Any) -> Any:
        """"The EBS control plane has a regional pool of available threads"."""
        return s.hung + self.regional_negotiations(s) < self.threads

    def cp_reachable(self, s: Any) -> Any:
        return s.cp_link != CpLink.off

    def needs_control_plane(self, s: Any, v: Any) -> Any:
        """The volume needs the control plane to designate its primary: it is stuck (its
        mirror is lost and no copy is under way) or re-mirrored and waiting for its election.
        "When data for a volume needs to be re-mirrored, a negotiation must take place [...]
        Because data was not being successfully re-mirrored, the number of these calls
        increased as the system retried"."""
        stuck = (s.st[v] == St.lost) | (s.st[v] == St.searching) | (s.st[v] == St.backoff)
        return stuck | (s.st[v] == St.electing)

    def negotiation_waits(self, s: Any) -> Any:
        """A volume that needs the control plane waits for a regional thread to negotiate."""
        if self.per_cluster_cp or not self.authority:
            return False
        return self.cp_reachable(s) & exists(
            self.Volume, lambda v: self.needs_control_plane(s, v) & ~s.calling[v]
        )

    def over_capacity(self, s: Any) -> Any:
        """The regional pool is over capacity for another zone: the healthy zone's call waits
        and every thread is busy with the degraded zone."""
        return s.hz_waiting & ~self.pool_free(s)

    def degraded_call_may_start(self, s: Any) -> Any:
        """May a degraded-zone call take a free regional thread now? Only the last free thread
        is contested: with a short time-out a waiting call keeps its place, so a newer call
        does not take the last thread from the healthy zone's waiting call; zone-aware
        shedding fails the degraded zone's new call then ("shed load intelligently when it is
        over capacity"). With neither (2011), a waiting call has missed its deadline and been
        retried behind newer ones, so anyone may take it."""
        used = s.hung + self.regional_negotiations(s)
        ok = used < self.threads
        if self.short_timeout or self.shedding:
            ok = ok & (~s.hz_waiting | (used + 1 < self.threads))
        return ok

    # -- the network event (Isolation): "the traffic shift was executed incorrectly and rather
    #    than routing the traffic to the other router on the primary network, the traffic was
    #    routed onto the lower capacity redundant EBS network [...] leaving the affected nodes
    #    completely isolated from one another" (isolate, a fault); "When the incorrect traffic
    #    shift was rolled back and network connectivity was restored" (rollback, weakly fair).

    # -- the re-mirroring protocol ----------------------------------------------------------------

    @action(fair="weak")
    def detect_loss(self, s: Any, v: Volume) -> None:
        """"When a node loses connectivity to a node to which it is replicating data to, it
        assumes the other node failed." Access is blocked from now on."""
        require((s.st[v] == St.healthy) & self.prim_up(s, v) & ~self.peer_linked(s, v))
        s.st[v] = St.lost

    @action(fair="weak")
    def take_over(self, s: Any, v: Volume) -> None:
        """The primary has crashed: the surviving holder becomes the primary and must
        re-mirror (the crashed node keeps its copy: it is not reused)."""
        require(~self.prim_up(s, v) & self.mate_up(s, v))
        old = s.prim[v]
        s.prim[v] = s.mate[v]
        s.mate[v] = old
        self.unreserve(s, v)
        s.st[v] = St.lost
        s.looping[v] = False

    @action(fair="weak")
    def start_search(self, s: Any, v: Volume) -> None:
        """"these nodes rapidly began searching the EBS cluster for available server space"."""
        require((s.st[v] == St.lost) & self.may_search(s, v))
        s.st[v] = St.searching

    @action(fair="weak")
    def search(self, s: Any, v: Volume, t: Node) -> None:
        """The search finds t with a free slot and reserves it ("establishes connectivity
        with the server"). Without the hold rule (release_early) the old mirror lets go of
        its copy now, before anyone owns the data."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & self.place_for(s, v, t))
        s.free[t] -= 1
        s.target[v] = t
        s.st[v] = St.copying
        s.looping[v] = False
        if not self.hold_until_owned:
            self.release(s, s.mate[v])
            s.mate[v] = None

    @action(fair="weak")
    def search_fails(self, s: Any, v: Volume) -> None:
        """No node has space: "leaving many of the nodes 'stuck' in a loop, continuously
        searching the cluster for free space"; "the nodes failing to find new nodes did not
        back off aggressively enough". With back-off the node waits for a place."""
        require((s.st[v] == St.searching) & self.may_search(s, v) & ~self.has_place(s, v))
        if not self.race_fix:
            s.looping[v] = True  # only the race reads it: with the fix, not tracked
        s.st[v] = If(self.backs_off(s), St.backoff, St.searching)

    @action(fair="weak")
    def wake_up(self, s: Any, v: Volume) -> None:
        """A backed-off node searches again once a place exists (a paced attempt)."""
        require((s.st[v] == St.backoff) & self.may_search(s, v) & self.has_place(s, v))
        s.st[v] = St.searching
        s.looping[v] = False

    @action(fair="weak")
    def copy_complete(self, s: Any, v: Volume) -> None:
        """The target has the data and confirms ownership; only now may the old holder let go
        ("all nodes that have copies of the data hold onto the data until they can confirm
        that another node has taken ownership of their portion"). Access stays blocked "until
        the system has identified a new primary (or writable) replica"."""
        require((s.st[v] == St.copying) & self.linked_to(s, s.prim[v], s.target[v]))
        if self.hold_until_owned:
            self.release(s, s.mate[v])
        self.reached(s, "replicated_waiting", ~self.cp_reachable(s))
        s.mate[v] = s.target[v]
        s.target[v] = None
        s.st[v] = St.electing if self.authority else St.healthy

    @action(fair="weak")
    def copy_fails(self, s: Any, v: Volume) -> None:
        """The primary and the target can no longer talk: the reservation is dropped."""
        require((s.st[v] == St.copying) & ~self.linked_to(s, s.prim[v], s.target[v]) & self.prim_up(s, v))
        self.unreserve(s, v)
        s.st[v] = St.searching

    @action(fair="weak")
    def confirm_release(self, s: Any, n: Node) -> None:
        """A node that was cut off learns the new owners and frees the copies it kept."""
        require((s.held[n] >= 1) & self.reaches(s, n))
        s.free[n] += s.held[n]
        s.held[n] = 0

    @action(fair="weak")
    def reconnect_peer(self, s: Any, v: Volume) -> None:
        """(retry logic) "focus on re-establishing connectivity with previous replicas": the
        previous peer is reachable again; the mirror is re-established without a new slot,
        and the volume waits for its election like any re-mirrored one."""
        require(self.retry_logic)
        require((s.st[v] == St.lost) | (s.st[v] == St.searching) | (s.st[v] == St.backoff))
        require(self.peer_linked(s, v))
        s.st[v] = St.electing if self.authority else St.healthy
        s.looping[v] = False

    @action
    def race_crash(self, s: Any, n: Node) -> None:
        """"a race condition in the code on the EBS nodes that, with a very low probability,
        caused them to fail when they were concurrently closing a large number of requests
        for replication [...] during this re-mirroring storm, the volume of connection
        attempts was extremely high": a node that is the primary of two or more volumes in
        the search loop may crash. A software crash: the disk keeps its data. Not a fault of
        the environment (no budget), not fair (it may never happen)."""
        require((not self.race_fix) & ~s.futile_stopped & s.up[n])
        loops = [(s.prim[v] == n) & (s.st[v] == St.searching) & s.looping[v] for v in self.Volume]
        require(Or(*[a & b for a, b in combinations(loops, 2)]))
        s.up[n] = False

    @action
    def hw_fail(self, s: Any, n: Node) -> None:
        """(hw_crashes) A hardware failure: the node stops and its disk is lost ("volumes which
        had suffered machine failure"). A fault: it spends the budget; at most one in a
        behaviour (two would take both copies of a volume, whatever the protocol does)."""
        require(self.hw_crashes & s.up[n] & forall(self.Node, lambda m: s.disk_ok[m]))
        self.spend_fault(s)
        s.up[n] = False
        s.disk_ok[n] = False

    # -- the election, with the control plane as authority -------------------------------------

    @action(fair="weak")
    def negotiate(self, s: Any, v: Volume) -> None:
        """"When data for a volume needs to be re-mirrored, a negotiation must take place
        between the EC2 instance, the EBS nodes with the volume data, and the EBS control plane
        (which acts as an authority in this process)": the volume's negotiation takes a
        regional thread. A stuck volume negotiates too, and again after every answer, for as
        long as its data is not re-mirrored ("the number of these calls increased as the
        system retried"); its search goes on meanwhile."""
        require(self.authority & (not self.per_cluster_cp))
        require(self.needs_control_plane(s, v) & ~s.calling[v])
        require(self.cp_reachable(s) & self.degraded_call_may_start(s))
        s.calling[v] = True

    @action(fair="weak")
    def elected(self, s: Any, v: Volume) -> None:
        """The control plane answers the volume's negotiation and the thread is free. A
        re-mirrored volume's primary is designated the one writable copy "recognized by the
        EC2 instance as the place where all accesses should be sent", and I/O resumes; a
        volume still not re-mirrored has nothing to elect, and will negotiate again."""
        require(s.calling[v] & self.cp_reachable(s) & ((s.st[v] != St.electing) | self.prim_up(s, v)))
        s.calling[v] = False
        s.st[v] = If(s.st[v] == St.electing, St.healthy, s.st[v])

    @action(fair="weak")
    def elected_in_zone(self, s: Any, v: Volume) -> None:
        """(per_cluster_cp) The election is run by the cluster's own control-plane service, "in
        the same Availability Zone as the EBS cluster", with no regional thread."""
        require(self.authority & self.per_cluster_cp)
        require((s.st[v] == St.electing) & self.prim_up(s, v))
        s.st[v] = St.healthy

    @action
    def mirror_promotes_itself(self, s: Any, v: Volume) -> None:
        """(no_authority) Without the control plane as authority, a mirror that cannot reach
        its primary assumes it failed and serves the volume itself: what "required for
        consistency of EBS volume data under all potential failure modes" rules out."""
        require((not self.authority) & ~s.rogue[v] & ~self.peer_linked(s, v))
        require(self.mate_up(s, v))
        s.rogue[v] = True

    # -- the regional control plane ----------------------------------------------------------------

    @action
    def create_hangs(self, s: Any) -> None:
        """A customer calls create volume in the degraded zone, whose cluster cannot serve it:
        "these slow API calls began to back up". (A create the cluster can serve completes at
        once and changes nothing modelled here: the new volume itself is not modelled.)
        Refused while create volume is disabled or the cluster is cut off from the control
        plane; with a short time-out it does not overtake a waiting negotiation."""
        require(~s.create_disabled & self.cp_reachable(s) & ~self.can_create(s))
        require(self.degraded_call_may_start(s))
        if self.short_timeout and self.authority and not self.per_cluster_cp:
            require(~self.negotiation_waits(s))
        s.hung += 1

    @action(fair="weak")
    def create_times_out(self, s: Any) -> None:
        """"the EBS control plane (and the create volume API in particular) was configured
        with a long time-out period": the thread is released only when it fires."""
        require(s.hung >= 1)
        s.hung -= 1

    @action
    def healthy_zone_calls(self, s: Any) -> None:
        """A customer in another zone calls an EBS API (the environment: not fair)."""
        require(~s.hz_waiting)
        s.hz_waiting = True

    @action(fair="weak")
    def serve_healthy_zone(self, s: Any) -> None:
        """A free regional thread serves the healthy zone's call (its cluster answers fast)."""
        require(s.hz_waiting & self.pool_free(s))
        s.hz_waiting = False

    @action
    def api_error(self, s: Any) -> None:
        """The healthy zone's call misses its deadline: the control plane "began to fail API
        requests for other Availability Zones in that Region as well". It happens when every
        regional thread is busy with the degraded zone and either (the first impact, 12:50 AM)
        a thread is held by a hung create call that a long time-out does not release in time,
        or (the second, 5:30 AM: "The load caused a brown out of the EBS control plane") the
        degraded cluster's negotiations fill the pool while more of them wait, and the pool,
        not zone-aware, serves them first. The call is retried (it stays waiting). With
        zone-aware shedding the degraded zone's load is shed first (`shed_negotiation`,
        `shed_create`), so the call does not fail."""
        require(not self.shedding)  # with shedding the load is shed first (shed_negotiation, shed_create)
        require(self.over_capacity(s))
        first = (s.hung >= 1) if not self.short_timeout else False
        second = (self.regional_negotiations(s) >= 1) & self.negotiation_waits(s)
        require(Or(first, second))
        s.hz_failed = True
        self.reached(s, "first_impact", first)
        self.reached(s, "second_impact", second & (s.hung == 0) & self.some_node_down(s))

    @action(fair="weak")
    def shed_negotiation(self, s: Any, v: Volume) -> None:
        """(shedding) "be more Availability Zone aware and shed load intelligently when it is
        over capacity": with another zone's call waiting and every regional thread busy with
        the degraded zone, the control plane fails one of its negotiations, and the thread is
        free for the waiting call; the volume will negotiate again. (Time is not modelled: the
        shed comes before the waiting call's deadline, so with shedding `api_error` never
        happens; what shedding costs is the degraded zone's negotiations.)"""
        require(self.shedding)
        require(self.over_capacity(s) & s.calling[v])
        s.calling[v] = False

    @action(fair="weak")
    def shed_create(self, s: Any) -> None:
        """(shedding) As `shed_negotiation`, for a hung create volume call of the degraded
        zone: it fails at once (its customer gets an error) rather than hold the thread."""
        require(self.shedding)
        require(self.over_capacity(s) & (s.hung >= 1))
        s.hung -= 1

    # -- the operators --------------------------------------------------------------------------

    @action
    def disable_create_volume(self, s: Any) -> None:
        """"At 2:40 AM PDT on April 21st, the team deployed a change that disabled all new
        Create Volume requests in the affected Availability Zone" (calls already hung keep
        their threads until they time out)."""
        require(self.operators)
        require(~s.create_disabled)
        s.create_disabled = True
        self.reached(s, "create_disabled")

    @action
    def disable_cp_communication(self, s: Any) -> None:
        """"At 8:20 AM PDT, the team began disabling all communication between the degraded EBS
        cluster in the affected Availability Zone and the EBS control plane": negotiations in
        progress release their regional threads and wait."""
        require(self.operators)
        require(s.create_disabled & (s.cp_link == CpLink.on))
        s.cp_link = CpLink.off
        for v in self.Volume:
            s.calling[v] = False
        self.reached(s, "cp_disabled")

    @action(fair="weak")
    def restore_cp_communication(self, s: Any) -> None:
        """"By 3:35PM PDT [April 23], we finished enabling access to the EBS control plane to
        the degraded Availability Zone. This allowed most of the remaining volumes, which were
        waiting on the EBS control plane to help negotiate which replica would be writable, to
        once again be usable" (weakly fair: it was done, once). "Once there was sufficient
        capacity added to the cluster, the team worked on re-establishing EBS control plane API
        access": after the searches were stopped and every slot of capacity_budget installed."""
        require(self.operators)
        require((s.cp_link == CpLink.off) & s.futile_stopped & (s.added == self.capacity_budget))
        s.cp_link = CpLink.restored
        self.reached(s, "cp_restored")

    @action(fair="weak")
    def stop_futile_searches(self, s: Any) -> None:
        """"At 11:30AM PDT, the team developed a way to prevent EBS servers in the degraded EBS
        cluster from futilely contacting other servers [...] After this change was made, the
        cluster stopped degrading further": failed searches back off, no more race crashes.
        Weakly fair, as the restoration is: once the communication was cut, it was done (so a
        behaviour cannot leave the control plane cut off for ever by never taking this step)."""
        require(self.operators)
        require((s.cp_link == CpLink.off) & ~s.futile_stopped)
        s.futile_stopped = True
        self.reached(s, "futile_stopped")

    @action
    def add_capacity(self, s: Any, n: Node) -> None:
        """"bringing additional storage capacity online to allow the 'stuck' volumes to find
        enough space" (bounded by capacity_budget; not fair). With the operators, after the
        searches were stopped (02:00 AM April 22: "because of the changes made to reduce the
        node-to-node communication [...] the team had difficulty incorporating the new
        capacity")."""
        require((s.added < self.capacity_budget) & s.up[n])
        if self.operators:
            require(s.futile_stopped)
        self.reached(s, "capacity_added", s.added + 1 == self.capacity_budget)  # the last slot
        s.free[n] += 1
        s.added += 1

    # -- properties ---------------------------------------------------------------------------------

    def healthy(self, s: Any, v: Any) -> Any:
        return s.st[v] == St.healthy

    @invariant
    def no_data_loss(self, s: Any) -> Any:
        """Every volume's latest data is on a disk that still has it: its primary's or its
        mirror's (I/O is blocked while a volume is re-mirrored, so both hold the latest data).
        A software crash keeps the disk: the node is down but the data is recoverable."""
        return forall(
            self.Volume,
            lambda v: exists(self.Node, lambda n: ((s.prim[v] == n) | (s.mate[v] == n)) & s.disk_ok[n]),
        )

    @invariant
    def single_writable_primary(self, s: Any) -> Any:
        """"there must only be a single primary replica for each volume at any time": never does
        a mirror that promoted itself serve I/O while the primary serves it too. A node serves
        only while the instance can reach it: a node cut off by the network event serves no one,
        so the two must both be reachable (after the rollback, say) to be two writers."""
        return forall(self.Volume, lambda v: ~(s.rogue[v] & self.healthy(s, v) & self.peer_linked(s, v)))

    @invariant
    def healthy_zone_served(self, s: Any) -> Any:
        """No API call of the healthy zone fails: no brown-out reaches the other zone."""
        return ~s.hz_failed

    @liveness
    def volumes_served_again(self, s: Any) -> Any:
        """Once the network event is rolled back and the faults have stopped, every volume is
        eventually served again (all at once), under weak fairness of the protocol."""
        quiet = s.faults_over & s.isolated.is_empty()
        some_stuck = exists(self.Volume, lambda v: ~self.healthy(s, v))
        return leads_to(some_stuck & quiet, forall(self.Volume, lambda v: self.healthy(s, v)))

    @liveness
    def healthy_zone_eventually_served(self, s: Any) -> Any:
        """Every API call of the healthy zone is eventually served."""
        return leads_to(s.hz_waiting, ~s.hz_waiting)

    @measure
    def stuck_volumes(self, s: Any) -> Any:
        """Volumes whose I/O is blocked."""
        return symmetric_count(self.Volume, lambda v: ~self.healthy(s, v))

    def lost_for_good(self, s: Any, v: Any) -> Any:
        """Both holders of v are down: nothing brings a stopped node back (failed nodes are not
        reused), so no copy of v is ever served again."""
        return ~self.prim_up(s, v) & ~self.mate_up(s, v)

    def waits_for_good(self, s: Any, v: Any) -> Any:
        """v's running primary searches or backs off, no node has a place for it, and (with the
        retry logic) its previous peer is not there to reconnect to."""
        waiting = (s.st[v] == St.searching) | (s.st[v] == St.backoff)
        ok = self.prim_up(s, v) & waiting & ~self.has_place(s, v)
        if self.retry_logic:
            ok = ok & ~self.peer_linked(s, v)
        return ok

    def settled(self, s: Any) -> Any:
        """The storm is over: the faults have stopped, the network event is rolled back, every
        slot of capacity_budget is installed, no kept copy waits to be freed, and every volume
        is healthy, lost for good or waiting for good. From such a state no step (fair or not,
        race crashes and the operators' included) frees a slot for a waiting volume: a slot
        comes back only when a copy completes, a reservation is dropped, a kept copy is freed
        or capacity is added, and none of these can happen any more; a race crash only takes
        nodes away. So the volumes not served here are never served again."""
        quiet = s.faults_over & s.isolated.is_empty() & (s.added == self.capacity_budget)
        quiet = quiet & forall(self.Node, lambda n: ~((s.held[n] >= 1) & self.reaches(s, n)))
        return quiet & forall(
            self.Volume,
            lambda v: (self.healthy(s, v) & ~self.lost_for_good(s, v))
            | self.lost_for_good(s, v)
            | self.waits_for_good(s, v),
        )

    @measure
    def stuck_at_end(self, s: Any) -> Any:
        """Volumes never served again: in a `settled` state, the volumes not healthy or lost
        for good. Its maximum is the worst the storm leaves behind for good (0 when every
        storm ends with every volume served); `stuck_volumes` is every volume blocked at some
        moment, the network event's included."""
        return If(
            self.settled(s),
            symmetric_count(self.Volume, lambda v: ~self.healthy(s, v) | self.lost_for_good(s, v)),
            0,
        )

    @measure
    def failed_nodes(self, s: Any) -> Any:
        """Nodes down (a race crash or a hardware failure). A variant whose maximum is 0 never
        sees a node fail: that it holds says nothing about surviving one."""
        return symmetric_count(self.Node, lambda n: ~s.up[n])

    @measure
    def regional_threads_held_by_degraded_zone(self, s: Any) -> Any:
        """Regional threads busy with the degraded zone (hung creates and negotiations)."""
        return s.hung + self.regional_negotiations(s)

    @reachable(when="timeline")
    def the_outage_runs_its_course(self, s: Any) -> Any:
        """The whole 2011 timeline in one behaviour, in its order (docs/models/ebs.outage.md
        annotates the shortest witness): every event of TIMELINE has happened, one after the
        other, from the first impact (12:50 AM) to the control plane restored (3:35 PM April
        23), and every volume is served again."""
        return (s.phase == len(TIMELINE)) & forall(self.Volume, lambda v: self.healthy(s, v))

    @reachable
    def a_volume_is_re_mirrored(self, s: Any) -> Any:
        """Guards against a vacuous model: some search finds a free slot."""
        return exists(self.Volume, lambda v: s.st[v] == St.copying)
