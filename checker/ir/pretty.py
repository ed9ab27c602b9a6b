"""Pretty-printing of IR expressions in the modelling language's own notation.

Owns: `pretty(expr, program)`, used in error messages, in debugging dumps and by tests to
compare expressions structurally. Slots are printed by name (`role[n1]`), constants by their
decoded value (`primary`, `none`, `true`).

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from .nodes import Const, Expr, Index, Op, Post, Var
from .program import Program
from .types import show

_INFIX = {
    "add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%",
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "and": "&", "or": "|", "implies": "=>",
}


def pretty(e: Expr, program: Program | None = None) -> str:
    def slot_name(i: int) -> str:
        if program is not None and 0 <= i < len(program.slots):
            return program.slots[i].name
        return f"${i}"

    def go(n: Expr, top: bool = False) -> str:
        if isinstance(n, Const):
            return show(n.type, n.value)
        if isinstance(n, Var):
            return slot_name(n.slot)
        if isinstance(n, Post):
            return slot_name(n.slot) + "'"
        if isinstance(n, Index):
            choices = ", ".join(go(c, True) for c in n.choices)
            off = f" - {n.offset}" if n.offset else ""
            return f"[{choices}][{go(n.index, True)}{off}]"
        assert isinstance(n, Op)
        if n.op == "not":
            return f"~{go(n.args[0])}"
        if n.op == "neg":
            return f"-{go(n.args[0])}"
        if n.op == "ite":
            c, a, b = n.args
            return f"If({go(c, True)}, {go(a, True)}, {go(b, True)})"
        if n.op in ("min", "max"):
            return f"{n.op}({', '.join(go(a, True) for a in n.args)})"
        text = f" {_INFIX[n.op]} ".join(go(a) for a in n.args)
        return text if top else f"({text})"

    return go(e, True)
