"""The public Python API: `check`, `prove`, `simulate` and `assert_holds`, the same runs as the CLI.

Owns: turning a model reference (an instance, a `Model` subclass, a shipped model's name or a
model file's path) and keyword options into one run, the validation of those options (the CLI
derives its refusals from here, so a refused combination reads the same from Python and from
the shell), the choice of what `prove` checks, and `Result`, the one object every run returns:

    >>> import replicheck as r
    >>> res = r.check("rds.multi_az", variant="as_2011")
    >>> res.ok, res.verdicts["failover_completes"]   # doctest: +SKIP
    (False, 'violated')

A `check` runs exactly what `replicheck check` runs: the safety search, the measures, and the
liveness properties under the model's fairness, with the model's own `check_deadlock`.

Engines are imported when a run needs them, so `import replicheck` stays light.

Must not import: z3, numpy, hypothesis (at module level), `replicheck.cli`, `replicheck.models`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from replicheck import interrupts
from replicheck.engines import ENGINES, Limits, explicit_engine, refusals
from replicheck.errors import OptionError
from replicheck.ir.selection import check_names, select
from replicheck.lang.model import Model
from replicheck.report.results import (
    HOLDS,
    INCOMPLETE,
    VACUOUS,
    VIOLATED,
    CheckResult,
    RunStats,
    Trace,
    Verdict,
    write_verdicts,
)

if TYPE_CHECKING:
    from replicheck.ir import Program
    from replicheck.simulation import Simulation
    from replicheck.symbolic.induction import InductionResult

ModelRef = Model | type[Model] | str
Progress = Callable[[RunStats], None]

ENGINE_CHOICES = ("scalar", "batch", "ray")  # --engine; which explicit engine runs: engines.explicit_engine
STRATEGIES = ("bfs", "dfs")
STORES = ENGINES["batch"].stores  # the stores any engine offers, as replicheck.engines declares them
# The property kinds each prove engine checks.
PROVE_KINDS = {"bmc": ("invariant", "action", "reachable"), "k-induction": ("invariant",), "inductive": ("invariant",)}
KIND_WORDS = {"invariant": "an invariant", "action": "an action property", "reachable": "a reachability target",
              "liveness": "a liveness property", "measure": "a measure", "constraint": "a state constraint"}
DEFAULT_BMC_DEPTH = 10
# Seconds `prove --bmc` lets the solver try, per depth, to show the state space is exhausted
# (which would turn a bounded result into a proof) before it settles for a bounded result.
COMPLETENESS_CAP = 30.0


# -- models -------------------------------------------------------------------------------


def instantiate(model: ModelRef, variant: str | None = None, settings: Mapping[str, Any] | None = None) -> Model:
    """The model instance a run checks: `model` itself, or the class (or the shipped model or
    file `model` names) instantiated with `variant` and `settings`."""
    if isinstance(model, Model):
        if variant is not None or settings:
            raise OptionError("variant and settings are chosen when the model is instantiated; "
                              "pass the class or the model's name to choose them here")
        return model
    if isinstance(model, str):
        from replicheck.registry import load

        cls = load(model).cls
    elif isinstance(model, type) and issubclass(model, Model):
        cls = model
    else:
        raise OptionError(f"expected a Model instance, a Model subclass or a model's name, not {model!r}")
    return cls(variant=variant, **dict(settings or {}))


def _program(model: Model, max_seconds: float | None = None) -> Program:
    """The traced program; `max_seconds` (the run's limit) stops a trace that takes longer,
    as an incomplete run (`replicheck.errors.TracingIncomplete`, exit 3)."""
    return model.compile(max_seconds=max_seconds)


# -- results ------------------------------------------------------------------------------


_RANK = {HOLDS: 0, VACUOUS: 1, INCOMPLETE: 2, VIOLATED: 3}


@dataclass(repr=False)
class Result:
    """What a run found. `ok`: every property holds (and the run was complete); `status`:
    "holds", "violated" or "incomplete"; `verdicts`: property name -> "holds" / "violated" /
    "incomplete" / "vacuous" (also "deadlock" and "domain" when checked or violated);
    `traces`: property name -> its counterexample (a lasso for liveness) or witness;
    `stats`: distinct states, transitions, depth, seconds, ...; `warnings`; `measurements`;
    `details`: the full `CheckResult` the renderers read. `exit_code` is the CLI's for the
    same run. `render()` is the CLI's text (or Markdown) output."""

    details: CheckResult
    command: str = "check"
    proof: ProofInfo | None = None
    simulation: Simulation | None = None

    @property
    def model(self) -> str:
        return self.details.model

    @property
    def status(self) -> str:
        return self.details.status

    @property
    def ok(self) -> bool:
        return self.status == HOLDS

    @property
    def exit_code(self) -> int:
        if self.command == "simulate":  # a simulation that finds nothing has nothing to report
            if self.details.first_violation() is not None:
                return 1
            return 3 if self.details.stats.stop_reason.startswith("interrupted") else 0
        return self.details.exit_code

    @property
    def verdicts(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for v in self.details.verdicts:
            if v.property not in out or _RANK[v.status] > _RANK[out[v.property]]:
                out[v.property] = v.status
        return out

    @property
    def traces(self) -> dict[str, Trace]:
        out: dict[str, Trace] = {}
        for v in self.details.verdicts:
            if v.trace is not None and v.property not in out:
                out[v.property] = v.trace
        return out

    @property
    def counterexample(self) -> Trace | None:
        """The first violation's trace, if any."""
        first = self.details.first_violation()
        return first.trace if first is not None else None

    @property
    def stats(self) -> RunStats:
        return self.details.stats

    @property
    def warnings(self) -> list[str]:
        return self.details.warnings

    @property
    def measurements(self) -> list[Any]:
        return self.details.measurements

    def violations(self) -> list[Verdict]:
        return [v for v in self.details.verdicts if v.status in (VIOLATED, VACUOUS)]

    def render(self, format: str = "text", color: bool = False) -> str:
        """The CLI's report of this run: "text" or "md"."""
        if format == "md":
            from replicheck.report.markdown import render_result_md

            return render_result_md(self.details)
        if format != "text":
            raise OptionError(f"format is 'text' or 'md', not {format!r}")
        from replicheck.report.text import render_result

        return render_result(self.details, color=color)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for status in self.verdicts.values():
            counts[status] = counts.get(status, 0) + 1
        bad = [name for name, status in self.verdicts.items() if status in (VIOLATED, VACUOUS)]
        what = ", ".join(f"{n} {s}" for s, n in counts.items())
        if bad:
            what += ": " + ", ".join(bad[:3]) + (", ..." if len(bad) > 3 else "")
        variant = f"[{self.details.variant}]" if self.details.variant else ""
        return (f"<Result {self.details.model}{variant} {self.command}: {self.status} ({what}); "
                f"{self.stats.distinct_states:,} states>")


# -- check --------------------------------------------------------------------------------


def check_options(
    program: Program,
    model_cls: type[Model],
    *,
    strategy: str = "bfs",
    max_states: int | None = None,
    max_depth: int | None = None,
    max_seconds: float | None = None,
    deadlock: bool | None = None,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    stop_at_first: bool = True,
    symmetry: bool = False,
    unreduced: bool = False,
    engine: str = "scalar",
    store: str | None = None,
    max_memory: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    partitions: int | None = None,
    ray_address: str | None = None,
    checkpoint: str | None = None,
    resume: str | None = None,
    liveness: bool = True,
) -> Any:
    """The `CheckOptions` of a check, refusing combinations that do not go together
    (`liveness`: whether the run goes on to liveness, as `check(liveness=)` says)."""
    from replicheck.explore import CheckOptions

    only, skip = list(only), list(skip)
    check_names(program, only + skip)
    limits = Limits(max_states, max_depth, max_seconds, max_memory)  # validated here, once
    if engine not in ENGINE_CHOICES:
        raise OptionError(f"engine is one of {', '.join(ENGINE_CHOICES)}, not {engine!r}")
    if strategy not in STRATEGIES:
        raise OptionError(f"strategy is one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if store is not None and store not in STORES:
        raise OptionError(f"store is one of {', '.join(STORES)}, not {store!r}")
    if engine in ("batch", "ray") and strategy != "bfs":
        raise OptionError(f"the {engine} engine is breadth-first; drop --dfs or use --engine scalar")
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1):
        raise OptionError(f"--partitions must be a whole number, at least 1, not {partitions!r}")
    if checkpoint is not None and resume is not None and checkpoint != resume:
        raise OptionError("--resume DIR goes on checkpointing into DIR: give --checkpoint the same directory, or leave it out")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(f"--workers must be a whole number, at least 1, not {workers!r}")
    if unreduced and not symmetry:
        raise OptionError("--unreduced counts what --symmetry reduces; give --symmetry too")
    # what the chosen engine supports is declared once, in replicheck.engines
    selection = select(program, only or None, skip, kinds=("liveness", "measure"))
    requested = {**limits.requested(), "symmetry": symmetry, "workers": workers, "store": store,
                 "constraint": bool(program.of_kind("constraint")), "partitions": partitions,
                 "ray_address": ray_address, "checkpoint": checkpoint, "resume": resume,
                 "liveness": liveness and bool(selection.of_kind("liveness")),
                 "measures": bool(selection.of_kind("measure"))}
    refused = refusals(explicit_engine(engine, strategy), requested)
    if refused:
        raise OptionError(refused[0])
    return CheckOptions(
        strategy=strategy,
        max_states=max_states,
        max_depth=max_depth,
        max_seconds=max_seconds,
        deadlock=model_cls.check_deadlock if deadlock is None else deadlock,
        only=frozenset(only) if only else None,
        skip=frozenset(skip),
        stop_at_first=stop_at_first,
        progress=progress,
        symmetry=symmetry,
        unreduced=unreduced,
        engine=engine,
        store=store or "exact",
        max_memory=max_memory,
        workers=workers,
        partitions=partitions,
        ray_address=ray_address,
        checkpoint=checkpoint,
        resume=resume,
    )


def check(
    model: ModelRef,
    *,
    variant: str | None = None,
    settings: Mapping[str, Any] | None = None,
    liveness: bool = True,
    **options: Any,
) -> Result:
    """Check every property of `model` by exploring its reachable states, as `replicheck check`
    does: safety (invariants, action properties, reachability targets, deadlock, the variables'
    domains), the measures, and the liveness properties under the model's fairness.

    `model`: a model instance, a `Model` subclass or the name of a shipped model or model file
    (then `variant` and `settings` choose its variant, sort sizes and settings). Options
    (keywords, as the CLI's flags): strategy ("bfs" or "dfs"), max_states, max_depth,
    max_seconds, deadlock (None: the model's `check_deadlock`), only / skip (property
    names), stop_at_first (False: like --continue), liveness (False: like --no-liveness),
    symmetry, unreduced, engine ("scalar", "batch" or "ray"), store, max_memory, workers,
    partitions and ray_address (the ray engine), checkpoint and resume (directories; the batch
    and ray engines), progress (a callable given the running `RunStats`)."""
    from replicheck.explore.full import check_model

    instance = instantiate(model, variant, settings)
    started = time.perf_counter()
    limit = options.get("max_seconds")
    program = _program(instance, Limits(max_seconds=limit).max_seconds)
    if limit is not None:  # tracing took part of the run's time: the search gets what is left
        options = {**options, "max_seconds": Limits(max_seconds=limit).after(time.perf_counter() - started).max_seconds}
    opts = check_options(program, type(instance), liveness=liveness, **options)
    return Result(check_model(program, opts, liveness=liveness))


def assert_holds(model: ModelRef, **options: Any) -> Result:
    """`check(model, **options)`, raising AssertionError with the rendered counterexample (or
    the reason the run was incomplete) unless every property holds. Returns the result."""
    result = check(model, **options)
    if not result.ok:
        raise AssertionError("\n" + result.render())
    return result


# -- prove --------------------------------------------------------------------------------


@dataclass
class ProofInfo:
    """What `prove` ran: the engine, its bound, whether it was the default choice, the
    properties it checked (and which of them are strengthening helpers), and, for the
    induction engines, their result (status "proved" / "refuted" / "unknown", the
    counterexamples to induction)."""

    engine: str
    bound: int | None
    default: bool
    header: str
    checked: list[str]
    helpers: list[str]
    induction: InductionResult | None = None


def prove_plan(program: Program, *, bmc: int | None = None, k_induction: int | None = None,
               inductive: bool = False) -> tuple[str, int, str, bool]:
    """(engine, bound, header line, default?) for `prove`: the engine asked for, or the default
    (inductive if the model has strengthening invariants, else bounded model checking to 10)."""
    asked = [e for e, on in (("bmc", bmc is not None), ("k-induction", k_induction is not None),
                             ("inductive", inductive)) if on]
    if len(asked) > 1:
        raise OptionError(f"choose one engine, not {' and '.join(asked)}")
    helpers = [p.name for p in program.properties if p.kind == "invariant" and p.strengthening]
    if inductive:
        return "inductive", 1, "inductive invariant check", False
    if k_induction is not None:
        if k_induction < 1:
            raise OptionError(f"k_induction must be at least 1, not {k_induction}")
        return "k-induction", k_induction, f"k-induction with k <= {k_induction}", False
    if bmc is not None:
        if bmc < 0:
            raise OptionError(f"bmc depth must be at least 0, not {bmc}")
        return "bmc", bmc, f"bounded model checking to depth {bmc}", False
    if helpers:
        return "inductive", 1, (
            f"inductive invariant check (the default: {program.name} declares {len(helpers)} strengthening "
            "invariant(s); --bmc DEPTH or --k-induction K for the other engines)"
        ), True
    return "bmc", DEFAULT_BMC_DEPTH, (
        f"bounded model checking to depth {DEFAULT_BMC_DEPTH} (the default: {program.name} declares no "
        "strengthening invariants; --inductive or --k-induction K to attempt a proof)"
    ), True


def prove_selection(program: Program, engine: str, only: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """The property names the engine checks, and warnings about those it does not."""
    only = list(only)
    kinds = PROVE_KINDS[engine]
    by_name = {p.name: p for p in program.properties}
    for name in only:
        prop = by_name.get(name)
        if prop is None:
            check_names(program, [name], deadlock_is_a_name=False)
        elif prop.kind not in kinds:
            hint = "use --bmc" if prop.kind in PROVE_KINDS["bmc"] else "use `replicheck check`"
            what = "the induction engines prove invariants only" if engine != "bmc" else "prove does not check these"
            raise OptionError(f"{name} is {KIND_WORDS.get(prop.kind, prop.kind)}, and {what}: {hint}")
    helpers = [p.name for p in program.properties if p.kind == "invariant" and p.strengthening]
    if only:
        names = list(dict.fromkeys(only))
        if engine != "bmc":
            names += [h for h in helpers if h not in names]
    else:
        names = [p.name for p in program.properties if p.kind in kinds]
    if not names:
        raise OptionError(f"{program.name} has no {' or '.join(KIND_WORDS[k] for k in kinds)} for this engine to check")
    skipped = [] if only else [p for p in program.properties if p.kind not in kinds]
    warnings = []
    for p in skipped:
        hint = "use --bmc or `replicheck check`" if p.kind in PROVE_KINDS["bmc"] else "use `replicheck check`"
        warnings.append(f"{p.name} ({p.kind}) is not checked by this engine: {hint}")
    return names, warnings


def prove(
    model: ModelRef,
    *,
    variant: str | None = None,
    settings: Mapping[str, Any] | None = None,
    bmc: int | None = None,
    k_induction: int | None = None,
    inductive: bool = False,
    only: Iterable[str] = (),
    timeout: float | None = None,
) -> Result:
    """Check `model` symbolically with Z3, as `replicheck prove` does: bounded model checking to
    depth `bmc`, k-induction with k <= `k_induction`, or an inductive-invariant check
    (`inductive`); with none of them, the model's default (inductive when it declares
    strengthening invariants, else bounded model checking to depth 10). `result.proof` says
    what ran; `timeout` is the solver's, in seconds."""
    from replicheck.symbolic import bmc as run_bmc
    from replicheck.symbolic import check_inductive
    from replicheck.symbolic import k_induction as run_k_induction

    Limits(max_seconds=timeout)  # the same rules as every engine's limits
    program = _program(instantiate(model, variant, settings), timeout)
    engine, bound, header, default = prove_plan(program, bmc=bmc, k_induction=k_induction, inductive=inductive)
    names, warnings = prove_selection(program, engine, only)
    induction = None
    try:
        with interrupts.through_native_calls():  # a signal while ctypes passes arguments to Z3
            if engine == "bmc":
                details = run_bmc(program, bound, invariants=names, timeout=timeout,
                                  completeness_cap=COMPLETENESS_CAP)
            else:
                if engine == "inductive":
                    induction = check_inductive(program, invariants=names, timeout=timeout)
                else:
                    induction = run_k_induction(program, bound, invariants=names, timeout=timeout)
                details = induction.to_check_result()
    except KeyboardInterrupt as err:  # Ctrl-C, SIGTERM while Python (not the solver) ran
        details = _interrupted_proof(program, names, interrupts.note(err))
    details.warnings.extend(warnings)
    helpers = [p.name for p in program.properties if p.kind == "invariant" and p.strengthening and p.name in names]
    info = ProofInfo(engine, bound if engine != "inductive" else None, default, header, names, helpers, induction)
    return Result(details, command="prove", proof=info)


def _interrupted_proof(program: Program, names: list[str], signal_name: str) -> CheckResult:
    kinds = {p.name: p.kind for p in program.properties}
    why = f"not decided: interrupted ({signal_name})"
    verdicts = write_verdicts([(n, kinds[n]) for n in names], {}, lambda n, k: Verdict(n, k, INCOMPLETE, why))
    stats = RunStats(engine="z3", complete=False, stop_reason=f"interrupted ({signal_name})")
    return CheckResult(program.name, dict(program.settings), program.variant, verdicts, stats)


# -- simulate -----------------------------------------------------------------------------


def simulate(
    model: ModelRef,
    *,
    variant: str | None = None,
    settings: Mapping[str, Any] | None = None,
    runs: int = 1000,
    depth: int = 100,
    seed: int = 0,
    swarm: bool = False,
    schedule: str = "reactive",
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    helpers: bool = False,
    deadlock: bool | None = None,
    shrink: bool = True,
    max_seconds: float | None = None,
    progress: Progress | None = None,
) -> Result:
    """Random walks through `model`, as `replicheck simulate` does: `runs` walks of at most
    `depth` steps from `seed`, the first violation shrunk and replayed. Finding nothing is not
    a proof: the verdicts are then "incomplete" (and `exit_code` 0). `result.simulation` has
    the run counts and the shrinking figures."""
    from replicheck.simulation import SimulateOptions
    from replicheck.simulation import simulate as run_simulation

    instance = instantiate(model, variant, settings)
    Limits(max_seconds=max_seconds)  # the same rules as every engine's limits
    program = _program(instance, max_seconds)
    only, skip = list(only), list(skip)
    check_names(program, only + skip)
    if schedule not in ("reactive", "uniform"):
        raise OptionError(f"schedule is 'reactive' or 'uniform', not {schedule!r}")
    for name, value in (("runs", runs), ("depth", depth)):
        if value < 1:
            raise OptionError(f"{name} must be at least 1, not {value}")
    options = SimulateOptions(
        runs=runs,
        depth=depth,
        seed=seed,
        swarm=swarm,
        schedule=schedule,
        only=frozenset(only) if only else None,
        skip=frozenset(skip),
        helpers=helpers,
        deadlock=type(instance).check_deadlock if deadlock is None else deadlock,
        shrink=shrink,
        max_seconds=max_seconds,
        progress=progress,
    )
    sim = run_simulation(program, options)
    return Result(sim.result, command="simulate", simulation=sim)
