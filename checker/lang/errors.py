"""Errors in a model, reported in the modeller's terms.

Owns: `ModelError` (what went wrong, in which model and action, at which file and line, and
what to write instead), `user_location` (the innermost stack frame outside replicheck), `from_exception`
(a Python error raised by the model's own code, at import or while tracing, as a `ModelError`
at the user's frame of its traceback, with a hint where one is obvious), and
`explain_bool_use`, which reads the offending source line to say whether `and`, `or`, `not`,
`if`, `while` or a chained comparison turned a symbolic state value into a Python bool.

Must not import: anything of checker but `replicheck.ir` and `replicheck.errors`.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import sysconfig
import traceback
from dataclasses import dataclass
from types import TracebackType

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


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {os.path.abspath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(d + os.sep for d in dirs)


_LIBRARY_DIRS = _library_dirs()


def _user_file(filename: str) -> bool:
    """A file of the user's (a model, a helper beside it), not replicheck's, Python's or an
    installed library's."""
    if filename.startswith("<") or _inside_checker(filename):
        return False
    return not os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def traceback_location(tb: TracebackType | None) -> SourceInfo:
    """The innermost frame of a traceback in the user's own files (else the innermost one
    outside replicheck; else nothing): where the model's code went wrong."""
    frames = traceback.extract_tb(tb)
    for test in (_user_file, lambda fn: not fn.startswith("<") and not _inside_checker(fn)):
        for fs in reversed(frames):
            if test(fs.filename) and fs.lineno:
                text = fs.line or linecache.getline(fs.filename, fs.lineno)
                return SourceInfo(_short_path(fs.filename), fs.lineno, text.strip())
    return SourceInfo()


def _ends_in_checker(tb: TracebackType | None) -> bool:
    """Whether the innermost frame of a traceback is replicheck's own code."""
    frames = traceback.extract_tb(tb)
    return bool(frames) and _inside_checker(frames[-1].filename)


def _hint_for(err: BaseException) -> str:
    """What to do about a Python error in a model, where it is obvious."""
    msg = str(err)
    if isinstance(err, RecursionError) and _ends_in_checker(err.__traceback__):
        return ("An expression built here is nested too deeply for replicheck (e.g. `e = e + x` in a long "
                "loop): add many terms with sum_of(...) or count(...), combine conditions with forall/exists.")
    if isinstance(err, RecursionError):
        return ("A function calls itself without end (or too deeply for Python's recursion limit, "
                f"{sys.getrecursionlimit()} frames): give the recursion a base case, or write it as a loop.")
    if isinstance(err, SystemExit):
        return "A model file must not exit: remove the sys.exit() (or exit()) call."
    if isinstance(err, AttributeError) and "object has no attribute" in msg:
        return ("A setting is an annotated class attribute (`limit: int = 3`), a sort is read as "
                "self.Node, state is read through s (s.x).")
    if isinstance(err, NameError):
        return "Define or import the name in the model's file."
    if isinstance(err, ZeroDivisionError):
        return ("Plain Python arithmetic runs once, while replicheck traces the model; division of "
                "state values (s.x // s.y) is checked in every state instead.")
    if isinstance(err, ImportError):
        return "Install the module, or put it beside the model file."
    return ""


def from_exception(err: BaseException, what: str, site: TraceSite | None = None) -> "ModelError":
    """A Python error the model's own code raised (`what` says when: "importing f.py",
    "tracing it"), as a ModelError at the user's frame of its traceback."""
    text = str(err)
    if isinstance(err, SystemExit):
        problem = f"{what} called sys.exit({'' if err.code is None else repr(err.code)})"
    elif isinstance(err, RecursionError):
        problem = f"{what} raised RecursionError: maximum recursion depth exceeded"
    else:
        problem = f"{what} raised {type(err).__name__}" + (f": {text}" if text else "")
    return ModelError(problem, _hint_for(err), traceback_location(err.__traceback__), site)


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
