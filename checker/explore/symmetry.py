"""Symmetry reduction: one representative per orbit of states under permutations of the
elements of the sorts a model declares `symmetric=True`.

Owns: `Symmetry` (the permutation group of the symmetric sorts acting on states: how each
permutation moves slots and renames values), a generated `canonical(state)` that returns the
smallest image of a state (the orbit's representative) and `orbit_size(state)`, and
`asymmetries()`, a static check that the model really is symmetric: every permuted action
instance is an action instance, and every permuted property is the same property (compared
structurally, with the arguments of commutative operators sorted). Reduction is sound for
invariants only when that check passes; callers refuse it otherwise.

Must not import: z3, numpy, hypothesis, `replicheck.cli`, `replicheck.report` renderers.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

from replicheck.errors import UsageProblem
from replicheck.ir import Action, Const, Expr, Index, Op, Post, Program, State, Var
from replicheck.ir.types import NONE_INDEX, ElemType, show

COMMUTATIVE = frozenset({"and", "or", "add", "mul", "eq", "ne", "min", "max"})
ASSOCIATIVE = frozenset({"and", "or", "add", "mul", "min", "max"})

Perm = dict[str, tuple[int, ...]]  # sort name -> image of each element index


class Symmetry:
    def __init__(self, program: Program, sorts: Sequence[str] | None = None) -> None:
        self.program = program
        declared = [s.name for s in program.sorts if s.symmetric]
        self.sorts = list(declared if sorts is None else sorts)
        sizes = {s.name: s.type.size for s in program.sorts}
        per_sort = [[(name, p) for p in itertools.permutations(range(sizes[name]))] for name in self.sorts]
        self.perms: list[Perm] = [dict(combo) for combo in itertools.product(*per_sort)]
        self._slot_index = {(sl.var, sl.key): sl.index for sl in program.slots}
        self._moves = [self._slot_moves(p) for p in self.perms]
        self.canonical, self.orbit_size = self._generate()

    @property
    def group_size(self) -> int:
        return len(self.perms)

    def describe(self) -> str:
        return f"{', '.join(self.sorts)} (a group of {self.group_size} permutations)"

    def apply(self, k: int, state: State) -> State:
        """The image of a state under the k-th permutation."""
        perm, moves = self.perms[k], self._moves[k]
        out = [0] * len(state)
        for i, v in enumerate(state):
            out[moves[i]] = self._map_value(perm, self.program.slots[i].domain.type, v)
        return tuple(out)

    def concretize(self, reps: Sequence[State], successors: Callable[[State], Sequence[State]]) -> list[State]:
        """A real path that ends exactly at reps[-1], through the orbits of `reps` (each
        rep[i+1] the representative of some successor of reps[i]).

        Built backwards: if a successor t of reps[i] has image pi(t) equal to the next state
        of the path, then pi(reps[i]) steps to it, because the model is symmetric."""
        path = [reps[-1]]
        for rep in reversed(reps[:-1]):
            target = path[-1]
            image = None
            for t in successors(rep):
                for k in range(self.group_size):
                    if self.apply(k, t) == target:
                        image = self.apply(k, rep)
                        break
                if image is not None:
                    break
            if image is None:
                raise ValueError("symmetry: a stored step has no concrete counterpart (is the model symmetric?)")
            path.append(image)
        path.reverse()
        return path

    def sort_size(self, name: str) -> int:
        return next(s.type.size for s in self.program.sorts if s.name == name)

    def moves(self, k: int) -> list[int]:
        """moves[i] = the slot that slot i's value goes to under the k-th permutation."""
        return self._moves[k]

    def renamed_offsets(self, k: int, slot: int) -> tuple[int, ...] | None:
        """How the k-th permutation renames slot `slot`'s values, as offsets from the
        domain's lo (entry `value - lo` holds `image - lo`; none stays none), or None when
        it leaves them alone (not an element of a symmetric sort)."""
        dom = self.program.slots[slot].domain
        if not (isinstance(dom.type, ElemType) and dom.type.sort in self.perms[k]):
            return None
        perm = self.perms[k]
        return tuple(self._map_value(perm, dom.type, v) - dom.lo for v in range(dom.lo, dom.hi + 1))

    def _map_value(self, perm: Perm, t: object, v: int) -> int:
        if isinstance(t, ElemType) and t.sort in perm and v != NONE_INDEX:
            return perm[t.sort][v]
        return v

    def _slot_moves(self, perm: Perm) -> list[int]:
        """moves[i] = the slot that slot i's value goes to under perm."""
        moves = []
        for sl in self.program.slots:
            key = tuple(self._map_value(perm, t, k) for t, k in zip(sl.key_types, sl.key))
            moves.append(self._slot_index[(sl.var, key)])
        return moves

    def _value_table(self, perm: Perm, slot: int) -> tuple[int, ...] | None:
        t = self.program.slots[slot].domain.type
        if not (isinstance(t, ElemType) and t.sort in perm):
            return None
        table = list(perm[t.sort])
        if t.has_none:
            table.append(NONE_INDEX)  # index -1 reads the last entry: none stays none
        return tuple(table)

    def _generate(self) -> tuple[Callable[[State], State], Callable[[State], int]]:
        width = self.program.width
        env: dict[str, object] = {}
        images = []
        for pi, (perm, moves) in enumerate(zip(self.perms, self._moves)):
            out = [""] * width
            for i in range(width):
                table = self._value_table(perm, i)
                if table is None:
                    out[moves[i]] = f"s{i}"
                else:
                    name = f"T{pi}_{i}"
                    env[name] = table
                    out[moves[i]] = f"{name}[s{i}]"
            images.append("(" + ", ".join(out) + ("," if width == 1 else "") + ")")
        unpack = ", ".join(f"s{i}" for i in range(width)) + ("," if width == 1 else "")
        src = [
            "def canonical(st):",
            f"    {unpack} = st",
            f"    return min({', '.join(images)})" if len(images) > 1 else f"    return {images[0]}",
            "def orbit_size(st):",
            f"    {unpack} = st",
            f"    return len({{{', '.join(images)}}})",
        ]
        code = "\n".join(src) + "\n"
        exec(compile(code, "<replicheck symmetry>", "exec"), env)
        return env["canonical"], env["orbit_size"]  # type: ignore[return-value]

    # -- the static check ------------------------------------------------------------------

    def _canon_text(self, e: Expr, perm: Perm | None, memo: dict[int, str]) -> str:
        """e after applying perm, printed with commutative arguments sorted."""
        key = id(e)
        if key in memo:
            return memo[key]
        moves = None if perm is None else self._moves[self.perms.index(perm)]
        if isinstance(e, Const):
            v = e.value if perm is None else self._map_value(perm, e.type, e.value)
            text = f"{show(e.type, v)}"
        elif isinstance(e, (Var, Post)):
            slot = e.slot if moves is None else moves[e.slot]
            text = self.program.slots[slot].name + ("'" if isinstance(e, Post) else "")
        elif isinstance(e, Index):
            idx_t = e.index.type
            choices = list(e.choices)
            if perm is not None and isinstance(idx_t, ElemType) and idx_t.sort in perm:
                permuted: list[Expr] = list(choices)
                for j, ch in enumerate(choices):
                    permuted[perm[idx_t.sort][j + e.offset] - e.offset] = ch
                choices = permuted
            inner = ",".join(self._canon_text(c, perm, memo) for c in choices)
            text = f"[{inner}][{self._canon_text(e.index, perm, memo)}-{e.offset}]"
        else:
            assert isinstance(e, Op)
            operands: list[Expr] = list(e.args)
            if e.op in ASSOCIATIVE:  # (a + b) + c and a + (b + c) are one sum of three terms
                flat: list[Expr] = []
                while operands:
                    x = operands.pop(0)
                    if isinstance(x, Op) and x.op == e.op:
                        operands[:0] = list(x.args)
                    else:
                        flat.append(x)
                operands = flat
            args = [self._canon_text(a, perm, memo) for a in operands]
            if e.op in COMMUTATIVE:
                args.sort()
            text = f"{e.op}({','.join(args)})"
        memo[key] = text
        return text

    def _action_text(self, a: Action, perm: Perm | None) -> tuple[str, frozenset[tuple[int, str]]]:
        memo: dict[int, str] = {}
        moves = None if perm is None else self._moves[self.perms.index(perm)]
        guard = self._canon_text(a.guard, perm, memo)
        updates = frozenset(
            (slot if moves is None else moves[slot], self._canon_text(e, perm, memo)) for slot, e in a.updates
        )
        return guard, updates

    def asymmetries(self, limit: int = 5) -> list[str]:
        """Why the model is not symmetric under these sorts (empty if it is)."""
        problems: list[str] = []
        generators = []
        sizes = {s.name: s.type.size for s in self.program.sorts}
        for name in self.sorts:
            for i in range(sizes[name] - 1):
                swap = list(range(sizes[name]))
                swap[i], swap[i + 1] = swap[i + 1], swap[i]
                perm = {n: tuple(range(sizes[n])) for n in self.sorts}
                perm[name] = tuple(swap)
                generators.append((name, perm))
        # a permuted instance must be (structurally) some instance of the same family: this
        # also covers parameters that encode sets of elements, such as a bitmask of nodes
        family_texts: dict[str, set[tuple[str, frozenset[tuple[int, str]]]]] = {}
        for a in self.program.actions + self.program.inits:
            family_texts.setdefault(a.family, set()).add(self._action_text(a, None))
        for sort_name, perm in generators:
            if perm not in self.perms:
                continue
            for a in self.program.actions + self.program.inits:
                if self._action_text(a, perm) not in family_texts[a.family]:
                    problems.append(
                        f"{a.label} has no counterpart among the {a.family} instances when the "
                        f"elements of {sort_name} are swapped (it treats some element specially)"
                    )
                if len(problems) >= limit:
                    return problems
            for prop in self.program.properties:
                exprs = [prop.expr] + ([prop.expr2] if prop.expr2 is not None else [])
                for e in exprs:
                    if self._canon_text(e, perm, {}) != self._canon_text(e, None, {}):
                        problems.append(f"property {prop.name} treats some element of {sort_name} specially")
                        break
                if len(problems) >= limit:
                    return problems
        return problems


class SymmetryRefused(UsageProblem, ValueError):
    """Symmetry reduction was asked for a model where it would not be sound."""


def symmetry_for(program: Program) -> Symmetry:
    """The symmetry of the sorts `program` declares symmetric, or SymmetryRefused saying why
    reduction cannot be used."""
    if not any(s.symmetric for s in program.sorts):
        raise SymmetryRefused(f"{program.name} declares no symmetric sort (Sort(..., symmetric=True))")
    sym = Symmetry(program)
    problems = sym.asymmetries()
    if problems:
        raise SymmetryRefused(
            f"{program.name} is not symmetric in {', '.join(sym.sorts)}, so symmetry reduction would be "
            f"unsound: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return sym
