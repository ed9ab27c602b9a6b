"""The Markdown renderer: a verdict table and the trace as a table of changes."""

from __future__ import annotations

from replicheck.report.markdown import render_result_md, render_trace_md
from replicheck.report.results import HOLDS, CheckResult, RunStats, Verdict

from .helpers import die_hard, die_hard_solution, path_trace, tiny


def test_the_trace_is_a_table_with_the_changed_variables_per_step() -> None:
    trace, verdict = die_hard_solution()
    text = render_trace_md(trace, verdict)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Step | Action | State changes |"
    assert rows[1] == "| 0 | `init` (initial state) | `small = 0`<br>`big = 0` |"
    assert rows[2] == "| 1 | `fill_big` | `big: 0 -> 5` |"
    assert rows[7] == "| 6 | `big_to_small` | `small: 2 -> 3`<br>`big: 5 -> 4` |"
    assert text.rstrip().endswith("**Violated:** `big_is_not_4` (invariant): the big jug holds 4 gallons")


def test_map_entries_and_parameters_appear_in_the_table() -> None:
    text = render_trace_md(path_trace(tiny(), ["elect(n=n2)"]))
    assert "| 1 | `elect(n=n2)` | `role[n2]: secondary -> primary`<br>`leader: none -> n2`<br>`voters: {} -> {n2}` |" in text


def test_a_lasso_is_marked_in_the_table() -> None:
    text = render_trace_md(path_trace(die_hard(), ["fill_big", "empty_big"], loop_start=0))
    assert "| 0 ↻ |" in text
    assert "loops back to step 0" in text


def test_the_result_has_a_verdict_table_statistics_and_the_first_violation() -> None:
    trace, verdict = die_hard_solution()
    result = CheckResult(
        "classic.die_hard", {"fencing": True}, None,
        [Verdict("type_ok", "invariant", HOLDS), verdict],
        RunStats(1, 16, 97, 7, 0.5, "bfs", False, "max_states"),
        ["a | warning"],
    )
    text = render_result_md(result)
    assert text.startswith("## `classic.die_hard`: **violated**")
    assert "| `type_ok` | invariant | holds |  |  |" in text
    assert "| `big_is_not_4` | invariant | **violated** | 6 steps | the big jug holds 4 gallons |" in text
    assert "| distinct states | 16 |" in text
    assert "**Incomplete:** the run stopped early (max_states)." in text
    assert "- a | warning" in text
    assert "### Counterexample to `big_is_not_4`" in text
    assert "| 6 | `big_to_small` |" in text


def test_pipes_in_table_cells_are_escaped() -> None:
    trace, _ = die_hard_solution()
    verdict = Verdict("big_is_not_4", "invariant", "violated", "a | b", trace)
    result = CheckResult("classic.die_hard", {}, None, [verdict])
    assert "| a \\| b |" in render_result_md(result)
