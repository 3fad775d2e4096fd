"""Hostile JSON uses through every reader of uses: no traceback, ever.

Each example is a well-formed use of the shipped policies with one hostile fragment put
in one field: deep nesting, huge integers, exponents, `NaN`/`Infinity`, lone surrogates,
duplicate keys, ids with random check characters, random currency strings, random text.
`parse_use_json`, `read_uses`, `PolicySet.decide`/`decide_many` and `clausula eval -` must
each either decide the use (a decision that serialises) or refuse it with a `UseError`
whose problems carry JSON Pointers — nothing else. The budget is small and fixed.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clausula
from clausula import PolicySet, UseError, parse_use_json, read_uses
from clausula.cli import app
from clausula.models import Use

REPO = Path(__file__).resolve().parents[2]
RAW = "__raw_fragment__"
BASE: dict[str, Any] = {
    "id": "fuzz",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "DE",
    "works": ["isrc:USUM71703861"],
    "artists": [],
    "attribution": {"isni:0000000121032683": "0.6", "isni:0000000368570205": "0.4"},
    "output": {"synthetic_audio": True, "public": True},
    "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}, "generations": 40000},
    "facts": {},
}
# Where a fragment goes: a path of keys (a list index as an int; "{key}" for a new key).
PLACES: list[tuple[Any, ...]] = [
    ("id",),
    ("licensee",),
    ("territory",),
    ("works", 0),
    ("artists",),
    ("attribution", "{key}"),
    ("metrics", "revenue", "amount"),
    ("metrics", "revenue", "currency"),
    ("metrics", "generations"),
    ("metrics", "streams"),
    ("facts", "{key}"),
    ("context",),
]


def _json_string(text: str) -> str:
    """A JSON string literal; lone surrogates become `\\uXXXX` escapes, as a hostile
    client would write them."""
    return json.dumps(text, ensure_ascii=True)


def _check_char() -> st.SearchStrategy[str]:
    return st.sampled_from(string.digits + "X")


# Fragments of raw JSON text, each hostile in one way.
deep = st.builds(
    lambda n, opener: opener * n + {"[": "]", '{"a":': "}"}[opener] * n,
    st.integers(min_value=30, max_value=3_000),
    st.sampled_from(["[", '{"a":']),
).map(lambda text: text.replace('{"a":}', '{"a":1}'))
huge_int = st.integers(min_value=30, max_value=6_000).map(lambda n: "9" * n)
exponent = st.builds(
    lambda m, e, quoted: f'"{m}e{e}"' if quoted else f"{m}e{e}",
    st.integers(min_value=-9, max_value=9),
    st.integers(min_value=-400, max_value=400),
    st.booleans(),
)
constants = st.sampled_from(["NaN", "Infinity", "-Infinity", '"NaN"', '"Infinity"', '"-0"'])
surrogate = st.builds(
    lambda prefix, code: _json_string(prefix + chr(code)),
    st.sampled_from(["", "isni:", "isrc:", "party:", "x"]),
    st.integers(min_value=0xD800, max_value=0xDFFF),
)
bad_id = st.one_of(
    st.builds(
        lambda body, c: f'"isni:{body}{c}"',
        st.from_regex(r"[0-9]{15}", fullmatch=True),
        _check_char(),
    ),
    st.builds(
        lambda body, c: f'"iswc:T{body}{c}"',
        st.from_regex(r"[0-9]{9}", fullmatch=True),
        _check_char(),
    ),
    st.builds(lambda body: f'"ipi:{body}"', st.from_regex(r"[0-9]{11}", fullmatch=True)),
    st.builds(lambda body: f'"isrc:{body}"', st.from_regex(r"[A-Z0-9]{10,13}", fullmatch=True)),
    st.text(max_size=12).map(lambda body: _json_string("party:" + body)),
)
currency = st.text(max_size=6).map(_json_string)
amount_text = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(lambda d: _json_string(str(d))),
    st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{0,8})?", fullmatch=True).map(_json_string),
)
unicode_text = st.text(max_size=40).map(_json_string)
numbers = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)).map(json.dumps)
fragment = st.one_of(
    deep,
    huge_int,
    exponent,
    constants,
    surrogate,
    bad_id,
    currency,
    amount_text,
    unicode_text,
    numbers,
)


def _place(use: dict[str, Any], path: tuple[Any, ...], key: str) -> None:
    target: Any = use
    for part in path[:-1]:
        target = target[part]
    last = path[-1]
    if last == "{key}":
        target[key] = RAW
    elif isinstance(target, list) and isinstance(last, int):
        target[last] = RAW
    else:
        target[last] = [RAW] if last in ("artists", "context") else RAW


@st.composite
def hostile_uses(draw: st.DrawFn) -> str:
    """A use as JSON text with one hostile fragment, and sometimes a duplicated key."""
    use = json.loads(json.dumps(BASE))
    place = draw(st.sampled_from(PLACES))
    key = draw(
        st.one_of(st.sampled_from(["isni:0000000121032683", "n"]), surrogate.map(json.loads))
    )
    _place(use, place, key)
    text = json.dumps(use, ensure_ascii=True).replace(json.dumps(RAW), draw(fragment))
    if draw(st.booleans()):  # duplicate a top-level key
        name = draw(st.sampled_from(["id", "date", "metrics", "purpose"]))
        text = text[:-1] + f", {json.dumps(name)}: {json.dumps(BASE[name])}}}"
    return text


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return clausula.load(REPO / "policies")


def _assert_located(error: UseError) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.pointer == "" or problem.pointer.startswith(("/", "line ")), problem
        assert problem.message
    str(error).encode("utf-8")  # printable: no lone surrogate in what is shown


def _decide_or_refuse(policy: PolicySet, text: str) -> None:
    try:
        use = parse_use_json(text)
    except UseError as error:
        _assert_located(error)
        return
    assert isinstance(use, Use)
    try:
        decision = policy.decide(use)
    except UseError as error:
        _assert_located(error)
        return
    json.loads(decision.to_json().encode("utf-8"))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_uses())
def test_hostile_uses_are_decided_or_refused_with_a_pointer(policy: PolicySet, text: str) -> None:
    _decide_or_refuse(policy, text)
    for item in read_uses(text):  # the same text as a document, and as JSON Lines
        if isinstance(item, UseError):
            _assert_located(item)
    for item in read_uses(text + "\n" + text):
        if isinstance(item, UseError):
            _assert_located(item)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(hostile_uses(), min_size=1, max_size=4))
def test_hostile_arrays_of_uses_through_decide_many(policy: PolicySet, texts: list[str]) -> None:
    uses = [u for u in read_uses("[" + ",".join(texts) + "]") if isinstance(u, Use)]
    try:
        decisions = policy.decide_many(uses)
    except UseError as error:  # a use the policy's vocabulary refuses (`/territory`)
        _assert_located(error)
        return
    for decision in decisions:
        json.loads(decision.to_json())


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_uses())
def test_eval_answers_hostile_uses_without_a_traceback(text: str) -> None:
    runner = CliRunner(env={"NO_COLOR": "1"})
    result = runner.invoke(
        app, ["eval", "-", "--json", "--policies", str(REPO / "policies")], input=text
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert '"pointer"' in result.output or "/" in result.output


def _filled(value: Any, text: str) -> Any:
    """`value` with every `RAW` (a key or a value) replaced by `text`."""
    if isinstance(value, dict):
        return {(text if k == RAW else k): _filled(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, text) for v in value]
    return text if value == RAW else value


@st.composite
def surrogate_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A use as a Python caller builds it (a dict, not JSON text) with a lone surrogate in
    one string: a value or a key, in any field. JSON text never carries one that far (the
    reader refuses it first); a `str` in Python can."""
    use = json.loads(json.dumps(BASE))
    place = draw(st.sampled_from([*PLACES, ("purpose",), ("date",), ("output", "{key}")]))
    key = draw(st.sampled_from([RAW, "isni:0000000121032683", "n"]))
    _place(use, place, key)
    return _filled(use, json.loads(draw(surrogate)))  # type: ignore[no-any-return]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(use=surrogate_dicts())
def test_a_lone_surrogate_from_python_is_refused_with_a_pointer(
    policy: PolicySet, use: dict[str, Any]
) -> None:
    """Found by `test_plain_use`: a currency with a lone surrogate made pydantic raise
    `UnicodeEncodeError` (the validator's message quoted it) instead of refusing the use."""
    for decide in (policy.decide, lambda u: policy.decide_many([u])[0]):
        try:
            decision = decide(use)
        except UseError as error:
            _assert_located(error)
        else:
            json.loads(decision.to_json().encode("utf-8"))
