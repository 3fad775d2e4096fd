"""The acceptance check of the ELVIS and NO FAKES packs, through the `clausula` command line
with the shipped policies and data: a voice clone made public in Tennessee without consent
is denied under Tenn. Code Ann. §47-25-1105; with `--assume us-nofakes-2026` the NO FAKES
Act is named too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clausula.cli import app

POLICIES = Path(__file__).resolve().parents[2] / "policies"

# Tobias Okonkwo (policies/data/parties.yaml) has given no grant at all.
NO_GRANTS = "isni:0000000520744186"
VOICE_CLONE = {
    "id": "tn-voice-clone",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "voice_replica",
    "territory": "US-TN",
    "artists": [NO_GRANTS],
    "attribution": {NO_GRANTS: "1"},
    "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    "metrics": {"revenue": {"amount": "300.00", "currency": "USD"}, "generations": 900},
}


def run(*args: str) -> Result:
    runner = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})
    result = runner.invoke(
        app, ["eval", "-", "--policies", str(POLICIES), *args], input=json.dumps(VOICE_CLONE)
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result


def words(result: Result) -> str:
    """The readable output with its line wrapping undone."""
    return " ".join(result.output.split())


def test_tennessee_voice_clone_without_consent_is_denied_under_elvis() -> None:
    text = words(run())
    assert "tn-voice-clone DENY" in text
    assert "us-tn-elvis §47-25-1105(a)(2)" in text
    assert "Tenn. Code Ann. §47-25-1105(a)(2)" in text
    assert "NO FAKES" not in text and "us-nofakes-2026" not in text


def test_assuming_no_fakes_names_it_too() -> None:
    text = words(run("--assume", "us-nofakes-2026"))
    assert "tn-voice-clone DENY" in text
    assert "us-tn-elvis §47-25-1105(a)(2)" in text
    assert "us-nofakes-2026 §2(c)(2)(A)" in text
    assert "NO FAKES Act of 2026" in text


@pytest.mark.parametrize("assume", [(), ("--assume", "us-nofakes-2026")])
def test_the_json_answer_says_the_same(assume: tuple[str, ...]) -> None:
    decision = json.loads(run("--json", *assume).stdout)
    assert decision["decision"] == "deny"
    missing = {r["rule"] for r in decision["reasons"] if r["effect"] == "consent-missing"}
    assert "us-tn-elvis §47-25-1105(a)(2)" in missing
    assert ("us-nofakes-2026 §2(c)(2)(A)" in missing) is bool(assume)
    assert ("us-nofakes-2026" in decision["policy"]["jurisdictions"]) is bool(assume)
    assert decision["payments"] == []
