"""Results and their renderings: the shared vocabulary (`results`), renderers, trace files.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`.
"""

from .results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, CheckResult, RunStats, Step, Trace, Verdict

__all__ = ["HOLDS", "INCOMPLETE", "VACUOUS", "VIOLATED", "CheckResult", "RunStats", "Step", "Trace", "Verdict"]
