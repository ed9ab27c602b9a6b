"""The modelling language: what users write.

Owns: the public names a model imports (`from replicheck.lang import *`).

Must not import: anything of checker but `replicheck.ir` and `replicheck.errors`.
"""

from .declarations import Bool, Elem, Enum, EnumValue, Map, Range, SetOf, Sort, Var
from .errors import ModelError
from .model import Model, action, action_property, constraint, invariant, liveness, measure, reachable
from .tracing import (
    And,
    If,
    Max,
    Min,
    Not,
    Or,
    always_eventually,
    count,
    eventually,
    eventually_always,
    exists,
    forall,
    implies,
    leads_to,
    require,
    sum_of,
)

__all__ = [
    "Bool", "Elem", "Enum", "EnumValue", "Map", "Range", "SetOf", "Sort", "Var", "ModelError",
    "Model", "action", "action_property", "invariant", "reachable", "And", "If", "Max", "Min",
    "Not", "Or", "count", "exists", "forall", "implies", "require", "sum_of", "liveness",
    "measure", "constraint", "eventually", "always_eventually", "eventually_always", "leads_to",
]
