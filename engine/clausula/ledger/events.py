"""Consent events, their hash chain, and the state of the grants they add up to.

Three kinds of event, never changed once recorded:

- `grant`: a new consent grant (all its fields); its `effective` date is its `valid_from`;
- `amend`: a change to some fields of a grant, in effect from its `effective` date on;
- `revoke`: the withdrawal of a grant, in effect from its `effective` date on.

The state of a grant on a day folds its events: the grant as amended by every amendment in
effect on that day (in order of effective date, then of recording), and revoked if its
revocation is in effect on that day. A revocation or amendment never changes the answer
for an earlier day.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import Any, Literal

from pydantic import ValidationError

from ..catalogue import ConsentGrant
from ..consent import ConsentRecord

EventKind = Literal["grant", "amend", "revoke"]
KINDS: tuple[EventKind, ...] = ("grant", "amend", "revoke")
GENESIS = "0" * 64
"""The `prev_hash` of the first event."""

AMENDABLE = frozenset(
    {
        "purposes",
        "territories",
        "except_territories",
        "valid_until",
        "formalities",
        "signed_on",
        "note",
    }
)
"""The fields an amendment may change. Who consents, to whom and from when are the grant
itself: changing those is a new grant (and the revocation of the old one)."""


def utc_now() -> datetime:
    """The current time in UTC (the default clock of a ledger)."""
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """A moment as fixed-width ISO 8601 in UTC, `2026-05-01T09:30:00.000000Z`, which sorts
    as text in time order."""
    if moment.tzinfo is None:
        raise ValueError("a recording time must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CanonicalData(Mapping[str, Any]):
    """An event's data kept as its canonical JSON text (the text that is stored and hashed)
    and read into a dict only when first looked at, so that a million-row import does not
    hold a million dicts. Equal to any mapping with the same items."""

    __slots__ = ("_value", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._value: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        value = self._value
        if value is None:
            value = self._value = json.loads(self.text)
        return value

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return repr(self._data())


def grant_payload(grant: ConsentGrant) -> dict[str, Any]:
    """The JSON form of a grant as stored in its event (formalities sorted)."""
    data = grant.model_dump(mode="json")
    data["formalities"] = sorted(grant.formalities)
    return data


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be recorded: what happened, not yet when or by whom."""

    kind: EventKind
    grant: str
    artist: str
    effective: date
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded event: its place in the chain, who recorded it and when, and its hash."""

    seq: int
    kind: EventKind
    grant: str
    artist: str
    effective: date
    data: Mapping[str, Any]
    recorded_by: str
    recorded_at: str
    prev_hash: str
    hash: str
    data_json: str = ""
    """The canonical JSON of `data`, as stored (set when sealed)."""

    def body(self) -> dict[str, Any]:
        """Everything the hash covers, including the previous event's hash."""
        return event_body(
            self.seq,
            self.kind,
            self.grant,
            self.artist,
            self.effective,
            self.data,
            self.recorded_by,
            self.recorded_at,
            self.prev_hash,
        )

    def computed_hash(self) -> str:
        """The hash this event should carry, recomputed from its fields."""
        return hash_body(self.body())


def event_body(
    seq: int,
    kind: str,
    grant: str,
    artist: str,
    effective: date,
    data: Mapping[str, Any],
    recorded_by: str,
    recorded_at: str,
    prev_hash: str,
) -> dict[str, Any]:
    """The JSON object an event's hash is computed over."""
    return {
        "seq": seq,
        "kind": kind,
        "grant": grant,
        "artist": artist,
        "effective": effective.isoformat(),
        "data": dict(data),
        "recorded_by": recorded_by,
        "recorded_at": recorded_at,
        "prev": prev_hash,
    }


def hash_body(body: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of an event body (which holds the previous hash)."""
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


_dumps = encode_basestring
"""A string as JSON, UTF-8 kept as is: what `canonical` writes for it."""


def body_text(
    seq: int,
    kind: str,
    grant: str,
    artist: str,
    effective: str,
    data_json: str,
    recorded_by: str,
    recorded_at: str,
    prev_hash: str,
) -> str:
    """`canonical(event_body(…))`, built from the canonical JSON of the data without
    parsing it again (keys in sorted order: the same text, faster)."""
    return (
        f'{{"artist":{_dumps(artist)},"data":{data_json},"effective":"{effective}",'
        f'"grant":{_dumps(grant)},"kind":"{kind}","prev":"{prev_hash}",'
        f'"recorded_at":"{recorded_at}","recorded_by":{_dumps(recorded_by)},"seq":{seq}}}'
    )


def text_hash(text: str) -> str:
    """sha256 of a text, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Pending = tuple[EventKind, str, str, date, str]
"""A new event as a plain tuple — kind, grant, artist, effective, data as canonical JSON —
which, unlike a `NewEvent`, the garbage collector stops tracking (bulk imports hold many)."""

EventRow = tuple[int, str, str, str, str, str, str, str, str, str]
"""An event as stored: seq, kind, grant, artist, effective (ISO date), data (canonical
JSON), recorded_by, recorded_at, prev_hash, hash."""


def pending(new: NewEvent) -> Pending:
    """A new event as a `Pending` tuple."""
    data = new.data
    data_json = data.text if isinstance(data, CanonicalData) else canonical(data)
    return (new.kind, new.grant, new.artist, new.effective, data_json)


def new_event(item: Pending) -> NewEvent:
    """A `Pending` tuple as a `NewEvent`."""
    kind, grant, artist, effective, data_json = item
    return NewEvent(kind, grant, artist, effective, CanonicalData(data_json))


def chain(
    new: Iterable[Pending], seq: int, prev_hash: str, recorded_by: str, recorded_at: str
) -> list[EventRow]:
    """Chain events after event `seq` (whose hash is `prev_hash`): number them, hash each
    over its body and the hash before it, and record who and when; the rows to store.

    Builds the same text as `body_text`, in one loop (the recorder and time are the same
    for every event of one append).
    """
    tail = f'"recorded_at":"{recorded_at}","recorded_by":{_dumps(recorded_by)},"seq":'
    sha256 = hashlib.sha256
    rows: list[EventRow] = []
    add = rows.append
    for kind, grant, artist, day, data_json in new:
        seq += 1
        effective = day.isoformat()
        text = (
            f'{{"artist":{_dumps(artist)},"data":{data_json},"effective":"{effective}",'
            f'"grant":{_dumps(grant)},"kind":"{kind}","prev":"{prev_hash}",{tail}{seq}}}'
        )
        digest = sha256(text.encode("utf-8")).hexdigest()
        add(
            (
                seq,
                kind,
                grant,
                artist,
                effective,
                data_json,
                recorded_by,
                recorded_at,
                prev_hash,
                digest,
            )
        )
        prev_hash = digest
    return rows


def row_event(row: EventRow) -> Event:
    """The recorded event of a stored row (its data read from the JSON when first used)."""
    seq, kind, grant, artist, effective, data_json, by, at, prev_hash, digest = row
    return Event(
        seq,
        kind,  # type: ignore[arg-type]
        grant,
        artist,
        date.fromisoformat(effective),
        CanonicalData(data_json),
        by,
        at,
        prev_hash,
        digest,
        data_json,
    )


def seal(new: NewEvent, seq: int, prev_hash: str, recorded_by: str, recorded_at: str) -> Event:
    """Give a new event its place in the chain and its hash."""
    return row_event(chain([pending(new)], seq - 1, prev_hash, recorded_by, recorded_at)[0])


# ------------------------------------------------------------------ the state of one grant


@dataclass(slots=True)
class GrantHistory:
    """Every event of one grant, folded so that its state on any day is a lookup."""

    grant: ConsentGrant
    granted: Event | None = None
    amendments: list[tuple[date, int, dict[str, Any]]] = field(default_factory=list)
    revoked_on: date | None = None
    revocation_reason: str | None = None
    revocation_seq: int | None = None
    _versions: list[tuple[date, ConsentGrant]] | None = None
    _records: dict[tuple[int, bool], ConsentRecord] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The grant id."""
        return self.grant.id

    def amend(self, effective: date, seq: int, changes: Mapping[str, Any]) -> None:
        """Add an amendment (the versions are rebuilt on the next lookup)."""
        self.amendments.append((effective, seq, dict(changes)))
        self.amendments.sort(key=lambda item: (item[0], item[1]))
        self._versions = None
        self._records.clear()

    def revoke(self, effective: date, reason: str | None, seq: int) -> None:
        """Record the revocation."""
        self.revoked_on = effective
        self.revocation_reason = reason
        self.revocation_seq = seq
        self._records.clear()

    def versions(self) -> list[tuple[date, ConsentGrant]]:
        """(in effect from, grant as amended) for the grant and each amendment, in date order."""
        if self._versions is None:
            versions = [(self.grant.valid_from, self.grant)]
            current = grant_payload(self.grant)
            for effective, _, changes in self.amendments:
                current = {**current, **changes}
                versions.append((effective, ConsentGrant.model_validate(current)))
            self._versions = versions
        return self._versions

    def version_index(self, day: date | None) -> int:
        """Which version is in effect on `day` (the newest when `day` is None)."""
        versions = self.versions()
        if day is None:
            return len(versions) - 1
        index = 0
        for i in range(1, len(versions)):
            if versions[i][0] <= day:
                index = i
            else:
                break
        return index

    def record(self, day: date | None = None) -> ConsentRecord:
        """The grant as the engine sees it on `day`: amended as in effect that day, and
        revoked only if the revocation is in effect by then. `None`: everything recorded."""
        index = self.version_index(day)
        revoked = self.revoked_on is not None and (day is None or self.revoked_on <= day)
        key = (index, revoked)
        found = self._records.get(key)
        if found is None:
            found = ConsentRecord(
                grant=self.versions()[index][1],
                revoked_on=self.revoked_on if revoked else None,
                revocation_reason=self.revocation_reason if revoked else None,
            )
            self._records[key] = found
        return found


def fold(events: Iterable[Event], *, known_at: str | None = None) -> dict[str, GrantHistory]:
    """Fold events (in recording order) into each grant's history, by grant id.

    `known_at` (a `timestamp`) ignores events recorded after it: the ledger as it stood then.
    """
    histories: dict[str, GrantHistory] = {}
    for event in events:
        if known_at is not None and event.recorded_at > known_at:
            continue
        if event.kind == "grant":
            histories[event.grant] = GrantHistory(
                grant=ConsentGrant.model_validate(event.data), granted=event
            )
            continue
        history = histories.get(event.grant)
        if history is None:  # cannot happen in a verified ledger; skip rather than guess
            continue
        if event.kind == "amend":
            history.amend(event.effective, event.seq, event.data)
        else:
            reason = event.data.get("reason")
            history.revoke(event.effective, reason if isinstance(reason, str) else None, event.seq)
    return histories


# ------------------------------------------------------------------ checking new events


class ChainCheck:
    """What is known of each grant while new events are checked in order: when it starts,
    whose it is, and whether it is revoked (from the ledger, via `add_known`, and from the
    events accepted so far)."""

    __slots__ = ("artists", "revoked", "starts")

    def __init__(self) -> None:
        self.starts: dict[str, date] = {}
        self.artists: dict[str, str] = {}
        self.revoked: dict[str, date] = {}

    def add_known(self, histories: Mapping[str, GrantHistory]) -> None:
        """Add grants recorded in the ledger (ignoring any already known here)."""
        for grant_id, history in histories.items():
            if grant_id in self.starts:
                continue
            self.starts[grant_id] = history.grant.valid_from
            self.artists[grant_id] = history.grant.artist
            if history.revoked_on is not None:
                self.revoked[grant_id] = history.revoked_on

    def knows(self, grant_id: str) -> bool:
        """Whether the grant is recorded or accepted here."""
        return grant_id in self.starts

    def artist(self, grant_id: str) -> str:
        """The artist of a known grant, or `""`."""
        return self.artists.get(grant_id, "")

    def start(self, grant_id: str) -> date | None:
        """When a known grant starts."""
        return self.starts.get(grant_id)

    def problem(self, event: NewEvent) -> str | None:
        """Accept the event if it can follow what came before (None), or say why not."""
        return self.check(event.kind, event.grant, event.effective, event.artist)

    def check(self, kind: str, grant_id: str, effective: date, artist: str) -> str | None:
        """`problem` of an event given by its parts."""
        starts = self.starts
        if kind == "grant":
            if grant_id in starts:
                return f"grant {grant_id} is already recorded"
            starts[grant_id] = effective
            self.artists[grant_id] = artist
            return None
        start = starts.get(grant_id)
        if start is None:
            return f"there is no grant {grant_id} to {kind}"
        revoked = self.revoked.get(grant_id)
        if revoked is not None:
            return (
                f"grant {grant_id} was revoked on {revoked}; it cannot be "
                f"{'amended' if kind == 'amend' else 'revoked again'}"
            )
        if effective < start:
            what = "revocation" if kind == "revoke" else "amendment"
            return f"the {what} date {effective} is before grant {grant_id} starts on {start}"
        if kind == "revoke":
            self.revoked[grant_id] = effective
        return None


def check_events(
    new: Sequence[NewEvent], existing: Mapping[str, GrantHistory]
) -> list[tuple[int, str]]:
    """Problems with appending `new` (in order) after the grants in `existing`.

    Returns (index into `new`, one plain sentence) for each problem; empty when all can be
    recorded. Checks the order of events, not the fields (see `rows.validate_row`).
    """
    check = ChainCheck()
    check.add_known(existing)
    problems: list[tuple[int, str]] = []
    for index, event in enumerate(new):
        problem = check.problem(event)
        if problem is not None:
            problems.append((index, problem))
    return problems


def amended_grant(history_grant: ConsentGrant, changes: Mapping[str, Any]) -> ConsentGrant:
    """The grant with `changes` applied, validated; raises ValueError with a sentence."""
    unknown = sorted(set(changes) - AMENDABLE)
    if unknown:
        raise ValueError(
            f"an amendment cannot change {', '.join(unknown)}; it may change "
            f"{', '.join(sorted(AMENDABLE))}"
        )
    try:
        return ConsentGrant.model_validate({**grant_payload(history_grant), **changes})
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
