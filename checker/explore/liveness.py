"""Liveness under fairness: fair strongly connected components and lasso counterexamples.

Owns: `find_violation` (given the reachable state graph as edge arrays, the fairness of each
action instance, and per-state truth masks of a property's predicates, find a fair lasso that
violates `eventually P`, `always eventually P`, `eventually always P` or `P leads to Q`) and
`verify_lasso` (an independent check, through the reference evaluator, that a lasso is made of
real steps, is fair, and violates the property).

Semantics are TLA+'s: behaviours are infinite, and any state may stutter (repeat) forever
unless that starves a fair action. Every state therefore carries an implicit stuttering
self-loop. A cycle through the states of a strongly connected component C is fair when
- for each weakly fair action instance a: a is taken on an edge inside C, or a is disabled in
  some state of C (so it is not continuously enabled);
- for each strongly fair instance a: a is taken inside C, or a is disabled in every state of
  C; otherwise the states of C where a is enabled are removed and what is left is split into
  components again (the standard Streett pruning).
Fairness is TLA+'s `WF_vars(A)` / `SF_vars(A)`, which speak of `<<A>>_vars` steps: steps of A
that change the state. A step of A that leaves the state as it is (a self-loop) is a
stuttering step: it neither counts as taking A nor makes A enabled. So "enabled" is judged
on the whole graph: an instance is enabled in a state when that state has an edge labelled
with it to another state (actions are deterministic), and "taken" means such an edge.

Must not import: z3, hypothesis, `replicheck.cli`, `replicheck.report` renderers. Uses numpy and
scipy (strongly connected components of large graphs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from replicheck.backends.reference import evaluate, fire
from replicheck.ir import Program, Property, State

STUTTER = -1  # the action index of a stuttering step in a lasso

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class StateGraph:
    """The reachable state graph: states 0..n-1, and one edge per (state, enabled action).
    `blocked_src`/`blocked_act`: steps that lead outside the @constraint; they enable their
    action in their source state (fairness sees them, as TLC's does) but are not edges."""

    n: int
    initial: IntArray
    src: IntArray
    dst: IntArray
    act: IntArray
    blocked_src: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    blocked_act: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def csr(self, keep: BoolArray | None = None) -> tuple[IntArray, IntArray, IntArray]:
        """(indptr, indices, edge ids) of the graph, optionally only edges inside `keep`."""
        eids = np.arange(len(self.src), dtype=np.int64)
        if keep is not None:
            m = keep[self.src] & keep[self.dst]
            eids = eids[m]
        order = eids[np.argsort(self.src[eids], kind="stable")]
        counts = np.bincount(self.src[order], minlength=self.n)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return indptr, self.dst[order], order


@dataclass
class Lasso:
    """states[0] is initial; states[i+1] follows states[i] by actions[i] (STUTTER: repeat);
    the last step returns to states[loop_start]."""

    states: list[int]
    actions: list[int]
    loop_start: int


def _fair_tables(program: Program) -> tuple[IntArray, BoolArray]:
    """fair_index[action] = k (or -1), and strong[k] for the k-th fair action instance."""
    fair_index = np.full(len(program.actions), -1, dtype=np.int64)
    strong: list[bool] = []
    for i, a in enumerate(program.actions):
        if a.fairness in ("weak", "strong"):
            fair_index[i] = len(strong)
            strong.append(a.fairness == "strong")
    return fair_index, np.array(strong, dtype=bool)


class _Tree:
    """A breadth-first search tree: visit order (by distance), predecessor and tree edge of
    every visited node."""

    def __init__(self, n: int, order: IntArray, pred: IntArray, edge: IntArray) -> None:
        self.order = order  # visited nodes, sources first, by distance
        self.pred = pred  # pred[v]: parent of v, -1 for a source, -2 if not visited
        self.edge = edge  # edge[v]: id of the tree edge into v
        self.visited = np.zeros(n, dtype=bool)
        self.visited[order] = True

    def path_to(self, target: int) -> tuple[list[int], list[int]]:
        states, edges = [target], []
        while self.pred[states[-1]] >= 0:
            edges.append(int(self.edge[states[-1]]))
            states.append(int(self.pred[states[-1]]))
        return states[::-1], edges[::-1]


def _bfs(
    indptr: IntArray, indices: IntArray, eids: IntArray, sources: Sequence[int], allowed: BoolArray
) -> _Tree:
    """Multi-source BFS inside `allowed`, in scipy (a super-source feeds every source)."""
    n = len(indptr) - 1
    srcs = np.array(sorted({int(s) for s in sources if allowed[s]}), dtype=np.int64)
    pred = np.full(n, -2, dtype=np.int64)
    edge = np.full(n, -1, dtype=np.int64)
    if len(srcs) == 0:
        return _Tree(n, np.zeros(0, dtype=np.int64), pred, edge)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keep = allowed[rows] & allowed[indices]
    r = np.concatenate([rows[keep], np.full(len(srcs), n, dtype=np.int64)])
    c = np.concatenate([indices[keep], srcs])
    e = np.concatenate([eids[keep], np.full(len(srcs), -1, dtype=np.int64)])
    mat = csr_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n + 1, n + 1))
    order, p = breadth_first_order(mat, n, directed=True, return_predecessors=True)
    visit = order[1:].astype(np.int64)
    pu = p[visit].astype(np.int64)
    # the tree edge into each visited node: the first kept edge from its parent to it
    key = r * (n + 1) + c
    first_keys, first_pos = np.unique(key, return_index=True)
    tree_edge = e[first_pos[np.searchsorted(first_keys, pu * (n + 1) + visit)]]
    pred[visit] = np.where(pu == n, -1, pu)
    edge[visit] = tree_edge
    return _Tree(n, visit, pred, edge)


class _Analysis:
    def __init__(self, program: Program, graph: StateGraph) -> None:
        self.program = program
        self.g = graph
        self.fair_index, self.strong = _fair_tables(program)
        self.n_fair = len(self.strong)
        # (state, fair k) pairs where k is enabled in state: one per state-changing edge of a
        # fair action (actions are deterministic, so an instance has at most one edge per
        # state; a self-loop is a stuttering step, not <<A>>_vars), sorted by state
        self.changes = graph.src != graph.dst
        fk = np.where(self.changes, self.fair_index[graph.act], -1)
        m = fk >= 0
        bk = self.fair_index[graph.blocked_act] if len(graph.blocked_act) else np.zeros(0, dtype=np.int64)
        bm = bk >= 0
        en_state = np.concatenate([graph.src[m], graph.blocked_src[bm]])
        en_k = np.concatenate([fk[m], bk[bm]])
        if len(en_state) > 1 and not bool(np.all(en_state[1:] >= en_state[:-1])):
            order = np.argsort(en_state, kind="stable")
            en_state, en_k = en_state[order], en_k[order]
        self.en_state, self.en_k = en_state, en_k
        self.full_csr = graph.csr()

    def enabled(self, state: int) -> set[int]:
        lo, hi = np.searchsorted(self.en_state, [state, state + 1])
        return {int(k) for k in self.en_k[lo:hi]}

    def fair_states(self, region: BoolArray, must: BoolArray | None) -> tuple[BoolArray, IntArray]:
        """States of `region` that lie in a fair SCC (meeting `must`), and a component label
        for every state (-1 outside): one SCC pass, plus one per Streett pruning round.

        The fairness conditions are evaluated on the sparse (component, fair action) pairs
        that occur, never on a dense components-by-actions table."""
        good = np.zeros(self.g.n, dtype=bool)
        comp = np.full(self.g.n, -1, dtype=np.int64)
        next_label = 0
        nf = max(self.n_fair, 1)
        work: list[BoolArray] = [region]
        while work:
            reg = work.pop()
            if not reg.any():
                continue
            idx = np.flatnonzero(reg)
            indptr, indices, eids = self.g.csr(reg)
            mat = csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(self.g.n, self.g.n))
            _, labels_all = connected_components(mat, directed=True, connection="strong")
            _, labels = np.unique(labels_all[idx], return_inverse=True)
            labels = labels.astype(np.int64)
            n_comp = int(labels.max()) + 1
            size = np.bincount(labels, minlength=n_comp)
            label_of = np.full(self.g.n, -1, dtype=np.int64)
            label_of[idx] = labels
            ok = np.ones(n_comp, dtype=bool)
            if must is not None:
                ok &= np.bincount(labels, weights=must[idx].astype(np.int64), minlength=n_comp) > 0
            sf_bad_keys = np.zeros(0, dtype=np.int64)
            if self.n_fair:
                # (component, k) keys where k is enabled, with how many of its states enable it
                in_reg = reg[self.en_state]
                keys, counts = np.unique(label_of[self.en_state[in_reg]] * nf + self.en_k[in_reg], return_counts=True)
                # ... and where k is taken on an edge inside the component
                internal = (label_of[self.g.src[eids]] == label_of[self.g.dst[eids]]) & self.changes[eids]
                e = eids[internal]
                fk = self.fair_index[self.g.act[e]]
                taken_keys = np.unique(label_of[self.g.src[e[fk >= 0]]] * nf + fk[fk >= 0])
                taken = np.isin(keys, taken_keys, assume_unique=True)
                kc, kk = keys // nf, keys % nf
                # weak: enabled in every state of the component and never taken -> unfair
                weak_bad = ~self.strong[kk] & ~taken & (counts == size[kc])
                ok[kc[weak_bad]] = False
                # strong: enabled somewhere and never taken -> prune those states
                sf_bad = self.strong[kk] & ~taken & ok[kc]
                sf_bad_keys = keys[sf_bad]
            needs_pruning = np.zeros(n_comp, dtype=bool)
            needs_pruning[sf_bad_keys // nf] = True
            fine = ok & ~needs_pruning
            in_fine = fine[labels]
            good[idx[in_fine]] = True
            comp[idx[in_fine]] = labels[in_fine] + next_label
            next_label += n_comp
            if len(sf_bad_keys):
                # Streett pruning, all components at once: drop the states where one of their
                # unsatisfied strong-fair actions is enabled, and split what is left again
                members = needs_pruning[np.where(label_of >= 0, label_of, 0)] & (label_of >= 0)
                state_keys = label_of[self.en_state] * nf + self.en_k
                drop = self.en_state[np.isin(state_keys, sf_bad_keys) & members[self.en_state]]
                members[drop] = False
                work.append(members)
        return good, comp

    def cycle(self, members: BoolArray, entry: int, must: BoolArray | None) -> tuple[list[int], list[int]]:
        """A short fair cycle from entry inside `members`: (states, actions).

        Greedy: every weakly fair action instance enabled somewhere in the component must be
        taken on the cycle or be disabled in some state of it (strongly fair ones, after
        pruning, must be taken when enabled anywhere); `must` asks for one state of a set.
        From the current state, walk to the nearest state or edge that settles some pending
        obligation, crediting every state and edge passed on the way; then return to entry."""
        indptr, indices, eids = self.g.csr(members)
        # the edges inside the component that take a step (self-loops settle no fairness)
        internal = np.flatnonzero(members[self.g.src] & members[self.g.dst] & self.changes)
        in_comp = members[self.en_state]
        comp_en_state, comp_en_k = self.en_state[in_comp], self.en_k[in_comp]
        pending = set(np.unique(comp_en_k).tolist())  # fair actions enabled somewhere here
        need_must = must is not None and not bool(must[entry])
        states: list[int] = [entry]
        actions: list[int] = []
        here = entry

        def credit_state(v: int) -> None:
            nonlocal need_must
            pending.difference_update(k for k in list(pending) if not self.strong[k] and k not in self.enabled(v))
            if need_must and must is not None and must[v]:
                need_must = False

        def credit_edge(e: int) -> None:
            if self.changes[e]:
                pending.discard(int(self.fair_index[self.g.act[e]]))

        credit_state(entry)
        while pending or need_must:
            tree = _bfs(indptr, indices, eids, [here], members)
            pos = np.full(self.g.n, -1, dtype=np.int64)
            pos[tree.order] = np.arange(len(tree.order))
            best: tuple[int, str, int] | None = None  # (rank, kind, target)
            if need_must and must is not None:
                cand = tree.order[must[tree.order]]
                if len(cand):
                    best = (int(pos[cand[0]]), "state", int(cand[0]))
            weak_pending = [k for k in pending if not self.strong[k]]
            if weak_pending:
                sel = np.isin(comp_en_k, weak_pending)
                n_enabled = np.bincount(comp_en_state[sel], minlength=self.g.n)
                settles = members & (n_enabled < len(weak_pending))
                cand = tree.order[settles[tree.order]]
                if len(cand) and (best is None or pos[cand[0]] < best[0]):
                    best = (int(pos[cand[0]]), "state", int(cand[0]))
            if pending:
                ks = np.array(sorted(pending), dtype=np.int64)
                edges = internal[np.isin(self.fair_index[self.g.act[internal]], ks)]
                if len(edges):
                    ranks = pos[self.g.src[edges]]
                    j = int(np.argmin(np.where(ranks >= 0, ranks, np.iinfo(np.int64).max)))
                    if ranks[j] >= 0 and (best is None or ranks[j] + 1 <= best[0]):
                        best = (int(ranks[j]) + 1, "edge", int(edges[j]))
            if best is None:  # cannot happen for a fair component; stop rather than loop
                break
            _, kind, target = best
            dest = target if kind == "state" else int(self.g.src[target])
            path, path_edges = tree.path_to(dest)
            for v, e in zip(path[1:], path_edges):
                states.append(v)
                actions.append(int(self.g.act[e]))
                credit_edge(e)
                credit_state(v)
            here = dest
            if kind == "edge":
                v = int(self.g.dst[target])
                states.append(v)
                actions.append(int(self.g.act[target]))
                credit_edge(target)
                credit_state(v)
                here = v
        if here != entry:
            path, path_edges = _bfs(indptr, indices, eids, [here], members).path_to(entry)
            states.extend(path[1:])
            actions.extend(int(self.g.act[e]) for e in path_edges)
        if not actions:  # nothing fair to do: stutter forever at entry
            # an action whose step changes nothing here is a stuttering step too; name it, so
            # the story reads "search_fails, forever" rather than a bare stutter
            loops = np.flatnonzero((self.g.src == entry) & (self.g.dst == entry))
            states.append(entry)
            actions.append(int(self.g.act[loops[0]]) if len(loops) else STUTTER)
        return states, actions


def find_violation(
    program: Program,
    graph: StateGraph,
    prop: Property,
    p_true: BoolArray,
    q_true: BoolArray | None = None,
) -> Lasso | None:
    """A fair lasso violating `prop`, or None if every fair behaviour satisfies it."""
    a = _Analysis(program, graph)
    n = graph.n
    everything = np.ones(n, dtype=bool)
    full_indptr, full_indices, full_eids = a.full_csr
    form = prop.temporal
    if form == "eventually":
        region = ~p_true
        tree = _bfs(full_indptr, full_indices, full_eids, graph.initial.tolist(), region)
        hit = _nearest(a, tree.visited & region, None, tree)
        if hit is None:
            return None
        members, entry = hit
        prefix_states, prefix_edges = tree.path_to(entry)
    else:
        tree0 = _bfs(full_indptr, full_indices, full_eids, graph.initial.tolist(), everything)
        if form == "always_eventually":
            hit = _nearest(a, ~p_true, None, tree0)
            if hit is None:
                return None
            members, entry = hit
            prefix_states, prefix_edges = tree0.path_to(entry)
        elif form == "eventually_always":
            hit = _nearest(a, everything, ~p_true, tree0)
            if hit is None:
                return None
            members, entry = hit
            prefix_states, prefix_edges = tree0.path_to(entry)
        elif form == "leads_to":
            assert q_true is not None
            triggers = np.flatnonzero(p_true & ~q_true)
            if len(triggers) == 0:
                return None
            region = ~q_true
            tree1 = _bfs(full_indptr, full_indices, full_eids, triggers.tolist(), region)
            hit = _nearest(a, tree1.visited, None, tree1)
            if hit is None:
                return None
            members, entry = hit
            tail_states, tail_edges = tree1.path_to(entry)
            head_states, head_edges = tree0.path_to(tail_states[0])
            prefix_states = head_states + tail_states[1:]
            prefix_edges = head_edges + tail_edges
        else:
            raise ValueError(f"unknown temporal form {form!r}")
    must = ~p_true if form == "eventually_always" else None
    cyc_states, cyc_actions = a.cycle(members, entry, must)
    states = prefix_states + cyc_states[1:]
    actions = [int(graph.act[e]) for e in prefix_edges] + cyc_actions
    # the last step returns to the entry, so drop the repeated final state
    loop_start = len(prefix_states) - 1
    return Lasso(states[:-1] if len(states) > 1 else states, actions, loop_start)


def _nearest(a: _Analysis, region: BoolArray, must: BoolArray | None, tree: _Tree) -> tuple[BoolArray, int] | None:
    """The fair component in region with the member the BFS `tree` reaches first (so the
    prefix to it is shortest), as (member mask, that member)."""
    good, comp = a.fair_states(region, must)
    reached = good[tree.order]
    if not reached.any():
        return None
    s = int(tree.order[int(np.argmax(reached))])
    return comp == comp[s], s


def step_enabled(program: Program, action: int, state: State) -> bool:
    """ENABLED <<A>>_vars: the action's guard holds and its step would change the state."""
    act = program.actions[action]
    return bool(evaluate(act.guard, state)) and fire(act, state) != state


def taken_in_cycle(states: Sequence[State], actions: Sequence[int], loop_start: int) -> set[int]:
    """The actions a lasso's cycle takes as <<A>>_vars steps (steps that change the state)."""
    taken = set()
    for i in range(loop_start, len(states)):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if actions[i] != STUTTER and nxt != states[i]:
            taken.add(actions[i])
    return taken


def verify_lasso(
    program: Program, states: Sequence[State], actions: Sequence[int], loop_start: int, prop: Property
) -> str | None:
    """None if the lasso is real, fair and violates prop; else what is wrong with it.

    Checks, with the reference evaluator only: states[0] is initial; every step is the named
    action (or a stutter); the closing step returns to states[loop_start]; every fair action
    instance is treated fairly on the cycle (TLA+'s `<<A>>_vars`: only a step that changes the
    state takes A, and A is enabled where its guard holds and its step would change the
    state); the property is false on this behaviour."""
    from replicheck.backends.reference import initial_states

    if len(actions) != len(states):
        return "a lasso needs one action per state (the last one closes the loop)"
    if states[0] not in {s for _, s in initial_states(program)}:
        return "the lasso does not start in an initial state"
    for i, s in enumerate(states):
        broken = [c.name for c in program.of_kind("constraint") if not evaluate(c.expr, s)]
        if broken:
            return f"state {i} of the lasso is outside the @constraint {broken[0]}, which no behaviour enters"
    for i, (s, a) in enumerate(zip(states, actions)):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if a == STUTTER:
            if nxt != s:
                return f"step {i + 1} is marked as stuttering but changes the state"
            continue
        if fire(program.actions[a], s) != nxt:
            return f"step {i + 1}: {program.actions[a].label} does not lead to the next state"
    cycle = list(range(loop_start, len(states)))
    taken = taken_in_cycle(states, actions, loop_start)
    for k, act in enumerate(program.actions):
        if act.fairness not in ("weak", "strong") or k in taken:
            continue
        en = [step_enabled(program, k, states[i]) for i in cycle]
        if act.fairness == "weak" and all(en):
            return f"unfair: {act.label} is enabled throughout the cycle but never taken"
        if act.fairness == "strong" and any(en):
            return f"unfair: {act.label} is enabled in the cycle (strong fairness) but never taken"

    def p(i: int) -> bool:
        return bool(evaluate(prop.expr, states[i]))

    def q(i: int) -> bool:
        assert prop.expr2 is not None
        return bool(evaluate(prop.expr2, states[i]))

    form = prop.temporal
    if form == "eventually":
        violated = not any(p(i) for i in range(len(states)))
    elif form == "always_eventually":
        violated = not any(p(i) for i in cycle)
    elif form == "eventually_always":
        violated = not all(p(i) for i in cycle)
    elif form == "leads_to":
        # some P state after which (itself included) Q never holds, the cycle included
        violated = any(
            p(i) and not any(q(j) for j in range(min(i, loop_start), len(states)) if j >= i or j in cycle)
            for i in range(len(states))
        )
    else:
        return f"unknown temporal form {form!r}"
    return None if violated else f"the lasso does not violate {prop.name}"
