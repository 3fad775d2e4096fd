"""Loading data files: the models, every kind of diagnostic, the indexes and the ledger."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausula.catalogue import DataSet, load_data
from clausula.consent import ConsentLedger, ConsentRecord, FileConsentLedger
from clausula.diagnostics import Diagnostic
from clausula.territory import code_problem

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = FIXTURES / "data"
PURPOSES = frozenset(
    {"training", "fine_tuning", "generation", "voice_replica", "style_imitation", "sampling"}
)
KNOWN = {"worldwide", "EU", "EEA", "US", "US-TN", "DE", "FR", "GB", "CN", "RU", "NO"}


def simple_territory_problem(code: str) -> str | None:
    return None if code in KNOWN else f"`{code}` is not a territory"


def iso_territory_problem(code: str) -> str | None:
    return None if code in {"worldwide", "EU", "EEA"} else code_problem(code)


def load(name: str) -> tuple[DataSet | None, list[Diagnostic]]:
    return load_data(
        DATA / name,
        purposes=PURPOSES,
        territory_problem=simple_territory_problem,
        display_root=FIXTURES,
    )


def problems(name: str) -> list[Diagnostic]:
    data, diagnostics = load(name)
    assert data is None
    assert diagnostics
    return diagnostics


def find(diagnostics: list[Diagnostic], fragment: str) -> Diagnostic:
    matches = [d for d in diagnostics if fragment in d.message]
    assert len(matches) == 1, (fragment, [d.message for d in diagnostics])
    return matches[0]


def at(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return diagnostic.span.path, diagnostic.span.line, diagnostic.span.column


# --- the valid fixture ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid() -> DataSet:
    data, diagnostics = load("valid")
    assert diagnostics == []
    assert data is not None
    return data


def test_reads_yaml_and_yml_sorted_and_nothing_else(valid: DataSet) -> None:
    assert [p.name for p in valid.files] == ["a_parties.yaml", "b_works.yml", "c_grants.yaml"]


def test_models(valid: DataSet) -> None:
    vance = valid.party("isni:0000000121032683")
    assert vance is not None
    assert vance.kind == "artist"
    assert vance.birth_date == date(1988, 4, 17)
    assert vance.residence == "US-TN"
    assert valid.party("party:nobody") is None
    work = valid.works["isrc:USUM71703861"]
    assert work.performers[0].role == "main"  # the default role
    assert work.tdm_reserved is False
    assert valid.works["iswc:T0345246801"].tdm_reserved is True
    assert valid.grants["g-1"].formalities == frozenset({"in_writing", "signed"})
    assert valid.grants["g-1"].artist == "isni:0000000121032683"


def test_norway_stays_a_country_code(valid: DataSet) -> None:
    # YAML 1.1 would read NO as false; the loader reads only true/false as booleans.
    roth = valid.party("isni:0000000368570205")
    assert roth is not None and roth.residence == "NO"


def test_indexes(valid: DataSet) -> None:
    assert valid.performers_of("isrc:USUM71703861") == (
        "isni:0000000121032683",
        "isni:0000000368570205",
    )
    assert valid.performers_of("iswc:T0345246801") == ()
    assert valid.performers_of("isrc:UNKNOWN") == ()
    asked = [*valid.works, "isrc:UNKNOWN", "iswc:T0345246801"]
    assert list(valid.performers_of_each(asked)) == [valid.performers_of(w) for w in asked]
    assert valid.works_held_by("party:example-label") == frozenset(
        {"isrc:USUM71703861", "iswc:T0345246801"}
    )
    assert valid.works_held_by("party:aria-labs") == frozenset()


def test_data_set_is_immutable(valid: DataSet) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.parties = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        valid.parties["x"] = valid.parties["party:aria-labs"]  # type: ignore[index]
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        valid.works["isrc:USUM71703861"].title = "changed"  # type: ignore[misc]


def test_ledger_order_and_revocation(valid: DataSet) -> None:
    records = valid.ledger.records_for("isni:0000000121032683")
    # Ordered by (valid_from, id): g-1 starts first; g-0 and g-2 share a date.
    assert [r.grant.id for r in records] == ["g-1", "g-0", "g-2"]
    g1 = records[0]
    assert g1.revoked_on == date(2026, 6, 1)
    assert g1.revocation_reason == "withdrawn"
    assert g1.active_on(date(2026, 5, 31))
    assert not g1.active_on(date(2026, 6, 1))  # a revocation takes effect on its date
    assert valid.ledger.records_for("isni:0000000368570205") == ()


# --- the ledger on its own --------------------------------------------------------------------


def test_active_on_term_boundaries(valid: DataSet) -> None:
    grant = valid.grants["g-1"]
    record = ConsentRecord(grant=grant, revoked_on=None, revocation_reason=None)
    assert not record.active_on(date(2025, 12, 31))
    assert record.active_on(date(2026, 1, 1))
    assert record.active_on(date(2026, 12, 31))
    assert not record.active_on(date(2027, 1, 1))
    open_ended = ConsentRecord(grant=valid.grants["g-2"], revoked_on=None, revocation_reason=None)
    assert open_ended.active_on(date(2099, 1, 1))


def test_file_ledger_protocol_and_on_behalf_of() -> None:
    data, diagnostics = load_data(
        ROOT / "policies" / "data",
        purposes=PURPOSES,
        territory_problem=iso_territory_problem,
        display_root=ROOT,
    )
    assert data is not None, [d.render() for d in diagnostics]
    ledger: ConsentLedger = data.ledger
    assert isinstance(ledger, FileConsentLedger)
    deceased = ledger.records_for("isni:0000000451273906")
    assert [r.grant.id for r in deceased] == ["g-arceneaux-estate"]
    assert deceased[0].grant.grantor == "party:estate-of-delphine-arceneaux"
    # The estate itself holds no consent of its own.
    assert ledger.records_for("party:estate-of-delphine-arceneaux") == ()
    assert ledger.record("g-roth-generation") is not None
    assert ledger.record("nope") is None


# --- the shipped example data -----------------------------------------------------------------


def test_shipped_data_loads_cleanly() -> None:
    data, diagnostics = load_data(
        ROOT / "policies" / "data",
        purposes=PURPOSES,
        territory_problem=iso_territory_problem,
        display_root=ROOT,
    )
    assert [d.render() for d in diagnostics] == []
    assert data is not None
    assert [p.name for p in data.files] == ["catalogue.yaml", "consents.yaml", "parties.yaml"]
    artists = [p for p in data.parties.values() if p.kind == "artist"]
    assert len(artists) == 6
    assert {"isni:0000000121032683", "isni:0000000368570205"} <= {p.id for p in artists}
    assert 8 <= len([w for w in data.works if w.startswith("isrc:")]) <= 10
    assert any(w.tdm_reserved for w in data.works.values())
    day = date(2026, 9, 1)
    revoked = data.ledger.records_for("isni:0000000368570205")
    assert [r.grant.id for r in revoked if r.revoked_on] == ["g-roth-generation"]
    assert not next(r for r in revoked if r.grant.id == "g-roth-generation").active_on(day)
    # The performer with no grant at all: opt-in denies.
    assert data.ledger.records_for("isni:0000000520744186") == ()
    minor = data.ledger.records_for("isni:0000000498611239")
    assert "court_approved" in minor[0].grant.formalities


# --- diagnostics: one test per kind, message and place ------------------------------------------


def test_missing_directory() -> None:
    data, diagnostics = load("does-not-exist")
    assert data is None
    assert len(diagnostics) == 1
    assert diagnostics[0].message == "the data directory data/does-not-exist does not exist"


def test_empty_file_is_no_data() -> None:
    data, diagnostics = load("empty")
    assert diagnostics == []
    assert data is not None and not data.parties


def test_malformed_yaml() -> None:
    [diagnostic] = problems("malformed")
    assert at(diagnostic) == ("data/malformed/data.yaml", 5, 1)
    assert diagnostic.message.startswith("this is not valid YAML: while parsing a flow sequence")
    assert "from line 4" in diagnostic.message


def test_unknown_section() -> None:
    [diagnostic] = problems("unknown_section")
    assert at(diagnostic) == ("data/unknown_section/data.yaml", 2, 1)
    assert diagnostic.message == (
        "`grant` is not a section of a data file; use parties, works, grants, revocations and "
        "tdm_reservations; did you mean `grants`?"
    )
    assert diagnostic.source_line == "grant:"


@pytest.mark.parametrize(
    ("fragment", "line", "column"),
    [
        (
            "parties[1] (party:aria-labs): kind: `robot` is not allowed here; expected 'artist'",
            3,
            11,
        ),
        ("parties[1] (party:aria-labs): colour: is not a field of this entry", 5, 5),
        ("parties[2] (party:example-label): `name` is missing", 6, 5),
        ("parties[3] (party:indie-label): birth_date: write a date as YYYY-MM-DD", 11, 17),
        ("works[1] (isrc:USUM71703861): tdm_reserved: must be true or false, not `yes`", 16, 19),
        ("works[1] (isrc:USUM71703861): performers[1].role: `drummer` is not allowed", 18, 43),
        ("grants[1] (g-1): purposes: must list at least one value", 23, 15),
        ("grants[1] (g-1): formalities[2]: `notarised` is not allowed here", 26, 31),
        ("grants[2]: an entry must be a mapping of fields", 27, 5),
    ],
)
def test_field_errors(fragment: str, line: int, column: int) -> None:
    diagnostic = find(problems("bad_fields"), fragment)
    assert at(diagnostic) == ("data/bad_fields/data.yaml", line, column)
    assert diagnostic.source_line is not None


def test_field_errors_are_all_reported() -> None:
    assert len(problems("bad_fields")) == 9


@pytest.mark.parametrize(
    ("message", "line", "column"),
    [
        (
            "parties[1] (isni:0000000121032684): id: the ISNI 0000000121032684 has a wrong "
            "check character; it should end in 3",
            2,
            9,
        ),
        (
            "parties[2] (party:Aria Labs): id: the local party id `Aria Labs` may contain only "
            "lower-case letters, digits and hyphens, and must start with a letter or a digit",
            5,
            9,
        ),
        (
            "parties[3] (isrc:USUM71703861): id: `isrc:USUM71703861` does not identify a party; "
            "a party is identified by `dpid:`, `ipi:`, `isni:` or `party:`",
            8,
            9,
        ),
        (
            "works[1] (iswc:T0345246802): id: the ISWC T0345246802 has a wrong check digit; "
            "it should end in 1",
            12,
            9,
        ),
        (
            "works[1] (iswc:T0345246802): rights_holder: the IPI name number 00000000298 has "
            "wrong check digits; it should end in 97",
            14,
            20,
        ),
        (
            "works[2] (USUM71703861): id: `USUM71703861` has no scheme prefix such as `isrc:` or "
            "`iswc:`; did you mean `isrc:USUM71703861`?",
            15,
            9,
        ),
        (
            "grants[1] (g 1): id: the grant id `g 1` may contain only letters, digits, `.`, `_` "
            "and `-`",
            19,
            9,
        ),
    ],
)
def test_bad_ids(message: str, line: int, column: int) -> None:
    diagnostic = find(problems("bad_ids"), message)
    assert diagnostic.message == message
    assert at(diagnostic) == ("data/bad_ids/data.yaml", line, column)


@pytest.mark.parametrize(
    ("message", "line", "column"),
    [
        (
            "parties[1] (isni:0000000121032683): death_date: the death date 1980-01-01 is "
            "before the birth date 1988-04-17",
            6,
            17,
        ),
        ("parties[2] (party:aria-labs): residence: `XX` is not a territory", 10, 16),
        (
            "parties[3] (party:estate-of-nobody): estate_of: no party `isni:0000000368570205` "
            "is listed under parties; did you mean `isni:0000000121032683`?",
            14,
            16,
        ),
        (
            "works[1] (isrc:USUM71703861): performers[1].artist: no artist "
            "`isni:0000000451273906` is listed under parties; did you mean "
            "`isni:0000000121032683`?",
            19,
            18,
        ),
        (
            "works[1] (isrc:USUM71703861): rights_holder: no party `party:example-labl` is "
            "listed under parties; did you mean `party:aria-labs`?",
            20,
            20,
        ),
        (
            "grants[1] (g-17): grantee: no licensee `party:aria-lab` is listed under parties; "
            "did you mean `party:aria-labs`?",
            24,
            14,
        ),
        (
            "grants[1] (g-17): purposes[2]: unknown purpose `trainng`; did you mean `training`?",
            25,
            26,
        ),
        ("grants[1] (g-17): except_territories[1]: `EUU` is not a territory", 27, 26),
        (
            "grants[1] (g-17): valid_until: the grant ends on 2026-01-01, before it starts on "
            "2026-06-01",
            29,
            18,
        ),
        (
            "grants[2] (g-18): on_behalf_of: party:aria-labs is neither the estate, the "
            "guardian, the bargaining representative nor a licensee authorised for "
            "isni:0000000121032683, so cannot consent on their behalf",
            32,
            19,
        ),
        (
            "revocations[1] (of g-19): grant: no grant `g-19` is listed under grants; "
            "did you mean `g-18`?",
            38,
            12,
        ),
        (
            "revocations[2] (of g-17): date: the revocation date 2026-05-01 is before grant "
            "g-17 starts on 2026-06-01",
            41,
            11,
        ),
        (
            "revocations[4] (of g-18): grant: grant g-18 is already revoked at "
            "data/bad_references/data.yaml:42",
            44,
            12,
        ),
    ],
)
def test_bad_references(message: str, line: int, column: int) -> None:
    diagnostic = find(problems("bad_references"), message)
    assert diagnostic.message == message
    assert at(diagnostic) == ("data/bad_references/data.yaml", line, column)


def test_bad_references_all_reported_in_order() -> None:
    diagnostics = problems("bad_references")
    assert len(diagnostics) == 13
    lines = [d.span.line for d in diagnostics]
    assert lines == sorted(lines)


def test_duplicates_across_files() -> None:
    diagnostics = problems("duplicates")
    party = find(diagnostics, "the party id `party:aria-labs` is already used at")
    assert at(party) == ("data/duplicates/b.yaml", 2, 9)
    assert party.message.endswith("data/duplicates/a.yaml:2")
    grant = find(diagnostics, "the grant id `g-1` is already used at data/duplicates/a.yaml:6")
    assert at(grant) == ("data/duplicates/b.yaml", 7, 9)
    key = find(diagnostics, "`name` is given twice in this entry")
    assert at(key) == ("data/duplicates/b.yaml", 5, 5)
    assert len(diagnostics) == 3


def test_render_has_caret_under_the_node() -> None:
    diagnostic = find(problems("bad_references"), "unknown purpose `trainng`")
    rendered = diagnostic.render().splitlines()
    assert rendered[0].startswith("data/bad_references/data.yaml:25:26: error: grants[1] (g-17)")
    assert rendered[1] == "        purposes: [training, trainng]"
    assert rendered[2] == "    " + " " * 25 + "^" * len("trainng")


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"parties: \xff\xfe\n")
    data, diagnostics = load_data(
        tmp_path,
        purposes=PURPOSES,
        territory_problem=simple_territory_problem,
        display_root=tmp_path,
    )
    assert data is None
    assert diagnostics[0].span.path == "bad.yaml"
    assert "cannot read this data file" in diagnostics[0].message


def test_root_must_be_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (tmp_path / "section.yml").write_text("parties: party:aria-labs\n", encoding="utf-8")
    data, diagnostics = load_data(
        tmp_path,
        purposes=PURPOSES,
        territory_problem=simple_territory_problem,
        display_root=tmp_path,
    )
    assert data is None
    assert [(d.span.path, d.span.line, d.span.column) for d in diagnostics] == [
        ("list.yaml", 1, 1),
        ("section.yml", 1, 10),
    ]
    assert diagnostics[0].message.startswith("a data file must be a mapping with the keys")
    assert diagnostics[1].message == "`parties` must be a list of entries, each starting with -"


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text(
        "parties: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8"
    )
    data, diagnostics = load_data(
        tmp_path,
        purposes=PURPOSES,
        territory_problem=simple_territory_problem,
        display_root=tmp_path,
    )
    assert data is None
    assert diagnostics[0].message.startswith("this is not valid YAML")
    assert diagnostics[0].span.line == 1


def test_dates_must_be_calendar_days(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        "parties:\n"
        "  - {id: party:a, kind: artist, name: A, birth_date: '1990-01-31'}\n"
        "  - {id: party:b, kind: artist, name: B, birth_date: 1990-02-30}\n"
        "  - {id: party:c, kind: artist, name: C, birth_date: 1990-02-01T10:00:00}\n",
        encoding="utf-8",
    )
    data, diagnostics = load_data(
        tmp_path,
        purposes=PURPOSES,
        territory_problem=simple_territory_problem,
        display_root=tmp_path,
    )
    assert data is None
    assert [(d.span.line, d.message) for d in diagnostics] == [
        (3, "parties[2] (party:b): birth_date: 1990-02-30 is not a date in the calendar"),
        (4, "parties[3] (party:c): birth_date: write a date as YYYY-MM-DD, without a time"),
    ]


_YAML_PIECES = st.sampled_from(
    [
        "parties:",
        "works:",
        "grants:",
        "revocations:",
        "\n",
        "  - ",
        "id: ",
        "kind: ",
        "name: ",
        "isni:0000000121032683",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "- ",
        "2026-02-30",
        "NO",
        "&a ",
        "*a",
        "!!python/name:os.system",
        "'",
        '"',
        "#",
        "valid_from: ",
        "1.5",
        "~",
        "  ",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=40).map("".join) | st.text(max_size=200))
def test_any_text_gives_diagnostics_not_tracebacks(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "fuzz.yaml").write_text(text, encoding="utf-8")
        data, diagnostics = load_data(
            Path(directory),
            purposes=PURPOSES,
            territory_problem=simple_territory_problem,
            display_root=Path(directory),
        )
    assert (data is None) == bool(diagnostics)
    for diagnostic in diagnostics:
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
