"""The decision service: the real ASGI app through httpx, real uvicorn processes (one, and
two workers), hot reload, the consent ledger, the batch fast path byte for byte.

Every test works on a copy of the shipped policies in tmp_path, so that editing a clause
file never touches the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

import clausula
from clausula.decision_log import read_log
from clausula.ledger import Ledger, import_file
from clausula.models import Decision, Use
from clausula.reload import LivePolicies, PolicyWatcher
from clausula.service import ServeConfig, ServiceSettings, _decide_batch, create_app, serve_app
from clausula.use_input import parse_use

REPO = Path(__file__).resolve().parents[1]
CONTRACT = Path("contracts/aria-optin.clause")
GENERATION: dict[str, Any] = {
    "id": "gen-1",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "US",
    # Both artists hold generation grants valid in the US (Arceneaux through her estate).
    "attribution": {"isni:0000000121032683": "0.6", "isni:0000000451273906": "0.4"},
    "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}},
}
TRAINING: dict[str, Any] = {
    "id": "train-1",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "training",
    "territory": "DE",
    "works": ["isrc:USUM71703861"],
}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO / "policies", target)
    return target


@pytest.fixture
def live(policies: Path) -> LivePolicies:
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    return live


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clausula")


@pytest.fixture
async def client(live: LivePolicies) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_app(live)) as client:
        yield client


def _edit(policies: Path, old: str, new: str) -> None:
    path = policies / CONTRACT
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    # Make the change visible to an mtime poll even within one clock tick.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


# ------------------------------------------------------------------ decide


async def test_decide_answers_like_the_python_api(
    client: httpx.AsyncClient, live: LivePolicies
) -> None:
    answer = await client.post("/v1/decide", json=GENERATION)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    policy = live.snapshot.policy
    assert policy is not None
    assert answer.json() == json.loads(policy.decide(GENERATION).to_json())
    decision = Decision.model_validate_json(answer.text)
    assert decision.decision == "pay"
    assert [(str(t.amount), t.currency) for t in decision.totals] == [("360.00", "USD")]


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({**TRAINING, "colour": "red"}, 422, "/colour"),
        ({**TRAINING, "territory": "XX"}, 422, "/territory"),
        ({k: v for k, v in TRAINING.items() if k != "date"}, 422, "/date"),
        (
            {**TRAINING, "metrics": {"revenue": {"amount": 1.5, "currency": "USD"}}},
            422,
            "/metrics/revenue/amount",
        ),
        ([TRAINING], 422, ""),
    ],
)
async def test_bad_uses_are_problems_with_pointers(
    client: httpx.AsyncClient, body: Any, status: int, pointer: str
) -> None:
    answer = await client.post("/v1/decide", json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status
    assert pointer in [item["pointer"] for item in problem["errors"]]


async def test_malformed_json_and_oversized_bodies(live: LivePolicies) -> None:
    settings = ServiceSettings(max_body_bytes=2048, max_batch_bytes=4096, max_batch_uses=3)
    async with _client(create_app(live, settings)) as client:
        bad = await client.post("/v1/decide", content=b'{"date": ')
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"
        big = await client.post("/v1/decide", json={**TRAINING, "id": "x" * 5000})
        assert big.status_code == 413
        assert big.json()["title"] == "Request body too large"
        many = await client.post("/v1/decide/batch", json=[TRAINING] * 4)
        assert many.status_code == 413
        huge = await client.post("/v1/decide/batch", json=[{**TRAINING, "id": "y" * 5000}])
        assert huge.status_code == 413


# ------------------------------------------------------------------ batch


async def test_batch_array_in_order(client: httpx.AsyncClient) -> None:
    uses = [{**TRAINING, "id": f"u{i}"} for i in range(5)] + [GENERATION]
    answer = await client.post("/v1/decide/batch", json=uses)
    assert answer.status_code == 200
    decisions = answer.json()
    assert [d["id"] for d in decisions] == [u["id"] for u in uses]
    assert decisions[-1]["decision"] == "pay"


async def test_batch_json_lines(client: httpx.AsyncClient) -> None:
    body = (REPO / "policies/uses/demo.jsonl").read_bytes()
    answer = await client.post(
        "/v1/decide/batch", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = answer.text.splitlines()
    expected = [json.loads(line)["id"] for line in body.decode().splitlines() if line.strip()]
    assert [json.loads(line)["id"] for line in lines] == expected


async def test_batch_is_all_or_nothing_with_indexed_pointers(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/decide/batch", json=[TRAINING, {**TRAINING, "territory": "XX"}, {"date": "x"}]
    )
    assert answer.status_code == 422
    pointers = [item["pointer"] for item in answer.json()["errors"]]
    assert "/1/territory" in pointers and "/2/date" in pointers
    lines = "\n".join([json.dumps(TRAINING), "", json.dumps({**TRAINING, "purpose": "trainng"})])
    answer = await client.post(
        "/v1/decide/batch", content=lines, headers={"content-type": "application/x-ndjson"}
    )
    assert answer.status_code == 422
    [item] = answer.json()["errors"]
    assert item["pointer"] == "/1/purpose" and item["line"] == 3
    assert "did you mean `training`" in item["detail"]
    answer = await client.post("/v1/decide/batch", json=TRAINING)
    assert answer.status_code == 422


# ------------------------------------------------------------------ check, policy, metrics


async def test_check_reports_lines_and_columns(client: httpx.AsyncClient) -> None:
    good = (REPO / "policies" / CONTRACT).read_text(encoding="utf-8")
    answer = await client.post("/v1/check", json={"files": [{"name": "a.clause", "text": good}]})
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "errors": 0, "warnings": 0, "diagnostics": []}
    broken = good.replace("permit training,", "permit trainin,")
    answer = await client.post(
        "/v1/check", json={"files": [{"name": "/etc/passwd", "text": broken}]}
    )
    result = answer.json()
    assert result["ok"] is False and result["errors"] == 1
    [diagnostic] = result["diagnostics"]
    assert (diagnostic["path"], diagnostic["line"], diagnostic["column"]) == ("/etc/passwd", 27, 12)
    assert "did you mean `training`" in diagnostic["message"]
    assert diagnostic["source_line"].strip().startswith("permit trainin")
    answer = await client.post("/v1/check", json={"files": []})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/files"


async def test_policy_status(client: httpx.AsyncClient, live: LivePolicies) -> None:
    status = (await client.get("/v1/policy")).json()
    assert status["status"] == "ok" and status["errors"] == []
    assert status["version"] == live.snapshot.policy.version  # type: ignore[union-attr]
    assert status["contracts"] == ["aria-optin-2026", "label-blanket-2026"]
    shipped = list(clausula.load(REPO / "policies").jurisdictions)
    assert status["jurisdictions"] == shipped and "eu-ai-act" in shipped
    assert status["parameters"]["aria-optin-2026"]["training_fee"] == "3000 USD"
    health = await client.get("/healthz")
    assert health.json() == {"status": "ok", "version": status["version"]}


async def test_metrics(client: httpx.AsyncClient) -> None:
    await client.post("/v1/decide", json=GENERATION)
    await client.post(
        "/v1/decide/batch", json=[TRAINING, {**TRAINING, "works": ["isrc:GBEXL2400530"]}]
    )
    await client.post("/v1/decide", json={**TRAINING, "colour": 1})
    text = (await client.get("/metrics")).text
    assert 'clausula_decisions_total{outcome="pay"} 2.0' in text
    assert 'clausula_decisions_total{outcome="deny"} 1.0' in text
    assert "clausula_rejected_uses_total 1.0" in text
    assert 'clausula_request_duration_seconds_count{endpoint="decide"} 1.0' in text
    assert re.search(r'clausula_policy_info\{version="sha256:[0-9a-f]{64}"\} 1\.0', text)


async def test_bearer_token_guards_write_and_admin_endpoints(live: LivePolicies) -> None:
    async with _client(create_app(live, ServiceSettings(token="s3cret"))) as client:
        check = {"files": [{"name": "a.clause", "text": "vocabulary standard\n"}]}
        for path, body in [
            ("/v1/decide", TRAINING),
            ("/v1/decide/batch", [TRAINING]),
            ("/v1/check", check),
        ]:
            denied = await client.post(path, json=body)
            assert denied.status_code == 401
            assert denied.headers["www-authenticate"] == "Bearer"
            wrong = await client.post(path, json=body, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            ok = await client.post(path, json=body, headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200
        assert (await client.post("/v1/policy/reload")).status_code == 401
        reload = await client.post("/v1/policy/reload", headers={"Authorization": "Bearer s3cret"})
        assert reload.status_code == 200
        for path in ("/healthz", "/v1/policy", "/metrics", "/openapi.json"):
            assert (await client.get(path)).status_code == 200


def test_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSULA_TOKEN", "abc")
    assert ServiceSettings.from_env().token == "abc"
    monkeypatch.setenv("CLAUSULA_TOKEN", "")
    assert ServiceSettings.from_env().token is None


async def test_decisions_go_to_the_decision_log(live: LivePolicies, tmp_path: Path) -> None:
    from clausula.decision_log import DecisionLog

    log_path = tmp_path / "decisions.jsonl"
    with DecisionLog(log_path) as log:
        async with _client(create_app(live, decision_log=log)) as client:
            await client.post("/v1/decide", json=GENERATION)
            await client.post("/v1/decide/batch", json=[TRAINING, TRAINING])
    entries = read_log(log_path).entries
    assert [e.decision["id"] for e in entries] == ["gen-1", "train-1", "train-1"]


async def test_openapi_uses_the_published_models(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    use_schema = Use.model_json_schema(ref_template="#/components/schemas/{model}")
    use_schema.pop("$defs")
    assert schemas["Use"] == use_schema
    assert set(Decision.model_json_schema()["properties"]) == set(schemas["Decision"]["properties"])
    decide = document["paths"]["/v1/decide"]["post"]
    body = decide["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Use"}
    assert "application/problem+json" in decide["responses"]["422"]["content"]


# ------------------------------------------------------------------ hot reload


async def test_broken_edit_keeps_serving_and_reports(
    client: httpx.AsyncClient, live: LivePolicies, policies: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = (await client.get("/v1/policy")).json()["version"]
    _edit(policies, "permit training,", "permit trainin,")
    assert live.reload() is False
    status = (await client.get("/v1/policy")).json()
    assert status["status"] == "error" and status["version"] == first
    [error] = status["errors"]
    assert error["path"].endswith("contracts/aria-optin.clause") and error["line"] == 27
    assert "policy reload failed" in caplog.text and "trainin" in caplog.text
    answer = await client.post("/v1/decide", json=TRAINING)
    assert answer.status_code == 200 and answer.json()["policy"]["version"] == first
    assert "clausula_policy_reload_failing 1.0" in (await client.get("/metrics")).text
    _edit(policies, "permit trainin,", "permit training,")
    _edit(policies, "parameter artist_pool = 30%", "parameter artist_pool = 40%")
    assert live.reload() is True
    status = (await client.get("/v1/policy")).json()
    assert status["status"] == "ok" and status["errors"] == [] and status["version"] != first
    decision = (await client.post("/v1/decide", json=GENERATION)).json()
    assert decision["policy"]["version"] == status["version"]
    assert decision["totals"] == [{"amount": "480.00", "currency": "USD"}]


def test_a_first_load_with_errors_serves_nothing_but_says_why(policies: Path) -> None:
    _edit(policies, "permit training,", "permit trainin,")
    live = LivePolicies(policies=policies)
    assert live.reload(force=True) is False
    assert live.snapshot.policy is None and live.snapshot.errors

    async def ask() -> None:
        async with _client(create_app(live)) as client:
            assert (await client.get("/healthz")).status_code == 503
            answer = await client.post("/v1/decide", json=TRAINING)
            assert answer.status_code == 503
            assert (await client.get("/v1/policy")).json()["status"] == "error"

    asyncio.run(ask())


def test_a_serving_process_freezes_what_is_alive_after_each_load(policies: Path) -> None:
    live = LivePolicies(policies=policies, freeze_gc=True)
    try:
        assert live.reload(force=True)
        assert gc.get_freeze_count() > 0
        _edit(policies, "training_fee = 3000 USD", "training_fee = 4000 USD")
        assert live.reload() is True
        assert gc.get_freeze_count() > 0
        policy = live.snapshot.policy
        assert policy is not None
        assert policy.decide(TRAINING).totals[0].amount == Decimal("4000.00")
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual


def test_the_watcher_picks_up_changes(live: LivePolicies, policies: Path) -> None:
    first = live.snapshot.policy.version  # type: ignore[union-attr]
    watcher = PolicyWatcher(live, interval=0.05)
    watcher.start()
    try:
        _edit(policies, "parameter artist_pool = 30%", "parameter artist_pool = 45%")
        deadline = time.monotonic() + 15
        while live.snapshot.policy.version == first:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the watcher did not reload"
            time.sleep(0.05)
    finally:
        watcher.stop()


def test_the_watcher_waits_for_a_file_being_written(
    live: LivePolicies, policies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the files keep changing from one look to the next (an editor still writing),
    the watcher loads nothing; once they stay as they are for one look, it loads them."""
    loads: list[object] = []
    monkeypatch.setattr(live, "reload", lambda **kw: loads.append(kw) or False)
    # Looks half a second apart, a change every 10 ms: even on a loaded machine, where a
    # 10 ms sleep can last far longer, the writer never pauses for a whole look (a writer
    # that does is the documented limit of the watcher without a publication marker).
    watcher = PolicyWatcher(live, interval=0.5)
    path = policies / CONTRACT
    text = path.read_text(encoding="utf-8")
    watcher.start()
    try:
        deadline = time.monotonic() + 2.0
        step = 0
        while time.monotonic() < deadline:  # a change every 10 ms, many per look
            step += 1
            path.write_text(text + f"# {step}\n", encoding="utf-8")
            time.sleep(0.01)
        assert loads == []
        deadline = time.monotonic() + 15
        while not loads:
            assert time.monotonic() < deadline, "the watcher never loaded the settled files"
            time.sleep(0.05)
    finally:
        watcher.stop()


async def test_reload_under_concurrent_requests(live: LivePolicies, policies: Path) -> None:
    """Batches keep coming while the policy flips between two versions (and a broken one):
    every request is answered, and all decisions in one answer come from one version, with
    the amounts of that version."""
    pools = {"30%": "360.00", "40%": "480.00"}
    totals_by_version: dict[str, str] = {}
    policy = live.snapshot.policy
    assert policy is not None
    totals_by_version[policy.version] = "360.00"
    stop = threading.Event()
    flips = [0]

    def flipper() -> None:
        current = "30%"
        while not stop.is_set():
            target = "40%" if current == "30%" else "30%"
            _edit(policies, f"artist_pool = {current}", f"artist_pool = {target}")
            current = target
            if live.reload():
                version = live.snapshot.policy.version  # type: ignore[union-attr]
                totals_by_version[version] = pools[current]
                flips[0] += 1
            if flips[0] % 3 == 0:  # now and then a broken edit, fixed at the next flip
                _edit(policies, "permit training,", "permit trainin,")
                live.reload()
                _edit(policies, "permit trainin,", "permit training,")

    app = create_app(live)
    batch = [{**GENERATION, "id": f"g{i}"} for i in range(40)]
    sent = 0
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=flipper)
    thread.start()
    try:
        async with _client(app) as client:
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline and (flips[0] < 4 or sent < 40):
                round_ = [client.post("/v1/decide/batch", json=batch) for _ in range(4)]
                round_ += [client.post("/v1/decide", json=GENERATION) for _ in range(4)]
                sent += len(round_)
                answers += await asyncio.gather(*round_)
    finally:
        stop.set()
        thread.join()
    assert flips[0] >= 2, "the policy never changed during the test"
    assert len(answers) == sent
    versions_seen = set()
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        decisions = body if isinstance(body, list) else [body]
        versions = {d["policy"]["version"] for d in decisions}
        assert len(versions) == 1, "one answer mixes policy versions"
        version = versions.pop()
        versions_seen.add(version)
        expected = totals_by_version[version]
        assert all(d["totals"] == [{"amount": expected, "currency": "USD"}] for d in decisions)
    assert len(versions_seen) >= 2


# ------------------------------------------------------------------ a real uvicorn process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _service(*options: str, start_within: float) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`clausula serve` with these options on a free loopback port, once it answers."""
    port = _free_port()
    command = [str(Path(sys.executable).parent / "clausula"), "serve", *options]
    command += ["--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_within
        while True:
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server(policies: Path) -> Iterator[str]:
    with _service("--policies", str(policies), "--reload-interval", "0.1", start_within=30) as (
        url,
        _,
    ):
        yield url


def _docs_blocks(language: str) -> list[str]:
    text = (REPO / "docs/serving.md").read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def _wait_for(url: str, test: Any, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status: dict[str, Any] = httpx.get(f"{url}/v1/policy", timeout=5).json()
        if test(status):
            return status
        assert time.monotonic() < deadline, f"not reached: {status}"
        time.sleep(0.1)


def test_a_new_user_against_a_real_server(server: str, policies: Path) -> None:
    """Start the service, decide with curl and httpx as the docs show, break a policy file
    and see the service answer on, fix it and see the new version."""
    for block in _docs_blocks("sh")[1:]:  # the first block only starts the service
        script = block.replace("http://127.0.0.1:8000", server)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert result.returncode == 0, result.stderr
        assert '"decision":"pay"' in result.stdout
        assert '"status":"ok"' in result.stdout
    [python] = _docs_blocks("python")
    exec(compile(python.replace("http://127.0.0.1:8000", server), "serving.md", "exec"), {})

    first = httpx.get(f"{server}/v1/policy").json()["version"]
    _edit(policies, "permit training,", "permit trainin,")
    broken = _wait_for(server, lambda s: s["status"] == "error")
    assert broken["version"] == first and broken["errors"][0]["line"] == 27
    answer = httpx.post(f"{server}/v1/decide", json=TRAINING)
    assert answer.status_code == 200 and answer.json()["policy"]["version"] == first
    _edit(policies, "permit trainin,", "permit training,")
    _edit(policies, "training_fee = 3000 USD", "training_fee = 4000 USD")
    fixed = _wait_for(server, lambda s: s["status"] == "ok" and s["version"] != first)
    answer = httpx.post(f"{server}/v1/decide", json=TRAINING).json()
    assert answer["policy"]["version"] == fixed["version"]
    assert answer["totals"] == [{"amount": "4000.00", "currency": "USD"}]


def test_serve_refuses_to_start_on_broken_policies(policies: Path) -> None:
    _edit(policies, "permit training,", "permit trainin,")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "clausula"),
            "serve",
            "--policies",
            str(policies),
            "--port",
            str(_free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "aria-optin.clause:27:12" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ deciding against the ledger

# Vance's training grant covers this recording in Tennessee (policies/data/consents.yaml).
TRAINING_TN: dict[str, Any] = {
    "id": "train-tn",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "training",
    "territory": "US-TN",
    "works": ["isrc:USEXL2400102"],
}


@pytest.fixture
def ledger_url(tmp_path: Path, policies: Path) -> str:
    url = f"sqlite:///{tmp_path / 'consent.db'}"
    with Ledger(url) as ledger:
        import_file(ledger, policies / "data" / "consents.yaml")
    return url


def _uses() -> list[dict[str, Any]]:
    """The demo uses and the benchmark's, each on two dates, and one with facts."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from decide import USES
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    demo = [
        json.loads(line)
        for line in (REPO / "policies/uses/demo.jsonl").read_text().splitlines()
        if line.strip()
    ]
    uses = [{**u, "date": day} for u in [*demo, *USES] for day in ("2026-04-30", "2026-09-01")]
    facts = {"role": "2026-09-01", "placed_on_market": "2025-08-02"}
    uses.append({**TRAINING_TN, "id": "with-facts", "facts": facts})
    return uses


async def test_the_service_decides_against_the_ledger(policies: Path, ledger_url: str) -> None:
    """Granted in the ledger: paid for; revoked (by another writer): denied at once."""
    ledger = Ledger(ledger_url, max_staleness=0)  # read the head before every decision
    live = LivePolicies(policies=policies, ledger=ledger)
    assert live.reload(force=True)
    async with _client(create_app(live)) as client:
        answer = await client.post("/v1/decide", json=TRAINING_TN)
        assert answer.status_code == 200 and answer.json()["decision"] == "pay"
        with Ledger(ledger_url) as writer:  # as `clausula consent revoke` would, elsewhere
            writer.revoke("g-vance-training", date(2026, 7, 1), "withdrawn")
        answer = await client.post("/v1/decide", json=TRAINING_TN)
        denied = answer.json()
        assert denied["decision"] == "deny"
        assert any(
            "g-vance-training was revoked on 2026-07-01" in r["message"] for r in denied["reasons"]
        )
        batch = await client.post(
            "/v1/decide/batch", json=[TRAINING_TN, {**TRAINING_TN, "date": "2026-06-30"}]
        )
        assert [d["decision"] for d in batch.json()] == ["deny", "pay"]  # never rewrites the past
    ledger.close()


async def test_a_reload_keeps_deciding_against_the_ledger(policies: Path, ledger_url: str) -> None:
    live = LivePolicies(policies=policies, ledger=ledger_url)  # a URL: opened once, here
    assert live.reload(force=True)
    ledger = live.consent_ledger
    assert isinstance(ledger, Ledger)
    ledger.revoke("g-vance-training", date(2026, 7, 1), "withdrawn")
    async with _client(create_app(live)) as client:
        first = (await client.post("/v1/decide", json=TRAINING_TN)).json()
        assert first["decision"] == "deny"
        _edit(policies, "training_fee = 3000 USD", "training_fee = 4000 USD")
        assert live.reload() is True
        again = (await client.post("/v1/decide", json=TRAINING_TN)).json()
        assert (
            again["decision"] == "deny" and again["policy"]["version"] != first["policy"]["version"]
        )
        assert live.consent_ledger is ledger
    live.close()


class _BrokenLedger:
    """A ledger whose database has gone away."""

    def records_for(self, artist: str) -> tuple[()]:
        raise OperationalError("SELECT …", {}, Exception("unable to open database file"))


async def test_an_unreadable_ledger_is_a_503_problem(policies: Path) -> None:
    live = LivePolicies(policies=policies, ledger=_BrokenLedger())
    assert live.reload(force=True)
    async with _client(create_app(live)) as client:
        for path, body in [("/v1/decide", TRAINING_TN), ("/v1/decide/batch", [TRAINING_TN])]:
            answer = await client.post(path, json=body)
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["title"] == "The consent ledger cannot be read"
            assert "unable to open" not in answer.text  # the reason goes to the log only


# ------------------------------------------------------------------ the batch fast path


@pytest.mark.parametrize("assume", [(), ("us-nofakes-2026",)])
async def test_batch_answers_byte_for_byte_as_the_one_use_path(
    policies: Path, assume: tuple[str, ...]
) -> None:
    live = LivePolicies(policies=policies, assume=assume)
    assert live.reload(force=True)
    policy = live.snapshot.policy
    assert policy is not None and bool(policy.assumed) == bool(assume)
    uses = _uses()
    singles = [policy.decide(u).to_json() for u in uses]
    assert {json.loads(s)["decision"] for s in singles} == {"deny", "pay"}
    async with _client(create_app(live)) as client:
        array = await client.post("/v1/decide/batch", json=uses)
        assert array.status_code == 200
        assert array.content == ("[" + ",".join(singles) + "]").encode()
        lines = await client.post(
            "/v1/decide/batch",
            content="\n".join(json.dumps(u) for u in uses),
            headers={"content-type": "application/x-ndjson"},
        )
        assert lines.content == "".join(s + "\n" for s in singles).encode()
        for use, text in zip(uses[:6], singles, strict=False):
            one = await client.post("/v1/decide", json=use)
            assert one.content == text.encode()


def test_batch_validation_is_the_one_use_validation(policies: Path) -> None:
    """One pydantic call over parsed JSON: a fact that looks like a date stays a string."""
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    assert live.snapshot.policy is not None
    uses = _uses()
    validated, _ = _decide_batch(live.snapshot.policy, uses, None)
    assert validated == [parse_use(u) for u in uses]
    assert validated[-1].facts == {"role": "2026-09-01", "placed_on_market": "2025-08-02"}
    assert all(type(u) is Use for u in validated)


async def test_a_bad_use_deep_in_a_batch_is_pointed_at(policies: Path) -> None:
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    uses = [TRAINING_TN] * 3 + [{**TRAINING_TN, "purpose": "trainng"}] + [TRAINING_TN] * 2
    async with _client(create_app(live)) as client:
        answer = await client.post("/v1/decide/batch", json=uses)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        [item] = answer.json()["errors"]
        assert item["pointer"] == "/3/purpose" and "did you mean `training`" in item["detail"]
        metrics = (await client.get("/metrics")).text
        assert "clausula_rejected_uses_total 1.0" in metrics
        assert 'clausula_decisions_total{outcome="pay"} 0.0' in metrics  # none was decided


# ------------------------------------------------------------------ configuration


def test_the_configuration_travels_in_the_environment(tmp_path: Path) -> None:
    config = ServeConfig(
        policies=tmp_path / "p",
        data=tmp_path / "d",
        assume=("us-nofakes-2026:enacted=2027-01-01", "other"),
        ledger="sqlite:///x.db",
        reload_interval=0.25,
        max_batch=77,
        decision_log=tmp_path / "log.jsonl",
        body_seconds=2.5,
    )
    environ = {k: v for k, v in config.environ().items() if v is not None}
    assert ServeConfig.from_env(environ) == config
    assert ServeConfig.from_env({}) == ServeConfig()
    with pytest.raises(ValueError, match="CLAUSULA_MAX_BATCH='many' is not a number"):
        ServeConfig.from_env({"CLAUSULA_MAX_BATCH": "many"})


async def test_serve_app_logs_decisions_with_the_ledger_head(
    policies: Path, ledger_url: str, tmp_path: Path
) -> None:
    from clausula.decision_log import read_log

    log = tmp_path / "decisions.jsonl"
    config = ServeConfig(policies=policies, ledger=ledger_url, reload_interval=0, decision_log=log)
    app = serve_app(config)
    async with _client(app) as client:
        assert (await client.post("/v1/decide/batch", json=[TRAINING_TN] * 2)).status_code == 200
    [first, second] = read_log(log).entries
    assert first.decision["decision"] == second.decision["decision"] == "pay"
    assert first.ledger is not None and first.ledger["events"] > 0
    app.state.live.close()


# ------------------------------------------------------------------ worker processes


@pytest.fixture
def two_workers(policies: Path, ledger_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    options = ["--policies", str(policies), "--workers", "2", "--ledger", ledger_url]
    with _service(*options, "--log-level", "warning", start_within=60) as running:
        yield running


def test_two_worker_processes_answer_from_the_ledger(
    two_workers: tuple[str, subprocess.Popen[bytes]], ledger_url: str
) -> None:
    url, process = two_workers
    # New connections go to either worker; every one of them must answer.
    for _ in range(6):
        answer = httpx.post(f"{url}/v1/decide", json=TRAINING_TN, timeout=10)
        assert answer.status_code == 200 and answer.json()["decision"] == "pay"
    with Ledger(ledger_url) as writer:
        writer.revoke("g-vance-training", date(2026, 7, 1), "withdrawn")
    # Each worker reads the ledger's head at most once a second.
    deadline = time.monotonic() + 15
    while True:
        answers = [
            httpx.post(f"{url}/v1/decide/batch", json=[TRAINING_TN], timeout=10).json()[0]
            for _ in range(4)
        ]
        if all(a["decision"] == "deny" for a in answers):
            break
        assert time.monotonic() < deadline, answers
        time.sleep(0.2)
    assert "clausula_decisions_total" in httpx.get(f"{url}/metrics", timeout=10).text
    process.terminate()
    output = process.communicate(timeout=15)[0].decode()
    assert "with 2 worker processes" in output
    assert "Traceback" not in output


# ------------------------------------------------------------------ hostile input, errors (issue 12)


@contextlib.contextmanager
def _uvicorn_in_thread(app: Any) -> Iterator[int]:
    """A real uvicorn server on a free loopback port, in this process (so that a test can
    make the decision procedure fail), for the length of the block."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(15)


def test_an_unexpected_error_is_a_problem_and_keeps_the_connection(
    live: LivePolicies, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A use that makes the decision procedure raise is answered with a problem+json 500,
    logged with its traceback, and the same keep-alive connection answers the next request
    — on `/v1/decide`, on both batch forms and on `/v1/check`."""
    import http.client

    import clausula.service as service
    from clausula.policy_set import PolicySet

    original = PolicySet.decide

    def decide(self: PolicySet, use: Any) -> Decision:
        if (use["id"] if isinstance(use, dict) else use.id) == "boom":
            raise RuntimeError("the decision procedure broke")
        return original(self, use)

    def check_sources(texts: Any) -> Any:
        raise RuntimeError("the checker broke")

    monkeypatch.setattr(PolicySet, "decide", decide)
    monkeypatch.setattr(service, "check_sources", check_sources)
    boom = {**TRAINING, "id": "boom"}
    requests = [
        ("/v1/decide", json.dumps(boom), "application/json"),
        ("/v1/decide/batch", json.dumps([TRAINING, boom]), "application/json"),
        (
            "/v1/decide/batch",
            json.dumps(TRAINING) + "\n" + json.dumps(boom),
            "application/x-ndjson",
        ),
        (
            "/v1/check",
            json.dumps({"files": [{"name": "a.clause", "text": "x"}]}),
            "application/json",
        ),
    ]
    with _uvicorn_in_thread(create_app(live)) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.connect()
        sock = connection.sock
        for path, body, content_type in requests:
            connection.request("POST", path, body, {"Content-Type": content_type})
            failed = connection.getresponse()
            problem = json.loads(failed.read())
            assert failed.status == 500, (path, problem)
            assert failed.getheader("content-type") == "application/problem+json"
            assert problem["status"] == 500 and problem["title"] == "Internal error"
            assert "broke" not in json.dumps(problem)  # the cause is in the log, not the answer
            assert failed.getheader("connection") != "close"
            connection.request("POST", "/v1/decide", json.dumps(TRAINING))
            answer = connection.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["id"] == "train-1"
            assert connection.sock is sock, f"{path}: the connection was closed after the 500"
        connection.close()
    errors = [r for r in caplog.records if r.name == "clausula.service" and r.levelname == "ERROR"]
    assert len(errors) == len(requests)
    assert all(r.exc_info and "broke" in str(r.exc_info[1]) for r in errors)


DEEP = "[" * 5000 + "]" * 5000
HOSTILE_BODIES = [
    pytest.param(DEEP, "", id="5000-deep-array"),
    pytest.param('{"id": ' * 70 + "1" + "}" * 70, "/id/id/id", id="70-deep-object"),
    pytest.param(
        json.dumps(TRAINING)[:-1] + ', "streams": ' + "9" * 5000 + "}",
        "/streams",
        id="5000-digit-integer",
    ),
    pytest.param(json.dumps({**TRAINING, "id": "\ud800"}), "/id", id="surrogate-in-id"),
    pytest.param(
        json.dumps({**TRAINING, "works": ["isrc:X", "\udc00"]}), "/works/1", id="surrogate-in-works"
    ),
    pytest.param(
        json.dumps({**GENERATION, "attribution": {"\ud83d": "1"}}),
        "/attribution/\\ud83d",
        id="surrogate-in-attribution-key",
    ),
    pytest.param('{"id": NaN}', "/id", id="nan"),
    pytest.param(b"\xff\xfe{}", "", id="not-utf8"),
]


@pytest.mark.parametrize(("body", "pointer"), HOSTILE_BODIES)
async def test_hostile_bodies_are_400_problems_with_pointers(
    client: httpx.AsyncClient, body: str | bytes, pointer: str
) -> None:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    whole = isinstance(body, bytes)  # not UTF-8: the whole body is refused, at ""
    for path, content, content_type, prefix in [
        ("/v1/decide", raw, "application/json", ""),
        ("/v1/decide/batch", b"[" + raw + b"]", "application/json", "/0"),
        ("/v1/decide/batch", raw.replace(b"\n", b" "), "application/x-ndjson", "/0"),
    ]:
        answer = await client.post(path, content=content, headers={"Content-Type": content_type})
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        pointers = [item["pointer"] for item in answer.json()["errors"]]
        if whole or (body == DEEP and content_type == "application/json"):
            assert pointers == [""]  # too deep for the parser: no place to point at
        else:
            assert any(p.startswith(prefix + pointer) for p in pointers), (path, pointers)


# ------------------------------------------------------------------ a reload tells the truth (issue 12)


async def test_a_loader_that_raises_is_a_reported_failure(
    client: httpx.AsyncClient, live: LivePolicies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only diagnostics: an exception in the loader itself is a failed reload, shown in
    `/v1/policy`, counted in `clausula_policy_reload_failing`, and `POST /v1/policy/reload`
    answers a 422 problem while the old set goes on serving."""
    import clausula.reload as reload_module

    first = live.snapshot.policy.version  # type: ignore[union-attr]

    def broken_load(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("research")

    monkeypatch.setattr(reload_module, "load", broken_load)
    assert live.reload(force=True) is False
    status = (await client.get("/v1/policy")).json()
    assert status["status"] == "error" and status["version"] == first
    assert status["failure"] == "invalid"
    assert "the loader failed (KeyError: 'research')" in status["errors"][0]["message"]
    assert "clausula_policy_reload_failing 1.0" in (await client.get("/metrics")).text
    answer = await client.post("/v1/policy/reload")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["detail"].startswith(f"still serving {first}: cannot load: the loader failed")
    assert problem["diagnostics"][0]["message"] == status["errors"][0]["message"]
    decided = await client.post("/v1/decide", json=TRAINING)
    assert decided.status_code == 200 and decided.json()["policy"]["version"] == first


def _truncate_before_training_fees(policies: Path) -> None:
    """What a writer that paused leaves: the contract cut at a clause boundary, before the
    training fees. The cut file checks, and would let training through for nothing."""
    path = policies / CONTRACT
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.strip().startswith('clause 4.1 "'))
    path.write_text("".join(lines[:cut]), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_without_a_marker_a_half_written_file_that_checks_is_loaded(policies: Path) -> None:
    """The limit of the "unchanged for one look" heuristic, as docs/serving.md says: a set
    cut at a clause boundary by a writer that paused checks, and is loaded."""
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    _truncate_before_training_fees(policies)
    assert live.reload() is True
    assert live.snapshot.policy.decide(TRAINING).decision == "allow"  # type: ignore[union-attr]


async def test_with_a_marker_a_half_written_set_is_never_loaded(policies: Path) -> None:
    from typer.testing import CliRunner

    from clausula.cli import app

    result = CliRunner().invoke(app, ["publish", str(policies)])
    assert result.exit_code == 0, result.output
    assert (policies / ".clausula-published").is_file()
    live = LivePolicies(policies=policies)
    assert live.reload(force=True)
    first = live.snapshot.policy.version  # type: ignore[union-attr]
    _truncate_before_training_fees(policies)  # the writer pauses here, for any length of time
    watcher = PolicyWatcher(live, interval=0.05)
    watcher.start()
    try:
        deadline = time.monotonic() + 15
        while not live.snapshot.errors:
            assert time.monotonic() < deadline, "the unpublished set was not reported"
            time.sleep(0.05)
        assert live.snapshot.policy.version == first  # type: ignore[union-attr]
        assert live.snapshot.failure == "inconsistent"
        [problem] = live.snapshot.errors
        assert "contracts/aria-optin.clause differs from .clausula-published" in problem.message
        async with _client(create_app(live)) as client:
            decided = (await client.post("/v1/decide", json=TRAINING)).json()
            assert decided["decision"] == "pay" and decided["policy"]["version"] == first
            status = (await client.get("/v1/policy")).json()
            assert status["status"] == "error" and status["failure"] == "inconsistent"
            answer = await client.post("/v1/policy/reload")
            assert answer.status_code == 409
            assert answer.headers["content-type"] == "application/problem+json"
            assert "differs from .clausula-published" in answer.json()["detail"]
        # The writer finishes (a new fee) and publishes: the whole new set is loaded.
        shutil.copy(REPO / "policies" / CONTRACT, policies / CONTRACT)
        _edit(policies, "training_fee = 3000 USD", "training_fee = 4000 USD")
        assert CliRunner().invoke(app, ["publish", str(policies)]).exit_code == 0
        deadline = time.monotonic() + 15
        while live.snapshot.policy.version == first:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the published set was not loaded"
            time.sleep(0.05)
        assert live.snapshot.errors == () and live.snapshot.failure is None
        decision = live.snapshot.policy.decide(TRAINING)  # type: ignore[union-attr]
        assert decision.totals[0].amount == Decimal("4000.00")
    finally:
        watcher.stop()


def test_the_marker_names_every_way_a_set_is_unpublished(policies: Path) -> None:
    from clausula.publish import unpublished, write_marker

    assert unpublished(policies) is None  # no marker: nothing to check
    marker = write_marker(policies)
    assert unpublished(policies) == []
    if shutil.which("sha256sum"):  # the format is sha256sum's
        check = subprocess.run(["sha256sum", "-c", "--quiet", marker.name], cwd=policies)
        assert check.returncode == 0
    (policies / "contracts/new.clause").write_text("vocabulary standard\n", encoding="utf-8")
    (policies / "data/parties.yaml").unlink()
    (policies / "consent.db").write_bytes(b"not part of the set")
    assert unpublished(policies) == [
        "contracts/new.clause is not in .clausula-published",
        "data/parties.yaml is in .clausula-published but missing",
    ]
    marker.write_text(f"{'0' * 64}  ../../etc/passwd\n", encoding="utf-8")
    assert unpublished(policies) == [
        "line 1 of .clausula-published is not `<sha256>  <relative path>`"
    ]


def test_a_swapped_directory_link_is_loaded_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deploying by swapping a `current` link: a load reads the directory the link named
    when the load began, even if the link is swapped while it reads."""
    import clausula.reload as reload_module

    first, second = tmp_path / "release-1", tmp_path / "release-2"
    shutil.copytree(REPO / "policies", first)
    shutil.copytree(REPO / "policies", second)
    _edit(second, "training_fee = 3000 USD", "training_fee = 4000 USD")
    current = tmp_path / "current"
    current.symlink_to(first)
    real_load = reload_module.load

    def load_while_swapping(*args: Any, **kwargs: Any) -> Any:
        link = tmp_path / "current.new"
        link.symlink_to(second)
        os.replace(link, current)  # the deploy swaps the link in the middle of the load
        return real_load(*args, **kwargs)

    live = LivePolicies(policies=current)
    monkeypatch.setattr(reload_module, "load", load_while_swapping)
    assert live.reload(force=True)
    fee = live.snapshot.policy.decide(TRAINING).totals[0].amount  # type: ignore[union-attr]
    assert fee == Decimal("3000.00")  # all of release-1, none of release-2
    monkeypatch.setattr(reload_module, "load", real_load)
    assert live.reload() is True  # the swap is a change, seen at the next look
    fee = live.snapshot.policy.decide(TRAINING).totals[0].amount  # type: ignore[union-attr]
    assert fee == Decimal("4000.00")


# ------------------------------------------------------------------ slow connections (issue 12)


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Seconds until the server closes `sock` (None if it does not within `seconds`),
    sending one byte of `trickle` every 0.2 s meanwhile."""
    start = time.monotonic()
    sock.settimeout(0.2)
    sent = 0
    while time.monotonic() - start < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - start
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - start
        if sent < len(trickle):
            try:
                sock.sendall(trickle[sent : sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - start
            sent += 1
    return None


def test_slow_and_silent_connections_are_closed(policies: Path) -> None:
    """A connection that sends nothing, or trickles its request head in, is closed after
    `--head-seconds`; one whose head arrived in time may send its body slowly (within
    `--body-seconds`) and is answered."""
    options = ("--policies", str(policies), "--reload-interval", "0", "--head-seconds", "1")
    with _service(*options, "--timeout-keep-alive", "30", start_within=30) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as silent:
            waited = _closed_within(silent, 8)
            assert waited is not None and waited < 6, "a silent connection was kept open"
        head = b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100
        with socket.create_connection(("127.0.0.1", port)) as slow:
            waited = _closed_within(slow, 8, trickle=head)
            assert waited is not None and waited < 6, "a trickled request head was waited for"
        body = json.dumps(TRAINING).encode()
        with socket.create_connection(("127.0.0.1", port)) as patient:
            patient.sendall(
                b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            for start in range(0, len(body), len(body) // 8 + 1):  # over about 2 s
                time.sleep(0.25)
                patient.sendall(body[start : start + len(body) // 8 + 1])
            patient.settimeout(30)
            answer = patient.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            # After the answer the head limit runs again: an idle keep-alive is closed.
            waited = _closed_within(patient, 8)
            assert waited is not None and waited < 6
