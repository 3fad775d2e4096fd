"""Batch evaluation: a policy compiled once, applied to many uses, with the one-use answers.

Deciding a use has two parts of very different cost. The *structure* — which laws and
contracts apply, which clauses hold, which consents are met, who is to be paid under which
clause, and why a use is denied — depends on what the use is; the *amounts* depend also on
what it earned (`metrics`) and on the attribution weights. `BatchEvaluator` computes each
structure once, with the engine's own `decide`, and only the amounts per use:

1. `analyse` proves, once, from the checked clause text, that no condition (`applies when`,
   `when`, `unless`, `where`, `met when`) reads `use.id`, the metrics or `weight`/`share`
   (otherwise uses are grouped with their metrics, or, for `use.id`, decided one by one),
   and works out what the clauses can observe of a use (below).
2. The uses are sorted into *classes* that provably decide alike, and the structure of a
   class is computed from its first use (`clausula.decide`, as `PolicySet.decide` does).
3. For every use only the payment formulas that applied are evaluated, with its own
   metrics and weights, in `Decimal`, and rounded as the engine rounds (once per currency,
   largest remainder). Formulas that read only the metrics, `weight` and `share` are
   memoised across classes.
4. A use whose class's first uses raise, or whose payments raise (a formula that divides
   by zero, mixed currencies), takes the one-use path and gets the very same `UseError`.

**Classes.** Two uses are in the same class when they are equal in everything but their
id, metrics, weights, date, territory, works and artists, and:

- their dates fall between the same two *boundaries*: the dates the clauses compare
  `use.date` with (literals, and expressions such as `artist.death_date + 10 years`
  evaluated for every artist and work of the data), when the laws and contracts start and
  end (assumed enactments included), and the dates of the data from which a consent counts
  or lapses (every date of a party, grant or ledger record, and each plus the caps of the
  consent requirements and plus 18 years) — each boundary and the day after, so that `<`,
  `<=`, `=` and the others all agree. Only when the clauses read the date in no other way
  (no `artist.age`, no amount that reads it) and every grant is one of the data files'
  (not a ledger that answers as of a day);
- their territories are valid and fall in the same territory sets: those the clauses test
  `use.territory` against (`in EU`, `is US-TN`), the contracts' territories and the
  grants'. Only when the clauses read the territory in no other way, and every grant is
  one of the data files';
- their works and artists correspond one to one (in the order the engine goes over them:
  the performers of each work, `use.artists`, the attribution) with the same connections
  (which works, which performers) and the same *signatures*. A work's signature is whether
  it is in the data, which contracts' scope it is in, whose licensor holds it, and the
  fields the clauses read (`work.tdm_reserved`); an artist's is whether they are in the
  data, the contracts' scopes, the fields the clauses read (`artist.death_date`; the
  residence only through the territory sets it is tested against when that is the only
  way it is read), and, when a consent could be asked of them in their roles, their birth
  and death dates and their ledger records that could count here: each with which of the
  purposes asked it covers and every other fact it records (dates, formalities, who gave
  it), ids aside. Records for another licensee, for none of those purposes or for another
  territory can never count, so they are left out.

Nothing else of an artist or a work can change a decision: the engine and the clauses
only compare ids for equality, look them up, and go over them in the use's order. Clauses
that do more with the ids in hand (`artist is party:…`, `work.id`), or a condition over
all artists (`any(…)`, which goes over them in the order of their ids) that could raise
for one of them, turn the abstraction off; ids the clause text names are kept apart.

The results are identical to `PolicySet.decide` on every use: the test suite checks this
use by use on random catalogues of "twins" (artists and works that differ only by their
ids) and near variants, with dates and territories on both sides of every boundary.
`decide_many` returns full `Decision` objects (grouping uses with the same shape only);
`evaluate` and `tally` take uses as columns and give compact `Outcome` records.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, overload

import numpy as np

from . import ast
from . import types as t
from .catalogue import DataSet, load_data
from .checker import CheckedPolicy, add_duration
from .compiler import CompiledBlock, CompiledEffect, CompiledProvision, Context, compile_policy
from .decide import Records, condition_holds, contract_miss, decide, subjects, use_facts
from .diagnostics import Diagnostic, PolicyError, Span
from .models import Decision, Metrics, MoneyAmount, Obligation, PolicyInfo, Reason, Use
from .money import Money, split_rounded
from .policy_set import PolicySet, _check, _display, clause_files, version_of
from .policy_set import _assumption as _parse_assumption
from .territory import TerritorySet, code_problem
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
class Abstraction:
    """What the clauses of a policy can observe of an artist or a work in hand.

    `party_fields` and `work_fields` are the fields read as values; `residence` the
    territory sets an artist's residence is only ever tested against (`artist.residence in
    US-TN`), when that is the only way it is read; `literals` the party and work ids the
    clause text names (those are told apart by their ids).
    """

    party_fields: tuple[str, ...]
    residence: tuple[TerritorySet, ...]
    work_fields: tuple[str, ...]
    literals: frozenset[str]


@dataclass(frozen=True)
class Analysis:
    """What the conditions of a policy read, which decides how uses may be grouped.

    `abstraction` is None when the clauses use the ids of the artists or works in hand
    (`artist is party:…`, `work.id`), or when a condition over all of them could raise for
    one of them (`any(…)` goes over them in the order of their ids): then uses are only
    grouped when they have the very same works and artists.
    """

    reads_id: bool
    metrics_in_conditions: bool
    abstraction: Abstraction | None = None
    pure_amounts: frozenset[tuple[str, int, int]] = frozenset()
    # What `use.date` is compared with (block, expression, its definitions); None when
    # the date is read in other ways too (then every date is its own frame).
    date_terms: tuple[tuple[str, ast.Expr, Mapping[str, ast.Expr]], ...] | None = None
    # The territory sets and exact codes `use.territory` is tested against; None when it is
    # read in other ways too (then every territory is its own frame).
    territory_tests: tuple[tuple[tuple[str, ...], ...], frozenset[str]] | None = None

    @property
    def groups_without_metrics(self) -> bool:
        """Whether uses that differ only in metrics and weights share their structure."""
        return not self.reads_id and not self.metrics_in_conditions


_COLLECTION_NAMES = frozenset(t.COLLECTIONS)
_DERIVED_FIELDS = {"deceased": ("death_date",), "age": ("birth_date",), "minor": ("birth_date",)}
_DATED = ("deceased", "age", "minor")  # fields of an artist that depend on the use's date


class _Observed:
    """What an expression reads, collected by `_observe`."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.identity = False  # reads the id of the artist or work in hand
        self.residence_raw = False
        self.residence_sets: list[tuple[str, ...]] = []
        self.literals: set[str] = set()
        self.risky = False  # a condition over all artists or works that could raise
        # What `use.date` is compared with; False once it is read in any other way.
        self.date_terms: list[tuple[ast.Expr, Mapping[str, ast.Expr]]] = []
        self.date_compared_only = True
        # The territory sets (or exact codes) `use.territory` is tested against; False
        # once it is read in any other way.
        self.territory_sets: list[tuple[str, ...]] = []
        self.territory_codes: set[str] = set()
        self.territory_tested_only = True


def _territory_codes(node: ast.Expr) -> tuple[str, ...] | None:
    items = node.items if isinstance(node, ast.SetLit) else (node,)
    if items and all(isinstance(item, ast.TerritoryLit) for item in items):
        return tuple(item.code for item in items)  # type: ignore[attr-defined]
    return None


_COMPARISONS = frozenset({"<", "<=", ">", ">=", "=", "!=", "is", "is not"})


def _is_use_date(node: ast.Expr) -> bool:
    return isinstance(node, ast.Path) and node.dotted == "use.date"


def _may_raise(node: Any, types: Mapping[int, t.Type]) -> bool:
    """Whether evaluating this node (not its operands) could raise an `EvaluationError`:
    a division, tiers, or arithmetic and comparisons on money (currencies) or durations."""
    if (isinstance(node, ast.Binary) and node.op == "/") or isinstance(node, ast.Tiered):
        return True
    operands: tuple[Any, ...] = ()
    if isinstance(node, ast.Compare | ast.Binary):
        operands = (node.left, node.right)
    elif isinstance(node, ast.Call) and node.function in ("min", "max"):
        operands = node.args
    elif isinstance(node, ast.Negate):
        operands = (node.operand,)
    kinds = {types.get(id(operand), t.ERROR).kind for operand in operands}
    if isinstance(node, ast.Binary) and node.op in ("+", "-") and "date" in kinds:
        return False  # a date moved by a duration
    return bool(kinds & {"money", "duration", "error"})


def _observe(
    node: Any,
    definitions: Mapping[str, ast.Expr],
    types: Mapping[int, t.Type],
    out: _Observed,
    seen: set[tuple[str, bool]],
    quantified: bool = False,
) -> None:
    """Collect what `node` reads (following definitions) into `out`."""
    if isinstance(node, tuple | list):
        for item in node:
            _observe(item, definitions, types, out, seen, quantified)
        return
    if isinstance(node, ast.Path):
        out.paths.add(node.dotted)
        if node.dotted == "use.date":
            out.date_compared_only = False  # not in a comparison `_observe` understands
        elif node.dotted == "use.territory":
            out.territory_tested_only = False
        if node.parts[0] in _COLLECTION_NAMES:
            if node.parts[1] == "id":
                out.identity = True
            elif node.parts[1] == "residence":
                out.residence_raw = True
        return
    if isinstance(node, ast.Name):
        if node.name in ("weight", "share"):
            out.paths.add(node.name)
        elif node.name in _COLLECTION_NAMES:
            out.identity = True
        definition = definitions.get(node.name)
        if definition is not None and (node.name, quantified) not in seen:
            seen.add((node.name, quantified))
            _observe(definition, definitions, types, out, seen, quantified)
        return
    if isinstance(node, ast.PartyLit):
        out.literals.add(node.id)
        return
    if isinstance(node, ast.PerUnit):
        out.paths.add(t.PER_UNITS[node.unit])
        _observe(node.rate, definitions, types, out, seen, quantified)
        return
    if (
        isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Path)
        and node.left.dotted == "use.territory"
    ):
        codes = _territory_codes(node.right)
        if codes is not None and node.op in ("in", "not in"):
            out.paths.add("use.territory")
            out.territory_sets.append(codes)
            return
        if isinstance(node.right, ast.TerritoryLit) and node.op in ("is", "is not", "=", "!="):
            out.paths.add("use.territory")
            out.territory_codes.add(node.right.code)
            return
    if isinstance(node, ast.Compare) and node.op in ("in", "not in"):
        left, codes = node.left, _territory_codes(node.right)
        if (
            isinstance(left, ast.Path)
            and left.parts[0] in _COLLECTION_NAMES
            and left.parts[1] == "residence"
            and codes is not None
        ):
            out.paths.add(left.dotted)
            out.residence_sets.append(codes)
            return
    if isinstance(node, ast.Compare) and node.op in _COMPARISONS:
        dated = [side for side in (node.left, node.right) if _is_use_date(side)]
        if len(dated) == 1:
            other = node.right if dated[0] is node.left else node.left
            out.paths.add("use.date")
            out.date_terms.append((other, definitions))
            _observe(other, definitions, types, out, seen, quantified)
            return
    if isinstance(node, ast.Quantifier):
        out.paths.add(node.path.dotted)
        _observe(node.condition, definitions, types, out, seen, True)
        return
    if quantified and _may_raise(node, types):
        out.risky = True  # whether it raises or settles could depend on the order of the ids
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in dataclasses.fields(node):
            value = getattr(node, item.name)
            if isinstance(value, ast.Expr | ast.Subject | ast.Tier | tuple | list):
                _observe(value, definitions, types, out, seen, quantified)


def analyse(checked: CheckedPolicy) -> Analysis:
    """Which use fields the conditions of the policy read (everything but payment amounts),
    what they can observe of the artists and works in hand, and which payment amounts read
    nothing but the metrics, `weight` and `share`."""
    conditions = _Observed()
    amounts = _Observed()
    pure: set[tuple[str, int, int]] = set()
    date_terms: list[tuple[str, ast.Expr, Mapping[str, ast.Expr]]] = []
    types = checked.types
    for block in (*checked.contracts, *checked.jurisdictions):
        definitions = block.definitions
        roots: list[Any] = list(block.block.applies)
        for p_index, provision in enumerate(block.block.provisions):
            roots += provision.when
            roots += provision.unless
            for e_index, effect in enumerate(provision.effects):
                if isinstance(effect, ast.Oblige) and effect.met is not None:
                    roots.append(effect.met)
                subject = getattr(effect, "subject", None) or getattr(effect, "payee", None)
                if isinstance(subject, ast.Subject):
                    roots.append(subject)
                    if subject.party:
                        conditions.literals.add(subject.party)
                if isinstance(effect, ast.Pay) and effect.amount is not None:
                    amount = _Observed()
                    _observe(effect.amount, definitions, types, amount, set())
                    if amount.paths <= _METRIC_PATHS | {"weight", "share"}:
                        pure.add((block.block.name, p_index, e_index))
                    _observe(effect.amount, definitions, types, amounts, set())
        local = _Observed()
        _observe(roots, definitions, types, local, set())
        conditions.paths |= local.paths
        conditions.identity |= local.identity
        conditions.residence_raw |= local.residence_raw
        conditions.residence_sets += local.residence_sets
        conditions.literals |= local.literals
        conditions.risky |= local.risky
        conditions.date_compared_only &= local.date_compared_only
        conditions.territory_tested_only &= local.territory_tested_only
        conditions.territory_sets += local.territory_sets
        conditions.territory_codes |= local.territory_codes
        date_terms += [(block.block.name, term, defs) for term, defs in local.date_terms]
    paths = conditions.paths | amounts.paths
    residence_raw = conditions.residence_raw or amounts.residence_raw
    abstraction: Abstraction | None = None
    if not (conditions.identity or amounts.identity or conditions.risky or amounts.risky):
        party: set[str] = set()
        work: set[str] = set()
        for path in paths:
            head, _, field = path.partition(".")
            if head == "work":
                work.add(field)
            elif head in _COLLECTION_NAMES:
                party.update(_DERIVED_FIELDS.get(field, (field,)))
        registry = checked.vocabulary.territories
        residence: tuple[TerritorySet, ...] = ()
        if not residence_raw:
            party.discard("residence")
            sets = dict.fromkeys([*conditions.residence_sets, *amounts.residence_sets])
            residence = tuple(registry.territory_set(codes) for codes in sets)
        abstraction = Abstraction(
            party_fields=tuple(sorted(party)),
            residence=residence,
            work_fields=tuple(sorted(work)),
            literals=frozenset(conditions.literals | amounts.literals),
        )
    # The date of a use matters only through comparisons when it is read only in them (not
    # with `artist.age`, which changes every year), and no payment amount reads it.
    dated_amounts = {"use.date"} | {f"{v}.{f}" for v in _COLLECTION_NAMES for f in _DATED}
    coarse_dates = (
        conditions.date_compared_only
        and not any(path.endswith(".age") for path in paths)
        and not (amounts.paths & dated_amounts)
    )
    return Analysis(
        reads_id="use.id" in paths,
        metrics_in_conditions=bool(conditions.paths & (_METRIC_PATHS | {"weight", "share"})),
        abstraction=abstraction,
        pure_amounts=frozenset(pure),
        date_terms=tuple(date_terms) if coarse_dates else None,
        territory_tests=(
            tuple(dict.fromkeys(conditions.territory_sets)),
            frozenset(conditions.territory_codes),
        )
        if conditions.territory_tested_only and "use.territory" not in amounts.paths
        else None,
    )


# ----------------------------------------------------------------- dates


class _NotConstant(Exception):
    """An expression compared with the use's date whose values cannot all be listed."""


class _Unknown(Exception):
    """A field the data leaves empty: the comparison is unknown, so it is never made."""


_Duration = tuple[int, int]  # months, days (as the compiler's `Duration`)


def _moved(day: dt.date, duration: _Duration, sign: int = 1) -> dt.date:
    """`day` plus (or minus) a duration, months first, as the compiler moves dates."""
    months, days = duration
    moved = add_duration(day, sign * months, "months") if months else day
    return moved + dt.timedelta(days=sign * days)


def _constant(
    node: ast.Expr,
    entity: Any,
    definitions: Mapping[str, ast.Expr],
    parameters: Mapping[str, Any],
) -> Any:
    """The value of a date expression for one artist or work of the data (`entity`):
    a date, a duration (months, days) or a count."""
    if isinstance(node, ast.DateLit):
        return node.value
    if isinstance(node, ast.DurationLit):
        if node.unit == "days":
            return (0, node.count)
        return (node.count * (12 if node.unit == "years" else 1), 0)
    if isinstance(node, ast.NumberLit) and "." not in node.text:
        return int(node.value)
    if isinstance(node, ast.Path) and node.parts[0] in _COLLECTION_NAMES:
        if entity is None or node.parts[1] in _DATED:
            raise _NotConstant
        value = getattr(entity, node.parts[1], None)
        if value is None:
            raise _Unknown
        return value
    if isinstance(node, ast.Name):
        if node.name in definitions:
            return _constant(definitions[node.name], entity, definitions, parameters)
        if node.name in parameters:
            value = parameters[node.name]
            if hasattr(value, "months") and hasattr(value, "days"):
                return (value.months, value.days)
            if isinstance(value, dt.date | int) and not isinstance(value, bool):
                return value
        raise _NotConstant
    if isinstance(node, ast.Binary):
        left = _constant(node.left, entity, definitions, parameters)
        right = _constant(node.right, entity, definitions, parameters)
        if node.op in ("+", "-"):
            sign = 1 if node.op == "+" else -1
            if isinstance(left, dt.date) and isinstance(right, tuple):
                return _moved(left, right, sign)
            if isinstance(left, tuple) and isinstance(right, tuple):
                return (left[0] + sign * right[0], left[1] + sign * right[1])
        if node.op == "*":
            if isinstance(left, tuple) and isinstance(right, int):
                return (left[0] * right, left[1] * right)
            if isinstance(left, int) and isinstance(right, tuple):
                return (right[0] * left, right[1] * left)
    raise _NotConstant


def _holds_entity(node: Any, definitions: Mapping[str, ast.Expr], seen: set[str]) -> set[str]:
    """The variables (`artist`, `performer`, `work`) an expression reads fields of."""
    if isinstance(node, ast.Path):
        return {node.parts[0]} if node.parts[0] in _COLLECTION_NAMES else set()
    if isinstance(node, ast.Name):
        if node.name in definitions and node.name not in seen:
            seen.add(node.name)
            return _holds_entity(definitions[node.name], definitions, seen)
        return set()
    if isinstance(node, ast.Binary):
        return _holds_entity(node.left, definitions, seen) | _holds_entity(
            node.right, definitions, seen
        )
    return set()


def _date_values(
    node: ast.Expr,
    definitions: Mapping[str, ast.Expr],
    parameters: Mapping[str, Any],
    catalogue: Any,
) -> set[dt.date]:
    """Every value `node` (compared with the use's date) can take, over the data."""
    variables = _holds_entity(node, definitions, set())
    if len(variables) > 1:
        raise _NotConstant
    entities: Iterable[Any] = [None]
    if variables:
        entities = catalogue.works.values() if variables == {"work"} else catalogue.parties.values()
    values: set[dt.date] = set()
    for entity in entities:
        try:
            value = _constant(node, entity, definitions, parameters)
        except _Unknown:
            continue
        if not isinstance(value, dt.date):
            raise _NotConstant
        values.add(value)
    return values


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
    revenue = use.metrics.revenue
    return (
        *_frame_key(use),
        tuple(use.works),
        tuple(use.artists),
        tuple(use.attribution),
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


# ----------------------------------------------------------------- classes of shapes

_PERFORMER, _NAMED, _ATTRIBUTED = 1, 2, 4
_ERROR: Any = object()  # a payment formula that raises for these metrics
_ALLOWED = Outcome(-1, "allow", (), (), ())
_MEMO_LIMIT = 400_000  # entries kept per memo before it is cleared
# Grant fields the signature of an artist projects on the use (or, for `note`, leaves out:
# it is never read); every other field of a grant or ledger record is kept as it is.
_GRANT_PROJECTED = frozenset(
    {"id", "grantor", "on_behalf_of", "grantee", "purposes", "territories", "except_territories"}
    | {"note"}
)


def _frame_key(use: Use) -> tuple[Any, ...]:
    """Everything about a use but its id, metrics, works, artists and attribution."""
    output = use.output
    return (
        use.date,
        use.licensee,
        use.purpose,
        use.territory,
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
    )


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


@dataclass(frozen=True, slots=True)
class _Frame:
    """A frame of uses: a use without its works, artists, attribution and metrics."""

    number: int
    use: Use
    licensee: str
    purpose: str
    territory: str
    date: dt.date
    contracts: tuple[CompiledBlock, ...]
    signing: int  # frames that tell artists and works apart alike share this number


@dataclass(frozen=True, slots=True)
class _Layout:
    """The artists and works of a shape in canonical order (first seen: the performers of
    the works, then `use.artists`, then the attribution), and how they are connected."""

    artists: tuple[str, ...]
    roles: tuple[int, ...]
    works: tuple[str, ...]
    graph: tuple[Any, ...]
    number: int = -1
    graph_number: int = -1


def _layout(
    works: Sequence[str],
    artists: Sequence[str],
    attributed: Iterable[str],
    performers_of: Callable[[str], tuple[str, ...]],
) -> _Layout:
    found: dict[str, int] = {}
    roles: list[int] = []
    distinct: dict[str, int] = {}
    positions: list[int] = []
    performers: list[tuple[int, ...]] = []
    for work in works:
        index = distinct.get(work)
        if index is None:
            index = distinct[work] = len(distinct)
            people = []
            for artist in performers_of(work):
                place = found.get(artist)
                if place is None:
                    place = found[artist] = len(roles)
                    roles.append(_PERFORMER)
                else:
                    roles[place] |= _PERFORMER
                people.append(place)
            performers.append(tuple(people))
        positions.append(index)
    places: list[tuple[int, ...]] = []
    for group, role in ((artists, _NAMED), (attributed, _ATTRIBUTED)):
        placed = []
        for artist in group:
            place = found.get(artist)
            if place is None:
                place = found[artist] = len(roles)
                roles.append(role)
            else:
                roles[place] |= role
            placed.append(place)
        places.append(tuple(placed))
    return _Layout(
        tuple(found),
        tuple(roles),
        tuple(distinct),
        (tuple(positions), tuple(performers), places[0], places[1]),
    )


@dataclass(frozen=True, slots=True)
class _SlotPlan:
    """A payment formula that applied, with its payees as places in the layout."""

    effect: CompiledEffect
    label: str
    counted: bool
    slots: tuple[tuple[int, Any], ...]  # (0, party id) | (1, artist index) | (2, work index)
    rep_payees: tuple[str, ...]
    share: Decimal | None
    over_attribution: bool
    to_party: bool
    memo_id: int  # what the amount depends on besides metrics and weight
    per_payee: bool  # the amount may depend on the payee (not only on `weight`)


class _Class:
    """Shapes that decide alike: the same frame, and works and artists that the policy
    cannot tell apart (see the module docstring). Resolved with its first use."""

    __slots__ = (
        "answer",
        "by_metrics",
        "ctx",
        "dead",
        "denial",
        "denied",
        "failures",
        "frame",
        "layout",
        "metrics",
        "number",
        "plans",
        "resolved",
    )

    def __init__(self, number: int, frame: _Frame, layout: _Layout) -> None:
        self.number = number
        self.frame = frame
        self.layout = layout  # of the representative
        self.resolved = False
        self.dead = False  # its representative kept raising: every use takes the one-use path
        self.failures = 0
        self.denied = False
        self.denial: tuple[tuple[str, str], ...] = ()
        self.plans: tuple[_SlotPlan, ...] = ()
        self.ctx: Context | None = None
        self.metrics: tuple[Any, ...] | None = None  # the metrics `ctx` holds
        self.answer = _ALLOWED  # the answer when nothing is due (or the use is denied)
        self.by_metrics = False  # the answer depends only on the metrics


_Classified = tuple[_Class, _Layout, Mapping[str, Decimal], int]

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
        self.stats = {"uses": 0, "structures": 0, "one_use": 0, "cached": 0, "classes": 0}
        compiled = self.policy_set.compiled
        self._records = self.policy_set._records
        self._catalogue = self._records.catalogue
        # Payment formulas that read only metrics, weight and share: memoised across classes.
        self._pure: set[int] = set()
        blocks = {b.name: b for b in compiled.jurisdictions}
        for contracts in compiled.contracts_by_licensee.values():
            blocks.update((c.name, c) for c in contracts)
        for name, p_index, e_index in self.analysis.pure_amounts:
            block = blocks.get(name)
            if block is not None and p_index < len(block.provisions):
                effects = block.provisions[p_index].effects
                if e_index < len(effects) and effects[e_index].kind == "pay":
                    self._pure.add(id(effects[e_index]))
        # Who must consent, per role of an artist in a use, and for which purposes (None:
        # the use's purpose).
        self._consent: dict[int, tuple[str | None, ...]] = {}
        wanted: dict[int, dict[str | None, None]] = {
            _PERFORMER: {},
            _NAMED: {},
            _ATTRIBUTED: {},
        }
        for block in blocks.values():
            for provision in block.provisions:
                for effect in provision.effects:
                    subject = effect.subject
                    if effect.kind != "consent" or subject is None or subject.kind == "party":
                        continue
                    role = (
                        _PERFORMER
                        if subject.kind == "each_performer"
                        else _ATTRIBUTED
                        if subject.over_attribution
                        else _NAMED
                    )
                    wanted[role].update(dict.fromkeys(effect.consent_purposes or (None,)))
        for roles in range(8):
            purposes: dict[str | None, None] = {}
            for role, names in wanted.items():
                if roles & role:
                    purposes.update(names)
            self._consent[roles] = tuple(purposes)
        # Caches: frames, layouts, signatures, classes, and amounts.
        self._frames: dict[tuple[Any, ...], _Frame] = {}
        self._layouts: dict[tuple[Any, ...], _Layout] = {}
        self._signatures: dict[tuple[Any, ...], int] = {}
        self._signature_ids: dict[Any, int] = {}
        self._grants: dict[tuple[str, str], Any] = {}
        self._classes: dict[tuple[Any, ...], _Class] = {}
        self._signed: dict[tuple[int, int], int] = {}  # (signing, layout) → signatures
        self._by_signing: dict[int, dict[Any, int]] = {}  # work or (artist, roles) → signature
        self._layout_count = 0
        self._table: Any = None
        self._of_shape: list[_Classified | None] = []
        self._table_frames: dict[int, _Frame] = {}
        self._table_entities: dict[int, tuple[_Layout, int]] = {}
        self._placed: dict[tuple[int, int], _Class] = {}  # (frame, layout) → class
        self._amounts: dict[str, dict[tuple[Any, ...], Any]] = {}  # per currency
        self._roundings: dict[tuple[Any, ...], Outcome] = {}
        self._answers: dict[tuple[Any, ...], Outcome] = {}
        # Dates at which something the policy compares the use's date with changes; the
        # territory sets that tell territories apart.
        self._boundaries = self._date_boundaries(blocks)
        self._territory_sets = self._territory_tests(blocks)
        self._territory_keys: dict[str, Any] = {}

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

        Uses whose shapes decide alike share one structure; uses with the same shape and
        the same metrics share one answer. `progress(n)` is called every 10,000 uses.
        """
        answers: dict[tuple[Any, ...], Outcome] = {}
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
                known = answers[key] = self._answer(columns, key)
            else:
                self.stats["cached"] += 1
            yield known._replace(position=index)

    def tally(
        self, columns: UseColumns, *, progress: Callable[[int], None] | None = None
    ) -> list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]]:
        """Every distinct answer of `columns` as `(outcome, key, number of uses)`, where the
        key is `(shape, revenue, generations, streams)`, in the order of first use.

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
        answer = self._answer
        result: list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]] = []
        append = result.append
        for done, (key, count) in enumerate(keys.items()):
            if progress is not None and done % 10_000 == 0 and done:
                progress(10_000)
            append((answer(columns, key), key, count))
        return result

    # -------------------------------------------------------------- one answer
    def _answer(self, columns: UseColumns, key: tuple[int, Decimal | None, int, int]) -> Outcome:
        s, amount, generations, streams = key
        if generations < 0 or streams < 0 or not self.analysis.groups_without_metrics:
            return self._column_one(columns, key)
        if self._table is not columns.shapes:
            self._shape_classes(columns)
        of_shape = self._of_shape
        found = of_shape[s] if s < len(of_shape) else None
        if found is None:
            found = self._classify(columns.shapes, s)
        cls, layout, attribution, weights = found
        if not cls.resolved and not self._resolve(cls, columns, key):
            return self._column_one(columns, key)
        if not cls.plans:
            return cls.answer
        # The answer depends on the class, the payees and weights (unless every payment is
        # to a party named in the clauses, with an amount that reads only the metrics).
        memo_key = (
            (cls.number, amount, generations, streams, columns.currency)
            if cls.by_metrics
            else (
                cls.number,
                layout.number,
                weights,
                amount,
                generations,
                streams,
                columns.currency,
            )
        )
        known = self._answers.get(memo_key)
        if known is not None:
            return known
        lines = self._payments(
            cls, layout, attribution, amount, generations, streams, columns.currency
        )
        if lines is None:
            return self._column_one(columns, key)
        outcome = cls.answer if cls.denied or not lines else self._rounded_outcome(lines)
        if len(self._answers) > _MEMO_LIMIT:
            self._answers.clear()
        self._answers[memo_key] = outcome
        return outcome

    def _rounded_outcome(self, lines: list[tuple[str, Money, str]]) -> Outcome:
        """Round once per currency, parts adding up to the total (as the engine does)."""
        memo_key = tuple(lines)
        known = self._roundings.get(memo_key)
        if known is not None:
            return known
        if len(self._roundings) > _MEMO_LIMIT:
            self._roundings.clear()
        by_currency: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            by_currency.setdefault(line[1].currency, []).append(index)
        parts: list[Decimal] = [Decimal(0)] * len(lines)
        totals: list[tuple[str, Decimal]] = []
        for currency, indexes in by_currency.items():
            total, split = split_rounded([lines[i][1].amount for i in indexes], currency)
            totals.append((currency, total))
            for i, part in zip(indexes, split, strict=True):
                parts[i] = part
        order = [i for indexes in by_currency.values() for i in indexes]
        outcome = self._roundings[memo_key] = Outcome(
            -1,
            "pay" if any(amount > 0 for _, amount in totals) else "allow",
            tuple((lines[i][0], parts[i], lines[i][1].currency, lines[i][2]) for i in order),
            tuple(totals),
            (),
        )
        return outcome

    def _payments(
        self,
        cls: _Class,
        layout: _Layout,
        attribution: Mapping[str, Decimal],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> list[tuple[str, Money, str]] | None:
        """The exact payment lines of one use of `cls` (None: take the one-use path)."""
        lines: list[tuple[str, Money, str]] = []
        memo = self._amounts.get(currency)
        if memo is None or len(memo) > _MEMO_LIMIT:
            memo = self._amounts[currency] = {}
        artists = layout.artists
        for plan in cls.plans:
            memo_id, per_payee = plan.memo_id, plan.per_payee
            for k, (kind, value) in enumerate(plan.slots):
                payee = value if kind == 0 else artists[value] if kind == 1 else layout.works[value]
                weight = attribution.get(payee) if plan.over_attribution else None
                memo_key = (
                    (memo_id, k, amount, generations, streams, weight)
                    if per_payee
                    else (memo_id, amount, generations, streams, weight)
                )
                exact = memo.get(memo_key)
                if exact is None:
                    exact = memo[memo_key] = self._evaluate(
                        cls,
                        plan,
                        k,
                        weight,
                        layout,
                        attribution,
                        amount,
                        generations,
                        streams,
                        currency,
                    )
                if exact is _ERROR:
                    return None
                if exact is not False and plan.counted:
                    lines.append((payee, exact, plan.label))
        return lines

    def _evaluate(
        self,
        cls: _Class,
        plan: _SlotPlan,
        k: int,
        weight: Decimal | None,
        layout: _Layout,
        attribution: Mapping[str, Decimal],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> Any:
        """One payee's amount, computed in the representative's context with this use's
        metrics and weights: a `Money`, False (nothing due) or `_ERROR`."""
        ctx = cls.ctx
        assert ctx is not None
        metrics = (amount, currency, generations, streams)
        if cls.metrics != metrics:
            ctx.revenue = Money(amount, currency) if amount is not None else Money(Decimal(0), "")
            ctx.generations = generations
            ctx.streams = streams
            ctx.memo = {}
            cls.metrics = metrics
        if plan.per_payee:
            # This use's weights, under the names of the representative's artists.
            names = cls.layout.artists
            ctx.attribution = {names[layout.artists.index(a)]: w for a, w in attribution.items()}
        ctx.share = plan.share
        ctx.weight = weight
        ctx.artist_id = None if plan.to_party else plan.rep_payees[k]
        try:
            value = plan.effect.amount(ctx)  # type: ignore[misc]
        except Exception:  # the one-use path raises its own, identical, error
            return _ERROR
        finally:
            ctx.share = ctx.weight = None
            ctx.artist_id = None
        if not isinstance(value, Money) or value.amount == 0:
            return False
        if value.amount < 0:
            return _ERROR
        return value

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

    # -------------------------------------------------------------- classes
    def _shape_classes(self, columns: UseColumns) -> list[_Classified | None]:
        """The classes found so far for the shapes of `columns` (kept while the same shapes
        object comes back, e.g. run after run of a simulation)."""
        if self._table is not columns.shapes:
            self._table = columns.shapes
            self._of_shape = []
            self._table_frames = {}
            self._table_entities = {}
        return self._of_shape

    def _date_boundaries(self, blocks: Mapping[str, CompiledBlock]) -> list[dt.date] | None:
        """The dates between which the decisions cannot change with the use's date: every
        date the clauses compare it with (over all artists and works of the data), when
        laws and contracts start and end, and the dates of the data from which consents
        count or lapse (grants, revocations, caps, coming of age, death). None when they
        cannot all be listed (then each date is a frame of its own)."""
        terms = self.analysis.date_terms
        if terms is None or not self._ledger_is_the_data():
            return None
        records, catalogue = self._records, self._catalogue
        parties = getattr(catalogue, "parties", None)
        grants = getattr(catalogue, "grants", None)
        if not isinstance(parties, Mapping) or not isinstance(grants, Mapping):
            return None
        values: set[dt.date] = set()
        try:
            for name, node, definitions in terms:
                block = blocks.get(name)
                parameters = block.parameters if block is not None else {}
                values |= _date_values(node, definitions, parameters, catalogue)
        except _NotConstant:
            return None
        durations: set[_Duration] = {(18 * 12, 0)}  # coming of age
        for block in blocks.values():
            values.update(d for d in (block.start, block.end) if d is not None)
            enacted = records.assumed.get(block.name)
            if block.proposed and enacted is not None:
                values.add(enacted)
                if block.after_enactment is not None:
                    after = block.after_enactment
                    values.add(_moved(enacted, (after.months, after.days)))
            for provision in block.provisions:
                for effect in provision.effects:
                    if effect.kind == "consent":
                        caps = (effect.cap, effect.minors[1] if effect.minors else None)
                        durations.update((c.months, c.days) for c in caps if c is not None)
        starts: set[dt.date] = set()  # dates of the data from which something runs
        for party in parties.values():
            starts.update(v for _, v in party if isinstance(v, dt.date))
        artists = set(parties)
        for grant in grants.values():
            starts.update(v for _, v in grant if isinstance(v, dt.date))
            artists.add(grant.artist)
        for artist in sorted(artists):
            for record in records.ledger.records_for(artist):
                if dataclasses.is_dataclass(record):
                    starts.update(
                        v
                        for v in (getattr(record, f.name) for f in dataclasses.fields(record))
                        if isinstance(v, dt.date)
                    )
        values |= starts
        for start in starts:
            for duration in durations:
                with contextlib.suppress(OverflowError, ValueError):
                    values.add(_moved(start, duration))
        boundaries: set[dt.date] = set()
        for value in values:  # `<` and `>=` change at a value; `<=` and `>` the day after
            boundaries.add(value)
            with contextlib.suppress(OverflowError):
                boundaries.add(value + dt.timedelta(days=1))
        return sorted(boundaries)

    def _ledger_is_the_data(self) -> bool:
        """Whether every grant the engine can find is one of the data files' (so that their
        dates and territories can all be listed)."""
        records = self._records
        return (
            records.dated_ledger is None
            and records.territories_of is None
            and records.ledger is getattr(self._catalogue, "ledger", None)
        )

    def _territory_tests(self, blocks: Mapping[str, CompiledBlock]) -> list[TerritorySet] | None:
        """Every territory set a use's territory is tested against: in the clauses, the
        contracts' territories and the grants' (None when they cannot all be listed)."""
        tests = self.analysis.territory_tests
        grants = getattr(self._catalogue, "grants", None)
        if tests is None or not isinstance(grants, Mapping) or not self._ledger_is_the_data():
            return None
        registry = self.policy_set.compiled.vocabulary.territories
        sets: dict[TerritorySet, None] = {}
        for codes in tests[0]:
            sets[registry.territory_set(codes)] = None
        for block in blocks.values():
            if block.territory is not None:
                sets[block.territory] = None
        for grant in grants.values():
            sets[self._records.territories(grant)] = None
        return list(sets)

    def _territory(self, territory: str) -> Any:
        """What the policy can tell of a territory: whether it is a valid code, and which
        of the sets (and exact codes) it tests territories against it falls in."""
        key = self._territory_keys.get(territory)
        if key is None:
            sets, tests = self._territory_sets, self.analysis.territory_tests
            if sets is None or tests is None or code_problem(territory) is not None:
                key = ("code", territory)
            else:
                try:
                    key = (
                        tuple(s.contains(territory) for s in sets),
                        tuple(sorted(code for code in tests[1] if code == territory)),
                    )
                except Exception:  # a code the sets cannot place: on its own
                    key = ("code", territory)
            self._territory_keys[territory] = key
        return key

    def _frame(self, use: Use) -> _Frame:
        key = _frame_key(use)
        territory = self._territory(use.territory)
        key = (key[0], key[1], key[2], territory, *key[4:])
        if self._boundaries is not None:  # the date only through the period it falls in
            key = (bisect.bisect_right(self._boundaries, use.date), *key[1:])
        frame = self._frames.get(key)
        if frame is None:
            # What the signatures of artists and works depend on (the date only through
            # a ledger that answers as of a day).
            signing = (
                use.licensee,
                territory,
                use.purpose,
                use.date if self._records.dated_ledger is not None else None,
            )
            frame = self._frames[key] = _Frame(
                len(self._frames),
                use,
                use.licensee,
                use.purpose,
                use.territory,
                use.date,
                self.policy_set.compiled.contracts_by_licensee.get(use.licensee, ()),
                self._signature(("signing", signing)),
            )
        return frame

    def _layout_of(
        self, works: Sequence[str], artists: Sequence[str], attribution: Mapping[str, Decimal]
    ) -> _Layout:
        key = (
            works if isinstance(works, tuple) else tuple(works),
            artists if isinstance(artists, tuple) else tuple(artists),
            tuple(attribution),
        )
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) > _MEMO_LIMIT:
                self._layouts.clear()
            made = _layout(key[0], key[1], key[2], self._catalogue.performers_of)
            self._layout_count += 1
            layout = self._layouts[key] = _Layout(
                made.artists,
                made.roles,
                made.works,
                made.graph,
                self._layout_count,
                self._signature(("graph", made.graph)),
            )
        return layout

    def _classify(self, shapes: Sequence[Use], s: int) -> _Classified:
        attribution: Mapping[str, Decimal]
        weights: int | None = None
        if isinstance(shapes, ShapeTable):
            f = shapes.frame[s]
            frame = self._table_frames.get(f)
            if frame is None:
                frame = self._table_frames[f] = self._frame(shapes.frames[f])
            attribution = shapes.attribution[s]
            entities = shapes.entities
            if entities is None:
                layout = self._layout_of(shapes.works[s], shapes.artists[s], attribution)
            else:
                entity = entities[s]
                known = self._table_entities.get(entity)
                if known is None:
                    layout = self._layout_of(shapes.works[s], shapes.artists[s], attribution)
                    weights = self._weights(layout, attribution)
                    self._table_entities[entity] = (layout, weights)
                else:
                    layout, weights = known
        else:
            use = shapes[s]
            frame = self._frame(use)
            attribution = use.attribution
            layout = self._layout_of(use.works, use.artists, attribution)
        if weights is None:
            weights = self._weights(layout, attribution)
        cls = self._placed.get((frame.number, layout.number))
        if cls is None:
            cls = self._placed[(frame.number, layout.number)] = self._class_of(frame, layout)
        of_shape = self._of_shape
        if s >= len(of_shape):
            of_shape.extend([None] * (s + 1 - len(of_shape)))
        found = of_shape[s] = (cls, layout, attribution, weights)
        return found

    def _weights(self, layout: _Layout, attribution: Mapping[str, Decimal]) -> int:
        return self._signature(("weights", layout.number, tuple(attribution.values())))

    def _class_of(self, frame: _Frame, layout: _Layout) -> _Class:
        """The class of the shapes of this frame with these works and artists."""
        if len(self._placed) > _MEMO_LIMIT:
            self._placed.clear()
        signed = (frame.signing, layout.number)
        signatures = self._signed.get(signed)
        if signatures is None:
            if len(self._signed) > _MEMO_LIMIT:
                self._signed.clear()
            known = self._by_signing.get(frame.signing)
            if known is None:
                known = self._by_signing[frame.signing] = {}
            found_works = []
            for work in layout.works:
                number = known.get(work)
                if number is None:
                    number = known[work] = self._work_signature(work, frame)
                found_works.append(number)
            found_artists = []
            for artist, roles in zip(layout.artists, layout.roles, strict=True):
                number = known.get((artist, roles))
                if number is None:
                    number = known[(artist, roles)] = self._artist_signature(artist, roles, frame)
                found_artists.append(number)
            signatures = self._signed[signed] = self._signature(
                (tuple(found_works), tuple(found_artists))
            )
        key = (frame.number, layout.graph_number, signatures)
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = _Class(len(self._classes), frame, layout)
            self.stats["classes"] += 1
        return cls

    def _signature(self, value: Any) -> int:
        number = self._signature_ids.get(value)
        if number is None:
            number = self._signature_ids[value] = len(self._signature_ids)
        return number

    def _work_signature(self, work: str, frame: _Frame) -> int:
        """What the policy can tell of a work in this frame (equal for works it cannot
        tell apart)."""
        memo_key = (frame.licensee, work)
        found = self._signatures.get(memo_key)
        if found is not None:
            return found
        abstraction = self.analysis.abstraction
        value: Any
        if abstraction is None or work in abstraction.literals:
            value = ("id", work)
        else:
            record = self._catalogue.works.get(work)
            scope = tuple(c.scope_works is None or work in c.scope_works for c in frame.contracts)
            if record is None:
                value = ("unknown", scope)
            else:
                value = (
                    "work",
                    scope,
                    tuple(getattr(record, f) for f in abstraction.work_fields),
                    tuple(record.rights_holder == c.licensor for c in frame.contracts),
                )
        number = self._signatures[memo_key] = self._signature(value)
        return number

    def _artist_signature(self, artist: str, roles: int, frame: _Frame) -> int:
        """What the policy can tell of an artist in these roles in this frame: catalogue
        facts, scopes, and the grants that could count for the consents asked of them."""
        memo_key = (frame.signing, artist, roles)
        found = self._signatures.get(memo_key)
        if found is not None:
            return found
        abstraction = self.analysis.abstraction
        value: Any
        if abstraction is None or artist in abstraction.literals:
            value = ("id", artist)
        else:
            party = self._catalogue.party(artist)
            scope = tuple(
                c.scope_artists is None or artist in c.scope_artists for c in frame.contracts
            )
            fields: Any = None
            if party is not None:
                residence = party.residence
                fields = (
                    tuple(getattr(party, f) for f in abstraction.party_fields),
                    None
                    if residence is None
                    else tuple(s.contains(residence) for s in abstraction.residence),
                )
            purposes = tuple(dict.fromkeys(p or frame.purpose for p in self._consent[roles]))
            consent: Any = None
            if purposes:
                consent = (
                    (party.birth_date, party.death_date) if party is not None else None,
                    self._grants_of(artist, purposes, frame),
                )
            value = ("artist", party is not None, scope, fields, consent)
        number = self._signatures[memo_key] = self._signature(value)
        return number

    def _grants_of(self, artist: str, purposes: tuple[str, ...], frame: _Frame) -> Any:
        """The artist's ledger records that could give a consent asked in this frame, each
        with which of `purposes` it covers and everything else it says, ids left out."""
        records = self._records
        dated = records.dated_ledger
        found = (
            dated.records_on(artist, frame.date)
            if dated is not None
            else records.ledger.records_for(artist)
        )
        kept = []
        for record in found:
            grant = record.grant
            if grant.grantee != "any" and grant.grantee != frame.licensee:
                continue  # never counts for this licensee
            covered = tuple(p in grant.purposes or "any" in grant.purposes for p in purposes)
            if not any(covered) or not records.territories(grant).contains(frame.territory):
                continue  # never counts here
            rest = self._grants.get((artist, grant.id))
            if rest is None:
                rest = self._grants[(artist, grant.id)] = self._grant_rest(artist, grant)
            extra = tuple(
                (item.name, _hashable(getattr(record, item.name)))
                for item in dataclasses.fields(record)
                if item.name not in ("grant", "revocation_reason")
            )
            kept.append((covered, rest, extra))
        return tuple(kept)

    def _grant_rest(self, artist: str, grant: Any) -> Any:
        """A grant's own facts but the projected ones; who gave it, relative to the artist."""
        rest = tuple(
            (name, _hashable(value)) for name, value in grant if name not in _GRANT_PROJECTED
        )
        if grant.grantor == artist and grant.on_behalf_of in (None, artist):
            return ("self", rest)
        grantor = self._catalogue.party(grant.grantor)
        return (
            "by",
            grant.grantor,
            grant.on_behalf_of,
            _hashable(grantor.model_dump()) if grantor is not None else None,
            rest,
        )

    def _resolve(
        self, cls: _Class, columns: UseColumns, key: tuple[int, Decimal | None, int, int]
    ) -> bool:
        """Compute the structure of `cls` from this use (its representative); False when
        the use must take the one-use path (its decision raises)."""
        if cls.dead:
            return False
        try:
            use = columns.use(*key)
        except ValueError:
            return False
        try:
            structure = _structure(self.policy_set, use)
        except UseError:
            cls.failures += 1
            cls.dead = cls.failures >= 8
            return False
        self.stats["structures"] += 1
        layout = self._layout_of(use.works, use.artists, use.attribution)
        artists = {a: i for i, a in enumerate(layout.artists)}
        works = {w: i for i, w in enumerate(layout.works)}
        plans = []
        for index, plan in enumerate(structure.pays):
            slots: list[tuple[int, Any]] = []
            for payee in plan.payees:
                if plan.to_party:
                    slots.append((0, payee))
                elif payee in artists:
                    slots.append((1, artists[payee]))
                elif payee in works:
                    slots.append((2, works[payee]))
                else:  # pragma: no cover - payees come from the use or the clause text
                    slots.append((0, payee))
            pure = id(plan.effect) in self._pure
            plans.append(
                _SlotPlan(
                    plan.effect,
                    plan.provision.label,
                    plan.counted,
                    tuple(slots),
                    plan.payees,
                    plan.share,
                    plan.over_attribution,
                    plan.to_party,
                    self._signature(
                        ("pure", id(plan.effect), plan.share)
                        if pure
                        else ("class", cls.number, index)
                    ),
                    not pure,
                )
            )
        cls.layout = layout
        cls.ctx = structure.ctx
        cls.metrics = None
        cls.denied = structure.denied
        cls.denial = structure.denial
        cls.plans = tuple(plans)
        cls.answer = Outcome(-1, "deny", (), (), cls.denial) if cls.denied else _ALLOWED
        cls.by_metrics = all(
            not plan.per_payee
            and not plan.over_attribution
            and all(kind == 0 for kind, _ in plan.slots)
            for plan in cls.plans
        )
        cls.resolved = True
        return True
