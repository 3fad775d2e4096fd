"""Clause text that would change the money by mistake is caught (issue 11, item 3).

- a share without a unit (`parameter revenue_share = 25` times revenue) is an error with
  the fix; a share above 100% must be declared meant (`, above 100% intended`); negative
  literals (`-5%`, `- 0.50 USD`) are single values, as the language reference says;
- parameter overrides from Python are validated as scenario files are, by one function;
- territory and currency names get the code meant, the caret under the whole word;
- one check reports every independent problem of a file, and recovering from syntax
  errors costs a few parses of the file, not one per error.
"""

from __future__ import annotations

import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clausula
from clausula import parser as parser_module
from clausula.batch import load_files
from clausula.diagnostics import Diagnostic, PolicyError
from clausula.formatter import format_text
from clausula.money import Money
from clausula.parser import parse

REPO = Path(__file__).resolve().parents[1]
HEAD = """\
contract "c-2026" "A test licence"
  licensor party:example-label
  licensee party:aria-labs
  effective 2026-01-01 for 3 years
  territory worldwide
  scope all works

  clause 1
    permit generation
"""
USE = {
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "US",
    "metrics": {"revenue": {"amount": "1000.00", "currency": "USD"}},
}


def check(tmp_path: Path, text: str) -> list[Diagnostic]:
    path = tmp_path / "c.clause"
    path.write_text(text, encoding="utf-8")
    return clausula.check([path])


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, [d.render() for d in diagnostics]
    return diagnostics[0]


def caret(d: Diagnostic) -> str:
    """The text the caret of a rendered diagnostic stands under."""
    lines = d.render().split("\n")
    start = lines[2].index("^")
    return lines[1][start : start + lines[2].count("^")]


def pay(parameters: str, amount: str) -> str:
    return HEAD.replace("  clause 1\n", f"{parameters}\n  clause 1\n") + (
        f"  clause 2\n    pay {amount} to party:example-label\n"
    )


# ------------------------------------------------------------------ shares without a unit


@pytest.mark.parametrize(("value", "fix"), [("25", "`25%`"), ("0.5", "`50%`"), ("2", "`2%`")])
def test_a_share_without_a_unit_is_an_error_with_the_fix(
    tmp_path: Path, value: str, fix: str
) -> None:
    text = pay(f"  parameter revenue_share = {value}", "revenue_share * use.revenue")
    d = only(check(tmp_path, text))
    assert "a number without a unit" in d.message and f"did you mean {fix}?" in d.message
    assert caret(d) == "revenue_share"


def test_a_share_without_a_unit_through_a_definition_is_caught(tmp_path: Path) -> None:
    text = pay("  parameter cut = 25\n  define share_of = cut", "use.revenue * share_of")
    assert "did you mean `25%`?" in only(check(tmp_path, text)).message


def test_a_count_times_money_that_is_not_a_share_is_fine(tmp_path: Path) -> None:
    # A rate per unit, and an amount divided by a count, are not shares.
    text = pay(
        "  parameter fee = 0.002 USD\n  parameter parts = 4",
        "fee per generation + use.revenue / parts + 2 * fee",
    )
    assert check(tmp_path, text) == []


# ------------------------------------------------------------------ above the whole


def test_a_share_above_the_whole_is_refused_without_a_statement_of_intent(
    tmp_path: Path,
) -> None:
    text = pay("  parameter pool = 150%", "pool * use.revenue")
    d = only(check(tmp_path, text))
    assert "more than the whole" in d.message
    assert "parameter pool = 150%, above 100% intended" in d.message


def test_a_literal_share_above_the_whole_is_refused(tmp_path: Path) -> None:
    d = only(check(tmp_path, pay("", "use.revenue * 120%")))
    assert "120% is more than the whole" in d.message and caret(d) == "120%"


def test_a_tier_rate_above_the_whole_is_refused(tmp_path: Path) -> None:
    text = pay("", "tiered use.revenue up to 100 at 150% above at 10%")
    assert "150% is more than the whole" in only(check(tmp_path, text)).message


def test_a_share_above_the_whole_stated_as_meant_is_paid(tmp_path: Path) -> None:
    text = pay("  parameter uplift = 150%, above 100% intended", "uplift * use.revenue")
    assert check(tmp_path, text) == []
    (tmp_path / "c.clause").write_text(text, encoding="utf-8")
    decision = clausula.load(tmp_path).decide(USE)
    assert decision.totals[0].amount == Decimal("1500.00")


def test_intent_said_of_what_is_not_above_the_whole_is_an_error(tmp_path: Path) -> None:
    text = pay("  parameter pool = 30%, above 100% intended", "pool * use.revenue")
    assert "remove it" in only(check(tmp_path, text)).message
    wrong = pay("  parameter pool = 150%, above 90% intended", "pool * use.revenue")
    assert "write `above 100% intended`" in only(check(tmp_path, wrong)).message


def test_the_statement_of_intent_round_trips_through_the_formatter() -> None:
    text = pay("  parameter uplift   =  150% ,above  100%   intended", "uplift * use.revenue")
    formatted = format_text(text, "c.clause")
    assert "  parameter uplift = 150%, above 100% intended\n" in formatted
    assert format_text(formatted, "c.clause") == formatted
    source, diagnostics = parse(formatted, "c.clause")
    assert diagnostics == [] and source.blocks[0].parameters[0].above_whole is not None


# ------------------------------------------------------------------ negative literals


@pytest.mark.parametrize(
    ("declared", "written"),
    [("-5%", "-5%"), ("- 0.50 USD", "-0.50 USD"), ("-1", "-1"), ("-0.25", "-0.25")],
)
def test_a_negative_literal_is_a_single_value(tmp_path: Path, declared: str, written: str) -> None:
    text = pay(f"  parameter delta = {declared}", "10 USD")
    assert check(tmp_path, text) == []
    assert f"  parameter delta = {written}\n" in format_text(text, "c.clause")


def test_a_negative_amount_parameter_is_used_in_arithmetic(tmp_path: Path) -> None:
    text = pay("  parameter discount = - 0.50 USD", "10 USD + discount")
    (tmp_path / "c.clause").write_text(text, encoding="utf-8")
    assert clausula.load(tmp_path).decide(USE).totals[0].amount == Decimal("9.50")


def test_a_negative_share_of_money_is_refused(tmp_path: Path) -> None:
    text = pay("  parameter rebate = -5%", "rebate * use.revenue")
    assert "negative share" in only(check(tmp_path, text)).message


# ------------------------------------------------------------------ overrides from Python


@pytest.fixture(scope="module")
def optin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("policies")
    shutil.copytree(REPO / "policies", root, dirs_exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.5, "so write a percentage such as 30%, not `0.5`"),
        ("50", "so write a percentage such as 30%, not `50`"),
        ([1], "a list is not a value a parameter can take"),
        ("-5%", "cannot be negative"),
        ("150%", "more than the whole"),
        ("30 %%", "is not a single value"),
    ],
)
def test_a_wrong_python_override_is_a_policy_error(optin: Path, value: object, words: str) -> None:
    with pytest.raises(PolicyError) as raised:
        clausula.load(optin, parameters={"aria-optin-2026": {"artist_pool": value}})
    assert words in raised.value.diagnostics[0].message


def test_every_override_problem_is_reported_with_suggestions(optin: Path) -> None:
    with pytest.raises(PolicyError) as raised:
        clausula.load(
            optin,
            parameters={
                "aria-optin-2026": {"artist_pol": "40%", "per_generation": 5},
                "aria-optin": {},
            },
        )
    messages = [d.message for d in raised.value.diagnostics]
    assert any("did you mean `artist_pool`?" in m for m in messages)
    assert any("per_generation is declared as 0.002 USD" in m for m in messages)
    assert any("did you mean `aria-optin-2026`?" in m for m in messages)


def test_python_and_text_overrides_get_the_same_answer(optin: Path) -> None:
    files = [optin / "contracts", optin / "vocabulary.clause"]
    good = {"artist_pool": Decimal("0.5"), "per_generation": Money(Decimal("0.003"), "USD")}
    as_text = {"artist_pool": "50%", "per_generation": "0.003 USD"}
    by_python = clausula.load(optin, parameters={"aria-optin-2026": good})
    by_text = clausula.load(optin, parameters={"aria-optin-2026": as_text})
    use = json.loads((optin / "uses" / "04-optin-generation-de.json").read_text())
    assert by_python.decide(use).totals == by_text.decide(use).totals
    for wrong in ({"artist_pool": 0.5}, {"artist_pool": "0.5"}):
        with pytest.raises(PolicyError) as by_load:
            clausula.load(optin, parameters={"aria-optin-2026": wrong})
        with pytest.raises(PolicyError) as by_scenario:
            load_files(files, data=optin / "data", overrides={"aria-optin-2026": wrong})  # type: ignore[dict-item]
        assert [d.message for d in by_load.value.diagnostics] == [
            d.message for d in by_scenario.value.diagnostics
        ]


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.none(),
        st.booleans(),
    )
)
def test_any_python_override_is_refused_or_decided_never_a_type_error(value: object) -> None:
    """Property: whatever a caller passes, loading either refuses it with diagnostics or
    gives a policy that decides; no TypeError inside `decide`."""
    policies = REPO / "policies"
    try:
        loaded = clausula.load(policies, parameters={"aria-optin-2026": {"artist_pool": value}})
    except PolicyError as error:
        assert error.diagnostics and all(d.message for d in error.diagnostics)
        return
    use = json.loads((policies / "uses" / "04-optin-generation-de.json").read_text())
    loaded.decide(use)


# ------------------------------------------------------------------ names for codes


@pytest.mark.parametrize(
    ("written", "code"),
    [("Germany", "DE"), ("United Kingdom", "GB"), ("Germny", "DE"), ("Tennessee", "US-TN")],
)
def test_a_territory_name_says_the_code_meant(tmp_path: Path, written: str, code: str) -> None:
    text = HEAD.replace("territory worldwide", f"territory worldwide except {written}")
    d = only(check(tmp_path, text))
    assert d.message == f"`{written}` is not a territory code; did you mean {code}?"
    assert caret(d) == written


@pytest.mark.parametrize(("written", "code"), [("EURO", "EUR"), ("Euro", "EUR"), ("USDD", "USD")])
def test_a_currency_name_says_the_code_meant(tmp_path: Path, written: str, code: str) -> None:
    d = only(check(tmp_path, pay("", f"3000 {written}")))
    assert f"`{written}` is not an ISO 4217 currency code; did you mean {code}?" == d.message
    assert caret(d) == written


def test_purposes_and_contexts_suggest_the_nearest_name(tmp_path: Path) -> None:
    text = HEAD.replace("permit generation", "permit generaton") + (
        "  clause 2\n    when parodi in use.context\n    deny\n"
    )
    messages = [d.message for d in check(tmp_path, text)]
    assert any("did you mean `generation`?" in m for m in messages)
    assert any("did you mean `parody`?" in m for m in messages)


# ------------------------------------------------------------------ every problem, one run


def test_one_check_reports_every_independent_problem(tmp_path: Path) -> None:
    text = (
        HEAD
        + "  clause 2\n    when use.purpose is training training\n    deny\n"  # syntax
        + "  clause 3\n    permit generaton\n"  # checker, after a syntax error
        + "  clause 4\n    oblige\n"  # syntax
        + 'contract "d-2026" "Second"\n  licensor party:example-label )\n'  # syntax in a head
        + 'contract "e-2026" "Third"\n  licensor party:example-label\n'
        + "  licensee party:aria-labs\n  effective 2026-01-01\n  territory Germany\n"
        + "  scope all works\n  clause 1\n    permit training\n"  # checker, later block
    )
    diagnostics = check(tmp_path, text)
    lines = sorted(d.span.line for d in diagnostics)
    assert lines == [11, 14, 16, 18, 23], [d.render() for d in diagnostics]


def _with_errors(count: int, clauses: int) -> str:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from decide import generated_clauses

    lines = generated_clauses(clauses).split("\n")
    step = len(lines) // count
    for index in range(count):
        lines[index * step + 9] += " )("
    return "\n".join(lines)


def test_recovery_parses_the_file_a_few_times_not_once_per_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20 errors in 2,000 clauses: every one reported, at a cost of a few parses of the
    whole text (it was one Lark parse and more per error: minutes for 10,000 clauses)."""
    text = _with_errors(20, 2_000)
    parsed: list[int] = []
    real = parser_module._parse_blocks

    def counting(chunk: str, path: str) -> object:
        parsed.append(len(chunk))
        return real(chunk, path)

    real_fast = parser_module._fast_parses

    def counting_fast(chunk: str, path: str) -> bool:
        parsed.append(len(chunk))
        return real_fast(chunk, path)

    monkeypatch.setattr(parser_module, "_parse_blocks", counting)
    monkeypatch.setattr(parser_module, "_fast_parses", counting_fast)
    source, diagnostics = parse(text, "big.clause")
    assert len(diagnostics) == 20
    assert sum(len(b.provisions) for b in source.blocks) > 1_900
    assert sum(parsed) < 4 * len(text)


# ------------------------------------------------------------------ min and max of amounts


@pytest.mark.parametrize(
    ("formula", "revenue", "want"),
    [
        ("max(10% * use.revenue, 5 USD)", "1000.00", "100.00"),
        ("max(10% * use.revenue, 5 USD)", "10.00", "5.00"),
        ("min(10% * use.revenue, 5 USD)", "1000.00", "5.00"),
        ("min(10% * use.revenue, 5 USD, 7 USD)", "20.00", "2.00"),
        ("max(5 USD, 10% * use.revenue)", "50.00", "5.00"),  # equal: either is the amount
    ],
)
def test_min_and_max_of_amounts(tmp_path: Path, formula: str, revenue: str, want: str) -> None:
    (tmp_path / "c.clause").write_text(pay("", formula), encoding="utf-8")
    use = {**USE, "metrics": {"revenue": {"amount": revenue, "currency": "USD"}}}
    assert clausula.load(tmp_path).decide(use).totals[0].amount == Decimal(want)


def test_max_of_amounts_in_two_currencies_is_the_uses_error(tmp_path: Path) -> None:
    (tmp_path / "c.clause").write_text(pay("", "max(10% * use.revenue, 5 USD)"), encoding="utf-8")
    use = {**USE, "metrics": {"revenue": {"amount": "1000.00", "currency": "EUR"}}}
    with pytest.raises(clausula.UseError, match="cannot compare amounts in EUR and USD"):
        clausula.load(tmp_path).decide(use)


@pytest.fixture(scope="module")
def extremes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, clausula.PolicySet]:
    """One policy set per `min`/`max` of two and of three amounts."""
    sets = {}
    for formula in (
        "max(10% * use.revenue, 5 USD)",
        "min(10% * use.revenue, 5 USD)",
        "max(10% * use.revenue, 5 USD, 3% * use.revenue)",
        "min(10% * use.revenue, 5 USD, 30% * use.revenue)",
    ):
        directory = tmp_path_factory.mktemp("extreme")
        (directory / "c.clause").write_text(pay("", formula), encoding="utf-8")
        sets[formula] = clausula.load(directory)
    return sets


@given(st.integers(1, 10**12), st.sampled_from([0, 1, 2]))
@settings(max_examples=150, deadline=None)
def test_min_and_max_of_amounts_pay_the_exact_extreme_rounded_once(
    extremes: dict[str, clausula.PolicySet], units: int, places: int
) -> None:
    """Whatever the revenue (and however many decimals it is written with), `min`/`max`
    of two or three amounts pays the extreme of the exact amounts, rounded once."""
    from fractions import Fraction

    revenue = Decimal(units).scaleb(-places)
    use = {**USE, "metrics": {"revenue": {"amount": str(revenue), "currency": "USD"}}}
    exact = Fraction(revenue)
    choices = {
        "max(10% * use.revenue, 5 USD)": max(exact / 10, Fraction(5)),
        "min(10% * use.revenue, 5 USD)": min(exact / 10, Fraction(5)),
        "max(10% * use.revenue, 5 USD, 3% * use.revenue)": max(exact / 10, Fraction(5)),
        "min(10% * use.revenue, 5 USD, 30% * use.revenue)": min(exact / 10, Fraction(5)),
    }
    for formula, want in choices.items():
        cents = want * 100
        rounded = Decimal(int(cents + Fraction(1, 2))) / 100  # half-up, from the fraction
        assert extremes[formula].decide(use).totals[0].amount == rounded, formula
