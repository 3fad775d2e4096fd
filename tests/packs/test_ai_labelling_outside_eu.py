"""cn-ai-labelling and kr-ai-basic-act: what the labelling laws outside the EU must NOT ask
(the duties they add are in their .test.yaml files): dates, places, and a label that
cures no consent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py


@pytest.fixture(scope="module")
def laws(load_packs: Loader) -> PolicySet:
    return load_packs(["cn-ai-labelling", "kr-ai-basic-act"], data="eu-ai-act")


def generation(territory: str, date: str = "2026-09-01", **output: bool) -> dict[str, Any]:
    return {
        "id": "g",
        "date": date,
        "licensee": "party:dev",
        "purpose": "generation",
        "territory": territory,
        "output": {"synthetic_audio": True, "public": True, **output},
    }


@pytest.mark.parametrize(
    ("territory", "date", "pack", "applies"),
    [
        ("CN", "2025-08-31", "cn-ai-labelling", False),
        ("CN", "2025-09-01", "cn-ai-labelling", True),
        ("KR", "2026-01-21", "kr-ai-basic-act", False),
        ("KR", "2026-01-22", "kr-ai-basic-act", True),
        ("JP", "2026-09-01", "cn-ai-labelling", False),
        ("JP", "2026-09-01", "kr-ai-basic-act", False),
    ],
)
def test_each_law_applies_in_its_country_from_its_date(
    laws: PolicySet, territory: str, date: str, pack: str, applies: bool
) -> None:
    decision = laws.decide(generation(territory, date))
    assert (pack in decision.policy.jurisdictions) is applies


def test_labelling_duties_never_deny(laws: PolicySet) -> None:
    """Both laws impose duties, not permissions: an unlabelled output is allowed with its
    duties, and a labelled one carries only the duties a label does not meet."""
    unlabelled = laws.decide(generation("CN"))
    assert unlabelled.decision == "allow"
    assert {o.rule for o in unlabelled.obligations} == {
        "cn-ai-labelling art. 4",
        "cn-ai-labelling art. 5",
        "cn-ai-labelling art. 10",
    }
    labelled = laws.decide(generation("CN", labelled_ai=True))
    assert {o.rule for o in labelled.obligations} == {"cn-ai-labelling art. 5"}


def test_kr_a_label_meets_31_2_but_not_the_advance_notice(laws: PolicySet) -> None:
    decision = laws.decide(generation("KR", labelled_ai=True))
    assert {o.rule for o in decision.obligations} == {"kr-ai-basic-act art. 31(1)"}


def test_audio_that_is_not_generated_carries_no_duty(laws: PolicySet) -> None:
    use = generation("KR")
    use["output"] = {"public": True}
    decision = laws.decide(use)
    assert decision.obligations == []
