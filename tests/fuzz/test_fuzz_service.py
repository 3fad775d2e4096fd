"""Hostile bodies against every POST endpoint of the service, through the ASGI app: deep
JSON, huge numbers, lone surrogates, duplicate keys, random bytes, wrong content types,
oversized bodies, mutated uses. Zero 5xx, and every error is `application/problem+json`
with its status in the body. A fixed, derandomised budget keeps the suite fast.

Amounts and counts the money code cannot compute with (`1e30` revenue, 10^30 generations)
are refused where a use enters, by its limits (`clausula.limits`): a 422 naming the field.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula.reload import LivePolicies
from clausula.service import ServiceSettings, create_app

REPO = Path(__file__).resolve().parents[2]
LIMITS = ServiceSettings(max_body_bytes=16 * 1024, max_batch_bytes=32 * 1024, max_batch_uses=20)
ENDPOINTS = ["/v1/decide", "/v1/decide/batch", "/v1/check", "/v1/policy/reload"]
CONTENT_TYPES = [
    "application/json",
    "application/x-ndjson",
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "",
]
USE: dict[str, Any] = {
    "id": "gen-1",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "DE",
    "attribution": {"isni:0000000121032683": "0.6", "isni:0000000368570205": "0.4"},
    "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}},
}
BUDGET = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    policies = tmp_path_factory.mktemp("fuzz-service") / "policies"
    shutil.copytree(REPO / "policies", policies)
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    with TestClient(create_app(live, LIMITS), raise_server_exceptions=False) as client:
        yield client


def _assert_answer_is_honest(client: TestClient, path: str, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post(path, content=body, headers=headers)
    assert answer.status_code < 500, (path, body[:200], answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json", answer.text[:300]
        problem = answer.json()
        assert problem["status"] == answer.status_code and problem["title"]


# ------------------------------------------------------------------ generators


def _nested(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "array" else ('{"a":' * depth + "1" + "}" * depth)


deep_json = st.builds(
    _nested, st.integers(min_value=1, max_value=4000), st.sampled_from(["array", "object"])
)
huge_numbers = st.builds(
    lambda digits, field: json.dumps(USE)[:-1] + f', "{field}": ' + "9" * digits + "}",
    st.integers(min_value=30, max_value=6000),
    st.sampled_from(["id", "commercial", "metrics", "streams"]),
)
surrogate = st.integers(min_value=0xD800, max_value=0xDFFF).map(lambda c: f"\\u{c:04x}")
lone_surrogates = st.builds(
    lambda escape, place: {
        "id": json.dumps(USE).replace('"gen-1"', f'"g{escape}"'),
        "works": json.dumps({**USE, "works": ["isrc:USUM71703861", f"w{escape}"]}).replace(
            "\\\\u", "\\u"
        ),
        "key": json.dumps(USE).replace('"isni:0000000121032683"', f'"{escape}"'),
        "licensee": json.dumps(USE).replace('"party:aria-labs"', f'"p{escape}"'),
    }[place],
    surrogate,
    st.sampled_from(["id", "works", "key", "licensee"]),
)
duplicate_keys = st.sampled_from(["id", "territory", "purpose", "date"]).map(
    lambda key: json.dumps(USE)[:-1] + f', "{key}": ' + json.dumps(USE[key]) + "}"
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
).map(json.dumps)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.text(max_size=20)
    | st.lists(st.text(max_size=5), max_size=3)
)
mutated_uses = st.builds(
    lambda field, value: json.dumps({**USE, field: value}),
    st.sampled_from([*USE, "works", "output", "context", "facts", "commercial", "colour"]),
    scalars,
)
oversized = st.integers(
    min_value=LIMITS.max_batch_bytes + 1, max_value=3 * LIMITS.max_batch_bytes
).map(lambda size: json.dumps({**USE, "id": "x" * size}))
texts = (
    deep_json
    | huge_numbers
    | lone_surrogates
    | duplicate_keys
    | json_values
    | mutated_uses
    | oversized
)
bodies = texts.map(lambda text: text.encode("utf-8", "surrogatepass")) | st.binary(max_size=2000)


def _forms(text: bytes) -> list[tuple[bytes, str]]:
    """The body as itself, inside a batch array, as a JSON Lines line, and inside a check."""
    check = (
        b'{"files": [{"name": "a.clause", "text": '
        + json.dumps(text.decode("utf-8", "replace")).encode()
        + b"}]}"
    )
    return [(text, ""), (b"[" + text + b"]", ""), (text + b"\n" + text, "lines"), (check, "check")]


# ------------------------------------------------------------------ properties


@BUDGET
@given(body=bodies, path=st.sampled_from(ENDPOINTS), content_type=st.sampled_from(CONTENT_TYPES))
def test_no_hostile_body_gets_a_server_error(
    client: TestClient, body: bytes, path: str, content_type: str
) -> None:
    _assert_answer_is_honest(client, path, body, content_type)


@BUDGET
@given(body=texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_every_form_of_a_hostile_use_is_a_problem_or_a_decision(
    client: TestClient, body: bytes
) -> None:
    for form, kind in _forms(body):
        if kind == "check":
            _assert_answer_is_honest(client, "/v1/check", form, "application/json")
        elif kind == "lines":
            _assert_answer_is_honest(client, "/v1/decide/batch", form, "application/x-ndjson")
        else:
            _assert_answer_is_honest(client, "/v1/decide", form, "application/json")
            _assert_answer_is_honest(client, "/v1/decide/batch", form, "application/json")


# ------------------------------------------------------------------ beyond the limits of a use


@pytest.mark.parametrize(
    "metrics",
    [
        {"revenue": {"amount": "1e30", "currency": "USD"}},
        {"revenue": {"amount": "9" * 29, "currency": "USD"}},
        {"generations": 10**30},
    ],
    ids=["revenue-1e30", "revenue-29-digits", "generations-1e30"],
)
def test_huge_amounts_are_4xx(client: TestClient, metrics: dict[str, Any]) -> None:
    body = json.dumps({**USE, "metrics": metrics}).encode()
    for path, content in [("/v1/decide", body), ("/v1/decide/batch", b"[" + body + b"]")]:
        _assert_answer_is_honest(client, path, content, "application/json")
        answer = client.post(path, content=content, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422
        assert any("/metrics/" in item["pointer"] for item in answer.json()["errors"])


@pytest.mark.parametrize(
    "metrics",
    [{"revenue": {"amount": "1e30", "currency": "USD"}}, {"generations": 10**30}],
    ids=["revenue-1e30", "generations-1e30"],
)
def test_even_a_server_error_is_a_problem(client: TestClient, metrics: dict[str, Any]) -> None:
    """Whatever happens to them, the answer is problem+json, never text/plain."""
    answer = client.post("/v1/decide", json={**USE, "metrics": metrics})
    assert answer.status_code != 200
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == answer.status_code


# ------------------------------------------------------------------ the body reader itself

ordinary = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**38), max_value=10**38)  # within MAX_NUMBER_CHARS (40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=8), inner, max_size=4
        )
    ),
    max_leaves=40,
)


@BUDGET
@given(value=ordinary, ascii_only=st.booleans())
def test_the_reader_reads_ordinary_json_as_json_does(value: Any, ascii_only: bool) -> None:
    """Within the limits the reader is `json.loads`: it refuses nothing a use could hold."""
    from clausula.json_input import load_json

    text = json.dumps(value, ensure_ascii=ascii_only)
    assert load_json(text.encode("utf-8")) == json.loads(text)


@BUDGET
@given(
    depth=st.integers(min_value=1, max_value=200), digits=st.integers(min_value=1, max_value=200)
)
def test_the_reader_refuses_exactly_beyond_its_limits(depth: int, digits: int) -> None:
    from clausula.json_input import JSONProblems, load_json
    from clausula.limits import MAX_DEPTH, MAX_NUMBER_CHARS

    nested = ("[" * depth + "1" * digits + "]" * depth).encode()
    try:
        load_json(nested)
    except JSONProblems as error:
        assert depth > MAX_DEPTH or digits > MAX_NUMBER_CHARS
        [(pointer, message)] = error.problems
        if depth > MAX_DEPTH:  # the pointer names the array nested one too deep
            assert pointer == "/0" * MAX_DEPTH and f"the limit is {MAX_DEPTH}" in message
        else:
            assert pointer == "/0" * depth and f"the limit is {MAX_NUMBER_CHARS}" in message
    else:
        assert depth <= MAX_DEPTH and digits <= MAX_NUMBER_CHARS
