"""Errors in a model, reported in the modeller's terms.

Owns: `ModelError` (what went wrong, in which model and action, at which file and line, and
what to write instead), `user_location` (the innermost stack frame outside replicheck), and
`explain_bool_use`, which reads the offending source line to say whether `and`, `or`, `not`,
`if`, `while` or a chained comparison turned a symbolic state value into a Python bool.

Must not import: anything of checker but `replicheck.ir` and `replicheck.errors`.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from dataclasses import dataclass

from replicheck.errors import ModelProblem
from replicheck.ir import SourceInfo

_CHECKER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _inside_checker(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_CHECKER_DIR + os.sep)


def user_location(skip_checker: bool = True) -> SourceInfo:
    """The file, line and text of the innermost frame that is not replicheck's own code."""
    frame = sys._getframe(1)
    while frame is not None:
        fn = frame.f_code.co_filename
        if not (skip_checker and _inside_checker(fn)) and not fn.startswith("<frozen"):
            text = linecache.getline(fn, frame.f_lineno).strip()
            return SourceInfo(_short_path(fn), frame.f_lineno, text)
        frame = frame.f_back  # type: ignore[assignment]
    return SourceInfo()


def _short_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


@dataclass
class TraceSite:
    """What replicheck was tracing when the error happened."""

    model: str = ""
    member: str = ""  # e.g. "action promote(n=n1)", "invariant single_primary", "init"


class ModelError(ModelProblem):
    """A mistake in a model. `str()` is the full teaching message."""

    def __init__(
        self,
        problem: str,
        hint: str = "",
        location: SourceInfo | None = None,
        site: TraceSite | None = None,
    ) -> None:
        self.problem = problem
        self.hint = hint
        self.location = location
        self.site = site
        super().__init__(self.render())

    def render(self) -> str:
        head = ""
        if self.location is not None and self.location.line:
            head = f"{self.location.file}:{self.location.line}: "
        where = ""
        if self.site is not None and (self.site.model or self.site.member):
            where = f"in {self.site.model}" + (f", {self.site.member}" if self.site.member else "") + ": "
        lines = [f"{head}{where}{self.problem}"]
        if self.location is not None and self.location.text:
            lines.append(f"    {self.location.text}")
        if self.hint:
            lines.append(f"  {self.hint}")
        return "\n".join(lines)

    def first_line(self) -> str:
        return self.render().splitlines()[0]

    def is_usage_error(self) -> bool:
        """True for mistakes in how a model was instantiated (unknown variant or setting),
        which have no source line to show: the CLI prints them on one line."""
        return self.location is None or not self.location.line

    def one_line(self) -> str:
        hint = self.hint[:1].lower() + self.hint[1:] if self.hint else ""
        return f"{self.problem}; {hint}".rstrip("; .") if hint else self.problem


_WORD = {
    "and": re.compile(r"\band\b"),
    "or": re.compile(r"\bor\b"),
    "not": re.compile(r"\bnot\b"),
    "if": re.compile(r"^\s*(el)?if\b|\bif\b.*\belse\b"),
    "while": re.compile(r"^\s*while\b"),
    "assert": re.compile(r"^\s*assert\b"),
}


_COMPARISON = re.compile(r"==|!=|<=|>=|(?<![<>])[<>](?![<>=])")


def _code_only(line: str) -> str:
    """The line without a trailing `# comment` (a `#` inside a string literal is kept)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line


def explain_bool_use(text: str) -> tuple[str, str]:
    """(problem, hint) for a symbolic value used where Python needs True/False."""
    text = _code_only(text)
    found = [w for w, rx in _WORD.items() if rx.search(text)]
    problem = "a state value was used where Python needs a real True/False"
    if found:
        problem += f" (`{found[0]}`)"
    hints: list[str] = []
    if "and" in found:
        hints.append("write `&` instead of `and`")
    if "or" in found:
        hints.append("write `|` instead of `or`")
    if "not" in found:
        hints.append("write `~x` (or `Not(x)`) instead of `not x`")
    if "if" in found and re.search(r"\bif\b.*\belse\b", text) and not re.match(r"^\s*(el)?if\b", text):
        hints.append("write `If(cond, a, b)` instead of `a if cond else b`")
    elif "if" in found or "while" in found:
        hints.append(
            "an action cannot branch on state with `if`: write `require(cond)` for a guard, "
            "or `s.x = If(cond, a, b)` for a conditional update"
        )
    if "assert" in found:
        hints.append("write `require(cond)` instead of `assert cond`")
    if re.search(r"[&|]", text) and re.search(r"==|!=|<=|>=|<|>", text) and not found:
        hints.append(
            "`&` and `|` bind tighter than comparisons: parenthesise each comparison, "
            "`(a == b) & (c < d)`"
        )
    if not found and not re.search(r"[&|]", text) and len(_COMPARISON.findall(text)) >= 2:
        hints.append(
            "a chained comparison `a < x < b` makes Python test `a < x` for truth: "
            "write `(a < x) & (x < b)`"
        )
    if not hints:
        hints.append(
            "state values are symbolic while replicheck traces an action: combine them with "
            "`&`, `|`, `~`, `If`, and guard with `require(...)`"
        )
    hint = "; ".join(hints) + "."
    return problem, hint[0].upper() + hint[1:]
