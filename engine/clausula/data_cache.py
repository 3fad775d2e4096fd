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
        parties = {p.id: p for p in _trusted(Party, tables["parties"].to_pylist())}
        rows = tables["grants"].to_pylist()
        for row in rows:
            row["formalities"] = frozenset(row["formalities"])
        grants = {g.id: g for g in _trusted(ConsentGrant, rows)}
        revocations = tuple(_trusted(Revocation, tables["revocations"].to_pylist()))
        works = ColumnarWorks(tables["works"])
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    return DataSet(parties, works, grants, revocations, files)


_Model = TypeVar("_Model", bound=BaseModel)


def _trusted(model: type[_Model], rows: list[dict[str, Any]]) -> list[_Model]:
    """Records from rows this module wrote once every check had passed, each row with every
    field of `model`: what `model_construct` builds (no validation), without its loop over
    the fields for each record (loading 200,000 records spent most of its time there)."""
    fields = frozenset(model.model_fields)
    if model.__private_attributes__ or model.__pydantic_post_init__:
        return [model.model_construct(**row) for row in rows]
    new, set_attribute = model.__new__, object.__setattr__
    built = []
    for row in rows:
        if row.keys() != fields:
            raise ValueError(f"a cached {model.__name__} does not have every field")
        record = new(model)
        set_attribute(record, "__dict__", row)
        set_attribute(record, "__pydantic_fields_set__", set(fields))
        set_attribute(record, "__pydantic_extra__", None)
        set_attribute(record, "__pydantic_private__", None)
        built.append(record)
    return built


class ColumnarWorks(Mapping[str, Work]):
    """The works of a cached data set, kept as Arrow columns: a `Work` is built when it is
    looked up (and kept), so loading 1,000,000 works builds none of them."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._ids: list[str] = table.column("id").to_pylist()
        self._index = {ident: n for n, ident in enumerate(self._ids)}
        if len(self._index) != len(self._ids):
            raise ValueError("a work id is repeated in the cache")
        self._built: dict[str, Work] = {}

    def __getitem__(self, key: str) -> Work:
        found = self._built.get(key)
        if found is None:
            n = self._index[key]  # KeyError for an unknown work, as a dict
            row = self._table.slice(n, 1).to_pylist()[0]
            row["performers"] = [Performer.model_construct(**p) for p in row["performers"]]
            if row["tdm_reservation"] is not None:
                row["tdm_reservation"] = TdmReservation.model_construct(**row["tdm_reservation"])
            found = self._built[key] = Work.model_construct(**row)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def performers(self) -> Mapping[str, tuple[str, ...]]:
        """Each work's artists, in the order listed, each once (the `DataSet` index)."""
        return _Performers(self)

    def held_by(self) -> dict[str, frozenset[str]]:
        """The ids of the works each rights holder holds (the `DataSet` index)."""
        grouped = self._table.group_by("rights_holder").aggregate([("id", "list")])
        return {
            holder: frozenset(ids)
            for holder, ids in zip(
                grouped.column("rights_holder").to_pylist(),
                grouped.column("id_list").to_pylist(),
                strict=True,
            )
        }

    def artists_of(self, key: str) -> tuple[str, ...]:
        n = self._index[key]
        performers = self._table.column("performers")[n].as_py() or []
        return tuple(dict.fromkeys(p["artist"] for p in performers))


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
