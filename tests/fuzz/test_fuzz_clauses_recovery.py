"""Fuzz: the shipped clause files, broken in several places at once, are reported whole.

A generator takes a shipped `.clause` file and breaks some of its items (clauses, rules,
parameters, header lines) — deleting a token, duplicating one, or inserting a garbage line
— with at least one untouched item between two broken ones, so that the breaks are
independent. Then `parse` and the checker must:

- never raise: every problem is a `Diagnostic`;
- place every diagnostic in the file (a line of the file, a column on it);
- report at least one syntax error per break that is a syntax error on its own (one check
  reports every independent problem, not the first one).

The budget is small and fixed so that the suite stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula.checker import check_policy
from clausula.diagnostics import Diagnostic, DiagnosticSink
from clausula.parser import _ITEM_START, parse
from clausula.policy_set import _standard_vocabulary

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "policies").rglob("*.clause"))
_VOCABULARY = parse(_standard_vocabulary()[1], "<standard vocabulary>")[0]
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\S+')
GARBAGE = [
    "    )(",
    "  @@@ !!",
    "    when when",
    '    oblige "never closed',
    "  = = =",
    "    pay to",
]


def _items(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, end) of each item of the file, 0-based, as the parser splits them."""
    starts = [i for i, line in enumerate(lines) if _ITEM_START.match(line)]
    ends = [*starts[1:], len(lines)]
    return list(zip(starts, ends, strict=True))


@st.composite
def broken_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A shipped file with breaks in independent items: (broken text, each break applied
    alone to the original text)."""
    path = draw(st.sampled_from(SHIPPED))
    lines = path.read_text(encoding="utf-8").split("\n")
    items = _items(lines)
    chosen = sorted(draw(st.sets(st.integers(0, max(0, len(items) - 1)), max_size=4)))
    # Independent breaks: never two neighbouring items (a deleted keyword joins an item
    # to the one before it).
    kept: list[int] = []
    for index in chosen:
        if not kept or index - kept[-1] >= 2:
            kept.append(index)
    edits: list[tuple[int, str | None, str | None]] = []  # (line, replacement, inserted)
    for index in kept:
        start, end = items[index]
        line = draw(st.integers(start, end - 1))
        tokens = [m for m in _TOKEN.finditer(lines[line]) if not m.group().startswith("#")]
        how = draw(st.sampled_from(["delete", "duplicate", "garbage"]))
        if how == "garbage" or not tokens:
            garbage = draw(st.sampled_from(GARBAGE) | st.text("()=,;@!*+-", min_size=1))
            edits.append((start, None, "    " + garbage))
            continue
        token = draw(st.sampled_from(tokens))
        text = lines[line]
        if how == "delete":
            changed = text[: token.start()] + text[token.end() :]
        else:
            changed = text[: token.end()] + " " + token.group() + text[token.end() :]
        edits.append((line, changed, None))

    def apply(chosen_edits: list[tuple[int, str | None, str | None]]) -> str:
        out = list(lines)
        for line, replacement, inserted in sorted(chosen_edits, reverse=True):
            if replacement is not None:
                out[line] = replacement
            if inserted is not None:
                out.insert(line + 1, inserted)
        return "\n".join(out)

    return apply(edits), [apply([edit]) for edit in edits]


def _check(text: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    source, syntax = parse(text, "f.clause")
    sink = DiagnosticSink()
    sink.extend(syntax)
    check_policy([_VOCABULARY, source], sink)
    return syntax, sink.sorted()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_files())
def test_every_independent_break_is_reported_in_place(case: tuple[str, list[str]]) -> None:
    text, alone = case
    syntax, everything = _check(text)
    lines = text.split("\n")
    for d in everything:
        if d.span.path != "f.clause":
            continue
        assert 1 <= d.span.line <= len(lines), d.render()
        assert 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1, d.render()
        assert d.source_line == lines[d.span.line - 1], d.render()
    breaking = sum(1 for single in alone if parse(single, "f.clause")[1])
    assert len(syntax) >= breaking, (breaking, [d.render() for d in syntax])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SHIPPED),
    st.lists(st.tuples(st.integers(0, 200), st.text(max_size=30)), min_size=1, max_size=5),
)
def test_garbage_lines_anywhere_never_raise(path: Path, inserts: list[tuple[int, str]]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    for at, garbage in inserts:
        lines.insert(at % (len(lines) + 1), garbage.replace("\n", " "))
    _, everything = _check("\n".join(lines))
    assert all(isinstance(d, Diagnostic) and d.message for d in everything)
