"""replicheck: a model checker for the protocols that keep replicated data consistent.

The public API (docs/api.md): the modelling language (`Model`, `Sort`, `Enum`, `Map`, `@action`,
`@invariant`, ...) and the runs `check`, `prove`, `simulate` and the pytest helper
`assert_holds`, each returning a `Result`:

    import replicheck as r
    from replicheck.models.rds.multi_az import MultiAZ
    res = r.check(MultiAZ, variant="as_2011")
    res.ok, res.verdicts            # (False, {'no_acknowledged_write_lost': 'holds', ...})

Layers (each imports only those before it): ir <- lang <- backends <- explore / symbolic /
stateful <- report <- api <- cli. See ARCHITECTURE.md.

Must not import: the engines at import time (`api` imports them when a run needs them), z3,
numpy, hypothesis, `replicheck.models`, `replicheck.cli`.
"""

__version__ = "0.2.0"

from replicheck.api import OptionError, ProofInfo, Result, assert_holds, check, prove, simulate
from replicheck.lang import (
    And,
    Bool,
    Elem,
    Enum,
    EnumValue,
    If,
    Map,
    Max,
    Min,
    Model,
    ModelError,
    Not,
    Or,
    Range,
    SetOf,
    Sort,
    Var,
    action,
    action_property,
    always_eventually,
    constraint,
    count,
    eventually,
    eventually_always,
    exists,
    forall,
    implies,
    invariant,
    leads_to,
    liveness,
    measure,
    reachable,
    require,
    sum_of,
)
from replicheck.report.results import CheckResult, RunStats, Step, Trace, Verdict

__all__ = [
    "__version__",
    # running
    "check",
    "prove",
    "simulate",
    "assert_holds",
    "Result",
    "ProofInfo",
    "OptionError",
    "CheckResult",
    "RunStats",
    "Step",
    "Trace",
    "Verdict",
    # the modelling language
    "Model",
    "ModelError",
    "Sort",
    "Enum",
    "EnumValue",
    "Elem",
    "Bool",
    "Range",
    "Var",
    "Map",
    "SetOf",
    "action",
    "action_property",
    "invariant",
    "reachable",
    "liveness",
    "measure",
    "constraint",
    "require",
    "If",
    "And",
    "Or",
    "Not",
    "Min",
    "Max",
    "implies",
    "forall",
    "exists",
    "count",
    "sum_of",
    "eventually",
    "always_eventually",
    "eventually_always",
    "leads_to",
]
