"""Running a scenario: every variant on the same uses, run after run, and the statistics.

Common random numbers: run `r` draws its uses once (`UsageGenerator.run(r)`), and every
variant decides exactly those uses, so that differences between variants come from the
terms alone. Money is summed in `Decimal`, and the artists' median earnings is a
`Decimal` amount too; NumPy is used for draws and for the ratios over artists (top-1%
share, Gini).

The variants (and the values of a sweep) are decided side by side in worker processes
forked from this one (`workers`, one per CPU core by default): a variant's runs all go to
the same worker, which keeps its caches from run to run; every worker draws the same uses
(the first run is drawn once, before forking), so the results do not depend on the number
of workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from ..batch import BatchEvaluator, LoadedPolicy, UseColumns, load_files
from ..catalogue import DataSet
from ..diagnostics import PolicyError
from ..money import round_once
from ..policy_set import load_data_alone
from .catalogue import SyntheticData, from_dataset, generate
from .scenario import Scenario, ScenarioError, Variant
from .usage import RunUses, ShapeInfo, UsageGenerator

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


def artist_distribution(earnings: Sequence[Decimal]) -> dict[str, Any]:
    """Median, top-1% share, Gini and zero earners of per-artist earnings (all artists).

    The median is an amount, exact in `Decimal` (the mean of the two middle earnings when
    there is an even number of artists); the top-1% share and the Gini coefficient are
    ratios, computed in floating point from the exact amounts.
    """
    ordered = sorted(earnings)
    n = len(ordered)
    if n == 0:
        return {"artists": 0, "median": Decimal(0), "top_1pct_share": 0.0, "gini": 0.0, "zero": 0}
    half = n // 2
    median = ordered[half] if n % 2 else (ordered[half - 1] + ordered[half]) / 2
    values = np.asarray([float(e) for e in ordered], dtype=np.float64)
    total = float(values.sum())
    top = max(1, int(np.ceil(n * 0.01)))
    ranks = np.arange(1, n + 1, dtype=np.float64)
    gini = float((2.0 * (ranks * values).sum()) / (n * total) - (n + 1) / n) if total else 0.0
    return {
        "artists": n,
        "median": median,
        "top_1pct_share": float(values[-top:].sum() / total) if total else 0.0,
        "gini": gini,
        "zero": sum(1 for e in ordered if e == 0),
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

    def distribution(self, run: RunTally) -> dict[str, Any]:
        """The artists' distribution in one run (every catalogue artist counts)."""
        zero = Decimal(0)
        return artist_distribution([run.artists.get(a, zero) for a in self.artists])


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
        return round_once(amount, self.currency)


# ----------------------------------------------------------------- preparing


@dataclass
class DrawnUsage:
    """The catalogue, usage generator and uses of a scenario, kept between simulations of
    the same scenario whose terms alone change (the workbench's live re-runs): what they
    draw does not depend on the terms, so it is drawn once. Give an empty one to
    `simulate(…, drawn=…)`; it is filled, and reused while the scenario's catalogue and
    usage stay the same. Only a synthetic catalogue is kept (data files may change)."""

    key: str | None = None
    catalogue: SyntheticData | None = None
    generator: UsageGenerator | None = None
    runs: dict[int, RunUses] = field(default_factory=dict)

    @staticmethod
    def key_of(scenario: Scenario) -> str | None:
        """What the catalogue and the uses drawn depend on: everything but the variants'
        terms and the sweeps (None: a data directory, never kept)."""
        if scenario.catalogue.synthetic is None:
            return None
        first = next(iter(scenario.variants.values()))
        drawn_from = scenario.model_dump_json(exclude={"variants", "sweeps", "runs", "title"})
        return f"{scenario.base}\0{first.licensee}\0{drawn_from}"


def _catalogue(scenario: Scenario) -> SyntheticData:
    spec = scenario.catalogue
    if spec.synthetic is not None:
        seed = spec.synthetic.seed if spec.synthetic.seed is not None else scenario.seed
        return generate(spec.synthetic, seed)
    assert spec.data is not None
    data, diagnostics = load_data_alone(scenario.path(spec.data))
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
    # Sums per frame of shapes (month, purpose, territory) first, then per group.
    frames: dict[ShapeInfo, list[Any]] = {}
    paid_to: dict[str, Decimal] = {}
    by_rule = run.by_rule
    denied_by = run.denied_by
    uses = denied = allowed = paid_uses = errors = 0
    revenue_blocked = revenue_licensed = zero
    for outcome, (shape, revenue, _, _), count in evaluator.tally(columns):
        where = info[shape]
        sums = frames.get(where)
        if sums is None:
            sums = frames[where] = [0, 0, zero, zero]  # uses, denied, revenue, paid
        uses += count
        sums[0] += count
        total = zero if revenue is None else revenue if count == 1 else revenue * count
        sums[2] += total
        decision = outcome.decision
        if decision == "deny":
            denied += count
            sums[1] += count
            revenue_blocked += total
            effect, rule = outcome.denial[0] if outcome.denial else ("deny", "?")
            denied_by[f"{effect}: {rule}"] += count
            continue
        if decision == "error":
            errors += count
            continue
        revenue_licensed += total
        if decision == "pay":
            paid_uses += count
        else:
            allowed += count
        for payee, part, _currency, rule in outcome.payments:
            paid = part if count == 1 else part * count
            paid_to[payee] = paid_to.get(payee, zero) + paid
            by_rule[rule] = by_rule.get(rule, zero) + paid
            sums[3] += paid
    run.uses, run.denied, run.allowed, run.paid_uses, run.errors = (
        uses,
        denied,
        allowed,
        paid_uses,
        errors,
    )
    run.revenue_blocked, run.revenue_licensed = revenue_blocked, revenue_licensed
    months = generator.dates
    for where, (n, refused, revenue, paid) in frames.items():
        run.revenue += revenue
        for group in (
            run.by_territory.setdefault(where.territory, Group()),
            run.by_purpose.setdefault(where.purpose, Group()),
            run.by_period.setdefault(months[where.month].strftime("%Y-%m"), Group()),
        ):
            group.uses += n
            group.denied += refused
            group.revenue += revenue
            group.paid += paid
    for payee, paid in paid_to.items():
        if payee in artists:
            run.paid_artists += paid
            run.artists[payee] = paid
        else:
            run.paid_rights_holders += paid
    run.seconds = time.perf_counter() - started
    return run


def default_workers() -> int:
    """Worker processes `simulate` uses by default: one per CPU core available, where
    processes can be forked (Linux); otherwise 1 (everything in this process)."""
    if not sys.platform.startswith("linux") or "fork" not in mp.get_all_start_methods():
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


_Task = tuple[Any, ...]  # ("run", variant, number) | ("sweep", sweep, value) | ("shapes", runs)


class _Simulation:
    """What the tasks of a simulation share: the catalogue, the variants' policies and
    evaluators, and a usage generator. Each worker process works on its own copy."""

    def __init__(
        self,
        scenario: Scenario,
        catalogue: SyntheticData,
        loaded: dict[str, LoadedPolicy],
        drawn: DrawnUsage | None = None,
    ) -> None:
        self.scenario = scenario
        self.catalogue = catalogue
        first = next(iter(scenario.variants.values()))
        if drawn is not None and drawn.generator is not None:
            self.generator = drawn.generator
        else:
            self.generator = UsageGenerator(scenario, catalogue, first.licensee)
            if drawn is not None:
                drawn.generator = self.generator
        self._kept = drawn.runs if drawn is not None else None
        self.evaluators = {name: BatchEvaluator(policy) for name, policy in loaded.items()}
        self.artists = frozenset(catalogue.artists)
        self.drawn: set[int] = set()
        self._last: tuple[int, RunUses] | None = None

    def uses(self, number: int) -> RunUses:
        """The uses of run `number` (the last run drawn is kept)."""
        if self._last is None or self._last[0] != number:
            kept = self._kept.get(number) if self._kept is not None else None
            if kept is None:
                kept = self.generator.run(number)
                if self._kept is not None:
                    self._kept[number] = kept
            self._last = (number, kept)
            self.drawn.add(number)
        return self._last[1]

    def run(self, task: _Task) -> Any:
        kind = task[0]
        if kind == "run":
            _, name, number = task
            uses = self.uses(number)
            licensee = self.scenario.variants[name].licensee
            columns = _columns(self.generator, uses, licensee, self.scenario.currency)
            return len(uses), _tally(self.evaluators[name], columns, self.generator, self.artists)
        if kind == "sweep":
            return self.sweep_point(self.scenario.sweeps[task[1]], task[2])
        for number in range(task[1]):  # "shapes": the distinct shapes of runs 0 .. n-1
            if number not in self.drawn:
                self.uses(number)
        return len(self.generator.shapes)

    def sweep_point(self, sweep: Any, k: int) -> SweepPoint:
        scenario, catalogue, generator = self.scenario, self.catalogue, self.generator
        variant = scenario.variants[sweep.variant]
        value = sweep.values[k]
        loaded = load_variant(
            scenario,
            sweep.variant,
            catalogue.data,
            catalogue.label,
            {sweep.contract: {sweep.parameter: str(value)}},
        )
        evaluator = BatchEvaluator(loaded)
        result = VariantResult(sweep.variant, "", variant.licensee, {}, artists=catalogue.artists)
        tallies = []
        for number in range(sweep.runs):
            columns = _columns(generator, self.uses(number), variant.licensee, scenario.currency)
            tallies.append(_tally(evaluator, columns, generator, self.artists))
        n = Decimal(len(tallies))
        return SweepPoint(
            value=str(value),
            paid_artists=sum((t.paid_artists for t in tallies), Decimal(0)) / n,
            paid_rights_holders=sum((t.paid_rights_holders for t in tallies), Decimal(0)) / n,
            developer_keeps=sum((t.developer_keeps for t in tallies), Decimal(0)) / n,
            denied_share=float(np.mean([t.denied / t.uses if t.uses else 0 for t in tallies])),
            gini=float(np.mean([result.distribution(t)["gini"] for t in tallies])),
        )


def _serve(work: _Simulation, connection: Connection) -> None:
    """A worker process: run the tasks it is sent, one at a time, and send each result."""
    while True:
        task = connection.recv()
        if task is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", work.run(task))
        except ScenarioError as error:
            reply = ("scenario", error.problems)
        except BaseException:  # reported to the parent, which raises
            reply = ("error", traceback.format_exc())
        connection.send(reply)


def _run_tasks(
    work: _Simulation,
    tasks: list[tuple[_Task, int, str]],
    workers: int,
    done: Callable[[int, Any], None],
) -> None:
    """Run `tasks` (each with the worker it goes to and a label) and call `done(index,
    result)` for each as it finishes. With one worker, in this process, in order; with
    several, in forked processes, each worker running its own tasks in order (a worker
    keeps its caches from task to task: a variant's runs go to the same worker)."""
    if workers <= 1:
        for index, (task, _, _) in enumerate(tasks):
            done(index, work.run(task))
        return
    context = mp.get_context("fork")
    queues: list[list[int]] = [[] for _ in range(workers)]
    for index, (_, worker, _) in enumerate(tasks):
        queues[worker % workers].append(index)
    pipes = [context.Pipe() for _ in range(workers)]
    processes = [
        context.Process(target=_serve, args=(work, child), daemon=True) for _, child in pipes
    ]
    try:
        for process in processes:
            process.start()
        for _, child in pipes:
            child.close()
        busy: dict[Any, tuple[int, int]] = {}  # connection → (worker, task index)
        for worker, (parent, _) in enumerate(pipes):
            if queues[worker]:
                index = queues[worker].pop(0)
                parent.send(tasks[index][0])
                busy[parent] = (worker, index)
        while busy:
            for ready in mp_connection.wait(list(busy)):
                assert isinstance(ready, Connection)
                worker, index = busy.pop(ready)
                try:
                    status, value = ready.recv()
                except EOFError:
                    raise RuntimeError(f"simulation worker {worker} stopped unexpectedly") from None
                if status == "scenario":
                    raise ScenarioError(value)
                if status == "error":
                    raise RuntimeError(f"simulation worker {worker} failed:\n{value}")
                if queues[worker]:
                    following = queues[worker].pop(0)
                    ready.send(tasks[following][0])
                    busy[ready] = (worker, following)
                done(index, value)
    finally:
        for parent, _ in pipes:
            with contextlib.suppress(OSError):
                parent.send(None)
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - a worker that did not stop
                process.terminate()
                process.join()
        for parent, _ in pipes:
            parent.close()


def simulate(
    scenario: Scenario,
    *,
    progress: Progress | None = None,
    runs: int | None = None,
    with_sweeps: bool = True,
    workers: int | None = None,
    drawn: DrawnUsage | None = None,
) -> SimulationResult:
    """Run every variant of `scenario` on the same generated uses, `runs` times (default:
    the scenario's), then its sweeps. Raises `ScenarioError` for a scenario that cannot
    run (a clause file with errors, an unknown parameter or purpose).

    `workers`: processes to run the variants (and sweep values) side by side, default
    `default_workers()`; every worker draws the same uses, so the results are identical
    whatever the number of workers.

    `drawn`: what an earlier simulation of the same scenario drew (`DrawnUsage`), reused
    when only the terms changed; the answer is the same as without it.
    """
    started = time.perf_counter()
    runs = runs or scenario.runs
    key = DrawnUsage.key_of(scenario)
    if drawn is not None and (key is None or drawn.key != key):
        drawn.key, drawn.catalogue, drawn.generator, drawn.runs = key, None, None, {}
    kept = drawn if drawn is not None and key is not None else None
    if kept is not None and kept.catalogue is not None:
        catalogue = kept.catalogue
    else:
        catalogue = _catalogue(scenario)
        if kept is not None:
            kept.catalogue = catalogue
    loaded = {
        name: load_variant(scenario, name, catalogue.data, catalogue.label)
        for name in scenario.variants
    }
    for name, policy in loaded.items():
        _check_purposes(scenario, policy, name)
    sweeps = scenario.sweeps if with_sweeps else []
    drawn_runs = max([runs, *(sweep.runs for sweep in sweeps)])
    if kept is not None and any(number >= drawn_runs for number in kept.runs):
        # Its generator interned the shapes of runs this simulation does not draw: the
        # count of distinct shapes would differ, so draw afresh.
        kept.generator, kept.runs = None, {}
    work = _Simulation(scenario, catalogue, loaded, kept)
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
    tasks: list[tuple[_Task, int, str]] = []
    for number in range(runs):
        for v, result in enumerate(results):
            tasks.append((("run", result.name, number), v, f"{result.name}, run {number + 1}"))
    main = len(tasks)
    for s, sweep in enumerate(sweeps):
        for k, value in enumerate(sweep.values):
            label = f"sweep {sweep.contract}.{sweep.parameter} = {value}"
            tasks.append((("sweep", s, k), k, label))
    tasks.append((("shapes", drawn_runs), 0, "shapes"))
    workers = default_workers() if workers is None else max(1, workers)
    workers = min(workers, len(tasks) - 1) or 1
    if workers > 1:
        work.uses(0)  # drawn once here, before the workers are forked, and shared with them
    answers: list[Any] = [None] * len(tasks)
    finished = [0] * (len(sweeps) + 1)

    def done(index: int, answer: Any) -> None:
        answers[index] = answer
        if progress is None or index == len(tasks) - 1:
            return
        label = tasks[index][2]
        if index < main:
            finished[0] += 1
            progress(label, finished[0], main)
        else:
            s = tasks[index][0][1]
            finished[s + 1] += 1
            progress(label, finished[s + 1], len(sweeps[s].values))

    _run_tasks(work, tasks, workers, done)
    uses_per_run: list[int] = []
    for index in range(main):
        (_, name, number), v, _ = tasks[index]
        count, tally = answers[index]
        if v == 0:
            uses_per_run.append(count)
        results[v].runs.append(tally)
    sweep_results: list[SweepResult] = []
    position = main
    for sweep in sweeps:
        points = answers[position : position + len(sweep.values)]
        position += len(sweep.values)
        sweep_results.append(SweepResult(sweep.variant, sweep.contract, sweep.parameter, points))
    return SimulationResult(
        scenario,
        results,
        sweep_results,
        uses_per_run,
        answers[-1],
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
