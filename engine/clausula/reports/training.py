"""`clausula report training-summary`: the public summary of training content that
Article 53(1)(d) of the EU AI Act (Regulation (EU) 2024/1689) requires, in the sections of
the AI Office's template (July 2025): 1. general information; 2. list of data sources
(by category); 3. relevant data-processing aspects, including how reservations of rights
from text and data mining (DSM Directive Art. 4(3)) were honoured.

Every work of the training manifest is decided as a training use by the engine (against
the ledger, if one is given) and counted as used, excluded for missing consent, excluded
for a TDM reservation, excluded for want of a licence, or not in the catalogue.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from ..errors import ClausulaError
from ..identifiers import WORK_SCHEMES, id_problem
from ..kinds import DENYING
from ..policy_set import PolicySet
from .common import md_table

COLUMNS = ("work", "id", "isrc", "iswc")


class ManifestError(ClausulaError):
    """A manifest that cannot be read: `problems` as `path:line: sentence`."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def read_manifest(text: str, path: str) -> list[str]:
    """The work ids of a CSV manifest: a column named `work` (or `id`), or the first
    column; a header row is optional. Every bad id is reported with its line."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    column = 0
    start = 0
    header = [c.strip().lower() for c in rows[0]]
    if (
        header
        and id_problem(rows[0][0].strip(), WORK_SCHEMES) is not None
        and any(name in COLUMNS for name in header)
    ):
        column = next(i for i, name in enumerate(header) if name in COLUMNS)
        start = 1
    works: list[str] = []
    problems: list[str] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        value = row[column].strip() if column < len(row) else ""
        problem = id_problem(value, WORK_SCHEMES)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
        else:
            works.append(value)
    if problems:
        raise ManifestError(problems)
    return list(dict.fromkeys(works))


def training_summary(
    policies: PolicySet,
    works: Sequence[str],
    *,
    licensee: str,
    on: date,
    territory: str = "DE",
    model: str | None = None,
    provider_name: str | None = None,
) -> dict[str, Any]:
    """The training-content summary as JSON-ready data."""
    catalogue = policies.data
    used: list[dict[str, Any]] = []
    excluded: dict[str, list[dict[str, Any]]] = {
        "missing_consent": [],
        "tdm_reservation": [],
        "not_licensed": [],
        "not_in_catalogue": [],
    }
    holders: dict[str, int] = {}
    contracts_used: set[str] = set()
    for work_id in works:
        work = catalogue.works.get(work_id)
        if work is None:
            excluded["not_in_catalogue"].append({"work": work_id, "why": "not in the catalogue"})
            continue
        decision = policies.decide(
            {
                "id": f"training-summary:{work_id}",
                "date": on.isoformat(),
                "licensee": licensee,
                "purpose": "training",
                "territory": territory,
                "works": [work_id],
            }
        )
        row = {"work": work_id, "title": work.title, "rights_holder": work.rights_holder}
        if decision.decision != "deny":
            used.append({**row, "contracts": decision.policy.contracts})
            contracts_used.update(decision.policy.contracts)
            holders[work.rights_holder] = holders.get(work.rights_holder, 0) + 1
            continue
        licensed_by_holder = any(
            c.licensor == work.rights_holder for c in _applicable(policies, licensee, on)
        )
        missing = [r.message for r in decision.reasons if r.effect == "consent-missing"]
        if work.tdm_reserved and not licensed_by_holder:
            excluded["tdm_reservation"].append(
                {
                    **row,
                    "why": f"{work.rights_holder} reserved text and data mining and has "
                    f"granted {licensee} no licence",
                }
            )
        elif missing:
            excluded["missing_consent"].append({**row, "why": "; ".join(missing)})
        else:
            why = [
                r.message for r in decision.reasons if r.effect in DENYING
            ]  # no consent-missing here
            excluded["not_licensed"].append({**row, "why": "; ".join(why) or "denied"})
    party = catalogue.party(licensee)
    counts = {
        "works_in_manifest": len(works),
        "works_used": len(used),
        "excluded_missing_consent": len(excluded["missing_consent"]),
        "excluded_tdm_reservation": len(excluded["tdm_reservation"]),
        "excluded_not_licensed": len(excluded["not_licensed"]),
        "not_in_catalogue": len(excluded["not_in_catalogue"]),
    }
    return {
        "report": "training-summary",
        "legal_basis": "Regulation (EU) 2024/1689, Article 53(1)(d); AI Office template "
        "for the public summary of training content",
        "policy_version": policies.version,
        "general_information": {
            "provider": provider_name or (party.name if party else licensee),
            "provider_id": licensee,
            "model": model,
            "date": on.isoformat(),
            "territory_of_use": territory,
            "modalities": ["audio"],
            "training_data_size": {"works": len(used)},
        },
        "data_sources": {
            "publicly_available_datasets": [],
            "licensed_private_datasets": [
                {"rights_holder": holder, "works": count, "contracts": sorted(contracts_used)}
                for holder, count in sorted(holders.items())
            ],
            "crawled_and_scraped": [],
            "user_data": [],
            "synthetic_data": [],
            "other": [],
        },
        "data_processing": {
            "tdm_reservations": (
                "Every work was checked against the catalogue's record of a reservation of "
                "rights under Article 4(3) of Directive (EU) 2019/790; a work whose rights "
                "holder reserved text and data mining was used only under a licence from "
                "that rights holder, and otherwise excluded."
            ),
            "consent": (
                "Opt-in: a work was used only when every consent its licence requires was "
                "recorded in the consent ledger and in effect on the date of the summary."
            ),
            "counts": counts,
            "excluded": excluded,
        },
        "counts": counts,
        "works_used": used,
    }


def _applicable(policies: PolicySet, licensee: str, on: date) -> list[Any]:
    return [
        c
        for c in policies.compiled.contracts_by_licensee.get(licensee, ())
        if not (c.start and on < c.start) and not (c.end and on > c.end)
    ]


def training_markdown(report: dict[str, Any]) -> str:
    """The training-content summary as Markdown, in the template's sections."""
    info = report["general_information"]
    counts = report["counts"]
    sources = report["data_sources"]
    processing = report["data_processing"]
    excluded = processing["excluded"]
    parts = [
        "# Public summary of training content",
        "",
        f"_{report['legal_basis']}._ Policy version `{report['policy_version']}`.",
        "",
        "## 1. General information",
        "",
        md_table(
            ["", ""],
            [
                ("Provider", f"{info['provider']} ({info['provider_id']})"),
                ("Model", info["model"] or "not named"),
                ("Date of the summary", info["date"]),
                ("Territory of use assessed", info["territory_of_use"]),
                ("Modalities", ", ".join(info["modalities"])),
                ("Training data size", f"{info['training_data_size']['works']} works"),
            ],
        ),
        "",
        "## 2. List of data sources",
        "",
        "### 2.1 Publicly available datasets",
        "",
        "None.",
        "",
        "### 2.2 Private datasets licensed from third parties",
        "",
        md_table(
            ["rights holder", "works used", "contracts"],
            [
                (s["rights_holder"], s["works"], ", ".join(s["contracts"]))
                for s in sources["licensed_private_datasets"]
            ],
        )
        if sources["licensed_private_datasets"]
        else "None.",
        "",
        "### 2.3 Data crawled and scraped from online sources",
        "",
        "None.",
        "",
        "### 2.4 User data",
        "",
        "None.",
        "",
        "### 2.5 Synthetic data",
        "",
        "None.",
        "",
        "### 2.6 Other sources",
        "",
        "None.",
        "",
        "## 3. Data processing aspects",
        "",
        "### 3.1 Respect of reservations of rights from the text and data mining exception",
        "",
        processing["tdm_reservations"],
        "",
        "### 3.2 Consent of the artists",
        "",
        processing["consent"],
        "",
        md_table(
            ["", "works"],
            [
                ("in the training manifest", counts["works_in_manifest"]),
                ("used", counts["works_used"]),
                ("excluded for missing consent", counts["excluded_missing_consent"]),
                ("excluded for a TDM reservation", counts["excluded_tdm_reservation"]),
                ("excluded for want of a licence", counts["excluded_not_licensed"]),
                ("not in the catalogue", counts["not_in_catalogue"]),
            ],
        ),
        "",
    ]
    rows = [
        (item["work"], item.get("title", ""), kind.replace("_", " "), item["why"])
        for kind, items in excluded.items()
        for item in items
    ]
    if rows:
        parts += [
            "### 3.3 Works excluded",
            "",
            md_table(["work", "title", "excluded for", "why"], rows),
            "",
        ]
    return "\n".join(parts)
