"""Import a DDEX ERN 4 NewReleaseMessage into the catalogue data (works and parties).

What is read (ERN 4.1 to 4.3.x, whose element names these are; docs/ddex.md):
- `PartyList/Party`: `PartyReference`, `PartyId/ISNI`, `IpiNameNumber`, `DPID`, and
  `PartyName/FullName` → a party `isni:…` (else `ipi:…`, `dpid:…`, `party:<slug>`);
- `ResourceList/SoundRecording`: the ISRC of `SoundRecordingEdition/ResourceId` (4.2+)
  or `ResourceId` (4.1), the title, `DisplayArtist` (MainArtist → main, FeaturedArtist →
  featured), `Contributor` roles (producers, writers, other performers → session) and
  `ResourceRightsController` (the largest share) → a work `isrc:…`;
- `WorkId/ISWC` with a `WorkRightsController` → a work `iswc:…` held by that publisher;
- `ReleaseList/Release/ReleaseDate` (else `OriginalReleaseDate`) → the release date of the
  recordings in the release's resource groups;
- `DealList/ReleaseDeal/Deal/DealTerms/UseType` → the purposes each deal permits
  (reported; a deal to a shop is not an artist's consent, so no grant is made of it).

Every identifier is checked as the YAML's are (`identifiers.id_problem`), and every entry
as the YAML loader checks it (`catalogue.Party`, `catalogue.Work`); a problem is a
`Diagnostic` at the element's line, naming its path in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from .catalogue import Party, Work
from .ddex_use_types import PurposeMapping, UseType, purposes_of
from .ddex_xml import Element, read_xml
from .diagnostics import Diagnostic, Span
from .identifiers import PARTY_SCHEMES, WORK_SCHEMES, id_problem

ERN_NAMESPACE = re.compile(r"http://ddex\.net/xml/ern/(4\d*)")
"""ERN 4 namespaces: `http://ddex.net/xml/ern/43`, `…/432`, `…/42`, `…/41`, `…/411`."""

_MAIN = {"MainArtist": "main", "Artist": "main", "FeaturedArtist": "featured", "Composer": "writer"}
# ContributorRole values (DDEX Allowed Value Sets) read as writers, producers, and people
# who neither performed nor wrote (engineers, staff): the last are not imported.
_WRITERS = frozenset(
    {
        "Composer",
        "ComposerLyricist",
        "Lyricist",
        "SubLyricist",
        "NonLyricAuthor",
        "Librettist",
        "Arranger",
        "SubArranger",
        "MusicArranger",
        "VocalArranger",
    }
)
_PRODUCER = re.compile(r"(?:^|Studio|Co|Executive|Vocal|String|Additional|Initial)Producer$")
_TECHNICAL = re.compile(r"Engineer|Production|Mastering|Editing|RightsControllerOnProduct")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DealSummary:
    """What one deal of the message permits: its releases, territories and purposes."""

    releases: tuple[str, ...]
    territories: tuple[str, ...]
    excluded_territories: tuple[str, ...]
    start: str | None
    use_types: tuple[UseType, ...]
    mapping: PurposeMapping


@dataclass
class ErnImport:
    """The catalogue entries read from one ERN message, and what was not imported."""

    message_id: str | None
    version: str
    parties: list[Party] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)
    deals: list[DealSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, list[dict[str, Any]]]:
        """The `parties:` and `works:` sections of a data file, as plain values."""
        works = []
        for work in self.works:
            entry: dict[str, Any] = {"id": work.id, "title": work.title}
            if work.performers:
                entry["performers"] = [
                    {"artist": p.artist, "role": p.role} for p in work.performers
                ]
            entry["rights_holder"] = work.rights_holder
            if work.release_date is not None:
                entry["release_date"] = work.release_date
            works.append(entry)
        return {
            "parties": [{"id": p.id, "kind": p.kind, "name": p.name} for p in self.parties],
            "works": works,
        }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Reader:
    def __init__(self, root: Element, display: str, text: str) -> None:
        self.root = root
        self.display = display
        self.lines = text.splitlines()
        self.diagnostics: list[Diagnostic] = []
        self.party_ids: dict[str, str] = {}  # PartyReference → our id
        self.party_names: dict[str, str] = {}
        self.parties: dict[str, Party] = {}
        self.notes: list[str] = []

    def error(self, element: Element, message: str) -> None:
        line = element.line
        self.diagnostics.append(
            Diagnostic(
                span=Span(self.display, line, element.column),
                message=f"{element.path}: {message}",
                source_line=self.lines[line - 1] if 0 < line <= len(self.lines) else None,
            )
        )

    # --- parties ---------------------------------------------------------------------------

    def read_parties(self) -> None:
        party_list = self.root.child("PartyList")
        for party in party_list.all("Party") if party_list else []:
            reference = party.text_of("PartyReference")
            if reference is None:
                self.error(party, "a Party needs a PartyReference")
                continue
            name = party.text_of("PartyName", "FullName") or reference
            self.party_names[reference] = name
            ident = self._party_id(party, name, reference)
            if ident is not None:
                self.party_ids[reference] = ident

    def _party_id(self, party: Element, name: str, reference: str) -> str | None:
        for party_id in party.all("PartyId"):
            for tag, scheme in (("ISNI", "isni"), ("IpiNameNumber", "ipi"), ("DPID", "dpid")):
                element = party_id.child(tag)
                if element is None or not element.text.strip():
                    continue
                body = re.sub(r"[\s-]", "", element.text).upper()
                ident = f"{scheme}:{body}"
                if problem := id_problem(ident, PARTY_SCHEMES):
                    self.error(element, problem)
                    return None
                return ident
        return f"party:{_slug(name) or _slug(reference)}"

    def party_at(self, container: Element, tag: str, kind: str) -> str | None:
        """Our id for the PartyReference in `container`'s child `tag` (see `party`)."""
        element = container.child(tag)
        if element is None:
            self.error(container, f"has no {tag}")
            return None
        return self.party(element, element.text.strip() or None, kind)

    def party(self, element: Element, reference: str | None, kind: str) -> str | None:
        """Our id for a PartyReference, adding the party (first kind wins); None if unknown."""
        if reference is None:
            self.error(element, "the party reference is empty")
            return None
        ident = self.party_ids.get(reference)
        if ident is None:
            if reference not in self.party_names:
                self.error(
                    element, f"no Party with the PartyReference {reference} in the PartyList"
                )
            return None
        if ident not in self.parties:
            try:
                self.parties[ident] = Party.model_validate(
                    {"id": ident, "kind": kind, "name": self.party_names[reference]}
                )
            except PydanticValidationError as exc:
                self.error(element, exc.errors()[0]["msg"])
                return None
        return ident

    # --- works -----------------------------------------------------------------------------

    def release_dates(self) -> dict[str, date]:
        """The release date of each resource reference, from the releases that contain it."""
        dates: dict[str, date] = {}
        release_list = self.root.child("ReleaseList")
        for release in release_list.all("Release") if release_list else []:
            day = self._date(release, "ReleaseDate") or self._date(release, "OriginalReleaseDate")
            if day is None:
                continue
            group = release.child("ResourceGroup")
            for element in group.walk() if group else []:
                if element.name == "ReleaseResourceReference" and element.text.strip():
                    dates.setdefault(element.text.strip(), day)
        return dates

    def _date(self, release: Element, tag: str) -> date | None:
        for element in release.all(tag):
            text = element.text.strip()
            if not _DATE.fullmatch(text):
                self.notes.append(
                    f"{element.path}: `{text}` is not a full date (YYYY-MM-DD); not imported"
                )
                continue
            try:
                return date.fromisoformat(text)
            except ValueError:
                self.error(element, f"{text} is not a date in the calendar")
        return None

    def release_labels(self) -> dict[str, str]:
        """The label of each resource reference (a fallback rights holder)."""
        labels: dict[str, str] = {}
        release_list = self.root.child("ReleaseList")
        for release in release_list.all("Release") if release_list else []:
            label = release.child("ReleaseLabelReference")
            if label is None:
                continue
            ident = self.party(label, label.text.strip() or None, "label")
            group = release.child("ResourceGroup")
            for element in group.walk() if group and ident else []:
                if element.name == "ReleaseResourceReference" and element.text.strip():
                    labels.setdefault(element.text.strip(), ident or "")
        return labels

    def read_recordings(self) -> list[Work]:
        resources = self.root.child("ResourceList")
        dates = self.release_dates()
        labels = self.release_labels()
        works: dict[str, Work] = {}
        for recording in resources.all("SoundRecording") if resources else []:
            reference = recording.text_of("ResourceReference") or ""
            isrc = self._isrc(recording)
            title = recording.text_of("DisplayTitleText") or recording.text_of(
                "DisplayTitle", "TitleText"
            )
            performers, writers = self._performers(recording)
            holder = self._rights_holder(recording, "ResourceRightsController", "label")
            if holder is None and reference in labels:
                holder = labels[reference]
                self.notes.append(
                    f"{recording.path}: no ResourceRightsController; the release's label "
                    f"{holder} is taken as the rights holder"
                )
            if isrc is None:
                continue
            if holder is None:
                if not self._refers_to_bad_party(recording):
                    self.error(
                        recording,
                        "names no ResourceRightsController and its release no label: every "
                        "work of the catalogue needs a rights holder",
                    )
                continue
            if title is None:
                self.error(recording, "has no DisplayTitleText: every work needs a title")
                continue
            work = self._work(
                recording,
                id=f"isrc:{isrc}",
                title=title,
                performers=performers,
                rights_holder=holder,
                release_date=dates.get(reference),
            )
            if work is not None:
                works.setdefault(work.id, work)
            self._composition(recording, title, writers, works)
        return list(works.values())

    def _refers_to_bad_party(self, recording: Element) -> bool:
        """Whether a rights controller of the recording is a party whose id was reported
        bad already (so that one bad id is one problem, not two)."""
        return any(
            element.name.endswith("PartyReference")
            and element.text.strip() in self.party_names
            and element.text.strip() not in self.party_ids
            for element in recording.walk()
        )

    def _isrc(self, recording: Element) -> str | None:
        candidates = [
            resource_id.child("ISRC")
            for edition in recording.all("SoundRecordingEdition")
            for resource_id in edition.all("ResourceId")
        ] + [resource_id.child("ISRC") for resource_id in recording.all("ResourceId")]
        for element in candidates:
            if element is not None and element.text.strip():
                body = re.sub(r"[\s-]", "", element.text).upper()
                if problem := id_problem(f"isrc:{body}", WORK_SCHEMES):
                    self.error(element, problem)
                    return None
                return body
        self.error(recording, "has no ISRC (SoundRecordingEdition/ResourceId/ISRC)")
        return None

    def _performers(self, recording: Element) -> tuple[list[dict[str, str]], list[str]]:
        performers: dict[str, str] = {}
        writers: list[str] = []
        for artist in recording.all("DisplayArtist"):
            role_text = artist.text_of("DisplayArtistRole") or "MainArtist"
            role = _MAIN.get(role_text, "main")
            ident = self.party_at(artist, "ArtistPartyReference", "artist")
            if ident is not None:
                performers.setdefault(ident, role)
                if role == "writer":
                    writers.append(ident)
        for contributor in recording.all("Contributor"):
            roles = [r.text.strip() for r in contributor.all("Role")]
            if roles and all(_TECHNICAL.search(r) for r in roles):
                continue
            if any(_PRODUCER.search(r) for r in roles):
                role = "producer"
            elif roles and all(r in _WRITERS for r in roles):
                role = "writer"
            elif contributor.text_of("HasMadeFeaturedContribution") == "true":
                role = "featured"
            else:
                role = "session"
            ident = self.party_at(contributor, "ContributorPartyReference", "artist")
            if ident is not None:
                performers.setdefault(ident, role)
                if any(r in _WRITERS for r in roles):
                    writers.append(ident)
        return [{"artist": a, "role": r} for a, r in performers.items()], writers

    def _rights_holder(self, recording: Element, tag: str, kind: str) -> str | None:
        best: tuple[Decimal, str] | None = None
        controllers = recording.all(tag)
        for controller in controllers:
            share = Decimal(0)
            text = controller.text_of("RightSharePercentage")
            if text is not None:
                try:
                    share = Decimal(text)
                except InvalidOperation:
                    self.error(controller, f"the RightSharePercentage `{text}` is not a number")
            ident = self.party_at(controller, "RightsControllerPartyReference", kind)
            if ident is not None and (best is None or share > best[0]):
                best = (share, ident)
        if len(controllers) > 1 and best is not None:
            self.notes.append(
                f"{recording.path}: {len(controllers)} {tag}s; the catalogue keeps one rights "
                f"holder, {best[1]} (the largest share), and no shares"
            )
        return best[1] if best else None

    def _composition(
        self, recording: Element, title: str, writers: list[str], works: dict[str, Work]
    ) -> None:
        for work_id in recording.all("WorkId"):
            element = work_id.child("ISWC")
            if element is None or not element.text.strip():
                continue
            body = re.sub(r"[\s.-]", "", element.text).upper()
            if problem := id_problem(f"iswc:{body}", WORK_SCHEMES):
                self.error(element, problem)
                continue
            publisher = self._rights_holder(recording, "WorkRightsController", "publisher")
            if publisher is None:
                self.notes.append(
                    f"{element.path}: the musical work iswc:{body} is not imported: the "
                    "message names no WorkRightsController (its publisher)"
                )
                continue
            performers = [{"artist": w, "role": "writer"} for w in dict.fromkeys(writers)]
            work = self._work(
                element,
                id=f"iswc:{body}",
                title=title,
                performers=performers,
                rights_holder=publisher,
                release_date=None,
            )
            if work is not None:
                works.setdefault(work.id, work)

    def _work(self, element: Element, **fields: Any) -> Work | None:
        try:
            return Work.model_validate(fields)
        except PydanticValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(step) for step in error["loc"])
                self.error(element, f"{where}: {error['msg'].lower()}")
            return None

    # --- deals -----------------------------------------------------------------------------

    def read_deals(self) -> list[DealSummary]:
        deals: list[DealSummary] = []
        deal_list = self.root.child("DealList")
        for release_deal in deal_list.all("ReleaseDeal") if deal_list else []:
            releases = tuple(
                e.text.strip() for e in release_deal.all("DealReleaseReference") if e.text.strip()
            )
            for deal in release_deal.all("Deal"):
                terms = deal.child("DealTerms")
                if terms is None:
                    continue
                use_types = tuple(
                    UseType(
                        e.text.strip(),
                        e.attributes.get("Namespace"),
                        e.attributes.get("UserDefinedValue"),
                    )
                    for e in terms.all("UseType")
                    if e.text.strip()
                )
                validity = terms.child("ValidityPeriod")
                start = None
                if validity is not None:
                    start = validity.text_of("StartDateTime") or validity.text_of("StartDate")
                deals.append(
                    DealSummary(
                        releases=releases,
                        territories=tuple(e.text.strip() for e in terms.all("TerritoryCode")),
                        excluded_territories=tuple(
                            e.text.strip() for e in terms.all("ExcludedTerritoryCode")
                        ),
                        start=start,
                        use_types=use_types,
                        mapping=purposes_of(use_types),
                    )
                )
        return deals


def import_ern(data: bytes, display: str) -> tuple[ErnImport | None, list[Diagnostic]]:
    """Read an ERN 4 NewReleaseMessage (the bytes of the file `display`).

    Returns the import and no diagnostics, or None and every problem found, each at the
    line of the element, its path in the message.
    """
    root, diagnostics = read_xml(data, display)
    if root is None:
        return None, diagnostics
    text = data.decode("utf-8", errors="replace")
    match = ERN_NAMESPACE.fullmatch(root.namespace)
    if root.name != "NewReleaseMessage" or match is None:
        found = f"{{{root.namespace}}}{root.name}" if root.namespace else root.name
        line = text.splitlines()[root.line - 1] if root.line <= len(text.splitlines()) else None
        return None, [
            Diagnostic(
                span=Span(display, root.line, root.column),
                message=f"/{root.name}: expected a DDEX ERN 4 NewReleaseMessage "
                f"(namespace http://ddex.net/xml/ern/43 or another ERN 4 release), not {found}",
                source_line=line,
            )
        ]
    digits = match.group(1)
    version = ".".join(digits)
    reader = _Reader(root, display, text)
    reader.read_parties()
    works = reader.read_recordings()
    deals = reader.read_deals()
    if reader.diagnostics:
        reader.diagnostics.sort(key=lambda d: (d.span.line, d.span.column))
        return None, reader.diagnostics
    # Parties referenced by the works only, in the order first met.
    used = {w.rights_holder for w in works} | {p.artist for w in works for p in w.performers}
    result = ErnImport(
        message_id=root.text_of("MessageHeader", "MessageId"),
        version=version,
        parties=[p for p in reader.parties.values() if p.id in used],
        works=works,
        deals=deals,
        notes=reader.notes,
    )
    return result, []


def rename_parties(result: ErnImport, same_as: dict[str, str]) -> ErnImport:
    """The import with DDEX party ids replaced by the ids the data already uses
    (`{"dpid:PADPIDA2013020802I": "party:example-label"}`); renamed parties are dropped,
    as the data lists them already."""
    if not same_as:
        return result

    def new(ident: str) -> str:
        return same_as.get(ident, ident)

    works = [
        work.model_copy(
            update={
                "rights_holder": new(work.rights_holder),
                "performers": [
                    p.model_copy(update={"artist": new(p.artist)}) for p in work.performers
                ],
            }
        )
        for work in result.works
    ]
    parties = [p for p in result.parties if p.id not in same_as]
    return ErnImport(result.message_id, result.version, parties, works, result.deals, result.notes)


def without_known(result: ErnImport, parties: set[str], works: set[str]) -> ErnImport:
    """The import without the parties and works the data lists already (the data wins)."""
    return ErnImport(
        result.message_id,
        result.version,
        [p for p in result.parties if p.id not in parties],
        [w for w in result.works if w.id not in works],
        result.deals,
        result.notes,
    )


def data_file_text(result: ErnImport, source: str) -> str:
    """The data file (YAML) of an import: a header naming the message, then `parties:` and
    `works:`, in the message's order. The same message gives the same text, byte for byte."""
    import yaml

    header = [
        f"# Imported from {source} by `clausula catalogue import-ddex`:",
        f"# DDEX ERN {result.version} NewReleaseMessage {result.message_id or '(no MessageId)'}.",
    ]
    for deal in result.deals:
        ai = deal.mapping.purposes
        where = ", ".join(deal.territories) or (
            "worldwide except " + ", ".join(deal.excluded_territories)
        )
        types = ", ".join(
            u.value + (f" ({u.namespace}:{u.user_defined_value})" if u.namespace else "")
            for u in deal.use_types
        )
        header.append(
            f"# Deal on {', '.join(deal.releases)} in {where}: {types}"
            + (f" -> purposes {', '.join(ai)}" if ai else " -> no AI purpose")
        )

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # a date shared by works: no &anchor
            return True

    data = {key: value for key, value in result.to_data().items() if value}
    body = (
        yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        if data
        else ""
    )
    return "\n".join(header) + "\n\n" + body
