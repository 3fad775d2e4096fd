"""What the reports share: consent records as of a day, grant matching, Markdown helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ..compiled import CompiledBlock
from ..consent import ConsentRecord, DatedConsentLedger
from ..policy_set import PolicySet


def records_of(policies: PolicySet, artist: str, day: date) -> Sequence[ConsentRecord]:
    """The consent records of `artist` as the engine sees them on `day`."""
    records = policies._records
    ledger = records.ledger
    if isinstance(ledger, DatedConsentLedger):
        return ledger.records_on(artist, day)
    return ledger.records_for(artist)


def territory_label(policies: PolicySet, record: ConsentRecord) -> str:
    """Where a grant applies, as a person reads it."""
    return str(policies._records.territories(record.grant))


def contract_works(policies: PolicySet, contract: CompiledBlock) -> list[str]:
    """The catalogue's works inside a contract's scope, in catalogue order."""
    works = policies.data.works
    result = []
    for work_id, work in works.items():
        if contract.scope_works is not None and work_id not in contract.scope_works:
            continue
        if contract.scope_artists is not None and not any(
            p.artist in contract.scope_artists for p in work.performers
        ):
            continue
        result.append(work_id)
    return result


def contracts_of(policies: PolicySet, licensee: str | None) -> list[CompiledBlock]:
    """The contracts of one licensee, or of all, in a stable order."""
    by_licensee = policies.compiled.contracts_by_licensee
    names = sorted(by_licensee) if licensee is None else [licensee]
    return [c for name in names for c in by_licensee.get(name, ())]


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table; `|` in cells is escaped."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
