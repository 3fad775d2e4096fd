"""The cross-pack table: one voice replica made public, evaluated in US-TN, US-CA, US-NY,
US-IL, DE, DK and FR, with and without consent, with and without an assumed NO FAKES Act,
against EVERY pack shipped in policies/jurisdictions/.

The expected outcomes are written for lawyers in tests/packs/data/cross_pack/expected.md
(a Markdown table this test parses); the consent ledger is data.yaml beside it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(path.stem for path in (ROOT / "policies" / "jurisdictions").glob("*.clause"))
FIXTURE = Path(__file__).parent / "data" / "cross_pack" / "expected.md"

PLACES = ("US-TN", "US-CA", "US-NY", "US-IL", "DE", "DK", "FR")
SINGERS = {
    "none": "isni:000000009400001X",
    "written": "isni:0000000094000028",
    "specific": "isni:0000000094000036",
}
DENYING = {"deny", "consent-missing", "no-licence"}
COLUMNS = ["#", "where", "consent", "assumed", "decision", "denied by", "duties", "laws that apply"]


@dataclass(frozen=True)
class Row:
    number: int
    where: str
    consent: str
    assumed: tuple[str, ...]
    decision: str
    denied_by: frozenset[str]
    duties: frozenset[str]
    laws: frozenset[str]

    @property
    def label(self) -> str:
        assumed = "+".join(self.assumed) or "in-force"
        return f"{self.number}-{self.where}-{self.consent}-{assumed}"


def _items(cell: str, separator: str) -> frozenset[str]:
    if cell.strip() in ("—", "-", ""):
        return frozenset()
    return frozenset(part.strip().strip("`").strip() for part in cell.split(separator))


def read_table(path: Path = FIXTURE) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| # |"))
    assert [c.strip() for c in lines[header].strip("|").split("|")] == COLUMNS
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), line
        rows.append(
            Row(
                number=int(cells[0]),
                where=cells[1],
                consent=cells[2],
                assumed=tuple(sorted(_items(cells[3], ","))),
                decision=cells[4],
                denied_by=_items(cells[5], ";"),
                duties=_items(cells[6], ";"),
                laws=_items(cells[7], ","),
            )
        )
    return rows


ROWS = read_table()


def voice_replica(where: str, singer: str) -> dict[str, Any]:
    return {
        "id": "cross-pack",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": where,
        "artists": [singer],
        "commercial": True,
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }


def test_the_table_covers_every_place_consent_and_assumption() -> None:
    """Seven places × three consents × (laws in force, NO FAKES assumed), once each."""
    seen = [(r.where, r.consent, r.assumed) for r in ROWS]
    assert len(seen) == len(set(seen)), "a row is written twice"
    for where, consent, assumed in itertools.product(PLACES, SINGERS, [(), ("us-nofakes-2026",)]):
        assert (where, consent, assumed) in seen, (where, consent, assumed)
    assert [r.number for r in ROWS] == list(range(1, len(ROWS) + 1))


def test_every_pack_named_in_the_table_is_shipped() -> None:
    """A pack the table expects but that is not in policies/jurisdictions/ fails here, by
    name, instead of being skipped."""
    named: set[str] = set()
    for row in ROWS:
        named |= set(row.assumed) | set(row.laws)
        named |= {rule.split(" ", 1)[0] for rule in row.denied_by | row.duties}
    missing = sorted(named - set(SHIPPED))
    assert not missing, f"packs expected by {FIXTURE.name} but not shipped: {missing}"


def _rules(decision: Decision, effects: set[str]) -> frozenset[str]:
    return frozenset(r.rule for r in decision.reasons if r.effect in effects)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.label)
def test_row(load_packs: Loader, row: Row) -> None:
    policy = load_packs(SHIPPED, data="cross_pack", assume=list(row.assumed))
    decision = policy.decide(voice_replica(row.where, SINGERS[row.consent]))
    assert decision.decision == row.decision, decision.reasons
    assert _rules(decision, DENYING) == row.denied_by, decision.reasons
    assert frozenset(o.rule for o in decision.obligations) == row.duties
    assert frozenset(decision.policy.jurisdictions) == row.laws
    assert decision.policy.assumed == list(row.assumed)
    if row.decision == "deny":
        # Every denial names its law in a citation, and says what the law threatens.
        denying = [r for r in decision.reasons if r.effect in DENYING]
        assert all(r.citation for r in denying), denying
        assert not decision.payments
