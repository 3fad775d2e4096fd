"""TDM reservations as evidence (issue 17, item 2): TDMRep, robots.txt, AI preferences.

Signals are read from responses captured to disk; `--fetch` is tested against a server
on 127.0.0.1 only. The reservations found are data (`tdm_reservations`), and the EU DSM
pack's reasons cite them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import clausula
from clausula.cli import app
from clausula.policy_set import load_data_alone
from clausula.tdm import scan_works
from clausula.tdm.captures import CaptureError, capture_path
from clausula.tdm.signals import (
    content_usage_denies_training,
    declaration_of_fields,
    declaration_of_html,
    parse_fields,
    parse_robots,
    parse_tdmrep,
    tdmrep_for,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "tdm"
CAPTURES = FIXTURES / "captures"
DATA = FIXTURES / "data"
SEEN = dt.date(2026, 11, 30)

EXPECTED = {
    "isrc:DEEXL2600001": "tdmrep-file",
    "isrc:DEEXL2600002": "tdmrep-header",
    "isrc:DEEXL2600003": "tdmrep-html",
    "isrc:DEEXL2600004": None,
    "isrc:DEEXL2600005": "robots",
    "isrc:DEEXL2600006": "ai-preferences",
}


def _run(*args: str) -> Any:
    return CliRunner(env={"NO_COLOR": "1"}).invoke(app, list(args))


# ----------------------------------------------------------------- the signals


def test_tdmrep_first_matching_rule_wins() -> None:
    rules, problems = parse_tdmrep(
        b'[{"location": "/a/*.mp3$", "tdm-reservation": 0},'
        b' {"location": "/a/", "tdm-reservation": 1, "tdm-policy": "https://x.example/p.json"},'
        b' {"location": "/", "tdm-reservation": "yes"}]'
    )
    assert problems == [("/2/tdm-reservation", "must be 1 or 0: treated as unset")]
    assert tdmrep_for(rules, "/a/song.mp3").reservation == 0  # type: ignore[union-attr]
    assert tdmrep_for(rules, "/a/song.mp3x").reservation == 1  # type: ignore[union-attr]
    assert tdmrep_for(rules, "/b").reservation is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "pointer"),
    [(b"{}", ""), (b"[1]", "/0"), (b'[{"tdm-reservation": 1}]', "/0/location"), (b"[", "")],
)
def test_bad_tdmrep_files_are_located(text: bytes, pointer: str) -> None:
    rules, problems = parse_tdmrep(text)
    assert rules == [] and pointer in [p for p, _ in problems]


def test_http_fields_and_html_meta() -> None:
    fields = parse_fields(
        "HTTP/1.1 200 OK\nTDM-Reservation: 1\ntdm-policy: https://p.example/1\n\nbody: x"
    )
    assert fields == {"tdm-reservation": "1", "tdm-policy": "https://p.example/1"}
    declaration = declaration_of_fields(fields)
    assert declaration is not None and declaration.reservation == 1
    assert declaration_of_fields({"tdm-reservation": "2"}).reservation is None  # type: ignore[union-attr]
    meta = declaration_of_html(
        '<html><head><META NAME="tdm-reservation" content="1"></head></html>'
    )
    assert meta is not None and meta.reservation == 1 and meta.policy is None
    assert declaration_of_html("<p>nothing</p>") is None


@pytest.mark.parametrize(
    ("value", "denies"),
    [
        ("train-ai=n", True),
        ("train-ai=y, search=n", False),
        ("search=y, train-genai=n", True),
        ("train-ai=n, train-ai=y", False),  # the last of repeated keys counts
        ('train-ai="n"', True),
        ("train-ai;reason=x=n", False),
        ("", False),
    ],
)
def test_content_usage(value: str, denies: bool) -> None:
    assert content_usage_denies_training(value) is denies


def test_robots_ai_groups_longest_match_allow_wins_ties() -> None:
    robots = (
        "User-agent: Googlebot\nDisallow: /\n\n"
        "User-agent: GPTBot\nUser-agent: ClaudeBot\nDisallow: /music/\nAllow: /music/free/\n\n"
        "User-agent: *\nContent-Usage: train-ai=y\nContent-Usage: /music/x/ train-ai=n\n"
    )
    assert parse_robots(robots, "/music/a").blocked_agents == ("GPTBot", "ClaudeBot")
    assert parse_robots(robots, "/music/free/a").blocked_agents == ()
    assert parse_robots(robots, "/news").blocked_agents == ()  # Googlebot is no AI crawler
    assert parse_robots(robots, "/music/x/1").content_usage == "train-ai=n"
    assert parse_robots(robots, "/other").content_usage == "train-ai=y"


# ----------------------------------------------------------------- scanning the catalogue


def _works() -> Any:
    dataset, diagnostics = load_data_alone(DATA)
    assert dataset is not None, diagnostics
    return dataset.works.values()


def test_each_technique_of_the_fixture_site_is_found() -> None:
    findings = scan_works(_works(), CAPTURES, SEEN)
    found = {f.work: (f.reservation.signal if f.reservation else None) for f in findings}
    assert found == EXPECTED
    first = findings[0]
    assert first.reservation is not None and first.reservation.seen == SEEN
    assert first.policy == "https://music.example/policies/tdm.json"


def test_the_shipped_reservations_file_is_what_the_command_writes(tmp_path: Path) -> None:
    out = tmp_path / "found.yaml"
    result = _run(
        "catalogue",
        "tdm",
        "--data",
        str(DATA),
        "--captures",
        str(CAPTURES),
        "--on",
        "2026-11-30",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == (DATA / "tdm-reservations.yaml").read_text()
    entries = yaml.safe_load(out.read_text())["tdm_reservations"]
    assert {e["work"]: e["signal"] for e in entries} == {k: v for k, v in EXPECTED.items() if v}


def test_the_data_records_reservations_with_their_evidence() -> None:
    works = {w.id: w for w in _works()}
    assert works["isrc:DEEXL2600001"].tdm_reserved
    assert works["isrc:DEEXL2600004"].tdm_reserved is False
    evidence = works["isrc:DEEXL2600005"].tdm_reservation
    assert evidence is not None and "robots.txt disallows GPTBot, CCBot" in evidence.source


def test_a_reservation_of_an_unknown_work_is_located(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "tdm-reservations.yaml").write_text(
        "tdm_reservations:\n  - {work: isrc:DEEXL2600099, signal: robots, source: x, seen: 2026-11-30}\n"
    )
    dataset, diagnostics = load_data_alone(data)
    assert dataset is None
    assert "no work `isrc:DEEXL2600099`" in diagnostics[0].message
    assert diagnostics[0].span.line == 2


# ----------------------------------------------------------------- the DSM pack cites it


def _training(works: list[str]) -> dict[str, Any]:
    return {
        "id": "t",
        "date": "2026-12-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "DE",
        "facts": {"lawful_access": True},
        "works": works,
    }


def test_a_training_use_in_the_eu_is_denied_citing_the_reservation_found() -> None:
    policies = clausula.load(REPO / "policies", data=DATA)
    decision = policies.decide(_training(["isrc:DEEXL2600001", "isrc:DEEXL2600004"]))
    assert decision.decision == "deny"
    cited = [r.message for r in decision.reasons if r.rule == "eu-dsm-tdm art. 4(3)"]
    assert cited == [
        "isrc:DEEXL2600001 needs a licence from party:reserving-label; TDM reserved "
        "(tdmrep-file: https://music.example/.well-known/tdmrep.json location /reserved/ = 1, "
        "seen 2026-11-30)"
    ]


def test_without_the_reservations_the_work_is_not_reserved(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "tdm-reservations.yaml").unlink()
    decision = clausula.load(REPO / "policies", data=data).decide(_training(["isrc:DEEXL2600001"]))
    assert not [r for r in decision.reasons if r.rule == "eu-dsm-tdm art. 4(3)"]


def test_the_tdm_policy_is_imported_through_odrl_and_licenses_the_work(tmp_path: Path) -> None:
    contracts = tmp_path / "imported"
    result = _run(
        "catalogue",
        "tdm",
        "--data",
        str(DATA),
        "--captures",
        str(CAPTURES),
        "--on",
        "2026-11-30",
        "--out",
        str(tmp_path / "r.yaml"),
        "--policies-out",
        str(contracts),
        "--licensee",
        "party:dev",
    )
    assert result.exit_code == 0, result.output
    (path,) = contracts.glob("*.clause")
    assert "licensor party:reserving-label" in path.read_text()
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    shutil.copy(path, policies / "contracts" / path.name)
    decision = clausula.load(policies, data=DATA).decide(_training(["isrc:DEEXL2600001"]))
    assert decision.decision == "pay"
    met = [r for r in decision.reasons if r.effect == "licence-met"]
    assert "eu-dsm-tdm art. 4(3)" in [r.rule for r in met]
    assert [(p.payee, str(p.amount), p.currency) for p in decision.payments] == [
        ("party:reserving-label", "1200.00", "EUR")
    ]


# ----------------------------------------------------------------- fetching, on the loopback


class _Site(SimpleHTTPRequestHandler):
    """Serves the fixture site with each file's captured header fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(CAPTURES / "music.example"), **kwargs)

    def end_headers(self) -> None:
        path = Path(self.translate_path(self.path))
        headers = path.with_name(path.name + ".headers")
        if headers.is_file():
            for name, value in parse_fields(headers.read_text()).items():
                if name != "content-type":
                    self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args: Any) -> None:  # quiet tests
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_captures_the_loopback_site_and_finds_the_same(site: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    text = (DATA / "catalogue.yaml").read_text().replace("https://music.example", site)
    (data / "catalogue.yaml").write_text(text)
    captures = tmp_path / "captures"
    result = _run(
        "catalogue",
        "tdm",
        "--data",
        str(data),
        "--captures",
        str(captures),
        "--fetch",
        "--on",
        "2026-11-30",
    )
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load((data / "tdm-reservations.yaml").read_text())["tdm_reservations"]
    assert {e["work"]: e["signal"] for e in entries} == {k: v for k, v in EXPECTED.items() if v}
    host = site.removeprefix("http://").replace(":", "_")
    assert (captures / host / ".well-known" / "tdmrep.json").is_file()
    assert (
        "tdm-reservation: 1"
        in (captures / host / "open" / "harbour-lights.html.headers").read_text()
    )
    # Read again from the captures alone, without fetching: the same findings.
    again = tmp_path / "again.yaml"
    result = _run(
        "catalogue",
        "tdm",
        "--data",
        str(data),
        "--captures",
        str(captures),
        "--on",
        "2026-11-30",
        "--out",
        str(again),
    )
    assert result.exit_code == 0, result.output
    assert again.read_text() == (data / "tdm-reservations.yaml").read_text()


def test_without_fetch_nothing_is_fetched(tmp_path: Path) -> None:
    result = _run("catalogue", "tdm", "--data", str(DATA), "--captures", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert "use --fetch" in result.output


# ----------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://x.example/../../etc/passwd",
        "https://x.example/a/%2e%2e/%2e%2e/b",
        "https://bad_host!/a",
    ],
)
def test_capture_paths_never_leave_the_directory(url: str, tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        capture_path(tmp_path, url)


def test_evidence_is_not_written_inside_a_work(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "tdm-reservations.yaml").unlink()
    text = (
        (data / "catalogue.yaml")
        .read_text()
        .replace(
            'url: "https://music.example/open/open-field.html"}',
            'url: "https://music.example/open/open-field.html", tdm_reservation: '
            "{work: isrc:DEEXL2600004, signal: robots, source: x, seen: 2026-11-30}}",
        )
    )
    (data / "catalogue.yaml").write_text(text)
    dataset, diagnostics = load_data_alone(data)
    assert dataset is None
    assert "under `tdm_reservations`" in diagnostics[0].message
