"""What a counterparty reads is clean (issue 11, item 5).

`render`, `explain`, the reports and the decisions of `make demo` never show the authors'
notes: the `#` comments of the shipped clause and data files (which cite the project's
research files, `../shared/reference/laws.md`, and drafts), the `note:` of a consent grant,
paths that lead out of the project (`../`) or absolute paths on this machine. Every output
is produced here from the shipped files and scanned for all of them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import clausula
from clausula.cli import app
from clausula.explain import Explainer
from clausula.formatter import split_comment
from clausula.ledger import Ledger, import_file

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
USES = POLICIES / "uses"
CLAUSE_FILES = sorted(POLICIES.rglob("*.clause"))
DATA_FILES = sorted((POLICIES / "data").glob("*.yaml"))
# Short comments (`# ---`, `# EU`) could be said by the clauses too; every comment line of
# this length or more is an author's sentence that only a comment says.
MIN_NOTE = 24
ABSOLUTE = re.compile(r"(?:^|[\s(\"'`=])/(?:[\w.-]+/)+[\w.-]*")


def _comments(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        code, comment = split_comment(line)
        if comment is not None and not (path.suffix == ".yaml" and '"' in code):
            yield comment.lstrip("#").strip()


def _grant_notes() -> Iterator[str]:
    for path in DATA_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for grant in document.get("grants") or ():
            if grant.get("note"):
                yield str(grant["note"])


NOTES = sorted(
    {
        note
        for path in [*CLAUSE_FILES, *DATA_FILES]
        for note in _comments(path)
        if len(note) >= MIN_NOTE
    }
    | set(_grant_notes())
)


def _flat(text: str) -> str:
    return " ".join(html.unescape(text).split())


def assert_clean(text: str, what: str) -> None:
    """No author's note, no way out of the project, no absolute path in `text`."""
    flat = _flat(text)
    assert "../" not in text, f"{what}: a path out of the project"
    assert str(REPO) not in text and "/tmp/" not in text, f"{what}: an absolute path"
    found = ABSOLUTE.search(text)
    assert found is None, f"{what}: an absolute path {found.group(0)!r}"
    for note in NOTES:
        assert _flat(note) not in flat, f"{what}: shows the author's note {note!r}"


def run(*args: str) -> Result:
    runner = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_the_shipped_files_have_notes_to_look_for() -> None:
    # The scan is only as good as its list: the notes it must not find are really there.
    assert any("laws.md" in note for note in NOTES)
    assert any("Represented by counsel" in note for note in NOTES)
    assert len(NOTES) > 50


@pytest.mark.parametrize("path", CLAUSE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_render_shows_no_authors_note(path: Path, fmt: str) -> None:
    assert_clean(run("render", str(path), "--format", fmt).stdout, f"render {path.name} {fmt}")


@pytest.mark.parametrize("path", sorted(USES.glob("*.json")), ids=lambda p: p.stem)
def test_explain_shows_no_authors_note(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert_clean(run("explain", str(path)).stdout, f"explain {path.name}")


def test_demo_decisions_show_no_authors_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    demo = str(USES / "demo.jsonl")
    assert_clean(run("eval", demo, "--json").stdout, "eval --json")
    assert_clean(run("eval", demo).stdout, "eval")


def test_reports_show_no_authors_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    url = f"sqlite:///{tmp_path / 'consent.db'}"
    with Ledger(url) as ledger:
        import_file(ledger, POLICIES / "data" / "consents.yaml")
    log = tmp_path / "log.jsonl"
    run("eval", str(USES / "demo.jsonl"), "--json", "--log", str(log))
    policy_set = clausula.load(POLICIES)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("work\n" + "\n".join(policy_set.data.works) + "\n")
    artists = sorted(p for p in policy_set.data.parties if p.startswith("isni:"))
    for fmt in ([], ["--json"]):
        for source in ([], ["--ledger", url]):
            outputs = [
                run("report", "licences", "--on", "2026-06-01", *source, *fmt),
                run(
                    "report",
                    "training-summary",
                    str(manifest),
                    "--licensee",
                    "party:aria-labs",
                    "--on",
                    "2026-09-01",
                    *source,
                    *fmt,
                ),
            ]
            outputs += [
                run("report", "artist", a, "--on", "2026-06-01", "--log", str(log), *source, *fmt)
                for a in artists
            ]
            for result in outputs:
                # The log and the ledger sit in tmp_path, but no report names them.
                assert str(tmp_path) not in result.stdout
                assert_clean(result.stdout, f"report {' '.join(fmt + source)}")


# ------------------------------------------------------------------ random uses


@pytest.fixture(scope="module")
def explainer() -> Explainer:
    return Explainer(clausula.load(POLICIES), POLICIES)


def _uses() -> st.SearchStrategy[dict[str, object]]:
    data = clausula.load(POLICIES).data
    parties = sorted(data.parties)
    return st.fixed_dictionaries(
        {
            "date": st.sampled_from(["2026-02-01", "2026-06-01", "2026-09-01", "2027-03-01"]),
            "licensee": st.sampled_from(["party:aria-labs", "party:tessitura-ai", *parties]),
            "purpose": st.sampled_from(
                ["training", "fine_tuning", "generation", "voice_replica", "style_imitation"]
            ),
            "territory": st.sampled_from(["US", "DE", "DK", "US-TN", "US-CA", "CN", "GB"]),
            "works": st.lists(st.sampled_from(sorted(data.works)), max_size=3, unique=True),
            "artists": st.lists(
                st.sampled_from([p for p in parties if p.startswith("isni:")]),
                max_size=2,
                unique=True,
            ),
            "output": st.fixed_dictionaries(
                {"synthetic_audio": st.booleans(), "public": st.booleans()}
            ),
            "metrics": st.just({"revenue": {"amount": "100.00", "currency": "USD"}}),
        }
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(use=_uses())
def test_no_decision_or_explanation_shows_an_authors_note(
    explainer: Explainer, use: dict[str, object]
) -> None:
    try:
        decision = explainer.policy_set.decide(use)
    except clausula.UseError:
        return
    assert_clean(decision.to_json(), "decision")
    assert_clean(explainer.explain(use), "explanation")
    assert json.loads(decision.to_json())["policy"]["version"] == explainer.policy_set.version
