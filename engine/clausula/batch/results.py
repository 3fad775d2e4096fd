"""Uses as columns and shapes, and the keys uses are grouped by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

import numpy as np

from ..models import Metrics, MoneyAmount, Use


class ShapeTable(Sequence[Use]):
    """Shapes given by their parts, for many shapes that share a few frames.

    Shape `i` is the use `frames[frame[i]]` (a use whose works, artists and attribution
    are ignored) with the works `works[i]`, the artists `artists[i]` and the attribution
    `attribution[i]`. A full `Use` is built only when one is asked for (`table[i]`, e.g.
    for the one-use path). `entities`, when given, numbers the distinct (works, artists,
    attribution) of the shapes: shapes with the same number have the same three. The
    sequences may grow between evaluations (a simulation adds the new shapes of each run)
    but must not otherwise change.
    """

    def __init__(
        self,
        frames: Sequence[Use],
        frame: Sequence[int],
        works: Sequence[tuple[str, ...]],
        artists: Sequence[tuple[str, ...]],
        attribution: Sequence[Mapping[str, Decimal]],
        entities: Sequence[int] | None = None,
    ) -> None:
        self.frames = frames
        self.frame = frame
        self.works = works
        self.artists = artists
        self.attribution = attribution
        self.entities = entities

    def __len__(self) -> int:
        return len(self.frame)

    @overload
    def __getitem__(self, index: int) -> Use: ...

    @overload
    def __getitem__(self, index: slice) -> list[Use]: ...

    def __getitem__(self, index: int | slice) -> Use | list[Use]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.frames[self.frame[index]].model_copy(
            update={
                "works": list(self.works[index]),
                "artists": list(self.artists[index]),
                "attribution": dict(self.attribution[index]),
            }
        )


@dataclass(frozen=True)
class UseColumns:
    """Many uses as columns: each use is a *shape* plus its own metrics.

    `shapes` are `Use` objects whose `id` and `metrics` are ignored (a list, or a
    `ShapeTable`); `shape[i]` is the shape of use `i`; `revenue[i]` its revenue in
    `currency` (None: no revenue), `generations[i]` and `streams[i]` its counts. Sequences
    may be NumPy arrays (counts are converted with `int`); revenue must be `Decimal`, never
    a float.
    """

    shapes: Sequence[Use]
    shape: Sequence[Any] | np.ndarray[Any, Any]
    revenue: Sequence[Decimal | None]
    generations: Sequence[Any] | np.ndarray[Any, Any]
    streams: Sequence[Any] | np.ndarray[Any, Any]
    currency: str = "USD"

    def __len__(self) -> int:
        return len(self.shape)

    def use(self, shape: int, revenue: Decimal | None, generations: int, streams: int) -> Use:
        """A use of shape `shape` with these metrics, as a full `Use` (for the one-use path)."""
        metrics = Metrics(
            revenue=MoneyAmount(amount=revenue, currency=self.currency)
            if revenue is not None
            else None,
            generations=generations,
            streams=streams,
        )
        shapes = self.shapes
        if isinstance(shapes, ShapeTable):  # one copy of the frame, not two
            return shapes.frames[shapes.frame[shape]].model_copy(
                update={
                    "works": list(shapes.works[shape]),
                    "artists": list(shapes.artists[shape]),
                    "attribution": dict(shapes.attribution[shape]),
                    "metrics": metrics,
                }
            )
        return shapes[shape].model_copy(update={"metrics": metrics})

    def at(self, index: int) -> Use:
        """Use `index` as a full `Use`."""
        return self.use(
            int(self.shape[index]),
            self.revenue[index],
            int(self.generations[index]),
            int(self.streams[index]),
        )
