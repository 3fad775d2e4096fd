"""The records a witness *with people* needs (see `encode`): one artist, one work that
artist performs, held by the licensor whose catalogue the contract licenses, and one grant
of that artist's consent, written as entries of the data files (`parties`, `works`,
`grants`) so that a reader can add them to their data and decide the witness again.

The grant covers every purpose, everywhere, from the use's date, to any licensee, with
every formality a law can ask for: what a requirement of consent can want of one grant.
Whether it is enough (who may consent, caps, minors) is the engine's to say: every witness
with people is decided again by the engine with these records, and one it does not
confirm is reported as `unknown` with the engine's reason, never as a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_args

from ..catalogue import ConsentGrant, DataSet, Formality, Party, Revocation, Work
from ..checker import CheckedPolicy

#: The witness's artist (a valid ISNI that names no one in the example data).
WITNESS_ARTIST = "isni:0000000099999993"
#: The witness's work (a valid ISRC).
WITNESS_WORK = "isrc:QZWIT2600001"
#: The witness's grant.
WITNESS_GRANT = "g-witness"

Records = dict[str, list[dict[str, Any]]]


def holder_for(checked: CheckedPolicy, licensee: str) -> str | None:
    """Whose work the witness uses: the party whose catalogue the licensee's first contract
    licenses, or its licensor (None: the licensee has no contract)."""
    for block in sorted(checked.contracts, key=lambda b: b.block.name):
        if block.licensee != licensee:
            continue
        if block.scope_kind == "catalogue" and block.scope_ids:
            return block.scope_ids[0]
        return block.licensor
    return None


def peopled(use: Mapping[str, Any]) -> dict[str, Any]:
    """`use` with the witness's work, artist and the whole attribution."""
    return {
        **use,
        "works": [WITNESS_WORK],
        "artists": [WITNESS_ARTIST],
        "attribution": {WITNESS_ARTIST: "1"},
    }


def records_for(use: Mapping[str, Any], holder: str, data: DataSet) -> Records:
    """The entries of the data files the witness `use` needs (see the module), beside
    what `data` holds already (the work's rights holder, if `data` does not list it)."""
    day = use["date"]
    parties: list[dict[str, Any]] = [
        {"id": WITNESS_ARTIST, "kind": "artist", "name": "Witness artist"}
    ]
    if data.party(holder) is None:
        parties.append({"id": holder, "kind": "label", "name": holder})
    return {
        "parties": parties,
        "works": [
            {
                "id": WITNESS_WORK,
                "title": "Witness work",
                "performers": [{"artist": WITNESS_ARTIST, "role": "main"}],
                "rights_holder": holder,
            }
        ],
        "grants": [
            {
                "id": WITNESS_GRANT,
                "grantor": WITNESS_ARTIST,
                "grantee": "any",
                "purposes": ["any"],
                "territories": ["worldwide"],
                "valid_from": day,
                "formalities": sorted(get_args(Formality)),
                "signed_on": day,
            }
        ],
    }


def with_records(data: DataSet, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> DataSet:
    """`data` with `records` added (a record with the id of one in `data` replaces it)."""
    parties = dict(data.parties)
    works = dict(data.works)
    grants = dict(data.grants)
    for item in records.get("parties", ()):
        party = Party.model_validate(item)
        parties[party.id] = party
    for item in records.get("works", ()):
        work = Work.model_validate(item)
        works[work.id] = work
    for item in records.get("grants", ()):
        grant = ConsentGrant.model_validate(item)
        grants[grant.id] = grant
    revocations = (
        *data.revocations,
        *(Revocation.model_validate(r) for r in records.get("revocations", ())),
    )
    return DataSet(parties, works, grants, revocations, data.files)
