"""The consent ledger in a database: SQLite by default, PostgreSQL through a URL.

One code path for both (SQLAlchemy Core). Writers are serialised — SQLite by
`BEGIN IMMEDIATE`, PostgreSQL by a transaction-scoped advisory lock — so that each new
event is chained to the true head; the primary key on `seq` and the unique `prev_hash`
make a fork impossible even if that were bypassed.

Every write goes through an `Appender` (`Ledger.appender`): one transaction, the events
chained in a tight loop (`events.chain`) and inserted with multi-row `INSERT … VALUES`
statements through the driver's cursor — for large imports on a thread of their own, so
that the database works while the next rows are validated. A bulk import into SQLite
gets a larger page cache for its transaction; `synchronous=NORMAL` in WAL mode as always.

For decisions the ledger keeps, per artist, the folded histories of their grants in
memory, and drops them when another writer moves the head (checked at most every
`max_staleness` seconds; at once after a write through this object).

Decisions are made only on a verified chain: the first read for a decision checks every
event, later reads only the events added since (from the last verified event), and each
event read for a decision is checked against the digest kept when it was verified. With a
key (`HeadAnchor`), the head is also checked against the signed head kept outside the
database, so that the newest events cannot be removed unnoticed. A broken chain raises
`ChainBroken`, naming the event, for every decision from then on.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain as concatenate
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, cast, overload

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from ..catalogue import ConsentGrant
from ..consent import ConsentRecord
from ..errors import ClausulaError
from . import migrate
from .anchor import AnchorError, HeadAnchor, SignedHead
from .events import (
    GENESIS,
    Event,
    EventKind,
    EventRow,
    GrantHistory,
    NewEvent,
    Pending,
    amended_grant,
    body_text,
    chain,
    check_events,
    fold,
    grant_payload,
    pending,
    row_event,
    text_hash,
    timestamp,
    utc_now,
)
from .schema import events as table

DEFAULT_FILE = "consent.db"
_ADVISORY_KEY = 0x436C6175  # "Clau": one lock for every writer of this ledger
_CHUNK = 500
_INSERT_CHUNK = 6_000
_VALUES_ROWS = 3_000
"""Rows per `INSERT … VALUES` statement (ten parameters each, within SQLite's limit)."""
_THREAD_ROWS = 1_000
"""Batches this large are inserted on a thread of the appender's own."""
_BULK_CACHE_KIB = 256 * 1024
"""SQLite's page cache while appending (the default is 2 MiB): a large import inserts into
three indexes, one of them on random hashes, which thrash a small cache."""


class LedgerError(ClausulaError):
    """A ledger that cannot be opened or read, or an event that cannot be recorded.

    `problems` holds one plain sentence per problem (for several rejected events).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class ChainBroken(LedgerError):
    """The hash chain is broken, or disagrees with the signed head: no decision is made
    on it. `seq` is the number of the first event found wrong (None: not one event)."""

    def __init__(self, seq: int | None, message: str) -> None:
        super().__init__(message)
        self.seq = seq


_DIGEST_BYTES = 16
"""Bytes of each verified event's hash kept in memory (16 MB per million events): an
edit that kept them would need a second preimage of 128 bits of sha256."""


class _Verified:
    """The verified prefix of the chain: `seq` events, the last with hash `hash`, and a
    digest of every one (to check an event again when a decision reads it)."""

    __slots__ = ("digests", "hash", "seq")

    def __init__(self) -> None:
        self.seq = 0
        self.hash = GENESIS
        self.digests = bytearray()

    def add(self, seq: int, digest: str) -> None:
        self.seq, self.hash = seq, digest
        self.digests += bytes.fromhex(digest[: 2 * _DIGEST_BYTES])

    def holds(self, seq: int, digest: str) -> bool:
        kept = self.digests[(seq - 1) * _DIGEST_BYTES : seq * _DIGEST_BYTES]
        return bytes(kept) == bytes.fromhex(digest[: 2 * _DIGEST_BYTES])


def _computed_hash(row: Any) -> str:
    """The hash of a stored row's contents, as `chain` made it when the row was written."""
    effective = row.effective
    return text_hash(
        body_text(
            int(row.seq),
            row.kind,
            row.grant_id,
            row.artist,
            effective.isoformat() if isinstance(effective, date) else str(effective),
            row.data,
            row.recorded_by,
            row.recorded_at,
            row.prev_hash,
        )
    )


def _row_problem(row: Any, expected_seq: int, prev: str) -> str | None:
    """Why a stored row is not event `expected_seq` following a head with hash `prev`."""
    seq = int(row.seq)
    if seq != expected_seq:
        return (
            f"event {expected_seq} is missing: the chain jumps from event "
            f"{expected_seq - 1} to event {seq}"
        )
    if row.prev_hash != prev:
        return (
            f"event {seq} (grant {row.grant_id}) does not follow event {seq - 1}: "
            "its previous-hash differs from that event's hash"
        )
    if _computed_hash(row) != row.hash:
        return (
            f"event {seq} ({row.kind} of grant {row.grant_id}, recorded by "
            f"{row.recorded_by} at {row.recorded_at}) was changed after it was "
            "recorded: its hash does not match its contents"
        )
    return None


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
    `key`: the Ed25519 key file (`clausula consent keygen`) whose signed head anchors the
    chain, or a `HeadAnchor`; default: the file named by `CLAUSULA_LEDGER_KEY`, if set.
    Without one, the chain is still verified, but removing the newest events before the
    ledger is opened cannot be detected.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_staleness: float = 1.0,
        key: str | Path | HeadAnchor | None = None,
    ) -> None:
        self.url = normalise_url(url)
        self.clock = clock
        self.max_staleness = max_staleness
        self._lock = threading.Lock()
        self._verify_lock = threading.Lock()
        self._cache: dict[str, tuple[GrantHistory, ...]] = {}
        self._verified: _Verified | None = None
        self._broken: ChainBroken | None = None
        self._checked_at = 0.0
        self.verified_events = 0
        """How many events the decision path has verified by their hash and link (a
        measure: the first read verifies them all, later reads only the new ones)."""
        try:
            self.anchor = (
                key
                if isinstance(key, HeadAnchor)
                else HeadAnchor(key)
                if key is not None
                else HeadAnchor.from_env()
            )
        except AnchorError as error:
            raise LedgerError(str(error)) from None
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
    def _write(self, *, bulk: bool = False) -> Iterator[sa.Connection]:
        """A connection in a transaction that holds the ledger's write lock. `bulk`: give
        SQLite a large page cache for the transaction (restored after the commit)."""
        with self.engine.connect() as raw:
            connection = raw.execution_options(clausula_write=True)
            with self._roomy_cache(connection, bulk), connection.begin():
                if self.dialect == "postgresql":
                    connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})"))
                yield connection

    @contextmanager
    def _roomy_cache(self, connection: sa.Connection, wanted: bool) -> Iterator[None]:
        if not wanted or self.dialect != "sqlite":
            yield
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        (before,) = driver.execute("PRAGMA cache_size").fetchone()
        driver.execute(f"PRAGMA cache_size=-{_BULK_CACHE_KIB}")
        try:
            yield
        finally:
            with suppress(sqlite3.Error):  # a broken connection is discarded anyway
                driver.execute(f"PRAGMA cache_size={int(before)}")

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
        self,
        *,
        grant: str | None = None,
        artist: str | None = None,
        after: int = 0,
        until: int | None = None,
    ) -> Iterator[Event]:
        """Recorded events in order, optionally only those of one grant or one artist, or
        those numbered `after + 1` to `until`."""
        query = sa.select(table).where(table.c.seq > after).order_by(table.c.seq)
        if until is not None:
            query = query.where(table.c.seq <= until)
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
        broken = self._broken
        if broken is not None:
            raise broken
        now = time.monotonic()
        if self._verified is not None and now - self._checked_at < self.max_staleness:
            return
        with self._verify_lock:
            if self._broken is not None:
                raise self._broken
            try:
                moved = self._advance()
            except ChainBroken as error:
                self._broken = error
                raise
            if moved:
                with self._lock:
                    self._cache = {}
            self._checked_at = now

    def verify_chain(self) -> tuple[int, str]:
        """Verify the chain as the decision path does, now: every event the first time,
        then those added since; raises `ChainBroken` naming the event. The verified head."""
        self._checked_at = 0.0
        return self.cached_head()

    def _advance(self) -> bool:
        """Verify the events added since the last verified one (all, the first time) and
        the head against the signed head; whether the verified head moved."""
        verified = self._verified
        opening = verified is None
        if verified is None:
            verified = _Verified()
        seq, digest = self.head()
        if seq < verified.seq:
            raise ChainBroken(
                seq + 1,
                f"events {seq + 1} to {verified.seq} were removed from the ledger after "
                "they were verified",
            )
        if seq == verified.seq and not opening:
            if digest != verified.hash:
                raise ChainBroken(seq, f"event {seq} was changed after it was verified")
            return False
        with self._read() as connection:
            self._verify_rows(connection, verified, seq)
        if self.anchor is not None:
            self._check_anchor(verified, opening)
        self._verified = verified
        return True

    def _verify_rows(self, connection: sa.Connection, verified: _Verified, until: int) -> None:
        """Verify events `verified.seq + 1` to `until` and add them to `verified`.

        The hot loop of opening a large ledger: rows as plain tuples, each hash computed
        inline as `body_text` does; a row found wrong is described by `_row_problem`."""
        query = (
            sa.select(*(table.c[name] for name in _COLUMNS))
            .where(table.c.seq > verified.seq, table.c.seq <= until)
            .order_by(table.c.seq)
        )
        seq, prev = verified.seq, verified.hash
        digests = verified.digests
        sha256, dumps, fromhex = hashlib.sha256, encode_basestring, bytes.fromhex
        kept = 2 * _DIGEST_BYTES
        result = connection.execution_options(yield_per=5000).execute(query)
        try:
            for row in result:
                number, kind, grant, artist, effective, data, by, at, prev_hash, digest = row
                day = effective if isinstance(effective, str) else effective.isoformat()
                text = (
                    f'{{"artist":{dumps(artist)},"data":{data},"effective":"{day}",'
                    f'"grant":{dumps(grant)},"kind":"{kind}","prev":"{prev_hash}",'
                    f'"recorded_at":"{at}","recorded_by":{dumps(by)},"seq":{number}}}'
                )
                if (
                    number != seq + 1
                    or prev_hash != prev
                    or sha256(text.encode("utf-8")).hexdigest() != digest
                ):
                    problem = _row_problem(row, seq + 1, prev)
                    raise ChainBroken(min(int(number), seq + 1), problem or "the chain is broken")
                seq, prev = number, digest
                digests += fromhex(digest[:kept])
                self.verified_events += 1
        finally:
            verified.seq, verified.hash = seq, prev
        if seq < until:
            raise ChainBroken(seq + 1, f"event {seq + 1} is missing")

    def _check_anchor(self, verified: _Verified, opening: bool) -> None:
        """The verified head against the signed one. A signed head ahead of the database
        is a write being committed while the ledger is in use, but at opening it is looked
        at again under the write lock: then it means events were removed."""
        anchor = self.anchor
        assert anchor is not None
        signed = self._signed_head()
        if signed is not None and signed.seq > verified.seq and opening:
            with self._write() as connection:  # no write is being committed meanwhile
                seq, _ = _head(connection)
                self._verify_rows(connection, verified, seq)
                signed = self._signed_head()
        if signed is None:
            if verified.seq == 0:
                return  # a new ledger: its first write signs its head
            raise ChainBroken(
                None,
                f"the ledger has {verified.seq} event(s) but there is no signed head "
                f"{anchor.head_path}: check it with `clausula consent verify`, then sign "
                "it with `clausula consent sign-head`",
            )
        if signed.seq > verified.seq:
            if opening:
                raise ChainBroken(
                    verified.seq + 1,
                    f"the signed head names event {signed.seq}, but the ledger ends at event "
                    f"{verified.seq}: events {verified.seq + 1} to {signed.seq} were removed",
                )
            return
        if signed.seq < verified.seq:
            raise ChainBroken(
                signed.seq + 1,
                f"events {signed.seq + 1} to {verified.seq} are not covered by the signed "
                f"head {anchor.head_path}: they were recorded without the key, or added "
                "behind the ledger's back",
            )
        if signed.hash != verified.hash:
            raise ChainBroken(
                signed.seq,
                f"event {signed.seq} is not the event signed in {anchor.head_path}: "
                "the ledger was rewritten",
            )

    def _signed_head(self) -> SignedHead | None:
        assert self.anchor is not None
        try:
            return self.anchor.read()
        except AnchorError as error:
            raise ChainBroken(None, str(error)) from None

    def _verified_events(self, artist: str) -> Iterator[Event]:
        """The events of one artist that have been verified, each checked again against
        its digest (an event changed since it was verified breaks the chain)."""
        verified = self._verified
        assert verified is not None
        query = (
            sa.select(table)
            .where(table.c.artist == artist, table.c.seq <= verified.seq)
            .order_by(table.c.seq)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
        for row in rows:
            digest = _computed_hash(row)
            if digest != row.hash or not verified.holds(int(row.seq), digest):
                self._broken = ChainBroken(
                    int(row.seq),
                    f"event {row.seq} ({row.kind} of grant {row.grant_id}) was changed after "
                    "it was verified: its hash does not match its contents",
                )
                raise self._broken
            yield _row_event(row)

    def _artist_histories(self, artist: str) -> tuple[GrantHistory, ...]:
        self._refresh()
        found = self._cache.get(artist)
        if found is None:
            histories = fold(self._verified_events(artist)).values()
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
        """The verified head decisions are made on, (number of events, hash of the last);
        verifies the chain first if it is due. Raises `ChainBroken` on a broken chain."""
        self._refresh()
        verified = self._verified
        assert verified is not None
        return verified.seq, verified.hash

    # ---------------------------------------------------------------- writing

    def append(self, new: Sequence[NewEvent], *, recorded_by: str | None = None) -> list[Event]:
        """Record events, all or none, in one transaction; returns them as recorded.

        Raises `LedgerError` listing every event that cannot be recorded (a grant id used
        twice, an amendment or revocation of an unknown or revoked grant, a date before
        the grant starts).
        """
        if not new:
            return []
        with self.appender(recorded_by=recorded_by, keep=True) as appender:
            problems = check_events(new, appender.known({e.grant for e in new}))
            if problems:
                lines = [m if len(new) == 1 else f"event {i + 1}: {m}" for i, m in problems]
                more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
                raise LedgerError(f"nothing was recorded: {lines[0]}{more}", lines)
            appender.write(new)
        return [row_event(row) for row in appender.rows]

    @contextmanager
    def appender(
        self, *, recorded_by: str | None = None, keep: bool = False, bulk: bool = False
    ) -> Iterator[Appender]:
        """One write transaction to append events with (`Appender.write`, as often as
        needed): committed when the block ends, rolled back — nothing recorded — if it
        raises. Holds the ledger's write lock throughout. `keep`: keep the stored rows
        in `Appender.rows` (else only their count: see `recorded`). `bulk`: many rows
        are coming (SQLite gets a large page cache for the transaction).

        Database errors become `LedgerError`; anything else raised in the block passes
        through after the rollback.
        """
        who = recorded_by or current_user()
        integrity, failure = _driver_errors(self.engine.dialect)
        anchor = self.anchor
        touched, signed_before = False, None  # the head file as it was before this write
        try:
            with self._write(bulk=bulk) as connection:
                appender = Appender(connection, who, self.clock, keep=keep)
                try:
                    yield appender
                    appender.finish()
                finally:
                    appender.close()
                if anchor is not None and appender.count:
                    # Signed under the write lock, before the commit: whoever sees these
                    # events sees a signed head that covers them.
                    signed_before, touched = anchor.raw(), True
                    self._sign(anchor, appender.seq, appender.prev)
        except BaseException as error:
            if touched and anchor is not None:
                with suppress(OSError):  # not committed: the old signed head holds
                    anchor.put_back(signed_before)
            if isinstance(error, integrity):
                raise LedgerError(
                    "another writer recorded an event at the same place in the chain; "
                    "nothing was recorded, try again"
                ) from None
            if isinstance(error, failure):
                raise LedgerError(f"cannot write to the ledger: {_db_reason(error)}") from None
            raise
        if appender.count:
            with self._lock:
                self._cache = {}
                self._checked_at = 0.0  # verify the new events before the next decision

    @staticmethod
    def _sign(anchor: HeadAnchor, seq: int, digest: str) -> None:
        try:
            anchor.write(seq, digest)
        except OSError as error:
            raise LedgerError(
                f"cannot sign the ledger's head in {anchor.head_path}: "
                f"{error.strerror or error}; nothing was recorded"
            ) from None

    def sign_head(self) -> VerifyResult:
        """Verify the whole chain and, if it is sound, sign its head with the key (for a
        ledger recorded before it had a key, or after a write without it)."""
        if self.anchor is None:
            raise LedgerError("there is no key to sign with (--ledger-key or CLAUSULA_LEDGER_KEY)")
        with self._write() as connection:  # no write in between
            result = self._verify_chain(connection)
            if result.ok:
                self._sign(self.anchor, result.events, result.head)
        return result

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

    def recorded(self, first: int, count: int) -> RecordedEvents:
        """Events `first` to `first + count - 1`, read from the ledger when looked at."""
        return RecordedEvents(self, first, count)

    # ---------------------------------------------------------------- verifying

    def verify(self) -> VerifyResult:
        """Check the hash chain from the first event, and with a key its head against the
        signed head; name the first broken event."""
        with self.engine.connect() as connection:
            result = self._verify_chain(connection)
        if not result.ok or self.anchor is None:
            return result
        verified = _Verified()
        verified.seq, verified.hash = result.events, result.head
        try:
            self._check_anchor(verified, opening=True)
        except ChainBroken as error:
            return VerifyResult(False, result.events, result.head, error.seq, str(error))
        return result

    @staticmethod
    def _verify_chain(connection: sa.Connection) -> VerifyResult:
        expected_seq, prev, count = 1, GENESIS, 0
        query = sa.select(table).order_by(table.c.seq)
        for row in connection.execution_options(yield_per=5000).execute(query):
            count += 1
            problem = _row_problem(row, expected_seq, prev)
            if problem is not None:
                broken = expected_seq if int(row.seq) != expected_seq else int(row.seq)
                return VerifyResult(False, count, prev, broken, problem)
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


class RecordedEvents(Sequence[Event]):
    """The events of one import, events `first` to `first + len - 1` of the ledger, read
    from it when looked at (a million-row import keeps none of them in memory)."""

    def __init__(self, ledger: Ledger, first: int, count: int) -> None:
        self.ledger = ledger
        self.first = first
        self._length = count

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        numbers = range(self.first, self.first + self._length)[index]
        if isinstance(numbers, int):
            (event,) = self.ledger.events(after=numbers - 1, until=numbers)
            return event
        if not numbers:
            return []
        low, high = min(numbers[0], numbers[-1]), max(numbers[0], numbers[-1])
        found = {e.seq: e for e in self.ledger.events(after=low - 1, until=high)}
        return [found[seq] for seq in numbers]

    def __iter__(self) -> Iterator[Event]:
        if self._length:
            yield from self.ledger.events(after=self.first - 1, until=self.first + self._length - 1)

    def __repr__(self) -> str:
        return (
            f"<{self._length} event(s) recorded, {self.first} to {self.first + self._length - 1}>"
        )


class Appender:
    """Appends events to the hash chain inside one write transaction (`Ledger.appender`).

    Every event it writes is recorded by the same person at the same time (read from the
    ledger's clock at the first write). `seq` and `prev` are the head of the chain as
    written so far; the events written are numbered `first` to `seq` (`count` of them).
    """

    def __init__(
        self,
        connection: sa.Connection,
        recorded_by: str,
        clock: Callable[[], datetime],
        *,
        keep: bool = False,
    ) -> None:
        self._connection = connection
        self._clock = clock
        self.recorded_by = recorded_by
        self.recorded_at: str | None = None
        self.seq, self.prev = _head(connection)
        self.first = self.seq + 1
        self._empty = self.seq == 0
        self._keep = keep
        self.rows: list[EventRow] = []
        """The stored rows written, when kept (`Ledger.appender(keep=True)`)."""
        self._inserter = _Inserter(connection)

    @property
    def count(self) -> int:
        """How many events have been written."""
        return self.seq - self.first + 1

    def known(self, grant_ids: set[str]) -> dict[str, GrantHistory]:
        """The folded histories of those of `grant_ids` recorded before this transaction."""
        if self._empty or not grant_ids:
            return {}
        self._inserter.wait()  # the connection is the inserter's until then
        return _existing(self._connection, grant_ids)

    def write(self, new: Sequence[NewEvent]) -> None:
        """Chain and insert events (the caller has checked them: `check_events`)."""
        self.write_pending([pending(event) for event in new])

    def write_pending(self, new: Sequence[Pending]) -> None:
        """`write`, for events given as `Pending` tuples."""
        if not new:
            return
        if self.recorded_at is None:
            self.recorded_at = timestamp(self._clock())
        for start in range(0, len(new), _INSERT_CHUNK):
            rows = chain(
                new[start : start + _INSERT_CHUNK],
                self.seq,
                self.prev,
                self.recorded_by,
                self.recorded_at,
            )
            self._inserter.insert(rows)
            self.seq, self.prev = rows[-1][0], rows[-1][-1]
            if self._keep:
                self.rows.extend(rows)

    def finish(self) -> None:
        """Wait until every row is in the database; raise what inserting one raised."""
        self._inserter.wait()

    def close(self) -> None:
        """Stop the inserter's thread, if it has one (dropping rows not yet inserted)."""
        self._inserter.close()


class _Inserter:
    """Inserts chained rows with multi-row `INSERT … VALUES (…), (…)` statements on the
    transaction's connection: at once for a few rows, and for large batches on a thread
    of its own, so that the database's work — C code that releases the GIL while it runs
    a statement — overlaps the chaining and validating of the next rows. One statement
    holds thousands of rows, so the thread needs the GIL rarely.

    The connection is the thread's until `wait` returns; the rows keep their order.
    """

    def __init__(self, connection: sa.Connection) -> None:
        dialect = connection.dialect
        driver = connection.connection.driver_connection
        assert driver is not None
        self._driver: Any = driver
        self._marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self._dates = dialect.name != "sqlite"  # PostgreSQL: a date for the date column
        limit = 32_766 if dialect.name == "sqlite" else 65_535
        if dialect.name == "sqlite":
            with suppress(AttributeError, sqlite3.Error):
                limit = self._driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._per_statement = max(1, min(_VALUES_ROWS, limit // len(_COLUMNS)))
        self._statements: dict[int, str] = {}
        self._queue: queue.Queue[list[tuple[int, list[Any]]] | None] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._dropping = False

    def insert(self, rows: list[EventRow]) -> None:
        self._raise()
        batch = self._parameters(rows)
        if self._thread is None:
            if len(rows) < _THREAD_ROWS:
                self._execute(batch)
                return
            self._thread = threading.Thread(
                target=self._run, name="clausula-ledger-insert", daemon=True
            )
            self._thread.start()
        self._queue.put(batch)

    def wait(self) -> None:
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def close(self) -> None:
        if self._thread is not None:
            self._dropping = True
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self._error is None and not self._dropping:
                    self._execute(batch)
            except BaseException as error:  # raised in the appending thread by `wait`
                self._error = error
            finally:
                self._queue.task_done()

    def _parameters(self, rows: list[EventRow]) -> list[tuple[int, list[Any]]]:
        """(rows, their parameters in one list) for each statement (made here, so that
        the inserting thread holds the GIL only to bind them)."""
        batch = []
        step = self._per_statement
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            values: Iterable[tuple[Any, ...]] = part
            if self._dates:
                values = [(*row[:4], date.fromisoformat(row[4]), *row[5:]) for row in part]
            batch.append((len(part), list(concatenate.from_iterable(values))))
        return batch

    def _execute(self, batch: list[tuple[int, list[Any]]]) -> None:
        cursor = self._driver.cursor()
        try:
            for count, parameters in batch:
                cursor.execute(self._statement(count), parameters)
        finally:
            cursor.close()

    def _statement(self, count: int) -> str:
        statement = self._statements.get(count)
        if statement is None:
            one = f"({', '.join([self._marker] * len(_COLUMNS))})"
            statement = f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) VALUES " + ", ".join(
                [one] * count
            )
            self._statements[count] = statement
        return statement


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


def _driver_errors(
    dialect: sa.Dialect,
) -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """SQLAlchemy's IntegrityError and DBAPIError, each with the driver's own class (rows
    are inserted with the driver's cursor, whose errors SQLAlchemy does not wrap)."""
    module = dialect.loaded_dbapi
    integrity: tuple[type[Exception], ...] = (IntegrityError,)
    failure: tuple[type[Exception], ...] = (DBAPIError,)
    found = getattr(module, "IntegrityError", None)
    if isinstance(found, type) and issubclass(found, Exception):
        integrity += (found,)
    found = getattr(module, "Error", None)
    if isinstance(found, type) and issubclass(found, Exception):
        failure += (found,)
    return integrity, failure


def _db_reason(error: Exception) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip().splitlines()
    return text[0] if text else type(error).__name__
