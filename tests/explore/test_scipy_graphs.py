"""The strongly-connected-components step of the liveness analysis against networkx, on
graphs with what scipy 1.17 gets wrong: parallel edges (a node with two edges to one node
made its search loop forever or return wrong components, found in this session's memory
work), self-loops, unsorted rows, and cycles the peeling must leave to scipy."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from replicheck.explore.liveness import StateGraph, _region_components, _search_matrix


def components_of(labels: np.ndarray | None, region: np.ndarray) -> set[frozenset[int]]:
    states = np.flatnonzero(region)
    if labels is None:
        return {frozenset([int(v)]) for v in states}
    groups: dict[int, set[int]] = {}
    for v in states:
        groups.setdefault(int(labels[v]), set()).add(int(v))
    return {frozenset(g) for g in groups.values()}


def networkx_components(n: int, edges: list[tuple[int, int]], region: np.ndarray) -> set[frozenset[int]]:
    g = nx.DiGraph()
    g.add_nodes_from(int(v) for v in np.flatnonzero(region))
    g.add_edges_from((a, b) for a, b in edges if region[a] and region[b])
    return {frozenset(c) for c in nx.strongly_connected_components(g)}


graphs = st.integers(1, 9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4 * n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_the_components_are_networkxs_with_parallel_edges_and_self_loops(case: tuple) -> None:
    n, edges, region_list = case
    edges = edges + edges[: len(edges) // 2]  # parallel edges, always some
    region = np.array(region_list, dtype=bool)
    src = np.array([a for a, _ in edges], dtype=np.int64)
    dst = np.array([b for _, b in edges], dtype=np.int64)
    graph = StateGraph(n, np.zeros(1, dtype=np.int64), src, dst, np.zeros(len(edges), dtype=np.int64))
    assert components_of(_region_components(graph, region), region) == networkx_components(n, edges, region)


def test_a_graph_without_cycles_never_reaches_scipy() -> None:
    # a chain with cross edges to earlier states along other paths (no cycle)
    n = 50
    edges = [(i, i + 1) for i in range(n - 1)] + [(i, i + 3) for i in range(n - 3)]
    src = np.array([a for a, _ in edges])
    dst = np.array([b for _, b in edges])
    graph = StateGraph(n, np.zeros(1, dtype=np.int64), src, dst, np.zeros(len(edges), dtype=np.int64))
    assert _region_components(graph, np.ones(n, dtype=bool)) is None


def test_the_search_matrix_has_no_duplicate_entries() -> None:
    indptr = np.array([0, 3, 3], dtype=np.int64)
    indices = np.array([1, 1, 1], dtype=np.int64)
    mat = _search_matrix(2, indptr, indices)
    assert mat.nnz == 1 and mat.has_canonical_format


def test_parallel_edges_do_not_hang_the_component_search() -> None:
    # in a child process, so that a hang fails the test instead of stopping the run
    code = textwrap.dedent(
        """
        import numpy as np
        from replicheck.explore.liveness import StateGraph, _region_components
        g = StateGraph(3, np.zeros(1, dtype=np.int64), np.array([0, 0, 1, 2]), np.array([1, 1, 2, 0]),
                       np.zeros(4, dtype=np.int64))
        labels = _region_components(g, np.ones(3, dtype=bool))
        print(len(set(labels.tolist())))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"  # 0 -> 1 -> 2 -> 0: one component
