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

from .graph import BuiltGraph, value_fn
from .traces import InternalCheckerError, replay_path


def measure_all(program: Program, built: BuiltGraph, measures: list[Property]) -> list[Measurement]:
    out = []
    for m in measures:
        value = value_fn(program, m.expr)
        lo_i = hi_i = 0
        lo = hi = value(built.states[0])
        for i in range(1, len(built.states)):
            v = value(built.states[i])
            if v < lo:
                lo, lo_i = v, i
            elif v > hi:
                hi, hi_i = v, i
        traces = []
        for i, want in ((lo_i, lo), (hi_i, hi)):
            trace = replay_path(program, built.path_to(i))
            got = evaluate(m.expr, trace.steps[-1].state)
            if got != want:
                raise InternalCheckerError(
                    f"measure {m.name}: the compiled value {want} is {got} under the reference evaluator"
                )
            traces.append(trace)
        out.append(Measurement(m.name, m.doc, lo, hi, traces[0], traces[1], built.complete))
    return out
