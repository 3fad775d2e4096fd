"""The negotiation simulator: exact totals, reproducible runs, overrides, clear errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausula.batch import UseColumns
from clausula.cli import app
from clausula.models import Decision
from clausula.overrides import OverrideError, parse_literal, resolve
from clausula.simulate import ScenarioError, artist_distribution, load_scenario, report, simulate
from clausula.simulate.run import _catalogue, load_variant
from clausula.simulate.usage import UsageGenerator

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "policies" / "contracts"
PACKS = ROOT / "policies" / "jurisdictions"

SMALL = f"""
title: Small test scenario
seed: 11
runs: 2
start: 2026-09-01
months: 2
variants:
  blanket:
    policies: [{CONTRACTS / "label-blanket.clause"}, {PACKS}]
    licensee: party:tessitura-ai
  opt-in:
    policies: [{CONTRACTS / "aria-optin.clause"}, {PACKS}]
    licensee: party:aria-labs
    parameters:
      aria-optin-2026: {{artist_pool: 40%, per_generation: 0.003 USD}}
catalogue:
  synthetic:
    artists: 12
    works: 30
    featured_share: 30%
    tdm_reserved_share: 20%
    opt_in: {{training: 50%, generation: 50%}}
    residence: {{US: 60%, DE: 40%}}
usage:
  purposes:
    training:
      per_work: true
      catalogue_share: 50%
      territories: {{US: 50%, DE: 50%}}
    generation:
      uses_per_month: 40
      generations_per_use: 30
      revenue_per_generation: 0.02 USD
      territories: {{US: 50%, DE: 30%, CN: 20%}}
      works_per_use: {{1: 60%, 2: 40%}}
      output: {{synthetic_audio: true, public: true}}
      contexts: {{parody: 10%}}
sweeps:
  - variant: opt-in
    contract: aria-optin-2026
    parameter: artist_pool
    values: [10%, 50%]
"""


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_simulated_totals_equal_the_sum_of_one_by_one_decisions(small: Path) -> None:
    scenario = load_scenario(small)
    result = simulate(scenario, runs=1, with_sweeps=False)
    catalogue = _catalogue(scenario)
    artists = set(catalogue.artists)
    for variant in result.variants:
        policy = load_variant(scenario, variant.name, catalogue.data, catalogue.label).policy_set
        generator = UsageGenerator(scenario, catalogue, variant.licensee)
        uses = generator.run(0)
        columns = UseColumns(
            generator.shapes.base, uses.shape, uses.revenue, uses.generations, uses.streams
        )
        to_artists = to_holders = revenue = Decimal(0)
        denied = 0
        for i in range(len(uses)):
            decision: Decision = policy.decide(columns.at(i))
            amount = uses.revenue[i]
            revenue += amount or 0
            denied += decision.decision == "deny"
            for p in decision.payments:
                if p.payee in artists:
                    to_artists += p.amount
                else:
                    to_holders += p.amount
        run = variant.runs[0]
        assert run.uses == len(uses)
        assert run.revenue == revenue
        assert run.denied == denied
        assert run.paid_artists == to_artists
        assert run.paid_rights_holders == to_holders
    blanket, optin = result.variants
    assert blanket.runs[0].paid_artists == 0  # the label is paid, not the artists
    assert optin.runs[0].denied > blanket.runs[0].denied  # opt-in blocks what has no consent


def test_a_fixed_seed_reproduces_results_exactly(small: Path) -> None:
    scenario = load_scenario(small)
    first = report.summary(simulate(scenario))
    second = report.summary(simulate(scenario))
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    other = report.summary(simulate(scenario.model_copy(update={"seed": 12})))
    assert other["variants"] != first["variants"]


def test_outputs_csv_json_png_html(small: Path, tmp_path: Path) -> None:
    result = simulate(load_scenario(small), runs=2)
    report.write_csv(result, tmp_path / "r.csv")
    report.write_json(result, tmp_path / "r.json")
    pngs = report.write_charts(result, tmp_path / "charts")
    page = report.html_report(result)
    assert "measures,blanket,paid_artists" in (tmp_path / "r.csv").read_text()
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert page.count("data:image/png;base64,") == len(pngs) == 3
    assert "<script" not in page and "http" not in page.split("<body>")[1]


def test_overrides_are_literals_checked_against_the_declaration() -> None:
    from clausula.batch import load_files

    checked = load_files([CONTRACTS / "aria-optin.clause"]).checked
    values = resolve(
        checked, {"aria-optin-2026": {"artist_pool": "45%", "per_generation": "0.003 USD"}}
    )
    assert values["aria-optin-2026"]["artist_pool"] == Decimal("0.45")
    assert str(values["aria-optin-2026"]["per_generation"]) == "0.003 USD"
    with pytest.raises(OverrideError, match="declared as 30%, so write a percentage"):
        resolve(checked, {"aria-optin-2026": {"artist_pool": "0.3 USD"}})
    with pytest.raises(OverrideError, match="did you mean `artist_pool`"):
        resolve(checked, {"aria-optin-2026": {"artists_pool": "30%"}})
    with pytest.raises(OverrideError, match="in USD"):
        resolve(checked, {"aria-optin-2026": {"per_generation": "0.003 EUR"}})
    with pytest.raises(OverrideError, match="not a single value"):
        parse_literal("30% + 1%")


def test_a_bad_scenario_points_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        SMALL.replace("runs: 2", "runs: two").replace("uses_per_month: 40", "uses_per_mnth: 40")
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = "\n".join(caught.value.problems)
    assert f"{path}:4:7: runs:" in problems
    assert "uses_per_mnth` is not a field" in problems
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken.yaml:2:1: this is not valid YAML"):
        load_scenario(broken)


def test_unknown_parameter_in_a_variant_is_reported_not_raised(small: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(small.read_text().replace("artist_pool: 40%", "artist_pol: 40%"))
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 1
    assert "did you mean `artist_pool`" in result.output
    assert "Traceback" not in result.output


def test_cli_simulate_json_and_html(small: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    html = tmp_path / "r.html"
    result = runner.invoke(
        app, ["simulate", str(small), "--json", "--runs", "1", "--html", str(html)]
    )
    assert result.exit_code == 0, result.output
    assert '"paid_artists"' in result.output
    assert html.read_text().startswith("<!doctype html>")
    schema = runner.invoke(app, ["simulate", "--schema"])
    assert schema.exit_code == 0 and '"variants"' in schema.output


def test_artist_distribution() -> None:
    stats = artist_distribution([Decimal(0), Decimal(0), Decimal(0), Decimal(10)])
    assert stats["zero"] == 3 and stats["median"] == 0
    assert stats["gini"] == pytest.approx(0.75)
    assert stats["top_1pct_share"] == 1.0
    assert artist_distribution([Decimal(5)] * 4)["gini"] == pytest.approx(0.0)
    # The median is money: exact in Decimal, the mean of the two middle earnings.
    median = artist_distribution([Decimal("0.10"), Decimal("0.20"), Decimal("1.01"), Decimal(7)])
    assert median["median"] == Decimal("0.605") and isinstance(median["median"], Decimal)
    odd = artist_distribution([Decimal("0.1"), Decimal("0.2"), Decimal("0.3")])["median"]
    assert odd == Decimal("0.2")
    assert artist_distribution([])["median"] == Decimal(0)


def test_the_median_is_carried_as_money(small: Path) -> None:
    data = report.summary(simulate(load_scenario(small), runs=2, with_sweeps=False))
    for variant in data["variants"].values():
        median = variant["measures"]["artists_median"]
        assert all(isinstance(median[k], str) for k in ("mean", "low", "high"))
        assert Decimal(median["mean"]) == Decimal(median["mean"]).quantize(Decimal("0.01"))


def test_workers_do_not_change_results(small: Path) -> None:
    scenario = load_scenario(small)
    one = report.summary(simulate(scenario, workers=1))
    two = report.summary(simulate(scenario, workers=2))
    one.pop("seconds"), two.pop("seconds")
    assert one == two


def test_what_was_drawn_is_reused_and_changes_nothing(small: Path) -> None:
    """`DrawnUsage` keeps the catalogue and the uses between simulations that change only
    the terms (the workbench's live re-runs): every answer is the one without it, for
    changed terms, fewer runs than were drawn, more runs, and another seed."""
    from clausula.simulate import DrawnUsage

    scenario = load_scenario(small)
    lower = scenario.model_copy(
        update={
            "variants": {
                name: variant.model_copy(
                    update={"parameters": {"aria-optin-2026": {"artist_pool": "10%"}}}
                )
                if name == "opt-in"
                else variant
                for name, variant in scenario.variants.items()
            }
        }
    )
    drawn = DrawnUsage()

    def same(given: Any, **options: Any) -> None:
        kept = report.summary(simulate(given, drawn=drawn, **options))
        fresh = report.summary(simulate(given, **options))
        kept.pop("seconds"), fresh.pop("seconds")
        assert kept == fresh

    same(scenario, runs=1, with_sweeps=False)
    catalogue = drawn.catalogue
    assert catalogue is not None and list(drawn.runs) == [0]
    same(lower, runs=1, with_sweeps=False)  # the terms changed: drawn once, reused
    assert drawn.catalogue is catalogue
    same(scenario, runs=2, with_sweeps=False)
    same(scenario, runs=1, with_sweeps=False)  # fewer runs than were drawn: drawn afresh
    same(scenario.model_copy(update={"seed": 12}), runs=1, with_sweeps=False)
    assert drawn.catalogue is not catalogue


def test_the_example_scenario_loads() -> None:
    scenario = load_scenario(ROOT / "policies" / "scenarios" / "blanket-vs-optin.yaml")
    assert set(scenario.variants) == {"blanket", "opt-in"}
