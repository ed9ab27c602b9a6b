"""Documents generated from runs: Markdown blocks whose body is a replicheck command's output.

Owns: the block syntax, an opening line `<!-- replicheck: COMMAND -->`, the generated body,
and a closing line `<!-- /replicheck -->` (COMMAND is what follows `replicheck` on a command
line, e.g. `sweep ebs.remirror --grid spare=0..3 --format md --no-timings`); running each
block's command in-process through `replicheck.cli.main`, in the current directory (as a
reader types it: run docgen from the repository root); the body a block gets (the command's
standard output verbatim: as it is for `--format md`, else in a fenced block, `json` for
`--json`; a blank line on either side); and `python -m replicheck.docgen [--check] [--only TEXT] FILE.md
...`: regenerate the files' blocks (`--only`: those whose command contains TEXT), or with `--check` write nothing, name every stale block
and exit 1. A command that exits other than 0 (holds, as expected) or 1 (violated,
unexpected) is an error naming the file and line (exit 2), and leaves the file as it was.
Markers inside a fenced code block outside any block are text (how a page shows the syntax).

Must not import: z3, numpy, hypothesis, `replicheck.explore`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from typing import NoReturn, Sequence

from replicheck import cli
from replicheck.errors import EXIT_OK, EXIT_VIOLATED, DocsError, ReplicheckError

OPEN = re.compile(r"<!-- replicheck: (?P<command>.*?) -->")
CLOSE = "<!-- /replicheck -->"


@dataclass(frozen=True)
class Block:
    path: str
    line: int  # of the opening marker, from 1
    command: str
    start: int  # index of the opening marker's line
    end: int  # index of the closing marker's line
    body: str  # the lines between the markers, each ending in a newline

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def find_blocks(text: str, path: str = "<text>") -> list[Block]:
    lines = text.splitlines(keepends=True)
    blocks: list[Block] = []
    opened: tuple[int, str] | None = None
    fence: str | None = None  # outside blocks, markers inside a fenced code block are text (examples)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if opened is None:
            ticks = re.match(r"(`{3,}|~{3,})", stripped)
            if fence is None and ticks is not None:
                fence = ticks.group(1)
                continue
            if fence is not None:
                if stripped.startswith(fence) and not stripped[len(fence):].strip(fence[0]).strip():
                    fence = None
                continue
        m = OPEN.fullmatch(stripped)
        if m is not None:
            if opened is not None:
                raise DocsError(f"{path}:{opened[0] + 1}: the block is not closed ({CLOSE}) before the next "
                                f"one opens at line {i + 1}")
            if not m.group("command").strip():
                raise DocsError(f"{path}:{i + 1}: the block names no command; write <!-- replicheck: sweep MODEL -->")
            opened = (i, m.group("command").strip())
        elif stripped == CLOSE:
            if opened is None:
                raise DocsError(f"{path}:{i + 1}: {CLOSE} closes no block")
            start, command = opened
            blocks.append(Block(path, start + 1, command, start, i, "".join(lines[start + 1:i])))
            opened = None
    if opened is not None:
        raise DocsError(f"{path}:{opened[0] + 1}: the block is never closed; end it with a line {CLOSE}")
    return blocks


def _kind(argv: list[str]) -> str:
    """"md" (the output is Markdown, kept as it is), "json" or "text" (both fenced)."""
    fmt = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--format"), None)
    fmt = next((a.split("=", 1)[1] for a in argv if a.startswith("--format=")), fmt)
    if "--json" in argv or fmt == "json":
        return "json"
    return "md" if fmt == "md" else "text"


def generate(block: Block) -> str:
    """The body `block` should have: its command's output, run now."""
    try:
        argv = shlex.split(block.command)
    except ValueError as bad:
        raise DocsError(f"{block.where}: cannot read the command {block.command!r}: {bad}") from None
    out, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errors):
        code = cli.main(argv)
    if code not in (EXIT_OK, EXIT_VIOLATED):
        said = [line for line in errors.getvalue().splitlines() if line.strip() and not line.startswith("[replicheck]")]
        why = said[-1] if said else f"exit code {code}"
        raise DocsError(f"{block.where}: `replicheck {block.command}` exited {code}: {why}")
    text = out.getvalue().rstrip("\n")
    kind = _kind(argv)
    if kind != "md":
        fence = "````" if "```" in text else "```"
        text = f"{fence}{'json' if kind == 'json' else ''}\n{text}\n{fence}"
    return f"\n{text}\n\n"


def regenerate(text: str, path: str, only: Sequence[str] = ()) -> tuple[str, list[Block]]:
    """`text` with every block's body generated anew (with `only`: the blocks whose command
    contains one of those strings; the others are left as they are), and the blocks whose
    body changed."""
    lines = text.splitlines(keepends=True)
    stale: list[Block] = []
    out: list[str] = []
    done = 0
    for block in find_blocks(text, path):
        if only and not any(part in block.command for part in only):
            continue
        body = generate(block)
        out += lines[done:block.start + 1]
        out.append(body)
        done = block.end
        if body != block.body:
            stale.append(block)
    out += lines[done:]
    return "".join(out), stale


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as f:
            f.write(text)
        os.replace(f.name, path)
    except OSError as err:
        raise DocsError(f"cannot write {path}: {err.strerror or err}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise DocsError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m replicheck.docgen",
                description="Regenerate the <!-- replicheck: COMMAND --> blocks of Markdown files from runs.")
    p.add_argument("files", nargs="+", metavar="FILE.md")
    p.add_argument("--check", action="store_true", help="write nothing; name the stale blocks and exit 1 if any")
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="only the blocks whose command contains TEXT (repeatable); the others are left alone")
    return p


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    stale: list[Block] = []
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as err:
            raise DocsError(f"cannot read {path}: {err.strerror or err}") from None
        new, changed = regenerate(text, path, args.only)
        stale += changed
        if not args.check and new != text:
            _write(path, new)
            print(f"{path}: {len(changed)} block(s) regenerated")
    if args.check:
        for block in stale:
            print(f"{block.where}: stale: replicheck {block.command}")
        return EXIT_VIOLATED if stale else EXIT_OK
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ReplicheckError as err:
        print(f"replicheck.docgen: error: {err}", file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
