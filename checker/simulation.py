"""Random simulation: seeded random walks, swarm testing, and shrinking of counterexamples.

Owns: `simulate(program, options) -> Simulation` and the schedules that choose each step.
Each run starts in an initial state and takes up to `depth` steps, each an enabled action
instance. The default schedule ("reactive", `_Weights`): with the run's own probability
`bias` (drawn from BIAS_LOW..BIAS_HIGH when the run starts) the step is one of the instances
the last step newly enabled (a reaction), else one of those that were enabled before it (an
interruption: a fault or a request striking between an event and its reaction); within that
set, an instance is drawn in proportion to its weight: rarity (1 / (1 + the number of
distinct states seen so far, over all earlier runs of this simulation, in which it was
enabled)), locality (1 + LOCALITY per parameter value shared with the last step) and variety
(1 / (1 + the times this run already took it)); a step that undoes the last one (a heal right
after its partition) is not taken while another is enabled. "uniform": any enabled instance,
uniformly. In swarm mode a run first draws a random subset of the action families and uses
only those, as in Spin's swarm verification and Hypothesis' swarm testing. Every
state is checked against the chosen invariants, every step against the action properties
and the domains of the variables; a model run-time error is a violation too. Stepping uses
the compiled backend; the first violation found is *shrunk* (`shrink`): steps are removed
(delta debugging on the list of action instances, re-fired by instance), then parameters
simplified (each step replaced by a smaller instance of the same family; sort elements
renamed throughout), keeping only candidates that are still executions of the model and
still violate the *same* property; the candidate order (fewer steps, then smaller
parameters) strictly decreases, so shrinking terminates and never lengthens a trace. The
shrunk trace is replayed and confirmed through the reference evaluator
(`replicheck.explore.traces`) before it is reported. Runs are deterministic for a seed: run
`r` of seed `s` draws from its own `random.Random` seeded from `(s, r)`, and (by default) its
rarity weights come from runs 0..r-1 of the same simulation, so the same seed, program and
options give the same runs.

Simulation is not a proof: when nothing is found, the verdicts are `incomplete` and say how
many runs were made.

Must not import: z3, numpy, hypothesis (Hypothesis-based shrinking lives in
`replicheck.stateful`), `replicheck.cli`, `models`.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from operator import ne
from typing import Any, Callable, Sequence

from replicheck import interrupts
from replicheck.backends import reference as R
from replicheck.backends.compiled import CompiledProgram, compile_program
from replicheck.explore.traces import (
    InternalCheckerError,
    confirm,
    domain_message,
    reference_error,
    replay_path,
)
from replicheck.ir import Program, State
from replicheck.ir.selection import select
from replicheck.ir.types import ElemType
from replicheck.report.results import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    CheckResult,
    RunStats,
    Trace,
    Verdict,
    write_verdicts,
)


@dataclass
class SimulateOptions:
    """How to simulate.

    runs: number of random walks; depth: steps per walk at most; seed: the seed (same seed,
    same program, same options: same result). swarm: each run uses a random subset of the
    action families. schedule: "reactive" (the default; `_Weights` and docs/simulation.md say
    how it chooses: newly enabled instances with the run's probability `bias`, drawn from
    BIAS_LOW..BIAS_HIGH, else the instances enabled before the last step; within those, by
    rarity, locality and variety weights; never a step that undoes the last one while another
    is enabled) or "uniform" (any enabled instance, uniformly). Reactive scheduling lets a
    protocol's reactions to an event run before the next fault or client request arrives,
    which is how such bugs unfold; under uniform choice, faults (many instances, always
    enabled) crowd out the reactions. The bias is not a rule, and it differs from run to run:
    a pure "reactions first" choice never lets a fault strike between an event and its
    reaction (a primary that acknowledges a write and crashes before replicating it was missed
    in 21,000 runs), and the interruptions are what the shortest bugs of the shipped models
    need (measured: docs/simulation.md). only / skip: property names to check (None: all);
    by default the strengthening helper invariants (proof aids, `@invariant(strengthening=True)`) are not
    checked unless `helpers` is set or `only` names them. deadlock: a state with no enabled
    action (within the run's families) is a violation. shrink: shrink the violation found.
    max_seconds: stop the runs (not the shrinking) after this long. progress: called with
    the run statistics every `progress_interval` seconds.
    """

    runs: int = 1000
    depth: int = 100
    seed: int = 0
    swarm: bool = False
    schedule: str = "reactive"
    only: frozenset[str] | None = None
    skip: frozenset[str] = frozenset()
    helpers: bool = False
    deadlock: bool = False
    shrink: bool = True
    max_seconds: float | None = None
    progress: Callable[[RunStats], None] | None = None
    progress_interval: float = 5.0


@dataclass(frozen=True)
class Target:
    """What a counterexample violates: kind is "invariant", "action", "domain", "deadlock" or
    "error"; `index` the property's position in `program.properties` (or -1); for "error",
    `message` is the run-time error's text."""

    kind: str
    name: str
    index: int = -1
    message: str = ""


@dataclass
class Found:
    """A violating execution: an initial state and the action instances fired from it."""

    target: Target
    init: State
    actions: list[int]
    run: int  # which run found it (0-based)


@dataclass
class Simulation:
    """What `simulate` did: the result (verdicts, statistics, the confirmed trace), how many
    runs and steps it took, and how much shrinking removed."""

    result: CheckResult
    runs: int = 0
    steps: int = 0
    found_in_run: int | None = None
    original_steps: int | None = None
    shrunk_steps: int | None = None
    shrink_seconds: float = 0.0
    shrink_attempts: int = 0
    families: list[list[str]] = field(default_factory=list)  # swarm: the families of the finding run

    options: SimulateOptions | None = None

    @property
    def planned_runs(self) -> int:
        return self.options.runs if self.options is not None else self.runs

    def as_dict(self) -> dict[str, Any]:
        o = self.options
        return {
            "runs": self.runs,
            "steps": self.steps,
            "seed": o.seed if o is not None else None,
            "depth": o.depth if o is not None else None,
            "swarm": o.swarm if o is not None else None,
            "schedule": o.schedule if o is not None else None,
            "found_in_run": None if self.found_in_run is None else self.found_in_run + 1,
            "original_steps": self.original_steps,
            "shrunk_steps": self.shrunk_steps,
            "shrink_seconds": round(self.shrink_seconds, 3),
            "shrink_attempts": self.shrink_attempts,
            "swarm_families": self.families[0] if self.families else None,
            "summary": self.summary(),
        }

    @property
    def violated(self) -> bool:
        return self.result.first_violation() is not None

    def summary(self) -> str:
        st = self.result.stats
        if self.violated:
            assert self.found_in_run is not None
            v = self.result.first_violation()
            assert v is not None
            text = (
                f"violation of {v.property} found in run {self.found_in_run + 1} (of up to {self.planned_runs:,}) "
                f"({self.steps:,} steps in {st.seconds:.2f}s)"
            )
            if self.original_steps is not None and self.shrunk_steps is not None:
                text += (
                    f"; shrunk from {self.original_steps} to {self.shrunk_steps} steps "
                    f"in {self.shrink_seconds:.2f}s ({self.shrink_attempts:,} candidates tried)"
                )
            return text
        return (
            f"no violation found in {self.runs:,} runs ({self.steps:,} steps, "
            f"{st.distinct_states:,} distinct states, {st.seconds:.2f}s); this is not a proof"
        )


class _Checks:
    """The compiled predicates a simulation and its shrinker evaluate."""

    def __init__(self, program: Program, compiled: CompiledProgram, invariants: list[int], action_props: list[int]):
        self.program = program
        self.compiled = compiled
        self.invariants = invariants
        self.action_props = action_props
        self.inv = compiled.first_false(invariants) if invariants else None
        self.act = compiled.first_false(action_props) if action_props else None
        self.may_leave = list(compiled.may_leave_domain)
        constraint_ks = [k for k, p in enumerate(program.properties) if p.kind == "constraint"]
        self._outside = compiled.first_false(constraint_ks) if constraint_ks else None

    def outside(self, state: State) -> bool:
        """The state fails the @constraint: it is checked, and a walk ends there (as TLC's
        CONSTRAINT: such a state is never explored)."""
        return self._outside is not None and self._outside(state) >= 0

    def out_of_domain(self, state: State) -> bool:
        return next(self.program.out_of_domain(state), None) is not None


# The default schedule's constants (docs/simulation.md says how they were chosen).
BIAS_LOW, BIAS_HIGH = 0.6, 0.9  # each run's probability of taking a newly enabled instance
LOCALITY = 6.0  # weight per parameter value shared with the last step
NEAR_CACHE = 2_000_000  # cached locality weights at most (memory: 8 bytes each)


class _Weights:
    """The default ("reactive") schedule: which enabled instance a run takes next.

    Each instance gets a weight, the product of
    - rarity, 1 / (1 + the number of distinct states seen so far, in this simulation's runs,
      in which it was enabled): an instance enabled almost everywhere (a fault, a heal, a
      tick) will have other chances, a rarely enabled one (a reaction to an unusual state)
      may not;
    - locality, 1 + LOCALITY * the number of parameter values (sort elements) it shares with
      the last step: a fault or a reaction on the node the last step involved;
    - variety, 1 / (1 + the times this run has already taken it);
    and weight 0 for a step that undoes the last one (its state differs from the state
    before the last step in at most one slot, and it puts back a slot that step changed: a
    heal right after its partition), unless every candidate does. When the last step newly
    enabled some instances, the candidates are, with the run's probability `bias`, those
    (a reaction), else the ones enabled before it (an interruption); if that set has no
    weight, all enabled instances. One is drawn in proportion to its weight."""

    def __init__(self, program: Program) -> None:
        self.enabled_in = [0] * len(program.actions)
        self.params = [
            frozenset((p.type.sort, p.value) for p in a.params if isinstance(p.type, ElemType))
            for a in program.actions
        ]
        self.writes = [tuple(slot for slot, _ in a.updates) for a in program.actions]
        self._near: dict[int, list[float]] = {}
        most = max((len(p) for p in self.params), default=0)
        self._levels = [1.0 + LOCALITY * k for k in range(most + 1)]

    def count(self, succ: Sequence[tuple[int, State]]) -> None:
        """A state seen for the first time enables these instances."""
        enabled_in = self.enabled_in
        for a, _ in succ:
            enabled_in[a] += 1

    def near(self, last: int) -> list[float]:
        """Each instance's locality weight after the step `last` (rows are cached, sharing
        their float objects, and the cache is emptied before it holds NEAR_CACHE entries)."""
        row = self._near.get(last)
        if row is None:
            if (len(self._near) + 1) * len(self.params) > NEAR_CACHE:
                self._near.clear()
            mine, levels = self.params[last], self._levels
            row = [levels[len(mine & theirs)] for theirs in self.params]
            self._near[last] = row
        return row

    def choose(self, rng: random.Random, succ: Sequence[tuple[int, State]], fresh: Sequence[bool], bias: float,
               state: State, prev: State | None, last: int, fired: dict[int, int]) -> tuple[int, State]:
        cands = succ
        if True in fresh:
            take_fresh = rng.random() < bias
            cands = [x for x, f in zip(succ, fresh) if f == take_fresh] or succ
        w = self.weigh(cands, state, prev, last, fired)
        if w is None and cands is not succ:  # every candidate undoes the last step
            cands = succ
            w = self.weigh(cands, state, prev, last, fired)
        if w is None:
            w = self.weigh(cands, state, None, last, fired)
            assert w is not None
        u = rng.random()
        if len(cands) == 1:
            return cands[0]
        cum = list(accumulate(w))
        return cands[min(bisect(cum, u * cum[-1]), len(cands) - 1)]

    def weigh(self, cands: Sequence[tuple[int, State]], state: State, prev: State | None, last: int,
              fired: dict[int, int]) -> list[float] | None:
        """The candidates' weights (undoing steps 0); None if every candidate undoes the last step."""
        undo: list[int] = []
        if prev is not None and last >= 0:
            changed = [i for i in self.writes[last] if state[i] != prev[i]]
            if changed:
                # within one slot of `prev` and a changed slot put back; with two or more
                # changed slots, being within one slot means putting back one of the first two
                c0 = changed[0]
                p0 = prev[c0]
                if len(changed) == 1:
                    undo = [k for k, (_, t) in enumerate(cands) if t[c0] == p0 and sum(map(ne, t, prev)) <= 1]
                else:
                    c1 = changed[1]
                    p1 = prev[c1]
                    undo = [k for k, (_, t) in enumerate(cands)
                            if (t[c0] == p0 or t[c1] == p1) and sum(map(ne, t, prev)) <= 1]
                if len(undo) == len(cands):
                    return None
        if len(cands) == 1:
            return [1.0]
        enabled_in = self.enabled_in
        if last < 0:
            return [1.0 / (1 + enabled_in[a]) for a, _ in cands]
        near, times = self.near(last), fired.get
        w = [near[a] / ((1 + enabled_in[a]) * (1 + times(a, 0))) for a, _ in cands]
        for k in undo:
            w[k] = 0.0
        return w


def choose_properties(program: Program, only: frozenset[str] | None, skip: frozenset[str],
                      helpers: bool) -> tuple[list[int], list[int]]:
    """(invariant, action property) indices into program.properties that a simulation checks
    (`replicheck.ir.selection.select`; the strengthening helpers only if asked for)."""
    chosen = select(program, only, skip, kinds=("invariant", "action"), helpers=helpers)
    return chosen.of_kind("invariant"), chosen.of_kind("action")


def simulate(program: Program, options: SimulateOptions | None = None,
             compiled: CompiledProgram | None = None) -> Simulation:
    """Random walks over `program`, stopping at the first violation, which is shrunk,
    replayed through the reference evaluator, confirmed and reported as a `CheckResult`."""
    options = options if options is not None else SimulateOptions()
    start = time.perf_counter()
    compiled = compiled if compiled is not None else compile_program(program)
    invariants, action_props = choose_properties(program, options.only, options.skip, options.helpers)
    deadlock = select(program, options.only, options.skip, kinds=(), deadlock=options.deadlock).deadlock
    checks = _Checks(program, compiled, invariants, action_props)
    inits = compiled.initial_states()
    families = sorted({a.family for a in program.actions})
    family_index = {f: i for i, f in enumerate(families)}
    family_of = [family_index[a.family] for a in program.actions]
    successors = compiled.successors_with_actions
    inv, act, may_leave = checks.inv, checks.act, checks.may_leave
    if options.schedule not in ("reactive", "uniform"):
        raise ValueError(f"unknown schedule {options.schedule!r}; use 'reactive' or 'uniform'")
    weights = _Weights(program) if options.schedule == "reactive" else None

    stats = RunStats(engine="simulate", initial_states=len(inits))
    seen: set[int] = set()
    sim = Simulation(CheckResult(program.name, dict(program.settings), program.variant, stats=stats), options=options)
    found: Found | None = None
    steps_total = 0
    longest = 0
    last_progress = start
    stop_reason = ""
    for run in range(options.runs):
        rng = random.Random(options.seed * 1_000_003 + run)
        allowed: list[bool] | None = None
        bias = BIAS_LOW + (BIAS_HIGH - BIAS_LOW) * rng.random()  # this run's reactivity (see SimulateOptions)
        if options.swarm:
            mask = [rng.random() < 0.5 for _ in families]
            if not any(mask):
                mask[rng.randrange(len(families))] = True
            allowed = [mask[f] for f in family_of]
        init = state = inits[rng.randrange(len(inits))]
        actions: list[int] = []
        sim.runs = run + 1
        try:
            if checks.out_of_domain(state):
                found = Found(Target("domain", "domain"), init, [], run)
            elif inv is not None and (k := inv(state)) >= 0:
                found = Found(_inv_target(program, invariants[k]), init, [], run)
            h = hash(state)
            new_state = h not in seen
            seen.add(h)
            depth = 0
            was_enabled: set[int] = set()
            prev: State | None = None
            fired: dict[int, int] = {}
            while found is None and depth < options.depth and not checks.outside(state):
                succ = successors(state)
                if weights is not None and new_state:
                    weights.count(succ)
                if allowed is not None:
                    succ = [x for x in succ if allowed[x[0]]]
                if not succ:
                    if deadlock:
                        found = Found(Target("deadlock", "deadlock"), init, actions, run)
                    break
                if weights is not None:
                    now_enabled = {x[0] for x in succ}
                    fresh = [x[0] not in was_enabled for x in succ]
                    was_enabled = now_enabled
                    ai, t = weights.choose(rng, succ, fresh, bias, state, prev,
                                           actions[-1] if actions else -1, fired)
                    fired[ai] = fired.get(ai, 0) + 1
                else:
                    ai, t = succ[rng.randrange(len(succ))]
                actions.append(ai)
                depth += 1
                if may_leave[ai] and checks.out_of_domain(t):
                    found = Found(Target("domain", "domain"), init, actions, run)
                    break
                if act is not None and (k := act(state, t)) >= 0:
                    found = Found(_act_target(program, action_props[k]), init, actions, run)
                    break
                prev, state = state, t
                h = hash(state)
                new_state = h not in seen
                seen.add(h)
                if inv is not None and (k := inv(state)) >= 0:
                    found = Found(_inv_target(program, invariants[k]), init, actions, run)
                    break
        except R.ModelRuntimeError as err:
            found = Found(Target("error", "model error", message=str(err)), init, actions, run)
        except KeyboardInterrupt as err:  # Ctrl-C, SIGTERM: report the runs done so far
            stop_reason = f"interrupted ({interrupts.note(err)})"
            break
        steps_total += len(actions)
        longest = max(longest, len(actions))
        if found is not None:
            sim.found_in_run = run
            if options.swarm:
                sim.families = [[f for f, on in zip(families, _mask_of(allowed, family_of, len(families))) if on]]
            break
        now = time.perf_counter()
        if options.progress is not None and now - last_progress >= options.progress_interval:
            last_progress = now
            stats.seconds, stats.transitions, stats.distinct_states = now - start, steps_total, len(seen)
            options.progress(stats)
        if options.max_seconds is not None and now - start >= options.max_seconds:
            stop_reason = "max_seconds"
            break

    sim.steps = steps_total
    stats.transitions = steps_total
    stats.distinct_states = len(seen)
    stats.depth = longest + 1
    stats.seconds = time.perf_counter() - start
    verdicts: list[Verdict] = []
    what = f"simulation: {sim.runs:,} random runs of at most {options.depth} steps, seed {options.seed}"
    if found is not None:
        sim.original_steps = len(found.actions)
        if options.shrink:
            t0 = time.perf_counter()
            shrinker = Shrinker(program, compiled, checks, found.target)
            try:
                found = shrinker.shrink(found)
            except KeyboardInterrupt as err:  # the violation found stands, unshrunk
                sim.result.warnings.append(f"shrinking interrupted ({interrupts.note(err)}): the trace is as found")
            sim.shrink_seconds = time.perf_counter() - t0
            sim.shrink_attempts = shrinker.attempts
        sim.shrunk_steps = len(found.actions)
        trace = confirmed_trace(program, compiled, checks, found)
        verdict = Verdict(found.target.name, found.target.kind, VIOLATED,
                          violation_message(program, checks, found, trace), trace)
        verdicts.append(verdict)
        stats.seconds = time.perf_counter() - start
        stats.complete = False
        stats.stop_reason = "violation"
    else:
        stats.complete = False
        stats.stop_reason = stop_reason or "a simulation is not exhaustive"
    not_found = f"not violated in {sim.runs:,} random runs (not a proof)"
    selected = [(program.properties[k].name, program.properties[k].kind) for k in sorted(invariants + action_props)]
    verdicts = write_verdicts(
        selected, {v.property: v for v in verdicts},
        lambda name, kind: Verdict(name, kind, INCOMPLETE, not_found if found is None else "not checked after the violation"),
        deadlock=deadlock,
    )
    stats.engine = what
    sim.result.verdicts = verdicts
    return sim


def _mask_of(allowed: list[bool] | None, family_of: list[int], n: int) -> list[bool]:
    mask = [False] * n
    if allowed is not None:
        for ai, on in enumerate(allowed):
            if on:
                mask[family_of[ai]] = True
    return mask


def _inv_target(program: Program, k: int) -> Target:
    return Target("invariant", program.properties[k].name, k)


def _act_target(program: Program, k: int) -> Target:
    return Target("action", program.properties[k].name, k)


# -- replaying and shrinking ------------------------------------------------------------


class Shrinker:
    """Shrinks a `Found` to a smaller one violating the same `target`.

    The order: fewer steps first, then a lexicographically smaller sequence of parameter
    values (the initial state's index among the initial states first). Every accepted
    candidate is strictly smaller, so shrinking terminates; each is a real execution (every
    guard holds, every intermediate state is within its domains and raises no run-time error
    in the checks) that violates the target, and is cut at the first state that does."""

    def __init__(self, program: Program, compiled: CompiledProgram, checks: _Checks, target: Target,
                 max_attempts: int = 200_000) -> None:
        self.program = program
        self.compiled = compiled
        self.checks = checks
        self.target = target
        self.attempts = 0
        self.max_attempts = max_attempts
        self.inits = compiled.initial_states()
        self.by_key: dict[tuple[str, tuple[int, ...]], int] = {}
        self.family_members: dict[str, list[int]] = {}
        for ai, a in enumerate(program.actions):
            key = (a.family, tuple(p.value for p in a.params))
            self.by_key.setdefault(key, ai)
            self.family_members.setdefault(a.family, []).append(ai)
        for members in self.family_members.values():
            members.sort(key=self.param_key)
        self.pred: Callable[..., int] | None = None
        if target.kind in ("invariant", "action"):
            self.pred = compiled.first_false([target.index])

    def param_key(self, ai: int) -> tuple[int, ...]:
        return tuple(p.value for p in self.program.actions[ai].params)

    def order_key(self, init: State, actions: Sequence[int]) -> tuple[int, int, tuple[tuple[int, ...], ...]]:
        return (len(actions), self.inits.index(init) if init in self.inits else 0,
                tuple(self.param_key(a) for a in actions))

    # -- one candidate ----------------------------------------------------------------------
    def violates_at(self, init: State, actions: Sequence[int]) -> int | None:
        """Replays `actions` from `init`; the number of steps after which the target is first
        violated, or None if the candidate is not an execution or never violates it."""
        self.attempts += 1
        t, checks = self.target, self.checks
        compiled = self.compiled
        try:
            if checks.out_of_domain(init):
                return 0 if t.kind == "domain" else None
            state = init
            if self._state_violates(state):
                return 0
            for i, ai in enumerate(actions):
                if checks.outside(state):  # a walk never leaves a state outside the @constraint
                    return None
                nxt = compiled.fire(ai, state)
                if nxt is None:
                    return None
                if checks.may_leave[ai] and checks.out_of_domain(nxt):
                    return i + 1 if t.kind == "domain" else None
                if t.kind == "action" and self.pred(state, nxt) >= 0:  # type: ignore[misc]
                    return i + 1
                state = nxt
                if self._state_violates(state):
                    return i + 1
        except R.ModelRuntimeError:
            return None
        return None

    def _state_violates(self, state: State) -> bool:
        t = self.target
        if t.kind == "invariant":
            assert self.pred is not None
            return bool(self.pred(state) >= 0)
        if t.kind == "deadlock":
            return not self.compiled.successors(state)
        if t.kind == "error":
            found = reference_error(
                self.program, state,
                [self.program.properties[k] for k in self.checks.invariants], [],
                [self.program.properties[k] for k in self.checks.action_props],
            )
            return found is not None and str(found[0]) == t.message
        return False

    def _try(self, best: Found, init: State, actions: list[int]) -> Found | None:
        if self.attempts >= self.max_attempts:
            return None
        n = self.violates_at(init, actions)
        if n is None:
            return None
        cand = Found(best.target, init, list(actions[:n]), best.run)
        if self.order_key(cand.init, cand.actions) < self.order_key(best.init, best.actions):
            return cand
        return None

    # -- passes -----------------------------------------------------------------------------
    def shrink(self, found: Found) -> Found:
        n = self.violates_at(found.init, found.actions)
        if n is None:
            raise InternalCheckerError("the simulation's counterexample does not replay under the compiled backend")
        best = Found(found.target, found.init, list(found.actions[:n]), found.run)
        while True:
            before = self.order_key(best.init, best.actions)
            best = self.remove_steps(best)
            best = self.simplify_init(best)
            best = self.rename_elements(best)
            best = self.simplify_params(best)
            if self.order_key(best.init, best.actions) >= before or self.attempts >= self.max_attempts:
                return best

    def remove_steps(self, best: Found) -> Found:
        """Delta debugging: remove chunks of steps, halving the chunk size down to one."""
        size = max(1, len(best.actions) // 2)
        while size >= 1:
            i = 0
            while i < len(best.actions):
                cand = best.actions[:i] + best.actions[i + size:]
                better = self._try(best, best.init, cand)
                if better is not None:
                    best = better
                else:
                    i += size
            if size == 1:
                break
            size = max(1, size // 2)
        return best

    def simplify_init(self, best: Found) -> Found:
        for init in self.inits:
            if init == best.init:
                break
            better = self._try(best, init, best.actions)
            if better is not None:
                return better
        return best

    def simplify_params(self, best: Found) -> Found:
        """Replace each step by a smaller instance of its family (smallest first)."""
        i = 0
        while i < len(best.actions):
            ai = best.actions[i]
            family = self.program.actions[ai].family
            for alt in self.family_members[family]:
                if self.param_key(alt) >= self.param_key(ai):
                    break
                cand = best.actions[:i] + [alt] + best.actions[i + 1:]
                better = self._try(best, best.init, cand)
                if better is not None:
                    best = better
                    break
            i += 1
        return best

    def rename_elements(self, best: Found) -> Found:
        """Swap two elements of a sort in every step's parameters, when that gives smaller
        parameters (the model need not be symmetric: the replay decides)."""
        sorts: dict[str, int] = {}
        for a in self.program.actions:
            for p in a.params:
                size = getattr(p.type, "size", None)
                if size is not None and hasattr(p.type, "sort"):
                    sorts[p.type.sort] = size  # type: ignore[union-attr]
        for sort, size in sorts.items():
            for lo in range(size):
                for hi in range(lo + 1, size):
                    swapped = self._swap(best.actions, sort, lo, hi)
                    if swapped is None:
                        continue
                    better = self._try(best, best.init, swapped)
                    if better is not None:
                        best = better
        return best

    def _swap(self, actions: list[int], sort: str, x: int, y: int) -> list[int] | None:
        out: list[int] = []
        changed = False
        for ai in actions:
            a = self.program.actions[ai]
            values = []
            for p in a.params:
                v = p.value
                if getattr(p.type, "sort", None) == sort:
                    if v == x:
                        v, changed = y, True
                    elif v == y:
                        v, changed = x, True
                values.append(v)
            alt = self.by_key.get((a.family, tuple(values)))
            if alt is None:
                return None
            out.append(alt)
        return out if changed else None


def confirmed_trace(program: Program, compiled: CompiledProgram, checks: _Checks, found: Found) -> Trace:
    """The states of `found` (fired by the compiled backend), replayed and confirmed by the
    reference evaluator."""
    states = [found.init]
    for ai in found.actions:
        ref = R.fire(program.actions[ai], states[-1])
        if ref is None:
            raise InternalCheckerError(f"{program.actions[ai].label} is not enabled under the reference evaluator")
        states.append(ref)
    trace = replay_path(program, states)
    t = found.target
    if t.kind in ("invariant", "action"):
        confirm(program, trace, t.kind, program.properties[t.index])
    elif t.kind in ("domain", "deadlock"):
        confirm(program, trace, t.kind)
    return trace


def violation_message(program: Program, checks: _Checks, found: Found, trace: Trace) -> str:
    t = found.target
    if t.kind == "invariant":
        return f"invariant {t.name} is violated"
    if t.kind == "action":
        return f"action property {t.name} is violated by {program.actions[found.actions[-1]].label}"
    if t.kind == "deadlock":
        return "deadlock: no action is enabled in the last state"
    if t.kind == "domain":
        where = "in an initial state" if not found.actions else f"after {program.actions[found.actions[-1]].label}"
        return domain_message(program, trace.steps[-1].state, where)
    ref = reference_error(
        program, trace.steps[-1].state,
        [program.properties[k] for k in checks.invariants], [],
        [program.properties[k] for k in checks.action_props],
    )
    if ref is None or str(ref[0]) != t.message:
        raise InternalCheckerError(f"the compiled backend raised {t.message!r} but the reference evaluator "
                                   + ("does not" if ref is None else f"raised {ref[0]!r}"))
    err, where = ref
    src = err.source
    at = ""
    if src is not None and src.line:
        at = f" at {src.file}:{src.line}" + (f": {src.text}" if src.text else "")
    return f"model error in {where}: {err}{at}"


__all__ = ["SimulateOptions", "Simulation", "Shrinker", "Found", "Target", "simulate", "choose_properties",
           "confirmed_trace", "HOLDS"]
