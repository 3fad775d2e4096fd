"""Opt-in holds, as a property over random uses and random consent ledgers.

Under the shipped opt-in contract (`aria-optin-2026`), no `pay` or `allow` decision names
or pays an artist — a performer of its works, an artist it names, an artist its output is
attributed to, or a payee who is an artist — without a grant valid for that licensee,
purpose, territory and date, revocations included. The oracle below reads the grants
itself; it shares with the engine only the territory containment of a grant.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_2

import clausula
from clausula.policy_set import PolicySet

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
OPT_IN = "aria-optin-2026"

SHIPPED = clausula.load(POLICIES)
ARTISTS = sorted(p.id for p in SHIPPED.data.parties.values() if p.kind == "artist")
WORKS = sorted(SHIPPED.data.works)
PURPOSES = ["training", "fine_tuning", "generation", "voice_replica", "style_imitation"]
TERRITORIES = ["US", "US-TN", "US-CA", "DE", "FR", "GB", "JP", "BR", "CN"]
LICENSEES = ["party:aria-labs", "party:tessitura-ai"]
CONTEXTS = ["parody", "news", "commentary", "research"]


def _isni(n: int) -> str:
    body = f"{n:015d}"
    return f"isni:{body}{mod_11_2.calc_check_digit(body)}"


# Artists nobody registered: they still need consent.
STRANGERS = [_isni(900000000000000 + i) for i in range(3)]
PEOPLE = ARTISTS + STRANGERS

days = st.dates(dt.date(2025, 6, 1), dt.date(2029, 12, 31))


@st.composite
def uses(draw: st.DrawFn) -> dict[str, Any]:
    people = draw(st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True))
    weights: list[int] = []
    for _ in people:  # weights sum to at most 1
        weights.append(draw(st.integers(0, 100 - sum(weights))))
    use: dict[str, Any] = {
        "date": draw(days).isoformat(),
        "licensee": draw(st.sampled_from(LICENSEES)),
        "purpose": draw(st.sampled_from(PURPOSES)),
        "territory": draw(st.sampled_from(TERRITORIES)),
        "works": draw(st.lists(st.sampled_from(WORKS), max_size=3, unique=True)),
        "artists": draw(st.lists(st.sampled_from(PEOPLE), max_size=2, unique=True)),
        "attribution": {p: str(Decimal(w) / 100) for p, w in zip(people, weights, strict=True)},
        "output": {
            flag: draw(st.booleans())
            for flag in ("synthetic_audio", "digital_replica", "public", "labelled_ai")
        },
        "context": draw(st.lists(st.sampled_from(CONTEXTS), max_size=2, unique=True)),
        "commercial": draw(st.booleans()),
        "metrics": {
            "revenue": {"amount": f"{draw(st.integers(0, 10**6))}.00", "currency": "USD"},
            "generations": draw(st.integers(0, 10**6)),
        },
    }
    return use


def touched(policies: PolicySet, use: dict[str, Any]) -> set[str]:
    people = set(use["artists"]) | set(use["attribution"])
    for work in use["works"]:
        record = policies.data.works.get(work)
        people |= {p.artist for p in record.performers} if record is not None else set()
    return people


def has_valid_grant(policies: PolicySet, artist: str, use: dict[str, Any]) -> bool:
    day = dt.date.fromisoformat(use["date"])
    revoked = {r.grant: r.date for r in policies.data.revocations}
    records = policies._records  # the territory containment of a grant, as loaded
    for grant in policies.data.grants.values():
        if grant.artist != artist or grant.grantee not in (use["licensee"], "any"):
            continue
        if use["purpose"] not in grant.purposes and "any" not in grant.purposes:
            continue
        if not records.territories(grant).contains(use["territory"]):
            continue
        if day < grant.valid_from or (grant.valid_until and day > grant.valid_until):
            continue
        if grant.id in revoked and day >= revoked[grant.id]:
            continue
        return True
    return False


def assert_opt_in_holds(policies: PolicySet, use: dict[str, Any]) -> None:
    decision = policies.decide(use)
    if decision.decision == "deny" or OPT_IN not in decision.policy.contracts:
        return
    paid_artists = {
        p.payee for p in decision.payments if p.payee in PEOPLE or p.payee.startswith("isni:")
    }
    for artist in touched(policies, use) | paid_artists:
        assert has_valid_grant(policies, artist, use), (
            f"{decision.decision} under {OPT_IN} touches or pays {artist} without a valid grant",
            use,
            decision.to_json(),
        )


@settings(max_examples=300, deadline=None)
@given(use=uses())
def test_no_pay_or_allow_without_a_valid_grant_on_the_shipped_data(use: dict[str, Any]) -> None:
    assert_opt_in_holds(SHIPPED, use)


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    grants = []
    revocations = []
    for index in range(draw(st.integers(0, 12))):
        start = draw(days)
        grant: dict[str, Any] = {
            "id": f"g-{index}",
            "grantor": draw(st.sampled_from(ARTISTS)),
            "grantee": draw(st.sampled_from([*LICENSEES, "any"])),
            "purposes": draw(st.lists(st.sampled_from(PURPOSES), min_size=1, unique=True)),
            "territories": draw(
                st.lists(
                    st.sampled_from(["worldwide", "US", "EU", "DE", "GB"]), min_size=1, unique=True
                )
            ),
            "valid_from": start.isoformat(),
            "formalities": ["in_writing", "signed", "specific_description", "with_counsel"],
            "signed_on": start.isoformat(),
        }
        if draw(st.booleans()):
            end = start + dt.timedelta(days=draw(st.integers(0, 900)))
            grant["valid_until"] = end.isoformat()
        grants.append(grant)
        if draw(st.integers(0, 3)) == 0:
            when = start + dt.timedelta(days=draw(st.integers(0, 900)))
            revocations.append({"grant": grant["id"], "date": when.isoformat()})
    return {"grants": grants, "revocations": revocations}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("optin")
    shutil.copytree(POLICIES, root / "policies", ignore=shutil.ignore_patterns("uses"))
    return root / "policies"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ledger=ledgers(), batch=st.lists(uses(), min_size=10, max_size=10))
def test_no_pay_or_allow_without_a_valid_grant_on_random_ledgers(
    workspace: Path, ledger: dict[str, Any], batch: list[dict[str, Any]]
) -> None:
    (workspace / "data" / "consents.yaml").write_text(yaml.safe_dump(ledger), encoding="utf-8")
    policies = clausula.load(workspace)
    for use in batch:
        assert_opt_in_holds(policies, use)
