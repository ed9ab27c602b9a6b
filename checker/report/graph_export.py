"""The reachable state graph of a small model as a file: GraphML or Graphviz DOT, via networkx.

Owns: `to_networkx` (a `networkx.MultiDiGraph` with one node per state, labelled by its state
and marked when initial or when it breaks an invariant, and one edge per transition,
labelled by the action instance), `write_graph` (GraphML through networkx; DOT written from
the networkx graph here, because networkx's own DOT writer needs pydot or pygraphviz), and
`GraphTooLarge` (the refusal beyond the size limit). It takes plain arrays, not an engine's
graph object: the CLI builds the graph with `replicheck.explore.graph.build_graph` and passes
its pieces in.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir`, `replicheck.backends.reference` and `replicheck.report`.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import networkx as nx

from replicheck.backends.reference import ModelRuntimeError, evaluate
from replicheck.errors import UsageProblem
from replicheck.ir import Program, State

from .changes import show_var

DEFAULT_LIMIT = 10_000
FORMATS = {".graphml": "graphml", ".dot": "dot", ".gv": "dot"}


class GraphTooLarge(UsageProblem):
    """The reachable state graph has more states than the limit allows exporting."""


def graph_format(path: str) -> str:
    """'graphml' or 'dot' from the file name; ValueError for any other extension."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot tell the graph format of {path}: name it .graphml or .dot")
    return FORMATS[ext]


def state_label(program: Program, state: State) -> str:
    """One `name = value` line per variable."""
    return "\n".join(f"{v.name} = {show_var(program, v, state)}" for v in program.vars)


def _violated(program: Program, state: State) -> str:
    bad = []
    for prop in program.invariants():
        try:
            if not evaluate(prop.expr, state):
                bad.append(prop.name)
        except ModelRuntimeError:
            bad.append(prop.name)
    return ", ".join(bad)


def to_networkx(
    program: Program,
    states: Sequence[State],
    initial: Iterable[int],
    edges: Iterable[tuple[int, int, int]],
) -> nx.MultiDiGraph:
    """Nodes 0..n-1 with `label` (the state), `initial`, `violates` (the invariants false
    there, comma-separated, or "") and one `var.<name>` attribute per variable; edges
    (source, target, action index) with `label` (the action instance) and `action` (its
    family)."""
    g = nx.MultiDiGraph(name=program.name)
    starts = set(initial)
    for i, s in enumerate(states):
        attrs: dict[str, object] = {
            "label": state_label(program, s),
            "initial": i in starts,
            "violates": _violated(program, s),
        }
        for v in program.vars:
            attrs[f"var.{v.name}"] = show_var(program, v, s)
        g.add_node(i, **attrs)
    for src, dst, a in edges:
        action = program.actions[a]
        g.add_edge(src, dst, label=action.label, action=action.family)
    return g


def _dot_id(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l")
    return f'"{escaped}"'


def to_dot(g: nx.MultiDiGraph) -> str:
    """Graphviz DOT: initial states are double octagons, states that break an invariant red."""
    lines = [f"digraph {_dot_id(str(g.graph.get('name', 'states')))} {{", "  node [shape=box, fontname=monospace];"]
    for node, data in g.nodes(data=True):
        label = str(data.get("label", node)) + "\n"
        extra = ""
        if data.get("initial"):
            extra += ", shape=doubleoctagon"
        if data.get("violates"):
            extra += f", color=red, penwidth=2, tooltip={_dot_id('violates ' + str(data['violates']))}"
        lines.append(f"  {node} [label={_dot_id(label)}{extra}];")
    for src, dst, data in g.edges(data=True):
        lines.append(f"  {src} -> {dst} [label={_dot_id(str(data.get('label', '')))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(g: nx.MultiDiGraph, path: str) -> None:
    """Write `g` as GraphML or DOT, chosen by the file name."""
    fmt = graph_format(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    if fmt == "graphml":
        nx.write_graphml(g, path)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_dot(g))


def check_size(count: int, complete: bool, limit: int) -> None:
    """Refuse (GraphTooLarge) a graph with more than `limit` states."""
    if not complete or count > limit:
        raise GraphTooLarge(
            f"the reachable state graph has more than {limit:,} states: too large to export "
            "(raise --graph-limit, or use smaller settings)"
        )
