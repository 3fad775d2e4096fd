"""W3C ODRL 2.2 export and import (issue 17, item 1).

- export → import → decide gives the same decisions as the shipped contracts, on the
  shipped uses and (a hypothesis property) on random uses;
- our fixtures written after the W3C examples import, and the text checks;
- what ODRL cannot say is reported, never dropped; bad files give JSON Pointers.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clausula
from clausula.cli import app
from clausula.odrl import OdrlError, export_file, import_policy, import_text
from clausula.odrl.profile import MAX_POLICY_BYTES

FUZZ_EXAMPLES = int(os.environ.get("ODRL_FUZZ", "60"))  # a small fixed budget by default
REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
FIXTURES = REPO / "tests" / "fixtures" / "odrl"
CONTRACTS = sorted((POLICIES / "contracts").glob("*.clause"))
USES = sorted((POLICIES / "uses").glob("*.json"))


def _comparable(decision: Any) -> Any:
    """A decision without what names files: the sources and the policy's version hash."""
    data = decision.model_dump(mode="json")
    data["policy"].pop("version", None)
    return _without_sources(data)


def _without_sources(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_sources(v) for k, v in value.items() if k != "source"}
    if isinstance(value, list):
        return [_without_sources(v) for v in value]
    return value


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The shipped policies, and a copy whose contracts went through ODRL and back."""
    copy = tmp_path_factory.mktemp("roundtrip") / "policies"
    shutil.copytree(POLICIES, copy)
    for path in CONTRACTS:
        exported = export_file(path)
        assert len(exported) == 1
        imported = import_policy(exported[0].policy)
        assert imported.notes == []  # our own extensions are read back in full
        (copy / "contracts" / path.name).write_text(imported.text, encoding="utf-8")
    return clausula.load(POLICIES), clausula.load(copy)


@pytest.mark.parametrize("context", [None, ["parody"]])
@pytest.mark.parametrize("use_path", USES, ids=[p.stem for p in USES])
def test_round_trip_decides_the_shipped_uses_alike(
    both: tuple[Any, Any], use_path: Path, context: list[str] | None
) -> None:
    original, round_tripped = both
    use = json.loads(use_path.read_text(encoding="utf-8"))
    if context is not None:  # parody sets the artists' pool aside (§5.2 notwithstanding §5.1)
        use["context"] = context
    assert _comparable(round_tripped.decide(use)) == _comparable(original.decide(use))


def test_round_trip_really_replaced_the_contracts(both: tuple[Any, Any]) -> None:
    # The copy must not be the originals under another name: its text is the import's.
    exported = export_file(POLICIES / "contracts" / "aria-optin.clause")[0]
    text = import_policy(exported.policy).text
    assert "until 2028-12-31" in text  # `for 3 years` came back as the term's last day
    assert "# " not in text  # comments do not travel through ODRL


_CATALOGUE_WORKS = [
    "isrc:USUM71703861",
    "isrc:USEXL2400102",
    "isrc:DEEXL2500217",
    "isrc:GBEXL2400530",
    "isrc:USEXL2500019",
    "isrc:QZIND2400007",
]
_ARTISTS = ["isni:0000000121032683", "isni:0000000368570205", "isni:0000000451273906"]


@st.composite
def _uses(draw: st.DrawFn) -> dict[str, Any]:
    artists = draw(st.lists(st.sampled_from(_ARTISTS), unique=True, max_size=2))
    attributed = draw(st.lists(st.sampled_from(_ARTISTS), unique=True, max_size=2))
    use: dict[str, Any] = {
        "id": "random",
        "date": draw(
            st.sampled_from(
                ["2025-06-01", "2026-01-01", "2026-09-01", "2027-12-31", "2028-06-01", "2029-01-01"]
            )
        ),
        "licensee": draw(st.sampled_from(["party:aria-labs", "party:tessitura-ai"])),
        "purpose": draw(
            st.sampled_from(
                [
                    "training",
                    "fine_tuning",
                    "generation",
                    "voice_replica",
                    "style_imitation",
                    "sampling",
                ]
            )
        ),
        "territory": draw(
            st.sampled_from(["US", "US-TN", "US-CA", "DE", "FR", "CN", "RU", "GB", "JP"])
        ),
        "works": draw(st.lists(st.sampled_from(_CATALOGUE_WORKS), unique=True, max_size=3)),
        "commercial": draw(st.booleans()),
    }
    if artists:
        use["artists"] = artists
    if attributed:
        weight = "1" if len(attributed) == 1 else "0.5"
        use["attribution"] = {a: weight for a in attributed}
    if draw(st.booleans()):
        use["output"] = {
            "synthetic_audio": draw(st.booleans()),
            "digital_replica": draw(st.booleans()),
            "public": draw(st.booleans()),
            "names_artist": draw(st.booleans()),
            "labelled_ai": draw(st.booleans()),
        }
    if draw(st.booleans()):
        use["context"] = draw(
            st.lists(st.sampled_from(["parody", "news", "research"]), unique=True, max_size=2)
        )
    if draw(st.booleans()):
        use["metrics"] = {
            "revenue": {
                "amount": draw(st.sampled_from(["0.00", "800.00", "12345.67"])),
                "currency": "USD",
            },
            "generations": draw(st.integers(min_value=0, max_value=10**6)),
            "streams": 0,
        }
    return use


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(use=_uses())
def test_round_trip_decides_random_uses_alike(both: tuple[Any, Any], use: dict[str, Any]) -> None:
    original, round_tripped = both
    assert _comparable(round_tripped.decide(use)) == _comparable(original.decide(use))


# ----------------------------------------------------------------- what does not map


def test_export_reports_what_is_written_as_extensions() -> None:
    exported = export_file(POLICIES / "contracts" / "aria-optin.clause")[0]
    notes = "\n".join(exported.notes)
    assert "§5.1: `pay max(" in notes  # a formula with max
    assert "§3.1: `require consent of each artist in use.touched" in notes  # each performer
    assert "§5.2: `notwithstanding`" in notes
    policy = exported.policy
    rules = policy["permission"] + policy["obligation"] + policy.get("prohibition", [])
    pool = next(r for r in rules if r["cl:clause"] == "5.2")
    assert pool["cl:notwithstanding"] == ["5.1"]


def test_export_maps_the_core_terms() -> None:
    policy = export_file(POLICIES / "contracts" / "label-blanket.clause")[0].policy
    assert policy["@type"] == "Agreement"
    assert policy["assigner"] == "party:example-label"
    assert policy["assignee"] == "party:tessitura-ai"
    actions = [p["action"] for p in policy["permission"]]
    assert actions == ["cl:training", "cl:fine_tuning", "cl:generation", "cl:style_imitation"]
    constraints = policy["permission"][0]["constraint"]
    assert {
        "leftOperand": "spatial",
        "operator": "isNoneOf",
        "rightOperand": ["CN", "RU"],
    } in constraints
    assert constraints[1]["rightOperand"]["@value"] == "2027-12-31"  # 2 years from 2026-01-01


def test_a_fixed_payment_is_a_compensate_duty_with_pay_amount(tmp_path: Path) -> None:
    path = tmp_path / "fee.clause"
    path.write_text(
        'contract "fee-2026" "A fee"\n  licensor party:example-label\n  licensee party:aria-labs\n'
        "  effective 2026-01-01\n  territory DE, FR\n  scope works isrc:USEXL2400102\n\n"
        "  clause 1\n    permit training\n\n  clause 2\n    when use.purpose is training\n"
        "    pay 1500.00 EUR to party:example-label\n",
        encoding="utf-8",
    )
    exported = export_file(path)[0]
    assert exported.notes == []  # everything maps to ODRL's core
    duty = exported.policy["obligation"][0]
    refinement = duty["action"][0]["refinement"][0]
    assert refinement["leftOperand"] == "payAmount"
    assert refinement["rightOperand"] == {"@value": "1500.00", "@type": "xsd:decimal"}
    assert refinement["unit"] == "http://dbpedia.org/resource/Euro"
    assert duty["constraint"] == [
        {"leftOperand": "purpose", "operator": "eq", "rightOperand": "cl:training"}
    ]
    back = import_policy(exported.policy).text
    assert "pay 1500.00 EUR to party:example-label" in back
    assert "territory DE, FR" in back


# ----------------------------------------------------------------- W3C-shaped examples


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_w3c_shaped_examples_import_and_check(fixture: Path, tmp_path: Path) -> None:
    imported = import_text(fixture.read_bytes(), licensee="party:aria-labs")
    path = tmp_path / "imported.clause"
    path.write_text(imported.text, encoding="utf-8")
    assert clausula.check([path]) == []


def test_an_offer_with_a_term_and_compensation() -> None:
    text = import_text(
        (FIXTURES / "w3c-compensate-duty.json").read_bytes(), licensee="party:aria-labs"
    ).text
    assert "effective 2026-03-01" in text
    assert "scope works isrc:USEXL2400102" in text
    assert "pay 5.00 EUR to party:example-label" in text


def test_an_end_date_given_with_lt_is_the_day_before() -> None:
    imported = import_text(
        (FIXTURES / "w3c-offer-datetime.json").read_bytes(), licensee="party:aria-labs"
    )
    assert "effective 2026-01-01 until 2026-12-31" in imported.text
    # A foreign IRI for a party and a target that is no work are reported.
    assert any("http://example.com/org:701" in n for n in imported.notes)
    assert any("not a work id" in n for n in imported.notes)


def test_a_tdmrep_policy_imports_as_consent_and_a_compensation_duty() -> None:
    imported = import_text(
        (FIXTURES / "tdmrep-policy.json").read_bytes(),
        licensee="party:aria-labs",
        parties={"https://label.example": "party:example-label"},
    )
    assert "permit training, fine_tuning" in imported.text
    assert "require consent of party:example-label for training, fine_tuning" in imported.text
    assert 'oblige "Compensate party:example-label' in imported.text


def test_an_action_outside_our_uses_is_reported_not_imported() -> None:
    policy = json.loads((FIXTURES / "w3c-permission-prohibition.json").read_text())
    policy["permission"].append(dict(policy["permission"][0], action="print"))
    imported = import_policy(policy)
    assert any("`print` is not an AI use" in n for n in imported.notes)
    assert "print" not in imported.text


def test_the_imported_offer_decides(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    for path in (policies / "contracts").glob("*"):
        path.unlink()
    imported = import_text((FIXTURES / "label-offer.json").read_bytes(), licensee="party:aria-labs")
    (policies / "contracts" / "offer.clause").write_text(imported.text, encoding="utf-8")
    loaded = clausula.load(policies)
    base = {
        "id": "u",
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "territory": "US",
        "works": ["isrc:USEXL2400102"],
        "commercial": True,
    }
    training = loaded.decide({**base, "purpose": "training"})
    assert training.decision == "pay"
    assert [(p.payee, str(p.amount), p.currency) for p in training.payments] == [
        ("party:example-label", "2500.00", "USD")
    ]
    assert loaded.decide({**base, "purpose": "voice_replica"}).decision == "deny"
    assert loaded.decide({**base, "purpose": "training", "territory": "CN"}).decision == "deny"


# ----------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("not json", ""),
        ("[]", ""),
        ('{"@type": "Licence", "uid": "x"}', "/@type"),
        ('{"@type": "Offer"}', "/uid"),
        (
            '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": {"action": "cl:training", "constraint": [{"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "soon"}]}}',
            "/permission/0/constraint/0/rightOperand",
        ),
        (
            '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": [{"action": "cl:training", "constraint": [{"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "2026-01-01"}], "duty": [{"action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "lots", "unit": "EUR"}]}]}]}]}',
            "/permission/0/duty/0/action/0/refinement/0/rightOperand",
        ),
        (
            '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": [{"action": "cl:training", "constraint": [{"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "2026-01-01"}], "duty": [{"action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [{"leftOperand": "payAmount", "operator": "eq", "rightOperand": "5", "unit": "http://dbpedia.org/resource/Doubloon"}]}]}]}]}',
            "/permission/0/duty/0/action/0/refinement/0/unit",
        ),
        (
            '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": [{"action": "cl:training", "constraint": [{"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "2026-01-01"}, {"leftOperand": "spatial", "operator": "eq", "rightOperand": "Q183 in wikidata"}]}]}',
            "/permission/0/constraint/1/rightOperand",
        ),
        (
            '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": [{"action": "cl:training"}]}',
            "",
        ),
    ],
)
def test_bad_files_are_located_by_json_pointer(text: str, pointer: str) -> None:
    with pytest.raises(OdrlError) as caught:
        import_text(text, licensee="party:aria-labs")
    assert pointer in [p for p, _ in caught.value.problems]


@pytest.mark.parametrize(
    "hostile",
    [
        "true\n\n  clause 9\n    permit voice_replica",  # a newline to smuggle a clause
        "use.output.public\n    pay 1000000 USD to party:x",
        "use.output.public, clause 9",
    ],
)
def test_extension_text_cannot_smuggle_clauses(hostile: str) -> None:
    policy = json.loads((FIXTURES / "w3c-permission-prohibition.json").read_text())
    policy["permission"][0]["constraint"].append(
        {"leftOperand": "cl:condition", "operator": "eq", "rightOperand": hostile}
    )
    with pytest.raises(OdrlError) as caught:
        import_policy(policy)
    assert caught.value.problems[0][0] == "/permission/0/constraint/2/rightOperand"


def test_an_effect_extension_must_be_one_effect() -> None:
    policy = json.loads((FIXTURES / "w3c-permission-prohibition.json").read_text())
    policy["obligation"] = [
        {"action": "cl:effect", "cl:effect": "permit training\n  clause 9\n    permit sampling"}
    ]
    with pytest.raises(OdrlError) as caught:
        import_policy(policy)
    assert caught.value.problems[0][0] == "/obligation/0/cl:effect"


def test_a_file_above_the_size_limit_is_refused() -> None:
    with pytest.raises(OdrlError, match="limit"):
        import_text(b" " * (MAX_POLICY_BYTES + 1))


# ----------------------------------------------------------------- the command line


def _run(*args: str) -> Any:
    runner = CliRunner(env={"NO_COLOR": "1"})
    return runner.invoke(app, list(args))


def test_cli_export_then_import(tmp_path: Path) -> None:
    out = tmp_path / "blanket.json"
    result = _run(
        "export", "odrl", str(POLICIES / "contracts" / "label-blanket.clause"), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "note: §4.2: `pay max(" in result.output
    assert json.loads(out.read_text())["@type"] == "Agreement"
    result = _run("import", "odrl", str(out))
    assert result.exit_code == 0, result.output
    assert 'contract "label-blanket-2026"' in result.output


def test_cli_import_reports_pointers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"@type": "Offer", "uid": "x", "assigner": "party:a", "permission": [{"action": "cl:training", "constraint": [{"leftOperand": "dateTime", "operator": "gteq", "rightOperand": "soon"}]}]}'
    )
    result = _run("import", "odrl", str(bad), "--licensee", "party:aria-labs")
    assert result.exit_code == 1
    assert f"{bad}:/permission/0/constraint/0/rightOperand: expected a date" in result.output
    assert "Traceback" not in result.output


def test_the_docs_imported_offer_is_what_the_import_writes() -> None:
    """docs/odrl.md decides with tests/fixtures/odrl/offer-policies: it must stay the import."""
    imported = import_text((FIXTURES / "label-offer.json").read_bytes(), licensee="party:aria-labs")
    shipped = FIXTURES / "offer-policies" / "label-offer.clause"
    assert shipped.read_text(encoding="utf-8") == imported.text


def test_an_import_that_would_not_check_is_refused() -> None:
    policy = json.loads((FIXTURES / "w3c-permission-prohibition.json").read_text())
    policy["permission"][0]["constraint"][1]["rightOperand"] = ["XX"]
    with pytest.raises(OdrlError, match="does not check"):
        import_policy(policy)
