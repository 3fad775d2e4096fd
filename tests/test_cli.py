"""The `clausula` command line, end to end through Typer's CliRunner.

Exit status: 0 success, 1 wrong input (policy errors, a bad use, an unreadable file),
2 usage errors. Never a traceback for a user's mistake; plain text (no ANSI) off a terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clausula import parse_use
from clausula.cli import app

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
DATA = POLICIES / "data"
USES = POLICIES / "uses"

EU = "AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT, NL, PL, PT"
VOCABULARY = f"""\
vocabulary "core"
  purposes training, fine_tuning, generation, voice_replica, style_imitation, sampling
  contexts news, documentary, commentary, criticism, scholarship, parody, satire, incidental
  group EU = {EU}, RO, SK, SI, ES, SE
"""

CONTRACT = """
contract "tiny" "A tiny licence"
  licensor party:example-label
  licensee party:aria-labs
  effective 2026-01-01 for 3 years
  territory worldwide except CN, RU
  scope all works
  clause 1 "Purposes"
    permit training
"""
# For `check`: a self-contained file with its own vocabulary.
TINY = VOCABULARY + CONTRACT
# Line and column of `training` in `permit training` (the last line of TINY).
PERMIT_LINE = len(TINY.splitlines())
PERMIT_COLUMN = len("    permit ") + 1


def run(*args: str, stdin: str | None = None) -> Result:
    # No colour, whatever the environment of the test run says.
    runner = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})
    return runner.invoke(app, list(args), input=stdin)


def assert_plain(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "\x1b[" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny_policies(tmp_path: Path) -> Path:
    # No vocabulary of its own: the standard one applies, which the shipped data needs.
    root = tmp_path / "policies"
    write(root / "tiny.clause", CONTRACT)
    return root


def use(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "DE",
    }
    base.update(fields)
    return base


def eval_args(policies: Path, *args: str) -> list[str]:
    return ["eval", *args, "--policies", str(policies), "--data", str(DATA)]


# ------------------------------------------------------------------ schema, version, usage


@pytest.mark.parametrize(("name", "title"), [("use", "Use"), ("decision", "Decision")])
def test_schema_prints_json_schema(name: str, title: str) -> None:
    result = run("schema", name)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == title
    assert schema["type"] == "object"
    assert "properties" in schema


def test_schema_of_use_names_the_brief_fields() -> None:
    schema = json.loads(run("schema", "use").stdout)
    assert set(schema["required"]) == {"date", "licensee", "purpose", "territory"}
    assert schema["additionalProperties"] is False


def test_schema_unknown_name_is_a_usage_error() -> None:
    result = run("schema", "contract")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = run("eval", "x.json", "--no-such-option")
    assert result.exit_code == 2


def test_version() -> None:
    result = run("version")
    assert result.exit_code == 0
    assert result.stdout.startswith("clausula ")


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("check", "eval", "schema", "version"):
        assert command in result.output


# ------------------------------------------------------------------ check


def test_check_good_file(tmp_path: Path) -> None:
    path = write(tmp_path / "tiny.clause", TINY)
    result = run("check", str(path))
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
    assert_plain(result)


def test_check_directory(tiny_policies: Path) -> None:
    result = run("check", str(tiny_policies))
    assert result.exit_code == 0, result.output
    assert "1 file, no problems" in result.output


def test_check_typo_points_at_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "typo.clause", TINY.replace("permit training", "permit trainng"))
    result = run("check", str(path))
    assert result.exit_code == 1
    assert_plain(result)
    assert f"typo.clause:{PERMIT_LINE}:{PERMIT_COLUMN}: error:" in result.output
    lines = result.output.splitlines()
    source = next(i for i, line in enumerate(lines) if line.strip() == "permit trainng")
    caret = lines[source + 1]
    assert caret.strip().startswith("^")
    # The caret sits under the `t` of `trainng`.
    assert caret.index("^") == lines[source].index("trainng")
    assert "1 error in 1 file" in result.output


def test_check_reports_every_error_in_the_file(tmp_path: Path) -> None:
    text = TINY.replace("permit training", "permit trainng").replace(
        "except CN, RU", "except CN, XQ"
    )
    path = write(tmp_path / "two.clause", text)
    result = run("check", str(path))
    assert result.exit_code == 1
    assert result.output.count(": error:") >= 2
    assert "errors in 1 file" in result.output


def test_check_missing_path_is_a_plain_error(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nowhere.clause"))
    assert result.exit_code == 1
    assert "nowhere.clause" in result.output
    assert_plain(result)


def test_check_shipped_policies() -> None:
    result = run("check", str(POLICIES))
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


# ------------------------------------------------------------------ eval: bad input


def test_eval_bad_use_names_the_pointer(tiny_policies: Path, tmp_path: Path) -> None:
    bad = {
        "id": "bad-1",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "DE",
        "colour": "blue",
    }
    path = write(tmp_path / "bad.json", json.dumps(bad))
    result = run(*eval_args(tiny_policies, str(path)))
    assert result.exit_code == 1
    assert_plain(result)
    assert "/date" in result.output
    assert "/colour" in result.output
    assert "bad-1" in result.output


def test_eval_bad_use_as_json(tiny_policies: Path, tmp_path: Path) -> None:
    bad = {
        "id": "bad-1",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "DE",
        "colour": "blue",
    }
    path = write(tmp_path / "bad.json", json.dumps(bad))
    result = run(*eval_args(tiny_policies, str(path), "--json"))
    assert result.exit_code == 1
    assert_plain(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])
    assert error["id"] == "bad-1"
    pointers = {problem["pointer"] for problem in error["error"]}
    assert pointers == {"/date", "/colour"}
    assert all(problem["message"] for problem in error["error"])


def test_eval_invalid_json_file(tiny_policies: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '{"date": "2026-09-01",\n')
    result = run(*eval_args(tiny_policies, str(path)))
    assert result.exit_code == 1
    assert_plain(result)
    assert "not valid JSON" in result.output


def test_eval_missing_input_file(tiny_policies: Path, tmp_path: Path) -> None:
    result = run(*eval_args(tiny_policies, str(tmp_path / "nowhere.json")))
    assert result.exit_code == 1
    assert_plain(result)
    assert "cannot read" in result.output


def test_eval_input_not_utf8(tiny_policies: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"id": "caf\xe9"}')
    result = run(*eval_args(tiny_policies, str(path)))
    assert result.exit_code == 1
    assert_plain(result)
    assert "cannot read" in result.output


def test_eval_empty_input(tiny_policies: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "empty.jsonl", "")
    result = run(*eval_args(tiny_policies, str(path)))
    assert result.exit_code == 1
    assert_plain(result)


def test_eval_missing_policies_directory(tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps(use()))
    result = run("eval", str(path), "--policies", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert_plain(result)
    assert "nowhere" in result.output


def test_eval_with_policy_errors_prints_diagnostics(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    write(root / "typo.clause", CONTRACT.replace("permit training", "permit trainng"))
    path = write(tmp_path / "one.json", json.dumps(use()))
    result = run(*eval_args(root, str(path)))
    assert result.exit_code == 1
    assert_plain(result)
    line = len(CONTRACT.splitlines())
    assert f"typo.clause:{line}:{PERMIT_COLUMN}" in result.output
    assert "^" in result.output


# ------------------------------------------------------------------ eval: decisions


def test_eval_json_prints_one_line_per_use(tiny_policies: Path, tmp_path: Path) -> None:
    uses = [
        use(id="u-1"),
        use(id="u-2", licensee="party:sonance-labs"),
        use(id="u-3", territory="CN"),
    ]
    path = write(tmp_path / "uses.jsonl", "".join(json.dumps(u) + "\n" for u in uses))
    result = run(*eval_args(tiny_policies, str(path), "--json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    decisions = [json.loads(line) for line in lines]
    assert [d["id"] for d in decisions] == ["u-1", "u-2", "u-3"]
    assert [d["decision"] for d in decisions] == ["allow", "deny", "deny"]
    assert "no-licence" in {reason["effect"] for reason in decisions[1]["reasons"]}
    for decision in decisions:
        assert decision["policy"]["version"]


def test_eval_json_single_object_is_one_line(tiny_policies: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps(use(id="only"), indent=2))
    result = run(*eval_args(tiny_policies, str(path), "--json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["id"] == "only"


def test_eval_json_array(tiny_policies: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "two.json", json.dumps([use(id="a"), use(id="b")]))
    result = run(*eval_args(tiny_policies, str(path), "--json"))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_eval_mixed_good_and_bad_lines(tiny_policies: Path, tmp_path: Path) -> None:
    bad = use(id="b")
    del bad["date"]
    text = json.dumps(use(id="a")) + "\n" + json.dumps(bad) + "\n"
    path = write(tmp_path / "mixed.jsonl", text)
    result = run(*eval_args(tiny_policies, str(path), "--json"))
    assert result.exit_code == 1
    assert_plain(result)
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["decision"] == "allow"
    assert second["id"] == "b"
    assert [p["pointer"] for p in second["error"]] == ["/date"]
    assert second["error"][0]["line"] == 2


def test_eval_reads_stdin(tiny_policies: Path) -> None:
    result = run(*eval_args(tiny_policies, "-", "--json"), stdin=json.dumps(use(id="in")))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "in"


def test_eval_human_output(tiny_policies: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps(use(id="readable-1")))
    result = run(*eval_args(tiny_policies, str(path)))
    assert result.exit_code == 0, result.output
    assert_plain(result)
    assert "readable-1" in result.output
    assert "ALLOW" in result.output
    assert "tiny" in result.output  # the contract that permitted it, among the reasons


# ------------------------------------------------------------------ the demo uses


def demo_files() -> list[Path]:
    return sorted(USES.glob("[0-9][0-9]-*.json"))


def test_demo_uses_are_valid_and_match_demo_jsonl() -> None:
    files = demo_files()
    assert len(files) >= 6
    lines = (USES / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        json.loads(f.read_text(encoding="utf-8")) for f in files
    ]
    for path in files:
        parsed = parse_use(json.loads(path.read_text(encoding="utf-8")))
        assert parsed.id == path.stem


def test_demo_jsonl_decides_every_use() -> None:
    result = run("eval", str(USES / "demo.jsonl"), "--policies", str(POLICIES), "--json")
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in decisions] == [f.stem for f in demo_files()]
    for decision in decisions:
        assert decision["decision"] in {"allow", "deny", "pay"}
        if decision["decision"] == "deny":
            effects = {reason["effect"] for reason in decision["reasons"]}
            assert effects & {"deny", "consent-missing", "no-licence"}


def _decide(name: str) -> dict[str, object]:
    result = run("eval", str(USES / f"{name}.json"), "--policies", str(POLICIES), "--json")
    assert result.exit_code == 0, result.output
    decision: dict[str, object] = json.loads(result.stdout)
    return decision


def _effects(decision: dict[str, object]) -> set[str]:
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    return {reason["effect"] for reason in reasons}


def _payees(decision: dict[str, object]) -> set[str]:
    payments = decision["payments"]
    assert isinstance(payments, list)
    return {payment["payee"] for payment in payments}


def test_demo_blanket_training_pays_the_label_only() -> None:
    decision = _decide("01-blanket-training")
    assert decision["decision"] == "pay"
    assert _payees(decision) == {"party:example-label"}
    assert decision["totals"] == [{"amount": "9000.00", "currency": "USD"}]


def test_demo_optin_training_pays_label_and_performers() -> None:
    decision = _decide("02-optin-training")
    assert decision["decision"] == "pay"
    assert _payees(decision) == {
        "party:example-label",
        "isni:0000000121032683",
        "isni:0000000368570205",
    }
    assert "consent-met" in _effects(decision)


def test_demo_optin_training_without_every_consent_is_denied() -> None:
    decision = _decide("03-optin-training-consent-missing")
    assert decision["decision"] == "deny"
    assert "consent-missing" in _effects(decision)
    assert decision["payments"] == []


def test_demo_optin_generation_in_de_pays_no_one_without_a_valid_grant() -> None:
    # Vance's generation grant covers the US only, and Roth revoked hers on 2026-05-01:
    # the pool would pay both, so the opt-in contract denies the use.
    decision = _decide("04-optin-generation-de")
    assert decision["decision"] == "deny"
    assert decision["payments"] == []
    messages = [r["message"] for r in decision["reasons"] if r["effect"] == "consent-missing"]
    assert any("isni:0000000121032683" in m and "covers US, not DE" in m for m in messages)
    assert any("isni:0000000368570205" in m and "revoked on 2026-05-01" in m for m in messages)


def test_demo_optin_generation_in_us_pays_the_consenting_artists() -> None:
    decision = _decide("09-optin-generation-us")
    assert decision["decision"] == "pay"
    payments = decision["payments"]
    assert isinstance(payments, list)
    assert {(p["payee"], p["amount"], p["currency"]) for p in payments} == {
        ("isni:0000000121032683", "216.00", "USD"),
        ("isni:0000000451273906", "144.00", "USD"),
    }
    met = [r["message"] for r in decision["reasons"] if r["effect"] == "consent-met"]
    assert any("g-vance-generation-us" in m for m in met)
    assert any("g-arceneaux-estate" in m for m in met)


def test_demo_unknown_licensee_has_no_licence() -> None:
    decision = _decide("05-unknown-licensee")
    assert decision["decision"] == "deny"
    assert "no-licence" in _effects(decision)


def test_the_engines_own_opt_in_reason_has_no_source() -> None:
    # Issue 11: no file says "no contract, no use"; the engine does. `source` is null.
    decision = _decide("05-unknown-licensee")
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    engine = [r for r in reasons if r["rule"] == "opt-in"]
    assert engine and all(r["source"] is None for r in engine)
    assert all(r["source"] is None or r["source"].count(":") >= 2 for r in reasons)
    schema = json.loads(run("schema", "decision").stdout)
    source = schema["$defs"]["Reason"]["properties"]["source"]
    assert {"type": "null"} in source["anyOf"]
    human = run("eval", str(USES / "05-unknown-licensee.json"), "--policies", str(POLICIES))
    assert "the opt-in rule of the engine" in human.stdout


def test_demo_excluded_territory_is_denied() -> None:
    decision = _decide("06-excluded-territory-cn")
    assert decision["decision"] == "deny"
    assert "no-licence" in _effects(decision)


def test_demo_voice_replica_with_consent_pays_the_artist() -> None:
    decision = _decide("07-voice-replica")
    assert decision["decision"] == "pay"
    assert _payees(decision) == {"isni:0000000121032683"}
    assert "consent-met" in _effects(decision)


def test_demo_voice_replica_without_consent_is_denied() -> None:
    decision = _decide("08-voice-replica-no-consent")
    assert decision["decision"] == "deny"
    assert "consent-missing" in _effects(decision)
