"""dk-deepfake: the Danish draft §§ 65 a and 73 a (realistic digital imitations), proposed.

Each test names the section it takes its words from. The draft names no form for the
consent, so there is no formality to miss: a grant with none counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

LUND = "isni:0000000422222229"  # living adult, consented (no formalities)
KROG = "isni:0000000433333338"  # living adult, no consent
VINTHER = "isni:0000000444444447"  # died 1980-06-15: protected until 2030-06-15
DAHL = "isni:0000000455555556"  # died 1976-04-01: protected until 2026-04-01
BANG = "isni:0000000466666665"  # died 2000, the estate consented
BERG = "isni:0000000477777774"  # a minor, the guardian consented
FRIIS = "isni:0000000488888883"  # consented, revoked on 2026-09-01

S73A = "dk-deepfake § 73 a"
S65A = "dk-deepfake § 65 a"
LABELLED = {"synthetic_audio": True, "digital_replica": True, "public": True, "labelled_ai": True}


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["dk-deepfake"], data="dk-deepfake", assume=["dk-deepfake"])


def replica(artist: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-06-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "DK",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def rules(decision: Decision, effect: str) -> list[str]:
    return [r.rule for r in decision.reasons if r.effect == effect]


def messages(decision: Decision, effect: str) -> str:
    return " | ".join(r.message for r in decision.reasons if r.effect == effect)


def test_73a_and_65a_imitation_without_consent_is_denied(law: PolicySet) -> None:
    """§ 73 a: realistic digitally generated imitations of a person's voice may not be made
    available to the public without prior consent; § 65 a: the same for a performance."""
    decision = law.decide(replica(KROG))
    assert decision.decision == "deny"
    assert rules(decision, "consent-missing") == [S73A, S65A]
    assert "no fine or criminal penalty" in messages(decision, "risk")
    assert decision.payments == []


def test_73a_prior_consent_without_any_form(law: PolicySet) -> None:
    """§ 73 a: "prior consent", in no particular form [A3]."""
    decision = law.decide(replica(LUND))
    assert decision.decision == "allow"
    assert "grant g-lund" in messages(decision, "consent-met")
    assert messages(decision, "risk") == ""
    before_the_grant = law.decide(replica(LUND, date="2025-12-31"))
    assert before_the_grant.policy.jurisdictions == []  # the law is not yet in force


def test_73a_consent_is_revocable(law: PolicySet) -> None:
    """§ 73 a: consent may be withdrawn (laws.md §6, single source) [A3]."""
    assert law.decide(replica(FRIIS, date="2026-08-31")).decision == "allow"
    revoked = law.decide(replica(FRIIS, date="2026-09-01"))
    assert revoked.decision == "deny"
    assert "revoked on 2026-09-01" in messages(revoked, "consent-missing")


def test_73a_only_what_is_made_available_to_the_public(law: PolicySet) -> None:
    """§ 73 a: "made available to the public"."""
    private = replica(KROG, output={"synthetic_audio": True, "digital_replica": True})
    assert law.decide(private).decision == "allow"


def test_73a_only_realistic_imitations(law: PolicySet) -> None:
    """§ 73 a: "realistic digitally generated imitations" [A2]: style alone is not one."""
    style = replica(
        KROG, purpose="style_imitation", output={"synthetic_audio": True, "public": True}
    )
    assert law.decide(style).decision == "allow"


def test_65a_reaches_audio_performances_and_73a_the_likeness(law: PolicySet) -> None:
    """§ 65 a protects the performance (audio) [A2]; § 73 a every personal characteristic,
    including appearance."""
    video = replica(KROG, output={"digital_replica": True, "public": True})
    decision = law.decide(video)
    assert decision.decision == "deny"
    assert rules(decision, "consent-missing") == [S73A]


@pytest.mark.parametrize(
    ("artist", "date", "outcome"),
    [
        # Died 1980-06-15: 50 years end on 2030-06-15.
        (VINTHER, "2030-06-14", "deny"),
        (VINTHER, "2030-06-15", "allow"),
        # Died 1976-04-01: 50 years end on 2026-04-01.
        (DAHL, "2026-03-31", "deny"),
        (DAHL, "2026-04-01", "allow"),
    ],
)
def test_73a_65a_fifty_years_after_death(
    law: PolicySet, artist: str, date: str, outcome: str
) -> None:
    """§§ 65 a, 73 a: protection lasts 50 years after death [A4]."""
    decision = law.decide(replica(artist, date=date))
    assert decision.decision == outcome
    if outcome == "deny":
        assert rules(decision, "consent-missing") == [S73A, S65A]
    else:
        assert rules(decision, "consent-missing") == []


def test_73a_the_estate_consents_after_death(law: PolicySet) -> None:
    """§ 73 a: after death, within the 50 years, the heirs consent [A7]."""
    decision = law.decide(replica(BANG))
    assert decision.decision == "allow"
    assert "grant g-bang-estate" in messages(decision, "consent-met")


def test_73a_the_guardian_consents_for_a_minor(law: PolicySet) -> None:
    """§ 73 a protects every natural person, minors included; the guardian consents [A7]."""
    decision = law.decide(replica(BERG))
    assert decision.decision == "allow"
    assert "grant g-berg-guardian" in messages(decision, "consent-met")


@pytest.mark.parametrize("context", ["caricature", "satire", "parody", "pastiche", "criticism"])
def test_73a_parody_exception(law: PolicySet, context: str) -> None:
    """§ 73 a does not apply to "caricature, satire, parody, pastiche, criticism or similar"
    purposes, if the imitation does not harm the person and is clearly a deep fake [A5]; the
    same exception for § 65 a [A6]."""
    use = replica(KROG, context=[context], output=LABELLED, facts={"imitation_harms_person": False})
    decision = law.decide(use)
    assert decision.decision == "allow"
    assert rules(decision, "exception") == [S73A, S65A]
    assert "unless parody_exception" in messages(decision, "exception")


@pytest.mark.parametrize(
    ("why", "fields"),
    [
        # The exception's own conditions: no harm to the imitated person ...
        ("it harms the person", {"facts": {"imitation_harms_person": True}}),
        ("harm not ruled out", {"facts": {}}),
        # ... and it must be clear that it is a deep fake.
        (
            "not labelled as a deep fake",
            {
                "facts": {"imitation_harms_person": False},
                "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
            },
        ),
        # News is not one of the purposes named.
        ("news is no parody", {"context": ["news"], "facts": {"imitation_harms_person": False}}),
    ],
)
def test_73a_exceptions_to_the_parody_exception(
    law: PolicySet, why: str, fields: dict[str, Any]
) -> None:
    """§ 73 a parody exception: only "if the content does not harm the imitated person and
    it is clear that it is a deep fake" [A5]. A label alone is no consent."""
    use = replica(KROG, context=["parody"], output=LABELLED)
    use.update(fields)
    decision = law.decide(use)
    assert decision.decision == "deny", why
    assert rules(decision, "consent-missing") == [S73A, S65A]


def test_proposed_law_is_off_unless_assumed(load_packs: Loader) -> None:
    """The draft is not enacted (laws.md §6, §10.6): off by default."""
    plain = load_packs(["dk-deepfake"], data="dk-deepfake")
    decision = plain.decide(replica(KROG))
    assert decision.decision == "allow"
    assert decision.policy.jurisdictions == []


def test_planned_in_force_date(law: PolicySet) -> None:
    """Planned entry into force 2026-03-31 [A1]."""
    before = law.decide(replica(KROG, date="2026-03-30"))
    assert before.decision == "allow" and before.policy.jurisdictions == []
    on = law.decide(replica(KROG, date="2026-03-31"))
    assert on.decision == "deny" and on.policy.assumed == ["dk-deepfake"]


def test_assumed_enactment_date(load_packs: Loader) -> None:
    """`--assume dk-deepfake:enacted=2026-07-01` replaces the planned date."""
    assumed = load_packs(
        ["dk-deepfake"], data="dk-deepfake", assume=["dk-deepfake:enacted=2026-07-01"]
    )
    assert assumed.decide(replica(KROG, date="2026-06-30")).decision == "allow"
    on = assumed.decide(replica(KROG, date="2026-07-01"))
    assert on.decision == "deny"
    assert on.policy.assumed == ["dk-deepfake:enacted=2026-07-01"]


def test_only_in_denmark(law: PolicySet) -> None:
    """The Danish Act applies to uses in Denmark."""
    decision = law.decide(replica(KROG, territory="DE"))
    assert decision.decision == "allow"
    assert decision.policy.jurisdictions == []
