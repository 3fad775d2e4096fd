"""The consent ledger in a database: SQLite by default, PostgreSQL through a URL.

One code path for both (SQLAlchemy Core). Writers are serialised — SQLite by
`BEGIN IMMEDIATE`, PostgreSQL by a transaction-scoped advisory lock — so that each new
event is chained to the true head; the primary key on `seq` and the unique `prev_hash`
make a fork impossible even if that were bypassed.

For decisions the ledger keeps, per artist, the folded histories of their grants in
memory, and drops them when another writer moves the head (checked at most every
`max_staleness` seconds; at once after a write through this object).
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from ..catalogue import ConsentGrant
from ..consent import ConsentRecord
from . import migrate
from .events import (
    GENESIS,
    Event,
    EventKind,
    GrantHistory,
    NewEvent,
    amended_grant,
    body_text,
    canonical,
    check_events,
    fold,
    grant_payload,
    seal,
    text_hash,
    timestamp,
    utc_now,
)
from .schema import events as table

DEFAULT_FILE = "consent.db"
_ADVISORY_KEY = 0x436C6175  # "Clau": one lock for every writer of this ledger
_CHUNK = 500


class LedgerError(Exception):
    """A ledger that cannot be opened or read, or an event that cannot be recorded.

    `problems` holds one plain sentence per problem (for several rejected events).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of checking the hash chain."""

    ok: bool
    events: int
    head: str
    broken_seq: int | None = None
    message: str = ""


def default_url(policies: str | Path = "policies") -> str:
    """The SQLite ledger beside the policies: `sqlite:///policies/consent.db`."""
    return f"sqlite:///{(Path(policies) / DEFAULT_FILE).as_posix()}"


def normalise_url(url: str) -> str:
    """A database URL for SQLAlchemy: a bare path is a SQLite file; `postgresql://` and
    `postgres://` use psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).as_posix()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _row_event(row: Any) -> Event:
    return Event(
        seq=int(row.seq),
        kind=cast(EventKind, row.kind),
        grant=row.grant_id,
        artist=row.artist,
        effective=row.effective,
        data=json.loads(row.data),
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def current_user() -> str:
    """Who records events by default: the login name, or `unknown`."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return os.environ.get("USER", "unknown")


class Ledger:
    """A consent ledger in a database; implements the engine's `ConsentLedger`.

    `url`: a SQLAlchemy URL (`sqlite:///policies/consent.db`,
    `postgresql://user@host/db`) or a path to a SQLite file, created on first use.
    `clock` gives the recording time of events (inject a fixed one in tests).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_staleness: float = 1.0,
    ) -> None:
        self.url = normalise_url(url)
        self.clock = clock
        self.max_staleness = max_staleness
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[GrantHistory, ...]] = {}
        self._seen_head: tuple[int, str] | None = None
        self._checked_at = 0.0
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise LedgerError(f"`{url}` is not a database URL or a file path") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise LedgerError(
                f"the ledger needs SQLite or PostgreSQL, not {self.dialect} ({display_url(url)})"
            )
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:"):
                raise LedgerError("the ledger needs a SQLite file, not an in-memory database")
            parent = Path(database).parent
            if not parent.is_dir():
                raise LedgerError(
                    f"cannot create the ledger {database}: there is no directory {parent}"
                )
        try:
            self.engine = sa.create_engine(self.url)
        except (ArgumentError, ImportError) as error:
            raise LedgerError(f"cannot open the ledger {display_url(url)}: {error}") from None
        if self.dialect == "sqlite":
            self._sqlite_setup()
        try:
            with self._write() as connection:
                migrate.upgrade(connection)
        except SQLAlchemyError as error:
            self.engine.dispose()
            raise LedgerError(
                f"cannot open the ledger {display_url(url)}: {_db_reason(error)}"
            ) from None

    # ---------------------------------------------------------------- connections

    def _sqlite_setup(self) -> None:
        @sa_event.listens_for(self.engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" below decide how transactions start.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @sa_event.listens_for(self.engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            write = connection.get_execution_options().get("clausula_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A connection in a transaction that holds the ledger's write lock."""
        with self.engine.connect() as raw:
            connection = raw.execution_options(clausula_write=True)
            with connection.begin():
                if self.dialect == "postgresql":
                    connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})"))
                yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------------------------------------------------------------- reading

    def head(self) -> tuple[int, str]:
        """(number of events, hash of the last event); `(0, GENESIS)` when empty."""
        with self._read() as connection:
            return _head(connection)

    def events(
        self, *, grant: str | None = None, artist: str | None = None, after: int = 0
    ) -> Iterator[Event]:
        """Recorded events in order, optionally only those of one grant or one artist."""
        query = sa.select(table).where(table.c.seq > after).order_by(table.c.seq)
        if grant is not None:
            query = query.where(table.c.grant_id == grant)
        if artist is not None:
            query = query.where(table.c.artist == artist)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=2000).execute(query)
            for row in result:
                yield _row_event(row)

    def histories(
        self, *, artist: str | None = None, known_at: datetime | None = None
    ) -> dict[str, GrantHistory]:
        """Every grant's folded history (of one artist, if given), by grant id.

        `known_at`: only events recorded by then — the ledger as it stood at that moment.
        """
        cutoff = timestamp(known_at) if known_at is not None else None
        return fold(self.events(artist=artist), known_at=cutoff)

    def known(self, grant_ids: set[str]) -> dict[str, GrantHistory]:
        """The folded histories of those of `grant_ids` that are recorded."""
        with self._read() as connection:
            if _head(connection)[0] == 0:
                return {}
            return _existing(connection, grant_ids)

    def history(self, grant: str) -> GrantHistory | None:
        """One grant's folded history, or None if no such grant is recorded."""
        return fold(self.events(grant=grant)).get(grant)

    def state_on(
        self, day: date | None = None, *, known_at: datetime | None = None
    ) -> list[ConsentRecord]:
        """Every grant as it stood on `day` (None: as recorded, newest terms), by artist."""
        histories = self.histories(known_at=known_at)
        records = [history.record(day) for history in histories.values()]
        records.sort(key=lambda r: (r.artist, r.grant.valid_from, r.grant.id))
        return records

    # ---------------------------------------------------------------- the engine's protocol

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._seen_head is not None and now - self._checked_at < self.max_staleness:
            return
        head = self.head()
        with self._lock:
            if head != self._seen_head:
                self._cache = {}
                self._seen_head = head
            self._checked_at = now

    def _artist_histories(self, artist: str) -> tuple[GrantHistory, ...]:
        self._refresh()
        found = self._cache.get(artist)
        if found is None:
            histories = fold(self.events(artist=artist)).values()
            found = tuple(sorted(histories, key=lambda h: (h.grant.valid_from, h.grant.id)))
            with self._lock:
                if len(self._cache) > 200_000:
                    self._cache = {}
                self._cache[artist] = found
        return found

    def records_for(self, artist: str, as_of: date | None = None) -> tuple[ConsentRecord, ...]:
        """All grants given by or on behalf of `artist`, ordered by (valid_from, grant id).

        With `as_of`, each grant as it stood on that day: amendments in effect by then, and
        a revocation only once in effect. Without, everything recorded.
        """
        return tuple(history.record(as_of) for history in self._artist_histories(artist))

    def records_on(self, artist: str, day: date) -> tuple[ConsentRecord, ...]:
        """`records_for(artist, as_of=day)`: what the engine asks on the use's date."""
        return tuple(history.record(day) for history in self._artist_histories(artist))

    def cached_head(self) -> tuple[int, str]:
        """The head the in-memory view was last checked against (reads it if never)."""
        if self._seen_head is None:
            self._refresh()
        assert self._seen_head is not None
        return self._seen_head

    # ---------------------------------------------------------------- writing

    def append(self, new: Sequence[NewEvent], *, recorded_by: str | None = None) -> list[Event]:
        """Record events, all or none, in one transaction; returns them as recorded.

        Raises `LedgerError` listing every event that cannot be recorded (a grant id used
        twice, an amendment or revocation of an unknown or revoked grant, a date before
        the grant starts).
        """
        if not new:
            return []
        who = recorded_by or current_user()
        try:
            with self._write() as connection:
                seq, prev = _head(connection)
                existing = _existing(connection, {e.grant for e in new}) if seq else {}
                problems = check_events(new, existing)
                if problems:
                    lines = [m if len(new) == 1 else f"event {i + 1}: {m}" for i, m in problems]
                    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
                    raise LedgerError(f"nothing was recorded: {lines[0]}{more}", lines)
                when = timestamp(self.clock())
                sealed: list[Event] = []
                for item in new:
                    seq += 1
                    event = seal(item, seq, prev, who, when)
                    sealed.append(event)
                    prev = event.hash
                _insert(connection, sealed)
        except IntegrityError:
            raise LedgerError(
                "another writer recorded an event at the same place in the chain; "
                "nothing was recorded, try again"
            ) from None
        except DBAPIError as error:
            raise LedgerError(f"cannot write to the ledger: {_db_reason(error)}") from None
        with self._lock:
            self._cache = {}
            self._seen_head = (sealed[-1].seq, sealed[-1].hash)
            self._checked_at = time.monotonic()
        return sealed

    def grant(self, grant: ConsentGrant, *, recorded_by: str | None = None) -> Event:
        """Record a new grant."""
        event = NewEvent("grant", grant.id, grant.artist, grant.valid_from, grant_payload(grant))
        return self.append([event], recorded_by=recorded_by)[0]

    def amend(
        self,
        grant_id: str,
        effective: date,
        changes: Mapping[str, Any],
        *,
        recorded_by: str | None = None,
    ) -> Event:
        """Record an amendment of some fields of a grant, in effect from `effective` on."""
        history = self.history(grant_id)
        if history is None:
            raise LedgerError(f"there is no grant {grant_id} to amend")
        try:
            amended = amended_grant(history.versions()[-1][1], changes)
        except ValueError as error:
            raise LedgerError(f"cannot amend grant {grant_id}: {error}") from None
        payload = grant_payload(amended)
        data = {key: payload[key] for key in changes}
        event = NewEvent("amend", grant_id, history.grant.artist, effective, data)
        return self.append([event], recorded_by=recorded_by)[0]

    def revoke(
        self,
        grant_id: str,
        effective: date,
        reason: str | None = None,
        *,
        recorded_by: str | None = None,
    ) -> Event:
        """Record the revocation of a grant, in effect from `effective` on."""
        history = self.history(grant_id)
        if history is None:
            raise LedgerError(f"there is no grant {grant_id} to revoke")
        data = {"reason": reason} if reason else {}
        event = NewEvent("revoke", grant_id, history.grant.artist, effective, data)
        return self.append([event], recorded_by=recorded_by)[0]

    # ---------------------------------------------------------------- verifying

    def verify(self) -> VerifyResult:
        """Check the hash chain from the first event; name the first broken event."""
        expected_seq, prev, count = 1, GENESIS, 0
        query = sa.select(table).order_by(table.c.seq)
        with self.engine.connect() as connection:
            for row in connection.execution_options(yield_per=5000).execute(query):
                count += 1
                seq = int(row.seq)
                if seq != expected_seq:
                    return VerifyResult(
                        False,
                        count,
                        prev,
                        expected_seq,
                        f"event {expected_seq} is missing: the chain jumps from event "
                        f"{expected_seq - 1} to event {seq}",
                    )
                if row.prev_hash != prev:
                    return VerifyResult(
                        False,
                        count,
                        prev,
                        seq,
                        f"event {seq} (grant {row.grant_id}) does not follow event {seq - 1}: "
                        "its previous-hash differs from that event's hash",
                    )
                effective = row.effective
                text = body_text(
                    seq,
                    row.kind,
                    row.grant_id,
                    row.artist,
                    effective.isoformat() if isinstance(effective, date) else str(effective),
                    row.data,
                    row.recorded_by,
                    row.recorded_at,
                    row.prev_hash,
                )
                if text_hash(text) != row.hash:
                    return VerifyResult(
                        False,
                        count,
                        prev,
                        seq,
                        f"event {seq} ({row.kind} of grant {row.grant_id}, recorded by "
                        f"{row.recorded_by} at {row.recorded_at}) was changed after it was "
                        "recorded: its hash does not match its contents",
                    )
                prev = row.hash
                expected_seq += 1
        return VerifyResult(True, count, prev)


_COLUMNS = (
    "seq",
    "kind",
    "grant_id",
    "artist",
    "effective",
    "data",
    "recorded_by",
    "recorded_at",
    "prev_hash",
    "hash",
)


def _insert(connection: sa.Connection, sealed: Sequence[Event]) -> None:
    """Insert events with the driver's `executemany` (SQLAlchemy's per-row compilation
    costs more than the insert itself for large imports)."""
    sqlite = connection.dialect.name == "sqlite"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(_COLUMNS))})"
    )
    rows = [
        (
            e.seq,
            e.kind,
            e.grant,
            e.artist,
            e.effective.isoformat() if sqlite else e.effective,
            e.data_json or canonical(e.data),
            e.recorded_by,
            e.recorded_at,
            e.prev_hash,
            e.hash,
        )
        for e in sealed
    ]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(statement, rows[start : start + 50_000])
    finally:
        cursor.close()


def _head(connection: sa.Connection) -> tuple[int, str]:
    row = connection.execute(
        sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def _existing(connection: sa.Connection, grant_ids: set[str]) -> dict[str, GrantHistory]:
    ids = sorted(grant_ids)
    rows: list[Event] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = sa.select(table).where(table.c.grant_id.in_(chunk)).order_by(table.c.seq)
        rows.extend(_row_event(row) for row in connection.execute(query))
    rows.sort(key=lambda e: e.seq)
    return fold(rows)


def _db_reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip().splitlines()
    return text[0] if text else type(error).__name__
