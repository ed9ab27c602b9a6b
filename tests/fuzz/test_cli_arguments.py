"""Fuzzed command lines for every subcommand: valid flags with hostile values, unknown
flags, stray words, absurd sizes. Whatever the command line, replicheck answers with a
documented exit code and no traceback, within the alarm (`harness.judge`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import run_in_process

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

# Small models: any run the fuzzer asks for is over in a second or so.
MODELS = ["classic.two_phase", "classic.die_hard", "classic.missionaries_cannibals", "no.such.model", "", "-",
          "/dev/null", "/etc/passwd", "x.py", "x.py:Nope", "classic.die_hard:Extra", "\x00", "é"]

NUMBERS = st.sampled_from(["0", "1", "2", "-1", "3", "nan", "inf", "-inf", "1e400", "0.5", "1_000", "", " ",
                           "99999999999999999999999", "0x10", "1e-9", "five", "None", "True"])
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
VALUE = st.one_of(NUMBERS, WORDS)

# flag -> whether it takes a value, per subcommand (the --help of each).
FLAGS: dict[str, dict[str, bool]] = {
    "check": {"--set": True, "--variant": True, "--bfs": False, "--dfs": False, "--max-states": True,
              "--max-depth": True, "--max-seconds": True, "--no-deadlock": False, "--deadlock": False,
              "--only": True, "--skip": True, "--continue": False, "--no-liveness": False, "--symmetry": False,
              "--unreduced": False, "--engine": True, "--store": True, "--max-memory": True, "--workers": True,
              "--format": True, "--json": False, "--quiet": False, "--graph-limit": True},
    "prove": {"--set": True, "--variant": True, "--bmc": True, "--k-induction": True, "--inductive": False,
              "--only": True, "--timeout": True, "--format": True, "--json": False},
    "simulate": {"--set": True, "--variant": True, "--runs": True, "--depth": True, "--seed": True,
                 "--swarm": False, "--uniform": False, "--only": True, "--skip": True, "--helpers": False,
                 "--no-shrink": False, "--max-seconds": True, "--format": True, "--json": False, "--quiet": False},
    "export": {"--set": True, "--variant": True, "--format": True, "--skip": True, "--deadlock": False,
               "--no-deadlock": False, "--json": False},
    "sweep": {"--format": True, "--json": False, "--max-states": True, "--max-seconds": True, "--max-memory": True,
              "--quiet": False,
              "--grid": True, "--boundary": True, "--assume-monotone": False, "--no-timings": False,
              "--variant": True},
    "list": {"--json": False},
}
CHOICES = {"--engine": ["scalar", "batch", "gpu"], "--store": ["exact", "fingerprint", "disk"],
           "--format": ["text", "md", "json", "tla", "promela", "html", "itf", "pdf"],
           "--set": ["RM=2", "RM=0", "RM=-1", "RM=x", "RM=100000", "N=2", "=", "RM", "RM=2=3", "big=9"],
           "--only": ["tc_consistent", "big_is_not_4", "deadlock", "nope", ""],
           "--skip": ["tc_consistent", "deadlock", "nope"], "--variant": ["nope", "", "as_2011"],
           "--grid": ["RM=2..3", "RM=3..2", "RM=", "RM=2,x", "big=1,2", "=1", "RM=1..100000"],
           "--boundary": ["tc_consistent", "big_is_not_4", "nope", ""]}
# Bounds that keep every fuzzed run small, appended where the subcommand takes them.
BOUNDS = {"check": ["--max-states", "5000", "--max-seconds", "20"], "simulate": ["--runs", "50", "--max-seconds", "20"],
          "prove": ["--timeout", "20"], "sweep": ["--max-states", "2000", "--max-seconds", "5"]}


@st.composite
def command_lines(draw: st.DrawFn, command: str) -> list[str]:
    argv = [command]
    if command not in ("sweep", "list"):
        argv.append(draw(st.sampled_from(MODELS)))
    elif command == "sweep":
        # at least one model: a sweep of every shipped model takes minutes (the README's main
        # command; tests/cli covers it), past the alarm on a loaded machine
        argv += draw(st.lists(st.sampled_from(["classic.die_hard", "classic.two_phase", "nope"]), min_size=1, max_size=2))
    flags = FLAGS[command]
    for _ in range(draw(st.integers(0, 5))):
        flag = draw(st.sampled_from(sorted(flags) + ["--nope", "-x", "--"]))
        argv.append(flag)
        if flags.get(flag):
            argv.append(draw(st.one_of(st.sampled_from(CHOICES[flag]), VALUE) if flag in CHOICES else VALUE))
    if draw(st.booleans()):
        argv.append(draw(WORDS))
    bounds = BOUNDS.get(command, [])
    if "--set" in argv:  # an absurd size must be refused early, but the fuzzer should not wait on a big model
        bounds = bounds + []
    return argv + bounds


def _fuzz(command: str) -> None:
    @FUZZ
    @given(command_lines(command))
    def run(argv: list[str]) -> None:
        run_in_process(argv).judge()

    run()


def test_fuzzed_check_command_lines_never_trace_back() -> None:
    _fuzz("check")


def test_fuzzed_prove_command_lines_never_trace_back() -> None:
    _fuzz("prove")


def test_fuzzed_simulate_command_lines_never_trace_back() -> None:
    _fuzz("simulate")


def test_fuzzed_export_command_lines_never_trace_back() -> None:
    _fuzz("export")


def test_fuzzed_sweep_and_list_command_lines_never_trace_back() -> None:
    _fuzz("sweep")
    _fuzz("list")


@FUZZ
@given(st.lists(WORDS, max_size=4))
def test_fuzzed_words_in_place_of_a_subcommand_never_trace_back(argv: list[str]) -> None:
    run_in_process(argv).judge()
