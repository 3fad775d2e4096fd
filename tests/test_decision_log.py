"""The decision log: one JSON line per decision, written whole; a torn last line is skipped."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausula
from clausula.cli import app
from clausula.decision_log import DecisionLog, DecisionLogError, read_log

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
USE = {
    "id": "u-1",
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "training",
    "territory": "DE",
    "works": ["isrc:USUM71703861"],
}


@pytest.fixture(scope="module")
def policy_set() -> clausula.PolicySet:
    return clausula.load(POLICIES)


def test_each_decision_is_one_line(tmp_path: Path, policy_set: clausula.PolicySet) -> None:
    path = tmp_path / "log.jsonl"
    use = clausula.parse_use(USE)
    decision = policy_set.decide(use)
    clock = lambda: datetime(2026, 9, 1, 12, 0, tzinfo=UTC)  # noqa: E731
    with DecisionLog(path, clock=clock, ledger_head=lambda: (11, "ab" * 32)) as log:
        log.append(use, decision)
        log.append(use, decision)
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    entry = json.loads(lines[0])
    assert entry["logged_at"] == "2026-09-01T12:00:00Z"
    assert entry["policy_version"] == decision.policy.version
    assert entry["use"]["works"] == ["isrc:USUM71703861"]
    assert entry["decision"]["decision"] == decision.decision
    assert entry["ledger"] == {"events": 11, "head": "ab" * 32}
    result = read_log(path)
    assert [e.line for e in result.entries] == [1, 2] and not result.torn_last_line


def test_a_torn_last_line_is_skipped(tmp_path: Path, policy_set: clausula.PolicySet) -> None:
    path = tmp_path / "log.jsonl"
    use = clausula.parse_use(USE)
    with DecisionLog(path) as log:
        for _ in range(3):
            log.append(use, policy_set.decide(use))
    whole = path.read_bytes()
    last = whole.rstrip(b"\n").rfind(b"\n") + 1
    for cut in (last + 1, last + 40, len(whole) - 1):  # a crash part-way through line 3
        path.write_bytes(whole[:cut])
        result = read_log(path)
        assert len(result.entries) == 2 and result.torn_last_line
    # Reopened after the crash: the torn line is ended, the next decision gets a line of
    # its own, and the reader skips the torn one, naming it.
    path.write_bytes(whole[: last + 10])
    with DecisionLog(path) as log:
        log.append(use, policy_set.decide(use))
    result = read_log(path)
    assert [e.line for e in result.entries] == [1, 2, 4] and not result.torn_last_line
    assert result.skipped == [(3, "this line is not JSON")]
    with pytest.raises(DecisionLogError, match=r"log.jsonl:3: this line is not JSON"):
        read_log(path, strict=True)


def test_a_bad_line_in_the_middle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"use": {}, "decision": {}}\n[1, 2]\n{"use": {}, "decision": {}}\n')
    assert read_log(path).skipped == [(2, "this line is not a logged decision")]
    with pytest.raises(DecisionLogError, match=r":2: this line is not a logged decision"):
        read_log(path, strict=True)


def _append_many(path: str, count: int) -> None:
    policies = clausula.load(POLICIES)
    use = clausula.parse_use(USE)
    decision = policies.decide(use)
    with DecisionLog(path) as log:
        for _ in range(count):
            log.append(use, decision)


def test_concurrent_appends_never_interleave(
    tmp_path: Path, policy_set: clausula.PolicySet
) -> None:
    path = tmp_path / "log.jsonl"
    use = clausula.parse_use(USE)
    decision = policy_set.decide(use)
    log = DecisionLog(path)
    threads = [
        threading.Thread(target=lambda: [log.append(use, decision) for _ in range(100)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(path), 100)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    result = read_log(path)
    assert len(result.entries) == 700 and not result.torn_last_line


def test_eval_log_option(tmp_path: Path) -> None:
    uses = tmp_path / "uses.jsonl"
    uses.write_text(
        json.dumps(USE) + "\n" + json.dumps({**USE, "id": "u-2", "territory": "CN"}) + "\n"
    )
    log = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(
        app, ["eval", str(uses), "--policies", str(POLICIES), "--json", "--log", str(log)]
    )
    assert result.exit_code == 0, result.output
    entries = read_log(log).entries
    assert [e.use["id"] for e in entries] == ["u-1", "u-2"]
    assert [e.outcome for e in entries] == [
        json.loads(line)["decision"] for line in result.output.splitlines()
    ]
