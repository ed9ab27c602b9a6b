"""The NumPy batch backend: IR -> vectorised evaluation over a whole frontier of states.

Owns: `BatchProgram` (the packed-key layout of a program's states, `Layout` — slot k holds
`value - lo` in a bit field of word `word[k]` at `shift[k]`, or, wider than 63 bits, in
several fields; no field crosses a 64-bit word and every word uses at most 63 bits, so keys
are non-negative int64 and -1 is free as an empty marker — conversion between keys, slot
columns and state tuples, successors' keys, domain checks, and `Frame`, the vectorised
evaluator of IR nodes over the rows of a batch), `fingerprint` (a 64-bit hash of multi-word
keys; a bijection for one-word keys) and `RULES`/`NODE_RULES`, the evaluation rules (one per
operator in `replicheck.ir.nodes.OPS` and per node kind).

Must not import: z3, hypothesis; nothing of checker but `replicheck.ir` and `replicheck.backends`.

Semantics equal `replicheck.backends.reference` on states within their domains (the range
analysis `replicheck.ir.check.bounds` is trusted where it knows bounds, as in the compiled
backend): Python's floor
`//` and `%`, and lazy `and`/`or`/`implies`/`ite` and `Index` choices. Laziness is kept by
evaluating every operand on every row (with harmless substitutes where the operation is
undefined: a non-zero divisor, index clipped) and tracking, per node, a boolean *error mask*: the rows
where the reference evaluator, evaluating that node, would raise a `ModelRuntimeError`. An
operand's errors count only on the rows where the reference would evaluate it (the right
operand of `and` only where the left is true, the chosen branch of `ite`, the chosen choice of
`Index`). Nodes the range analysis proves cannot raise carry no mask at all (`None`), which is
almost all of them. Engines use the masks to find the first row that fails and report it as
the scalar engine would; the message comes from the scalar backends.

Integers are Python's, unbounded, as in every other engine; machine integers are only an
optimisation the range analysis must license. Each node's dtype (`node_dtype`) is the
narrowest NumPy integer type holding the node's exact bounds when they are known and within
-SAFE..SAFE (2**63 - 1), else EXACT: object arrays of Python ints. A rule computes in a NumPy
type only when the node and all its operands have one (then, since every value lies within
its node's bounds, on every row — the division substitute is a non-zero divisor of the
divisor's range, an out-of-range index is clipped to a choice — no operation can overflow);
otherwise it computes with Python ints and casts the result back to the node's dtype if that
is a NumPy type (proved to hold it). Unknown bounds are never taken for a proof. Index keys,
domain checks, clipping and successors' keys follow the same rule. Shipped models need no
EXACT node (a test checks), so the common case is unchanged; a model that multiplies 2**40
by itself gets exact, slower arithmetic for the nodes that need it and for nothing else.

Subexpressions are hash-consed (`replicheck.backends.compiled.Graph`) and memoised per frame, so
a test shared by many action instances is evaluated once per batch. A `Frame` over a subset of
rows (`Frame.subset`) gathers what its parent frame already computed instead of recomputing.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from replicheck.ir import NODE_KINDS, OPS, BoolType, Const, Index, Op, Post, Program, State, Var
from replicheck.ir.check import division_substitute

from .compiled import CNode, Graph, risky_slots

Array = Any  # a NumPy array (or NumPy scalar for constants)
Val = tuple[Array, Array | None]  # (values, error mask or None)

MASK64 = (1 << 64) - 1
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)
EMPTY = -1  # never a key (every word < 2**63) and never a fingerprint (remapped)


def fmix64(x: Array) -> Array:
    """MurmurHash3's 64-bit finaliser on a uint64 array: a bijection of 64-bit values."""
    x = x ^ (x >> _S33)
    x = x * _M1
    x = x ^ (x >> _S33)
    x = x * _M2
    return x ^ (x >> _S33)


def fingerprint(keys: Array) -> Array:
    """64-bit hashes (int64) of packed keys of shape (n, words): a bijection of the key when
    there is one word, so one-word fingerprints never collide. The value EMPTY (-1) is
    remapped to -2 (one more way to collide, of 2**64)."""
    with np.errstate(over="ignore"):
        u = keys.view(np.uint64)
        h = fmix64(u[:, 0].copy())
        for w in range(1, u.shape[1]):
            h = fmix64(h ^ (u[:, w] * _GOLD + np.uint64(w)))
    out = h.view(np.int64)
    out[out == EMPTY] = -2
    return out


SAFE = (1 << 63) - 1
"""Values in -SAFE..SAFE are computed with int64 NumPy arrays; -2**63 is left out so that
negation and division by -1 of an in-range value can never overflow either."""

EXACT = np.object_
"""The dtype of values that may not fit int64: arrays of Python ints, computed exactly."""

FIELD = 63  # bits of one field: a slot wider than this spans several fields ("limbs")


def int_dtype(lo: int, hi: int) -> Any:
    """The narrowest dtype holding lo..hi: a NumPy integer type within -SAFE..SAFE, else
    EXACT (Python ints)."""
    for dt in (np.int8, np.int16, np.int32):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return dt
    if -SAFE <= lo and hi <= SAFE:
        return np.int64
    return EXACT


def node_dtype(n: CNode) -> Any:
    """The dtype a node's values are computed in: bool for Bool, else the narrowest integer
    type that the range analysis proves holds every value, else (bounds unknown, or beyond
    -SAFE..SAFE) EXACT."""
    if isinstance(n.type, BoolType):
        return np.bool_
    if n.lo is None or n.hi is None:
        return EXACT
    return int_dtype(n.lo, n.hi)


def _exact_scalar(x: Any) -> Array:
    """A scalar as a 0-d array of one Python int (NumPy would turn a bare Python int that
    does not fit int64 into an error, not an object)."""
    a = np.empty((), dtype=EXACT)
    a[()] = int(x)
    return a


class Layout:
    """Where each slot lives in a packed key, and its domain's lo. A slot of at most 63 bits
    is one field: word `word[k]`, bits from `shift[k]`; a wider slot (`wide`) is several
    fields `fields[k]` of at most 63 bits each, (word, shift, bits, position of the field's
    lowest bit in `value - lo`), low bits first. Slot values are columns of `dtypes[k]`."""

    def __init__(self, program: Program) -> None:
        self.width = program.width
        self.lo = [sl.domain.lo for sl in program.slots]
        self.bits = [max(1, (sl.domain.hi - sl.domain.lo).bit_length()) for sl in program.slots]
        self.word: list[int] = []
        self.shift: list[int] = []
        self.fields: list[list[tuple[int, int, int, int]]] = []
        w, used = 0, 0
        for b in self.bits:
            fs = []
            for base in range(0, b, FIELD):
                fb = min(FIELD, b - base)
                if used + fb > 63:
                    w, used = w + 1, 0
                fs.append((w, used, fb, base))
                used += fb
            self.fields.append(fs)
            self.word.append(fs[0][0])
            self.shift.append(fs[0][1])
        self.wide = frozenset(k for k, fs in enumerate(self.fields) if len(fs) > 1)
        self.words = w + 1 if self.width else 1
        self.total_bits = sum(self.bits)
        self.dtypes = [
            np.int8 if isinstance(sl.domain.type, BoolType) else int_dtype(sl.domain.lo, sl.domain.hi)
            for sl in program.slots
        ]

    def pack_tuples(self, states: Sequence[State]) -> Array:
        out = np.zeros((len(states), self.words), dtype=np.int64)
        for r, st in enumerate(states):
            words = [0] * self.words
            for k, v in enumerate(st):
                off = v - self.lo[k]
                for w, sh, b, base in self.fields[k]:
                    words[w] |= ((off >> base) & ((1 << b) - 1)) << sh
            out[r] = words
        return out

    def unpack_tuple(self, key: Sequence[int]) -> State:
        return tuple(
            sum(((int(key[w]) >> sh) & ((1 << b) - 1)) << base for w, sh, b, base in self.fields[k])
            + self.lo[k]
            for k in range(self.width)
        )

    def column(self, keys: Array, k: int) -> Array:
        """Slot k's values for every row of `keys` (n, words), in a small integer dtype (or
        as Python ints, when the domain does not fit int64)."""
        dt = self.dtypes[k]
        if k in self.wide:
            v = np.zeros(keys.shape[0], dtype=EXACT)
            for w, sh, b, base in self.fields[k]:
                v += (((keys[:, w] >> sh) & ((1 << b) - 1)).astype(EXACT)) << base
            v += self.lo[k]
            return v if dt is EXACT else v.astype(dt)
        w = keys[:, self.word[k]]
        v = (w >> self.shift[k]) if self.shift[k] else w
        v = v & ((1 << self.bits[k]) - 1)
        if dt is EXACT:
            return v.astype(EXACT) + self.lo[k]
        if self.lo[k]:
            return (v + self.lo[k]).astype(dt)
        return v.astype(dt)

    def successor_keys(self, keys: Array, rows: Array, post: dict[int, Array],
                       column: Callable[[int], Array], ok: Array | None) -> tuple[Array, Array]:
        """The successors' packed keys on `rows` (the parent's key plus the shifted changes of
        the updated slots; `column(slot)` gives a slot's pre-state values), and which
        of them differ from their parent (a self-loop's successor is its parent, already
        stored). Rows where `ok` is False (a successor outside its domain) get meaningless
        keys: the caller drops them."""
        deltas: dict[int, Array] = {}
        moved = None
        for slot, v in post.items():
            was = column(slot)[rows]
            if slot in self.wide or self.dtypes[slot] is EXACT or getattr(v, "dtype", None) == EXACT \
                    or not hasattr(v, "dtype"):
                ch = self._exact_deltas(slot, v, was, ok, deltas)
            else:
                d = np.subtract(v, was, dtype=np.int64)
                ch = d != 0
                if self.shift[slot]:
                    d <<= self.shift[slot]
                w = self.word[slot]
                if w in deltas:
                    deltas[w] += d
                else:
                    deltas[w] = d
            moved = ch if moved is None else (moved | ch)
        words = []
        for w in range(self.words):
            base = keys[rows, w]
            if w in deltas:
                base += deltas[w]
            words.append(base)
        if moved is None:
            moved = np.zeros(len(rows), dtype=np.bool_)
        return np.stack(words, axis=1), moved

    def _exact_deltas(self, slot: int, v: Array, was: Array, ok: Array | None,
                      deltas: dict[int, Array]) -> Array:
        """`successor_keys` for a value that may not fit int64 (Python ints): the change of
        each field, computed exactly."""
        n = len(was)
        new = np.asarray(v).astype(EXACT) if np.ndim(v) else np.full(n, _exact_scalar(v), dtype=EXACT)
        if ok is not None:  # rows leaving the domain are dropped: their old value will do
            new = np.where(ok, new, was.astype(EXACT))
        was_x = was.astype(EXACT)
        ch = np.asarray(new != was_x, dtype=np.bool_)
        off_new = new - self.lo[slot]
        off_old = was_x - self.lo[slot]
        for w, sh, b, base in self.fields[slot]:
            mask = (1 << b) - 1
            d = ((off_new >> base) & mask).astype(np.int64) - ((off_old >> base) & mask).astype(np.int64)
            if sh:
                d <<= sh
            if w in deltas:
                deltas[w] += d
            else:
                deltas[w] = d
        return ch


class BatchProgram:
    """A program prepared for vectorised evaluation: the hash-consed node graph (shared with
    the compiled backend's code generator), per-action guards and updates as node ids, the
    risky slots of each action (those the range analysis cannot prove stay in their domain),
    and the packed-key layout."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.g = Graph(program)
        self.layout = Layout(program)
        self.guards = [self.g.add(a.guard) for a in program.actions]
        self.updates = [[(slot, self.g.add(e)) for slot, e in a.updates] for a in program.actions]
        self.props = [self.g.add(p.expr) for p in program.properties]
        # a leads_to property's second predicate (what liveness labels the states with)
        self.props2 = {k: self.g.add(p.expr2) for k, p in enumerate(program.properties) if p.expr2 is not None}
        self.risky = risky_slots(program, self.g, self.updates)
        self.dtypes = [node_dtype(n) for n in self.g.nodes]
        # the nodes whose values are Python ints (no proof that int64 cannot overflow)
        self.exact_nodes = [cid for cid, dt in enumerate(self.dtypes) if dt is EXACT]
        # per node: is it, or is one of its operands, EXACT (then its rule computes with
        # Python ints); is it an Index whose key minus offset is proved to fit int64
        nodes = self.g.nodes
        self.exact_op = [
            self.dtypes[cid] is EXACT or any(self.dtypes[a] is EXACT for a in n.args)
            for cid, n in enumerate(nodes)
        ]
        self.int64_key = [
            n.kind is Index and self.dtypes[n.args[-1]] is not EXACT and -SAFE <= n.value <= SAFE
            and nodes[n.args[-1]].within(n.value - SAFE, n.value + SAFE)
            for n in nodes
        ]
        self.plans: dict[Any, tuple[list[int], dict[int, list[int]]]] = {}  # see Frame.eval
        # the guards and everything they read: kept in a chunk's memo while the invariants
        # are evaluated, since the guards come next
        closure: set[int] = set()
        stack = list(self.guards)
        while stack:
            c = stack.pop()
            if c not in closure:
                closure.add(c)
                stack.extend(self.g.nodes[c].args)
        self.guard_closure = frozenset(closure)

    def frame(self, keys: Array) -> "Frame":
        return Frame(self, keys.shape[0], keys=keys)

    def in_domain(self, slot: int, v: Array) -> Array:
        """Which of the values `v` (new values of `slot`) lie within the slot's domain."""
        d = self.program.slots[slot].domain
        if np.ndim(v) == 0:
            return np.bool_(d.lo <= int(v) <= d.hi)
        if v.dtype != EXACT and (d.lo < -SAFE or d.hi > SAFE):
            v = v.astype(EXACT)
        return np.asarray((v >= d.lo) & (v <= d.hi), dtype=np.bool_)

    def clip_to_domain(self, slot: int, v: Array) -> Array:
        """The values `v` of `slot` moved into its domain, in the slot's column dtype (the
        values action properties read on rows whose successor is outside the domain, which
        are reported as such and whose property values are unused)."""
        d = self.program.slots[slot].domain
        dt = np.bool_ if isinstance(d.type, BoolType) else self.layout.dtypes[slot]
        if np.ndim(v) == 0:
            c = min(max(int(v), d.lo), d.hi)
            return _exact_scalar(c) if dt is EXACT else dt(c)
        if dt is EXACT or v.dtype == EXACT:
            x = v.astype(EXACT)
            x = np.where(x < d.lo, _exact_scalar(d.lo), x)
            x = np.where(x > d.hi, _exact_scalar(d.hi), x)
            return x if dt is EXACT else x.astype(dt)
        return np.clip(v.astype(np.int64, copy=False), d.lo, d.hi).astype(dt, copy=False)


class Frame:
    """Values of IR nodes over the n rows of one batch, memoised by node id.

    `keys` (n, words) are the packed pre-states; columns are unpacked on first use. `post`
    maps a slot to its next-state values (for action properties; slots not in it keep their
    pre-state values). A subset frame (`subset(rows)`) reads its parent's memo, gathering."""

    def __init__(self, bp: BatchProgram, n: int, keys: Array | None = None,
                 parent: "Frame | None" = None, rows: Array | None = None) -> None:
        self.bp = bp
        self.n = n
        self._keys = keys
        self.parent = parent
        self.rows = rows
        self.cols: dict[int, Array] = {}
        self.memo: dict[int, Val] = {}
        self.post: dict[int, Array] | None = None

    @property
    def keys(self) -> Array:
        if self._keys is None:
            assert self.parent is not None and self.rows is not None
            self._keys = self.parent.keys[self.rows]
        return self._keys

    def subset(self, rows: Array) -> "Frame":
        return Frame(self.bp, len(rows), parent=self, rows=rows)

    def with_post(self, post: dict[int, Array]) -> "Frame":
        """A frame over the same rows whose `Post` nodes read `post` (for action properties);
        it shares pre-state columns and memoised pre-state values with this one."""
        f = Frame(self.bp, self.n, keys=self._keys)
        f.cols = self.cols
        f.memo = {c: v for c, v in self.memo.items()}
        f.post = post
        f.parent = self.parent
        f.rows = self.rows
        return f

    # -- columns ----------------------------------------------------------------------------
    def col(self, slot: int) -> Array:
        c = self.cols.get(slot)
        if c is None:
            if self.parent is not None and self.rows is not None and slot in self.parent.cols:
                c = self.parent.cols[slot][self.rows]
            else:
                c = self.bp.layout.column(self.keys, slot)
            self.cols[slot] = c
        return c

    def value_col(self, slot: int) -> Array:
        """Slot values typed as the evaluator sees them: bool for Bool slots."""
        c = self.col(slot)
        if isinstance(self.bp.program.slots[slot].domain.type, BoolType):
            return c.view(np.bool_)
        return c

    # -- evaluation -------------------------------------------------------------------------
    def eval(self, roots: Sequence[int], broadcast: bool = True, keep: frozenset[int] | None = None,
             plan: Any = None) -> list[Val]:
        """Values and error masks of the nodes `roots`, broadcast to n rows (else a constant
        may come back as a NumPy scalar). With `keep`, intermediate values are dropped from
        the memo after their last use unless they are roots or in `keep` (memory: a chunk's
        intermediates would otherwise all stay alive). `plan`: a hashable name under which
        the evaluation order is cached in the BatchProgram; give one only when the frame's
        memo is the same at every call with that name (the same sequence of calls)."""
        cached = self.bp.plans.get(plan) if plan is not None else None
        if cached is None:
            cached = self._plan(roots, keep)
            if plan is not None:
                self.bp.plans[plan] = cached
        need, drop_at = cached
        memo = self.memo
        one = self._one
        if not drop_at:
            for cid in need:
                memo[cid] = one(cid)
        else:
            for pos, cid in enumerate(need):
                memo[cid] = one(cid)
                dead = drop_at.get(pos)
                if dead:
                    for d in dead:
                        memo.pop(d, None)
        if not broadcast:
            return [memo[cid] for cid in roots]
        return [self.full(cid) for cid in roots]

    def _plan(self, roots: Sequence[int], keep: frozenset[int] | None) -> tuple[list[int], dict[int, list[int]]]:
        need = self._needed(roots)
        drop_at: dict[int, list[int]] = {}
        if keep is not None:
            nodes = self.bp.g.nodes
            last: dict[int, int] = {}
            for pos, cid in enumerate(need):
                for a in nodes[cid].args:
                    last[a] = pos
            hold = keep | frozenset(roots)
            for cid, pos in last.items():
                if cid not in hold:
                    drop_at.setdefault(pos, []).append(cid)
        return need, drop_at

    def full(self, cid: int) -> Val:
        v, e = self.memo[cid]
        if np.ndim(v) == 0:
            v = np.full(self.n, v, dtype=self.bp.dtypes[cid])
        return v, e

    def _needed(self, roots: Sequence[int]) -> list[int]:
        out: set[int] = set()
        stack = [r for r in roots if r not in self.memo]
        nodes = self.bp.g.nodes
        parent = self.parent
        while stack:
            c = stack.pop()
            if c in out or c in self.memo:
                continue
            out.add(c)
            if parent is not None and c in parent.memo and self.post is None:
                continue  # gathered from the parent, children not needed
            stack.extend(a for a in nodes[c].args if a not in self.memo)
        return sorted(out)  # node ids are topological: children first

    def _one(self, cid: int) -> Val:
        n = self.bp.g.nodes[cid]
        if self.parent is not None and self.rows is not None and self.post is None:
            pv = self.parent.memo.get(cid)
            if pv is not None:
                v, e = pv
                if np.ndim(v) != 0:
                    v = v[self.rows]
                return v, (e[self.rows] if e is not None else None)
        return NODE_RULES[n.kind](self, cid, n)


def _or_masks(*masks: Array | None) -> Array | None:
    out = None
    for m in masks:
        if m is None:
            continue
        out = m if out is None else (out | m)
    return out


def _const(f: Frame, cid: int, n: CNode) -> Val:
    if isinstance(n.type, BoolType):
        return np.bool_(bool(n.value)), None
    dt = f.bp.dtypes[cid]
    return (_exact_scalar(n.value) if dt is EXACT else dt(n.value)), None


def _var(f: Frame, cid: int, n: CNode) -> Val:
    return f.value_col(n.value), None


def _post(f: Frame, cid: int, n: CNode) -> Val:
    if f.post is None:
        raise ValueError("next-state value read outside an action property")
    v = f.post.get(n.value)
    if v is None:
        return f.value_col(n.value), None
    return v, None


def _args(f: Frame, n: CNode) -> list[Val]:
    return [f.memo[a] for a in n.args]


def _lazy_chain(f: Frame, n: CNode, stop_on_true: bool) -> Val:
    """and (stop_on_true False: goes on while true) / or (goes on while false)."""
    vals = _args(f, n)
    v = vals[0][0]
    for x, _ in vals[1:]:
        v = (v | x) if stop_on_true else (v & x)
    if all(e is None for _, e in vals):
        return v, None
    err = None
    going = None  # rows where evaluation reached the current operand
    for x, e in vals:
        if e is not None:
            here = e if going is None else (going & e)
            err = here if err is None else (err | here)
        cont = x if not stop_on_true else ~x
        if e is not None:
            cont = cont & ~e
        going = cont if going is None else (going & cont)
    return v, err


def _and(f: Frame, cid: int, n: CNode) -> Val:
    return _lazy_chain(f, n, False)


def _or(f: Frame, cid: int, n: CNode) -> Val:
    return _lazy_chain(f, n, True)


def _implies(f: Frame, cid: int, n: CNode) -> Val:
    (a, ea), (b, eb) = _args(f, n)
    v = ~a | b
    if eb is None:
        return v, ea
    reach = a if ea is None else (a & ~ea)
    return v, _or_masks(ea, reach & eb)


def _ite(f: Frame, cid: int, n: CNode) -> Val:
    (c, ec), (x, ex), (y, ey) = _args(f, n)
    if f.bp.exact_op[cid]:
        x, y = _to(EXACT, x), _to(EXACT, y)
        v = _fit(f, cid, np.where(c, x, y))
    else:
        v = np.where(c, x, y)
    if ex is None and ey is None:
        return v, ec
    chosen = np.where(c, ex if ex is not None else False, ey if ey is not None else False)
    if ec is not None:
        chosen = chosen & ~ec
    return v, _or_masks(ec, chosen)


def _to(dt: Any, x: Array) -> Array:
    """`x` (an array or a scalar) as `dt`; EXACT scalars become 0-d arrays of a Python int."""
    if np.ndim(x):
        return np.asarray(x).astype(dt, copy=False)
    if dt is EXACT or np.dtype(dt) == EXACT:
        return _exact_scalar(x)
    return np.dtype(dt).type(x)


def _fit(f: Frame, cid: int, v: Array) -> Array:
    """A value computed with Python ints, back in the node's own dtype when that is a NumPy
    integer type (the range analysis proved every value fits): keeps exact evaluation to the
    nodes that need it."""
    dt = f.bp.dtypes[cid]
    if dt is EXACT:
        return v if np.ndim(v) else _exact_scalar(v)
    if np.ndim(v):
        return v.astype(dt) if v.dtype == EXACT else v
    return dt(int(v))


def _widen(f: Frame, cid: int, n: CNode, vals: list[Val]) -> list[Array]:
    """Operands cast to a dtype that holds them and the result: the node's and operands'
    dtypes are proved (by exact bounds) to hold every value, and an int64 operation whose
    operands and result lie within -SAFE..SAFE cannot overflow. If any of them is EXACT, the
    operation is done with Python ints."""
    if f.bp.exact_op[cid]:
        return [_to(EXACT, x) for x, _ in vals]
    dts = [f.bp.dtypes[cid]] + [f.bp.dtypes[a] for a in n.args]
    dt = np.result_type(*[np.dtype(d) for d in dts if d is not np.bool_] or [np.int64])
    return [np.asarray(x).astype(dt, copy=False) if np.ndim(x) else dt.type(x) for x, _ in vals]


def _strict(fn: Callable[..., Array], widen: bool = True) -> Callable[[Frame, int, CNode], Val]:
    def rule(f: Frame, cid: int, n: CNode) -> Val:
        vals = _args(f, n)
        err = _or_masks(*[e for _, e in vals])
        if not f.bp.exact_op[cid]:
            return fn(*(_widen(f, cid, n, vals) if widen else [x for x, _ in vals])), err
        if widen:
            return _fit(f, cid, fn(*_widen(f, cid, n, vals))), err
        r = fn(*[_to(EXACT, x) for x, _ in vals])  # a comparison of Python ints
        return (np.asarray(r, dtype=np.bool_) if np.ndim(r) else np.bool_(bool(r))), err

    return rule


def _divlike(fn: Callable[[Array, Array], Array]) -> Callable[[Frame, int, CNode], Val]:
    def rule(f: Frame, cid: int, n: CNode) -> Val:
        vals = _args(f, n)
        a, b = _widen(f, cid, n, vals)
        err = _or_masks(vals[0][1], vals[1][1])
        d = f.bp.g.nodes[n.args[1]]
        if d.nonzero:
            return (_fit(f, cid, fn(a, b)) if f.bp.exact_op[cid] else fn(a, b)), err
        # where the divisor is 0 the reference raises: compute with a non-zero divisor of
        # the divisor's range instead (so the value stays within the node's bounds), and
        # mark those rows as errors
        sub = _to(b.dtype, division_substitute(d.lo, d.hi))
        zero = np.asarray(b == 0, dtype=np.bool_)
        if np.ndim(b) == 0:
            zero = np.full(f.n, bool(zero))
            b = b if not zero.any() else sub
        else:
            b = np.where(zero, sub, b)
        before = vals[0][1] if vals[0][1] is not None else None
        own = zero if before is None else (zero & ~before)
        return (_fit(f, cid, fn(a, b)) if f.bp.exact_op[cid] else fn(a, b)), _or_masks(err, own)

    return rule


def _index(f: Frame, cid: int, n: CNode) -> Val:
    choices = n.args[:-1]
    m = len(choices)
    k, ek = f.memo[n.args[-1]]
    in_range = f.bp.g.in_range(cid)
    bad: Any = None
    i: Any
    if np.ndim(k) == 0:
        i = int(k) - n.value
        if not in_range:
            bad = np.full(f.n, not 0 <= i < m)
            i = min(max(i, 0), m - 1)
        i = np.int64(i)
    elif f.bp.int64_key[cid]:
        i = np.asarray(k).astype(np.int64) - n.value  # proved not to overflow
        if not in_range:
            bad = (i < 0) | (i >= m)
            i = np.clip(i, 0, m - 1)
    else:  # the key, or its distance from the offset, may not fit int64
        ix = np.asarray(k).astype(EXACT) - n.value
        bad = np.asarray((ix < 0) | (ix >= m), dtype=np.bool_)
        i = np.where(bad, 0, ix).astype(np.int64)
        if in_range:
            bad = None
    cvals = [f.memo[c] for c in choices]
    dt = f.bp.dtypes[cid]
    if np.ndim(i) == 0:
        v, e = cvals[int(i)]
    else:
        v = _choose(i, [x for x, _ in cvals], dt, f.n)
        if all(e is None for _, e in cvals):
            e = None
        else:
            e = _choose(i, [e if e is not None else np.bool_(False) for _, e in cvals], np.bool_, f.n)
    if bad is not None:
        e = bad if e is None else (bad | e)
    if ek is not None:
        e = ek if e is None else (ek | (e & ~ek))
    return v, e


def _choose(i: Array, options: list[Array], dt: Any, n: int) -> Array:
    if len(options) == 1:
        x = options[0]
        return np.full(n, x, dtype=dt) if np.ndim(x) == 0 else x
    if len(options) <= 32:
        return np.choose(i, [np.asarray(x).astype(dt, copy=False) for x in options])
    out = np.full(n, options[0], dtype=dt) if np.ndim(options[0]) == 0 else options[0].astype(dt)
    for j in range(1, len(options)):
        out = np.where(i == j, options[j], out)
    return out


def _op(f: Frame, cid: int, n: CNode) -> Val:
    return RULES[n.op](f, cid, n)


RULES: dict[str, Callable[[Frame, int, CNode], Val]] = {
    "and": _and,
    "or": _or,
    "not": _strict(lambda a: ~a, widen=False),
    "implies": _implies,
    "add": _strict(lambda a, b: a + b),
    "sub": _strict(lambda a, b: a - b),
    "mul": _strict(lambda a, b: a * b),
    "neg": _strict(lambda a: -a),
    "floordiv": _divlike(lambda a, b: a // b),
    "mod": _divlike(lambda a, b: a % b),
    "min": _strict(np.minimum),
    "max": _strict(np.maximum),
    "eq": _strict(lambda a, b: a == b, widen=False),
    "ne": _strict(lambda a, b: a != b, widen=False),
    "lt": _strict(lambda a, b: a < b, widen=False),
    "le": _strict(lambda a, b: a <= b, widen=False),
    "gt": _strict(lambda a, b: a > b, widen=False),
    "ge": _strict(lambda a, b: a >= b, widen=False),
    "ite": _ite,
}
NODE_RULES: dict[type, Callable[[Frame, int, CNode], Val]] = {
    Const: _const,
    Var: _var,
    Post: _post,
    Op: _op,
    Index: _index,
}
assert set(RULES) == set(OPS) and set(NODE_RULES) == set(NODE_KINDS)


__all__ = ["BatchProgram", "Frame", "Layout", "fingerprint", "EMPTY", "RULES", "NODE_RULES"]
