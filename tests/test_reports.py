"""Transparency reports on the shipped example data: licences, the training-content
summary (EU AI Act Art. 53(1)(d)) and one artist's view."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausula
from clausula.cli import app
from clausula.decision_log import DecisionLog, read_log
from clausula.ledger import Ledger, import_file
from clausula.reports import (
    ManifestError,
    artist_markdown,
    artist_report,
    licences_report,
    read_manifest,
    training_markdown,
    training_summary,
)

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
ROTH = "isni:0000000368570205"
OKONKWO = "isni:0000000520744186"


@pytest.fixture(scope="module")
def policy_set() -> clausula.PolicySet:
    return clausula.load(POLICIES)


def test_training_summary_counts_on_the_shipped_data(policy_set: clausula.PolicySet) -> None:
    works = list(policy_set.data.works)
    report = training_summary(policy_set, works, licensee="party:aria-labs", on=date(2026, 9, 1))
    assert report["counts"] == {
        "works_in_manifest": 10,
        "works_used": 3,
        "excluded_missing_consent": 4,
        "excluded_tdm_reservation": 1,
        "excluded_not_licensed": 2,
        "not_in_catalogue": 0,
    }
    excluded = report["data_processing"]["excluded"]
    assert [w["work"] for w in excluded["tdm_reservation"]] == ["isrc:QZIND2400007"]
    assert {w["work"] for w in excluded["missing_consent"]} == {
        "isrc:USEXL7800045",
        "isrc:USEXL2300088",
        "isrc:GBEXL2400530",
        "isrc:USEXL2500019",
    }
    assert {w["work"] for w in report["works_used"]} == {
        "isrc:USUM71703861",
        "isrc:USEXL2400102",
        "isrc:DEEXL2500217",
    }
    markdown = training_markdown(report)
    for heading in (
        "## 1. General information",
        "## 2. List of data sources",
        "## 3. Data processing aspects",
        "### 3.1 Respect of reservations of rights from the text and data mining exception",
    ):
        assert heading in markdown
    assert "| excluded for a TDM reservation | 1 |" in markdown


def test_licences_report_says_what_is_covered_and_why_not(policy_set: clausula.PolicySet) -> None:
    report = licences_report(policy_set, licensee="party:aria-labs", on=date(2026, 6, 1))
    covered = {(r["work"], r["purpose"]): r for r in report["covered"]}
    missing = {(r["work"], r["purpose"]): r for r in report["not_covered"]}
    row = covered[("isrc:DEEXL2500217", "training")]
    assert row["basis"] == {
        "clause": "aria-optin-2026 §2.1",
        "source": row["basis"]["source"],
        "consent_rules": ["aria-optin-2026 §3.1"],
        "grants": ["g-roth-training-eea"],
    }
    assert row["until"] == "2027-12-31" and "EEA, GB" in row["where"]
    why = " ".join(missing[("isrc:DEEXL2500217", "generation")]["why_not"])
    assert "g-roth-generation was revoked on 2026-05-01" in why
    why = " ".join(missing[("isrc:GBEXL2400530", "training")]["why_not"])
    assert f"no consent of {OKONKWO}" in why and "none is recorded" in why
    # Before the revocation, Nachtzug was covered for generation.
    earlier = licences_report(policy_set, licensee="party:aria-labs", on=date(2026, 4, 30))
    assert ("isrc:DEEXL2500217", "generation") in {
        (r["work"], r["purpose"]) for r in earlier["covered"]
    }
    # The blanket licence needs no consent: every work of the label is covered.
    blanket = licences_report(policy_set, licensee="party:tessitura-ai", on=date(2026, 6, 1))
    assert not blanket["not_covered"] and blanket["covered"]


def test_artist_report_with_grants_contracts_and_logged_decisions(
    tmp_path: Path, policy_set: clausula.PolicySet
) -> None:
    log_path = tmp_path / "log.jsonl"
    uses = [
        {
            "id": "a",
            "date": "2026-04-01",
            "licensee": "party:aria-labs",
            "purpose": "training",
            "territory": "DE",
            "works": ["isrc:DEEXL2500217"],
        },
        {
            "id": "b",
            "date": "2026-06-01",
            "licensee": "party:aria-labs",
            "purpose": "generation",
            "territory": "DE",
            "works": ["isrc:DEEXL2500217"],
        },
        {
            "id": "c",
            "date": "2026-06-01",
            "licensee": "party:aria-labs",
            "purpose": "training",
            "territory": "US",
            "works": ["isrc:USEXL2400102"],
        },
    ]
    with DecisionLog(log_path) as log:
        for raw in uses:
            use = clausula.parse_use(raw)
            log.append(use, policy_set.decide(use))
    report = artist_report(policy_set, ROTH, on=date(2026, 6, 1), log=read_log(log_path).entries)
    assert [g["grant"] for g in report["grants"]] == [
        "g-roth-generation",
        "g-roth-training-eea",
        "g-roth-tessitura",
    ]
    assert report["grants"][0]["revoked_on"] == "2026-05-01"
    assert {c["contract"] for c in report["contracts"]} == {"aria-optin-2026", "label-blanket-2026"}
    assert [d["use"] for d in report["decisions"]] == ["a", "b"]
    assert report["decision_counts"] == {"pay": 1, "deny": 1}
    assert "revoked on 2026-05-01" in artist_markdown(report)


def test_manifest_errors_name_the_line() -> None:
    assert read_manifest("work\nisrc:USUM71703861\n\nisrc:USEXL2400102\n", "m.csv") == [
        "isrc:USUM71703861",
        "isrc:USEXL2400102",
    ]
    assert read_manifest("isrc:USUM71703861,x\n", "m.csv") == ["isrc:USUM71703861"]
    with pytest.raises(ManifestError) as info:
        read_manifest("work\nisrc:USUM71703861\nisrc:US-UM7-17-03861\n", "m.csv")
    assert info.value.problems[0].startswith("m.csv:3: write the ISRC")


def test_report_cli_against_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with Ledger(url) as ledger:
        import_file(ledger, POLICIES / "data" / "consents.yaml")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("work\n" + "\n".join(clausula.load(POLICIES).data.works) + "\n")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "report",
            "training-summary",
            str(manifest),
            "--licensee",
            "party:aria-labs",
            "--on",
            "2026-09-01",
            "--ledger",
            url,
            "--policies",
            str(POLICIES),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    assert (
        counts["works_used"],
        counts["excluded_missing_consent"],
        counts["excluded_tdm_reservation"],
    ) == (3, 4, 1)
    result = runner.invoke(
        app,
        [
            "report",
            "licences",
            "--licensee",
            "party:aria-labs",
            "--on",
            "2026-06-01",
            "--ledger",
            url,
            "--policies",
            str(POLICIES),
        ],
    )
    assert result.exit_code == 0 and "## Not covered" in result.output
    result = runner.invoke(
        app,
        [
            "report",
            "artist",
            ROTH,
            "--ledger",
            url,
            "--on",
            "2026-06-01",
            "--policies",
            str(POLICIES),
        ],
    )
    assert result.exit_code == 0 and "### History" in result.output
    result = runner.invoke(
        app, ["report", "artist", "isni:0000000368570206", "--policies", str(POLICIES)]
    )
    assert result.exit_code == 1 and "wrong check character" in result.output


def test_licences_report_checks_consent_as_the_engine_does(tmp_path: Path) -> None:
    """The report's consent check is the engine's: a grant her former guardian gave after
    she came of age covers nothing, in the report as in a decision (the report had its own
    copy of the check, which knew nothing of who may consent)."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "optin.clause").write_text(
        'contract "optin" "Opt-in training"\n'
        "  licensor party:example-label\n  licensee party:aria-labs\n"
        "  effective 2026-01-01 for 2 years\n  territory worldwide\n"
        "  scope catalogue of party:example-label\n\n"
        '  clause 1 "Training"\n    permit training\n\n'
        '  clause 2 "Consent"\n'
        "    require consent of each performer of use.works for use.purpose\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "world.yaml").write_text(
        "parties:\n"
        "  - {id: party:example-label, kind: label, name: Example Label}\n"
        "  - {id: party:aria-labs, kind: developer, name: Aria Labs}\n"
        f"  - {{id: party:a-guardian, kind: guardian, name: A Guardian, guardian_of: [{OKONKWO}]}}\n"
        f"  - {{id: {OKONKWO}, kind: artist, name: Tobi Okonkwo, birth_date: 2000-01-01}}\n"
        "works:\n"
        "  - id: isrc:USEXL2400102\n    title: Lanterns\n"
        f"    performers: [{{artist: {OKONKWO}, role: main}}]\n"
        "    rights_holder: party:example-label\n"
        "grants:\n"
        "  - id: g-not-hers\n    grantor: party:a-guardian\n"
        f"    on_behalf_of: {OKONKWO}\n"
        "    grantee: party:aria-labs\n    purposes: [training]\n"
        "    territories: [worldwide]\n    valid_from: 2026-01-01\n",
        encoding="utf-8",
    )
    policies = clausula.load(tmp_path)
    decision = policies.decide(
        {
            "date": "2026-09-01",
            "licensee": "party:aria-labs",
            "purpose": "training",
            "territory": "DE",
            "works": ["isrc:USEXL2400102"],
        }
    )
    assert decision.decision == "deny"
    refused = next(r.message for r in decision.reasons if r.effect == "consent-missing")
    assert "after the artist came of age" in refused
    report = licences_report(policies, licensee="party:aria-labs", on=date(2026, 9, 1))
    assert report["covered"] == []
    (row,) = report["not_covered"]
    assert "after the artist came of age" in " ".join(row["why_not"])
