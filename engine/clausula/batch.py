"""Batch evaluation: a policy compiled once, applied to many uses, with the one-use answers.

Deciding a use has two parts of very different cost. The *structure* — which laws and
contracts apply, which clauses hold, which consents are met, the reasons and obligations,
who is to be paid under which clause — depends on what the use is (its date, licensee,
purpose, territory, works, artists, flags, context and facts). The *amounts* depend also
on what the use earned (`metrics`) and on the attribution weights. A batch of uses
usually has far fewer distinct structures than uses: a month of generations in one
territory drawn from one catalogue repeats the same few thousand shapes.

`BatchEvaluator` therefore:

1. proves, once, from the checked clause text, that no condition (`applies when`, `when`,
   `unless`, `where`, `met when`) reads `use.id`, the metrics or `weight`/`share`; if one
   does, the uses are grouped with their metrics too (or, for `use.id`, decided one by one);
2. computes the structure once per group with the engine's own decision steps
   (`clausula.decide`), exactly as `PolicySet.decide` does;
3. for every use, evaluates only the compiled payment formulas that applied, with the
   use's own metrics and weights, in `Decimal`, and rounds them as the engine does
   (once per currency, largest remainder);
4. falls back to the one-use path for any use whose group or payments raise (a formula
   that divides by zero, mixed currencies), so that it gets the very same answer or
   `UseError`.

The results are identical to `PolicySet.decide` on every use (the test suite checks this
on randomly generated scenarios). `decide_many` returns full `Decision` objects;
`evaluate` takes uses as columns and yields compact `Outcome` records, for simulations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import ast
from .catalogue import DataSet, load_data
from .checker import CheckedPolicy
from .compiler import CompiledBlock, CompiledEffect, CompiledProvision, Context, compile_policy
from .decide import Records, condition_holds, contract_miss, decide, subjects, use_facts
from .diagnostics import Diagnostic, PolicyError, Span
from .models import Decision, Metrics, MoneyAmount, Obligation, PolicyInfo, Reason, Use
from .money import Money, split_rounded
from .policy_set import PolicySet, _check, _display, clause_files, version_of
from .policy_set import _assumption as _parse_assumption
from .territory import TerritorySet
from .use_input import UseError, parse_use

__all__ = [
    "Analysis",
    "BatchEvaluator",
    "LoadedPolicy",
    "Outcome",
    "UseColumns",
    "analyse",
    "load_files",
]

_METRIC_PATHS = frozenset(
    {
        "use.revenue",
        "use.metrics.revenue",
        "use.generations",
        "use.metrics.generations",
        "use.streams",
        "use.metrics.streams",
        "use.metrics",
    }
)
DENYING = frozenset({"deny", "consent-missing", "no-licence"})


# ----------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy set with the checked clause text behind it (for analysis and overrides)."""

    policy_set: PolicySet
    checked: CheckedPolicy


def load_files(
    paths: Sequence[str | Path],
    *,
    data: str | Path | None = None,
    catalogue: DataSet | None = None,
    catalogue_label: str = "<catalogue>",
    assume: Iterable[str] = (),
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    display_root: Path | None = None,
) -> LoadedPolicy:
    """Load a policy set from clause files and directories (not just one directory).

    Like `clausula.load`, with: several `paths`; either a `data` directory or an in-memory
    `catalogue` (a synthetic one, labelled `catalogue_label` in the version hash); and
    `overrides`, parameter values as text in the language's literal syntax
    (`{"aria-optin-2026": {"artist_pool": "40%"}}`), checked against the declarations.
    Raises `PolicyError` with every problem found (an override problem included).
    """
    from .overrides import OverrideError, resolve

    root = display_root or Path.cwd()
    files = clause_files(list(paths))
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise PolicyError(
            [Diagnostic(Span(str(p), 1, 1), f"there is no file or directory {p}") for p in missing]
        )
    if not files:
        raise PolicyError([Diagnostic(Span(str(paths[0]), 1, 1), "no .clause files found")])
    checked, contents, sink = _check(files, root)
    vocabulary = checked.vocabulary
    dataset: DataSet | None = catalogue
    if dataset is None and data is not None:
        dataset, diagnostics = load_data(
            Path(data),
            purposes=vocabulary.purposes,
            territory_problem=vocabulary.territories.problem,
            display_root=root,
        )
        sink.extend(diagnostics)
    elif dataset is None:
        dataset = DataSet({}, {}, {}, (), ())
    known = {b.block.name for b in (*checked.contracts, *checked.jurisdictions)}
    proposed = {b.block.name for b in checked.jurisdictions if b.proposed}
    assumed: dict[str, dt.date | None] = {}
    for text in assume:
        name, enacted, problem = _parse_assumption(text)
        if problem is None and name not in proposed:
            problem = (
                f"`{name}` is in force already; only proposed laws can be assumed"
                if name in known
                else f"there is no jurisdiction pack `{name}` to assume"
            )
        if problem is not None:
            sink.items.append(Diagnostic(Span("--assume", 0, 0), problem))
        else:
            assumed[name] = enacted
    if sink.has_errors or dataset is None:
        raise PolicyError(sink.sorted())
    values: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (parameters or {}).items()}
    if overrides:
        try:
            for block, given in resolve(checked, overrides).items():
                values.setdefault(block, {}).update(given)
        except OverrideError as error:
            raise PolicyError([Diagnostic(Span("parameters", 0, 0), str(error))]) from None
    for path in dataset.files:
        contents.append((_display(path, root), path.read_bytes()))
    if catalogue is not None:
        contents.append((catalogue_label, catalogue_label.encode("utf-8")))
    compiled = compile_policy(checked, dataset, values)
    territories: dict[str, TerritorySet] = {
        grant.id: vocabulary.territories.territory_set(grant.territories, grant.except_territories)
        for grant in dataset.grants.values()
    }
    records = Records(
        catalogue=dataset,
        ledger=dataset.ledger,
        grant_territories=territories,
        version=version_of(contents),
        assumed=assumed,
    )
    return LoadedPolicy(PolicySet(compiled, records, dataset), checked)


# ----------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Analysis:
    """What the conditions of a policy read, which decides how uses may be grouped."""

    reads_id: bool
    metrics_in_conditions: bool

    @property
    def groups_without_metrics(self) -> bool:
        """Whether uses that differ only in metrics and weights share their structure."""
        return not self.reads_id and not self.metrics_in_conditions


def _reads(node: Any, definitions: Mapping[str, ast.Expr], seen: set[str], out: set[str]) -> None:
    """Collect the dotted paths and special names reachable from an AST node."""
    if isinstance(node, ast.Path):
        out.add(node.dotted)
    elif isinstance(node, ast.Name):
        if node.name in ("weight", "share"):
            out.add(node.name)
        definition = definitions.get(node.name)
        if definition is not None and node.name not in seen:
            seen.add(node.name)
            _reads(definition, definitions, seen, out)
        return
    if isinstance(node, tuple | list):
        for item in node:
            _reads(item, definitions, seen, out)
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if isinstance(value, ast.Expr | ast.Subject | ast.Tier | tuple | list):
                _reads(value, definitions, seen, out)


def analyse(checked: CheckedPolicy) -> Analysis:
    """Which use fields the conditions of the policy read (everything but payment amounts)."""
    conditions: set[str] = set()
    everything: set[str] = set()
    for block in (*checked.contracts, *checked.jurisdictions):
        definitions = block.definitions
        roots: list[Any] = list(block.block.applies)
        for provision in block.block.provisions:
            roots += provision.when
            roots += provision.unless
            for effect in provision.effects:
                if isinstance(effect, ast.Oblige) and effect.met is not None:
                    roots.append(effect.met)
                subject = getattr(effect, "subject", None) or getattr(effect, "payee", None)
                if isinstance(subject, ast.Subject):
                    roots.append(subject)
                if isinstance(effect, ast.Pay) and effect.amount is not None:
                    _reads(effect.amount, definitions, set(), everything)
        for root in roots:
            _reads(root, definitions, set(), conditions)
    everything |= conditions
    return Analysis(
        reads_id="use.id" in everything,
        metrics_in_conditions=bool(conditions & (_METRIC_PATHS | {"weight", "share"})),
    )


# ----------------------------------------------------------------- structures


@dataclass(frozen=True)
class _PayPlan:
    effect: CompiledEffect
    provision: CompiledProvision
    counted: bool  # False: a contract that applied but was not relied on (errors still count)
    payees: tuple[str, ...]
    share: Decimal | None
    over_attribution: bool
    to_party: bool


@dataclass
class _Structure:
    ctx: Context
    denied: bool
    reasons: list[Reason]
    obligations: list[Obligation]
    info: PolicyInfo
    pays: tuple[_PayPlan, ...]
    denial: tuple[tuple[str, str], ...]


def _active(block: CompiledBlock, ctx: Context) -> list[CompiledProvision]:
    """The provisions of a block that hold and are not set aside (as `_run_block` decides)."""
    provisions = block.provisions
    active = [False] * len(provisions)
    for index, provision in enumerate(provisions):
        label = provision.label
        holds = all(condition_holds(condition, ctx, label) for condition in provision.when)
        if holds:
            for condition, _ in provision.unless:
                if condition_holds(condition, ctx, label):
                    holds = False
                    break
        active[index] = holds
    aside = [False] * len(provisions)
    for index in block.order:
        if not active[index] or aside[index]:
            continue
        for target in provisions[index].sets_aside:
            if active[target] and not aside[target]:
                aside[target] = True
    return [p for i, p in enumerate(provisions) if active[i] and not aside[i]]


def _structure(policy_set: PolicySet, use: Use) -> _Structure:
    """The metric-independent part of the decision about `use` (raises `UseError`).

    The decision itself comes from the engine's own `decide` (so that the combining rules
    live in one place); what is added here is which payment formulas applied, to whom.
    """
    policy, records = policy_set.compiled, policy_set._records
    decision = decide(policy, records, use)
    ctx = Context(use, records.catalogue, use_facts(use, policy))
    denied = decision.decision == "deny"
    applied = set(decision.policy.jurisdictions)
    paying: list[tuple[CompiledBlock, bool]] = [
        (block, not denied) for block in policy.jurisdictions if block.name in applied
    ]
    chosen = None if denied else decision.policy.contracts[0]
    paying += [
        (contract, contract.name == chosen)
        for contract in policy.contracts_by_licensee.get(use.licensee, ())
        if contract_miss(contract, ctx) is None
    ]
    plans: list[_PayPlan] = []
    for block, counted in paying:
        for provision in _active(block, ctx):
            for effect in provision.effects:
                if effect.kind != "pay":
                    continue
                subject = effect.subject
                assert subject is not None
                payees = tuple(subjects(ctx, effect)[0])
                plans.append(
                    _PayPlan(
                        effect,
                        provision,
                        counted,
                        payees,
                        Decimal(1) / len(payees) if payees else None,
                        subject.over_attribution,
                        subject.kind == "party",
                    )
                )
    denial = tuple(
        dict.fromkeys((r.effect, r.rule) for r in decision.reasons if r.effect in DENYING)
    )
    return _Structure(
        ctx,
        denied,
        list(decision.reasons),
        list(decision.obligations),
        decision.policy,
        tuple(plans),
        denial if denied else (),
    )


class _Fallback(Exception):
    """This use must take the one-use path (its payments raise there, or may)."""


_Line = tuple[str, Money, _PayPlan, str | None]


def _lines(
    structure: _Structure,
    revenue: Money,
    generations: int,
    streams: int,
    attribution: Mapping[str, Decimal],
    with_basis: bool,
) -> list[_Line]:
    """The payment lines of one use with these metrics (raises `_Fallback`)."""
    ctx = structure.ctx
    ctx.revenue = revenue
    ctx.generations = generations
    ctx.streams = streams
    ctx.attribution = attribution
    ctx.memo = {}
    lines: list[_Line] = []
    try:
        for plan in structure.pays:
            amount_of = plan.effect.amount
            assert amount_of is not None
            for payee in plan.payees:
                ctx.share = plan.share
                ctx.weight = attribution.get(payee) if plan.over_attribution else None
                ctx.artist_id = None if plan.to_party else payee
                amount = amount_of(ctx)
                if not isinstance(amount, Money) or amount.amount == 0:
                    continue
                if amount.amount < 0:
                    raise _Fallback
                if plan.counted:
                    basis = plan.effect.basis(ctx) if with_basis and plan.effect.basis else None
                    lines.append((payee, amount, plan, basis))
    except _Fallback:
        raise
    except Exception:  # the one-use path raises its own, identical, error
        raise _Fallback from None
    finally:
        ctx.share = ctx.weight = None
        ctx.artist_id = None
    return lines


def _rounded(
    lines: list[_Line],
) -> tuple[list[tuple[_Line, Decimal]], list[tuple[str, Decimal]]]:
    """Round once per currency, parts adding up to the total (as the engine does)."""
    by_currency: dict[str, list[_Line]] = {}
    for line in lines:
        by_currency.setdefault(line[1].currency, []).append(line)
    parts_out: list[tuple[_Line, Decimal]] = []
    totals: list[tuple[str, Decimal]] = []
    for currency, group in by_currency.items():
        total, parts = split_rounded([line[1].amount for line in group], currency)
        totals.append((currency, total))
        parts_out += zip(group, parts, strict=True)
    return parts_out, totals


# ----------------------------------------------------------------- results


class Outcome(NamedTuple):
    """The compact answer about one use of a batch (what a simulation aggregates).

    `payments` are `(payee, amount, currency, rule)` rounded as in the decision; `totals`
    `(currency, amount)`; `denial` the `(effect, rule)` of the reasons that deny, in order;
    `error` the `UseError` text when the use cannot be decided (then `decision` is
    `"error"`).
    """

    position: int
    decision: str
    payments: tuple[tuple[str, Decimal, str, str], ...]
    totals: tuple[tuple[str, Decimal], ...]
    denial: tuple[tuple[str, str], ...]
    error: str | None = None


@dataclass(frozen=True)
class UseColumns:
    """Many uses as columns: each use is a *shape* plus its own metrics.

    `shapes` are `Use` objects whose `id` and `metrics` are ignored; `shape[i]` is the
    shape of use `i`; `revenue[i]` its revenue in `currency` (None: no revenue),
    `generations[i]` and `streams[i]` its counts. Sequences may be NumPy arrays (counts
    are converted with `int`); revenue must be `Decimal`, never a float.
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
        base = self.shapes[shape]
        return base.model_copy(update={"metrics": metrics})

    def at(self, index: int) -> Use:
        """Use `index` as a full `Use`."""
        return self.use(
            int(self.shape[index]),
            self.revenue[index],
            int(self.generations[index]),
            int(self.streams[index]),
        )


def _key(use: Use) -> tuple[Any, ...]:
    """Everything about a use but its id, metrics and attribution weights."""
    output = use.output
    revenue = use.metrics.revenue
    return (
        use.date,
        use.licensee,
        use.purpose,
        use.territory,
        tuple(use.works),
        tuple(use.artists),
        tuple(use.attribution),
        (
            output.synthetic_audio,
            output.digital_replica,
            output.public,
            output.names_artist,
            output.labelled_ai,
        ),
        tuple(use.context),
        use.commercial,
        tuple((k, type(v).__name__, str(v)) for k, v in use.facts.items()),
        revenue.currency if revenue is not None else None,
    )


def _full_key(use: Use) -> tuple[Any, ...]:
    revenue = use.metrics.revenue
    return (
        *_key(use),
        tuple((k, str(v)) for k, v in use.attribution.items()),
        str(revenue.amount) if revenue is not None else None,
        use.metrics.generations,
        use.metrics.streams,
    )


def _decision_from_outcome(
    outcome: Outcome, structure: _Structure, lines: list[tuple[_Line, Decimal]], use_id: str | None
) -> Decision:
    if structure.denied:
        payments: list[dict[str, Any]] = []
        totals: list[dict[str, Any]] = []
        obligations: list[Obligation] = []
    else:
        payments = [
            dict(
                payee=line[0],
                amount=part,
                currency=line[1].currency,
                rule=line[2].provision.label,
                source=line[2].effect.source,
                basis=f"{line[3]} = {line[1].amount} {line[1].currency}",
            )
            for line, part in lines
        ]
        totals = [dict(amount=amount, currency=currency) for currency, amount in outcome.totals]
        obligations = structure.obligations
    return Decision.model_validate(
        {
            "id": use_id,
            "decision": outcome.decision,
            "payments": payments,
            "totals": totals,
            "obligations": obligations,
            "reasons": structure.reasons,
            "policy": structure.info,
        }
    )


def _outcome_from_decision(index: int, decision: Decision) -> Outcome:
    return Outcome(
        index,
        decision.decision,
        tuple((p.payee, p.amount, p.currency, p.rule) for p in decision.payments),
        tuple((t.currency, t.amount) for t in decision.totals),
        tuple(dict.fromkeys((r.effect, r.rule) for r in decision.reasons if r.effect in DENYING))
        if decision.decision == "deny"
        else (),
    )


# ----------------------------------------------------------------- the evaluator


class BatchEvaluator:
    """Decide many uses against one policy set, with the results of `PolicySet.decide`.

    Give it the `LoadedPolicy` from `load_files` (which carries the clause text needed to
    prove that grouping is safe); with a bare `PolicySet` every use takes the one-use path.
    Not thread-safe: one evaluator per thread.
    """

    def __init__(self, policy: LoadedPolicy | PolicySet) -> None:
        if isinstance(policy, LoadedPolicy):
            self.policy_set = policy.policy_set
            self.analysis = analyse(policy.checked)
        else:
            self.policy_set = policy
            self.analysis = Analysis(reads_id=True, metrics_in_conditions=True)
        self._structures: dict[tuple[Any, ...], _Structure | None] = {}
        self.stats = {"uses": 0, "structures": 0, "one_use": 0, "cached": 0}

    # -------------------------------------------------------------- full decisions
    def decide_many(self, uses: Iterable[Use | Mapping[str, Any]]) -> list[Decision | UseError]:
        """Every use's `Decision` (or the `UseError` that `PolicySet.decide` would raise),
        in order, identical to deciding them one by one."""
        results: list[Decision | UseError] = []
        for raw in uses:
            try:
                use = parse_use(raw)
            except UseError as error:
                results.append(error)
                continue
            results.append(self._decide(use))
        return results

    def _one(self, use: Use) -> Decision | UseError:
        self.stats["one_use"] += 1
        try:
            return self.policy_set.decide(use)
        except UseError as error:
            return error

    def _structure_for(self, key: tuple[Any, ...], use: Use) -> _Structure | None:
        if key in self._structures:
            return self._structures[key]
        try:
            structure: _Structure | None = _structure(self.policy_set, use)
            self.stats["structures"] += 1
        except UseError:
            structure = None
        self._structures[key] = structure
        return structure

    def _decide(self, use: Use) -> Decision | UseError:
        self.stats["uses"] += 1
        analysis = self.analysis
        if analysis.reads_id:
            return self._one(use)
        key = _key(use) if analysis.groups_without_metrics else _full_key(use)
        structure = self._structure_for(key, use)
        if structure is None:
            return self._one(use)
        revenue = use.metrics.revenue
        money = Money(revenue.amount, revenue.currency) if revenue else Money(Decimal(0), "")
        try:
            lines = _lines(
                structure,
                money,
                use.metrics.generations,
                use.metrics.streams,
                use.attribution,
                True,
            )
        except _Fallback:
            return self._one(use)
        parts, totals = _rounded(lines)
        outcome = self._outcome(0, structure, parts, totals)
        return _decision_from_outcome(outcome, structure, parts, use.id)

    @staticmethod
    def _outcome(
        index: int,
        structure: _Structure,
        parts: list[tuple[_Line, Decimal]],
        totals: list[tuple[str, Decimal]],
    ) -> Outcome:
        if structure.denied:
            return Outcome(index, "deny", (), (), structure.denial)
        decision = "pay" if any(amount > 0 for _, amount in totals) else "allow"
        return Outcome(
            index,
            decision,
            tuple(
                (line[0], part, line[1].currency, line[2].provision.label) for line, part in parts
            ),
            tuple(totals),
            (),
        )

    # -------------------------------------------------------------- columns
    def evaluate(
        self, columns: UseColumns, *, progress: Callable[[int], None] | None = None
    ) -> Iterator[Outcome]:
        """The compact `Outcome` of every use of `columns`, in order.

        Uses with the same shape share one structure; uses with the same shape and the
        same metrics share one answer. `progress(n)` is called every 10,000 uses.
        """
        answers: dict[tuple[Any, ...], Outcome] = {}
        by_shape: dict[int, _Structure | None] = {}
        keys = zip(
            [int(s) for s in columns.shape],
            columns.revenue,
            [int(g) for g in columns.generations],
            [int(s) for s in columns.streams],
            strict=True,
        )
        for index, key in enumerate(keys):
            if progress is not None and index % 10_000 == 0 and index:
                progress(10_000)
            self.stats["uses"] += 1
            known = answers.get(key)
            if known is None or self.analysis.reads_id:
                known = answers[key] = self._answer(columns, key, by_shape)
            else:
                self.stats["cached"] += 1
            yield known._replace(position=index)

    def tally(
        self, columns: UseColumns, *, progress: Callable[[int], None] | None = None
    ) -> list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]]:
        """Every distinct answer of `columns` as `(outcome, key, number of uses)`, where the
        key is `(shape, revenue, generations, streams)`.

        What a simulation sums: the uses with the same shape and metrics are counted, and
        each distinct one is decided once (its `Outcome.position` is -1). Summing an
        outcome's payments times its count gives the same totals as deciding every use.
        """
        keys = Counter(
            zip(
                np.asarray(columns.shape).tolist(),
                columns.revenue,
                np.asarray(columns.generations).tolist(),
                np.asarray(columns.streams).tolist(),
                strict=True,
            )
        )
        self.stats["uses"] += len(columns)
        self.stats["cached"] += len(columns) - len(keys)
        by_shape: dict[int, _Structure | None] = {}
        result: list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]] = []
        for done, (key, count) in enumerate(keys.items()):
            if progress is not None and done % 10_000 == 0 and done:
                progress(10_000)
            result.append((self._answer(columns, key, by_shape), key, count))
        return result

    def _answer(
        self,
        columns: UseColumns,
        key: tuple[int, Decimal | None, int, int],
        by_shape: dict[int, _Structure | None],
    ) -> Outcome:
        s, amount, generations, streams = key
        if not self.analysis.groups_without_metrics or generations < 0 or streams < 0:
            return self._column_one(columns, key)
        if s in by_shape:
            structure = by_shape[s]
        else:
            shape = columns.shapes[s]
            structure = by_shape[s] = self._structure_for(_key(shape), shape)
        if structure is None:
            return self._column_one(columns, key)
        money = Money(amount, columns.currency) if amount is not None else Money(Decimal(0), "")
        try:
            lines = _lines(
                structure, money, generations, streams, columns.shapes[s].attribution, False
            )
        except _Fallback:
            return self._column_one(columns, key)
        parts, totals = _rounded(lines)
        return self._outcome(-1, structure, parts, totals)

    def _column_one(
        self, columns: UseColumns, key: tuple[int, Decimal | None, int, int]
    ) -> Outcome:
        try:
            use = columns.use(*key)
        except ValueError as error:  # a pydantic ValidationError: a negative count
            return Outcome(-1, "error", (), (), (), str(error).splitlines()[0])
        result = self._one(use)
        if isinstance(result, UseError):
            return Outcome(-1, "error", (), (), (), str(result))
        return _outcome_from_decision(-1, result)
