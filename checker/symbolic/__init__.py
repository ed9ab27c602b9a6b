"""Symbolic engines over the Z3 backend: bounded model checking, k-induction and
inductive-invariant checks, from the same traced `Program` the explicit checker reads.

Public API: `bmc`, `k_induction`, `check_inductive`, and their result types
(`checker.report.results.CheckResult` for `bmc`; `InductionResult` with `InductionFailure`
entries for the two induction engines). Every counterexample is decoded and replayed through
the reference evaluator before it is reported; `SolverDisagreement` is the internal error
raised when a replay fails.

Must not import: `checker.explore`, `checker.cli`, `checker.lang`, numpy, hypothesis.
"""

from .bmc import bmc
from .common import CTI_START, SolverDisagreement

__all__ = ["bmc", "CTI_START", "SolverDisagreement"]
