"""Text that may come from an untrusted trace file, made safe for a terminal or a one-line message.

Owns: `visible` (every control character, C0, DEL and C1, including ESC, newline and tab,
and every Unicode bidirectional override or isolate, replaced by its escape `\\x1b`,
`\\u202e`, so a trace file cannot move the cursor, recolour, retitle or clear a terminal, nor
reorder what is shown) and `clip` (a long text cut to a bounded length, saying so). The
text and Markdown renderers and `replicheck.report.replay`'s error messages use them; the HTML
renderer escapes for HTML instead.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.report`.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; the bidi embeddings/overrides (U+202A-U+202E), the isolates
# (U+2066-U+2069), and the line and paragraph separators (U+2028, U+2029)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: str) -> str:
    """`text` with every character that could control a terminal replaced by its escape."""
    return _UNSAFE.sub(_escape, text)


def clip(text: str, limit: int = 2000) -> str:
    """`text` if it has at most `limit` characters, else its start and how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"
