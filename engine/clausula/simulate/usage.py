"""Projected usage: the uses of one Monte Carlo run, drawn once and shared by all variants.

Counts and draws use NumPy; money is computed in `Decimal` from the drawn counts
(`generations × revenue_per_generation + streams × revenue_per_stream`). A use is one
usage record: for a per-work purpose (training) one work; for outputs (generation, …) a
batch of outputs in one territory in one month drawing on the same works, whose
performers are attributed.

Uses are kept as columns: a *shape* per use (what it is: month, purpose, territory,
works, contexts) and its counts and revenue. Shapes are numbered in the order they are
first drawn, shared across runs and variants, and held as parts (`ShapeTable`): a `Use`
object is built only when one is asked for.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..batch import ShapeTable
from ..dates import add_duration
from ..models import Output, Use
from .catalogue import SyntheticData
from .scenario import PurposeUsage, Scenario

_WEIGHT_UNIT = Decimal("0.0001")


@dataclass(frozen=True)
class ShapeInfo:
    """What aggregations need to know about a shape: when, what for, where."""

    month: int
    purpose: str
    territory: str


@dataclass
class Shapes:
    """The distinct shapes of uses seen so far (shared across runs and variants).

    Shape `i` is the frame `frame[i]` (month, purpose, territory, contexts: `frames`) with
    the works `works[i]`, the named artists `artists[i]` and the attribution
    `attribution[i]` (shapes with the same `entities[i]` have the same three);
    `info[i]` is what the aggregations group it by.
    """

    licensee: str = ""
    info: list[ShapeInfo] = field(default_factory=list)
    index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    frames: list[tuple[int, str, str, tuple[str, ...]]] = field(default_factory=list)
    frame_index: dict[tuple[int, str, str, tuple[str, ...]], int] = field(default_factory=dict)
    frame: list[int] = field(default_factory=list)
    works: list[tuple[str, ...]] = field(default_factory=list)
    artists: list[tuple[str, ...]] = field(default_factory=list)
    attribution: list[dict[str, Decimal]] = field(default_factory=list)
    entities: list[int] = field(default_factory=list)
    entity_index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    per_licensee: dict[str, ShapeTable] = field(default_factory=dict)
    frame_uses: dict[str, list[Use]] = field(default_factory=dict)
    make_frame: Any = None  # (frame key, licensee) -> Use

    def for_licensee(self, licensee: str) -> ShapeTable:
        """The shapes as uses of `licensee` (the same table, grown, on every call)."""
        uses = self.frame_uses.setdefault(licensee, [])
        for key in self.frames[len(uses) :]:
            uses.append(self.make_frame(key, licensee))
        table = self.per_licensee.get(licensee)
        if table is None:
            table = self.per_licensee[licensee] = ShapeTable(
                uses, self.frame, self.works, self.artists, self.attribution, self.entities
            )
        return table

    @property
    def base(self) -> ShapeTable:
        """The shapes as uses of the generator's licensee."""
        return self.for_licensee(self.licensee)

    def __len__(self) -> int:
        return len(self.frame)


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
    return [keys[i] for i in _pick(rng, table, size).tolist()]


def _pick(rng: np.random.Generator, table: dict[Any, Decimal], size: int) -> NDArray[np.int64]:
    """Indices into `table`'s keys drawn with its weights (the same draws as `_choice`)."""
    weights = np.array([float(v) for v in table.values()], dtype=np.float64)
    picks: NDArray[np.int64] = rng.choice(len(weights), size=size, p=weights / weights.sum())
    return picks


def attribution_of(
    works: tuple[int, ...], catalogue: SyntheticData, attributed: Decimal
) -> dict[str, Decimal]:
    """Influence weights of the performers of `works`: work j gets ∝ 1/(j+1) of the
    attributed share, split equally among its performers, rounded down to 0.0001."""
    weights: dict[str, Decimal] = {}
    n = len(works)
    for j, work in enumerate(works):
        people = catalogue.performers[work]
        if not people:
            continue
        each = _weight(n, j, len(people), attributed)
        for artist in people:
            weights[artist] = weights.get(artist, Decimal(0)) + each
    return {a: w for a, w in weights.items() if w > 0}


@functools.lru_cache(maxsize=4096)
def _weight(n: int, j: int, people: int, attributed: Decimal) -> Decimal:
    """The weight of each of the `people` performers of the `j`-th of `n` works."""
    raw = [Decimal(1) / (i + 1) for i in range(n)]
    scale = attributed / sum(raw, Decimal(0))
    return (raw[j] * scale / people).quantize(_WEIGHT_UNIT, ROUND_DOWN)


def _distinct_rows(works: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each row's first `sizes[i]` works, each once, in order, padded with -1 at the end
    (what `tuple(dict.fromkeys(row[:size]))` gives, for all rows at once)."""
    rows = works.copy()
    width = rows.shape[1]
    rows[np.arange(width)[None, :] >= sizes[:, None]] = -1
    for j in range(1, width):
        seen = (rows[:, :j] == rows[:, j : j + 1]).any(axis=1)
        rows[seen & (rows[:, j] >= 0), j] = -1
    kept = rows >= 0
    packed: NDArray[np.int64] = np.full_like(rows, -1)
    where = np.nonzero(kept)
    packed[where[0], (np.cumsum(kept, axis=1) - 1)[where]] = rows[where]
    return packed


def _unique_rows(
    table: NDArray[np.int64], territories: int, contexts: int, works: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """`np.unique(table, axis=0, return_index=True, return_inverse=True)`, through one
    integer per row when the rows fit in 62 bits (much faster than sorting rows)."""
    radix = [territories, 1 << contexts] + [works + 1] * (table.shape[1] - 2)
    if math.prod(radix) >= 1 << 62:
        rows, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
        return rows, first, inverse.reshape(-1)
    codes = np.zeros(len(table), dtype=np.int64)
    for column, base in enumerate(radix):
        codes = codes * base + table[:, column] + (1 if column >= 2 else 0)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return table[first], first, inverse.reshape(-1)


class UsageGenerator:
    """Draws the uses of each run of a scenario (run `r` always draws the same uses)."""

    def __init__(self, scenario: Scenario, catalogue: SyntheticData, licensee: str) -> None:
        self.scenario = scenario
        self.catalogue = catalogue
        self.licensee = licensee
        self.shapes = Shapes(licensee=licensee, make_frame=self._frame_use)
        self.dates = [add_duration(scenario.start, m, "months") for m in range(scenario.months)]
        # Per distinct entity: work ids, named artists and attribution.
        self._parts: list[tuple[tuple[str, ...], tuple[str, ...], dict[str, Decimal]]] = []
        self._infos: list[ShapeInfo] = []  # per frame
        self.n_works = len(catalogue.works)

    def _frame_use(self, key: tuple[int, str, str, tuple[str, ...]], licensee: str) -> Use:
        month, purpose, territory, contexts = key
        usage = self.scenario.usage.purposes[purpose]
        return Use(
            date=self.dates[month],
            licensee=licensee,
            purpose=purpose,
            territory=territory,
            output=Output(**usage.output),
            context=list(contexts),
            commercial=usage.commercial,
        )

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
        shapes, catalogue = self.shapes, self.catalogue
        frame_key = (month, purpose, territory, contexts)
        frame = shapes.frame_index.get(frame_key)
        if frame is None:
            frame = shapes.frame_index[frame_key] = len(shapes.frames)
            shapes.frames.append(frame_key)
            self._infos.append(ShapeInfo(month, purpose, territory))
        entity_key = (works, usage.per_work, usage.name_artists, usage.attributed_share)
        entity = shapes.entity_index.get(entity_key)
        if entity is None:
            entity = shapes.entity_index[entity_key] = len(self._parts)
            self._parts.append(
                (
                    tuple(catalogue.works[w] for w in works),
                    (catalogue.performers[works[0]][0],)
                    if usage.name_artists and works and catalogue.performers[works[0]]
                    else (),
                    {}
                    if usage.per_work
                    else attribution_of(works, catalogue, usage.attributed_share),
                )
            )
        ids, artists, attribution = self._parts[entity]
        index = len(shapes.frame)
        shapes.frame.append(frame)
        shapes.works.append(ids)
        shapes.artists.append(artists)
        shapes.attribution.append(attribution)
        shapes.entities.append(entity)
        shapes.info.append(self._infos[frame])
        shapes.index[key] = index
        return index

    def run(self, number: int) -> RunUses:
        """The uses of run `number`."""
        scenario = self.scenario
        rng = np.random.default_rng([scenario.seed, number, 0xC1A])
        shapes: list[NDArray[np.int64]] = []
        generations: list[NDArray[np.int64]] = []
        streams: list[NDArray[np.int64]] = []
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
                    work_rows = chosen.astype(np.int64).reshape(count, 1)
                elif n_works:
                    mean = usage.uses_per_month * (1 + float(usage.growth)) ** month
                    count = int(rng.poisson(mean))
                    work_rows = self._works(rng, usage, count)
                else:
                    mean = usage.uses_per_month * (1 + float(usage.growth)) ** month
                    count = int(rng.poisson(mean))
                    work_rows = np.zeros((count, 0), dtype=np.int64)
                territories = list(usage.territories)
                picks = _pick(rng, usage.territories, count)
                contexts = list(usage.contexts)
                bits = np.zeros(count, dtype=np.int64)
                for k, share in enumerate(usage.contexts.values()):
                    bits |= (rng.random(count) < float(share)).astype(np.int64) << k
                gens = rng.poisson(float(usage.generations_per_use), count).astype(np.int64)
                strs = rng.poisson(float(usage.streams_per_use), count).astype(np.int64)
                shapes.append(
                    self._intern(
                        month, purpose, usage, territories, picks, contexts, bits, work_rows
                    )
                )
                generations.append(gens)
                streams.append(strs)
                revenue += self._revenue(usage, gens, strs)
        return RunUses(
            np.concatenate(shapes) if shapes else np.zeros(0, dtype=np.int64),
            np.concatenate(generations) if generations else np.zeros(0, dtype=np.int64),
            np.concatenate(streams) if streams else np.zeros(0, dtype=np.int64),
            revenue,
        )

    def _intern(
        self,
        month: int,
        purpose: str,
        usage: PurposeUsage,
        territories: list[str],
        picks: NDArray[np.int64],
        contexts: list[str],
        bits: NDArray[np.int64],
        work_rows: NDArray[np.int64],
    ) -> NDArray[np.int64]:
        """The shape number of every use of one batch (new shapes numbered in the order
        they first occur)."""
        count = len(picks)
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        table = np.column_stack([picks.astype(np.int64), bits, work_rows])
        rows, first, inverse = _unique_rows(table, len(territories), len(contexts), self.n_works)
        numbers = np.empty(len(rows), dtype=np.int64)
        listed = rows.tolist()
        for u in np.argsort(first, kind="stable").tolist():
            row = listed[u]
            names = tuple(name for k, name in enumerate(contexts) if row[1] >> k & 1)
            works = tuple(w for w in row[2:] if w >= 0)
            numbers[u] = self._shape(month, purpose, usage, territories[row[0]], works, names)
        shape_of: NDArray[np.int64] = numbers[inverse.reshape(-1)]
        return shape_of

    @staticmethod
    def _revenue(
        usage: PurposeUsage, gens: NDArray[np.int64], strs: NDArray[np.int64]
    ) -> list[Decimal | None]:
        per_gen = usage.revenue_per_generation
        per_stream = usage.revenue_per_stream
        if per_gen is None and per_stream is None:
            return [None] * len(gens)
        if len(gens) == 0:
            return []
        rate_g = per_gen.amount if per_gen else Decimal(0)
        rate_s = per_stream.amount if per_stream else Decimal(0)
        base = int(strs.max()) + 1
        codes, inverse = np.unique(gens * base + strs, return_inverse=True)
        amounts = [g * rate_g + s * rate_s for g, s in (divmod(c, base) for c in codes.tolist())]
        return [amounts[i] for i in inverse.reshape(-1).tolist()]

    def _works(
        self, rng: np.random.Generator, usage: PurposeUsage, count: int
    ) -> NDArray[np.int64]:
        sizes = np.array(_choice(rng, usage.works_per_use, count), dtype=np.int64)
        most = max(usage.works_per_use)
        draws = rng.choice(
            len(self.catalogue.works), size=(count, most), p=self.catalogue.popularity
        )
        return _distinct_rows(np.asarray(draws, dtype=np.int64).reshape(count, most), sizes)
