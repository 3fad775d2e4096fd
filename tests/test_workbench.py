"""The workbench's server side (issue 18): its token, the files it may touch, diagnostics,
hovers, saving with conflicts, deciding uses against a draft and the live regression view,
scenario controls, live simulation, saved variants and contract diffs.

The page itself is driven in a real browser in tests/test_workbench_browser.py.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

import clausula
from clausula.reload import LivePolicies
from clausula.service import ServiceSettings, create_app
from clausula.use_input import parse_use
from clausula.workbench.files import FileRefused, PolicyFiles, digest
from clausula.workbench.trying import fingerprint, saved_uses

REPO = Path(__file__).resolve().parents[1]
TOKEN = "workbench-test-token"
CONTRACT = "contracts/aria-optin.clause"
SCENARIO = "scenarios/blanket-vs-optin.yaml"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    policies = tmp_path_factory.mktemp("bench") / "policies"
    shutil.copytree(REPO / "policies", policies)
    return policies


@pytest.fixture(scope="module")
def client(root: Path) -> Iterator[TestClient]:
    live = LivePolicies(policies=root)
    live.reload(force=True)
    with TestClient(create_app(live, ServiceSettings(token=TOKEN))) as test_client:
        test_client.cookies.set("clausula_workbench", TOKEN)
        yield test_client


def _text(client: TestClient, name: str = CONTRACT) -> tuple[str, str]:
    answer = client.post("/workbench/api/read", json={"name": name}).json()
    return answer["text"], answer["digest"]


# ----------------------------------------------------------------- the token


def test_the_page_needs_the_services_token(root: Path) -> None:
    live = LivePolicies(policies=root)
    live.reload(force=True)
    with TestClient(create_app(live, ServiceSettings(token=TOKEN))) as anonymous:
        assert anonymous.get("/").status_code == 401
        assert anonymous.get("/?token=wrong").status_code == 401
        assert anonymous.get("/workbench/api/files").status_code == 401
        refused = anonymous.post("/workbench/api/read", json={"name": CONTRACT})
        assert refused.status_code == 401 and "token" in refused.json()["title"]
        # Bearer, as for the rest of the service
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert anonymous.get("/workbench/api/files", headers=bearer).status_code == 200
        # ?token= once: the cookie, then the page
        entry = anonymous.get(f"/?token={TOKEN}", follow_redirects=False)
        assert entry.status_code == 303
        assert "httponly" in entry.headers["set-cookie"].lower()
        assert "samesite=strict" in entry.headers["set-cookie"].lower()
        page = anonymous.get("/")
        assert page.status_code == 200 and "Clausula workbench" in page.text


def test_without_a_token_the_workbench_is_off(root: Path) -> None:
    live = LivePolicies(policies=root)
    live.reload(force=True)
    with TestClient(create_app(live, ServiceSettings(token=None))) as open_service:
        page = open_service.get("/")
        assert page.status_code == 403 and "CLAUSULA_TOKEN" in page.text
        assert open_service.post("/workbench/api/read", json={"name": CONTRACT}).status_code == 403
        assert (
            open_service.post("/v1/check", json={"files": [{"name": "a", "text": ""}]}).status_code
            == 200
        )


def test_the_workbench_is_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/workbench")]


def test_the_page_loads_nothing_from_the_network(client: TestClient) -> None:
    page = client.get("/").text
    assets = [client.get(f"/workbench/static/{a}") for a in ("workbench.js", "workbench.css")]
    assert all(a.status_code == 200 for a in assets)
    for text in (page, *(a.text for a in assets)):
        assert not re.search(r"(src|href)=\"https?:|url\(https?:|import .*https?:", text)
    assert client.get("/workbench/static/../service.py").status_code == 404


# ----------------------------------------------------------------- files


@pytest.mark.parametrize(
    "name",
    [
        "../pyproject.toml",
        "contracts/../../pyproject.clause",
        "/etc/passwd.json",
        "..\\x.clause",
        "contracts/x.clause\x00.json",
        "contracts/aria-optin.py",
        "",
    ],
)
def test_no_file_outside_the_policy_directory(client: TestClient, name: str) -> None:
    for endpoint, body in (
        ("read", {"name": name}),
        ("save", {"name": name, "text": "x", "digest": None}),
        ("check", {"name": name, "text": "x"}),
    ):
        answer = client.post(f"/workbench/api/{endpoint}", json=body)
        assert answer.status_code in (400, 422), (endpoint, name, answer.text)


def test_a_link_out_of_the_directory_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.clause"
    outside.write_text("secret", encoding="utf-8")
    link = root / "contracts" / "link.clause"
    link.symlink_to(outside)
    try:
        files = PolicyFiles(root)
        with pytest.raises(FileRefused):
            files.read("contracts/link.clause")
        assert "contracts/link.clause" not in files.listing()
    finally:
        link.unlink()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["..", ".", "contracts", "a", "/", "~", "x.clause", "\\"]), max_size=6)
)
def test_every_path_resolved_is_inside_the_directory(parts: list[str]) -> None:
    files = PolicyFiles(REPO / "policies")
    name = "/".join(parts)
    try:
        path = files.resolve(name)
    except FileRefused:
        return
    assert path.is_relative_to((REPO / "policies").resolve())


def test_saving_refuses_a_file_changed_on_disk_and_formats(client: TestClient, root: Path) -> None:
    text, opened = _text(client)
    on_disk = root / CONTRACT
    on_disk.write_text(text + "\n# someone else's edit\n", encoding="utf-8")
    try:
        conflict = client.post(
            "/workbench/api/save", json={"name": CONTRACT, "text": text, "digest": opened}
        )
        assert conflict.status_code == 409
        assert "changed on disk" in conflict.json()["title"]
        assert "someone else's edit" in on_disk.read_text(encoding="utf-8")  # not overwritten
    finally:
        on_disk.write_text(text, encoding="utf-8")
    messy = text.replace("  parameter artist_pool = 30%", "  parameter   artist_pool   =   30%")
    saved = client.post(
        "/workbench/api/save", json={"name": CONTRACT, "text": messy, "digest": opened}
    ).json()
    assert saved["text"] == clausula_fmt(messy)  # `fmt` on save
    assert on_disk.read_text(encoding="utf-8") == saved["text"]
    assert saved["digest"] == digest(saved["text"])
    on_disk.write_text(text, encoding="utf-8")


def clausula_fmt(text: str) -> str:
    from clausula.formatter import format_text

    return format_text(text, CONTRACT)


# ----------------------------------------------------------------- write


def test_a_typo_gets_the_checkers_diagnostic_with_caret_and_did_you_mean(
    client: TestClient,
) -> None:
    text, _ = _text(client)
    typo = text.replace("artist_pool * use.revenue", "artist_pol * use.revenue")
    # CPU seconds (time.process_time), not wall time: the limit is on the work done, which a busy
    # machine or the other test worker does not change.
    started = time.process_time()
    result = client.post("/workbench/api/check", json={"name": CONTRACT, "text": typo}).json()
    elapsed = time.process_time() - started
    assert not result["ok"] and result["errors"] == 1
    (problem,) = result["diagnostics"]
    line = typo.splitlines().index(next(x for x in typo.splitlines() if "artist_pol *" in x)) + 1
    assert problem["line"] == line
    assert "did you mean `artist_pool`?" in problem["message"]
    assert "^^^^^^^^^^" in problem["rendered"]
    assert elapsed < 5  # the benchmark holds the real target (< 200 ms)
    fixed = client.post("/workbench/api/check", json={"name": CONTRACT, "text": text}).json()
    assert fixed["ok"] and fixed["diagnostics"] == []


def test_the_solvers_findings_come_beside_the_checkers(client: TestClient) -> None:
    """`clausula analyze`'s findings on a draft without errors, as warnings at their place
    (asked for after the diagnostics, so typing never waits for the solver)."""
    text, _ = _text(client)
    draft = text.rstrip() + (
        '\n\n  clause 99 "Never"\n'
        "    when use.purpose is generation and use.purpose is training\n"
        '    oblige "Never asked"\n'
    )
    assert client.post("/workbench/api/check", json={"name": CONTRACT, "text": draft}).json()["ok"]
    found = client.post("/workbench/api/findings", json={"name": CONTRACT, "text": draft}).json()
    (dead,) = found["diagnostics"]
    assert dead["severity"] == "warning" and dead["message"].startswith("dead: ")
    assert draft.splitlines()[dead["line"] - 1].strip() == 'clause 99 "Never"'
    clean = client.post("/workbench/api/findings", json={"name": CONTRACT, "text": text}).json()
    assert clean["diagnostics"] == []


def test_hover_shows_a_definition_and_a_laws_citation(client: TestClient) -> None:
    text, _ = _text(client)
    lines = text.splitlines()
    number = next(i for i, x in enumerate(lines) if "pay max(artist_pool" in x) + 1
    column = lines[number - 1].index("artist_pool") + 2
    hover = client.post(
        "/workbench/api/hover",
        json={"name": CONTRACT, "text": text, "line": number, "column": column},
    ).json()
    assert "parameter" in hover["hover"] and "30%" in hover["hover"]
    assert lines[hover["definition"]["line"] - 1].strip().startswith("parameter artist_pool")
    law = "jurisdictions/eu-ai-act.clause"
    law_text, _ = _text(client, law)
    law_lines = law_text.splitlines()
    at = next(i for i, x in enumerate(law_lines) if x.strip().startswith("rule ")) + 1
    col = law_lines[at - 1].index("rule") + 6
    cited = client.post(
        "/workbench/api/hover", json={"name": law, "text": law_text, "line": at, "column": col}
    ).json()
    assert cited["hover"] is not None and "Cites:" in cited["hover"]


# ----------------------------------------------------------------- try


def test_a_use_is_decided_explained_and_linked_to_its_clause(
    client: TestClient, root: Path
) -> None:
    use = (root / "uses" / "02-optin-training.json").read_text(encoding="utf-8")
    import json

    answer = client.post("/workbench/api/decide", json={"use": json.loads(use)}).json()
    assert answer["ok"]
    decision = answer["decision"]
    expected = clausula.load(root).decide(parse_use(json.loads(use)))
    assert decision["decision"] == expected.decision == "pay"
    assert [p["amount"] for p in decision["payments"]] == [str(p.amount) for p in expected.payments]
    assert "/tmp" not in answer["explanation"] and str(root) not in answer["explanation"]
    for reason in decision["reasons"]:
        place = reason["place"]
        assert place is not None, reason
        line = (root / place["file"]).read_text(encoding="utf-8").splitlines()[place["line"] - 1]
        assert line.strip(), reason  # the link lands on the clause's effect


def test_a_bad_use_gets_json_pointers(client: TestClient) -> None:
    answer = client.post(
        "/workbench/api/decide",
        json={
            "use": {
                "date": "2026-09-01",
                "licensee": "party:aria-labs",
                "purpose": "trainin",
                "territory": "DE",
            }
        },
    ).json()
    assert not answer["ok"]
    assert any(p.startswith("/purpose") for p in answer["problems"])


def test_a_draft_marks_exactly_the_saved_uses_whose_answer_changes(
    client: TestClient, root: Path, tmp_path: Path
) -> None:
    text, _ = _text(client)
    draft = text.replace("parameter artist_pool = 30%", "parameter artist_pool = 20%")
    assert draft != text
    result = client.post("/workbench/api/uses", json={"name": CONTRACT, "text": draft}).json()
    assert result["ok"]
    # The same question answered independently: the draft set loaded from a copy.
    copy = tmp_path / "policies"
    shutil.copytree(root, copy)
    (copy / CONTRACT).write_text(draft, encoding="utf-8")
    old, new = clausula.load(root), clausula.load(copy)
    uses = saved_uses(PolicyFiles(root))
    expected = set()
    for index, item in enumerate(uses):
        try:
            use = parse_use(item["use"])
            if fingerprint(old.decide(use)) != fingerprint(new.decide(use)):
                expected.add(index)
        except clausula.UseError:
            continue
    marked = {row["index"] for row in result["results"] if row.get("changed")}
    assert marked == expected and expected  # the pool pays less on the generation uses
    same = client.post("/workbench/api/uses", json={"name": CONTRACT, "text": text}).json()
    assert not [row for row in same["results"] if row.get("changed")]


def test_the_form_offers_the_vocabulary_and_catalogue(client: TestClient) -> None:
    choices = client.get("/workbench/api/choices").json()
    assert "training" in choices["purposes"]
    assert "party:aria-labs" in choices["licensees"]
    assert any(c["id"] == "DE" for c in choices["countries"])
    assert choices["groups"] and choices["works"]
    assert set(choices["schema"]["required"]) >= {"date", "licensee", "purpose", "territory"}


# ----------------------------------------------------------------- negotiate


def test_scenario_parameters_become_controls_with_ranges(client: TestClient) -> None:
    scenario = client.post("/workbench/api/scenario", json={"name": SCENARIO}).json()
    pool = next(
        c for c in scenario["controls"] if c["variant"] == "opt-in" and c["name"] == "artist_pool"
    )
    assert (pool["kind"], pool["value"], pool["minimum"], pool["maximum"]) == (
        "percentage",
        "30",
        "0",
        "100",
    )
    fee = next(
        c for c in scenario["controls"] if c["name"] == "training_fee" and c["variant"] == "opt-in"
    )
    assert fee["kind"] == "money" and fee["unit"] == "USD" and fee["maximum"] == "12000"
    assert scenario["negotiated"] == ["opt-in"]
    assert client.post("/workbench/api/scenario", json={"name": "../x.yaml"}).status_code == 400


def test_moving_a_parameter_reruns_the_simulation(client: TestClient, root: Path) -> None:
    body = {
        "scenario": SCENARIO,
        "variant": "opt-in",
        "values": {"aria-optin-2026.artist_pool": "20"},
    }
    result = client.post("/workbench/api/simulate", json=body).json()
    rows = {r["key"]: r for r in result["rows"]}
    assert rows["paid_artists"]["changed"]
    assert float(rows["paid_artists"]["current"]) < float(rows["paid_artists"]["baseline"])
    assert not rows["paid_rights_holders"]["changed"]
    assert (
        result["charts"]["paid"].startswith("<svg")
        and 'data-series="current"' in result["charts"]["paid"]
    )
    too_much = {**body, "values": {"aria-optin-2026.artist_pool": "250"}}
    refused = client.post("/workbench/api/simulate", json=too_much)
    assert refused.status_code == 422 and "goes from 0 to 100" in refused.json()["title"]
    unknown = {**body, "values": {"aria-optin-2026.nothing": "1"}}
    assert client.post("/workbench/api/simulate", json=unknown).status_code == 422

    saved = client.post("/workbench/api/variant", json={**body, "new_name": "pool-20"}).json()
    written = root / saved["name"]
    try:
        from clausula.simulate import load_scenario

        scenario = load_scenario(written)
        assert scenario.variants["pool-20"].parameters["aria-optin-2026"]["artist_pool"] == "20%"
        assert "opt-in" in scenario.variants
        again = client.post("/workbench/api/variant", json={**body, "new_name": "pool-20"})
        assert again.status_code == 409  # never overwrites a file
        bad = client.post("/workbench/api/variant", json={**body, "new_name": "../x"})
        assert bad.status_code == 400
    finally:
        written.unlink()


def test_two_versions_of_a_contract_are_compared_in_plain_english(client: TestClient) -> None:
    result = client.post(
        "/workbench/api/diff",
        json={"old": "contracts/label-blanket.clause", "new": CONTRACT, "shared": []},
    ).json()
    assert result["uses"] > 0 and result["changes"]
    sentence = result["changes"][0]["sentence"]
    assert re.search(r"\d+ uses? \(", sentence) and "now." in sentence
    same = client.post(
        "/workbench/api/diff", json={"old": CONTRACT, "new": CONTRACT, "shared": []}
    ).json()
    assert same["changes"] == []
    outside = client.post(
        "/workbench/api/diff", json={"old": CONTRACT, "new": CONTRACT, "shared": ["../engine"]}
    )
    assert outside.status_code == 400


def test_the_cli_opens_the_workbench(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from clausula.cli import app

    served: dict[str, object] = {}
    monkeypatch.setattr(
        uvicorn, "run", lambda application, **kw: served.update(app=application, **kw)
    )
    monkeypatch.delenv("CLAUSULA_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["workbench", str(root), "--no-open", "--port", "8999"])
    assert result.exit_code == 0, result.output
    match = re.search(r"http://127\.0\.0\.1:8999/\?token=(\S+)", result.output)
    assert match and len(match.group(1)) >= 24
    assert served["host"] == "127.0.0.1"
    os.environ.pop("CLAUSULA_TOKEN", None)
    missing = CliRunner().invoke(app, ["workbench", str(root / "nothing"), "--no-open"])
    assert missing.exit_code == 1 and "no such directory" in missing.output


# ----------------------------------------------------------------- hostile input


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(max_size=300),
    line=st.integers(min_value=1, max_value=400),
    column=st.integers(min_value=1, max_value=200),
)
def test_any_draft_gets_an_answer_never_a_crash(
    client: TestClient, text: str, line: int, column: int
) -> None:
    """Whatever an author types, checking, hovering and formatting answer 200 (or 422 for
    text JSON cannot carry), never a 500."""
    for endpoint, body in (
        ("check", {"name": CONTRACT, "text": text}),
        ("hover", {"name": CONTRACT, "text": text, "line": line, "column": column}),
        ("format", {"name": CONTRACT, "text": text}),
    ):
        answer = client.post(f"/workbench/api/{endpoint}", json=body)
        assert answer.status_code in (200, 422), (endpoint, text, answer.text)


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["date", "licensee", "purpose", "territory", "works", "metrics", "x"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        max_size=6,
    )
)
def test_any_use_gets_a_decision_or_pointers(client: TestClient, use: dict[str, object]) -> None:
    answer = client.post("/workbench/api/decide", json={"use": use})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] or all(p.startswith("/") for p in result["problems"])
