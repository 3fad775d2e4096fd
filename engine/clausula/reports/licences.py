"""`clausula report licences`: for a licensee (or all), which works and artists are covered
for which purposes, where, until when and on what basis — and which are not, and why.

For each contract of the licensee in its term on the report's day, each work in its scope
and each purpose it permits: the work is covered when every consent the contract requires
for that purpose is given by a grant in effect that day — checked by the engine's own
consent check (`decide.grant_problem`: grantee, purpose, term, revocation, who may consent,
caps, a minor's terms, formalities), anywhere rather than in one territory. Where: the contract's
territory and, for each consenting performer, the grant's; until: the earliest end of the
contract and those grants. A requirement whose `when` depends on more than the purpose (the
output, facts) is evaluated for a plain use of the work; `clausula eval` decides a real use.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..compiled import CompiledBlock, CompiledEffect, CompiledProvision
from ..context import Context
from ..decide import condition_holds, grant_problem
from ..models import Use
from ..policy_set import PolicySet
from ..use_input import UseError
from .common import (
    contract_works,
    contracts_of,
    md_table,
    records_of,
    territory_label,
)

_PROBE_COUNTRIES = ("US", "DE", "GB", "FR", "JP")


def _probe_territory(contract: CompiledBlock) -> str:
    territory = contract.territory
    if territory is None:
        return "US"
    for code in (*_PROBE_COUNTRIES, *sorted(territory.include or ())):
        if territory.contains(code):
            return code
    return "US"


def _permits(contract: CompiledBlock) -> dict[str, CompiledProvision]:
    """Purpose → the first clause that permits it."""
    found: dict[str, CompiledProvision] = {}
    for provision in contract.provisions:
        for effect in provision.effects:
            if effect.kind == "permit":
                for purpose in sorted(effect.purposes):
                    found.setdefault(purpose, provision)
    return found


def _applies(provision: CompiledProvision, ctx: Context) -> bool:
    try:
        return all(condition_holds(c, ctx, provision.label) for c in provision.when) and not any(
            condition_holds(c, ctx, provision.label) for c, _ in provision.unless
        )
    except UseError:
        return False


def _requirements(
    contract: CompiledBlock, ctx: Context
) -> list[tuple[CompiledProvision, CompiledEffect]]:
    """The per-performer consent requirements that apply to a plain use (ctx)."""
    found = []
    for provision in contract.provisions:
        for effect in provision.effects:
            if effect.kind != "consent" or effect.subject is None:
                continue
            if effect.subject.kind != "each_performer" and not effect.subject.touched:
                continue  # the performers are among everyone the use touches
            purposes = effect.consent_purposes
            if purposes is not None and ctx.purpose not in purposes:
                continue
            if _applies(provision, ctx):
                found.append((provision, effect))
    return found


def licences_report(
    policies: PolicySet, *, licensee: str | None = None, on: date
) -> dict[str, Any]:
    """The licences report as JSON-ready data (see the module's docstring)."""
    contracts = contracts_of(policies, licensee)
    catalogue = policies.data
    out: dict[str, Any] = {
        "report": "licences",
        "date": on.isoformat(),
        "licensee": licensee,
        "policy_version": policies.version,
        "contracts": [],
        "covered": [],
        "not_covered": [],
    }
    for contract in contracts:
        in_term = not (contract.start and on < contract.start) and not (
            contract.end and on > contract.end
        )
        permits = _permits(contract)
        out["contracts"].append(
            {
                "contract": contract.name,
                "title": contract.title,
                "licensee": contract.licensee,
                "licensor": contract.licensor,
                "territory": str(contract.territory) if contract.territory else "worldwide",
                "from": contract.start.isoformat() if contract.start else None,
                "until": contract.end.isoformat() if contract.end else None,
                "in_term": in_term,
                "scope": contract.scope_label,
                "purposes": {p: prov.label for p, prov in permits.items()},
            }
        )
        if not in_term:
            continue
        probe = _probe_territory(contract)
        for work_id in contract_works(policies, contract):
            work = catalogue.works[work_id]
            for purpose, permit in permits.items():
                use = Use(
                    date=on,
                    licensee=contract.licensee or "",
                    purpose=purpose,
                    territory=probe,
                    works=[work_id],
                )
                ctx = Context(use, catalogue, {})
                row = _row(policies, contract, permit, work_id, work.title, purpose, ctx, on)
                row["tdm_reserved"] = work.tdm_reserved
                (out["covered"] if row["covered"] else out["not_covered"]).append(row)
    out["summary"] = {
        "covered": len(out["covered"]),
        "not_covered": len(out["not_covered"]),
        "works_covered": len({r["work"] for r in out["covered"]}),
    }
    return out


def _row(
    policies: PolicySet,
    contract: CompiledBlock,
    permit: CompiledProvision,
    work_id: str,
    title: str,
    purpose: str,
    ctx: Context,
    on: date,
) -> dict[str, Any]:
    where = [str(contract.territory) if contract.territory else "worldwide"]
    ends = [contract.end] if contract.end else []
    grants: list[str] = []
    why: list[str] = []
    artists = list(policies.data.performers_of(work_id))
    requirements = _requirements(contract, ctx)
    for provision, effect in requirements:
        for artist in artists:
            best: tuple[int, str] | None = None
            chosen = None
            for record in records_of(policies, artist, on):
                problem = grant_problem(
                    ctx, policies._records, record, artist, purpose, effect, anywhere=True
                )
                if problem is None:
                    chosen = record
                    break
                if best is None or problem[0] < best[0]:
                    best = problem
            if chosen is None:
                detail = best[1] if best else "none is recorded"
                why.append(f"{provision.label}: no consent of {artist} for {purpose}: {detail}")
                continue
            grant = chosen.grant
            if grant.id not in grants:
                grants.append(grant.id)
                where.append(f"{territory_label(policies, chosen)} ({grant.id})")
                if grant.valid_until:
                    ends.append(grant.valid_until)
    if not artists and requirements:
        why.append(f"no performers of {work_id} are listed, so no consent can be checked")
    return {
        "contract": contract.name,
        "work": work_id,
        "title": title,
        "artists": artists,
        "purpose": purpose,
        "covered": not why,
        "where": " ∩ ".join(where),
        "until": min(ends).isoformat() if ends else None,
        "basis": {
            "clause": permit.label,
            "source": permit.source,
            "consent_rules": [p.label for p, _ in requirements],
            "grants": grants,
        },
        "why_not": why,
    }


def licences_markdown(report: dict[str, Any]) -> str:
    """The licences report as Markdown."""
    who = report["licensee"] or "all licensees"
    parts = [
        f"# Licences of {who} on {report['date']}",
        "",
        f"Policy version `{report['policy_version']}`. "
        f"{report['summary']['covered']} (work, purpose) pairs covered, "
        f"{report['summary']['not_covered']} not covered.",
        "",
        "## Contracts",
        "",
        md_table(
            ["contract", "licensee", "territory", "term", "in term", "purposes (clause)"],
            [
                (
                    c["contract"],
                    c["licensee"],
                    c["territory"],
                    f"{c['from'] or '…'} – {c['until'] or '…'}",
                    "yes" if c["in_term"] else "no",
                    ", ".join(f"{p} ({rule})" for p, rule in c["purposes"].items()),
                )
                for c in report["contracts"]
            ],
        ),
        "",
        "## Covered",
        "",
        md_table(
            ["work", "title", "purpose", "where", "until", "basis"],
            [
                (
                    r["work"],
                    r["title"],
                    r["purpose"],
                    r["where"],
                    r["until"] or "open-ended",
                    "; ".join([r["basis"]["clause"], *r["basis"]["grants"]]),
                )
                for r in report["covered"]
            ],
        ),
        "",
        "## Not covered",
        "",
        md_table(
            ["work", "title", "purpose", "why"],
            [
                (r["work"], r["title"], r["purpose"], "; ".join(r["why_not"]))
                for r in report["not_covered"]
            ],
        ),
        "",
    ]
    return "\n".join(parts)
