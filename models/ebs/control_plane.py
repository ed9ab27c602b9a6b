"""EBS control plane: one degraded zone starving the region's thread pool.

Post-mortem (Primary Outage): "Because the EBS control plane (and the create volume API in
particular) was configured with a long time-out period, these slow API calls began to back up
and resulted in thread starvation in the EBS control plane. The EBS control plane has a
regional pool of available threads it can use to service requests. When these threads were
completely filled up by the large number of queued requests, the EBS control plane had no
ability to service API requests and began to fail API requests for other Availability Zones in
that Region as well. At 2:40 AM PDT on April 21st, the team deployed a change that disabled all
new Create Volume requests in the affected Availability Zone, and by 2:50 AM PDT, latencies and
error rates for all other EBS related APIs recovered."

Fixes (Impact to Multiple Availability Zones): "we will immediately improve our timeout logic
to prevent thread exhaustion when a single Availability Zone cluster is taking too long to
process requests. [...] we will also add the ability for our EBS control plane to be more
Availability Zone aware and shed load intelligently when it is over capacity. [...] creating
per-EBS cluster deployments of these services (which run in the same Availability Zone as the
EBS cluster they are supporting), we can provide even better Availability Zone isolation."

The protocol. API calls (create volume) arrive for each zone into that zone's bounded FIFO
queue. A pool of threads serves them: a thread takes the oldest waiting call of any zone (one
regional pool), or of its own zone (per-zone pools), and calls the zone's EBS cluster. A
healthy cluster answers after `service` ticks; a degraded cluster never answers, so the thread
is held until the control plane's `timeout` fires and releases it. A call that has waited
`bound` ticks without a thread fails at the client (an API error), and the client retries it
at once: it goes to the back of its zone's queue, age 0. Which zone degrades, and when, is a
fault (`degrade(z)`, chosen over the symmetric sort Zone, spending the fault budget).

Time is a discrete `tick` that ages every waiting call and every busy thread. Everything else
takes no time, and what the control plane must do now is *urgent*: tick is disabled while a
thread is idle and a call waits, while a healthy call's answer is due, while a timeout is due,
and while a late call has not been failed and retried. Without urgency a lazy dispatcher could
let time pass with threads idle, and every variant would violate the bound for no reason in
the protocol. Tick is weakly fair, so time never stops (a run where time stops would keep
every degraded call's thread forever and make liveness trivially false); it is always enabled
again after finitely many instantaneous steps (arrivals, dispatches and retries are bounded by
the queues and the pool), so there are no Zeno runs. Dispatch, completion, timeout, retry,
shedding and the operator are weakly fair; arrivals and the fault are not (the environment may
send calls, or degrade a zone, or not).

Load (MODELS.md: "A protection is only shown sufficient when it holds for queue depths above
one call per zone"): by default two calls per zone can wait, the negotiation load of the
second API impact: "the volume of such negotiations with the EBS control plane increased.
[...] the number of these calls increased as the system retried and new requests came in. The
load caused a brown out of the EBS control plane and again affected EBS APIs across the
Region." Two zones by default: one to degrade, one healthy, the least a brown-out needs.

Variants (settings in parentheses; the assumption each encodes):
- `regional_pool_long_timeout` (2011): one regional pool of `threads`, `timeout` = 4 > `bound`.
- `short_timeout`: fix 1 ("improve our timeout logic to prevent thread exhaustion"), `timeout`
  = 2, at the brown-out's load of two calls per zone.
- `short_timeout_one_call`: the same at one call per zone.
- `zone_bulkhead`: fix 3, per-cluster control-plane services: each zone has its own pool of
  `zone_threads` threads, so a degraded zone can exhaust only its own.
- `load_shedding`: fix 2 ("more Availability Zone aware and shed load intelligently when it is
  over capacity") with the 2011 time-out: a zone seen answering later than a healthy one is
  known slow; over capacity its in-flight calls are failed (`shed`) and it gets no thread
  while another zone's call waits. No zone is capped before it is seen slow.
- `zone_cap`: a fixed cap of `zone_cap` threads per zone (what was checked before as load
  shedding), with no zone degraded, on 3 zones.
- `disable_degraded_zone`: the 2011 pool and timeout, plus the operator, who (eventually, with
  no deadline) disables new create-volume calls for a degraded zone.
"""

from typing import Any

from replicheck.lang import (
    If,
    Map,
    Model,
    ModelError,
    Range,
    SetOf,
    Sort,
    Var,
    action,
    exists,
    forall,
    implies,
    invariant,
    leads_to,
    liveness,
    measure,
    reachable,
    require,
    sum_of,
)
from replicheck.lang.faults import FaultBudget
from replicheck.properties import responds_within

Zone = Sort("Zone", default=2, symmetric=True, prefix="z")  # one degraded zone and one healthy: the least a brown-out needs
Watched = Range(0, 1)  # a parameter type: 1 marks the call liveness follows (named, so that mypy reads it)
Held = Range(0, lambda m: m.timeout - 1)  # a parameter type: how long a shed call's thread was held


class ControlPlane(FaultBudget, Model):
    name = "ebs.control_plane"

    Zone = Zone

    threads: int = 2  # T: the regional pool
    queue: int = 2  # per-zone queue capacity: 2 calls, the load the brown-out needs
    bound: int = 3  # L: a call must get a thread within L ticks of its (latest) submission
    timeout: int = 4  # ticks a thread waits for a cluster before giving up
    service: int = 1  # ticks a healthy cluster takes to answer
    fault_budget: int = 1  # how many zones may degrade
    bulkhead: bool = False  # per-zone pools of zone_threads instead of one regional pool
    zone_threads: int = 1
    shedding: bool = False  # zone-aware load shedding when over capacity (no fixed cap)
    zone_cap: int = 0  # a fixed cap: a zone may hold at most zone_cap threads (0: no cap)
    operator: bool = False  # the operator disables create volume for a degraded zone

    variants = {
        "regional_pool_long_timeout": {},
        "short_timeout": {"timeout": 2},
        "short_timeout_one_call": {"timeout": 2, "queue": 1},
        "zone_bulkhead": {"bulkhead": True},
        "load_shedding": {"shedding": True},
        "zone_cap": {"zone_cap": 1, "Zone": 3, "fault_budget": 0},
        "disable_degraded_zone": {"operator": True},
    }
    expected = {
        "regional_pool_long_timeout": {"healthy_zone_served": "violated", "healthy_zone_eventually_served": "violated"},
        "short_timeout": {"healthy_zone_served": "violated", "healthy_zone_eventually_served": "violated"},
        "short_timeout_one_call": {"healthy_zone_served": "holds", "healthy_zone_eventually_served": "holds"},
        "zone_bulkhead": {"healthy_zone_served": "holds", "healthy_zone_eventually_served": "holds"},
        "load_shedding": {"healthy_zone_served": "holds", "healthy_zone_eventually_served": "holds"},
        "zone_cap": {"healthy_zone_served": "violated", "healthy_zone_eventually_served": "violated"},
        "disable_degraded_zone": {"healthy_zone_served": "violated", "healthy_zone_eventually_served": "holds"},
    }
    reasons = {
        "regional_pool_long_timeout": "The degraded zone's calls take both regional threads for the 4-tick time-out, "
        "longer than a healthy call may wait (10 steps); with clients retrying, for ever (the first API impact).",
        "short_timeout": "Threads are released after 2 ticks, but with two calls per zone queued (the negotiation load) "
        "the degraded zone's older calls take the freed threads again: the brown-out survives the first fix.",
        "short_timeout_one_call": "With one call per zone, a thread held 2 ticks is released before a healthy call behind "
        "it runs out of time: the short time-out is sufficient only at this load.",
        "zone_bulkhead": "Per-zone pools: a degraded zone can exhaust only its own threads.",
        "load_shedding": "Once a zone is seen to answer late, its in-flight calls are failed while another zone waits "
        "and it gets no thread while others wait: healthy calls wait at most the detection time.",
        "zone_cap": "A fixed cap of one thread per zone leaves a thread idle while a healthy zone's second call waits: "
        "healthy zones starve with no zone degraded at all (3 zones, 2 calls queued each).",
        "disable_degraded_zone": "The operator has no deadline and frees no thread already stuck, so the bound fails as "
        "in 2011 (10 steps); he eventually refuses the zone's calls, so liveness holds: recovery, not protection.",
    }

    def __init__(self, variant: str | None = None, **settings: Any) -> None:
        super().__init__(variant, **settings)
        self._refuse_meaningless_settings()

    def _refuse_meaningless_settings(self) -> None:
        """Settings without a meaning in this model are refused when it is made (exit 2 at
        `--set` time), each naming the setting and what is allowed."""

        def refuse(problem: str, hint: str) -> None:
            raise ModelError(f"ebs.control_plane: {problem}", hint)

        zones = self.settings()["Zone"]
        for key, least in (("threads", 1), ("queue", 1), ("bound", 0), ("service", 1), ("zone_threads", 1)):
            if getattr(self, key) < least:
                refuse(f"{key}={getattr(self, key)} is out of range", f"Write {key}={least} or more.")
        if self.timeout <= self.service:
            refuse(
                f"timeout={self.timeout} must be longer than service={self.service}: a time-out no longer than a "
                "healthy answer fails healthy calls too",
                f"Write timeout={self.service + 1} or more.",
            )
        if not 0 <= self.fault_budget <= zones:
            refuse(f"fault_budget={self.fault_budget}: at most the Zone={zones} zones can degrade", f"Write fault_budget=0..{zones}.")
        if self.bulkhead and (self.shedding or self.zone_cap):
            refuse("shedding and zone_cap act on the regional pool; with bulkhead there is none", "Leave bulkhead false, or shedding false and zone_cap=0.")
        if not self.bulkhead and self.zone_threads != 1:
            refuse(f"zone_threads={self.zone_threads} means something only with bulkhead=true (per-zone pools)", "Write bulkhead=true, or leave zone_threads=1.")
        if not 0 <= self.zone_cap <= self.threads:
            refuse(f"zone_cap={self.zone_cap} is not 0 (no cap) to threads={self.threads}", f"Write zone_cap=0..{self.threads}.")
        if self.shedding and self.zone_cap:
            refuse("shedding and zone_cap are two load-shedding rules; choose one", "Write zone_cap=0 with shedding=true.")

    degraded = SetOf(Zone, doc="zones whose EBS cluster no longer answers (the fault)")
    disabled = SetOf(Zone, doc="zones whose create-volume calls the operator has disabled")
    qlen = Map(Zone, Range(0, "queue"), init=0, doc="calls waiting in each zone's queue")
    age = Map(
        Zone,
        Range(0, lambda m: m.queue - 1),
        Range(0, lambda m: m.bound + 1),
        init=0,
        doc="ticks each waiting call has waited (position 0: the head; unused positions 0)",
    )
    busy = Map(
        Zone,
        Range(0, "timeout"),
        Range(0, "threads"),
        init=0,
        doc="threads busy with a call of the zone, by ticks held so far",
    )
    used = Range(0, "threads", init=0, doc="threads of the regional pool in use (the sum of busy)")
    stuck = Range(0, "threads", init=0, doc="threads held by calls to degraded zones (for the measure)")
    slow_zones = SetOf(Zone, doc="(shedding) zones the control plane has seen answer later than a healthy zone")
    watch = Var(Zone.or_none, init=None, doc="ghost: the zone of the one call liveness follows")
    wpos = Range(0, lambda m: m.queue - 1, init=0, doc="ghost: its position in the zone's queue")

    # -- definitions ---------------------------------------------------------------------

    def held(self, s, z):
        """Threads busy with zone z's calls."""
        return sum_of(range(self.timeout + 1), lambda h: s.busy[z, h])

    def idle(self, s, z):
        """Is there a thread free for a call of zone z?"""
        if self.bulkhead:
            return self.held(s, z) < self.zone_threads
        free = s.used < self.threads
        if self.zone_cap:
            free = free & (self.held(s, z) < self.zone_cap)
        return free

    def others_wait(self, s, z):
        """A call of another zone is waiting."""
        return exists(self.Zone, lambda y: (s.qlen[y] > 0) if y != z else False)

    def over_capacity(self, s, z):
        """(shedding) The pool is over capacity for z's sake: every thread is busy and a call
        of another zone waits for one."""
        return (s.used >= self.threads) & self.others_wait(s, z)

    def can_dispatch(self, s, z):
        ok = (s.qlen[z] > 0) & self.idle(s, z)
        if self.shedding:
            # zone-aware dispatch: a zone known to be slow gets no thread while a call of
            # another zone is waiting
            ok = ok & ~(s.slow_zones[z] & self.others_wait(s, z))
        return ok

    def can_shed(self, s, z, h):
        """(shedding) A call of slow zone z, held h ticks (before its time-out is due), may be
        failed to free its thread for a waiting call of another zone."""
        if not self.shedding or h >= self.timeout:
            return False
        return s.slow_zones[z] & (s.busy[z, h] > 0) & self.over_capacity(s, z)

    def pop_head(self, s, z, rotate):
        """Remove z's head call; with `rotate`, put it back at the tail with age 0."""
        n = self.queue
        for i in range(n):
            nxt = s.age[z, i + 1] if i + 1 < n else 0
            s.age[z, i] = If(i + 1 < s.qlen[z], nxt, 0)
        if not rotate:
            s.qlen[z] -= 1
        is_watched = s.watch == z
        if rotate:
            s.wpos = If(is_watched, If(s.wpos == 0, s.qlen[z] - 1, s.wpos - 1), s.wpos)
        else:
            served = is_watched & (s.wpos == 0)
            s.watch = If(served, None, s.watch)
            s.wpos = If(served, 0, If(is_watched, s.wpos - 1, s.wpos))

    def take_thread(self, s, z, d):
        """Keep the derived counters in step with busy (sums over zones are kept as state:
        the static symmetry check compares expressions structurally, and a sum over three
        zones is a nested, ordered chain of additions)."""
        if not self.bulkhead:
            s.used += d
        s.stuck += If(s.degraded[z], d, 0)

    def due(self, s):
        """Something the control plane does at this instant, before time may pass."""
        return exists(
            self.Zone,
            lambda z: self.can_dispatch(s, z)
            | (s.busy[z, self.timeout] > 0)
            | (~s.degraded[z] & (s.busy[z, self.service] > 0))
            | ((s.qlen[z] > 0) & (s.age[z, 0] > self.bound))
            | exists(range(self.timeout), lambda h: self.can_shed(s, z, h)),
        )

    # -- the environment -----------------------------------------------------------------

    @action
    def arrive(self, s, z: Zone, watched: Watched):
        """A customer calls create volume in zone z (rejected while z is disabled). With
        `watched` = 1 the call becomes the one liveness follows (any call may be chosen)."""
        require((s.qlen[z] < self.queue) & ~s.disabled[z])
        if watched:
            require(s.watch == None)  # noqa: E711
            s.watch = z
            s.wpos = s.qlen[z]
        s.qlen[z] += 1

    @action
    def degrade(self, s, z: Zone):
        """The re-mirroring storm: z's cluster "became unable to service 'create volume' API
        requests" (a fault; calls already in flight to z hang too)."""
        require(~s.degraded[z])
        self.spend_fault(s)
        s.degraded[z] = True
        s.stuck += self.held(s, z)

    # -- the control plane ---------------------------------------------------------------

    @action(fair="weak")
    def dispatch(self, s, z: Zone):
        """A free thread takes z's oldest call; in the regional pool, only if no other zone
        that could be served has an older call waiting (one FIFO over the region)."""
        require(self.can_dispatch(s, z))
        if not self.bulkhead:
            for y in self.Zone:
                if y != z:
                    require(~self.can_dispatch(s, y) | (s.age[y, 0] <= s.age[z, 0]))
        self.pop_head(s, z, rotate=False)
        s.busy[z, 0] += 1
        self.take_thread(s, z, +1)

    @action(fair="weak")
    def complete(self, s, z: Zone):
        """A healthy cluster answers: the call succeeds and its thread is free again."""
        require(~s.degraded[z] & (s.busy[z, self.service] > 0))
        s.busy[z, self.service] -= 1
        self.take_thread(s, z, -1)

    @action(fair="weak")
    def time_out(self, s, z: Zone):
        """The control plane gives up on a call to z after `timeout` ticks (an API error) and
        the thread is released."""
        require(s.busy[z, self.timeout] > 0)
        s.busy[z, self.timeout] -= 1
        self.take_thread(s, z, -1)

    @action(fair="weak")
    def retry(self, s, z: Zone):
        """A call that waited more than `bound` ticks has failed at the client, which calls
        again at once: it goes to the back of z's queue, age 0."""
        require((s.qlen[z] > 0) & (s.age[z, 0] > self.bound))
        self.pop_head(s, z, rotate=True)

    @action(fair="weak")
    def shed(self, s, z: Zone, h: Held):
        """(load_shedding) "more Availability Zone aware and shed load intelligently when it is
        over capacity": while every thread is busy and another zone's call waits, a call to a
        zone known to be slow is failed at once (an API error for that zone only) and its
        thread freed. Only a degraded zone can be known slow (see `tick`), so a healthy
        zone's call is never shed."""
        require(self.can_shed(s, z, h))
        s.busy[z, h] -= 1
        self.take_thread(s, z, -1)

    @action(fair="weak")
    def disable_zone(self, s, z: Zone):
        """(disable_degraded_zone) The operator "disabled all new Create Volume requests in
        the affected Availability Zone": waiting calls of z fail, new ones are refused.
        Threads already calling z stay held until they time out."""
        require(self.operator)
        require(s.degraded[z] & ~s.disabled[z])
        s.disabled[z] = True
        s.qlen[z] = 0
        for i in range(self.queue):
            s.age[z, i] = 0
        clear = s.watch == z
        s.watch = If(clear, None, s.watch)
        s.wpos = If(clear, 0, s.wpos)

    @action(fair="weak")
    def tick(self, s):
        """Time passes: every waiting call and every busy thread ages by one tick."""
        require(~self.due(s))
        for z in self.Zone:
            if self.shedding:
                # a call held `service` ticks unanswered is late once this tick passes: the
                # control plane now knows z is slow (a healthy zone's answer is urgent at
                # `service`, so only a degraded zone is ever marked)
                s.slow_zones[z] = s.slow_zones[z] | (s.busy[z, self.service] > 0)
            for i in range(self.queue):
                s.age[z, i] = If(i < s.qlen[z], s.age[z, i] + 1, 0)
            for h in range(self.timeout, 0, -1):
                s.busy[z, h] = s.busy[z, h - 1]
            s.busy[z, 0] = 0

    # -- properties ----------------------------------------------------------------------

    def healthy(self, s, z):
        return ~s.degraded[z]

    @invariant
    def healthy_zone_served(self, s):
        """Bounded response: every call waiting in a healthy zone's queue has waited at most
        `bound` ticks for a thread (it then completes `service` ticks later)."""
        return forall(
            self.Zone,
            lambda z: responds_within(
                range(self.queue),
                lambda i: self.healthy(s, z) & (i < s.qlen[z]),
                lambda i: s.age[z, i],
                self.bound,
            ),
        )

    @liveness
    def healthy_zone_eventually_served(self, s):
        """Whenever a call from a healthy zone waits (the watched one, which may be any call),
        it eventually gets a thread, or its zone degrades (retries keep it waiting: a failed
        call is not served)."""
        waiting = exists(self.Zone, lambda z: (s.watch == z) & self.healthy(s, z))
        done = forall(self.Zone, lambda z: implies(s.watch == z, s.degraded[z]))
        return leads_to(waiting, done)

    @invariant(strengthening=True)
    def only_degraded_zones_are_known_slow(self, s):
        """(shedding) The control plane marks a zone slow only when its cluster has degraded,
        so shedding never fails a healthy zone's call."""
        return forall(self.Zone, lambda z: implies(s.slow_zones[z], s.degraded[z]))

    @measure
    def threads_held_by_degraded_zones(self, s):
        """Threads of the pool busy with calls that will only time out."""
        return s.stuck

    @reachable
    def a_zone_degrades_with_calls_in_flight(self, s):
        return exists(self.Zone, lambda z: s.degraded[z] & (self.held(s, z) > 0))

    @reachable
    def a_healthy_call_waits(self, s):
        return exists(self.Zone, lambda z: self.healthy(s, z) & (s.qlen[z] > 0) & (s.age[z, 0] > 0))
