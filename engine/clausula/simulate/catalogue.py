"""A synthetic catalogue: artists, works with Zipf popularity, and opt-in consents.

Deterministic for a seed. Work `i` (0-based) is the `i+1`-th most popular; its main
artist is drawn with Zipf weights over artists, so popular artists have more works.
Each artist opts in to each purpose independently with the scenario's share; an artist's
opt-ins become one grant (to any licensee, worldwide, with the scenario's formalities).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from ..catalogue import ConsentGrant, DataSet, Party, Performer, Work
from .scenario import SyntheticCatalogue


@dataclass(frozen=True)
class SyntheticData:
    """The generated data set, with the arrays the usage generator draws from."""

    data: DataSet
    artists: tuple[str, ...]
    works: tuple[str, ...]
    performers: tuple[tuple[str, ...], ...]  # per work, main artist first
    popularity: NDArray[np.float64]  # per work, sums to 1
    label: str  # for the policy version hash


def zipf_weights(count: int, exponent: float) -> NDArray[np.float64]:
    """Weights ∝ 1 / rank^exponent over `count` ranks, summing to 1."""
    weights = 1.0 / np.arange(1, count + 1, dtype=np.float64) ** exponent
    normalised: NDArray[np.float64] = weights / weights.sum()
    return normalised


def _shares(table: dict[str, Decimal]) -> tuple[list[str], NDArray[np.float64]]:
    names = list(table)
    weights = np.array([float(table[n]) for n in names], dtype=np.float64)
    return names, weights / weights.sum()


def artist_id(index: int) -> str:
    """The id of synthetic artist `index` (a local party id)."""
    return f"party:sim-artist-{index + 1:05d}"


def work_id(index: int) -> str:
    """The ISRC of synthetic work `index`: country QZ, registrant SIM, a year and a number."""
    year, number = divmod(index, 100_000)
    return f"isrc:QZSIM{(26 + year) % 100:02d}{number:05d}"


def generate(spec: SyntheticCatalogue, seed: int) -> SyntheticData:
    """Generate the catalogue described by `spec` with `seed` (the same seed, the same data)."""
    rng = np.random.default_rng([seed, 0x5CA7])
    exponent = float(spec.popularity_exponent)
    n_artists, n_works = spec.artists, spec.works
    places, place_weights = _shares(spec.residence)
    residence = rng.choice(len(places), size=n_artists, p=place_weights)
    artists = tuple(artist_id(i) for i in range(n_artists))
    parties: dict[str, Party] = {
        spec.rights_holder: Party(id=spec.rights_holder, kind="label", name="Rights holder")
    }
    for i, artist in enumerate(artists):
        parties[artist] = Party(
            id=artist, kind="artist", name=f"Artist {i + 1}", residence=places[residence[i]]
        )
    main = rng.choice(n_artists, size=n_works, p=zipf_weights(n_artists, exponent))
    has_featured = rng.random(n_works) < float(spec.featured_share)
    featured = rng.integers(0, n_artists, size=n_works)
    reserved = rng.random(n_works) < float(spec.tdm_reserved_share)
    works: dict[str, Work] = {}
    performers: list[tuple[str, ...]] = []
    ids = tuple(work_id(i) for i in range(n_works))
    for i, wid in enumerate(ids):
        people = [artists[main[i]]]
        if has_featured[i] and featured[i] != main[i] and n_artists > 1:
            people.append(artists[featured[i]])
        performers.append(tuple(people))
        works[wid] = Work(
            id=wid,
            title=f"Work {i + 1}",
            performers=[
                Performer(artist=a, role="main" if k == 0 else "featured")
                for k, a in enumerate(people)
            ],
            rights_holder=spec.rights_holder,
            tdm_reserved=bool(reserved[i]),
        )
    grants: dict[str, ConsentGrant] = {}
    purposes = list(spec.opt_in)
    draws = rng.random((n_artists, len(purposes)))
    formalities = frozenset(spec.formalities)
    for i, artist in enumerate(artists):
        chosen = [p for k, p in enumerate(purposes) if draws[i, k] < float(spec.opt_in[p])]
        if chosen:
            gid = f"g-sim-{i + 1:05d}"
            grants[gid] = ConsentGrant.model_validate(
                {
                    "id": gid,
                    "grantor": artist,
                    "grantee": "any",
                    "purposes": chosen,
                    "territories": ["worldwide"],
                    "valid_from": spec.grants_from,
                    "formalities": formalities,
                    "signed_on": spec.grants_from,
                }
            )
    digest = hashlib.sha256(f"{spec.model_dump_json()}|{seed}".encode()).hexdigest()[:16]
    return SyntheticData(
        data=DataSet(parties, works, grants, (), ()),
        artists=artists,
        works=ids,
        performers=tuple(performers),
        popularity=zipf_weights(n_works, exponent),
        label=f"<synthetic catalogue {digest}>",
    )


def from_dataset(data: DataSet, exponent: float = 1.1) -> SyntheticData:
    """Wrap a real data set for the usage generator: works in file order, Zipf popularity."""
    ids = tuple(data.works)
    artists = tuple(p.id for p in data.parties.values() if p.kind == "artist")
    return SyntheticData(
        data=data,
        artists=artists,
        works=ids,
        performers=tuple(data.performers_of(w) for w in ids),
        popularity=zipf_weights(len(ids), exponent) if ids else np.zeros(0),
        label="<data files>",
    )
