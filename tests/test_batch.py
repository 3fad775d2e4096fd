"""The batch path decides exactly as the one-use path, on every use."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula import UseError
from clausula.batch import (
    BatchEvaluator,
    LoadedPolicy,
    UseColumns,
    analyse,
    decide_outcomes,
    load_files,
)
from clausula.batch.outcomes import (
    _CHUNK,
    _PROBE_EVERY,
    _PROBE_MOST,
    WAYS,
    Pace,
    Way,
    _decide_outcomes,
    pace_of,
)
from clausula.catalogue import ConsentGrant, DataSet, Party, Performer, Revocation, Work
from clausula.models import Decision, Use
from clausula.pricing import outcome_of_decision as _outcome_from_decision
from clausula.use_input import parse_use

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"

WORKS = [
    "isrc:USUM71703861",
    "isrc:USEXL2400102",
    "isrc:DEEXL2500217",
    "isrc:USEXL7800045",
    "isrc:USEXL2300088",
    "isrc:GBEXL2400530",
    "isrc:QZIND2400007",
    "isrc:QZSIM2699999",  # not in the catalogue
]
ARTISTS = [
    "isni:0000000121032683",
    "isni:0000000368570205",
    "isni:0000000451273906",
    "isni:0000000498611239",
    "isni:0000000520744186",
]


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_files([POLICIES], data=POLICIES / "data", display_root=ROOT)


def _same(a: Decision | UseError, b: Decision | UseError) -> bool:
    if isinstance(a, UseError) or isinstance(b, UseError):
        return str(a) == str(b) and type(a) is type(b)
    return a.model_dump() == b.model_dump()


def _one(loaded: LoadedPolicy, use: Any) -> Decision | UseError:
    try:
        return loaded.policy_set.decide(use)
    except UseError as error:
        return error


shape = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["2026-03-01", "2026-09-01", "2027-06-15", "2029-02-01"]),
        "licensee": st.sampled_from(["party:aria-labs", "party:tessitura-ai", "party:nobody"]),
        "purpose": st.sampled_from(
            [
                "training",
                "fine_tuning",
                "generation",
                "voice_replica",
                "style_imitation",
                "sampling",
            ]
        ),
        "territory": st.sampled_from(["US", "US-TN", "US-CA", "DE", "DK", "FR", "GB", "CN", "JP"]),
        "works": st.lists(st.sampled_from(WORKS), max_size=2, unique=True),
        "artists": st.lists(st.sampled_from(ARTISTS), max_size=2, unique=True),
        "attribution": st.lists(st.sampled_from(ARTISTS), max_size=3, unique=True),
        "output": st.fixed_dictionaries(
            {},
            optional={
                k: st.booleans()
                for k in (
                    "synthetic_audio",
                    "digital_replica",
                    "public",
                    "names_artist",
                    "labelled_ai",
                )
            },
        ),
        "context": st.lists(st.sampled_from(["parody", "news", "commentary"]), max_size=1),
        "commercial": st.booleans(),
    }
)
metrics = st.fixed_dictionaries(
    {
        "revenue": st.one_of(
            st.none(),
            st.builds(
                lambda cents, currency: {"amount": str(Decimal(cents) / 100), "currency": currency},
                st.integers(0, 10_000_000),
                st.sampled_from(["USD", "USD", "USD", "EUR"]),
            ),
        ),
        "generations": st.integers(0, 2_000_000),
        "streams": st.integers(0, 1000),
    }
)


# Up to 12 uses of up to 4 shapes: (shape, metrics, attribution weights) each.
_rows = st.lists(
    st.tuples(st.integers(0, 3), metrics, st.lists(st.integers(0, 9), min_size=3, max_size=3)),
    min_size=1,
    max_size=12,
)
_ON_RANDOM_USES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _use(
    base: dict[str, Any], metric: dict[str, Any], weights: list[int], i: int
) -> dict[str, Any]:
    attribution = base["attribution"]
    total = sum(weights[: len(attribution)]) or 1
    use = {**base, "id": f"u{i}", "metrics": {k: v for k, v in metric.items() if v is not None}}
    use["attribution"] = {
        a: str((Decimal(w) / total).quantize(Decimal("0.0001"), rounding="ROUND_DOWN"))
        for a, w in zip(attribution, weights, strict=False)
    }
    return use


@_ON_RANDOM_USES
@given(
    shapes=st.lists(shape, min_size=1, max_size=4),
    rows=_rows,
)
def test_batch_agrees_with_one_use_path_on_every_use(
    loaded: LoadedPolicy, shapes: list[dict[str, Any]], rows: list[Any]
) -> None:
    uses = [_use(shapes[s % len(shapes)], m, w, i) for i, (s, m, w) in enumerate(rows)]
    batch = BatchEvaluator(loaded).decide_many(uses)
    for use, got in zip(uses, batch, strict=True):
        one = _one(loaded, use)
        assert _same(got, one), use
        # The compact form for pipelines: the same answer, or the same refusal.
        try:
            compact = loaded.policy_set.decide_outcome(use)
        except UseError as error:
            assert isinstance(one, UseError) and str(error) == str(one)
        else:
            assert isinstance(one, Decision)
            assert compact == _outcome_from_decision(-1, one)


@_ON_RANDOM_USES
@given(
    shapes=st.lists(shape, min_size=1, max_size=4),
    rows=_rows,
    broken=st.lists(st.integers(0, 11), max_size=2),
    way=st.sampled_from([None, *WAYS]),
)
def test_decide_outcomes_is_decide_outcome_use_by_use(
    loaded: LoadedPolicy,
    shapes: list[dict[str, Any]],
    rows: list[Any],
    broken: list[int],
    way: Way | None,
) -> None:
    """`decide_outcomes` (classes planned once, kept from call to call with the policy
    set) gives every use the outcome of `PolicySet.decide_outcome`, or the error its
    `UseError` says, at its own position — whichever way its chunks go (`way`: forced to
    the classes, or one by one; None: its own choice)."""
    uses = [_use(shapes[s % len(shapes)], m, w, i) for i, (s, m, w) in enumerate(rows)]
    for i in broken:
        if i < len(uses):
            uses[i] = {**uses[i], "date": "2026-02-30"}
    got = decide_outcomes(loaded, uses) if way is None else _decide_outcomes(loaded, uses, way)
    assert len(got) == len(uses)
    for position, (use, outcome) in enumerate(zip(uses, got, strict=True)):
        try:
            want = loaded.policy_set.decide_outcome(use)
        except UseError as error:
            assert outcome.decision == "error" and outcome.error == str(error), use
            assert outcome.position == position
        else:
            assert outcome == want._replace(position=position), use


def test_decide_outcomes_goes_the_faster_way_and_probes_the_other(loaded: LoadedPolicy) -> None:
    """Chunk by chunk, the way that took less time per use; a way not tried yet first;
    the other way probed one chunk in `_PROBE_EVERY` at first, then half as often each
    time it is still the slower (down to one in `_PROBE_MOST`), and as often as at first
    again once it is the faster. Over many chunks both ways are taken and every outcome
    is still `decide_outcome`'s."""
    pace = Pace()
    assert pace.choose() == "classes"
    pace.record("classes", 2.0, 100)
    assert pace.choose() == "one_by_one"
    pace.record("one_by_one", 1.0, 100)
    ways = []
    for _ in range(2000):
        way = pace.choose()
        ways.append(way)
        pace.record(way, 2.0 if way == "classes" else 1.0, 100)
    probes = [i + 2 for i, way in enumerate(ways) if way == "classes"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(probes)]
    assert probes[0] == _PROBE_EVERY - 1  # the chunk at 15, as at first
    doubling = [_PROBE_EVERY * 2**k for k in range(1, 9) if _PROBE_EVERY * 2**k < _PROBE_MOST]
    assert gaps[: len(doubling)] == doubling
    assert set(gaps[len(doubling) :]) == {_PROBE_MOST} and len(gaps) > len(doubling)
    pace.record("classes", 0.0, 100)  # the classes got faster: halfway there at once
    assert pace.seconds["classes"] == pytest.approx(0.01)
    assert pace.choose() == "classes"
    assert pace.probe_every == _PROBE_EVERY  # and the other way probed as often as at first
    ways = []
    for _ in range(_PROBE_EVERY):
        way = pace.choose()
        ways.append(way)
        pace.record(way, 0.01 if way == "classes" else 1.0, 100)
    assert ways.count("one_by_one") == 1

    territories = ["US", "DE", "FR", "CN", "US-TN", "GB"]
    uses = [
        {
            "id": f"u{i}",
            "date": (dt.date(2026, 1, 1) + dt.timedelta(days=i % 700)).isoformat(),
            "licensee": "party:aria-labs",
            "purpose": ("training", "generation", "voice_replica")[i % 3],
            "territory": territories[i % len(territories)],
            "works": ["isrc:USUM71703861"],
            "metrics": {"revenue": {"amount": f"{i % 97}.{i % 10}0", "currency": "USD"}},
        }
        for i in range(3 * _CHUNK + 5)
    ]
    kept = pace_of(loaded.policy_set)
    before = dict(kept.chunks)
    got = decide_outcomes(loaded, uses)
    # At least 3 whole chunks and a part; more when a way is tried or probed (short chunks).
    assert sum(kept.chunks.values()) - sum(before.values()) >= 4
    for position, (use, outcome) in enumerate(zip(uses, got, strict=True)):
        want = loaded.policy_set.decide_outcome(use)
        assert outcome == want._replace(position=position), use


@pytest.mark.parametrize("way", [None, *WAYS])
def test_decide_outcomes_reads_chunk_by_chunk_through_chunks_of_invalid_uses(
    loaded: LoadedPolicy, way: Way | None
) -> None:
    """Uses are read a chunk at a time: a run of invalid uses longer than a chunk, at the
    start, in the middle and at the end, leaves every outcome at its own position."""
    valid = {
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "US",
        "works": ["isrc:USUM71703861"],
    }
    invalid = {**valid, "date": "2026-02-30"}
    uses = [invalid] * (_CHUNK + 3) + [valid] * 5 + [invalid] * (_CHUNK + 1) + [valid] + [invalid]
    got = decide_outcomes(loaded, uses) if way is None else _decide_outcomes(loaded, uses, way)
    assert [o.position for o in got] == list(range(len(uses)))
    want = loaded.policy_set.decide_outcome(valid)
    for use, outcome in zip(uses, got, strict=True):
        if use is invalid:
            assert outcome.decision == "error" and "/date" in (outcome.error or "")
        else:
            assert outcome == want._replace(position=outcome.position)
    assert decide_outcomes(loaded, []) == []


def test_columns_and_tally_agree_with_one_use_path(loaded: LoadedPolicy) -> None:
    shapes = [
        parse_use(
            {
                "date": "2026-09-01",
                "licensee": "party:aria-labs",
                "purpose": purpose,
                "territory": territory,
                "works": ["isrc:USUM71703861"],
                "attribution": {"isni:0000000121032683": "0.6", "isni:0000000368570205": "0.4"},
            }
        )
        for purpose in ("generation", "training", "voice_replica")
        for territory in ("US", "DE", "CN")
    ]
    n = 400
    columns = UseColumns(
        shapes=shapes,
        shape=[i % len(shapes) for i in range(n)],
        revenue=[None if i % 7 == 0 else Decimal(i * 37 % 1000) / 4 for i in range(n)],
        generations=[i * 991 % 300_000 for i in range(n)],
        streams=[0] * n,
    )
    evaluator = BatchEvaluator(loaded)
    outcomes = list(evaluator.evaluate(columns))
    totals: Counter[str] = Counter()
    for i, outcome in enumerate(outcomes):
        expected = _one(loaded, columns.at(i))
        assert isinstance(expected, Decision)
        assert outcome.decision == expected.decision
        assert [p[:2] for p in outcome.payments] == [(p.payee, p.amount) for p in expected.payments]
        for p in expected.payments:
            totals[p.payee] += p.amount  # type: ignore[assignment]
    assert evaluator.stats["structures"] <= len(shapes)
    tallied: Counter[str] = Counter()
    for outcome, _, count in BatchEvaluator(loaded).tally(columns):
        for payee, amount, _, _ in outcome.payments:
            tallied[payee] += amount * count  # type: ignore[assignment]
    assert tallied == totals


def test_grouping_is_proved_safe_for_the_shipped_policies(loaded: LoadedPolicy) -> None:
    analysis = analyse(loaded.checked)
    assert analysis.groups_without_metrics


def test_a_condition_on_revenue_groups_with_metrics(tmp_path: Path) -> None:
    clause = tmp_path / "c.clause"
    clause.write_text(
        'contract "big" "Pays more on big revenue"\n'
        "  licensor party:example-label\n"
        "  licensee party:aria-labs\n"
        "  effective 2026-01-01 for 3 years\n"
        "  territory worldwide\n"
        "  scope all works\n"
        "  clause 1\n"
        "    permit generation\n"
        "  clause 2\n"
        "    when use.revenue > 100 USD\n"
        "    pay 10% * use.revenue to party:example-label\n",
        encoding="utf-8",
    )
    loaded = load_files([clause])
    evaluator = BatchEvaluator(loaded)
    assert not evaluator.analysis.groups_without_metrics
    uses = [
        {
            "date": "2026-09-01",
            "licensee": "party:aria-labs",
            "purpose": "generation",
            "territory": "US",
            "metrics": {"revenue": {"amount": str(amount), "currency": "USD"}},
        }
        for amount in (50, 150, 50, 500)
    ]
    for use, got in zip(uses, evaluator.decide_many(uses), strict=True):
        assert _same(got, _one(loaded, use))


# ----------------------------------------------------------------- classes of shapes
# The columns path groups shapes whose works and artists the policy cannot tell apart
# (same frame, same catalogue facts read, same consents that could count). A catalogue of
# "twins" (artists and works that differ only by their ids) makes that grouping happen;
# every use is still checked against the one-use path.

_RESIDENCES = ["US", "US", "US", "US-TN", "US-TN", "DE"]
_PURPOSES = ["training", "generation", "voice_replica", "any"]
_FORMALITIES = ["in_writing", "signed", "with_counsel", "specific_description"]
_DATES = [
    "2026-09-01",
    "2026-09-30",
    "2026-10-01",
    "2026-12-31",
    "2027-01-01",
    "2027-06-15",
    "2027-12-31",
    "2028-01-01",
    "2030-02-01",
    "2030-02-02",
    "2030-02-28",
    "2030-03-01",
    "2030-05-31",
    "2030-06-01",
]


def _grant(rng: random.Random) -> dict[str, Any]:
    return {
        "grantee": rng.choice(["any", "any", "any", "party:aria-labs", "party:tessitura-ai"]),
        "purposes": rng.sample(_PURPOSES, 2),
        "territories": rng.choice([["worldwide"], ["worldwide"], ["US"], ["EU"], ["GB"]]),
        "valid_from": rng.choice(["2025-06-01", "2025-06-01", "2026-10-01"]),
        "formalities": (["in_writing", "signed"] if rng.random() < 0.85 else [])
        + rng.sample(_FORMALITIES, rng.randint(0, 2)),
        "revoked": rng.choice([None, None, "2027-01-01"]),
        "by_estate": rng.random() < 0.5,
    }


def _artist_profile(rng: random.Random) -> dict[str, Any]:
    return {
        "residence": rng.choice(_RESIDENCES),
        "born": rng.choice([None, None, None, dt.date(1970, 5, 5), dt.date(2012, 3, 1)]),
        "died": rng.choice([None, None, None, None, dt.date(2020, 2, 2)]),
        "grants": [_grant(rng) for _ in range(rng.choice([0, 1, 1, 2]))],
    }


def _near(rng: random.Random, profile: dict[str, Any]) -> dict[str, Any]:
    """The same profile with one thing changed (what a class must not overlook)."""
    other = {**profile, "grants": [dict(g) for g in profile["grants"]]}
    if other["grants"] and rng.random() < 0.6:
        grant = rng.choice(other["grants"])
        key = rng.choice(sorted(grant))
        grant[key] = _grant(rng)[key]
    else:
        key = rng.choice(["residence", "born", "died", "grants"])
        other[key] = _artist_profile(rng)[key]
    return other


def _twins_catalogue(rng: random.Random) -> tuple[DataSet, list[str], list[str]]:
    """Artist profiles and near variants of them (one thing changed), each profile twice:
    twins differ only by their ids (and the ids of their grants); works alike."""
    parties: dict[str, Party] = {
        p: Party(id=p, kind="label", name=p)
        for p in ("party:example-label", "party:indie-label", "party:aria-labs")
    }
    grants: dict[str, ConsentGrant] = {}
    revocations: list[Revocation] = []
    artists: list[str] = []
    profiles: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 2)):
        base = _artist_profile(rng)
        profiles += [base] + [_near(rng, base) for _ in range(rng.randint(1, 2))]
    for i, profile in enumerate(profiles):
        died = profile["died"]
        for twin in (0, 1):
            artist = f"party:artist-{i}-{twin}"
            artists.append(artist)
            parties[artist] = Party(
                id=artist,
                kind="artist",
                name=f"Artist {i}",
                residence=profile["residence"],
                birth_date=profile["born"],
                death_date=died,
            )
            for k, grant in enumerate(profile["grants"]):
                grantor = artist
                if grant["by_estate"] and died:
                    grantor = f"party:estate-{i}-{twin}"
                    parties[grantor] = Party(
                        id=grantor, kind="estate", name="Estate", estate_of=artist
                    )
                gid = f"g-{i}-{twin}-{k}"
                grants[gid] = ConsentGrant.model_validate(
                    {
                        "id": gid,
                        "grantor": grantor,
                        "on_behalf_of": artist if grantor != artist else None,
                        "grantee": grant["grantee"],
                        "purposes": grant["purposes"],
                        "territories": grant["territories"],
                        "valid_from": grant["valid_from"],
                        "formalities": grant["formalities"],
                    }
                )
                if grant["revoked"]:
                    revocations.append(Revocation(grant=gid, date=grant["revoked"]))
    catalogue: dict[str, Work] = {}
    ids: list[str] = []
    works: list[dict[str, Any]] = []
    holders = ["party:example-label", "party:example-label", "party:indie-label"]
    for i in range(len(profiles)):  # a solo work of every profile, and a work of two
        works.append({"holder": rng.choice(holders), "tdm": rng.random() < 0.3, "performers": [i]})
    works.append({**works[-1], "performers": rng.sample(range(len(profiles)), 2)})
    for _ in range(2):  # near variants: another rights holder, or reserved TDM
        base = rng.choice(works)
        key = rng.choice(["holder", "tdm"])
        works.append({**base, key: not base["tdm"] if key == "tdm" else "party:indie-label"})
    for j, work in enumerate(works):
        for twin in (0, 1):
            wid = f"isrc:QZTWN26{j:03d}{twin:02d}"
            ids.append(wid)
            people = [artists[p * 2 + twin] for p in work["performers"]]
            catalogue[wid] = Work(
                id=wid,
                title=wid,
                performers=[Performer(artist=a) for a in people],
                rights_holder=work["holder"],
                tdm_reserved=work["tdm"],
            )
    return DataSet(parties, catalogue, grants, tuple(revocations), ()), artists, ids


# 20 seeds: each draws a whole catalogue of twins and checks about 2,000 uses of it against
# the one-use path (40 took about 36 s, the slowest test of the suite).
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1))
def test_columns_group_interchangeable_shapes_and_agree_with_one_use_path(seed: int) -> None:
    rng = random.Random(seed)
    dataset, artists, work_ids = _twins_catalogue(rng)
    loaded = load_files(
        [POLICIES / "contracts", POLICIES / "jurisdictions"],
        catalogue=dataset,
        catalogue_label="<twins>",
        assume=["us-nofakes-2026:enacted=2026-01-01"] if rng.random() < 0.5 else [],
    )
    frames = [
        {
            "date": date,
            "licensee": licensee,
            "purpose": purpose,
            "territory": territory,
            "output": rng.choice(
                [
                    {"synthetic_audio": True, "public": True, "labelled_ai": True},
                    {"synthetic_audio": True, "digital_replica": True, "public": True},
                ]
            ),
            "context": rng.choice([[], [], ["parody"]]),
        }
        for licensee in ("party:aria-labs", "party:tessitura-ai")
        for purpose in ("training", "generation", "voice_replica")
        for territory in rng.sample(
            ["US", "US-TN", "US-CA", "US-NY", "DE", "FR", "DK", "GB", "JP", "CN"], 3
        )
        for date in _DATES[rng.randrange(len(_DATES) - 1) :][:2]  # neighbouring dates
    ]

    def twin(item: str) -> str:
        return item[:-1] + ("1" if item[-1] == "0" else "0")

    def shape(base: dict[str, Any], works: list[str], named: list[str]) -> Use:
        performers = [a for w in works for a in dataset.performers_of(w)]
        people = list(dict.fromkeys(performers + named))
        weights = {a: str(Decimal(1) / (len(people) + 1))[:6] for a in people}
        return parse_use({**base, "works": works, "artists": named, "attribution": weights})

    shapes: list[Use] = []
    for base in frames:  # every work and every artist alone, and a few pairs with their twins
        shapes += [shape(base, [w], []) for w in work_ids]
        shapes += [shape(base, [], [a]) for a in artists]
        for _ in range(3):
            works = rng.sample(work_ids, min(len(work_ids), 2))
            named = rng.sample(artists, rng.choice([0, 1]))
            shapes.append(shape(base, works, named))
            shapes.append(shape(base, [twin(w) for w in works], [twin(a) for a in named]))
    n = 2 * len(shapes)
    columns = UseColumns(
        shapes=shapes,
        shape=[i % len(shapes) for i in range(n)],
        revenue=[None if i % 5 == 0 else Decimal(i * 3737 % 100_000) / 100 for i in range(n)],
        generations=[i * 7919 % 50_000 for i in range(n)],
        streams=[i % 3 for i in range(n)],
    )
    evaluator = BatchEvaluator(loaded)
    for i, outcome in enumerate(evaluator.evaluate(columns)):
        expected = _one(loaded, columns.at(i))
        if isinstance(expected, UseError):
            assert outcome.decision == "error" and outcome.error == str(expected)
            continue
        assert outcome.decision == expected.decision, (i, columns.at(i))
        assert outcome.payments == tuple(
            (p.payee, p.amount, p.currency, p.rule) for p in expected.payments
        )
        assert outcome.totals == tuple((t.currency, t.amount) for t in expected.totals)
        if expected.decision == "deny":
            denial = dict.fromkeys(
                (r.effect, r.rule)
                for r in expected.reasons
                if r.effect in ("deny", "consent-missing", "no-licence")
            )
            assert outcome.denial == tuple(denial)
    # Twins, at least, decide alike: unless every artist's consent is given by someone else
    # (an estate), whose id the batch core keeps in a signature (`_grant_rest`: a grant by
    # another party is never abstracted, which only costs grouping, never a decision).
    self_given = any(
        all(g.grantor == a for g in dataset.grants.values() if g.artist == a) for a in artists
    )
    if self_given:
        assert evaluator.stats["classes"] < len(shapes)


def _analysis_of(tmp_path: Path, body: str) -> Any:
    clause = tmp_path / "c.clause"
    clause.write_text(
        'contract "c" "A contract"\n'
        "  licensor party:example-label\n"
        "  licensee party:aria-labs\n"
        "  effective 2026-01-01 for 3 years\n"
        "  territory worldwide\n"
        "  scope all works\n"
        "  clause 1\n"
        "    permit generation\n" + body,
        encoding="utf-8",
    )
    return analyse(load_files([clause]).checked)


def test_what_the_analysis_proves(tmp_path: Path) -> None:
    shipped = analyse(load_files([POLICIES], data=POLICIES / "data").checked)
    assert shipped.abstraction is not None and shipped.date_terms is not None
    assert shipped.territory_tests is not None
    assert "residence" not in shipped.abstraction.party_fields  # only `in US-TN`, `in US-NY`
    # A count per unit in a condition reads the metrics.
    per_unit = _analysis_of(
        tmp_path, "  clause 2\n    when 1 USD per generation > 5 USD\n    deny\n"
    )
    assert per_unit.metrics_in_conditions
    # The id of the artist in hand: artists are told apart by their ids.
    named = _analysis_of(
        tmp_path,
        "  clause 2\n    when any(artist in use.artists where artist is party:someone)\n    deny\n",
    )
    assert named.abstraction is None
    # An age changes every year: dates are not grouped.
    aged = _analysis_of(
        tmp_path,
        "  clause 2\n    when any(artist in use.artists where artist.age > 30)\n    deny\n",
    )
    assert aged.date_terms is None and aged.abstraction is not None
    # The residence read as a value, not only tested against territories.
    raw = _analysis_of(
        tmp_path,
        "  clause 2\n    when any(artist in use.artists where artist.residence is use.territory)\n"
        "    deny\n",
    )
    assert raw.abstraction is not None and "residence" in raw.abstraction.party_fields
    assert raw.territory_tests is None


def test_uses_whose_payments_raise_take_the_one_use_path(tmp_path: Path) -> None:
    clause = tmp_path / "c.clause"
    clause.write_text(
        'contract "per-output" "Pays per output"\n'
        "  licensor party:example-label\n"
        "  licensee party:aria-labs\n"
        "  effective 2026-01-01 for 3 years\n"
        "  territory worldwide\n"
        "  scope all works\n"
        "  clause 1\n"
        "    permit generation\n"
        "  clause 2\n"
        "    pay 30% * use.revenue * 100 / use.generations to party:example-label\n",
        encoding="utf-8",
    )
    loaded = load_files([clause])
    shapes = [
        parse_use(
            {
                "date": date,
                "licensee": "party:aria-labs",
                "purpose": "generation",
                "territory": territory,
            }
        )
        for date in ("2026-03-01", "2027-03-01")
        for territory in ("US", "FR")
    ]
    n = 40
    for currency in ("USD", "EUR"):
        columns = UseColumns(
            shapes=shapes,
            shape=[i % len(shapes) for i in range(n)],
            revenue=[None if i % 9 == 0 else Decimal(i * 13) / 4 for i in range(n)],
            generations=[0 if i < 6 or i % 7 == 0 else i * 17 for i in range(n)],
            streams=[0] * n,
            currency=currency,
        )
        evaluator = BatchEvaluator(loaded)
        for i, outcome in enumerate(evaluator.evaluate(columns)):
            expected = _one(loaded, columns.at(i))
            if isinstance(expected, UseError):
                assert outcome.decision == "error" and outcome.error == str(expected)
            else:
                assert outcome.decision == expected.decision
                assert outcome.payments == tuple(
                    (p.payee, p.amount, p.currency, p.rule) for p in expected.payments
                )
        assert evaluator.stats["one_use"] > 0


# ------------------------------------------------------------------ dates relative to the artist

_DATED_CONTRACT = """\
contract "dated-opt-in" "Opt-in with a cap and terms for minors"
  licensor party:example-label
  licensee party:aria-labs
  effective 2020-01-01
  territory worldwide except RU
  scope all works

  clause 1 "Purposes"
    permit training, generation

  clause 2 "Consent of each artist, for at most two years; a minor's in writing"
    require consent of each artist in use.artists for use.purpose for at most 2 years, if minor in writing for at most 1 years

  clause 3 "12% of revenue, at least 0.50 USD"
    pay max(12% * use.revenue, 0.50 USD) to each artist in use.artists
"""


def _dated_profile(rng: random.Random) -> dict[str, Any]:
    """An artist's dates around an anchor day: born about 18 years before it or not, dead
    about then or not, and grants starting, ending, signed and revoked about then."""
    anchor = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))

    def near() -> dt.date:
        return anchor + dt.timedelta(days=rng.choice([-400, -1, 0, 1, 2, 30]))

    born = None
    if rng.random() < 0.4:
        born = anchor.replace(year=anchor.year - 18, day=min(anchor.day, 28))
        born += dt.timedelta(days=rng.choice([-1, 0, 1]))
    grants = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        start = near()
        grants.append(
            {
                "purposes": rng.sample(["training", "generation", "voice_replica"], 2),
                "territories": rng.choice([["worldwide"], ["US"], ["EU"]]),
                "valid_from": start,
                "valid_until": rng.choice([None, start + dt.timedelta(days=rng.randrange(800))]),
                "signed_on": rng.choice([None, start - dt.timedelta(days=rng.randrange(3))]),
                "formalities": ["in_writing"] if rng.random() < 0.5 else [],
                "revoked": rng.choice([None, None, near()]),
            }
        )
    return {
        "anchor": anchor,
        "born": born,
        "died": rng.choice([None, None, None, near()]),
        "grants": grants,
    }


def _shifted(day: dt.date | None, days: int) -> dt.date | None:
    return None if day is None else day + dt.timedelta(days=days)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_artists_dated_alike_share_classes_and_agree_with_one_use_path(
    seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The core tells an artist's consent dates only by where the use's date falls among
    them (`BatchEvaluator._artist_days`): artists whose every date is another's moved by
    the same number of days, used that many days later, share a class — and every use,
    on and beside every date of the data, decides as `PolicySet.decide`, through the
    batch core and through the array path of `decide_table`."""
    from clausula.table import TableDecider, result_schema, table_of_uses

    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("dated")
    (root / "c.clause").write_text(_DATED_CONTRACT, encoding="utf-8")
    parties: dict[str, Party] = {
        p: Party(id=p, kind="label", name=p) for p in ("party:example-label", "party:aria-labs")
    }
    grants: dict[str, ConsentGrant] = {}
    revocations: list[Revocation] = []
    works: dict[str, Work] = {}
    people: list[tuple[str, str, dt.date]] = []  # (artist, work, anchor) of each copy
    for i in range(6):
        profile = _dated_profile(rng)
        for copy, move in enumerate((0, rng.randint(1, 300))):
            artist = f"party:artist-{i}-{copy}"
            parties[artist] = Party(
                id=artist,
                kind="artist",
                name=artist,
                birth_date=_shifted(profile["born"], move),
                death_date=_shifted(profile["died"], move),
            )
            for k, grant in enumerate(profile["grants"]):
                gid = f"g-{i}-{copy}-{k}"
                grants[gid] = ConsentGrant(
                    id=gid,
                    grantor=artist,
                    grantee="any",
                    purposes=grant["purposes"],
                    territories=grant["territories"],
                    valid_from=_shifted(grant["valid_from"], move),
                    valid_until=_shifted(grant["valid_until"], move),
                    signed_on=_shifted(grant["signed_on"], move),
                    formalities=frozenset(grant["formalities"]),
                )
                if grant["revoked"] is not None:
                    revocations.append(Revocation(grant=gid, date=_shifted(grant["revoked"], move)))
            work = f"isrc:QZDAT26{i:03d}{copy:02d}"
            works[work] = Work(
                id=work,
                title=work,
                performers=[Performer(artist=artist)],
                rights_holder="party:example-label",
            )
            people.append((artist, work, _shifted(profile["anchor"], move) or profile["anchor"]))
    dataset = DataSet(parties, works, grants, tuple(revocations), ())
    loaded = load_files([root / "c.clause"], catalogue=dataset, catalogue_label="<dated>")
    evaluator = BatchEvaluator(loaded)
    # Every day of the data, and the day before and after, for every artist.
    days = sorted(
        {
            d + dt.timedelta(days=k)
            for a, _, _ in people
            for d in (evaluator._artist_days(a) or ((),))[0]
            for k in (-1, 0, 1)
        }
    )
    uses: list[dict[str, Any]] = []
    pairs: list[tuple[int, int]] = []
    for j, (artist, work, anchor) in enumerate(people):
        mine = [anchor + dt.timedelta(days=k) for k in (-2, 0, 1, 45)] + rng.sample(days, 4)
        for day in mine:
            for purpose in ("training", "generation"):
                territory = rng.choice(["US", "US", "DE", "RU"])
                use = {
                    "id": f"u{len(uses)}",
                    "date": day.isoformat(),
                    "licensee": "party:aria-labs",
                    "purpose": purpose,
                    "territory": territory,
                    "works": [work],
                    "artists": [artist],
                    "metrics": {
                        "revenue": {"amount": f"{rng.randrange(1, 900)}.25", "currency": "USD"}
                    },
                }
                if j % 2 == 1 and day in mine[:4]:  # the moved copy, as its twin was used
                    twin_day = people[j - 1][2] + (day - anchor)
                    uses.append(
                        {
                            **use,
                            "id": f"u{len(uses)}",
                            "date": twin_day.isoformat(),
                            "works": [people[j - 1][1]],
                            "artists": [people[j - 1][0]],
                        }
                    )
                    pairs.append((len(uses) - 1, len(uses)))
                uses.append(use)
    shapes = [parse_use(u) for u in uses]
    columns = UseColumns(
        shapes=shapes,
        shape=list(range(len(shapes))),
        revenue=[s.metrics.revenue.amount if s.metrics.revenue else None for s in shapes],
        generations=[0] * len(shapes),
        streams=[0] * len(shapes),
    )
    expected = [_one(loaded, u) for u in uses]
    for use, outcome, want in zip(uses, evaluator.evaluate(columns), expected, strict=True):
        assert isinstance(want, Decision), use
        assert outcome.decision == want.decision, use
        assert outcome.payments == tuple(
            (p.payee, p.amount, p.currency, p.rule) for p in want.payments
        ), use
    alike = sum(
        evaluator.class_of_shape(a)[0] is evaluator.class_of_shape(b)[0]  # type: ignore[index]
        for a, b in pairs
    )
    assert alike * 2 >= len(pairs)  # moved copies share their twins' classes (Feb 29 aside)
    decider = TableDecider(loaded)
    got = pa.Table.from_batches(
        [decider.decide(b) for b in table_of_uses(uses).to_batches(max_chunksize=17)],
        schema=result_schema(),
    ).to_pylist()
    for row, want in zip(got, expected, strict=True):
        assert isinstance(want, Decision)
        assert row["decision"] == want.decision, row
        assert [(p["payee"], p["amount"]) for p in row["payments"]] == [
            (p.payee, p.amount) for p in want.payments
        ], row
    assert decider.stats["by_arrays"] == len(uses)
