"""`clausula report artist`: for one artist, every grant (with its history when the ledger
keeps one), every contract that covers their works, and the decisions logged about them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from ..decision_log import LogEntry
from ..policy_set import PolicySet
from .common import contract_works, contracts_of, md_table, records_of, territory_label


def artist_report(
    policies: PolicySet,
    artist: str,
    *,
    on: date,
    log: Iterable[LogEntry] = (),
    history: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The artist report as JSON-ready data. `history` maps grant ids to their recorded
    events (from the ledger), if known."""
    party = policies.data.party(artist)
    works = [w for w in policies.data.works.values() if artist in policies.data.performers_of(w.id)]
    work_ids = {w.id for w in works}
    grants = []
    for record in records_of(policies, artist, on):
        grant = record.grant
        grants.append(
            {
                "grant": grant.id,
                "grantor": grant.grantor,
                "grantee": grant.grantee,
                "purposes": list(grant.purposes),
                "where": territory_label(policies, record),
                "from": grant.valid_from.isoformat(),
                "until": grant.valid_until.isoformat() if grant.valid_until else None,
                "formalities": sorted(grant.formalities),
                "revoked_on": record.revoked_on.isoformat() if record.revoked_on else None,
                "revocation_reason": record.revocation_reason,
                "active": record.active_on(on),
                "history": (history or {}).get(grant.id, []),
            }
        )
    contracts = []
    for contract in contracts_of(policies, None):
        covered = [w for w in contract_works(policies, contract) if w in work_ids]
        if covered:
            contracts.append(
                {
                    "contract": contract.name,
                    "licensee": contract.licensee,
                    "licensor": contract.licensor,
                    "from": contract.start.isoformat() if contract.start else None,
                    "until": contract.end.isoformat() if contract.end else None,
                    "works": covered,
                }
            )
    decisions = []
    counts: dict[str, int] = {}
    for entry in log:
        touches = entry.mentions(artist) or any(w in work_ids for w in entry.use.get("works") or ())
        if not touches:
            continue
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        paid = [
            f"{p['amount']} {p['currency']}"
            for p in entry.decision.get("payments") or ()
            if p.get("payee") == artist
        ]
        decisions.append(
            {
                "logged_at": entry.logged_at,
                "use": entry.use.get("id"),
                "date": entry.use.get("date"),
                "licensee": entry.use.get("licensee"),
                "purpose": entry.use.get("purpose"),
                "territory": entry.use.get("territory"),
                "decision": entry.outcome,
                "paid_to_artist": paid,
                "policy_version": entry.policy_version,
            }
        )
    return {
        "report": "artist",
        "artist": artist,
        "name": party.name if party else None,
        "date": on.isoformat(),
        "policy_version": policies.version,
        "works": [{"work": w.id, "title": w.title} for w in works],
        "grants": grants,
        "contracts": contracts,
        "decisions": decisions,
        "decision_counts": counts,
    }


def artist_markdown(report: dict[str, Any]) -> str:
    """The artist report as Markdown."""
    name = report["name"] or report["artist"]
    parts = [
        f"# {name}: consents, contracts and decisions",
        "",
        f"`{report['artist']}`, on {report['date']}.",
        "",
        "## Grants",
        "",
        md_table(
            ["grant", "to", "purposes", "where", "term", "state"],
            [
                (
                    g["grant"],
                    g["grantee"],
                    ", ".join(g["purposes"]),
                    g["where"],
                    f"{g['from']} – {g['until'] or '…'}",
                    f"revoked on {g['revoked_on']}"
                    if g["revoked_on"]
                    else ("active" if g["active"] else "not in term"),
                )
                for g in report["grants"]
            ],
        )
        if report["grants"]
        else "No grant is recorded: under opt-in, no use that needs this artist's consent "
        "is allowed.",
        "",
    ]
    events = [(g["grant"], e) for g in report["grants"] for e in g["history"]]
    if events:
        parts += [
            "### History",
            "",
            md_table(
                ["#", "grant", "event", "in effect from", "recorded by", "recorded at"],
                [
                    (e["seq"], grant, e["kind"], e["effective"], e["recorded_by"], e["recorded_at"])
                    for grant, e in events
                ],
            ),
            "",
        ]
    parts += [
        "## Contracts covering their works",
        "",
        md_table(
            ["contract", "licensee", "term", "works"],
            [
                (
                    c["contract"],
                    c["licensee"],
                    f"{c['from'] or '…'} – {c['until'] or '…'}",
                    ", ".join(c["works"]),
                )
                for c in report["contracts"]
            ],
        )
        if report["contracts"]
        else "None.",
        "",
        "## Decisions logged",
        "",
    ]
    if report["decisions"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report["decision_counts"].items()))
        parts += [
            counts + ".",
            "",
            md_table(
                ["use", "date", "licensee", "purpose", "territory", "decision", "paid"],
                [
                    (
                        d["use"],
                        d["date"],
                        d["licensee"],
                        d["purpose"],
                        d["territory"],
                        d["decision"],
                        ", ".join(d["paid_to_artist"]),
                    )
                    for d in report["decisions"]
                ],
            ),
            "",
        ]
    else:
        parts += ["None in the log.", ""]
    return "\n".join(parts)
