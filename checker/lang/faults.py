"""The fault library: reusable, composable fault actions that share one fault budget.

Owns: mixin classes a model inherits to get faults without writing them again:
`FaultBudget` (the shared `faults` counter and `fault_budget` setting), `Partitions(Node)`
(node-to-node links cut and healed, symmetric or one-way), `Isolation(Node)` (the misrouted
traffic shift: an arbitrary set of nodes cut off at once, then rolled back), `AuthorityLinks
(Node)` (each node's link to a control plane or monitor), `Crashes(Node)` (crash and, if
wanted, restart), and `StuckIO(Node)` (a node's storage stops answering). Every fault spends
one unit of the budget, so state spaces stay finite; repairs are free and may be declared
weakly fair so that liveness holds "once faults stop".

    class Election(Partitions(Node), AuthorityLinks(Node), Crashes(Node), Model): ...

Each factory takes the sort object and returns a class; two mixins over the same sort may be
combined. The helpers (`connected`, `reaches_authority`, ...) are plain methods to call from
actions and properties.

Must not import: anything of checker but `replicheck.ir` and `replicheck.lang`.
"""

from __future__ import annotations

from typing import Any

from .declarations import Bool, Map, Range, SetOf, Sort, Var
from .model import Model, action
from .tracing import require

# NB: the mixins below are built inside factory functions so that their action annotations
# (`a: sort`) are the real sort objects; this module must not use postponed annotations in
# those bodies, hence the explicit `__annotations__` assignments.


class FaultBudget(Model):
    """The budget every fault spends: at most `fault_budget` faults in one behaviour."""

    fault_budget: int = 2
    faults = Range(0, "fault_budget", init=0, doc="faults injected so far")

    def spend_fault(self, s: Any) -> None:
        """Guard a fault action on the budget and spend one unit of it."""
        require(s.faults < self.fault_budget)
        if isinstance(self, FaultsStop):
            require(~s.faults_over)
        s.faults += 1


class FaultsStop(FaultBudget):
    """Adds `stop_faults` (not fair: it may or may not happen), which ends the faults for
    good, so that a liveness property can say "once faults stop":
    `leads_to(trigger & s.faults_over, response)`. The checker explores stopping at every
    point, so this covers every behaviour whose faults end at some point. Opt-in, because
    the extra bit doubles the state space."""

    faults_over = Var(Bool, init=False, doc="no more faults will happen")

    @action
    def stop_faults(self, s: Any) -> None:
        require(~s.faults_over)
        s.faults_over = True


def _with_params(fn: Any, **types: Any) -> Any:
    fn.__annotations__ = dict(types)
    return fn


def Partitions(sort: Sort, one_way: bool = False, heal_fair: str | None = "weak") -> type:
    """`link[a, b]` between elements of `sort`; `partition(a, b)` cuts it (both directions
    unless `one_way`), `heal(a, b)` restores it."""

    class _Partitions(FaultBudget):
        link = Map(sort, sort, Bool, init=True, doc=f"can {sort.name} a reach {sort.name} b?")

        def partition(self, s: Any, a: Any, b: Any) -> None:
            require(a != b)
            require(s.link[a, b])
            self.spend_fault(s)
            s.link[a, b] = False
            if not one_way:
                s.link[b, a] = False

        def heal(self, s: Any, a: Any, b: Any) -> None:
            require(a != b)
            require(~s.link[a, b])
            s.link[a, b] = True
            if not one_way:
                s.link[b, a] = True

        partition = action(_with_params(partition, a=sort, b=sort))
        heal = action(_with_params(heal, a=sort, b=sort), fair=heal_fair)

        def connected(self, s: Any, a: Any, b: Any) -> Any:
            """Can a's messages reach b? (Also false while either is isolated, if the model
            uses Isolation.)"""
            c = s.link[a, b]
            if hasattr(self, "is_isolated"):
                c = c & ~self.is_isolated(s, a) & ~self.is_isolated(s, b)
            return c

    _Partitions.__name__ = f"Partitions_{sort.name}"
    return _Partitions


def Isolation(sort: Sort, rollback_fair: str | None = "weak") -> type:
    """The misrouted traffic shift: `isolate(group)` cuts an arbitrary non-empty set of
    elements off from everything at once (one fault); `rollback()` restores them all."""

    class _Isolation(FaultBudget):
        isolated = SetOf(sort, doc=f"{sort.name}s cut off from everything by the network event")

        def isolate(self, s: Any, group: Any) -> None:
            require(s.isolated.is_empty())
            self.spend_fault(s)
            for n in getattr(self, sort.name):
                if group >> n.index & 1:
                    s.isolated[n] = True

        def rollback(self, s: Any) -> None:
            require(~s.isolated.is_empty())
            s.isolated.clear()

        isolate = action(_with_params(isolate, group=Range(1, lambda m: 2 ** len(getattr(m, sort.name)) - 1)))
        rollback = action(rollback, fair=rollback_fair)

        def is_isolated(self, s: Any, n: Any) -> Any:
            return s.isolated[n]

    _Isolation.__name__ = f"Isolation_{sort.name}"
    return _Isolation


def AuthorityLinks(sort: Sort, heal_fair: str | None = "weak") -> type:
    """`authority_link[n]`: can n reach the control plane (or monitor)? `cut_authority(n)`
    cuts it; `heal_authority(n)` restores it unless the setting `authority_heals` is False (a
    control plane that stays unreachable)."""

    class _AuthorityLinks(FaultBudget):
        authority_heals: bool = True
        authority_link = Map(sort, Bool, init=True, doc=f"can the {sort.name} reach the control plane?")

        def cut_authority(self, s: Any, n: Any) -> None:
            require(s.authority_link[n])
            self.spend_fault(s)
            s.authority_link[n] = False

        def heal_authority(self, s: Any, n: Any) -> None:
            require(~s.authority_link[n])
            if not self.authority_heals:
                require(False)
            s.authority_link[n] = True

        cut_authority = action(_with_params(cut_authority, n=sort))
        heal_authority = action(_with_params(heal_authority, n=sort), fair=heal_fair)

        def reaches_authority(self, s: Any, n: Any) -> Any:
            c = s.authority_link[n]
            if hasattr(self, "is_isolated"):
                c = c & ~self.is_isolated(s, n)
            return c

    _AuthorityLinks.__name__ = f"AuthorityLinks_{sort.name}"
    return _AuthorityLinks


def Crashes(sort: Sort, restart: bool = True, restart_fair: str | None = "weak") -> type:
    """`up[n]`; `crash(n)` stops n (one fault); `restart(n)` brings it back with its disk."""

    class _Crashes(FaultBudget):
        up = Map(sort, Bool, init=True, doc=f"is the {sort.name} running?")

        def crash(self, s: Any, n: Any) -> None:
            require(s.up[n])
            self.spend_fault(s)
            s.up[n] = False

        def restart_node(self, s: Any, n: Any) -> None:
            require(~s.up[n])
            if not restart:
                require(False)
            s.up[n] = True
            self.on_restart(s, n)

        crash = action(_with_params(crash, n=sort))
        restart_node = action(_with_params(restart_node, n=sort), fair=restart_fair)

        def on_restart(self, s: Any, n: Any) -> None:
            """Override to reset volatile state when a node restarts."""

    _Crashes.__name__ = f"Crashes_{sort.name}"
    return _Crashes


def StuckIO(sort: Sort) -> type:
    """`stuck[n]`: n's storage stops answering; `stick(n)` is one fault, never repaired by
    itself (repairs, like manual intervention, are the model's own actions). Override
    `may_stick(s, n)` to say where storage can get stuck (e.g. only in the affected zone)."""

    class _StuckIO(FaultBudget):
        stuck = Map(sort, Bool, init=False, doc=f"is the {sort.name}'s I/O stuck?")

        def stick(self, s: Any, n: Any) -> None:
            require(~s.stuck[n] & self.may_stick(s, n))
            self.spend_fault(s)
            s.stuck[n] = True

        def may_stick(self, s: Any, n: Any) -> Any:
            return True

        stick = action(_with_params(stick, n=sort))

    _StuckIO.__name__ = f"StuckIO_{sort.name}"
    return _StuckIO


__all__ = ["FaultBudget", "FaultsStop", "Partitions", "Isolation", "AuthorityLinks", "Crashes", "StuckIO"]
