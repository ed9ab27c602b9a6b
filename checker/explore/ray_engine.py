"""The ray engine: a breadth-first search partitioned by a hash of the packed state over Ray
actors, with the batch engine's results.

Owns: `ray_bfs(program, options) -> CheckResult` (the driver: connecting to Ray or starting a
local one, the partitions as actors, the level loop, the events of the rows that need a closer
look, paths across partitions, limits, checkpoints, a partition that dies), `Cluster` (how
the driver calls the partitions: `RayCluster` through Ray, `InProcess` in this process, which
the tests use to check the protocol without Ray), and the message when Ray is missing.

Must not import: ray at module level (only inside the functions that need it: the core
stays light without the `ray` extra), z3, hypothesis, `replicheck.cli`, `models`.

One level, with P partitions (`replicheck.explore.ray_partition` says what each step does):
every partition expands its frontier and reports the rows needing a closer look; the
driver handles those in position order exactly as the batch engine handles a chunk's (the
same `BatchSearch` methods, on each row alone), which fixes where the level stops if a
violation stops it; the partitions route their successors to the owners, which admit the new
ones; the new states' positions come from a sort of their ranks by ranges (each partition
sorts one range of parent positions; the driver adds up the ranges' counts). So the states of
each level, their order, their parents and the counts equal the batch engine's, and a
counterexample is the batch engine's trace.

A partition that dies (its process killed, its node lost) ends the run as incomplete (stop
reason "partition died") with a warning naming the partition and the last checkpoint to
resume from (or saying that none was written). Limits are checked at level boundaries, and
`--max-seconds` and Ctrl-C also while the driver waits for the partitions.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from replicheck.backends import reference as R
from replicheck.backends.numpy_batch import fingerprint
from replicheck.errors import EngineUnavailable, OptionError
from replicheck.ir import Program, State
from replicheck.report.results import CheckResult

from .batch import BatchSearch
from .bfs import never_enabled_warnings
from .checkpoint import Checkpoint, identity, owner_of, restore_run, run_state
from .memory import peak_resident_bytes, resident_bytes
from .options import CheckOptions
from .ray_partition import Partition, partition_options
from .store_hash import collision_probability
from .traces import InternalCheckerError

Array = Any
NEEDS_RAY = "the ray engine needs Ray: pip install 'replicheck[ray]'"
WAIT_SLICE = 0.25  # seconds between two looks at the limits while waiting for the partitions
START_SECONDS = 120.0  # for the partitions to start before the cluster is said to lack room
_runs = itertools.count()


class StopWaiting(Exception):
    """A limit (or Ctrl-C) while the driver waited: the run stops with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PartitionLost(Exception):
    """A partition's actor died."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


class Cluster:
    """How the driver calls partition i's method: `call` returns a handle (or a list of
    `returns` handles), `get` their values, in order."""

    count: int

    def call(self, i: int, method: str, *args: Any, returns: int = 1) -> Any:
        raise NotImplementedError

    def get(self, handles: list[Any]) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class InProcess(Cluster):
    """Partitions as objects of this process (the protocol without Ray: tests)."""

    def __init__(self, program: Program, options: CheckOptions, count: int) -> None:
        self.count = count
        self.parts = [Partition(program, options, i, count) for i in range(count)]

    def call(self, i: int, method: str, *args: Any, returns: int = 1) -> Any:
        out = getattr(self.parts[i], method)(*args)
        return list(out) if returns > 1 else out

    def get(self, handles: list[Any]) -> list[Any]:
        return list(handles)


class RayCluster(Cluster):
    """Partitions as Ray actors, one per partition, spread over the cluster's nodes."""

    def __init__(self, program: Program, options: CheckOptions, count: int, limits: Callable[[], str]) -> None:
        import ray

        self.ray = ray
        self.count = count
        self.limits = limits
        self.started_ray = False
        run = next(_runs)
        remote: Any = ray.remote(num_cpus=1, max_restarts=0)(Partition)
        shared = ray.put(program)
        self.names = [f"replicheck-{os.getpid()}-{run}-p{i}" for i in range(count)]
        self.actors: list[Any] = [
            remote.options(name=self.names[i], scheduling_strategy="SPREAD").remote(shared, options, i, count)
            for i in range(count)
        ]
        self.by_id = {a._actor_id.hex(): i for i, a in enumerate(self.actors)}
        refs = [a.pid.remote() for a in self.actors]
        ready, _ = ray.wait(refs, num_returns=count, timeout=START_SECONDS)
        if len(ready) < count:
            self.close()
            raise OptionError(f"the Ray cluster did not start {count} partitions within {START_SECONDS:.0f}s "
                              "(each needs one CPU): use fewer --partitions, or add nodes")
        self.pids = self.get(refs)

    def call(self, i: int, method: str, *args: Any, returns: int = 1) -> Any:
        m = getattr(self.actors[i], method)
        if returns != 1:
            return list(m.options(num_returns=returns).remote(*args))
        return m.remote(*args)

    def get(self, handles: list[Any]) -> list[Any]:
        ray = self.ray
        waiting = list(handles)
        try:
            while waiting:
                _, waiting = ray.wait(waiting, num_returns=len(waiting), timeout=WAIT_SLICE)
                if waiting:
                    reason = self.limits()
                    if reason:
                        raise StopWaiting(reason)
            return list(ray.get(list(handles)))
        except ray.exceptions.RayTaskError as err:
            cause = err.cause if isinstance(getattr(err, "cause", None), BaseException) else None
            if cause is not None:
                raise cause from None
            raise
        except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as err:
            actor = getattr(err, "actor_id", None)
            i = self.by_id.get(actor if isinstance(actor, str) else getattr(actor, "hex", lambda: "")(), None)
            raise PartitionLost("a partition" if i is None else f"partition {i} (pid {self.pids[i]})") from None

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass


def connect(options: CheckOptions) -> bool:
    """Ray, initialised for this run: joins `options.ray_address`, else uses the Ray this
    process has initialised, else starts a local one. True if it was started (or joined) here."""
    try:
        import ray
    except ImportError:
        raise EngineUnavailable(NEEDS_RAY) from None
    if ray.is_initialized():
        return False
    kw: dict[str, Any] = {"log_to_driver": False, "namespace": "replicheck", "logging_level": "ERROR"}
    try:
        if options.ray_address:
            ray.init(address=options.ray_address, **kw)
        else:
            cpus = max(os.cpu_count() or 1, options.partitions or 1)
            ray.init(num_cpus=cpus, include_dashboard=False, **kw)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {options.ray_address}" if options.ray_address else "a local Ray"
        raise OptionError(f"cannot start or join {where}: {str(err).splitlines()[0] if str(err) else err!r}") from None
    return True


def default_partitions() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def ray_bfs(program: Program, options: CheckOptions, cluster: Cluster | None = None) -> CheckResult:
    """The partitioned search (`cluster`: partitions already made, e.g. `InProcess`; None:
    Ray actors, on the cluster `connect` gives)."""
    if options.strategy != "bfs":
        raise OptionError("the ray engine is breadth-first; drop --dfs")
    started = False
    search = RaySearch(program, options)
    try:
        if cluster is None:
            started = connect(options)
            count = options.partitions or default_partitions()
            cluster = RayCluster(program, partition_options(options), count, search.limits_while_waiting)
        search.cluster = cluster
        return search.search()
    finally:
        if cluster is not None:
            cluster.close()
        if started:
            import ray

            ray.shutdown()


class RaySearch:
    def __init__(self, program: Program, options: CheckOptions) -> None:
        self.program = program
        self.options = options
        # the row-by-row event handling, and the run's verdicts, limits and progress
        self.local = BatchSearch(program, replace(partition_options(options), progress=options.progress))
        self.run = self.local.run
        self.run.stats.engine = "ray"
        self.run.checks_memory = False
        self.layout = self.local.layout
        self.nact = max(self.local.nact, 1)
        self.cluster: Cluster = InProcess(program, options, 0)
        self.inits: list[State] = []
        self.transitions = 0
        self.pruned = 0
        self.ever_enabled = [False] * self.local.nact
        self.stored = 0
        self.usage: list[dict[str, int]] = []
        self.lost = ""
        self.ckpt: Checkpoint | None = None
        self.bytes_moved = 0  # bytes sent between partitions, and per level (level, new states, bytes)
        self.levels_log: list[tuple[int, int, int]] = []
        self.resumed = ""

    # -- paths ------------------------------------------------------------------------------
    def path(self, level: int, pos: int) -> list[State]:
        c = self.cluster
        acts: list[int] = []
        while level > 0:
            found = [x for x in c.get([c.call(i, "link", level, pos) for i in range(c.count)]) if x is not None]
            if len(found) != 1:
                raise InternalCheckerError(f"ray engine: {len(found)} partitions hold position {pos} of level {level}")
            pos, a = found[0]
            acts.append(a)
            level -= 1
        states = [self.inits[pos]]
        for a in reversed(acts):
            nxt = R.fire(self.program.actions[a], states[-1])
            if nxt is None:
                raise InternalCheckerError(
                    f"ray engine: a stored step ({self.program.actions[a].label}) is not enabled under the reference evaluator"
                )
            states.append(nxt)
        return states

    def limits_while_waiting(self) -> str:
        return self.run.tick(self.stored - self.pruned)

    # -- the search -------------------------------------------------------------------------
    def search(self) -> CheckResult:
        run, c = self.run, self.cluster
        depth, deepest, level, bounded, level_count = 0, 0, 0, False, 0
        stop_reason = ""
        max_depth = self.options.max_level
        try:
            where = self.options.resume or self.options.checkpoint
            if where is not None:
                self.ckpt = Checkpoint(where, identity(self.program, self.options, self.layout.words))
                self.ckpt.prepare(resuming=self.options.resume is not None)
            if self.options.resume is not None:
                assert self.ckpt is not None
                saved = self.ckpt.read()
                restore_run(run, saved)
                self.inits = list(saved.run["inits"])
                st = saved.state
                depth, deepest, level, bounded = int(st["depth"]), int(st["deepest"]), int(st["level"]), bool(st["bounded"])
                self.transitions, self.pruned = int(st["transitions"]), int(st["pruned"])
                self.ever_enabled = [bool(x) for x in st["ever_enabled"]]
                self.stored = sum(c.get([c.call(i, "load", saved) for i in range(c.count)]))
                self.usage = c.get([c.call(i, "usage") for i in range(c.count)])
                level_count = sum(u["frontier"] for u in self.usage)
                self.resumed = f"resumed from the checkpoint in {where} at level {saved.levels} ({self.stored:,} states)"
            else:
                self.inits, stopped = run.initial_states()
                if stopped:
                    return self.finish("")
                keys = self.layout.pack_tuples(self.inits)
                own = owner_of(fingerprint(keys), c.count)
                gpos = np.arange(len(self.inits), dtype=np.int64)
                c.get([c.call(i, "seed", keys[own == i], gpos[own == i]) for i in range(c.count)])
                run.stats.initial_states = self.stored = level_count = len(self.inits)
                depth = 1 if self.inits else 0
                self.save(0, (depth, 0, 0, False))
            while level_count:
                at_bound = max_depth is not None and depth >= max_depth
                bounded |= at_bound
                run.stats.depth = deepest if self.local.constraint_ks else depth
                pruned_before = self.pruned
                new, stop_reason = self.level(level, level_count, at_bound)
                if self.pruned - pruned_before < level_count:
                    deepest = depth
                level_count = new
                if run.done or stop_reason or not new:
                    break
                self.save(level + 1, (depth + 1, deepest, level + 1, bounded))
                stop_reason = run.tick(self.stored - self.pruned) or self.memory_check()
                if stop_reason:
                    break
                depth += 1
                level += 1
            if bounded and not run.done and not stop_reason:
                stop_reason = "max_depth"
        except StopWaiting as halt:
            stop_reason = halt.reason
        except PartitionLost as lost:
            stop_reason = "partition died"
            self.lost = self.lost_message(lost.which, level + 1)
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        run.stats.depth = deepest if self.local.constraint_ks else depth
        return self.finish(stop_reason)

    def level(self, level: int, level_count: int, at_bound: bool) -> tuple[int, str]:
        """Expand one level on every partition; (the next level's size, why the search stops)."""
        c, run, P = self.cluster, self.run, self.cluster.count
        invs, aprops, pending = self.local.live_sets(at_bound)
        reports = c.get([c.call(i, "expand", at_bound, invs, aprops, pending) for i in range(P)])
        unusual: list[tuple[int, list[int]]] = []
        for rows, ever in reports:
            unusual += rows
            for ai in ever:
                self.ever_enabled[ai] = True
        cut, stop_pos, reason = self.events(level, at_bound, unusual) if unusual else (None, None, "")
        routed = [c.call(i, "route", cut, stop_pos, returns=P + 1) for i in range(P)]
        admitted = [c.call(q, "admit", level_count, *[routed[p][1 + q] for p in range(P)], returns=P + 1)
                    for q in range(P)]
        ordered = [c.call(b, "order", *[admitted[q][1 + b] for q in range(P)]) for b in range(P)]
        tallies = c.get([r[0] for r in routed])
        counts = c.get(ordered)
        new = c.get([a[0] for a in admitted])
        offsets = np.concatenate([[0], np.cumsum(counts)]).tolist()
        placed = [c.call(b, "positions", int(offsets[b]), returns=P + 1) for b in range(P)]
        self.usage = c.get([c.call(q, "commit", *[placed[b][1 + q] for b in range(P)]) for q in range(P)])
        del routed, admitted, placed
        self.transitions += sum(t[0] for t in tallies)
        self.pruned += sum(t[1] for t in tallies)
        run.stats.transitions = self.transitions
        self.stored = sum(u["stored"] for u in self.usage)
        # what crossed between partitions: the successors routed to another partition (keys,
        # fingerprint, rank), and each new state's rank and position (at most)
        moved = sum(t[2] for t in tallies) + 16 * int(sum(new))
        self.bytes_moved += moved
        self.levels_log.append((level + 1, int(sum(new)), moved))
        return int(sum(new)), reason

    def events(self, level: int, at_bound: bool,
               rows: list[tuple[int, list[int]]]) -> tuple[int | None, int | None, str]:
        """The rows needing a closer look, in position order, as the batch engine handles a
        chunk's: (the rank before which successors are kept, the position before which rows
        are counted, the stop reason); (None, None, "") when the level goes on whole."""
        run, local, nact, c = self.run, self.local, self.nact, self.cluster
        rows = sorted(rows)
        i = 0
        while i < len(rows):
            pos, words = rows[i]
            invs, aprops, pending = local.live_sets(at_bound)
            keys = np.array([words], dtype=np.int64)
            part = local.evaluate(keys, at_bound, invs, aprops, pending)
            first = local.first_rows(part, at_bound)
            recheck = not first  # reported for what was checked at the level's start, not now
            if first:
                state = self.layout.unpack_tuple(words)
                path = self.path(level, pos)
                if first[0][1]:
                    expand = not at_bound and not (part.outside is not None and part.outside[0])
                    err = local.scalar_error(state, expand, invs, aprops)
                    run.model_error(err, path, not at_bound, invs, aprops)
                    first_bad = min(ai for ai, e in part.errs if e[0])
                    return pos * nact + max(first_bad, 0), pos, "error"
                before = list(run.reach_pending)
                events = local.row_events(part, 0, state, invs, pending, keys, 0)
                new = run.handle_events(events, path) if events else False
                if not run.done and local.is_deadlock(part, 0, at_bound):
                    new |= run.deadlocked(path)
                if run.done:
                    return (pos + 1) * nact, pos + 1, ""
                recheck = new or before != run.reach_pending
            if recheck:  # the rows after this one, with the properties still checked
                invs, aprops, pending = local.live_sets(at_bound)
                later = c.get([c.call(p, "recheck", pos, at_bound, invs, aprops, pending) for p in range(c.count)])
                rows = rows[:i + 1] + sorted(x for got in later for x in got)
            i += 1
        return None, None, ""

    # -- checkpoints, limits, the result ----------------------------------------------------
    def save(self, level: int, state: tuple[int, int, int, bool]) -> None:
        ck, c = self.ckpt, self.cluster
        if ck is None:
            return
        d = str(ck.level_dir(level))
        c.get([c.call(i, "save", d, level) for i in range(c.count)])
        depth, deepest, lvl, bounded = state
        doc = {"depth": depth, "deepest": deepest, "level": lvl, "bounded": bounded,
               "transitions": self.transitions, "pruned": self.pruned, "ever_enabled": list(self.ever_enabled),
               "initial_states": self.run.stats.initial_states, "stored": self.stored, "engine": "ray",
               "partitions": c.count}
        ck.commit(level + 1, doc, run_state(self.run, self.inits))

    def lost_message(self, which: str, level: int) -> str:
        ck = self.ckpt
        if ck is not None and ck.levels_written:
            return (f"{which} died while level {level} was searched: the last checkpoint is {ck.directory} "
                    f"(levels 1-{ck.levels_written}); continue with --resume {ck.directory}")
        return f"{which} died while level {level} was searched; no checkpoint was written (--checkpoint DIR)"

    def memory_check(self) -> str:
        limit = self.options.max_memory
        if limit is None:
            return ""
        used = resident_bytes() + sum(u["rss"] for u in self.usage)
        return "max_memory" if used > limit else ""

    def finish(self, stop_reason: str) -> CheckResult:
        run = self.run
        st = run.stats
        st.transitions = self.transitions
        if self.local.constraint_ks:
            st.constrained_states = self.pruned
        stored = self.stored
        total = sum(u["store_bytes"] + u["link_bytes"] for u in self.usage)
        st.bytes_per_state = total / stored if stored else 0.0
        st.peak_memory = peak_resident_bytes() + sum(u["peak"] for u in self.usage)
        st.workers = self.cluster.count
        st.store = self.local.run.stats.store
        st.fingerprint_collision_probability = collision_probability(stored) if self.local.fp_mode else 0.0
        result = run.result(stored - self.pruned, stop_reason)
        if self.lost:
            result.warnings.insert(0, self.lost)
        if self.resumed:
            result.warnings.insert(0, self.resumed)
        if result.stats.complete and not run.done:
            result.warnings += never_enabled_warnings(self.program, self.ever_enabled)
        return result


def partition_report(usage: Sequence[dict[str, int]]) -> list[str]:
    """One line per partition: its states, store and link bytes, resident memory."""
    return [f"partition {i}: {u['stored']:,} states, store {u['store_bytes'] / 2**20:.1f} MiB, "
            f"links {u['link_bytes'] / 2**20:.1f} MiB, resident {u['rss'] / 2**20:.0f} MiB"
            for i, u in enumerate(usage)]


__all__ = ["Cluster", "InProcess", "NEEDS_RAY", "RayCluster", "connect", "partition_report", "ray_bfs"]
