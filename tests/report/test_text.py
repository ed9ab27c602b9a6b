"""The terminal renderer: the whole initial state, then only what each step changed."""

from __future__ import annotations

from replicheck.report.results import HOLDS, INCOMPLETE, VIOLATED, CheckResult, RunStats, Verdict
from replicheck.report.text import render_result, render_trace

from .helpers import die_hard, die_hard_solution, path_trace, tiny


def _block(text: str, k: int) -> list[str]:
    """The lines of step k's block (its heading and the indented lines under it)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Step {k}:"))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


def test_step_zero_shows_every_variable_of_the_initial_state() -> None:
    trace, _ = die_hard_solution()
    assert _block(render_trace(trace), 0) == ["Step 0: init (initial state)", "  small = 0", "  big = 0"]


def test_each_later_step_shows_only_the_variables_it_changed() -> None:
    trace, _ = die_hard_solution()
    text = render_trace(trace)
    assert _block(text, 1) == ["Step 1: fill_big", "  big: 0 -> 5"]
    assert _block(text, 2) == ["Step 2: big_to_small", "  small: 0 -> 3", "  big: 5 -> 2"]
    assert _block(text, 3) == ["Step 3: empty_small", "  small: 3 -> 0"]
    assert _block(text, 6) == ["Step 6: big_to_small", "  small: 2 -> 3", "  big: 5 -> 4"]


def test_a_map_step_shows_only_the_entries_that_changed() -> None:
    trace = path_trace(tiny(), ["elect(n=n2)", "connect(a=n1, b=n3)"])
    text = render_trace(trace)
    assert _block(text, 1) == [
        "Step 1: elect(n=n2)",
        "  role[n2]: secondary -> primary",
        "  leader: none -> n2",
        "  voters: {} -> {n2}",
    ]
    assert _block(text, 2) == ["Step 2: connect(a=n1, b=n3)", "  link[n1, n3]: false -> true"]


def test_the_initial_state_shows_maps_sets_and_none_compactly() -> None:
    text = render_trace(path_trace(tiny(), []))
    assert "  role = [n1 -> secondary, n2 -> secondary, n3 -> secondary]" in text
    assert "  leader = none" in text
    assert "  voters = {}" in text
    assert "  link = [(n1, n1) -> false, (n1, n2) -> false," in text


def test_a_step_that_changes_nothing_says_so() -> None:
    trace = path_trace(die_hard(), ["empty_big"])
    assert _block(render_trace(trace), 1) == ["Step 1: empty_big", "  (nothing changed)"]


def test_a_lasso_marks_where_its_cycle_starts_and_that_it_loops_back() -> None:
    trace = path_trace(die_hard(), ["fill_small", "fill_big", "empty_big"], loop_start=1)
    lines = render_trace(trace).splitlines()
    marker = lines.index("--- the cycle starts here, at step 1 ---")
    assert lines[marker + 1] == "Step 1: fill_small"
    assert lines[-1] == "--- loops back to step 1: the cycle repeats forever (step 3 is the state of step 1 again) ---"


def test_the_verdict_ends_the_trace() -> None:
    trace, verdict = die_hard_solution()
    text = render_trace(trace, verdict)
    assert text.rstrip().splitlines()[-1] == "Violated: big_is_not_4 (invariant): the big jug holds 4 gallons"


def test_there_is_no_colour_unless_asked() -> None:
    trace, verdict = die_hard_solution()
    assert "\x1b[" not in render_trace(trace, verdict)
    coloured = render_trace(trace, verdict, color=True)
    assert "\x1b[" in coloured
    assert "big_is_not_4" in coloured


def _result(complete: bool = True) -> CheckResult:
    trace, verdict = die_hard_solution()
    return CheckResult(
        model="classic.die_hard",
        settings={"Node": 3, "fencing": True},
        variant="no_fencing",
        verdicts=[Verdict("type_ok", "invariant", HOLDS), verdict],
        stats=RunStats(
            initial_states=1,
            distinct_states=16,
            transitions=97,
            depth=7,
            seconds=0.5,
            engine="bfs",
            complete=complete,
            stop_reason="" if complete else "max_states",
        ),
        warnings=["the sort Node is symmetric but symmetry reduction is off"],
    )


def test_a_result_summarises_the_run_then_shows_the_first_violation() -> None:
    text = render_result(_result())
    lines = text.splitlines()
    assert lines[0] == "classic.die_hard: VIOLATED"
    assert "  variant   no_fencing" in lines
    assert "  settings  Node=3, fencing=true" in lines
    assert "  type_ok       invariant  holds" in lines
    assert any(
        line.startswith("  big_is_not_4  invariant  VIOLATED  (trace of 6 steps; the big jug") for line in lines
    )
    for row in ("initial states     1", "distinct states    16", "transitions        97", "depth              7",
                "seconds            0.50", "distinct states/s  32"):
        assert f"  {row}" in lines
    assert "  - the sort Node is symmetric but symmetry reduction is off" in lines
    assert "Counterexample to big_is_not_4 (6 steps)" in lines
    assert lines.index("Counterexample to big_is_not_4 (6 steps)") < lines.index("Step 6: big_to_small")
    assert "complete" not in text.split("Statistics")[1].split("Warnings")[0]


def test_an_incomplete_result_says_why_it_stopped() -> None:
    result = _result(complete=False)
    result.verdicts = [Verdict("big_is_not_4", "invariant", INCOMPLETE, "not every state was explored")]
    text = render_result(result)
    assert text.splitlines()[0] == "classic.die_hard: incomplete"
    assert "no: the run stopped early (max_states)" in text
    assert "Counterexample" not in text


def test_a_result_without_a_violation_has_no_trace() -> None:
    result = CheckResult("classic.die_hard", {}, None, [Verdict("type_ok", "invariant", HOLDS)])
    text = render_result(result)
    assert text.splitlines()[0] == "classic.die_hard: holds"
    assert "  variant   (none)" in text
    assert "  settings  (none)" in text
    assert "Step" not in text
    assert VIOLATED.upper() not in text
