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
then records all rows in one transaction, or none. `record_rows` does both in one pass for
large files: it validates the rows in chunks and appends each good chunk inside one write
transaction, which it rolls back, recording nothing, if any row is bad.

A well-formed grant row is checked by a fast path (`_GrantRows`) that remembers what it
has seen (territory and purpose lists, dates, identifiers); any row it does not accept is
checked again by the pydantic model, so that every bad row gets the same sentence.
"""

from __future__ import annotations

import csv
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, SequenceNode

from .. import safe_yaml
from ..catalogue import ANY, ConsentGrant, Day, Formality, _day, _Loader
from ..errors import ClausulaError
from ..identifiers import PARTY_SCHEMES, id_problem
from .events import (
    AMENDABLE,
    ChainCheck,
    Event,
    GrantHistory,
    NewEvent,
    Pending,
    grant_payload,
    new_event,
    pending,
)

if TYPE_CHECKING:
    from .store import Appender, Ledger

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
_SCAN: Callable[[str, int], tuple[Any, int]]
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A bad row: the file, the line it starts on and one plain sentence."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class RowsError(ClausulaError):
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
        root = safe_yaml.compose(text, _Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = safe_yaml.problem_of(error)
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
            try:
                value = loader.construct_document(item)
            except yaml.YAMLError as error:  # e.g. a `!!python/object` tag: refused, named
                mark = getattr(error, "problem_mark", None) or item.start_mark
                problem = safe_yaml.problem_of(error)
                raise RowsError(
                    [RowProblem(path, mark.line + 1, f"not valid YAML: {problem}")]
                ) from None
            if isinstance(value, dict):
                if name == "revocations":
                    value = {"event": "revoke", **value}
                elif name == "grants":
                    value = {"event": "grant", **value}
            yield item.start_mark.line + 1, value


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, each with its `\\n`, one at a time (no list of a million)."""
    start, size = 0, len(text)
    find = text.find
    while start < size:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _jsonl_rows(lines: Iterable[str], path: str) -> Iterator[tuple[int, Any]]:
    # The decoder's scanner reads a well-formed line without `json.loads`'s two regex passes
    # (a tenth of a million-row import); anything else goes through `json.loads`, which
    # gives the value or the error exactly as always.
    scan, loads = _SCAN, json.loads
    for number, line in enumerate(lines, start=1):
        try:
            try:
                value, end = scan(line, 0)
            except StopIteration:
                value, end = loads(line), 0
            if end and end != len(line) and line[end:].strip(_JSON_SPACE):
                value = loads(line)
        except json.JSONDecodeError as error:
            if not line.strip():
                continue
            yield number, _Bad(f"not valid JSON at column {error.colno}: {error.msg}")
        else:
            yield number, value


def _csv_rows(lines: Iterable[str], path: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(lines)
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


def raw_rows(source: str | Iterable[str], path: str, fmt: Format) -> Iterator[tuple[int, Any]]:
    """(line, row as read) for each row of a text, or of an iterable of lines (an open
    file: JSON Lines and CSV are read one line at a time). Raises `RowsError` when the
    file as a whole cannot be read (not YAML, unknown CSV columns)."""
    if fmt == "yaml":
        text = source if isinstance(source, str) else "".join(source)
        return _yaml_rows(text, path)
    lines = _lines(source) if isinstance(source, str) else source
    return (_jsonl_rows if fmt == "jsonl" else _csv_rows)(lines, path)


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


_PARTY = re.compile(r"party:[a-z0-9][a-z0-9-]*")
_ISNI_WEIGHTS = tuple(pow(2, 15 - i, 11) for i in range(15))
_ISNI_OFFSET = ord("0") * sum(_ISNI_WEIGHTS)
_CHECK_CHARACTERS = "0123456789X"
_id_cache: dict[str, str | None] = {}


def _isni_ok(value: str) -> bool:
    """Whether `value` is `isni:` and 16 ASCII characters, 15 digits and the right ISO 7064
    MOD 11-2 check character. The sum is the one of doubling a running total digit by
    digit, computed from the digits' character codes in one pass."""
    if len(value) != 21 or not value.startswith("isni:"):
        return False
    digits = value[5:20].encode()
    if not digits.isdigit():  # bytes: ASCII digits only
        return False
    total = sum(map(operator.mul, digits, _ISNI_WEIGHTS)) - _ISNI_OFFSET
    return value[20] == _CHECK_CHARACTERS[(12 - total % 11) % 11]


def _party_problem(value: str) -> str | None:
    """`id_problem(value, PARTY_SCHEMES)`, with a fast path for well-formed ISNIs and
    local ids (a million-row import checks a million ISNIs)."""
    if _isni_ok(value) or _PARTY.fullmatch(value):
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
    broken = _not_text(raw)
    if broken is not None:
        return f"{broken}: holds a character that is not valid Unicode text (a lone surrogate)"
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


_FORMALITIES = frozenset(get_args(Formality))
_GRANT_KEYS = frozenset(ConsentGrant.model_fields) | {"event"}
_ABSENT: Any = object()
_CACHE_LIMIT = 100_000


def _is_text(value: str) -> bool:
    """Whether a string can be stored (JSON text can hold lone surrogates; UTF-8 cannot)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_text(raw: Mapping[str, Any]) -> str | None:
    """The first field holding a string that is not valid Unicode text, or None."""
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and not _is_text(v) for v in values):
            return str(key)
    return None


def _json_list(values: Iterable[str]) -> str:
    return "[" + ",".join(map(encode_basestring, values)) + "]"


class _GrantRows:
    """The fast path for `event: grant` rows.

    Accepts a row only when it is certainly valid — the fields of `ConsentGrant` with
    exactly the types JSON, CSV and YAML give (str, list of str, ISO date), identifiers
    with their check characters, purposes and territories from the vocabulary, a term that
    ends after it starts — and builds its event's data as canonical JSON text, the same
    text `canonical(grant_payload(grant))` gives. Returns None for anything else, which
    `validate_row` then checks and describes. Remembers what it has seen (one instance per
    import): lists of purposes and territories, dates, identifiers.
    """

    def __init__(self, vocabulary: Vocabulary | None) -> None:
        self.vocabulary = vocabulary
        self.parties: dict[str, bool] = {}
        self.days: dict[Any, tuple[date, str] | None] = {}
        self.purposes: dict[tuple[Any, ...], str | None] = {}
        self.territories: dict[tuple[Any, ...], str | None] = {}
        self.formalities: dict[tuple[Any, ...], str | None] = {}

    def party(self, value: str) -> bool:
        known = self.parties.get(value)
        if known is None:
            known = _party_problem(value) is None
            if len(self.parties) >= _CACHE_LIMIT:
                self.parties.clear()
            self.parties[value] = known
        return known

    def day(self, value: Any) -> tuple[date, str] | None:
        """(the date, its JSON) of an ISO date string or a date; None if not one."""
        try:
            return self.days[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: a list or mapping, not a date
            return None
        found: tuple[date, str] | None = None
        if isinstance(value, str | date) and not isinstance(value, datetime):
            try:
                parsed = _day(value)
            except ValueError:
                pass
            else:
                if type(parsed) is date:
                    found = (parsed, f'"{parsed.isoformat()}"')
        if len(self.days) >= _CACHE_LIMIT:
            self.days.clear()
        self.days[value] = found
        return found

    def purpose_ok(self, purpose: str) -> bool:
        vocabulary = self.vocabulary
        return vocabulary is None or purpose == ANY or purpose in vocabulary.purposes

    def territory_ok(self, code: str) -> bool:
        vocabulary = self.vocabulary
        return vocabulary is None or vocabulary.territory_problem(code) is None

    def listed(self, cache: dict[tuple[Any, ...], str | None], values: Any) -> str | None:
        """The JSON of a list of purposes, territories or formalities (by `cache`), or
        None if it is not a list of strings that all pass; computed once per list."""
        if type(values) is not list:
            return None
        try:
            key = tuple(values)
            return cache[key]
        except KeyError:
            pass
        except TypeError:  # a list holding lists or mappings
            return None
        found: str | None = None
        if cache is self.formalities:
            if all(type(value) is str and value in _FORMALITIES for value in values):
                found = _json_list(sorted(set(values)))
        else:
            check = self.purpose_ok if cache is self.purposes else self.territory_ok
            if all(type(value) is str and check(value) for value in values):
                found = _json_list(values)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = found
        return found

    def __call__(self, raw: dict[str, Any]) -> Pending | None:
        get = raw.get
        if not _GRANT_KEYS.issuperset(raw) or get("event", "grant") != "grant":
            return None
        grant_id, grantor, grantee = get("id"), get("grantor"), get("grantee")
        if type(grant_id) is not str or type(grantor) is not str or type(grantee) is not str:
            return None
        parties = self.parties
        if not (parties.get(grantor) or self.party(grantor)):
            return None
        if grantee != ANY and not (parties.get(grantee) or self.party(grantee)):
            return None
        if _GRANT_ID.fullmatch(grant_id) is None:
            return None
        behalf = get("on_behalf_of")
        if behalf is None:
            behalf_json = "null"
        elif type(behalf) is str and self.party(behalf):
            behalf_json = encode_basestring(behalf)
        else:
            return None
        listed = self.listed
        value = get("purposes")
        try:
            purposes = self.purposes[tuple(value)] if type(value) is list else None
        except (KeyError, TypeError):
            purposes = listed(self.purposes, value)
        value = get("territories")
        try:
            territories = self.territories[tuple(value)] if type(value) is list else None
        except (KeyError, TypeError):
            territories = listed(self.territories, value)
        if purposes is None or territories is None or purposes == "[]" or territories == "[]":
            return None
        excepted: str | None = "[]"
        value = get("except_territories", _ABSENT)
        if value is not _ABSENT:
            excepted = listed(self.territories, value)
        formalities: str | None = "[]"
        value = get("formalities", _ABSENT)
        if value is not _ABSENT:
            try:
                formalities = self.formalities[tuple(value)] if type(value) is list else None
            except (KeyError, TypeError):
                formalities = listed(self.formalities, value)
        if excepted is None or formalities is None:
            return None
        days = self.days
        value = get("valid_from")
        try:
            start = days[value]
        except (KeyError, TypeError):
            start = self.day(value)
        if start is None:
            return None
        until_json = signed_json = note_json = "null"
        value = get("valid_until")
        if value is not None:
            until = self.day(value)
            if until is None or until[0] < start[0]:
                return None
            until_json = until[1]
        value = get("signed_on")
        if value is not None:
            signed = self.day(value)
            if signed is None:
                return None
            signed_json = signed[1]
        value = get("note")
        if value is not None:
            if type(value) is not str or not _is_text(value):
                return None
            note_json = encode_basestring(value)
        text = (
            f'{{"except_territories":{excepted},"formalities":{formalities},'
            f'"grantee":{encode_basestring(grantee)},"grantor":{encode_basestring(grantor)},'
            f'"id":{encode_basestring(grant_id)},"note":{note_json},'
            f'"on_behalf_of":{behalf_json},"purposes":{purposes},"signed_on":{signed_json},'
            f'"territories":{territories},"valid_from":{start[1]},"valid_until":{until_json}}}'
        )
        return ("grant", grant_id, behalf or grantor, start[0], text)


def _validated(
    rows: Iterable[tuple[int, Any]], vocabulary: Vocabulary | None
) -> Iterator[tuple[int, Pending | str]]:
    """(line, event or the sentence saying what is wrong) for each row."""
    fast = _GrantRows(vocabulary)
    for line, raw in rows:
        if type(raw) is dict:
            event = fast(raw)
            if event is not None:
                yield line, event
                continue
        result = validate_row(raw, vocabulary)
        yield line, result if isinstance(result, str) else pending(result)


class _Sequence:
    """Checks validated events, in file order, against the grants before them (in the file
    or the ledger); gives amendments and revocations their grant's artist; collects the
    problems by line."""

    def __init__(
        self, path: str, known: Callable[[set[str]], Mapping[str, GrantHistory]] | None
    ) -> None:
        """`known` looks up recorded grants by id (None: the ledger is empty)."""
        self.path = path
        self.known = known
        self.check = ChainCheck()
        self.problems: list[RowProblem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(RowProblem(self.path, line, message))

    def look_up(self, events: Iterable[tuple[int, Pending]]) -> None:
        """Learn from the ledger the grants these events name that are not known yet."""
        if self.known is None:
            return
        knows = self.check.knows
        wanted = {event[1] for _, event in events if not knows(event[1])}
        if wanted:
            self.check.add_known(self.known(wanted))

    def accept(self, chunk: Iterable[tuple[int, Pending]]) -> list[Pending]:
        """The events to record (amendments and revocations with their grant's artist),
        after noting the problems of the others."""
        check = self.check
        starts, artists = check.starts, check.artists
        accepted: list[Pending] = []
        add = accepted.append
        for line, item in chunk:
            kind, grant_id, artist, effective, data_json = item
            if kind == "grant" and grant_id not in starts:  # `check.check`, inlined
                starts[grant_id] = effective
                artists[grant_id] = artist
                add(item)
                continue
            if kind != "grant":
                artist = check.artist(grant_id)
                item = (kind, grant_id, artist, effective, data_json)
            message = check.check(kind, grant_id, effective, artist)
            if message is not None:
                self.problem(line, message)
            if kind == "amend" and self._ends_before_start(line, grant_id, data_json):
                continue
            if message is None:
                add(item)
        return accepted

    def _ends_before_start(self, line: int, grant_id: str, data_json: str) -> bool:
        until = json.loads(data_json).get("valid_until")
        start = self.check.start(grant_id)
        if not isinstance(until, str) or start is None or date.fromisoformat(until) >= start:
            return False
        self.problem(
            line,
            f"valid_until: the amended grant would end on {until}, before it starts on {start}",
        )
        return True

    def fail(self) -> None:
        """Raise `RowsError` naming every bad row, in line order, if there is one."""
        if self.problems:
            self.problems.sort(key=lambda p: p.line)
            raise RowsError(self.problems)


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
    order = _Sequence(path, existing)
    valid: list[tuple[int, Pending]] = []
    for line, result in _validated(raw_rows(text, path, fmt), vocabulary):
        if isinstance(result, str):
            order.problem(line, result)
        else:
            valid.append((line, result))
    order.look_up(valid)
    events = order.accept(valid)
    order.fail()
    return [new_event(event) for event in events]


CHUNK = 6_000
"""Rows validated and appended at a time by `record_rows`."""


def record_rows(
    ledger: Ledger,
    source: str | Iterable[str],
    path: str,
    fmt: Format,
    *,
    vocabulary: Vocabulary | None,
    recorded_by: str | None = None,
) -> Sequence[Event]:
    """Validate the rows of a text (or of an open file, read line by line) and record them
    all in one transaction, or none: `RowsError` names every bad row by its line. Returns
    the events as recorded, read back from the ledger when looked at
    (`RecordedEvents`).

    The rows are checked and appended a chunk at a time inside the ledger's write
    transaction (so that a million rows are never all in memory as rows), and the
    transaction is rolled back if any row is bad.
    """
    rows = _validated(raw_rows(source, path, fmt), vocabulary)
    with ledger.appender(recorded_by=recorded_by, bulk=True) as appender:
        order = _Sequence(path, appender.known if appender.seq else None)
        chunk: list[tuple[int, Pending]] = []
        for line, result in rows:
            if isinstance(result, str):
                order.problem(line, result)
                continue
            chunk.append((line, result))
            if len(chunk) >= CHUNK:
                _record_chunk(order, chunk, appender)
                chunk = []
        _record_chunk(order, chunk, appender)
        order.fail()
    return ledger.recorded(appender.first, appender.count)


def _record_chunk(order: _Sequence, chunk: list[tuple[int, Pending]], appender: Appender) -> None:
    order.look_up(chunk)
    events = order.accept(chunk)
    if not order.problems:  # once a row is bad nothing will be recorded: only check the rest
        appender.write_pending(events)


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
