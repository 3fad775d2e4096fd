"""Running a scenario: every variant on the same uses, run after run, and the statistics.

Common random numbers: run `r` draws its uses once (`UsageGenerator.run(r)`), and every
variant decides exactly those uses, so that differences between variants come from the
terms alone. Money is summed in `Decimal`; NumPy is used for draws and for statistics
over artists (median, top-1% share, Gini), which are ratios, not amounts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ..batch import BatchEvaluator, LoadedPolicy, UseColumns, load_files
from ..catalogue import DataSet, load_data
from ..checker import check_policy
from ..diagnostics import DiagnosticSink, PolicyError
from ..money import minor_unit
from ..parser import parse
from ..policy_set import _standard_vocabulary
from .catalogue import SyntheticData, from_dataset, generate
from .scenario import Scenario, ScenarioError, Variant
from .usage import RunUses, UsageGenerator

Progress = Callable[[str, int, int], None]


@dataclass
class Group:
    """Uses and money of one territory, purpose or month."""

    uses: int = 0
    denied: int = 0
    revenue: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)


@dataclass
class RunTally:
    """What one variant did with the uses of one run."""

    uses: int = 0
    allowed: int = 0
    paid_uses: int = 0
    denied: int = 0
    errors: int = 0
    revenue: Decimal = Decimal(0)
    revenue_licensed: Decimal = Decimal(0)
    revenue_blocked: Decimal = Decimal(0)
    paid_artists: Decimal = Decimal(0)
    paid_rights_holders: Decimal = Decimal(0)
    denied_by: Counter[str] = field(default_factory=Counter)
    by_territory: dict[str, Group] = field(default_factory=dict)
    by_purpose: dict[str, Group] = field(default_factory=dict)
    by_period: dict[str, Group] = field(default_factory=dict)
    by_rule: dict[str, Decimal] = field(default_factory=dict)
    artists: dict[str, Decimal] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def paid_total(self) -> Decimal:
        """Everything paid, to artists and to rights holders."""
        return self.paid_artists + self.paid_rights_holders

    @property
    def developer_keeps(self) -> Decimal:
        """Revenue of the licensed uses minus everything paid (negative: a net cost)."""
        return self.revenue_licensed - self.paid_total


def artist_distribution(earnings: list[float]) -> dict[str, float]:
    """Median, top-1% share, Gini and zero earners of per-artist earnings (all artists).

    Statistics only: the inputs are converted amounts, the outputs are ratios and counts.
    """
    values = np.sort(np.asarray(earnings, dtype=np.float64))
    n = len(values)
    total = float(values.sum())
    if n == 0:
        return {"artists": 0, "median": 0.0, "top_1pct_share": 0.0, "gini": 0.0, "zero": 0}
    top = max(1, int(np.ceil(n * 0.01)))
    ranks = np.arange(1, n + 1, dtype=np.float64)
    gini = float((2.0 * (ranks * values).sum()) / (n * total) - (n + 1) / n) if total else 0.0
    return {
        "artists": n,
        "median": float(np.median(values)),
        "top_1pct_share": float(values[-top:].sum() / total) if total else 0.0,
        "gini": gini,
        "zero": int((values == 0).sum()),
    }


@dataclass
class VariantResult:
    """All runs of one variant."""

    name: str
    title: str
    licensee: str
    parameters: dict[str, dict[str, str]]
    runs: list[RunTally] = field(default_factory=list)
    artists: tuple[str, ...] = ()

    def distribution(self, run: RunTally) -> dict[str, float]:
        """The artists' distribution in one run (every catalogue artist counts)."""
        return artist_distribution([float(run.artists.get(a, 0)) for a in self.artists])


@dataclass
class SweepPoint:
    """The outcome of one value of a swept parameter (means over the sweep's runs)."""

    value: str
    paid_artists: Decimal
    paid_rights_holders: Decimal
    developer_keeps: Decimal
    denied_share: float
    gini: float


@dataclass
class SweepResult:
    """One parameter of one variant over a range of values."""

    variant: str
    contract: str
    parameter: str
    points: list[SweepPoint]


@dataclass
class SimulationResult:
    """Everything a scenario produced."""

    scenario: Scenario
    variants: list[VariantResult]
    sweeps: list[SweepResult]
    uses_per_run: list[int]
    shapes: int
    seconds: float
    currency: str

    def quantize(self, amount: Decimal) -> Decimal:
        """An amount rounded to the currency's minor unit (for display and means)."""
        return amount.quantize(minor_unit(self.currency), ROUND_HALF_UP)


# ----------------------------------------------------------------- preparing


def _catalogue(scenario: Scenario) -> SyntheticData:
    spec = scenario.catalogue
    if spec.synthetic is not None:
        seed = spec.synthetic.seed if spec.synthetic.seed is not None else scenario.seed
        return generate(spec.synthetic, seed)
    assert spec.data is not None
    directory = scenario.path(spec.data)
    name, text = _standard_vocabulary()
    source, _ = parse(text, name)
    vocabulary = check_policy([source], DiagnosticSink()).vocabulary
    data, diagnostics = load_data(
        directory,
        purposes=vocabulary.purposes,
        territory_problem=vocabulary.territories.problem,
        display_root=Path.cwd(),
    )
    if data is None:
        raise ScenarioError([d.render() for d in diagnostics])
    return from_dataset(data)


def _text_parameters(variant: Variant) -> dict[str, dict[str, str]]:
    return {
        block: {name: str(value) for name, value in values.items()}
        for block, values in variant.parameters.items()
    }


def load_variant(
    scenario: Scenario,
    name: str,
    data: DataSet,
    label: str,
    overrides: dict[str, dict[str, str]] | None = None,
) -> LoadedPolicy:
    """Load one variant's clause files on the scenario's catalogue, with its overrides."""
    variant = scenario.variants[name]
    parameters = _text_parameters(variant)
    for block, values in (overrides or {}).items():
        parameters.setdefault(block, {}).update(values)
    try:
        return load_files(
            [scenario.path(p) for p in variant.policies],
            catalogue=data,
            catalogue_label=label,
            assume=variant.assume,
            overrides=parameters,
        )
    except PolicyError as error:
        raise ScenarioError(
            [f"variant `{name}`: {d.render()}" for d in error.diagnostics]
        ) from None


def _check_purposes(scenario: Scenario, loaded: LoadedPolicy, name: str) -> None:
    purposes = loaded.checked.vocabulary.purposes
    unknown = [p for p in scenario.usage.purposes if p not in purposes]
    synthetic = scenario.catalogue.synthetic
    if synthetic is not None:
        unknown += [p for p in synthetic.opt_in if p not in purposes and p != "any"]
    if unknown:
        raise ScenarioError(
            [
                f"variant `{name}`: `{p}` is not a purpose of its vocabulary "
                f"({', '.join(sorted(purposes))})"
                for p in dict.fromkeys(unknown)
            ]
        )


# ----------------------------------------------------------------- running


def _tally(
    evaluator: BatchEvaluator,
    columns: UseColumns,
    generator: UsageGenerator,
    artists: frozenset[str],
) -> RunTally:
    started = time.perf_counter()
    run = RunTally()
    info = generator.shapes.info
    zero = Decimal(0)
    months = generator.dates
    for outcome, (shape, revenue, _, _), count in evaluator.tally(columns):
        where = info[shape]
        run.uses += count
        groups = (
            run.by_territory.setdefault(where.territory, Group()),
            run.by_purpose.setdefault(where.purpose, Group()),
            run.by_period.setdefault(months[where.month].strftime("%Y-%m"), Group()),
        )
        total = revenue * count if revenue is not None else zero
        run.revenue += total
        for group in groups:
            group.uses += count
            group.revenue += total
        if outcome.decision == "deny":
            run.denied += count
            run.revenue_blocked += total
            effect, rule = outcome.denial[0] if outcome.denial else ("deny", "?")
            run.denied_by[f"{effect}: {rule}"] += count
            for group in groups:
                group.denied += count
            continue
        if outcome.decision == "error":
            run.errors += count
            continue
        run.revenue_licensed += total
        if outcome.decision == "pay":
            run.paid_uses += count
        else:
            run.allowed += count
        for payee, part, _currency, rule in outcome.payments:
            paid = part * count
            if payee in artists:
                run.paid_artists += paid
                run.artists[payee] = run.artists.get(payee, zero) + paid
            else:
                run.paid_rights_holders += paid
            run.by_rule[rule] = run.by_rule.get(rule, zero) + paid
            for group in groups:
                group.paid += paid
    run.seconds = time.perf_counter() - started
    return run


def simulate(
    scenario: Scenario,
    *,
    progress: Progress | None = None,
    runs: int | None = None,
    with_sweeps: bool = True,
) -> SimulationResult:
    """Run every variant of `scenario` on the same generated uses, `runs` times (default:
    the scenario's), then its sweeps. Raises `ScenarioError` for a scenario that cannot
    run (a clause file with errors, an unknown parameter or purpose)."""
    started = time.perf_counter()
    runs = runs or scenario.runs
    catalogue = _catalogue(scenario)
    loaded = {
        name: load_variant(scenario, name, catalogue.data, catalogue.label)
        for name in scenario.variants
    }
    for name, policy in loaded.items():
        _check_purposes(scenario, policy, name)
    first = next(iter(scenario.variants.values()))
    generator = UsageGenerator(scenario, catalogue, first.licensee)
    evaluators = {name: BatchEvaluator(policy) for name, policy in loaded.items()}
    artists = frozenset(catalogue.artists)
    results = [
        VariantResult(
            name,
            variant.title or name,
            variant.licensee,
            _text_parameters(variant),
            artists=catalogue.artists,
        )
        for name, variant in scenario.variants.items()
    ]
    uses_per_run: list[int] = []
    total_steps = runs * len(results)
    step = 0
    for number in range(runs):
        uses = generator.run(number)
        uses_per_run.append(len(uses))
        for result in results:
            columns = _columns(generator, uses, result.licensee, scenario.currency)
            result.runs.append(_tally(evaluators[result.name], columns, generator, artists))
            step += 1
            if progress is not None:
                progress(f"{result.name}, run {number + 1}", step, total_steps)
    sweeps = (
        [_sweep(scenario, sweep, catalogue, generator, progress) for sweep in scenario.sweeps]
        if with_sweeps
        else []
    )
    return SimulationResult(
        scenario,
        results,
        sweeps,
        uses_per_run,
        len(generator.shapes.base),
        time.perf_counter() - started,
        scenario.currency,
    )


def _columns(generator: UsageGenerator, uses: RunUses, licensee: str, currency: str) -> UseColumns:
    return UseColumns(
        shapes=generator.shapes.for_licensee(licensee),
        shape=uses.shape,
        revenue=uses.revenue,
        generations=uses.generations,
        streams=uses.streams,
        currency=currency,
    )


def _sweep(
    scenario: Scenario,
    sweep: Any,
    catalogue: SyntheticData,
    generator: UsageGenerator,
    progress: Progress | None,
) -> SweepResult:
    variant = scenario.variants[sweep.variant]
    artists = frozenset(catalogue.artists)
    points: list[SweepPoint] = []
    result = VariantResult(sweep.variant, "", variant.licensee, {}, artists=catalogue.artists)
    for k, value in enumerate(sweep.values):
        loaded = load_variant(
            scenario,
            sweep.variant,
            catalogue.data,
            catalogue.label,
            {sweep.contract: {sweep.parameter: str(value)}},
        )
        evaluator = BatchEvaluator(loaded)
        tallies = []
        for number in range(sweep.runs):
            uses = generator.run(number)
            columns = _columns(generator, uses, variant.licensee, scenario.currency)
            tallies.append(_tally(evaluator, columns, generator, artists))
        n = Decimal(len(tallies))
        points.append(
            SweepPoint(
                value=str(value),
                paid_artists=sum((t.paid_artists for t in tallies), Decimal(0)) / n,
                paid_rights_holders=sum((t.paid_rights_holders for t in tallies), Decimal(0)) / n,
                developer_keeps=sum((t.developer_keeps for t in tallies), Decimal(0)) / n,
                denied_share=float(np.mean([t.denied / t.uses if t.uses else 0 for t in tallies])),
                gini=float(np.mean([result.distribution(t)["gini"] for t in tallies])),
            )
        )
        if progress is not None:
            progress(
                f"sweep {sweep.contract}.{sweep.parameter} = {value}", k + 1, len(sweep.values)
            )
    return SweepResult(sweep.variant, sweep.contract, sweep.parameter, points)
