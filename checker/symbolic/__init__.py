"""Symbolic engines over the Z3 backend: bounded model checking, k-induction and
inductive-invariant checks, from the same traced `Program` the explicit checker reads.

Public API: `bmc` (returns `replicheck.report.results.CheckResult`), `k_induction` and
`check_inductive` (return `InductionResult`, with `InductionFailure` entries; its
`to_check_result()` gives the shared vocabulary). Every counterexample is decoded and
replayed through the reference evaluator before it is reported; `SolverDisagreement` is the
internal error raised when a replay fails.

Must not import: `replicheck.explore`, `replicheck.cli`, `replicheck.lang`, numpy, hypothesis.
"""

from .bmc import bmc
from .common import CTI_START, SolverDisagreement
from .induction import (
    PROVED,
    REFUTED,
    UNKNOWN,
    InductionFailure,
    InductionResult,
    check_inductive,
    k_induction,
)

__all__ = [
    "bmc", "k_induction", "check_inductive", "InductionResult", "InductionFailure",
    "PROVED", "REFUTED", "UNKNOWN", "CTI_START", "SolverDisagreement",
]
