"""Machine-readable results: the one JSON schema of every command's `--json` (docs/json.md).

Owns: `SCHEMA_VERSION`; `envelope`, the fields every JSON document starts with (`schema`,
`command`, `status`, `exit_code`); `error_document` (a usage or model error as JSON);
`result_to_dict`, the shape of a run (model, settings, variant, status, exit code, statistics,
warnings, measures, and every verdict with its counterexample as ITF); `verdict_to_dict`, the
one verdict shape that check, prove, simulate, sweep and report share.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`.
"""

from __future__ import annotations

from typing import Any, Mapping

from .itf import source_of, trace_to_itf
from .results import CheckResult, Trace, Verdict

# Bumped when a field changes meaning or goes away; new fields may appear within a version.
SCHEMA_VERSION = 1


def envelope(command: str, status: str, exit_code: int, **fields: Any) -> dict[str, Any]:
    """The first four fields of every `--json` document, then the command's own."""
    return {"schema": SCHEMA_VERSION, "command": command, "status": status, "exit_code": exit_code, **fields}


def error_document(command: str | None, kind: str, message: str, exit_code: int = 2) -> dict[str, Any]:
    """A run that could not start or finish (`kind`: "usage", "model", "trace file", "internal")."""
    return envelope(command or "", "error", exit_code, error={"kind": kind, "message": message})


def verdict_to_dict(v: Verdict, result: CheckResult, source: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One verdict; its trace as ITF recording `source` (default: the result's model, settings
    and variant; `replicheck.report.itf.source_of` adds a model file's record)."""
    out: dict[str, Any] = {"property": v.property, "kind": v.kind, "status": v.status, "message": v.message}
    if v.trace is not None:
        out["trace_length"] = len(v.trace)
        out["trace"] = trace_to_itf(v.trace, v, source if source is not None else source_of(result))
    return out


def run_document(
    command: str, result: CheckResult, exit_code: int | None = None, source: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """`check`, `prove` and `simulate`: the envelope and the run (`result_to_dict`)."""
    body = result_to_dict(result, source)
    code = body.pop("exit_code") if exit_code is None else exit_code
    body.pop("exit_code", None)
    status = body.pop("status")
    return envelope(command, status, code, **body, **extra)


def result_to_dict(result: CheckResult, source: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "model": result.model,
        "variant": result.variant,
        "settings": result.settings,
        "status": result.status,
        "exit_code": result.exit_code,
        "stats": result.stats.as_dict(),
        "warnings": list(result.warnings),
        "verdicts": [verdict_to_dict(v, result, source) for v in result.verdicts],
        "measures": [
            {
                "name": m.name,
                "min": m.minimum,
                "max": m.maximum,
                "complete": m.complete,
                "min_trace": [step.label for step in m.min_trace.steps[1:]],
                "max_trace": [step.label for step in m.max_trace.steps[1:]],
            }
            for m in result.measurements
        ],
    }


def verdict_document(trace: Trace, verdict: Verdict | None, data: dict[str, Any]) -> dict[str, Any]:
    """`report --json`: the model the trace was replayed against, the verdict it carries (as
    re-checked by the replay; None for a plain trace), its length, and the ITF trace."""
    program = trace.program
    return {
        "model": program.name,
        "variant": program.variant,
        "settings": _plain(dict(program.settings)),
        "trace_length": len(trace),
        "verdict": None if verdict is None else {"property": verdict.property, "kind": verdict.kind,
                                                 "status": verdict.status, "message": verdict.message},
        "trace": data,
    }


def _plain(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (bool, int, str, float)) or v is None else str(v) for k, v in settings.items()}


def sweep_row_to_dict(row: Any) -> dict[str, Any]:
    """One checked variant (at one grid point) of a sweep: the run (as `check --json` has it),
    the grid's values at the point, the declared expectations (only at the settings they were
    declared for) and the verdicts that differ from them."""
    return {**result_to_dict(row.result), "point": _plain(dict(row.point)), "expected": dict(row.expected),
            "mismatches": row.mismatches()}


def sweep_grid_to_dict(run: Any) -> dict[str, Any]:
    """A one-model sweep (`replicheck.sweep.GridRun`): the grid's axes, the settings given with
    --set, the points not checked (with --assume-monotone) and the boundary, if asked for."""
    boundary = None
    if run.prop is not None:
        boundary = {
            "property": run.prop,
            "assume_monotone": run.monotone,
            "variants": [
                {"variant": b.variant, "minimal_failing": b.minimal_failing, "maximal_holding": b.maximal_holding,
                 "open_failing": b.open_failing, "open_holding": b.open_holding, "unknown": b.unknown,
                 "not_monotone": list(b.not_monotone) if b.not_monotone is not None else None}
                for b in run.boundary()
            ],
        }
    return {
        "axes": {a.name: [_plain({"v": v})["v"] for v in a.values] for a in run.grid.axes},
        "settings": _plain(dict(run.settings)),
        "inferred": [{"variant": r.variant, "point": _plain(dict(r.point)), "status": r.inferred[0],
                      "from": r.inferred[1]} for r in run.rows if r.result is None and r.inferred is not None],
        "boundary": boundary,
    }
