"""The frozen expression IR: the one source every engine reads.

Owns: value types and domains (`types`), expression nodes and their constructors (`nodes`),
the traced program (`program`), the sort checker and range analysis (`check`), and the
pretty-printer (`pretty`).

Must not import: any other part of `checker`, nor z3, numpy or hypothesis.
"""

from .check import IRCheckError, bounds, check_program
from .nodes import (
    NODE_KINDS,
    OPS,
    Const,
    Expr,
    Index,
    IRTypeError,
    Op,
    Post,
    SourceInfo,
    Var,
)
from .pretty import pretty
from .program import Action, Param, Program, Property, Slot, SortInfo, State, StateVar
from .types import (
    BOOL,
    INT,
    BoolType,
    Domain,
    ElemType,
    EnumType,
    IntType,
    Type,
)

__all__ = [
    "NODE_KINDS", "OPS", "Const", "Expr", "Index", "IRTypeError", "Op", "Post", "SourceInfo",
    "Var", "pretty", "Action", "Param", "Program", "Property", "Slot", "SortInfo", "State",
    "StateVar", "BOOL", "INT", "BoolType", "Domain", "ElemType", "EnumType", "IntType", "Type",
    "IRCheckError", "bounds", "check_program",
]
