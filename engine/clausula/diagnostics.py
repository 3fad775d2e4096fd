"""Diagnostics: what is wrong in a file, where, in one plain sentence.

Every stage that reads user input (clause files, data files, uses) reports problems as
`Diagnostic` values; the CLI prints them, the API raises them inside `PolicyError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import ClausulaError
from .lines import FOREIGN_BREAKS, split_lines

# The most characters of a source line a diagnostic shows: a window around the place.
_SHOWN = 160
# Shown as a visible mark: a foreign line break would break the caret's line.
_VISIBLE = str.maketrans(dict.fromkeys(FOREIGN_BREAKS, "↵"))


class Span(NamedTuple):
    """A place in a source file: 1-based line and column, and the end of the place.

    A named tuple: immutable, and cheap to make (the parser makes one per token).
    """

    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        # Line 0: a problem with a whole file or a command-line option, not a place in it.
        return f"{self.path}:{self.line}:{self.column}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: where it is and one plain sentence saying what is wrong."""

    span: Span
    message: str
    severity: str = "error"
    source_line: str | None = None
    hint: str | None = None

    def render(self) -> str:
        """`path:line:col: error: message`, the source line and a caret under the place."""
        lines = [f"{self.span}: {self.severity}: {self.message}"]
        if self.source_line is not None:
            text = self.source_line.rstrip("\n").expandtabs(1).translate(_VISIBLE)
            column = self.span.column
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > column:
                width = self.span.end_column - column
            width = max(1, min(width, max(1, len(text) - column + 1)))
            if len(text) > _SHOWN:  # a window of a long line around the place, not all of it
                start = max(0, min(column - 1 - _SHOWN // 3, len(text) - _SHOWN))
                shown = text[start : start + _SHOWN]
                text = ("…" if start else "") + shown + ("…" if start + _SHOWN < len(text) else "")
                column = column - start + (1 if start else 0)
                width = max(1, min(width, _SHOWN - (column - 1) + (1 if start else 0)))
            lines.append(f"    {text}")
            lines.append("    " + " " * (column - 1) + "^" * width)
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


@dataclass(slots=True)
class DiagnosticSink:
    """Collects diagnostics for one or more files, attaching the source line to each."""

    sources: dict[str, str] = field(default_factory=dict)
    items: list[Diagnostic] = field(default_factory=list)
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def add_source(self, path: str, text: str) -> None:
        self.sources[path] = text
        self._lines.pop(path, None)

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.items.append(
            Diagnostic(span=span, message=message, source_line=self._line(span), hint=hint)
        )

    def warning(self, span: Span, message: str, hint: str | None = None) -> None:
        self.items.append(
            Diagnostic(
                span=span,
                message=message,
                severity="warning",
                source_line=self._line(span),
                hint=hint,
            )
        )

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def _line(self, span: Span) -> str | None:
        text = self.sources.get(span.path)
        if text is None or span.line < 1:
            return None
        lines = self._lines.get(span.path)
        if lines is None:  # split once per file, not once per error
            lines = self._lines[span.path] = split_lines(text)  # as the parser counts lines
        return lines[span.line - 1] if span.line <= len(lines) else None

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.path, d.span.line, d.span.column))


class PolicyError(ClausulaError):
    """Raised by `clausula.load` when policy or data files have errors; holds them all."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean …?' suggestion for a misspelt name, or None."""
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
