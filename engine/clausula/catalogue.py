"""The data the engine reasons about: parties, works, consent grants and revocations.

Data lives in YAML files directly inside a data directory, each a mapping with any of the
keys `parties`, `works`, `grants` and `revocations`. `load_data` reads them all and
reports every problem as a `Diagnostic` pointing at the YAML node, never raising.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic import ValidationError as PydanticValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic, Span, did_you_mean
from .identifiers import PARTY_SCHEMES, WORK_SCHEMES, id_problem
from .safe_yaml import SafeLoader

if TYPE_CHECKING:  # the ledger's module imports this one: imported where a ledger is built
    from .consent import ConsentLedger

ANY = "any"
"""As a grantee: any licensee. As a purpose: every purpose."""


def _day(value: object) -> object:
    # YAML turns 2026-05-01 into a date already; accept an ISO string too, but never a
    # number (pydantic would read 2026 as seconds since 1970) nor a date-time.
    if isinstance(value, datetime):
        raise ValueError("write a date as YYYY-MM-DD, without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a date in the calendar") from None
    raise ValueError("write a date as YYYY-MM-DD, e.g. 2026-05-01")


Day = Annotated[date, BeforeValidator(_day)]
PartyKind = Literal[
    "artist", "estate", "label", "publisher", "developer", "guardian", "organisation"
]
Role = Literal["main", "featured", "session", "producer", "writer"]
Formality = Literal[
    "in_writing",
    "signed",
    "specific_description",
    "with_counsel",
    "terms_conspicuous",
    "separately_signed",
    "collective_bargaining",
    "court_approved",
]


AUTHOR_NOTES = frozenset({"note"})
"""Fields of the data files that are notes for the authors of the data (`note:` of a
grant), like the `#` comments of clause and data files: kept in the files and the ledger,
never shown in what a counterparty reads (decisions, explanations, reports, renderings)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Record):
    """A person or organisation: an artist, estate, label, publisher, developer, guardian."""

    id: str
    kind: PartyKind
    name: str
    birth_date: Day | None = None
    death_date: Day | None = None
    residence: str | None = None
    estate_of: str | None = None
    guardian_of: list[str] = Field(default_factory=list)
    # Who else may consent for an artist when a rule says so (`given by …`): the union that
    # represents them under a collective bargaining agreement, and a licensee that has
    # acquired the right to authorise uses of their voice or likeness (NO FAKES §2(a)(6)(B)).
    bargaining_representative_of: list[str] = Field(default_factory=list)
    may_authorise_for: list[str] = Field(default_factory=list)
    # Post-mortem facts some laws need: the estate's last commercial use of the name, voice
    # or likeness (Tennessee: the right ends after two years of non-use) and the number of
    # five-year renewals registered (NO FAKES: 10 years plus renewals up to 70).
    last_exploited: Day | None = None
    registered_renewals: Annotated[int, Field(ge=0)] = 0


class Performer(_Record):
    """An artist on a work, with the role they played."""

    artist: str
    role: Role = "main"


TdmSignal = Literal["tdmrep-file", "tdmrep-header", "tdmrep-html", "robots", "ai-preferences"]


class TdmReservation(_Record):
    """Evidence of a rights holder's reservation of text and data mining (DSM Directive
    Art. 4(3)) found for a work: which signal, where, and the day it was seen
    (`clausula catalogue tdm` writes these; docs/tdm.md)."""

    work: str
    signal: TdmSignal
    source: str  # the URL (or captured file) the signal was read from, and what it said
    seen: Day
    policy: str | None = None  # TDMRep `tdm-policy`: where the terms of a licence are

    def evidence(self) -> str:
        """One sentence for a counterparty: the reservation, its source and the day seen."""
        return f"TDM reserved ({self.signal}: {self.source}, seen {self.seen.isoformat()})"


class Work(_Record):
    """A recording (`isrc:`) or composition (`iswc:`), its performers and rights holder."""

    id: str
    title: str
    performers: list[Performer] = Field(default_factory=list)
    rights_holder: str
    release_date: Day | None = None
    tdm_reserved: StrictBool = False
    # Where the work is published on the web: the page whose TDM signals count for it.
    url: str | None = None
    # Set from a `tdm_reservations` entry: the evidence behind `tdm_reserved`.
    tdm_reservation: TdmReservation | None = None


class ConsentGrant(_Record):
    """An artist's consent (or their estate's or guardian's) to a licensee, with its limits."""

    id: str
    grantor: str
    on_behalf_of: str | None = None
    grantee: str
    purposes: list[str] = Field(min_length=1)
    territories: list[str] = Field(min_length=1)
    except_territories: list[str] = Field(default_factory=list)
    valid_from: Day
    valid_until: Day | None = None
    formalities: frozenset[Formality] = frozenset()
    signed_on: Day | None = None
    note: str | None = None  # an author's note: never shown to a counterparty (AUTHOR_NOTES)

    @property
    def artist(self) -> str:
        """The artist whose consent this is: `on_behalf_of`, else the grantor."""
        return self.on_behalf_of or self.grantor


class Revocation(_Record):
    """The withdrawal of a grant, effective from its date."""

    grant: str
    date: Day
    reason: str | None = None


SECTIONS: dict[str, type[_Record]] = {
    "parties": Party,
    "works": Work,
    "grants": ConsentGrant,
    "revocations": Revocation,
    "tdm_reservations": TdmReservation,
}


def _read_only(records: Mapping[str, Any]) -> bool:
    """Whether a mapping of records cannot change (the columns of a data cache), so that a
    `DataSet` keeps it as is instead of copying it."""
    return getattr(records, "read_only", False) is True


@dataclass(frozen=True)
class DataSet:
    """Everything read from a data directory, immutable, with indexes built once."""

    parties: Mapping[str, Party]
    works: Mapping[str, Work]
    grants: Mapping[str, ConsentGrant]
    revocations: tuple[Revocation, ...]
    files: tuple[Path, ...]
    ledger: ConsentLedger = field(init=False)
    _held_by: Mapping[str, frozenset[str]] = field(init=False, repr=False)
    _performers: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Wrap the mappings so that no caller can change the data after loading.
        parties = self.parties if _read_only(self.parties) else dict(self.parties)
        object.__setattr__(self, "parties", MappingProxyType(parties))
        object.__setattr__(self, "grants", MappingProxyType(dict(self.grants)))
        from .consent_records import FileConsentLedger

        object.__setattr__(
            self, "ledger", FileConsentLedger(self.grants.values(), self.revocations)
        )
        columnar = getattr(self.works, "held_by", None)
        if columnar is not None:
            # The works of a data cache (`data_cache.ColumnarWorks`): read-only already,
            # with its own indexes, so that no work is built before it is looked up.
            object.__setattr__(self, "_held_by", MappingProxyType(columnar()))
            object.__setattr__(self, "_performers", self.works.performers())  # type: ignore[attr-defined]
            return
        object.__setattr__(self, "works", MappingProxyType(dict(self.works)))
        held: dict[str, set[str]] = {}
        performers: dict[str, tuple[str, ...]] = {}
        for work in self.works.values():
            held.setdefault(work.rights_holder, set()).add(work.id)
            performers[work.id] = tuple(dict.fromkeys(p.artist for p in work.performers))
        object.__setattr__(
            self, "_held_by", MappingProxyType({k: frozenset(v) for k, v in held.items()})
        )
        object.__setattr__(self, "_performers", MappingProxyType(performers))

    def party(self, party_id: str) -> Party | None:
        """The party with this id, or None."""
        return self.parties.get(party_id)

    def works_held_by(self, party_id: str) -> frozenset[str]:
        """The ids of the works whose rights holder is this party."""
        return self._held_by.get(party_id, frozenset())

    def performers_of(self, work_id: str) -> tuple[str, ...]:
        """The artists on a work, in the order listed, each once; empty for an unknown work."""
        return self._performers.get(work_id, ())

    def performers_of_each(self, work_ids: Iterable[str]) -> Iterator[tuple[str, ...]]:
        """`performers_of` each work, in order (for a million works at once: no Python
        call per work)."""
        return map(self._performers.get, work_ids, itertools.repeat(()))


# --- reading YAML ---------------------------------------------------------------------------


class _Loader(SafeLoader):
    """SafeLoader, except that only true/false are booleans.

    YAML 1.1 reads `NO` (Norway) and `yes`/`on` as booleans, which would silently turn a
    territory code into `False`.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_timestamp(loader: yaml.SafeLoader, node: ScalarNode) -> object:
    # PyYAML raises a bare ValueError for 1990-02-30; keep the text so that the date
    # validator can say which field holds an impossible date.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class _Entry:
    """One validated entry with where it came from, for cross-reference diagnostics."""

    record: Any
    node: MappingNode
    file: _File
    label: str


@dataclass
class _File:
    path: str
    lines: list[str]
    diagnostics: list[Diagnostic]

    def report(self, node: Node, message: str) -> None:
        start, end = node.start_mark, node.end_mark
        line, column = start.line + 1, start.column + 1
        same_line = end.line == start.line and end.column > start.column
        self.diagnostics.append(
            Diagnostic(
                span=Span(
                    self.path,
                    line,
                    column,
                    line if same_line else 0,
                    end.column + 1 if same_line else 0,
                ),
                message=message,
                source_line=self.lines[line - 1] if line <= len(self.lines) else None,
            )
        )


def _value_node(mapping: MappingNode, key: str) -> Node | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found: Node = value_node
            return found
    return None


def _key_node(mapping: MappingNode, key: str) -> Node | None:
    for key_node, _ in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node
    return None


def _node_at(node: Node, loc: tuple[int | str, ...], *, key: bool = False) -> Node:
    """The deepest YAML node along a pydantic error location (the key node if `key`)."""
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, MappingNode) and isinstance(step, str):
            found = _key_node(node, step) if key and last else _value_node(node, step)
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            found = node.value[step]
        else:
            found = None
        if found is None:
            break
        node = found
    return node


def _field_path(loc: tuple[int | str, ...]) -> str:
    """`("performers", 0, "role")` → `performers[1].role` (entries counted from 1)."""
    text = ""
    for step in loc:
        if isinstance(step, int):
            text += f"[{step + 1}]"
        else:
            text += f".{step}" if text else step
    return text


def _plain(error: Mapping[str, Any], model: type[_Record]) -> str:
    """A pydantic error in one plain sentence."""
    kind = error["type"]
    loc = tuple(error["loc"])
    name = str(loc[-1]) if loc else ""
    given = error.get("input")
    if kind == "extra_forbidden":
        hint = did_you_mean(name, model.model_fields) if len(loc) == 1 else None
        return "is not a field of this entry" + (f"; {hint}" if hint else "")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"`{given}` is not allowed here; expected {expected}"
    if kind == "string_type":
        return f"must be text, not `{given}`; put it in quotes if it is an id or a code"
    if kind in ("list_type", "frozen_set_type", "set_type"):
        return "must be a list, e.g. [a, b]"
    if kind == "bool_type":
        return f"must be true or false, not `{given}`"
    if kind == "too_short":
        return "must list at least one value"
    if kind == "model_type":
        return "must be a mapping of fields, e.g. `artist: isni:…`"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return str(error["msg"]).lower()


def _read_file(
    path: Path, display: str, sink: list[Diagnostic], entries: dict[str, list[_Entry]]
) -> None:
    file = _File(display, [], sink)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        sink.append(
            Diagnostic(span=Span(display, 1, 1), message=f"cannot read this data file: {exc}")
        )
        return
    file.lines = text.splitlines()
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        if root is None:
            return  # an empty file holds no data, which is not an error
        _check_duplicate_keys(root, file)
        data = loader.construct_document(root)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        sink.append(
            Diagnostic(
                span=Span(display, line, column),
                message=f"this is not valid YAML: the character U+{exc.character:04X} is not "
                "allowed in a data file",
                source_line=file.lines[line - 1] if line <= len(file.lines) else None,
            )
        )
        return
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "malformed YAML").replace(
            "'<stream end>'", "the end of the file"
        )
        if exc.context and exc.problem and exc.context_mark:
            problem = f"{exc.context} from line {exc.context_mark.line + 1}, {problem}"
        sink.append(
            Diagnostic(
                span=Span(display, line, column),
                message=f"this is not valid YAML: {problem}",
                source_line=file.lines[line - 1] if line <= len(file.lines) else None,
            )
        )
        return
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        # Anything the YAML library raises without a mark still becomes a diagnostic.
        sink.append(Diagnostic(span=Span(display, 1, 1), message=f"this is not valid YAML: {exc}"))
        return
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(root, MappingNode) or not isinstance(data, dict):
        file.report(root, f"a data file must be a mapping with the keys {_section_names()}")
        return
    for key_node, value_node in root.value:
        section = str(key_node.value)
        if section not in SECTIONS:
            hint = did_you_mean(section, SECTIONS)
            file.report(
                key_node,
                f"`{section}` is not a section of a data file; use {_section_names()}"
                + (f"; {hint}" if hint else ""),
            )
            continue
        value = data.get(section)
        if value is None:
            continue  # `grants:` with nothing under it: an empty section
        if not isinstance(value_node, SequenceNode) or not isinstance(value, list):
            file.report(value_node, f"`{section}` must be a list of entries, each starting with -")
            continue
        for index, (item_node, item) in enumerate(zip(value_node.value, value, strict=True)):
            entry = _validate(section, index, item_node, item, file)
            if entry is not None:
                entries[section].append(entry)


def _section_names() -> str:
    names = list(SECTIONS)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _check_duplicate_keys(node: Node, file: _File) -> None:
    # PyYAML keeps the last of two equal keys silently; a lawyer would lose a value unseen.
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    file.report(key_node, f"`{key_node.value}` is given twice in this entry")
                seen.add(key_node.value)
            _check_duplicate_keys(value_node, file)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, file)


def _validate(section: str, index: int, node: Node, item: object, file: _File) -> _Entry | None:
    label = f"{section}[{index + 1}]"
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        label += f" ({item['id']})"
    elif section == "revocations" and isinstance(item, dict) and isinstance(item.get("grant"), str):
        label += f" (of {item['grant']})"
    elif (
        section == "tdm_reservations"
        and isinstance(item, dict)
        and isinstance(item.get("work"), str)
    ):
        label += f" (of {item['work']})"
    if not isinstance(node, MappingNode) or not isinstance(item, dict):
        file.report(node, f"{label}: an entry must be a mapping of fields, such as `id: …`")
        return None
    model = SECTIONS[section]
    try:
        record = model.model_validate(item)
    except PydanticValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            is_extra = error["type"] == "extra_forbidden"
            # A missing field has no node of its own: point at the entry.
            target = node if error["type"] == "missing" else _node_at(node, loc, key=is_extra)
            path = _field_path(loc)
            if error["type"] == "missing":
                message = f"{label}: `{path}` is missing"
            else:
                message = f"{label}: {path}: {_plain(error, model)}" if path else label
            file.report(target, message)
        return None
    return _Entry(record, node, file, label)


# --- checking across entries ------------------------------------------------------------------


@dataclass
class _Checker:
    entries: dict[str, list[_Entry]]
    purposes: frozenset[str]
    territory_problem: Callable[[str], str | None]
    parties: dict[str, _Entry] = field(default_factory=dict)
    works: dict[str, _Entry] = field(default_factory=dict)
    grants: dict[str, _Entry] = field(default_factory=dict)
    reservations: dict[str, TdmReservation] = field(default_factory=dict)

    def run(self) -> None:
        self.parties = self._unique("parties", PARTY_SCHEMES, "party")
        self.works = self._unique("works", WORK_SCHEMES, "work")
        self.grants = self._unique("grants", None, "grant")
        # Entries with a bad id are still checked, so that one run reports every problem;
        # a duplicate is not, as its problems would repeat those of the first.
        for entry in self._to_check(self.parties, "parties"):
            self._check_party(entry)
        for entry in self._to_check(self.works, "works"):
            self._check_work(entry)
        for entry in self._to_check(self.grants, "grants"):
            self._check_grant(entry)
        revoked: dict[str, _Entry] = {}
        for entry in self.entries["revocations"]:
            self._check_revocation(entry, revoked)
        reserved: dict[str, _Entry] = {}
        for entry in self.entries["tdm_reservations"]:
            self._check_reservation(entry, reserved)
        self.reservations = {k: e.record for k, e in reserved.items()}

    def _check_reservation(self, entry: _Entry, reserved: dict[str, _Entry]) -> None:
        reservation: TdmReservation = entry.record
        if reservation.work not in self.works:
            hint = did_you_mean(reservation.work, self.works)
            self._report(
                entry,
                "work",
                f"no work `{reservation.work}` is listed under works"
                + (f"; {hint}" if hint else ""),
            )
            return
        first = reserved.get(reservation.work)
        if first is not None:
            where = f"{first.file.path}:{first.node.start_mark.line + 1}"
            self._report(entry, "work", f"{reservation.work} already has a reservation at {where}")
            return
        reserved[reservation.work] = entry

    def _to_check(self, unique: dict[str, _Entry], section: str) -> list[_Entry]:
        ids = {id(e) for e in unique.values()}
        return [e for e in self.entries[section] if id(e) in ids or e.record.id not in unique]

    def _unique(self, section: str, kinds: frozenset[str] | None, noun: str) -> dict[str, _Entry]:
        found: dict[str, _Entry] = {}
        for entry in self.entries[section]:
            ident: str = entry.record.id
            problem = (
                id_problem(ident, kinds)
                if kinds is not None
                else None
                if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", ident)
                else f"the grant id `{ident}` may contain only letters, digits, `.`, `_` and `-`"
            )
            if problem:
                self._report(entry, "id", problem)
                continue
            first = found.get(ident)
            if first is not None:
                where = f"{first.file.path}:{first.node.start_mark.line + 1}"
                self._report(entry, "id", f"the {noun} id `{ident}` is already used at {where}")
                continue
            found[ident] = entry
        return found

    def _report(self, entry: _Entry, key: str, message: str, *item: int | str) -> None:
        loc: tuple[int | str, ...] = (key, *item)
        node = _node_at(entry.node, loc)
        entry.file.report(node, f"{entry.label}: {_field_path(loc)}: {message}")

    def _party_ref(
        self, entry: _Entry, key: str, value: str, *item: int | str, what: str = "party"
    ) -> Party | None:
        """Check a reference to a party; the party if it is known."""
        problem = id_problem(value, PARTY_SCHEMES)
        if problem is None and value not in self.parties:
            hint = did_you_mean(value, self.parties)
            problem = f"no {what} `{value}` is listed under parties" + (f"; {hint}" if hint else "")
        if problem:
            self._report(entry, key, problem, *item)
            return None
        record: Party = self.parties[value].record
        return record

    def _check_party(self, entry: _Entry) -> None:
        party: Party = entry.record
        if party.birth_date and party.death_date and party.death_date < party.birth_date:
            self._report(
                entry,
                "death_date",
                f"the death date {party.death_date} is before the birth date {party.birth_date}",
            )
        if party.residence is not None and (problem := self.territory_problem(party.residence)):
            self._report(entry, "residence", problem)
        if party.estate_of is not None:
            if party.kind != "estate":
                self._report(
                    entry, "estate_of", f"only an estate has `estate_of`, not a {party.kind}"
                )
            elif (
                artist := self._party_ref(entry, "estate_of", party.estate_of)
            ) is not None and artist.death_date is None:
                self._report(
                    entry,
                    "estate_of",
                    f"{party.estate_of} has no death date, so cannot have an estate",
                )
        elif party.kind == "estate":
            self._report(entry, "kind", "an estate must name the deceased artist in `estate_of`")
        if party.guardian_of and party.kind != "guardian":
            self._report(
                entry, "guardian_of", f"only a guardian has `guardian_of`, not a {party.kind}"
            )
        else:
            for i, ward in enumerate(party.guardian_of):
                self._party_ref(entry, "guardian_of", ward, i)
        for key in ("bargaining_representative_of", "may_authorise_for"):
            for i, artist in enumerate(getattr(party, key)):
                self._party_ref(entry, key, artist, i)

    def _check_work(self, entry: _Entry) -> None:
        work: Work = entry.record
        if work.tdm_reservation is not None:
            # The evidence is one place: its own section, which also sets `tdm_reserved`.
            self._report(
                entry,
                "tdm_reservation",
                "write the evidence of a reservation under `tdm_reservations`, not in the work",
            )
        self._party_ref(entry, "rights_holder", work.rights_holder)
        for i, performer in enumerate(work.performers):
            self._party_ref(entry, "performers", performer.artist, i, "artist", what="artist")

    def _check_grant(self, entry: _Entry) -> None:
        grant: ConsentGrant = entry.record
        grantor = self._party_ref(entry, "grantor", grant.grantor)
        if grant.on_behalf_of is not None:
            artist = self._party_ref(entry, "on_behalf_of", grant.on_behalf_of)
            if grantor is not None and artist is not None and grant.on_behalf_of != grant.grantor:
                acts_for = (
                    grantor.estate_of == artist.id
                    or artist.id in grantor.guardian_of
                    or artist.id in grantor.bargaining_representative_of
                    or artist.id in grantor.may_authorise_for
                )
                if not acts_for:
                    self._report(
                        entry,
                        "on_behalf_of",
                        f"{grantor.id} is neither the estate, the guardian, the bargaining "
                        f"representative nor a licensee authorised for {artist.id}, "
                        "so cannot consent on their behalf",
                    )
        if grant.grantee != ANY:
            self._party_ref(entry, "grantee", grant.grantee, what="licensee")
        for i, purpose in enumerate(grant.purposes):
            if purpose != ANY and purpose not in self.purposes:
                hint = did_you_mean(purpose, self.purposes)
                self._report(
                    entry,
                    "purposes",
                    f"unknown purpose `{purpose}`" + (f"; {hint}" if hint else ""),
                    i,
                )
        for key in ("territories", "except_territories"):
            for i, code in enumerate(getattr(grant, key)):
                if problem := self.territory_problem(code):
                    self._report(entry, key, problem, i)
        if grant.valid_until is not None and grant.valid_until < grant.valid_from:
            self._report(
                entry,
                "valid_until",
                f"the grant ends on {grant.valid_until}, before it starts on {grant.valid_from}",
            )

    def _check_revocation(self, entry: _Entry, revoked: dict[str, _Entry]) -> None:
        revocation: Revocation = entry.record
        grant_entry = self.grants.get(revocation.grant)
        if grant_entry is None:
            hint = did_you_mean(revocation.grant, self.grants)
            self._report(
                entry,
                "grant",
                f"no grant `{revocation.grant}` is listed under grants"
                + (f"; {hint}" if hint else ""),
            )
            return
        grant: ConsentGrant = grant_entry.record
        if revocation.date < grant.valid_from:
            self._report(
                entry,
                "date",
                f"the revocation date {revocation.date} is before grant {grant.id} "
                f"starts on {grant.valid_from}",
            )
        first = revoked.get(revocation.grant)
        if first is not None:
            where = f"{first.file.path}:{first.node.start_mark.line + 1}"
            self._report(entry, "grant", f"grant {grant.id} is already revoked at {where}")
        else:
            revoked[revocation.grant] = entry


def data_files(directory: Path) -> Iterator[Path]:
    """The data files directly in `directory` (`*.yaml`, `*.yml`), by name."""
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.is_file() and path.suffix in (".yaml", ".yml"):
            yield path


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_data(
    directory: Path,
    *,
    purposes: frozenset[str],
    territory_problem: Callable[[str], str | None],
    display_root: Path,
) -> tuple[DataSet | None, list[Diagnostic]]:
    """Read every `*.yaml`/`*.yml` file directly in `directory` into a `DataSet`.

    `purposes` is the purpose vocabulary of the policies; `territory_problem` returns a
    sentence for a code that is not a country, subdivision, group or `worldwide`. Returns
    the data set and no diagnostics, or None and every problem found, in file order.
    """
    display_dir = _display(directory, display_root)
    if not directory.is_dir():
        return None, [
            Diagnostic(
                span=Span(display_dir, 1, 1),
                message=f"the data directory {display_dir} does not exist",
            )
        ]
    files = tuple(data_files(directory))
    diagnostics: list[Diagnostic] = []
    entries: dict[str, list[_Entry]] = {section: [] for section in SECTIONS}
    for path in files:
        _read_file(path, _display(path, display_root), diagnostics, entries)
    checker = _Checker(entries, purposes, territory_problem)
    checker.run()
    if diagnostics:
        order = {_display(p, display_root): i for i, p in enumerate(files)}
        diagnostics.sort(key=lambda d: (order.get(d.span.path, -1), d.span.line, d.span.column))
        return None, diagnostics
    works: dict[str, Work] = {k: e.record for k, e in checker.works.items()}
    for key, reservation in checker.reservations.items():
        # The evidence found makes the work reserved (DSM Art. 4(3)), and says how.
        works[key] = works[key].model_copy(
            update={"tdm_reserved": True, "tdm_reservation": reservation}
        )
    data = DataSet(
        parties={k: e.record for k, e in checker.parties.items()},
        works=works,
        grants={k: e.record for k, e in checker.grants.items()},
        revocations=tuple(e.record for e in entries["revocations"]),
        files=files,
    )
    return data, []
