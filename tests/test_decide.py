"""Each rule of the decision procedure, on the small policy set in tests/fixtures/decide."""

from __future__ import annotations

import gc
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula import Decision, PolicySet, UseError

FIXTURE = Path(__file__).parent / "fixtures" / "decide"
A = "isni:0000000121032683"  # consents to training, generation, voice (with counsel)
B = "isni:0000000368570205"  # consent to training in the US, in writing but unsigned
C = "isni:0000000520744186"  # consent to training in the US, revoked on 2026-06-01
WORK_A, WORK_B, WORK_C = "isrc:USEXL2400102", "isrc:DEEXL2500217", "isrc:GBEXL2400530"
OTHER_LABEL_WORK = "isrc:QZIND2400007"


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return clausula.load(FIXTURE)


def use(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "u",
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "US-TN",
        "works": [WORK_A],
    }
    base.update(fields)
    return base


def effects(decision: Decision) -> list[str]:
    return [r.effect for r in decision.reasons]


def reason(decision: Decision, effect: str) -> str:
    return " | ".join(r.message for r in decision.reasons if r.effect == effect)


# ----------------------------------------------------------------- opt-in and licences


def test_a_consented_use_is_licensed_and_paid(policy: PolicySet) -> None:
    decision = policy.decide(use(metrics={"streams": 50}))
    assert decision.decision == "pay"
    assert decision.payments[0].amount == Decimal("50.00")
    assert decision.policy.contracts == ["c-main"]
    assert "consent-met" in effects(decision)


def test_unknown_licensee_is_denied_by_default(policy: PolicySet) -> None:
    decision = policy.decide(use(licensee="party:stranger"))
    assert decision.decision == "deny"
    assert "no contract licenses party:stranger" in reason(decision, "no-licence")
    assert decision.payments == [] and decision.totals == []


def test_a_purpose_the_contract_does_not_permit_is_denied(policy: PolicySet) -> None:
    decision = policy.decide(use(purpose="sampling"))
    assert decision.decision == "deny"
    assert "does not permit sampling" in reason(decision, "no-licence")


def test_work_outside_the_scope_is_not_licensed(policy: PolicySet) -> None:
    decision = policy.decide(use(works=[WORK_A, OTHER_LABEL_WORK]))
    assert decision.decision == "deny"
    assert "outside the catalogue of party:label" in reason(decision, "no-licence")


def test_expired_and_not_yet_started_terms(policy: PolicySet) -> None:
    after = policy.decide(use(date="2027-01-01"))
    before = policy.decide(use(date="2025-12-31"))
    last_day = policy.decide(use(date="2026-12-31"))
    assert after.decision == before.decision == "deny"
    assert "term ended on 2026-12-31" in reason(after, "no-licence")
    assert "term starts on 2026-01-01" in reason(before, "no-licence")
    assert last_day.decision == "allow"


# ----------------------------------------------------------------- territories


def test_subdivision_is_within_its_country(policy: PolicySet) -> None:
    assert policy.decide(use(territory="US-CA")).decision == "allow"


def test_territory_exception_is_outside(policy: PolicySet) -> None:
    decision = policy.decide(use(territory="DE"))
    assert decision.decision == "deny"
    assert "DE is outside its territory (US, EU except DE)" in reason(decision, "no-licence")
    assert policy.decide(use(territory="FR")).decision == "allow"


def test_territory_never_licensed(policy: PolicySet) -> None:
    assert policy.decide(use(territory="JP")).decision == "deny"


# ----------------------------------------------------------------- consent


def test_consent_formalities_are_checked(policy: PolicySet) -> None:
    decision = policy.decide(use(works=[WORK_B]))
    assert decision.decision == "deny"
    assert "grant g-b lacks signed" in reason(decision, "consent-missing")


def test_revoked_consent_counts_until_its_date_only(policy: PolicySet) -> None:
    before = policy.decide(use(works=[WORK_C], date="2026-05-31"))
    on = policy.decide(use(works=[WORK_C], date="2026-06-01"))
    assert before.decision == "allow"
    assert on.decision == "deny"
    assert "grant g-c was revoked on 2026-06-01" in reason(on, "consent-missing")


def test_consent_limited_to_its_territory(policy: PolicySet) -> None:
    decision = policy.decide(use(works=[WORK_C], territory="FR", date="2026-03-01"))
    assert decision.decision == "deny"
    assert "grant g-c covers US, not FR" in reason(decision, "consent-missing")


def test_alternative_formalities(policy: PolicySet) -> None:
    ok = policy.decide(use(purpose="voice_replica", artists=[A]))
    assert ok.decision == "allow"
    missing = policy.decide(use(purpose="voice_replica", artists=[B], works=[]))
    assert missing.decision == "deny"
    assert f"no valid consent of {B} for voice_replica" in reason(missing, "consent-missing")


def test_one_missing_consent_denies_the_whole_use(policy: PolicySet) -> None:
    decision = policy.decide(use(works=[WORK_A, WORK_B]))
    assert decision.decision == "deny"
    assert effects(decision).count("consent-met") == 1


# ----------------------------------------------------------------- exceptions


def test_unless_sets_a_clause_aside(policy: PolicySet) -> None:
    named = use(output={"names_artist": True})
    assert policy.decide(named).decision == "deny"
    excused = policy.decide({**named, "context": ["commentary"]})
    assert excused.decision == "allow"
    assert "does not apply: unless commentary in use.context" in reason(excused, "exception")


def test_notwithstanding_sets_aside_the_pool(policy: PolicySet) -> None:
    generation = use(
        purpose="generation",
        works=[],
        attribution={A: "1"},
        metrics={"revenue": {"amount": "100.00", "currency": "USD"}},
    )
    assert policy.decide(generation).decision == "pay"
    parody = policy.decide({**generation, "context": ["parody"]})
    assert parody.decision == "allow"
    assert parody.payments == []
    assert "set aside by c-main §5" in reason(parody, "set-aside")


def test_jurisdiction_deny_beats_contract_permit(policy: PolicySet) -> None:
    replica = use(purpose="voice_replica", artists=[A], works=[])
    assert policy.decide({**replica, "territory": "IT"}).decision == "allow"
    decision = policy.decide({**replica, "territory": "FR"})
    assert decision.decision == "deny"
    assert "Voice replicas are forbidden in France" in reason(decision, "deny")
    assert decision.policy.jurisdictions == ["j-block"]


def test_proposed_law_applies_only_when_assumed() -> None:
    plain = clausula.load(FIXTURE)
    assumed = clausula.load(FIXTURE, assume=["j-proposed"])
    synthetic = use(date="2026-07-01", output={"synthetic_audio": True})
    assert plain.decide(synthetic).obligations == []
    decision = assumed.decide(synthetic)
    assert [o.text for o in decision.obligations] == ["Disclose that the audio is synthetic"]
    assert decision.policy.assumed == ["j-proposed"]
    assert '"assumed"' not in plain.decide(synthetic).to_json()
    before = assumed.decide({**synthetic, "date": "2026-05-31"})
    assert before.obligations == []


def test_assuming_an_unknown_or_enacted_law_is_an_error() -> None:
    with pytest.raises(clausula.PolicyError, match="no jurisdiction pack `nope`"):
        clausula.load(FIXTURE, assume=["nope"])
    with pytest.raises(clausula.PolicyError, match="in force already"):
        clausula.load(FIXTURE, assume=["j-block"])


# ----------------------------------------------------------------- payments


def test_pool_by_attribution_greater_of(policy: PolicySet) -> None:
    generation = use(
        purpose="generation",
        works=[],
        attribution={A: "0.6", B: "0.4"},
        metrics={"revenue": {"amount": "1200.00", "currency": "USD"}, "generations": 40000},
    )
    decision = policy.decide(generation)
    assert decision.decision == "pay"
    amounts = {p.payee: p.amount for p in decision.payments}
    assert amounts == {A: Decimal("360.00"), B: Decimal("240.00")}
    assert decision.totals[0].amount == Decimal("600.00")
    assert "pool 50% × use.revenue 1200.00 USD" in decision.payments[0].basis
    floor = policy.decide({**generation, "metrics": {"generations": 100000}})
    assert sum(p.amount for p in floor.payments) == Decimal("1000.00")


def test_largest_remainder_split(policy: PolicySet) -> None:
    third = "0.3333333333"
    decision = policy.decide(
        use(
            purpose="generation",
            works=[],
            attribution={A: third, B: third, C: third},
            metrics={"revenue": {"amount": "0.20", "currency": "USD"}},
        )
    )
    parts = [p.amount for p in decision.payments]
    assert sum(parts) == decision.totals[0].amount == Decimal("0.10")
    assert sorted(parts) == [Decimal("0.03"), Decimal("0.03"), Decimal("0.04")]


def test_tiers_are_marginal(policy: PolicySet) -> None:
    for streams, expected in [(0, None), (50, "50.00"), (100, "100.00"), (1500, "600.00")]:
        decision = policy.decide(use(metrics={"streams": streams}))
        if expected is None:
            assert decision.decision == "allow"
        else:
            assert decision.totals[0].amount == Decimal(expected)


def test_revenue_in_an_other_currency_is_a_use_error(policy: PolicySet) -> None:
    bad = use(
        purpose="generation",
        works=[],
        attribution={A: "1"},
        metrics={"revenue": {"amount": "10.00", "currency": "EUR"}},
    )
    with pytest.raises(UseError) as error:
        policy.decide(bad)
    assert error.value.problems[0].pointer == "/metrics/revenue"
    assert "EUR" in error.value.problems[0].message


def test_a_denied_use_owes_nothing_and_needs_no_figures_for_it(policy: PolicySet) -> None:
    """Payments are computed only for a licensed use: the same EUR revenue that is an error
    for a use that would be paid (above) does not stop a use that is denied anyway."""
    denied = use(
        purpose="generation",
        works=[],
        attribution={A: "1"},
        output={"names_artist": True},  # c-main §6 denies outputs that name the artist
        metrics={"revenue": {"amount": "10.00", "currency": "EUR"}},
    )
    decision = policy.decide(denied)
    assert decision.decision == "deny"
    assert decision.payments == [] and decision.totals == []
    assert "deny" in effects(decision)


# ----------------------------------------------------------------- the use itself


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"purpose": "trainng"}, "/purpose"),
        ({"territory": "XX"}, "/territory"),
        ({"territory": "EU"}, "/territory"),
        ({"context": ["news", "paroddy"]}, "/context/1"),
        ({"facts": {"unknown_fact": True}}, "/facts/unknown_fact"),
        ({"facts": {"gpai_model": "yes"}}, "/facts/gpai_model"),
        ({"surprise": 1}, "/surprise"),
        ({"date": "2026-02-30"}, "/date"),
        ({"attribution": {A: "0.7", B: "0.6"}}, "/attribution"),
        ({"metrics": {"revenue": {"amount": 1.5, "currency": "USD"}}}, "/metrics/revenue/amount"),
    ],
)
def test_bad_uses_point_at_the_field(
    policy: PolicySet, fields: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(UseError) as error:
        policy.decide(use(**fields))
    assert pointer in [p.pointer for p in error.value.problems]


def test_missing_required_fields() -> None:
    with pytest.raises(UseError) as error:
        clausula.parse_use({"licensee": "party:dev"})
    assert {p.pointer for p in error.value.problems} == {"/date", "/purpose", "/territory"}


# ----------------------------------------------------------------- determinism and version


def test_same_inputs_same_bytes(policy: PolicySet) -> None:
    again = clausula.load(FIXTURE)
    sample = use(
        purpose="generation",
        works=[],
        attribution={A: "0.5", B: "0.5"},
        metrics={"revenue": {"amount": "99.99", "currency": "USD"}},
    )
    assert policy.decide(sample).to_json() == again.decide(sample).to_json()
    assert policy.version == again.version and policy.version.startswith("sha256:")


def test_version_changes_with_any_file(tmp_path: Path, policy: PolicySet) -> None:
    copy = tmp_path / "decide"
    shutil.copytree(FIXTURE, copy)
    assert clausula.load(copy).version == policy.version
    data = copy / "data" / "data.yaml"
    data.write_text(data.read_text() + "\n# a comment\n")
    assert clausula.load(copy).version != policy.version


def test_decide_many_matches_decide(policy: PolicySet) -> None:
    uses = [use(territory=t) for t in ("US", "DE", "FR", "JP")]
    assert [d.to_json() for d in policy.decide_many(uses)] == [
        policy.decide(u).to_json() for u in uses
    ]


@pytest.mark.parametrize("chunks", [1, 2])
@pytest.mark.parametrize("collector_on", [True, False])
def test_decide_many_over_chunks_matches_decide_and_leaves_the_collector_as_it_was(
    policy: PolicySet, chunks: int, collector_on: bool
) -> None:
    """`decide_many` pauses the collector a chunk at a time (`collector.KEPT_PER_PAUSE`):
    every use of a batch longer than a chunk — or exactly two chunks long, whose last
    chunk is empty — is decided, in order, as `decide` decides it; the collector is on
    afterwards only if it was on before."""
    from clausula.collector import KEPT_PER_PAUSE

    territories = ("US", "DE", "FR", "JP", "CN")
    count = KEPT_PER_PAUSE * chunks + (7 if chunks == 1 else 0)
    uses = [use(id=f"u{i}", territory=territories[i % 5]) for i in range(count)]
    was = gc.isenabled()
    try:
        (gc.enable if collector_on else gc.disable)()
        decided = policy.decide_many(iter(uses))  # any iterable, read once
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()
    assert len(decided) == count
    by_territory = {t: policy.decide(use(territory=t)).decision for t in territories}
    assert {d.decision for d in decided} == set(by_territory.values())
    for i in (0, KEPT_PER_PAUSE - 1, KEPT_PER_PAUSE, count - 1):
        assert decided[i].to_json() == policy.decide(uses[i]).to_json()
    assert [d.id for d in decided] == [u["id"] for u in uses]
    assert [d.decision for d in decided] == [by_territory[u["territory"]] for u in uses]


def test_decision_json_shape(policy: PolicySet) -> None:
    decision = json.loads(policy.decide(use(metrics={"streams": 5})).to_json())
    assert list(decision) == [
        "id",
        "decision",
        "payments",
        "totals",
        "obligations",
        "reasons",
        "policy",
    ]
    payment = decision["payments"][0]
    assert payment["amount"] == "5.00" and isinstance(payment["amount"], str)
    # Named inside the set (issue 11): `policies/`, whatever the directory is called.
    assert payment["source"].startswith("policies/licence.clause:")
    assert list(decision["policy"]) == ["version", "contracts", "jurisdictions"]


# ----------------------------------------------------------------- properties

weights = st.lists(
    st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=3,
).filter(lambda ws: sum(ws) <= 1)
revenue = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ws=weights, amount=revenue, generations=st.integers(0, 10**6))
def test_payments_add_up_to_totals(
    policy: PolicySet, ws: list[Decimal], amount: Decimal, generations: int
) -> None:
    artists = [A, B, C][: len(ws)]
    decision = policy.decide(
        use(
            purpose="generation",
            works=[],
            attribution={a: str(w) for a, w in zip(artists, ws, strict=True)},
            metrics={
                "revenue": {"amount": str(amount), "currency": "USD"},
                "generations": generations,
            },
        )
    )
    for total in decision.totals:
        parts = [p.amount for p in decision.payments if p.currency == total.currency]
        assert sum(parts) == total.amount
        assert all(p.as_tuple().exponent == -2 for p in parts)
    exact = sum(
        (max(amount * Decimal("0.5"), Decimal("0.01") * generations) * w for w in ws),
        Decimal(0),
    )
    total = decision.totals[0].amount if decision.totals else Decimal(0)
    assert abs(total - exact) <= Decimal("0.005")


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    works=st.lists(st.sampled_from([WORK_A, WORK_B, WORK_C]), max_size=3, unique=True),
    date=st.dates(
        min_value=__import__("datetime").date(2025, 6, 1),
        max_value=__import__("datetime").date(2027, 6, 1),
    ),
    territory=st.sampled_from(["US", "US-TN", "FR", "IT", "DE", "JP"]),
)
def test_no_allow_without_valid_consent(
    policy: PolicySet, works: list[str], date: Any, territory: str
) -> None:
    decision = policy.decide(use(works=works, date=date.isoformat(), territory=territory))
    if decision.decision != "deny":
        met = reason(decision, "consent-met")
        for performer, grant in ((WORK_A, "g-a"), (WORK_B, "g-b"), (WORK_C, "g-c")):
            if performer in works:
                assert grant in met
        assert "consent-missing" not in effects(decision)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    licensee=st.sampled_from(["party:dev", "party:stranger"]),
    purpose=st.sampled_from(["training", "generation", "voice_replica", "sampling"]),
    territory=st.sampled_from(["US", "US-TN", "FR", "IT", "DE", "JP"]),
    works=st.lists(st.sampled_from([WORK_A, WORK_B, WORK_C, OTHER_LABEL_WORK]), max_size=2),
    artists=st.lists(st.sampled_from([A, B, C]), max_size=2, unique=True),
    names_artist=st.booleans(),
)
def test_every_deny_says_why(
    policy: PolicySet,
    licensee: str,
    purpose: str,
    territory: str,
    works: list[str],
    artists: list[str],
    names_artist: bool,
) -> None:
    decision = policy.decide(
        use(
            licensee=licensee,
            purpose=purpose,
            territory=territory,
            works=works,
            artists=artists,
            output={"names_artist": names_artist},
        )
    )
    if decision.decision == "deny":
        assert {"deny", "consent-missing", "no-licence"} & set(effects(decision))
        assert decision.payments == [] and decision.totals == []
    for item in decision.reasons:
        assert item.source is None or item.source.count(":") >= 2


def test_a_policy_set_is_shared_safely_between_threads(policy: PolicySet) -> None:
    from concurrent.futures import ThreadPoolExecutor

    uses = [
        use(territory=t, purpose=p, works=[WORK_A], metrics={"streams": n})
        for t in ("US", "FR", "DE")
        for p in ("training", "generation")
        for n in (0, 7, 1500)
    ]
    expected = [policy.decide(u).to_json() for u in uses]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(20):
            assert list(pool.map(lambda u: policy.decide(u).to_json(), uses)) == expected


def _model_tree(value: Any) -> Any:
    """A model as (its class, fields set, each field's tree), to compare all the way down."""
    if isinstance(value, clausula.models.BaseModel):
        return (
            type(value),
            frozenset(value.model_fields_set),
            [(name, _model_tree(item)) for name, item in value.__dict__.items()],
        )
    if isinstance(value, list):
        return [_model_tree(item) for item in value]
    return (type(value), str(value))


def test_a_decision_is_built_as_validating_it_would(policy: PolicySet) -> None:
    """`price` builds the `Decision` from the engine's own parts without validating it
    (`trusted_models.trusted`): what it builds is exactly what validation gives, part for part, and
    the parts shared between decisions are frozen."""
    uses = [
        use(metrics={"streams": 50}),
        use(),
        use(purpose="voice_replica"),
        use(licensee="party:nobody-labs"),
        use(territory="CN"),
        use(date="2031-01-01"),
        use(id=None, works=[WORK_A, WORK_A], metrics={"streams": 7, "generations": 3}),
    ]
    decisions = policy.decide_many(uses)
    assert {d.decision for d in decisions} >= {"deny", "pay"}
    for decision in decisions:
        again = Decision.model_validate(decision.model_dump())
        assert _model_tree(decision) == _model_tree(again)
        assert decision.to_json() == again.to_json()
        for part in [*decision.reasons, *decision.payments, *decision.totals, decision.policy]:
            with pytest.raises(ValueError):
                part.__setattr__("source" if "source" in part.__dict__ else "version", "x")


def test_models_built_without_validation_need_no_constructor_of_their_own() -> None:
    """`trusted_models` makes a model with `object.__new__`: right only while no
    pydantic model of the package defines a `__new__` of its own."""
    import pydantic

    from clausula import models

    found = [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel)
    ]
    assert Decision in found and len(found) > 10
    for model in found:
        assert model.__new__ is object.__new__, model.__name__


def test_fixed_reasons_are_frozen_and_shared_but_no_decision_can_change_another(
    policy: PolicySet,
) -> None:
    """A permit's reason and a contract's `does not apply` reason are made once per policy
    and shared by the plans and the decisions that give them, as `PolicyInfo` is: frozen
    models. What a caller may change of a decision, its lists, are its own."""
    from clausula.context import Context
    from clausula.decide import plan, use_facts
    from clausula.use_input import parse_use

    compiled, records = policy.compiled, policy._records
    for fields in ({}, {"territory": "CN"}):
        parsed = [
            parse_use(use(**fields, date=day), compiled.vocabulary)
            for day in ("2026-03-01", "2026-03-02")
        ]
        plans = [
            plan(compiled, records, Context(one, records.catalogue, use_facts(one, compiled)))
            for one in parsed
        ]
        assert plans[0].reasons[0] is plans[1].reasons[0]
        first, second = (policy.decide(use(**fields, date=d)) for d in ("2026-03-01", "2026-03-02"))
        assert first.reasons[0] is second.reasons[0] is plans[0].reasons[0]
        shown = second.to_json()
        with pytest.raises(ValueError):
            first.reasons[0].message = "changed"  # type: ignore[misc]
        assert first.reasons is not second.reasons
        first.reasons.clear()
        first.id = "changed"  # the set of fields given is shared: every field, already
        assert second.model_fields_set == set(Decision.model_fields)
        assert second.model_dump(exclude_unset=True) == second.model_dump()
        assert second.to_json() == shown
        assert policy.decide(use(**fields, date="2026-03-02")).to_json() == shown


def test_the_nearest_known_id_is_remembered_up_to_a_bound(
    policy: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `did you mean` of an unknown artist is looked for once per records and then
    remembered, up to `unknown_ids.MAX_REMEMBERED` answers; the answer never changes."""
    from clausula import unknown_ids

    typo = "party:labl"  # a letter dropped from party:label
    memo = policy._records.nearest_ids
    memo.clear()
    monkeypatch.setattr(unknown_ids, "MAX_REMEMBERED", 1)
    messages = []
    for artist in (typo, typo, "party:nobody-at-all"):
        decision = policy.decide(use(artists=[artist]))
        messages += [r.message for r in decision.reasons if r.effect == "unknown-id"]
    assert (
        messages[0]
        == messages[1]
        == f"{typo} is not a party in the data; did you mean party:label?"
    )
    assert len(messages) == 3
    assert list(memo) == [("not a party in the data", typo)]
    memo.clear()
