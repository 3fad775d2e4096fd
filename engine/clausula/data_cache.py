"""A cache of checked data files, so that a large catalogue loads in seconds, not minutes.

Reading 1,000,000 works from YAML and checking every entry takes minutes in Python; the
result depends only on the bytes of the data files, the clause files (their vocabulary
decides which purposes and territories are known) and this engine. `clausula.load(…,
cache=DIR)` (or `CLAUSULA_CACHE_DIR`) keeps the checked data as Apache Arrow files in
`DIR/<key>/`, the key a SHA-256 over all of those; the next load with the same bytes
reads the Arrow files instead, and the 1,000,000 works stay columnar until one is looked
up (`ColumnarWorks`).

Safe by construction: the cache is written only by this module, after the data passed
every check; only data is stored (Arrow IPC: strings, dates, lists — no pickle, nothing
that runs code); any change to any input file or to the engine is a new key; a cache that
cannot be read (truncated, corrupt, another format) is ignored and written again. Entries
are written to a temporary directory and renamed into place, so a reader never sees half.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from .catalogue import (
    SECTIONS,
    ConsentGrant,
    DataSet,
    Party,
    Performer,
    Revocation,
    TdmReservation,
    Work,
)
from .trusted_models import trusted

CACHE_FORMAT = "clausula-data-cache/1"
CACHE_ENV = "CLAUSULA_CACHE_DIR"
"""The environment variable naming the cache directory when `load` is given no `cache`."""

_FILES = ("parties", "works", "grants", "revocations")


def cache_dir(cache: str | Path | bool | None) -> Path | None:
    """The cache directory to use: `cache` itself, else `CLAUSULA_CACHE_DIR`; None (no
    cache) when `cache` is False or neither is given."""
    if cache is False:
        return None
    if cache is None or cache is True:
        named = os.environ.get(CACHE_ENV)
        return Path(named) if named else None
    return Path(cache)


def cache_key(contents: Iterable[tuple[str, bytes]]) -> str:
    """The key of a data set: SHA-256 over the engine (its version and the source of the
    modules that read and check data) and every clause and data file by name."""
    digest = hashlib.sha256(CACHE_FORMAT.encode() + b"\0")
    with contextlib.suppress(metadata.PackageNotFoundError):  # a source tree: no version
        digest.update(metadata.version("clausula").encode() + b"\0")
    here = Path(__file__).resolve().parent
    for module in ("catalogue.py", "data_cache.py", "identifiers.py", "territory.py"):
        path = here / module
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name, raw in sorted(contents):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(raw).digest())
    return digest.hexdigest()


# Reservations are kept on their work (`Work.tdm_reservation`), as the data set keeps them.
_ON_WORKS = "tdm_reservations"


def _reservation_type(pa: Any) -> Any:
    text = pa.string()
    return pa.struct(
        [
            ("work", text),
            ("signal", text),
            ("source", text),
            ("seen", pa.date32()),
            ("policy", text),
        ]
    )


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    text, day, texts = pa.string(), pa.date32(), pa.list_(pa.string())
    return {
        "parties": pa.schema(
            [
                ("id", text),
                ("kind", text),
                ("name", text),
                ("birth_date", day),
                ("death_date", day),
                ("residence", text),
                ("estate_of", text),
                ("guardian_of", texts),
                ("bargaining_representative_of", texts),
                ("may_authorise_for", texts),
                ("last_exploited", day),
                ("registered_renewals", pa.int64()),
            ]
        ),
        "works": pa.schema(
            [
                ("id", text),
                ("title", text),
                ("performers", pa.list_(pa.struct([("artist", text), ("role", text)]))),
                ("rights_holder", text),
                ("release_date", day),
                ("tdm_reserved", pa.bool_()),
                ("url", text),
                ("tdm_reservation", _reservation_type(pa)),
            ]
        ),
        "grants": pa.schema(
            [
                ("id", text),
                ("grantor", text),
                ("on_behalf_of", text),
                ("grantee", text),
                ("purposes", texts),
                ("territories", texts),
                ("except_territories", texts),
                ("valid_from", day),
                ("valid_until", day),
                ("formalities", texts),
                ("signed_on", day),
                ("note", text),
            ]
        ),
        "revocations": pa.schema([("grant", text), ("date", day), ("reason", text)]),
    }


def covers_every_field() -> bool:
    """Whether the cache's columns are exactly the sections and fields of the data files'
    records: when a field is added to a record and not here, nothing is cached (rather
    than a cache that silently drops the field); tests/test_data_cache.py checks it."""
    import pyarrow as pa

    schemas = _schemas()
    if set(schemas) | {_ON_WORKS} != set(SECTIONS):
        return False
    reservation = {field.name for field in _reservation_type(pa)}
    return reservation == set(SECTIONS[_ON_WORKS].model_fields) and all(
        set(schemas[name].names) == set(model.model_fields)
        for name, model in SECTIONS.items()
        if name != _ON_WORKS
    )


def write(directory: Path, key: str, data: DataSet) -> None:
    """Keep `data` (checked already) under `directory/key`; a failure to write is ignored
    (the cache only ever saves time)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    if not covers_every_field():
        return
    schemas = _schemas()
    records: dict[str, Iterable[Any]] = {
        "parties": data.parties.values(),
        "works": data.works.values(),
        "grants": data.grants.values(),
        "revocations": data.revocations,
    }
    target = directory / key
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=directory))
        for name in _FILES:
            rows = [_row(record) for record in records[name]]
            table = pa.Table.from_pylist(rows, schema=schemas[name])
            with ipc.new_file(staging / f"{name}.arrow", table.schema) as writer:
                writer.write_table(table)
        (staging / "format").write_text(CACHE_FORMAT, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except OSError:
        shutil.rmtree(locals().get("staging", target.with_suffix(".none")), ignore_errors=True)


def _row(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = record.model_dump()
    if "formalities" in row:
        row["formalities"] = sorted(row["formalities"])
    return row


def read(directory: Path, key: str, files: tuple[Path, ...]) -> DataSet | None:
    """The data set kept under `directory/key`, or None when there is none or it cannot
    be read (then the caller reads the data files, and writes the cache again)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    target = directory / key
    try:
        if (target / "format").read_text(encoding="utf-8") != CACHE_FORMAT:
            return None
        tables = {}
        schemas = _schemas()
        for name in _FILES:
            with pa.memory_map(str(target / f"{name}.arrow")) as source:
                table = ipc.open_file(source).read_all()
            if not table.schema.equals(schemas[name]):
                return None
            tables[name] = table
        parties = ColumnarParties(tables["parties"])
        rows = _rows(tables["grants"])
        for row in rows:
            row["formalities"] = frozenset(row["formalities"])
        grants = {g.id: g for g in _trusted(ConsentGrant, rows)}
        revocations = tuple(_trusted(Revocation, _rows(tables["revocations"])))
        works = ColumnarWorks(tables["works"])
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    return DataSet(parties, works, grants, revocations, files)


def _rows(table: Any) -> list[dict[str, Any]]:
    """The rows of `table` as dicts (what `Table.to_pylist` gives), converted column by
    column: converting Arrow values one by one is most of the cost of a warm load, and
    most columns are empty or repeat a few values."""
    names = table.schema.names
    columns = [_values(table.column(name)) for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _values(column: Any) -> list[Any]:
    """A column's values as Python objects: an empty column is all None, a column of days
    without gaps is converted once per distinct day (grants share a handful of dates)."""
    import pyarrow as pa

    if column.null_count == len(column):
        return [None] * len(column)
    if column.null_count == 0 and pa.types.is_date32(column.type):
        encoded = column.combine_chunks().dictionary_encode()
        days = encoded.dictionary.to_pylist()
        # (`to_pylist`, not `to_numpy`: Arrow's NumPy conversion imports pandas, 0.2-0.3 s
        # of the first load in a process.)
        return [days[n] for n in encoded.indices.to_pylist()]
    values: list[Any] = column.to_pylist()
    return values


_Model = TypeVar("_Model", bound=BaseModel)


def _trusted(model: type[_Model], rows: list[dict[str, Any]]) -> list[_Model]:
    """Records from rows this module wrote once every check had passed, each row with every
    field of `model`: what `model_construct` builds (no validation), without its loop over
    the fields for each record (loading 200,000 records spent most of its time there)."""
    fields = frozenset(model.model_fields)
    if model.__private_attributes__ or model.__pydantic_post_init__:
        return [model.model_construct(**row) for row in rows]
    built = []
    for row in rows:
        if row.keys() != fields:
            raise ValueError(f"a cached {model.__name__} does not have every field")
        record = trusted(model, row, set(fields))
        built.append(record)
    return built


class _ColumnarRecords(Mapping[str, _Model]):
    """Records of a cached data set kept as Arrow columns, by id: a record is built when it
    is looked up (and kept), so loading 1,000,000 works or 100,000 parties builds none of
    them. Read-only, like the mappings of a `DataSet`."""

    read_only = True  # a `DataSet` keeps it as is (`catalogue._read_only`)

    def __init__(self, table: Any) -> None:
        self._table = table
        self._ids: list[str] = table.column("id").to_pylist()
        self._index = dict(zip(self._ids, range(len(self._ids)), strict=True))
        if len(self._index) != len(self._ids):
            raise ValueError("an id is repeated in the cache")
        self._built: dict[str, _Model] = {}

    def _record(self, row: dict[str, Any]) -> _Model:
        raise NotImplementedError

    def __getitem__(self, key: str) -> _Model:
        found = self._built.get(key)
        if found is None:
            n = self._index[key]  # KeyError for an unknown id, as a dict
            found = self._built[key] = self._record(self._table.slice(n, 1).to_pylist()[0])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._index


class ColumnarParties(_ColumnarRecords[Party]):
    """The parties of a cached data set, each built when first looked up."""

    def _record(self, row: dict[str, Any]) -> Party:
        return _trusted(Party, [row])[0]


class ColumnarWorks(_ColumnarRecords[Work]):
    """The works of a cached data set, each built when first looked up."""

    def _record(self, row: dict[str, Any]) -> Work:
        row["performers"] = [Performer.model_construct(**p) for p in row["performers"]]
        if row["tdm_reservation"] is not None:
            row["tdm_reservation"] = TdmReservation.model_construct(**row["tdm_reservation"])
        return Work.model_construct(**row)

    def performers(self) -> Mapping[str, tuple[str, ...]]:
        """Each work's artists, in the order listed, each once (the `DataSet` index)."""
        return _Performers(self)

    def held_by(self) -> Mapping[str, frozenset[str]]:
        """The ids of the works each rights holder holds (the `DataSet` index), found for a
        holder when it is first asked for: only a contract scoped to a catalogue asks, and
        grouping 1,000,000 works by holder at every load cost seconds."""
        return _HeldBy(self._table)

    def artists_of(self, key: str) -> tuple[str, ...]:
        n = self._index[key]
        performers = self._table.column("performers")[n].as_py() or []
        return tuple(dict.fromkeys(p["artist"] for p in performers))


class _HeldBy(Mapping[str, frozenset[str]]):
    """Rights holder → the ids of the works it holds, read from the columns on each first
    lookup and kept (a lookup may run twice in two threads: both find the same set)."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._holders: frozenset[str] | None = None
        self._seen: dict[str, frozenset[str]] = {}

    def _all(self) -> frozenset[str]:
        if self._holders is None:
            import pyarrow.compute as pc

            self._holders = frozenset(pc.unique(self._table.column("rights_holder")).to_pylist())
        return self._holders

    def __getitem__(self, key: str) -> frozenset[str]:
        found = self._seen.get(key)
        if found is None:
            if key not in self._all():
                raise KeyError(key)
            import pyarrow.compute as pc

            chosen = pc.equal(self._table.column("rights_holder"), key)
            found = self._seen[key] = frozenset(self._table.column("id").filter(chosen).to_pylist())
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))

    def __len__(self) -> int:
        return len(self._all())

    def __contains__(self, key: object) -> bool:
        return key in self._all()


class _Performers(Mapping[str, tuple[str, ...]]):
    """Work id → its artists, read from the columns on each lookup and kept."""

    def __init__(self, works: ColumnarWorks) -> None:
        self._works = works
        self._seen: dict[str, tuple[str, ...]] = {}

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._works.artists_of(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._works)

    def __len__(self) -> int:
        return len(self._works)

    def __contains__(self, key: object) -> bool:
        return key in self._works
