"""Grammar-aware fuzzing of clause files and hostile YAML (issue 12).

Clause files are generated from the grammar's shapes — blocks, headers, clauses, effects,
expressions — with extreme literals (dates at the ends of time, durations and numbers of
hundreds of digits, strings past the length limit), deep nesting (`not`, sets, calls,
sums, parentheses), every kind of line end and random Unicode. Each goes through `parse`
and `check_policy`, the `check` command, `fmt` and `render`: zero tracebacks, and each
input within a bounded time. Hostile YAML (aliases of aliases, `!!python` tags, deep
nesting, huge scalars) goes through every reader of YAML.

The budget is fixed and small (a few dozen examples a test, no database), so that the
whole directory runs in well under a minute.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clausula.checker import check_policy
from clausula.cli import app
from clausula.diagnostics import Diagnostic, DiagnosticSink
from clausula.formatter import FormatError, format_text
from clausula.lines import split_lines
from clausula.parser import parse
from clausula.policy_set import _standard_vocabulary
from clausula.render_clauses import render

# CPU seconds (time.process_time), not wall time: the limit is on the work done, which a busy
# machine or the other test worker does not change.
SECONDS_PER_INPUT = 2.0
FUZZ = settings(
    max_examples=40,
    deadline=None,  # time is asserted per input below, with the real budget
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_VOCABULARY = parse(*reversed(_standard_vocabulary()))[0]

# ----------------------------------------------------------------- literals


def _digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n).filter(bool)
    )


# Extremes are drawn often enough to matter, plain values often enough that most files
# parse and reach the checker, the formatter and the renderer.
_dates = st.one_of(
    st.just("2026-01-01"),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-01", "2026-02-29", "2024-02-29"]),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"),  # `\d` is any Unicode digit, as in the grammar
)
_units = st.sampled_from(["day", "days", "month", "months", "year", "years"])
_durations = st.one_of(
    st.builds(lambda n, u: f"{n} {u}", st.integers(1, 12), _units),
    st.builds(lambda n, u: f"{n} {u}", st.integers(0, 20_000), _units),
    st.builds(lambda n, u: f"{n} {u}", _digits(1, 60), _units),
    st.builds(lambda n, u: f"{n} {u}", _digits(4295, 4400), _units),
)
_numbers = st.one_of(
    st.integers(0, 100).map(str),
    st.integers(0, 10**6).map(str),
    _digits(1, 40),
    st.builds(lambda a, b: f"{a}.{b}", _digits(1, 30), _digits(1, 30)),
)
_string_chars = st.characters(blacklist_characters='"\\\n\r', blacklist_categories=("Cs",))
_strings = st.one_of(
    st.text(_string_chars, max_size=30),
    st.text(_string_chars, max_size=10).map(lambda s: s + '\\"' + s),
    st.sampled_from(["<script>x</script>", "[^99]", "a`b", "&amp;", "\u2028", "\x85"]),
    st.integers(9_990, 10_010).map(lambda n: "a" * n),
).map(lambda s: f'"{s}"')
_names = st.sampled_from(
    ["pool", "pool", "floor", "research", "training", "generation", "weight", "x"]
)
_paths = st.sampled_from(
    [
        "use.purpose",
        "use.date",
        "use.revenue",
        "use.generations",
        "use.context",
        "use.territory",
        "use.output.synthetic_audio",
        "artist.deceased",
        "use.nothing",
    ]
)
_literals = st.one_of(
    _dates,
    _durations,
    _numbers,
    _numbers.map(lambda n: f"{n}%"),
    _numbers.map(lambda n: f"{n} USD"),
    _strings,
    st.sampled_from(["true", "false", "worldwide", "EU", "US", "party:example-label"]),
)

# ----------------------------------------------------------------- expressions


def _deep(depth: int, kind: str, leaf: str) -> str:
    if kind == "not":
        return "not " * depth + leaf
    if kind == "parens":
        return "(" * depth + leaf + ")" * depth
    if kind == "sets":
        return "(" * depth + leaf + ", 1)" * depth
    if kind == "calls":
        return "max(" * depth + leaf + ", 1)" * depth
    if kind == "sum":
        return " + ".join([leaf] * (depth + 1))
    return "- " * depth + leaf


_deep_expressions = st.builds(
    _deep,
    st.one_of(st.integers(0, 3), st.integers(0, 600)),
    st.sampled_from(["not", "parens", "sets", "calls", "sum", "neg"]),
    st.one_of(_literals, _paths, _names),
)
_expressions = st.recursive(
    st.one_of(_literals, _paths, _names, _deep_expressions),
    lambda inner: st.one_of(
        st.builds(
            lambda a, op, b: f"{a} {op} {b}",
            inner,
            st.sampled_from(
                ["and", "or", "is", "is not", "in", "not in", "+", "-", "*", "/", "<", ">=", "="]
            ),
            inner,
        ),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"({e})"),
        st.lists(inner, min_size=2, max_size=4).map(lambda xs: "(" + ", ".join(xs) + ")"),
        st.builds(
            lambda f, xs: f"{f}({', '.join(xs)})",
            st.sampled_from(["min", "max", "count"]),
            st.lists(inner, min_size=1, max_size=3),
        ),
        inner.map(lambda e: f"{e} per generation"),
        st.builds(
            lambda a, n, r: f"tiered {a} up to {n} at {r} above at {r}", inner, _numbers, inner
        ),
        inner.map(lambda e: f"any(artist in use.artists where {e})"),
    ),
    max_leaves=12,
)

# ----------------------------------------------------------------- items and blocks

_effects = st.one_of(
    st.just("permit training, generation"),
    _strings.map(lambda s: f"deny {s}"),
    st.just("require consent of each performer of use.works for use.purpose in writing signed"),
    _durations.map(lambda d: f"require consent of each artist in use.artists for at most {d}"),
    _expressions.map(lambda e: f"pay {e} to each artist in use.attribution"),
    _expressions.map(lambda e: f"pay {e} to party:example-label"),
    st.just("pay nothing"),
    _strings.map(lambda s: f"oblige {s}"),
    _strings.map(lambda s: f"risk {s}"),
)
_provision_items = st.one_of(
    _expressions.map(lambda e: f"when {e}"),
    _expressions.map(lambda e: f"unless {e}"),
    _strings.map(lambda s: f"cite {s}"),
    st.just("notwithstanding clause 1"),
    _effects,
)
_clause_numbers = st.one_of(
    st.sampled_from(["1", "2.1", "5.1a", "3"]),
    _digits(1, 40),
    _digits(1, 3).map(lambda d: d + ".1"),
)
_clauses = st.builds(
    lambda number, title, items: (
        [f"  clause {number}{' ' + title if title else ''}"] + [f"    {item}" for item in items]
    ),
    _clause_numbers,
    st.one_of(st.none(), _strings),
    st.lists(_provision_items, max_size=4),
)
_contract_items = st.one_of(
    _dates.map(lambda d: [f"  effective {d}"]),
    st.builds(lambda d, t: [f"  effective {d} for {t}"], _dates, _durations),
    st.builds(lambda d, e: [f"  effective {d} until {e}"], _dates, _dates),
    st.just(["  territory worldwide except CN, RU"]),
    st.just(["  scope catalogue of party:example-label"]),
    st.builds(lambda n, e: [f"  parameter {n} = {e}"], _names, _expressions),
    st.builds(lambda n, e: [f"  define {n} = {e}"], _names, _expressions),
    _expressions.map(lambda e: [f"  applies when {e}"]),
    _clauses,
)
_HEADERS = [
    "  licensor party:example-label",
    "  licensee party:aria-labs",
    "  territory worldwide except CN, RU",
    "  scope catalogue of party:example-label",
    "  parameter pool = 30%",
    "  parameter floor = 0.002 USD",
]
_terms = st.one_of(
    st.just("2026-01-01 for 3 years"),
    st.builds(lambda d, t: f"{d} for {t}", _dates, _durations),
    st.builds(lambda d, e: f"{d} until {e}", _dates, _dates),
)
_contracts = st.builds(
    lambda title, term, items: (
        ['contract "fuzz" ' + title, *_HEADERS, f"  effective {term}"]
        + [line for item in items for line in item]
    ),
    _strings,
    _terms,
    st.lists(st.one_of(_clauses, _clauses, _contract_items), min_size=1, max_size=6),
)
_jurisdictions = st.builds(
    lambda d, items: (
        ['jurisdiction "fuzz-law" "A law"', f"  in force from {d}"]
        + [line for item in items for line in item]
    ),
    _dates,
    st.lists(
        st.one_of(
            st.builds(
                lambda key, items: [f'  rule "art. {key}"'] + [f"    {i}" for i in items],
                st.integers(1, 9),
                st.lists(_provision_items, max_size=3),
            ),
            st.builds(lambda t: [f"  proposed, effective {t} after enactment"], _durations),
        ),
        max_size=3,
    ),
)
_line_ends = st.sampled_from(["\n"] * 12 + ["\r\n", "\r\n", "\r", "\r", "\u2028", "\u2029", "\x85"])
_noise = st.text(max_size=8)


@st.composite
def clause_files(draw: st.DrawFn) -> str:
    """A clause file: blocks of items, comments, odd line ends and random Unicode."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("# " + draw(st.text(max_size=20)))
    blocks = st.one_of(_contracts, _contracts, _jurisdictions)
    for number, block in enumerate(draw(st.lists(blocks, min_size=1, max_size=3))):
        lines += [block[0].replace('"fuzz', f'"fuzz{number}', 1), *block[1:]]  # unique names
    if draw(st.integers(0, 4)) == 0 and lines:  # random Unicode somewhere
        index = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:at] + draw(_noise) + lines[index][at:]
    if draw(st.integers(0, 6)) == 0 and lines:  # a long word or string at a line's end
        index = draw(st.integers(0, len(lines) - 1))
        word = "a" * draw(st.integers(10_000, 100_000))
        lines[index] += " " + draw(st.sampled_from([word, f'"{word}"', f'"{word}']))
    end = draw(_line_ends)
    if draw(st.integers(0, 5)) == 0:  # mixed line ends
        text = "".join(line + draw(_line_ends) for line in lines)
    else:
        text = end.join(lines) + end
    if draw(st.integers(0, 4)) == 0:  # a file cut short, as by a writer halfway through
        text = text[: draw(st.integers(0, len(text)))]
    return text


# ----------------------------------------------------------------- the properties


def _assert_located(diagnostics: list[Diagnostic], text: str) -> None:
    count = len(split_lines(text))
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.span.path == "f.clause"
        assert 1 <= d.span.line <= count and d.span.column >= 1, d.render()
        for leak in ("Traceback", "$END", "__ANON", "Token("):
            assert leak not in d.message, d.message
        rendered = d.render()
        assert len(rendered) < 2_000, rendered[:300]


def _timed(action: Callable[[], Any]) -> Any:
    start = time.process_time()
    result = action()
    elapsed = time.process_time() - start
    assert elapsed < SECONDS_PER_INPUT, f"{elapsed:.2f} s"
    return result


def _check(text: str) -> list[Diagnostic]:
    source, syntax = parse(text, "f.clause")
    sink = DiagnosticSink()
    sink.extend(syntax)
    check_policy([_VOCABULARY, source], sink)
    return sink.sorted()


@FUZZ
@given(clause_files())
def test_generated_clause_files_give_only_located_diagnostics(text: str) -> None:
    diagnostics = _timed(lambda: _check(text))
    _assert_located(diagnostics, text)
    if text.strip() and not any(ch in text for ch in "\u2028\u2029\x85"):
        # A file with code is never read as empty: it has blocks or an error.
        source, syntax = parse(text, "f.clause")
        assert (
            source.blocks
            or syntax
            or not any(line.split("#")[0].strip() for line in split_lines(text))
        )


@FUZZ
@given(clause_files())
def test_generated_clause_files_format_and_render_without_crashing(text: str) -> None:
    source, syntax = _timed(lambda: parse(text, "f.clause"))
    try:
        formatted = _timed(lambda: format_text(text, "f.clause"))
    except FormatError:
        assert any(d.severity == "error" for d in syntax)
    else:
        assert not syntax
        assert _timed(lambda: format_text(formatted, "f.clause")) == formatted
    for fmt in ("md", "html"):
        page = _timed(lambda: render(source, fmt))  # noqa: B023
        # Authors' HTML is shown, never obeyed (in Markdown, code spans show it as written).
        assert "<script>" not in (re.sub(r"`[^`]*`", "", page) if fmt == "md" else page)


@settings(FUZZ, max_examples=15)
@given(clause_files())
def test_the_check_command_never_shows_a_traceback(tmp_path_factory: Any, text: str) -> None:
    directory = tmp_path_factory.mktemp("fuzz")
    path = directory / "f.clause"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    result = _timed(lambda: CliRunner().invoke(app, ["check", str(path)]))
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


# ----------------------------------------------------------------- hostile YAML


def _laughs(levels: int, width: int) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


_TAGS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/object:builtins.dict {}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!custom x",
]

_hostile_yaml = st.one_of(
    st.builds(_laughs, st.integers(2, 12), st.integers(2, 12)),
    st.builds(
        lambda tag, key: f"{key}:\n  - {tag}\n",
        st.sampled_from(_TAGS),
        st.sampled_from(["events", "parties", "cases", "title", "licensee"]),
    ),
    st.integers(50, 3_000).map(lambda n: "x: " + "[" * n + "]" * n + "\n"),
    st.integers(50, 300).map(  # block nesting: the text grows as the square of the depth
        lambda n: "".join("  " * i + f"k{i}:\n" for i in range(n)) + "  " * n + "v\n"
    ),
    st.integers(10_000, 300_000).map(lambda n: "title: " + "a" * n + "\n"),
    st.text(max_size=200),
    st.just("&a [*a]\n"),
    st.just("a: *missing\n"),
    st.just("a: &a\n  b: *a\n"),
    # An escaped lone surrogate, as a value or a key where each reader looks (a scenario's
    # share, a party's name...): it made pydantic itself raise `UnicodeEncodeError`.
    st.builds(
        lambda code, where: where.format(f'"x\\u{code:04x}"'),
        st.integers(0xD800, 0xDFFF),
        st.sampled_from(
            [
                "title: {}\n",
                "{}: 1\n",
                "parties:\n  - id: party:a\n    name: {}\n",
                "catalogue:\n  synthetic:\n    artists: 10\n    works: 10\n"
                "    featured_share: {}\n",
                "licensee: {}\n",
            ]
        ),
    ),
)


def _readers(directory: Path) -> list[tuple[str, Callable[[Path], Any]]]:
    from clausula.catalogue import load_data
    from clausula.clause_tests import Runner
    from clausula.ledger.rows import RowsError, raw_rows
    from clausula.manifest import ManifestError, load_template
    from clausula.simulate.scenario import ScenarioError, load_scenario

    def data(path: Path) -> Any:
        target = directory / "data"
        target.mkdir(exist_ok=True)
        (target / "parties.yaml").write_bytes(path.read_bytes())
        _, diagnostics = load_data(
            target,
            purposes=frozenset({"training"}),
            territory_problem=lambda code: None,
            display_root=directory,
        )
        return diagnostics

    def scenario(path: Path) -> Any:
        try:
            return load_scenario(path)
        except ScenarioError as error:
            return error

    def tests(path: Path) -> Any:
        target = directory / "x.test.yaml"
        target.write_bytes(path.read_bytes())
        return Runner().run_file(target)

    def template(path: Path) -> Any:
        try:
            return load_template(path)
        except ManifestError as error:
            return error

    def consent(path: Path) -> Any:
        try:
            return list(raw_rows(path.read_text(encoding="utf-8"), str(path), "yaml"))
        except RowsError as error:
            return error

    return [
        ("data", data),
        ("scenario", scenario),
        ("clause tests", tests),
        ("filter template", template),
        ("consent import", consent),
    ]


@settings(FUZZ, max_examples=25)
@given(_hostile_yaml)
def test_hostile_yaml_through_every_reader(tmp_path_factory: Any, text: str) -> None:
    directory = tmp_path_factory.mktemp("yaml")
    path = directory / "hostile.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for name, reader in _readers(directory):
        start = time.process_time()
        try:
            reader(path)
        except Exception as error:
            pytest.fail(f"{name} raised {type(error).__name__}: {error}")
        elapsed = time.process_time() - start
        assert elapsed < SECONDS_PER_INPUT, f"{name}: {elapsed:.2f} s"
