"""The consent ledger: append-only events, state on any past date, the hash chain, import
and export, concurrent writers, and decisions read as of the use's date.

Every store test runs against SQLite and against a real PostgreSQL server (see
conftest.py: skipped, with the reason printed, only when no server can be had).
"""

from __future__ import annotations

import io
import json
import multiprocessing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clausula
from clausula.catalogue import ConsentGrant
from clausula.cli import app
from clausula.ledger import (
    ChainBroken,
    Ledger,
    LedgerError,
    NewEvent,
    RowsError,
    Vocabulary,
    generate_key,
    import_file,
    read_rows,
    write_rows,
)

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
CONSENTS = POLICIES / "data" / "consents.yaml"
VANCE = "isni:0000000121032683"
ROTH = "isni:0000000368570205"
ARTISTS = [VANCE, ROTH, "isni:0000000451273906", "isni:0000000388165020"]


@pytest.fixture(scope="module")
def policy_set() -> clausula.PolicySet:
    return clausula.load(POLICIES)


@pytest.fixture(scope="module")
def vocabulary(policy_set: clausula.PolicySet) -> Vocabulary:
    v = policy_set.compiled.vocabulary
    return Vocabulary(v.purposes, v.territories.problem)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(name)
    return value


class Clock:
    """A clock that advances one minute per reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def grant(gid: str, artist: str = VANCE, **fields: Any) -> ConsentGrant:
    base: dict[str, Any] = {
        "id": gid,
        "grantor": artist,
        "grantee": "party:aria-labs",
        "purposes": ["training"],
        "territories": ["US"],
        "valid_from": date(2026, 1, 1),
        "formalities": ["in_writing", "signed"],
    }
    base.update(fields)
    return ConsentGrant.model_validate(base)


# ------------------------------------------------------------------ history and state


def test_replay_history_state_on_each_date(url: str) -> None:
    clock = Clock()
    with Ledger(url, clock=clock) as ledger:
        ledger.grant(grant("g-a", valid_until=date(2026, 12, 31)), recorded_by="alice")
        ledger.grant(grant("g-b", purposes=["generation"]), recorded_by="alice")
        ledger.amend(
            "g-a", date(2026, 3, 1), {"purposes": ["training", "fine_tuning"]}, recorded_by="bob"
        )
        ledger.amend("g-a", date(2026, 2, 1), {"territories": ["US", "GB"]}, recorded_by="bob")
        ledger.revoke("g-b", date(2026, 4, 1), "withdrawn", recorded_by="carol")
        ledger.revoke("g-a", date(2026, 6, 15), recorded_by="carol")

        def state(day: date) -> dict[str, tuple[list[str], list[str], date | None, bool]]:
            return {
                r.grant.id: (r.grant.purposes, r.grant.territories, r.revoked_on, r.active_on(day))
                for r in ledger.records_for(VANCE, as_of=day)
            }

        expected = {
            date(2025, 12, 31): {
                "g-a": (["training"], ["US"], None, False),
                "g-b": (["generation"], ["US"], None, False),
            },
            date(2026, 1, 1): {
                "g-a": (["training"], ["US"], None, True),
                "g-b": (["generation"], ["US"], None, True),
            },
            date(2026, 2, 1): {
                "g-a": (["training"], ["US", "GB"], None, True),
                "g-b": (["generation"], ["US"], None, True),
            },
            date(2026, 3, 1): {
                "g-a": (["training", "fine_tuning"], ["US", "GB"], None, True),
                "g-b": (["generation"], ["US"], None, True),
            },
            date(2026, 3, 31): {
                "g-a": (["training", "fine_tuning"], ["US", "GB"], None, True),
                "g-b": (["generation"], ["US"], None, True),
            },
            date(2026, 4, 1): {
                "g-a": (["training", "fine_tuning"], ["US", "GB"], None, True),
                "g-b": (["generation"], ["US"], date(2026, 4, 1), False),
            },
            date(2026, 6, 14): {
                "g-a": (["training", "fine_tuning"], ["US", "GB"], None, True),
                "g-b": (["generation"], ["US"], date(2026, 4, 1), False),
            },
            date(2026, 6, 15): {
                "g-a": (["training", "fine_tuning"], ["US", "GB"], date(2026, 6, 15), False),
                "g-b": (["generation"], ["US"], date(2026, 4, 1), False),
            },
        }
        for day, want in expected.items():
            assert state(day) == want, day
        # Who recorded what, and when (from the injected clock).
        events = list(ledger.events())
        assert [(e.seq, e.kind, e.recorded_by) for e in events] == [
            (1, "grant", "alice"),
            (2, "grant", "alice"),
            (3, "amend", "bob"),
            (4, "amend", "bob"),
            (5, "revoke", "carol"),
            (6, "revoke", "carol"),
        ]
        assert events[0].recorded_at == "2026-01-01T09:01:00.000000Z"
        assert events[5].recorded_at == "2026-01-01T09:06:00.000000Z"
        # The ledger as it stood before the revocations were recorded.
        before = ledger.state_on(date(2026, 7, 1), known_at=datetime(2026, 1, 1, 9, 4, tzinfo=UTC))
        assert all(r.revoked_on is None for r in before)
        assert ledger.verify().ok


def test_events_are_never_rewritten(url: str) -> None:
    with Ledger(url) as ledger:
        ledger.grant(grant("g-a"))
        with pytest.raises(LedgerError) as info:
            ledger.grant(grant("g-a"))
        assert "already recorded" in info.value.problems[0]
        with pytest.raises(LedgerError, match="before grant g-a starts"):
            ledger.append(_revoke_rows(ledger, "g-a", date(2025, 6, 1)))
        ledger.revoke("g-a", date(2026, 5, 1))
        with pytest.raises(LedgerError) as info:
            ledger.revoke("g-a", date(2026, 6, 1))
        assert "revoked on 2026-05-01" in info.value.problems[0]
        with pytest.raises(LedgerError):
            ledger.amend("g-a", date(2026, 6, 1), {"note": "late"})
        with pytest.raises(LedgerError, match="cannot change grantee"):
            ledger.amend("g-a", date(2026, 2, 1), {"grantee": "any"})
        with pytest.raises(LedgerError, match="no grant g-zz"):
            ledger.revoke("g-zz", date(2026, 6, 1))
        assert ledger.head()[0] == 2


def _revoke_rows(ledger: Ledger, gid: str, day: date) -> list[Any]:
    from clausula.ledger import NewEvent

    return [NewEvent("revoke", gid, VANCE, day, {})]


# ------------------------------------------------------------------ the hash chain


def test_verify_names_a_row_edited_behind_the_ledgers_back(url: str) -> None:
    with Ledger(url) as ledger:
        for i in range(5):
            ledger.grant(grant(f"g-{i}"))
        assert ledger.verify().ok
        with ledger.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE consent_events SET data = REPLACE(data, 'training', 'generation') "
                    "WHERE seq = 3"
                )
            )
        result = ledger.verify()
        assert not result.ok and result.broken_seq == 3
        assert "event 3" in result.message and "g-2" in result.message


def test_verify_names_a_deleted_row(url: str) -> None:
    with Ledger(url) as ledger:
        for i in range(4):
            ledger.grant(grant(f"g-{i}"))
        with ledger.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM consent_events WHERE seq = 2"))
        result = ledger.verify()
        assert not result.ok and result.broken_seq == 2
        assert "event 2 is missing" in result.message


def test_verify_cli_exits_1_naming_the_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    result = runner.invoke(
        app, ["consent", "import", str(CONSENTS), "--ledger", url, "--policies", str(POLICIES)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 11 event(s)" in result.output
    assert runner.invoke(app, ["consent", "verify", "--ledger", url]).exit_code == 0
    with Ledger(url) as ledger, ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE consent_events SET recorded_by = 'mallory' WHERE seq = 7"))
    result = runner.invoke(app, ["consent", "verify", "--ledger", url])
    assert result.exit_code == 1
    assert "event 7" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ import and export


def _grant_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "event": "grant",
            "id": f"g-{i:04d}",
            "grantor": ARTISTS[i % 4],
            "grantee": "party:aria-labs",
            "purposes": ["training"],
            "territories": ["US"],
            "valid_from": "2026-01-01",
            "formalities": ["in_writing", "signed"],
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "yaml"])
def test_import_one_bad_row_in_a_thousand_imports_nothing(
    url: str, fmt: str, tmp_path: Path, vocabulary: Vocabulary
) -> None:
    rows = _grant_rows(1000)
    rows[637]["grantor"] = "isni:0000000121032684"  # wrong check character
    with Ledger(url) as ledger:
        buffer = io.StringIO()
        _write_plain(rows, fmt, buffer)
        path = tmp_path / f"grants.{fmt}"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        with pytest.raises(RowsError) as info:
            import_file(ledger, path, vocabulary=vocabulary)
        (problem,) = info.value.problems
        line = {"jsonl": 638, "csv": 639}.get(fmt)
        if line is not None:
            assert problem.line == line
        else:  # YAML: the line of the 638th list item
            text = path.read_text().splitlines()
            assert "g-0637" in "\n".join(text[problem.line - 1 : problem.line + 1])
        assert "wrong check character" in problem.message and "should end in 3" in problem.message
        assert str(problem).startswith(f"{path}:{problem.line}: ")
        assert ledger.head()[0] == 0
        rows[637]["grantor"] = VANCE
        buffer = io.StringIO()
        _write_plain(rows, fmt, buffer)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        assert len(import_file(ledger, path, vocabulary=vocabulary)) == 1000
        assert ledger.verify().ok


def _write_plain(rows: list[dict[str, Any]], fmt: str, out: io.StringIO) -> None:
    import csv

    import yaml

    if fmt == "jsonl":
        out.write("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "yaml":
        yaml.safe_dump({"events": rows}, out, sort_keys=False)
    else:
        from clausula.ledger import CSV_COLUMNS

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    " ".join(r[c]) if isinstance(r.get(c), list) else r.get(c, "")
                    for c in CSV_COLUMNS
                ]
            )


def test_import_reports_every_bad_row_by_line(sqlite_url: str, vocabulary: Vocabulary) -> None:
    text = "\n".join(
        [
            json.dumps(
                {
                    "id": "g-1",
                    "grantor": VANCE,
                    "grantee": "party:aria-labs",
                    "purposes": ["trainin"],
                    "territories": ["US"],
                    "valid_from": "2026-01-01",
                }
            ),
            json.dumps(
                {
                    "id": "g-2",
                    "grantor": VANCE,
                    "grantee": "party:aria-labs",
                    "purposes": ["training"],
                    "territories": ["XX"],
                    "valid_from": "2026-02-30",
                }
            ),
            "{not json",
            json.dumps({"event": "revoke", "grant": "g-9", "date": "2026-05-01"}),
            json.dumps(
                {
                    "id": "g-3",
                    "grantor": VANCE,
                    "grantee": "party:aria-labs",
                    "purposes": ["training"],
                    "territories": ["US"],
                    "valid_from": "2026-01-01",
                    "formalities": ["notarised"],
                }
            ),
            json.dumps({"event": "revoke", "grant": "g-4", "date": "2025-01-01"}),
            json.dumps(
                {
                    "id": "g-4",
                    "grantor": VANCE,
                    "grantee": "party:aria-labs",
                    "purposes": ["training"],
                    "territories": ["US"],
                    "valid_from": "2026-01-01",
                }
            ),
        ]
    )
    with Ledger(sqlite_url) as ledger, pytest.raises(RowsError) as info:
        read_rows(text, "in.jsonl", "jsonl", vocabulary=vocabulary, existing=ledger.known)
    found = {p.line: p.message for p in info.value.problems}
    assert "unknown purpose `trainin`; did you mean `training`?" in found[1]
    assert "not a date in the calendar" in found[2]
    assert "not valid JSON" in found[3]
    assert "there is no grant g-9" in found[4]
    assert "notarised" in found[5]
    assert "there is no grant g-4 to revoke" in found[6]  # it comes later in the file
    assert 7 not in found


def test_import_cli_names_bad_rows_and_imports_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "event,id,grantor,grantee,purposes,territories,valid_from\n"
        f"grant,g-1,{VANCE},party:aria-labs,training,US,2026-01-01\n"
        f"grant,g-2,{VANCE},party:aria-labs,training,US-ZZ,2026-01-01\n"
    )
    result = CliRunner().invoke(
        app, ["consent", "import", str(bad), "--ledger", url, "--policies", str(POLICIES)]
    )
    assert result.exit_code == 1
    assert f"{bad}:3: territories:" in result.output
    assert "nothing was imported" in result.output and "Traceback" not in result.output
    with Ledger(url) as ledger:
        assert ledger.head()[0] == 0


_DAY = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
_TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda s: s and s != "none")
)


@st.composite
def _histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 6))):
        start = draw(_DAY)
        row: dict[str, Any] = {
            "event": "grant",
            "id": f"g-{i}",
            "grantor": draw(st.sampled_from(ARTISTS)),
            "grantee": draw(st.sampled_from(["party:aria-labs", "any"])),
            "purposes": draw(
                st.lists(
                    st.sampled_from(["training", "fine_tuning", "generation", "voice_replica"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            ),
            "territories": draw(
                st.lists(
                    st.sampled_from(["US", "US-TN", "DE", "EU", "worldwide"]),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            ),
            "valid_from": start.isoformat(),
        }
        if draw(st.booleans()):
            row["valid_until"] = (start + timedelta(days=draw(st.integers(0, 2000)))).isoformat()
        if draw(st.booleans()):
            row["except_territories"] = ["CN"]
        formalities = draw(
            st.lists(
                st.sampled_from(["in_writing", "signed", "with_counsel", "court_approved"]),
                unique=True,
            )
        )
        if formalities:
            row["formalities"] = sorted(formalities)
        if draw(st.booleans()):
            row["note"] = draw(_TEXT)
        rows.append(row)
        if draw(st.booleans()):
            amend: dict[str, Any] = {
                "event": "amend",
                "grant": f"g-{i}",
                "date": (start + timedelta(days=draw(st.integers(0, 400)))).isoformat(),
            }
            if draw(st.booleans()):
                amend["purposes"] = ["training"]
            else:
                amend["note"] = draw(_TEXT)
            tail.append(amend)
        if draw(st.booleans()):
            revoke: dict[str, Any] = {
                "event": "revoke",
                "grant": f"g-{i}",
                "date": (start + timedelta(days=draw(st.integers(500, 900)))).isoformat(),
            }
            if draw(st.booleans()):
                revoke["reason"] = draw(_TEXT)
            tail.append(revoke)
    return rows + tail


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_histories(), fmt=st.sampled_from(["yaml", "jsonl", "csv"]))
def test_export_then_import_round_trip(
    rows: list[dict[str, Any]], fmt: str, tmp_path: Path, vocabulary: Vocabulary
) -> None:
    first_url = f"sqlite:///{tmp_path / f'a-{fmt}-{id(rows)}.db'}"
    second_url = f"sqlite:///{tmp_path / f'b-{fmt}-{id(rows)}.db'}"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with Ledger(first_url) as first, Ledger(second_url) as second:
        import_file(first, "in.jsonl", text=text, vocabulary=vocabulary)
        out = io.StringIO()
        write_rows(first.events(), fmt, out)  # type: ignore[arg-type]
        import_file(second, f"out.{fmt}", text=out.getvalue(), vocabulary=vocabulary)
        again = io.StringIO()
        write_rows(second.events(), fmt, again)  # type: ignore[arg-type]
        assert again.getvalue() == out.getvalue()
        strip = [(e.kind, e.grant, e.artist, e.effective, dict(e.data)) for e in first.events()]
        assert strip == [
            (e.kind, e.grant, e.artist, e.effective, dict(e.data)) for e in second.events()
        ]
        for day in (date(2021, 1, 1), date(2027, 6, 1), date(2034, 1, 1), None):
            assert first.state_on(day) == second.state_on(day)
    for path in tmp_path.glob("*.db*"):
        path.unlink()


# ------------------------------------------------------------------ concurrent writers


def _writer(url: str, worker: int, count: int) -> None:
    with Ledger(url) as ledger:
        for i in range(count):
            ledger.grant(grant(f"w{worker}-{i}", ARTISTS[worker % 4]), recorded_by=f"w{worker}")


def test_concurrent_writers_from_several_processes_lose_no_event(url: str) -> None:
    Ledger(url).close()  # create the schema once
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(url, w, 40)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    with Ledger(url) as ledger:
        events = list(ledger.events())
        assert len(events) == 160
        assert [e.seq for e in events] == list(range(1, 161))
        assert len({e.grant for e in events}) == 160
        assert ledger.verify().ok


# ------------------------------------------------------------------ decisions against the ledger


def _training(day: str, work: str = "isrc:USEXL2400102") -> dict[str, Any]:
    return {
        "id": f"t-{day}",
        "date": day,
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "US-TN",
        "works": [work],
    }


def test_decisions_read_the_ledger_as_of_the_uses_date(url: str) -> None:
    with Ledger(url) as ledger:
        ledger.grant(grant("g-vance", purposes=["training"], territories=["US"]))
        policies = clausula.load(POLICIES, ledger=ledger)
        assert policies.decide(_training("2026-06-01")).decision == "pay"
        ledger.revoke("g-vance", date(2026, 7, 1), "changed her mind")
        after = policies.decide(_training("2026-07-01"))
        assert after.decision == "deny"
        assert any("g-vance was revoked on 2026-07-01" in r.message for r in after.reasons)
        # The revocation never rewrites the past.
        assert policies.decide(_training("2026-06-30")).decision == "pay"
        # An amendment counts from its own date only.
        ledger.grant(grant("g-vance-gb", purposes=["training"], territories=["GB"]))
        ledger.amend("g-vance-gb", date(2026, 8, 1), {"territories": ["GB", "US"]})
        assert policies.decide(_training("2026-07-31")).decision == "deny"
        assert policies.decide(_training("2026-08-01")).decision == "pay"
        # The policy version is the same whatever the ledger holds.
        assert after.policy.version == clausula.load(POLICIES).version


def test_ledger_decides_as_the_data_files_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with Ledger(url) as ledger:
        import_file(ledger, CONSENTS)
        from_ledger = clausula.load(POLICIES, ledger=url)
        from_files = clausula.load(POLICIES)
        uses = [
            json.loads(line)
            for line in (POLICIES / "uses" / "demo.jsonl").read_text().splitlines()
            if line.strip()
        ]
        for day in ("2026-04-30", "2026-05-01", "2026-09-01"):
            for use in uses:
                use = {**use, "date": day}
                assert from_ledger.decide(use) == from_files.decide(use)


def test_a_bad_ledger_url_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="there is no directory"):
        Ledger(str(tmp_path / "missing" / "c.db"))
    with pytest.raises(LedgerError, match="SQLite or PostgreSQL"):
        Ledger("mysql://localhost/x")
    result = CliRunner().invoke(
        app, ["consent", "list", "--ledger", "postgresql://nobody@127.0.0.1:1/x"]
    )
    assert result.exit_code == 1 and "cannot open the ledger" in result.output
    assert "Traceback" not in result.output


def test_cli_grant_list_show_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    base = ["--ledger", url, "--policies", str(POLICIES)]
    result = runner.invoke(
        app,
        [
            "consent",
            "grant",
            "--id",
            "g-x",
            "--grantor",
            VANCE,
            "--grantee",
            "party:aria-labs",
            "--purpose",
            "training",
            "--territory",
            "US",
            "--from",
            "2026-01-01",
            "--by",
            "ana",
            *base,
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "consent",
            "grant",
            "--id",
            "g-y",
            "--grantor",
            VANCE,
            "--grantee",
            "party:aria-labs",
            "--purpose",
            "trainng",
            "--territory",
            "US",
            "--from",
            "2026-01-01",
            *base,
        ],
    )
    assert result.exit_code == 1 and "did you mean `training`" in result.output
    assert (
        runner.invoke(app, ["consent", "revoke", "g-x", "--date", "2026-03-01", *base]).exit_code
        == 0
    )
    listed = runner.invoke(app, ["consent", "list", "--on", "2026-02-01", "--json", *base])
    (record,) = json.loads(listed.output)
    assert record["revoked_on"] is None and record["active"]
    listed = runner.invoke(app, ["consent", "list", "--on", "2026-03-01", "--json", *base])
    assert json.loads(listed.output)[0]["revoked_on"] == "2026-03-01"
    shown = runner.invoke(app, ["consent", "show", "g-x", *base])
    assert "revoked on 2026-03-01" in shown.output and "ana" in shown.output
    history = runner.invoke(app, ["consent", "history", "--json", *base])
    assert [json.loads(line)["kind"] for line in history.output.splitlines()] == ["grant", "revoke"]
    exported = runner.invoke(app, ["consent", "export", *base])
    assert exported.exit_code == 0 and '"event": "revoke"' in exported.output


# ------------------------------------------------------------------ tampering is never decided on


def _revoked_ledger(url: str, key: Path | None = None) -> None:
    """Vance's training grant, revoked on 2026-07-01: a training use after that is denied."""
    with Ledger(url, key=key) as ledger:
        ledger.grant(grant("g-other", artist=ROTH))
        ledger.grant(grant("g-vance"))
        ledger.revoke("g-vance", date(2026, 7, 1), "withdrawn")


def _tamper(url: str, statement: str) -> None:
    """Change the database behind the ledger's back (no ledger code involved)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


_MOVE_REVOCATION = "UPDATE consent_events SET effective = '2027-01-01' WHERE seq = 3"


def test_eval_refuses_a_ledger_edited_behind_its_back(tmp_path: Path) -> None:
    """The case found: moving a revocation's date in the database turned a deny into a pay."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    _revoked_ledger(url)
    use = tmp_path / "use.json"
    use.write_text(json.dumps(_training("2026-08-01")))
    runner = CliRunner()
    args = ["eval", str(use), "--json", "--policies", str(POLICIES), "--ledger", url]
    before = runner.invoke(app, args)
    assert before.exit_code == 0 and json.loads(before.stdout)["decision"] == "deny"
    _tamper(url, _MOVE_REVOCATION)
    after = runner.invoke(app, args)
    assert after.exit_code == 1
    assert "event 3" in after.output and "was changed" in after.output
    assert '"decision"' not in after.output and "Traceback" not in after.output


def test_an_edit_while_the_ledger_is_in_use_stops_every_decision(url: str) -> None:
    """Rows read for a decision are checked against the digests kept when verified."""
    _revoked_ledger(url)
    with Ledger(url, max_staleness=0) as ledger:
        policies = clausula.load(POLICIES, ledger=ledger)
        assert policies.decide(_training("2026-08-01")).decision == "deny"
        _tamper(url, _MOVE_REVOCATION)
        ledger.grant(grant("g-third", artist=ARTISTS[2]))  # new events: Vance's are read again
        with pytest.raises(ChainBroken, match="event 3") as broken:
            policies.decide(_training("2026-08-01"))
        assert broken.value.seq == 3
        with pytest.raises(ChainBroken):  # and every decision after, about anyone
            policies.decide(_training("2026-08-01", work="isrc:USUM71703861"))


def test_the_newest_events_removed_are_found_by_the_signed_head(url: str, tmp_path: Path) -> None:
    key = generate_key(tmp_path / "ledger.key")
    _revoked_ledger(url, key)
    assert json.loads((tmp_path / "ledger.key.head").read_text())["seq"] == 3
    _tamper(url, "DELETE FROM consent_events WHERE seq = 3")  # the revocation, the newest
    # Without the key, what is left is a sound chain: this is what the key is for.
    with Ledger(url) as bare:
        assert bare.verify().ok
    with Ledger(url, key=key) as ledger:
        result = ledger.verify()
        assert not result.ok and result.broken_seq == 3
        assert "events 3 to 3 were removed" in result.message
        policies = clausula.load(POLICIES, ledger=ledger)
        with pytest.raises(ChainBroken, match="ends at event 2"):
            policies.decide(_training("2026-08-01"))


def test_events_appended_without_the_key_are_not_decided_on(url: str, tmp_path: Path) -> None:
    key = generate_key(tmp_path / "ledger.key")
    _revoked_ledger(url, key)
    with Ledger(url) as keyless:  # a writer without the key (or someone with SQL access)
        keyless.grant(grant("g-forged", artist=ARTISTS[3]))
    with Ledger(url, key=key) as ledger:
        with pytest.raises(ChainBroken, match="events 4 to 4 are not covered") as broken:
            ledger.verify_chain()
        assert broken.value.seq == 4
    runner = CliRunner()
    result = runner.invoke(app, ["consent", "verify", "--ledger", url, "--ledger-key", str(key)])
    assert result.exit_code == 1 and "events 4 to 4" in result.output
    # The keeper of the key checks the chain and signs its head again.
    signed = runner.invoke(app, ["consent", "sign-head", "--ledger", url, "--ledger-key", str(key)])
    assert signed.exit_code == 0, signed.output
    with Ledger(url, key=key) as ledger:
        assert ledger.verify_chain()[0] == 4


def test_a_signed_head_edited_or_missing_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    key = generate_key(tmp_path / "ledger.key")
    _revoked_ledger(url, key)
    head = tmp_path / "ledger.key.head"
    item = json.loads(head.read_text())
    head.write_text(json.dumps({**item, "seq": 2}))
    with Ledger(url, key=key) as ledger, pytest.raises(ChainBroken, match="does not verify"):
        ledger.verify_chain()
    head.unlink()
    with Ledger(url, key=key) as ledger, pytest.raises(ChainBroken, match="no signed head"):
        ledger.verify_chain()


def test_appending_verifies_only_the_new_events(url: str) -> None:
    with Ledger(url, max_staleness=0) as ledger:
        ledger.append(
            [
                NewEvent(
                    "grant",
                    f"g-{i}",
                    VANCE,
                    date(2026, 1, 1),
                    grant(f"g-{i}").model_dump(mode="json", exclude_none=True),
                )
                for i in range(40)
            ]
        )
        policies = clausula.load(POLICIES, ledger=ledger)
        policies.decide(_training("2026-08-01"))
        assert ledger.verified_events == 40  # the whole chain, once
        policies.decide(_training("2026-08-02"))
        assert ledger.verified_events == 40  # nothing new, nothing verified again
        ledger.revoke("g-3", date(2026, 9, 1))
        ledger.grant(grant("g-new", artist=ROTH))
        policies.decide(_training("2026-08-03"))
        assert ledger.verified_events == 42  # only the two new events
        assert ledger.cached_head() == ledger.head()


def test_the_decision_log_records_the_verified_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    key = generate_key(tmp_path / "ledger.key")
    _revoked_ledger(url, key)
    use = tmp_path / "use.json"
    use.write_text(json.dumps(_training("2026-08-01")))
    log = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            str(use),
            "--policies",
            str(POLICIES),
            "--ledger",
            url,
            "--ledger-key",
            str(key),
            "--log",
            str(log),
        ],
    )
    assert result.exit_code == 0, result.output
    signed = json.loads((tmp_path / "ledger.key.head").read_text())
    [line] = [json.loads(text) for text in log.read_text().splitlines()]
    assert line["ledger"] == {"events": signed["seq"], "head": signed["hash"]}


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_service_answers_503_naming_the_event(tmp_path: Path, anyio_backend: str) -> None:
    import httpx

    from clausula.reload import LivePolicies
    from clausula.service import create_app

    url = f"sqlite:///{tmp_path / 'c.db'}"
    _revoked_ledger(url)
    ledger = Ledger(url, max_staleness=0)
    live = LivePolicies(policies=POLICIES, ledger=ledger)
    assert live.reload(force=True)
    transport = httpx.ASGITransport(app=create_app(live))
    async with httpx.AsyncClient(transport=transport, base_url="http://clausula") as client:
        assert (await client.post("/v1/decide", json=_training("2026-08-01"))).status_code == 200
        _tamper(
            url, "UPDATE consent_events SET data = REPLACE(data, 'withdrawn', 'x') WHERE seq = 3"
        )
        ledger.grant(grant("g-third", artist=ARTISTS[2]))
        for path, body in (
            ("/v1/decide", _training("2026-08-01")),
            ("/v1/decide/batch", [_training("2026-08-01")]),
        ):
            answer = await client.post(path, json=body)
            assert answer.status_code == 503
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert "event 3" in answer.json()["detail"]
    ledger.close()


_FIELDS = [
    "kind",
    "grant_id",
    "artist",
    "effective",
    "data",
    "recorded_by",
    "recorded_at",
    "prev_hash",
    "hash",
    "seq",
]


@st.composite
def _event_runs(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Grants and revocations, in an order the ledger accepts: (kind, grant number)."""
    events: list[tuple[str, int]] = []
    live: list[int] = []
    for _ in range(draw(st.integers(1, 12))):
        if live and draw(st.booleans()):
            number = draw(st.sampled_from(live))
            live.remove(number)
            events.append(("revoke", number))
        else:
            number = len(events)
            live.append(number)
            events.append(("grant", number))
    return events


def _changed(field: str, value: Any, seed: int) -> Any:
    """A different value of the same kind for one stored field."""
    if field == "seq":
        return int(value) + 1000 + seed
    if field == "kind":
        return {"grant": "revoke", "revoke": "amend", "amend": "grant"}[value]
    if field == "effective":
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        return (day + timedelta(days=1 + seed)).isoformat()
    text = str(value)
    position = seed % len(text)
    swapped = "0" if text[position] != "0" else "1"
    return text[:position] + swapped + text[position + 1 :]


@given(_event_runs(), st.data())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_single_field_changed_in_any_row_is_detected(
    tmp_path: Path, events: list[tuple[str, int]], data: st.DataObject
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        url = f"sqlite:///{Path(folder) / 'c.db'}"
        with Ledger(url) as ledger:
            for kind, number in events:
                if kind == "grant":
                    ledger.grant(grant(f"g-{number}", artist=ARTISTS[number % len(ARTISTS)]))
                else:
                    ledger.revoke(f"g-{number}", date(2026, 3, 1))
            seq = data.draw(st.integers(1, len(events)), label="row")
            field = data.draw(st.sampled_from(_FIELDS), label="field")
            seed = data.draw(st.integers(0, 63), label="seed")
            with ledger.engine.begin() as connection:
                value = connection.execute(
                    sa.text(f"SELECT {field} FROM consent_events WHERE seq = :s"), {"s": seq}
                ).scalar_one()
                connection.execute(
                    sa.text(f"UPDATE consent_events SET {field} = :v WHERE seq = :s"),
                    {"v": _changed(field, value, seed), "s": seq},
                )
            assert not ledger.verify().ok
        with Ledger(url) as fresh, pytest.raises(ChainBroken):
            fresh.verify_chain()


def test_without_a_key_events_removed_while_in_use_are_still_found(url: str) -> None:
    _revoked_ledger(url)
    with Ledger(url, max_staleness=0) as ledger:
        policies = clausula.load(POLICIES, ledger=ledger)
        assert policies.decide(_training("2026-08-01")).decision == "deny"
        _tamper(url, "DELETE FROM consent_events WHERE seq = 3")
        with pytest.raises(ChainBroken, match="events 3 to 3 were removed") as broken:
            policies.decide(_training("2026-08-01"))
        assert broken.value.seq == 3
