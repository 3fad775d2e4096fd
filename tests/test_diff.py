"""`clausula diff`: what two versions of the terms decide differently."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from clausula.cli import app
from clausula.diff import diff

ROOT = Path(__file__).resolve().parents[1]
BLANKET = ROOT / "policies" / "contracts" / "label-blanket.clause"
OPTIN = ROOT / "policies" / "contracts" / "aria-optin.clause"
PACKS = ROOT / "policies" / "jurisdictions"


def test_a_file_against_itself_is_empty() -> None:
    result = diff([OPTIN, PACKS], [OPTIN, PACKS])
    assert result.changes == []
    assert result.uses > 1000


def test_blanket_against_opt_in_lists_what_a_lawyer_expects() -> None:
    result = diff([BLANKET, PACKS], [OPTIN, PACKS])
    found = {
        (c.kind, c.old, c.new, tuple(c.old_rules), tuple(c.new_rules), tuple(sorted(c.purposes)))
        for c in result.changes
        if c.kind == "decision"
    }
    # 1. Without the performers' consent, what the blanket licence paid for is now denied.
    assert (
        "decision",
        "pay",
        "deny",
        ("label-blanket-2026 §4.1",),
        ("aria-optin-2026 §3.1",),
        ("fine_tuning", "training"),
    ) in found
    assert (
        "decision",
        "pay",
        "deny",
        ("label-blanket-2026 §4.2",),
        ("aria-optin-2026 §3.1",),
        ("generation", "style_imitation"),
    ) in found
    # 2. Outputs that name the artist are denied even with consent (§3.3).
    assert (
        "decision",
        "pay",
        "deny",
        ("label-blanket-2026 §4.2",),
        ("aria-optin-2026 §3.3",),
        ("generation", "style_imitation"),
    ) in found
    # 3. Voice replicas, which the blanket licence does not grant, are licensed with consent.
    assert any(
        c[1] == "deny"
        and c[2] == "pay"
        and c[5] == ("voice_replica",)
        and c[4] == ("aria-optin-2026 §5.1",)
        for c in found
    )
    payments = {(c.old, c.new, tuple(c.new_rules)) for c in result.changes if c.kind == "payment"}
    # 4. The training fee is split 50/50 between the label and the performers.
    assert (
        "3000.00 USD to party:example-label",
        "1500.00 USD to party:example-label, 1500.00 USD to the performer",
        ("aria-optin-2026 §4.1", "aria-optin-2026 §4.2"),
    ) in payments
    # 5. The generation share moves from the label to the attributed artists' pool.
    assert (
        "200.00 USD to party:example-label",
        "200.00 USD to the performer",
        ("aria-optin-2026 §5.1",),
    ) in payments
    # 6. Parody outputs carry no pool (§5.2): the label's share becomes nothing.
    assert ("200.00 USD to party:example-label", "nothing", ("aria-optin-2026 §5.2",)) in payments
    duties = {(c.summary, tuple(c.new_rules)) for c in result.changes if c.kind == "obligation"}
    # 7. New transparency and labelling duties.
    assert (
        "new duty: Report to each performer, monthly, every use of their works and the payments made",
        ("aria-optin-2026 §6.1",),
    ) in duties
    assert (
        "new duty: Label the published output as AI-generated, naming no artist",
        ("aria-optin-2026 §6.2",),
    ) in duties
    # 8. Nothing changes where neither licenses (China, Russia) or for sampling.
    for change in result.changes:
        assert "CN" not in change.territories and "RU" not in change.territories
        assert "sampling" not in change.purposes


def test_cli_diff_text_and_json() -> None:
    runner = CliRunner()
    same = runner.invoke(app, ["diff", str(OPTIN), str(OPTIN)])
    assert same.exit_code == 0 and same.output.startswith("No difference")
    out = runner.invoke(app, ["diff", str(BLANKET), str(OPTIN), "--with", str(PACKS), "--json"])
    assert out.exit_code == 0, out.output
    assert '"kind": "decision"' in out.output
    missing = runner.invoke(app, ["diff", "nowhere.clause", str(OPTIN)])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
