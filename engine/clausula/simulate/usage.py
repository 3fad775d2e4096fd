"""Projected usage: the uses of one Monte Carlo run, drawn once and shared by all variants.

Counts and draws use NumPy; money is computed in `Decimal` from the drawn counts
(`generations × revenue_per_generation + streams × revenue_per_stream`). A use is one
usage record: for a per-work purpose (training) one work; for outputs (generation, …) a
batch of outputs in one territory in one month drawing on the same works, whose
performers are attributed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..checker import add_duration
from ..models import Output, Use
from .catalogue import SyntheticData
from .scenario import PurposeUsage, Scenario

_WEIGHT_UNIT = Decimal("0.0001")


@dataclass
class ShapeInfo:
    """What aggregations need to know about a shape: when, what for, where."""

    month: int
    purpose: str
    territory: str


@dataclass
class Shapes:
    """The distinct shapes of uses seen so far (shared across runs and variants)."""

    base: list[Use] = field(default_factory=list)
    info: list[ShapeInfo] = field(default_factory=list)
    index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    per_licensee: dict[str, list[Use]] = field(default_factory=dict)

    def for_licensee(self, licensee: str) -> list[Use]:
        """The shapes as uses of `licensee` (built once per shape)."""
        done = self.per_licensee.setdefault(licensee, [])
        for use in self.base[len(done) :]:
            done.append(use.model_copy(update={"licensee": licensee}))
        return done


@dataclass
class RunUses:
    """The uses of one run, as columns."""

    shape: NDArray[np.int64]
    generations: NDArray[np.int64]
    streams: NDArray[np.int64]
    revenue: list[Decimal | None]

    def __len__(self) -> int:
        return len(self.shape)


def _choice(rng: np.random.Generator, table: dict[Any, Decimal], size: int) -> list[Any]:
    keys = list(table)
    weights = np.array([float(table[k]) for k in keys], dtype=np.float64)
    picks = rng.choice(len(keys), size=size, p=weights / weights.sum())
    return [keys[i] for i in picks.tolist()]


def attribution_of(
    works: tuple[int, ...], catalogue: SyntheticData, attributed: Decimal
) -> dict[str, Decimal]:
    """Influence weights of the performers of `works`: work j gets ∝ 1/(j+1) of the
    attributed share, split equally among its performers, rounded down to 0.0001."""
    raw = [Decimal(1) / (j + 1) for j in range(len(works))]
    scale = attributed / sum(raw, Decimal(0))
    weights: dict[str, Decimal] = {}
    for j, work in enumerate(works):
        people = catalogue.performers[work]
        if not people:
            continue
        each = (raw[j] * scale / len(people)).quantize(_WEIGHT_UNIT, ROUND_DOWN)
        for artist in people:
            weights[artist] = weights.get(artist, Decimal(0)) + each
    return {a: w for a, w in weights.items() if w > 0}


class UsageGenerator:
    """Draws the uses of each run of a scenario (run `r` always draws the same uses)."""

    def __init__(self, scenario: Scenario, catalogue: SyntheticData, licensee: str) -> None:
        self.scenario = scenario
        self.catalogue = catalogue
        self.licensee = licensee
        self.shapes = Shapes()
        self.dates = [add_duration(scenario.start, m, "months") for m in range(scenario.months)]

    def _shape(
        self,
        month: int,
        purpose: str,
        usage: PurposeUsage,
        territory: str,
        works: tuple[int, ...],
        contexts: tuple[str, ...],
    ) -> int:
        key = (month, purpose, territory, works, contexts)
        found = self.shapes.index.get(key)
        if found is not None:
            return found
        catalogue = self.catalogue
        ids = [catalogue.works[w] for w in works]
        use = Use(
            date=self.dates[month],
            licensee=self.licensee,
            purpose=purpose,
            territory=territory,
            works=ids,
            artists=[catalogue.performers[works[0]][0]]
            if usage.name_artists and works and catalogue.performers[works[0]]
            else [],
            attribution={}
            if usage.per_work
            else attribution_of(works, catalogue, usage.attributed_share),
            output=Output(**usage.output),
            context=list(contexts),
            commercial=usage.commercial,
        )
        index = len(self.shapes.base)
        self.shapes.base.append(use)
        self.shapes.info.append(ShapeInfo(month, purpose, territory))
        self.shapes.index[key] = index
        return index

    def run(self, number: int) -> RunUses:
        """The uses of run `number`."""
        scenario = self.scenario
        rng = np.random.default_rng([scenario.seed, number, 0xC1A])
        shapes: list[int] = []
        generations: list[int] = []
        streams: list[int] = []
        revenue: list[Decimal | None] = []
        n_works = len(self.catalogue.works)
        for month in range(scenario.months):
            for purpose, usage in scenario.usage.purposes.items():
                months = usage.months or ([1] if usage.per_work else None)
                if months is not None and month + 1 not in months:
                    continue
                if usage.per_work:
                    chosen = np.flatnonzero(rng.random(n_works) < float(usage.catalogue_share))
                    count = len(chosen)
                    work_sets: list[tuple[int, ...]] = [(int(w),) for w in chosen.tolist()]
                else:
                    mean = usage.uses_per_month * (1 + float(usage.growth)) ** month
                    count = int(rng.poisson(mean))
                    work_sets = self._works(rng, usage, count) if n_works else [()] * count
                territories = _choice(rng, usage.territories, count)
                flags = {
                    name: (rng.random(count) < float(share)).tolist()
                    for name, share in usage.contexts.items()
                }
                gens = rng.poisson(float(usage.generations_per_use), count)
                strs = rng.poisson(float(usage.streams_per_use), count)
                per_gen = usage.revenue_per_generation
                per_stream = usage.revenue_per_stream
                for i in range(count):
                    contexts = tuple(name for name, hit in flags.items() if hit[i])
                    shapes.append(
                        self._shape(month, purpose, usage, territories[i], work_sets[i], contexts)
                    )
                gens_list, strs_list = gens.tolist(), strs.tolist()
                generations += gens_list
                streams += strs_list
                if per_gen is None and per_stream is None:
                    revenue += [None] * count
                else:
                    rate_g = per_gen.amount if per_gen else Decimal(0)
                    rate_s = per_stream.amount if per_stream else Decimal(0)
                    cache: dict[tuple[int, int], Decimal] = {}
                    for g, s in zip(gens_list, strs_list, strict=True):
                        amount = cache.get((g, s))
                        if amount is None:
                            amount = cache[(g, s)] = g * rate_g + s * rate_s
                        revenue.append(amount)
        return RunUses(
            np.array(shapes, dtype=np.int64),
            np.array(generations, dtype=np.int64),
            np.array(streams, dtype=np.int64),
            revenue,
        )

    def _works(
        self, rng: np.random.Generator, usage: PurposeUsage, count: int
    ) -> list[tuple[int, ...]]:
        sizes = _choice(rng, usage.works_per_use, count)
        most = max(usage.works_per_use)
        draws = rng.choice(
            len(self.catalogue.works), size=(count, most), p=self.catalogue.popularity
        )
        rows = draws.tolist()
        return [tuple(dict.fromkeys(rows[i][: sizes[i]])) for i in range(count)]
