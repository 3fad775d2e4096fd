"""The policy set is what the user pointed at (issue 11, item 4).

An empty policies directory is an error for every command that loads one and for
`clausula.load`; the version and the decisions depend on the files' content and their
place inside the set, never on where the set sits or where the command runs from; a
diagnostic names its file as reached from the current directory; `filter` refuses a wrong
template; `--assume` with a misspelt pack says which one was meant.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import clausula
from clausula.cli import app

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
USES = POLICIES / "uses"
EMPTY_SENTENCE = "there are no .clause files in"


def run(*args: str, stdin: str | None = None) -> Result:
    runner = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})
    return runner.invoke(app, list(args), input=stdin)


def shipped_uses() -> list[dict[str, object]]:
    uses = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(USES.glob("*.json"))]
    uses += [json.loads(line) for line in (USES / "demo.jsonl").read_text().splitlines() if line]
    return uses


def assert_refused(result: Result, sentence: str = EMPTY_SENTENCE) -> None:
    assert result.exit_code == 1, result.output
    assert sentence in result.output
    assert "Traceback" not in result.output
    assert "no problems" not in result.output


# ------------------------------------------------------------------ an empty policy set


def test_load_refuses_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()  # data alone is no policy set
    with pytest.raises(clausula.PolicyError, match=EMPTY_SENTENCE):
        clausula.load(tmp_path)


def test_every_command_refuses_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    use = USES / "01-blanket-training.json"
    assert_refused(run("eval", str(use), "--policies", str(empty)))
    assert_refused(run("serve", "--policies", str(empty), "--reload-interval", "0"))
    assert_refused(run("explain", str(use), "--policies", str(empty)))
    assert_refused(run("report", "licences", "--policies", str(empty)))
    manifest = tmp_path / "m.csv"
    manifest.write_text("work\nisrc:GBAYE2600001\n")
    template = tmp_path / "t.yaml"
    template.write_text("date: 2026-09-01\nlicensee: party:aria-labs\n")
    assert_refused(run("filter", str(manifest), "-u", str(template), "-o", "-", "-p", str(empty)))


def test_simulate_refuses_a_variant_directory_with_no_clause_file(tmp_path: Path) -> None:
    root = shutil.copytree(POLICIES, tmp_path / "policies")
    for law in (root / "jurisdictions").glob("*.clause"):
        law.unlink()  # the scenario's variants name ../jurisdictions: now empty
    scenario = root / "scenarios" / "blanket-vs-optin.yaml"
    result = run("simulate", str(scenario), "--runs", "1", "--no-sweeps", "--json")
    assert_refused(result)
    assert "jurisdictions" in result.output


# ------------------------------------------------------------------ where the set sits


def copy_set(to: Path) -> Path:
    shutil.copytree(POLICIES, to)
    return to


def test_the_version_and_decisions_do_not_depend_on_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = copy_set(tmp_path / "one" / "policies")
    second = copy_set(tmp_path / "two" / "deeper" / "renamed")
    uses = shipped_uses()
    monkeypatch.chdir(REPO)
    here = clausula.load(POLICIES)
    expected = [here.decide(u).to_json() for u in uses]
    for root, cwd in ((first, tmp_path), (second, second), (second, tmp_path / "one")):
        monkeypatch.chdir(cwd)
        loaded = clausula.load(root)
        assert loaded.version == here.version
        assert [loaded.decide(u).to_json() for u in uses] == expected
    # The command line gives the same bytes from anywhere.
    monkeypatch.chdir(tmp_path / "one")
    cli_one = run("eval", str(USES / "demo.jsonl"), "--json", "--policies", "policies")
    monkeypatch.chdir(second.parent)
    cli_two = run("eval", str(USES / "demo.jsonl"), "--json", "--policies", "renamed")
    assert cli_one.exit_code == cli_two.exit_code == 0
    assert cli_one.stdout == cli_two.stdout
    assert [json.loads(line) for line in cli_one.stdout.splitlines()] == [
        json.loads(e) for e in expected[-len(cli_one.stdout.splitlines()) :]
    ]


def test_sources_name_the_file_inside_the_set(tmp_path: Path) -> None:
    root = copy_set(tmp_path / "elsewhere")
    decision = clausula.load(root).decide(json.loads((USES / "02-optin-training.json").read_text()))
    sources = [r.source for r in decision.reasons if r.source is not None]
    assert sources
    for source in sources:
        assert source.startswith("policies/"), source
        assert str(tmp_path) not in source and "elsewhere" not in source


def test_a_changed_file_changes_the_version(tmp_path: Path) -> None:
    root = copy_set(tmp_path / "policies")
    before = clausula.load(root).version
    consents = root / "data" / "consents.yaml"
    consents.write_text(consents.read_text() + "\n# one more line\n")
    assert clausula.load(root).version != before


def test_diagnostics_name_files_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_set(tmp_path / "sets" / "mine")
    contract = root / "contracts" / "aria-optin.clause"
    contract.write_text(contract.read_text().replace("permit training,", "permit trainin,"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(clausula.PolicyError) as raised:
        clausula.load(Path("../sets/mine"))
    paths = {d.span.path for d in raised.value.diagnostics}
    assert paths == {"../sets/mine/contracts/aria-optin.clause"}
    place = next(iter(raised.value.diagnostics)).span
    assert (Path.cwd() / place.path).is_file()
    result = run("eval", str(USES / "01-blanket-training.json"), "-p", "../sets/mine")
    assert result.exit_code == 1
    assert "../sets/mine/contracts/aria-optin.clause:" in result.output


# ------------------------------------------------------------------ filter and --assume


def test_filter_refuses_a_wrong_template_and_names_the_field(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("work\nisrc:GBAYE2600001\n")
    template = tmp_path / "t.yaml"
    template.write_text(
        "date: 2026-09-01\nlicensee: party:aria-labs\npurpose: trainin\nterritory: DE\n"
    )
    result = run("filter", str(manifest), "-u", str(template), "-o", str(tmp_path / "out.csv"))
    assert_refused(result, "/purpose: `trainin` is not a declared purpose")
    assert "did you mean `training`?" in result.output
    template.write_text("date: 2026-09-01\nlicensee: party:aria-labs\nterritory: DEU\n")
    (tmp_path / "m2.csv").write_text("work,purpose\nisrc:GBAYE2600001,training\n")
    result = run("filter", str(tmp_path / "m2.csv"), "-u", str(template), "-o", "-")
    assert_refused(result, "/territory: `DEU` is not an ISO 3166-1 country code")


def test_filter_takes_a_template_that_leaves_fields_to_the_columns(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("work,purpose,territory\nisrc:GBAYE2600001,training,DE\n")
    template = tmp_path / "t.yaml"
    template.write_text("date: 2026-09-01\nlicensee: party:aria-labs\n")
    result = run("filter", str(manifest), "-u", str(template), "-o", "-")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "command",
    [
        ["eval", str(USES / "01-blanket-training.json")],
        ["explain", str(USES / "01-blanket-training.json")],
        ["serve", "--reload-interval", "0"],
    ],
)
def test_assume_suggests_the_nearest_pack(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = run(*command, "--assume", "us-nofakes")
    assert_refused(result, "there is no jurisdiction pack `us-nofakes` to assume")
    assert "did you mean `us-nofakes-2026`?" in result.output


def test_filter_assume_suggests_the_nearest_pack(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("work\nisrc:GBAYE2600001\n")
    template = tmp_path / "t.yaml"
    template.write_text(
        "date: 2026-09-01\nlicensee: party:aria-labs\npurpose: training\nterritory: DE\n"
    )
    result = run(
        "filter",
        str(manifest),
        "-u",
        str(template),
        "-o",
        "-",
        "-p",
        str(POLICIES),
        "--assume",
        "nofakes-2026",
    )
    assert_refused(result, "did you mean `us-nofakes-2026`?")


def test_load_assume_suggests_the_nearest_pack() -> None:
    with pytest.raises(clausula.PolicyError, match="did you mean `us-nofakes-2026`"):
        clausula.load(POLICIES, assume=["us-nofake-2026"])
