"""What a line is in a clause file, defined once for every reader of one.

A line ends at `\\n`, `\\r\\n` or a lone `\\r` — the three line ends of the Language Server
Protocol, so that an editor, the language server and `clausula check` count the same
lines and columns. The parser, the formatter, the renderers, the diagnostics and the
language server all split text with `split_lines` (never `str.splitlines`, which also
breaks at form feeds and other characters no editor shows as a line break).

The Unicode line breaks U+0085, U+2028 and U+2029 are not line ends, and a clause file
may not contain them at all (`foreign_break` finds the first): some editors show them as
line breaks where the lexer would see one long line, so that a contract written after one
in a comment would silently vanish into the comment.
"""

from __future__ import annotations

import re

#: The characters some tools take for a line break that a clause file may not contain.
FOREIGN_BREAKS = {
    "\x85": "U+0085 (NEXT LINE)",
    "\u2028": "U+2028 (LINE SEPARATOR)",
    "\u2029": "U+2029 (PARAGRAPH SEPARATOR)",
}
_FOREIGN = re.compile("[\x85\u2028\u2029]")
_CR = re.compile("\r\n?")


def normalize(text: str) -> str:
    """`text` with every line end written `\\n` (lines and columns are unchanged)."""
    return _CR.sub("\n", text) if "\r" in text else text


def split_lines(text: str) -> list[str]:
    """The lines of `text`, without their line ends; one more than the line ends."""
    return normalize(text).split("\n")


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset` in normalized `text`."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def foreign_break(text: str) -> tuple[int, int, str] | None:
    """The line, column and name of the first foreign line break in normalized `text`."""
    found = _FOREIGN.search(text)
    if found is None:
        return None
    line, column = position(text, found.start())
    return line, column, FOREIGN_BREAKS[found.group()]
