"""Exporting the reachable state graph (GraphML, DOT) through networkx, with a size limit."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest

from replicheck.backends.compiled import compile_program
from replicheck.cli import main
from replicheck.explore.graph import build_graph
from replicheck.report.graph_export import (
    GraphTooLarge,
    check_size,
    graph_format,
    state_label,
    to_dot,
    to_networkx,
)

from .helpers import die_hard


def _die_hard_graph() -> nx.MultiDiGraph:
    program = die_hard()
    built = build_graph(compile_program(program))
    g = built.graph
    return to_networkx(program, built.states, g.initial.tolist(), zip(g.src.tolist(), g.dst.tolist(), g.act.tolist()))


def test_die_hard_graph_has_its_16_states_and_every_transition() -> None:
    g = _die_hard_graph()
    # the 16 reachable (small, big) pairs; all six actions are always enabled
    assert g.number_of_nodes() == 16
    assert g.number_of_edges() == 16 * 6
    assert {d["label"] for *_, d in g.edges(data=True)} == {
        "fill_small", "fill_big", "empty_small", "empty_big", "small_to_big", "big_to_small"
    }
    [start] = [n for n, d in g.nodes(data=True) if d["initial"]]
    assert g.nodes[start]["label"] == "small = 0\nbig = 0"
    assert g.nodes[start]["var.big"] == "0"
    fill_big = [v for _, v, d in g.out_edges(start, data=True) if d["label"] == "fill_big"]
    assert [g.nodes[v]["label"] for v in fill_big] == ["small = 0\nbig = 5"]
    # big_is_not_4 is false exactly where the big jug holds 4: (0, 4) and (3, 4)
    bad = sorted(d["label"] for _, d in g.nodes(data=True) if d["violates"])
    assert bad == ["small = 0\nbig = 4", "small = 3\nbig = 4"]


def test_dot_marks_initial_and_violating_states() -> None:
    text = to_dot(_die_hard_graph())
    assert text.startswith('digraph "classic.die_hard" {')
    assert text.count("doubleoctagon") == 1
    assert text.count("color=red") == 2
    assert len(re.findall(r"^  \d+ -> \d+ \[label=", text, re.M)) == 96
    assert '[label="small = 0\\lbig = 0\\l", shape=doubleoctagon]' in text


def test_the_format_comes_from_the_file_name() -> None:
    assert graph_format("g.graphml") == "graphml"
    assert graph_format("out/g.DOT") == "dot"
    with pytest.raises(ValueError, match="name it .graphml or .dot"):
        graph_format("g.png")


def test_the_size_limit_refuses_large_graphs() -> None:
    check_size(10, True, 10)
    with pytest.raises(GraphTooLarge, match="more than 10 states"):
        check_size(11, True, 10)
    with pytest.raises(GraphTooLarge):
        check_size(5, False, 10)  # the exploration itself stopped at the limit


def test_state_label_is_one_line_per_variable() -> None:
    program = die_hard()
    assert state_label(program, (3, 4)) == "small = 3\nbig = 4"


# -- the CLI ---------------------------------------------------------------------------------


def test_check_graph_out_graphml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "die_hard.graphml"
    code = main(["check", "classic.die_hard", "-q", "--graph-out", str(out)])
    stdout, _ = capsys.readouterr()
    assert code == 1  # the check ran and found the violation, as usual
    assert "big_is_not_4" in stdout
    assert f"state graph written to {out} (16 states, 96 transitions)" in stdout
    g = nx.read_graphml(out)
    assert g.number_of_nodes() == 16 and g.number_of_edges() == 96
    assert sum(1 for _, d in g.nodes(data=True) if d["initial"]) == 1


def test_check_graph_out_dot_multi_az(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "multi_az.dot"
    code = main(["check", "rds.multi_az", "--variant", "naive_failover", "-q", "--graph-out", str(out)])
    capsys.readouterr()
    assert code == 1
    text = out.read_text(encoding="utf-8")
    assert text.count("doubleoctagon") == 2  # first=db1 or first=db2
    assert "failover(p=db1, q=db2)" in text


def test_check_graph_out_refuses_beyond_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.graphml"
    code = main(["check", "classic.die_hard", "-q", "--graph-out", str(out), "--graph-limit", "10"])
    stdout, err = capsys.readouterr()
    assert code == 2
    assert "big_is_not_4" in stdout  # the check still reported
    assert err.strip() == (
        "replicheck: error: the reachable state graph has more than 10 states: too large to export "
        f"(raise --graph-limit, or use smaller settings); {out} not written"
    )
    assert not out.exists()


def test_check_graph_out_with_an_unknown_extension_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "classic.die_hard", "-q", "--graph-out", str(tmp_path / "g.png")])
    stdout, err = capsys.readouterr()
    assert code == 2
    assert stdout == ""  # refused before the check runs
    assert err.startswith("replicheck: error: cannot tell the graph format of") and err.count("\n") == 1
