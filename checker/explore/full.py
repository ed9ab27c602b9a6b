"""One explicit-state run of everything a model asks for: safety, then liveness.

Owns: `check_model(program, options, liveness=True)`: the safety search (`check`); the
measures (`measures.measure_all`) over the reachable graph; then, when the model has liveness
properties, the run was complete and found nothing that stops it, the fair-SCC analysis
(`live.check_liveness`) over the same graph, merged into one `CheckResult`. Liveness is skipped, with a note, after a safety violation that stopped the
run or when a limit cut the run short.

Must not import: z3, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from replicheck import interrupts
from replicheck.backends.compiled import compile_program
from replicheck.backends.reference import ModelRuntimeError
from replicheck.ir import Program, Property
from replicheck.ir.selection import select
from replicheck.report.results import INCOMPLETE, CheckResult, RunStats, Verdict

from . import check
from .batch_graph import GraphRecorder, RecordedGraph, spill_threshold
from .graph import LabelledGraph, Progress, build_graph
from .live import check_liveness, evaluation_error
from .measures import measure_all
from .memory import peak_resident_bytes
from .options import CheckOptions
from .symmetry import SymmetryRefused


def check_model(program: Program, options: CheckOptions | None = None, liveness: bool = True) -> CheckResult:
    options = options if options is not None else CheckOptions()
    if options.symmetry and liveness and _selected_liveness(program, options):
        raise SymmetryRefused(
            "symmetry reduction is not used for liveness: a fair cycle of orbits need not be a fair "
            "cycle of states (fairness is per action instance); check liveness without --symmetry, "
            "or skip it with --no-liveness"
        )
    measures = select(program, options.only, options.skip, kinds=("measure",)).properties
    recorder = _recorder(program, options, measures, _selected_liveness(program, options) if liveness else [])
    result = check(program, options, recorder)
    recorded = recorder.finished if recorder is not None else None  # the batch engine's graph
    if measures and recorded is not None and not recorded.complete and result.stats.stop_reason == "violation":
        recorded = _record_whole_graph(program, options, measures, result)
    built: LabelledGraph | None = None
    if measures and result.stats.stop_reason == "error":  # the graph would meet the same run-time error
        result.warnings.append("measures not computed: the model raised a run-time error (the model error above)")
    elif measures and result.stats.stop_reason == "interrupted":  # Ctrl-C or SIGTERM: no second exploration
        result.warnings.append("measures not computed: the run was interrupted")
    elif measures and result.stats.distinct_states > 0:
        started = time.perf_counter()
        left = options.limits.after(result.stats.seconds)  # every phase gets what the run has left
        try:
            built = recorded if recorded is not None else build_graph(
                compile_program(program), left.max_states, left.max_seconds, left.max_memory,
                _graph_progress(options, "measures"), max_depth=options.max_depth)
            try:
                result.measurements = measure_all(program, built, measures)
            except ModelRuntimeError:
                result.verdicts.append(evaluation_error(program, built, "a measure", [m.expr for m in measures]))
                result.stats.complete, result.stats.stop_reason = False, "error"
                return result
        except KeyboardInterrupt as err:  # Ctrl-C, SIGTERM: what safety found stands
            return _interrupted(result, program, options, err, "while the measures' graph was built")
        result.stats.seconds += time.perf_counter() - started
        if not built.complete:
            result.warnings.append("measures cover only the states explored before a limit")
    props = _selected_liveness(program, options)
    if not props:
        return result
    if program.of_kind("constraint"):
        result.warnings.append(
            "liveness is checked on the graph cut by the @constraint: behaviours that leave it are "
            "not explored, so a liveness verdict may be vacuous"
        )
    if not liveness:
        result.warnings.append("liveness properties not checked (--no-liveness): " + ", ".join(p.name for p in props))
        return result
    stopped = result.first_violation() is not None and options.stop_at_first
    if stopped or not result.stats.complete:
        why = "a safety violation stopped the run" if stopped else "the run was incomplete"
        result.verdicts += [Verdict(p.name, "liveness", INCOMPLETE, f"not checked: {why}") for p in props]
        return result
    started = time.perf_counter()
    peak_before = peak_resident_bytes()
    left = options.limits.after(result.stats.seconds)
    if recorded is not None and recorded.complete:
        built = recorded  # one exploration: the batch search recorded the graph
    elif built is not None and not built.complete:
        built = None
    try:
        live = check_liveness(program, props, built=built, max_states=left.max_states, max_seconds=left.max_seconds,
                              max_memory=left.max_memory,
                              progress=_graph_progress(options, "liveness") if built is None else None)
    except KeyboardInterrupt as err:
        return _interrupted(result, program, options, err, "while liveness was checked")
    result.verdicts += live
    if result.stats.peak_memory:  # the real peak: the liveness analysis comes after the search's
        result.stats.peak_memory += max(0, peak_resident_bytes() - peak_before)
    if any(v.property == "model error" for v in live):
        result.stats.complete, result.stats.stop_reason = False, "error"
    result.warnings += [f"{v.property} {v.message}" for v in live if "vacuously" in v.message]
    result.stats.seconds += time.perf_counter() - started
    if any(v.kind == "liveness" and v.status == INCOMPLETE for v in result.verdicts):
        result.stats.complete = False
        result.stats.stop_reason = result.stats.stop_reason or "liveness graph limit"
    return result


def _record_whole_graph(program: Program, options: CheckOptions, measures: list[Property],
                        result: CheckResult) -> RecordedGraph | None:
    """The batch engine's graph of every reachable state, for measures after a search that
    stopped at a violation: measures range over the reachable states, whatever the search
    found, as the scalar engine's second graph does (one meaning). A second batch search that
    does not stop, under what the run's limits have left; its time is the run's."""
    left = options.limits.after(result.stats.seconds)
    report = options.progress
    label = "graph for measures by the batch engine, the search having stopped at a violation"
    if report is not None:
        report(RunStats(engine=label))  # the phase begins
    again = replace(options, stop_at_first=False, max_states=left.max_states, max_seconds=left.max_seconds,
                    checkpoint=None, resume=None,
                    progress=None if report is None else lambda stats: report(replace(stats, engine=label)))
    recorder = _recorder(program, again, measures, [])
    assert recorder is not None
    started = time.perf_counter()
    check(program, again, recorder)
    result.stats.seconds += time.perf_counter() - started
    return recorder.finished


def _recorder(program: Program, options: CheckOptions, measures: list[Property],
              live: list[Property]) -> GraphRecorder | None:
    """With the batch engine, the recorder of the labelled graph the measures and the
    liveness properties need, so that the search is the only exploration."""
    if options.engine != "batch" or not (measures or live):
        return None
    predicates = [(p, 1) for p in live] + [(p, 2) for p in live if p.expr2 is not None]
    return GraphRecorder(program, predicates, measures, bool(program.of_kind("constraint")), len(program.actions),
                         spill_after=spill_threshold(options.max_memory),
                         spill_dir=os.environ.get("REPLICHECK_GRAPH_DIR") or None)


def _interrupted(result: CheckResult, program: Program, options: CheckOptions, err: KeyboardInterrupt,
                 when: str) -> CheckResult:
    """The result of a run interrupted after its safety search: every verdict the search
    found stands; the liveness properties are incomplete."""
    name = interrupts.note(err)
    result.stats.complete = False
    result.stats.stop_reason = "interrupted"
    result.warnings.append(f"interrupted ({name}) {when}")
    result.verdicts += [Verdict(p.name, "liveness", INCOMPLETE, f"not checked: interrupted ({name})")
                        for p in _selected_liveness(program, options)]
    return result


def _graph_progress(options: CheckOptions, purpose: str) -> Progress | None:
    """The run's progress callback for the graph that measures and liveness need (a second
    exploration, with the scalar engine): RunStats whose engine says so."""
    report = options.progress
    if report is None:
        return None
    last = time.perf_counter()

    def progress(states: int, edges: int, seconds: float) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= options.progress_interval:
            last = now
            report(RunStats(distinct_states=states, transitions=edges, seconds=seconds, engine=f"graph for {purpose}"))

    report(RunStats(engine=f"graph for {purpose}"))  # the phase begins
    return progress


def _selected_liveness(program: Program, options: CheckOptions) -> list[Property]:
    return select(program, options.only, options.skip, kinds=("liveness",)).properties
