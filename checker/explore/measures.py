"""Measures: the range of a numeric expression over the reachable states, with witnesses.

Owns: `measure_all`: the minimum and maximum of each `@measure` over the explored states,
each with a shortest trace to a state that attains it, replayed through the reference
evaluator and re-evaluated there (`report.results.Measurement`).

Must not import: z3, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

from replicheck.backends.reference import evaluate
from replicheck.ir import Program, Property
from replicheck.report.results import Measurement

from .graph import LabelledGraph
from .traces import InternalCheckerError, replay_path


def measure_all(program: Program, built: LabelledGraph, measures: list[Property]) -> list[Measurement]:
    """Each measure's range over the graph's states (a `BuiltGraph` or the batch engine's
    `RecordedGraph`), each end with a shortest trace, re-evaluated by the reference evaluator."""
    out = []
    for m in measures:
        lo, lo_path, hi, hi_path = built.measure_range(m)
        traces = []
        for path, want in ((lo_path, lo), (hi_path, hi)):
            trace = replay_path(program, path)
            got = evaluate(m.expr, trace.steps[-1].state)
            if got != want:
                raise InternalCheckerError(
                    f"measure {m.name}: the compiled value {want} is {got} under the reference evaluator"
                )
            traces.append(trace)
        out.append(Measurement(m.name, m.doc, lo, hi, traces[0], traces[1], built.complete))
    return out
