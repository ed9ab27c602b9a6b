"""Output: a full disk or a closed standard output is one line and exit 2; every output path is
checked before the run starts; a file name made from a model's names stays in its folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replicheck.cli import main, safe_file_name


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "replicheck", *argv], capture_output=True, text=True,
                          timeout=120, **kw)  # type: ignore[call-overload]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("argv", [["list"], ["check", "classic.two_phase"], ["check", "classic.two_phase", "--json"],
                                  ["export", "classic.two_phase", "--format", "tla"]])
def test_standard_output_on_a_full_disk_is_one_line_and_exit_2(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "replicheck", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "replicheck: error: cannot write to standard output: No space left on device"


def test_a_closed_standard_output_is_one_line_and_exit_2() -> None:
    proc = subprocess.run(f"'{sys.executable}' -m replicheck list >&-", shell=True, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "replicheck: error: standard output is closed; redirect it to a file or /dev/null"


@pytest.mark.parametrize(("flag", "path", "words"), [
    ("--trace-out", "", "the path is empty"),
    ("--trace-out", ".", "is a directory"),
    ("--trace-out", "/proc/no/such/file.json", "cannot write there"),
    ("--graph-out", "/proc/x.dot", "cannot write there"),
])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_search(
        flag: str, path: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    # 11 million states: the search would take minutes, so a quick answer shows the path came first
    code = main(["check", "ebs.election", "--set", "Node=3", "--set", "Volume=2", flag, path])
    assert code == 2
    assert time.perf_counter() - started < 30
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_sweep_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["sweep", "ebs.election", "--out", str(tmp_path / "file")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_the_probe_leaves_no_file_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "trace.json"
    assert main(["check", "classic.two_phase", "--trace-out", str(target)]) == 0  # holds: nothing written
    assert not target.exists()


@pytest.mark.parametrize(("name", "expected"), [
    ("ebs.election.default.single_primary", "ebs.election.default.single_primary"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("a/b", "a_b"),
    ("\x1b[31mred", "__31mred"),
    ("..", "_"),
    ("", "_"),
])
def test_file_names_made_from_model_names_keep_to_safe_characters(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected
    assert os.sep not in safe_file_name(name) and not safe_file_name(name).startswith(".")


CRAFTED = '''
from replicheck import Model, Range, action, invariant

class Crafted(Model):
    name = "../../escaped"
    x = Range(0, 2, init=0)

    @action
    def up(self, s):
        s.x = s.x + 1

    @invariant
    def small(self, s):
        return s.x < 1
'''


def test_sweep_out_writes_a_crafted_models_traces_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "crafted.py").write_text(CRAFTED)
    out = tmp_path / "deep" / "out"
    proc = run(["sweep", "crafted.py", "--out", str(out)], cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written and all(name.startswith("_.._") for name in written), written
    assert not (tmp_path / "escaped.default.small.txt").exists()
    assert not any(p.name.startswith("escaped") for p in tmp_path.rglob("*") if p.parent != out)
