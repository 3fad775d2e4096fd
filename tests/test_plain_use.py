"""The plain shape of a use (`clausula.plain_use`) gives exactly the `Use` that pydantic's
validation gives, and gives nothing (so that validation decides, and says what is wrong)
whenever validation refuses the use: on random valid and invalid uses, with and without a
policy set's vocabulary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import clausula
from clausula import parse_use
from clausula.models import Use
from clausula.plain_use import plain_use

REPO = Path(__file__).resolve().parents[1]


@cache
def _vocabulary() -> Any:
    return clausula.load(REPO / "policies").vocabulary


PARTIES = ["isni:0000000121032683", "isni:0000000368570205", "party:aria-labs", "ipi:00052210040"]
BAD_PARTIES = ["isni:0000000121032684", "party:", "aria-labs", "isrc:USUM71703861", "party:é", ""]
WORKS = ["isrc:USUM71703861", "iswc:T0345246801", "isrc:USEXL2500019"]
BAD_WORKS = ["isrc:USUM7170386", "party:aria-labs", "iswc:T0345246800"]
TEXT = st.one_of(
    st.sampled_from(["", "x", "training", "generation", "DE", "US-TN", "parody", "Germany"]),
    st.text(max_size=70),
    st.text(alphabet="ab\ud800", max_size=3),  # lone surrogates
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    TEXT,
    st.just([]),
    st.just({}),
    st.just(("tuple",)),
    st.decimals(allow_nan=True),
    st.just(dt.datetime(2026, 9, 1)),
)


def _often(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly `good` (so that many uses are valid), sometimes `bad` or junk."""
    return st.integers(0, 24).flatmap(lambda n: bad if n == 0 else JUNK if n == 1 else good)


party = _often(st.sampled_from(PARTIES), st.sampled_from(BAD_PARTIES))
work = _often(st.sampled_from(WORKS), st.sampled_from(BAD_WORKS))
amount = _often(
    st.sampled_from(["0", "1200", "1200.00", "0.5", "12.345", "1000000000000000", "9" * 17]),
    st.sampled_from(["-1", "1e3", "NaN", "1,00", " 1", "0x10", "١٢", "1" * 41, "0." + "0" * 39]),
)
currency = _often(
    st.sampled_from(["USD", "EUR", "JPY", "KWD"]),
    st.sampled_from(["usd", "EURO", "XXZ", "US", "USD" * 30]),
)
weight = _often(
    st.sampled_from(["0", "0.6", "0.4", "1", "1.0", "0.25"]),
    st.sampled_from(["1.5", "-0.1", "0." + "1" * 30, "2"]),
)
date = _often(
    st.one_of(st.dates().map(dt.date.isoformat), st.dates()),
    st.sampled_from(
        ["2026-02-30", "2026-9-01", "20260901", "2026-09-01T00:00:00", "0000-01-01", "2026-09-01 "]
    ),
)
count = _often(st.integers(0, 10**6), st.sampled_from([-1, 10**16, 1.0, True, "5"]))
flags = st.dictionaries(
    st.sampled_from(
        ["synthetic_audio", "public", "digital_replica", "names_artist", "labelled_ai", "loud"]
    ),
    _often(st.booleans(), st.sampled_from([0, 1, "true"])),
    max_size=3,
)
money = _often(
    st.fixed_dictionaries({"amount": amount, "currency": currency}),
    st.fixed_dictionaries({"amount": amount}, optional={"currency": currency, "rate": amount}),
)
metrics = st.one_of(
    st.fixed_dictionaries({"revenue": money}),  # what most uses send: a memo of its own
    st.fixed_dictionaries(
        {},
        optional={
            "revenue": st.one_of(st.none(), money),
            "generations": count,
            "streams": count,
            "views": count,
        },
    ),
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(st.none(), TEXT, st.just("u" * 129)),
    "works": _often(st.lists(work, max_size=3), st.just("isrc:USUM71703861")),
    "artists": _often(st.lists(party, max_size=3), st.just(PARTIES[0])),
    "attribution": _often(
        st.dictionaries(st.sampled_from(PARTIES + BAD_PARTIES) | TEXT, weight, max_size=3),
        st.just([PARTIES[0]]),
    ),
    "output": _often(flags, st.just(None)),
    "context": _often(
        st.lists(st.sampled_from(["parody", "news_reporting", "satire"]), max_size=2), TEXT
    ),
    "commercial": _often(st.booleans(), st.sampled_from([0, 1, "yes"])),
    "metrics": _often(metrics, st.just(None)),
    "facts": _often(st.just({}), st.dictionaries(st.sampled_from(["age", "x"]), JUNK, max_size=2)),
    "territory_of_use": TEXT,  # not a field
}
REQUIRED = {
    "date": date,
    "licensee": party,
    "purpose": _often(st.sampled_from(["training", "generation", "fine_tuning"]), TEXT),
    "territory": _often(st.sampled_from(["DE", "US", "US-TN", "GB", "XX"]), TEXT),
}
OPTIONAL = {name: field for name, field in FIELDS.items() if name != "territory_of_use"}
uses = st.one_of(
    st.fixed_dictionaries(REQUIRED, optional=OPTIONAL),
    st.fixed_dictionaries(REQUIRED, optional=OPTIONAL),
    st.fixed_dictionaries(REQUIRED, optional=OPTIONAL),
    st.fixed_dictionaries({}, optional={**REQUIRED, **FIELDS}),
)


def _same(a: Any, b: Any) -> None:
    """Equal values of equal types, models with the same fields set, all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set
        assert list(a.__dict__) == list(b.__dict__)
        for name in a.__dict__:
            _same(a.__dict__[name], b.__dict__[name])
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, Decimal):
        assert str(a) == str(b)
    else:
        assert a == b


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(use=uses, with_vocabulary=st.booleans())
def test_plain_shape_agrees_with_validation(use: dict[str, Any], with_vocabulary: bool) -> None:
    vocabulary = _vocabulary() if with_vocabulary else None
    plain = plain_use(use, vocabulary)
    context = {"vocabulary": vocabulary} if vocabulary is not None else None
    try:
        validated = Use.model_validate(use, context=context)
    except ValidationError:
        assert plain is None, use
        return
    if plain is not None:
        _same(plain, validated)
        assert plain.model_dump_json() == validated.model_dump_json()


def test_the_common_shapes_take_the_plain_path() -> None:
    """The uses of the docs and the peers benchmark are plain (else the path is useless)."""
    vocabulary = _vocabulary()
    common = [
        {
            "date": "2026-09-01",
            "licensee": "party:aria-labs",
            "purpose": "training",
            "territory": "DE",
            "artists": [PARTIES[0]],
            "metrics": {"revenue": {"amount": "13.5", "currency": "USD"}},
        },
        {
            "id": "gen-de",
            "date": "2026-09-01",
            "licensee": "party:aria-labs",
            "purpose": "generation",
            "territory": "DE",
            "attribution": {PARTIES[0]: "0.6", PARTIES[1]: "0.4"},
            "output": {"synthetic_audio": True, "public": True},
            "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}, "generations": 40000},
        },
    ]
    for use in common:
        plain = plain_use(use, vocabulary)
        assert plain is not None
        _same(plain, Use.model_validate(use, context={"vocabulary": vocabulary}))
        assert parse_use(use, vocabulary) == plain


def test_a_memo_forgets_everything_when_full() -> None:
    """The memos of `plain_use` stay within their bound whatever the uses, and a value
    forgotten is computed again, the same."""
    from clausula.plain_use import _Memo

    calls: list[str] = []

    def length(text: str) -> int:
        calls.append(text)
        return len(text)

    memo: _Memo[str, int] = _Memo(length, 3)
    assert [memo[t] for t in ("a", "bb", "ccc", "a")] == [1, 2, 3, 1]
    assert calls == ["a", "bb", "ccc"]
    assert memo["dddd"] == 4  # full: forgets the three it holds
    assert len(memo) == 1
    assert memo["a"] == 1 and calls[-1] == "a"


def test_long_text_never_becomes_a_memo_key() -> None:
    """Text longer than a field's limit is refused before any memo holds it."""
    from clausula import plain_use as shape

    long = "isni:" + "0" * 200
    use = {"date": "2026-09-01" + " " * 90, "licensee": long, "purpose": "training"}
    assert plain_use({**use, "territory": "DE" * 50}, _vocabulary()) is None
    plain = {"date": "2026-09-01", "licensee": PARTIES[0], "purpose": "training", "territory": "DE"}
    for revenue in (
        {"amount": "1" * 100, "currency": "USD"},
        {"amount": "1", "currency": "USD" * 30},
    ):
        assert plain_use({**plain, "metrics": {"revenue": revenue}}) is None
    memos = (shape._PLAIN_PARTIES, shape._PLAIN_DATES, shape._PLAIN_TERRITORIES)
    assert all(len(key) <= 128 for memo in memos for key in memo)
    assert all(len(a) <= 40 and len(c) == 3 for a, c in shape._REVENUES_ONLY)


def test_a_key_the_model_does_not_know_leaves_the_plain_path() -> None:
    """`plain_request` counts the fields it reads against the object's length: a key that is
    no field (of any type, or a field's name in another case) sends the use to pydantic,
    which refuses it; a `"id": null` counts as given."""
    plain = {"date": "2026-09-01", "licensee": PARTIES[0], "purpose": "training", "territory": "DE"}
    assert plain_use(plain) is not None
    assert plain_use({**plain, "id": None}) is not None
    assert plain_use({**plain, "id": None}).model_fields_set == {*plain, "id"}  # type: ignore[union-attr]
    for odd in ({1: "x"}, {"Territory": "DE"}, {"facts ": {}}, {None: None}):
        use = {**plain, **odd}
        assert plain_use(use) is None, odd
        with pytest.raises(ValidationError):
            Use.model_validate(use)
