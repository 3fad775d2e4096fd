"""Error messages for wrong clause files: the exact place, a plain sentence, the caret.

Each test writes a small, wrong clause file and checks it with `clausula.check`, which
parses, checks against the standard vocabulary (the files declare none) and returns
sorted `Diagnostic`s. A test asserts the line and column, the stable words of the
message, and that `render()` shows the source line with a caret under the column.
Property tests feed random text and random sequences of the language's words to the
parser and checker: they must only ever return diagnostics, never raise.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula.checker import check_policy
from clausula.diagnostics import Diagnostic, DiagnosticSink
from clausula.lines import split_lines
from clausula.parser import parse
from clausula.policy_set import _standard_vocabulary

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "clauses"

# Six lines of valid contract headers: the body of a test starts on line 7.
HEAD = """\
contract "c" "A test licence"
  licensor party:example-label
  licensee party:aria-labs
  effective 2026-01-01 for 3 years
  territory worldwide
  scope catalogue of party:example-label
"""


def check_text(tmp_path: Path, text: str) -> list[Diagnostic]:
    path = tmp_path / "f.clause"
    path.write_text(text, encoding="utf-8")
    diagnostics = clausula.check([path])
    lines = text.split("\n")
    for d in diagnostics:
        assert d.source_line == lines[d.span.line - 1], d.render()
    return diagnostics


def assert_at(d: Diagnostic, line: int, column: int, *fragments: str) -> None:
    """`d` is at `line:column`, says every fragment, and renders the line with a caret."""
    assert (d.span.line, d.span.column) == (line, column), d.render()
    for fragment in fragments:
        assert fragment in d.message, f"{fragment!r} not in {d.message!r}"
    rendered = d.render().split("\n")
    assert rendered[0].endswith(f":{line}:{column}: error: {d.message}")
    assert d.source_line is not None
    assert rendered[1] == "    " + d.source_line.rstrip()
    caret = rendered[2]
    assert caret.startswith("    " + " " * (column - 1) + "^"), d.render()
    assert set(caret.strip()) == {"^"}


def one(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, "\n".join(d.render() for d in diagnostics)
    return diagnostics[0]


def contract(body: str) -> str:
    """HEAD (lines 1-6) followed by `body` (from line 7)."""
    return HEAD + body


# ----------------------------------------------------------------- syntax errors


def test_misspelt_keyword_suggests_the_keyword(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    permt training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 5, "`permt` is not expected here", "did you mean `permit`?")
    assert d.source_line == "    permt training"


def test_misspelt_header_keyword(tmp_path: Path) -> None:
    d = one(check_text(tmp_path, 'contract "c"\n  licencee party:aria-labs\n'))
    assert_at(d, 2, 3, "`licencee`", "did you mean `licensee`?")


def test_misspelt_formality(tmp_path: Path) -> None:
    text = contract(
        '  clause 3.1 "Consent"\n'
        "    require consent of each artist in use.touched for use.purpose in writing sgned\n"
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 78, "`sgned`", "did you mean `signed`?")


def test_missing_string_points_after_the_keyword(tmp_path: Path) -> None:
    text = contract(
        '  clause 6.1 "Transparency"\n'
        "    oblige\n"
        '  clause 6.2 "Labels"\n'
        '    oblige "Label the output"\n'
    )
    d = one(check_text(tmp_path, text))
    # Not at `clause` on the next line: what is missing is the text after `oblige`.
    assert_at(d, 8, 11, "missing after `oblige`", "a quoted string")


def test_missing_contract_name(tmp_path: Path) -> None:
    d = one(check_text(tmp_path, "contract\n  licensee party:aria-labs\n"))
    assert_at(d, 1, 9, "missing after `contract`", "a quoted string")


def test_unclosed_string(tmp_path: Path) -> None:
    text = contract('  clause 6.1 "Transparency"\n    oblige "Report every use\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 12, "string is not closed")


def test_unexpected_character(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    permit training @\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 21, "`@` cannot appear here")


def test_stray_token(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    permit training )\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 21, "`)` is not expected here")


def test_file_ends_mid_clause(tmp_path: Path) -> None:
    text = contract('  clause 4.1 "Fee"\n    pay 1 USD to\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 17, "the file ends too soon", "after `to`", "`each`")


def test_file_ends_mid_condition_before_a_comment(tmp_path: Path) -> None:
    text = contract('  clause 3.2 "Replicas"\n    when use.purpose is  # to be agreed\n')
    d = one(check_text(tmp_path, text))
    # After `is`, not after the comment.
    assert_at(d, 8, 24, "the file ends too soon", "after `is`")


def test_incomplete_condition_before_the_effect(tmp_path: Path) -> None:
    # The parser reads `permit` as the missing value and stumbles on `training`; the
    # mistake is the line before.
    text = contract('  clause 3.2 "Replicas"\n    when use.purpose is\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 24, "something is missing after `is`")


def test_rule_in_a_contract(tmp_path: Path) -> None:
    text = contract('  rule "art. 1" "Purposes"\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 7, 3, "a contract has numbered clauses, not rules", "clause 5.1")


def test_clause_in_a_jurisdiction(tmp_path: Path) -> None:
    text = 'jurisdiction "j" "A law"\n  proposed\n  clause 1\n    oblige "Label it"\n'
    d = one(check_text(tmp_path, text))
    assert_at(d, 3, 3, "a jurisdiction has rules, not clauses")


def test_several_syntax_errors_are_all_reported() -> None:
    diagnostics = clausula.check([FIXTURES / "syntax_errors.clause"])
    assert len(diagnostics) == 3, "\n".join(d.render() for d in diagnostics)
    first, second, third = diagnostics
    assert_at(first, 10, 5, "`permt`", "did you mean `permit`?")
    assert_at(second, 13, 11, "something is missing after `oblige`", "a quoted string")
    assert_at(third, 16, 17, "the file ends too soon", "after `to`")


def test_syntax_error_does_not_claim_the_line_is_missing(tmp_path: Path) -> None:
    # The licensee line is there but wrong: no "has no `licensee` line" on top.
    text = HEAD.replace("licensee party:aria-labs", "licensee") + (
        '  clause 1 "Purposes"\n    permit training\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 3, 11, "missing after `licensee`", "party or work id")


def test_syntax_error_in_a_clause_set_aside(tmp_path: Path) -> None:
    # Clause 2.2 is lost to its syntax error: no "there is no clause 2.2" on top.
    text = contract(
        '  clause 2.1 "Pool"\n'
        "    notwithstanding clause 2.2\n"
        "    permit training\n"
        '  clause 2.2 "Fee"\n'
        "    pay 1 USD to\n"
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 11, 17, "the file ends too soon")


def test_invalid_date_literal(tmp_path: Path) -> None:
    text = contract(
        '  clause 2.1 "Purposes"\n    when use.date < 2026-02-30\n    permit training\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 21, "`2026-02-30` is not a valid date")
    assert d.render().split("\n")[2].strip() == "^" * len("2026-02-30")


def test_invalid_date_in_the_term(tmp_path: Path) -> None:
    text = HEAD.replace("2026-01-01", "2026-02-30") + "  clause 1\n    permit training\n"
    d = one(check_text(tmp_path, text))  # and no "has no `effective` line"
    assert_at(d, 4, 13, "`2026-02-30` is not a valid date")


# ----------------------------------------------------------------- names and fields


def test_unknown_purpose_did_you_mean(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    permit training, generaton\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 22, "`generaton` is not a declared purpose", "did you mean `generation`?")


def test_unknown_name(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    when commercial_use\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 10, "unknown name `commercial_use`", "parameter, definition, purpose")


def test_unknown_name_close_to_a_parameter(tmp_path: Path) -> None:
    text = contract(
        "  parameter artist_pool = 30%\n"
        '  clause 5.1 "Pool"\n'
        "    pay artist_pol * use.revenue to party:example-label\n"
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 9, 9, "unknown name `artist_pol`", "did you mean `artist_pool`?")


def test_unknown_field_did_you_mean(tmp_path: Path) -> None:
    text = contract(
        '  clause 2.1 "Purposes"\n    when use.purpse is training\n    permit training\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 10, "unknown field `use.purpse`", "did you mean `use.purpose`?")


def test_undeclared_fact(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    when use.facts.gpai\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 10, "the fact `gpai` is not declared")


def test_unknown_function(tmp_path: Path) -> None:
    text = contract('  clause 5.1 "Pool"\n    pay maxx(1 USD, 2 USD) to party:example-label\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 9, "there is no function `maxx`", "did you mean `max`?")


# ----------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("line", "column", "fragments"),
    [
        ("    pay 10% + 1 USD to party:x", 9, ("cannot add", "money", "percentage")),
        ("    pay 50% to party:x", 9, ("`pay` needs an amount of money", "percentage")),
        ("    pay 1 USD * 2 USD to party:x", 9, ("cannot multiply money by money",)),
        (
            "    pay min(1 USD, 2026-01-01) to party:x",
            20,
            ("`min` cannot compare money with a date",),
        ),
        ("    pay 1 USD + 2 EUR to party:x", 9, ("USD and EUR", "different currencies")),
        ("    pay 1 XYZ to party:x", 11, ("`XYZ` is not an ISO 4217 currency code",)),
        ("    pay 1 USD * weight to party:x", 17, ("`weight` only exists", "use.attribution")),
        ("    pay 1 USD * weight to each artist in use.artists", 17, ("`weight` only exists",)),
        ("    pay 1 USD to each artist in use.works", 33, ("`each artist in`", "not `use.works`")),
        ("    pay 1 USD to isni:0000000121032684", 18, ("wrong check character", "end in 3")),
        (
            "    pay tiered use.generations up to 100 at 1 USD up to 50 at 2 USD to party:x",
            57,
            ("tier limits must go up",),
        ),
    ],
    ids=[
        "percentage-plus-money",
        "pay-not-money",
        "money-times-money",
        "min-money-date",
        "mixed-currencies",
        "unknown-currency",
        "weight-outside-each",
        "weight-outside-attribution",
        "each-artist-in-works",
        "isni-check-character",
        "tiers-not-going-up",
    ],
)
def test_pay_amount_errors(
    tmp_path: Path, line: str, column: int, fragments: tuple[str, ...]
) -> None:
    # The opt-in clause after the one under test: payments to artists need their consent.
    opt_in = (
        '  clause 9 "Opt-in"\n    require consent of each artist in use.touched for use.purpose\n'
    )
    text = contract(f'  clause 5.1 "Pool"\n{line}\n{opt_in}')
    d = one(check_text(tmp_path, text.replace("party:x", "party:example-label")))
    assert_at(d, 8, column, *fragments)


def test_mixed_currencies_through_a_parameter(tmp_path: Path) -> None:
    text = contract(
        '  parameter fee = 1 USD\n  clause 4.1 "Fee"\n    pay fee + 2 EUR to party:example-label\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 9, 9, "USD and EUR")


def test_date_compared_with_territory(tmp_path: Path) -> None:
    text = contract('  clause 3 "Dates"\n    when use.date < DE\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 10, "cannot compare a date with a territory")


def test_condition_that_is_money(tmp_path: Path) -> None:
    text = contract('  clause 3 "Money"\n    when 1 USD\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 10, "`when` needs a condition that is true or false", "money")


def test_parameter_that_is_a_formula(tmp_path: Path) -> None:
    text = contract('  parameter fee = 1 USD * 2\n  clause 1 "Purposes"\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 7, 19, "a parameter's value must be a single value", "`define`")


# ----------------------------------------------------------------- territories


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        ("XX", ("`XX` is not an ISO 3166-1 country code",)),
        ("US-XX", ("`US-XX` is not an ISO 3166-2 subdivision of US",)),
        ("EUU", ("`EUU` is neither a declared territory group", "did you mean `EU`?")),
    ],
)
def test_unknown_territory(tmp_path: Path, code: str, fragments: tuple[str, ...]) -> None:
    text = contract(f'  clause 2 "Where"\n    when use.territory in {code}\n    permit training\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 27, *fragments)


def test_unknown_territory_in_the_header(tmp_path: Path) -> None:
    text = HEAD.replace("territory worldwide", "territory worldwide except CN, XX") + (
        "  clause 1\n    permit training\n"
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 5, 34, "`XX` is not an ISO 3166-1 country code")


# ----------------------------------------------------------------- clauses and blocks


def test_duplicate_clause_numbers(tmp_path: Path) -> None:
    text = contract(
        '  clause 2.1 "Purposes"\n    permit training\n'
        '  clause 2.1 "More purposes"\n    permit generation\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 9, 10, "clause 2.1 is numbered twice", "line 7")


def test_notwithstanding_a_missing_clause(tmp_path: Path) -> None:
    text = contract('  clause 5.2 "Parody"\n    notwithstanding clause 9.9\n    pay nothing\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 8, 28, "there is no clause 9.9")


def test_notwithstanding_cycle(tmp_path: Path) -> None:
    text = contract(
        '  clause 2.1 "One"\n    notwithstanding clause 2.2\n    permit training\n'
        '  clause 2.2 "Two"\n    notwithstanding clause 2.1\n    permit generation\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 7, 10, "goes round in a circle", "2.1 → 2.2 → 2.1")


def test_clause_without_effect(tmp_path: Path) -> None:
    text = contract('  clause 2.1 "Purposes"\n    when use.commercial\n')
    d = one(check_text(tmp_path, text))
    assert_at(d, 7, 10, "clause 2.1 has no effect", "`permit`")


def test_contract_without_licensee(tmp_path: Path) -> None:
    text = HEAD.replace("  licensee party:aria-labs\n", "") + "  clause 1\n    permit training\n"
    d = one(check_text(tmp_path, text))
    assert_at(d, 1, 10, "has no `licensee` line")


def test_jurisdiction_without_status(tmp_path: Path) -> None:
    text = (
        'jurisdiction "j" "A law"\n'
        "  applies when use.territory in EU\n"
        '  rule "art. 1" "Labels"\n'
        '    oblige "Label it"\n'
    )
    d = one(check_text(tmp_path, text))
    assert_at(d, 1, 14, "neither `in force from DATE` nor `proposed`")


def test_duplicate_block_names(tmp_path: Path) -> None:
    text = contract("  clause 1\n    permit training\n") * 2
    d = one(check_text(tmp_path, text))
    assert_at(d, 9, 10, "`c` is already the name of a block", ":1:10")


# ----------------------------------------------------------------- all errors, one file


def test_all_errors_of_a_file_are_reported() -> None:
    diagnostics = clausula.check([FIXTURES / "five_errors.clause"])
    assert len(diagnostics) == 5, "\n".join(d.render() for d in diagnostics)
    expected = [
        (10, 22, "`generaton` is not a declared purpose"),
        (13, 9, "cannot add money to a percentage"),
        (16, 10, "cannot compare a date with a territory"),
        (20, 9, "USD and EUR"),
        (23, 28, "there is no clause 9"),
    ]
    for d, (line, column, fragment) in zip(diagnostics, expected, strict=True):
        assert_at(d, line, column, fragment)


def test_shipped_policies_have_no_errors() -> None:
    assert clausula.check([REPO / "policies"]) == []


# ----------------------------------------------------------------- never a traceback

_VOCABULARY_NAME, _VOCABULARY_TEXT = _standard_vocabulary()
_VOCABULARY = parse(_VOCABULARY_TEXT, _VOCABULARY_NAME)[0]

_KEYWORDS = sorted(set(re.findall(r'"([a-z]+)"', (REPO / "grammar" / "clausula.lark").read_text())))
_TOKENS = [
    *_KEYWORDS,
    "(",
    ")",
    ",",
    "=",
    "+",
    "-",
    "*",
    "/",
    "<",
    "<=",
    ">",
    ">=",
    "!=",
    ":",
    "#",
    "@",
    "~",
    '"',
    "\\",
    "use.works",
    "use.attribution",
    "use.artists",
    "use.purpose",
    "use.territory",
    "use.revenue",
    "use.generations",
    "use.date",
    "use.facts.role",
    "use.facts.nope",
    "use.output.public",
    "use.purpse",
    "training",
    "generation",
    "parody",
    "weight",
    "share",
    "artist_pool",
    "EU",
    "US-TN",
    "US-XX",
    "DE",
    "XX",
    "CN",
    "party:example-label",
    "isni:0000000121032683",
    "isni:0000000121032684",
    "isrc:USUM71703861",
    "2026-01-01",
    "2026-02-30",
    "0000-00-00",
    "3 years",
    "0 days",
    "12.5%",
    "0.50 USD",
    "2 EUR",
    "1 XYZ",
    "5",
    "5.1",
    "2.1",
    "99999999999999999999999999",
    '"Title"',
    '"open',
    '"a\\"b"',
]
_SEPARATORS = [" ", " ", "\n", "\n  ", "\n    ", "\t", "\r\n"]


_OTHER_BREAKS = re.compile("[\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _check_never_raises(text: str) -> list[Diagnostic]:
    source, diagnostics = parse(text, "f.clause")
    assert all(isinstance(d, Diagnostic) for d in diagnostics)
    sink = DiagnosticSink()
    sink.extend(diagnostics)
    check_policy([_VOCABULARY, source], sink)
    lines = split_lines(text)  # line ends as the parser counts them (clausula.lines)
    # Other line breaks than \n: see test_source_line_with_a_form_feed.
    plain = not _OTHER_BREAKS.search(text)
    for d in sink.sorted():
        assert d.span.path == "f.clause"
        assert 1 <= d.span.line <= len(lines), d.render()
        if plain:
            assert d.source_line == lines[d.span.line - 1], d.render()
        assert d.span.column >= 1, d.render()
        for leak in ("$END", "__ANON", "Token(", "Traceback"):
            assert leak not in d.message, d.message
        d.render()
    return sink.sorted()


_words = st.lists(
    st.tuples(st.sampled_from(_TOKENS), st.sampled_from(_SEPARATORS)), max_size=40
).map(lambda pairs: "".join(word + sep for word, sep in pairs))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_random_text_gives_only_diagnostics(text: str) -> None:
    _check_never_raises(text)


@settings(max_examples=300, deadline=None)
@given(_words)
def test_random_words_give_only_diagnostics(text: str) -> None:
    _check_never_raises(text)


@settings(max_examples=300, deadline=None)
@given(_words)
def test_random_words_inside_a_contract_give_only_diagnostics(text: str) -> None:
    _check_never_raises(contract('  clause 1 "Purposes"\n    ' + text))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), _words))
def test_random_input_through_check_gives_only_diagnostics(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "f.clause"
        path.write_text(text, encoding="utf-8")
        diagnostics = clausula.check([path])
    assert all(isinstance(d, Diagnostic) for d in diagnostics)
    for d in diagnostics:
        d.render()


def test_source_line_with_a_form_feed(tmp_path: Path) -> None:
    text = 'contract "c" "t"\f\n  licensor party:example-label\n  licensee 1\n'
    d = one(check_text(tmp_path, text))
    assert d.source_line == "  licensee 1"
