"""Tiny evaluators for the expression subsets the exporters emit, for differential tests
against the reference evaluator without TLC or Spin.

`eval_promela(text, names)`: Promela as Spin compiles it to C (`/` and `%` truncate; `&&`,
`||` and `(c -> a : b)` are lazy); reading `_bad[i]` with i != 0 raises `Bad` (Spin's
"invalid array index"). `eval_tla(text, names)`: the TLA+ subset the exporter writes (lazy
`/\\`, `\\/`, `=>`, IF, CASE (with OTHER) and LET; a CASE with no true arm raises `Bad`, as in
TLC; `FloorDiv` and friends as the module defines them; `f[a, b]` applies f to a tuple;
`\\A x \\in S : P` and `\\E` over a sort (a name bound to a list), `S \\ {e}` and
`S \\cup {e}`; IF, CASE, LET and quantifiers extend as far right as they can, as in TLA+;
text over several lines may use bullet lists, `/\\` and `\\/` aligned in a column, whose
items end where a later line starts at or left of their bullet, as TLA+ reads them).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable


class Bad(Exception):
    """The run-time error the peer would report (bad index, no CASE arm, division by zero)."""


def _c_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("C division by zero: the exporter must guard it")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


Thunk = Callable[[], Any]


class _Parser:
    def __init__(self, tokens: list[str], binary: dict[str, tuple[int, Callable[[Thunk, Thunk], Any]]]) -> None:
        self.toks = tokens
        self.i = 0
        self.binary = binary

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise SyntaxError(f"expected {expected!r}, got {tok!r} at token {self.i}: {' '.join(self.toks[max(0, self.i - 8):self.i + 8])}")
        self.i += 1
        return tok

    def expr(self, min_prec: int = 0) -> Callable[[dict[str, Any]], Any]:
        left = self.unary()
        while True:
            op = self.peek()
            if op not in self.binary or self.binary[op][0] < min_prec:
                return left
            prec, fn = self.binary[op]
            self.take()
            right = self.expr(prec + 1)
            left = (lambda f, lhs, rhs: lambda env: f(lambda: lhs(env), lambda: rhs(env)))(fn, left, right)

    def unary(self) -> Callable[[dict[str, Any]], Any]:
        raise NotImplementedError


_PML_TOKENS = re.compile(r"\s*(->|&&|\|\||==|!=|<=|>=|[()\[\]!<>+\-*/%:]|\d+|[A-Za-z_][A-Za-z0-9_]*)")
_TLA_TOKENS = re.compile(
    r'\s*(<<|>>|/\\|\\/|=>|==|<=|>=|\[\]|->|\\A|\\E|\\in|\\cup|\\|[()\[\]{},:~=#<>+\-*\']|"[^"]*"|\d+'
    r'|[A-Za-z_][A-Za-z0-9_]*)'
)


def _tokens(pattern: re.Pattern[str], text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None:
            raise SyntaxError(f"cannot tokenize {text[pos:pos + 20]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _positioned(pattern: re.Pattern[str], text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The tokens of text and the (line, column) where each starts."""
    out, where, pos = [], [], 0
    text = text.rstrip()
    starts = [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None:
            raise SyntaxError(f"cannot tokenize {text[pos:pos + 20]!r}")
        at = m.start(1)
        line = max(k for k, st in enumerate(starts) if st <= at)
        out.append(m.group(1))
        where.append((line, at - starts[line]))
        pos = m.end()
    return out, where


def _b(x: Any) -> int:
    return int(bool(x))


_PML_BINARY: dict[str, tuple[int, Callable[[Thunk, Thunk], Any]]] = {
    "||": (1, lambda a, b: _b(a() or b())),
    "&&": (2, lambda a, b: _b(a() and b())),
    "==": (3, lambda a, b: _b(a() == b())),
    "!=": (3, lambda a, b: _b(a() != b())),
    "<": (4, lambda a, b: _b(a() < b())),
    "<=": (4, lambda a, b: _b(a() <= b())),
    ">": (4, lambda a, b: _b(a() > b())),
    ">=": (4, lambda a, b: _b(a() >= b())),
    "+": (5, lambda a, b: a() + b()),
    "-": (5, lambda a, b: a() - b()),
    "*": (6, lambda a, b: a() * b()),
    "/": (6, lambda a, b: _c_div(a(), b())),
    "%": (6, lambda a, b: _c_mod(a(), b())),
}


class _Pml(_Parser):
    def unary(self) -> Callable[[dict[str, Any]], Any]:
        tok = self.take()
        if tok == "!":
            a = self.unary()
            return lambda env: _b(not a(env))
        if tok == "-":
            a = self.unary()
            return lambda env: -a(env)
        if tok == "(":
            e = self.expr()
            if self.peek() == "->":
                self.take()
                x = self.expr()
                self.take(":")
                y = self.expr()
                self.take(")")
                return lambda env: x(env) if e(env) else y(env)
            self.take(")")
            return e
        if tok.isdigit():
            return lambda env: int(tok)
        if tok in ("true", "false"):
            return lambda env: int(tok == "true")
        if tok == "_bad":
            self.take("[")
            k = self.expr()
            self.take("]")

            def bad(env: dict[str, Any]) -> Any:
                if k(env) != 0:
                    raise Bad("invalid array index")
                return 0

            return bad
        return lambda env: env[tok]


@lru_cache(maxsize=4096)
def _promela(text: str) -> Callable[[dict[str, Any]], Any]:
    """The text parsed once (the tests evaluate one guard in hundreds of states); the closure
    keeps no parser state, so it is the same function each parse would give."""
    p = _Pml(_tokens(_PML_TOKENS, text), _PML_BINARY)
    e = p.expr()
    if p.peek() is not None:
        raise SyntaxError(f"trailing tokens in {text!r}")
    return e


def eval_promela(text: str, names: dict[str, Any]) -> int:
    return int(_promela(text)(names))


def _floordiv(a: int, b: int) -> int:
    if b == 0:
        raise Bad("division by zero")
    return a // b


_TLA_BINARY: dict[str, tuple[int, Callable[[Thunk, Thunk], Any]]] = {
    "=>": (1, lambda a, b: _b((not a()) or b())),
    "\\/": (2, lambda a, b: _b(a() or b())),
    "/\\": (3, lambda a, b: _b(a() and b())),
    "=": (5, lambda a, b: _b(a() == b())),
    "#": (5, lambda a, b: _b(a() != b())),
    "<": (5, lambda a, b: _b(a() < b())),
    "<=": (5, lambda a, b: _b(a() <= b())),
    ">": (5, lambda a, b: _b(a() > b())),
    ">=": (5, lambda a, b: _b(a() >= b())),
    "+": (10, lambda a, b: a() + b()),
    "-": (10, lambda a, b: a() - b()),
    "*": (13, lambda a, b: a() * b()),
}
_TLA_CALLS: dict[str, Callable[[int, int], int]] = {
    "FloorDiv": _floordiv,
    "FloorMod": lambda a, b: a - b * _floordiv(a, b),
    "Min2": min,
    "Max2": max,
}


class _Tla(_Parser):
    def __init__(self, tokens: list[str], where: list[tuple[int, int]],
                 binary: dict[str, tuple[int, Callable[[Thunk, Thunk], Any]]]) -> None:
        super().__init__(tokens, binary)
        self.where = where
        self.fences: list[tuple[int, int]] = []  # (line, column) of the bullets being read

    def peek(self) -> str | None:
        if self.i >= len(self.toks):
            return None
        if self.fences:
            line, col = self.where[self.i]
            fence_line, fence_col = self.fences[-1]
            if line > fence_line and col <= fence_col:
                return None  # the bullet list item ends here
        return self.toks[self.i]

    def bullets(self) -> Callable[[dict[str, Any]], Any]:
        sym = self.toks[self.i]
        col = self.where[self.i][1]
        items = []
        while self.peek() == sym and self.where[self.i][1] == col:
            self.fences.append(self.where[self.i])
            self.take()
            items.append(self.expr())
            self.fences.pop()
        if sym == "/\\":
            return lambda env: _b(all(item(env) for item in items))
        return lambda env: _b(any(item(env) for item in items))

    def unary(self) -> Callable[[dict[str, Any]], Any]:
        tok = self.peek()
        if tok in ("/\\", "\\/"):
            return self.bullets()
        if tok in ("IF", "CASE", "LET", "\\A", "\\E"):
            return self.open_form()
        tok = self.take()
        if tok == "~":
            a = self.unary()
            return lambda env: _b(not a(env))
        if tok == "-":
            a = self.unary()
            return lambda env: -a(env)
        if tok == "(":
            e = self.expr()
            self.take(")")
            return e
        if tok == "<<":
            parts = [self.expr()]
            while self.peek() == ",":
                self.take()
                parts.append(self.expr())
            self.take(">>")
            return lambda env: tuple(p(env) for p in parts)
        if tok.isdigit():
            return lambda env: int(tok)
        if tok in ("TRUE", "FALSE"):
            return lambda env: int(tok == "TRUE")
        if tok.startswith('"'):
            return lambda env: env[tok]
        if tok in _TLA_CALLS:
            fn = _TLA_CALLS[tok]
            self.take("(")
            a = self.expr()
            self.take(",")
            b = self.expr()
            self.take(")")
            return lambda env: fn(a(env), b(env))
        name = tok
        if self.peek() == "'":
            self.take()
            name += "'"
        if self.peek() == "[":
            self.take("[")
            keys = [self.expr()]
            while self.peek() == ",":
                self.take()
                keys.append(self.expr())
            self.take("]")
            if len(keys) == 1:
                k = keys[0]
                return lambda env: self.apply(env[name], k(env))
            return lambda env: self.apply(env[name], tuple(k(env) for k in keys))
        return lambda env: env[name]

    @staticmethod
    def apply(f: dict[Any, Any], key: Any) -> Any:
        if key not in f:
            raise Bad("function applied outside its domain")
        return f[key]

    def open_form(self) -> Callable[[dict[str, Any]], Any]:
        tok = self.take()
        if tok == "IF":
            c = self.expr()
            self.take("THEN")
            x = self.expr()
            self.take("ELSE")
            y = self.expr()
            return lambda env: x(env) if c(env) else y(env)
        if tok == "LET":
            name = self.take()
            self.take("==")
            bound = self.expr()
            self.take("IN")
            body = self.expr()

            def let(env: dict[str, Any]) -> Any:
                inner = dict(env)
                inner[name] = bound(env)
                return body(inner)

            return let
        if tok == "CASE":
            arms: list[tuple[Callable[[dict[str, Any]], Any] | None, Callable[[dict[str, Any]], Any]]] = []
            while True:
                if self.peek() == "OTHER":
                    self.take()
                    guard = None
                else:
                    guard = self.expr()
                self.take("->")
                arms.append((guard, self.expr()))
                if self.peek() != "[]":
                    break
                self.take()

            def case(env: dict[str, Any]) -> Any:
                for g, v in arms:
                    if g is None or g(env):
                        return v(env)
                raise Bad("CASE with no true arm")

            return case
        # \A x \in S : P and \E x \in S : P
        var = self.take()
        self.take("\\in")
        domain = self.set_expr()
        self.take(":")
        body = self.expr()
        every = tok == "\\A"

        def quantifier(env: dict[str, Any]) -> Any:
            for value in domain(env):
                inner = dict(env)
                inner[var] = value
                if bool(body(inner)) != every:
                    return int(not every)
            return int(every)

        return quantifier

    def set_expr(self) -> Callable[[dict[str, Any]], list[Any]]:
        left = self.set_primary()
        while self.peek() in ("\\", "\\cup"):
            op = self.take()
            right = self.set_primary()
            if op == "\\":
                left = (lambda a, b: lambda env: [x for x in a(env) if x not in b(env)])(left, right)
            else:
                left = (lambda a, b: lambda env: a(env) + [x for x in b(env) if x not in a(env)])(left, right)
        return left

    def set_primary(self) -> Callable[[dict[str, Any]], list[Any]]:
        tok = self.take()
        if tok == "(":
            e = self.set_expr()
            self.take(")")
            return e
        if tok == "{":
            parts = [self.expr()]
            while self.peek() == ",":
                self.take()
                parts.append(self.expr())
            self.take("}")
            return lambda env: [p(env) for p in parts]
        return lambda env: list(env[tok])


@lru_cache(maxsize=4096)
def _tla(text: str) -> Callable[[dict[str, Any]], Any]:
    """The text parsed once, as `_promela`."""
    p = _Tla(*_positioned(_TLA_TOKENS, text), _TLA_BINARY)
    e = p.expr()
    if p.peek() is not None:
        raise SyntaxError(f"trailing tokens in {text!r}")
    return e


def eval_tla(text: str, names: dict[str, Any]) -> int:
    return int(_tla(text)(names))
