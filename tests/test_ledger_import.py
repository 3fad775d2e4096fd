"""The fast import of consent rows (issue 4): the fast path for grant rows gives exactly
what the pydantic model gives, and leaves every bad row to the model's sentence; an import
checked and written in chunks (and inserted on a thread) still records all rows or none,
names each bad row by its line as `read_rows` does, and keeps the hash chain verifiable.

Store tests run against SQLite and PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_2

import clausula
from clausula.catalogue import ConsentGrant
from clausula.ledger import (
    Ledger,
    LedgerError,
    RowsError,
    Vocabulary,
    import_file,
    read_rows,
)
from clausula.ledger import rows as rows_module
from clausula.ledger import store as store_module
from clausula.ledger.events import canonical, grant_payload, pending
from clausula.ledger.rows import _GrantRows, _isni_ok, _jsonl_rows, _validated, validate_row

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
VANCE = "isni:0000000121032683"
ROTH = "isni:0000000368570205"
ARTISTS = [VANCE, ROTH, "isni:0000000451273906", "isni:0000000388165020"]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    v = clausula.load(POLICIES).compiled.vocabulary
    return Vocabulary(v.purposes, v.territories.problem)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(name)
    return value


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few rows, several `INSERT` statements per chunk, and the inserting
    thread from the first chunk on: every boundary is crossed by a small file."""
    monkeypatch.setattr(rows_module, "CHUNK", 7)
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 5)
    monkeypatch.setattr(store_module, "_VALUES_ROWS", 2)
    monkeypatch.setattr(store_module, "_THREAD_ROWS", 1)


def _grant(i: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"g-{i}",
        "grantor": ARTISTS[i % 4],
        "grantee": "party:aria-labs",
        "purposes": ["training"],
        "territories": ["US", "DE"],
        "valid_from": "2026-01-01",
        "formalities": ["signed", "in_writing"],
    }
    row.update(fields)
    return row


def _jsonl(rows: list[Any]) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
    )


# ------------------------------------------------------------------ the fast path


ABSENT = object()

# For each field of a grant row: values the model takes, and values it refuses (or that a
# vocabulary check refuses). A row is drawn with at most two fields from the second list.
_GOOD: dict[str, list[Any]] = {
    "event": [ABSENT, "grant"],
    "id": ["g-1", "ok.id_2", "G9"],
    "grantor": [VANCE, ROTH, "party:aria-labs", "isni:000000012103268X"],
    "grantee": ["party:aria-labs", "any", VANCE],
    "on_behalf_of": [ABSENT, None, VANCE],
    "purposes": [["training"], ["training", "generation"], ["any"], ["generation", "training"]],
    "territories": [["US"], ["US-TN", "worldwide"], ["EU", "DE"], ["DE", "DE"]],
    "except_territories": [ABSENT, [], ["CN"], ["US-CA", "FR"]],
    "valid_from": ["2026-01-01", date(2026, 1, 1), "2024-02-29"],
    "valid_until": [ABSENT, None, "2026-01-01", "2027-06-30", date(2027, 1, 1)],
    "formalities": [ABSENT, [], ["signed", "in_writing"], ["signed", "signed"], ["court_approved"]],
    "signed_on": [ABSENT, None, "2026-01-02", date(2025, 12, 1)],
    "note": [ABSENT, None, "hello", 'ünïcödé \u2028 "quoted" \\ line\n', ""],
    "extra": [ABSENT],
}
_BAD: dict[str, list[Any]] = {
    "event": ["grnat"],
    "id": ["g 1", "", 5, "-g", ABSENT],
    "grantor": [
        "isni:0000000121032684",
        "isni:000000012103268x",
        "party:Aria",
        "0000000121032683",
        "isni:",
        "nonsense",
        3,
        ABSENT,
    ],
    "grantee": ["party:", None, "isni:0000000368570206", ABSENT],
    "on_behalf_of": ["isni:0000000368570206", "", 7],
    "purposes": [["trainin"], [], "training", [1], [["training"]], None, ABSENT, ("training",)],
    "territories": [["XX"], [], ["US", ["DE"]], "US", ABSENT, None],
    "except_territories": [["ZZ"], None, "CN", [3]],
    "valid_from": [
        "2026-02-30",
        "2026-1-1",
        datetime(2026, 1, 1, 9, 0),
        20260101,
        None,
        "２０２６-01-01",
        "2026-01-01T00:00",
        ABSENT,
    ],
    "valid_until": ["2025-12-31", "soon", date(2020, 1, 1), 5],
    "formalities": [["notarised"], "signed", None, [["signed"]], ["Signed"]],
    "signed_on": ["bad", 1, datetime(2026, 1, 1)],
    "note": [5, ["a"]],
    "extra": [1, None],
}


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    spoilt = draw(st.sets(st.sampled_from(sorted(_GOOD)), max_size=2))
    row = {
        name: draw(st.sampled_from(_BAD[name] if name in spoilt else _GOOD[name])) for name in _GOOD
    }
    return {k: v for k, v in row.items() if v is not ABSENT}


_ROWS = _rows()


@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(row=_ROWS, with_vocabulary=st.booleans())
def test_the_fast_path_gives_what_the_model_gives(
    row: dict[str, Any], with_vocabulary: bool, vocabulary: Vocabulary
) -> None:
    chosen = vocabulary if with_vocabulary else None
    fast = _GrantRows(chosen)(row)
    slow = validate_row(row, chosen)
    ((_, result),) = _validated([(1, row)], chosen)
    if isinstance(slow, str):
        assert fast is None, (row, slow)
        assert result == slow  # the model's sentence
        return
    assert result == pending(slow)
    if fast is not None:
        assert fast == pending(slow)
        # The same text as the canonical JSON of the validated grant.
        body = {k: v for k, v in row.items() if k != "event"}
        assert fast[4] == canonical(grant_payload(ConsentGrant.model_validate(body)))


def test_the_fast_path_takes_the_usual_rows(vocabulary: Vocabulary) -> None:
    fast = _GrantRows(vocabulary)
    for i in range(8):
        assert fast(_grant(i)) is not None
    assert fast(_grant(1, note="a note", valid_until="2027-01-01", on_behalf_of=ROTH)) is not None
    assert fast(_grant(1, grantee="any", purposes=["any"], territories=["worldwide"])) is not None


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.sampled_from("0123456789X"))
def test_isni_check_characters_agree_with_stdnum(digits: str, check: str) -> None:
    assert _isni_ok(f"isni:{digits}{check}") == (mod_11_2.calc_check_digit(digits) == check)


def test_isni_fast_check_refuses_what_is_not_an_isni() -> None:
    for value in (
        "isni:000000012103268",
        "isni:0000000121032683 ",
        "isni:00000001210326８3",
        "ISNI:0000000121032683",
        "isni:00000001210326X3",
    ):
        assert not _isni_ok(value)


def test_json_lines_are_read_as_json_loads_reads_them() -> None:
    lines = [
        '{"a": 1}\n',
        "\n",
        '  {"a": 2}  \r\n',
        '{"a": 3} x\n',
        "   \n",
        '{"a": "line\u2028separator"}\n',
        "[1, 2]",
    ]
    got = list(_jsonl_rows(lines, "x.jsonl"))
    assert [(n, v) for n, v in got if not hasattr(v, "message")] == [
        (1, {"a": 1}),
        (3, {"a": 2}),
        (6, {"a": "line\u2028separator"}),
        (7, [1, 2]),
    ]
    (bad,) = [(n, v.message) for n, v in got if hasattr(v, "message")]
    assert bad[0] == 4 and "not valid JSON" in bad[1] and "Extra data" in bad[1]


# ------------------------------------------------------------------ chunked import


def _mixed_rows() -> list[Any]:
    """Good and bad rows, with events that refer to grants in earlier chunks."""
    rows: list[Any] = [_grant(i) for i in range(20)]
    rows[3]["grantor"] = "isni:0000000121032684"  # line 4: wrong check character
    rows[9]["purposes"] = ["trainin"]  # line 10: unknown purpose
    rows += [
        _grant(5),  # line 21: already in the file
        {"event": "revoke", "grant": "g-1", "date": "2026-03-01", "reason": "withdrawn"},
        {"event": "revoke", "grant": "g-1", "date": "2026-04-01"},  # line 23: revoked
        {"event": "amend", "grant": "g-2", "date": "2025-06-01", "note": "x"},  # 24: before
        {"event": "amend", "grant": "g-6", "date": "2026-02-01", "valid_until": "2025-12-31"},
        {"event": "revoke", "grant": "g-3", "date": "2026-03-01"},  # line 26: g-3 was bad
        {"event": "revoke", "grant": "g-40", "date": "2026-03-01"},  # line 27: g-40 comes later
        "{not json",  # line 28
        _grant(40, valid_from="2026-02-30"),  # line 29: no such day
        _grant(41, territories=["US-ZZ"]),  # line 30
        {"event": "amend", "grant": "g-7", "date": "2026-02-01", "purposes": ["generation"]},
        _grant(42, valid_until="2025-01-01"),  # line 32: ends before it starts
    ]
    return rows


def test_a_chunked_import_names_the_same_rows_as_read_rows(
    url: str, vocabulary: Vocabulary, small_chunks: None, tmp_path: Path
) -> None:
    text = _jsonl(_mixed_rows())
    with Ledger(url) as ledger:
        ledger.grant(ConsentGrant.model_validate({**_grant(100), "valid_from": date(2026, 1, 1)}))
        with pytest.raises(RowsError) as read:
            read_rows(text, "in.jsonl", "jsonl", vocabulary=vocabulary, existing=ledger.known)
        with pytest.raises(RowsError) as imported:
            import_file(ledger, "in.jsonl", text=text, vocabulary=vocabulary)
        path = tmp_path / "in.jsonl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RowsError) as streamed:
            import_file(ledger, path, vocabulary=vocabulary)
        assert ledger.head()[0] == 1  # nothing was recorded
        assert ledger.verify().ok
    found = [(p.line, p.message) for p in imported.value.problems]
    assert found == [(p.line, p.message) for p in read.value.problems]
    assert found == [(p.line, p.message) for p in streamed.value.problems]
    lines = [line for line, _ in found]
    assert lines == [4, 10, 21, 23, 24, 25, 26, 27, 28, 29, 30, 32]
    messages = dict(found)
    assert "wrong check character" in messages[4]
    assert "unknown purpose `trainin`" in messages[10]
    assert "grant g-5 is already recorded" in messages[21]
    assert "revoked on 2026-03-01" in messages[23]
    assert "before grant g-2 starts" in messages[24]
    assert "would end on 2025-12-31, before it starts on 2026-01-01" in messages[25]
    assert "there is no grant g-3 to revoke" in messages[26]
    assert "there is no grant g-40 to revoke" in messages[27]
    assert "not valid JSON" in messages[28]
    assert "not a date in the calendar" in messages[29]
    assert messages[30].startswith("territories:")
    assert "ends on 2025-01-01, before it starts on 2026-01-01" in messages[32]


def test_a_chunked_threaded_import_records_everything_in_order(
    url: str, vocabulary: Vocabulary, small_chunks: None
) -> None:
    rows: list[Any] = [_grant(i, note=f"grant {i} ✓") for i in range(60)]
    rows += [
        {"event": "amend", "grant": "g-100", "date": "2026-02-01", "purposes": ["generation"]},
        {"event": "revoke", "grant": "g-100", "date": "2026-03-01", "reason": "withdrawn"},
        {"event": "amend", "grant": "g-3", "date": "2026-02-01", "territories": ["worldwide"]},
        {"event": "revoke", "grant": "g-59", "date": "2026-03-01"},
    ]
    with Ledger(url) as ledger:
        ledger.grant(
            ConsentGrant.model_validate(
                {**_grant(100, grantor=ROTH), "valid_from": date(2026, 1, 1)}
            ),
            recorded_by="alice",
        )
        recorded = import_file(
            ledger, "in.jsonl", text=_jsonl(rows), vocabulary=vocabulary, recorded_by="bob"
        )
        assert len(recorded) == 64
        events = list(ledger.events())
        assert [e.seq for e in events] == list(range(1, 66))
        assert list(recorded) == events[1:]
        assert recorded[0] == events[1] and recorded[-1] == events[-1]
        assert recorded[2:5] == events[3:6] and recorded[::-20] == events[1:][::-20]
        assert recorded[60].artist == ROTH and recorded[61].artist == ROTH  # from the ledger
        assert recorded[62].artist == ARTISTS[3] and recorded[63].artist == ARTISTS[3]
        assert {e.recorded_by for e in recorded} == {"bob"}
        assert len({e.recorded_at for e in recorded}) == 1
        for event in events:  # the json.dumps way of hashing agrees with the fast one
            assert event.computed_hash() == event.hash
        assert dict(events[5].data) == grant_payload(
            ConsentGrant.model_validate({k: v for k, v in rows[4].items() if k != "event"})
        )
        assert ledger.verify().ok and ledger.verify().events == 65
        assert ledger.head() == (65, events[-1].hash)
        state = {r.grant.id: r for r in ledger.state_on(date(2026, 6, 1))}
        assert state["g-100"].revoked_on == date(2026, 3, 1)
        assert state["g-100"].grant.purposes == ["generation"]
        assert state["g-3"].grant.territories == ["worldwide"]


def test_one_bad_row_in_the_last_chunk_records_nothing(
    url: str, vocabulary: Vocabulary, small_chunks: None
) -> None:
    rows = [_grant(i) for i in range(100)]
    rows[96]["formalities"] = ["notarised"]
    with Ledger(url) as ledger:
        with pytest.raises(RowsError) as info:
            import_file(ledger, "in.jsonl", text=_jsonl(rows), vocabulary=vocabulary)
        (problem,) = info.value.problems
        assert problem.line == 97 and "notarised" in problem.message
        assert str(problem).startswith("in.jsonl:97: formalities")
        assert ledger.head()[0] == 0
        rows[96]["formalities"] = ["signed"]
        assert len(import_file(ledger, "in.jsonl", text=_jsonl(rows), vocabulary=vocabulary)) == 100
        assert ledger.verify().ok


@pytest.mark.parametrize("threaded", [True, False])
def test_a_failed_insert_records_nothing(
    sqlite_url: str,
    vocabulary: Vocabulary,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
    threaded: bool,
) -> None:
    if not threaded:
        monkeypatch.setattr(store_module, "_THREAD_ROWS", 10**9)
    calls = {"n": 0}
    execute = store_module._Inserter._execute

    def failing(self: Any, batch: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: consent_events.prev_hash")
        execute(self, batch)

    monkeypatch.setattr(store_module._Inserter, "_execute", failing)
    rows = [_grant(i) for i in range(40)]
    with Ledger(sqlite_url) as ledger:
        with pytest.raises(LedgerError, match="another writer"):
            import_file(ledger, "in.jsonl", text=_jsonl(rows), vocabulary=vocabulary)
        assert ledger.head()[0] == 0
        monkeypatch.setattr(store_module._Inserter, "_execute", execute)
        assert len(import_file(ledger, "in.jsonl", text=_jsonl(rows), vocabulary=vocabulary)) == 40
        assert ledger.verify().ok


def test_an_empty_file_records_nothing(sqlite_url: str, vocabulary: Vocabulary) -> None:
    with Ledger(sqlite_url) as ledger:
        assert len(import_file(ledger, "in.jsonl", text="\n\n", vocabulary=vocabulary)) == 0
        assert list(import_file(ledger, "in.csv", text="", vocabulary=vocabulary)) == []
        assert ledger.head()[0] == 0


def test_a_note_that_is_not_text_is_a_bad_row_not_a_crash(
    sqlite_url: str, vocabulary: Vocabulary
) -> None:
    """JSON can carry a lone surrogate (`"\\ud800"`); UTF-8, and so the hash, cannot."""
    broken = json.dumps(_grant(1))[:-1] + ', "note": "bad \\ud800 note"}'
    text = _jsonl([_grant(0), broken, _grant(2)])
    with Ledger(sqlite_url) as ledger:
        with pytest.raises(RowsError) as info:
            import_file(ledger, "in.jsonl", text=text, vocabulary=vocabulary)
        (problem,) = info.value.problems
        assert problem.line == 2
        assert problem.message.startswith("note: ") and "not valid Unicode" in problem.message
        assert ledger.head()[0] == 0
