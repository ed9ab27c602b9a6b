"""The IR's primitives, declared once: what each operator means.

Owns: `Primitive` and `PRIMITIVES`, the closed set of operators of `replicheck.ir.nodes.Op`.
Each declares its arity, the sorts of its operands and result, whether it is lazy (only
some operands are evaluated, so run-time errors in the others do not happen), its partiality
(the inputs where it has no value: a run-time error of the model, reported with a trace), how
it prints, and its range rule (how `replicheck.ir.check.bounds` bounds its value). The groups
`BOOL_OPS`, `ARITH_OPS`, `COMPARE_OPS` and `OPS` in `nodes` are derived from this table.

Every backend registers one rule per primitive (`reference.STRICT_RULES`/`LAZY_RULES`,
`compiled.RULES`, `numpy_batch.RULES`, `z3_backend.RULES`), and so does every exporter
(`export.tla.RULES`, `export.promela.RULES`), where the entry may instead be an explicit
`export.rules.Unsupported(reason)` that refuses the export of a model using the operator;
`tests/ir/test_primitives.py` checks that each backend and exporter covers exactly this
table and that the lazy and partial declarations match what the reference evaluator does.
Adding an operator: a row here, then the coverage test names every backend and exporter that
still needs a rule (or, for an exporter, an `Unsupported` entry).

Semantics are Python's on unbounded ints: `floordiv` and `mod` round toward negative
infinity, `and`/`or` are n-ary, `ite` is (cond, then, else).

Must not import: anything outside `replicheck.ir`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Primitive:
    """One operator. `arity`: a number, or 0 for n-ary (one or more operands). `operands`:
    "bool", "int", "same" (two operands of one type, any), or "cond" (a Bool, then two
    operands of one type). `result`: "bool", "int" or "operand" (the type of the operands
    it chooses between). `partial`: None, or where the operator has no value."""

    name: str
    arity: int
    operands: str
    result: str
    group: str  # "bool", "arith", "compare" or "choice"
    text: str  # how it prints, with {0}, {1}, ... (n-ary: {all} joined by the symbol)
    range_rule: str
    lazy: bool = False
    partial: str | None = None


PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        Primitive("and", 0, "bool", "bool", "bool", "{all} & ", "0..1", lazy=True),
        Primitive("or", 0, "bool", "bool", "bool", "{all} | ", "0..1", lazy=True),
        Primitive("not", 1, "bool", "bool", "bool", "~{0}", "0..1"),
        Primitive("implies", 2, "bool", "bool", "bool", "{0} => {1}", "0..1", lazy=True),
        Primitive("add", 2, "int", "int", "arith", "{0} + {1}", "[lo0 + lo1, hi0 + hi1]"),
        Primitive("sub", 2, "int", "int", "arith", "{0} - {1}", "[lo0 - hi1, hi0 - lo1]"),
        Primitive("mul", 2, "int", "int", "arith", "{0} * {1}", "min and max of the four corner products"),
        Primitive("neg", 1, "int", "int", "arith", "-{0}", "[-hi0, -lo0]"),
        Primitive("floordiv", 2, "int", "int", "arith", "{0} // {1}", "corner quotients, the divisor's range split at 0",
                  partial="division by zero"),
        Primitive("mod", 2, "int", "int", "arith", "{0} % {1}", "[0, |divisor| - 1] or its negative, by the divisor's sign",
                  partial="modulo by zero"),
        Primitive("min", 2, "int", "int", "arith", "Min({0}, {1})", "[min lo, min hi]"),
        Primitive("max", 2, "int", "int", "arith", "Max({0}, {1})", "[max lo, max hi]"),
        Primitive("eq", 2, "same", "bool", "compare", "{0} == {1}", "0..1"),
        Primitive("ne", 2, "same", "bool", "compare", "{0} != {1}", "0..1"),
        Primitive("lt", 2, "int", "bool", "compare", "{0} < {1}", "0..1"),
        Primitive("le", 2, "int", "bool", "compare", "{0} <= {1}", "0..1"),
        Primitive("gt", 2, "int", "bool", "compare", "{0} > {1}", "0..1"),
        Primitive("ge", 2, "int", "bool", "compare", "{0} >= {1}", "0..1"),
        Primitive("ite", 3, "cond", "operand", "choice", "If({0}, {1}, {2})", "the union of the two branches' ranges",
                  lazy=True),
    )
}


def names(group: str) -> tuple[str, ...]:
    """The primitives of one group, in declaration order."""
    return tuple(n for n, p in PRIMITIVES.items() if p.group == group)


__all__ = ["PRIMITIVES", "Primitive", "names"]
