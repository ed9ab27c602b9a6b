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
"Enabled" is judged on the whole graph: an instance is enabled in a state when that state has
an edge labelled with it (actions are deterministic).

Must not import: z3, hypothesis, `checker.cli`, `checker.report` renderers. Uses numpy and
scipy (strongly connected components of large graphs).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from checker.backends.reference import evaluate, fire
from checker.ir import Program, Property, State

STUTTER = -1  # the action index of a stuttering step in a lasso

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class StateGraph:
    """The reachable state graph: states 0..n-1, and one edge per (state, enabled action)."""

    n: int
    initial: IntArray
    src: IntArray
    dst: IntArray
    act: IntArray

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


def _bfs(
    indptr: IntArray, indices: IntArray, eids: IntArray, sources: Sequence[int], allowed: BoolArray
) -> tuple[dict[int, tuple[int, int]], list[int]]:
    """Multi-source BFS inside `allowed`: parent map node -> (parent, edge id) and visit order."""
    parent: dict[int, tuple[int, int]] = {}
    order: list[int] = []
    queue: deque[int] = deque()
    for s in sources:
        if allowed[s] and s not in parent:
            parent[s] = (-1, -1)
            queue.append(s)
    while queue:
        u = queue.popleft()
        order.append(u)
        for j in range(indptr[u], indptr[u + 1]):
            v = int(indices[j])
            if allowed[v] and v not in parent:
                parent[v] = (u, int(eids[j]))
                queue.append(v)
    return parent, order


def _path_to(parent: dict[int, tuple[int, int]], target: int) -> tuple[list[int], list[int]]:
    states, edges = [target], []
    while parent[states[-1]][0] != -1:
        p, e = parent[states[-1]]
        edges.append(e)
        states.append(p)
    return states[::-1], edges[::-1]


class _Analysis:
    def __init__(self, program: Program, graph: StateGraph) -> None:
        self.program = program
        self.g = graph
        self.fair_index, self.strong = _fair_tables(program)
        self.n_fair = len(self.strong)
        # enabled_pairs: unique (state, fair k) pairs where k is enabled in state
        fk = self.fair_index[graph.act]
        m = fk >= 0
        pairs = np.unique(graph.src[m] * max(self.n_fair, 1) + fk[m])
        self.en_state = pairs // max(self.n_fair, 1)
        self.en_k = pairs % max(self.n_fair, 1)
        self.full_csr = graph.csr()

    def enabled(self, state: int) -> set[int]:
        lo, hi = np.searchsorted(self.en_state, [state, state + 1])
        return {int(k) for k in self.en_k[lo:hi]}

    def fair_states(self, region: BoolArray, must: BoolArray | None) -> tuple[BoolArray, IntArray]:
        """States of `region` that lie in a fair SCC (meeting `must`), and a component label
        for every state (-1 outside): one SCC pass, plus one per Streett pruning round."""
        good = np.zeros(self.g.n, dtype=bool)
        comp = np.full(self.g.n, -1, dtype=np.int64)
        next_label = 0
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
            bad_sf = np.zeros((n_comp, self.n_fair), dtype=bool)
            if self.n_fair:
                internal = label_of[self.g.src[eids]] == label_of[self.g.dst[eids]]
                e = eids[internal]
                fk = self.fair_index[self.g.act[e]]
                keep = fk >= 0
                taken = np.zeros((n_comp, self.n_fair), dtype=bool)
                taken[label_of[self.g.src[e[keep]]], fk[keep]] = True
                en_count = np.zeros((n_comp, self.n_fair), dtype=np.int64)
                in_reg = reg[self.en_state]
                np.add.at(en_count, (label_of[self.en_state[in_reg]], self.en_k[in_reg]), 1)
                weak = ~self.strong
                disabled_somewhere = en_count < size[:, None]
                ok &= np.all(taken[:, weak] | disabled_somewhere[:, weak], axis=1)
                bad_sf = self.strong[None, :] & ~taken & (en_count > 0)
            fine = ok & ~bad_sf.any(axis=1)
            in_fine = fine[labels]
            good[idx[in_fine]] = True
            comp[idx[in_fine]] = labels[in_fine] + next_label
            next_label += n_comp
            # Streett pruning: drop the states where an unsatisfied strong-fair action is
            # enabled, and split what is left again
            for c in np.flatnonzero(ok & bad_sf.any(axis=1)):
                members = label_of == c
                sel = bad_sf[c][self.en_k] & members[self.en_state]
                members[self.en_state[sel]] = False
                work.append(members)
        return good, comp

    def cycle(self, members: BoolArray, entry: int, must: BoolArray | None) -> tuple[list[int], list[int]]:
        """A fair cycle from entry through the waypoints inside `members`: (states, actions)."""
        indptr, indices, eids = self.g.csr(members)
        internal = np.flatnonzero(members[self.g.src] & members[self.g.dst])
        waypoints: list[tuple[str, int]] = []  # ("state", s) or ("edge", eid)
        member_states = np.flatnonzero(members)
        for k in range(self.n_fair):
            fk_edges = internal[self.fair_index[self.g.act[internal]] == k]
            if len(fk_edges):
                waypoints.append(("edge", int(fk_edges[0])))
                continue
            sel = (self.en_k == k) & members[self.en_state]
            enabled_at = set(self.en_state[sel].tolist())
            if not self.strong[k] and enabled_at:
                disabled = [int(s) for s in member_states if int(s) not in enabled_at]
                waypoints.append(("state", disabled[0]))
        if must is not None and not must[entry]:
            waypoints.append(("state", int(np.flatnonzero(members & must)[0])))
        states: list[int] = [entry]
        actions: list[int] = []
        here = entry

        def go(target: int) -> None:
            nonlocal here
            if target == here:
                return
            parent, _ = _bfs(indptr, indices, eids, [here], members)
            path, edges = _path_to(parent, target)
            states.extend(path[1:])
            actions.extend(int(self.g.act[e]) for e in edges)
            here = target

        for kind, x in waypoints:
            if kind == "state":
                go(x)
            else:
                go(int(self.g.src[x]))
                states.append(int(self.g.dst[x]))
                actions.append(int(self.g.act[x]))
                here = int(self.g.dst[x])
        go(entry)
        if not actions:  # nothing fair to do: stutter forever at entry
            states.append(entry)
            actions.append(STUTTER)
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
        starts = [int(s) for s in graph.initial if region[s]]
        parent, _ = _bfs(full_indptr, full_indices, full_eids, starts, region)
        reach = np.zeros(n, dtype=bool)
        reach[list(parent)] = True
        hit = _nearest(a, reach & region, None, parent)
        if hit is None:
            return None
        members, entry = hit
        prefix_states, prefix_edges = _path_to(parent, entry)
    else:
        parent0, _ = _bfs(full_indptr, full_indices, full_eids, [int(s) for s in graph.initial], everything)
        if form == "always_eventually":
            hit = _nearest(a, ~p_true, None, parent0)
            if hit is None:
                return None
            members, entry = hit
            prefix_states, prefix_edges = _path_to(parent0, entry)
        elif form == "eventually_always":
            hit = _nearest(a, everything, ~p_true, parent0)
            if hit is None:
                return None
            members, entry = hit
            prefix_states, prefix_edges = _path_to(parent0, entry)
        elif form == "leads_to":
            assert q_true is not None
            triggers = np.flatnonzero(p_true & ~q_true)
            if len(triggers) == 0:
                return None
            region = ~q_true
            parent1, _ = _bfs(full_indptr, full_indices, full_eids, triggers.tolist(), region)
            reach = np.zeros(n, dtype=bool)
            reach[list(parent1)] = True
            hit = _nearest(a, reach, None, parent1)
            if hit is None:
                return None
            members, entry = hit
            tail_states, tail_edges = _path_to(parent1, entry)
            head_states, head_edges = _path_to(parent0, tail_states[0])
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


def _nearest(
    a: _Analysis, region: BoolArray, must: BoolArray | None, parent: dict[int, tuple[int, int]]
) -> tuple[BoolArray, int] | None:
    """The fair component in region with the member found first by the BFS `parent` (so the
    prefix to it is shortest), as (member mask, that member)."""
    good, comp = a.fair_states(region, must)
    if not good.any():
        return None
    for s in parent:  # dict order is BFS discovery order, i.e. by distance
        if good[s]:
            return comp == comp[s], s
    return None


def verify_lasso(
    program: Program, states: Sequence[State], actions: Sequence[int], loop_start: int, prop: Property
) -> str | None:
    """None if the lasso is real, fair and violates prop; else what is wrong with it.

    Checks, with the reference evaluator only: states[0] is initial; every step is the named
    action (or a stutter); the closing step returns to states[loop_start]; every fair action
    instance is treated fairly on the cycle; the property is false on this behaviour."""
    from checker.backends.reference import initial_states

    if len(actions) != len(states):
        return "a lasso needs one action per state (the last one closes the loop)"
    if states[0] not in {s for _, s in initial_states(program)}:
        return "the lasso does not start in an initial state"
    for i, (s, a) in enumerate(zip(states, actions)):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if a == STUTTER:
            if nxt != s:
                return f"step {i + 1} is marked as stuttering but changes the state"
            continue
        if fire(program.actions[a], s) != nxt:
            return f"step {i + 1}: {program.actions[a].label} does not lead to the next state"
    cycle = list(range(loop_start, len(states)))
    taken = {actions[i] for i in cycle}
    for k, act in enumerate(program.actions):
        if act.fairness not in ("weak", "strong") or k in taken:
            continue
        en = [bool(evaluate(act.guard, states[i])) for i in cycle]
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
