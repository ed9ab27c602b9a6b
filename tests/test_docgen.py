"""`python -m replicheck.docgen`: blocks found (and refused when malformed), bodies generated
from the command's output, files rewritten or, with --check, named as stale; and every
generated block in docs/ is current (the docs' tables cannot go stale unnoticed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from replicheck.docgen import Block, find_blocks, generate, main
from replicheck.errors import DocsError

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("docs/*.md"), *ROOT.glob("docs/models/*.md")])

DIE_HARD = "sweep classic.die_hard --format md --no-timings"


def page(body: str = "stale\n", command: str = DIE_HARD) -> str:
    return f"# Title\n\nBefore.\n\n<!-- replicheck: {command} -->\n{body}<!-- /replicheck -->\n\nAfter.\n"


def test_blocks_are_found_with_their_line_and_command() -> None:
    (block,) = find_blocks(page(), "p.md")
    assert (block.line, block.command, block.body) == (5, DIE_HARD, "stale\n")


def test_markers_inside_a_fenced_example_are_text() -> None:
    text = "```md\n<!-- replicheck: sweep x -->\n<!-- /replicheck -->\n```\n" + page()
    assert [b.command for b in find_blocks(text)] == [DIE_HARD]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<!-- replicheck: sweep a -->\n", "p.md:1: the block is never closed"),
        ("<!-- /replicheck -->\n", "p.md:1: <!-- /replicheck --> closes no block"),
        ("<!-- replicheck: sweep a -->\n<!-- replicheck: sweep b -->\n", "p.md:1: the block is not closed"),
        ("<!-- replicheck:  -->\n<!-- /replicheck -->\n", "names no command"),
    ],
)
def test_a_malformed_block_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(DocsError, match=".*") as err:
        find_blocks(text, "p.md")
    assert fragment in str(err.value)


def test_md_output_is_kept_as_it_is_and_text_is_fenced() -> None:
    (md,) = find_blocks(page())
    body = generate(md)
    assert body.startswith("\n### classic.die_hard\n") and "| - | holds | violated (6 steps) | 16 | yes |" in body
    (text,) = find_blocks(page(command="sweep classic.die_hard --no-timings"))
    body = generate(text)
    assert body.startswith("\n```\nclassic.die_hard") and body.endswith("\n```\n\n")
    (js,) = find_blocks(page(command="list --json"))
    assert generate(js).startswith("\n```json\n{")


def test_check_names_stale_blocks_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.md"
    path.write_text(page())
    assert main(["--check", str(path)]) == 1
    assert f"{path}:5: stale: replicheck {DIE_HARD}" in capsys.readouterr().out
    assert path.read_text() == page()


def test_regenerating_writes_the_output_between_the_markers(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.md"
    path.write_text(page())
    assert main([str(path)]) == 0
    text = path.read_text()
    assert text.startswith("# Title\n\nBefore.\n\n<!-- replicheck: sweep classic.die_hard") and text.endswith(
        "<!-- /replicheck -->\n\nAfter.\n")
    assert "stale" not in text and "violated (6 steps)" in text
    assert main(["--check", str(path)]) == 0  # the output is the same on the next run
    capsys.readouterr()


def test_only_regenerates_the_blocks_whose_command_contains_the_text(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    other = "sweep classic.tcommit --format md --no-timings"
    path = tmp_path / "p.md"
    path.write_text(page() + page(command=other))
    assert main(["--only", "die_hard", str(path)]) == 0
    first, second = path.read_text().split("After.", 1)
    assert "violated (6 steps)" in first and "stale" not in first
    assert second == "\n" + page(command=other)  # left as it was, stale
    assert main(["--check", "--only", "tcommit", str(path)]) == 1
    assert "stale: replicheck sweep classic.tcommit" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        ("sweep no.such_model", "exited 2: replicheck: error:"),
        ("check classic.die_hard --max-states 3", "exited 3"),
        ("sweep 'unclosed", "cannot read the command"),
    ],
)
def test_a_failing_command_is_exit_2_and_leaves_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         command: str, fragment: str) -> None:
    path = tmp_path / "p.md"
    path.write_text(page(command=command))
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert f"replicheck.docgen: error: {path}:5:" in err and fragment in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert path.read_text() == page(command=command)


def test_a_missing_file_and_no_file_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.md")]) == 2
    assert main([]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "cannot read" in err[0] and "required: FILE.md" in err[1]


def test_runs_as_a_module(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text(page())
    proc = subprocess.run([sys.executable, "-m", "replicheck.docgen", "--check", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "stale" in proc.stdout and proc.stderr == ""


# -- every generated block of the docs is current -------------------------------------------

# Blocks running these models take long (the incident models: tens of seconds): slow tests.
SLOW = ("ebs.", "rds.")
# Blocks that take minutes each (the re-mirroring tables at 4 nodes x 3 volumes and beyond, up to
# 17 million states a row; the control plane's 45-point grid; the outage at 3 volumes and up,
# millions of states a point): `heavy`, which the suite leaves
# out (pyproject's addopts); `pytest -m heavy tests/test_docgen.py` checks them, and
# `python -m replicheck.docgen FILE` regenerates them.
HEAVY = ("sweep ebs.remirror", "check ebs.remirror", "sweep ebs.control_plane --variant regional_pool_long_timeout --variant short_timeout",
         "sweep ebs.outage --grid Volume=2,3 --engine batch", "sweep ebs.outage --set Node=4",
         "sweep ebs.outage --variant all_protections --grid Node=3,4,5",
         "sweep ebs.outage --variant cluster_protections_only --grid Volume=2,3",
         "check ebs.outage --variant cluster_protections_only --set Volume=3",
         "sweep ebs.outage --variant all_but_per_cluster_cp --grid Volume=2,3")


def _marks(command: str) -> list[pytest.MarkDecorator]:
    if any(command.startswith(h) for h in HEAVY) and "--set Node=3 --set Volume=2" not in command:
        return [pytest.mark.heavy]
    return [pytest.mark.slow] if any(s in command for s in SLOW) else []


def doc_blocks() -> list[object]:
    out = []
    for path in DOCS:
        rel = path.relative_to(ROOT).as_posix()
        for block in find_blocks(path.read_text(encoding="utf-8"), rel):
            out.append(pytest.param(block, id=block.where, marks=_marks(block.command)))
    return out


BLOCKS = doc_blocks()


def test_the_docs_have_generated_blocks() -> None:
    paths = {b.values[0].path for b in BLOCKS}  # type: ignore[attr-defined]
    assert "docs/models/classic.tla_examples.md" in paths and "docs/sweep.md" in paths


@pytest.mark.parametrize("block", BLOCKS)
def test_every_docs_block_is_current(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # commands run where a reader runs them: the repository root
    assert generate(block) == block.body, (
        f"{block.where} is stale: run `python -m replicheck.docgen {block.path}` from the repository root "
        "and commit the result")
