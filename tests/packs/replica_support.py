"""Assertions shared by the tests of the US digital-replica packs (CA, IL, NY)."""

from __future__ import annotations

from clausula import Decision


def reasons(decision: Decision, effect: str, rule: str | None = None) -> list[str]:
    return [r.message for r in decision.reasons if r.effect == effect and rule in (None, r.rule)]


def assert_denied(decision: Decision, rule: str) -> str:
    assert decision.decision == "deny", decision.reasons
    missing = reasons(decision, "consent-missing", rule)
    assert missing, decision.reasons
    return missing[0]


def assert_allowed(decision: Decision) -> None:
    assert decision.decision == "allow", decision.reasons
    assert not reasons(decision, "consent-missing"), decision.reasons
