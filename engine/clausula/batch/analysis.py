"""What the clauses of a policy read of a use, which decides how uses may be grouped."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, assert_never

from .. import ast
from .. import types as t
from ..checker import CheckedPolicy
from ..territory import TerritorySet

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
    # A residence's answers to the `residence` tests, kept once worked out (an artist's
    # key reads them for every artist of a data set, who live in a few places).
    residence_answers: dict[str, tuple[bool, ...]] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


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
    for name in _fields_of(type(node)):
        value = getattr(node, name)
        if isinstance(value, ast.Expr | ast.Subject | ast.Tier | tuple | list):
            _observe(value, definitions, types, out, seen, quantified)


_FIELDS: dict[type, tuple[str, ...]] = {}  # per node class: looked up once, not per node


def _fields_of(kind: type) -> tuple[str, ...]:
    """The field names of a node class (none for a value that is not a dataclass)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = (
            tuple(item.name for item in dataclasses.fields(kind))
            if dataclasses.is_dataclass(kind)
            else ()
        )
    return names


def _effect_reads(effect: ast.AnyEffect) -> tuple[list[ast.Subject | ast.Expr], ast.Expr | None]:
    """What an effect reads of a use: its subject and conditions (as conditions do), and the
    amount of a payment. A new kind of effect must say what it reads here, or the batch
    could group uses that it tells apart."""
    if isinstance(effect, ast.Permit | ast.Deny | ast.Risk):
        return [], None
    if isinstance(effect, ast.Oblige):
        return ([effect.met] if effect.met is not None else []), None
    if isinstance(effect, ast.RequireConsent | ast.RequireLicence):
        return [effect.subject], None
    if isinstance(effect, ast.Pay):
        return ([effect.payee] if effect.payee is not None else []), effect.amount
    assert_never(effect)


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
                read, paid = _effect_reads(effect)
                for part in read:
                    roots.append(part)
                    if isinstance(part, ast.Subject) and part.party:
                        conditions.literals.add(part.party)
                if paid is not None:
                    amount = _Observed()
                    _observe(paid, definitions, types, amount, set())
                    if amount.paths <= _METRIC_PATHS | {"weight", "share"}:
                        pure.add((block.block.name, p_index, e_index))
                    _observe(paid, definitions, types, amounts, set())
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
