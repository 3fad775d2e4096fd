"""`clausula fmt`: idempotent, meaning-preserving, comments kept; `--check` for CI.

Meaning is compared on the AST with positions stripped (`formatter.shape`): for every
shipped clause file and for generated ones, parse(fmt(x)) has the shape of parse(x), and
fmt(fmt(x)) == fmt(x).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clausula.cli import app
from clausula.formatter import FormatError, comments, format_text, shape
from clausula.parser import parse

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [
        *REPO.glob("policies/**/*.clause"),
        *REPO.glob("tests/fixtures/**/*.clause"),
        *REPO.glob("docs/**/*.clause"),
    ]
)
SHIPPED = [p for p in SHIPPED if p.name != "syntax_errors.clause"]


def _comments(text: str) -> Counter[str]:
    return Counter(comment for _, comment, _ in comments(text))


def _check_properties(text: str) -> str:
    before, diagnostics = parse(text, "x.clause")
    assert not [d for d in diagnostics if d.severity == "error"]
    formatted = format_text(text, "x.clause")
    after, diagnostics = parse(formatted, "x.clause")
    assert not [d for d in diagnostics if d.severity == "error"], formatted
    assert shape(after) == shape(before), formatted
    assert format_text(formatted, "x.clause") == formatted
    assert _comments(formatted) == _comments(text)
    return formatted


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(REPO).as_posix())
def test_shipped_files_keep_their_meaning_and_comments(path: Path) -> None:
    _check_properties(path.read_text(encoding="utf-8"))


def test_the_shipped_contracts_are_formatted() -> None:
    text = (REPO / "policies/contracts/aria-optin.clause").read_text(encoding="utf-8")
    assert format_text(text) == text


def test_canonical_layout() -> None:
    text = (
        "# head\n\n\n"
        'contract   "c"  "T"   # after the title\n'
        "territory worldwide\n"
        "licensee party:dev\n"
        "   licensor party:label   \n"
        "effective 2026-01-01 for 1 year\n"
        "scope all works\n"
        "parameter rate=(10%)\n"
        "# about clause 1\n"
        'clause 1 "P" permit training,generation\n'
        'clause 2 "Pay"  pay max(rate*use.revenue,(0.5 USD)) to party:label when use.purpose is generation\n'
        '  cite "Act s. 2"\n'
        "# the end\n"
    )
    assert format_text(text) == (
        "# head\n"
        "\n"
        'contract "c" "T"  # after the title\n'
        "  licensor party:label\n"
        "  licensee party:dev\n"
        "  effective 2026-01-01 for 1 year\n"
        "  territory worldwide\n"
        "  scope all works\n"
        "  parameter rate = 10%\n"
        "\n"
        "  # about clause 1\n"
        '  clause 1 "P"\n'
        "    permit training, generation\n"
        "\n"
        '  clause 2 "Pay"\n'
        '    cite "Act s. 2"\n'
        "    when use.purpose is generation\n"
        "    pay max(rate * use.revenue, 0.5 USD) to party:label\n"
        "    # the end\n"
    )


def test_parentheses_only_where_needed_and_long_lines_broken() -> None:
    text = (
        'contract "c"\n  licensor party:a\n  licensee party:b\n  effective 2026-01-01\n'
        "  territory worldwide\n  scope all works\n"
        "  define d = (a or b) and ((c)) and not (x or y) or (p and q)\n"
        '  clause 1 "T"\n'
        "    require consent of each artist in use.artists for voice_replica in writing signed "
        "with counsel or under collective bargaining for at most 10 years\n"
        "    pay (1 USD + 2 USD) * 3 - (4 USD - 5 USD) to party:a\n"
    )
    formatted = _check_properties(text)
    assert "define d = ((a or b) and c and not (x or y)) or (p and q)" in formatted
    assert "pay (1 USD + 2 USD) * 3 - (4 USD - 5 USD) to party:a" in formatted
    assert (
        "    require consent of each artist in use.artists for voice_replica\n"
        "      in writing signed with counsel or under collective bargaining for at most 10 years\n"
    ) in formatted


def test_a_file_with_syntax_errors_is_not_formatted() -> None:
    with pytest.raises(FormatError) as raised:
        format_text('contract "c"\n  clause 1\n    permt training\n', "bad.clause")
    assert raised.value.diagnostics[0].span.line == 3


# ----------------------------------------------------------------- generated files

_NAMES = st.sampled_from(["alpha", "beta", "pool", "rate", "fee"])
_PATHS = st.sampled_from(["use.revenue", "use.output.public", "use.purpose", "artist.residence"])
_LITERALS = st.sampled_from(
    [
        "10%",
        "12.5%",
        "0.50 USD",
        "3 years",
        "1 day",
        "2026-01-01",
        "42",
        "1.50",
        '"a \\"b\\""',
        "US-TN",
        "EU",
        "party:x",
        "true",
        "false",
        "worldwide",
    ]
)
_ATOMS = st.one_of(_NAMES, _PATHS, _LITERALS)


def _compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(
        children,
        st.sampled_from(["+", "-", "*", "/", "and", "or", "is", "is not", "in", "<", ">=", "="]),
        children,
    ).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    return st.one_of(
        binary,
        binary.map(lambda s: f"({s})"),
        children.map(lambda s: f"not {s}"),
        children.map(lambda s: f"-{s}"),
        children.map(lambda s: f"{s} per work"),
        st.tuples(children, children).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]}, {t[1]})"),
        children.map(lambda s: f"any(artist in use.artists where {s})"),
        st.tuples(_ATOMS, children, children).map(
            lambda t: f"(tiered {t[0]} up to 100 at {t[1]} above at {t[2]})"
        ),
    )


_EXPRS = st.recursive(_ATOMS, _compound, max_leaves=6)

_EFFECTS = st.one_of(
    st.lists(
        st.sampled_from(["training", "generation", "voice_replica"]), min_size=1, max_size=3
    ).map(lambda names: "permit " + ", ".join(names)),
    st.just('deny "No"'),
    st.just("pay nothing"),
    st.just('risk "Fines"'),
    _EXPRS.map(lambda e: f'oblige "Mark it" met when {e}'),
    st.tuples(_EXPRS, st.sampled_from(["party:label", "each artist in use.attribution"])).map(
        lambda t: f"pay {t[0]} to {t[1]}"
    ),
    st.tuples(
        st.sampled_from(["each performer of use.works", "each artist in use.artists"]),
        st.sampled_from(["", " for use.purpose", " for training, generation"]),
        st.sampled_from(["", " in writing signed", " signed in writing or with counsel"]),
        st.sampled_from(["", " for at most 5 years"]),
        st.sampled_from(["", ", if minor court approved", " if minor for at most 2 years"]),
        st.sampled_from(["", " where artist.minor"]),
    ).map(lambda t: "require consent of " + "".join(t)),
    st.just("require licence for each work in use.works where work.tdm_reserved"),
)
_PARTS = st.one_of(
    _EXPRS.map(lambda e: f"when {e}"),
    _EXPRS.map(lambda e: f"unless {e}"),
    st.just('cite "Act s. 1"'),
    st.just("notwithstanding clause 1"),
    _EFFECTS,
)
_HEADERS = st.permutations(
    [
        "licensor party:label",
        "licensee party:dev",
        "effective 2026-01-01 for 2 years",
        "territory worldwide except CN, RU",
        "scope catalogue of party:label",
    ]
)


@st.composite
def _files(draw: st.DrawFn) -> str:
    lines = ["# generated"]
    lines += ['contract "c" "Title"']
    for header in draw(_HEADERS):
        lines.append(header)
    for index in range(draw(st.integers(0, 2))):
        lines.append(f"parameter p{index} = {draw(_EXPRS)}")
    if draw(st.booleans()):
        lines.append(f"define d = {draw(_EXPRS)}")
    for number in range(1, draw(st.integers(1, 3)) + 1):
        lines.append(f'clause {number} "Clause {number}"')
        for part in draw(st.lists(_PARTS, min_size=1, max_size=4)):
            lines.append(part)
    out: list[str] = []
    for line in lines:
        words = line.split(" ")
        if len(words) > 3 and draw(st.booleans()):  # break the item over two lines
            cut = draw(st.integers(1, len(words) - 1))
            if not words[cut - 1].endswith('\\"') and words[cut - 1].count('"') % 2 == 0:
                line = " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
        indent = draw(st.sampled_from(["", "  ", "    ", "\t"]))
        if draw(st.integers(0, 4)) == 0:
            out.append(indent + f"# note {len(out)}")
        if draw(st.integers(0, 4)) == 0:
            out.append("")
        comment = f"  # after {len(out)}" if draw(st.integers(0, 3)) == 0 else ""
        out.append(indent + line + comment)
    return "\n".join(out) + "\n"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(_files())
def test_generated_files_keep_their_meaning_and_comments(text: str) -> None:
    _, diagnostics = parse(text, "x.clause")
    assume(not [d for d in diagnostics if d.severity == "error"])
    _check_properties(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_EXPRS)
def test_generated_expressions_keep_their_meaning(expression: str) -> None:
    text = f'contract "c"\n  define d = {expression}\n'
    _, diagnostics = parse(text, "x.clause")
    assume(not [d for d in diagnostics if d.severity == "error"])
    _check_properties(text)


# ----------------------------------------------------------------- the command


def test_check_names_the_files_that_would_change(tmp_path: Path) -> None:
    good = tmp_path / "good.clause"
    good.write_text(format_text('contract "g"\n  licensee party:x\n'), encoding="utf-8")
    bad = tmp_path / "bad.clause"
    bad.write_text('contract "b"\nlicensee   party:x\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"would reformat {bad}" in result.output
    assert str(good) not in result.output
    assert bad.read_text(encoding="utf-8") == 'contract "b"\nlicensee   party:x\n'

    result = CliRunner().invoke(app, ["fmt", str(tmp_path)])
    assert result.exit_code == 0
    assert bad.read_text(encoding="utf-8") == 'contract "b"\n  licensee party:x\n'
    assert CliRunner().invoke(app, ["fmt", "--check", str(tmp_path)]).exit_code == 0


def test_fmt_reports_syntax_errors_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.clause"
    bad.write_text('contract "b"\n  clause 1\n    permt training\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["fmt", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3:5" in result.output
    assert "Traceback" not in result.output
    assert "no such file" in CliRunner().invoke(app, ["fmt", str(tmp_path / "none")]).output
