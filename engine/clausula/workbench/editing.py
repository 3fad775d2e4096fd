"""Writing clauses: the checker's diagnostics, hovers and definitions for a draft, and
`fmt` — the same analysis the language server gives an editor (`clausula.lsp`).

A draft is checked together with the other clause files of the policy directory (as
`clausula check policies` would check it once saved), so that a name another file
declares is known; only the draft's own problems are shown under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diagnostics import Diagnostic
from ..formatter import FormatError, format_text
from ..json_input import JSONProblems, load_json
from ..lsp import Analysis, definition_at, hover_at
from ..policy_set import analyse_sources
from ..use_input import UseError, parse_use
from .files import PolicyFiles


def sources_with(files: PolicyFiles, name: str, text: str) -> dict[str, str]:
    """Every clause file of the directory by name, with `name` read from `text` instead."""
    sources: dict[str, str] = {}
    for other in files.listing():
        if other.endswith(".clause") and other != name:
            sources[other] = files.read(other)
    if name.endswith(".clause"):
        sources[name] = text
    return dict(sorted(sources.items()))


@dataclass(frozen=True)
class Draft:
    """A draft clause file as the checker saw it, with the rest of the set."""

    analysis: Analysis
    other_errors: int  # errors in the other files of the set


def analyse_draft(files: PolicyFiles, name: str, text: str) -> Draft:
    """Check the draft `text` of clause file `name` with the other files of the set."""
    checked, diagnostics = analyse_sources(sources_with(files, name, text))
    source = next(f for f in checked.files if f.path == name)
    mine = tuple(d for d in diagnostics if d.span.path == name)
    others = sum(1 for d in diagnostics if d.span.path != name and d.severity == "error")
    return Draft(Analysis(name, text, source, mine, checked.types), others)


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """One diagnostic for the page: place, sentence, hint, and the rendered caret."""
    return {
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line or d.span.line,
        "end_column": d.span.end_column or d.span.column + 1,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "rendered": d.render(),
    }


def _use_problems(text: str) -> list[dict[str, Any]]:
    """A JSON use's problems, each with its JSON Pointer (line 1: JSON has no spans here)."""
    try:
        parse_use(load_json(text))
    except JSONProblems as error:
        return [_plain(f"{pointer or '/'}: {message}") for pointer, message in error.problems]
    except UseError as error:
        return [_plain(f"{p.pointer or '/'}: {p.message}") for p in error.problems]
    except ValueError as error:
        return [_plain(str(error))]
    return []


def _plain(message: str) -> dict[str, Any]:
    return {
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": 1,
        "severity": "error",
        "message": message,
        "hint": None,
        "rendered": message,
    }


def check_text(files: PolicyFiles, name: str, text: str) -> dict[str, Any]:
    """The diagnostics of a draft of any editable file (clause files: the checker's)."""
    files.resolve(name)  # only files of the directory, even unsaved ones
    if name.endswith(".clause"):
        draft = analyse_draft(files, name, text)
        items = [diagnostic_json(d) for d in draft.analysis.diagnostics]
        others = draft.other_errors
    elif name.endswith(".json") and "/" in name and name.split("/")[-2] == "uses":
        items, others = _use_problems(text), 0
    else:
        items, others = [], 0
    errors = sum(1 for d in items if d["severity"] == "error")
    return {
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(items) - errors,
        "other_errors": others,
        "diagnostics": items,
    }


def findings(files: PolicyFiles, name: str, text: str) -> dict[str, Any]:
    """`clausula analyze`'s findings on a clause draft without errors (dead clauses,
    conflicts, gaps, shares over 100%), as warnings beside the checker's. Asked for after
    the diagnostics, so that typing never waits for the solver."""
    files.resolve(name)
    if not name.endswith(".clause"):
        return {"diagnostics": []}
    draft = analyse_draft(files, name, text)
    if any(d.severity == "error" for d in draft.analysis.diagnostics):
        return {"diagnostics": []}
    from ..lines import split_lines
    from ..prove.analyze import analyze_text

    lines = split_lines(text)
    items = [
        diagnostic_json(f.diagnostic(name, lines[f.line - 1] if 0 < f.line <= len(lines) else None))
        for f in analyze_text(text)
    ]
    return {"diagnostics": items}


def hover(files: PolicyFiles, name: str, text: str, line: int, column: int) -> dict[str, Any]:
    """What is at `line`:`column` of the draft: its description (with its citation, for a
    clause) and where it is defined, if anywhere in the draft."""
    files.resolve(name)
    if not name.endswith(".clause"):
        return {"hover": None, "definition": None}
    analysis = analyse_draft(files, name, text).analysis
    found = hover_at(analysis, line, column)
    target = definition_at(analysis, line, column)
    return {
        "hover": found[0] if found else None,
        "definition": {"line": target.line, "column": target.column} if target else None,
    }


def formatted(name: str, text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text in the layout of `clausula fmt`, or the text unchanged with the syntax
    errors that stop it being formatted."""
    if not name.endswith(".clause"):
        return text, []
    try:
        return format_text(text, name), []
    except FormatError as error:
        return text, [diagnostic_json(d) for d in error.diagnostics]
