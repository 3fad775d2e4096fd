"""A use is validated where it enters (issue 11 item 2) and never crashes the decision path
(issue 12 item 1): ids with their check characters, money in an ISO 4217 currency to its
minor unit, explicit limits, hostile JSON — through the Python API, `eval` and the service.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clausula
from clausula import PolicySet, UseError, parse_use, parse_use_json, read_uses
from clausula.cli import app
from clausula.limits import MAX_AMOUNT, MAX_COUNT, MAX_DEPTH, MAX_NUMBER_CHARS
from clausula.money import equals_money, format_money
from clausula.reload import LivePolicies
from clausula.service import create_app

REPO = Path(__file__).resolve().parents[1]
A = "isni:0000000121032683"  # Marlowe Vance, in the shipped data
B = "isni:0000000368570205"
ARCENEAUX = "isni:0000000451273906"
UNREGISTERED = "isni:0000000121032691"  # a well-formed ISNI that no data file names
GENERATION: dict[str, Any] = {
    "id": "gen-1",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "US",
    # Both hold generation grants valid in the US (Arceneaux through her estate).
    "attribution": {A: "0.6", ARCENEAUX: "0.4"},
    "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}},
}


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return clausula.load(REPO / "policies")


def problems(use: dict[str, Any] | str, policy: PolicySet | None = None) -> dict[str, str]:
    """pointer → message of every problem of a use (JSON text or a mapping)."""
    with pytest.raises(UseError) as error:
        if isinstance(use, str):
            parsed = parse_use_json(use)
            if policy is not None:
                policy.decide(parsed)
        elif policy is not None:
            policy.decide(use)
        else:
            parse_use(use)
    return {p.pointer: p.message for p in error.value.problems}


def with_revenue(amount: Any, currency: Any = "USD") -> dict[str, Any]:
    return {**GENERATION, "metrics": {"revenue": {"amount": amount, "currency": currency}}}


# ----------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("fields", "pointer", "says"),
    [
        (
            {"attribution": {"isni:0000000121032684": "1"}},
            "/attribution/isni:0000000121032684",
            "3",
        ),
        ({"licensee": "party:Aria Labs"}, "/licensee", "lower-case"),
        ({"licensee": "aria-labs"}, "/licensee", "scheme prefix"),
        ({"works": ["isrc:USUM71703861", "isrc:USUM7170386"]}, "/works/1", "12 characters"),
        ({"works": [A]}, "/works/0", "does not identify a work"),
        ({"works": ["iswc:T0345246800"]}, "/works/0", "should end in 1"),
        ({"artists": ["ipi:00523879428"]}, "/artists/0", "check digits"),
        ({"artists": ["dpid:PADPIDA2024051501X"]}, "/artists/0", "check character"),
        ({"artists": ["isrc:USUM71703861"]}, "/artists/0", "does not identify a party"),
        (
            {"attribution": {"isni:0000000121032683 ": "1"}},
            "/attribution/isni:0000000121032683 ",
            "",
        ),
    ],
)
def test_a_malformed_id_is_an_error_at_its_field(
    policy: PolicySet, fields: dict[str, Any], pointer: str, says: str
) -> None:
    found = problems({**GENERATION, **fields}, policy)
    assert pointer in found, found
    assert says in found[pointer]


def test_an_attribution_key_pointer_escapes_slash_and_tilde() -> None:
    found = problems({**GENERATION, "attribution": {"party:a/b~c": "1"}})
    assert "/attribution/party:a~1b~0c" in found


def test_an_unknown_licensee_is_denied_and_the_nearest_is_named(policy: PolicySet) -> None:
    decision = policy.decide({**GENERATION, "licensee": "party:aria-lab"})
    assert decision.decision == "deny"
    messages = {r.effect: r.message for r in decision.reasons}
    assert "no contract licenses party:aria-lab" in messages["no-licence"]
    unknown = [r for r in decision.reasons if r.effect == "unknown-id"]
    assert [r.rule for r in unknown] == ["/licensee"]
    assert "did you mean party:aria-labs?" in unknown[0].message


def test_an_unregistered_artist_still_needs_consent(tmp_path: Path) -> None:
    """Under a contract whose scope is all works (the shipped ones cover one label's
    catalogue, outside which an unknown artist falls), consent is still asked of them."""
    target = tmp_path / "decide"
    shutil.copytree(REPO / "tests" / "fixtures" / "decide", target)
    clause = target / "licence.clause"
    text = clause.read_text(encoding="utf-8")
    clause.write_text(text.replace("scope catalogue of party:label", "scope all works"))
    policy = clausula.load(target)
    use = {
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US",
        "artists": [UNREGISTERED],
    }
    decision = policy.decide(use)
    assert decision.decision == "deny"
    missing = [r.message for r in decision.reasons if r.effect == "consent-missing"]
    # Asked twice: by the opt-in of everyone touched (clause 2) and for the voice (clause 3).
    assert missing == 2 * [
        f"no valid consent of {UNREGISTERED} for voice_replica in US: none is recorded"
    ]
    unknown = [r for r in decision.reasons if r.effect == "unknown-id"]
    assert [r.rule for r in unknown] == ["/artists/0"]
    assert "not a party in the data" in unknown[0].message


def test_a_work_outside_the_catalogue_is_named_and_not_licensed(policy: PolicySet) -> None:
    use = {**GENERATION, "purpose": "training", "works": ["isrc:QZX000000001"]}
    decision = policy.decide(use)
    assert decision.decision == "deny"
    assert [r.rule for r in decision.reasons if r.effect == "unknown-id"] == ["/works/0"]


def test_known_ids_add_no_reason(policy: PolicySet) -> None:
    decision = policy.decide(GENERATION)
    assert "unknown-id" not in {r.effect for r in decision.reasons}


# ----------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("amount", "currency", "pointer", "says"),
    [
        ("-5.00", "USD", "/metrics/revenue/amount", "negative"),
        ("NaN", "USD", "/metrics/revenue/amount", "not an amount"),
        ("Infinity", "USD", "/metrics/revenue/amount", "not an amount"),
        ("1e3", "USD", "/metrics/revenue/amount", "exponent"),
        ("10.005", "USD", "/metrics/revenue/amount", "more decimals than USD has (2)"),
        ("5.5", "JPY", "/metrics/revenue/amount", "more decimals than JPY has (0)"),
        (1000, "USD", "/metrics/revenue/amount", "decimal string"),
        ("1" + "0" * 28, "USD", "/metrics/revenue/amount", "at most"),
        ("1200.00", "EURO", "/metrics/revenue/currency", "did you mean `EUR`?"),
        ("1200.00", "usd", "/metrics/revenue/currency", "capitals"),
        ("1200.00", "XYZ", "/metrics/revenue/currency", "not an ISO 4217 currency code"),
    ],
)
def test_bad_money_is_refused_at_its_field(
    policy: PolicySet, amount: Any, currency: str, pointer: str, says: str
) -> None:
    found = problems(with_revenue(amount, currency), policy)
    assert pointer in found, found
    assert says in found[pointer]


def test_an_amount_is_written_to_the_minor_unit(policy: PolicySet) -> None:
    use = parse_use(with_revenue("1200"))
    assert use.metrics.revenue is not None
    assert str(use.metrics.revenue.amount) == "1200.00"
    assert str(parse_use(with_revenue("7", "KWD")).metrics.revenue.amount) == "7.000"  # type: ignore[union-attr]
    decision = policy.decide(with_revenue("1200"))
    assert "use.revenue 1200.00 USD" in decision.payments[0].basis


def test_format_money_is_to_the_minor_unit() -> None:
    assert format_money(Decimal("216.0000"), "USD") == "216.00 USD"
    assert format_money(Decimal("4.5"), "JPY") == "5 JPY"
    assert format_money(Decimal("1.25"), "KWD") == "1.250 KWD"
    assert equals_money(Decimal("216.0000"), "USD") == "= 216.00 USD"
    assert equals_money(Decimal(100) / 3, "USD") == "≈ 33.33 USD"


_BASIS_END = re.compile(r" [=≈] (\d+)\.(\d{2}) USD$")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cents=st.integers(min_value=0, max_value=10**9),
    thousandths=st.integers(min_value=0, max_value=1000),
)
def test_every_amount_of_a_decision_prints_to_the_minor_unit(
    policy: PolicySet, cents: int, thousandths: int
) -> None:
    weight = Decimal(thousandths) / 1000
    use = {
        **GENERATION,
        "attribution": {A: str(weight), B: str(1 - weight)},
        "metrics": {
            "revenue": {
                "amount": f"{cents / 100:.2f}" if cents < 10**6 else f"{Decimal(cents) / 100}",
                "currency": "USD",
            }
        },
    }
    decision = json.loads(policy.decide(use).to_json())
    for item in [*decision["payments"], *decision["totals"]]:
        assert re.fullmatch(r"\d+\.\d{2}", item["amount"]), item
    for payment in decision["payments"]:
        match = _BASIS_END.search(payment["basis"])
        assert match, payment["basis"]
        shown = Decimal(f"{match[1]}.{match[2]}")
        assert abs(shown - Decimal(payment["amount"])) <= Decimal("0.01")


# ----------------------------------------------------------------- several problems at once


def test_every_bad_field_is_reported_in_one_answer(policy: PolicySet) -> None:
    use = {
        **GENERATION,
        "licensee": "aria-labs",
        "works": ["isrc:XX"],
        "attribution": {"isni:0000000121032684": "1"},
        "metrics": {
            "revenue": {"amount": "1e3", "currency": "EURO"},
            "generations": 10**30,
        },
    }
    found = problems(use, policy)
    assert set(found) >= {
        "/licensee",
        "/works/0",
        "/attribution/isni:0000000121032684",
        "/metrics/revenue/amount",
        "/metrics/revenue/currency",
        "/metrics/generations",
    }


# ----------------------------------------------------------------- hostile JSON and limits


def test_deep_nesting_is_a_problem_not_a_recursion_error(policy: PolicySet) -> None:
    for depth in (MAX_DEPTH + 1, 1_000, 100_000):
        text = '{"facts": {"x": ' + "[" * depth + "]" * depth + "}}"
        [(pointer, message)] = problems(text).items()
        assert "nested more than" in message
        # The place where it goes too deep; "" when even the parser could not follow it.
        assert pointer == "" or pointer.startswith("/facts/x/0")
    # A use that nests as a use does is fine.
    parse_use_json(json.dumps(GENERATION))


def test_a_huge_integer_names_the_field_and_the_limit() -> None:
    text = json.dumps(GENERATION)[:-1] + ', "facts": {"n": ' + "9" * 5_000 + "}}"
    found = problems(text)
    assert found == {"/facts/n": f"a number of 5000 characters; the limit is {MAX_NUMBER_CHARS}"}


@pytest.mark.parametrize(
    ("metrics", "pointer"),
    [
        ({"generations": 1e30}, "/metrics/generations"),
        ({"generations": 10**30}, "/metrics/generations"),
        ({"streams": MAX_COUNT + 1}, "/metrics/streams"),
        ({"revenue": {"amount": "1" + "0" * 28, "currency": "USD"}}, "/metrics/revenue/amount"),
        ({"revenue": {"amount": "1e30", "currency": "USD"}}, "/metrics/revenue/amount"),
        (
            {"revenue": {"amount": str(MAX_AMOUNT + 1), "currency": "USD"}},
            "/metrics/revenue/amount",
        ),
    ],
)
def test_huge_counts_and_amounts_are_problems(
    policy: PolicySet, metrics: dict[str, Any], pointer: str
) -> None:
    found = problems(json.dumps({**GENERATION, "metrics": metrics}), policy)
    assert pointer in found


def test_the_largest_amount_and_count_are_decided(policy: PolicySet) -> None:
    use = {
        **GENERATION,
        "metrics": {
            "revenue": {"amount": f"{MAX_AMOUNT}.00", "currency": "USD"},
            "generations": MAX_COUNT,
        },
    }
    decision = policy.decide(use)
    assert decision.decision == "pay"


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "\\ud800", "date": "2026-09-01", "licensee": "party:aria-labs", "purpose": "generation", "territory": "DE"}',
        '{"id": "a", "date": "2026-09-01", "licensee": "party:aria-labs", "purpose": "training", "territory": "DE", "works": ["isrc:\\udc00"]}',
        '{"id": "a", "date": "2026-09-01", "licensee": "party:aria-labs", "purpose": "generation", "territory": "DE", "attribution": {"isni:\\ud800": "1"}}',
    ],
)
def test_lone_surrogates_are_problems_that_can_be_printed(policy: PolicySet, text: str) -> None:
    with pytest.raises(UseError) as error:
        policy.decide(parse_use_json(text))
    printed = str(error.value)
    printed.encode("utf-8")  # no lone surrogate left in what is shown
    assert "surrogate" in printed


def test_a_lone_surrogate_from_python_is_refused_too(policy: PolicySet) -> None:
    found = problems({**GENERATION, "id": "x\ud800"}, policy)
    assert "surrogate" in found["/id"]
    found = problems({**GENERATION, "facts": {"note": "\udfff"}})
    assert "/facts/note" in found


def test_a_surrogate_pair_is_a_character(policy: PolicySet) -> None:
    decision = policy.decide(parse_use_json(json.dumps({**GENERATION, "id": "ok \U0001f3b5"})))
    assert decision.id == "ok \U0001f3b5"


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ('{"date": "2026-09-01", "date": "2026-09-02"}', "/date"),
        ('{"metrics": {"streams": 1, "streams": 2}}', "/metrics/streams"),
    ],
)
def test_duplicate_keys_are_refused(text: str, pointer: str) -> None:
    found = problems(text)
    assert "more than once" in found[pointer]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_numbers_are_refused(literal: str) -> None:
    found = problems('{"facts": {"x": ' + literal + "}}")
    assert "/facts/x" in found


def test_long_strings_and_lists_are_refused() -> None:
    found = problems({**GENERATION, "id": "x" * 1_000, "context": ["news"] * 100})
    assert {"/id", "/context"} <= set(found)


def test_read_uses_decides_the_good_uses_of_an_array() -> None:
    good = json.dumps(GENERATION)
    text = "[" + good + ', {"id": "b", "id": "c"}, ' + good + "]"
    results = list(read_uses(text))
    assert [type(r).__name__ for r in results] == ["Use", "UseError", "Use"]
    bad = results[1]
    assert isinstance(bad, UseError)
    assert bad.problems[0].pointer == "/1/id"


def test_read_uses_reads_json_lines_through_the_same_reader() -> None:
    deep = "[" * 2_000 + "]" * 2_000
    results = list(read_uses(json.dumps(GENERATION) + "\n" + deep + "\n"))
    assert isinstance(results[0], clausula.Use)
    assert isinstance(results[1], UseError)
    assert results[1].problems[0].pointer.startswith("line 2")


def test_a_json_file_is_one_document(tmp_path: Path) -> None:
    results = list(read_uses(json.dumps(GENERATION) + "\n" + json.dumps(GENERATION), lines=False))
    assert len(results) == 1 and isinstance(results[0], UseError)


# ----------------------------------------------------------------- the CLI and the service


HOSTILE = [
    "[" * 1_000 + "]" * 1_000,
    '{"metrics": {"generations": ' + "1" * 5_000 + "}}",
    json.dumps({**GENERATION, "metrics": {"revenue": {"amount": "1e30", "currency": "USD"}}}),
    json.dumps({**GENERATION, "metrics": {"generations": 10**30}}),
    json.dumps({**GENERATION, "id": "\ud800"}),
    json.dumps(GENERATION)[:-1] + ', "id": "again"}',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_eval_reports_hostile_input_without_a_traceback(text: str) -> None:
    runner = CliRunner(env={"NO_COLOR": "1"})
    result = runner.invoke(app, ["eval", "-", "--policies", str(REPO / "policies")], input=text)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "/" in result.output


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("text", HOSTILE)
async def test_the_service_answers_hostile_input_with_a_problem(text: str) -> None:
    live = LivePolicies(policies=REPO / "policies")
    assert live.reload(force=True)
    transport = httpx.ASGITransport(app=create_app(live))
    async with httpx.AsyncClient(transport=transport, base_url="http://clausula") as client:
        for path, body in (
            ("/v1/decide", text),
            ("/v1/decide/batch", "[" + text + "]"),
        ):
            answer = await client.post(
                path, content=body.encode("utf-8"), headers={"content-type": "application/json"}
            )
            assert answer.status_code in (400, 413, 422), (path, answer.status_code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert problem["errors"], problem


@pytest.fixture(scope="module")
def with_facts(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    """The decide fixture with a money fact and a number fact in its vocabulary."""
    target = tmp_path_factory.mktemp("facts") / "decide"
    shutil.copytree(REPO / "tests" / "fixtures" / "decide", target)
    vocabulary = (REPO / "policies" / "vocabulary.clause").read_text(encoding="utf-8")
    vocabulary += '  fact fee: money "A fee"\n  fact size: number "A size"\n'
    (target / "vocabulary.clause").write_text(vocabulary, encoding="utf-8")
    return clausula.load(target)


@pytest.mark.parametrize(
    ("facts", "pointer"),
    [
        ({"fee": "1e30 USD"}, "/facts/fee"),
        ({"fee": "10.005 USD"}, "/facts/fee"),
        ({"fee": "-1.00 USD"}, "/facts/fee"),
        ({"fee": "1.00 EURO"}, "/facts/fee"),
        ({"size": "1e30"}, "/facts/size"),
        ({"size": "NaN"}, "/facts/size"),
        ({"size": 10**20}, "/facts/size"),
    ],
)
def test_money_and_number_facts_obey_the_same_rules(
    with_facts: PolicySet, facts: dict[str, Any], pointer: str
) -> None:
    use = {
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "US",
        "facts": facts,
    }
    assert pointer in problems(use, with_facts)
    # A fact within the rules is decided.
    good = {**use, "facts": {"fee": "12.50 USD", "size": "1.5"}}
    with_facts.decide(good)


@pytest.mark.anyio
async def test_json_lines_batches_use_the_same_reader() -> None:
    live = LivePolicies(policies=REPO / "policies")
    assert live.reload(force=True)
    transport = httpx.ASGITransport(app=create_app(live))
    body = json.dumps(GENERATION) + "\n" + "[" * 5_000 + "]" * 5_000 + "\n"
    async with httpx.AsyncClient(transport=transport, base_url="http://clausula") as client:
        answer = await client.post(
            "/v1/decide/batch",
            content=body.encode("utf-8"),
            headers={"content-type": "application/x-ndjson"},
        )
    assert answer.status_code == 400, answer.text
    errors = answer.json()["errors"]
    assert [(e["pointer"], e["line"]) for e in errors] == [("/1", 2)]
    assert "nested more than" in errors[0]["detail"]


@pytest.mark.parametrize("text", HOSTILE[:2] + HOSTILE[-1:])
def test_explain_reads_a_use_through_the_same_reader(text: str, tmp_path: Path) -> None:
    path = tmp_path / "use.json"
    path.write_text(text, encoding="utf-8")
    runner = CliRunner(env={"NO_COLOR": "1"})
    result = runner.invoke(app, ["explain", str(path), "--policies", str(REPO / "policies")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_use_over_the_size_limit_is_refused_unread() -> None:
    from clausula.limits import MAX_USE_BYTES

    text = json.dumps({**GENERATION, "id": "é" * (MAX_USE_BYTES // 2)}, ensure_ascii=False)
    assert len(text) < MAX_USE_BYTES < len(text.encode("utf-8"))
    assert "bytes of JSON (the limit)" in problems(text)[""]


# ----------------------------------------------------------------- every problem in one answer

EVERYTHING_WRONG = {
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "trainin",
    "territory": "Germany",
    "context": ["parodi"],
    "works": ["isrc:USUM7170386X"],
    "facts": {"gpai_eu_markt": True},
    "metrics": {"revenue": {"amount": "1e3", "currency": "EURO"}},
}
EVERY_POINTER = {
    "/purpose",
    "/territory",
    "/context/0",
    "/works/0",
    "/facts/gpai_eu_markt",
    "/metrics/revenue/amount",
    "/metrics/revenue/currency",
}


def test_names_and_fields_are_wrong_together_in_one_answer(policy: PolicySet) -> None:
    """The policy's vocabulary (purpose, territory, contexts, facts) is checked with the
    other fields, so a caller fixes everything in one round: API, `eval` and the service."""
    with pytest.raises(UseError) as raised:
        policy.decide(EVERYTHING_WRONG)
    assert {p.pointer for p in raised.value.problems} == EVERY_POINTER
    messages = " ".join(p.message for p in raised.value.problems)
    for hint in ("`training`", "DE", "`parody`", "`EUR`", "`gpai_eu_market`"):
        assert hint in messages
    result = CliRunner().invoke(
        app, ["eval", "-", "--policies", str(REPO / "policies")], input=json.dumps(EVERYTHING_WRONG)
    )
    assert result.exit_code == 1
    for pointer in EVERY_POINTER:
        assert f"{pointer}:" in result.output

    async def ask() -> httpx.Response:
        live = LivePolicies(policies=REPO / "policies")
        assert live.reload(force=True)
        transport = httpx.ASGITransport(app=create_app(live))
        async with httpx.AsyncClient(transport=transport, base_url="http://clausula") as client:
            return await client.post("/v1/decide", json=EVERYTHING_WRONG)

    import anyio

    answer = anyio.run(ask)
    assert answer.status_code == 422
    assert {item["pointer"] for item in answer.json()["errors"]} == EVERY_POINTER


class _NoScan(dict[str, object]):
    """Known ids that may be looked up but never walked through."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the known ids were scanned")

    def keys(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the known ids were scanned")


@settings(max_examples=60, deadline=None)
@given(
    body=st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20),
    typo=st.sampled_from(["drop", "add", "change", "swap"]),
    at=st.integers(0, 19),
)
def test_the_nearest_id_is_one_typo_away_and_found_without_scanning(
    body: str, typo: str, at: int
) -> None:
    """A typo of a known id (dropped, added, changed or swapped character) names it; the
    known ids are only looked up, never walked through, so the cost of an unknown id does
    not grow with the catalogue."""
    from clausula.unknown_ids import nearest

    known = f"party:{body}"
    i = at % len(body)
    typed = {
        "drop": body[:i] + body[i + 1 :],
        "add": body[:i] + "q" + body[i:],
        "change": body[:i] + ("q" if body[i] != "q" else "z") + body[i + 1 :],
        "swap": body[:i] + body[i + 1 : i + 2] + body[i] + body[i + 2 :],
    }[typo]
    if not typed or typed == body:
        return
    ids = _NoScan({known: None, "party:unrelated-name-far-away": None})
    assert nearest(f"party:{typed}", ids) == known


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet="0123X", min_size=0, max_size=8))
def test_the_ids_one_typo_away_are_every_drop_add_change_and_swap(body: str) -> None:
    """`_one_typo_away` gives exactly the ids one edit from the body (a character dropped,
    added or changed, or two neighbours swapped), the body itself aside — the set a
    brute-force walk over the edits gives."""
    from clausula.unknown_ids import _one_typo_away

    alphabet = "0123X"
    want = set()
    for i in range(len(body) + 1):
        want |= {body[:i] + c + body[i:] for c in alphabet}
        if i < len(body):
            want.add(body[:i] + body[i + 1 :])
            want |= {body[:i] + c + body[i + 1 :] for c in alphabet}
        if i + 1 < len(body):
            want.add(body[:i] + body[i + 1] + body[i] + body[i + 2 :])
    got = _one_typo_away("isni:", body, alphabet)
    assert {g.removeprefix("isni:") for g in got} - {body} == want - {body}
    assert all(g.startswith("isni:") for g in got)


@given(
    digits=st.integers(0, 10**12),
    scale=st.integers(0, 5),
    currency=st.sampled_from(["USD", "JPY", "KWD", "EUR"]),
)
def test_an_amount_is_written_to_its_currencys_minor_unit_or_refused(
    digits: int, scale: int, currency: str
) -> None:
    """A revenue's amount is kept at the currency's minor unit: with fewer decimals it is
    written out to it (the same value), with as many it is kept as it is, with more (even
    trailing zeros: `1.230` USD) it is refused."""
    from clausula.models import _in_minor_unit
    from clausula.money import minor_digits

    amount = Decimal(digits).scaleb(-scale)
    found = _in_minor_unit(amount, currency)
    if scale > minor_digits(currency):
        assert found is None
    else:
        assert found == amount
        assert found is not None and found.as_tuple().exponent == -minor_digits(currency)


@settings(max_examples=300, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_no_valid_isni_is_one_typo_from_another(digits: str) -> None:
    """Why `nearest` looks up nothing for a valid ISNI: every id one typo away from it (a
    character dropped, added or changed, two neighbours swapped) is not a valid ISNI —
    and the known ids all are. (Its length is fixed; ISO 7064 Mod 11-2 catches every
    changed character and every swap of two different neighbours.)"""
    from stdnum.iso7064 import mod_11_2

    from clausula.identifiers import isni_is_valid
    from clausula.unknown_ids import _ALPHABETS, _one_typo_away, nearest

    body = digits + mod_11_2.calc_check_digit(digits)
    assert isni_is_valid(body)
    neighbours = {
        n.removeprefix("isni:") for n in _one_typo_away("isni:", body, _ALPHABETS["isni"])
    }
    assert not any(isni_is_valid(n) for n in neighbours - {body})
    assert nearest(f"isni:{body}", {f"isni:{n}" for n in neighbours - {body}}) is None
