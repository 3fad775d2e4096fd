"""Import and export of consent events as YAML, JSON Lines or CSV.

One row is one event:

- `event: grant` (the default) with the fields of a grant (`docs/data.md`);
- `event: amend` with `grant`, `date` (in effect from) and the fields it changes;
- `event: revoke` with `grant`, `date` and an optional `reason`.

A YAML file holds a list of rows, a mapping with an `events:` list, or a data file's
`grants:` and `revocations:` sections. JSON Lines holds one row object per line. CSV has
a header row with the columns of `CSV_COLUMNS`; lists are separated by spaces, an empty
cell is an absent field, and `none` clears a field in an amendment.

`read_rows` validates every row and reports each bad one with its line; `Ledger.append`
then records all rows in one transaction, or none.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, SequenceNode

from ..catalogue import ANY, ConsentGrant, Day, Formality, _Loader
from ..identifiers import PARTY_SCHEMES, id_problem
from .events import AMENDABLE, Event, GrantHistory, NewEvent, check_events, grant_payload

Format = Literal["yaml", "jsonl", "csv"]
FORMATS: dict[str, Format] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
CSV_COLUMNS = (
    "event",
    "id",
    "grant",
    "grantor",
    "on_behalf_of",
    "grantee",
    "purposes",
    "territories",
    "except_territories",
    "valid_from",
    "valid_until",
    "formalities",
    "signed_on",
    "note",
    "date",
    "reason",
)
_LISTS = frozenset({"purposes", "territories", "except_territories", "formalities"})
_CLEARABLE = frozenset({"valid_until", "signed_on", "note"})
_GRANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A bad row: the file, the line it starts on and one plain sentence."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class RowsError(Exception):
    """Rows that cannot be imported; `problems` names each bad row by line."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What rows are checked against: the declared purposes and a territory-code check."""

    purposes: frozenset[str]
    territory_problem: Callable[[str], str | None]


class _Amend(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    event: Literal["amend"]
    grant: str
    date: Day
    purposes: list[str] | None = None
    territories: list[str] | None = None
    except_territories: list[str] | None = None
    valid_until: Day | None = None
    formalities: frozenset[Formality] | None = None
    signed_on: Day | None = None
    note: str | None = None


class _Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    event: Literal["revoke"]
    grant: str
    date: Day
    reason: str | None = None


def format_of(path: str | Path, given: str | None = None) -> Format:
    """The format named, or the one the file's suffix says; ValueError with a sentence."""
    if given is not None:
        if given not in ("yaml", "jsonl", "csv"):
            raise ValueError(f"`{given}` is not a format; use yaml, jsonl or csv")
        return given  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    found = FORMATS.get(suffix)
    if found is None:
        raise ValueError(
            f"cannot tell the format of {path} from its suffix; name it .yaml, .jsonl or .csv, "
            "or say --format"
        )
    return found


# ------------------------------------------------------------------ reading raw rows


def _yaml_rows(text: str, path: str) -> Iterator[tuple[int, Any]]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or "it is not valid YAML"
        raise RowsError([RowProblem(path, line, f"not valid YAML: {problem}")]) from None
    if root is None:
        return
    loader = _Loader("")
    sections: list[tuple[str | None, Node]] = []
    if isinstance(root, SequenceNode):
        sections.append((None, root))
    elif isinstance(root, MappingNode):
        for key, value in root.value:
            name = key.value
            if name not in ("events", "grants", "revocations"):
                raise RowsError(
                    [
                        RowProblem(
                            path,
                            key.start_mark.line + 1,
                            f"`{name}` is not a section of a consent file; use `events`, "
                            "`grants` or `revocations`",
                        )
                    ]
                )
            sections.append((name, value))
    else:
        raise RowsError(
            [RowProblem(path, 1, "a consent file must be a list of rows or have an `events:` list")]
        )
    for name, node in sections:
        if not isinstance(node, SequenceNode):
            if getattr(node, "value", None) in (None, "", "null"):
                continue
            raise RowsError(
                [RowProblem(path, node.start_mark.line + 1, f"`{name}` must be a list of rows")]
            )
        for item in node.value:
            value = loader.construct_document(item)
            if isinstance(value, dict):
                if name == "revocations":
                    value = {"event": "revoke", **value}
                elif name == "grants":
                    value = {"event": "grant", **value}
            yield item.start_mark.line + 1, value


def _jsonl_rows(text: str, path: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, _Bad(f"not valid JSON at column {error.colno}: {error.msg}")


def _csv_rows(text: str, path: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise RowsError(
            [
                RowProblem(
                    path,
                    1,
                    f"unknown column(s) {', '.join(unknown)}; the columns are "
                    f"{', '.join(CSV_COLUMNS)}",
                )
            ]
        )
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield start, _Bad(f"has {len(cells)} cells; the header has {len(header)}")
            continue
        row: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            if not cell:
                continue
            if name in _LISTS:
                row[name] = [part for part in re.split(r"[\s;,]+", cell) if part]
            elif cell == "none" and name in _CLEARABLE:
                row[name] = None
            else:
                row[name] = cell
        yield start, row


@dataclass(frozen=True, slots=True)
class _Bad:
    message: str


# ------------------------------------------------------------------ validating


def _plain(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        kind = item["type"]
        if kind == "missing":
            parts.append(f"`{loc}` is missing")
        elif kind == "extra_forbidden":
            parts.append(f"`{loc}` is not a field of this row")
        elif kind == "value_error":
            parts.append(f"{loc}: {item.get('ctx', {}).get('error', item['msg'])}")
        elif kind == "literal_error":
            parts.append(
                f"{loc}: `{item.get('input')}` is not allowed; expected "
                f"{item.get('ctx', {}).get('expected', '')}"
            )
        else:
            parts.append(f"{loc}: {str(item['msg']).lower()}")
    return "; ".join(parts)


_ISNI = re.compile(r"isni:([0-9]{15})([0-9X])")
_PARTY = re.compile(r"party:[a-z0-9][a-z0-9-]*")
_id_cache: dict[str, str | None] = {}


def _party_problem(value: str) -> str | None:
    """`id_problem(value, PARTY_SCHEMES)`, with a fast path for well-formed ISNIs and
    local ids (a million-row import checks a million ISNIs)."""
    match = _ISNI.fullmatch(value)
    if match is not None:
        total = 0
        for digit in match.group(1):
            total = (total + int(digit)) * 2
        check = (12 - total % 11) % 11
        if match.group(2) == ("X" if check == 10 else str(check)):
            return None
    elif _PARTY.fullmatch(value):
        return None
    if value not in _id_cache:
        if len(_id_cache) > 10_000:
            _id_cache.clear()
        _id_cache[value] = id_problem(value, PARTY_SCHEMES)
    return _id_cache[value]


def _check_grant_fields(fields: Mapping[str, Any], vocabulary: Vocabulary | None) -> list[str]:
    problems: list[str] = []
    for key in ("grantor", "on_behalf_of"):
        value = fields.get(key)
        if isinstance(value, str) and (problem := _party_problem(value)):
            problems.append(f"{key}: {problem}")
    grantee = fields.get("grantee")
    if isinstance(grantee, str) and grantee != ANY and (problem := _party_problem(grantee)):
        problems.append(f"grantee: {problem}")
    if vocabulary is not None:
        for purpose in fields.get("purposes") or ():
            if purpose != ANY and purpose not in vocabulary.purposes:
                from ..diagnostics import did_you_mean

                hint = did_you_mean(purpose, vocabulary.purposes)
                problems.append(
                    f"purposes: unknown purpose `{purpose}`" + (f"; {hint}" if hint else "")
                )
        for key in ("territories", "except_territories"):
            for code in fields.get(key) or ():
                if problem := vocabulary.territory_problem(code):
                    problems.append(f"{key}: {problem}")
    return problems


def validate_row(raw: Any, vocabulary: Vocabulary | None) -> NewEvent | str:
    """One raw row as a new event, or one sentence saying everything wrong with it.

    An amendment's artist is filled in later, from its grant (`resolve`).
    """
    if isinstance(raw, _Bad):
        return raw.message
    if not isinstance(raw, dict):
        return "a row must be a mapping of fields, such as `event: grant`"
    kind = raw.get("event", "grant")
    body = {k: v for k, v in raw.items() if k != "event"}
    if kind == "grant":
        try:
            grant = ConsentGrant.model_validate(body)
        except ValidationError as error:
            return _plain(error)
        problems = []
        if not _GRANT_ID.fullmatch(grant.id):
            problems.append(
                f"id: the grant id `{grant.id}` may contain only letters, digits, `.`, `_` and `-`"
            )
        problems += _check_grant_fields(body, vocabulary)
        if grant.valid_until is not None and grant.valid_until < grant.valid_from:
            problems.append(
                f"valid_until: the grant ends on {grant.valid_until}, before it starts on "
                f"{grant.valid_from}"
            )
        if problems:
            return "; ".join(problems)
        return NewEvent("grant", grant.id, grant.artist, grant.valid_from, grant_payload(grant))
    if kind == "amend":
        try:
            amend = _Amend.model_validate(raw)
        except ValidationError as error:
            return _plain(error)
        changes = {k: v for k, v in raw.items() if k in AMENDABLE}
        if not changes:
            return f"the amendment of {amend.grant} changes nothing; give a field to change"
        for key in ("purposes", "territories"):
            if key in changes and not changes[key]:
                return f"{key}: must list at least one value"
        problems = _check_grant_fields(changes, vocabulary)
        if problems:
            return "; ".join(problems)
        dumped = amend.model_dump(mode="json")
        data = {k: dumped[k] for k in changes}
        if "formalities" in data and data["formalities"] is not None:
            data["formalities"] = sorted(data["formalities"])
        return NewEvent("amend", amend.grant, "", amend.date, data)
    if kind == "revoke":
        try:
            revoke = _Revoke.model_validate(raw)
        except ValidationError as error:
            return _plain(error)
        data = {"reason": revoke.reason} if revoke.reason else {}
        return NewEvent("revoke", revoke.grant, "", revoke.date, data)
    return f"`event: {kind}` is not an event; use grant, amend or revoke"


def read_rows(
    text: str,
    path: str,
    fmt: Format,
    *,
    vocabulary: Vocabulary | None,
    existing: Callable[[set[str]], Mapping[str, GrantHistory]],
) -> list[NewEvent]:
    """Parse and validate every row; the events to record, or `RowsError` naming each bad
    row by line. `existing` looks up grants already in the ledger by id."""
    reader = {"yaml": _yaml_rows, "jsonl": _jsonl_rows, "csv": _csv_rows}[fmt]
    problems: list[RowProblem] = []
    events: list[NewEvent] = []
    lines: list[int] = []
    for line, raw in reader(text, path):
        result = validate_row(raw, vocabulary)
        if isinstance(result, str):
            problems.append(RowProblem(path, line, result))
        else:
            events.append(result)
            lines.append(line)
    known = existing(
        {e.grant for e in events if e.kind != "grant"}
        | {e.grant for e in events if e.kind == "grant"}
    )
    # Amendments and revocations take the artist of their grant (in the file or the ledger).
    artists = {gid: h.grant.artist for gid, h in known.items()}
    starts_until: dict[str, tuple[date, date | None]] = {
        gid: (h.grant.valid_from, h.versions()[-1][1].valid_until) for gid, h in known.items()
    }
    resolved: list[NewEvent] = []
    for event in events:
        if event.kind == "grant":
            artists.setdefault(event.grant, event.artist)
            until = event.data.get("valid_until")
            starts_until.setdefault(
                event.grant,
                (event.effective, date.fromisoformat(until) if isinstance(until, str) else None),
            )
            resolved.append(event)
        else:
            resolved.append(
                NewEvent(
                    event.kind,
                    event.grant,
                    artists.get(event.grant, ""),
                    event.effective,
                    event.data,
                )
            )
    for index, message in check_events(resolved, known):
        problems.append(RowProblem(path, lines[index], message))
    for index, event in enumerate(resolved):
        if event.kind == "amend" and isinstance(event.data.get("valid_until"), str):
            span = starts_until.get(event.grant)
            until = date.fromisoformat(event.data["valid_until"])
            if span is not None and until < span[0]:
                problems.append(
                    RowProblem(
                        path,
                        lines[index],
                        f"valid_until: the amended grant would end on "
                        f"{until}, before it starts on {span[0]}",
                    )
                )
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RowsError(problems)
    return resolved


# ------------------------------------------------------------------ writing


def event_row(event: Event) -> dict[str, Any]:
    """The row that `read_rows` reads back as this event (provenance is not part of it)."""
    if event.kind == "grant":
        row: dict[str, Any] = {"event": "grant"}
        for key, value in event.data.items():
            if value is None or (key in ("except_territories", "formalities") and not value):
                continue
            row[key] = value
        return row
    return {
        "event": event.kind,
        "grant": event.grant,
        "date": event.effective.isoformat(),
        **dict(event.data),
    }


def write_rows(events: Iterable[Event], fmt: Format, out: TextIO) -> int:
    """Write events as rows in `fmt`; returns how many."""
    count = 0
    if fmt == "jsonl":
        for event in events:
            out.write(json.dumps(event_row(event), ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for event in events:
            row = event_row(event)
            cells = []
            for name in CSV_COLUMNS:
                if name not in row:
                    cells.append("")
                elif row[name] is None:
                    cells.append("none")
                elif name in _LISTS:
                    cells.append(" ".join(row[name]))
                else:
                    cells.append(str(row[name]))
            writer.writerow(cells)
            count += 1
        return count
    rows = [event_row(event) for event in events]
    out.write("# Consent events, oldest first (clausula consent export).\n")
    if rows:
        yaml.safe_dump({"events": rows}, out, sort_keys=False, allow_unicode=True, width=100)
    else:
        out.write("events: []\n")
    return len(rows)
