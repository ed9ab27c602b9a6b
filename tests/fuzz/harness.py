"""Running the CLI on fuzzed input and judging the outcome: no traceback, an exit code the
docs name, no hang.

`run_in_process(argv)` calls `replicheck.cli.main` with its output captured and a wall-clock
alarm (a hang is a failure, not a stuck suite); `run_in_subprocess(argv)` starts
`python -m replicheck` for input that may end the process (a model file that calls
`sys.exit` or raises `BaseException` at import). Both return an `Outcome`, whose `judge()`
asserts the contract of docs (README: exit codes 0, 1, 2, 3; never a traceback).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from replicheck.cli import main

DOCUMENTED_EXITS = {0, 1, 2, 3}
IN_PROCESS_SECONDS = 60  # far beyond any run the fuzzers ask for (small models, small limits)
SUBPROCESS_SECONDS = 120
SUBPROCESS_MEMORY = 6 << 30  # address space a fuzzed run may take: a runaway read fails, not the machine


class Hang(Exception):
    """The CLI did not return within the alarm."""


@dataclass
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str

    def judge(self) -> None:
        shown = f"replicheck {' '.join(self.argv)!r} exited {self.code}\nstdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}"
        assert self.code in DOCUMENTED_EXITS, shown
        assert "Traceback (most recent call last)" not in self.out + self.err, shown
        if self.code == 2:  # an error: a clear message on stderr, from replicheck
            assert self.err.startswith("replicheck: "), shown


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(argv: list[str], cwd: Path | None = None) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with alarm(IN_PROCESS_SECONDS), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # --help, --version: argparse's own exit
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        os.chdir(here)
    return Outcome(argv, code, out.getvalue(), err.getvalue())


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))


def run_in_subprocess(argv: list[str], cwd: Path) -> Outcome:
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        proc = subprocess.run([sys.executable, "-m", "replicheck", *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=SUBPROCESS_SECONDS, preexec_fn=_cap_memory)
    except subprocess.TimeoutExpired as hung:
        raise Hang(f"replicheck {' '.join(argv)} gave no answer within {SUBPROCESS_SECONDS} s") from hung
    return Outcome(argv, proc.returncode, proc.stdout, proc.stderr)
