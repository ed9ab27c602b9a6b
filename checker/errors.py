"""One exception hierarchy, and the exit code of each kind of error, chosen here once.

Owns: `ReplicheckError`, the base of every error replicheck reports to a user, and its three
families, each with its exit code and the word `--json` reports as `error.kind`:

- `UsageProblem` (exit 2, kind "usage"): the request cannot be carried out as asked: an
  unknown model, property, variant or setting, options that do not go together, a model an
  engine refuses (symmetry, export). What to do: the message says what to write instead.
  Subclasses: `OptionError` (options that do not go together, a limit that is not a
  number of the right kind; `UnknownProperty`: a property name the model does not have;
  `GridError`: a `sweep --grid` or `--boundary` that cannot be carried out), `DocsError`
  (`replicheck.docgen` on a file whose generated blocks cannot be made),
  `replicheck.registry.RegistryError`,
  `replicheck.explore.symmetry.SymmetryRefused`, `replicheck.export.ExportError`,
  `replicheck.report.graph_export.GraphTooLarge`, `replicheck.explore.batch_workers.WorkerSettingError`,
  `EngineUnavailable` (an engine whose optional dependency is not installed: the ray engine
  without Ray), `CheckpointError` (`--checkpoint` / `--resume` on a directory that does not
  hold a checkpoint of this run, or cannot be written).
- `TraceFileProblem` (exit 2, kind "trace file"): `report` on a file that cannot be read or
  does not replay against its model: `replicheck.report.replay.TraceFileError`.
- `ModelProblem` (exit 2, kind "model"): a mistake in the model's code, reported with the
  file, line, action and what to write instead: `replicheck.lang.ModelError`.
- `TracingIncomplete` (exit 3, kind "incomplete"): `--max-seconds` ran out while the model
  was being traced, before any state was checked (a search that runs out of time is not an
  error: it returns its partial result, exit 3).
- `InternalError` (exit 4, kind "internal"): replicheck disagrees with itself: an engine's
  result does not replay through the reference evaluator, or Z3 and the reference evaluator
  disagree. The verdict cannot be trusted; it is a bug in replicheck, never in the model.
  What to do: report it with the command and the model. Subclasses:
  `replicheck.explore.traces.InternalCheckerError`, `replicheck.symbolic.SolverDisagreement`.

Exit codes 0, 1 and 3 are a run's outcome (holds, violated, incomplete), not errors.

Must not import: anything (every package may import this module).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4

REPORT_BUGS = "this is a bug in replicheck, not in your model: please report it with the command and the model"


class ReplicheckError(Exception):
    """Every error replicheck reports to a user. `exit_code` and `kind` say how the CLI
    reports it."""

    exit_code = EXIT_USAGE
    kind = "usage"


class UsageProblem(ReplicheckError):
    """The request cannot be carried out as asked (exit 2)."""


class TraceFileProblem(ReplicheckError):
    """A trace file that cannot be read or replayed (exit 2)."""

    kind = "trace file"


class ModelProblem(ReplicheckError):
    """A mistake in the model's code (exit 2)."""

    kind = "model"


class OptionError(UsageProblem, ValueError):
    """Options that do not go together, a limit that is not a number of the right kind, or a
    name the model does not have (exit 2). The Python API raises it; the CLI reports it as
    a usage error."""


class UnknownProperty(OptionError):
    """`only`/`skip` (or a trace file) names a property the model does not have; the message
    lists the model's properties."""


class GridError(OptionError):
    """A `sweep --grid` or `--boundary` that cannot be carried out as written: a value listed
    twice, a key given twice, a grid too large, a boundary property the model does not have."""


class DocsError(UsageProblem):
    """`python -m replicheck.docgen` on a file it cannot regenerate: a block left open, a
    command that is not one, or one that fails (exit 2)."""


class EngineUnavailable(UsageProblem):
    """An engine whose optional dependency is not installed (exit 2); the message says what
    to install."""


class CheckpointError(UsageProblem):
    """A checkpoint directory that cannot be written, or that does not hold a checkpoint of
    this model, settings and options (exit 2); the message names the directory."""


class TracingIncomplete(ReplicheckError):
    """A time limit ran out while the model was traced: nothing was checked (exit 3)."""

    exit_code = EXIT_INCOMPLETE
    kind = "incomplete"


class InternalError(ReplicheckError):
    """replicheck disagrees with itself: a bug in replicheck (exit 4)."""

    exit_code = EXIT_INTERNAL
    kind = "internal"


__all__ = [
    "EXIT_INCOMPLETE", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "EXIT_VIOLATED", "REPORT_BUGS",
    "CheckpointError", "DocsError", "EngineUnavailable", "GridError", "InternalError", "ModelProblem", "OptionError",
    "ReplicheckError", "TraceFileProblem", "TracingIncomplete",
    "UnknownProperty", "UsageProblem",
]
