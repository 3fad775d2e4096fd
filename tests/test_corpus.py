"""The shared corpus: every case through every path that decides a use, byte for byte.

Each case of `tests/corpus/cases/` (see `tests/corpus/README.md`) holds a policy set, data,
one use and the decision JSON the engine gave for it once, reviewed by its author. Every
path must give exactly those bytes — decision, payments and their rounding, reasons in
order, obligations, policy version:

- `PolicySet.decide` and `PolicySet.decide_many` (the use among others), and
  `PolicySet.decide_outcome` (the compact form, against what the expected decision says);
- the batch evaluator (`clausula.batch.BatchEvaluator`, after a sibling of the use whose
  structure it caches);
- `clausula filter` (`filter_manifest`: CSV columns, compared with what the expected
  decision says they must hold);
- the HTTP service (`POST /v1/decide`, and `/v1/decide/batch` as a JSON array and as
  JSON Lines);
- `clausula eval --json`;
- `clausula.decide_table` (a table of the case's use and its sibling: the columns of
  `result_schema()` compared with what the expected decision says they must hold).

- the simulator's path: uses as columns (`UseColumns`), decided by
  `BatchEvaluator.evaluate` and `tally` through the batch classes into the compact
  `Outcome` a simulation adds up (decision, rounded payments, totals, denying rules).

A disagreement between paths is never fixed by rewriting the expected file: it is listed
in `DISAGREEMENTS` as a strict xfail naming the case and the path, until the engine is
fixed. The expected files are written only by `tests/corpus/new_case.py`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus.casefile import Case, all_cases
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import clausula
from clausula import UseError
from clausula.batch import BatchEvaluator, LoadedPolicy, UseColumns, load_files
from clausula.cli import app as cli_app
from clausula.manifest import OUTPUT_COLUMNS, filter_manifest
from clausula.models import Decision
from clausula.plan_memo import PlanMemo, figures_key
from clausula.pricing import outcome_of_decision as _outcome_from_decision
from clausula.pricing import price
from clausula.reload import LivePolicies
from clausula.service import create_app
from clausula.use_input import parse_use

CASES = all_cases()
PATHS = (
    "decide",
    "decide_many",
    "decide_outcome",
    "batch",
    "batch_load_files",
    "simulate",
    "filter",
    "service",
    "service_batch",
    "eval",
    "table",
)

# (case, path) → what the path gets wrong. Each is a strict xfail: when the engine is
# fixed, the test passes, fails as an unexpected pass, and the entry must go.
DISAGREEMENTS: dict[tuple[str, str], str] = {}


def _params(path: str) -> list[Any]:
    assert path in PATHS
    params = []
    for case in CASES:
        why = DISAGREEMENTS.get((case.name, path))
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


# ------------------------------------------------------------------ loading, once per set

Key = tuple[Path, Path, tuple[str, ...]]


def _key(case: Case) -> Key:
    return (case.policies, case.data, case.assume)


@cache
def _policy(key: Key) -> clausula.PolicySet:
    policies, data, assume = key
    return clausula.load(policies, data=data, assume=assume)


@cache
def _loaded(key: Key) -> LoadedPolicy:
    policies, data, assume = key
    return load_files([policies], data=data, assume=assume, display_root=policies.parent)


@cache
def _app(key: Key) -> Any:
    policies, data, assume = key
    live = LivePolicies(policies=policies, data=data, assume=assume)
    assert live.reload(force=True)
    return create_app(live)


def _post(key: Key, path: str, **kwargs: Any) -> httpx.Response:
    """POST to the service's ASGI app, in process, as a client would."""

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(key))
        async with httpx.AsyncClient(transport=transport, base_url="http://clausula") as client:
            return await client.post(path, **kwargs)

    return asyncio.run(post())


def _others(case: Case) -> list[dict[str, Any]]:
    """A few other uses to decide with the case's: a sibling that differs only by its id
    (so that a batch caches the structure on it and prices the case's use from the cache),
    and the use of the next case of the corpus, which may or may not be valid here."""
    position = CASES.index(case)
    following = CASES[(position + 1) % len(CASES)].use
    return [{**case.use, "id": "sibling-of-" + case.name}, following]


def _one(policy: clausula.PolicySet, use: Any) -> str:
    try:
        return policy.decide(use).to_json()
    except UseError as error:
        return f"UseError: {error}"


def _text(result: Decision | UseError) -> str:
    return f"UseError: {result}" if isinstance(result, UseError) else result.to_json()


# ------------------------------------------------------------------ the corpus itself


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_is_complete_and_reviewed(case: Case) -> None:
    text = case.expected_path.read_text(encoding="utf-8")
    assert text.endswith("\n") and text.count("\n") == 1, "one line of JSON and a newline"
    expected = json.loads(text)
    assert expected["id"] == case.use.get("id")
    assert case.review.strip() != "TODO", "review the expected decision and say why it is right"
    assert case.policies.is_dir() and case.data.is_dir()


def test_corpus_covers_every_outcome() -> None:
    outcomes = {json.loads(c.expected())["decision"] for c in CASES}
    assert outcomes == {"allow", "deny", "pay"}
    assert len(CASES) >= 20


# ------------------------------------------------------------------ the paths


@pytest.mark.parametrize("case", _params("decide"))
def test_decide(case: Case) -> None:
    assert _policy(_key(case)).decide(case.use).to_json() == case.expected()


@pytest.mark.parametrize("case", _params("decide_many"))
def test_decide_many(case: Case) -> None:
    policy = _policy(_key(case))
    sibling, following = _others(case)
    uses = [sibling, case.use, following]
    valid = [u for u in uses if not _one(policy, u).startswith("UseError")]
    decisions = policy.decide_many(valid)
    assert [d.to_json() for d in decisions] == [_one(policy, u) for u in valid]
    assert decisions[valid.index(case.use)].to_json() == case.expected()


@pytest.mark.parametrize("case", _params("decide_outcome"))
def test_decide_outcome(case: Case) -> None:
    """The compact form for pipelines: the same decision, payments, totals and denying
    rules as the expected decision (or the same refusal)."""
    policy = _policy(_key(case))
    expected = case.expected()
    try:
        outcome = policy.decide_outcome(case.use)
    except UseError as error:
        assert f"UseError: {error}" == expected
        return
    assert outcome == _outcome_from_decision(-1, Decision.model_validate_json(expected))


@pytest.mark.parametrize("case", _params("batch"))
def test_batch_evaluator(case: Case) -> None:
    """The batch evaluator with the checked text it analyses, over the very policy set
    `clausula.load` gives (see `test_batch_loader` for the batch path's own loader)."""
    key = _key(case)
    policy = _policy(key)
    loaded = LoadedPolicy(policy, _loaded(key).checked)
    sibling, following = _others(case)
    # The sibling is planned; the case's use is priced from its plan (a set of its own,
    # so that its plan memo starts empty).
    fresh = clausula.PolicySet(policy.compiled, policy._records, policy.data, policy.checked)
    first = BatchEvaluator(LoadedPolicy(fresh, loaded.checked)).decide_many([sibling, case.use])
    assert _text(first[1]) == case.expected()
    memo = fresh._plans
    assert isinstance(memo, PlanMemo) and len(memo._plans) == (
        0 if _text(first[0]).startswith("UseError") else 1
    )
    # Among other uses, and twice.
    results = BatchEvaluator(loaded).decide_many([following, case.use, sibling, case.use])
    assert _text(results[1]) == _text(results[3]) == case.expected()
    assert [_text(results[0]), _text(results[2])] == [
        _one(policy, following),
        _one(policy, sibling),
    ]


@pytest.mark.parametrize("case", _params("batch_load_files"))
def test_batch_loader(case: Case) -> None:
    """The batch path as the simulator and `clausula diff` load it: `load_files`."""
    evaluator = BatchEvaluator(_loaded(_key(case)))
    assert _text(evaluator.decide_many([case.use])[0]) == case.expected()


# The reasons that say why a use is denied (docs/filter.md: "a missing consent, no
# licence, a deny rule"), written here from the docs rather than taken from the engine.
_DENYING = ("deny", "consent-missing", "no-licence")


def _filter_row(expected: dict[str, Any]) -> dict[str, str]:
    """The five columns `clausula filter` writes for a decision, as docs/filter.md says:
    for a deny, the first reason whose effect denies; otherwise the permit; the totals and
    each payment."""
    if expected["decision"] == "deny":
        reason = next(
            (r for r in expected["reasons"] if r["effect"] in _DENYING),
            expected["reasons"][0],
        )
        return {
            "decision": "deny",
            "reason": reason["message"],
            "rule": reason["rule"],
            "owed": "",
            "payments": "",
        }
    permit = next(r for r in expected["reasons"] if r["effect"] == "permit")
    return {
        "decision": expected["decision"],
        "reason": permit["message"],
        "rule": permit["rule"],
        "owed": "; ".join(f"{t['amount']} {t['currency']}" for t in expected["totals"]),
        "payments": "; ".join(
            f"{p['payee']} {p['amount']} {p['currency']}" for p in expected["payments"]
        ),
    }


@pytest.mark.parametrize("case", _params("filter"))
def test_filter(case: Case) -> None:
    template = {k: v for k, v in case.use.items() if k not in ("id", "works")}
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["works", "path"])
    writer.writerow([";".join(case.use.get("works", [])), "corpus/row-1.flac"])
    out = io.StringIO()
    summary = filter_manifest(_policy(_key(case)), io.StringIO(manifest.getvalue()), template, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 1 and summary.rows == 1
    got = {name: rows[0][name] for name in OUTPUT_COLUMNS}
    assert got == _filter_row(json.loads(case.expected()))
    assert summary.policy_version == json.loads(case.expected())["policy"]["version"]


def _table_row(expected: dict[str, Any]) -> dict[str, Any]:
    """The row `decide_table` gives for a decision: its payments and totals (exact
    amounts), and for a deny the rule and source of the first denying reason."""
    from decimal import Decimal

    first = next((r for r in expected["reasons"] if r["effect"] in _DENYING), None)
    denied = expected["decision"] == "deny" and first is not None
    return {
        "id": expected["id"],
        "decision": expected["decision"],
        "payments": [
            {
                "payee": p["payee"],
                "amount": Decimal(p["amount"]),
                "currency": p["currency"],
                "rule": p["rule"],
            }
            for p in expected["payments"]
        ],
        "totals": [
            {"amount": Decimal(t["amount"]), "currency": t["currency"]} for t in expected["totals"]
        ],
        "reason_rule": first["rule"] if denied and first else None,
        "reason_source": first["source"] if denied and first else None,
        "error": None,
        "policy_version": expected["policy"]["version"],
    }


@pytest.mark.parametrize("case", _params("table"))
def test_decide_table(case: Case) -> None:
    from clausula.table import decide_table, table_of_uses

    key = _key(case)
    loaded = LoadedPolicy(_policy(key), _loaded(key).checked)
    sibling = _others(case)[0]
    rows = decide_table(loaded, table_of_uses([sibling, case.use])).to_pylist()
    expected = json.loads(case.expected())
    assert rows[1] == _table_row(expected)
    assert rows[0] == {**_table_row(expected), "id": sibling["id"]}


@pytest.mark.parametrize("case", _params("service"))
def test_service_decide(case: Case) -> None:
    answer = _post(_key(case), "/v1/decide", json=case.use)
    assert answer.status_code == 200, answer.text
    assert answer.text == case.expected()


@pytest.mark.parametrize("case", _params("service_batch"))
def test_service_decide_batch(case: Case) -> None:
    key = _key(case)
    sibling = _others(case)[0]
    before = _one(_policy(key), sibling)
    array = _post(key, "/v1/decide/batch", json=[sibling, case.use])
    assert array.status_code == 200, array.text
    assert array.text == f"[{before},{case.expected()}]"
    body = "".join(json.dumps(u) + "\n" for u in (sibling, case.use))
    lines = _post(
        key, "/v1/decide/batch", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert lines.status_code == 200, lines.text
    assert lines.text == f"{before}\n{case.expected()}\n"


@pytest.mark.parametrize("case", _params("eval"))
def test_eval_json(case: Case, tmp_path: Path) -> None:
    use = tmp_path / "use.json"
    use.write_text(json.dumps(case.use), encoding="utf-8")
    args = ["eval", str(use), "--json", "--policies", str(case.policies), "--data", str(case.data)]
    for name in case.assume:
        args += ["--assume", name]
    runner = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"})
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == case.expected() + "\n"


@pytest.mark.parametrize("case", _params("simulate"))
def test_simulate_columns(case: Case) -> None:
    """The simulator's own path: its uses are columns (a shape and its figures), decided by
    `BatchEvaluator.evaluate`/`tally` through the batch classes (a plan per class, each use
    priced from it) into the compact `Outcome` a simulation adds up. A one-use "scenario":
    the case's use and a copy of it under another id, as the simulator would draw them."""
    key = _key(case)
    expected = case.expected()
    try:
        use = clausula.parse_use(case.use)
    except UseError as error:  # never drawn by a simulation: the same refusal as `decide`
        assert f"UseError: {error}" == expected
        return
    revenue = use.metrics.revenue
    columns = UseColumns(
        shapes=[use, use.model_copy(update={"id": "sibling"})],
        shape=[0, 1, 0],
        revenue=[revenue.amount if revenue else None] * 3,
        generations=[use.metrics.generations] * 3,
        streams=[use.metrics.streams] * 3,
        currency=revenue.currency if revenue else "USD",
    )
    evaluator = BatchEvaluator(_loaded(key))
    outcomes = [o._replace(position=-1) for o in evaluator.evaluate(columns)]
    tallied = evaluator.tally(columns)
    if expected.startswith("UseError: "):
        assert {(o.decision, o.error) for o in outcomes} == {
            ("error", expected.removeprefix("UseError: "))
        }
        return
    want = _outcome_from_decision(-1, Decision.model_validate_json(expected))
    assert outcomes == [want] * 3
    assert [(o._replace(position=-1), n) for o, _, n in tallied] == [(want, 2), (want, 1)]


def test_new_case_writes_what_decide_answers_and_never_overwrites(tmp_path: Path) -> None:
    """`new_case.py`, as docs/corpus.md shows it: it writes the engine's answer for a case
    without one, and refuses to overwrite an expected decision unless given --force."""
    import shutil
    import subprocess
    import sys

    corpus = Path(__file__).resolve().parent / "corpus"
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("__pycache__"))
    case = CASES[0]
    directory = copy / "cases" / case.name
    (directory / "expected.json").unlink()
    script = [sys.executable, str(copy / "new_case.py"), str(directory)]
    written = subprocess.run(script, capture_output=True, text=True, check=False)
    assert written.returncode == 0, written.stderr
    assert "now review it" in written.stdout
    assert (directory / "expected.json").read_text(encoding="utf-8") == case.expected() + "\n"
    again = subprocess.run(script, capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "--force" in again.stderr


# ------------------------------------------------------------------ random uses, same world

# The dates, territories and amounts the corpus's clauses and data turn on: the day before
# and the day of a revocation, a term's first and last day and the day after, an assumed
# bill's first day, a minor's 18th birthday; a country, its subdivisions, an excepted one,
# one outside; half units in JPY, USD and KWD.
_DATES = [
    "2025-12-31", "2026-01-01", "2026-04-30", "2026-05-01", "2026-06-29", "2026-06-30",
    "2028-06-01", "2028-06-02", "2028-12-31", "2029-01-01",
]  # fmt: skip
_TERRITORIES = ["US", "US-TN", "US-CA", "US-NY", "DE", "CN"]
_WORKS = [f"isrc:QZCRP26{n:05d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 99)]
_ARTISTS = [
    "party:ada", "party:ben", "party:cleo", "party:dara", "party:eli",
    "party:ivo", "party:jun", "party:lou", "party:zed",
]  # fmt: skip
_REVENUES = [
    ("1", "JPY"), ("5", "JPY"), ("0.03", "USD"), ("0.05", "USD"), ("1000.00", "USD"),
    ("12000.00", "USD"), ("0.005", "KWD"), ("0.007", "KWD"),
]  # fmt: skip


@st.composite
def _uses(draw: st.DrawFn) -> dict[str, Any]:
    # Mostly the artists who consented and the licensee with contracts, so that many uses
    # are licensed and paid, and the rounding of shares is reached.
    consented = st.sampled_from(["party:ada", "party:eli", "party:jun", "party:lou"])
    artist = st.one_of(consented, consented, st.sampled_from(_ARTISTS))
    attributed = draw(st.lists(artist, max_size=3, unique=True))
    amount, currency = draw(st.sampled_from(_REVENUES))
    return {
        "id": f"random-{draw(st.integers(0, 3))}",
        "date": draw(st.sampled_from(_DATES)),
        "licensee": draw(st.sampled_from(["party:dev"] * 6 + ["party:dev-two", "party:deve"])),
        "purpose": draw(st.sampled_from(["training", "generation", "voice_replica"])),
        "territory": draw(st.sampled_from(["US", "US-NY"] * 2 + _TERRITORIES)),
        "works": draw(st.lists(st.sampled_from(_WORKS[:4] * 3 + _WORKS), max_size=3, unique=True)),
        "artists": draw(st.lists(artist, max_size=1)),
        "attribution": {a: str(round(1 / (len(attributed) + 1), 4)) for a in attributed},
        "output": draw(
            st.fixed_dictionaries(
                {f: st.booleans() for f in ("synthetic_audio", "digital_replica", "public")}
                | {"names_artist": st.sampled_from([False, False, False, True])}
                | {"labelled_ai": st.booleans()}
            )
        ),
        "context": draw(st.lists(st.sampled_from(["parody", "news"]), max_size=2, unique=True)),
        "metrics": {
            "revenue": {"amount": amount, "currency": currency},
            "generations": draw(st.sampled_from([0, 100000, 150000])),
            "streams": draw(st.sampled_from([0, 1000])),
        },
    }


_WORLD_KEYS = sorted(
    {_key(c) for c in CASES if c.data.name == "world"}, key=lambda k: (str(k[0]), k[2])
)


@pytest.mark.parametrize("key", _WORLD_KEYS, ids=[f"{k[0].name}{list(k[2])}" for k in _WORLD_KEYS])
@settings(max_examples=25, deadline=None)
@given(uses=st.lists(_uses(), min_size=1, max_size=6))
def test_random_uses_decide_alike_on_every_path(key: Key, uses: list[dict[str, Any]]) -> None:
    """Random uses of the corpus's world, on its boundaries: decide (of a use dict and of
    its parsed `Use`), decide_many, the batch evaluator and the service's batch give the
    same bytes (or the same refusal)."""
    policy = _policy(key)
    one = [_one(policy, u) for u in uses]
    valid = [u for u, text in zip(uses, one, strict=True) if not text.startswith("UseError")]
    decided = [t for t in one if not t.startswith("UseError")]
    assert [d.to_json() for d in policy.decide_many(valid)] == decided
    # A use dict is read as a plain request, and a denial its remembered plan gives is
    # decided without its `Use`: the same bytes as deciding the parsed `Use`.
    parsed = [parse_use(u, policy.vocabulary) for u in valid]
    assert [policy.decide(u).to_json() for u in parsed] == decided
    evaluator = BatchEvaluator(LoadedPolicy(policy, _loaded(key).checked))
    assert [_text(r) for r in evaluator.decide_many(uses)] == one
    if valid:
        body = "".join(json.dumps(u) + "\n" for u in valid)
        lines = _post(
            key, "/v1/decide/batch", content=body, headers={"content-type": "application/x-ndjson"}
        )
        assert lines.text == "".join(t + "\n" for t in decided)


# ------------------------------------------------------------------ plans shared by uses alike


@st.composite
def _alike(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with another id, other metrics and other weights for the same attributed
    artists: what `plan_memo.plan_key` leaves out."""
    amount, currency = draw(st.sampled_from(_REVENUES))
    attributed = list(base["attribution"])
    parts = draw(
        st.lists(st.integers(0, 10_000), min_size=len(attributed), max_size=len(attributed))
    )
    return {
        **base,
        "id": f"alike-{draw(st.integers(0, 99))}",
        "attribution": {
            a: f"{part / (10_000 * len(attributed)):.4f}"
            for a, part in zip(attributed, parts, strict=True)
        },
        "metrics": {
            "revenue": {"amount": amount, "currency": currency},
            "generations": draw(st.sampled_from([0, 1, 100000, 150000])),
            "streams": draw(st.sampled_from([0, 1000])),
        },
    }


@pytest.mark.parametrize("key", _WORLD_KEYS, ids=[f"{k[0].name}{list(k[2])}" for k in _WORLD_KEYS])
@settings(max_examples=25, deadline=None)
@given(data=st.data(), base=_uses())
def test_uses_alike_but_for_id_metrics_and_weights_share_one_plan(
    key: Key, data: st.DataObject, base: dict[str, Any]
) -> None:
    """Uses that differ only in what the plan memo's key leaves out are planned once, and
    each decides byte for byte as it does planned alone; the set's `decide` (whose memo
    holds the plans of every test before) gives the same bytes."""
    policy = _policy(key)
    alone = clausula.PolicySet(policy.compiled, policy._records, policy.data)  # no memo
    uses = [base, *data.draw(st.lists(_alike(base), min_size=1, max_size=4))]
    want = [_one(alone, u) for u in uses]
    memo = PlanMemo(policy.compiled, policy._records)
    # The memo of a set whose conditions read the figures: a plan per figures.
    by_figures = PlanMemo(policy.compiled, policy._records, figures=True)
    for kept in (memo, by_figures):
        got = []
        for use in uses:
            try:
                got.append(price(*kept.planned(parse_use(use, policy.vocabulary))).to_json())
            except UseError as error:
                got.append(f"UseError: {error}")
        assert got == want
    assert [_one(policy, u) for u in uses] == want
    assert isinstance(policy._plans, PlanMemo)  # the world's clauses read no metrics
    valid = [
        parse_use(u) for u, text in zip(uses, want, strict=True) if not text.startswith("UseError")
    ]
    assert len(memo._plans) == (1 if valid else 0)
    assert len(by_figures._plans) == len({figures_key(u) for u in valid})
