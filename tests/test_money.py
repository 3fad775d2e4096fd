"""Money never loses a unit: shares of a total add up to the exact total rounded once.

The exact values are computed here with `fractions.Fraction` (no decimal rounding at
all), so the properties check the engine's decimals against arithmetic that cannot lose.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import clausula
from clausula import PolicySet
from clausula.batch import BatchEvaluator
from clausula.money import exact_total, minor_unit, round_once, split_rounded

FIXTURE = Path(__file__).parent / "fixtures" / "money"
CURRENCIES = ["JPY", "USD", "KWD", "BHD"]  # 0, 2, 3 and 3 decimals


def _half_up(exact: Fraction, currency: str) -> Decimal:
    """`exact` rounded half-up to the minor unit, from the fraction itself."""
    unit = Fraction(minor_unit(currency))
    units = exact / unit
    whole = units.numerator // units.denominator
    if units - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) * minor_unit(currency)).quantize(minor_unit(currency))


@st.composite
def pools(draw: st.DrawFn) -> tuple[str, Decimal, list[int]]:
    """A currency, an amount to share (with up to 3 digits below the minor unit, so
    that exact halves come up often) and 1-40 integer weights."""
    currency = draw(st.sampled_from(CURRENCIES))
    places = -minor_unit(currency).as_tuple().exponent  # type: ignore[operator]
    scale = draw(st.integers(0, 3)) + places
    units = draw(st.integers(1, 10**9))
    amount = Decimal(units).scaleb(-scale)
    count = draw(st.integers(1, 40))
    equal = draw(st.booleans())
    weights = (
        [1] * count
        if equal
        else draw(st.lists(st.integers(1, 1000), min_size=count, max_size=count))
    )
    return currency, amount, weights


@given(pools())
@settings(max_examples=400, deadline=None)
def test_parts_add_up_to_the_exact_total_rounded_once(pool: tuple[str, Decimal, list[int]]) -> None:
    currency, amount, weights = pool
    whole = sum(weights)
    # As the engine computes a share: one decimal division, then a product (28 digits).
    parts = [amount * (Decimal(w) / Decimal(whole)) for w in weights]
    total, rounded = split_rounded(parts, currency, [f"p{i:02}" for i in range(len(parts))])
    unit = minor_unit(currency)
    assert total == _half_up(Fraction(amount), currency)  # the weights add up to 1 exactly
    assert sum(rounded, Decimal(0)) == total
    for part, weight in zip(rounded, weights, strict=True):
        assert abs(Fraction(part) - Fraction(amount) * weight / whole) < Fraction(unit)
        assert part >= 0
        assert part == part.quantize(unit)


@given(pools(), st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_the_order_of_the_payees_does_not_decide_who_gets_a_unit(
    pool: tuple[str, Decimal, list[int]], rng: Any
) -> None:
    currency, amount, weights = pool
    whole = sum(weights)
    keys = [f"isni:{i:016}" for i in range(len(weights))]
    parts = [amount * (Decimal(w) / Decimal(whole)) for w in weights]
    _, given_order = split_rounded(parts, currency, keys)
    shuffled = list(range(len(parts)))
    rng.shuffle(shuffled)
    _, other = split_rounded([parts[i] for i in shuffled], currency, [keys[i] for i in shuffled])
    assert {keys[i]: p for i, p in zip(shuffled, other, strict=True)} == dict(
        zip(keys, given_order, strict=True)
    )


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=Decimal("1e18"))
    | st.decimals(allow_nan=False, allow_infinity=False, places=30, min_value=0, max_value=1),
    st.sampled_from(CURRENCIES),
)
@example(Decimal("0.004999999999999999999999999999"), "USD")  # 28 digits: stated to 22 first
@example(Decimal("1E+2"), "JPY")
@settings(max_examples=400, deadline=None)
def test_one_part_is_its_own_sum_rounded_once(amount: Decimal, currency: str) -> None:
    """`split_rounded` of a single part skips the sum: the same total as summing it, for
    size or exponent of the amount (`1E+2` and `100.000` alike) up to a thousand times
    a use's largest amount (`limits.MAX_AMOUNT`)."""
    unit = minor_unit(currency)
    summed = exact_total([amount], currency).quantize(unit, ROUND_HALF_UP)
    total, parts = split_rounded([amount], currency)
    assert parts == [total]
    assert (total, str(total)) == (summed, str(summed))


@given(
    st.lists(st.integers(0, 10**9), min_size=2, max_size=12),
    st.sampled_from(CURRENCIES),
    st.integers(0, 3),
)
@settings(max_examples=200, deadline=None)
def test_parts_in_whole_units_are_paid_as_they_are(
    units: list[int], currency: str, zeros: int
) -> None:
    """Fixed fees: parts already in whole minor units (written with any number of extra
    zeros) are paid as they are, at the minor unit, and add up to the total."""
    unit = minor_unit(currency)
    parts = [(Decimal(u) * unit).quantize(unit.scaleb(-zeros)) for u in units]
    total, rounded = split_rounded(parts, currency, [f"p{i:02}" for i in range(len(parts))])
    assert rounded == parts and total == sum(parts, Decimal(0))
    assert all(part.as_tuple().exponent == unit.as_tuple().exponent for part in rounded)
    assert total.as_tuple().exponent == unit.as_tuple().exponent


def test_a_tie_goes_to_the_smallest_payee() -> None:
    third = Decimal(100) / 3
    assert split_rounded([third] * 3, "USD", ["c", "b", "a"])[1] == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]
    assert split_rounded([third] * 3, "USD")[1][0] == Decimal("33.34")  # no keys: earlier


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("0.075", "USD", "0.08"),
        ("2.5", "JPY", "3"),
        ("0.0125", "KWD", "0.013"),
        ("0.074999", "USD", "0.07"),
    ],
)
def test_round_once_is_half_up(amount: str, currency: str, rounded: str) -> None:
    assert round_once(Decimal(amount), currency) == Decimal(rounded)
    assert round_once(Decimal(amount) / 9 * 9, currency) == Decimal(rounded)


# ----------------------------------------------------------------- through the engine


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return clausula.load(FIXTURE)


# The 40 performers of the fixture's data, each with a grant (their ISNIs are well formed).
PERFORMERS = [
    party["id"]
    for party in yaml.safe_load((FIXTURE / "data" / "data.yaml").read_text(encoding="utf-8"))[
        "parties"
    ]
    if party["kind"] == "artist"
]


def _use(payees: int, amount: Decimal, currency: str, kind: str = "performers") -> dict[str, Any]:
    """A use paying `payees` performers (of as many works) or artists named by the use."""
    use: dict[str, Any] = {
        "id": "u",
        "date": "2026-03-01",
        "licensee": "party:dev",
        "territory": "US",
        "metrics": {"revenue": {"amount": str(amount), "currency": currency}},
    }
    if kind == "performers":  # clause 3: each performer of use.works
        works = [f"isrc:USEXL26{i:05}" for i in range(1, payees + 1)]
        return {**use, "purpose": "training", "works": works}
    artists = PERFORMERS[:payees]  # clause 2: each artist in use.artists
    return {**use, "purpose": "generation", "works": ["isrc:USEXL2600001"], "artists": artists}


@pytest.mark.parametrize("kind", ["performers", "artists"])
def test_nine_performers_share_a_half_cent_total(policy: PolicySet, kind: str) -> None:
    """The case found: 30% of 0.25 USD is 0.075, so 0.08 in total, not 0.07."""
    decision = policy.decide(_use(9, Decimal("0.25"), "USD", kind))
    assert [(t.amount, t.currency) for t in decision.totals] == [(Decimal("0.08"), "USD")]
    assert sum(p.amount for p in decision.payments) == Decimal("0.08")
    # All remainders are equal: the extra units go to the smallest payee ids.
    paid = sorted((p.payee, p.amount) for p in decision.payments)
    assert [amount for _, amount in paid] == [Decimal("0.01")] * 8 + [Decimal("0.00")]


@given(
    st.integers(1, 40),
    st.sampled_from(["JPY", "USD", "KWD"]),
    st.integers(1, 10**7),
    # Revenue is given at the currency's minor unit (a use with more decimals is refused
    # where it enters); 30% of it still falls between units, or on an exact half.
    st.sampled_from([0, "half"]),
    st.sampled_from(["performers", "artists"]),
)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_decision_pays_the_formula_rounded_once(
    policy: PolicySet, payees: int, currency: str, units: int, extra: int | str, kind: str
) -> None:
    places = -minor_unit(currency).as_tuple().exponent  # type: ignore[operator]
    if extra == "half":  # 30% of an odd multiple of 5 units is an exact half unit
        revenue = Decimal((2 * units + 1) * 5).scaleb(-places)
    else:
        assert isinstance(extra, int)
        revenue = Decimal(units).scaleb(-(places + extra))
    use = _use(payees, revenue, currency, kind)
    decision = policy.decide(use)
    exact = Fraction(revenue) * Fraction(3, 10)  # pool = 30%
    expected = _half_up(exact, currency)
    assert decision.decision == ("pay" if expected else "allow")
    assert [(t.amount, t.currency) for t in decision.totals] == [(expected, currency)]
    assert sum(p.amount for p in decision.payments) == expected
    assert len(decision.payments) == payees
    for payment in decision.payments:
        assert abs(Fraction(payment.amount) - exact / payees) < Fraction(minor_unit(currency))
    # The batch path rounds with the same function, to the same answer.
    [batch] = BatchEvaluator(policy).decide_many([use])
    assert batch == decision


@st.composite
def _lines(draw: st.DrawFn) -> list[tuple[str, Any, str]]:
    """Exact payment lines: 1–4, amounts with up to 6 decimals, a few currencies."""
    from clausula.money import Money

    count = draw(st.integers(1, 4))
    return [
        (
            draw(st.sampled_from(["isni:a", "isni:b", "party:c", "isrc:d"])),
            Money(
                Decimal(draw(st.integers(0, 10**9))).scaleb(-6),
                draw(st.sampled_from(["USD", "USD", "EUR", "JPY", "KWD"])),
            ),
            draw(st.sampled_from(["r1", "r2"])),
        )
        for _ in range(count)
    ]


@settings(max_examples=300, deadline=None)
@given(lines=_lines(), renamed=st.lists(st.sampled_from(["x", "y", "z", "isni:a"]), min_size=4))
def test_rounding_reads_payees_only_between_lines_of_one_currency(
    lines: list[tuple[str, Any, str]], renamed: list[str]
) -> None:
    """Where `rounding_reads_payees` says no, the payees renamed give the same rounded
    parts and totals, in the same order (what lets `decide_table` give one row's rounded
    payments to the other rows of its class)."""
    from clausula.pricing import outcome_of, rounding_reads_payees

    if rounding_reads_payees(lines):
        return
    other = [(renamed[i], amount, rule) for i, (_, amount, rule) in enumerate(lines)]
    first, second = outcome_of(lines), outcome_of(other)
    assert [p[1:] for p in first.payments] == [p[1:] for p in second.payments]
    assert first.totals == second.totals
