"""A semantic diff of two versions of terms: what they decide differently, not how the text
differs.

Both versions decide every use of a finite space — each purpose of the vocabulary; one
territory per group that matters (US, US-TN, US-CA, DE, FR, DK, NO, GB, JP, BR, CN, RU,
plus the codes the contracts name); no context, or one context that a contract (or a pack
loaded on one side only) names; five representative output flag sets; two consent states
(every performer has consented, with every formality, or none has); two representative
amounts (high volume and low revenue; high revenue and low volume) — on a small synthetic
catalogue whose works belong to the contracts' licensors, dated the latest start of the
contracts compared. Uses that differ are grouped by what changed and the clauses
responsible, each group with an example use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import ast
from .batch import BatchEvaluator, LoadedPolicy, load_files
from .catalogue import ConsentGrant, DataSet, Party, Performer, Work
from .checker import CheckedPolicy
from .kinds import DENYING
from .models import Decision

DEFAULT_TERRITORIES = (
    "US",
    "US-TN",
    "US-CA",
    "DE",
    "FR",
    "DK",
    "NO",
    "GB",
    "JP",
    "BR",
    "CN",
    "RU",
)
OUTPUTS: dict[str, dict[str, bool]] = {
    "no output flags": {},
    "public AI audio, labelled": {"synthetic_audio": True, "public": True, "labelled_ai": True},
    "public AI audio, unlabelled": {"synthetic_audio": True, "public": True},
    "public voice replica": {
        "synthetic_audio": True,
        "digital_replica": True,
        "public": True,
        "labelled_ai": True,
    },
    "names the artist": {"synthetic_audio": True, "public": True, "names_artist": True},
}
ARTIST_YES = "party:diff-artist-consented"
ARTIST_NO = "party:diff-artist-silent"
FORMALITIES = frozenset(
    {
        "in_writing",
        "signed",
        "specific_description",
        "with_counsel",
        "terms_conspicuous",
        "separately_signed",
    }
)


@dataclass
class Change:
    """A group of uses that the two versions decide differently in the same way."""

    kind: str  # decision | payment | obligation
    summary: str
    count: int
    purposes: list[str]
    territories: list[str]
    example: dict[str, Any]
    old: str
    new: str
    old_rules: list[str]
    new_rules: list[str]


@dataclass
class DiffResult:
    """Everything that changed, and how many uses were compared."""

    old: str
    new: str
    uses: int
    changes: list[Change] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The result as plain data (for `--json`)."""
        return {
            "old": self.old,
            "new": self.new,
            "uses_compared": self.uses,
            "changes": [dataclasses.asdict(c) for c in self.changes],
        }


def _walk(node: Any, out: dict[str, set[Any]]) -> None:
    if isinstance(node, ast.TerritoryLit):
        out["territories"].add(node.code)
    elif isinstance(node, ast.Name):
        out["names"].add(node.name)
    elif isinstance(node, ast.MoneyLit):
        out["currencies"].add(node.currency)
    if isinstance(node, tuple | list):
        for item in node:
            _walk(item, out)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            walkable = ast.Expr | ast.Effect | ast.Subject | ast.Provision | ast.Tier
            if isinstance(value, walkable | tuple | list):
                _walk(value, out)


def _features(checked: CheckedPolicy, packs: set[str]) -> dict[str, set[Any]]:
    """Territory codes, names and currencies of the contracts and of the packs in `packs`."""
    out: dict[str, set[Any]] = {"territories": set(), "names": set(), "currencies": set()}
    chosen = [b for b in checked.jurisdictions if b.block.name in packs]
    for block in (*checked.contracts, *chosen):
        _walk(block.block.provisions, out)
        _walk(block.block.applies, out)
        _walk(tuple(p.value for p in block.block.parameters), out)
        _walk(tuple(d.value for d in block.block.definitions), out)
    return out


def _licensee(checked: CheckedPolicy, given: str | None, side: str) -> str:
    if given:
        return given
    licensees = sorted({b.licensee for b in checked.contracts if b.licensee})
    if len(licensees) != 1:
        raise ValueError(
            f"the {side} terms license {len(licensees)} licensees "
            f"({', '.join(licensees) or 'none'}); say which with --licensee"
        )
    return licensees[0]


def _catalogue(licensors: set[str]) -> DataSet:
    holder = sorted(licensors)[0] if licensors else "party:diff-label"
    parties = {
        ARTIST_YES: Party(id=ARTIST_YES, kind="artist", name="Consenting artist", residence="US"),
        ARTIST_NO: Party(id=ARTIST_NO, kind="artist", name="Silent artist", residence="US"),
    }
    for licensor in licensors | {holder}:
        parties[licensor] = Party(id=licensor, kind="label", name=licensor)
    works = {
        "isrc:QZDIF2600001": Work(
            id="isrc:QZDIF2600001",
            title="Consented work",
            performers=[Performer(artist=ARTIST_YES)],
            rights_holder=holder,
        ),
        "isrc:QZDIF2600002": Work(
            id="isrc:QZDIF2600002",
            title="Work without consent",
            performers=[Performer(artist=ARTIST_NO)],
            rights_holder=holder,
        ),
    }
    grant = ConsentGrant.model_validate(
        {
            "id": "g-diff-all",
            "grantor": ARTIST_YES,
            "grantee": "any",
            "purposes": ["any"],
            "territories": ["worldwide"],
            "valid_from": dt.date(2000, 1, 1),
            "formalities": FORMALITIES,
            "signed_on": dt.date(2000, 1, 1),
        }
    )
    return DataSet(parties, works, {grant.id: grant}, (), ())


def _load(paths: Sequence[Path], data: DataSet) -> LoadedPolicy:
    return load_files(list(paths), catalogue=data, catalogue_label="<diff catalogue>")


def _space(
    purposes: list[str],
    territories: list[str],
    contexts: list[str],
    currency: str,
    day: dt.date,
) -> list[tuple[dict[str, Any], dict[str, str]]]:
    uses: list[tuple[dict[str, Any], dict[str, str]]] = []
    amounts = {
        "high volume, low revenue": ("100.00", 100_000),
        "high revenue, low volume": ("1000.00", 1_000),
    }
    consents = {
        "every performer consented": ("isrc:QZDIF2600001", ARTIST_YES),
        "no performer consented": ("isrc:QZDIF2600002", ARTIST_NO),
    }
    for purpose in purposes:
        for territory in territories:
            for context in ["", *contexts]:
                for output_name, flags in OUTPUTS.items():
                    for consent_name, (work, artist) in consents.items():
                        for amount_name, (revenue, generations) in amounts.items():
                            use = {
                                "date": day.isoformat(),
                                "licensee": "",
                                "purpose": purpose,
                                "territory": territory,
                                "works": [work],
                                "artists": [artist],
                                "attribution": {artist: "1"},
                                "output": flags,
                                "context": [context] if context else [],
                                "commercial": True,
                                "metrics": {
                                    "revenue": {"amount": revenue, "currency": currency},
                                    "generations": generations,
                                },
                            }
                            labels = {
                                "purpose": purpose,
                                "territory": territory,
                                "context": context or "none",
                                "output": output_name,
                                "consent": consent_name,
                                "amounts": amount_name,
                            }
                            uses.append((use, labels))
    return uses


def _rules(decision: Decision) -> list[str]:
    if decision.decision == "deny":
        return list(dict.fromkeys(r.rule for r in decision.reasons if r.effect in DENYING))
    return list(dict.fromkeys(p.rule for p in decision.payments)) or list(
        dict.fromkeys(r.rule for r in decision.reasons if r.effect == "permit")
    )


def _pay_rules(decision: Decision) -> list[str]:
    """The clauses behind the payments, or behind the absence of a payment."""
    rules = {p.rule for p in decision.payments}
    rules |= {r.rule for r in decision.reasons if r.effect == "no-payment"}
    return sorted(rules)


def _who(payee: str) -> str:
    if payee == ARTIST_YES:
        return "the performer"
    if payee == ARTIST_NO:
        return "the performer (no consent)"
    return payee


def _paid(decision: Decision) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for p in decision.payments:
        out[_who(p.payee)] = out.get(_who(p.payee), Decimal(0)) + p.amount
    return out


def _describe_pay(paid: dict[str, Decimal], currency: str) -> str:
    if not paid:
        return "nothing"
    return ", ".join(f"{amount} {currency} to {who}" for who, amount in sorted(paid.items()))


def diff(
    old: Sequence[str | Path],
    new: Sequence[str | Path],
    *,
    licensee: tuple[str | None, str | None] = (None, None),
    date: dt.date | None = None,
) -> DiffResult:
    """What `new` decides differently from `old` over the finite space of uses.

    Raises `clausula.PolicyError` when either version has errors, `ValueError` when the
    licensee of a side cannot be told (give it).
    """
    old_paths, new_paths = [Path(p) for p in old], [Path(p) for p in new]
    probe_old = load_files(old_paths)
    probe_new = load_files(new_paths)
    licensors = {
        b.licensor
        for b in (*probe_old.checked.contracts, *probe_new.checked.contracts)
        if b.licensor
    }
    data = _catalogue(licensors)
    loaded_old, loaded_new = _load(old_paths, data), _load(new_paths, data)
    lic_old = _licensee(loaded_old.checked, licensee[0], "old")
    lic_new = _licensee(loaded_new.checked, licensee[1], "new")
    # Packs on one side only are searched for contexts too; packs on both sides are
    # assumed to be the same law (their contexts would change both sides alike).
    old_packs = {b.block.name for b in loaded_old.checked.jurisdictions}
    new_packs = {b.block.name for b in loaded_new.checked.jurisdictions}
    features = _features(loaded_old.checked, old_packs - new_packs)
    for key, values in _features(loaded_new.checked, new_packs - old_packs).items():
        features[key] |= values
    vocabulary = loaded_new.checked.vocabulary
    purposes = sorted(vocabulary.purposes | loaded_old.checked.vocabulary.purposes)
    contexts = sorted(features["names"] & vocabulary.contexts)
    territories = list(
        dict.fromkeys(
            [
                *DEFAULT_TERRITORIES,
                *sorted(
                    code
                    for code in features["territories"]
                    if not vocabulary.territories.is_group(code) and code != "worldwide"
                ),
            ]
        )
    )
    currency = sorted(features["currencies"])[0] if features["currencies"] else "USD"
    starts = [b.start for b in (*loaded_old.checked.contracts, *loaded_new.checked.contracts)]
    day = date or max((s for s in starts if s is not None), default=dt.date.today())
    space = _space(purposes, territories, contexts, currency, day)
    olds = BatchEvaluator(loaded_old).decide_many(
        [{**use, "licensee": lic_old} for use, _ in space]
    )
    news = BatchEvaluator(loaded_new).decide_many(
        [{**use, "licensee": lic_new} for use, _ in space]
    )
    groups: dict[tuple[Any, ...], Change] = {}

    def add(
        key: tuple[Any, ...], made: Change, labels: dict[str, str], use: dict[str, Any]
    ) -> None:
        change = groups.get(key)
        if change is None:
            change = groups[key] = made
            change.example = {**labels, "use": use}
        change.count += 1
        if labels["purpose"] not in change.purposes:
            change.purposes.append(labels["purpose"])
        if labels["territory"] not in change.territories:
            change.territories.append(labels["territory"])

    def change(kind: str, summary: str, old: str, new: str, o: list[str], n: list[str]) -> Change:
        return Change(kind, summary, 0, [], [], {}, old, new, o, n)

    for (use, labels), a, b in zip(space, olds, news, strict=True):
        if not isinstance(a, Decision) or not isinstance(b, Decision):
            continue
        consent = labels["consent"]
        shown = {**use, "licensee": lic_new}
        if a.decision != b.decision and "deny" in (a.decision, b.decision):
            old_rules, new_rules = _rules(a), _rules(b)
            group: tuple[Any, ...] = (
                "decision",
                a.decision,
                b.decision,
                consent,
                tuple(old_rules),
                tuple(new_rules),
            )
            summary = f"{a.decision} → {b.decision} ({consent})"
            made = change("decision", summary, a.decision, b.decision, old_rules, new_rules)
            add(group, made, labels, shown)
            continue
        paid_a, paid_b = _paid(a), _paid(b)
        if paid_a != paid_b:
            old_rules, new_rules = _pay_rules(a), _pay_rules(b)
            group = ("payment", tuple(paid_a), tuple(paid_b), tuple(old_rules), tuple(new_rules))
            before = ", ".join(sorted(paid_a)) or "nobody"
            after = ", ".join(sorted(paid_b)) or "nobody"
            made = change(
                "payment",
                f"paid to {before} → {after}",
                _describe_pay(paid_a, currency),
                _describe_pay(paid_b, currency),
                old_rules,
                new_rules,
            )
            add(group, made, labels, shown)
        if a.decision != "deny" and b.decision != "deny":
            ob_a = {(o.rule, o.text) for o in a.obligations}
            ob_b = {(o.rule, o.text) for o in b.obligations}
            for rule, text in sorted(ob_b - ob_a):
                made = change("obligation", f"new duty: {text}", "", text, [], [rule])
                add(("obligation", "added", rule), made, labels, shown)
            for rule, text in sorted(ob_a - ob_b):
                made = change("obligation", f"duty dropped: {text}", text, "", [rule], [])
                add(("obligation", "removed", rule), made, labels, {**use, "licensee": lic_old})
    changes = sorted(groups.values(), key=lambda c: (c.kind, -c.count, c.summary))
    return DiffResult(
        " ".join(str(p) for p in old_paths),
        " ".join(str(p) for p in new_paths),
        len(space),
        changes,
    )


def render(result: DiffResult) -> str:
    """The diff as text a negotiator reads."""
    if not result.changes:
        return (
            f"No difference: over {result.uses:,} uses, both versions decide the same, pay the "
            "same and oblige the same."
        )
    lines = [f"{len(result.changes)} kinds of difference over {result.uses:,} uses compared:", ""]
    titles = {"decision": "Decisions", "payment": "Payments", "obligation": "Obligations"}
    kind = None
    for change in result.changes:
        if change.kind != kind:
            kind = change.kind
            lines += [f"## {titles[kind]}", ""]
        lines.append(f"- {change.summary}: {change.count:,} uses")
        lines.append(f"    purposes: {', '.join(change.purposes)}")
        lines.append(f"    territories: {', '.join(change.territories)}")
        if change.kind != "obligation":
            lines.append(f"    old: {change.old}   by {', '.join(change.old_rules) or '—'}")
            lines.append(f"    new: {change.new}   by {', '.join(change.new_rules) or '—'}")
        else:
            lines.append(f"    rule: {', '.join(change.new_rules or change.old_rules)}")
        ex = change.example
        lines.append(
            "    example: "
            + ", ".join(
                f"{k} {ex[k]}"
                for k in ("purpose", "territory", "context", "output", "consent", "amounts")
            )
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
