"""The batch breadth-first engine: whole BFS levels evaluated with NumPy.

Owns: `batch_bfs(program, options) -> CheckResult`. Each level is an (n, words) int64 array
of packed states (see `replicheck.backends.numpy_batch`), expanded in chunks: for the chunk,
the chosen invariants and pending reachability targets are evaluated on every row, then every
action instance's guard; for the rows that enable an action its updates are evaluated on that
subset, out-of-domain successors and failing action properties become events, and the
in-domain successors' packed keys (the parent's key plus the shifted differences of the
updated slots) are deduplicated within the chunk keeping the first in the scalar engine's
discovery order (by parent row, then action index; `store_hash.FirstSeen`), looked up in the
store (`replicheck.explore.store_hash.HashSet`), and those not found are inserted and become
the next level, with their parent's
position and action as links (`LevelLinks`). Counterexamples are rebuilt from the links by
firing the recorded actions from the recorded initial state through the reference
evaluator, then replayed and confirmed like every other engine's (`Run`).

Results equal the scalar engine's (`replicheck.explore.bfs`): same distinct states, depth and
transitions on complete runs; with violations, the same first violating state in discovery
order, found at the same position, so the same verdicts and traces. On a chunk with
anything unusual, only the rows that are the first of their kind (first failing row of each
invariant, first deadlock, first model run-time error, ...) are handled, one at a time in
row order, with each row's events in the scalar kernel's order. A model run-time error's
message comes from the compiled scalar backend run on that one state, and `Run` checks it
against the reference evaluator.

Symmetry (`options.symmetry`): every successor key is replaced by its orbit's
representative (`batch_symmetry.BatchCanonical`, the scalar engine's `Symmetry.canonical`
computed over the whole array) before deduplication, so the store holds the scalar engine's
orbits in its order; a path is rebuilt through the representatives and made a real path by
`Symmetry.concretize`, as the scalar engine does.

Workers: with `options.workers == 2` a second process (`replicheck.explore.batch_workers`,
forked at the start of the search) evaluates chunks while this one evaluates others and
takes every chunk's summary in chunk order for the store; each level then lives in a shared
memory file that both read their chunks from. A chunk with anything unusual is re-evaluated
here with the full event handling, so the result is identical to one worker. A worker that
dies or stops answering ends the run as incomplete, like a limit (stop reason "worker died" or
"worker unresponsive", and a warning naming the process and the level); while this process
waits for the worker, the run's limits and Ctrl-C still stop it.

Must not import: z3, hypothesis, `replicheck.cli`, `models`.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from replicheck.backends import reference as R
from replicheck.backends.numpy_batch import BatchProgram, Frame, fingerprint
from replicheck.ir import Program, State
from replicheck.report.results import CheckResult

from .batch_graph import GraphRecorder
from .batch_symmetry import BatchCanonical
from .batch_workers import EvaluationWorker, LevelFile, StopWaiting, Summary, WorkerLost
from .bfs import never_enabled_warnings
from .checkpoint import batch_checkpoint, save_batch_level, start_batch
from .memory import peak_resident_bytes, resident_bytes
from .options import CheckOptions
from .run import Run
from .store_hash import FirstSeen, HashSet, LevelLinks, collision_probability
from .symmetry import symmetry_for
from .traces import InternalCheckerError

Array = Any

MAX_AHEAD = 4  # with a worker: summaries evaluated but not yet taken, at most


def batch_bfs(program: Program, options: CheckOptions, recorder: GraphRecorder | None = None) -> CheckResult:
    """The batch search; with a `recorder`, the labelled graph liveness and measures need is
    recorded as the search goes (`replicheck.explore.batch_graph`), and left in
    `recorder.finished` when the search is complete."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return BatchSearch(program, options, recorder).search()
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class ActionPart:
    """What one action instance did on the rows of a chunk that enable it."""

    ai: int
    rows: Array  # chunk rows enabling it (sorted)
    ok: Array | None  # successor within its domain (None: all are)
    post: dict[int, Array]  # updated slot -> new values on `rows`
    bad_props: list[tuple[int, Array]] = field(default_factory=list)  # (prop k, mask on rows)


@dataclass
class Part:
    """The evaluation of a chunk: everything but the store's updates."""

    n: int
    row_err: Array | None
    errs: list[tuple[int, Array]]  # (action index, or -1 for the state's own checks; rows)
    outside: Array | None
    inv_bad: list[tuple[int, Array]]
    reach_hit: list[tuple[int, Array]]
    enabled: Array | None  # enabled action instances per row
    actions: list[ActionPart]
    cand_keys: Array
    cand_rank: Array
    cand_fps: Array
    ever: list[int]
    truths: list[Array] = field(default_factory=list)  # the recorder's predicates, per row
    values: list[Array] = field(default_factory=list)  # the recorder's measures, per row
    label_error: bool = False  # a predicate or measure raised a run-time error on some row


class LevelOut:
    """The next level as the chunks of this one produce it: its keys (in memory, or appended
    to a shared level file when a worker process reads them), parent positions and actions."""

    def __init__(self, file: LevelFile | None) -> None:
        self.file = file
        self.keys: list[Array] = []
        self.parents: list[Array] = []
        self.actions: list[Array] = []
        self.count = 0

    def add(self, keys: Array, parents: Array, actions: Array) -> None:
        if self.file is not None:
            self.file.append(keys)
        else:
            self.keys.append(keys)
        self.parents.append(parents)
        self.actions.append(actions)
        self.count += keys.shape[0]


class BatchSearch:
    def __init__(self, program: Program, options: CheckOptions, recorder: GraphRecorder | None = None) -> None:
        self.program = program
        self.options = options
        # the labelled graph for liveness and measures (None: not wanted, or given up)
        self.recorder = recorder if recorder is not None and recorder.wanted else None
        if options.checkpoint is not None or options.resume is not None:
            self.recorder = None  # not reached from the CLI or the API: engines.refusals refuses liveness and measures here
        self.level_first = 0  # the number of the current level's first state
        self.run = Run(program, options, "batch")
        self.run.checks_memory = False  # memory_check: both processes, and the store's next growth
        self.bp = BatchProgram(program)
        self.layout = self.bp.layout
        self.nact = len(program.actions)
        # --symmetry: states are stored as their orbits' representatives, the scalar engine's
        self.sym = symmetry_for(program) if options.symmetry else None
        self.canon = BatchCanonical(self.sym, self.layout) if self.sym is not None else None
        if self.sym is not None:
            # the recorder then records the graph of orbits: a measure (symmetric, as the check
            # of the model requires) has the same range there, and its shortest witnesses
            # the same lengths (liveness is refused with symmetry: `full.check_model`)
            self.run.stats.symmetry = self.sym.describe()
        self.unreduced = 0  # with --unreduced: the states the stored orbits stand for
        want_fp = options.store == "fingerprint"
        if options.store not in ("exact", "fingerprint"):
            raise ValueError(f"unknown store {options.store!r}; use 'exact' or 'fingerprint'")
        self.fp_mode = want_fp and self.layout.words > 1
        self.store = HashSet(self.layout.words, self.fp_mode, with_ids=self.recorder is not None)
        self.first_seen = FirstSeen()
        self.links = LevelLinks(max(self.nact, 1))
        self.inits: list[State] = []
        self.constraint_ks = [k for k, p in enumerate(program.properties) if p.kind == "constraint"]
        self.ever_enabled = [False] * self.nact
        self.transitions = 0
        self.pruned = 0
        self.workers = max(1, int(options.workers))
        if self.workers > 2:
            raise ValueError("the batch engine uses at most 2 workers (processes)")
        self.worker: EvaluationWorker | None = None
        self.worker_lost = ""  # why the worker process was given up (a warning), if it was
        rows = options.chunk_rows or ((1 << 15) if self.workers > 1 else (1 << 16))
        self.chunk_rows = max(1, int(rows))
        st = self.run.stats
        if want_fp and not self.fp_mode:
            st.store = f"fingerprint (exact: {self.layout.total_bits}-bit states fit in one word)"
        else:
            st.store = "fingerprint" if self.fp_mode else "exact"

    # -- paths ------------------------------------------------------------------------------
    def path(self, level: int, pos: int) -> list[State]:
        """The states from an initial state to the one stored at (level, pos); with
        symmetry, a real path through the stored representatives' orbits that ends at it."""
        init, acts = self.links.chain(level, pos)
        states = [self.inits[init]]
        for a in acts:
            nxt = R.fire(self.program.actions[a], states[-1])
            if nxt is None:
                raise InternalCheckerError(
                    f"batch engine: a stored step ({self.program.actions[a].label}) is not enabled "
                    "under the reference evaluator"
                )
            states.append(nxt if self.sym is None else self.sym.canonical(nxt))
        if self.sym is not None:
            return self.sym.concretize(states, self.run.compiled.successors)
        return states

    def path_of_number(self, number: int) -> list[State]:
        """A shortest path to the state the store numbered `number` (levels are numbered in
        order, so its level is where the running count passes it)."""
        level = 0
        while number >= len(self.links.parents[level]):
            number -= len(self.links.parents[level])
            level += 1
        return self.path(level, number)

    def tuple_at(self, keys: Array, row: int) -> State:
        return self.layout.unpack_tuple([int(x) for x in keys[row]])

    # -- the search -------------------------------------------------------------------------
    def search(self) -> CheckResult:
        run = self.run
        self.inits, stopped = run.initial_states()
        if stopped:
            return self.finish(0, "")
        if self.sym is not None:  # one representative per orbit, in the order first met
            self.inits = list(dict.fromkeys(self.sym.canonical(s) for s in self.inits))
        keys = self.layout.pack_tuples(self.inits)
        if self.options.unreduced and self.canon is not None:
            self.unreduced += self.orbit_sizes(keys)
        self.store.insert_new(keys, fingerprint(keys))
        self.links.add_level(np.zeros(len(self.inits)), np.arange(len(self.inits)))
        run.stats.initial_states = len(self.inits)
        depth = 1 if len(self.inits) else 0
        deepest = 0  # the deepest level with a state inside the @constraint (TLC's depth)
        level_count = len(self.inits)
        level = 0
        max_depth = self.options.max_level  # levels: the initial states are level 1
        stop_reason = ""
        bounded = False
        self.ckpt = batch_checkpoint(self)  # --checkpoint / --resume: record the start, or replace it
        if self.ckpt is not None:
            keys, (depth, deepest, level_count, level, bounded) = start_batch(self, self.ckpt, keys, depth)
        # one worker: a level is a list of arrays (the chunks' new states), consumed from the
        # front, so that no level is ever copied whole; two: a level is a shared file
        level_parts: list[Array] = [keys] if keys.shape[0] else []
        try:
            if self.workers > 1 and level_parts:
                self.worker = EvaluationWorker(self.layout.words, self.summarize, limits=self.limits_while_waiting)
                self.worker.levels[level % 2].append(keys)
            del keys
            while level_parts:
                self.level_first = self.store.count - level_count
                at_bound = max_depth is not None and depth >= max_depth
                bounded |= at_bound
                run.stats.depth = deepest if self.constraint_ks else depth  # for the progress line
                pruned_before = self.pruned
                if self.worker is not None:
                    out = LevelOut(self.worker.levels[(level + 1) % 2])
                    out.file.clear()  # type: ignore[union-attr]
                    stop_reason = self.level_shared(level, at_bound, out)
                else:
                    out = LevelOut(None)
                    stop_reason = self.level_in_memory(level_parts, level, at_bound, out)
                level_parts = []
                if self.pruned - pruned_before < level_count:
                    deepest = depth
                level_count = out.count
                if out.count:
                    self.links.add_level(np.concatenate(out.parents), np.concatenate(out.actions))
                if run.done or stop_reason or not out.count:
                    break
                level_parts = out.keys if self.worker is None else [None]
                if self.ckpt is not None:
                    save_batch_level(self, self.ckpt, level + 1, out, (depth + 1, deepest, level + 1, bounded))
                depth += 1
                level += 1
            if bounded and not run.done and not stop_reason:
                stop_reason = "max_depth"
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        finally:
            if self.worker is not None:
                self.worker.close()
        run.stats.depth = deepest if self.constraint_ks else depth
        return self.finish(self.store.count, stop_reason)

    def level_in_memory(self, level_parts: list[Array], level: int, at_bound: bool, out: LevelOut) -> str:
        """Expand one level held as arrays, chunk by chunk; returns why the search stops ("" to
        go on; a found violation sets `run.done`)."""
        run = self.run
        c0 = 0
        while level_parts:
            take: list[Array] = []
            rows = 0
            while level_parts and rows < self.chunk_rows:
                a = level_parts[0]
                need = self.chunk_rows - rows
                if a.shape[0] <= need:
                    take.append(level_parts.pop(0))
                    rows += a.shape[0]
                else:
                    take.append(a[:need])
                    level_parts[0] = a[need:]
                    rows += need
            chunk = take[0] if len(take) == 1 else np.concatenate(take)
            del take
            stopped, reason = self.chunk(chunk, c0, level, at_bound, out)
            del chunk
            c0 += rows
            run.stats.transitions = self.transitions
            if stopped:
                return reason
            reason = run.tick(self.store.count - self.pruned) or self.memory_check(0)
            if reason and (level_parts or out.count):
                return reason
        return ""

    def level_shared(self, level: int, at_bound: bool, out: LevelOut) -> str:
        """Expand one level held in a shared file, with the worker process: it evaluates the
        chunks it is given (at most `depth` ahead); this process evaluates the next chunk
        nobody has while the one it needs next is not ready, and takes every chunk's summary
        in chunk order for the store (the one-worker engine's order)."""
        run, worker = self.run, self.worker
        assert worker is not None
        li = level % 2
        n = worker.levels[li].rows
        step = self.chunk_rows
        bounds = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
        done: dict[int, Summary] = {}  # evaluated, not yet taken
        given = 0  # chunks [0, given) have been given out (to the worker or to this process)

        def feed() -> None:
            nonlocal given
            while worker.can_take() and given < len(bounds):
                worker.submit(given, li, *bounds[given], at_bound, *self.live_sets(at_bound))
                given += 1

        def evaluate_here(i: int) -> None:
            done[i] = self.summarize(worker.levels[li].read(*bounds[i]), at_bound, *self.live_sets(at_bound))

        def stop(reason: str) -> str:
            """Stop the level for `reason`; the worker's replies still due are dropped (if it
            cannot give them, it is given up: the search is stopping anyway)."""
            try:
                worker.drain()
            except StopWaiting:
                worker.broken = True
            return reason

        def collect(wait: bool) -> None:
            """Take the summaries the worker has finished (at least one if `wait`), and give
            it more chunks in their place, so that it is never idle while there are some."""
            while wait or worker.ready():
                j, s = worker.receive()
                done[j] = s
                wait = False
                feed()

        try:
            for i, (lo, hi) in enumerate(bounds):
                if i not in done and given <= i:
                    given = i + 1
                    feed()
                    evaluate_here(i)
                collect(False)
                while i not in done:
                    if given < len(bounds) and len(done) < MAX_AHEAD:
                        j = given  # the worker is on chunk i: evaluate a later one meanwhile
                        given += 1
                        evaluate_here(j)
                        collect(False)
                    else:
                        collect(True)
                s = done.pop(i)
                feed()
                if s.usual:
                    reason = self.take_summary(s, lo, out, at_bound)
                    if reason:
                        return stop(reason)
                else:
                    stopped, reason = self.chunk(worker.levels[li].read(lo, hi), lo, level, at_bound, out)
                    if stopped:
                        return stop(reason)
                worker.levels[li].release(lo, hi)  # evaluated and taken: not read again
                run.stats.transitions = self.transitions
                reason = run.tick(self.store.count - self.pruned) or self.memory_check(0)
                if reason and (i + 1 < len(bounds) or out.count):
                    return stop(reason)
            return ""
        except StopWaiting as halt:  # a limit while waiting, or the worker is gone: stop here
            worker.broken = True
            if isinstance(halt, WorkerLost):
                self.worker_lost = halt.message(level + 1)
            return halt.reason
        except BaseException:
            worker.broken = True
            raise

    def limits_while_waiting(self) -> str:
        """The run's reason to stop while this process waits for the worker (progress too)."""
        return self.run.tick(self.store.count - self.pruned)

    def live_sets(self, at_bound: bool) -> tuple[list[int], list[int], list[int]]:
        """The invariants, action properties and reachability targets still checked."""
        run = self.run
        invs = run.live(run.invariants)
        aprops = run.live(run.action_props) if not at_bound else []
        pending = [pos for pos in range(len(run.reachables)) if run.reach_pending[pos]]
        return invs, aprops, pending

    def finish(self, stored: int, stop_reason: str) -> CheckResult:
        run = self.run
        st = run.stats
        st.transitions = self.transitions
        if self.constraint_ks:
            st.constrained_states = self.pruned
        if self.canon is not None and self.options.unreduced:
            st.unreduced_states = self.unreduced
        total = self.store.nbytes + self.links.nbytes
        st.bytes_per_state = total / stored if stored else 0.0
        st.peak_memory = peak_resident_bytes() + (self.worker.peak_bytes() if self.worker is not None else 0)
        st.workers = 2 if self.worker is not None else 1
        st.fingerprint_collision_probability = collision_probability(stored) if self.fp_mode else 0.0
        result = run.result(stored - self.pruned, stop_reason)  # outside the @constraint: not counted
        if self.recorder is not None:
            self.store = HashSet(1, True)  # the graph needs the parent links, not the store: its memory goes
            # every reachable state is in the graph, violating ones too (--continue explores
            # past them), unless the search stopped, or a state left its domain or raised
            whole = result.stats.complete and not ({"domain", "model error"} & set(run.violations))
            self.recorder.finished = self.recorder.finish(len(self.inits), self.path_of_number, whole, stop_reason)
        if self.worker_lost:
            result.warnings.insert(0, self.worker_lost)
        if result.stats.complete and not run.done:
            result.warnings += never_enabled_warnings(self.program, self.ever_enabled)
        return result

    def orbit_sizes(self, keys: Array) -> int:
        """The number of states the representatives `keys` stand for."""
        assert self.canon is not None
        _, stab = self.canon.canonical(keys)
        return int((self.canon.group_size // stab).sum())

    def memory_check(self, extra_states: int) -> str:
        limit = self.options.max_memory
        if limit is None:
            return ""
        used = resident_bytes() + (self.worker.rss_bytes() if self.worker is not None else 0)
        if used + self.store.growth_bytes(extra_states) > limit:
            return "max_memory"
        return ""

    # -- one chunk --------------------------------------------------------------------------
    def summarize(self, keys: Array, at_bound: bool, invs: Sequence[int], aprops: Sequence[int],
                  pending: Sequence[int]) -> Summary:
        """Evaluate a chunk and, if nothing in it needs a closer look, deduplicate its
        successors: what the worker process does (and this one, for the chunks it takes)."""
        part = self.evaluate(keys, at_bound, invs, aprops, pending)
        if self.first_rows(part, at_bound):
            return Summary(False)
        transitions = int(part.enabled.sum()) if part.enabled is not None else 0
        pruned = int(part.outside.sum()) if part.outside is not None else 0
        pruned_orbits = 0  # counted in `unreduced` when they were stored
        if pruned and self.options.unreduced and self.canon is not None:
            pruned_orbits = self.orbit_sizes(keys[part.outside])
        if self.recorder is None:
            keys, rank, fps = self.dedupe(part.cand_keys, part.cand_rank, part.cand_fps)
            return Summary(True, transitions, pruned, part.ever, keys, rank, fps, pruned_orbits=pruned_orbits)
        if part.label_error or any(v.dtype == object for v in part.values):
            return Summary(False)  # the coordinator takes this chunk itself
        keys, rank, fps, inverse = self.dedupe_inverse(part.cand_keys, part.cand_rank, part.cand_fps)
        extra = [part.cand_rank, inverse.astype(np.int32), np.array([part.n], dtype=np.int64)]
        extra += [t.astype(np.bool_) for t in part.truths] + list(part.values)
        if part.outside is not None:
            extra.append(part.outside.astype(np.bool_))
        return Summary(True, transitions, pruned, part.ever, keys, rank, fps, extra, pruned_orbits)

    def take_summary(self, s: Summary, c0: int, out: LevelOut, at_bound: bool = False) -> str:
        for ai in s.ever:
            self.ever_enabled[ai] = True
        self.transitions += s.transitions
        self.pruned += s.pruned
        self.unreduced -= s.pruned_orbits
        reason = self.admit(s.keys, s.rank, s.fps, c0, out)
        if self.recorder is not None and not reason:  # the extras `summarize` packed, in its order
            cand_rank, inverse, (n,), *labels = s.extra[0], s.extra[1], s.extra[2].tolist(), *s.extra[3:]
            k, m = len(self.recorder.predicate_ids), len(self.recorder.measure_ids)
            outside = labels[k + m] if self.constraint_ks else None
            self.record(c0, n, labels[:k], labels[k:k + m], outside, at_bound, cand_rank,
                        lambda: self.store.ids_of(s.keys, s.fps)[inverse])
        return reason

    def admit(self, keys: Array, rank: Array, fps: Array, c0: int, out: LevelOut) -> str:
        """Store the chunk's distinct successors the store does not hold yet (in rank order)
        and add them to the next level; "max_memory" if they would not fit."""
        if not keys.shape[0]:
            return ""
        added = self.store.add_absent(keys, fps)
        if not added.all():
            keys, rank = keys[added], rank[added]
        if keys.shape[0] and self.options.unreduced and self.canon is not None:
            self.unreduced += self.orbit_sizes(keys)
        if keys.shape[0]:
            out.add(keys, (c0 + rank // self.nact).astype(np.uint32), (rank % self.nact).astype(self.links.adtype))
        if self.store.wants_growth():
            # stop before a growth that would not fit (these states are stored, unexplored)
            reason = self.memory_check(0)
            if reason:
                return reason
            self.store.grow_if_full()
        return ""

    def chunk(self, keys: Array, c0: int, level: int, at_bound: bool, out: LevelOut) -> tuple[bool, str]:
        """Evaluate a chunk (rows c0.. of the level), handle its events in the scalar
        engine's order and store its new states; (stopped, why)."""
        run = self.run
        invs, aprops, pending = self.live_sets(at_bound)
        n = keys.shape[0]
        part = self.evaluate(keys, at_bound, invs, aprops, pending)
        for ai in part.ever:
            self.ever_enabled[ai] = True

        # rows needing attention, in order; the first run-time error stops everything after it
        stop_row = n  # rows >= stop_row are not counted (their successors are dropped)
        err_rank = -1  # with a run-time error: successors of smaller rank are kept
        stopped, reason = False, ""
        split = False  # continue mode: a new violation; the rows after it are evaluated again
        for row, is_err in self.first_rows(part, at_bound):
            state = self.tuple_at(keys, row)
            path = self.path(level, c0 + row)
            if is_err:
                expand = not at_bound and not (part.outside is not None and part.outside[row])
                err = self.scalar_error(state, expand, invs, aprops)
                run.model_error(err, path, not at_bound, invs, aprops)
                stop_row, stopped, reason = row, True, "error"
                # the scalar kernel has pushed the successors of the actions before the one
                # that raised
                first_bad = min(ai for ai, e in part.errs if e[row])
                err_rank = row * self.nact + max(first_bad, 0)
                break
            events = self.row_events(part, row, state, invs, pending, keys, row)
            new = run.handle_events(events, path) if events else False
            if not run.done and self.is_deadlock(part, row, at_bound):
                new |= run.deadlocked(path)
            if run.done:
                stop_row, stopped, reason = row + 1, True, ""
                break
            if new and row + 1 < n:
                # what is now violated is not checked on later states (the scalar engine's
                # rule: it may raise where it was never meant to hold), so the rows after
                # this one are evaluated again without it
                stop_row, split = row + 1, True
                break

        # transitions and pruned states over the rows counted
        if part.enabled is not None:
            self.transitions += int(part.enabled[:stop_row].sum())
        if part.outside is not None:
            out_rows = part.outside[:stop_row]
            self.pruned += int(out_rows.sum())
            if self.options.unreduced and self.canon is not None and out_rows.any():
                self.unreduced -= self.orbit_sizes(keys[:stop_row][out_rows])  # counted when stored

        # new states, in discovery order
        ck, cr, cf = part.cand_keys, part.cand_rank, part.cand_fps
        if stop_row < n:
            keep = cr < (err_rank if err_rank >= 0 else stop_row * self.nact)
            ck, cr, cf = ck[keep], cr[keep], cf[keep]
        # first deduplicate within the chunk (most successors are reached from several
        # parents of the chunk), then look the distinct ones up in the store
        if self.recorder is None or stopped:
            reason_mem = self.admit(*self.dedupe(ck, cr, cf), c0, out)
        else:
            dk, dr, df, inverse = self.dedupe_inverse(ck, cr, cf)
            reason_mem = self.admit(dk, dr, df, c0, out)
            if part.label_error:  # the scalar graph reports it, as without the recorder
                self.recorder = None
            elif not reason_mem:  # the first `stop_row` rows only (after a split the rest come again)
                self.record(c0, stop_row, part.truths, part.values, part.outside, at_bound, cr,
                            lambda: self.store.ids_of(dk, df)[inverse])
        if reason_mem:
            return True, reason_mem
        if split:
            return self.chunk(keys[stop_row:], c0 + stop_row, level, at_bound, out)
        return stopped, reason

    def record(self, c0: int, n: int, truths: list[Array], values: list[Array], outside: Array | None,
               at_bound: bool, rank: Array, numbers: Any) -> None:
        """Hand rows c0 .. c0+n-1 of the level to the recorder: their labels, and their steps
        (`rank`; `numbers()`: the successors' numbers, once the store holds them all)."""
        rec = self.recorder
        assert rec is not None
        rec.label(self.level_first + c0, n, truths, values, outside)
        if at_bound:
            rec.no_steps(n)
        else:
            rec.steps(n, rank, numbers())

    def dedupe(self, keys: Array, rank: Array, fps: Array) -> tuple[Array, Array, Array]:
        keys, rank, fps, _ = self.dedupe_inverse(keys, rank, fps, inverse=False)
        return keys, rank, fps

    def dedupe_inverse(self, keys: Array, rank: Array, fps: Array,
                       inverse: bool = True) -> tuple[Array, Array, Array, Array]:
        """The distinct keys, each with its smallest rank (its first discovery), in rank
        order. Groups by fingerprint; in the exact store, if a group's keys differ (two
        states with one 64-bit hash) it groups by the keys themselves instead. With
        `inverse`, also each row's position among the distinct keys."""
        m = keys.shape[0]
        if m == 0:
            return keys, rank, fps, np.zeros(0, dtype=np.intp)
        pick, entry = self.first_seen.first(fps, rank)
        if not self.fp_mode and keys.shape[1] > 1 and pick.size < m:
            owner = np.empty(int(entry.max()) + 1, dtype=np.intp)
            owner[entry[pick]] = pick
            if (keys[owner[entry]] != keys).any():
                cols = [keys[:, w] for w in range(keys.shape[1] - 1, -1, -1)]
                by_key = np.lexsort([rank] + cols)
                sk = keys[by_key]
                first = np.ones(m, dtype=np.bool_)
                first[1:] = (sk[1:] != sk[:-1]).any(axis=1)
                cand = by_key[first]
                pick = cand[np.argsort(rank[cand], kind="stable")]
                if inverse:  # each row's group: the sorted run it falls in
                    group = np.cumsum(first) - 1
                    place = np.empty(len(cand), dtype=np.intp)
                    place[np.argsort(rank[cand], kind="stable")] = np.arange(len(cand))
                    inv = np.empty(m, dtype=np.intp)
                    inv[by_key] = place[group]
                    return keys[pick], rank[pick], fps[pick], inv
        if inverse:
            at = np.empty(int(entry.max()) + 1, dtype=np.intp)
            at[entry[pick]] = np.arange(len(pick))
            return keys[pick], rank[pick], fps[pick], at[entry]
        return keys[pick], rank[pick], fps[pick], None

    # -- vectorised evaluation of a piece of a chunk ---------------------------------------
    def evaluate(self, keys: Array, at_bound: bool, invs: Sequence[int],
                 aprops: Sequence[int], pending: Sequence[int]) -> Part:
        bp, run, lay = self.bp, self.run, self.layout
        n = keys.shape[0]
        f = bp.frame(keys)
        errs: list[tuple[int, Array]] = []
        outside = None
        if self.constraint_ks:
            for v, e in f.eval([bp.props[k] for k in self.constraint_ks], plan=("constraint",)):
                outside = ~v if outside is None else (outside | ~v)
                if e is not None:
                    errs.append((-1, e))
        inv_bad: list[tuple[int, Array]] = []
        for k, (v, e) in zip(invs, f.eval([bp.props[k] for k in invs], keep=bp.guard_closure,
                                          plan=("inv", tuple(invs)))):
            inv_bad.append((k, ~v))
            if e is not None:
                errs.append((-1, e))
        reach_hit: list[tuple[int, Array]] = []
        for pos, (v, e) in zip(pending, f.eval([bp.props[run.reachables[p]] for p in pending],
                                               plan=("reach", tuple(invs), tuple(pending)))):
            reach_hit.append((pos, v))
            if e is not None:
                hit = np.flatnonzero(v & ~e)
                if hit.size:  # after its first witness the target is no longer evaluated
                    e = e.copy()
                    e[hit[0] + 1:] = False
                errs.append((-1, e))
        enabled = None
        parts: list[ActionPart] = []
        ck: list[Array] = []
        cr: list[Array] = []
        ever: list[int] = []
        if not at_bound and self.nact:
            expandable = None if outside is None else ~outside
            enabled = np.zeros(n, dtype=np.int32)
            # nothing but the guards is kept: the frames over the rows enabling an action
            # recompute what they need on those rows, which costs less than holding it
            gvals = f.eval(bp.guards, keep=frozenset(), plan=("guards", tuple(invs), tuple(pending)))
            for ai, (g, e) in enumerate(gvals):
                if e is not None:
                    errs.append((ai, e if expandable is None else (e & expandable)))
                    g = g & ~e
                if expandable is not None:
                    g = g & expandable
                rows = np.flatnonzero(g)
                if rows.size == 0:
                    continue
                enabled[rows] += 1
                ever.append(ai)
                part = self.fire(f, ai, rows, keys, aprops, errs, n, invs, pending)
                parts.append(part)
                skeys, moved = self.layout.successor_keys(keys, rows, part.post, f.col, part.ok)
                if part.ok is not None:
                    moved &= part.ok
                if not moved.all():
                    sel = np.flatnonzero(moved)
                    skeys, rows = skeys[sel], rows[sel]
                ck.append(skeys)
                cr.append(rows.astype(np.int64) * self.nact + ai)
                if part.ok is None and not any(bad.any() for _, bad in part.bad_props):
                    part.post = {}  # only events read the successors' values (row_events)
            del gvals
        labels = self.label(f, n, outside) if self.recorder is not None else None
        del f  # the chunk's columns and guard values: not needed past this point (memory)
        row_err = None
        for _, e in errs:
            row_err = e if row_err is None else (row_err | e)
        if ck:
            cand_keys = np.concatenate(ck)
            cand_rank = np.concatenate(cr)
        else:
            cand_keys = np.zeros((0, lay.words), dtype=np.int64)
            cand_rank = np.zeros(0, dtype=np.int64)
        cand_fps = fingerprint(cand_keys)
        if self.canon is not None and cand_keys.shape[0]:
            cand_keys, cand_fps = self.representatives(cand_keys, cand_fps)
        whole = Part(n, row_err, errs, outside, inv_bad, reach_hit, enabled, parts,
                     cand_keys, cand_rank, cand_fps, ever)
        if labels is not None:
            whole.truths, whole.values, whole.label_error = labels
        return whole

    def representatives(self, keys: Array, fps: Array) -> tuple[Array, Array]:
        """The orbit representatives of successor keys and their fingerprints. Each distinct
        key is canonicalised once (a chunk reaches most successors from several parents);
        if two distinct keys share a fingerprint, every key is canonicalised."""
        assert self.canon is not None
        _, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        if first.size < fps.size and (keys[first[inverse]] != keys).any():
            reps, _ = self.canon.canonical(keys)
        else:
            reps = self.canon.canonical(keys[first])[0][inverse]
        return reps, fingerprint(reps)

    def label(self, f: Frame, n: int, outside: Array | None) -> tuple[list[Array], list[Array], bool]:
        """The recorder's predicates and measures on the chunk's rows: (truths, values,
        whether one raised a run-time error on a row inside the constraint)."""
        rec, bp = self.recorder, self.bp
        assert rec is not None
        cids = [bp.props2[k] if which == 2 else bp.props[k] for k, which in rec.predicate_ids]
        cids += [bp.props[k] for k in rec.measure_ids]
        truths: list[Array] = []
        values: list[Array] = []
        failed = False
        if not cids:
            return truths, values, failed
        for i, (v, e) in enumerate(f.eval(cids)):  # no plan: the memo here depends on the chunk
            if e is not None and (e if outside is None else (e & ~outside)).any():
                failed = True  # the scalar graph reports it, as without the recorder
            v = np.broadcast_to(v, (n,))
            if i < len(rec.predicate_ids):
                truths.append(np.asarray(v, dtype=np.bool_))
            else:
                values.append(np.array(v))
        return truths, values, failed

    def fire(self, f: Frame, ai: int, rows: Array, keys: Array, aprops: Sequence[int],
             errs: list[tuple[int, Array]], n: int, invs: Sequence[int] = (),
             pending: Sequence[int] = ()) -> ActionPart:
        bp = self.bp
        sub = f.subset(rows)
        ups = bp.updates[ai]
        vals = sub.eval([cid for _, cid in ups], broadcast=False, plan=("updates", ai, tuple(invs), tuple(pending)))
        post: dict[int, Array] = {}
        for (slot, _), (v, e) in zip(ups, vals):
            post[slot] = v
            if e is not None:
                errs.append((ai, self._scatter(rows, e, n)))
        ok = None
        for slot in bp.risky[ai]:
            inside = bp.in_domain(slot, post[slot])
            if np.ndim(inside) == 0:
                if inside:
                    continue
                inside = np.zeros(len(rows), dtype=np.bool_)
            ok = inside if ok is None else (ok & inside)
        part = ActionPart(ai, rows, ok, post)
        if aprops:
            # action properties are checked only on in-domain successors, and the range
            # analysis assumes next-state values in their domains: clip the others (their
            # rows are out of domain, reported as such, and their property values unused)
            seen_post = dict(post)
            for slot in bp.risky[ai]:
                seen_post[slot] = bp.clip_to_domain(slot, post[slot])
            pf = sub.with_post(seen_post)
            for k, (v, e) in zip(aprops, pf.eval([bp.props[k] for k in aprops], plan=("aprops", ai, tuple(aprops), tuple(invs), tuple(pending)))):
                bad = ~v if ok is None else (~v & ok)
                part.bad_props.append((k, bad))
                if e is not None:
                    errs.append((ai, self._scatter(rows, e if ok is None else (e & ok), n)))
        return part

    @staticmethod
    def _scatter(rows: Array, mask: Array, n: int) -> Array:
        out = np.zeros(n, dtype=np.bool_)
        out[rows[mask]] = True
        return out

    # -- the rows that need a closer look --------------------------------------------------
    def first_rows(self, part: Part, at_bound: bool) -> list[tuple[int, bool]]:
        """(row, is an error) for the first row of each kind of event, and the first error,
        in row order; nothing after the first error."""
        err_row = None
        if part.row_err is not None:
            hit = np.flatnonzero(part.row_err)
            if hit.size:
                err_row = int(hit[0])
        by_kind: dict[Any, int] = {}

        def note(kind: Any, r: int) -> None:
            if kind not in by_kind or r < by_kind[kind]:
                by_kind[kind] = r

        for k, bad in part.inv_bad:
            hit = np.flatnonzero(bad)
            if hit.size:
                note(("inv", k), int(hit[0]))
        for pos, v in part.reach_hit:
            hit = np.flatnonzero(v)
            if hit.size:
                note(("reach", pos), int(hit[0]))
        for ap in part.actions:
            if ap.ok is not None and not ap.ok.all():
                note("domain", int(ap.rows[np.argmin(ap.ok)]))
            for k, bad in ap.bad_props:
                hit = np.flatnonzero(bad)
                if hit.size:
                    note(("act", k), int(ap.rows[hit[0]]))
        if self.run.deadlock and not at_bound and part.enabled is not None:
            dead = part.enabled == 0
            if part.outside is not None:
                dead &= ~part.outside
            hit = np.flatnonzero(dead)
            if hit.size:
                note("deadlock", int(hit[0]))
        elif self.run.deadlock and not at_bound and part.enabled is None and not self.nact:
            note("deadlock", 0)
        rows = set(by_kind.values())
        out = [(r, False) for r in sorted(rows) if err_row is None or r < err_row]
        if err_row is not None:
            out.append((err_row, True))
        return out

    def row_events(self, part: Part, r: int, state: State, invs: Sequence[int], pending: Sequence[int],
                   keys: Array, row: int) -> list[tuple[str, Any, State | None]]:
        """The scalar kernel's events for the state at row r of the piece, in its order."""
        events: list[tuple[str, Any, State | None]] = []
        for k, bad in part.inv_bad:
            if bad[r]:
                events.append(("invariant", k, None))
        for pos, v in part.reach_hit:
            if v[r]:
                events.append(("reachable", self.run.reachables[pos], None))
        for ap in part.actions:
            j = int(np.searchsorted(ap.rows, r))
            if j >= len(ap.rows) or ap.rows[j] != r:
                continue
            t = list(state)
            for slot, v in ap.post.items():
                t[slot] = int(v[j]) if np.ndim(v) else int(v)
            succ = tuple(t)
            if ap.ok is not None and not ap.ok[j]:
                events.append(("domain", ap.ai, succ))
                continue
            for k, bad in ap.bad_props:
                if bad[j]:
                    events.append(("action", (k, ap.ai), succ))
        return events

    def is_deadlock(self, part: Part, r: int, at_bound: bool) -> bool:
        if not self.run.deadlock or at_bound:
            return False
        if part.outside is not None and part.outside[r]:
            return False
        return part.enabled is None or int(part.enabled[r]) == 0

    def scalar_error(self, state: State, expand: bool, invs: Sequence[int],
                     aprops: Sequence[int]) -> R.ModelRuntimeError:
        """The model run-time error the compiled scalar backend raises on `state`."""
        compiled = self.run.compiled
        try:
            if self.constraint_ks and compiled.first_false(self.constraint_ks)(state) >= 0:
                expand = False
            kernel = compiled.expander(
                {}, lambda t: None, [], invs, aprops if expand else (), self.run.reachables,
                list(self.run.reach_pending), expand,
            )
            kernel(compiled.pack(state), 0)
        except R.ModelRuntimeError as err:
            return err
        raise InternalCheckerError(
            "the batch backend found a model run-time error that the compiled backend does not raise"
        )
